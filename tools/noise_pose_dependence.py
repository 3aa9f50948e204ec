"""Does the 2D branch's error depend on the pose? (the premise of lifter pretraining's
`noise_match`, lever 25). Over the noise pool of a feature cache: the correlation of each person's
whole-skeleton 2D error (in spread units) with the error of its nearest other pool person by
`pose_signature`, with the mean of its 32 nearest, and with a random person's.

    .venv/bin/python tools/noise_pose_dependence.py runs/cache/cache_<key>.pt   # near_train's cache
"""
import sys

import torch

from drm_ros.training.lifting import NoisePool, pose_signature


def corr(a: torch.Tensor, b: torch.Tensor) -> float:
    a, b = a - a.mean(0), b - b.mean(0)
    return float((a * b).sum() / (a.norm() * b.norm()))


def main() -> int:
    pool = NoisePool.from_cache(torch.load(sys.argv[1], weights_only=False))
    sig = pose_signature(pool.true_2d, (384, 288))
    d = torch.cdist(sig, sig)
    d.fill_diagonal_(float("inf"))
    near = d.topk(32, largest=False).indices
    err, size = pool.residual.flatten(1), pool.residual.flatten(1).norm(dim=1, keepdim=True)
    shuffled = torch.randperm(len(err), generator=torch.Generator().manual_seed(0))
    print(f"{sys.argv[1]}: {len(err)} people")
    print(f"  2D error vector: corr with the nearest {corr(err, err[near[:, 0]]):.2f}, with the mean of the 32 nearest "
          f"{corr(err, err[near].mean(1)):.2f}, with a random person's {corr(err, err[shuffled]):.2f}")
    print(f"  its size: nearest {corr(size, size[near[:, 0]]):.2f}, 32 nearest {corr(size, size[near].mean(1)):.2f}, "
          f"random {corr(size, size[shuffled]):.2f}")
    print(f"  joint scores: nearest {corr(pool.score, pool.score[near[:, 0]]):.2f}, random {corr(pool.score, pool.score[shuffled]):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
