"""Losses of DRM: focal loss on heatmaps, L1 on offsets, and DAPL on absolute 3D joints.

DAPL, the Decoupled Absolute Pose Loss (INFERRED formula, DRM_NOTES.md): the paper supervises
the ABSOLUTE 3D pose in camera coordinates and says the loss is "decoupled" so that absolute
root depth and root-relative depth both improve. We build camera-frame joints by scaling each
joint's ground-truth viewing ray (x/z, y/z, 1) by a depth, and take two L1 terms in metres:

  L_root = | ray_j * (Ẑ_root + dz_j)   - X_j |   only the root depth is predicted
  L_rel  = | ray_j * (Z_root  + d̂z_j)  - X_j |   only the relative depths are predicted

so each factor gets a clean gradient that does not depend on the other's current error, while
both are measured where it matters (absolute camera coordinates: a depth error also moves x and
y along the ray, more so for off-axis people). Rays come from the ground truth 3D (exact under
lens distortion); the 2D branch is supervised separately. `plain_depth_l1` is the ablation's
alternative: L1 on Z_root and on dz, in metres.
"""
from __future__ import annotations

from functools import partial

import torch
import torch.nn.functional as F


def focal_loss(pred_logits: torch.Tensor, target: torch.Tensor, alpha: float = 2.0, beta: float = 4.0) -> torch.Tensor:
    """CenterNet's penalty-reduced focal loss on heatmaps; target in [0, 1] with peaks == 1.
    Normalised by the number of peaks (at least 1)."""
    p = torch.sigmoid(pred_logits).clamp(1e-6, 1 - 1e-6)
    pos = target.ge(1 - 1e-6).float()
    pos_loss = -torch.log(p) * (1 - p) ** alpha * pos
    neg_loss = -torch.log(1 - p) * p**alpha * (1 - target) ** beta * (1 - pos)
    return (pos_loss.sum() + neg_loss.sum()) / pos.sum().clamp(min=1)


def masked_l1(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean absolute error over the entries where mask (broadcast to pred's shape) is 1."""
    mask = mask.expand_as(pred).float()
    return (F.l1_loss(pred, target, reduction="none") * mask).sum() / mask.sum().clamp(min=1)


def root_depth_from_log(log_depth: torch.Tensor, f_net: torch.Tensor) -> torch.Tensor:
    """Z_root in metres from the network's log(Z / f_net)."""
    return torch.exp(log_depth) * f_net


def dapl(z_root_pred: torch.Tensor, dz_pred: torch.Tensor, joints_gt: torch.Tensor, root_index: int,
         mask: torch.Tensor, relative: bool = False) -> dict[str, torch.Tensor]:
    """Decoupled absolute pose loss.

    z_root_pred (N,), dz_pred (N, J') for the first J' joints; joints_gt (N, J, 3) camera frame (m)
    with the root at `root_index`; mask (N, J') weights. Returns the two terms and their sum.
    `relative`: each person's errors divided by its true root depth (an experiment: in metres,
    far people, whose depth no model gets within 25 cm, dominate the gradient).
    """
    jn = dz_pred.shape[-1]
    gt = joints_gt[:, :jn]
    z_gt = gt[..., 2]
    z_root_gt = joints_gt[:, root_index, 2]
    ray = gt / z_gt[..., None]  # (x/z, y/z, 1) per joint
    dz_gt = z_gt - z_root_gt[:, None]
    root_only = ray * (z_root_pred[:, None] + dz_gt)[..., None]
    rel_only = ray * (z_root_gt[:, None] + dz_pred)[..., None]
    m = mask[..., None]
    if relative:
        scale = 1.0 / z_root_gt.clamp(min=0.1)[:, None, None]
        root_only, rel_only, gt = root_only * scale, rel_only * scale, gt * scale
    l_root = masked_l1(root_only, gt, m)
    l_rel = masked_l1(rel_only, gt, m)
    return {"root": l_root, "rel": l_rel, "total": l_root + l_rel}


def lift_2d_loss(lift_joints: torch.Tensor, joints_gt_net: torch.Tensor, joints3d_gt: torch.Tensor, f_net: torch.Tensor,
                 mask: torch.Tensor) -> torch.Tensor:
    """L1 (metres) of the 2D joints the 3D is lifted from (network.DepthHead with a refining
    lifter): their pixel error times the joint's true depth over the focal length, i.e. the
    sideways 3D error they cause at the right depth. (N, J', 2) px, (N, J', 2) px, (N, J, 3), (N,),
    (N, J')."""
    jn = lift_joints.shape[1]
    metres = joints3d_gt[:, :jn, 2:3] / f_net[:, None, None]
    return masked_l1(lift_joints * metres, joints_gt_net[:, :jn] * metres, mask[..., None])


def plain_depth_l1(z_root_pred: torch.Tensor, dz_pred: torch.Tensor, joints_gt: torch.Tensor, root_index: int,
                   mask: torch.Tensor) -> dict[str, torch.Tensor]:
    """The ablation baseline: L1 on root depth and on relative depths, metres."""
    jn = dz_pred.shape[-1]
    z_root_gt = joints_gt[:, root_index, 2]
    dz_gt = joints_gt[:, :jn, 2] - z_root_gt[:, None]
    l_root = F.l1_loss(z_root_pred, z_root_gt)
    l_rel = masked_l1(dz_pred, dz_gt, mask)
    return {"root": l_root, "rel": l_rel, "total": l_root + l_rel}


DEPTH_LOSSES = {"dapl": dapl, "dapl_relative": partial(dapl, relative=True), "l1": plain_depth_l1}
