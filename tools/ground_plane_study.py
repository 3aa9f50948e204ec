"""Where the ground-plane refinement's numbers come from: DRM's own error terms on a labelled
split, and the metrics of the refinement with the true floor under a few settings.

Works from a `drm eval --ground-plane off --json` result (no network run needed), so settings
can be compared quickly on exactly the same DRM predictions.

    .venv/bin/python tools/ground_plane_study.py --data data/near_test --predictions off.json

Printed: DRM's root depth error (bias, median |err|/Z, robust sigma = 1.4826 MAD), its 2D ankle
error as a fraction of the person's apparent height, its relative ankle depth error (dz), and
then AP_root / PCKabs / median root error per refinement setting with the annotated floor.
"""
import argparse
import json
import sys
from dataclasses import replace

import numpy as np

from drm_ros.data.load import load_any
from drm_ros.ground.refine import ANKLES, RefineSettings, apparent_height_px, refine
from drm_ros.metrics import evaluate, match_persons
from drm_ros.poses import PoseSet
from drm_ros.skeleton import ROOT


def with_oracle(pred: PoseSet, sample, ankles_2d: bool, relative: bool) -> PoseSet:
    """The prediction with parts replaced by ground truth for matched people, to split the
    refinement's remaining error into its sources: the 2D ankles (their rays) and DRM's relative
    depths (dz). The root depth stays DRM's: the refinement has to find it."""
    out = PoseSet(pred.scores, pred.boxes, pred.roots.copy(), pred.joints3d.copy(), pred.joints2d.copy(),
                  pred.joint_scores)
    match = match_persons(pred, sample)
    for p, n in enumerate(match):
        if n < 0 or not np.isfinite(sample.joints3d[p]).all():
            continue
        gt = sample.joints3d[p]
        z = out.joints3d[n, :, 2].copy()
        if relative:
            z = out.roots[n, 2] + gt[:, 2] - gt[ROOT, 2]
            out.joints3d[n] = out.joints3d[n] / out.joints3d[n, :, 2:3] * z[:, None]
        if ankles_2d:
            for j in ANKLES:
                out.joints3d[n, j] = gt[j] / gt[j, 2] * z[j]
                out.joints2d[n, j] = sample.joints2d[p, j]
    return out


def robust(values) -> str:
    v = np.asarray(values)
    mad = 1.4826 * np.median(np.abs(v - np.median(v)))
    return f"median {np.median(v):+.4f}, median |.| {np.median(np.abs(v)):.4f}, robust sigma {mad:.4f} (n={len(v)})"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--predictions", required=True, help="drm eval --json output made with --ground-plane off")
    ap.add_argument("--ankle-heights", default="", help="more assumed ankle heights to try, e.g. 0.08,0.09 (metres)")
    args = ap.parse_args()
    samples = load_any(args.data)
    preds = [PoseSet.from_json_dict(r) for r in json.loads(open(args.predictions).read())["predictions"]]
    if len(preds) != len(samples) or any(s.ground is None for s in samples):
        print("predictions and data disagree, or the data has no 'ground' annotations", file=sys.stderr)
        return 1
    rel_root, px_frac, dz_err = [], [], []
    for pred, s in zip(preds, samples):
        match = match_persons(pred, s)
        height_px = apparent_height_px(pred)
        for p, n in enumerate(match):
            if n < 0:
                continue
            gt = s.joints3d[p]
            rel_root.append((pred.roots[n, 2] - gt[ROOT, 2]) / gt[ROOT, 2])
            for j in ANKLES:
                if pred.joint_scores[n, j] >= 0.3 and s.visible[p, j] > 0:
                    px_frac.append(np.linalg.norm(pred.joints2d[n, j] - s.joints2d[p, j]) / max(height_px[n], 1.0))
                    dz_err.append((pred.joints3d[n, j, 2] - pred.roots[n, 2]) - (gt[j, 2] - gt[ROOT, 2]))
    print(f"DRM root depth error / Z: {robust(rel_root)}")
    print(f"2D ankle error / apparent height (score >= 0.3, visible): {robust(px_frac)}")
    print(f"ankle relative depth (dz) error, m: {robust(dz_err)}")
    base = RefineSettings()
    mad = lambda v: float(1.4826 * np.median(np.abs(np.asarray(v) - np.median(v))))  # noqa: E731
    # the model's own error spreads as just measured (the defaults were measured on an older model)
    measured = replace(base, relative_depth_sigma_m=round(mad(dz_err), 3), drm_sigma_frac=round(mad(rel_root), 3))
    variants = [("DRM alone (off)", None), ("default", base), ("gate k=2", replace(base, gate_k=2.0)),
                ("gate k=3", replace(base, gate_k=3.0)), ("no gate", replace(base, gate_k=1e9)),
                ("ankle 0.06 m", replace(base, ankle_height_m=0.06)), ("ankle 0.10 m", replace(base, ankle_height_m=0.10)),
                ("plane only (no fusion)", replace(base, drm_sigma_frac=1e3)),
                (f"measured sigmas (dz {measured.relative_depth_sigma_m} m, DRM {measured.drm_sigma_frac})", measured),
                *[(f"ankle {h} m", replace(base, ankle_height_m=float(h))) for h in args.ankle_heights.split(",") if h],
                *[(f"  + measured sigmas, ankle {h} m", replace(measured, ankle_height_m=float(h)))
                  for h in args.ankle_heights.split(",") if h],
                ("a plane 0.3 m too high", "wrong"),
                ("oracle 2D ankles", ("oracle", True, False, base)), ("oracle dz", ("oracle", False, True, base)),
                ("oracle 2D ankles + dz", ("oracle", True, True, base)),
                # the geometry's own ceiling: true 2D and dz, the joint centre's height (no detector
                # offset), feet trusted over DRM: what remains is feet off the floor and ankle height spread
                ("  same, 0.08 m, feet+dz only", ("oracle", True, True, replace(
                    base, ankle_height_m=0.08, drm_sigma_frac=1e3, relative_depth_sigma_m=0.01, upright_offset_sigma_m=1e3)))]
    print(f"\n{'setting':<44} {'AP_root@25':>10} {'PCKabs m.':>9} {'PCKrel m.':>9} {'root med %':>10} "
          f"{'root mm':>8} {'refined':>7} {'gated':>6} {'no feet':>7}")
    for name, setting in variants:
        counts = {"refined": 0, "gated": 0, "no_feet": 0}
        out = []
        for pred, s in zip(preds, samples):
            if setting is None:
                out.append(pred)
                continue
            plane, st = s.ground, setting
            if setting == "wrong":
                plane, st = replace(plane, height=plane.height + 0.3), base
            if isinstance(setting, tuple):
                pred, st = with_oracle(pred, s, setting[1], setting[2]), setting[3]
            r = refine(pred, plane, s.camera, st)
            out.append(r.poses)
            for k in counts:
                counts[k] += r.counts[k]
        m = evaluate(out, samples)
        print(f"{name:<44} {m['ap_root_25']:>10.1f} {m['pck_abs_matched']:>9.1f} {m['pck_rel_matched']:>9.1f} "
              f"{m['root_err_median_pct']:>10.2f} {m['root_err_mm']:>8.0f} {counts['refined']:>7} {counts['gated']:>6} "
              f"{counts['no_feet']:>7}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
