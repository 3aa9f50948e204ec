"""A coordinate frame per person, for TF: origin at the pelvis, axes from the torso.

REP-103 body convention, x forward, y left, z up: y = the person's left (right hip -> left hip);
z = up the spine (pelvis -> shoulder midpoint, made orthogonal to y); x = y cross z, out of the
person's chest.
Degenerate torsos (hips on top of each other, missing shoulders) fall back to the camera's
orientation, flagged, rather than producing NaN rotations.
"""
from __future__ import annotations

import numpy as np

from drm_ros.poses import PoseSet
from drm_ros.skeleton import JOINT_INDEX, LEFT_HIP, RIGHT_HIP, ROOT

_LS, _RS = JOINT_INDEX["left_shoulder"], JOINT_INDEX["right_shoulder"]


def body_rotations(joints3d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N, J, 3) camera-frame joints -> rotation matrices (N, 3, 3) body -> camera, and (N,) ok flags."""
    left = joints3d[:, LEFT_HIP] - joints3d[:, RIGHT_HIP]
    up = 0.5 * (joints3d[:, _LS] + joints3d[:, _RS]) - joints3d[:, ROOT]
    left_n = np.linalg.norm(left, axis=1, keepdims=True)
    ok = (left_n[:, 0] > 1e-3) & np.isfinite(joints3d).all(axis=(1, 2))
    y = left / np.maximum(left_n, 1e-9)
    z = up - (up * y).sum(1, keepdims=True) * y
    z_n = np.linalg.norm(z, axis=1, keepdims=True)
    ok &= z_n[:, 0] > 1e-3
    z = z / np.maximum(z_n, 1e-9)
    x = np.cross(y, z)
    rot = np.stack([x, y, z], axis=2)  # columns = body axes in camera coordinates
    rot[~ok] = np.eye(3)
    return rot, ok


def body_frames(poses: PoseSet) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """-> positions (N, 3) = roots, quaternions (N, 4) as (x, y, z, w) (ROS order), ok flags (N,)."""
    from transforms3d.quaternions import mat2quat

    rot, ok = body_rotations(poses.joints3d)
    quats = np.array([np.roll(mat2quat(r), -1) for r in rot]).reshape(-1, 4)  # (w,x,y,z) -> (x,y,z,w)
    return poses.roots.copy(), quats, ok
