"""Lever 27 on real frames: MoveNet Thunder's second 2D look (tools/crop_pose_2d.py) on stretches
of vtest.avi, scored with issue 13's plausibility targets (jitter median <= 150 mm, ground-plane
residual <= 15 cm rms) for the learnt floor, online from nothing and offline (tools/vtest_ground.py's
node-order pipelines). Each joint Thunder is confident of (score >= 0.3) is moved onto Thunder's
ray at its depth (tools/crop_pose_ground.with_thunder_joints, no agreement rule); the lifter is
not retrained. On the renders the same replacement did not pay (model/logs/crop_pose/).

    .venv/bin/python tools/vtest_crop_pose.py --start 500 --frames 240 \\
        --thunder-json DIR/movenet-thunder.json --thunder-bin DIR/movenet-thunder.bin
"""
import argparse
import os
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import torch
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from crop_pose_2d import CropPose  # noqa: E402
from crop_pose_ground import ANKLES, with_thunder_joints  # noqa: E402
from vtest_ground import SAMPLE, headline, run, run_offline  # noqa: E402
from vtest_long import VTEST  # noqa: E402

from drm_ros.backbones.movenet import MoveNet  # noqa: E402
from drm_ros.camera import Camera  # noqa: E402
from drm_ros.ground.session import GroundDepth  # noqa: E402
from drm_ros.inference import PoseEstimator  # noqa: E402
from drm_ros.movenet_weights import convert  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--start", type=int, default=500)
    ap.add_argument("--frames", type=int, default=240)
    ap.add_argument("--thunder-json", required=True)
    ap.add_argument("--thunder-bin", required=True)
    args = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    camera = Camera.from_yaml_dict(yaml.safe_load((SAMPLE / "camera_info.yaml").read_text()))
    thunder = MoveNet(variant="thunder")
    thunder.load_state_dict(convert(args.thunder_json, args.thunder_bin, variant="thunder"))
    crop, est = CropPose(thunder), PoseEstimator.from_file()
    cap = cv2.VideoCapture(str(VTEST))
    if not cap.isOpened():
        raise SystemExit(f"cannot open {VTEST} (apt-get install opencv-doc)")
    cap.set(cv2.CAP_PROP_POS_FRAMES, args.start)
    raw, looks, t_crop, people = [], [], 0.0, 0
    for _ in range(args.frames):
        ok, bgr = cap.read()
        if not ok:
            break
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        poses = est.estimate(rgb, camera)
        poses = poses.select(np.argsort(-poses.scores, kind="stable")[:20])  # the node's max_persons
        t0 = time.perf_counter()
        looks.append(crop.refine(rgb, poses.joints2d[:, :17], poses.joint_scores[:, :17]))
        t_crop += time.perf_counter() - t0
        people += len(poses)
        raw.append(poses)
    print(f"vtest frames {args.start}-{args.start + len(raw) - 1}: {people} detections, Thunder "
          f"{1000 * t_crop / max(people, 1):.0f} ms per person; learnt floor (defaults)")
    for name, joints in (("2D branch", None), ("Thunder ankles", ANKLES), ("Thunder, all joints", range(17))):
        frames = raw if joints is None else [with_thunder_joints(p, camera, uv, sc, joints, agree=np.inf)[0]
                                             for p, (uv, sc) in zip(raw, looks)]
        online, _, _ = run(frames, camera, GroundDepth("auto"))
        offline, _, _ = run_offline(frames, camera)
        print(f"  {name:<20} online:  {headline(online)}")
        print(f"  {'':<20} offline: {headline(offline)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
