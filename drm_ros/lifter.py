"""The pose lifter: the geometric prior inside DRM's depth read-out (INFERRED, issue 10).

DRM reads each person's depth at its root. What the image features there must explain is
mostly geometry: how a 2D pose of a given shape sits in depth (relative depths), and how big
such a pose is in metres when it spans so many pixels (root depth). Both can be learned from
2D projections of motion capture alone, by the million, without rendering a pixel
(training/lifting.py). So the depth head is split in two:

  * this lifter: 2D joints + their confidences (the 2D branch's own outputs) -> root-relative
    depths dz (m) and log S, the person's effective metric size, such that
        log(Z_root / f_net) = log S - log(spread_px)       (weak perspective)
    with spread_px the confidence-weighted RMS distance of the joints from the root in network
    pixels: "the predicted metric skeleton against its 2D extent";
  * optionally (`refine_2d`, INFERRED, issue 10): a shift of every 2D joint, the pose prior's
    correction of the 2D branch's joints (a missed or swapped joint, a skeleton whose bones do
    not fit together). The 3D is lifted from the shifted joints; the published 2D stays the 2D
    branch's. Measured before wiring it in (a probe on the robot-range split's real MoveNet
    errors, model/logs/lifter/refine_probe.log): PCK@150mm of root-relative 3D with the true
    relative depth 66.9 -> 71.4;
  * the image-feature head (network.DepthHead): root feature + PDQM queries + this lifter's
    hidden state -> a correction of all of them, zero at initialisation, trained on renders.

The input is scale-free (joint offsets from the root divided by the spread), so one lifter
serves every camera, input size and distance. Unknown heights make log S a population prior:
it is what `tools/root_depth_bound.py` calls reading depth from size.
"""
from __future__ import annotations

import torch
from torch import nn

from drm_ros.skeleton import FLIP_INDEX

MIN_SCORE = 0.05  # joint weight floor in the spread: a missed joint still counts a little


def spread_px(joints_net: torch.Tensor, root_net: torch.Tensor, joint_score: torch.Tensor) -> torch.Tensor:
    """Confidence-weighted RMS distance of the joints from the root, network pixels. (..., J, 2),
    (..., 2), (..., J) -> (...)."""
    w = joint_score.clamp(min=MIN_SCORE, max=1.0)
    d2 = (joints_net - root_net[..., None, :]).pow(2).sum(-1)
    return ((w * d2).sum(-1) / w.sum(-1)).clamp(min=1e-2).sqrt()


def root_ray(root_net: torch.Tensor, camera_net: torch.Tensor) -> torch.Tensor:
    """The root's viewing direction (x/z, y/z) from its network pixel and the network input's
    pinhole intrinsics camera_net (..., 4) = (fx, fy, cx, cy), broadcast over people."""
    return (root_net - camera_net[..., 2:4]) / camera_net[..., 0:2]


