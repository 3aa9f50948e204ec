"""A learnt floor kept on disk, so a static camera need not learn it again.

A node in `auto` mode spends its first seconds to minutes learning the floor from people walking
by, and its early floor is the uncertain one (few people). What it learnt is kept in a small YAML
file (the node's `ground_floor_file`), written atomically while it runs and when it stops, and
read when it starts: the saved floor is used, with the uncertainty it was saved with, from the
first frame on, until the floor learnt anew is as certain (session.GroundDepth). A floor learnt
offline from a recording (`drm bag eval --floor-pass offline --param ground_floor_file:=F`) can seed a live node
the same way.

A saved floor belongs to one camera mounting: the image frame and the calibration it was learnt
with are stored, and a file for another frame or calibration is not used (one clear message). If
the camera has been moved since, the people stop fitting the floor and it is dropped
(`AutoPlane.fits`), exactly as a learnt floor resets.
"""
from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from drm_ros.camera import Camera
from drm_ros.ground.plane import GroundPlane

FORMAT = "drm_ros floor 1"
CALIBRATION_TOLERANCE = 1e-3  # relative, on fx, fy, cx, cy


class FloorFileError(ValueError):
    """A floor file that cannot be read or does not belong to this camera."""


@dataclass(frozen=True)
class SavedFloor:
    plane: GroundPlane
    tilt_sigma_deg: float
    height_sigma_m: float
    frame_id: str
    calibration: tuple[int, int, float, float, float, float]  # width, height, fx, fy, cx, cy
    people: int = 0
    note: str = ""

    def check_camera(self, camera: Camera, frame_id: str) -> None:
        """FloorFileError unless the floor was learnt in this image frame with this calibration."""
        if frame_id != self.frame_id:
            raise FloorFileError(f"the saved floor was learnt in frame '{self.frame_id}', the images are in '{frame_id}'")
        problem = self.calibration_problem(camera)
        if problem:
            raise FloorFileError(problem)

    def calibration_problem(self, camera: Camera) -> str:
        """Why this camera's calibration is not the one the floor was learnt with ("" if it is)."""
        w, h, *k = self.calibration
        now = (camera.fx, camera.fy, camera.cx, camera.cy)
        if (w, h) == (camera.width, camera.height) and all(
                abs(a - b) <= CALIBRATION_TOLERANCE * max(abs(a), 1.0) for a, b in zip(k, now)):
            return ""
        return (f"the saved floor was learnt with a {w}x{h} calibration fx={k[0]:.1f} fy={k[1]:.1f} cx={k[2]:.1f} "
                f"cy={k[3]:.1f}; the camera now reports {camera.width}x{camera.height} fx={now[0]:.1f} fy={now[1]:.1f} "
                f"cx={now[2]:.1f} cy={now[3]:.1f}")


def calibration_of(camera: Camera) -> tuple[int, int, float, float, float, float]:
    return (int(camera.width), int(camera.height), float(camera.fx), float(camera.fy), float(camera.cx), float(camera.cy))


def save_floor(path: str | Path, floor: SavedFloor) -> Path:
    """Write atomically (a reader never sees half a file)."""
    path = Path(path)
    record = {
        "format": FORMAT,
        "saved": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "frame_id": floor.frame_id,
        "calibration": {"width": floor.calibration[0], "height": floor.calibration[1],
                        **{k: float(v) for k, v in zip(("fx", "fy", "cx", "cy"), floor.calibration[2:])}},
        "up": [float(v) for v in floor.plane.up],
        "camera_height_m": float(floor.plane.height),
        "pitch_deg": round(float(floor.plane.pitch_deg), 3),  # for people reading the file; `up` is what counts
        "roll_deg": round(float(floor.plane.roll_deg), 3),
        "tilt_sigma_deg": float(floor.tilt_sigma_deg),
        "height_sigma_m": float(floor.height_sigma_m),
        "people": int(floor.people),
        "note": floor.note,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(yaml.safe_dump(record, sort_keys=False))
    os.replace(tmp, path)
    return path


def load_floor(path: str | Path) -> SavedFloor:
    """FloorFileError (one message saying what is wrong) for a missing, corrupt or foreign file."""
    path = Path(path)
    try:
        record = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise FloorFileError(f"floor file {path} does not exist") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise FloorFileError(f"floor file {path} is not readable YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise FloorFileError(f"floor file {path} is not a drm_ros floor (expected format: '{FORMAT}')")
    try:
        cal = record["calibration"]
        floor = SavedFloor(
            plane=GroundPlane(np.asarray(record["up"], dtype=np.float64).reshape(3), float(record["camera_height_m"])),
            tilt_sigma_deg=float(record["tilt_sigma_deg"]), height_sigma_m=float(record["height_sigma_m"]),
            frame_id=str(record["frame_id"]),
            calibration=(int(cal["width"]), int(cal["height"]), float(cal["fx"]), float(cal["fy"]), float(cal["cx"]),
                         float(cal["cy"])),
            people=int(record.get("people", 0)), note=str(record.get("note", "")))
    except (KeyError, TypeError, ValueError) as exc:  # PlaneError is a ValueError
        what = f"missing {exc}" if isinstance(exc, KeyError) else str(exc)
        raise FloorFileError(f"floor file {path} is incomplete or invalid: {what}") from None
    sigmas = (floor.tilt_sigma_deg, floor.height_sigma_m)
    if not all(math.isfinite(v) and v > 0 for v in sigmas):
        raise FloorFileError(f"floor file {path}: the uncertainties must be positive numbers, got {sigmas}")
    return floor


__all__ = ["FloorFileError", "SavedFloor", "calibration_of", "load_floor", "save_floor"]
