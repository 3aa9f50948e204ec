"""The one robust plane fit: least truncated quadratic cost (MSAC), found by sampling and polish.

Used by the label-free residual metric (plausibility.fit_plane: perpendicular distance, 5 cm)
and by the self-estimated floor (fit.AutoPlane: relative depth error along the viewing rays).

Why not plain RANSAC (the plane with most points within a threshold): on vtest's ankles (~27 %
inliers) many planes 1-16 deg apart tie on the inlier count, so the plane moved with the random
seed (the residual figure over 58-169 cm rms; AutoPlane's floor on a synthetic clip over 1.2-4.4
deg). Each point's cost is its squared residual, at most threshold^2, so different planes do not
tie; `hypotheses` random triples find the basin of the least cost, and the `polish` cheapest are
each refined (weighted least squares on their inliers, repeated until the inliers stop changing)
before the cheapest result is kept. Seeds then agree (model/logs/ground_plane/residual_seeds.log,
floor_uncertainty.log).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

# residual(points (N, 3), normals (K, 3), offsets (K,)) -> (K, N), >= 0, for planes n.x + d = 0
Residual = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def distance_residual(pts: np.ndarray, normals: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Perpendicular distance of each point to each plane (metres)."""
    return np.abs(normals @ pts.T + offsets[:, None])


def relative_depth_residual(pts: np.ndarray, normals: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """|Z - Z_plane| / Z: how far along its viewing ray (from the origin) each point lies from
    where its ray meets each plane, relative to its depth; inf where the ray misses the plane."""
    rays = pts / pts[:, 2:3]
    with np.errstate(divide="ignore", invalid="ignore"):
        zp = -offsets[:, None] / (normals @ rays.T)
        err = np.abs(pts[:, 2] - zp) / pts[:, 2]
    return np.where((zp > 0) & np.isfinite(err), err, np.inf)


def weighted_plane(pts: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, float]:
    """Weighted least-squares plane (unit normal, offset d) through points (M >= 3, 3)."""
    centroid = (weights[:, None] * pts).sum(0) / weights.sum()
    d = (pts - centroid) * np.sqrt(weights)[:, None]
    normal = np.linalg.svd(d, full_matrices=False)[2][-1]
    return normal, float(-normal @ centroid)


def truncated_cost(pts: np.ndarray, normals: np.ndarray, offsets: np.ndarray, residual: Residual,
                   threshold: float) -> np.ndarray:
    """MSAC cost of K planes: sum over points of min(residual^2, threshold^2), in bounded memory."""
    chunk = max(1, 2_000_000 // max(len(pts), 1))
    return np.concatenate([np.minimum(residual(pts, normals[k:k + chunk], offsets[k:k + chunk]) ** 2,
                                      threshold ** 2).sum(axis=1) for k in range(0, len(normals), chunk)])


def msac_plane(pts: np.ndarray, residual: Residual, threshold: float, weights: np.ndarray | None = None,
               hypotheses: int = 10000, polish: int = 50, seed: int = 0, start: tuple | None = None):
    """(unit normal, offset d with n.x + d = 0, inlier mask) of least truncated cost, or None for
    fewer than 3 points. `weights` (N,) weight the polishing least squares (default: equal); the
    sign of the normal is arbitrary. Deterministic for a given seed; the seed barely matters.
    `start` (normal, d): a plane competing with the sampled ones (e.g. the previous frame's fit,
    so that a fit repeated over a growing set of points needs far fewer hypotheses)."""
    pts = np.asarray(pts, dtype=np.float64).reshape(-1, 3)
    if len(pts) < 3:
        return None
    w = np.ones(len(pts)) if weights is None else np.asarray(weights, dtype=np.float64)
    rng = np.random.default_rng(seed)
    tri = pts[rng.integers(0, len(pts), size=(hypotheses, 3))]  # (K, 3, 3); repeated points drop out
    normals = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    norm = np.linalg.norm(normals, axis=1)
    keep = norm > 1e-9
    if not keep.any():  # all points on one line (or one point)
        normal, d = weighted_plane(pts, w)
        return normal, d, np.ones(len(pts), bool)
    normals = normals[keep] / norm[keep, None]
    offsets = -np.einsum("kj,kj->k", normals, tri[keep, 0])
    if start is not None:
        normals, offsets = np.vstack([np.asarray(start[0], float)[None], normals]), np.r_[float(start[1]), offsets]
    cost = truncated_cost(pts, normals, offsets, residual, threshold)
    best = (np.inf, None, None)
    for k in np.argsort(cost, kind="stable")[:polish]:
        normal, d = normals[k], offsets[k]
        inliers = residual(pts, normal[None], np.array([d]))[0] < threshold
        for _ in range(50):
            if inliers.sum() < 3:
                break
            normal, d = weighted_plane(pts[inliers], w[inliers])
            again = residual(pts, normal[None], np.array([d]))[0] < threshold
            if np.array_equal(again, inliers):
                break
            inliers = again
        c = float(truncated_cost(pts, normal[None], np.array([d]), residual, threshold)[0])
        if c < best[0]:
            best = (c, normal, d)
    _, normal, d = best
    return normal, d, residual(pts, normal[None], np.array([d]))[0] < threshold
