"""Every `drm eval` metric at several person-score thresholds from one run of the network.

Each image goes through `drm eval`'s estimator (one pass, `--exposure`, fisheye views, the dark
threshold) once at the lowest threshold asked for; each threshold then keeps the people scoring
at least itself (on images the exposure step found dark: the lower of it and the dark
threshold, as `drm eval --score-threshold` does). The decode keeps the max_persons highest scores,
so the people kept equal a direct run at that threshold; `--check` runs `drm eval`'s estimator
directly at the given thresholds and compares every metric (model/logs/recall/threshold_sweep_check.log).

False people = predicted people matched to no ground-truth person (num_pred_persons - num_matched;
the matching is one-to-one, drm_ros/metrics.py).

    nice -n 5 .venv/bin/python tools/threshold_sweep.py --data data/near_test \
        --thresholds 0.2,0.17,0.15,0.12,0.1 [--limit N] [--check 0.2,0.1] [--json OUT]
"""
import argparse
import json
import math
import sys

from drm_ros.cli.infer import make_estimator
from drm_ros.data.load import load_any
from drm_ros.evaluation import evaluate_dataset, json_safe
from drm_ros.exposure import DARK_SCORE_THRESHOLD, EXPOSURE_MODES, expose, score_threshold_for
from drm_ros.imageio import read_rgb
from drm_ros.metrics import evaluate
from drm_ros.passes import MultiPassEstimator

COLUMNS = ("found (matched GT)", "false", "PCKrel all / matched", "PCKabs all / matched", "AP_root@25cm",
           "MPJPE (matched)", "root error mean / median (matched)")


def estimator_at(threshold: float, args) -> MultiPassEstimator:
    """`drm eval`'s estimator with its defaults (passes single) at `threshold`."""
    base = make_estimator(args.model, None, threshold, args.backend, args.threads)
    return MultiPassEstimator(base, "single", 0, args.exposure, True, args.dark_threshold)


def same(a, b) -> bool:
    return (a != a and b != b) or math.isclose(a, b, rel_tol=0.0, abs_tol=1e-3)


def row(t: float, m: dict) -> str:
    found = f"{m['num_matched']} / {m['num_gt_persons']} ({100 * m['num_matched'] / m['num_gt_persons']:.1f} %)"
    return (f"| {t:g} | {found} | {m['num_pred_persons'] - m['num_matched']} | {m['pck_rel']:.1f} / "
            f"{m['pck_rel_matched']:.1f} | {m['pck_abs']:.1f} / {m['pck_abs_matched']:.1f} | {m['ap_root_25']:.1f} | "
            f"{m['mpjpe_rel_mm']:.1f} mm | {m['root_err_mm']:.0f} mm / {m['root_err_median_pct']:.2f} % |")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--model", default=None, help="model file (default: the shipped model)")
    ap.add_argument("--thresholds", default="0.2,0.17,0.15,0.12,0.1")
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--exposure", choices=EXPOSURE_MODES, default="gain")
    ap.add_argument("--dark-threshold", type=float, default=DARK_SCORE_THRESHOLD)
    ap.add_argument("--backend", default="auto")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--check", default="", help="thresholds to also run directly and compare")
    ap.add_argument("--json", default=None, help="write the metrics per threshold (no predictions)")
    args = ap.parse_args()
    thresholds = sorted((float(t) for t in args.thresholds.split(",")), reverse=True)
    samples = load_any(args.data)[: args.limit]
    low = estimator_at(min(thresholds), args)
    found, dark = [], []
    for i, s in enumerate(samples):
        image = read_rgb(s.image_path)
        found.append(low.estimate(image, s.camera))
        dark.append(expose(image, args.exposure)[1])
        if (i + 1) % 50 == 0:
            print(f"{i + 1}/{len(samples)} images", file=sys.stderr, flush=True)
    full = sum(len(p) >= low.estimator.max_persons for p in found)
    print(f"{args.data}: {len(samples)} images, {sum(s.num_persons for s in samples)} people, input "
          f"{low.input_size[0]}x{low.input_size[1]}, passes single, exposure {args.exposure} ({sum(dark)} dark "
          f"image(s), read at min(threshold, {args.dark_threshold:g})), backend {low.estimator.backend}; "
          f"{full} image(s) at max_persons at {min(thresholds):g}")
    print("| threshold | " + " | ".join(COLUMNS) + " |")
    print("|---" * (len(COLUMNS) + 1) + "|")
    metrics = {}
    for t in thresholds:
        kept = [p.select(p.scores >= score_threshold_for(t, args.dark_threshold, d)) for p, d in zip(found, dark)]
        metrics[t] = evaluate(kept, samples)
        print(row(t, metrics[t]), flush=True)
    bad = 0
    for t in (float(v) for v in args.check.split(",") if v):
        direct, _ = evaluate_dataset(estimator_at(t, args), samples)
        swept = metrics.get(t) or evaluate([p.select(p.scores >= score_threshold_for(t, args.dark_threshold, d))
                                            for p, d in zip(found, dark)], samples)
        # counts, PCK and AP equal exactly; mm and % errors to 1e-3 (float rounding: the lifter runs over a
        # different number of people, so its sums round differently, ~1e-5 mm)
        diff = {k: (swept[k], v) for k, v in direct.items() if not same(swept[k], v)}
        worst = max((abs(swept[k] - v) for k, v in direct.items() if v == v and swept[k] != v), default=0.0)
        bad += bool(diff)
        print(f"check {t:g}: direct run {'equals the sweep on every metric' if not diff else f'differs: {diff}'}"
              f" (largest difference {worst:.2g})")
        print(row(t, direct) + " (direct)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(json_safe({"data": args.data, "exposure": args.exposure, "dark_threshold": args.dark_threshold,
                                 "backend": low.estimator.backend,
                                 "metrics": {f"{t:g}": m for t, m in metrics.items()}}), f, indent=1)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
