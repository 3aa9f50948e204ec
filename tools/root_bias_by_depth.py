"""Root depth bias and error by true distance, and by the person's true stature, for `drm eval
--json` files on one dataset (stature: the generator's `height_m`; a size prior reads short people
too far and tall people too near, which the ground plane can undo: issue 13).

Each predicted person is paired with the labelled person whose root ray is nearest (angle only,
so the depth being judged plays no part), at most one prediction per labelled person, best score
first. Used to see where two models differ along the distance (model card, lever 12).

    .venv/bin/python tools/root_bias_by_depth.py --data data/synth_test A.json B.json
"""
import argparse
import sys
from pathlib import Path

import numpy as np

from drm_ros.data.load import load_any
from drm_ros.skeleton import ROOT

BINS = (0, 4, 6, 8, 10, 12, 16)
MAX_RAY_ANGLE = 0.05  # tan of the angle between the two root rays


def root_errors(samples: dict, predictions: list) -> np.ndarray:
    """(true depth, predicted - true depth, true stature or NaN) per paired person."""
    out = []
    for image in predictions:
        gt, stature = samples.get(image["image"].split("/")[-1], (None, None))
        if gt is None or not len(gt) or not image["persons"]:
            continue
        used = set()
        for person in sorted(image["persons"], key=lambda p: -p["score"]):
            r = np.asarray(person["root"], dtype=float)
            angle = np.linalg.norm(gt[:, :2] / gt[:, 2:] - r[:2] / r[2], axis=1)
            k = int(np.argmin(angle))
            if angle[k] < MAX_RAY_ANGLE and k not in used:
                used.add(k)
                out.append((gt[k, 2], r[2] - gt[k, 2], stature[k]))
    return np.array(out).reshape(-1, 3)


def main() -> int:
    import json

    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("predictions", nargs="+", help="drm eval --json files (with predictions)")
    args = ap.parse_args()
    samples = {Path(s.image_path).name: (np.asarray(s.joints3d)[:, ROOT].reshape(-1, 3),
                                         np.array([m.get("height_m", np.nan) for m in s.meta] if s.meta else
                                                  [np.nan] * s.num_persons, dtype=float))
               for s in load_any(args.data)}
    for path in args.predictions:
        e = root_errors(samples, json.load(open(path))["predictions"])
        print(f"{path}: {len(e)} people paired")
        for lo, hi in zip(BINS, BINS[1:]):
            m = (e[:, 0] >= lo) & (e[:, 0] < hi)
            if m.any():
                rel = e[m, 1] / e[m, 0]
                print(f"  {lo:2d}-{hi:2d} m: {m.sum():4d} people, bias {100 * np.median(rel):+5.1f} %, median |error| "
                      f"{100 * np.median(np.abs(rel)):4.1f} %, within 25 cm {100 * np.mean(np.abs(e[m, 1]) < 0.25):4.1f} %")
        if np.isfinite(e[:, 2]).sum() >= 8:
            edges = np.nanpercentile(e[:, 2], [0, 25, 50, 75, 100])
            for q, (lo, hi) in enumerate(zip(edges, edges[1:])):
                m = (e[:, 2] >= lo) & ((e[:, 2] < hi) | (q == 3))
                rel = e[m, 1] / e[m, 0]
                print(f"  stature {lo:.2f}-{hi:.2f} m: {m.sum():4d} people, bias {100 * np.median(rel):+5.1f} %, median |error| "
                      f"{100 * np.median(np.abs(rel)):4.1f} %, within 25 cm {100 * np.mean(np.abs(e[m, 1]) < 0.25):4.1f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
