"""Sanity measures of motion clips (points in the motion.POINTS layout), shared by the tests and
tools/motion_stats.py: chirality (is the skeleton mirrored?), standing height, bone lengths.

Why chirality matters: a mirrored skeleton (left labels on the body's right) looks like a valid
person in every frame, so nothing downstream would notice it; it silently teaches the network that
left and right are swapped. The body's own frame gives a test that does not depend on yaw: with
left = left_hip - right_hip and up = +z, forward = left x up (at rest: +y x +z = +x). In a correct
skeleton the toes point forward of the ankles and bent knees point forward; in a mirrored one both
point backward.
"""
from __future__ import annotations

import numpy as np

from drm_ros.synth.motion import P, PARENT, TREE_ORDER

FEET = [P[n] for n in ("left_ankle", "right_ankle", "left_toe", "right_toe")]


def body_forward(points: np.ndarray) -> np.ndarray:
    """(F, 18, 3) -> (F, 3) unit forward = (left_hip - right_hip) x up, horizontal."""
    left = points[:, P["left_hip"]] - points[:, P["right_hip"]]
    fwd = np.cross(left, [0.0, 0.0, 1.0])
    return fwd / np.maximum(np.linalg.norm(fwd, axis=1, keepdims=True), 1e-9)


def upright(points: np.ndarray) -> np.ndarray:
    """(F,) frames whose trunk is within ~35 deg of vertical (standing, walking, most dance)."""
    trunk = points[:, P["neck"]] - points[:, P["root"]]
    return trunk[:, 2] > 0.82 * np.linalg.norm(trunk, axis=1)


def knee_angle_deg(points: np.ndarray, side: str) -> np.ndarray:
    """(F,) knee flexion: 0 = straight leg."""
    a = points[:, P[f"{side}_hip"]] - points[:, P[f"{side}_knee"]]
    b = points[:, P[f"{side}_ankle"]] - points[:, P[f"{side}_knee"]]
    cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return 180.0 - np.degrees(np.arccos(np.clip(cos, -1, 1)))


def chirality(points: np.ndarray) -> dict[str, float]:
    """Over upright frames: share of (foot, frame) pairs whose toe is forward of the ankle, and
    share of bent knees (> 20 deg) that point forward of the hip-ankle line. ~1 = correct, ~0 =
    mirrored. NaN when the clip has no such frames."""
    up = upright(points)
    pts, fwd = points[up], body_forward(points[up])
    toes, knees = [], []
    for side in ("left", "right"):
        toe = pts[:, P[f"{side}_toe"]] - pts[:, P[f"{side}_ankle"]]
        toes.append((toe * fwd).sum(1) > 0)
        bent = knee_angle_deg(pts, side) > 20
        mid = 0.5 * (pts[:, P[f"{side}_hip"]] + pts[:, P[f"{side}_ankle"]])
        knees.append(((pts[:, P[f"{side}_knee"]] - mid) * fwd).sum(1)[bent] > 0)
    toes, knees = np.concatenate(toes), np.concatenate(knees)
    return {"toes_forward": float(toes.mean()) if toes.size else float("nan"),
            "knees_forward": float(knees.mean()) if knees.size else float("nan"),
            "upright_frames": int(up.sum()), "bent_knees": int(knees.size)}


def head_agrees(points: np.ndarray, head_rot: np.ndarray) -> float:
    """Share of upright frames whose head forward axis points forward of the body (head_rot
    columns forward, up, right must follow the body, not a mirrored frame)."""
    up = upright(points)
    if not up.any():
        return float("nan")
    return float(((head_rot[up][:, :, 0] * body_forward(points[up])).sum(1) > 0).mean())


def standing_head_height(points: np.ndarray) -> float:
    """Head-centre height when standing: 90th percentile over frames with an upright trunk and a
    foot on the floor (lowest foot point within 6 cm of z = 0); NaN if there are none. (Knee angles
    are not used: CMU subjects stand with 10-20 deg of knee flexion in their own skeleton.)"""
    ok = upright(points) & (points[:, FEET, 2].min(axis=1) < 0.06)
    return float(np.percentile(points[ok, P["head"], 2], 90)) if ok.any() else float("nan")


def bone_lengths(points: np.ndarray) -> dict[str, float]:
    """Median length of every tree bone (child name -> metres)."""
    return {c: float(np.median(np.linalg.norm(points[:, P[c]] - points[:, P[PARENT[c]]], axis=1)))
            for c in TREE_ORDER}


def head_above_shoulders(points: np.ndarray) -> float:
    """Median height of the head centre above the shoulders' midpoint over upright frames (m):
    comparable across rigs whose neck joints differ (DeepMimic ~0.13, CMU ~0.16-0.19)."""
    up = upright(points)
    shoulders = 0.5 * (points[up, P["left_shoulder"], 2] + points[up, P["right_shoulder"], 2])
    return float(np.median(points[up, P["head"], 2] - shoulders)) if up.any() else float("nan")
