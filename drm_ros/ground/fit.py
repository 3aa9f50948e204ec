"""Self-estimated floor for a static camera: a robust plane through the ankles of confident,
upright people, accumulated over frames, with a confidence and a reset when it stops fitting.

Noise model: DRM's 3D ankles scatter ALONG their viewing rays (absolute depth is its weak part,
~10 % of the distance), so the fit (plane_fit.msac_plane, the one the residual metric uses) costs
each ankle its relative depth error if the plane were true (|Z - Z_plane| / Z, truncated), and the
polishing least squares minimise that same error (plane_fit.relative_depth_weights).
Deterministic: the former fit (200 triples, most inliers) moved a synthetic clip's floor over
1.2-4.4 deg from the truth with the seed.

Uncertainty (floor_uncertainty.py): DRM's depth error is mostly per person (a size prior),
repeated in all of one person's points, so the tilt and height sigmas come from a bootstrap over
people (points linked across frames with the tracker's gate), not points; plus, in quadrature, the
part no resampling sees because all people share it (DRM's depth-scale bias moves the height),
measured on labelled synthetic sequences (model/logs/ground_plane/floor_uncertainty*.log).

The plane fitted is the ankle plane; the floor lies `ankle_height_m` below it.

`orientation: image2d` (image_floor.py, INFERRED): the floor's tilt from 2D alone (people's body
points against their feet), only its height from DRM's ankles, so DRM's depth errors cannot tilt it;
`fused` (the default since session 11): both tilts averaged by their variances. On labelled
sequences the learnt floor's error that costs the metrics is its height, not its tilt
(floor_error_split.log); on the real video the 2D tilt steadies the early floor (FitSettings).
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from drm_ros.ground.floor_orientation import OrientationError
from drm_ros.ground.floor_uncertainty import people_bootstrap
from drm_ros.ground.image_floor import HEIGHTS, fit_image_floor
from drm_ros.ground.plane import GroundPlane, PlaneError
from drm_ros.ground.plane_fit import msac_plane, relative_depth_residual, relative_depth_weights
from drm_ros.poses import PoseSet
from drm_ros.skeleton import JOINT_INDEX
from drm_ros.tracking import gated_cost, greedy_pairs

J = JOINT_INDEX
ORIENTATIONS = ("ankles3d", "image2d", "fused")
# image2d: points above the ankles' midpoint. Not the nose: it sits ahead of the body axis, so people
# walking across the view in one direction tilt the floor sideways (synth_seq_near, true 2D: median
# 1.46 deg off with shoulders + nose, 1.18 with shoulders + hips; model/logs/ground_plane/image_floor_points.log)
BODY_POINTS = (("left_shoulder", "right_shoulder"), ("left_hip", "right_hip"))
UPRIGHT_JOINTS = [J[n] for n in ("left_shoulder", "right_shoulder", "left_hip", "right_hip", "left_ankle", "right_ankle")]


@dataclass(frozen=True)
class FitSettings:
    ankle_height_m: float = 0.11  # same meaning as RefineSettings.ankle_height_m
    min_person_score: float = 0.3
    min_joint_score: float = 0.3
    max_points: int = 600  # sliding window of ankle points
    # A plane is offered from `min_points` ankles of `min_people` people over `min_frames` frames on:
    # the refinement weights it by the fit's own tilt and height uncertainty (session.py), so an
    # early plane is used only as much as it is known (20 points before; model/logs/ground_plane/
    # vtest_levers.log). `max_tilt_sigma_deg`: a plane whose tilt is less certain than that is not
    # offered at all (3, 5 and none measured on the labelled sequence split: 5 and none best).
    min_points: int = 10
    min_frames: int = 3
    min_people: int = 4  # three people fix a plane but not how well (no degree of freedom left)
    max_tilt_sigma_deg: float = 5.0
    full_confidence_points: int = 40  # `confidence` reaches the inlier fraction with this many points
    inlier_depth_frac: float = 0.15  # |Z - Z_plane| / Z of an inlier
    min_inlier_fraction: float = 0.5  # confidence floor to offer the plane
    # The fit (plane_fit.msac_plane, the residual metric's): relative depth errors, truncated at
    # `inlier_depth_frac`; each frame's refit also tries the previous frame's plane, so a few
    # hypotheses per frame suffice (seeds agree: model/logs/ground_plane/floor_uncertainty.log).
    hypotheses: int = 1000
    polish: int = 10
    # Uncertainty (floor_uncertainty.py): a bootstrap over people ("jackknife": each person left
    # out once, measured less honest: floor_uncertainty_raw_jackknife.log), plus floors for what all
    # people share, measured on labelled synthetic sequences (floor_uncertainty_raw.log: the bootstrap
    # alone; floor_uncertainty.log: with these floors, error / sigma rms 0.92 tilt, 1.32 height)
    bootstrap_replicates: int = 500
    uncertainty: str = "bootstrap"
    sigma_scale: float = 1.0  # on the resampled spread, before the floors
    tilt_sigma_floor_deg: float = 1.5
    height_sigma_floor_frac: float = 0.05
    # Who is who: a new ankle point continues a person seen within `link_frames` frames when it lies
    # inside the tracker's gate (tracking.py) of that person's last point. DRM's depth error is
    # mostly per person (a size prior), so one person's points along a walk are not independent.
    link_frames: int = 3
    link_gate_m: float = 0.5
    link_depth_gate_frac: float = 0.15
    # A floor once offered is refitted when new points make up this share of the window (at least
    # one), not at every frame: refitting every frame cost 12-17 ms (ankles3d) to 22-41 ms (fused)
    # per frame on average on vtest with this CPU, as much as the network, and a static camera's
    # floor hardly moves between two refits. Until a floor is offered every frame refits.
    # (session 11: tools/floor_refit_cost.py, logs/floor_refit_cost_session11.log)
    refit_fraction: float = 0.05
    check_points: int = 30  # recent points that must keep fitting ...
    reset_inlier_fraction: float = 0.3  # ... at least this well, else the camera moved: reset
    seed: int = 0
    # Where the tilt comes from: "ankles3d" (the plane through DRM's 3D ankles, above), "fused" (both,
    # averaged by their variances: image_floor.fuse_tilts) or "image2d"
    # (image_floor.py: from people's 2D body points against their feet; height from `image2d_height`:
    # "ankles" (DRM's ankles along the fitted normal) or "ratio" (`shoulders_above_ankles_m` / the
    # fitted image ratio)). Measured on labelled sequences: model/logs/ground_plane/image_floor_*.log;
    # "fused" is the default since session 11: on the real video's 240-frame stretches (vtest.avi) it
    # gives the lower jitter and ground-plane residual online and offline; on a stream's first 30 frames
    # the one-plane residual is worse; on the synthetic sequences it is mixed within 2 points
    # (logs/vtest_orientation_session11.log, logs/vtest_msac_polish_session11.log, image_floor_passes.log)
    orientation: str = "fused"
    image2d_height: str = "ankles"
    image2d_loss_scale: float = 0.08  # relative residual (of the person's image height) of soft L1
    # added in quadrature: what all people share (the mean lean of people walking alike: upright_lean.log).
    # Three splits (image_floor_uncertainty.log): the sandwich alone needs 1.5-1.6 deg more to be honest
    # in rms (a few wild clips); with 2.5 the median |error / sigma| is 0.65 (last floors) / 0.52 (0.67 honest)
    image2d_tilt_sigma_floor_deg: float = 2.5
    # a 1.70 m person: shoulders at 1.39 m, ankles at 0.11 m (synthetic clips: 1.01-1.35 m, upright_lean.log)
    shoulders_above_ankles_m: float = 1.28

    def __post_init__(self):
        if self.orientation not in ORIENTATIONS:
            raise ValueError(f"floor orientation '{self.orientation}' is not one of {', '.join(ORIENTATIONS)}")
        if self.image2d_height not in HEIGHTS:
            raise ValueError(f"image2d_height '{self.image2d_height}' is not one of {', '.join(HEIGHTS)}")


def upright_ankles(poses: PoseSet, s: FitSettings) -> np.ndarray:
    """(M, 3) lower ankle (the one further down the image) of each confident, upright person."""
    return upright_records(poses, s)[0]


def upright_records(poses: PoseSet, s: FitSettings) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per confident, upright person: (lower ankle (M, 3) in 3D, unit ray of the ankles' midpoint
    (M, 3), unit rays of BODY_POINTS (M, K, 3), NaN where not confidently seen). Upright in the image:
    shoulders above hips above ankles, and the body taller than wide. The rays are the 3D joints'
    directions, the 2D the codec lifts along (the depth head's refinement of the 2D branch's joints,
    median 1-4 px from `joints2d` on synth_seq) and the very rays refine.py meets the floor with."""
    out, feet, bodies = [], [], []
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
        feet.append(_mid_ray(poses, i, ("left_ankle", "right_ankle"), s))
        bodies.append([_mid_ray(poses, i, pair, s) for pair in BODY_POINTS])
    pts = np.array(out, dtype=np.float64).reshape(-1, 3)
    feet, bodies = np.array(feet).reshape(-1, 3), np.array(bodies).reshape(-1, len(BODY_POINTS), 3)
    ok = np.all(np.isfinite(pts), axis=1) & (pts[:, 2] > 0.1) & np.all(np.isfinite(feet), axis=1)
    return pts[ok], feet[ok], bodies[ok]


