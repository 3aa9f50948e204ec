#!/usr/bin/env python3
"""Offline: CMU mocap as exponential-map txt files -> cmu_expmap_joints.npz (an OPT-IN motion asset).

Input: the CMU motion corpus of Li et al. (CVPR 2018) as distributed in GitHub
`chaneyddtt/Convolutional-Sequence-to-Sequence-Model-for-Human-Dynamics`, `data/cmu_mocap/{train,test}/
<action>/<action>_<n>.txt`: one frame per line, 117 comma-separated values = the root position
(x, y, z in CMU's Y-up world, ASF length units) and then one exponential map (axis * angle,
radians) for each of 38 skeleton nodes. Node k's rotation turns the bone that starts at node k,
relative to its parent and in the rest pose's world axes (what C @ M @ C^T is for an AMC file),
with the opposite sign convention to ours: the column-vector rotation is expm(-r).

The skeleton those rotations belong to is CMU subject 02's ASF (`02.asf`): the source's own FK
table lists exactly its bone vectors, except that it gives `thorax` and `lwrist`/`rwrist` zero
length. We run the rotations on the full 02.asf skeleton (read with tools/extract_cmu.AsfSkeleton),
so the spine and forearms have CMU's real lengths; the thorax and wrist rotations are in the data.

Output: same layout and conventions as cmu_joints.npz (tools/extract_cmu.py: point mapping,
glitch cutting, floor and centring are imported from it), plus per-file de-duplication against
every clip of the existing assets (held-out clips above all). Usage:
    .venv/bin/python tools/extract_cmu_expmap.py --data DIR/data/cmu_mocap --asf 02.asf \
        [--out drm_ros/synth/assets/cmu_expmap_joints.npz] [--log logs/extract_cmu_expmap.log]
The exact commands and source commits are in drm_ros/synth/assets/PROVENANCE.md.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import extract_cmu as cmu  # noqa: E402  (sibling tool: ASF skeleton, point mapping, clip finishing)

from drm_ros.synth.motion import ASSETS, POINTS, P, held_out_clips  # noqa: E402

OUT = cmu.REPO / "drm_ros/synth/assets/cmu_expmap_joints.npz"
# The 38 nodes of the exp-map files, in column order, as the ASF bone each node's rotation turns
# (None: an end node, whose rotation turns nothing). Established from the source's FK table: its
# parent list and bone vectors are subject 02's ASF bones in ASF order, each bone's end nodes
# following it (e.g. node 2's vector is lhipjoint's, so node 2 starts lfemur).
NODE_BONES = ("root", "lhipjoint", "lfemur", "ltibia", "lfoot", "ltoes", None,
              "rhipjoint", "rfemur", "rtibia", "rfoot", "rtoes", None,
              "lowerback", "upperback", "thorax", "lowerneck", "upperneck", "head", None,
              "lclavicle", "lhumerus", "lradius", "lwrist", "lhand", "lfingers", None, "lthumb", None,
              "rclavicle", "rhumerus", "rradius", "rwrist", "rhand", "rfingers", None, "rthumb", None)
VALUES_PER_FRAME = 3 + 3 * len(NODE_BONES)  # 117
# Source frame rate. Not stated by the source; established in the PROVENANCE section (measured
# against the same CMU trials at 120 fps in cmu_joints.npz, see --rate-check in the log).
SOURCE_FPS = 120.0
OUT_FPS = 30.0  # every 4th source frame, as cmu_joints.npz

# De-duplication. Poses become bone DIRECTIONS (unit vectors, yaw-aligned on the hip line): they do
# not depend on the rig, and this corpus runs every subject on subject 02's bones while our clips
# keep each subject's own (or the CC_Base rig's). Two clips are compared over every time alignment:
# the RMS chord between corresponding bone directions (~ radians), averaged over a DUP_RUN_S window
# of consecutive frames, minimised over the window's position in both clips. A window where the new
# clip follows an existing one frame by frame below DUP_DEG is a duplicate; NEAR_DEG (looser) marks
# a near-duplicate of a held-out clip. From the logged distribution: the same trial replays at
# 0.3 deg (same ASF rig) to 1.8 deg (CC_Base-rig BVH); different trials are >= 3.7 deg apart (the
# closest: one subject's consecutive walks, cmu_07_01 vs cmu_07_02; vs held-out cmu_07_04 10.7 deg).
DUP_DEG = 3.0
NEAR_DEG = 8.0
DUP_RUN_S = 1.0
COMPARE_FPS = 15.0
# Limb bones only: spine, neck, head, hip, shoulder and toe points sit differently on each rig (on
# the same trial, CC_Base-rig BVH vs these files, all bones: 6.6 deg; limbs alone agree far closer).
BONES = [(P[f"{s}_{c}"], P[f"{s}_{p}"]) for s in ("left", "right")
         for c, p in (("knee", "hip"), ("ankle", "knee"), ("elbow", "shoulder"), ("wrist", "elbow"))]


# ---------------------------------------------------------------- parsing and FK
def read_expmap(path: Path) -> np.ndarray:
    """One txt file -> (F, 117) float64."""
    data = np.loadtxt(path, delimiter=",", dtype=np.float64, ndmin=2)
    if data.shape[1] != VALUES_PER_FRAME:
        raise ValueError(f"{path}: {data.shape[1]} values per frame, expected {VALUES_PER_FRAME}")
    return data


def expmap_to_matrix(r: np.ndarray) -> np.ndarray:
    """(..., 3) axis * angle -> (..., 3, 3) rotation (Rodrigues), right-handed, column vectors."""
    theta = np.linalg.norm(r, axis=-1, keepdims=True)
    axis = r / np.maximum(theta, 1e-12)
    x, y, z = np.moveaxis(axis, -1, 0)
    zero = np.zeros_like(x)
    k = np.stack([np.stack(row, -1) for row in ((zero, -z, y), (z, zero, -x), (-y, x, zero))], -2)
    s, c = np.sin(theta)[..., None], np.cos(theta)[..., None]
    return np.eye(3) + s * k + (1 - c) * (k @ k)


def expmap_bones(skel: cmu.AsfSkeleton, frames: np.ndarray):
    """(F, 117) -> (start, end, rot) per ASF bone in CMU's world (ASF units), as
    extract_cmu.asf_forward_kinematics gives for an AMC file."""
    rots = expmap_to_matrix(-frames[:, 3:].reshape(len(frames), len(NODE_BONES), 3))  # sign: module doc
    local = {bone: rots[:, k] for k, bone in enumerate(NODE_BONES) if bone not in (None, "root")}
    unused = [b for b in local if not skel.dofs.get(b)]
    for bone in unused:  # bones without dofs in the ASF must not turn (the data has zeros there)
        if np.abs(local[bone] - np.eye(3)).max() > 1e-6:
            raise ValueError(f"the data rotates {bone}, which has no degrees of freedom in the ASF")
        del local[bone]
    return cmu.bone_chain(skel, frames[:, :3], rots[:, 0], local)


def expmap_points(skel: cmu.AsfSkeleton, frames: np.ndarray):
    """(F, 117) -> (points (F, 18, 3) metres in our axes, head_rot (F, 3, 3))."""
    return cmu.bone_points(skel, *expmap_bones(skel, frames))


# ---------------------------------------------------------------- de-duplication
def directions(points: np.ndarray) -> np.ndarray:
    """(F, 18, 3) -> (F, 3 * bones): unit bone vectors after turning each frame about z so that
    its hip line (right -> left hip) points along +y."""
    left = points[:, P["left_hip"]] - points[:, P["right_hip"]]
    yaw = np.arctan2(left[:, 0], left[:, 1])  # turning by this puts `left` on +y
    c, s = np.cos(yaw)[:, None], np.sin(yaw)[:, None]
    vec = np.stack([points[:, child] - points[:, parent] for child, parent in BONES], axis=1)
    vec /= np.linalg.norm(vec, axis=-1, keepdims=True)
    turned = np.stack([c * vec[..., 0] - s * vec[..., 1], s * vec[..., 0] + c * vec[..., 1], vec[..., 2]], axis=-1)
    return turned.reshape(len(points), -1)


def aligned_distance(query: np.ndarray, ref: np.ndarray, run: int) -> float:
    """Lowest RMS chord (radians) between `run` consecutive frames of `query` and of `ref` (same
    frame rate), over every start in both: small only if one clip replays the other."""
    nb = query.shape[1] // 3
    sq = ((query ** 2).sum(1)[:, None] + (ref ** 2).sum(1)[None] - 2 * query @ ref.T) / nb  # (Fq, Fr)
    run = min(run, len(query), len(ref))
    fq, fr = len(query) - run + 1, len(ref) - run + 1
    window = sum(sq[k:k + fq, k:k + fr] for k in range(run)) / run
    return float(np.sqrt(max(window.min(), 0.0)))


def at_rate(points: np.ndarray, dt: float) -> np.ndarray:
    """Directions of a clip sampled every dt seconds, at COMPARE_FPS."""
    step = max(1, int(round(1.0 / (dt * COMPARE_FPS))))
    return directions(points[::step])


def existing_clips() -> dict[str, np.ndarray]:
    """Every clip of the current assets (training AND held-out), as directions at COMPARE_FPS."""
    out = {}
    for path in ASSETS:
        data = np.load(path)
        for c in (str(c) for c in data["clips"]):
            out[c] = at_rate(data[f"{c}/points"].astype(np.float64), float(data[f"{c}/dt"]))
    return out


def closest(query: np.ndarray, refs: dict[str, np.ndarray]) -> list[tuple[float, str]]:
    """[(aligned distance in degrees, existing clip)] for one clip's directions, nearest first."""
    run = int(round(DUP_RUN_S * COMPARE_FPS))
    return sorted((float(np.degrees(aligned_distance(query, ref, run))), c) for c, ref in refs.items())


