"""The frozen-2D feature cache: with MoveNet's backbone and 2D heads frozen (the default), their
outputs never change during training, so they are computed ONCE per image and the depth branch
trains on the cache. This turns hours of CPU backbone passes into minutes, and lets the ablation
runs share one cache.

Per image: the backbone features (fp16). Per ground-truth person with a 3D label: the 2D branch's
own estimate at the person's ground-truth centre cell (joints and root, exactly what inference
would produce there), the PDQM queries at those joints (fp16), and the ground truth.

People the 2D branch does not see are left out of depth training (INFERRED): at inference their
depth is never read, and their junk 2D estimate would only teach the depth head noise. "Seen" =
the box of the estimated joints overlaps the ground-truth box with IoU >= `min_iou` and the
centre heatmap is not silent there.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader

from drm_ros.codec import encode, gather_cells, poses_at
from drm_ros.network import DRMNet
from drm_ros.training.dataset import PoseDataset, collate


def _box_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    lo = torch.maximum(a[..., :2], b[..., :2])
    hi = torch.minimum(a[..., 2:], b[..., 2:])
    inter = (hi - lo).clamp(min=0).prod(-1)
    area = lambda t: (t[..., 2:] - t[..., :2]).clamp(min=0).prod(-1)  # noqa: E731
    return inter / (area(a) + area(b) - inter).clamp(min=1e-6)


def _joint_box(joints: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    big = 1e9
    w = weight[..., None] > 0
    lo = torch.where(w, joints, torch.full_like(joints, big)).amin(-2)
    hi = torch.where(w, joints, torch.full_like(joints, -big)).amax(-2)
    return torch.cat([lo, hi], -1)


def cache_key(paths: list[str], input_size, weights: dict) -> str:
    stamp = []
    for p in paths:
        ann = Path(p) / "annotations.json"
        stamp.append([str(Path(p).resolve()), ann.stat().st_mtime if ann.exists() else 0])
    digest = hashlib.sha1()
    digest.update(json.dumps([stamp, list(input_size)]).encode())
    for k in sorted(weights):  # the frozen weights define the cache too
        digest.update(k.encode())
        digest.update(weights[k].float().numpy().tobytes()[:256])
    return digest.hexdigest()[:16]


@torch.inference_mode()
def build_cache(net: DRMNet, samples, input_size, min_iou: float = 0.3, batch_size: int = 16,
                progress=None) -> dict:
    net.eval()
    loader = DataLoader(PoseDataset(samples, input_size), batch_size=batch_size, collate_fn=collate)
    feats, persons = [], {k: [] for k in ("image", "joints", "root", "queried", "joints3d", "vis", "f_net")}
    total = seen = 0
    for batch in loader:
        m = net.maps(batch["image"])
        grid = m["center"].shape[-2:]
        t = encode(batch["joints_net"], batch["visible"], batch["person_mask"], tuple(grid))
        heat = torch.sigmoid(m["kpt_heatmap"])
        est = poses_at(t.center_cell, m["kpt_regress"], heat, m["kpt_offset"])
        centre_score = torch.sigmoid(gather_cells(m["center"], t.center_cell))[..., 0]
        iou = _box_iou(_joint_box(est["joints"], est["joint_score"] + 1e-3),
                       _joint_box(batch["joints_net"][..., :17, :], t.joint_mask))
        usable = (t.person_mask > 0) & batch["has3d"]
        keep = usable & (iou >= min_iou) & (centre_score > 0.05)
        total += int(usable.sum())
        seen += int(keep.sum())
        queried = net.query(m, est["joints"])
        base = sum(f.shape[0] for f in feats)
        feats.append(m["features"].half())
        bi, pi = keep.nonzero(as_tuple=True)
        persons["image"].append(bi + base)
        persons["joints"].append(est["joints"][bi, pi])
        persons["root"].append(est["root"][bi, pi])
        persons["queried"].append(queried[bi, pi].half())
        persons["joints3d"].append(batch["joints3d"][bi, pi])
        persons["vis"].append(t.joint_mask[bi, pi])
        persons["f_net"].append(batch["f_net"][bi])
        if progress:
            progress(sum(f.shape[0] for f in feats), len(samples))
    cache = {k: torch.cat(v) for k, v in persons.items()}
    cache["features"] = torch.cat(feats)
    cache["stats"] = {"images": len(samples), "persons_3d": total, "persons_seen": seen}
    return cache


def load_or_build(net: DRMNet, samples, paths: list[str], input_size, cache_dir: Path, min_iou: float,
                  log=print, progress=None) -> dict:
    weights = {k: v for k, v in net.state_dict().items() if k.startswith(("backbone.", "heads."))}
    path = Path(cache_dir) / f"cache_{cache_key(paths, input_size, weights)}.pt"
    if path.is_file():
        log(f"feature cache: {path}")
        return torch.load(path, weights_only=True)
    log(f"feature cache: building {path} ({len(samples)} images)")
    cache = build_cache(net, samples, input_size, min_iou, progress=progress)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(cache, path.with_suffix(".tmp"))
    path.with_suffix(".tmp").replace(path)  # never a half-written cache for the next run to load
    s = cache["stats"]
    log(f"feature cache: {s['persons_seen']}/{s['persons_3d']} labelled people seen by the 2D branch "
        f"({100 * s['persons_seen'] / max(1, s['persons_3d']):.1f} %)")
    return cache


def person_batches(cache: dict, image_ids: np.ndarray):
    """Indices of the cached people belonging to the given images."""
    wanted = torch.zeros(cache["features"].shape[0], dtype=torch.bool)
    wanted[torch.as_tensor(image_ids)] = True
    return wanted[cache["image"]].nonzero(as_tuple=True)[0]
