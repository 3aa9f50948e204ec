"""Where the shipped files (model/, config/, sample_data/) are, in a source checkout and when
installed by CMake (share/drm_ros/...) or pip. One place, so no module guesses paths itself."""
from __future__ import annotations

import os
import sys
from pathlib import Path

_SOURCE_ROOT = Path(__file__).resolve().parents[1]


def share_dir() -> Path:
    """The directory holding model/ and config/: $DRM_ROS_SHARE, the source checkout, or
    <prefix>/share/drm_ros (CMake install; AMENT_PREFIX_PATH entries are searched too)."""
    if os.environ.get("DRM_ROS_SHARE"):
        return Path(os.environ["DRM_ROS_SHARE"])
    if (_SOURCE_ROOT / "model").is_dir() and (_SOURCE_ROOT / "package.xml").is_file():
        return _SOURCE_ROOT
    prefixes = [sys.prefix] + [p for p in os.environ.get("AMENT_PREFIX_PATH", "").split(os.pathsep) if p]
    for prefix in prefixes:
        candidate = Path(prefix) / "share" / "drm_ros"
        if (candidate / "model").is_dir():
            return candidate
    raise FileNotFoundError("cannot find drm_ros's model/ directory (set DRM_ROS_SHARE to the folder containing it)")


def model_path(name: str) -> Path:
    return share_dir() / "model" / name


def config_path(*parts: str) -> Path:
    return share_dir() / "config" / Path(*parts)


DEFAULT_MODEL = "drm_default.pt"
MOVENET_WEIGHTS = "movenet_multipose.pt"
