"""Absolute depth from feet on a known floor, fused with DRM's root depth.

For a person whose ankle is confidently seen, the ankle's viewing ray meets the plane lying
`ankle_height_m` above the floor at one depth. DRM's relative depths (dz) then carry that to the
root: the whole person moves along the joints' own rays by the same depth change, exactly as the
codec lifts joints ((Z_root + dz_j) times each joint's undistorted ray), so 2D stays unchanged.

Which ankle: the one whose ray reaches the plane nearer (a lifted foot's ray, seen from above,
reaches the floor beyond the foot); both, inverse-variance averaged, when they agree.

Uncertainties (1 sigma, metres), D = camera height - ankle height:
    plane depth   Z_p: (Z^2 / D)^2 (s_px^2 / f^2 + s_tilt^2) + (Z / D)^2 (s_ankle^2 + s_height^2) + s_dz^2
                  (the first term is the grazing-ray growth dZ/dv = Z^2 / (f D); s_px grows with the
                  person's apparent size, since 2D joint errors do; s_dz is DRM's relative depth error)
    DRM depth     Z_d: drm_sigma_frac * Z_d
Consistency gate: the plane is used only when |Z_p - Z_d| <= gate_k * sqrt(s_p^2 + s_d^2); people
in the air, on stairs, or a wrong plane then keep DRM's depth instead of being pulled onto it.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from drm_ros.camera import Camera
from drm_ros.ground.plane import GroundPlane
from drm_ros.poses import PoseSet
from drm_ros.skeleton import JOINT_INDEX, LEFT_HIP, RIGHT_HIP, ROOT

ANKLES = (JOINT_INDEX["left_ankle"], JOINT_INDEX["right_ankle"])
HEIGHT_JOINTS = [JOINT_INDEX[n] for n in ("nose", "left_shoulder", "right_shoulder", "left_ankle", "right_ankle")]

# Per-person outcome codes (RefineResult.status)
NO_FEET, GATED, REFINED = 0, 1, 2


@dataclass(frozen=True)
class RefineSettings:
    # Ankle joint centre above the floor for a standing foot. The synthetic people (DeepMimic
    # body, drm_ros/synth/motion.py) have their lower ankle 0.055-0.08 m up in walk/run/kick/punch
    # frames at scale 1 (x1.06 for a 1.70 m adult); adults' ankle centres are ~0.08 m up: 0.08.
    ankle_height_m: float = 0.08
    ankle_height_sigma_m: float = 0.03  # stance, foot roll, shoes
    min_ankle_score: float = 0.3  # below: the ankle is not "confidently visible"
    pixel_sigma_px: float = 2.0  # 2D ankle error floor (original pixels)
    pixel_sigma_frac: float = 0.03  # ... plus this fraction of the person's apparent height
    relative_depth_sigma_m: float = 0.12  # DRM's error of dz at the ankle
    drm_sigma_frac: float = 0.10  # DRM's root depth error, fraction of the depth
    plane_height_sigma_m: float = 0.02  # uncertainty of the plane itself (set by its source)
    plane_tilt_sigma_deg: float = 0.5
    gate_k: float = 3.0


@dataclass
class RefineResult:
    poses: PoseSet
    status: np.ndarray  # (N,) NO_FEET / GATED / REFINED
    plane_depth: np.ndarray  # (N,) root depth the plane implies (NaN without feet)
    plane_sigma: np.ndarray  # (N,)
    drm_depth: np.ndarray  # (N,) DRM's own root depth
    counts: dict = field(default_factory=dict)


def apparent_height_px(poses: PoseSet) -> np.ndarray:
    """Rough person height in pixels: vertical extent of nose, shoulders and ankles."""
    v = poses.joints2d[:, HEIGHT_JOINTS, 1]
    return np.nanmax(v, axis=1) - np.nanmin(v, axis=1) if len(poses) else np.zeros(0)


def plane_root_depth(poses: PoseSet, plane: GroundPlane, camera: Camera, s: RefineSettings):
    """Per person: (root depth implied by the feet, its sigma), NaN where no ankle qualifies."""
    n = len(poses)
    z_root = poses.roots[:, 2]
    f = float(np.sqrt(camera.fx * camera.fy))
    px = np.maximum(s.pixel_sigma_px, s.pixel_sigma_frac * apparent_height_px(poses))
    est = np.full((n, 2), np.nan)
    var = np.full((n, 2), np.nan)
    for k, j in enumerate(ANKLES):
        pts = poses.joints3d[:, j]
        with np.errstate(divide="ignore", invalid="ignore"):
            rays = pts / pts[:, 2:3]
        uv = poses.joints2d[:, j]
        inside = (uv[:, 0] >= 0) & (uv[:, 0] <= camera.width - 1) & (uv[:, 1] >= 0) & (uv[:, 1] <= camera.height - 1)
        ok = (poses.joint_scores[:, j] >= s.min_ankle_score) & inside & (pts[:, 2] > 1e-2)
        z_ankle = plane.ray_depths(rays, s.ankle_height_m)
        d = plane.height - s.ankle_height_m
        ok &= np.isfinite(z_ankle)
        grazing = (z_ankle ** 2 / d) ** 2 * ((px / f) ** 2 + np.radians(s.plane_tilt_sigma_deg) ** 2)
        offset = (z_ankle / d) ** 2 * (s.ankle_height_sigma_m ** 2 + s.plane_height_sigma_m ** 2)
        est[ok, k] = (z_ankle - pts[:, 2] + z_root)[ok]  # the person's root carried along
        var[ok, k] = (grazing + offset + s.relative_depth_sigma_m ** 2)[ok]
    depth = np.full(n, np.nan)
    sigma = np.full(n, np.nan)
    for i in range(n):
        have = np.isfinite(est[i])
        if not have.any():
            continue
        if have.all() and abs(est[i, 0] - est[i, 1]) <= 2 * np.sqrt(var[i].sum()):
            w = 1 / var[i]
            depth[i], sigma[i] = (w @ est[i]) / w.sum(), 1 / np.sqrt(w.sum())
        else:  # one ankle, or the feet disagree: the nearer intersection is the foot on the floor
            k = int(np.nanargmin(np.where(have, est[i], np.inf)))
            depth[i], sigma[i] = est[i, k], np.sqrt(var[i, k])
    return depth, sigma


def shift_depth(poses: PoseSet, delta: np.ndarray, camera: Camera) -> PoseSet:
    """Move each person's joints along their own rays so every joint depth changes by delta (N,);
    the pelvis stays the hip midpoint and its pixel the projection of it, as in the codec."""
    z = poses.joints3d[..., 2]
    scale = np.where(z > 1e-6, (z + delta[:, None]) / np.where(z > 1e-6, z, 1.0), 1.0)
    xyz = poses.joints3d * scale[..., None]
    xyz[:, ROOT] = 0.5 * (xyz[:, LEFT_HIP] + xyz[:, RIGHT_HIP])
    uv = poses.joints2d.copy()
    if len(poses):
        uv[:, ROOT] = camera.project(xyz[:, ROOT])
    return replace(poses, roots=xyz[:, ROOT].copy(), joints3d=xyz, joints2d=uv)


def refine(poses: PoseSet, plane: GroundPlane | None, camera: Camera, s: RefineSettings = RefineSettings()) -> RefineResult:
    n = len(poses)
    drm = poses.roots[:, 2].copy()
    if plane is None or n == 0:
        return RefineResult(poses, np.zeros(n, np.int64), np.full(n, np.nan), np.full(n, np.nan), drm,
                            {"no_feet": n, "gated": 0, "refined": 0})
    zp, sp = plane_root_depth(poses, plane, camera, s)
    sd = s.drm_sigma_frac * drm
    have = np.isfinite(zp)
    with np.errstate(invalid="ignore"):
        consistent = have & (np.abs(zp - drm) <= s.gate_k * np.sqrt(sp ** 2 + sd ** 2))
    status = np.where(consistent, REFINED, np.where(have, GATED, NO_FEET)).astype(np.int64)
    fused = drm.copy()
    w_p, w_d = 1 / sp[consistent] ** 2, 1 / sd[consistent] ** 2
    fused[consistent] = (w_p * zp[consistent] + w_d * drm[consistent]) / (w_p + w_d)
    out = shift_depth(poses, fused - drm, camera)
    counts = {"no_feet": int((status == NO_FEET).sum()), "gated": int((status == GATED).sum()),
              "refined": int((status == REFINED).sum())}
    return RefineResult(out, status, zp, sp, drm, counts)
