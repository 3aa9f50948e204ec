"""Stable person ids across frames, by 3D association of root (pelvis) positions.

The network sees one frame at a time, so its people come in arbitrary order. The tracker gives
each person the id of the track whose predicted root lies nearest, within a gate; a person
nobody claims starts a new track. Tracks not seen for `max_age` frames are dropped; ids are never
reused within a run (the Skeleton3D.id contract).

The gate is an ellipsoid, not a sphere (INFERRED from our measurements): monocular depth is
noisy ALONG the viewing ray in proportion to the distance (median 8 % on our test split), while
across the ray a root is as precise as the 2D pose. So a person may move `gate_m` across the ray
but `gate_m + depth_gate_frac * distance` along it between frames; with a spherical 0.5 m gate,
people 15 m away got a new id almost every frame. And a track is predicted forwards across the
ray only (see `_Track.predicted`). On the four labelled synthetic sequence splits these two,
with depth_gate_frac 0.3 instead of 0.15, halve the identity switches (49 -> 27 with DRM's depth,
60 -> 28 with the true floor, 44 -> 27 with the learnt one; tools/tracking_study.py,
model/logs/tracking/tracking_study_session13.log).

A calibration change (new K or distortion in camera_info, same people in view) moves every
metric root at once: depth is read from apparent size, so doubling fx doubles every depth. Given
the camera with each frame, the tracker carries its tracks over into the new calibration the way
the network's output changes: each track keeps its pixel (scaled with the image if the image
size changed) and its depth scales with the focal length per image size. Without that, every
person got a new id at the switch (issue 16).

Association is greedy on the global list of (track, person) costs, cheapest first. With these
gates greedy and Hungarian give the same answer in all but contrived cases, and greedy needs no
scipy.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

import numpy as np

from drm_ros.camera import Camera
from drm_ros.poses import PoseSet


def greedy_pairs(cost: np.ndarray, limit: float) -> list[tuple[int, int]]:
    """Pairs (i, j) of a cost matrix, cheapest first, each row and column used once, cost < limit.
    Non-finite costs never match."""
    cost = np.where(np.isfinite(cost), cost, np.inf)
    pairs = []
    used_a, used_b = set(), set()
    for flat in np.argsort(cost, axis=None):
        i, j = divmod(int(flat), cost.shape[1])
        if cost[i, j] >= limit:
            break
        if i in used_a or j in used_b:
            continue
        pairs.append((i, j))
        used_a.add(i)
        used_b.add(j)
    return pairs


def greedy_match(a: np.ndarray, b: np.ndarray, gate: float) -> list[tuple[int, int]]:
    """Pairs (i, j) of rows of a (N, 3) and b (M, 3), nearest first, each row used once,
    distance < gate. Rows with non-finite coordinates never match."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 3)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 3)
    if len(a) == 0 or len(b) == 0:
        return []
    return greedy_pairs(np.linalg.norm(a[:, None, :] - b[None, :, :], axis=-1), gate)


def gated_cost(tracks: np.ndarray, roots: np.ndarray, gate_m: float, depth_gate_frac: float) -> np.ndarray:
    """(N, M) cost between predicted track roots and new roots (camera frame, m); < 1 = inside
    the ellipsoidal gate: `gate_m` across the new root's viewing ray, `gate_m + depth_gate_frac *
    distance` along it."""
    tracks = np.asarray(tracks, dtype=np.float64).reshape(-1, 3)
    roots = np.asarray(roots, dtype=np.float64).reshape(-1, 3)
    dist = np.linalg.norm(roots, axis=-1)
    ray = roots / np.where(dist > 0, dist, 1.0)[:, None]
    diff = roots[None, :, :] - tracks[:, None, :]
    along = (diff * ray[None]).sum(-1)
    across = np.linalg.norm(diff - along[..., None] * ray[None], axis=-1)
    return np.hypot(across / gate_m, along / (gate_m + depth_gate_frac * dist[None, :]))


@dataclass
class _Track:
    id: int
    root: np.ndarray  # last seen root, metres
    velocity: np.ndarray  # metres per frame, smoothed
    missed: int = 0  # frames since last seen

    def predicted(self, along_ray: bool) -> np.ndarray:
        # Constant velocity over the frames missed: walkers stay associated across a dropout.
        # Across the viewing ray only (unless along_ray): along it, frame-to-frame monocular depth
        # noise (5-8 % of the distance, more when the floor's depth takes over on grazing rays)
        # dwarfs a walker's step, and a velocity learnt from one such jump sent the prediction
        # past the next measurement, out of the gate (a new id for a lone walker in `make demo`);
        # the depth gate absorbs the walking along the ray instead.
        v = self.velocity
        if not along_ray:
            ray = self.root / max(float(np.linalg.norm(self.root)), 1e-9)
            v = v - (v @ ray) * ray
        return self.root + v * (self.missed + 1)


