"""PDQM, the 2D Pose-guided Depth Query Module (DRM's plug-in for depth).

The paper: a warp operation queries features of the 2D branch at the positions of the predicted
2D pose and concatenates them to the depth branch's features, so depth "perceives the scale
information of instances". Our reading (INFERRED, DRM_NOTES.md), per detected person:

  1. query: bilinearly sample the 2D branch's features (MoveNet's kpt_regress head, 96 hidden
     channels) at the person's J predicted joint positions -- the warp, done with grid_sample;
  2. reduce each joint's feature with a shared linear map (96 -> `dim`), keeping joint order;
  3. append the pose geometry that defined the query: joint offsets from the root in grid cells
     divided by the pose's spread, and log of that spread (apparent size: the direct scale cue);
  4. concatenate with the depth-branch feature read at the root (done in network.py).

With `pdqm: false` in the model config the depth head sees only the root feature; that is the
ablation. Sampling happens only at the people found, so the module's cost grows with the
number of people by a few kFLOPs each, never by a network pass.
"""
from __future__ import annotations

import torch
from torch import nn

from drm_ros.codec import net_to_grid


def sample_at(features: torch.Tensor, points_net: torch.Tensor) -> torch.Tensor:
    """Bilinear features at network-input pixel positions.

    features (B, C, H, W) on the stride-4 grid; points (B, N, M, 2) as (u, v) network pixels ->
    (B, N, M, C). A feature cell i has its centre at grid coordinate i + 0.5, which is where
    grid_sample (align_corners=False) puts it; points outside read zeros.
    """
    b, c, h, w = features.shape
    g = net_to_grid(points_net)
    norm = torch.stack([g[..., 0] / w * 2 - 1, g[..., 1] / h * 2 - 1], dim=-1)  # (B, N, M, 2)
    out = torch.nn.functional.grid_sample(features, norm, mode="bilinear", padding_mode="zeros", align_corners=False)
    return out.permute(0, 2, 3, 1)  # (B, C, N, M) -> (B, N, M, C)


def pose_geometry(joints_net: torch.Tensor, root_net: torch.Tensor) -> torch.Tensor:
    """(B, N, J, 2) joints and (B, N, 2) roots -> (B, N, 2J + 1): scale-free pose shape + log size."""
    rel = (joints_net - root_net[..., None, :]) / 4.0  # grid cells
    spread = rel.pow(2).sum(-1).mean(-1).clamp(min=1e-4).sqrt()  # (B, N)
    shape = rel / spread[..., None, None]
    return torch.cat([shape.flatten(-2), spread.log()[..., None]], dim=-1)


class PDQM(nn.Module):
    def __init__(self, in_channels: int, num_joints: int, dim: int = 16):
        super().__init__()
        self.reduce = nn.Linear(in_channels, dim)
        self.out_dim = num_joints * dim + 2 * num_joints + 1

    def forward(self, queried: torch.Tensor, joints_net: torch.Tensor, root_net: torch.Tensor) -> torch.Tensor:
        """queried (B, N, J, C) from `sample_at`; returns (B, N, out_dim)."""
        feats = torch.relu(self.reduce(queried)).flatten(-2)
        return torch.cat([feats, pose_geometry(joints_net, root_net)], dim=-1)
