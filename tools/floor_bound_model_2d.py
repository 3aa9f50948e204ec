"""How well can the TRUE floor place people through the 2D branch's OWN ankles? (issue 13's
known-floor targets: AP_root@25cm >= 65, PCKabs matched >= 50, median root error <= 2 %)

`ground_depth_bound.py` bounds the refinement with perfect inputs (the true 2D ankle). Here an
oracle gets everything but the 2D: the exact floor, the TRUE relative 3D pose (so the root sits at
the true offset from the ankle) and the best constant ankle height h0 for this split (swept); the
foot is the lower of the model's confident ankles inside the image, its ray met with the plane
h0 above the floor. Rows, over the model's matched people (tools/cache_predictions.py):

  * floor only: people without a confident ankle in view get the size oracle of
    size_bound_model_2d.py (model 2D, median stature);
  * the last h0 row: each foot at its TRUE height above the floor (which foot stands and how high:
    only the 2D noise of the model's ankle is left);
  * floor + size: both by inverse variance, each variance from its own robust spread of log error
    on these people (an oracle's choice too);
  * size and floor in one fit: the shape (median stature) placed AND scaled to fit all the model's
    2D joints with its standing foot held at its true height above the exact floor;
  * the model itself with the true floor (`drm eval --ground-plane known`'s refinement).

AP_root@25cm: the share of ALL labelled people found and placed within 25 cm (a perfect ranking).

    .venv/bin/python tools/floor_bound_model_2d.py data/near_test
"""
import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cache_predictions import predictions  # noqa: E402
from size_bound_model_2d import place  # noqa: E402

from drm_ros.ground.refine import ANKLES, refine  # noqa: E402
from drm_ros.metrics import match_persons  # noqa: E402
from drm_ros.skeleton import EVAL_JOINTS, ROOT  # noqa: E402

MIN_SCORE = 0.3
HUBER_PX = 1.5  # the size oracle's best fit (model/logs/size_bound/size_bound_model_2d.log)


