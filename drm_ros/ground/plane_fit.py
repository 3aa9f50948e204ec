"""The one robust plane fit: least truncated quadratic cost (MSAC), found by sampling and polish.

Used by the label-free residual metric (plausibility.fit_plane: perpendicular distance, 5 cm)
and by the self-estimated floor (fit.AutoPlane: relative depth error along the viewing rays).

Why not plain RANSAC (the plane with most points within a threshold): on vtest's ankles (~27 %
inliers) many planes 1-16 deg apart tie on the inlier count, so the plane moved with the random
seed (the residual figure over 58-169 cm rms; AutoPlane's floor on a synthetic clip over 1.2-4.4
deg). Each point's cost is its squared residual, at most threshold^2, so different planes do not
tie; `hypotheses` random triples find the basin of the least cost, and the `polish` cheapest are
each refined (weighted least squares on their inliers, repeated until the inliers stop changing);
the cheapest refined plane is kept. The least squares must minimise what the cost counts: for the
relative depth residual |Z - Z_plane| / Z = |n.X + d| / (Z |n.u|) (u = X / Z, the ray), so its
weights 1 / (Z n.u)^2 follow the plane being refined (`relative_depth_weights`); with 1 / Z^2
alone the polish could walk away from a good plane (session 11: vtest frames 544-580, the learnt
floor up to 17 deg off for 40 frames at a higher cost than the final one;
logs/vtest_floor_trace_before_polish_session11.log). Seeds then agree
(model/logs/ground_plane/residual_seeds.log, floor_uncertainty.log).
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


def relative_depth_weights(pts: np.ndarray, normal: np.ndarray) -> np.ndarray:
    """Least-squares weights that turn the perpendicular distance into the relative depth residual
    near `normal`: 1 / (Z n.u)^2, u = X / Z (grazing rays capped at n.u = 0.05)."""
    cos = np.maximum(np.abs((pts / pts[:, 2:3]) @ normal), 0.05)
    return 1.0 / (pts[:, 2] * cos) ** 2


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


def msac_plane(pts: np.ndarray, residual: Residual, threshold: float, weights=None,
               hypotheses: int = 10000, polish: int = 50, seed: int = 0, start: tuple | None = None):
    """(unit normal, offset d with n.x + d = 0, inlier mask) of least truncated cost, or None for
    fewer than 3 points. `weights` weight the polishing least squares: (N,) fixed, or a function
    (points, normal) -> (N,) evaluated at the plane being refined (default: equal); the sign of the
    normal is arbitrary. Deterministic for a given seed; the seed barely matters.
    `start` (normal, d): a plane competing with the sampled ones (e.g. the previous frame's fit,
    so that a fit repeated over a growing set of points needs far fewer hypotheses)."""
    pts = np.asarray(pts, dtype=np.float64).reshape(-1, 3)
    if len(pts) < 3:
        return None
    if weights is None:
        weigh = lambda normal: np.ones(len(pts))  # noqa: E731
    elif callable(weights):
        weigh = lambda normal: weights(pts, normal)  # noqa: E731
    else:
        weigh = lambda normal, w=np.asarray(weights, dtype=np.float64): w  # noqa: E731
    rng = np.random.default_rng(seed)
    tri = pts[rng.integers(0, len(pts), size=(hypotheses, 3))]  # (K, 3, 3); repeated points drop out
    normals = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    norm = np.linalg.norm(normals, axis=1)
    keep = norm > 1e-9
    if not keep.any():  # all points on one line (or one point)
        normal, d = weighted_plane(pts, np.ones(len(pts)))
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
        for _ in range(100):  # until the inliers and (for weights that follow the plane) the plane settle
            if inliers.sum() < 3:
                break
            n_new, d_new = weighted_plane(pts[inliers], weigh(normal)[inliers])
            if n_new @ normal < 0:  # the same plane, the sign of the last one (for the change below)
                n_new, d_new = -n_new, -d_new
            moved, (normal, d) = float(np.linalg.norm(n_new - normal)), (n_new, d_new)
            again = residual(pts, normal[None], np.array([d]))[0] < threshold
            if np.array_equal(again, inliers) and moved < 1e-12:
                break
            inliers = again
        c = float(truncated_cost(pts, normal[None], np.array([d]), residual, threshold)[0])
        if c < best[0]:
            best = (c, normal, d)
    _, normal, d = best
    return normal, d, residual(pts, normal[None], np.array([d]))[0] < threshold
