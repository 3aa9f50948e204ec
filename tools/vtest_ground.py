"""The embedded vtest frames with and without the self-estimated floor, offline (no ROS): the
same estimator, tracker and plausibility metrics as `make demo`, plus where the remaining
jitter comes from (tracked triples whose three frames were all refined, or not), and each with the
per-track depth filter (drm_ros/depth_filter.py) after the tracker.

    .venv/bin/python tools/vtest_ground.py
"""
import sys
import time
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import torch
import yaml

from drm_ros.camera import Camera
from drm_ros.depth_filter import DepthFilter
from drm_ros.ground.refine import REFINED
from drm_ros.ground.session import GroundDepth
from drm_ros.inference import PoseEstimator
from drm_ros.plausibility import joint_jitter_mm, plausibility_report
from drm_ros.tracking import Tracker

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "vtest"


def main() -> int:
    torch.set_num_threads(2)
    camera = Camera.from_yaml_dict(yaml.safe_load((SAMPLE / "camera_info.yaml").read_text()))
    est = PoseEstimator.from_file()
    raw = []
    for path in sorted(SAMPLE.glob("frame_*.jpg")):
        poses = est.estimate(cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB), camera)
        raw.append(poses.select(np.argsort(-poses.scores, kind="stable")[:20]))  # the node's max_persons
    for mode, filtered in (("off", False), ("auto", False), ("off", True), ("auto", True)):
        ground, tracker, frames, status, cost = GroundDepth(mode), Tracker(0.5, 5, 0.15), [], [], []
        depth_filter = DepthFilter() if filtered else None
        for poses in raw:
            t0 = time.perf_counter()
            result = ground.apply(poses, camera)
            cost.append(time.perf_counter() - t0)
            tracked = tracker.update(result.poses)
            frames.append(depth_filter.update(tracked, camera) if depth_filter else tracked)
            status.append(result.status)
        rep = plausibility_report(frames)
        roots = [replace(f, joints3d=f.roots[:, None, :]) for f in frames]
        print(f"{mode}{' + depth filter' if filtered else ''}: {ground.describe()}\n  people: {ground.totals}\n  jitter median {rep['jitter_mm']['median']:.0f} mm "
              f"(pelvis only {np.median(joint_jitter_mm(roots)):.0f} mm), ground-plane residual "
              f"{rep['ground_plane']['residual_rms_cm']:.1f} cm rms / {rep['ground_plane']['residual_median_cm']:.1f} cm "
              f"median, heights median {rep['height_m']['median']:.2f} m, tracks {rep['tracks']['num_tracks']}\n"
              f"  GroundDepth.apply per frame: median {np.median(cost) * 1000:.1f} ms")
        if mode == "auto" and not filtered:
            by = {"all three refined": [], "some refined": [], "none refined": []}
            ids = [{int(pid): i for i, pid in enumerate(f.ids)} for f in frames]
            for k in range(1, len(frames) - 1):
                for pid in ids[k - 1].keys() & ids[k].keys() & ids[k + 1].keys():
                    trip = [(frames[k + d].roots[ids[k + d][pid]], status[k + d][ids[k + d][pid]]) for d in (-1, 0, 1)]
                    jit = 1000 * np.linalg.norm(trip[2][0] - 2 * trip[1][0] + trip[0][0])
                    n = sum(s == REFINED for _, s in trip)
                    by["all three refined" if n == 3 else "none refined" if n == 0 else "some refined"].append(jit)
            for name, v in by.items():
                print(f"  pelvis jitter, {name}: median {np.median(v):.0f} mm over {len(v)} tracked triples" if v else
                      f"  {name}: none")
    return 0


if __name__ == "__main__":
    sys.exit(main())
