"""Does filtering each tracked person's relative pose over time (drm_ros/pose_filter.py) help,
and what does it cost in lag? The node's chain on labelled synthetic sequences (cached DRM poses,
tools/cache_predictions.py): tracker, the depth filter at its defaults, then the pose filter at
several gains (`--both-ways`: the default gains also run forwards and backwards over each clip
and averaged, the zero-lag smoother a recording would allow); scored with the `drm eval` metrics (PCKrel and MPJPE show lag as error) and the
plausibility jitter (second difference of every joint, mm). The clips' frame rate is the
sequence config's (15 fps).

    .venv/bin/python tools/pose_filter_study.py --data data/synth_seq data/synth_seq_near data/synth_seq_b
    drm synth --config config/synth/sequence_near.yaml --out data/synth_seq_d --num 240 --seed 6262   # the check
    .venv/bin/python tools/pose_filter_study.py --data data/synth_seq_d
"""
import argparse
import sys
from pathlib import Path

from dataclasses import replace

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cache_predictions import predictions  # noqa: E402
from depth_smoothing import clip_ids, clips  # noqa: E402

from drm_ros.depth_filter import DepthFilter  # noqa: E402
from drm_ros.metrics import evaluate  # noqa: E402
from drm_ros.plausibility import joint_jitter_mm  # noqa: E402
from drm_ros.pose_filter import PoseFilter  # noqa: E402
from drm_ros.ros.params import defaults  # noqa: E402
from drm_ros.tracking import Tracker  # noqa: E402

GAINS = ((0.0, 0.0), (4.0, 0.0), (2.0, 0.0), (1.0, 0.0), (0.5, 0.0), (1.0, 1.0), (1.0, 4.0), (0.5, 2.0), (0.5, 8.0))


def chain(preds, samples, sequence_of, min_cutoff, beta, fps, both_ways=False):
    out = []
    for start, n in clips(sequence_of):
        tracker, depth_filter = Tracker(), DepthFilter()
        tracked = [depth_filter.update(tracker.update(preds[k], samples[k].camera), samples[k].camera)
                   for k in range(start, start + n)]
        forward = PoseFilter(min_cutoff, beta)
        ahead = [forward.update(p, k / fps) for k, p in enumerate(tracked)]
        if both_ways:
            backward = PoseFilter(min_cutoff, beta)
            behind = [backward.update(p, k / fps) for k, p in enumerate(tracked[::-1])][::-1]
            ahead = [replace(a, joints3d=0.5 * (a.joints3d + b.joints3d)) for a, b in zip(ahead, behind)]
        out += ahead
    return out


def report(name, out, samples, sequence_of):
    m = evaluate(out, samples)
    jitter = np.median(np.concatenate([joint_jitter_mm(out[i:i + n]) for i, n in clips(sequence_of)]))
    print(f"  {name:<28} PCKrel matched {m['pck_rel_matched']:.1f}, MPJPE {m['mpjpe_rel_mm']:.1f} mm, "
          f"PCKabs matched {m['pck_abs_matched']:.1f}, jitter median {jitter:.0f} mm")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", nargs="+", default=["data/synth_seq"])
    ap.add_argument("--fps", type=float, default=15.0)
    ap.add_argument("--both-ways", action="store_true")
    args = ap.parse_args()
    for data in args.data:
        samples, preds = predictions(data)
        sequence_of = clip_ids(samples)
        print(f"{data}: {len(samples)} frames in {len(clips(sequence_of))} clips at {args.fps:g} fps")
        if args.both_ways:
            gains = defaults()["pose_filter_min_cutoff_hz"], defaults()["pose_filter_beta"]
            report("off", chain(preds, samples, sequence_of, 0.0, 0.0, args.fps), samples, sequence_of)
            report("the node's, forwards", chain(preds, samples, sequence_of, *gains, args.fps), samples, sequence_of)
            report("the node's, both ways", chain(preds, samples, sequence_of, *gains, args.fps, True), samples,
                   sequence_of)
            continue
        for min_cutoff, beta in GAINS:
            out = chain(preds, samples, sequence_of, min_cutoff, beta, args.fps)
            report("off" if min_cutoff == 0 else f"min_cutoff {min_cutoff:g} Hz, beta {beta:g}", out, samples, sequence_of)
    return 0


if __name__ == "__main__":
    sys.exit(main())