class Tracker:
    """Assigns ids to the people of consecutive PoseSets of one camera."""

    def __init__(self, gate_m: float = 0.5, max_age: int = 5, depth_gate_frac: float = 0.3,
                 along_ray_velocity: bool = False):
        if not gate_m > 0:
            raise ValueError(f"tracking gate must be positive metres, got {gate_m}")
        if max_age < 0:
            raise ValueError(f"max_age must be >= 0 frames, got {max_age}")
        if not depth_gate_frac >= 0:
            raise ValueError(f"depth_gate_frac must be >= 0, got {depth_gate_frac}")
        self.gate_m = float(gate_m)
        self.depth_gate_frac = float(depth_gate_frac)
        self.max_age = int(max_age)
        self.along_ray_velocity = bool(along_ray_velocity)  # True: the former 3D prediction (tools/tracking_study.py)
        self._tracks: list[_Track] = []
        self._next_id = 0
        self._camera: Camera | None = None  # calibration the tracks' roots are expressed in

    def reset(self) -> None:
        self._tracks = []  # ids keep counting up: never reused within a run

    @property
    def num_tracks(self) -> int:
        return len(self._tracks)

    def rebase(self, old: Camera, new: Camera) -> None:
        """Express every track in the calibration `new` as the network would see the same people
        through it: same (size-scaled) pixel, depth x (focal per image size of new / of old)."""
        size = np.array([new.width / old.width, new.height / old.height], dtype=np.float64)
        depth_scale = np.sqrt(new.fx * new.fy / (old.fx * old.fy) / size.prod())
        for track in self._tracks:
            points = np.stack([track.root, track.root + track.velocity])
            uv = (old.project(points) + 0.5) * size - 0.5
            moved = new.backproject(uv, points[:, 2] * depth_scale)
            if np.all(np.isfinite(moved)):
                track.root, track.velocity = moved[0], moved[1] - moved[0]

    def update(self, poses: PoseSet, camera: Camera | None = None) -> PoseSet:
        """The same people with `ids` set; advances every track by one frame. `camera`: the
        calibration of this frame (tracks are carried over when it differs from the last one)."""
        if camera is not None:
            if self._camera is not None and camera != self._camera and self._tracks:
                self.rebase(self._camera, camera)
            self._camera = camera
        predicted = np.array([t.predicted(self.along_ray_velocity) for t in self._tracks]).reshape(-1, 3)
        pairs = greedy_pairs(gated_cost(predicted, poses.roots, self.gate_m, self.depth_gate_frac), 1.0) \
            if len(predicted) and len(poses) else []
        ids = np.full(len(poses), -1, dtype=np.int64)
        matched_tracks = set()
        for ti, pj in pairs:
            track = self._tracks[ti]
            new_root = np.asarray(poses.roots[pj], dtype=np.float64)
            step = (new_root - track.root) / (track.missed + 1)
            track.velocity = 0.5 * track.velocity + 0.5 * step
            track.root, track.missed = new_root, 0
            ids[pj] = track.id
            matched_tracks.add(ti)
        for ti, track in enumerate(self._tracks):
            if ti not in matched_tracks:
                track.missed += 1
        self._tracks = [t for t in self._tracks if t.missed <= self.max_age]
        for pj in np.flatnonzero(ids < 0):
            root = np.asarray(poses.roots[pj], dtype=np.float64)
            if not np.all(np.isfinite(root)):
                continue  # a person without a usable root cannot be tracked; keeps id -1
            ids[pj] = self._next_id
            self._tracks.append(_Track(self._next_id, root, np.zeros(3)))
            self._next_id += 1
        return poses.with_ids(ids)


def count_id_switches(assignments: Iterable[Mapping[int, int]]) -> int:
    """CLEAR-MOT identity switches: per frame a mapping ground-truth id -> predicted id (for the
    ground-truth people matched that frame). A switch is a ground-truth person matched to a
    different predicted id than the last time it was matched."""
    last: dict[int, int] = {}
    switches = 0
    for frame in assignments:
        for gt_id, pred_id in frame.items():
            if gt_id in last and last[gt_id] != pred_id:
                switches += 1
            last[gt_id] = pred_id
    return switches


def id_assignments(predictions: Iterable[PoseSet], gt_roots: Iterable[np.ndarray],
                   gt_ids: Iterable[np.ndarray], gate_m: float = 0.5) -> list[dict[int, int]]:
    """Per frame, ground-truth id -> predicted id of the prediction matched by root distance."""
    frames = []
    for pred, roots, ids in zip(predictions, gt_roots, gt_ids):
        pairs = greedy_match(np.asarray(roots).reshape(-1, 3), pred.roots, gate_m)
        frames.append({int(ids[g]): int(pred.ids[p]) for g, p in pairs})
    return frames
