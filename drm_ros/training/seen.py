"""Which labelled people the 2D branch actually sees: only those train the depth branch.

INFERRED (DRM_NOTES.md): at inference depth is only ever read for people the 2D branch found,
and a junk 2D estimate at a person it cannot see would only teach the depth head noise. "Seen"
= the box around the 2D branch's own joint estimate at the person's ground-truth centre cell
overlaps the ground-truth joint box with IoU >= `min_iou`, and the centre heatmap is not silent
there (sigmoid > `min_centre`).
"""
from __future__ import annotations

import torch

from drm_ros.codec import Targets, gather_cells


def box_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """IoU of (..., 4) boxes (x0, y0, x1, y1)."""
    lo = torch.maximum(a[..., :2], b[..., :2])
    hi = torch.minimum(a[..., 2:], b[..., 2:])
    inter = (hi - lo).clamp(min=0).prod(-1)
    area = lambda t: (t[..., 2:] - t[..., :2]).clamp(min=0).prod(-1)  # noqa: E731
    return inter / (area(a) + area(b) - inter).clamp(min=1e-6)


def joint_box(joints: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Box around the joints with weight > 0: (..., J, 2) -> (..., 4)."""
    big = 1e9
    w = weight[..., None] > 0
    lo = torch.where(w, joints, torch.full_like(joints, big)).amin(-2)
    hi = torch.where(w, joints, torch.full_like(joints, -big)).amax(-2)
    return torch.cat([lo, hi], -1)


def seen_by_2d(est: dict, targets: Targets, centre_logits: torch.Tensor, joints_net: torch.Tensor,
               min_iou: float, min_centre: float = 0.05) -> torch.Tensor:
    """(B, P) bool. est: `codec.poses_at` at the ground-truth centre cells; joints_net the
    ground-truth joints (B, P, >=17, 2) in network pixels."""
    centre = torch.sigmoid(gather_cells(centre_logits, targets.center_cell))[..., 0]
    iou = box_iou(joint_box(est["joints"], est["joint_score"] + 1e-3),
                  joint_box(joints_net[..., :17, :], targets.joint_mask))
    return (targets.person_mask > 0) & (iou >= min_iou) & (centre > min_centre)
