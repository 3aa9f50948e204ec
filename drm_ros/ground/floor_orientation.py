"""The floor's ORIENTATION (pitch, roll) from 2D alone: where people's upper bodies appear in
the image relative to their feet, independent of DRM's depth.

INFERRED design (the idea of Hoiem, Efros & Hebert 2006, "Putting objects in perspective", and of
Criminisi's single-view metrology; our own formulation). An upright person stands on the floor:
the foot point F is where the foot's viewing ray r_f meets the plane up.X + H = 0, i.e.
F / H = -r_f / (up.r_f), and a body point at height h above it is F + h up, so its viewing
direction is that of -r_f / (up.r_f) + (h / H) up. Given the floor's up vector (pitch, roll) and one
ratio rho = h / H per body point (people's heights vary a few per cent: the robust loss absorbs
that), the body point's image position follows from the foot's. Over many people at different
image rows this fixes pitch and roll (the vanishing point of the verticals, and how image height
shrinks towards the horizon); the scale H is not seen (rho only), so the height is chosen
separately (fit.py).

Residuals: the angle between the predicted and the observed body-point ray, in two directions,
relative to the person's angular height (foot to shoulders), so a near and a far person count
alike (stature spread is a fraction of the height, as is most 2D error). Loss: soft L1 at
`loss_scale` (relative), minimised by Levenberg-Marquardt on iteratively reweighted least squares
(numerical Jacobian, 2 + K parameters; no scipy in the package's dependencies). Start: Hoiem's
linear approximation (image height proportional to the foot's distance below the horizon row), or
the previous fit.

Uncertainty: the people (tracks) are the independent units, not the frames (one person's lean and
stature repeat along their walk), so the covariance is the cluster-robust sandwich over people
(what a bootstrap over people approaches, without its hundreds of refits per frame), widened by
p / (p - k) for the k parameters fitted.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from drm_ros.ground.floor_uncertainty import tilt_axes
from drm_ros.ground.plane import GroundPlane


MISSED = 10.0  # relative residual of a body point whose foot ray misses the floor


class OrientationError(ValueError):
    """Too few people, or input that cannot fix a floor's orientation; the message says which."""


@dataclass(frozen=True)
class Orientation:
    up: np.ndarray  # (3,) the floor's unit up vector in the camera frame
    ratios: np.ndarray  # (K,) body point height above the foot point / camera height above it
    pitch_sigma_deg: float  # forward tilt (floor_uncertainty.tilt_axes), sandwich over people
    roll_sigma_deg: float  # lateral tilt
    inliers: np.ndarray  # (M,) bool: observations whose rms relative residual is within the loss scale x 3
    num_people: int

    @property
    def tilt_sigma_deg(self) -> float:
        return max(self.pitch_sigma_deg, self.roll_sigma_deg)


def up_vector(pitch_deg: float, roll_deg: float) -> np.ndarray:
    return GroundPlane.from_height_pitch_roll(1.0, pitch_deg, roll_deg).up


def predicted_rays(foot: np.ndarray, up: np.ndarray, ratios: np.ndarray) -> np.ndarray:
    """Unit rays (M, K, 3) of body points `ratios` (K,) x camera height above the feet, for feet
    seen along unit rays `foot` (M, 3); NaN where the foot ray does not meet the floor."""
    descent = -(foot @ up)
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(descent[:, None] > 1e-6, foot / descent[:, None], np.nan)  # F / H
    p = f[:, None, :] + ratios[None, :, None] * up[None, None, :]
    return p / np.linalg.norm(p, axis=2, keepdims=True)