def _mid_ray(poses: PoseSet, i: int, pair: tuple[str, str], s: FitSettings) -> np.ndarray:
    """Unit viewing ray of the midpoint of two joints (normalised image coordinates), or NaN."""
    a, b = J[pair[0]], J[pair[1]]
    X = poses.joints3d[i, [a, b]]
    if min(poses.joint_scores[i, a], poses.joint_scores[i, b]) < s.min_joint_score or np.any(X[:, 2] <= 1e-3):
        return np.full(3, np.nan)
    ray = np.r_[(X[:, :2] / X[:, 2:3]).mean(0), 1.0]
    return ray / np.linalg.norm(ray)


def fit_ankle_plane(pts: np.ndarray, s: FitSettings, seed: int, start: tuple | None = None):
    """The ankle plane of least truncated relative depth error (DRM's noise is along the rays):
    (unit normal towards the camera, offset c > 0 with n.X + c = 0,
    inlier mask), or None."""
    fit = msac_plane(pts, relative_depth_residual, s.inlier_depth_frac, relative_depth_weights,
                     s.hypotheses, s.polish, seed, start)
    if fit is None or fit[2].sum() < 3:
        return None
    normal, c, inliers = fit
    return (-normal, -c, inliers) if c < 0 else (normal, c, inliers)


