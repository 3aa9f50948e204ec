"""Self-estimated floor for a static camera: a robust plane through the ankles of confident,
upright people, accumulated over frames, with a confidence and a reset when it stops fitting.

Noise model: DRM's 3D ankles scatter ALONG their viewing rays (absolute depth is its weak part,
~10 % of the distance), so candidates are scored by the relative depth error each ankle would
have if the plane were true (|Z - Z_plane| / Z), and the final least-squares fit weights points
by 1 / Z^2; its uncertainty (tilt, height) is that weighted fit's own. A global depth-scale error
of DRM scales the fitted camera height but leaves the floor's orientation unbiased; refinement then
removes the per-person scatter around it.

The plane fitted is the ankle plane; the floor lies `ankle_height_m` below it.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from drm_ros.ground.plane import GroundPlane, PlaneError
from drm_ros.poses import PoseSet
from drm_ros.skeleton import JOINT_INDEX

J = JOINT_INDEX
UPRIGHT_JOINTS = [J[n] for n in ("left_shoulder", "right_shoulder", "left_hip", "right_hip", "left_ankle", "right_ankle")]


@dataclass(frozen=True)
class FitSettings:
    ankle_height_m: float = 0.11  # same meaning as RefineSettings.ankle_height_m
    min_person_score: float = 0.3
    min_joint_score: float = 0.3
    max_points: int = 600  # sliding window of ankle points
    # A plane is offered from `min_points` ankles over `min_frames` frames on: the refinement
    # weights it by the fit's own tilt and height uncertainty (session.py), so an early plane is
    # used only as much as it is known. 20 points before (vtest: the floor from its 7th frame on);
    # with 10, from the 3rd, within its sigma of the final plane (model/logs/ground_plane/
    # vtest_levers.log; test_ground: error / sigma as on 20 points). `max_tilt_sigma_deg` is a
    # guard: a plane whose tilt is that uncertain is not offered (vtest's first plane: 1.8 deg).
    min_points: int = 10
    min_frames: int = 3
    max_tilt_sigma_deg: float = 3.0
    full_confidence_points: int = 40  # `confidence` reaches the inlier fraction with this many points
    inlier_depth_frac: float = 0.15  # |Z - Z_plane| / Z of an inlier
    min_inlier_fraction: float = 0.5  # confidence floor to offer the plane
    iterations: int = 200
    check_points: int = 30  # recent points that must keep fitting ...
    reset_inlier_fraction: float = 0.3  # ... at least this well, else the camera moved: reset
    seed: int = 0


def upright_ankles(poses: PoseSet, s: FitSettings) -> np.ndarray:
    """(M, 3) lower ankle (the one further down the image) of each confident, upright person.
    Upright in the image: shoulders above hips above ankles, and the body taller than wide."""
    out = []
    for i in range(len(poses)):
        if poses.scores[i] < s.min_person_score or np.any(poses.joint_scores[i, UPRIGHT_JOINTS] < s.min_joint_score):
            continue
        uv = poses.joints2d[i]
        sh = 0.5 * (uv[J["left_shoulder"]] + uv[J["right_shoulder"]])
        hip = 0.5 * (uv[J["left_hip"]] + uv[J["right_hip"]])
        an = 0.5 * (uv[J["left_ankle"]] + uv[J["right_ankle"]])
        if not (sh[1] < hip[1] < an[1]) or (an[1] - sh[1]) < 1.5 * abs(an[0] - sh[0]):
            continue
        lower = J["left_ankle"] if uv[J["left_ankle"], 1] >= uv[J["right_ankle"], 1] else J["right_ankle"]
        out.append(poses.joints3d[i, lower])
    pts = np.array(out, dtype=np.float64).reshape(-1, 3)
    return pts[np.all(np.isfinite(pts), axis=1) & (pts[:, 2] > 0.1)]


def _relative_depth_error(pts: np.ndarray, normal: np.ndarray, offset) -> np.ndarray:
    """|Z - Z_plane| / Z for points (N, 3) on their rays against planes n.X + c = 0: one plane
    (3,) and scalar c -> (N,), or K planes (K, 3) and (K,) -> (K, N)."""
    rays = pts / pts[:, 2:3]
    with np.errstate(divide="ignore", invalid="ignore"):
        zp = -np.asarray(offset, dtype=np.float64)[..., None] / (np.asarray(normal) @ rays.T)
        err = np.abs(pts[:, 2] - zp) / pts[:, 2]
    return np.where((zp > 0) & np.isfinite(err), err, np.inf)


def fit_ankle_plane(pts: np.ndarray, s: FitSettings, rng: np.random.Generator):
    """RANSAC (all candidate planes scored at once) + weighted least squares -> (unit normal
    towards the camera, offset c > 0 with n.X + c = 0, inlier mask), or None."""
    if len(pts) < 3:
        return None
    tri = pts[rng.integers(0, len(pts), size=(s.iterations, 3))]  # (K, 3, 3); repeats drop out below
    n = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    norm = np.linalg.norm(n, axis=1)
    ok = norm > 1e-9
    if not ok.any():
        return None
    n = n[ok] / norm[ok, None]
    off = -np.einsum("kj,kj->k", n, tri[ok, 0])
    n, off = np.where(off[:, None] < 0, -n, n), np.abs(off)
    counts = (_relative_depth_error(pts, n, off) < s.inlier_depth_frac).sum(axis=1)
    best = _relative_depth_error(pts, n[np.argmax(counts)], off[np.argmax(counts)]) < s.inlier_depth_frac
    if best.sum() < 3:
        return None
    for _ in range(2):  # weighted least squares on the inliers, then re-select them once
        w = 1.0 / pts[best, 2] ** 2
        centroid = (w[:, None] * pts[best]).sum(0) / w.sum()
        d = (pts[best] - centroid) * np.sqrt(w)[:, None]
        normal = np.linalg.svd(d, full_matrices=False)[2][-1]
        c = -float(normal @ centroid)
        if c < 0:
            normal, c = -normal, -c
        inl = _relative_depth_error(pts, normal, c) < s.inlier_depth_frac
        if inl.sum() < 3:
            break
        best = inl
    return normal, c, best


class AutoPlane:
    """Feed it every frame's (unrefined) PoseSet; `plane` is the floor once it is trusted."""

    def __init__(self, settings: FitSettings = FitSettings()):
        self.s = settings
        self._rng = np.random.default_rng(settings.seed)
        self.reset_count = 0
        self.clear()

    def clear(self) -> None:
        self._points: deque = deque(maxlen=self.s.max_points)  # (frame, point)
        self._frame = 0
        self.plane: GroundPlane | None = None
        self.inlier_fraction = 0.0
        self.num_points = 0
        self.residual_cm = float("nan")
        self.tilt_sigma_deg = float("nan")
        self.height_sigma_m = float("nan")

    @property
    def confidence(self) -> float:
        """0..1: the inlier fraction, scaled down while there are few points."""
        if self.plane is None:
            return 0.0
        return float(self.inlier_fraction * min(1.0, self.num_points / self.s.full_confidence_points))

    def update(self, poses: PoseSet) -> GroundPlane | None:
        new = upright_ankles(poses, self.s)
        self._frame += 1
        for p in new:
            self._points.append((self._frame, p))
        if self.plane is not None and self._stopped_fitting():
            recent = list(self._points)[-self.s.check_points:]
            self.reset_count += 1
            self.clear()
            self._points.extend(recent)  # the points since the move start the new floor
        self._refit()
        return self.plane

    def _stopped_fitting(self) -> bool:
        if len(self._points) < self.s.check_points:
            return False
        recent = np.array([p for _, p in list(self._points)[-self.s.check_points:]])
        n, c = self.plane.up, self.plane.height - self.s.ankle_height_m  # the ankle-level plane
        err = _relative_depth_error(recent, n, c)
        return float(np.mean(err < self.s.inlier_depth_frac)) < self.s.reset_inlier_fraction

    def _refit(self) -> None:
        pts = np.array([p for _, p in self._points]).reshape(-1, 3)
        frames = len({f for f, _ in self._points})
        self.num_points = len(pts)
        if len(pts) < self.s.min_points or frames < self.s.min_frames:
            self.plane = None
            return
        fit = fit_ankle_plane(pts, self.s, self._rng)
        if fit is None:
            self.plane = None
            return
        n, off, inl = fit
        self.inlier_fraction = float(inl.mean())
        if self.inlier_fraction < self.s.min_inlier_fraction:
            self.plane = None
            return
        try:
            plane = GroundPlane(n, off + self.s.ankle_height_m)
        except PlaneError:
            self.plane = None
            return
        resid = pts[inl] @ n + off
        self.residual_cm = float(np.sqrt(np.mean(resid ** 2)) * 100)
        # The fit's own uncertainty, as the weighted least squares that made it sees it: residual
        # variance per unit weight (its 3 fitted degrees of freedom taken out: a handful of points
        # fits its own plane too well and would claim a tilt it does not know) over the weighted
        # lever arm of the points within the floor (the smaller in-plane axis).
        q, k = pts[inl], int(inl.sum())
        w = 1.0 / q[:, 2] ** 2
        centred = q - (w[:, None] * q).sum(0) / w.sum()
        spread = np.linalg.eigvalsh((w[:, None] * centred).T @ centred)  # ascending
        var_unit = float(w @ resid ** 2 / (k - 3)) if k > 3 else float("inf")
        self.tilt_sigma_deg = float(np.degrees(np.sqrt(var_unit / max(spread[1], 1e-12))))
        self.height_sigma_m = float(np.sqrt(var_unit / w.sum()) + np.radians(self.tilt_sigma_deg)
                                    * np.linalg.norm((w[:, None] * q).sum(0) / w.sum()))
        # a tilt this uncertain is not offered at all (few points, or points nearly on one line)
        self.plane = plane if self.tilt_sigma_deg <= self.s.max_tilt_sigma_deg else None
