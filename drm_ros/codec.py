"""The DRM codec: training targets (encode) and inference decoding (decode), in one place.

Representation (DRM's decoupled one, on the stride-4 output grid of the network input):
  * a person-CENTRE heatmap; at the centre cell, per-joint offsets to the 17 COCO joints
    (the 2D pose is regressed from the centre);
  * per-joint heatmaps plus sub-cell offsets, used to refine the regressed joints;
  * the ROOT (pelvis = hip midpoint) is where depth is read: log(Z_root / f_net) and the
    per-joint root-relative depths dz_j = Z_j - Z_root (metres). These are per-person values
    produced by the depth head at the root (network.py); the codec turns them into 3D.

Grid convention (matches MoveNet's training so its heads decode unchanged): a network-input
pixel u (pixel centres at integers) has the continuous grid coordinate g = (u + 0.5) / STRIDE;
cell i covers [i, i + 1). Offsets are stored as (y, x) pairs per joint, joint-major, as MoveNet
lays out its kpt_regress / kpt_offset channels. Regressed joint = centre cell index + offset.

Everything here is batched tensor code (torch), so decoding runs inside TorchScript; only the
last step, lifting to 3D with the camera of the ORIGINAL image, is numpy (`lift_to_3d`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from drm_ros.camera import Camera, Letterbox
from drm_ros.poses import PoseSet
from drm_ros.skeleton import LEFT_HIP, NUM_COCO_JOINTS, NUM_JOINTS, RIGHT_HIP, ROOT, add_pelvis
from drm_ros.uncertainty import drm_distance_sigma

STRIDE = 4
J2D = NUM_COCO_JOINTS  # joints the 2D branch predicts; the pelvis is derived from the hips


def net_to_grid(uv: torch.Tensor) -> torch.Tensor:
    """Network-input pixels (..., 2) as (u, v) -> continuous grid coordinates (..., 2) as (x, y)."""
    return (uv + 0.5) / STRIDE


def grid_to_net(g: torch.Tensor) -> torch.Tensor:
    return g * STRIDE - 0.5


def _yx_to_xy(t: torch.Tensor) -> torch.Tensor:
    """(..., 2*J2D) channels laid out (y0, x0, y1, x1, ...) -> (..., J2D, 2) as (x, y)."""
    return t.reshape(t.shape[:-1] + (J2D, 2)).flip(-1)


# --------------------------------------------------------------------------- encode
@dataclass
class Targets:
    """Training targets for one batch (B images, up to P people each; P padded, `person_mask`)."""

    center: torch.Tensor  # (B, 1, H, W) gaussian peaks in [0, 1]
    kpt_heatmap: torch.Tensor  # (B, J2D, H, W)
    kpt_regress: torch.Tensor  # (B, P, J2D, 2) grid offsets (x, y) from the centre cell
    kpt_offset: torch.Tensor  # (B, P, J2D, 2) sub-cell offsets (x, y) of each joint
    center_cell: torch.Tensor  # (B, P, 2) long, (x, y)
    joint_cell: torch.Tensor  # (B, P, J2D, 2) long
    joint_mask: torch.Tensor  # (B, P, J2D) 1 = visible and inside the grid
    person_mask: torch.Tensor  # (B, P)


def gaussian_sigma(box_wh_grid: torch.Tensor) -> torch.Tensor:
    """Heatmap spread from the person's size in grid cells (INFERRED: CenterNet-like, 1/8 of the
    box's geometric mean size, at least one cell)."""
    return (box_wh_grid.clamp(min=1).prod(-1).sqrt() / 8).clamp(min=1.0)


