"""Lever 27 for issue 13: do Thunder's sharper ankles (tools/crop_pose_2d.py) give better depth from
the floor? The floor meets each ankle's viewing ray; a few pixels of ankle error move a far
person's depth by decimetres. Each person's ankle rays are replaced by Thunder's on a crop where
Thunder is confident (score >= 0.3) and agrees with the 2D branch within `--agree` of the
person's 2D extent (its outliers are whole-joint mistakes); the depth along the ray is kept.
Then `drm eval`'s scoring without the floor and with the true one (mode known), both against the
same run without the replacement.

    .venv/bin/python tools/crop_pose_ground.py --data data/near_test \\
        --thunder-json DIR/movenet-thunder.json --thunder-bin DIR/movenet-thunder.bin
"""
import argparse
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from crop_pose_2d import CropPose  # noqa: E402

from drm_ros.backbones.movenet import MoveNet  # noqa: E402
from drm_ros.data.load import load_any  # noqa: E402
from drm_ros.ground.session import GroundDepth  # noqa: E402
from drm_ros.imageio import read_rgb  # noqa: E402
from drm_ros.inference import PoseEstimator  # noqa: E402
from drm_ros.metrics import evaluate  # noqa: E402
from drm_ros.movenet_weights import convert  # noqa: E402
from drm_ros.skeleton import JOINT_INDEX  # noqa: E402

ANKLES = (JOINT_INDEX["left_ankle"], JOINT_INDEX["right_ankle"])


def with_thunder_joints(poses, camera, uv, score, joints, agree, min_score=0.3):
    """The PoseSet with `joints` moved onto Thunder's rays where it is confident and agrees."""
    if len(poses) == 0:
        return poses, 0
    j2d, j3d = poses.joints2d.copy(), poses.joints3d.copy()
    replaced = 0
    for i in range(len(poses)):
        seen = poses.joint_scores[i, :17] >= 0.2
        extent = np.ptp(j2d[i, :17][seen], axis=0).max() if seen.sum() >= 2 else 50.0
        for j in joints:
            if score[i, j] >= min_score and np.linalg.norm(uv[i, j] - j2d[i, j]) <= agree * extent:
                j3d[i, j] = camera.backproject(uv[i, j][None], np.array([j3d[i, j, 2]]))[0]
                j2d[i, j] = uv[i, j]
                replaced += 1
    return replace(poses, joints2d=j2d, joints3d=j3d), replaced


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="data/near_test")
    ap.add_argument("--num", type=int, default=500)
    ap.add_argument("--thunder-json", required=True)
    ap.add_argument("--thunder-bin", required=True)
    ap.add_argument("--agree", type=float, default=0.1)
    args = ap.parse_args()
    torch.set_num_threads(2)
    est = PoseEstimator.from_file()
    thunder = MoveNet(variant="thunder")
    thunder.load_state_dict(convert(args.thunder_json, args.thunder_bin, variant="thunder"))
    crop = CropPose(thunder)
    samples = load_any(args.data)[: args.num]
    runs = {"2D branch": [], "Thunder ankles": [], "Thunder all joints": []}
    replaced = {k: 0 for k in runs}
    for s in samples:
        image = read_rgb(s.image_path)
        p = est.estimate(image, s.camera)
        uv, score = crop.refine(image, p.joints2d[:, :17], p.joint_scores[:, :17])
        runs["2D branch"].append(p)
        for name, joints in (("Thunder ankles", ANKLES), ("Thunder all joints", range(17))):
            q, n = with_thunder_joints(p, s.camera, uv, score, joints, args.agree)
            runs[name].append(q)
            replaced[name] += n
    print(f"{args.data}: {len(samples)} images, default model (threshold {est.score_threshold}), Thunder agreement "
          f"{args.agree} of the 2D extent; joints replaced: {replaced}")
    print(f"{'run':<22} {'floor':<6} | PCKrel m | PCKabs m | AP_root25 | MPJPE mm | root mm | median root %")
    for name, preds in runs.items():
        for floor in ("off", "known"):
            if floor == "known":
                g = GroundDepth("known")
                preds = [g.apply(p, s.camera, s.ground).poses for p, s in zip(preds, samples)]
            m = evaluate(preds, samples)
            print(f"{name:<22} {floor:<6} | {m['pck_rel_matched']:8.1f} | {m['pck_abs_matched']:8.1f} | "
                  f"{m['ap_root_25']:9.1f} | {m['mpjpe_rel_mm']:8.1f} | {m['root_err_mm']:7.0f} | "
                  f"{m['root_err_median_pct']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
