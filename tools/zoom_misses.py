"""The people one pass at 768x576 finds on vtest.avi that `passes: zoom` (2 zooms) misses, and
whether the 384x288 first pass had any candidate for them at all (score >= 0.01): a zoom only
re-looks where the first pass was in doubt, so people without a candidate are out of its reach.

    nice -n 5 .venv/bin/python tools/zoom_misses.py   (every 40th frame, 20 frames)
"""
import sys

import numpy as np
import torch

from drm_ros.bench.recall import VTEST, pairs, video_frames
from drm_ros.camera import Camera
from drm_ros.inference import PoseEstimator
from drm_ros.passes import MultiPassEstimator


def main() -> int:
    torch.set_num_threads(1)
    ref_est = PoseEstimator.from_file(input_size=(768, 576))
    zoom = MultiPassEstimator(PoseEstimator.from_file(), "zoom", max_zooms=2)
    candidates = PoseEstimator.from_file(score_threshold=0.01)
    missed = without = 0
    for i, img in enumerate(video_frames(VTEST, 40, 20)):
        cam = Camera.default_for(img.shape[1], img.shape[0])
        ref = ref_est.estimate(img, cam)
        found = pairs(ref, zoom.estimate(img, cam))
        low = candidates.estimate(img, cam)
        near = pairs(ref, low)
        for k in (k for k in range(len(ref)) if k not in found):
            uv = ref.joints2d[k, :17]
            score = f"{low.scores[near[k]]:.3f}" if k in near else "none"
            missed += 1
            without += k not in near
            print(f"frame {i * 40}: score {ref.scores[k]:.2f} at 768x576, {np.ptp(uv[:, 1]):.0f} px tall at "
                  f"({uv[:, 0].mean():.0f}, {uv[:, 1].mean():.0f}); first-pass candidate score {score}")
    print(f"{missed} missed by zoom x2, {without} of them without any first-pass candidate")
    return 0


if __name__ == "__main__":
    sys.exit(main())