def _splat(cells_xy: torch.Tensor, sigma: torch.Tensor, mask: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """Max of unit gaussians centred on integer cells. cells (..., N, 2), sigma/mask (..., N) -> (..., H, W)."""
    ys = torch.arange(h, dtype=torch.float32).view(h, 1)
    xs = torch.arange(w, dtype=torch.float32).view(1, w)
    cx = cells_xy[..., 0].float()[..., None, None]
    cy = cells_xy[..., 1].float()[..., None, None]
    s2 = (2 * sigma**2)[..., None, None]
    # separable: N (H + W) exponentials instead of N H W (training encodes every batch)
    g = torch.exp(-((xs - cx) ** 2) / s2) * (torch.exp(-((ys - cy) ** 2) / s2) * mask[..., None, None])
    return g.amax(dim=-3) if g.shape[-3] > 0 else torch.zeros(g.shape[:-3] + (h, w))


def encode(joints_net: torch.Tensor, visible: torch.Tensor, person_mask: torch.Tensor, grid_hw: tuple[int, int]) -> Targets:
    """2D targets from ground-truth joints in network-input pixels.

    joints_net (B, P, J, 2) with J = NUM_JOINTS (COCO + pelvis) or NUM_COCO_JOINTS; visible (B, P, J);
    person_mask (B, P). The centre is the centre of the visible keypoints' box (DRM's 2D centre).
    """
    h, w = grid_hw
    g = net_to_grid(joints_net[..., :J2D, :])
    vis = visible[..., :J2D].float() * person_mask[..., None].float()
    inside = (g[..., 0] >= 0) & (g[..., 0] < w) & (g[..., 1] >= 0) & (g[..., 1] < h)
    jmask = vis * inside.float()
    big = torch.finfo(torch.float32).max
    lo = torch.where(jmask[..., None] > 0, g, torch.full_like(g, big)).amin(-2)
    hi = torch.where(jmask[..., None] > 0, g, torch.full_like(g, -big)).amax(-2)
    has = jmask.sum(-1) > 0
    pmask = person_mask.float() * has.float()
    centre = torch.where(has[..., None], (lo + hi) / 2, torch.zeros_like(lo))
    centre_cell = centre.floor().long()
    centre_cell[..., 0].clamp_(0, w - 1)
    centre_cell[..., 1].clamp_(0, h - 1)
    sigma = gaussian_sigma(torch.where(has[..., None], hi - lo, torch.ones_like(lo)))
    joint_cell = g.floor().long()
    joint_cell[..., 0].clamp_(0, w - 1)
    joint_cell[..., 1].clamp_(0, h - 1)
    center = _splat(centre_cell, sigma, pmask, h, w).unsqueeze(1)
    # joint heatmaps: one channel per joint, max over people
    jt = joint_cell.transpose(1, 2)  # (B, J2D, P, 2)
    # Joint heatmaps stay sharp (sigma <= 2 cells) whatever the person's size: the refinement's
    # argmax must land on the joint's own cell, whose sub-cell offset is the one trained.
    joint_sigma = sigma.clamp(max=2.0)[:, None, :].expand(jt.shape[:-1])
    kpt_heatmap = _splat(jt, joint_sigma, jmask.transpose(1, 2), h, w)
    return Targets(
        center=center,
        kpt_heatmap=kpt_heatmap,
        kpt_regress=(g - centre_cell[..., None, :].float()) * jmask[..., None],
        kpt_offset=(g - g.floor()) * jmask[..., None],
        center_cell=centre_cell,
        joint_cell=joint_cell,
        joint_mask=jmask,
        person_mask=pmask,
    )


def render_maps(t: Targets) -> dict[str, torch.Tensor]:
    """Dense head-shaped maps from targets (offsets written at their cells), as a perfect network
    would output them (heatmaps as probabilities). Used by tests and for visualising targets."""
    b, _, h, w = t.center.shape
    regress = torch.zeros(b, 2 * J2D, h, w)
    offset = torch.zeros(b, 2 * J2D, h, w)
    for bi in range(b):
        for p in range(t.person_mask.shape[1]):
            if t.person_mask[bi, p] <= 0:
                continue
            cx, cy = t.center_cell[bi, p].tolist()
            regress[bi, :, cy, cx] = t.kpt_regress[bi, p].flip(-1).reshape(-1)
            for j in range(J2D):
                if t.joint_mask[bi, p, j] > 0:
                    jx, jy = t.joint_cell[bi, p, j].tolist()
                    offset[bi, 2 * j : 2 * j + 2, jy, jx] = t.kpt_offset[bi, p, j].flip(-1)
    return {"center": t.center, "kpt_heatmap": t.kpt_heatmap, "kpt_regress": regress, "kpt_offset": offset}


# --------------------------------------------------------------------------- decode
def gather_cells(maps: torch.Tensor, cells_xy: torch.Tensor) -> torch.Tensor:
    """maps (B, C, H, W), integer cells (B, N, 2) -> (B, N, C)."""
    b, c, h, w = maps.shape
    idx = (cells_xy[..., 1] * w + cells_xy[..., 0]).clamp(0, h * w - 1)
    return maps.flatten(2).gather(2, idx[:, None, :].expand(b, c, idx.shape[1])).transpose(1, 2)


def decode_2d(center: torch.Tensor, kpt_regress: torch.Tensor, kpt_heatmap: torch.Tensor,
              kpt_offset: torch.Tensor, k: int, min_score: float | None = None) -> dict[str, torch.Tensor]:
    """Centre NMS + top-K, then `poses_at` the K best centre cells.

    Heatmaps are probabilities (sigmoid applied). K slots per image, sorted by score; low-score
    slots are kept so shapes stay fixed for TorchScript (threshold them afterwards).
    `min_score` (eager callers only: the slot count then depends on the data) drops the slots
    whose centre score is below it before the refinement, the decode's main cost (K x 17 full
    heatmap products). Exact for every person scoring >= min_score: a person's score is its
    centre score times a mean of joint scores <= 1, so it never exceeds the centre score.
    """
    b, _, h, w = center.shape
    k = min(k, h * w)
    # NMS: a centre is the maximum of its 5x5 neighbourhood (MoveNet's graph; 3x3 left duplicates)
    peaks = center * (F.max_pool2d(center, 5, stride=1, padding=2) == center).float()
    score, idx = peaks.flatten(1).topk(k, dim=1)
    if min_score is not None:  # topk sorts: the slots that can pass come first
        k = max(1, int((score >= min_score).sum(1).max()))
        score, idx = score[:, :k], idx[:, :k]
    cells = torch.stack([idx % w, idx // w], dim=-1)  # (B, K, 2) x, y
    out = poses_at(cells, kpt_regress, kpt_heatmap, kpt_offset)
    # Person score as MoveNet's graph forms it: centre confidence times the mean of the joint
    # scores above 0.127 (so a hot centre with no limb evidence ranks low).
    js = out["joint_score"]
    confident = (js > 0.127).to(js.dtype)
    out["score"] = score * (js * confident).sum(-1) / confident.sum(-1).clamp(min=1)
    out["center_score"] = score
    return out


def poses_at(cells: torch.Tensor, kpt_regress: torch.Tensor, kpt_heatmap: torch.Tensor, kpt_offset: torch.Tensor,
             refine_min_score: float = 0.05) -> dict[str, torch.Tensor]:
    """The 2D pose regressed from each centre cell (B, N, 2), refined by the joint heatmaps.

    Returns joints (B, N, J2D, 2) in network pixels (u, v), joint_score (B, N, J2D), the regressed
    (unrefined) joints, and root (B, N, 2): the hip midpoint in network pixels, where depth is read.
    Training calls this at the ground-truth centres, so the depth head sees the same 2D
    estimates (and PDQM queries the same positions) as at inference.
    """
    b, n = cells.shape[:2]
    h, w = kpt_heatmap.shape[-2:]
    regressed = cells[:, :, None, :].to(kpt_regress.dtype) + _yx_to_xy(gather_cells(kpt_regress, cells))
    # Refinement: per joint, the heatmap cell that is both hot and close to the regressed position,
    # plus that cell's sub-cell offset. The closeness kernel exp(-d^2 / (0.3 min(H, W))) (d in
    # cells from the cell index to the regressed joint) is the one MoveNet's own graph uses.
    # The kernel is separable: exp(-dx^2/s) * exp(-dy^2/s), so only H + W exponentials per joint.
    s = 0.3 * min(h, w)
    ky = torch.exp(-(torch.arange(h, dtype=kpt_heatmap.dtype) - regressed[..., 1, None]) ** 2 / s)  # (B, N, J, H)
    kx = torch.exp(-(torch.arange(w, dtype=kpt_heatmap.dtype) - regressed[..., 0, None]) ** 2 / s)  # (B, N, J, W)
    best = (kpt_heatmap[:, None] * ky[..., :, None] * kx[..., None, :]).flatten(3).argmax(-1)  # (B, N, J)
    best_xy = torch.stack([best % w, best // w], dim=-1)
    flat = best_xy.reshape(b, n * J2D, 2)
    eye = torch.arange(J2D)
    # each joint reads only its own channels at its own cell
    off = _yx_to_xy(gather_cells(kpt_offset, flat).reshape(b, n, J2D, 2 * J2D))[:, :, eye, eye]
    heat = gather_cells(kpt_heatmap, flat).reshape(b, n, J2D, J2D)[:, :, eye, eye]
    refined = torch.where((heat >= refine_min_score)[..., None], best_xy.to(off.dtype) + off, regressed)
    joints = grid_to_net(refined)
    root = 0.5 * (joints[:, :, LEFT_HIP] + joints[:, :, RIGHT_HIP])
    return {"joints": joints, "joint_score": heat, "regressed": grid_to_net(regressed), "root": root}


def lift_to_3d(joints_net: np.ndarray, joint_score: np.ndarray, score: np.ndarray, log_depth: np.ndarray,
               rel_depth: np.ndarray, letterbox: Letterbox, camera: Camera,
               lift_joints_net: np.ndarray | None = None) -> PoseSet:
    """Per-person 2D joints (N, J2D, 2) in network pixels + depth-head outputs -> metric PoseSet.

    `lift_joints_net`: the 2D the 3D is lifted from when the depth head refines the 2D branch's
    joints (network.DepthHead); the PoseSet's 2D stays the 2D branch's measurement.

    log_depth (N,) = log(Z_root / f_net) with f_net = sqrt(fx*fy) of the network input
    (letterbox scale times the original camera's); rel_depth (N, J2D) = Z_j - Z_root in metres.
    2D joints are mapped back to ORIGINAL image pixels (undoing the letterbox), then undistorted
    and back-projected with the original camera (for a fisheye, the root depth is scaled by
    `Camera.depth_scale` at the root). The pelvis is the 3D midpoint of the hips (as in
    the ground truth), its 2D position the projection of that point.
    """
    n = len(score)
    if n == 0:
        return PoseSet.empty()
    uv = letterbox.to_image(np.asarray(joints_net, dtype=np.float64))
    uv_lift = uv if lift_joints_net is None else letterbox.to_image(np.asarray(lift_joints_net, dtype=np.float64))
    z_root = np.exp(np.asarray(log_depth, dtype=np.float64)) * letterbox.network_focal(camera)
    # The network reads depth from apparent size as if the person stood on the optical axis; a
    # fisheye's magnification changes towards its rim (1 for pinhole and plumb_bob; measured on
    # fisheye scenes in model/logs/fisheye/).
    z_root = z_root * camera.depth_scale(0.5 * (uv_lift[:, LEFT_HIP] + uv_lift[:, RIGHT_HIP]))
    z = z_root[:, None] + np.asarray(rel_depth, dtype=np.float64)
    z = np.maximum(z, 1e-3)  # a joint behind the camera is a failed estimate; keep it finite
    xyz = add_pelvis(camera.backproject(uv_lift, z))
    uv_all = np.concatenate([uv, camera.project(xyz[:, ROOT : ROOT + 1])], axis=1)
    jscore = np.concatenate([joint_score, np.minimum(joint_score[:, LEFT_HIP], joint_score[:, RIGHT_HIP])[:, None]], axis=1)
    boxes = joint_boxes(uv_all, jscore)
    return PoseSet(np.asarray(score, dtype=np.float64), boxes, xyz[:, ROOT].copy(), xyz, uv_all, jscore,
                   root_sigma=drm_distance_sigma(xyz[:, ROOT]))


def joint_boxes(uv: np.ndarray, joint_score: np.ndarray, min_score: float = 0.2, margin: float = 0.1) -> np.ndarray:
    """Person boxes (N, 4) from the confident joints (all joints if none is), with a margin."""
    conf = joint_score >= min_score
    conf[~conf.any(axis=1)] = True
    big = np.where(conf[..., None], uv, np.nan)
    lo, hi = np.nanmin(big, axis=1), np.nanmax(big, axis=1)
    pad = margin * (hi - lo).max(axis=1, keepdims=True)
    return np.concatenate([lo - pad, hi + pad], axis=1)


def depth_targets(joints3d: np.ndarray, f_net: float) -> tuple[np.ndarray, np.ndarray]:
    """Ground truth for the depth head: log(Z_root / f_net) (P,) and dz (P, J2D) in metres."""
    z = joints3d[..., 2]
    return np.log(z[..., ROOT] / f_net), z[..., :J2D] - z[..., ROOT : ROOT + 1]


assert NUM_JOINTS == J2D + 1
