"""How far off a person's published root can be: a 1-sigma distance along its viewing ray (what
monocular depth gets wrong) and a fixed sideways spread (what the 2D gets wrong), as the 3x3
covariance a tracker or a Kalman filter takes.

The along-ray sigma is a distance, not a depth: moving a point along its ray changes its depth
and its distance by the same factor, so a fraction of one is the same fraction of the other, and a
distance survives rotations into other frames (fisheye views) unchanged.

The node's depth filter and the offline smoother move people along their rays but leave the
sigma as measured in the frame: an averaged depth is no worse than one frame's, so the published
uncertainty errs on the cautious side there. Its calibration (how often the truth lies within 1
and 2 sigma) on held-out renders: tools/root_sigma_calibration.py.
"""
from __future__ import annotations

import numpy as np

# DRM's root distance error, as a fraction of the distance. Renders measure 0.087-0.095 (robust
# sigma, tools/ground_plane_study.py, model/logs/ground_plane/study_calib_session8_model.log); real
# images are worse (one real source reads people 0.19-0.37 m too close), so 0.12, the value the
# ground-plane fusion weighs DRM's depth with (ground/refine.py, measured there on vtest).
DRM_DISTANCE_SIGMA_FRAC = 0.12

# Sideways error of the root, metres: the 2D branch's hip midpoint against the truth, carried to
# the person's depth, on the 6,486 people of the near_train renders: robust sigma 0.027 m across
# and 0.034 m down the image, standard deviations 0.077 / 0.092 m (heavy tails: occluded hips);
# model/logs/uncertainty/root_lateral_error.log. 0.05 m lies between the two.
ROOT_LATERAL_SIGMA_M = 0.05


# The ground-plane fusion's sigma (ground/refine.py), as published: the fusion weighs the floor and
# DRM by their modelled variances, and the sigma of the fused depth it implies is a little confident
# against the truth (the robot-range calibration split with its true floor: 63 % of the refined
# people within 1 sigma, median |error| / sigma 0.74 for 0.67 calibrated). Published 1.1 times
# larger: 66 % within 1 sigma, median 0.67 (tools/root_sigma_calibration.py, chosen on near_calib;
# model/logs/uncertainty/). The tail stays heavier than a Gaussian's (90 % within 2 sigma).
FUSED_SIGMA_CALIBRATION = 1.1


def drm_distance_sigma(roots: np.ndarray) -> np.ndarray:
    """DRM's own 1-sigma root distance error: (N, 3) -> (N,)."""
    return DRM_DISTANCE_SIGMA_FRAC * np.linalg.norm(np.asarray(roots, dtype=np.float64), axis=-1)


def root_covariance(roots: np.ndarray, distance_sigma: np.ndarray,
                    lateral_sigma: float = ROOT_LATERAL_SIGMA_M) -> np.ndarray:
    """(N, 3) roots and (N,) along-ray sigmas -> (N, 3, 3) covariances, m^2, in the roots' frame:
    sigma^2 along the ray, lateral_sigma^2 across it. A NaN sigma (unknown) gives a NaN matrix."""
    roots = np.asarray(roots, dtype=np.float64)
    norm = np.linalg.norm(roots, axis=-1, keepdims=True)
    ray = roots / np.where(norm > 0, norm, 1.0)
    along = ray[:, :, None] * ray[:, None, :]
    sig = np.asarray(distance_sigma, dtype=np.float64)[:, None, None]
    return sig ** 2 * along + lateral_sigma ** 2 * (np.eye(3) - along)


def distance_sigma_from_covariance(roots: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """The inverse of `root_covariance` for the along-ray part: (N, 3), (N, 3, 3) -> (N,)."""
    roots = np.asarray(roots, dtype=np.float64)
    norm = np.linalg.norm(roots, axis=-1, keepdims=True)
    ray = roots / np.where(norm > 0, norm, 1.0)
    return np.sqrt(np.maximum(np.einsum("ni,nij,nj->n", ray, np.asarray(cov, dtype=np.float64), ray), 0.0))


def covariance_fields(roots: np.ndarray, distance_sigma: np.ndarray) -> np.ndarray:
    """The Skeleton3D.root_covariance of each person: (N, 9) row-major; an unknown sigma gives
    element 0 = -1 and the rest 0 (the sensor_msgs convention for "no estimate")."""
    rows = root_covariance(roots, distance_sigma).reshape(-1, 9)
    unknown = ~np.isfinite(rows).all(axis=1)
    rows[unknown] = 0.0
    rows[unknown, 0] = -1.0
    return rows


def sigma_from_fields(roots: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The inverse of `covariance_fields`: (N, 3), (N, 9) -> (N,) along-ray sigmas, NaN where unknown."""
    rows = np.asarray(rows, dtype=np.float64).reshape(-1, 9)
    sigma = distance_sigma_from_covariance(roots, rows.reshape(-1, 3, 3))
    return np.where(rows[:, 0] < 0, np.nan, sigma)