def place_on_floor(shape, foot, foot_height, uv, w, camera, plane, start):
    """The shape (relative joints at the median stature) at root T and scale k, fitted to the 2D
    (Huber, as `place`) with the standing foot T + k foot held at k * foot_height above the floor
    (a stiff residual): the floor gives the depth, the 2D extent the size. -> (T, joints)."""
    x = np.r_[start, 1.0]
    for _ in range(40):
        def resid(v):
            T, k = v[:3], v[3]
            r2 = (camera.project(T + k * shape) - uv).ravel()
            rf = (plane.heights(T + k * foot) - k * foot_height) / 0.002  # 2 mm: effectively exact
            return r2, np.array([rf])
        r2, rf = resid(x)
        J2, Jf = np.empty((len(r2), 4)), np.empty((1, 4))
        for c in range(4):
            d = np.zeros(4)
            d[c] = 1e-5 * max(1.0, abs(x[c]))
            a2, af = resid(x + d)
            b2, bf = resid(x - d)
            J2[:, c], Jf[:, c] = (a2 - b2) / (2 * d[c]), (af - bf) / (2 * d[c])
        a = np.abs(r2)
        W = np.repeat(w, 2) * np.where(a <= HUBER_PX, 1.0, HUBER_PX / np.maximum(a, 1e-9))
        A = np.vstack([J2 * np.sqrt(W)[:, None], Jf])
        b = np.r_[-r2 * np.sqrt(W), -rf]
        step = np.linalg.lstsq(A, b, rcond=None)[0]
        x += step
        x[2], x[3] = max(x[2], 0.1), max(x[3], 0.3)
        if np.linalg.norm(step) < 1e-7:
            break
    return x[:3], x[:3] + x[3] * shape


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("--h0", type=float, nargs="+", default=[0.05, 0.07, 0.09, 0.11, 0.13])
    args = ap.parse_args()
    samples, preds = predictions(args.data)
    h_ref = float(np.median([m["height_m"] for s in samples for m in s.meta if "height_m" in m]))
    eval_j = list(EVAL_JOINTS)
    people, num_gt = [], 0  # per matched person: truth, size-oracle root, per-h0 floor roots (or None), model+floor root
    for s, p in zip(samples, preds):
        if s.ground is None:
            continue
        known = refine(p, s.ground, s.camera).poses
        for g, i in enumerate(match_persons(p, s)):
            if "height_m" not in s.meta[g] or not np.isfinite(s.joints3d[g]).all():
                continue
            num_gt += 1
            if i < 0:
                continue
            truth, T = s.joints3d[g, eval_j], s.joints3d[g, ROOT]
            seen = p.joint_scores[i, eval_j] >= MIN_SCORE
            if seen.sum() < 4:
                continue
            sc = h_ref / s.meta[g]["height_m"]
            size_root = place((truth - T) * sc, p.joints2d[i, eval_j], p.joint_scores[i, eval_j] * seen, s.camera, T * sc, HUBER_PX)
            feet = [j for j in ANKLES if p.joint_scores[i, j] >= MIN_SCORE
                    and 0 <= p.joints2d[i, j, 0] < s.camera.width and 0 <= p.joints2d[i, j, 1] < s.camera.height]
            floor_roots = None
            if feet:
                j = max(feet, key=lambda k: p.joints2d[i, k, 1])
                ray = s.camera.rays(p.joints2d[i, j])
                ray = ray / ray[2]
                floor_roots = []
                for h0 in list(args.h0) + [float(s.ground.heights(s.joints3d[g, j]))]:  # last: its TRUE height
                    z = float(s.ground.ray_depths(ray, h0))
                    root = z * ray + (T - s.joints3d[g, j]) if np.isfinite(z) else None
                    floor_roots.append(root if root is not None and root[2] > 0.1 else None)
            joint_fit = None
            if feet:
                lower = s.joints3d[g, j] - T  # the standing foot (the model's lower ankle) relative to the root
                joint_fit = place_on_floor((truth - T) * sc, lower * sc, float(s.ground.heights(s.joints3d[g, j])),
                                           p.joints2d[i, eval_j], p.joint_scores[i, eval_j] * seen, s.camera, s.ground, size_root)
            people.append((truth, T, size_root, floor_roots, known.roots[i], known.joints3d[i, eval_j], joint_fit))
    print(f"{args.data}: {num_gt} labelled people, {len(people)} matched with >= 4 scored joints; "
          f"{sum(q[3] is not None for q in people)} with a confident ankle in view")

    def score(roots, joints=None):
        err = np.array([np.linalg.norm(r - q[1]) for r, q in zip(roots, people)])
        if joints is None:  # every joint moves along its own ray with the root's depth (exact relative pose)
            joints = [q[0] * (r[2] / q[1][2]) for r, q in zip(roots, people)]
        pck = np.mean([np.mean(np.linalg.norm(jh - q[0], axis=1) < 0.15) for jh, q in zip(joints, people)])
        rel = err / np.array([np.linalg.norm(q[1]) for q in people])
        return (f"AP_root@25 ceiling {100 * np.sum(err < 0.25) / num_gt:5.1f} | PCKabs matched {100 * pck:5.1f} | "
                f"root median {100 * np.median(rel):5.2f} % | within 2 % {100 * np.mean(rel <= 0.02):5.1f} %")

    size = [q[2] for q in people]
    print(f"size oracle (model 2D, median stature)      | {score(size)}")
    for k, h0 in enumerate(list(args.h0) + ["true"]):
        floor = [q[3][k] if q[3] is not None and q[3][k] is not None else q[2] for q in people]
        # inverse variance in log depth; each sigma from its robust spread on these people (an oracle's choice)
        lf = np.array([np.log(f[2] / q[1][2]) for f, q in zip(floor, people)])
        lf = np.where(np.isfinite(lf), lf, 0.0)
        ls = np.array([np.log(q[2][2] / q[1][2]) for q in people])
        has = np.array([q[3] is not None and q[3][k] is not None for q in people])
        sf, ss = 1.4826 * np.median(np.abs(lf[has] - np.median(lf[has]))), 1.4826 * np.median(np.abs(ls - np.median(ls)))
        w = np.where(has, (1 / sf ** 2) / (1 / sf ** 2 + 1 / ss ** 2), 0.0)
        fused = [s_ * np.exp(wk * np.log(f[2] / s_[2])) for s_, f, wk in zip(size, floor, w)]  # along the size root's ray
        name = f"h0 {h0:.2f} m" if h0 != "true" else "h0 TRUE  "
        print(f"{name}: floor only (size without feet)  | {score(floor)}")
        print(f"{name}: floor + size (sigmas {sf:.3f} / {ss:.3f}) | {score(fused)}")
    roots = [q[6][0] if q[6] is not None else q[2] for q in people]
    joints = [q[6][1] if q[6] is not None else q[0] * (q[2][2] / q[1][2]) for q in people]
    print(f"size and floor in one fit (true foot height)  | {score(roots, joints)}")
    print(f"the model itself, true floor                | {score([q[4] for q in people], [q[5] for q in people])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
