"""Label-free sanity metrics for 3D skeletons from a real, unlabelled recording.

Without ground truth we can still check physics and anatomy (camera assumed static):
- person height: adults are 1.5-2.0 m; a wrong focal length or depth scale shifts the whole
  distribution (a 20 % depth error is a 20 % height error).
- ground plane: everyone stands on one floor, so the ankles of all people in all frames should
  lie near one plane; the residual (cm) measures absolute-depth consistency between people.
- jitter: a tracked joint's frame-to-frame second difference (mm); real bodies accelerate
  smoothly at camera rates, noise does not.
- tracks: how many ids the tracker handed out relative to the most people seen at once
  (fragmentation ~1 means stable ids; without labels id switches cannot be counted exactly).
"""
from __future__ import annotations

import numpy as np

from drm_ros.ground.plane_fit import distance_residual, msac_plane
from drm_ros.poses import PoseSet
from drm_ros.skeleton import JOINT_INDEX

J = JOINT_INDEX
# Nose-to-crown (~0.12 m) plus ankle-to-sole (~0.08 m): the parts of stature COCO joints miss
# (adult anthropometric averages; a constant, so it shifts but does not widen the distribution).
HEIGHT_MISSING_M = 0.20
ADULT_HEIGHT_RANGE_M = (1.45, 2.05)


def person_heights(poses: PoseSet, min_joint_score: float = 0.3) -> np.ndarray:
    """Stature estimate per person (m), NaN when the needed joints are not confident.

    Sum of the chain ankle-knee-hip (mean of both legs), hip-mid to shoulder-mid, shoulder-mid to
    nose, plus HEIGHT_MISSING_M. Chain lengths, not vertical extents, so sitting or bending
    people still get their standing height."""
    out = np.full(len(poses), np.nan)
    need = [J[n] for n in ("left_ankle", "right_ankle", "left_knee", "right_knee", "left_hip", "right_hip",
                           "left_shoulder", "right_shoulder", "nose")]
    for i in range(len(poses)):
        x, s = poses.joints3d[i], poses.joint_scores[i]
        if np.any(s[need] < min_joint_score) or not np.all(np.isfinite(x[need])):
            continue
        seg = lambda a, b: np.linalg.norm(x[J[a]] - x[J[b]])  # noqa: E731
        legs = 0.5 * (seg("left_ankle", "left_knee") + seg("left_knee", "left_hip")
                      + seg("right_ankle", "right_knee") + seg("right_knee", "right_hip"))
        hip_mid = 0.5 * (x[J["left_hip"]] + x[J["right_hip"]])
        sho_mid = 0.5 * (x[J["left_shoulder"]] + x[J["right_shoulder"]])
        out[i] = legs + np.linalg.norm(sho_mid - hip_mid) + np.linalg.norm(x[J["nose"]] - sho_mid) + HEIGHT_MISSING_M
    return out


def fit_plane(points: np.ndarray, inlier_m: float = 0.05, hypotheses: int = 10000, polish: int = 50,
              seed: int = 0):
    """The plane that best explains 3D points: least truncated quadratic cost of their distances
    (each point costs its squared distance, at most inlier_m^2; ground/plane_fit.py, the same fit
    the self-estimated floor uses). Seeds 0-9 agree to 0.1 cm on vtest's ankles, where the former
    most-inliers RANSAC moved the figure over 58-169 cm (model/logs/ground_plane/residual_seeds.log).

    Returns (unit normal (3,), offset d with n.x + d = 0, inlier mask, the finite points used),
    or None for fewer than 3 points."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    pts = pts[np.all(np.isfinite(pts), axis=1)]
    fit = msac_plane(pts, distance_residual, inlier_m, None, hypotheses, polish, seed)
    return None if fit is None else (*fit, pts)


def ground_plane_fit(frames: list[PoseSet], min_joint_score: float = 0.3) -> dict:
    """How well all confident ankles of all frames fit one plane (static camera)."""
    ankles = []
    for poses in frames:
        for i in range(len(poses)):
            for name in ("left_ankle", "right_ankle"):
                if poses.joint_scores[i][J[name]] >= min_joint_score:
                    ankles.append(poses.joints3d[i][J[name]])
    fit = fit_plane(np.array(ankles).reshape(-1, 3))
    if fit is None:
        return {"num_points": len(ankles), "residual_rms_cm": None, "residual_median_cm": None, "inlier_fraction": None}
    normal, d, inliers, pts = fit
    resid = np.abs(pts @ normal + d) * 100.0
    return {
        "num_points": int(len(pts)),
        "residual_rms_cm": float(np.sqrt(np.mean(resid ** 2))),
        "residual_median_cm": float(np.median(resid)),
        "inlier_fraction": float(inliers.mean()),  # within 5 cm
        "normal": [float(v) for v in normal],
    }


def joint_jitter_mm(frames: list[PoseSet]) -> np.ndarray:
    """|x(t+1) - 2 x(t) + x(t-1)| in mm for every joint of every id present in three consecutive
    frames (ids >= 0 only: needs a tracker)."""
    by_frame = [{int(pid): p.joints3d[i] for i, pid in enumerate(p.ids) if pid >= 0} for p in frames]
    acc = []
    for prev, cur, nxt in zip(by_frame, by_frame[1:], by_frame[2:]):
        for pid in cur.keys() & prev.keys() & nxt.keys():
            a = np.linalg.norm(nxt[pid] - 2 * cur[pid] + prev[pid], axis=-1) * 1000.0
            acc.append(a[np.isfinite(a)])
    return np.concatenate(acc) if acc else np.zeros(0)


def track_stats(frames: list[PoseSet]) -> dict:
    lengths: dict[int, int] = {}
    for p in frames:
        for pid in p.ids:
            if pid >= 0:
                lengths[int(pid)] = lengths.get(int(pid), 0) + 1
    max_people = max((len(p) for p in frames), default=0)
    return {
        "num_tracks": len(lengths),
        "max_simultaneous_people": int(max_people),
        "mean_track_length_frames": float(np.mean(list(lengths.values()))) if lengths else 0.0,
        "fragmentation": float(len(lengths) / max_people) if max_people else None,
    }


def _stats(values: np.ndarray) -> dict:
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return {"count": 0, "mean": None, "median": None, "p10": None, "p90": None}
    return {"count": int(v.size), "mean": float(v.mean()), "median": float(np.median(v)),
            "p10": float(np.percentile(v, 10)), "p90": float(np.percentile(v, 90))}


def plausibility_report(frames: list[PoseSet], min_joint_score: float = 0.3) -> dict:
    """All label-free metrics for a sequence of PoseSets (one per frame, ids from the tracker)."""
    heights = np.concatenate([person_heights(p, min_joint_score) for p in frames]) if frames else np.zeros(0)
    finite = heights[np.isfinite(heights)]
    lo, hi = ADULT_HEIGHT_RANGE_M
    depth = np.concatenate([p.roots[:, 2] for p in frames]) if frames else np.zeros(0)
    return {
        "frames": len(frames),
        "persons_per_frame": float(np.mean([len(p) for p in frames])) if frames else 0.0,
        "height_m": {**_stats(heights), "fraction_adult_range": float(np.mean((finite >= lo) & (finite <= hi)))
                     if finite.size else None},
        "root_depth_m": _stats(depth),
        "ground_plane": ground_plane_fit(frames, min_joint_score),
        "jitter_mm": _stats(joint_jitter_mm(frames)),
        "tracks": track_stats(frames),
    }

