"""The matched metrics of several `drm eval --json` runs over the SAME labelled people.

A run that finds more people (a lower threshold, a zoom pass) adds the harder ones, so its matched
averages fall even when no one already found got worse. This scores every run only on the people
every run matched (`drm eval`'s one-to-one matching, drm_ros/metrics.py), so a loss here is a real
loss on people the runs share. Predictions are read back from the JSON (`drm eval --json`).

    .venv/bin/python tools/same_people.py --data data/near_test_v1 single.json zoom.json
"""
import argparse
import json
import sys
from pathlib import Path

import numpy as np

from drm_ros.data.load import load_any
from drm_ros.metrics import evaluate, match_persons
from drm_ros.poses import PoseSet

KEYS = (("pck_rel_matched", "PCKrel", "%"), ("pck_abs_matched", "PCKabs", "%"), ("mpjpe_rel_mm", "MPJPE", "mm"),
        ("root_err_mm", "root error", "mm"), ("root_err_median_pct", "root median", "%"))


def read_run(path: str, samples: list) -> list[PoseSet]:
    by_name = {Path(r["image"]).name: PoseSet.from_json_dict(r) for r in json.loads(Path(path).read_text())["predictions"]}
    missing = [s.image_path for s in samples if Path(s.image_path).name not in by_name]
    if missing:
        raise SystemExit(f"{path}: no prediction for {len(missing)} images, e.g. {missing[0]}")
    return [by_name[Path(s.image_path).name] for s in samples]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("runs", nargs="+", help="drm eval --json files with predictions, on --data")
    args = ap.parse_args()
    samples = load_any(args.data)
    runs = [read_run(path, samples) for path in args.runs]
    matches = [[match_persons(pred, s) for pred, s in zip(run, samples)] for run in runs]
    shared = [np.logical_and.reduce([m[i] >= 0 for m in matches]) for i in range(len(samples))]
    print(f"{args.data}: {sum(int(s.sum()) for s in shared)} labelled people matched by every run "
          f"(of {sum(s.num_persons for s in samples)}; per run: "
          + ", ".join(str(sum(int((m >= 0).sum()) for m in ms)) for ms in matches) + ")")
    print("| run | " + " | ".join(name for _, name, _ in KEYS) + " |")
    print("|---" * (len(KEYS) + 1) + "|")
    for path, run, ms in zip(args.runs, runs, matches):
        kept = [pred.select(np.sort(m[keep])) for pred, m, keep in zip(run, ms, shared)]
        scores = evaluate(kept, samples)
        print(f"| {path} | " + " | ".join(f"{scores[k]:.2f} {unit}" for k, _, unit in KEYS) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
