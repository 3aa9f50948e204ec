"""Synthetic PoseSets for the tracker, plausibility and marker tests: an upright 1.80 m person
(optical frame: y down) whose joints are placed by hand-measured adult proportions."""
import numpy as np

from drm_ros.poses import PoseSet
from drm_ros.skeleton import JOINT_INDEX, NUM_JOINTS

# Offsets from the pelvis in metres (x right, y down, z forward), person facing the camera.
_OFFSETS = {
    "nose": (0, -0.72, -0.08), "left_eye": (0.03, -0.75, -0.06), "right_eye": (-0.03, -0.75, -0.06),
    "left_ear": (0.07, -0.73, 0), "right_ear": (-0.07, -0.73, 0),
    "left_shoulder": (0.2, -0.5, 0), "right_shoulder": (-0.2, -0.5, 0),
    "left_elbow": (0.25, -0.22, 0), "right_elbow": (-0.25, -0.22, 0),
    "left_wrist": (0.27, 0.03, 0), "right_wrist": (-0.27, 0.03, 0),
    "left_hip": (0.1, 0, 0), "right_hip": (-0.1, 0, 0),
    "left_knee": (0.1, 0.45, 0), "right_knee": (-0.1, 0.45, 0),
    "left_ankle": (0.1, 0.88, 0), "right_ankle": (-0.1, 0.88, 0), "pelvis": (0, 0, 0),
}
SKELETON = np.zeros((NUM_JOINTS, 3))
for _name, _off in _OFFSETS.items():
    SKELETON[JOINT_INDEX[_name]] = _off
HEIGHT_M = 0.88 + 0.5 + np.hypot(0.72 - 0.5, 0.08) + 0.20  # legs + torso + neck-to-nose + head/feet


def person(root, scale=1.0):
    return np.asarray(root, float) + SKELETON * scale


def poses_from(joints3d, fx=500.0, cx=320.0, cy=240.0) -> PoseSet:
    j3 = np.asarray(joints3d, float).reshape(-1, NUM_JOINTS, 3)
    n = len(j3)
    uv = j3[..., :2] / j3[..., 2:3] * fx + [cx, cy]
    boxes = np.concatenate([uv.min(axis=1), uv.max(axis=1)], axis=1) if n else np.zeros((0, 4))
    return PoseSet(np.full(n, 0.9), boxes, j3[:, JOINT_INDEX["pelvis"]].copy(), j3, uv, np.ones((n, NUM_JOINTS)))
