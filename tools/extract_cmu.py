#!/usr/bin/env python3
"""Offline: CMU motion capture (ASF/AMC, or CMU BVH) -> joint positions like deepmimic_joints.npz.

Writes drm_ros/synth/assets/cmu_joints.npz in exactly the layout and conventions of
deepmimic_joints.npz (see drm_ros/synth/assets/PROVENANCE.md): Z-up world, metres, at rest the
body faces +x with its left along +y, `<clip>/points` (F, 18, 3) in drm_ros.synth.motion.POINTS
order, `<clip>/head_rot` (F, 3, 3) columns = head forward, up, right, `<clip>/dt` seconds.
Stored as float16 (millimetre-level rounding at these magnitudes) to keep the asset small.

The ASF/AMC parser, the BVH parser and the forward kinematics below are our own numpy code,
written from the published format descriptions. Usage (inputs are git snapshots or plain dirs):
    .venv/bin/python tools/extract_cmu.py --asf-dir DIR [DIR ...] --bvh-dir DIR [DIR ...] \
        [--index "CMU data.csv"] [--out drm_ros/synth/assets/cmu_joints.npz]
    .venv/bin/python tools/extract_cmu.py --crosscheck NN.asf NN_TT.amc NNN_TT.bvh
Every ASF/AMC dir holds one subject (`NN.asf` + `NN_TT.amc`, 120 fps); BVH dirs hold `NNN_TT.bvh`.
The exact commands and source commits are in drm_ros/synth/assets/PROVENANCE.md.
"""
from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from drm_ros.synth.motion import POINTS  # noqa: E402  (one point order for every asset)

# CMU's ASF "length 0.45" unit: a stored length L is L / 0.45 inches.
CMU_LENGTH_TO_M = 0.0254 / 0.45
# CMU world: Y up, the rest skeleton faces +Z with its left along +X. Ours: Z up, faces +x, left +y.
# (x, y, z)_cmu -> (z, x, y): a cyclic permutation, i.e. a proper rotation (det +1), no mirror.
CMU_TO_OURS = np.array([[0.0, 0, 1], [1, 0, 0], [0, 1, 0]])
# Head frame at rest in OUR axes: forward +x, up +z, right -y (right = forward x up).
HEAD_REST_AXES = np.array([[1.0, 0, 0], [0, 0, 1], [0, -1, 0]]).T  # columns
CLIP_LIST = REPO / "drm_ros/synth/assets/clips.json"
# Held out for test splits, never trained on (~15 % of the clips, one or two of each kind of motion).
HELD_OUT = {"cmu_01_08", "cmu_01_13", "cmu_02_02", "cmu_02_05", "cmu_02_09", "cmu_03_02",
            "cmu_05_10", "cmu_05_17", "cmu_06_05", "cmu_06_15", "cmu_07_04"}
SOURCE_FPS = 120.0
OUT_FPS = 30.0
# Faster than any joint moves here (root-relative peaks are <= 29 m/s, in fast ballet turns).
GLITCH_SPEED = 40.0  # m/s, at the source frame rate


# ---------------------------------------------------------------- rotations (vectorised)
def axis_rotation(axis: str, deg: np.ndarray) -> np.ndarray:
    """(...,) angles in degrees -> (..., 3, 3) right-handed rotations about x, y or z."""
    a = np.radians(np.asarray(deg, dtype=np.float64))
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    rows = {"x": ((o, z, z), (z, c, -s), (z, s, c)),
            "y": ((c, z, s), (z, o, z), (-s, z, c)),
            "z": ((c, -s, z), (s, c, z), (z, z, o))}[axis.lower()]
    return np.stack([np.stack(r, axis=-1) for r in rows], axis=-2)


def euler(order: str, angles: np.ndarray) -> np.ndarray:
    """Rotation applying the axes of `order` one after another in the PARENT frame:
    order "xyz" with angles (a, b, c) -> Rz(c) @ Ry(b) @ Rx(a). angles: (..., len(order))."""
    angles = np.asarray(angles, dtype=np.float64)
    out = np.broadcast_to(np.eye(3), angles.shape[:-1] + (3, 3)).copy()
    for k, ax in enumerate(order):
        out = axis_rotation(ax, angles[..., k]) @ out
    return out


