"""The DRM network: a shared backbone, the 2D branch (MoveNet's CenterNet heads) and the depth
branch read at each person's root, with PDQM feeding the 2D branch's features into it.

    image -> backbone (MobileNetV2+FPN, 24 ch, stride 4)
          -> 2D branch: centre heatmap, joint offsets from the centre, joint heatmaps + offsets
          -> codec.decode_2d: people, 2D joints, root (hip midpoint) per person
          -> depth branch: trunk features read at the root  (+ PDQM queries at the joints)
          -> MLP -> log(Z_root / f_net), 17 root-relative depths (m) and the 2D joints the
             3D is lifted from (the 2D branch's, or with `lifter_refine_2d` the lifter's shift of them)

INFERRED choices (DRM_NOTES.md), each switchable in `NetworkConfig` for the ablations:
  * depth is a per-person read-out at the root, not a dense map: features are sampled at the
    root pixel and a small MLP maps them to depths (a dense 1x1-conv depth map read at the root
    is the special case of a linear MLP without PDQM);
  * root depth is normalised by the focal length of the network input, log(Z / f_net), so one
    network serves any camera and any input size (the codec undoes it with the real K);
  * PDQM queries the hidden features of the kpt_regress head (see pdqm.py);
  * with `lifter: true` the depth head is a pose lifter pretrained on mocap projections
    (lifter.py) plus an image-feature correction of it (root feature + PDQM), zero at start.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from drm_ros.backbones import build_backbone
from drm_ros.backbones.movenet import HEAD_HIDDEN, MoveNetHeads
from drm_ros.codec import J2D, decode_2d
from drm_ros.lifter import PoseLifter, flip_averaged, lifter_input, root_ray
from drm_ros.pdqm import PDQM, sample_at

# Prior of log(Z_root / f_net): a person 6 m away seen with a 600 px focal length. Added to the
# head's output so training starts near plausible depths instead of at Z = f_net.
LOG_DEPTH_PRIOR = -4.6
# MoveNet's box heads are not used by DRM (boxes come from the joints): not computed.
HEADS_USED = ("center", "kpt_heatmap", "kpt_regress", "kpt_offset")
# What `DRMNet.dense` returns, in order (the ONNX graph's output names).
DENSE_OUTPUTS = ("center", "kpt_regress", "kpt_heatmap", "kpt_offset", "kpt_regress_hidden", "trunk")


@dataclass
class NetworkConfig:
    backbone: str = "movenet"
    pdqm: bool = True
    pdqm_dim: int = 16  # per-joint size of a queried feature after reduction
    depth_channels: int = 48  # depth trunk width
    depth_hidden: int = 128  # MLP width
    max_persons: int = 20  # K of the top-K decode
    lifter: bool = False  # depth head = pretrained pose lifter + image-feature correction (lifter.py)
    lifter_width: int = 512
    lifter_blocks: int = 2
    lifter_refine_2d: bool = False  # the lifter (and its image correction) also shift the 2D joints (lifter.py)
    lifter_flip_test: bool = False  # average the lifter with its mirrored input at inference (lifter.flip_averaged)
    lifter_ray: bool = False  # the lifter also sees the root's viewing ray: decode needs camera_net (lifter.root_ray)

    @classmethod
    def from_dict(cls, data: dict | None) -> "NetworkConfig":
        data = dict(data or {})
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown network config keys: {sorted(unknown)}")
        return cls(**data)

    def to_dict(self) -> dict:
        return asdict(self)


class DepthTrunk(nn.Module):
    """Context for depth on the shared features: separable convs with growing dilation (1, 2, 4)
    so the read-out at the root sees the person's surroundings, cheaply."""

    def __init__(self, in_ch: int, ch: int):
        super().__init__()
        self.inp = nn.Sequential(nn.Conv2d(in_ch, ch, 1), nn.ReLU(inplace=True))
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.Conv2d(ch, ch, 3, padding=d, dilation=d, groups=ch), nn.Conv2d(ch, ch, 1), nn.ReLU(inplace=True))
            for d in (1, 2, 4)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.inp(x)
        for block in self.blocks:
            x = x + block(x)
        return x


