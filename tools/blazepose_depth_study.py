"""Issue 10, lever 34: relative depth read from the image by a network trained on REAL people.
Every bound says PCKrel >= 70 needs evidence beyond the 2D branch's joints (lever 32). MediaPipe
BlazePose GHUM 3D (Apache 2.0; the npm package the 2D branch comes from, `blazepose-full` /
`blazepose-heavy`) regresses, from a 256x256 crop of one person, 39 landmarks and "world"
landmarks: a metric 3D pose about the hips, learnt from real images with fitted 3D bodies.
Run here on a crop around each person the 2D branch found (centre: its hips; side: 2.5 times the
farthest confident joint from them, the way BlazePose's own ROI is sized), by tools/tfjs_graph.py.

Its pose is in the crop's frame, which looks along the hips' viewing ray; it is rotated into the
camera frame with that ray (the view of tools/pose_posterior_bound.py). Per matched person with
a 3D label (the `drm eval` match), PCKrel@150 mm and MPJPE over the 12 scored joints for:
  - `DRM`: the shipped model;
  - `BlazePose`: its world pose as it comes, and scaled to DRM's size (sideways extent);
  - `DRM + BlazePose depth w`: DRM's pose with each joint's offset along the view ray replaced by
    w x BlazePose's (scaled) + (1 - w) x DRM's; the sideways part stays DRM's;
and the median error of that along-ray offset alone (DRM's, BlazePose's). BlazePose outputs are
cached per split in runs/blazepose/ (the crops do not change).

    .venv/bin/python tools/blazepose_depth_study.py data/near_calib data/near_test --models DIR
"""
import argparse
import pickle
import sys
from pathlib import Path

import cv2
import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cache_predictions import predictions  # noqa: E402
from pose_posterior_bound import to_root_view  # noqa: E402
from tfjs_graph import TfjsGraph  # noqa: E402

from drm_ros.imageio import read_rgb  # noqa: E402
from drm_ros.metrics import has_3d_label, match_persons  # noqa: E402
from drm_ros.skeleton import EVAL_JOINTS, JOINT_INDEX, JOINT_NAMES, ROOT  # noqa: E402

# BlazePose's 33 landmarks -> ours (the pelvis is the hips' midpoint, as ours)
BLAZEPOSE_INDEX = {"nose": 0, "left_eye": 2, "right_eye": 5, "left_ear": 7, "right_ear": 8,
                   "left_shoulder": 11, "right_shoulder": 12, "left_elbow": 13, "right_elbow": 14,
                   "left_wrist": 15, "right_wrist": 16, "left_hip": 23, "right_hip": 24,
                   "left_knee": 25, "right_knee": 26, "left_ankle": 27, "right_ankle": 28}
CROP = 256
ROI_SCALE = 1.25  # BlazePose's ROI: a square of side 2 x 1.25 x (hips -> farthest point)
MIN_JOINT_SCORE = 0.2
E = list(EVAL_JOINTS)


def crop_matrix(uv: np.ndarray, score: np.ndarray) -> np.ndarray:
    """2x3 affine, original pixels -> a CROP x CROP square around the person's hips."""
    hips = 0.5 * (uv[JOINT_INDEX["left_hip"]] + uv[JOINT_INDEX["right_hip"]])
    ok = score >= MIN_JOINT_SCORE
    radius = ROI_SCALE * max(float(np.max(np.linalg.norm(uv[ok] - hips, axis=1))) if ok.any() else 0.0, 8.0)
    s = CROP / (2.0 * radius)
    return np.array([[s, 0.0, -s * (hips[0] - radius)], [0.0, s, -s * (hips[1] - radius)]])


