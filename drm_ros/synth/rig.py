"""Random cameras: intrinsics as a `drm_ros.camera.Camera`, and a pose above the ground plane.

World: Z-UP, metres, ground z = 0; the camera stands at (0, 0, height) looking along +x, pitched
down by `tilt`, rolled by `roll`. Camera frame = REP-103 optical (x right, y down, z forward).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from drm_ros.camera import Camera


@dataclass(frozen=True)
class Rig:
    camera: Camera
    R: np.ndarray  # (3, 3) world -> camera rotation (rows: camera x, y, z axes in world)
    C: np.ndarray  # (3,) camera centre in the world
    height: float
    tilt_deg: float
    roll_deg: float

    def to_camera(self, world: np.ndarray) -> np.ndarray:
        return (np.asarray(world) - self.C) @ self.R.T


def look_rotation(tilt_deg: float, roll_deg: float) -> np.ndarray:
    t = np.radians(tilt_deg)
    forward = np.array([np.cos(t), 0.0, -np.sin(t)])
    right = np.array([0.0, -1.0, 0.0])  # world +y is left when looking along +x
    down = np.cross(forward, right)
    r = np.radians(roll_deg)
    right, down = np.cos(r) * right + np.sin(r) * down, -np.sin(r) * right + np.cos(r) * down
    return np.stack([right, down, forward])


def sample_camera(rng: np.random.Generator, cfg: dict) -> Camera:
    w, h = cfg["image_size"]
    fx = float(np.exp(rng.uniform(*np.log(np.asarray(cfg["fx_px"], dtype=float) * w / 640.0))))
    fy = fx * float(rng.uniform(*cfg["fy_over_fx"]))
    off = cfg["principal_offset_frac"]
    cx = (w - 1) / 2 + float(rng.uniform(-off, off)) * w
    cy = (h - 1) / 2 + float(rng.uniform(-off, off)) * h
    if cfg.get("fisheye_probability", 0) > 0 and rng.random() < cfg["fisheye_probability"]:
        return _sample_fisheye(rng, cfg, w, h, fy / fx, cx, cy)
    if rng.random() < cfg["distortion_probability"]:
        k1 = float(rng.uniform(*cfg["k1"]))
        k2 = float(rng.uniform(*cfg["k2"]))
        p1, p2 = (float(v) for v in rng.uniform(-cfg["p_max"], cfg["p_max"], size=2))
        return Camera(w, h, fx, fy, cx, cy, "plumb_bob", (k1, k2, p1, p2, 0.0))
    return Camera(w, h, fx, fy, cx, cy)


def _sample_fisheye(rng: np.random.Generator, cfg: dict, w: int, h: int, aspect: float, cx: float,
                    cy: float) -> Camera:
    """An equidistant camera whose horizontal field of view is drawn from fisheye_hfov_deg."""
    k = tuple(float(rng.uniform(lo, hi)) if hi > lo else float(lo) for lo, hi in cfg["fisheye_k"])
    half = np.radians(float(rng.uniform(*cfg["fisheye_hfov_deg"]))) / 2
    t2 = half * half
    fx = (w / 2) / (half * (1 + t2 * (k[0] + t2 * (k[1] + t2 * (k[2] + t2 * k[3])))))
    return Camera(w, h, fx, fx * aspect, cx, cy, "equidistant", k)


def sample_rig(rng: np.random.Generator, cfg: dict) -> Rig:
    camera = sample_camera(rng, cfg)
    height = float(rng.uniform(*cfg["height_m"]))
    tilt = float(rng.uniform(*cfg["tilt_deg"]))
    roll = float(rng.normal(0.0, cfg["roll_std_deg"]))
    return Rig(camera, look_rotation(tilt, roll), np.array([0.0, 0.0, height]), height, tilt, roll)
