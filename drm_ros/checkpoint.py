"""The model file: network config + weights + the input size it was trained for, one .pt.

{"format": "drm_ros-model", "version": 1, "network": NetworkConfig dict, "input_size": [W, H],
 "state_dict": {...}, "meta": {free-form provenance: data, command, metrics}}
"""
from __future__ import annotations

from pathlib import Path

import torch

from drm_ros.network import DRMNet, NetworkConfig

FORMAT = "drm_ros-model"


class ModelError(RuntimeError):
    """A model file that cannot be used (missing, corrupt, wrong format)."""


def save_model(path: str | Path, net: DRMNet, input_size: tuple[int, int], meta: dict | None = None,
               half: bool = False) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: (v.half() if half and v.is_floating_point() else v) for k, v in net.state_dict().items()}
    torch.save({"format": FORMAT, "version": 1, "network": net.config.to_dict(), "input_size": list(input_size),
                "state_dict": state, "meta": meta or {}}, path)
    return path


def load_model(path: str | Path) -> tuple[DRMNet, dict]:
    """-> (network in eval mode, float32; the file's dict without the weights)."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"model file not found: {path}")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # truncated or not a torch file: one clear message
        raise ModelError(f"cannot read model file {path}: {type(exc).__name__}: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ModelError(f"{path} is not a drm_ros model file")
    net = DRMNet(NetworkConfig.from_dict(data["network"]))
    try:
        net.load_state_dict({k: v.float() for k, v in data["state_dict"].items()})
    except RuntimeError as exc:
        raise ModelError(f"{path}: weights do not fit the network config: {exc}") from None
    info = {k: v for k, v in data.items() if k != "state_dict"}
    return net.eval(), info
