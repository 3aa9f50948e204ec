"""Real motion-capture poses (DeepMimic and CMU clips) turned into varied 3D people.

The ASSETS `assets/deepmimic_joints.npz`, `deepmimic_extra_joints.npz` and `cmu_joints.npz` (see
assets/PROVENANCE.md; all in one layout) hold, per clip, FK joint
positions in a Z-UP world (metres, ground z = 0, the body's forward along +x, left along +y at rest)
and the head rotation (columns: head forward, up, right). Variation added here: yaw, mirroring,
body size, per-bone length, small joint rotations. COCO joints come from `coco_joints`.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from drm_ros.skeleton import COCO_JOINT_NAMES, add_pelvis

ASSET_DIR = Path(__file__).resolve().parent / "assets"
ASSET = ASSET_DIR / "deepmimic_joints.npz"
DEEPMIMIC_EXTRA_ASSET = ASSET_DIR / "deepmimic_extra_joints.npz"
CMU_ASSET = ASSET_DIR / "cmu_joints.npz"
ASSETS = (ASSET, DEEPMIMIC_EXTRA_ASSET, CMU_ASSET)  # where named clips are looked up, in this order
# OPT-IN second CMU corpus (exp-map files, other subjects and trials; PROVENANCE.md). Not in ASSETS,
# so `clips: training`, training_clips() and training_points() (the shipped recipes) are unchanged;
# a lifter selects it with `motion: all2`.
CMU_EXPMAP_ASSET = ASSET_DIR / "cmu_expmap_joints.npz"
CORPUS2 = ASSETS + (CMU_EXPMAP_ASSET,)
# Per-clip descriptions and the held-out clips (test splits only, never trained on).
CLIP_LIST = ASSET_DIR / "clips.json"
POINTS = ("root", "chest", "neck", "head", "right_hip", "right_knee", "right_ankle", "right_toe",
          "right_shoulder", "right_elbow", "right_wrist", "left_hip", "left_knee", "left_ankle",
          "left_toe", "left_shoulder", "left_elbow", "left_wrist")
P = {name: i for i, name in enumerate(POINTS)}
# Kinematic tree (child -> parent), parents listed before children.
PARENT = {"chest": "root", "neck": "chest", "head": "neck",
          **{f"{s}_{c}": f"{s}_{p}" for s in ("left", "right")
             for c, p in (("knee", "hip"), ("ankle", "knee"), ("toe", "ankle"), ("elbow", "shoulder"), ("wrist", "elbow"))},
          **{f"{s}_hip": "root" for s in ("left", "right")}, **{f"{s}_shoulder": "chest" for s in ("left", "right")}}
TREE_ORDER = ("chest", "neck", "head", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist",
              "right_wrist", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
              "left_toe", "right_toe")
MIRROR = tuple(P[n.replace("left_", "R_").replace("right_", "left_").replace("R_", "right_")] for n in POINTS)
# Joints that get small random rotations (their subtree turns about them).
PERTURBED = ("neck", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_hip", "right_hip",
             "left_knee", "right_knee", "chest")
REF_HEIGHT = 1.60  # stature of the DeepMimic body at scale 1 (top of the head, standing)
# Every rig is first brought to the DeepMimic body's size, so that the stature drawn for a person
# (BodyShape.scale = height / REF_HEIGHT) is the stature it gets whatever clip poses it. CMU
# subjects' bones are 3-13 % longer than DeepMimic's; unnormalised, a CMU-posed person came out
# 3-13 % taller than drawn, which taught the depth head a size prior DeepMimic people (and real
# ones, drawn around 1.70 m) do not follow. The size is a chain of bone lengths, not a standing
# height, because bone lengths do not depend on the clip's poses (crouched walks, crawls).
REF_CHAIN = 1.466  # DeepMimic humanoid: leg (hip-knee + knee-ankle) + root-chest + chest-neck + neck-head, m
RIG_TOLERANCE = 0.005  # DeepMimic clips' FK gives 1.466-1.467 m: the same rig, kept exactly as stored

# Face points in the head frame (forward, up, right) in metres at scale 1, relative to the head
# sphere centre (radius 0.1025 m in the URDF). Chosen from adult head proportions: the eyes sit
# slightly above the centre and 3.2 cm from the mid-plane, the nose tip 10 cm in front, the ear
# canals on the sides at centre height. Left = -right.
FACE_OFFSETS = {
    "nose": (0.100, -0.015, 0.0),
    "left_eye": (0.082, 0.025, -0.032), "right_eye": (0.082, 0.025, 0.032),
    "left_ear": (-0.005, 0.0, -0.076), "right_ear": (-0.005, 0.0, 0.076),
}


@dataclass
class Pose:
    """One person's 3D pose in the Z-UP world (metres)."""

    points: np.ndarray  # (len(POINTS), 3)
    head_rot: np.ndarray  # (3, 3) columns: head forward, up, right
    scale: float  # body size relative to the mocap body
    clip: str
    frame: float
    mirrored: bool


