"""Where the root error of a wide fisheye seen through perspective views comes from (issue 16).

Runs the default estimator (as `drm eval` does: exposure gamma) over a fisheye set through the
views of one or more view plans (passes.plan_views' keywords), keeping every view's people apart
before they are merged, and the pinhole twin of the same scenes once. Prints per plan:

  * per 20-degree band of the true root's angle off axis and per view that found the person
    (after the merge): people found, mean / median root error, median depth bias Z_pred/Z_true - 1,
    and the same for the pinhole twin; how many of the people found are small, and how many the
    twin does not find, with their root error;
  * on the people two views both found (before the merge): the root error of each view's
    reading, and of the reading each merge rule keeps;
  * per rule of which reading of a person seen by two views to keep (MERGE_RULES): drm eval's
    metrics over all people and over the people the twin also sees, and the mean root error on
    the people both the views and the twin found.

    tools/fisheye_view_roots.py --fisheye data/fe16000 --pinhole data/fe16000_pinhole --plans default "sides 192x256 (before)"

Network outputs are cached per plan and set in --cache (pickles), so merge rules cost no rerun.
"""
from __future__ import annotations

import argparse
import pickle
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from fisheye_depth import BANDS, found_by_both, same_people  # noqa: E402

from drm_ros.cli.infer import make_estimator  # noqa: E402
from drm_ros.data.load import load_any  # noqa: E402
from drm_ros.exposure import normalise_exposure  # noqa: E402
from drm_ros.imageio import read_rgb  # noqa: E402
from drm_ros.metrics import evaluate, has_3d_label, match_persons  # noqa: E402
from drm_ros.passes import _clear_of_edges, concat, estimate_view, merge_views, plan_views  # noqa: E402
from drm_ros.skeleton import ROOT  # noqa: E402

# name -> plan_views keywords
PLANS = {
    "sides 192x256 (before)": dict(side_input=(192, 256)),
    "default": dict(),
    "nopitch 192x256": dict(side_pitch=0.0, side_input=(192, 256)),
    # the depth-scale check: the same views letterboxed into 384x288 (padded left and right)
    "sides 192x256 letterboxed": dict(side_input=(192, 256), letterboxed=True),
    "letterboxed": dict(letterboxed=True),
    "nopitch": dict(side_pitch=0.0),
    "pitch 20": dict(side_pitch=20.0),
    "sides 35": dict(side_half_fov=35.0),
    "sides 224x320": dict(side_input=(224, 320)),
    "sides 288x384": dict(side_input=(288, 384)),
    "sides 384x288 h40": dict(side_input=(384, 288), side_half_fov=40.0),
    "sides 25 288x384": dict(side_half_fov=25.0, side_input=(288, 384)),
}

# Of one person seen by two views, keep the reading that is ... (passes.merge_views' priority)
MERGE_RULES = ("score", "central", "bigger", "centre", "owned")
RULE_HELP = {
    "score": "best scored (passes.merge_views, the default)",
    "central": "nearest its own view's centre",
    "bigger": "drawn tallest in its own view (pixels)",
    "centre": "the centre view's",
    "owned": "the centre view's, and side views' people inside the centre view's middle dropped",
}
OWNED_EDGE = 0.75  # rule "owned": a side view's person this deep inside the centre view is the centre view's


def view_edge_distance(view, roots: np.ndarray) -> np.ndarray:
    """(N,) where roots (N, 3) in the real camera's frame sit in a view's image: 0 at its centre,
    1 on its border (the larger of the horizontal and vertical fraction); inf behind it."""
    xyz = view.to_view_points(roots)
    cam = view.camera
    with np.errstate(divide="ignore", invalid="ignore"):
        u = cam.fx * xyz[:, 0] / xyz[:, 2]
        v = cam.fy * xyz[:, 1] / xyz[:, 2]
        d = np.maximum(np.abs(u) / (cam.width / 2), np.abs(v) / (cam.height / 2))
    return np.where(xyz[:, 2] > 0, d, np.inf)


def view_height_px(view, poses) -> np.ndarray:
    """(N,) how tall each person (3D joints in the real camera's frame) is drawn in a view, in pixels."""
    if not len(poses):
        return np.zeros(0)
    uv = view.camera.project(view.to_view_points(poses.joints3d.reshape(-1, 3))).reshape(len(poses), -1, 2)
    return np.ptp(uv[..., 1], axis=1)


