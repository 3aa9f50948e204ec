"""The generator's YAML configuration: defaults from config/synth/default.yaml (or the copy
installed with the package), overridden key by key by a user file."""
from __future__ import annotations

import copy
import sys
from pathlib import Path

import yaml

_HERE = Path(__file__).resolve()
DEFAULT_CANDIDATES = (_HERE.parents[2] / "config" / "synth" / "default.yaml",  # source checkout
                      Path(sys.prefix) / "share" / "drm_ros" / "config" / "synth" / "default.yaml")  # CMake install


class ConfigError(ValueError):
    pass


def default_path() -> Path:
    for path in DEFAULT_CANDIDATES:
        if path.is_file():
            return path
    raise ConfigError("cannot find config/synth/default.yaml (looked in: " + ", ".join(map(str, DEFAULT_CANDIDATES)) + ")")


def _merge(base: dict, override: dict, where: str) -> dict:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if key not in base:
            raise ConfigError(f"unknown synth setting '{where}{key}' (known: {', '.join(sorted(base))})")
        if isinstance(base[key], dict) and isinstance(value, dict) and key != "clip_weights":
            out[key] = _merge(base[key], value, f"{where}{key}.")
        else:
            out[key] = value
    return out


def load_config(path: str | Path | None = None) -> dict:
    cfg = yaml.safe_load(default_path().read_text())
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"synth config {path} does not exist")
        user = yaml.safe_load(path.read_text()) or {}
        if not isinstance(user, dict):
            raise ConfigError(f"{path}: expected a mapping of settings")
        cfg = _merge(cfg, user, "")
    cfg["camera"]["jpeg_quality"] = cfg["render"]["jpeg_quality"]
    _validate(cfg)
    return cfg


def _validate(cfg: dict) -> None:
    lo, hi = cfg["people"]["count"]
    if not 0 <= lo <= hi:
        raise ConfigError(f"people.count must be [low, high] with 0 <= low <= high, got {cfg['people']['count']}")
    d = cfg["people"]["distance_m"]
    if not 0 < d[0] <= d[1]:
        raise ConfigError(f"people.distance_m must be positive [low, high], got {d}")
    if cfg["camera"]["fx_px"][0] <= 0:
        raise ConfigError("camera.fx_px must be positive")
    q = cfg["render"]["jpeg_quality"]
    if not 1 <= q[0] <= q[1] <= 100:
        raise ConfigError(f"render.jpeg_quality must lie in 1..100, got {q}")