def _open(paths: Iterable[Path]) -> dict[str, np.lib.npyio.NpzFile]:
    """clip name -> the opened asset holding it (names must be unique across assets)."""
    owner = {}
    for path in paths:
        data = np.load(path)
        if list(data["point_names"]) != list(POINTS):
            raise ValueError(f"{path}: point order differs from drm_ros.synth.motion.POINTS")
        for c in (str(c) for c in data["clips"]):
            if c in owner:
                raise ValueError(f"motion clip {c!r} is in two assets: {path} and an earlier one")
            owner[c] = data
    return owner


TRAINING = "training"  # the `clips` setting that selects training_clips()


class MotionLibrary:
    """Motion clips, restricted to `clips` (None = every clip of `path`, by default DeepMimic's).
    `path` is one asset or several; named clips are also found in the other ASSETS (CMU)."""

    def __init__(self, clips: list[str] | str | None = None, path: Path | Sequence[Path] = ASSET):
        if clips == TRAINING:
            clips, path = training_clips(), ASSETS
        paths = [Path(path)] if isinstance(path, (str, Path)) else [Path(p) for p in path]
        owner = _open(paths)
        chosen = list(owner) if not clips else list(clips)
        if any(c not in owner for c in chosen):
            owner.update({c: d for c, d in _open(p for p in ASSETS if p not in paths).items() if c not in owner})
        unknown = [c for c in chosen if c not in owner]
        if unknown:
            raise ValueError(f"unknown motion clips {unknown}; available: {list(owner)}")
        self.clips = chosen
        self.points = {c: _same_size(owner[c][f"{c}/points"].astype(np.float64)) for c in chosen}
        self.head_rot = {c: owner[c][f"{c}/head_rot"].astype(np.float64) for c in chosen}
        self.dt = {c: float(owner[c][f"{c}/dt"]) for c in chosen}

    def frame(self, clip: str, t: float, loop: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Points and head rotation at (fractional) frame t. With loop, frames past the end repeat
        the cycle and the root keeps travelling (the clip's net horizontal displacement per cycle)."""
        pts, rot = self.points[clip], self.head_rot[clip]
        n = len(pts) - 1  # DeepMimic loops: the last frame is the first frame of the next cycle
        cycles, k = divmod(t, n) if loop else (0, min(max(t, 0.0), n))
        i0 = int(np.floor(k)); i1 = min(i0 + 1, n); a = k - i0
        p = (1 - a) * pts[i0] + a * pts[i1]
        r = rot[i0] if a < 0.5 else rot[i1]
        if cycles:
            shift = pts[n, P["root"]] - pts[0, P["root"]]
            p = p + cycles * np.array([shift[0], shift[1], 0.0])
        return p, r


def held_out_clips() -> set[str]:
    """Clips reserved for test splits (CMU and DeepMimic), from assets/clips.json."""
    listing = json.loads(CLIP_LIST.read_text())
    return {c for c, entry in listing["clips"].items() if entry["held_out"]}


def training_clips(paths: Sequence[Path] = ASSETS) -> list[str]:
    """Every clip of `paths` except the held-out ones; of ASSETS: what `clips: training` selects."""
    skip = held_out_clips()
    return sorted(c for c in _open(paths) if c not in skip)


def training_points(paths: Sequence[Path] = ASSETS, exclude: Iterable[str] | None = None) -> dict[str, np.ndarray]:
    """clip -> (F, len(POINTS), 3) float32 points of every clip in `paths` except `exclude`
    (default: the held-out clips), e.g. for pretraining a 2D->3D lifter on real motion."""
    skip = held_out_clips() if exclude is None else set(exclude)
    owner = _open(paths)
    return {c: _same_size(d[f"{c}/points"].astype(np.float64)).astype(np.float32) for c, d in owner.items() if c not in skip}


def _median_bone(points: np.ndarray, child: str) -> float:
    return float(np.median(np.linalg.norm(points[:, P[child]] - points[:, P[PARENT[child]]], axis=1)))


def rig_factor(points: np.ndarray) -> float:
    """Scale that brings a clip's skeleton (F, len(POINTS), 3) to the DeepMimic body's size."""
    leg = np.mean([_median_bone(points, f"{s}_{j}") for s in ("left", "right") for j in ("knee", "ankle")]) * 2
    factor = REF_CHAIN / (leg + sum(_median_bone(points, j) for j in ("chest", "neck", "head")))
    return 1.0 if abs(factor - 1.0) < RIG_TOLERANCE else factor


def _same_size(points: np.ndarray) -> np.ndarray:
    factor = rig_factor(points)
    return points if factor == 1.0 else points * factor


def _rotation(axis: np.ndarray, angle: float) -> np.ndarray:
    axis = axis / np.linalg.norm(axis)
    x, y, z = axis
    k = np.array([[0, -z, y], [z, 0, -x], [-y, x, 0]])
    return np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * (k @ k)


def rot_z(yaw: float) -> np.ndarray:
    return _rotation(np.array([0.0, 0.0, 1.0]), yaw)


_CHILDREN = {n: [c for c in TREE_ORDER if PARENT[c] == n] for n in POINTS}


def _subtree(name: str) -> list[int]:
    out, stack = [], [name]
    while stack:
        n = stack.pop()
        out.append(P[n])
        stack += _CHILDREN[n]
    return out


SUBTREE = {n: _subtree(n) for n in POINTS}


@dataclass
class BodyShape:
    """Per-person proportions (fixed over a sequence)."""

    scale: float
    bone_factor: dict  # child name -> length factor
    mirrored: bool
    perturb: dict  # joint name -> (3, 3) rotation


def sample_shape(rng: np.random.Generator, cfg: dict) -> BodyShape:
    height = float(np.clip(rng.normal(cfg["height_mean_m"], cfg["height_std_m"]), *cfg["height_range_m"]))
    if rng.random() < cfg.get("child_probability", 0.0):
        height = float(rng.uniform(1.0, 1.4))
    sd, lim = cfg["bone_length_std"], cfg["bone_length_limit"]
    factor = {}
    for child in TREE_ORDER:
        base = child.replace("left_", "").replace("right_", "")
        if base not in factor:  # one factor per bone type, a little left/right asymmetry on top
            factor[base] = float(np.clip(rng.normal(1.0, sd), 1 - lim, 1 + lim))
        factor[child] = factor[base] * float(np.clip(rng.normal(1.0, sd / 4), 0.97, 1.03))
    perturb = {j: _rotation(rng.normal(size=3), float(np.radians(rng.normal(0, cfg["joint_perturb_deg"]))))
               for j in PERTURBED}
    return BodyShape(height / REF_HEIGHT, factor, bool(rng.random() < cfg["mirror_probability"]), perturb)


def shape_pose(points: np.ndarray, head_rot: np.ndarray, shape: BodyShape) -> tuple[np.ndarray, np.ndarray]:
    """Apply a BodyShape to clip points (root-centred horizontally by the caller)."""
    pts, rot = points.copy(), head_rot.copy()
    if shape.mirrored:  # reflect across the body's x-z plane and swap the left/right labels
        pts = pts[list(MIRROR)] * [1.0, -1.0, 1.0]
        f, u = rot[:, 0] * [1, -1, 1], rot[:, 1] * [1, -1, 1]
        rot = np.stack([f, u, np.cross(f, u)], axis=1)  # right = forward x up, a proper frame again
    ground = pts[:, 2].min()
    out = pts.copy()
    for child in TREE_ORDER:  # bone lengths, then overall size; directions kept
        parent = PARENT[child]
        out[P[child]] = out[P[parent]] + shape.scale * shape.bone_factor[child] * (pts[P[child]] - pts[P[parent]])
    for joint in PERTURBED:  # small rotations of each subtree about its joint
        if joint not in shape.perturb:
            continue
        centre = out[P[joint]]
        idx = [i for i in SUBTREE[joint] if i != P[joint]]
        out[idx] = (out[idx] - centre) @ shape.perturb[joint].T + centre
        if P["head"] in idx:
            rot = shape.perturb[joint] @ rot
    out[:, 2] += shape.scale * ground - out[:, 2].min()  # lowest point at the (scaled) clip clearance
    return out, rot


def coco_joints(points: np.ndarray, head_rot: np.ndarray, scale: float) -> np.ndarray:
    """(len(POINTS), 3) body points -> (18, 3) drm_ros joints (COCO-17 + pelvis).

    Limb joints map 1:1 (DeepMimic hip/knee/ankle/shoulder/elbow/wrist joint centres); face joints
    are the FACE_OFFSETS in the head frame; the pelvis is the hip midpoint (add_pelvis)."""
    out = np.zeros((len(COCO_JOINT_NAMES), 3))
    for j, name in enumerate(COCO_JOINT_NAMES):
        if name in FACE_OFFSETS:
            out[j] = points[P["head"]] + scale * head_rot @ np.asarray(FACE_OFFSETS[name])
        else:
            out[j] = points[P[name]]
    return add_pelvis(out)
