"""`PoseSet`: the people found in one image, as arrays. The one result type of the codec,
used by `drm infer`, the ROS node, the markers and the metrics alike."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from drm_ros.skeleton import JOINT_NAMES, NUM_JOINTS


@dataclass
class PoseSet:
    """N people. Units: metres in the camera optical frame (x right, y down, z forward) for 3D,
    pixels of the ORIGINAL image (distorted, as published) for 2D."""

    scores: np.ndarray  # (N,) person confidence in [0, 1]
    boxes: np.ndarray  # (N, 4) u_min, v_min, u_max, v_max
    roots: np.ndarray  # (N, 3) pelvis position
    joints3d: np.ndarray  # (N, J, 3)
    joints2d: np.ndarray  # (N, J, 2)
    joint_scores: np.ndarray  # (N, J) in [0, 1]
    ids: np.ndarray = field(default=None)  # (N,) tracking ids; -1 until a tracker assigns one
    # (N,) 1-sigma error of the root's distance along its viewing ray, metres (drm_ros/uncertainty.py);
    # NaN where unknown (ground truth, people read back from a message without it)
    root_sigma: np.ndarray = field(default=None)

    def __post_init__(self):
        if self.ids is None:
            self.ids = -np.ones(len(self.scores), dtype=np.int64)
        if self.root_sigma is None:
            self.root_sigma = np.full(len(self.scores), np.nan)

    @classmethod
    def empty(cls, num_joints: int = NUM_JOINTS) -> "PoseSet":
        return cls(np.zeros(0), np.zeros((0, 4)), np.zeros((0, 3)), np.zeros((0, num_joints, 3)),
                   np.zeros((0, num_joints, 2)), np.zeros((0, num_joints)))

    def __len__(self) -> int:
        return len(self.scores)

    def select(self, index) -> "PoseSet":
        """The people picked by a boolean mask or an index array."""
        return PoseSet(self.scores[index], self.boxes[index], self.roots[index], self.joints3d[index],
                       self.joints2d[index], self.joint_scores[index], self.ids[index], self.root_sigma[index])

    def with_ids(self, ids) -> "PoseSet":
        return replace(self, ids=np.asarray(ids, dtype=np.int64))

    @classmethod
    def from_json_dict(cls, record: dict) -> "PoseSet":
        """The inverse of `to_json_dict` (e.g. the predictions of `drm eval --json`)."""
        persons = record["persons"]
        n = len(persons)
        if not n:
            return cls.empty()
        arr = lambda key, shape: np.array([p[key] for p in persons], dtype=np.float64).reshape(shape)  # noqa: E731
        sigma = np.array([np.nan if p.get("root_sigma") is None else p["root_sigma"] for p in persons], dtype=np.float64)
        return cls(arr("score", (n,)), arr("bbox", (n, 4)), arr("root", (n, 3)), arr("joints3d", (n, NUM_JOINTS, 3)),
                   arr("joints2d", (n, NUM_JOINTS, 2)), arr("joint_scores", (n, NUM_JOINTS)), root_sigma=sigma)

    def to_json_dict(self) -> dict:
        """The documented JSON of `drm infer --json`."""
        return {
            "joint_names": list(JOINT_NAMES),
            "persons": [
                {
                    "score": float(self.scores[i]),
                    "root": [float(v) for v in self.roots[i]],
                    # 1-sigma along the root's viewing ray, m (null: unknown)
                    "root_sigma": None if not np.isfinite(self.root_sigma[i]) else round(float(self.root_sigma[i]), 4),
                    "joints3d": self.joints3d[i].astype(float).round(4).tolist(),
                    "joints2d": self.joints2d[i].astype(float).round(2).tolist(),
                    "joint_scores": self.joint_scores[i].astype(float).round(4).tolist(),
                    "bbox": [float(v) for v in self.boxes[i]],
                }
                for i in range(len(self))
            ],
        }