# ---------------------------------------------------------------- ASF / AMC
class AsfSkeleton:
    """Bones of one ASF file: rest direction (world, unit), length (ASF units), local axes C,
    degrees of freedom, and the parent of every bone ("root" for the first ones)."""

    def __init__(self, text: str):
        self.direction, self.length, self.axes, self.dofs, self.parent = {}, {}, {}, {}, {}
        self.root_order, self.root_axis = ["tx", "ty", "tz", "rx", "ry", "rz"], "xyz"
        self.unit = 1.0
        section, bone = None, None
        for raw in text.splitlines():
            line = raw.split("#")[0].strip()
            if not line:
                continue
            if line.startswith(":"):
                section = line.split()[0][1:].lower()
                continue
            words = line.split()
            key = words[0].lower()
            if section == "units" and key == "length":
                self.unit = float(words[1])
            elif section == "root":
                if key in ("position", "orientation") and any(float(w) != 0 for w in words[1:4]):
                    raise ValueError(f"ASF root {key} {words[1:4]} is not zero; this FK assumes it is")
                if key == "order":
                    self.root_order = [w.lower() for w in words[1:]]
                elif key == "axis":
                    self.root_axis = words[1].lower()
            elif section == "bonedata":
                if key == "begin":
                    bone = {}
                elif key == "end":
                    name = bone["name"]
                    self.direction[name] = bone["direction"] / np.linalg.norm(bone["direction"])
                    self.length[name] = bone["length"]
                    self.axes[name] = euler(bone["axis_order"], bone["axis"])
                    self.dofs[name] = bone.get("dof", [])
                    bone = None
                elif key == "name":
                    bone["name"] = words[1]
                elif key == "direction":
                    bone["direction"] = np.array([float(w) for w in words[1:4]])
                elif key == "length":
                    bone["length"] = float(words[1])
                elif key == "axis":
                    bone["axis"] = np.array([float(w) for w in words[1:4]])
                    bone["axis_order"] = words[4].lower()
                elif key == "dof":
                    bone["dof"] = [w.lower() for w in words[1:]]
            elif section == "hierarchy" and key not in ("begin", "end"):
                for child in words[1:]:
                    self.parent[child] = words[0]
        missing = [b for b in self.length if b not in self.parent]
        if missing:
            raise ValueError(f"ASF bones without a parent in :hierarchy: {missing}")
        self.order = []  # bones with their parents first
        pending = list(self.parent)
        while pending:
            ready = [b for b in pending if self.parent[b] == "root" or self.parent[b] in self.order]
            if not ready:
                raise ValueError(f"ASF hierarchy has a cycle among {pending}")
            self.order += ready
            pending = [b for b in pending if b not in ready]


