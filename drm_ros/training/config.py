"""Training configuration, read from a YAML file (config/train/*.yaml). Every key documented here;
unknown keys are an error so a typo never silently trains the wrong thing."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

from drm_ros.losses import DEPTH_LOSSES

FREEZE_MODES = ("2d", "backbone", "none")


def read_config(cls, path: str | Path, what: str):
    """A config dataclass from YAML; unknown keys are an error, input_size becomes a tuple."""
    data = yaml.safe_load(Path(path).read_text()) or {}
    unknown = set(data) - set(cls.__dataclass_fields__)
    if unknown:
        raise ValueError(f"{path}: unknown {what} config keys {sorted(unknown)}")
    cfg = cls(**data)
    cfg.input_size = tuple(cfg.input_size)
    return cfg


@dataclass
class TrainConfig:
    name: str = "drm"
    train_data: list[str] = field(default_factory=list)  # dataset folders/files (drm_ros.data.load.load_any)
    val_data: list[str] = field(default_factory=list)  # scored with the full inference path after training
    input_size: tuple[int, int] = (384, 288)  # network input W, H (multiples of 32)
    network: dict = field(default_factory=dict)  # drm_ros.network.NetworkConfig fields
    # "movenet": backbone + 2D heads from model/movenet_multipose.pt; a DRM model file (*.pt, its
    # network must equal `network`): every weight from it, to fine-tune further; "" = random
    init: str = "movenet"
    # network.lifter: true -> the pose lifter's weights from `drm pretrain-lifter` (its lifter.pt);
    # kept fixed by default so the renders' 11 motions cannot narrow what it learned from all poses
    init_lifter: str = ""
    freeze_lifter: bool = True
    lr_lifter_scale: float = 0.1  # its learning rate relative to `lr` when freeze_lifter is false
    # What stays as initialised: "2d" = backbone and 2D heads (EXPERIMENTS.md: protects real-image
    # accuracy; depth trains on a feature cache), "backbone" = the backbone only (2D heads train
    # too, still on cached backbone features), "none" = nothing (every step runs the backbone).
    freeze: str = "2d"
    lr_2d_scale: float = 0.1  # learning rate of the backbone / 2D heads relative to `lr`, when they train
    depth_loss: str = "dapl"  # "dapl", "dapl_relative" (errors / true depth) or "l1" (ablation); losses.py
    loss_weights: dict = field(default_factory=lambda: {"depth": 1.0, "center": 1.0, "heatmap": 1.0, "regress": 0.1, "offset": 1.0})
    epochs: int = 30
    batch_size: int = 32  # images per step
    lr: float = 2e-3
    weight_decay: float = 1e-4
    min_detect_iou: float = 0.3  # depth trains only on people the 2D branch sees (training/seen.py)
    out_dir: str = "runs/drm"
    seed: int = 0
    threads: int = 2
    workers: int = 0  # DataLoader workers (on-the-fly mode)

    @classmethod
    def load(cls, path: str | Path) -> "TrainConfig":
        cfg = read_config(cls, path, "training")
        if cfg.epochs < 1 or cfg.batch_size < 1:
            raise ValueError(f"{path}: epochs and batch_size must be >= 1, got {cfg.epochs} and {cfg.batch_size}")
        if cfg.freeze not in FREEZE_MODES:
            raise ValueError(f"{path}: freeze must be one of {FREEZE_MODES}, got {cfg.freeze!r}")
        if cfg.depth_loss not in DEPTH_LOSSES:
            raise ValueError(f"{path}: depth_loss must be one of {sorted(DEPTH_LOSSES)}, got {cfg.depth_loss!r}")
        return cfg

    @property
    def cached(self) -> bool:
        """The backbone is frozen, so its features come from the feature cache."""
        return self.freeze in ("2d", "backbone")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["input_size"] = list(self.input_size)
        return d
