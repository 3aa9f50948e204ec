"""People found on the real vtest.avi sample frames by MoveNet's own 2D branch (no depth head) and
by a trained model, side by side: training must not change what the 2D branch sees.

    .venv/bin/python tools/real_frame_detections.py [--model model/drm_default.pt] [--size 768x576]
"""
import argparse
import sys

import numpy as np
import torch

from drm_ros.camera import Camera
from drm_ros.checkpoint import load_model
from drm_ros.imageio import read_rgb
from drm_ros.inference import PoseEstimator
from drm_ros.movenet_weights import load_state
from drm_ros.network import DRMNet
from drm_ros.paths import DEFAULT_MODEL, model_path, share_dir


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=str(model_path(DEFAULT_MODEL)))
    ap.add_argument("--size", default="768x576")
    ap.add_argument("--threshold", type=float, default=0.2)
    args = ap.parse_args()
    torch.set_num_threads(2)
    size = tuple(int(v) for v in args.size.split("x"))
    movenet = DRMNet()
    movenet.load_state_dict(load_state(), strict=False)
    trained, _ = load_model(args.model)
    frames = sorted((share_dir() / "sample_data" / "vtest").glob("frame_*.jpg"))
    cam = Camera.default_for(768, 576)
    ests = {"movenet": PoseEstimator(movenet, size, args.threshold), "trained": PoseEstimator(trained, size, args.threshold)}
    counts = {k: [] for k in ests}
    same2d = []
    for f in frames:
        img = read_rgb(f)
        res = {k: e.estimate(img, cam) for k, e in ests.items()}
        for k in ests:
            counts[k].append(len(res[k]))
        if len(res["movenet"]) == len(res["trained"]):
            same2d.append(np.abs(res["movenet"].joints2d - res["trained"].joints2d).max() if len(res["trained"]) else 0.0)
    print(f"{len(frames)} vtest frames at {size[0]}x{size[1]}, score >= {args.threshold}")
    for k, c in counts.items():
        print(f"  {k:8s}: {sum(c)} people in total, per frame {np.mean(c):.2f} (min {min(c)}, max {max(c)})")
    print(f"  frames with identical person count: {sum(a == b for a, b in zip(*counts.values()))}/{len(frames)}; "
          f"max 2D joint difference there: {max(same2d) if same2d else float('nan'):.4f} px")
    return 0


if __name__ == "__main__":
    sys.exit(main())
