"""Does filtering each tracked person's depth over time help, and at what cost?

Runs the shipped model over a labelled synthetic sequence folder (its poses cached in runs/ by
tools/cache_predictions.py), optionally refines depth with the floor first (`--ground-plane
known|auto`, as the node does before its tracker; `offline`: the tracker first on DRM's depth,
then the floor learnt from the whole clip and applied to every frame, as `drm bag eval
--floor-pass offline` does), assigns ids with the tracker, then applies the
per-track depth filter (drm_ros/depth_filter.py: alpha-beta on log Z, the skeleton moved along its
rays; alpha = 1 is off) with several gains, and, for a recording only, the same filter run forwards
and backwards with the two depths averaged (drm_ros/depth_smoother.py, `--both-ways`). Scores
each with the `drm eval` metrics and the plausibility jitter (second difference of every joint, mm).

    drm synth --config config/synth/sequence.yaml --out data/synth_seq --num 240 --seed 4242
    .venv/bin/python tools/depth_smoothing.py [--data data/synth_seq] [--ground-plane off known auto offline] [--both-ways]
"""
import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cache_predictions import predictions as cached_predictions  # noqa: E402

from drm_ros.depth_filter import DepthFilter  # noqa: E402
from drm_ros.depth_smoother import smooth_depths  # noqa: E402
from drm_ros.ground.offline import floor_pass  # noqa: E402
from drm_ros.ground.session import GroundDepth  # noqa: E402
from drm_ros.metrics import evaluate  # noqa: E402
from drm_ros.plausibility import joint_jitter_mm  # noqa: E402
from drm_ros.tracking import Tracker  # noqa: E402


def offline(predictions, sequence_of, samples, alpha: float, beta: float, both_ways: bool):
    """Per clip: tracker on DRM's depth, the offline floor pass, then the filter or the smoother."""
    out = []
    for start, n in clips(sequence_of):
        cams = [s.camera for s in samples[start:start + n]]
        tracker = Tracker()
        floor = floor_pass([tracker.update(p, c) for p, c in zip(predictions[start:start + n], cams)], cams).poses
        if both_ways:
            out += smooth_depths(floor, cams, alpha, beta)
        else:
            depth_filter = DepthFilter(alpha, beta)
            out += [depth_filter.update(p, c) for p, c in zip(floor, cams)]
    return out


def filtered(predictions, sequence_of, samples, alpha: float, beta: float, ground_plane: str = "off",
             both_ways: bool = False):
    if ground_plane == "offline":
        return offline(predictions, sequence_of, samples, alpha, beta, both_ways)
    if both_ways:
        out = []
        for start, n in clips(sequence_of):
            cams = [s.camera for s in samples[start:start + n]]
            plain = filtered(predictions[start:start + n], sequence_of[start:start + n], samples[start:start + n], 1.0, 0.0,
                             ground_plane)
            out += smooth_depths(plain, cams, alpha, beta)
        return out
    out, tracker, depth_filter, ground, last = [], None, None, None, None
    for poses, seq, sample in zip(predictions, sequence_of, samples):
        if seq != last:  # a new clip: new camera, new people, new floor
            tracker, depth_filter, ground, last = Tracker(), DepthFilter(alpha, beta), GroundDepth(ground_plane), seq
        poses = ground.apply(poses, sample.camera, sample.ground).poses
        out.append(depth_filter.update(tracker.update(poses, sample.camera), sample.camera))
    return out


def clip_ids(samples) -> list:
    """The clip of each frame: its people's `sequence`; a frame without people belongs to the
    clip before it unless its camera changed (each clip has its own camera)."""
    out, last, camera = [], -1, None
    for s in samples:
        seq = s.meta[0].get("sequence", -1) if s.meta else (last if s.camera == camera else f"camera after {last}")
        out.append(seq)
        last, camera = seq, s.camera
    return out


def clips(sequence_of):
    """(start, length) of each run of frames of one clip."""
    runs, start = [], 0
    for i in range(1, len(sequence_of) + 1):
        if i == len(sequence_of) or sequence_of[i] != sequence_of[start]:
            runs.append((start, i - start))
            start = i
    return runs


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="data/synth_seq")
    ap.add_argument("--ground-plane", choices=("off", "known", "auto", "offline"), nargs="+", default=["off"])
    ap.add_argument("--both-ways", action="store_true", help="also the forward-backward smoother at each gain")
    args = ap.parse_args()
    samples, predictions = cached_predictions(args.data)  # the shipped model's poses, computed once
    sequence_of = clip_ids(samples)
    print(f"{args.data}: {len(samples)} frames in {len(clips(sequence_of))} clips, {sum(s.num_persons for s in samples)} "
          f"labelled people")
    for mode in args.ground_plane:
        print(f"ground plane {mode}:")
        for alpha, beta in ((1.0, 0.0), (0.7, 0.1), (0.5, 0.05), (0.4, 0.05), (0.3, 0.03), (0.2, 0.02), (0.4, 0.0)):
            for both_ways in (False, True) if args.both_ways and alpha < 1 else (False,):
                out = filtered(predictions, sequence_of, samples, alpha, beta, mode, both_ways)
                m = evaluate(out, samples)
                jitter = np.median(np.concatenate([joint_jitter_mm(out[i:i + n]) for i, n in clips(sequence_of)]))
                print(f"  {'both ways' if both_ways else 'filter'} alpha {alpha} beta {beta}: root error {m['root_err_mm']:.0f} mm "
                      f"(median {m['root_err_median_pct']:.2f} %), PCKabs matched {m['pck_abs_matched']:.1f}, AP_root@25 "
                      f"{m['ap_root_25']:.1f}, PCKrel matched {m['pck_rel_matched']:.1f}, jitter median {jitter:.0f} mm")
    return 0


if __name__ == "__main__":
    sys.exit(main())
