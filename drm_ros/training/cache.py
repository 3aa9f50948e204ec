"""The frozen-2D feature cache: with MoveNet's backbone and 2D heads frozen (the default), their
outputs never change during training, so they are computed ONCE per image and the depth branch
trains on the cache. This turns hours of CPU backbone passes into minutes, and lets the ablation
runs share one cache.

Per image: the backbone features (fp16). Per ground-truth person with a 3D label: the 2D branch's
own estimate at the person's ground-truth centre cell (joints, joint scores and root, exactly
what inference would produce there), the PDQM queries at those joints (fp16), and the ground
truth (3D, and the true 2D joints: their difference from the estimate is the 2D branch's error,
which the lifter's render-free pretraining draws its 2D noise from, training/lifting.py).

People the 2D branch does not see are left out of depth training (seen.py).

With `freeze: backbone` the 2D heads train too, so only the backbone features are read from the
cache; the per-person part is then unused.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader

from drm_ros.camera import Letterbox
from drm_ros.codec import encode, poses_at
from drm_ros.network import DRMNet
from drm_ros.training.dataset import PoseDataset, collate
from drm_ros.training.seen import seen_by_2d


CACHE_FORMAT = 2  # 2: joint scores and true 2D joints per person


def cache_key(path: str, input_size, min_iou: float, weights: dict) -> str:
    """One dataset's cache is defined by its format, annotation file, the input size, the "seen"
    rule and the frozen weights; any change means a new cache file."""
    ann = Path(path) / "annotations.json"
    stamp = [str(Path(path).resolve()), ann.stat().st_mtime if ann.exists() else 0]
    digest = hashlib.sha1()
    digest.update(json.dumps([CACHE_FORMAT, stamp, list(input_size), min_iou]).encode())
    for k in sorted(weights):
        digest.update(k.encode())
        digest.update(weights[k].float().numpy().tobytes()[:256])
    return digest.hexdigest()[:16]


@torch.inference_mode()
def build_cache(net: DRMNet, samples, input_size, min_iou: float = 0.3, batch_size: int = 16,
                progress=None) -> dict:
    net.eval()
    loader = DataLoader(PoseDataset(samples, input_size), batch_size=batch_size, collate_fn=collate)
    feats, persons = [], {k: [] for k in ("image", "joints", "joint_score", "joints_gt", "root", "queried", "joints3d",
                                           "vis", "f_net")}
    total = seen = 0
    for batch in loader:
        m = net.maps(batch["image"])
        grid = m["center"].shape[-2:]
        t = encode(batch["joints_net"], batch["visible"], batch["person_mask"], tuple(grid))
        heat = torch.sigmoid(m["kpt_heatmap"])
        est = poses_at(t.center_cell, m["kpt_regress"], heat, m["kpt_offset"])
        usable = (t.person_mask > 0) & batch["has3d"]
        keep = usable & seen_by_2d(est, t, m["center"], batch["joints_net"], min_iou)
        total += int(usable.sum())
        seen += int(keep.sum())
        queried = net.query(m, est["joints"])
        base = sum(f.shape[0] for f in feats)
        feats.append(m["features"].half())
        bi, pi = keep.nonzero(as_tuple=True)
        persons["image"].append(bi + base)
        persons["joints"].append(est["joints"][bi, pi])
        persons["joint_score"].append(est["joint_score"][bi, pi].half())
        persons["joints_gt"].append(batch["joints_net"][bi, pi, : est["joints"].shape[2]])
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


def _load_or_build_one(net: DRMNet, samples, path: str, input_size, cache_dir: Path, min_iou: float,
                       log, progress) -> dict:
    weights = {k: v for k, v in net.state_dict().items() if k.startswith(("backbone.", "heads."))}
    file = Path(cache_dir) / f"cache_{cache_key(path, input_size, min_iou, weights)}.pt"
    if file.is_file():
        log(f"feature cache of {path}: {file}")
        return with_cameras(torch.load(file, weights_only=True), samples, input_size)
    log(f"feature cache of {path}: building {file} ({len(samples)} images)")
    cache = build_cache(net, samples, input_size, min_iou, progress=progress)
    file.parent.mkdir(parents=True, exist_ok=True)
    torch.save(cache, file.with_suffix(".tmp"))
    file.with_suffix(".tmp").replace(file)  # never a half-written cache for the next run to load
    s = cache["stats"]
    log(f"feature cache of {path}: {s['persons_seen']}/{s['persons_3d']} labelled people seen by the 2D branch "
        f"({100 * s['persons_seen'] / max(1, s['persons_3d']):.1f} %)")
    return with_cameras(cache, samples, input_size)


def with_cameras(cache: dict, samples, input_size) -> dict:
    """Each cached person's network intrinsics (camera_net: fx, fy, cx, cy), from the samples'
    calibrations: cheap, so derived on load rather than stored (caches built before the lifter's
    ray input stay valid)."""
    per_image = torch.tensor(np.array([Letterbox.fit(s.camera.width, s.camera.height, *input_size)
                                       .network_intrinsics(s.camera) for s in samples]), dtype=torch.float32)
    return {**cache, "camera_net": per_image.reshape(-1, 4)[cache["image"]]}


def load_or_build(net: DRMNet, datasets: list[tuple[str, list]], input_size, cache_dir: Path, min_iou: float,
                  log=print, progress=None) -> dict:
    """One cache file per dataset folder (adding a dataset to a config only computes that one),
    joined in the given order: image indices follow the concatenated sample list."""
    parts = [_load_or_build_one(net, samples, path, input_size, cache_dir, min_iou, log, progress)
             for path, samples in datasets]
    offsets = np.cumsum([0] + [p["features"].shape[0] for p in parts])
    cache = {k: torch.cat([p[k] + (int(o) if k == "image" else 0) for p, o in zip(parts, offsets)])
             for k in parts[0] if k != "stats"}
    cache["stats"] = {k: sum(p["stats"][k] for p in parts) for k in parts[0]["stats"]}
    return cache


def person_batches(cache: dict, image_ids: np.ndarray):
    """Indices of the cached people belonging to the given images."""
    wanted = torch.zeros(cache["features"].shape[0], dtype=torch.bool)
    wanted[torch.as_tensor(image_ids)] = True
    return wanted[cache["image"]].nonzero(as_tuple=True)[0]
