"""What seeing a wide fisheye through perspective views costs, with a fixed calibration (issue 16).

A robot's camera keeps its calibration, so the views' remap maps and the network's compiled
shapes are built once; this times what is left. Per scene of a fisheye set: each plan is run once
untimed (maps, shapes), then `--rounds` times interleaved with the other plans (load on the
machine falls on all alike); a plan's time on the scene is its fastest round. Prints per plan the
median over scenes of milliseconds per image and of the ratio to one 384x288 pass on the fisheye
image as it is, with the 10th-90th percentile of that ratio:

    tools/fisheye_view_cost.py --fisheye data/fe16000 --limit 30
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from drm_ros.cli.infer import make_estimator  # noqa: E402
from drm_ros.data.load import load_any  # noqa: E402
from drm_ros.imageio import read_rgb  # noqa: E402
from drm_ros.passes import estimate_view, merge_views, plan_views  # noqa: E402

# name -> plan_views keywords (None: one pass over the fisheye image as it is)
PLANS = {
    "one pass (image as is)": None,
    "views, sides 192x256 (before)": dict(side_input=(192, 256)),
    "views, sides 256x352 (default)": dict(),
}


def run(estimator, image, camera, plan):
    if plan is None:
        return estimator.estimate(image, camera)
    return merge_views([estimate_view(estimator, image, camera, v)
                        for v in plan_views(camera, estimator.input_size, **plan)])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fisheye", type=Path, required=True)
    parser.add_argument("--limit", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    estimator = make_estimator(None, None, 0.2, "auto", args.threads)
    samples = load_any(args.fisheye)[:args.limit]
    ms = {k: [] for k in PLANS}
    for i, s in enumerate(samples):
        image = read_rgb(s.image_path)
        for plan in PLANS.values():
            run(estimator, image, s.camera, plan)  # maps and shapes built: the calibration is fixed from here
        best = {k: np.inf for k in PLANS}
        for _ in range(args.rounds):
            for name, plan in PLANS.items():
                t = time.perf_counter()
                run(estimator, image, s.camera, plan)
                best[name] = min(best[name], 1000 * (time.perf_counter() - t))
        for name in PLANS:
            ms[name].append(best[name])
        print(f"\r{i + 1}/{len(samples)}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    one = np.array(ms["one pass (image as is)"])
    print(f"# {len(samples)} scenes of {args.fisheye}, fixed calibration (maps and shapes built before timing), "
          f"fastest of {args.rounds} interleaved rounds per scene; backend {estimator.backend}, {args.threads} threads")
    print(f"{'plan':32s} | median ms | x one pass: median (p10-p90)")
    for name in PLANS:
        r = np.array(ms[name]) / one
        print(f"{name:32s} | {np.median(ms[name]):9.1f} | {np.median(r):.2f} ({np.percentile(r, 10):.2f}-"
              f"{np.percentile(r, 90):.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
