"""Absolute depth from feet on a known floor, fused with DRM's root depth.

For a person whose ankle is confidently seen, the ankle's viewing ray meets the plane lying
`ankle_height_m` above the floor at one depth. DRM's relative depths (dz) then carry that to the
root: the whole person moves along the joints' own rays by the same depth change, exactly as the
codec lifts joints ((Z_root + dz_j) times each joint's undistorted ray), so 2D stays unchanged.

Which ankle: the one whose ray reaches the plane nearer (a lifted foot's ray, seen from above,
reaches the floor beyond the foot); both, inverse-variance averaged, when they agree. From the
feet to the root: DRM's relative depth and, for upright people, the pelvis standing above the
feet (see `plane_root_depth`).

Uncertainties (1 sigma, metres), D = camera height - ankle height:
    foot depth    Z_f: (Z^2 / D)^2 (s_px^2 / f^2 + s_tilt^2) + (Z / D)^2 (s_ankle^2 + s_height^2)
                  (the first term is the grazing-ray growth dZ/dv = Z^2 / (f D); s_px grows with the
                  person's apparent size, since 2D joint errors do); carried to the root with DRM's dz
                  (+ s_dz^2) or the upright body (+ s_offset^2 / horizontal reach of the pelvis ray)
    DRM depth     Z_d: drm_sigma_frac * Z_d
Consistency gates: per person, the plane is used only when |Z_p - Z_d| <= gate_k * sqrt(s_p^2 + s_d^2)
and it would not make the person taller than `max_stature_m` (people in the air, on stairs or on a
raised part of the ground keep DRM's depth); per frame, the people's mean log(Z_p / Z_d) must
be near zero (`plane_agrees`), so a plane that is wrong for everyone is not used at all.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from drm_ros.camera import Camera
from drm_ros.ground.plane import GroundPlane
from drm_ros.plausibility import person_heights
from drm_ros.poses import PoseSet
from drm_ros.skeleton import JOINT_INDEX, LEFT_HIP, RIGHT_HIP, ROOT
from drm_ros.uncertainty import DRM_DISTANCE_SIGMA_FRAC, FUSED_SIGMA_CALIBRATION

ANKLES = (JOINT_INDEX["left_ankle"], JOINT_INDEX["right_ankle"])
HEIGHT_JOINTS = [JOINT_INDEX[n] for n in ("nose", "left_shoulder", "right_shoulder", "left_ankle", "right_ankle")]

# Per-person outcome codes (RefineResult.status)
NO_FEET, GATED, REFINED = 0, 1, 2


@dataclass(frozen=True)
class RefineSettings:
    # Height above the floor of the point the 2D detector calls the ankle, for a standing foot.
    # The ankle joint centre is ~0.08 m up (adults; the synthetic people's lower ankle has a median
    # of 0.082 m on the robot-range split, drm_ros/synth/motion.py keeps the mocap clearance), but
    # the detector marks it higher (~3 % of the apparent height on the renders). Chosen on four
    # calibration splits of TRAINING motions with their own seeds (config/synth/calib_near.yaml:
    # robot range, mixed motions, 500 images; sequence.yaml / sequence_near.yaml: people walking and
    # running, 240 + 320 frames; train.yaml: full range, 400 images): 0.11 m is best on their mean
    # AP_root, PCKabs and median root error (model/logs/ground_plane/calibration_sweep.log); the
    # robot-range split alone prefers 0.09-0.10 (its acrobatic clips), the walking ones 0.11-0.12.
    # The node exposes it (ground_ankle_height_m).
    ankle_height_m: float = 0.11
    ankle_height_sigma_m: float = 0.03  # stance, foot roll, shoes
    min_ankle_score: float = 0.3  # below: the ankle is not "confidently visible"
    pixel_sigma_px: float = 2.0  # 2D ankle error floor (original pixels)
    pixel_sigma_frac: float = 0.03  # ... plus this fraction of the person's apparent height
    # Measured by tools/ground_plane_study.py with session 8's default model (robust sigmas): DRM's dz
    # at the ankles is off by 0.17 m on both the robot-range and the full-range calibration splits
    # (study_calib_session8_model.log, study_calib_full_session8_model.log; session 4's model: 0.24 m),
    # its 2D ankles by 0.025 of the apparent height, its root depth by 0.087 / 0.095 Z there. The root
    # spread stays 0.12 Z: renders understate DRM's error on real images (issue 10: one real source
    # reads people 0.19-0.37 m too close), and on vtest, the one real video, 0.09 lets DRM's depth
    # through (offline jitter 143 -> 154 mm: logs/demo_session9{,_root_spread_0.09}.log); on the four
    # calibration splits' mean 0.12 costs 0.5 AP_root against 0.09 (calibration_sweep.log).
    relative_depth_sigma_m: float = 0.17  # DRM's error of dz at the ankle
    upright_offset_sigma_m: float = 0.15  # pelvis off the vertical above the feet (stride, lean)
    drm_sigma_frac: float = DRM_DISTANCE_SIGMA_FRAC  # DRM's root depth error, fraction of the depth (0.12)
    plane_height_sigma_m: float = 0.02  # a measured mounting (params, TF); AutoPlane sets its own
    plane_tilt_sigma_deg: float = 0.5
    gate_k: float = 5.0  # k=3 and 5 measured on the calibration and test splits: 5 is as good or better on every metric
    frame_gate_k: float = 2.0  # the frame-level gate (plane_agrees), in standard errors
    frame_bias_tolerance: float = 0.05  # ... plus this much mean log ratio (DRM's own bias)
    feet_agree_k: float = 2.0  # both feet are used when their root depths agree within this many sigmas
    # Stature gate: moving a person to the plane's depth scales its skeleton by Z_p / Z_d; a plane
    # that would make someone taller than this is not their floor there (a ramp, a step, or a
    # learnt floor tilted wrongly far from its people) and the person keeps DRM's depth. Upper bound
    # only: a child sized as an adult by DRM is rightly made shorter by the floor. 2.2 m, not the
    # 2.05 m of real adults, because the lifted skeleton's chain lengths come out longer than the
    # person (noise lengthens a chain). vtest's couple at the back: 2.2-3.0 m at the learnt floor's
    # depth, 1.5 m at DRM's (model/logs/ground_plane/vtest_levers.log); with the true floor the
    # robot-range split is no worse (issue13c_after_near_test_known.log: 20 more people gated).
    max_stature_m: float = 2.2


@dataclass
class RefineResult:
    poses: PoseSet
    status: np.ndarray  # (N,) NO_FEET / GATED / REFINED
    plane_depth: np.ndarray  # (N,) root depth the plane implies (NaN without feet)
    plane_sigma: np.ndarray  # (N,)
    drm_depth: np.ndarray  # (N,) DRM's own root depth
    counts: dict = field(default_factory=dict)
    evidence: tuple = (0.0, 0.0)  # this frame's plane_evidence


def apparent_height_px(poses: PoseSet) -> np.ndarray:
    """Rough person height in pixels: vertical extent of nose, shoulders and ankles."""
    v = poses.joints2d[:, HEIGHT_JOINTS, 1]
    return np.nanmax(v, axis=1) - np.nanmin(v, axis=1) if len(poses) else np.zeros(0)


def plane_root_depth(poses: PoseSet, plane: GroundPlane, camera: Camera, s: RefineSettings):
    """Per person: (root depth implied by the feet, its sigma), NaN where no ankle qualifies.

    Two ways carry the foot's depth up to the root: DRM's relative depth (Z_foot - dz_ankle), and
    the upright body (the pelvis stands above the feet: the point of the pelvis ray horizontally
    nearest the foot point). They are averaged by their variances when they agree; otherwise (a
    person lying, cartwheeling ...) only the first is used."""
    n = len(poses)
    z_root = poses.roots[:, 2]
    f = float(np.sqrt(camera.fx * camera.fy))
    px = np.maximum(s.pixel_sigma_px, s.pixel_sigma_frac * apparent_height_px(poses))
    d = plane.height - s.ankle_height_m
    foot_z = np.full((n, 2), np.nan)  # ankle depth on the plane
    foot_var = np.full((n, 2), np.nan)
    via_dz = np.full((n, 2), np.nan)  # root depth carried by DRM's dz
    rays = np.full((n, 2, 3), np.nan)
    for k, j in enumerate(ANKLES):
        pts = poses.joints3d[:, j]
        with np.errstate(divide="ignore", invalid="ignore"):
            rays[:, k] = pts / pts[:, 2:3]
        uv = poses.joints2d[:, j]
        inside = (uv[:, 0] >= 0) & (uv[:, 0] <= camera.width - 1) & (uv[:, 1] >= 0) & (uv[:, 1] <= camera.height - 1)
        z = plane.ray_depths(rays[:, k], s.ankle_height_m)
        ok = (poses.joint_scores[:, j] >= s.min_ankle_score) & inside & (pts[:, 2] > 1e-2) & np.isfinite(z)
        grazing = (z ** 2 / d) ** 2 * ((px / f) ** 2 + np.radians(s.plane_tilt_sigma_deg) ** 2)
        offset = (z / d) ** 2 * (s.ankle_height_sigma_m ** 2 + s.plane_height_sigma_m ** 2)
        foot_z[ok, k] = z[ok]
        foot_var[ok, k] = (grazing + offset)[ok]
        via_dz[ok, k] = (z - pts[:, 2] + z_root)[ok]
    horizontal = np.eye(3) - np.outer(plane.up, plane.up)
    depth = np.full(n, np.nan)
    sigma = np.full(n, np.nan)
    for i in range(n):
        have = np.isfinite(via_dz[i])
        if not have.any():
            continue
        var_dz = foot_var[i] + s.relative_depth_sigma_m ** 2
        if have.all() and abs(via_dz[i, 0] - via_dz[i, 1]) <= s.feet_agree_k * np.sqrt(var_dz.sum()):
            use, off_sigma = [0, 1], s.upright_offset_sigma_m
        else:  # one ankle, or the feet disagree: the nearer intersection is the foot on the floor
            use, off_sigma = [int(np.nanargmin(np.where(have, via_dz[i], np.inf)))], 1.4 * s.upright_offset_sigma_m
        w = 1 / var_dz[use]
        z_a, var_a = (w @ via_dz[i, use]) / w.sum(), 1 / w.sum()
        # the upright body: pelvis ray point horizontally nearest the foot point
        foot = (foot_z[i, use, None] * rays[i, use]).mean(axis=0)
        r = poses.roots[i] / z_root[i]
        reach = float(r @ horizontal @ r)  # squared horizontal length of the ray per metre of depth
        z_b = float(r @ horizontal @ foot) / reach
        var_b = off_sigma ** 2 / reach + foot_var[i, use].mean()
        if abs(z_a - z_b) <= 2.5 * np.sqrt(var_a + var_b):
            w = np.array([1 / var_a, 1 / var_b])
            depth[i], sigma[i] = (w @ [z_a, z_b]) / w.sum(), 1 / np.sqrt(w.sum())
        else:
            depth[i], sigma[i] = z_a, np.sqrt(var_a)
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


def plane_evidence(zp: np.ndarray, sp: np.ndarray, drm: np.ndarray, s: RefineSettings) -> tuple[float, float]:
    """(sum of w * log(Z_p / Z_d), sum of w) over the people with feet, w = 1 / sigma^2, each log
    ratio clipped to +-3 of its sigmas (one jumper must not reject a good plane)."""
    have = np.isfinite(zp) & (drm > 0)
    if not have.any():
        return 0.0, 0.0
    r = np.log(zp[have] / drm[have])
    sig = np.sqrt((sp[have] / zp[have]) ** 2 + s.drm_sigma_frac ** 2)
    w = 1 / sig ** 2
    return float(w @ np.clip(r, -3 * sig, 3 * sig)), float(w.sum())


def plane_agrees(evidence: tuple[float, float], s: RefineSettings) -> bool:
    """Frame-level gate: does the plane agree with DRM on average over this frame's people?

    A wrong plane (camera height or pitch off) biases every person's plane depth the same way, by
    less than the per-person gate can see. DRM's own depth is nearly unbiased (+3 % on the split we
    measured), so the mean log ratio log(Z_plane / Z_drm) over the people with feet, each clipped
    to +-3 of its sigmas, must stay within
    frame_gate_k standard errors of zero plus `frame_bias_tolerance`. `evidence` is
    `plane_evidence` of this frame, or summed over the frames of a stream with a fixed plane
    (GroundDepth does), which detects a smaller bias: the standard error shrinks with people seen."""
    swr, sw = evidence
    if sw <= 0:
        return True
    return abs(swr / sw) <= s.frame_gate_k / np.sqrt(sw) + s.frame_bias_tolerance


def refine(poses: PoseSet, plane: GroundPlane | None, camera: Camera, s: RefineSettings = RefineSettings(),
           history: tuple[float, float] = (0.0, 0.0)) -> RefineResult:
    """Refine one frame; `history` is the `plane_evidence` of earlier frames with the same plane."""
    n = len(poses)
    drm = poses.roots[:, 2].copy()
    if plane is None or n == 0:
        return RefineResult(poses, np.zeros(n, np.int64), np.full(n, np.nan), np.full(n, np.nan), drm,
                            {"no_feet": n, "gated": 0, "refined": 0, "frames_plane_rejected": 0})
    zp, sp = plane_root_depth(poses, plane, camera, s)
    sd = s.drm_sigma_frac * drm
    have = np.isfinite(zp)
    with np.errstate(invalid="ignore"):
        consistent = have & (np.abs(zp - drm) <= s.gate_k * np.sqrt(sp ** 2 + sd ** 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        too_tall = person_heights(poses) * zp / drm > s.max_stature_m  # NaN (joints not seen) passes
    consistent &= ~too_tall
    evidence = plane_evidence(zp, sp, drm, s)  # too tall for everyone: the plane itself is wrong
    plane_ok = plane_agrees((evidence[0] + history[0], evidence[1] + history[1]), s)
    consistent &= plane_ok
    status = np.where(consistent, REFINED, np.where(have, GATED, NO_FEET)).astype(np.int64)
    fused = drm.copy()
    w_p, w_d = 1 / sp[consistent] ** 2, 1 / sd[consistent] ** 2
    fused[consistent] = (w_p * zp[consistent] + w_d * drm[consistent]) / (w_p + w_d)
    out = shift_depth(poses, fused - drm, camera)
    # the fused depth's sigma, as a distance along the ray (drm_ros/uncertainty.py: the same fraction),
    # calibrated against the truth for publishing
    sigma = out.root_sigma.copy()
    sigma[consistent] = (FUSED_SIGMA_CALIBRATION * np.linalg.norm(out.roots[consistent], axis=-1) / fused[consistent]
                         / np.sqrt(w_p + w_d))
    out = replace(out, root_sigma=sigma)
    counts = {"no_feet": int((status == NO_FEET).sum()), "gated": int((status == GATED).sum()),
              "refined": int((status == REFINED).sum()), "frames_plane_rejected": int(not plane_ok)}
    return RefineResult(out, status, zp, sp, drm, counts, evidence)
