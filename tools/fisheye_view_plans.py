"""Which perspective views to see a wide fisheye through (issue 16; drm_ros/fisheye_views.py).

Runs the default estimator (as `drm eval` does: exposure gamma, the default backend) over a
fisheye set with several view plans (passes.plan_views' keywords), and the pinhole twin of the
same scenes once, and prints per plan: drm eval's metrics on every person, on only the people the
pinhole twin also sees (tools/fisheye_depth.same_people), recall per 20-degree band off axis, and
the median milliseconds per image (plans interleaved image by image, so load on the machine falls
on all of them alike):

    tools/fisheye_view_plans.py --fisheye data/fisheye_test --pinhole data/fisheye_test_pinhole
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from fisheye_depth import BANDS, rows, same_people  # noqa: E402

from drm_ros.cli.infer import make_estimator  # noqa: E402
from drm_ros.data.load import load_any  # noqa: E402
from drm_ros.exposure import normalise_exposure  # noqa: E402
from drm_ros.imageio import read_rgb  # noqa: E402
from drm_ros.metrics import evaluate  # noqa: E402
from drm_ros.passes import estimate_view, merge_views, plan_views  # noqa: E402

# name -> plan_views keywords (None: the fisheye image as it is, one pass); "image+sides" runs
# the image as it is plus the side views instead of a centre view
PLANS = {
    "single (image as is)": None,
    "image+sides 30/p10": dict(centre=False, centre_half_fov=40.0),
    "centre 50, sides 25": dict(centre_half_fov=50.0, side_half_fov=25.0, side_pitch=0.0),
    "centre 50, sides 25 p10": dict(centre_half_fov=50.0, side_half_fov=25.0),
    "centre 40, sides 25 p10": dict(centre_half_fov=40.0, side_half_fov=25.0),
    "centre 40, sides 30 p10 192x256": dict(side_input=(192, 256)),
    "centre 40, sides 30 p10 (default)": dict(),
    "centre 40, sides 25 p10 224x288": dict(centre_half_fov=40.0, side_half_fov=25.0, side_input=(224, 288)),
}


def estimate(estimator, image, camera, plan):
    image = normalise_exposure(image, "gamma")
    if plan is None:
        return estimator.estimate(image, camera)
    found = [] if plan.get("centre", True) else [estimator.estimate(image, camera)]
    return merge_views(found + [estimate_view(estimator, image, camera, v)
                                for v in plan_views(camera, estimator.input_size, **plan)])


def band_recall(samples, predictions) -> list[float]:
    data = rows(samples, predictions)
    out = []
    for lo, hi in zip(BANDS[:-1], BANDS[1:]):
        band = [r for r in data if lo <= r[0] < hi]
        out.append(100.0 * sum(r[2] is not None for r in band) / max(1, len(band)))
    return out


def line(name: str, m: dict, same: dict | None, recall: list[float], ms: float) -> str:
    s = (f"{name:34s} | {m['num_pred_persons']:>4}/{m['num_matched']:<4} | {m['pck_rel']:4.1f}/{m['pck_rel_matched']:4.1f} "
         f"| {m['pck_abs']:4.1f}/{m['pck_abs_matched']:4.1f} | {m['ap_root_25']:4.1f} | {m['mpjpe_rel_mm']:4.0f} "
         f"| {m['root_err_mm']:4.0f} |")
    if same is not None:
        s += (f" {same['pck_rel']:4.1f}/{same['pck_rel_matched']:4.1f} | {same['pck_abs']:4.1f}/"
              f"{same['pck_abs_matched']:4.1f} | {same['ap_root_25']:4.1f} |")
    else:
        s += " " * 31 + "|"
    return s + " " + " ".join(f"{r:3.0f}" for r in recall) + f" | {ms:5.0f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fisheye", type=Path, required=True)
    parser.add_argument("--pinhole", type=Path, required=True)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--plans", nargs="*", default=None, help="only these plan names")
    args = parser.parse_args()
    fish, twin = load_any(args.fisheye)[:args.limit], load_any(args.pinhole)[:args.limit]
    estimator = make_estimator(None, None, 0.2, "auto", 2)
    plans = {k: v for k, v in PLANS.items() if args.plans is None or k in args.plans}
    preds = {k: [] for k in plans}
    ms = {k: [] for k in plans}
    twin_preds, twin_ms = [], []
    for i, (fs, ps) in enumerate(zip(fish, twin)):
        image = read_rgb(fs.image_path)
        for name, plan in plans.items():
            t = time.perf_counter()
            preds[name].append(estimate(estimator, image, fs.camera, plan))
            ms[name].append(1000 * (time.perf_counter() - t))
        t = time.perf_counter()
        twin_preds.append(estimate(estimator, read_rgb(ps.image_path), ps.camera, None))
        twin_ms.append(1000 * (time.perf_counter() - t))
        print(f"\r{i + 1}/{len(fish)} scenes", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    print(f"# {len(fish)} scenes of {args.fisheye} and their pinhole twins {args.pinhole}; backend "
          f"{estimator.backend}, {estimator.input_size[0]}x{estimator.input_size[1]}; plan = centre view half fov / "
          f"side views half fov, pN = side views N degrees down (drm_ros/passes.plan_views)")
    print("# all = every person of the set; same = the fisheye's people the pinhole twin also sees; PCK rel/abs "
          "given as all/matched; recall per band of the true root's angle off axis (0-20, 20-40, 40-60, 60-80 deg); "
          "ms = median per image")
    print(f"{'plan':34s} | pred/matched | PCKrel | PCKabs | AP25 | MPJPE | root |  same: PCKrel | PCKabs | AP25 | "
          f"recall % by band | ms")
    print(line("pinhole twin, single", evaluate(twin_preds, twin), None, band_recall(twin, twin_preds),
               float(np.median(twin_ms))))
    for name in plans:
        s2, p2 = same_people(fish, preds[name], twin)
        print(line(name, evaluate(preds[name], fish), evaluate(p2, s2), band_recall(fish, preds[name]),
                   float(np.median(ms[name]))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
