"""How well a floor fitted to people's ankles is known: a bootstrap over PEOPLE, not points.

DRM's depth error is mostly per person (its size prior), repeated in all of one person's points
along a walk, so points are not independent draws and a bootstrap (or least-squares formula) over
points claims far too much. Resampling whole people (points linked across frames by the fit's
tracker gate) with replacement and refitting the weighted least-squares plane on each resample
gives the spread of the tilt and height that a different set of people would have produced.

What no resampling can see is an error shared by all people (a depth bias of DRM that grows with
distance tilts every person's ankles alike). That part is added from a measurement: the
bootstrap's sigma is scaled by `scale` and a floor `floor` is added in quadrature, both measured
on labelled synthetic sequences with tools/floor_uncertainty.py (model/logs/ground_plane/
floor_uncertainty.log), where the error divided by the sigma claimed should spread like N(0, 1).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FloorSigma:
    tilt_deg: float  # along the worse-known of the floor's two tilt axes (what the refinement uses)
    pitch_deg: float  # about the camera's horizontal axis within the floor (forward tilt)
    roll_deg: float  # about the floor's forward axis
    height_m: float  # of the plane's offset (the camera's height above it)


def tilt_axes(up: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(forward, lateral) unit vectors within the plane of normal `up`: forward as close to the
    camera's z axis as the plane allows. A tilt is the normal's change along them (radians)."""
    fwd = np.array([0.0, 0.0, 1.0]) - up[2] * up
    if np.linalg.norm(fwd) < 1e-6:  # camera looking straight down: any in-plane axis
        fwd = np.array([1.0, 0.0, 0.0]) - up[0] * up
    fwd /= np.linalg.norm(fwd)
    return fwd, np.cross(up, fwd)


def people_bootstrap(pts: np.ndarray, weights: np.ndarray, who: np.ndarray, up: np.ndarray, offset: float,
                     replicates: int = 500, seed: int = 0, scale: float = 1.0, floor_tilt_deg: float = 0.0,
                     floor_height_frac: float = 0.0, method: str = "bootstrap") -> FloorSigma:
    """Sigmas of the plane up.x + offset = 0 (unit `up`) fitted by weighted least squares to the
    points (N, 3) of people `who` (N,): the spread of the refits over resamples of whole people
    (method "bootstrap"; "jackknife": over the refits leaving one person out each),
    times `scale`, with the floors added in quadrature (the height's a fraction of the height: a
    depth-scale error of DRM shared by all people scales it). Deterministic for a given seed."""
    people, index = np.unique(who, return_inverse=True)
    p = len(people)
    w = np.asarray(weights, dtype=np.float64)
    # per person: sum w, sum w x, sum w x x^T; a resample's plane follows from their counted sums
    mass = np.bincount(index, w, minlength=p)
    first = np.stack([np.bincount(index, w * pts[:, k], minlength=p) for k in range(3)], 1)
    second = np.einsum("n,ni,nj->nij", w, pts, pts)
    second = np.stack([second[index == k].sum(0) for k in range(p)])
    if method == "jackknife":  # each person left out once
        counts = 1.0 - np.eye(p)
    else:
        counts = np.random.default_rng(seed).multinomial(p, np.full(p, 1.0 / p), size=replicates).astype(np.float64)
    m = counts @ mass
    ok = m > 0
    counts, m = counts[ok], m[ok]
    centroid = (counts @ first) / m[:, None]
    cov = np.einsum("bp,pij->bij", counts, second) / m[:, None, None] - np.einsum("bi,bj->bij", centroid, centroid)
    normals = np.linalg.eigh(cov)[1][:, :, 0]  # the smallest eigenvalue's vector
    normals *= np.sign(normals @ up)[:, None]
    offsets = -np.einsum("bi,bi->b", normals, centroid)
    if method == "jackknife":
        spread = lambda v: float(np.sqrt((p - 1) / p * np.sum((v - v.mean()) ** 2)))  # noqa: E731
        small = scale
    else:
        spread = _spread
        # a resample of few people fits its own plane too well (3 degrees of freedom taken out), so
        # the spread is widened by sqrt(p / (p - 3)), as the residual variance of a 3-parameter fit
        small = np.sqrt(p / max(p - 3, 1)) * scale
    fwd, lat = tilt_axes(up)
    pitch = float(np.degrees(spread(normals @ fwd))) * small
    roll = float(np.degrees(spread(normals @ lat))) * small
    height = float(spread(offsets)) * small
    pitch, roll = np.hypot(pitch, floor_tilt_deg), np.hypot(roll, floor_tilt_deg)
    # the shared tilt moves the plane's offset at the camera by the people's lever arm, and a shared
    # depth-scale error of DRM scales the offset
    lever = float(np.linalg.norm(first.sum(0) / mass.sum()))
    height = np.sqrt(height ** 2 + (np.radians(floor_tilt_deg) * lever) ** 2 + (floor_height_frac * abs(offset)) ** 2)
    return FloorSigma(float(max(pitch, roll)), float(pitch), float(roll), float(height))


def _spread(values: np.ndarray) -> float:
    """A standard deviation robust to the few resamples that draw nearly collinear people (whose
    wild planes would dominate np.std): half the 16-84 percentile range."""
    lo, hi = np.percentile(values, [15.87, 84.13])
    return float(hi - lo) / 2
