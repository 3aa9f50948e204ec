"""The rosbags typestore of drm_ros: ROS 2 Kilted's standard types plus our own .msg files.

The .msg files are read where they live (never copied): `msg/` of a source checkout, or
`share/drm_ros/msg` of an install prefix (the venv, or any prefix on AMENT_PREFIX_PATH).
"""
from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

from rosbags.typesys import Stores, get_types_from_msg, get_typestore
from rosbags.typesys.store import Typestore

PACKAGE = "drm_ros"
OUR_MESSAGES = ("Keypoint3D", "Skeleton3D", "Skeleton3DArray")
SKELETON_ARRAY_TYPE = f"{PACKAGE}/msg/Skeleton3DArray"
COMPRESSED_IMAGE_TYPE = "sensor_msgs/msg/CompressedImage"
CAMERA_INFO_TYPE = "sensor_msgs/msg/CameraInfo"


def _candidate_msg_dirs() -> list[Path]:
    candidates = []
    if os.environ.get("DRM_ROS_MSG_DIR"):  # explicit override, e.g. for a relocated install
        candidates.append(Path(os.environ["DRM_ROS_MSG_DIR"]))
    candidates.append(Path(__file__).resolve().parents[2] / "msg")  # source checkout
    prefixes = [sys.prefix] + [p for p in os.environ.get("AMENT_PREFIX_PATH", "").split(os.pathsep) if p]
    candidates += [Path(p) / "share" / PACKAGE / "msg" for p in prefixes]
    return candidates


def find_msg_dir() -> Path:
    """The directory holding Skeleton3DArray.msg and its siblings."""
    candidates = _candidate_msg_dirs()
    for directory in candidates:
        if all((directory / f"{name}.msg").is_file() for name in OUR_MESSAGES):
            return directory
    raise FileNotFoundError(
        "cannot find drm_ros's .msg files; looked in " + ", ".join(str(c) for c in candidates)
        + " (set DRM_ROS_MSG_DIR to the directory holding Skeleton3DArray.msg)")


@functools.lru_cache(maxsize=1)
def typestore() -> Typestore:
    """Stores.ROS2_KILTED with drm_ros/msg/* registered (cached: building it takes ~10 ms)."""
    store = get_typestore(Stores.ROS2_KILTED)
    msg_dir = find_msg_dir()
    types = {}
    for name in OUR_MESSAGES:
        types.update(get_types_from_msg((msg_dir / f"{name}.msg").read_text(), f"{PACKAGE}/msg/{name}"))
    store.register(types)
    return store
