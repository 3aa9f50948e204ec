"""How well can absolute depth be read from a person's apparent size in the 2D branch's OWN joints?

`root_depth_bound.py` bounds size-based depth with perfect 2D. Our model reads the 2D branch's
(MoveNet's) joints, which are noisy. This tool gives an oracle everything but the person's stature
and the 2D: the TRUE relative 3D pose, scaled to the population's median stature, placed (3D root
position, Gauss-Newton, Huber in pixels, weighted by joint score) where it best projects onto the
joints the model published for that person. What it leaves of the absolute metrics bounds any depth
that comes from the size of the 2D skeleton, with an exact relative pose, on these detections:

  * oracle, true 2D:          the same fit on the true 2D (reproduces root_depth_bound.py on them);
  * oracle, model 2D:         stature unknown, the model's 2D;
  * oracle, model 2D, stature known: what the 2D noise alone costs;
  * oracle, refined 2D:       stature unknown, the 2D the model lifts its 3D from (its depth head's
                              shift of the 2D branch's joints: the projection of its 3D joints).

AP_root@25cm here is the share of ALL labelled people found and placed within 25 cm: what AP would
be with a perfect ranking (AP ranks people by their detection score, so a badly placed person scored
above a well placed one costs precision; it cannot exceed its true positives' recall). "The model
itself" is our model's own 3D for the same people, under the same rule; PCKabs@150 and the median root error over the matched people.
Not a bound for cues other than the skeleton's size (a person's outline, the scene, a floor).

    .venv/bin/python tools/size_bound_model_2d.py data/near_test   # DRM's poses from tools/cache_predictions.py
"""
import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cache_predictions import predictions  # noqa: E402

from drm_ros.metrics import match_persons  # noqa: E402
from drm_ros.skeleton import EVAL_JOINTS, ROOT  # noqa: E402

MIN_SCORE = 0.3
HUBER_PX = 8.0


def place(shape: np.ndarray, uv: np.ndarray, w: np.ndarray, camera, start: np.ndarray, huber_px: float) -> np.ndarray:
    """Root position T minimising the Huber cost of project(T + shape) - uv (pixels), weights w."""
    T = start.astype(np.float64).copy()
    for _ in range(30):
        r = (camera.project(T + shape) - uv).ravel()
        J = np.empty((len(r), 3))
        for k in range(3):  # central differences: 3 unknowns
            d = np.zeros(3)
            d[k] = 1e-4 * max(1.0, abs(T[2]))
            J[:, k] = ((camera.project(T + d + shape) - camera.project(T - d + shape)).ravel()) / (2 * d[k])
        a = np.abs(r)
        huber = np.where(a <= huber_px, 1.0, huber_px / np.maximum(a, 1e-9))
        W = np.repeat(w, 2) * huber
        step = np.linalg.lstsq(J * np.sqrt(W)[:, None], -r * np.sqrt(W), rcond=None)[0]
        T += step
        T[2] = max(T[2], 0.1)
        if np.linalg.norm(step) < 1e-6:
            break
    return T


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("--huber-px", type=float, default=HUBER_PX, help="where the fit's loss turns linear")
    ap.add_argument("--min-score", type=float, default=MIN_SCORE, help="joints below this score are not fitted")
    ap.add_argument("--unweighted", action="store_true", help="every fitted joint weighs 1 (not its score)")
    args = ap.parse_args()
    samples, preds = predictions(args.data)
    heights = [m["height_m"] for s in samples for m in s.meta if "height_m" in m]
    h_ref = float(np.median(heights))
    eval_j = list(EVAL_JOINTS)
    rows = {"oracle, true 2D": [], "oracle, model 2D": [], "oracle, model 2D, stature known": [],
            "oracle, refined 2D": [], "the model itself": []}
    num_gt = 0
    for s, p in zip(samples, preds):
        match = match_persons(p, s)
        for g, i in enumerate(match):
            if "height_m" not in s.meta[g] or not np.isfinite(s.joints3d[g, eval_j + [ROOT]]).all():
                continue
            num_gt += 1
            if i < 0:
                continue
            truth = s.joints3d[g, eval_j]
            T = s.joints3d[g, ROOT]
            rel = truth - T
            seen = p.joint_scores[i, eval_j] >= args.min_score
            model_w = seen * (1.0 if args.unweighted else p.joint_scores[i, eval_j])
            if seen.sum() < 4:
                continue
            scale = h_ref / s.meta[g]["height_m"]
            uv_true = s.camera.project(truth)
            for name, sc, uv, w in (("oracle, true 2D", scale, uv_true, np.ones(len(eval_j))),
                                    ("oracle, model 2D", scale, p.joints2d[i, eval_j], model_w),
                                    ("oracle, model 2D, stature known", 1.0, p.joints2d[i, eval_j], model_w),
                                    ("oracle, refined 2D", scale, s.camera.project(p.joints3d[i, eval_j]), model_w)):
                T_hat = place(rel * sc, uv, w, s.camera, T * sc, args.huber_px)
                joints = T_hat + rel * sc
                err = float(np.linalg.norm(T_hat - T))
                rows[name].append((err, err / float(np.linalg.norm(T)),
                                   float(np.mean(np.linalg.norm(joints - truth, axis=1) < 0.15)),
                                   err))
            err = float(np.linalg.norm(p.roots[i] - T))  # the same people as the model published them
            rows["the model itself"].append((err, err / float(np.linalg.norm(T)),
                                             float(np.mean(np.linalg.norm(p.joints3d[i, eval_j] - truth, axis=1) < 0.15)), err))
    print(f"{args.data}: {len(samples)} images, {num_gt} labelled people, {len(rows['oracle, true 2D'])} matched "
          f"with >= 4 scored joints at score >= {args.min_score}; Huber {args.huber_px} px, "
          f"{'unweighted' if args.unweighted else 'weighted by score'}; assumed stature {h_ref:.2f} m (the median)")
    print(f"{'':34s} | AP_root@25 ceiling | PCKabs@150 matched | root error median (of distance) | root position < 25 cm")
    for name, r in rows.items():
        r = np.array(r)
        print(f"{name:34s} | {100 * np.sum(r[:, 3] < 0.25) / num_gt:18.1f} | {100 * r[:, 2].mean():18.1f} | "
              f"{100 * np.median(r[:, 1]):6.2f} % ({1000 * np.median(r[:, 0]):.0f} mm) | {100 * np.mean(r[:, 3] < 0.25):6.1f} % of matched")
    return 0


if __name__ == "__main__":
    sys.exit(main())
