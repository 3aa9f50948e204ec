"""Does a second look at inference time make the 3D better? (issue 10, session 9)

Three kinds of second look, each against the single pass of the same model on the same images,
with every `drm eval` metric (threshold 0.17):

    flip      the whole model also on the mirrored image (its camera mirrored: cx -> W - 1 - cx);
              people matched by pelvis pixel, 2D and 3D averaged (left and right swapped back).
              The lifter's own flip average (flip_test) is in both rows.
    relook    every person found is seen again through a portrait crop (the zoom pass's crop rule,
              drm_ros/passes.py) and replaced by the crop's reading of them (matched by OKS > 0.5);
              `relook-2d` keeps the first pass's root depth and takes only the crop's shape.
    ensemble  a second model file (--other) on the same image; people matched by pelvis pixel,
              2D averaged, root depth by geometric mean, each shape rescaled to it and averaged.

    .venv/bin/python tools/extra_looks.py --data data/near_test --num 150 --look flip
    .venv/bin/python tools/extra_looks.py --data data/near_test --num 150 --look ensemble --other B.pt
"""
import argparse
import sys
from dataclasses import replace

import numpy as np
import torch

from drm_ros.data.load import load_any
from drm_ros.imageio import read_rgb
from drm_ros.inference import PoseEstimator
from drm_ros.metrics import evaluate
from drm_ros.passes import estimate_crop, oks, plan_zooms
from drm_ros.poses import PoseSet
from drm_ros.skeleton import FLIP_INDEX, NUM_COCO_JOINTS, ROOT

THRESHOLD = 0.17


def nearest_pelvis(p: PoseSet, i: int, q2d: np.ndarray, frac: float) -> int:
    """Index of q's person whose pelvis pixel is within frac x p[i]'s height of p[i]'s, or -1."""
    if not len(q2d):
        return -1
    d = np.linalg.norm(q2d[:, ROOT] - p.joints2d[i, ROOT], axis=1)
    k = int(np.argmin(d))
    return k if d[k] < frac * max(np.ptp(p.joints2d[i, :, 1]), 20.0) else -1


def flip_look(est, image, camera, p: PoseSet) -> PoseSet:
    w = image.shape[1]
    q = est.estimate(np.ascontiguousarray(image[:, ::-1]), replace(camera, cx=w - 1 - camera.cx))
    idx = list(FLIP_INDEX)
    q2d = q.joints2d[:, idx].copy()
    q2d[..., 0] = w - 1 - q2d[..., 0]
    q3d = q.joints3d[:, idx].copy()
    q3d[..., 0] *= -1
    j2d, j3d = p.joints2d.copy(), p.joints3d.copy()
    for i in range(len(p)):
        k = nearest_pelvis(p, i, q2d, 0.2)
        if k >= 0:
            j2d[i], j3d[i] = 0.5 * (p.joints2d[i] + q2d[k]), 0.5 * (p.joints3d[i] + q3d[k])
    return replace(p, joints2d=j2d, joints3d=j3d, roots=j3d[:, ROOT].copy())


def relook(est, image, camera, p: PoseSet, keep_root: bool) -> PoseSet:
    out = {k: getattr(p, k).copy() for k in ("roots", "joints3d", "joints2d", "joint_scores")}
    for i in range(len(p)):
        crops = plan_zooms(p.select(np.array([i])), camera.width, camera.height, est.input_size, 1)
        if not crops:
            continue
        est.score_threshold = 0.05  # the person is known to be there; find them in the crop
        q = estimate_crop(est, image, camera, crops[0])
        est.score_threshold = THRESHOLD
        sim = [oks(p.joints2d[i, :NUM_COCO_JOINTS], p.joint_scores[i, :NUM_COCO_JOINTS],
                   q.joints2d[k, :NUM_COCO_JOINTS], q.joint_scores[k, :NUM_COCO_JOINTS]) for k in range(len(q))]
        if not sim or max(sim) <= 0.5:
            continue
        k = int(np.argmax(sim))
        for key in out:
            out[key][i] = getattr(q, key)[k]
        if keep_root:  # the crop's shape at the first pass's root depth, along the crop's rays
            out["joints3d"][i] *= p.roots[i, 2] / q.roots[k, 2]
            out["roots"][i] = out["joints3d"][i, ROOT]
    return replace(p, **out)


def ensemble(other, image, camera, p: PoseSet) -> PoseSet:
    q = other.estimate(image, camera)
    j2d, j3d = p.joints2d.copy(), p.joints3d.copy()
    for i in range(len(p)):
        k = nearest_pelvis(p, i, q.joints2d, 0.1)
        if k >= 0:
            za, zb = p.roots[i, 2], q.roots[k, 2]
            z = np.sqrt(za * zb)
            j2d[i] = 0.5 * (p.joints2d[i] + q.joints2d[k])
            j3d[i] = 0.5 * (p.joints3d[i] * (z / za) + q.joints3d[k] * (z / zb))
    return replace(p, joints2d=j2d, joints3d=j3d, roots=j3d[:, ROOT].copy())


def line(name: str, m: dict) -> str:
    return (f"| {name} | {m['num_matched']} | {m['pck_rel_matched']:.1f} | {m['pck_abs_matched']:.1f} | {m['ap_root_25']:.1f} | "
            f"{m['mpjpe_rel_mm']:.1f} mm | {m['root_err_mm']:.0f} mm / {m['root_err_median_pct']:.2f} % |")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="data/near_test")
    ap.add_argument("--num", type=int, default=150)
    ap.add_argument("--model", default=None, help="default: the shipped model")
    ap.add_argument("--look", choices=("flip", "relook", "ensemble"), required=True)
    ap.add_argument("--other", help="the second model file (--look ensemble)")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    if args.look == "ensemble" and not args.other:
        ap.error("--look ensemble needs --other MODEL")
    torch.set_num_threads(args.threads)
    samples = load_any(args.data)[: args.num]
    est = PoseEstimator.from_file(args.model, score_threshold=THRESHOLD, backend="openvino", threads=args.threads)
    other = PoseEstimator.from_file(args.other, score_threshold=THRESHOLD, backend="openvino",
                                    threads=args.threads) if args.other else None
    rows = {"single pass": []}
    for s in samples:
        image = read_rgb(s.image_path)
        p = est.estimate(image, s.camera)
        rows["single pass"].append(p)
        if args.look == "flip":
            rows.setdefault("flip: 2D and 3D averaged", []).append(flip_look(est, image, s.camera, p))
        elif args.look == "relook":
            rows.setdefault("relook: the crop's person", []).append(relook(est, image, s.camera, p, False))
            rows.setdefault("relook-2d: the crop's shape, first root", []).append(relook(est, image, s.camera, p, True))
        else:
            rows.setdefault(f"ensemble with {args.other}", []).append(ensemble(other, image, s.camera, p))
            rows.setdefault("the other model alone", []).append(other.estimate(image, s.camera))
    print(f"{args.data}: first {len(samples)} images, threshold {THRESHOLD}, model {args.model or 'shipped'}")
    print("| look | matched | PCKrel matched | PCKabs matched | AP_root@25cm | MPJPE | root error mean / median |")
    print("|---|---|---|---|---|---|---|")
    for name, preds in rows.items():
        print(line(name, evaluate(preds, samples)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