def lifter_input(joints_net: torch.Tensor, root_net: torch.Tensor, joint_score: torch.Tensor,
                 ray: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """-> (features (..., 3J [+2]): scale-free offsets, clamped scores [and the root's ray], log
    spread (...)). The ray (`root_ray`, INFERRED, session 8) tells the lifter where in the field of
    view the person stands: off the optical axis, perspective mixes a joint's depth into its 2D
    offset (by x/z per metre of depth), which scale-free offsets alone cannot undo: without it the
    lifter's root error with TRUE 2D grew from 4.4 % within 10 deg of the axis to 7.5 % beyond 30
    deg, read 2.7 % too near there; with the ray 4.4 and 6.0 %, bias 0.0 % (held-out people,
    model/logs/lifter/ray/compare_by_ray.log)."""
    s = spread_px(joints_net, root_net, joint_score)
    shape = (joints_net - root_net[..., None, :]) / s[..., None, None]
    shape = shape.clamp(-8.0, 8.0)  # a wild joint must not dominate the input
    parts = [shape.flatten(-2), joint_score.clamp(0.0, 1.0)]
    if ray is not None:
        parts.append(ray.clamp(-3.0, 3.0))  # beyond ~72 deg only a fisheye's edge; keep it bounded
    return torch.cat(parts, dim=-1), s.log()


def mirror_features(features: torch.Tensor, num_joints: int) -> torch.Tensor:
    """The lifter input of the same person seen in a mirror: x offsets negated, left and right
    joints (and their scores) swapped, the ray's x negated (the whole scene mirrored about the
    optical axis' vertical plane)."""
    flip = list(FLIP_INDEX[:num_joints])
    shape = features[..., : 2 * num_joints].unflatten(-1, (num_joints, 2))[..., flip, :]
    shape = torch.stack([-shape[..., 0], shape[..., 1]], dim=-1)
    parts = [shape.flatten(-2), features[..., 2 * num_joints: 3 * num_joints][..., flip]]
    if features.shape[-1] > 3 * num_joints:
        ray = features[..., 3 * num_joints:]
        parts.append(torch.stack([-ray[..., 0], ray[..., 1]], dim=-1))
    return torch.cat(parts, dim=-1)


def flip_averaged(lifter: "PoseLifter", features: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """The lifter's (dz, log S, shift, hidden), dz and shift averaged with those of the mirrored
    input mapped back (INFERRED, test-time flip averaging as in many 3D pose lifters: a mirrored
    pose is as plausible as the original, so the two estimates err partly independently).
    log S and `hidden` stay the unmirrored input's: the image head's correction was trained on
    them (averaging log S too cost AP_root@25cm 17.9 -> 16.8 on the robot-range split)."""
    j = lifter.num_joints
    flip = list(FLIP_INDEX[:j])
    dz, log_size, shift, hidden = lifter(features)
    dz_m, _, shift_m, _ = lifter(mirror_features(features, j))
    shift_m = shift_m[..., flip, :]
    shift_m = torch.stack([-shift_m[..., 0], shift_m[..., 1]], dim=-1)
    return 0.5 * (dz + dz_m[..., flip]), log_size, 0.5 * (shift + shift_m), hidden


class ResidualBlock(nn.Module):
    def __init__(self, width: int, dropout: float):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(width, width), nn.LayerNorm(width), nn.ReLU(inplace=True), nn.Dropout(dropout),
                                 nn.Linear(width, width), nn.LayerNorm(width), nn.ReLU(inplace=True), nn.Dropout(dropout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.net(x)


class PoseLifter(nn.Module):
    """2D pose (J joints) -> dz (J) in metres, log S (1), a 2D shift (J, 2) in units of the
    spread (zero without `refine_2d`), and its hidden state for the image head. With `ray_input`
    its input ends with the root's ray (`lifter_input`)."""

    def __init__(self, num_joints: int, width: int = 512, blocks: int = 2, dropout: float = 0.1,
                 refine_2d: bool = False, ray_input: bool = False):
        super().__init__()
        self.num_joints = num_joints
        self.width = width
        self.refine_2d = refine_2d
        self.ray_input = ray_input
        self.inp = nn.Sequential(nn.Linear(3 * num_joints + (2 if ray_input else 0), width), nn.LayerNorm(width), nn.ReLU(inplace=True))
        self.blocks = nn.Sequential(*[ResidualBlock(width, dropout) for _ in range(blocks)])
        self.out = nn.Linear(width, num_joints + 1)
        nn.init.zeros_(self.out.bias)
        with torch.no_grad():
            self.out.bias[-1] = 0.0  # log S of ~1 m; pretraining moves it within the first steps
        if refine_2d:
            self.shift = nn.Linear(width, 2 * num_joints)
            nn.init.zeros_(self.shift.weight)  # starts as the 2D branch's joints
            nn.init.zeros_(self.shift.bias)

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        hidden = self.blocks(self.inp(features))
        y = self.out(hidden)
        if self.refine_2d:
            shift = self.shift(hidden).unflatten(-1, (self.num_joints, 2))
        else:
            shift = features.new_zeros(features.shape[:-1] + (self.num_joints, 2))
        return y[..., : self.num_joints], y[..., self.num_joints], shift, hidden