class AutoPlane:
    """Feed it every frame's (unrefined) PoseSet; `plane` is the floor once it is trusted."""

    def __init__(self, settings: FitSettings = FitSettings()):
        self.s = settings
        self._rng = np.random.default_rng(settings.seed)
        self.reset_count = 0
        self._next_key = 0  # person keys are never reused (points kept over a reset keep theirs)
        self.clear()

    def clear(self) -> None:
        self._points: deque = deque(maxlen=self.s.max_points)  # (frame, person key, point, (foot ray, body rays))
        self._last_seen: dict[int, tuple[int, np.ndarray]] = {}  # person key -> (frame, point)
        self._frame = 0
        self._unfitted = 0  # points added since the last refit
        self.plane: GroundPlane | None = None
        self.inlier_fraction = 0.0
        self.num_points = 0
        self.num_people = 0  # distinct people among the inliers (among all points before a fit)
        self.residual_cm = float("nan")
        self.tilt_sigma_deg = float("nan")  # along the worse-known tilt axis
        self.pitch_sigma_deg = float("nan")
        self.roll_sigma_deg = float("nan")
        self.height_sigma_m = float("nan")
        self._last_fit = None  # (normal, offset): tried again at the next refit
        self._last_orientation = None  # image2d: (pitch, roll, ratios...) of the last fit, the next start
        self.reason = ""  # why no floor is offered (image2d: the orientation fit's own reason)

    @property
    def confidence(self) -> float:
        """0..1: the inlier fraction, scaled down while there are few points."""
        if self.plane is None:
            return 0.0
        return float(self.inlier_fraction * min(1.0, self.num_points / self.s.full_confidence_points))

    def update(self, poses: PoseSet) -> GroundPlane | None:
        new, feet, bodies = upright_records(poses, self.s)
        self._frame += 1
        for key, p, f, b in zip(self._link(new), new, feet, bodies):
            self._points.append((self._frame, key, p, (f, b)))
        self._unfitted += len(new)
        if self.plane is not None and self._stopped_fitting():
            recent = list(self._points)[-self.s.check_points:]
            self.reset_count += 1
            self.clear()
            self._points.extend(recent)  # the points since the move start the new floor
            self._unfitted = len(recent)
        if self.plane is None or self._unfitted >= max(1.0, self.s.refit_fraction * len(self._points)):
            self._refit()
            self._unfitted = 0
        return self.plane

    def _link(self, new: np.ndarray) -> list[int]:
        """A person key per new point: that of a recent point it continues, or a new one."""
        recent = [(k, p) for k, (f, p) in self._last_seen.items() if self._frame - f <= self.s.link_frames]
        keys = [-1] * len(new)
        if recent and len(new):
            cost = gated_cost(np.array([p for _, p in recent]), new, self.s.link_gate_m, self.s.link_depth_gate_frac)
            for i, j in greedy_pairs(cost, 1.0):
                keys[j] = recent[i][0]
        for j in range(len(new)):
            if keys[j] < 0:
                keys[j], self._next_key = self._next_key, self._next_key + 1
            self._last_seen[keys[j]] = (self._frame, new[j])
        self._last_seen = {k: v for k, v in self._last_seen.items() if self._frame - v[0] <= self.s.link_frames}
        return keys

    def _stopped_fitting(self) -> bool:
        return self.fits(self.plane) is False

    def fits(self, plane: GroundPlane) -> bool | None:
        """Do the recent people still stand on `plane`? None until `check_points` ankles are in."""
        if len(self._points) < self.s.check_points:
            return None
        recent = np.array([r[2] for r in list(self._points)[-self.s.check_points:]])
        n, c = plane.up, plane.height - self.s.ankle_height_m  # the ankle-level plane
        err = relative_depth_residual(recent, n[None], np.array([c]))[0]
        return float(np.mean(err < self.s.inlier_depth_frac)) >= self.s.reset_inlier_fraction

    def _refit(self) -> None:
        pts = np.array([r[2] for r in self._points]).reshape(-1, 3)
        keys = np.array([r[1] for r in self._points])
        frames = len({r[0] for r in self._points})
        self.num_points, self.num_people = len(pts), len(set(keys.tolist()))  # people: the inliers' once fitted
        if len(pts) < self.s.min_points or frames < self.s.min_frames:
            self.plane = None
            return
        if self.s.orientation == "image2d":
            self._refit_image2d(pts, keys)
            return
        three = self._refit_ankles3d(pts, keys)
        if self.s.orientation == "fused":
            self._refit_image2d(pts, keys, three)

    def _refit_ankles3d(self, pts: np.ndarray, keys: np.ndarray):
        """The plane through DRM's 3D ankles; -> (up, forward, lateral tilt sigma) when offered."""
        self.plane = None
        fit = fit_ankle_plane(pts, self.s, int(self._rng.integers(2 ** 31)), self._last_fit)
        if fit is None:
            return None
        n, off, inl = fit
        self._last_fit = (n, off)
        self.inlier_fraction = float(inl.mean())
        if self.inlier_fraction < self.s.min_inlier_fraction:
            return None
        try:
            plane = GroundPlane(n, off + self.s.ankle_height_m)
        except PlaneError:
            return None
        resid = pts[inl] @ n + off
        self.residual_cm = float(np.sqrt(np.mean(resid ** 2)) * 100)
        self.num_people = len(set(keys[inl].tolist()))
        if self.num_people < max(self.s.min_people, 4):
            return None
        # counted in people, not points: one person's points along a walk repeat DRM's depth error
        sigma = people_bootstrap(pts[inl], 1.0 / pts[inl, 2] ** 2, keys[inl], n, off, self.s.bootstrap_replicates,
                                 self.s.seed, self.s.sigma_scale, self.s.tilt_sigma_floor_deg, self.s.height_sigma_floor_frac,
                                 self.s.uncertainty)
        self.tilt_sigma_deg, self.pitch_sigma_deg, self.roll_sigma_deg = sigma.tilt_deg, sigma.pitch_deg, sigma.roll_deg
        self.height_sigma_m = sigma.height_m
        # a tilt this uncertain is not offered at all (few people, or people nearly on one line)
        self.plane = plane if self.tilt_sigma_deg <= self.s.max_tilt_sigma_deg else None
        return (plane.up, sigma.pitch_deg, sigma.roll_deg) if self.plane is not None else None

    def _refit_image2d(self, pts: np.ndarray, keys: np.ndarray, other: tuple | None = None) -> None:
        """The floor's tilt from 2D (image_floor.py), fused with `other` (the 3D ankle plane's up and
        tilt sigmas) when given, its height from DRM's ankles along it."""
        feet = np.array([r[3][0] for r in self._points]).reshape(-1, 3)
        bodies = np.array([r[3][1] for r in self._points]).reshape(len(feet), -1, 3)
        try:
            fl = fit_image_floor(pts, feet, bodies, keys, self.s, self._last_orientation, other)
        except OrientationError as exc:  # fused: the 3D plane alone, as offered (or not)
            self.plane, self.reason = (self.plane if other is not None else None), str(exc)
            return
        o = fl.orientation
        plane_now = GroundPlane(o.up, 1.0)
        self._last_orientation = (plane_now.pitch_deg, plane_now.roll_deg, *o.ratios)
        self.inlier_fraction = float(fl.inliers.mean())
        self.num_people = len(set(keys[fl.inliers].tolist()))
        self.tilt_sigma_deg, self.pitch_sigma_deg, self.roll_sigma_deg = fl.tilt_sigma_deg, fl.pitch_sigma_deg, fl.roll_sigma_deg
        self.height_sigma_m = fl.height_sigma_m
        resid = pts[fl.inliers] @ fl.up + fl.offset
        self.residual_cm = float(np.sqrt(np.mean(resid ** 2)) * 100) if len(resid) else float("nan")
        self.plane, self.reason = None, ""
        if self.inlier_fraction < self.s.min_inlier_fraction:
            self.reason = f"{self.inlier_fraction:.0%} of the ankles agree with the floor's height"
        elif self.num_people < max(self.s.min_people, 4):
            self.reason = f"{self.num_people} people agree with the floor; {max(self.s.min_people, 4)} needed"
        elif self.tilt_sigma_deg > self.s.max_tilt_sigma_deg:
            self.reason = f"tilt known to +-{self.tilt_sigma_deg:.1f} deg only"
        else:
            try:
                self.plane = GroundPlane(fl.up, fl.offset + self.s.ankle_height_m)
            except PlaneError as exc:
                self.reason = str(exc)
