"""The learnt floor frame by frame on a stretch of vtest.avi (online, the node's GroundDepth):
its pitch, roll, height, claimed sigmas and inlier share every few frames; at `--compare` the
truncated fit cost (plane_fit.truncated_cost, relative depth error) of the floor held then against
that of the floor held at the end, on the same window of ankle points (a fit that holds a costlier
floor than one it could have found is an optimiser fault). Then the offline pass's residual broken
down by the people's status (tools/vtest_ground.breakdown). Backs the polish fix of session 11;
run at the commit before it (3abab67) for the "before".

    .venv/bin/python tools/vtest_floor_trace.py --start 500 --frames 130 --compare 80 --every 8
"""
import argparse
import os
import sys
from pathlib import Path

import numpy as np
import torch
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from vtest_ground import SAMPLE, breakdown, headline, run_offline  # noqa: E402
from vtest_long import video_poses  # noqa: E402

from drm_ros.camera import Camera  # noqa: E402
from drm_ros.ground.fit import FitSettings  # noqa: E402
from drm_ros.ground.plane_fit import relative_depth_residual, truncated_cost  # noqa: E402
from drm_ros.ground.session import GroundDepth  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--start", type=int, default=500)
    ap.add_argument("--frames", type=int, default=130)
    ap.add_argument("--compare", type=int, default=80, help="frame (of the stretch) whose floor is costed")
    ap.add_argument("--every", type=int, default=8)
    ap.add_argument("--orientations", nargs="+", default=["ankles3d", "fused"])
    ap.add_argument("--breakdown-frames", type=int, default=240, help="frames of the offline breakdown (0: none)")
    args = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    camera = Camera.from_yaml_dict(yaml.safe_load((SAMPLE / "camera_info.yaml").read_text()))
    raw = video_poses(args.start, max(args.frames, args.breakdown_frames), camera)
    for orientation in args.orientations:
        fit = FitSettings(orientation=orientation)
        print(f"== frames {args.start}-{args.start + args.frames - 1}, online, {orientation}")
        ground, held = GroundDepth("auto", fit=fit), None
        for k, poses in enumerate(raw[:args.frames]):
            ground.apply(poses, camera)
            a, p = ground.auto, ground.plane
            if k == args.compare:
                held = (p, np.array([r[2] for r in a._points]))
            if p is not None and k % args.every == 0:
                print(f"  frame {k:3d}: pitch {p.pitch_deg:5.1f} deg, roll {p.roll_deg:5.1f} deg, height {p.height:.2f} m, "
                      f"+-{a.pitch_sigma_deg:.1f} / {a.roll_sigma_deg:.1f} deg, {a.num_points} points of {a.num_people} "
                      f"people, inliers {a.inlier_fraction:.2f}")
        if held is not None and held[0] is not None and ground.plane is not None:
            pts = held[1]
            cost = lambda pl: truncated_cost(pts, pl.up[None], np.array([pl.height - fit.ankle_height_m]),  # noqa: E731
                                             relative_depth_residual, fit.inlier_depth_frac)[0]
            print(f"  on frame {args.compare}'s {len(pts)} points: the floor held then costs {cost(held[0]):.3f}, the floor "
                  f"held at frame {args.frames - 1} costs {cost(ground.plane):.3f} ({held[0].angle_to_deg(ground.plane):.1f} deg apart)")
        if args.breakdown_frames:
            part = raw[:args.breakdown_frames]
            frames, labels, done = run_offline(part, camera, fit=fit)
            print(f"  offline, frames {args.start}-{args.start + len(part) - 1}: {headline(frames)}")
            print("\n".join(breakdown(frames, labels, done.stretches[0].plane)[:4]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