class DepthHead(nn.Module):
    """Per-person read-out: root feature (+ PDQM vector) -> log depth ratio and relative depths.

    With a lifter, the MLP sees the lifter's hidden state too and outputs a correction of the
    lifter's estimate; its last layer starts at zero, so training starts from the pretrained
    lifter's geometry instead of from noise."""

    def __init__(self, in_dim: int, hidden: int, lifter: PoseLifter | None = None, flip_test: bool = False):
        super().__init__()
        self.lifter = lifter
        self.flip_test = flip_test  # at inference only: training sees each input once
        extra = lifter.width if lifter is not None else 0
        self.refine_2d = lifter is not None and lifter.refine_2d
        out = 1 + J2D + (2 * J2D if self.refine_2d else 0)
        self.mlp = nn.Sequential(nn.Linear(in_dim + extra, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, hidden),
                                 nn.ReLU(inplace=True), nn.Linear(hidden, out))
        nn.init.zeros_(self.mlp[-1].bias)
        if lifter is not None:
            nn.init.zeros_(self.mlp[-1].weight)

    def forward(self, x: torch.Tensor, joints: torch.Tensor, root: torch.Tensor, joint_score: torch.Tensor,
                camera_net: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """-> log(Z_root / f_net), dz, and the 2D joints to lift (network pixels). camera_net:
        the network input's (fx, fy, cx, cy), broadcastable to root's people (a ray lifter needs it)."""
        if self.lifter is None:
            y = self.mlp(x)
            return y[..., 0] + LOG_DEPTH_PRIOR, y[..., 1:], joints
        ray = None
        if self.lifter.ray_input:
            if camera_net is None:
                raise ValueError("this model's lifter reads each person's viewing ray: pass camera_net "
                                 "(the network input's fx, fy, cx, cy; Letterbox.network_intrinsics)")
            ray = root_ray(root, camera_net)
        features, log_spread = lifter_input(joints, root, joint_score, ray)
        if self.flip_test and not self.training:
            dz, log_size, shift, hidden = flip_averaged(self.lifter, features)
        else:
            dz, log_size, shift, hidden = self.lifter(features)
        y = self.mlp(torch.cat([x, hidden], dim=-1))
        log_depth, dz = log_size - log_spread + y[..., 0], dz + y[..., 1 : 1 + J2D]
        if not self.refine_2d:
            return log_depth, dz, joints
        shift = shift + y[..., 1 + J2D :].unflatten(-1, (J2D, 2))
        return log_depth, dz, joints + shift * log_spread.exp()[..., None, None]


def dense_maps(backbone: nn.Module, heads: MoveNetHeads, depth_trunk: DepthTrunk,
               image: torch.Tensor) -> tuple[torch.Tensor, ...]:
    features = backbone(image)
    m = heads(features, return_hidden=True, names=HEADS_USED)
    return (m["center"], m["kpt_regress"], m["kpt_heatmap"], m["kpt_offset"], m["kpt_regress_hidden"],
            depth_trunk(features))


class DensePart(nn.Module):
    """backbone + heads + depth trunk of a DRMNet (the same layer objects, so the same parameter
    names): `DRMNet.dense` as a module, for TorchScript and the ONNX export."""

    def __init__(self, backbone: nn.Module, heads: MoveNetHeads, depth_trunk: DepthTrunk):
        super().__init__()
        self.backbone, self.heads, self.depth_trunk = backbone, heads, depth_trunk

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return dense_maps(self.backbone, self.heads, self.depth_trunk, image)


class DRMNet(nn.Module):
    def __init__(self, config: NetworkConfig | None = None):
        super().__init__()
        self.config = config or NetworkConfig()
        cfg = self.config
        self.backbone = build_backbone(cfg.backbone)
        self.heads = MoveNetHeads(self.backbone.out_channels)  # keys match MoveNet's state_dict
        self.depth_trunk = DepthTrunk(self.backbone.out_channels, cfg.depth_channels)
        self.pdqm = PDQM(HEAD_HIDDEN, J2D, cfg.pdqm_dim) if cfg.pdqm else None
        in_dim = cfg.depth_channels + (self.pdqm.out_dim if self.pdqm is not None else 0)
        lifter = PoseLifter(J2D, cfg.lifter_width, cfg.lifter_blocks, refine_2d=cfg.lifter_refine_2d,
                            ray_input=cfg.lifter_ray) if cfg.lifter else None
        self.depth_head = DepthHead(in_dim, cfg.depth_hidden, lifter, cfg.lifter_flip_test)

    # -- the three stages, separately callable (training caches the frozen 2D stage) ----------
    def maps(self, image: torch.Tensor) -> dict[str, torch.Tensor]:
        """Dense outputs: backbone features, 2D head logits, kpt_regress hidden features."""
        return self.maps_from_features(self.backbone(image))

    def maps_from_features(self, features: torch.Tensor) -> dict[str, torch.Tensor]:
        """`maps` after the backbone (training with a frozen backbone starts here, from a cache)."""
        out = self.heads(features, return_hidden=True, names=HEADS_USED)
        out["features"] = features
        return out

    def query(self, maps: dict[str, torch.Tensor], joints: torch.Tensor) -> torch.Tensor:
        """PDQM's warp: 2D-branch features at the predicted joints, (B, N, J2D, 96)."""
        return sample_at(maps["kpt_regress_hidden"], joints)

    def depth(self, trunk: torch.Tensor, queried: torch.Tensor | None, joints: torch.Tensor,
              root: torch.Tensor, joint_score: torch.Tensor, camera_net: torch.Tensor | None = None
              ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Depth read at each person's root. trunk = depth_trunk(features); joints (B, N, J2D, 2)
        and root (B, N, 2) in network pixels, joint_score (B, N, J2D), camera_net (B, 4) the
        network input's fx, fy, cx, cy (needed by a ray lifter only)
        -> log(Z_root/f_net) (B, N), dz (B, N, J2D), the 2D joints to lift (B, N, J2D, 2)."""
        x = sample_at(trunk, root[:, :, None, :])[:, :, 0]
        if self.pdqm is not None and queried is not None:
            x = torch.cat([x, self.pdqm(queried, joints, root)], dim=-1)
        return self.depth_head(x, joints, root, joint_score, None if camera_net is None else camera_net[:, None, :])

    def dense(self, image: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """The dense part, every convolution: (B,3,H,W) RGB 0..255 -> the maps named in
        DENSE_OUTPUTS, in that order. This is what the backends run (drm_ros/backends/, TorchScript
        for torch); `decode` after it stays in eager torch for every backend."""
        return dense_maps(self.backbone, self.heads, self.depth_trunk, image)

    def dense_part(self) -> "DensePart":
        """The dense part as a module of its own (sharing this network's layers), to trace or export."""
        return DensePart(self.backbone, self.heads, self.depth_trunk)

    def decode(self, center: torch.Tensor, kpt_regress: torch.Tensor, kpt_heatmap: torch.Tensor,
               kpt_offset: torch.Tensor, kpt_regress_hidden: torch.Tensor, trunk: torch.Tensor,
               min_score: float | None = None, camera_net: torch.Tensor | None = None) -> tuple[torch.Tensor, ...]:
        """After `dense`: the 2D decode, PDQM sampling and the depth read-out -> `forward`'s outputs.
        `min_score` (eager only): leave out the people who cannot score that much (codec.decode_2d)."""
        # The decode gathers and multiplies whole maps; on channels_last maps (what the convolutions
        # leave) each of those ran strided and copied: 17.6 vs 12.0 ms at 512x384 (one thread).
        # Plain layout costs one copy of a few small maps.
        center, kpt_regress, kpt_heatmap, kpt_offset = (t.contiguous() for t in (center, kpt_regress, kpt_heatmap,
                                                                                   kpt_offset))
        dec = decode_2d(torch.sigmoid(center), kpt_regress, torch.sigmoid(kpt_heatmap), kpt_offset,
                        self.config.max_persons, min_score)
        queried = None
        if self.pdqm is not None:
            queried = self.query({"kpt_regress_hidden": kpt_regress_hidden}, dec["joints"])
        log_depth, dz, lift_joints = self.depth(trunk, queried, dec["joints"], dec["root"], dec["joint_score"], camera_net)
        return dec["score"], dec["joints"], dec["joint_score"], log_depth, dz, lift_joints

    def forward(self, image: torch.Tensor, camera_net: torch.Tensor | None = None) -> tuple[torch.Tensor, ...]:
        """Inference: (B,3,H,W) RGB 0..255 [, (B, 4) the input's fx, fy, cx, cy: a ray lifter needs
        them] -> K people per image, fixed shapes (TorchScript):
        score (B,K), joints (B,K,17,2) network px, joint_score (B,K,17), log_depth (B,K), dz (B,K,17),
        lift_joints (B,K,17,2): the 2D the 3D is lifted from (= joints unless lifter_refine_2d)."""
        return self.decode(*self.dense(image), camera_net=camera_net)
