"""Where the 3D error of a model comes from, on a labelled dataset folder: 3D joints rebuilt from
(predicted or true 2D) x (predicted or true depth), root-relative error over the 12 scored joints.
"pred 2D" is the 2D the model publishes (the 2D branch's); "refined 2D" the projection of its 3D
joints (the lifter's shift of them, which the 3D is lifted from).

    .venv/bin/python tools/error_decomposition.py [--data data/synth_test] [--num 100] [--model PATH]

Matching: each ground-truth person takes the prediction whose 2D pelvis is nearest, if within
20 % of its box height. Prints medians in mm and PCK@150mm (relative) for each combination.
"""
import argparse
import sys

import numpy as np
import torch

from drm_ros.data.load import load_any
from drm_ros.imageio import read_rgb
from drm_ros.inference import PoseEstimator
from drm_ros.skeleton import EVAL_JOINTS, ROOT

J = list(EVAL_JOINTS)


def rel_error(X, gt):
    """Per-joint error (m) after aligning both at their hip midpoint (= pelvis)."""
    a = X - 0.5 * (X[11] + X[12])
    b = gt - 0.5 * (gt[11] + gt[12])
    return np.linalg.norm(a - b, axis=-1)[J]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="data/synth_test")
    ap.add_argument("--num", type=int, default=100)
    ap.add_argument("--model", default=None)
    ap.add_argument("--input-size", default=None)
    args = ap.parse_args()
    torch.set_num_threads(2)
    size = tuple(int(v) for v in args.input_size.split("x")) if args.input_size else None
    est = PoseEstimator.from_file(args.model, input_size=size)
    rows = {k: [] for k in ("pred 2D + pred depth (the model)", "pred 2D + true depth", "refined 2D + true depth",
                            "true 2D + pred depth", "true 2D + true depth (sanity)")}
    root_rel = []
    for s in load_any(args.data)[: args.num]:
        p = est.estimate(read_rgb(s.image_path), s.camera)
        for g in range(s.num_persons):
            if len(p) == 0:
                break
            d = np.linalg.norm(p.joints2d[:, ROOT] - s.joints2d[g, ROOT], axis=1)
            k = int(d.argmin())
            if d[k] > 0.2 * max(s.boxes[g, 3] - s.boxes[g, 1], 20):
                continue
            gt = s.joints3d[g, :17]
            z_true = gt[:, 2]
            z_pred = p.joints3d[k, :17, 2] - p.roots[k, 2] + s.joints3d[g, ROOT, 2]  # predicted relative depth, true root
            rows["pred 2D + pred depth (the model)"].append(rel_error(p.joints3d[k, :17], gt))
            rows["pred 2D + true depth"].append(rel_error(s.camera.backproject(p.joints2d[k, :17], z_true), gt))
            # the 2D the model lifts its 3D from (its depth head's shift of the 2D branch's joints)
            refined = s.camera.project(p.joints3d[k, :17])
            rows["refined 2D + true depth"].append(rel_error(s.camera.backproject(refined, z_true), gt))
            rows["true 2D + pred depth"].append(rel_error(s.camera.backproject(s.joints2d[g, :17], z_pred), gt))
            rows["true 2D + true depth (sanity)"].append(rel_error(s.camera.backproject(s.joints2d[g, :17], z_true), gt))
            root_rel.append(abs(p.roots[k, 2] - s.joints3d[g, ROOT, 2]) / s.joints3d[g, ROOT, 2])
    print(f"{args.data}: {args.num} images, {len(root_rel)} matched people, input {est.input_size[0]}x{est.input_size[1]}")
    print(f"{'3D joints from':<36} | {'median mm':>9} | {'mean mm':>8} | PCKrel@150")
    for k, v in rows.items():
        e = np.concatenate(v) * 1000
        print(f"{k:<36} | {np.median(e):9.0f} | {np.mean(e):8.0f} | {100 * np.mean(e < 150):6.1f} %")
    print(f"root depth |error| / depth: median {100 * np.median(root_rel):.1f} %, mean {100 * np.mean(root_rel):.1f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