def verdict(ranked: list[tuple[float, str]], held: set[str]) -> str | None:
    """Why a file is dropped, or None to keep it."""
    dist, clip = ranked[0]
    if dist < DUP_DEG:
        return f"duplicate of {'HELD-OUT ' if clip in held else ''}{clip}"
    near = [(d, c) for d, c in ranked if c in held and d < NEAR_DEG]
    if near:
        return f"near-duplicate of HELD-OUT {near[0][1]} ({near[0][0]:.1f} deg)"
    return None


def rate_check(points: np.ndarray, ref: np.ndarray) -> str:
    """Aligned distance to a duplicate's clip if the source ran at 60, 120 or 240 fps: the true
    rate replays the existing clip at its speed, a wrong one at half or double speed."""
    run = int(round(DUP_RUN_S * COMPARE_FPS))
    parts = [f"{fps} fps {np.degrees(aligned_distance(at_rate(points, 1.0 / fps), ref, run)):.1f} deg"
             for fps in (60, 120, 240)]
    return "if the source ran at " + ", ".join(parts)


# ---------------------------------------------------------------- main
def source_files(data_dir: Path) -> list[tuple[str, Path]]:
    """(clip name, path) for every txt file, train split first; names cmux_<action>_<split><n>."""
    out = []
    for split in ("train", "test"):
        for path in sorted((data_dir / split).glob("*/*.txt")):
            action, n = re.fullmatch(r"(.+)_(\d+)", path.stem).groups()
            out.append((f"cmux_{path.parent.name}_{split}{int(n)}", path))
    return out


