"""Which body points the 2D floor tilt (FitSettings.orientation: image2d) should use, and how much
of its error is DRM's 2D: the last floor of each clip of labelled sequence splits, from the true
poses (true 2D; for "ankles3d" also true depth) and from DRM's cached poses
(tools/cache_predictions.py), for the 3D-ankle floor and for the 2D floor with three sets of
body points above the ankles' midpoint.

    .venv/bin/python tools/image_floor_points.py data/synth_seq_near data/synth_seq
"""
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cache_predictions import predictions  # noqa: E402
from floor_uncertainty import clips, run_clip  # noqa: E402

import drm_ros.ground.fit as fit  # noqa: E402
from drm_ros.poses import PoseSet  # noqa: E402
from drm_ros.skeleton import NUM_COCO_JOINTS, ROOT  # noqa: E402

SH, HIP, NOSE = ("left_shoulder", "right_shoulder"), ("left_hip", "right_hip"), ("nose", "nose")
VARIANTS = {"ankles3d": None, "fused shoulders+hips": (SH, HIP), "image2d shoulders": (SH,), "image2d shoulders+hips": (SH, HIP), "image2d shoulders+nose": (SH, NOSE)}


def true_poses(sample) -> PoseSet:
    j3 = sample.joints3d
    ok = np.all(np.isfinite(j3[:, :NUM_COCO_JOINTS]), axis=(1, 2))
    j3, uv = j3[ok], sample.joints2d[ok]
    n = len(j3)
    return PoseSet(np.full(n, 0.9), np.concatenate([uv.min(1), uv.max(1)], 1), j3[:, ROOT].copy(), j3, uv, np.ones(j3.shape[:2]))


def main() -> int:
    for data in sys.argv[1:]:
        samples, preds = predictions(data)
        truth = [true_poses(s) for s in samples]
        for name, points in VARIANTS.items():
            settings = replace(fit.FitSettings(), orientation="ankles3d" if points is None else name.split()[0])
            if points is not None:
                fit.BODY_POINTS = points
            for source, poses in (("true poses", truth), ("DRM", preds)):
                text, angles = [], []
                for k, (_, frames) in enumerate(clips(samples, poses)):
                    r = run_clip(frames, settings)
                    if len(r):
                        angles.append(r[-1, 2])
                    text.append(f"{k}: " + (f"{r[-1, 2]:.1f} (pitch {r[-1, 0]:+.1f}, roll {r[-1, 1]:+.1f}, height {r[-1, 3]:+.2f} m)" if len(r) else "none"))
                print(f"{Path(data).name} {name}, {source}: last floor's angle to the true one, median {np.median(angles):.2f} deg, "
                      f"max {np.max(angles):.2f}; per clip {'; '.join(text)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
