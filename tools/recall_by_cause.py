"""Why people are missed: every ground-truth person of a dataset, found or not, with the first
cause that explains a miss (issue 10 lever 5).

    .venv/bin/python tools/recall_by_cause.py --data data/near_test [--model M] [--input-size 384x288]

"Found" is the `drm eval` rule (MuPoTS 2D matching, metrics.match_persons) at the estimator's
score threshold. A missed person gets the first of these that applies:
  hidden      fewer than 4 of the 12 scored joints visible (occluded or outside the image)
  truncated   a third or more of its 17 joints outside the image
  occluded    half or more of its in-image joints hidden behind someone
  small       under 60 px tall in the network input (EXPERIMENTS.md: detection falls off there)
  threshold   found by the 2D branch, but with a score under the threshold
  nms         its centre lies within the centre NMS window (5x5 cells) of a found person's
  2d-branch   none of the above: visible, large enough, alone, and still not seen
Also: recall by apparent height and by visible joints, and the metrics of the run.
"""
from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict

import numpy as np

from drm_ros.camera import Letterbox
from drm_ros.data.load import load_any
from drm_ros.evaluation import json_safe
from drm_ros.imageio import read_rgb
from drm_ros.inference import PoseEstimator
from drm_ros.metrics import JOINTS, evaluate, match_persons
from drm_ros.skeleton import NUM_COCO_JOINTS

CAUSES = ("hidden", "truncated", "occluded", "small", "threshold", "nms", "2d-branch")


def person_facts(sample, p: int, box: Letterbox) -> dict:
    uv = sample.joints2d[p, :NUM_COCO_JOINTS]
    inside = (uv[:, 0] >= 0) & (uv[:, 0] < sample.camera.width) & (uv[:, 1] >= 0) & (uv[:, 1] < sample.camera.height)
    vis = sample.visible[p, :NUM_COCO_JOINTS] > 0
    height_net = float(np.ptp(uv[:, 1])) * box.scale
    return {"visible_eval": int((sample.visible[p, list(JOINTS)] > 0).sum()), "outside": float(1 - inside.mean()),
            "occluded": float(1 - vis[inside].mean()) if inside.any() else 1.0, "height_net_px": height_net,
            "centre_cell": box.to_network(uv[vis].mean(0) if vis.any() else uv.mean(0)) / 4.0}


def cause_of_miss(f: dict, found_low: bool, found_cells: list) -> str:
    if f["visible_eval"] < 4:
        return "hidden"
    if f["outside"] >= 1 / 3:
        return "truncated"
    if f["occluded"] >= 0.5:
        return "occluded"
    if f["height_net_px"] < 60:
        return "small"
    if found_low:
        return "threshold"
    if any(np.abs(f["centre_cell"] - c).max() <= 2 for c in found_cells):
        return "nms"
    return "2d-branch"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--model")
    ap.add_argument("--input-size", default=None, help="WxH (default: the model's)")
    ap.add_argument("--low-threshold", type=float, default=0.05)
    ap.add_argument("--json")
    args = ap.parse_args()
    size = tuple(int(v) for v in args.input_size.split("x")) if args.input_size else None
    est = PoseEstimator.from_file(args.model, input_size=size, score_threshold=args.low_threshold)
    threshold = 0.2
    samples = load_any(args.data)
    predictions, misses, rows = [], Counter(), []
    by_height, by_vis = defaultdict(lambda: [0, 0]), defaultdict(lambda: [0, 0])
    for sample in samples:
        low = est.estimate(read_rgb(sample.image_path), sample.camera)
        high = low.select(np.flatnonzero(low.scores >= threshold))
        predictions.append(high)
        box = Letterbox.fit(sample.camera.width, sample.camera.height, *est.input_size)
        m_high, m_low = match_persons(high, sample), match_persons(low, sample)
        facts = [person_facts(sample, p, box) for p in range(sample.num_persons)]
        found_cells = [facts[p]["centre_cell"] for p in range(sample.num_persons) if m_high[p] >= 0]
        for p, f in enumerate(facts):
            found = bool(m_high[p] >= 0)
            cause = "" if found else cause_of_miss(f, bool(m_low[p] >= 0), found_cells)
            misses[cause] += not found
            hb = int(min(f["height_net_px"] // 30, 8)) * 30
            by_height[hb][0] += found
            by_height[hb][1] += 1
            by_vis[f["visible_eval"]][0] += found
            by_vis[f["visible_eval"]][1] += 1
            rows.append({"found": found, "cause": cause, **{k: v for k, v in f.items() if k != "centre_cell"}})
    total = len(rows)
    found = sum(r["found"] for r in rows)
    print(f"people found: {found}/{total} ({100 * found / max(total, 1):.1f} %) at score >= {threshold}, "
          f"input {est.input_size[0]}x{est.input_size[1]}")
    print("\nmissed, by first cause:\n| cause | people | share of all GT |\n|---|---|---|")
    for c in CAUSES:
        print(f"| {c} | {misses[c]} | {100 * misses[c] / max(total, 1):.1f} % |")
    print("\nrecall by apparent height in the network input:\n| height px | recall | people |\n|---|---|---|")
    for hb in sorted(by_height):
        f_, n = by_height[hb]
        print(f"| {hb}-{hb + 30 if hb < 240 else '...'} | {100 * f_ / n:.1f} % | {n} |")
    print("\nrecall by visible scored joints (of 12):\n| visible | recall | people |\n|---|---|---|")
    for v in sorted(by_vis):
        f_, n = by_vis[v]
        print(f"| {v} | {100 * f_ / n:.1f} % | {n} |")
    scores = json_safe(evaluate(predictions, samples))
    print("\nmetrics: " + json.dumps(scores))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"metrics": scores, "misses": dict(misses), "people": rows}, fh)


if __name__ == "__main__":
    main()