def parse_amc(text: str, skel: AsfSkeleton) -> dict[str, np.ndarray]:
    """AMC text -> {bone: (F, ndof)} in the ASF's dof order; "root" gets the root `order` values."""
    frames: list[dict[str, list[float]]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or line.startswith(":"):
            continue
        words = line.split()
        if len(words) == 1 and words[0].isdigit():
            frames.append({})
            continue
        if not frames:
            raise ValueError(f"AMC data before the first frame number: {line!r}")
        frames[-1][words[0]] = [float(w) for w in words[1:]]
    out = {}
    for name in ["root"] + skel.order:
        n = len(skel.root_order) if name == "root" else len(skel.dofs[name])
        if n == 0:
            continue
        try:
            out[name] = np.array([f[name] for f in frames], dtype=np.float64).reshape(len(frames), n)
        except (KeyError, ValueError) as e:
            raise ValueError(f"AMC frames lack or mis-size bone {name!r} ({n} dof)") from e
    return out


def asf_forward_kinematics(skel: AsfSkeleton, motion: dict[str, np.ndarray]):
    """-> (start, end, rot) dicts per bone in the CMU world (ASF units); rot (F, 3, 3) maps the
    bone's rest orientation to its current one. Per bone: R = R_parent @ C @ M @ C^T where C are
    the ASF `axis` frame and M the AMC dof rotations applied in listed order about C's axes; the bone
    then spans start -> start + R @ direction * length."""
    root = motion["root"]
    vals = dict(zip(skel.root_order, root.T))
    root_pos = np.stack([vals["tx"], vals["ty"], vals["tz"]], axis=-1)
    rot_keys = [k for k in skel.root_order if k.startswith("r")]
    root_rot = euler("".join(k[1] for k in rot_keys), np.stack([vals[k] for k in rot_keys], axis=-1))
    local = {}
    for bone in skel.order:
        if skel.dofs[bone]:
            c = skel.axes[bone]
            local[bone] = c @ euler("".join(d[1] for d in skel.dofs[bone]), motion[bone]) @ c.T
    return bone_chain(skel, root_pos, root_rot, local)


def bone_chain(skel: AsfSkeleton, root_pos: np.ndarray, root_rot: np.ndarray, local: dict[str, np.ndarray]):
    """Forward kinematics from each bone's rotation relative to its parent, expressed in the
    rest-pose world axes (C @ M @ C^T for AMC; bones missing from `local` do not turn).
    -> (start, end, rot) dicts per bone as asf_forward_kinematics describes."""
    n = len(root_pos)
    start, end, rot = {"root": root_pos}, {"root": root_pos}, {"root": root_rot}
    for bone in skel.order:
        parent = skel.parent[bone]
        rot[bone] = rot[parent] @ local[bone] if bone in local else np.broadcast_to(rot[parent], (n, 3, 3))
        start[bone] = end[parent]
        end[bone] = start[bone] + rot[bone] @ (skel.direction[bone] * skel.length[bone])
    return start, end, rot


def asf_points(skel: AsfSkeleton, motion: dict[str, np.ndarray]):
    """-> (points (F, 18, 3) metres in OUR axes, head_rot (F, 3, 3)): CMU bones -> our points."""
    return bone_points(skel, *asf_forward_kinematics(skel, motion))


def bone_points(skel: AsfSkeleton, start: dict, end: dict, rot: dict):
    """CMU bones (start, end, rot dicts from asf_forward_kinematics or bone_chain) -> our points:
    (points (F, 18, 3) metres in OUR axes, head_rot (F, 3, 3))."""
    scale = 0.0254 / skel.unit  # CMU: unit 0.45, i.e. CMU_LENGTH_TO_M
    mid = lambda b: 0.5 * (start[b] + end[b])  # noqa: E731
    pick = {
        # Root: the hip centre (midpoint of the femur heads), as DeepMimic's root sits level with
        # and between its hips. The CMU root itself is ~10 cm above and ~5 cm behind that point.
        "root": 0.5 * (start["lfemur"] + start["rfemur"]),
        # Chest: the middle of the upperback segment (lower thoracic spine). Its height between
        # root and neck (~0.50 in upright frames) and its distance from the root (~0.27 m) match
        # DeepMimic's chest joint (0.52, 0.24 m); the thorax start would sit at 0.61 / 0.33 m.
        "chest": mid("upperback"),
        "neck": start["upperneck"],
        "head": mid("head"),
    }
    # Wrists: the START OF THE HAND. CMU's "wrist" bone is the distal forearm (a twist segment, dof
    # ry only; radius + wrist ~0.28 m, like a forearm), the hand bone carries wrist flexion.
    for side, s in (("left", "l"), ("right", "r")):
        pick.update({f"{side}_hip": start[f"{s}femur"], f"{side}_knee": start[f"{s}tibia"],
                     f"{side}_ankle": start[f"{s}foot"], f"{side}_toe": end[f"{s}toes"],
                     f"{side}_shoulder": start[f"{s}humerus"], f"{side}_elbow": start[f"{s}radius"],
                     f"{side}_wrist": start[f"{s}hand"]})
    pts = np.stack([pick[name] for name in POINTS], axis=1) * scale
    pts = pts @ CMU_TO_OURS.T
    head = CMU_TO_OURS @ rot["head"] @ CMU_TO_OURS.T @ HEAD_REST_AXES
    return pts, head


# ---------------------------------------------------------------- BVH
class Bvh:
    """A BVH file: joints (name, parent, offset, channels) in file order and the motion table."""

    def __init__(self, text: str):
        head, _, motion = text.partition("MOTION")
        if not motion:
            raise ValueError("BVH without a MOTION section")
        self.names, self.parent, self.offset, self.channels = [], {}, {}, {}
        stack, pending, end_count = [], None, 0
        tokens = head.split()
        i = 0
        while i < len(tokens):
            t = tokens[i]
            if t in ("ROOT", "JOINT"):
                pending = tokens[i + 1]; i += 2; continue
            if t == "End":  # End Site: a leaf point with only an offset
                end_count += 1
                pending = f"{stack[-1]}__end{end_count}"; i += 2; continue
            if t == "{":
                self.parent[pending] = stack[-1] if stack else None
                self.names.append(pending)
                self.channels[pending] = []
                stack.append(pending); i += 1; continue
            if t == "}":
                stack.pop(); i += 1; continue
            if t == "OFFSET":
                self.offset[stack[-1]] = np.array([float(v) for v in tokens[i + 1:i + 4]]); i += 4; continue
            if t == "CHANNELS":
                k = int(tokens[i + 1])
                self.channels[stack[-1]] = [c.lower() for c in tokens[i + 2:i + 2 + k]]; i += 2 + k; continue
            i += 1
        lines = motion.strip().splitlines()
        frames = int(lines[0].split(":")[1])
        self.frame_time = float(lines[1].split(":")[1])
        self.motion = np.array([[float(v) for v in ln.split()] for ln in lines[2:2 + frames]], dtype=np.float64)
        width = sum(len(c) for c in self.channels.values())
        if self.motion.shape != (frames, width):
            raise ValueError(f"BVH motion table is {self.motion.shape}, header says ({frames}, {width})")

    def forward_kinematics(self):
        """-> (pos, rot) per joint in the file's world. A joint's rotation channels compose in the
        listed order as intrinsic rotations: R_local = R(ch1) @ R(ch2) @ R(ch3)."""
        col, pos, rot = 0, {}, {}
        n = len(self.motion)
        for name in self.names:
            chans = self.channels[name]
            values = self.motion[:, col:col + len(chans)]; col += len(chans)
            local_t = np.broadcast_to(self.offset.get(name, np.zeros(3)), (n, 3)).copy()
            local_r = np.broadcast_to(np.eye(3), (n, 3, 3)).copy()
            for k, ch in enumerate(chans):
                if ch.endswith("position"):
                    local_t[:, "xyz".index(ch[0])] = values[:, k]
                else:
                    local_r = local_r @ axis_rotation(ch[0], values[:, k])
            parent = self.parent[name]
            if parent is None:
                pos[name], rot[name] = local_t, local_r
            else:
                pos[name] = pos[parent] + np.einsum("fij,fj->fi", rot[parent], local_t)
                rot[name] = rot[parent] @ local_r
        return pos, rot


# These BVH files are CMU motions converted onto Reallusion's CC_Base rig ("Motion Dummy", cm):
# CMU's joint rotations (same rest axes: on clip 01_01, present in both sources, the Head joint's
# world rotation matches the ASF head bone's within 0.3 deg median) on the dummy's bone lengths.
BVH_CM_TO_M = 0.01
# Chest = Spine02 (height between root and neck ~0.5, as DeepMimic's chest); neck = NeckTwist01,
# the lowest neck joint (the rig's upper neck joints sit ~10 cm above its shoulders).
BVH_POINTS = {"chest": "CC_Base_Spine02", "neck": "CC_Base_NeckTwist01"}
for _side, _s in (("left", "L"), ("right", "R")):
    BVH_POINTS.update({f"{_side}_hip": f"CC_Base_{_s}_Thigh", f"{_side}_knee": f"CC_Base_{_s}_Calf",
                       f"{_side}_ankle": f"CC_Base_{_s}_Foot", f"{_side}_toe": f"CC_Base_{_s}_MidToe1",
                       f"{_side}_shoulder": f"CC_Base_{_s}_Upperarm", f"{_side}_elbow": f"CC_Base_{_s}_Forearm",
                       f"{_side}_wrist": f"CC_Base_{_s}_Hand"})
# Head centre = the Head joint (skull base, where CMU's head bone starts) moved up the head by
# half a CMU head bone, as the ASF mapping takes the middle of that bone.
HEAD_CENTRE_ABOVE_SKULL_BASE = 0.05


def bvh_points(bvh: Bvh):
    """-> (points (F, 18, 3) metres in OUR axes, head_rot (F, 3, 3))."""
    pos, rot = bvh.forward_kinematics()
    pos = {k: v * BVH_CM_TO_M @ CMU_TO_OURS.T for k, v in pos.items()}  # same axes as CMU's world
    pick = {name: pos[joint] for name, joint in BVH_POINTS.items()}
    pick["root"] = 0.5 * (pick["left_hip"] + pick["right_hip"])
    head = CMU_TO_OURS @ rot["CC_Base_Head"] @ CMU_TO_OURS.T @ HEAD_REST_AXES
    pick["head"] = pos["CC_Base_Head"] + HEAD_CENTRE_ABOVE_SKULL_BASE * head[:, :, 1]
    pts = np.stack([pick[name] for name in POINTS], axis=1)
    return pts, head


# ---------------------------------------------------------------- clips
def clean_span(pts: np.ndarray, fps: float) -> tuple[int, int]:
    """The longest run of source frames free of capture glitches, as [start, end).

    A glitch is a frame-to-frame move faster than GLITCH_SPEED (root-relative joint or root): in
    this data they are data gaps (limbs held frozen or zeroed, e.g. 03_02's right arm in a T-pose
    for 50 frames) that end in a 0.5-1 m jump, and the T-pose some BVH files have prepended (07_03+).
    Frames just before a jump in which the jumping joint did not move at all were held, so go too."""
    rel = pts - pts[:, :1]
    moves = np.linalg.norm(np.diff(rel, axis=0), axis=2)  # (F - 1, 18): frame i -> i + 1
    root = np.linalg.norm(np.diff(pts[:, 0], axis=0), axis=1)
    cuts = np.flatnonzero(np.maximum(moves.max(axis=1), root) * fps > GLITCH_SPEED) + 1
    bounds = [0, *cuts.tolist(), len(pts)]
    spans = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        if b < len(pts):
            joint = moves[b - 1].argmax()
            while b - 1 > a and moves[b - 2, joint] < 1e-6:
                b -= 1
        spans.append((a, b))
    return max(spans, key=lambda s: s[1] - s[0])


def finish_clip(pts: np.ndarray, head: np.ndarray, src_fps: float, out_fps: float = OUT_FPS):
    """Keep the clean span, subsample to out_fps, put the lowest foot point of the clip on z = 0
    and the middle of the root's horizontal range at x = y = 0 (keeps float16 rounding small).
    -> (points, head_rot, dt, (first, end, total) source frames kept)."""
    first, end = clean_span(pts, src_fps)
    kept = (first, end, len(pts))
    step = int(round(src_fps / out_fps))
    pts, head = pts[first:end:step].copy(), head[first:end:step].copy()
    feet = [POINTS.index(n) for n in ("left_ankle", "right_ankle", "left_toe", "right_toe")]
    pts[..., 2] -= pts[:, feet, 2].min()
    root = pts[:, POINTS.index("root"), :2]
    pts[..., :2] -= 0.5 * (root.min(axis=0) + root.max(axis=0))
    return pts, head, step / src_fps, kept


def read_index(path: Path | None) -> dict[tuple[int, int], dict]:
    """CMU index as CSV (Subject, Trial #, Motion Description, framerate, ...) -> {(subject, trial): row}."""
    if path is None:
        return {}
    with open(path, newline="") as f:
        return {(int(r["Subject"]), int(r["Trial #"])): r for r in csv.DictReader(f)}


def asf_clips(folder: Path):
    """Yield (subject, trial, points, head_rot, dt) for one ASF/AMC subject folder."""
    asfs = sorted(folder.glob("*.asf"))
    if len(asfs) != 1:
        raise SystemExit(f"{folder}: expected one .asf, found {len(asfs)}")
    skel = AsfSkeleton(asfs[0].read_text())
    for amc in sorted(folder.glob("*.amc")):
        subject, trial = (int(v) for v in re.fullmatch(r"(\d+)_(\d+)", amc.stem).groups())
        pts, head = asf_points(skel, parse_amc(amc.read_text(), skel))
        yield "asf/amc", subject, trial, *finish_clip(pts, head, SOURCE_FPS)


def bvh_clips(folder: Path, fps: float):
    """Yield (source, subject, trial, points, head_rot, dt) for one folder of NNN_TT.bvh files."""
    for path in sorted(folder.glob("*.bvh")):
        subject, trial = (int(v) for v in re.fullmatch(r"(\d+)_(\d+)", path.stem).groups())
        pts, head = bvh_points(Bvh(path.read_text()))
        yield "bvh (CC_Base rig)", subject, trial, *finish_clip(pts, head, fps)


def crosscheck(asf: Path, amc: Path, bvh: Path, step: int = 2) -> None:
    """The same CMU trial through both parsers (AMC at 120 fps, BVH at 120/step fps): median
    angle between corresponding limb directions and between the head frames, at the frame lag
    that fits best. Small angles validate both FKs and the BVH frame rate."""
    from drm_ros.synth.motion import PARENT  # noqa: PLC0415  (only needed here)

    skel = AsfSkeleton(asf.read_text())
    pa, ha = asf_points(skel, parse_amc(amc.read_text(), skel))
    pb, hb = bvh_points(Bvh(bvh.read_text()))
    limbs = ("left_knee", "left_ankle", "right_knee", "right_ankle", "left_elbow", "left_wrist",
             "right_elbow", "right_wrist")
    for s in sorted({step, 1, 2}):
        a, h = pa[::s], ha[::s]
        n = min(len(a), len(pb))
        ang = lambda u, v: np.degrees(np.arccos(np.clip((u * v).sum(-1) / np.linalg.norm(u, axis=-1)  # noqa: E731
                                                         / np.linalg.norm(v, axis=-1), -1, 1)))
        limb = np.median([ang(a[:n, POINTS.index(c)] - a[:n, POINTS.index(PARENT[c])],
                              pb[:n, POINTS.index(c)] - pb[:n, POINTS.index(PARENT[c])]) for c in limbs])
        tr = np.einsum("fij,fij->f", h[:n], hb[:n])
        head = np.median(np.degrees(np.arccos(np.clip((tr - 1) / 2, -1, 1))))
        print(f"AMC every {s} frame(s) vs BVH ({len(pa)} vs {len(pb)} frames): limb directions differ by "
              f"{limb:.1f} deg (median), head frames by {head:.1f} deg")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--asf-dir", type=Path, nargs="*", default=[], help="ASF/AMC subject folders")
    ap.add_argument("--bvh-dir", type=Path, nargs="*", default=[], help="CMU BVH subject folders")
    ap.add_argument("--bvh-fps", type=float, default=60.0,
                    help="true frame rate of the BVH files (IClone-CMU-Mocap: 60, every 2nd CMU frame)")
    ap.add_argument("--index", type=Path, help="CMU index CSV (Subject, Trial #, Motion Description)")
    ap.add_argument("--out", type=Path, default=REPO / "drm_ros/synth/assets/cmu_joints.npz")
    ap.add_argument("--crosscheck", nargs=3, type=Path, metavar=("ASF", "AMC", "BVH"),
                    help="only compare one trial present in both formats (see crosscheck())")
    args = ap.parse_args()
    if args.crosscheck:
        crosscheck(*args.crosscheck)
        return 0
    index = read_index(args.index)
    arrays, clips, listing = {"point_names": np.array(POINTS)}, [], {}
    sources = [asf_clips(d) for d in args.asf_dir] + [bvh_clips(d, args.bvh_fps) for d in args.bvh_dir]
    for source in sources:
        for source_name, subject, trial, pts, head, dt, kept in source:
            name = f"cmu_{subject:02d}_{trial:02d}"
            row = index.get((subject, trial), {})
            if source_name == "asf/amc" and float(row.get("framerate") or SOURCE_FPS) != SOURCE_FPS:
                raise SystemExit(f"{name}: the CMU index says {row['framerate']} fps, this tool assumes {SOURCE_FPS}")
            if name in clips:
                print(f"{name}: already taken from an earlier source, skipped")
                continue
            arrays[f"{name}/points"] = pts.astype(np.float16)
            arrays[f"{name}/head_rot"] = head.astype(np.float16)
            arrays[f"{name}/dt"] = np.float32(dt)
            clips.append(name)
            feet = [POINTS.index(n) for n in ("left_ankle", "right_ankle", "left_toe", "right_toe")]
            listing[name] = {"description": row.get("Motion Description", "").strip(), "source": source_name,
                             "held_out": name in HELD_OUT, "loops": False,
                             # > ~0.3 m: on a structure (climbing, hanging), floating in a flat scene
                             "max_lowest_foot_m": round(float(pts[:, feet, 2].min(axis=1).max()), 2)}
            if kept[:2] != (0, kept[2]):  # glitches cut away (clean_span)
                listing[name]["source_frames_kept"] = f"{kept[0]}-{kept[1]} of {kept[2]}"
            err = np.abs(pts - pts.astype(np.float16).astype(np.float64)).max() * 1000
            top = pts[:, POINTS.index("head"), 2].max()
            print(f"{name} {len(pts):5d} frames dt={dt:.4f} head centre <= {top:.2f} m, float16 error <= "
                  f"{err:.1f} mm  {row.get('Motion Description', '').strip()}"
                  + (f"  [kept source frames {kept[0]}-{kept[1]} of {kept[2]}]" if kept[:2] != (0, kept[2]) else ""))
    arrays["clips"] = np.array(clips)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **arrays)
    frames = sum(len(arrays[f"{c}/points"]) for c in clips)
    old = json.loads(CLIP_LIST.read_text()) if CLIP_LIST.exists() else {"clips": {}}
    old["clips"] = {**{c: e for c, e in old["clips"].items() if not c.startswith("cmu_")}, **listing}
    CLIP_LIST.write_text(json.dumps(old, indent=1) + "\n")
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KiB, {len(clips)} clips, {frames} frames)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