def same_length_trials(frames: int, index: dict, subjects: set[int]) -> list[str]:
    """CMU trials of `subjects` whose 120 fps length (the index lists 60 fps frames) is this file's
    minus its leading rest frame, within 4 frames: candidates for what the file is."""
    return [f"cmu_{s:02d}_{t:02d}" for (s, t), row in sorted(index.items())
            if s in subjects and abs(2 * int(row["Frames 60fps"]) - (frames - 1)) <= 4]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="the source's data/cmu_mocap folder")
    ap.add_argument("--asf", type=Path, required=True, help="CMU subject 02's ASF file (02.asf)")
    ap.add_argument("--index", type=Path, required=True, help="CMU index CSV (`CMU data.csv`, 60 fps frame counts)")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--log", type=Path, default=cmu.REPO / "logs/extract_cmu_expmap.log")
    args = ap.parse_args()
    skel = cmu.AsfSkeleton(args.asf.read_text())
    held = held_out_clips()
    refs = existing_clips()
    index = cmu.read_index(args.index)
    our_subjects = {int(c.split("_")[1]) for c in refs if c.startswith("cmu_")}
    arrays, clips, listing, lines = {"point_names": np.array(POINTS)}, [], {}, []
    log = lambda s: (print(s, flush=True), lines.append(s))  # noqa: E731
    log(f"source {SOURCE_FPS:g} fps, stored at {OUT_FPS:g} fps. Compared with {len(refs)} existing clips ({len(held)} "
        f"held out) by aligned bone directions over {DUP_RUN_S:g} s at {COMPARE_FPS:g} fps: duplicate < {DUP_DEG:g} deg, "
        f"near-duplicate of a held-out clip < {NEAR_DEG:g} deg")
    for name, path in source_files(args.data):
        frames = read_expmap(path)
        full, head = expmap_points(skel, frames)
        first, end = cmu.clean_span(full, SOURCE_FPS)
        pts, head, dt, kept = cmu.finish_clip(full, head, SOURCE_FPS, OUT_FPS)
        ranked = closest(at_rate(pts, dt), refs)
        why = verdict(ranked, held)
        near_held = min((d, c) for d, c in ranked if c in held)
        where = f"{path.parent.parent.name}/{path.parent.name}/{path.name}"
        log(f"{name:30s} {where:42s} {len(pts):4d} fr  closest {ranked[0][1]} {ranked[0][0]:.1f} deg, "
            f"2nd {ranked[1][1]} {ranked[1][0]:.1f}, held-out {near_held[1]} {near_held[0]:.1f}  "
            + (f"DROPPED ({why})" if why else "kept")
            + (f"  [kept source frames {kept[0]}-{kept[1]} of {kept[2]}]" if kept[:2] != (0, kept[2]) else ""))
        if ranked[0][0] < DUP_DEG and ranked[0][1].startswith("cmu_"):
            log(f"    rate check against {ranked[0][1]}: {rate_check(full[first:end], refs[ranked[0][1]])}")
        same = same_length_trials(len(frames), index, our_subjects)
        if same:
            log(f"    same length as {', '.join(same)}" + ("" if why else "  (motion differs: not that trial)"))
        if why:
            continue
        arrays[f"{name}/points"] = pts.astype(np.float16)
        arrays[f"{name}/head_rot"] = head.astype(np.float16)
        arrays[f"{name}/dt"] = np.float32(dt)
        clips.append(name)
        action = path.parent.name.replace("_", " ")
        listing[name] = {"description": action, "source": f"cmu exp-map ({where})", "held_out": False, "loops": False}
        if kept[:2] != (0, kept[2]):
            listing[name]["source_frames_kept"] = f"{kept[0]}-{kept[1]} of {kept[2]}"
    arrays["clips"] = np.array(clips)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **arrays)
    frames = sum(len(arrays[f"{c}/points"]) for c in clips)
    old = json.loads(cmu.CLIP_LIST.read_text())
    old["clips"] = {**{c: e for c, e in old["clips"].items() if not c.startswith("cmux_")}, **listing}
    cmu.CLIP_LIST.write_text(json.dumps(old, indent=1) + "\n")
    log(f"wrote {args.out.name} ({args.out.stat().st_size / 1024:.0f} KiB, {len(clips)} clips, {frames} frames "
        f"= {frames / OUT_FPS / 60:.1f} min)")
    args.log.write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
