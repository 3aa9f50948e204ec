"""Does smoothing each tracked person's depth over time help? A check, not a feature.

Runs the shipped model over a labelled synthetic sequence folder, assigns ids with the tracker,
then filters each track's root distance with a causal exponential average (alpha = 1: off) and
moves the whole skeleton along its viewing rays to the filtered distance (its 2D projection is
unchanged). Scores each alpha with the `drm eval` metrics.

    drm synth --config config/synth/sequence.yaml --out data/synth_seq --num 240 --seed 4242
    .venv/bin/python tools/depth_smoothing.py [--data data/synth_seq]
"""
import argparse
import sys
from dataclasses import replace

import numpy as np
import torch

from drm_ros.data.load import load_any
from drm_ros.imageio import read_rgb
from drm_ros.inference import PoseEstimator
from drm_ros.metrics import evaluate
from drm_ros.tracking import Tracker


def smoothed(predictions, sequence_of, alpha: float):
    out, tracker, last, filtered = [], None, None, {}
    for poses, seq in zip(predictions, sequence_of):
        if seq != last:  # a new clip: new camera, new people
            tracker, last, filtered = Tracker(), seq, {}
        poses = tracker.update(poses)
        scale = np.ones(len(poses))
        for k, i in enumerate(poses.ids):
            z = float(np.linalg.norm(poses.roots[k]))
            f = filtered.get(i, z)
            filtered[i] = f + alpha * (z - f)
            scale[k] = filtered[i] / z
        out.append(replace(poses, joints3d=poses.joints3d * scale[:, None, None], roots=poses.roots * scale[:, None]))
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="data/synth_seq")
    args = ap.parse_args()
    torch.set_num_threads(2)
    samples = load_any(args.data)
    est = PoseEstimator.from_file(None)
    predictions = [est.estimate(read_rgb(s.image_path), s.camera) for s in samples]
    sequence_of = [s.meta[0].get("sequence", -1) if s.meta else -1 for s in samples]
    print(f"{args.data}: {len(samples)} frames, {sum(s.num_persons for s in samples)} labelled people")
    for alpha in (1.0, 0.7, 0.5, 0.3):
        m = evaluate(smoothed(predictions, sequence_of, alpha), samples)
        print(f"alpha {alpha}: root error {m['root_err_mm']:.0f} mm, PCKabs matched {m['pck_abs_matched']:.1f}, "
              f"AP_root@25 {m['ap_root_25']:.1f}, PCKrel matched {m['pck_rel_matched']:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
