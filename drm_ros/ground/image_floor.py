"""A floor whose tilt comes from 2D alone (floor_orientation.py) and whose height comes from
DRM's ankles or from the people's image-height ratio (`FitSettings.orientation: image2d`).

INFERRED design. Why: a floor fitted through DRM's 3D ankles (plane_fit.msac_plane) shares DRM's
depth errors, and those depend on where people stand, so that floor is tilted wrongly and every
person it is fitted to agrees with the tilt (model/logs/ground_plane/ground13e_*.log). The tilt is
fixed here by the image alone; only the one offset along the known normal is read from depth:

- "ankles": each ankle's offset c_i = -up . X_i; the offset of least truncated relative error
  (|c - c_i| / c_i <= `inlier_depth_frac`, as the 3D fit's cost along the rays), then the inliers'
  mean. DRM's depth-scale error enters the height only, not the tilt.
- "ratio": c = the assumed height of the shoulders above the ankle points / the fitted ratio; no
  depth at all, but people's stature spread and the assumption enter as a scale.
`orientation: fused`: the 2D tilt and the 3D ankle plane's tilt averaged by their variances
(fuse_tilts), the height then along the fused normal as above.
Measured on labelled sequences: model/logs/ground_plane/image_floor_*.log.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from drm_ros.ground.floor_orientation import Orientation, fit_orientation
from drm_ros.ground.floor_uncertainty import tilt_axes

HEIGHTS = ("ankles", "ratio")


@dataclass(frozen=True)
class ImageFloor:
    up: np.ndarray  # unit, the floor's up vector
    offset: float  # of the ankle plane: up . X + offset = 0 (the camera's height above the ankle points)
    orientation: Orientation
    inliers: np.ndarray  # (N,) ankle points within `inlier_depth_frac` of the plane
    pitch_sigma_deg: float
    roll_sigma_deg: float
    height_sigma_m: float

    @property
    def tilt_sigma_deg(self) -> float:
        return max(self.pitch_sigma_deg, self.roll_sigma_deg)


def ankle_offset(c: np.ndarray, threshold: float) -> tuple[float, np.ndarray]:
    """(offset, inlier mask) of least truncated relative error among the candidates c_i > 0."""
    c = np.asarray(c, float)
    ok = np.isfinite(c) & (c > 0)
    if not ok.any():
        return float("nan"), np.zeros(len(c), bool)
    cand = np.unique(c[ok])
    err = (cand[:, None] - c[None, ok]) / c[None, ok]
    best = cand[np.argmin(np.minimum(err ** 2, threshold ** 2).sum(1))]
    inl = ok & (np.abs(c - best) / np.where(ok, c, 1.0) < threshold)
    w = 1.0 / c[inl] ** 2  # the relative error is what is alike across depths
    return float(np.sum(w * c[inl]) / np.sum(w)), inl


def fit_image_floor(pts: np.ndarray, foot: np.ndarray, body: np.ndarray, who: np.ndarray, s,
                    start: tuple | None = None, other: tuple | None = None) -> ImageFloor:
    """The floor from (N,) upright people's records: lower-ankle 3D points `pts` (N, 3), foot and
    body-point rays (floor_orientation.fit_orientation), person keys `who`; settings `s`
    (fit.FitSettings). `other` (up, forward sigma, lateral sigma in degrees): a second tilt (the 3D
    ankle plane's) fused with the 2D one by their variances. Raises
    floor_orientation.OrientationError when the 2D tilt cannot be fixed."""
    o = fit_orientation(foot, body, who, s.min_people, s.image2d_loss_scale, start)
    pitch = float(np.hypot(o.pitch_sigma_deg, s.image2d_tilt_sigma_floor_deg))
    roll = float(np.hypot(o.roll_sigma_deg, s.image2d_tilt_sigma_floor_deg))
    up = o.up
    if other is not None:
        up, pitch, roll = fuse_tilts(up, pitch, roll, *other)
    c = -(pts @ up)
    if s.image2d_height == "ratio":
        offset = s.shoulders_above_ankles_m / float(o.ratios[0])
    else:
        offset, _ = ankle_offset(c, s.inlier_depth_frac)
    inl = np.isfinite(c) & (np.abs(c - offset) / np.maximum(np.abs(c), 1e-6) < s.inlier_depth_frac)
    return ImageFloor(up, float(offset), o, inl, pitch, roll, _height_sigma(c, inl, who, offset, max(pitch, roll), pts, s))


def fuse_tilts(up_a: np.ndarray, fwd_a: float, lat_a: float, up_b: np.ndarray, fwd_b: float, lat_b: float):
    """Two estimates of the floor's up vector with their forward / lateral tilt sigmas (degrees),
    averaged by their variances along each tilt axis (of b; small angles): (up, fwd sigma, lat sigma)."""
    fwd, lat = tilt_axes(up_b)
    t = np.array([up_a @ fwd, up_a @ lat])  # a's tilt away from b, per axis (sines)
    wa, wb = 1.0 / np.array([fwd_a, lat_a]) ** 2, 1.0 / np.array([fwd_b, lat_b]) ** 2
    t = t * wa / (wa + wb)
    up = up_b + t[0] * fwd + t[1] * lat
    sig = 1.0 / np.sqrt(wa + wb)
    return up / np.linalg.norm(up), float(sig[0]), float(sig[1])


def _height_sigma(c, inl, who, offset, tilt_deg, pts, s) -> float:
    """The offset's sigma, counted in people (one person's points share DRM's depth error): the
    spread of the people's mean offsets over sqrt(people), plus the measured floor of a shared
    depth-scale error (`height_sigma_floor_frac` of the height) and the tilt's lever."""
    keys = np.unique(who[inl]) if inl.any() else np.array([])
    means = np.array([c[inl & (who == k)].mean() for k in keys])
    p = len(means)
    spread = float(np.std(means, ddof=1) / np.sqrt(p)) if p > 1 else abs(offset)
    lever = float(np.linalg.norm(pts[inl].mean(0))) if inl.any() else 0.0
    return float(np.sqrt(spread ** 2 + (s.height_sigma_floor_frac * abs(offset)) ** 2 + (np.radians(tilt_deg) * lever) ** 2))