def merge_by_rule(views, sets, rule: str):
    """passes.merge_views with the reading kept by `rule`: (PoseSet, index of the view of each)."""
    if rule == "owned":  # views[0] is the centre view (plan_views)
        sets = [s if k == 0 or not len(s) else s.select(view_edge_distance(views[0], s.roots) >= OWNED_EDGE)
                for k, s in enumerate(sets)]
    priority = None
    if rule != "score" and len(concat(sets)):
        if rule == "central":
            priority = -np.concatenate([view_edge_distance(v, s.roots) for v, s in zip(views, sets)])
        elif rule == "bigger":
            priority = np.concatenate([view_height_px(v, s) for v, s in zip(views, sets)])
        else:  # the centre view first, then by score
            priority = np.concatenate([s.scores - 10.0 * (k > 0) for k, s in enumerate(sets)])
    return merge_views(sets, priority=priority, with_source=True)


def letterboxed_view(estimator, image, camera, view):
    """passes.estimate_view, but the view's image letterboxed into the estimator's own input size
    (as training letterboxed every image into it) instead of run unpadded at the view's size."""
    found = estimator.estimate(view.render(image, camera), view.camera)
    found = found.select(_clear_of_edges(found, view.camera.width, view.camera.height, view.inner_edges(camera)))
    return view.poses_to_camera(found, camera)


