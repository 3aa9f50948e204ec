"""People found on real frames (vtest.avi) by MoveNet's own 2D branch and by a trained model, side
by side: training must not change what the 2D branch sees on real images.

    .venv/bin/python tools/real_frame_detections.py [--model model/drm_default.pt] [--size 768x576]
        [--video /usr/share/doc/opencv-doc/examples/data/vtest.avi --every 4]

Frames: the 30 committed sample frames (sample_data/vtest), or every N-th frame of a video.
Each trained-model person is matched to the MoveNet person whose 17 joints lie nearest on
average, if within 20 % of that person's height, greedily (tracking.greedy_pairs). Reported:
people found by each, matched, lost (MoveNet only), new (trained only), and how far the matched
people's joints moved.
"""
import argparse
import sys

import cv2
import numpy as np
import torch

from drm_ros.camera import Camera
from drm_ros.checkpoint import load_model
from drm_ros.imageio import read_rgb
from drm_ros.inference import PoseEstimator
from drm_ros.movenet_weights import load_state
from drm_ros.network import DRMNet
from drm_ros.paths import DEFAULT_MODEL, model_path, share_dir
from drm_ros.tracking import greedy_pairs


def frames(video: str | None, every: int):
    if video is None:
        for f in sorted((share_dir() / "sample_data" / "vtest").glob("frame_*.jpg")):
            yield read_rgb(f)
        return
    cap = cv2.VideoCapture(video)
    if not cap.isOpened():
        raise SystemExit(f"cannot open video {video}")
    i = 0
    while True:
        ok, bgr = cap.read()
        if not ok:
            return
        if i % every == 0:
            yield cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        i += 1


def match(ref, other) -> list[tuple[int, int]]:
    if len(ref) == 0 or len(other) == 0:
        return []
    # mean distance over all joints, not just the root: two detections can share a root
    d = np.linalg.norm(ref.joints2d[:, None, :17] - other.joints2d[None, :, :17], axis=-1).mean(-1)
    gate = 0.2 * np.maximum(np.ptp(ref.joints2d[..., 1], axis=-1), 10.0)
    return greedy_pairs(d / gate[:, None], 1.0)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=str(model_path(DEFAULT_MODEL)))
    ap.add_argument("--size", default="768x576")
    ap.add_argument("--threshold", type=float, default=0.2)
    ap.add_argument("--video", default=None)
    ap.add_argument("--every", type=int, default=4)
    args = ap.parse_args()
    torch.set_num_threads(2)
    size = tuple(int(v) for v in args.size.split("x"))
    movenet = DRMNet()
    movenet.load_state_dict(load_state(), strict=False)
    trained, _ = load_model(args.model)
    ref_est, est = PoseEstimator(movenet, size, args.threshold), PoseEstimator(trained, size, args.threshold)
    n = found_ref = found = matched = 0
    shift = []
    for img in frames(args.video, args.every):
        cam = Camera.default_for(img.shape[1], img.shape[0])
        a, b = ref_est.estimate(img, cam), est.estimate(img, cam)
        pairs = match(a, b)
        n += 1
        found_ref += len(a)
        found += len(b)
        matched += len(pairs)
        for r, o in pairs:
            sure = a.joint_scores[r] > 0.3
            shift.append(np.linalg.norm(a.joints2d[r, sure] - b.joints2d[o, sure], axis=-1))
    shift = np.concatenate(shift) if shift else np.zeros(1)
    print(f"{n} frames of {args.video or 'sample_data/vtest'} at {size[0]}x{size[1]}, score >= {args.threshold}, "
          f"model {args.model}")
    print(f"  people found: movenet {found_ref}, trained {found} ({found / max(1, found_ref):.3f}x); "
          f"matched {matched}, lost {found_ref - matched}, new {found - matched}")
    print(f"  joint shift of matched people (joints with MoveNet score > 0.3): median {np.median(shift):.2f} px, "
          f"p95 {np.percentile(shift, 95):.2f} px, max {shift.max():.2f} px (image pixels)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
