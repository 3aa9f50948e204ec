"""What the learnt floor costs per frame, and what refitting it less often costs in quality
(FitSettings.refit_fraction: refit once new ankle points make up that share of the window; 0 =
every frame, as before session 11). vtest.avi online, the node's pipeline without ROS
(tools/vtest_ground.py), both floor tilts; the time is the ground step alone (GroundDepth.apply).

    .venv/bin/python tools/floor_refit_cost.py --starts 250 500 --frames 240
"""
import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from vtest_ground import SAMPLE, headline, run  # noqa: E402
from vtest_long import video_poses  # noqa: E402

from drm_ros.camera import Camera  # noqa: E402
from drm_ros.ground.fit import FitSettings  # noqa: E402
from drm_ros.ground.session import GroundDepth  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--starts", type=int, nargs="+", default=[250, 500])
    ap.add_argument("--frames", type=int, default=240)
    ap.add_argument("--fractions", type=float, nargs="+", default=[0.0, 0.05, 0.1])
    args = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    camera = Camera.from_yaml_dict(yaml.safe_load((SAMPLE / "camera_info.yaml").read_text()))
    for start in args.starts:
        raw = video_poses(start, args.frames, camera)
        print(f"== vtest.avi frames {start}-{start + len(raw) - 1}, online")
        for orientation in ("ankles3d", "fused"):
            for fraction in args.fractions:
                fit = FitSettings(orientation=orientation, refit_fraction=fraction)
                ground, cost = GroundDepth("auto", fit=fit), []
                for poses in raw:  # the ground step alone, timed
                    t0 = time.perf_counter()
                    ground.apply(poses, camera)
                    cost.append(time.perf_counter() - t0)
                cost = np.array(cost) * 1000
                frames, _, _ = run(raw, camera, GroundDepth("auto", fit=fit))
                print(f"  {orientation:8s} refit_fraction {fraction:.2f}: ground step median {np.median(cost):5.1f} ms, "
                      f"mean {cost.mean():5.1f} ms, p90 {np.percentile(cost, 90):5.1f} ms | {headline(frames)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