def run_views(estimator, samples, plan: dict, cache: Path | None):
    """Per scene: (views, [PoseSet per view, in the real camera's frame])."""
    if cache is not None and cache.exists():
        return pickle.loads(cache.read_bytes())
    out = []
    for i, s in enumerate(samples):
        image = normalise_exposure(read_rgb(s.image_path), "gamma")
        keywords = {k: v for k, v in plan.items() if k != "letterboxed"}
        views = plan_views(s.camera, estimator.input_size, **keywords)
        run = letterboxed_view if plan.get("letterboxed") else estimate_view
        out.append((views, [run(estimator, image, s.camera, v) for v in views]))
        print(f"\r{i + 1}/{len(samples)}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_bytes(pickle.dumps(out))
    return out


def view_name(view) -> str:
    yaw = view.yaw_deg
    return "centre" if abs(yaw) < 1e-6 else "side"


def angle_deg(xyz: np.ndarray) -> float:
    return float(np.degrees(np.arccos(xyz[2] / np.linalg.norm(xyz))))


def band_of(angle: float) -> int:
    return int(np.clip(np.searchsorted(BANDS, angle, side="right") - 1, 0, len(BANDS) - 2))


def fmt_errors(err: list, bias: list) -> str:
    if not err:
        return f"{0:>4} {'-':>6} {'-':>6} {'-':>7}"
    return f"{len(err):>4} {np.mean(err):>6.0f} {np.median(err):>6.0f} {100 * np.median(bias):>+6.1f}%"


def per_band_table(fish, merged_sources, twin, twin_preds) -> None:
    """Root error by band and by the view that found the person (after the merge), and the twin."""
    cells = {}  # (band, who) -> (errors mm, depth biases)
    for s, (poses, source) in zip(fish, merged_sources):
        match = match_persons(poses, s)
        for p in np.flatnonzero(has_3d_label(s)):
            n = match[p]
            if n < 0:
                continue
            gt = s.joints3d[p, ROOT]
            e, b = cells.setdefault((band_of(angle_deg(gt)), source[n]), ([], []))
            e.append(1000 * np.linalg.norm(poses.roots[n] - gt))
            b.append(poses.roots[n][2] / gt[2] - 1)
    for s, pred in zip(twin, twin_preds):
        match = match_persons(pred, s)
        for p in np.flatnonzero(has_3d_label(s)):
            if match[p] >= 0:
                gt = s.joints3d[p, ROOT]
                e, b = cells.setdefault((band_of(angle_deg(gt)), "twin"), ([], []))
                e.append(1000 * np.linalg.norm(pred.roots[match[p]] - gt))
                b.append(pred.roots[match[p]][2] / gt[2] - 1)
    print(f"{'band':>9} | {'found by centre view: n mean median bias':>33} | {'side view':>26} | {'pinhole twin':>26}")
    for k, (lo, hi) in enumerate(zip(BANDS[:-1], BANDS[1:])):
        cols = [fmt_errors(*cells.get((k, who), ([], []))) for who in ("centre", "side", "twin")]
        print(f"{lo:>3}-{hi:<2}deg | {cols[0]:>33} | {cols[1]:>26} | {cols[2]:>26}")
    for who in ("centre", "side", "twin"):
        e = sum((cells.get((k, who), ([], []))[0] for k in range(len(BANDS) - 1)), [])
        b = sum((cells.get((k, who), ([], []))[1] for k in range(len(BANDS) - 1)), [])
        print(f"  all bands, {who}: {fmt_errors(e, b)}")


SMALL_PX = 60  # a person this short in the image (true box height) is small


def by_size(fish, merged_poses, twin, twin_preds) -> None:
    """Who is found: people found with a true box under SMALL_PX tall, and their mean root error."""
    for name, samples, preds in (("views", fish, merged_poses), ("twin", twin, twin_preds)):
        small, other = [], []
        for s, pred in zip(samples, preds):
            match = match_persons(pred, s)
            for p in np.flatnonzero(has_3d_label(s) & (match >= 0)):
                e = 1000 * np.linalg.norm(pred.roots[match[p]] - s.joints3d[p, ROOT])
                (small if s.boxes[p, 3] - s.boxes[p, 1] < SMALL_PX else other).append(e)
        print(f"  {name}: found {len(small) + len(other)}, {len(small)} of them under {SMALL_PX} px tall (mean root "
              f"error {np.mean(small) if small else float('nan'):.0f} mm), the others {np.mean(other):.0f} mm")


def found_only_by_views(fish, merged_poses, twin, twin_preds) -> None:
    """The views' people split into those the twin finds too and the rest (the twin misses them, or
    cannot see them): count and mean root error of each."""
    both, only = [], []
    for fs, fp, ps, pp in zip(fish, merged_poses, twin, twin_preds):
        m_fish, m_twin = match_persons(fp, fs), match_persons(pp, ps)
        found_twin = ps.joints3d[m_twin >= 0, ROOT] if len(ps.joints3d) else np.zeros((0, 3))
        for p in np.flatnonzero(has_3d_label(fs) & (m_fish >= 0)):
            gt = fs.joints3d[p, ROOT]
            e = 1000 * np.linalg.norm(fp.roots[m_fish[p]] - gt)
            (both if len(found_twin) and np.any(np.linalg.norm(found_twin - gt, axis=1) < 1e-3) else only).append(e)
    print(f"  views: {len(both)} people the twin finds too (mean root error {np.mean(both):.0f} mm), {len(only)} it "
          f"does not ({np.mean(only) if only else float('nan'):.0f} mm)")


def duplicates_table(fish, runs) -> None:
    """People found by two views (each view's people matched to GT on their own): each reading's root error."""
    rows = []  # (band, err centre, err side, edge centre, edge side, score centre, score side)
    for s, (views, sets) in zip(fish, runs):
        matches = [match_persons(p, s) for p in sets]
        for p in np.flatnonzero(has_3d_label(s)):
            gt = s.joints3d[p, ROOT]
            seen = [(v, sets[k], matches[k][p]) for k, v in enumerate(views) if matches[k][p] >= 0]
            c = [x for x in seen if view_name(x[0]) == "centre"]
            d = [x for x in seen if view_name(x[0]) == "side"]
            if c and d:
                (vc, pc, nc), (vd, pd, nd) = c[0], d[0]
                rows.append((band_of(angle_deg(gt)), 1000 * np.linalg.norm(pc.roots[nc] - gt),
                             1000 * np.linalg.norm(pd.roots[nd] - gt), edge(vc, pc.roots[nc]), edge(vd, pd.roots[nd]),
                             pc.scores[nc], pd.scores[nd]))
    if not rows:
        print("no person found by both the centre and a side view")
        return
    r = np.array(rows)
    print(f"{len(r)} people found by the centre and a side view: root error mean (median) mm")
    for k, (lo, hi) in enumerate(zip(BANDS[:-1], BANDS[1:])):
        b = r[r[:, 0] == k]
        if len(b):
            pick_edge = np.where(b[:, 3] <= b[:, 4], b[:, 1], b[:, 2])
            pick_score = np.where(b[:, 5] >= b[:, 6], b[:, 1], b[:, 2])
            print(f"  {lo:>2}-{hi:<2} deg: n {len(b):>3} | centre view {b[:, 1].mean():4.0f} ({np.median(b[:, 1]):4.0f}) | "
                  f"side view {b[:, 2].mean():4.0f} ({np.median(b[:, 2]):4.0f}) | higher score {pick_score.mean():4.0f} | "
                  f"nearer its view's centre {pick_edge.mean():4.0f} | centre view scored higher {100 * np.mean(b[:, 5] >= b[:, 6]):3.0f} %")


def edge(view, root: np.ndarray) -> float:
    return float(view_edge_distance(view, root[None])[0])


def merged(runs, rule: str):
    out = []
    for views, sets in runs:
        poses, source = merge_by_rule(views, sets, rule)
        out.append((poses, [view_name(views[k]) for k in source]))
    return out


def metrics_line(name, m, same) -> str:
    return (f"{name:36s} | {m['num_pred_persons']:>4}/{m['num_matched']:<4} | {m['pck_rel']:4.1f}/{m['pck_rel_matched']:4.1f} "
            f"| {m['pck_abs']:4.1f}/{m['pck_abs_matched']:4.1f} | {m['ap_root_25']:4.1f} | {m['mpjpe_rel_mm']:4.0f} "
            f"| {m['root_err_mm']:4.0f} |" + ("" if same is None else
            f" {same['pck_rel']:4.1f}/{same['pck_rel_matched']:4.1f} | {same['pck_abs']:4.1f}/{same['pck_abs_matched']:4.1f} "
            f"| {same['ap_root_25']:4.1f} | {same['root_err_mm']:4.0f}"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fisheye", type=Path, required=True)
    parser.add_argument("--pinhole", type=Path, required=True)
    parser.add_argument("--plans", nargs="*", default=["default"], choices=list(PLANS))
    parser.add_argument("--rules", nargs="*", default=list(MERGE_RULES), choices=list(MERGE_RULES),
                        help="; ".join(f"{k}: {v}" for k, v in RULE_HELP.items()))
    parser.add_argument("--cache", type=Path, default=None, help="folder for the network outputs (reused)")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--detail", action="store_true", help="per-band and duplicate tables for every plan")
    args = parser.parse_args()
    fish, twin = load_any(args.fisheye)[:args.limit], load_any(args.pinhole)[:args.limit]
    estimator = make_estimator(None, None, 0.2, "auto", 2)
    tag = f"{args.fisheye.name}_{len(fish)}"
    cache = (lambda name: args.cache / f"{tag}_{name.replace(' ', '_')}.pkl") if args.cache else (lambda name: None)
    twin_preds = _twin(estimator, twin, cache("twin"))
    print(f"# {len(fish)} scenes of {args.fisheye} and their pinhole twins {args.pinhole}; backend {estimator.backend}, "
          f"{estimator.input_size[0]}x{estimator.input_size[1]}")
    print("# metrics: pred/matched | PCKrel all/matched | PCKabs all/matched | AP_root@25cm | MPJPE | root error | "
          "same people (only those the twin also sees): PCKrel | PCKabs | AP_root | root error | "
          "both found N: mean root error on the N people found by both the views and the twin, views vs twin")
    tm = evaluate(twin_preds, twin)
    print(metrics_line("pinhole twin", tm, None))
    for name in args.plans:
        runs = run_views(estimator, fish, PLANS[name], cache(name))
        for rule in args.rules:
            m = merged(runs, rule)
            preds = [p for p, _ in m]
            s2, p2 = same_people(fish, preds, twin)
            e_twin, e_fish = found_by_both(fish, preds, twin, twin_preds)
            print(metrics_line(f"{name}, merge {rule}", evaluate(preds, fish), evaluate(p2, s2))
                  + f" | both found {len(e_twin)}: {1000 * e_fish.mean():4.0f} vs {1000 * e_twin.mean():4.0f}", flush=True)
            if args.detail or (name == args.plans[0] and rule == args.rules[0]):
                print(f"\n## {name}, merge {rule}: root error by band and by the view that found the person")
                per_band_table(fish, [(p, src) for p, src in m], twin, twin_preds)
                by_size(fish, preds, twin, twin_preds)
                found_only_by_views(fish, preds, twin, twin_preds)
                print()
        if args.detail or name == args.plans[0]:
            print(f"## {name}: people found by two views, before the merge")
            duplicates_table(fish, runs)
            print()
    return 0


def _twin(estimator, samples, cache: Path | None):
    if cache is not None and cache.exists():
        return pickle.loads(cache.read_bytes())
    preds = [estimator.estimate(normalise_exposure(read_rgb(s.image_path), "gamma"), s.camera) for s in samples]
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_bytes(pickle.dumps(preds))
    return preds


if __name__ == "__main__":
    sys.exit(main())