def relative_residuals(foot: np.ndarray, body: np.ndarray, up: np.ndarray, ratios: np.ndarray) -> np.ndarray:
    """(M, K, 2): predicted minus observed body ray, in two tangent directions of the observed ray
    (along the person's image axis and across it), over the person's angle from feet to body point."""
    pred = predicted_rays(foot, up, ratios)
    along = body - np.einsum("mkj,mj->mk", body, foot)[:, :, None] * foot[:, None, :]  # foot-ward tangent
    size = np.linalg.norm(along, axis=2, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        e1 = along / size
        e2 = np.cross(body, e1)
        d = pred - body
        return np.stack([np.einsum("mkj,mkj->mk", d, e1), np.einsum("mkj,mkj->mk", d, e2)], 2) / size


def linear_start(foot: np.ndarray, body: np.ndarray) -> tuple[float, float, float]:
    """(pitch_deg, roll 0, ratio) from Hoiem's approximation on the first body point: the image
    height (normalised coordinates) grows linearly with the foot's row below the horizon."""
    y_foot = foot[:, 1] / foot[:, 2]
    height = y_foot - body[:, 0, 1] / body[:, 0, 2]
    ok = np.isfinite(height) & np.isfinite(y_foot)
    a, b = np.polyfit(y_foot[ok], height[ok], 1)
    if not (np.isfinite(a) and a > 1e-3):  # heights do not grow downwards: assume a level camera
        return 0.0, 0.0, float(np.nanmedian(height / np.maximum(np.abs(y_foot), 1e-3)))
    y_horizon = -b / a  # level camera: horizon at y = 0; pitched down by t: y = -tan t
    return float(np.degrees(np.arctan(-y_horizon))), 0.0, float(a)


def fit_orientation(foot: np.ndarray, body: np.ndarray, who: np.ndarray, min_people: int = 4,
                    loss_scale: float = 0.08, start: tuple | None = None) -> Orientation:
    """Pitch, roll and one height ratio per body point from people's (foot ray, body rays) pairs.
    foot (M, 3) unit rays of the foot points; body (M, K, 3) unit rays of K body points (NaN: not
    seen); who (M,) person keys. Raises OrientationError with the reason when it cannot."""
    foot, body, who = np.asarray(foot, float), np.asarray(body, float), np.asarray(who)
    if foot.ndim != 2 or foot.shape[1:] != (3,) or body.ndim != 3 or body.shape[0] != len(foot) or body.shape[2] != 3:
        raise OrientationError(f"need foot rays (M, 3) and body rays (M, K, 3), got {foot.shape} and {body.shape}")
    seen = np.all(np.isfinite(foot), 1) & np.all(np.isfinite(body[:, 0]), 1)
    foot, body, who = foot[seen], body[seen], who[seen]
    people = np.unique(who)
    # two degrees of freedom left over the 2 + K parameters, counted in people (each repeats their lean
    # and stature): synth_seq_b clip 2's 4 people gave a floor 15 deg off claiming +-4
    needed = max(min_people, 2 + body.shape[1] + 2)
    if len(people) < needed:
        raise OrientationError(f"{len(people)} people seen upright; the floor's orientation needs {needed}")
    rows = foot[:, 1] / foot[:, 2]
    if np.ptp(rows) < 1e-3 and np.ptp(foot[:, 0] / foot[:, 2]) < 1e-3:
        raise OrientationError("all feet at one image point: no spread to fix a tilt")
    k = body.shape[1]
    unseen = np.repeat(~np.all(np.isfinite(body), 2), 2, axis=1).reshape(-1)

    def res(x):
        r = relative_residuals(foot, body, up_vector(x[0], x[1]), x[2:]).reshape(-1)
        r = np.where(np.isfinite(r), r, MISSED)  # a foot ray that misses the floor: a bad orientation
        r[unseen] = 0.0  # a body point not seen costs nothing
        return r

    # starts: the previous fit, Hoiem's line, and a few pitches (steep views leave the line's range)
    p0, r0, rho0 = linear_start(foot, body)
    starts = [np.r_[p, r0, np.full(k, rho0)] for p in (p0, -20.0, 0.0, 20.0, 40.0, 60.0)]
    if start is not None and len(start) == 2 + k:
        starts.insert(0, np.asarray(start, float))
    starts = [np.r_[np.clip(s[:2], -80, 80), np.clip(s[2:], 1e-3, 10)] for s in starts]
    x0 = min(starts, key=lambda s: _robust_cost(res(s), loss_scale))
    x = _robust_lm(res, x0, loss_scale, np.r_[-89.0, -89.0, np.full(k, 1e-4)], np.r_[89.0, 89.0, np.full(k, 50.0)])
    if not np.all(np.isfinite(x)):
        raise OrientationError("the orientation fit did not converge")
    up = up_vector(x[0], x[1])
    r = np.where(np.isfinite(body).all(2)[:, :, None], relative_residuals(foot, body, up, x[2:]), np.nan)
    r = np.where(np.isnan(r) & np.isfinite(body).all(2)[:, :, None], MISSED, r)  # seen, but the foot misses the floor
    inliers = np.zeros(len(seen), bool)
    inliers[seen] = np.sqrt(np.nanmean(r.reshape(len(foot), -1) ** 2, axis=1)) < 3 * loss_scale
    pitch_sigma, roll_sigma = _sandwich_tilt_sigmas(res, x, who, loss_scale, up, per_obs=2 * k)
    return Orientation(up, x[2:].copy(), pitch_sigma, roll_sigma, inliers, len(people))


def _jacobian(res, x, f0):
    steps = np.r_[1e-3, 1e-3, np.full(len(x) - 2, 1e-5)]
    return np.stack([(res(x + np.eye(len(x))[i] * steps[i]) - f0) / steps[i] for i in range(len(x))], 1)


def _robust_cost(f, scale):
    return float(np.sum(2 * scale ** 2 * (np.sqrt(1 + (f / scale) ** 2) - 1)))  # soft L1


def _robust_lm(res, x, scale, lo, hi, iterations=60):
    """Levenberg-Marquardt on the soft-L1 cost (weights 1 / sqrt(1 + (r / scale)^2), refreshed
    every step), steps clipped to the bounds. Deterministic."""
    f = res(x)
    cost, lam = _robust_cost(f, scale), 1e-3
    for _ in range(iterations):
        w = 1.0 / np.sqrt(1.0 + (f / scale) ** 2)
        J = _jacobian(res, x, f)
        H, g = (J * w[:, None]).T @ J, (J * w[:, None]).T @ f
        improved = False
        for _ in range(10):
            step = np.linalg.solve(H + lam * np.diag(np.diag(H) + 1e-12), -g)
            x_new = np.clip(x + step, lo, hi)
            f_new = res(x_new)
            c_new = _robust_cost(f_new, scale)
            if c_new < cost:
                improved, lam = True, max(lam / 10, 1e-9)
                break
            lam *= 10
        if not improved:
            break
        done = cost - c_new < 1e-10 * max(cost, 1e-12)
        x, f, cost = x_new, f_new, c_new
        if done:
            break
    return x


def _sandwich_tilt_sigmas(res, x, who, loss_scale, up, per_obs):
    """Cluster-robust (people) sigmas of the floor's forward and lateral tilt, in degrees."""
    f0 = res(x)
    J = _jacobian(res, x, f0)
    w = 1.0 / np.sqrt(1.0 + (f0 / loss_scale) ** 2)  # soft L1's IRLS weight
    groups = np.repeat(np.unique(who, return_inverse=True)[1], per_obs)
    p, k = groups.max() + 1, len(x)
    bread = np.linalg.pinv((J * w[:, None]).T @ J)
    score = np.zeros((p, k))
    np.add.at(score, groups, J * (w * f0)[:, None])
    cov = bread @ (score.T @ score) @ bread * p / max(p - k, 1)
    # the up vector's change along the floor's tilt axes, per degree of pitch / roll
    fwd, lat = tilt_axes(up)
    du = np.stack([(up_vector(x[0] + 1e-3, x[1]) - up) / 1e-3, (up_vector(x[0], x[1] + 1e-3) - up) / 1e-3], 1)
    A = np.stack([fwd @ du, lat @ du])  # (2, 2): radians of tilt per degree of (pitch, roll)
    tilt_cov = A @ cov[:2, :2] @ A.T
    return tuple(float(np.degrees(np.sqrt(max(v, 0.0)))) for v in np.diag(tilt_cov))
