"""int8 against fp32 on real frames: people found, how far the joints and root depths of the same
people move, and the dense part's speed, the backends called in turn on the same process (the
machine is shared: ratios, not absolute times).

    .venv/bin/python tools/int8_detections.py [--size 384x288] [--recipes blocks,backbone]
        [--video .../vtest.avi --every 4] [--rounds 20]

Frames: the 30 sample frames (sample_data/vtest, frames 250..279 of vtest.avi; the calibration set
avoids 240..310). People are matched as in real_frame_detections.py (mean joint distance within
20 % of the fp32 person's height). Pairs: onnxruntime-int8 vs onnxruntime, openvino-int8 vs
openvino (fp32); `--recipes` also quantizes with other int8.RECIPES (onnxruntime only; the first
one is used for openvino-int8 and the speed rows).
"""
import argparse
import os
import sys
import time

import numpy as np
import torch

from drm_ros.backends import create_dense_runner, int8
from drm_ros.bench.timing import summary
from drm_ros.camera import Camera
from drm_ros.checkpoint import load_model
from drm_ros.inference import PoseEstimator
from drm_ros.paths import DEFAULT_MODEL, model_path
from real_frame_detections import frames, match


def compare(ref_est, est, images) -> str:
    found_ref = found = matched = 0
    px, depth = [], []
    for img in images:
        cam = Camera.default_for(img.shape[1], img.shape[0])
        a, b = ref_est.estimate(img, cam), est.estimate(img, cam)
        pairs = match(a, b)
        found_ref, found, matched = found_ref + len(a), found + len(b), matched + len(pairs)
        for r, o in pairs:
            px.append(np.linalg.norm(a.joints2d[r, :17] - b.joints2d[o, :17], axis=-1))
            depth.append(abs(b.roots[o, 2] / a.roots[r, 2] - 1))
    px, depth = np.concatenate(px), 100 * np.array(depth)
    return (f"people fp32 {found_ref}, int8 {found}, matched {matched} (lost {found_ref - matched}, new "
            f"{found - matched}); joints moved median {np.median(px):.2f} px, p95 {np.percentile(px, 95):.2f} px; "
            f"root depth moved median {np.median(depth):.1f} %, p95 {np.percentile(depth, 95):.1f} %, "
            f"max {depth.max():.1f} %")


def interleaved(net, size, names, rounds: int, threads: int) -> str:
    x = torch.rand(1, 3, size[1], size[0]) * 255
    fns = {n: create_dense_runner(n, net, size, threads) for n in names}
    times = {n: [] for n in names}
    with torch.inference_mode():
        for i in range(rounds + 3):
            for n, fn in fns.items():
                t = time.perf_counter()
                fn(x)
                if i >= 3:
                    times[n].append((time.perf_counter() - t) * 1000)
    med = {n: np.median(t) for n, t in times.items()}
    return "; ".join(f"{n} {summary(np.array(t)).strip()}" + ("" if "int8" not in n else
                     f" = {med[n] / med[n.replace('-int8', '')]:.2f}x fp32") for n, t in times.items())


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="384x288")
    ap.add_argument("--recipes", default=int8.RECIPE)
    ap.add_argument("--video", default=None)
    ap.add_argument("--every", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(1)  # the decode's share, as the node runs a runtime backend
    size = tuple(int(v) for v in args.size.split("x"))
    net = load_model(model_path(DEFAULT_MODEL))[0].eval()
    images = list(frames(args.video, args.every))
    print(f"{len(images)} frames of {args.video or 'sample_data/vtest'} at {size[0]}x{size[1]}, score >= 0.2, "
          f"{args.threads} runtime threads; load average {os.getloadavg()[0]:.1f}", flush=True)
    recipes = args.recipes.split(",")
    for fp32 in ("onnxruntime", "openvino"):
        ref = PoseEstimator(net, size, backend=fp32, threads=args.threads)
        for recipe in recipes if fp32 == "onnxruntime" else recipes[:1]:
            int8.RECIPE = recipe
            est = PoseEstimator(net, size, backend=f"{fp32}-int8", threads=args.threads)
            print(f"  {fp32}-int8 (recipe {recipe}) vs {fp32}: {compare(ref, est, images)}", flush=True)
    int8.RECIPE = recipes[0]
    for s in (size, (512, 384)) if size != (512, 384) else (size,):
        names = ["onnxruntime", "onnxruntime-int8", "openvino", "openvino-int8"]
        print(f"  dense part {s[0]}x{s[1]}, called in turn, {args.rounds} rounds after 3, median [p10-p90] ms: "
              f"{interleaved(net, s, names, args.rounds, args.threads)}", flush=True)
    print(f"load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
