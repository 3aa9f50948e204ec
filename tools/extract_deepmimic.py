#!/usr/bin/env python3
"""Offline: DeepMimic motion clips (shipped in PyPI pybullet==3.2.7) -> joint positions.

Writes drm_ros/synth/assets/deepmimic_joints.npz, the only motion data `drm synth` needs at run
time (the generator never imports pybullet). Forward kinematics is done here with numpy from
pybullet_data/humanoid/humanoid.urdf at globalScaling 0.25 (the scale DeepMimic uses: body about
1.6 m tall); when pybullet itself imports, every clip is cross-checked against its own FK.

Usage (pybullet only needs to be importable for this tool, e.g. unpacked into a scratch dir):
    pip download pybullet==3.2.7 --no-deps -d /tmp/pyb
    pip install --no-deps --target /tmp/pybtarget /tmp/pyb/pybullet-3.2.7-*.whl
    PYTHONPATH=/tmp/pybtarget .venv/bin/python tools/extract_deepmimic.py --pybullet-data /tmp/pybtarget/pybullet_data

Output convention (documented again in drm_ros/synth/assets/PROVENANCE.md): Z-UP world, metres,
ground plane z = 0; x, y horizontal. DeepMimic stores Y-up; we map (x, y, z)_yup -> (x, -z, y).
Per clip `<name>`: `<name>/points` (F, P, 3) float32 with P = POINT_NAMES, `<name>/head_rot`
(F, 3, 3) float32 whose columns are the head's forward, up and RIGHT axes in the world, and
`<name>/dt` the frame interval in seconds.
"""
from __future__ import annotations

import argparse
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

SCALE = 0.25
# DeepMimic's frame layout after dt: root position (3), root quaternion (4) and then, in this
# order, the chest, neck, right hip, knee, ankle, shoulder, elbow, left hip, knee, ankle,
# shoulder, elbow; quaternions are (w, x, y, z), knees/elbows one revolute angle (about z).
MOTION_JOINTS = ("chest", "neck", "right_hip", "right_knee", "right_ankle", "right_shoulder",
                 "right_elbow", "left_hip", "left_knee", "left_ankle", "left_shoulder", "left_elbow")
REVOLUTE = {"right_knee", "right_elbow", "left_knee", "left_elbow"}
# Points stored per frame: the URDF joint origins, plus the head centre (the neck link's
# sphere) and the toe tip (the front of the ankle link's foot box), both from the URDF geometry.
POINT_NAMES = ("root", "chest", "neck", "head", "right_hip", "right_knee", "right_ankle", "right_toe",
               "right_shoulder", "right_elbow", "right_wrist", "left_hip", "left_knee", "left_ankle",
               "left_toe", "left_shoulder", "left_elbow", "left_wrist")
HEAD_IN_NECK = np.array([0.0, 0.70, 0.0])  # neck link sphere centre (URDF units)
TOE_IN_ANKLE = np.array([0.18 + 0.354, -0.09, 0.0])  # foot box centre + half its length in x


def quat_wxyz_to_matrix(q: np.ndarray) -> np.ndarray:
    w, x, y, z = q / np.linalg.norm(q)
    return np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                     [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                     [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]])


