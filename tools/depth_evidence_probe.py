"""Lever 29 (issue 10): is there relative-depth evidence in MoveNet's deeper features that the
depth head does not get? The image head reads the 24-channel stride-4 FPN output (root feature,
PDQM); the backbone's deeper maps (block 12, 144 channels at stride 16; the last 1x1, 1280
channels at stride 32) hold more of what the image shows (which way a person faces, which limb is
in front). A probe answers it before any network change: per person, the shipped model's
remaining dz error (true minus predicted, the 17 joints, metres) is regressed by a small MLP from
  (a) the lifter's own input (2D joints, scores: what the model already lifts from),
  (b) (a) + the stride-4 FPN features at the 17 joints (what PDQM samples),
  (c) (b) + block 12's features at the 17 joints + the stride-32 features at the root,
trained on renders the model never saw (robot range, training motions, a new seed: the model's own
training renders carry a smaller, fitted residual) and scored on the robot-range test split
(held-out motions) as PCKrel matched with the corrected dz.

    drm synth --config config/synth/train_near.yaml --out data/near_probe --num 1500 --seed 12345
    .venv/bin/python tools/depth_evidence_probe.py --train data/near_probe --test data/near_test
"""
import argparse
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from drm_ros.data.load import load_any
from drm_ros.imageio import read_rgb
from drm_ros.inference import PoseEstimator
from drm_ros.skeleton import EVAL_JOINTS, ROOT

J = list(EVAL_JOINTS)


def sample(fmap, uv_net, stride):
    """Bilinear samples (N, C) of a (1, C, h, w) map at network pixels (N, 2)."""
    h, w = fmap.shape[-2:]
    g = torch.as_tensor(uv_net, dtype=torch.float32)
    gx = (g[:, 0] + 0.5) / (stride * w) * 2 - 1
    gy = (g[:, 1] + 0.5) / (stride * h) * 2 - 1
    out = F.grid_sample(fmap, torch.stack([gx, gy], -1)[None, None], align_corners=False)
    return out[0, :, 0].T


def collect(est, samples, limit):
    rows = []
    for s in samples[:limit]:
        image = read_rgb(s.image_path)
        p = est.estimate(image, s.camera)
        if len(p) == 0:
            continue
        x, box = est.preprocess(image, s.camera)
        with torch.no_grad():
            fpn, kept, last = est.net.backbone.forward_maps(x.contiguous(), blocks=(12,))
            deep = kept[12]
        for g in range(s.num_persons):
            d = np.linalg.norm(p.joints2d[:, ROOT] - s.joints2d[g, ROOT], axis=1)
            k = int(d.argmin())
            if d[k] > 0.2 * max(s.boxes[g, 3] - s.boxes[g, 1], 20) or not np.isfinite(s.joints3d[g, :17]).all():
                continue
            uv = box.to_network(p.joints2d[k, :17])
            root = 0.5 * (uv[11] + uv[12])
            spread = max(float(np.ptp(uv, axis=0).max()), 8.0)
            pose = np.concatenate([((uv - root) / spread).ravel(), p.joint_scores[k, :17]])
            dz_pred = p.joints3d[k, :17, 2] - p.roots[k, 2]
            dz_true = s.joints3d[g, :17, 2] - s.joints3d[g, ROOT, 2]
            rows.append({
                "a": pose.astype(np.float32),
                "b": sample(fpn, uv, 4).reshape(-1).numpy(),
                "c": np.concatenate([sample(deep, uv, 16).reshape(-1).numpy(), sample(last, root[None], 32).reshape(-1).numpy()]),
                "resid": (dz_true - dz_pred).astype(np.float32),
                "pred3d": p.joints3d[k, :17].copy(), "root": p.roots[k].copy(), "gt3d": s.joints3d[g, :17].copy(),
            })
    return rows


def pck_rel(rows, correction=None):
    errs = []
    for i, r in enumerate(rows):
        x = r["pred3d"].copy()
        if correction is not None:
            z_new = x[:, 2] + correction[i]
            x = x * (z_new / x[:, 2])[:, None]  # along each joint's own ray
        a = x - 0.5 * (x[11] + x[12])
        b = r["gt3d"] - 0.5 * (r["gt3d"][11] + r["gt3d"][12])
        errs.append(np.linalg.norm(a - b, axis=-1)[J])
    e = np.concatenate(errs)
    return 100 * np.mean(e < 0.15), 1000 * np.mean(e)


def fit_probe(train, test, keys, epochs, seed=0):
    torch.manual_seed(seed)
    xtr = torch.as_tensor(np.stack([np.concatenate([r[k] for k in keys]) for r in train]))
    xte = torch.as_tensor(np.stack([np.concatenate([r[k] for k in keys]) for r in test]))
    mu, sd = xtr.mean(0), xtr.std(0) + 1e-3
    xtr, xte = (xtr - mu) / sd, (xte - mu) / sd
    ytr = torch.as_tensor(np.stack([r["resid"] for r in train]))
    net = nn.Sequential(nn.Dropout(0.2), nn.Linear(xtr.shape[1], 256), nn.ReLU(), nn.Dropout(0.2), nn.Linear(256, 256),
                        nn.ReLU(), nn.Linear(256, 17))
    opt = torch.optim.AdamW(net.parameters(), 1e-3, weight_decay=1e-2)
    for _ in range(epochs):
        perm = torch.randperm(len(xtr))
        for s in range(0, len(xtr), 128):
            idx = perm[s:s + 128]
            loss = (net(xtr[idx]) - ytr[idx]).abs().mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
    net.eval()
    with torch.no_grad():
        return net(xte).numpy(), float((net(xtr) - ytr).abs().mean())


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", nargs="+", default=["data/near_probe"])
    ap.add_argument("--test", default="data/near_test")
    ap.add_argument("--num-train", type=int, default=1500, help="images per training split")
    ap.add_argument("--num-test", type=int, default=500)
    ap.add_argument("--epochs", type=int, default=30)
    args = ap.parse_args()
    torch.set_num_threads(2)
    est = PoseEstimator.from_file(compiled=False)
    t0 = time.time()
    train = [r for path in args.train for r in collect(est, load_any(path), args.num_train)]
    test = collect(est, load_any(args.test), args.num_test)
    print(f"probe: {len(train)} people of {' + '.join(args.train)} (train), {len(test)} of {args.test} (test), "
          f"features collected in {time.time() - t0:.0f} s; dims a {len(train[0]['a'])}, b {len(train[0]['b'])}, "
          f"c {len(train[0]['c'])}")
    base = pck_rel(test)
    print(f"the shipped model:         PCKrel matched {base[0]:.1f} %, mean joint error {base[1]:.0f} mm "
          f"(train split: {pck_rel(train)[0]:.1f} %)")
    print(f"test dz residual, mean |.|: {1000 * np.mean(np.abs(np.stack([r['resid'] for r in test]))):.1f} mm")
    for name, keys in (("(a) 2D pose", ["a"]), ("(b) + stride-4 FPN at joints", ["a", "b"]),
                       ("(c) + deep features", ["a", "b", "c"])):
        for seed in (0, 1):
            corr, train_mae = fit_probe(train, test, keys, args.epochs, seed)
            resid = np.stack([r["resid"] for r in test])
            pck, mean = pck_rel(test, corr)
            print(f"{name:<30} seed {seed}: PCKrel matched {pck:.1f} %, mean joint error {mean:.0f} mm; dz residual "
                  f"test {1000 * np.mean(np.abs(resid - corr)):.1f} mm, train {1000 * train_mae:.1f} mm")
    return 0


if __name__ == "__main__":
    sys.exit(main())