def blazepose_people(data: str, graph: TfjsGraph, cache: Path) -> dict:
    """Per matched, 3D-labelled person: BlazePose's world pose (ours joints, metres, crop frame),
    its landmark visibility (sigmoid), the pose flag; DRM's and the true relative pose; the view."""
    if cache.exists():
        return pickle.loads(cache.read_bytes())
    samples, preds = predictions(data)
    out = {k: [] for k in ("world", "visibility", "flag", "drm", "gt", "rot")}
    ours = [JOINT_INDEX[n] for n in BLAZEPOSE_INDEX]
    theirs = list(BLAZEPOSE_INDEX.values())
    for s, p in zip(samples, preds):
        match = match_persons(p, s)
        people = [(g, match[g]) for g in np.nonzero(has_3d_label(s) & (match >= 0))[0]]
        if not people:
            continue
        image = read_rgb(s.image_path)
        crops = [cv2.warpAffine(image, crop_matrix(p.joints2d[k], p.joint_scores[k]), (CROP, CROP),
                                flags=cv2.INTER_LINEAR, borderValue=0) for _, k in people]
        flag, ld, world = graph.run(np.stack(crops).astype(np.float32) / 255.0, ["Identity_3", "Identity_2", "Identity_4"])
        ld, world = ld.numpy().reshape(len(people), 39, 5), world.numpy().reshape(len(people), 39, 3)
        for i, (g, k) in enumerate(people):
            w = np.full((len(JOINT_NAMES), 3), np.nan)
            w[ours] = world[i, theirs]
            w[ROOT] = 0.5 * (w[JOINT_INDEX["left_hip"]] + w[JOINT_INDEX["right_hip"]])
            vis = np.full(len(JOINT_NAMES), np.nan)
            vis[ours] = 1.0 / (1.0 + np.exp(-ld[i, theirs, 3]))
            out["world"].append(w - w[ROOT])
            out["visibility"].append(vis)
            out["flag"].append(float(flag[i, 0]))
            out["drm"].append(p.joints3d[k] - p.roots[k])
            out["gt"].append(s.joints3d[g] - s.joints3d[g, ROOT])
            out["rot"].append(to_root_view(p.roots[k].astype(np.float64)))
    out = {k: np.asarray(v) for k, v in out.items()}
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(pickle.dumps(out))
    return out


def scores(pose: np.ndarray, gt: np.ndarray) -> tuple[float, float]:
    err = 1000.0 * np.linalg.norm(pose[:, E] - gt[:, E], axis=-1)
    return 100.0 * float(np.mean(err < 150.0)), float(np.mean(err))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("data", nargs="+")
    ap.add_argument("--models", type=Path, required=True, help="folder with blazepose-{full,heavy}.{json,bin}")
    ap.add_argument("--variant", default="full", choices=("full", "heavy"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    graph = TfjsGraph(args.models / f"blazepose-{args.variant}.json", args.models / f"blazepose-{args.variant}.bin")
    for data in args.data:
        r = blazepose_people(data, graph, Path("runs/blazepose") / f"{Path(data).name}_{args.variant}.pkl")
        rot = r["rot"]  # camera -> view (the view looks along the hips' ray)
        drm_v = np.einsum("nij,nkj->nki", rot, r["drm"])
        gt_v = np.einsum("nij,nkj->nki", rot, r["gt"])
        bp_v = r["world"]  # already in the crop's (view) frame
        lateral = lambda x: np.linalg.norm(x[:, E, :2], axis=-1).sum(1)  # noqa: E731
        scale = (lateral(drm_v) / lateral(bp_v))[:, None, None]
        to_cam = lambda v: np.einsum("nji,nkj->nki", rot, v)  # noqa: E731
        gt = r["gt"]
        print(f"\n{data}: {len(gt)} matched people, BlazePose-{args.variant} pose flag median {np.median(r['flag']):.2f}, "
              f"size ratio DRM / BlazePose median {np.median(scale):.2f}")
        dz_err = lambda v: 1000.0 * np.nanmedian(np.abs(v[:, E, 2] - gt_v[:, E, 2]))  # noqa: E731
        print(f"  along-ray offset error, median over joints: DRM {dz_err(drm_v):.0f} mm, BlazePose {dz_err(bp_v):.0f} mm, "
              f"scaled {dz_err(bp_v * scale):.0f} mm")
        per_joint = [f"{JOINT_NAMES[j]} {1000 * np.median(np.abs(drm_v[:, j, 2] - gt_v[:, j, 2])):.0f} / "
                     f"{1000 * np.median(np.abs(bp_v[:, j, 2] - gt_v[:, j, 2])):.0f}" for j in E]
        print("  per joint, DRM / BlazePose (mm): " + ", ".join(per_joint))
        both = [(v[:, E, 2] - gt_v[:, E, 2]).ravel() for v in (drm_v, bp_v)]
        print(f"  correlation of the two along-ray errors: {np.corrcoef(*both)[0, 1]:.2f}")
        print("| pose | PCKrel | MPJPE |\n|---|---|---|")
        rows = [("DRM", r["drm"]), ("BlazePose world", to_cam(bp_v)), ("BlazePose scaled to DRM's size", to_cam(bp_v * scale))]
        for w in (0.1, 0.2, 0.25, 0.5, 0.75, 1.0):
            mixed = drm_v.copy()
            mixed[..., 2] = (1 - w) * drm_v[..., 2] + w * scale[..., 0] * bp_v[..., 2]
            rows.append((f"DRM + BlazePose depth {w}", to_cam(mixed)))
        for name, pose in rows:
            pck, mpjpe = scores(pose, gt)
            print(f"| {name} | {pck:.1f} | {mpjpe:.0f} mm |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