def rot_z(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def read_urdf(path: Path) -> dict[str, tuple[str, np.ndarray]]:
    """joint (= child link) name -> (parent link, origin xyz in URDF units). All origins have rpy 0."""
    joints = {}
    # The shipped file ends in a NUL byte, which XML parsers reject.
    root = ET.fromstring(path.read_bytes().rstrip(b"\0\r\n"))
    for j in root.iter("joint"):
        origin = j.find("origin")
        rpy = np.array([float(v) for v in origin.get("rpy", "0 0 0").split()])
        if np.any(rpy != 0):
            raise SystemExit(f"{path}: joint {j.get('name')} has a rotated origin; this FK assumes none")
        joints[j.find("child").get("link")] = (j.find("parent").get("link"),
                                               np.array([float(v) for v in origin.get("xyz").split()]))
    return joints


def forward_kinematics(frame: np.ndarray, urdf: dict) -> tuple[np.ndarray, np.ndarray]:
    """One DeepMimic frame -> (points (P, 3), head rotation (3, 3)), Y-up, metres."""
    pos = {"root": frame[1:4].copy()}
    rot = {"root": quat_wxyz_to_matrix(frame[4:8])}
    i = 8
    local = {}
    for name in MOTION_JOINTS:
        if name in REVOLUTE:
            local[name] = rot_z(frame[i]); i += 1
        else:
            local[name] = quat_wxyz_to_matrix(frame[i:i + 4]); i += 4
    order = ("chest", "neck", "right_hip", "right_knee", "right_ankle", "right_shoulder", "right_elbow",
             "right_wrist", "left_hip", "left_knee", "left_ankle", "left_shoulder", "left_elbow", "left_wrist")
    for name in order:  # parents come first in this order
        parent, xyz = urdf[name]
        pos[name] = pos[parent] + rot[parent] @ (SCALE * xyz)
        rot[name] = rot[parent] @ local.get(name, np.eye(3))
    pos["head"] = pos["neck"] + rot["neck"] @ (SCALE * HEAD_IN_NECK)
    for side in ("right", "left"):
        pos[f"{side}_toe"] = pos[f"{side}_ankle"] + rot[f"{side}_ankle"] @ (SCALE * TOE_IN_ANKLE)
    points = np.stack([pos[n] for n in POINT_NAMES])
    return points, rot["neck"]


# Y-up (x forward of the URDF body, y up, z = body right) -> Z-up world: (x, y, z) -> (x, -z, y).
YUP_TO_ZUP = np.array([[1.0, 0, 0], [0, 0, -1.0], [0, 1.0, 0]])


def pybullet_check(data_dir: Path, frames: np.ndarray, urdf: dict) -> float:
    """Max distance between our FK and pybullet's link frames over a few frames (metres)."""
    import pybullet as p

    cid = p.connect(p.DIRECT)
    body = p.loadURDF(str(data_dir / "humanoid" / "humanoid.urdf"), globalScaling=SCALE,
                      flags=p.URDF_MAINTAIN_LINK_ORDER, useFixedBase=False, physicsClientId=cid)
    link_index = {p.getJointInfo(body, j, physicsClientId=cid)[12].decode(): j
                  for j in range(p.getNumJoints(body, physicsClientId=cid))}
    worst = 0.0
    for frame in frames[:: max(1, len(frames) // 10)]:
        p.resetBasePositionAndOrientation(body, frame[1:4], [frame[5], frame[6], frame[7], frame[4]], physicsClientId=cid)
        i = 8
        for name in MOTION_JOINTS:
            if name in REVOLUTE:
                p.resetJointStateMultiDof(body, link_index[name], [frame[i]], physicsClientId=cid); i += 1
            else:
                q = frame[i:i + 4]
                p.resetJointStateMultiDof(body, link_index[name], [q[1], q[2], q[3], q[0]], physicsClientId=cid); i += 4
        ours, _ = forward_kinematics(frame, urdf)
        for name, j in link_index.items():
            if name in POINT_NAMES:
                theirs = np.array(p.getLinkState(body, j, physicsClientId=cid)[4])
                worst = max(worst, float(np.linalg.norm(theirs - ours[POINT_NAMES.index(name)])))
    p.disconnect(cid)
    return worst


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pybullet-data", type=Path, required=True, help="the pybullet_data directory of pybullet 3.2.7")
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "drm_ros/synth/assets/deepmimic_joints.npz")
    # Extra clips (e.g. xbpeng/DeepMimic data/motions, see PROVENANCE.md): other motion folders,
    # clips already in an existing asset skipped, long clips thinned to a frame rate, float16.
    ap.add_argument("--motions", type=Path, nargs="*", help="folders of humanoid3d_*.txt (default: pybullet_data's)")
    ap.add_argument("--skip-clips-of", type=Path, help="an asset whose clip names are not extracted again")
    ap.add_argument("--max-fps", type=float, help="keep every k-th frame so that the rate is <= this")
    ap.add_argument("--float16", action="store_true", help="store points and head_rot as float16")
    args = ap.parse_args()
    motion_dirs = args.motions or [args.pybullet_data / "data" / "motions"]
    skip = {str(c) for c in np.load(args.skip_clips_of)["clips"]} if args.skip_clips_of else set()
    dtype = np.float16 if args.float16 else np.float32
    urdf = read_urdf(args.pybullet_data / "humanoid" / "humanoid.urdf")
    try:
        import pybullet  # noqa: F401
        have_pybullet = True
    except ImportError:
        have_pybullet = False
        print("pybullet not importable: skipping the cross-check against its FK")
    arrays = {"point_names": np.array(POINT_NAMES)}
    clips = []
    for path in sorted(p for d in motion_dirs for p in d.glob("humanoid3d_*.txt")):
        name = path.stem.removeprefix("humanoid3d_")
        if name in skip or name in clips:
            continue
        frames = np.array(json.loads(path.read_text())["Frames"], dtype=np.float64)
        if frames.shape[1] != 44:
            raise SystemExit(f"{path}: expected 44 values per frame, got {frames.shape[1]}")
        step = max(1, int(round(1.0 / (frames[0, 0] * args.max_fps)))) if args.max_fps else 1
        frames = frames[::step]
        frames[:, 0] *= step
        pts, head = zip(*(forward_kinematics(f, urdf) for f in frames))
        pts = np.einsum("ij,fpj->fpi", YUP_TO_ZUP, np.array(pts))
        head = np.einsum("ij,fjk->fik", YUP_TO_ZUP, np.array(head))  # columns: URDF x (fwd), y (up), z (right)
        arrays[f"{name}/points"] = pts.astype(dtype)
        arrays[f"{name}/head_rot"] = head.astype(dtype)
        arrays[f"{name}/dt"] = np.float32(frames[0, 0])
        clips.append(name)
        check = f", max |ours - pybullet| = {pybullet_check(args.pybullet_data, frames, urdf) * 1000:.3f} mm" if have_pybullet else ""
        height = pts[:, POINT_NAMES.index("head"), 2].max() + 0.1
        print(f"{name:18s} {len(frames):4d} frames dt={frames[0, 0]:.4f}  top of head <= {height:.2f} m{check}")
    arrays["clips"] = np.array(clips)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **arrays)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KiB, {len(clips)} clips)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
