"""Feature extractors selectable by name (config key `backbone`)."""
from __future__ import annotations

from torch import nn


def build_backbone(name: str, **kwargs) -> nn.Module:
    """A backbone by registry name: (B,3,H,W) RGB 0..255 -> (B, out_channels, H/stride, W/stride).

    Only 'movenet' (MoveNet MultiPose MobileNetV2+FPN, 24 channels, stride 4) exists now.
    """
    if name == "movenet":
        from drm_ros.backbones.movenet import MoveNetBackbone

        return MoveNetBackbone(**kwargs)
    raise ValueError(f"unknown backbone {name!r}; available: {', '.join(BACKBONES)}")


BACKBONES: tuple[str, ...] = ("movenet",)
