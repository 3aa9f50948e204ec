"""Why the floor misplaces the `make demo` synthetic walker on some frames: per frame, the true
root depth, DRM's, the floor's (ground/refine.plane_root_depth with the true plane) and its sigma,
the fused depth the node refines to, and both ankles' detector score, true height above the floor
and 2D error. The clip is a runner: its feet leave the floor by 0.3-0.6 m, where the refinement
assumes a planted foot.

    make demo   # renders out/demo/synth_dataset (drm synth, sequence.yaml, 30 frames, seed 7)
    .venv/bin/python tools/demo_walker_floor.py [--data out/demo/synth_dataset]
"""
import argparse
import sys

import numpy as np
import torch

from drm_ros.data.load import load_any
from drm_ros.ground.refine import RefineSettings, plane_root_depth
from drm_ros.ground.session import GroundDepth
from drm_ros.imageio import read_rgb
from drm_ros.inference import PoseEstimator
from drm_ros.skeleton import JOINT_INDEX as J, ROOT

ANKLES = [J["left_ankle"], J["right_ankle"]]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="out/demo/synth_dataset")
    args = ap.parse_args()
    torch.set_num_threads(2)
    samples = load_any(args.data)
    est, ground = PoseEstimator.from_file(None), GroundDepth("known")
    print("frame | true z | DRM z | floor z +- sigma | fused z | ankle scores L/R | true ankle heights (m) | ankle 2D error (px)")
    for k, s in enumerate(samples):
        p = est.estimate(read_rgb(s.image_path), s.camera)
        if len(p) == 0 or len(s.joints3d) == 0:
            print(f"{k:5d} | nobody found")
            continue
        zp, sp = plane_root_depth(p, s.ground, s.camera, RefineSettings())
        fused = ground.apply(p, s.camera, s.ground).poses.roots[0, 2]
        heights = s.ground.heights(s.joints3d[0][ANKLES])
        err = np.linalg.norm(p.joints2d[0][ANKLES] - s.joints2d[0][ANKLES], axis=-1)
        print(f"{k:5d} | {s.joints3d[0][ROOT][2]:6.2f} | {p.roots[0][2]:5.2f} | {zp[0]:5.2f} +- {sp[0]:4.2f}     | "
              f"{fused:7.2f} | {p.joint_scores[0][ANKLES][0]:.2f} / {p.joint_scores[0][ANKLES][1]:.2f}      | "
              f"{heights[0]:.2f} / {heights[1]:.2f}            | {err[0]:5.1f} / {err[1]:5.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
