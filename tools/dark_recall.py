"""People found on a labelled dataset darkened to several brightness levels, with and without
exposure normalisation (issue 15, poor light): the synthetic counterpart of `drm bench recall
--part light`, scored against ground truth with the `drm eval` rules.

    .venv/bin/python tools/dark_recall.py --data data/near_test --limit 60 [--brightness 1,0.3,0.2,0.1]
        [--exposure off,gain,gamma,clahe] [--passes single] [--dark-thresholds 0.2,0.17]

Each image is darkened as a dim sensor would take it (`exposure.darken`: light scaled, shot and
read noise, uint8), with a fixed seed per image, so every mode sees the same dark pixels.
"""
import argparse
import sys

import numpy as np
import torch

from drm_ros.data.load import load_any
from drm_ros.evaluation import evaluate_dataset
from drm_ros.exposure import darken
from drm_ros.inference import PoseEstimator
from drm_ros.passes import MultiPassEstimator


class Darkened:
    """An estimator that sees every image at `brightness` (same noise per image for every mode)."""

    def __init__(self, estimator, brightness: float):
        self.estimator, self.brightness, self.calls = estimator, brightness, 0

    def estimate(self, image, camera):
        self.calls += 1
        if self.brightness < 1:
            image = darken(image, self.brightness, np.random.default_rng(self.calls))
        return self.estimator.estimate(image, camera)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--limit", type=int, default=60)
    ap.add_argument("--brightness", default="1,0.3,0.2,0.1")
    ap.add_argument("--exposure", default="off,gain,gamma,clahe")
    ap.add_argument("--passes", default="single")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--threshold", type=float, default=0.2, help="the usual person threshold (lit images)")
    ap.add_argument("--dark-thresholds", default="0.2",
                    help="person thresholds on images the exposure step found dark (0.2 = the usual one)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    print("tools/dark_recall.py " + " ".join(sys.argv[1:]))
    samples = load_any(args.data)[: args.limit]
    base = PoseEstimator.from_file(score_threshold=args.threshold)
    gt = sum(len(s.joints2d) for s in samples)
    print(f"{len(samples)} images of {args.data}, {gt} people, input {base.input_size[0]}x{base.input_size[1]}, "
          f"passes {args.passes}, threshold {args.threshold:g}")
    print("| brightness | exposure | threshold on dark images | found (matched GT) | false (predicted, no GT) | "
          "PCKrel matched | PCKabs matched |")
    print("|---|---|---|---|---|---|---|")
    for b in (float(v) for v in args.brightness.split(",")):
        for mode in args.exposure.split(","):
            for t in (float(v) for v in args.dark_thresholds.split(",")):
                if b >= 1 and mode != "off":
                    continue  # a lit image is never changed (exposure.DARK_LUMA)
                est = Darkened(MultiPassEstimator(base, args.passes, exposure=mode, dark_score_threshold=t), b)
                m, _ = evaluate_dataset(est, samples)
                print(f"| {b:.0%} | {mode} | {t:g} | {m['num_matched']} ({100 * m['num_matched'] / max(1, gt):.1f} %) | "
                      f"{m['num_pred_persons'] - m['num_matched']} | {m['pck_rel_matched']:.1f} | "
                      f"{m['pck_abs_matched']:.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
