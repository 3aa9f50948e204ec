"""The sideways error of the 2D branch's root (hip midpoint) in metres, measured on a training
feature cache (drm_ros/training/cache.py): the pixel error against the true hips, times the true
depth over the network focal length. Backs drm_ros.uncertainty.ROOT_LATERAL_SIGMA_M.

    .venv/bin/python tools/root_lateral_error.py runs/cache/cache_<key>.pt   # near_train's cache
"""
import argparse
import sys

import numpy as np
import torch

from drm_ros.skeleton import LEFT_HIP, RIGHT_HIP, ROOT


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("cache", help="a feature cache built by drm train / drm pretrain-lifter")
    args = ap.parse_args()
    c = torch.load(args.cache, weights_only=False)
    est, gt = c["joints"].double(), c["joints_gt"].double()
    err_px = 0.5 * (est[:, LEFT_HIP] + est[:, RIGHT_HIP]) - 0.5 * (gt[:, LEFT_HIP] + gt[:, RIGHT_HIP])
    z = c["joints3d"][:, ROOT, 2].double()
    err_m = (err_px * (z / c["f_net"].double().reshape(-1))[:, None]).numpy()
    print(f"{args.cache}: {len(err_m)} people seen by the 2D branch, true depth {z.min():.2f}-{z.max():.2f} m")
    for k, axis in enumerate(("across (x)", "down (y)")):
        x = err_m[:, k]
        robust = 1.4826 * np.median(np.abs(x - np.median(x)))
        print(f"  {axis}: median {np.median(x) * 100:+.1f} cm, robust sigma {robust * 100:.1f} cm, "
              f"standard deviation {x.std() * 100:.1f} cm, 90th percentile of |error| {np.percentile(np.abs(x), 90) * 100:.1f} cm")
    return 0


if __name__ == "__main__":
    sys.exit(main())
