"""Who keeps DRM's depth on the demo's vtest clip when the node starts from the saved floor
(sample_data/vtest/floor.yaml, `make demo`'s fourth vtest run)? Every person the ground step
gated, with its person score, pixel, DRM's depth against the floor's, and how tall the floor's
depth would make it: what is left of the clip's ground-plane residual.

    .venv/bin/python tools/vtest_gated_people.py
"""
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from vtest_ground import SAMPLE, load_vtest, run  # noqa: E402

from drm_ros.ground.floor_file import load_floor  # noqa: E402
from drm_ros.ground.refine import ANKLES, GATED  # noqa: E402
from drm_ros.ground.session import GroundDepth  # noqa: E402
from drm_ros.plausibility import person_heights  # noqa: E402
from drm_ros.skeleton import ROOT  # noqa: E402


def main() -> int:
    raw, camera = load_vtest()
    _, _, results = run(raw, camera, GroundDepth("auto", saved=load_floor(SAMPLE / "floor.yaml")))
    print(f"{SAMPLE.name} frames 0-{len(raw) - 1}, auto from the saved floor: the gated people")
    for k, r in enumerate(results):
        p = r.poses
        for i in np.where(r.status == GATED)[0]:
            h = person_heights(p)[i]
            print(f"  frame {k:2d}: score {p.scores[i]:.2f}, pelvis at pixel ({p.joints2d[i, ROOT, 0]:.0f}, "
                  f"{p.joints2d[i, ROOT, 1]:.0f}), DRM {r.drm_depth[i]:.1f} m, floor {r.plane_depth[i]:.1f} "
                  f"+- {r.plane_sigma[i]:.1f} m, height {h:.2f} m at DRM's depth, {h * r.plane_depth[i] / r.drm_depth[i]:.2f} m "
                  f"at the floor's; ankle scores {p.joint_scores[i, ANKLES[0]]:.2f} / {p.joint_scores[i, ANKLES[1]]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
