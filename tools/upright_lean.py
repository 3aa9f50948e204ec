"""How vertical the people of labelled sequence splits really stand, which the 2D floor tilt
(FitSettings.orientation: image2d) assumes: per clip, from the TRUE poses and the true floor, the
lean of the line from the ankles' midpoint to the shoulders' midpoint (degrees, along the camera's
forward and lateral floor axes: what would tilt the 2D floor in pitch and roll if everyone leaned
alike), and the spread of that height (the 2D fit's one ratio for everyone).

    .venv/bin/python tools/upright_lean.py data/synth_seq data/synth_seq_near data/synth_seq_b
"""
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cache_predictions import predictions  # noqa: E402
from floor_uncertainty import clips  # noqa: E402

from drm_ros.ground.floor_uncertainty import tilt_axes  # noqa: E402
from drm_ros.skeleton import JOINT_INDEX as J  # noqa: E402
from drm_ros.skeleton import NUM_COCO_JOINTS  # noqa: E402


def mid(j3, a, b):
    return 0.5 * (j3[J[a]] + j3[J[b]])


def main() -> int:
    for data in sys.argv[1:]:
        samples, _ = predictions(data)
        for k, (_, frames) in enumerate(clips(samples, [None] * len(samples))):
            floor = frames[0][0].ground
            fwd, lat = tilt_axes(floor.up)
            lean, height = [], []
            for s, _ in frames:
                for j3 in s.joints3d:
                    if not np.all(np.isfinite(j3[:NUM_COCO_JOINTS])):
                        continue
                    d = mid(j3, "left_shoulder", "right_shoulder") - mid(j3, "left_ankle", "right_ankle")
                    h = d @ floor.up
                    if h < 0.6:  # not standing
                        continue
                    lean.append([d @ fwd / h, d @ lat / h])
                    height.append(h)
            if not height:
                print(f"{Path(data).name} clip {k}: nobody standing")
                continue
            lean, height = np.degrees(np.arctan(np.array(lean))), np.array(height)
            print(f"{Path(data).name} clip {k}: {len(height)} standing people x frames; lean forward mean {lean[:, 0].mean():+.1f} "
                  f"sd {lean[:, 0].std():.1f} deg, sideways mean {lean[:, 1].mean():+.1f} sd {lean[:, 1].std():.1f} deg; "
                  f"shoulders {height.mean():.2f} m above the ankles, sd {100 * height.std() / height.mean():.1f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
