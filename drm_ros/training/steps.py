"""One training step as a module (so DistributedDataParallel can wrap it): batch -> losses.

`CachedDepthStep` (`freeze: 2d`): 2D branch frozen, inputs from the feature cache (cache.py);
trains the depth trunk, PDQM and the depth head. `FullStep`: the 2D heads and the depth branch
with the 2D losses (focal on heatmaps, L1 on offsets) next to the depth loss; from images
(`freeze: none`, the backbone trains too) or from cached backbone features (`freeze: backbone`).
"""
from __future__ import annotations

import torch
from torch import nn

from drm_ros.codec import encode, gather_cells, poses_at
from drm_ros.losses import DEPTH_LOSSES, focal_loss, lift_2d_loss, masked_l1, root_depth_from_log
from drm_ros.network import DRMNet
from drm_ros.pdqm import sample_at
from drm_ros.skeleton import ROOT
from drm_ros.training.seen import seen_by_2d


def _depth_loss(kind: str, log_depth, dz, f_net, joints3d, lift_joints=None, joints_gt=None) -> dict[str, torch.Tensor]:
    z_root = root_depth_from_log(log_depth, f_net)
    mask = (joints3d[:, : dz.shape[-1], 2] > 0).float()  # joints with a 3D label (NaN stored as 0)
    losses = DEPTH_LOSSES[kind](z_root, dz, joints3d, ROOT, mask)
    if lift_joints is not None:  # the depth head refines the 2D it lifts (network.lifter_refine_2d)
        losses["lift2d"] = lift_2d_loss(lift_joints, joints_gt, joints3d, f_net, mask)
        losses["total"] = losses["total"] + losses["lift2d"]
    return losses


class CachedDepthStep(nn.Module):
    def __init__(self, net: DRMNet, depth_loss: str):
        super().__init__()
        self.net = net
        self.depth_loss = depth_loss

    def forward(self, batch: dict) -> dict[str, torch.Tensor]:
        """batch: features (B,C,h,w); per person (P): slot (B index), root, joints, queried,
        joints3d, f_net, joint_score; `pad_index` (B, N) person -> padded slot, `pad_mask`."""
        trunk = self.net.depth_trunk(batch["features"])
        b, n = batch["pad_index"].shape
        root_pad = torch.zeros(b, n, 2)
        root_pad[batch["pad_mask"]] = batch["root"][batch["pad_index"][batch["pad_mask"]]]
        root_feat = sample_at(trunk, root_pad[:, :, None])[:, :, 0][batch["pad_mask"]]  # (P, C) in pad order
        order = batch["pad_index"][batch["pad_mask"]]
        x = root_feat
        if self.net.pdqm is not None:
            x = torch.cat([x, self.net.pdqm(batch["queried"][order].float(), batch["joints"][order], batch["root"][order])], -1)
        log_depth, dz, lift = self.net.depth_head(x, batch["joints"][order], batch["root"][order],
                                                  batch["joint_score"][order].float(), batch["camera_net"][order])
        refine = self.net.depth_head.refine_2d
        return _depth_loss(self.depth_loss, log_depth, dz, batch["f_net"][order], batch["joints3d"][order],
                           lift if refine else None, batch["joints_gt"][order] if refine else None)


class FullStep(nn.Module):
    def __init__(self, net: DRMNet, depth_loss: str, weights: dict, min_iou: float):
        super().__init__()
        self.net = net
        self.depth_loss = depth_loss
        self.w = weights
        self.min_iou = min_iou

    def forward(self, batch: dict) -> dict[str, torch.Tensor]:
        m = self.net.maps(batch["image"]) if "image" in batch else self.net.maps_from_features(batch["features"])
        t = encode(batch["joints_net"], batch["visible"], batch["person_mask"], tuple(m["center"].shape[-2:]))
        losses = {
            "center": focal_loss(m["center"], t.center),
            "heatmap": focal_loss(m["kpt_heatmap"], t.kpt_heatmap),
        }
        pm = t.person_mask[..., None, None]
        reg = gather_cells(m["kpt_regress"], t.center_cell).reshape(t.kpt_regress.shape[:2] + (17, 2)).flip(-1)
        losses["regress"] = masked_l1(reg, t.kpt_regress, t.joint_mask[..., None] * pm)
        b, p, j = t.joint_cell.shape[:3]
        off = gather_cells(m["kpt_offset"], t.joint_cell.reshape(b, p * j, 2)).reshape(b, p, j, j, 2)
        off = off[:, :, torch.arange(j), torch.arange(j)].flip(-1)
        losses["offset"] = masked_l1(off, t.kpt_offset, t.joint_mask[..., None] * pm)
        # Depth at the 2D branch's own estimate, for the people it sees (seen.py). Detached: PDQM
        # reads the 2D branch; the depth loss must not bend the 2D heads away from their own losses.
        with torch.no_grad():
            est = poses_at(t.center_cell, m["kpt_regress"], torch.sigmoid(m["kpt_heatmap"]), m["kpt_offset"])
            queried = self.net.query(m, est["joints"]) if self.net.pdqm is not None else None
            seen = seen_by_2d(est, t, m["center"], batch["joints_net"], self.min_iou)
        log_depth, dz, lift = self.net.depth(self.net.depth_trunk(m["features"]), queried, est["joints"], est["root"],
                                             est["joint_score"], batch["camera_net"])
        sel = seen & batch["has3d"]
        if sel.any():
            f_net = batch["f_net"][:, None].expand(sel.shape)[sel]
            refine = self.net.depth_head.refine_2d
            d = _depth_loss(self.depth_loss, log_depth[sel], dz[sel], f_net, batch["joints3d"][sel],
                            lift[sel] if refine else None, batch["joints_net"][sel][:, : lift.shape[2]] if refine else None)
            losses["depth"] = d["total"]
            losses["depth_root"], losses["depth_rel"] = d["root"], d["rel"]
        else:
            losses["depth"] = log_depth.sum() * 0
        losses["total"] = sum(self.w.get(k, 0.0) * losses[k] for k in ("center", "heatmap", "regress", "offset", "depth"))
        return losses
