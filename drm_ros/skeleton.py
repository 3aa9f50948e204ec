"""The one skeleton definition of drm_ros: COCO-17 joints plus the pelvis root.

Everything (network heads, codec, losses, metrics, messages, RViz markers) indexes joints
through this module, so the order below is a published interface: the Skeleton3DArray
message carries `JOINT_NAMES` and `BONES` so subscribers never hard-code it.
"""
from __future__ import annotations

# COCO-17 order first: it is what MoveNet's 17-channel heads produce, so the 2D branch
# maps 1:1. The pelvis (hip midpoint) is appended as the DRM root, where depth is read.
COCO_JOINT_NAMES: tuple[str, ...] = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
    "left_wrist", "right_wrist", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
)
JOINT_NAMES: tuple[str, ...] = COCO_JOINT_NAMES + ("pelvis",)
NUM_COCO_JOINTS = len(COCO_JOINT_NAMES)  # 17
NUM_JOINTS = len(JOINT_NAMES)  # 18
JOINT_INDEX = {name: i for i, name in enumerate(JOINT_NAMES)}
ROOT = JOINT_INDEX["pelvis"]
LEFT_HIP, RIGHT_HIP = JOINT_INDEX["left_hip"], JOINT_INDEX["right_hip"]


def _pairs(*names: tuple[str, str]) -> tuple[tuple[int, int], ...]:
    return tuple((JOINT_INDEX[a], JOINT_INDEX[b]) for a, b in names)


# Bones as (parent, child) index pairs; a tree rooted at the pelvis plus the face links.
BONES: tuple[tuple[int, int], ...] = _pairs(
    ("pelvis", "left_hip"), ("pelvis", "right_hip"),
    ("left_hip", "left_knee"), ("left_knee", "left_ankle"),
    ("right_hip", "right_knee"), ("right_knee", "right_ankle"),
    ("left_hip", "left_shoulder"), ("right_hip", "right_shoulder"),
    ("left_shoulder", "right_shoulder"),
    ("left_shoulder", "left_elbow"), ("left_elbow", "left_wrist"),
    ("right_shoulder", "right_elbow"), ("right_elbow", "right_wrist"),
    ("nose", "left_eye"), ("nose", "right_eye"),
    ("left_eye", "left_ear"), ("right_eye", "right_ear"),
)

# Left/right pairs, for horizontal-flip augmentation and swap-tolerant metrics.
FLIP_PAIRS: tuple[tuple[int, int], ...] = tuple(
    (JOINT_INDEX[n], JOINT_INDEX["right_" + n[5:]]) for n in JOINT_NAMES if n.startswith("left_")
)
# FLIP_INDEX[j] is the joint that j becomes in a mirrored image.
FLIP_INDEX: tuple[int, ...] = tuple(
    next((b if a == j else a for a, b in FLIP_PAIRS if j in (a, b)), j) for j in range(NUM_JOINTS)
)

# The joints of the MuPoTS-3D protocol's 14 that COCO-17 can express: 12 of them (MuPoTS's
# head-top and neck have no COCO counterpart). The pelvis is not scored: in root-relative PCK it
# would be correct by construction and inflate the score.
EVAL_JOINTS: tuple[int, ...] = tuple(JOINT_INDEX[n] for n in (
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
))


def add_pelvis(joints_coco):
    """Append the pelvis (hip midpoint) to an (..., 17, C) array or tensor -> (..., 18, C)."""
    pelvis = 0.5 * (joints_coco[..., LEFT_HIP : LEFT_HIP + 1, :] + joints_coco[..., RIGHT_HIP : RIGHT_HIP + 1, :])
    if hasattr(joints_coco, "new_zeros"):  # torch
        import torch

        return torch.cat([joints_coco, pelvis], dim=-2)
    import numpy as np

    return np.concatenate([joints_coco, pelvis], axis=-2)
