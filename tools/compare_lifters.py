"""Several pretrained lifters (`drm pretrain-lifter`'s lifter.pt) on the same held-out people.

Each pretraining run logs its held-out numbers on its OWN held-out people; when the generator
changes (session 7: every motion rig brought to one body size), those people differ and the logs
cannot be compared. This scores every lifter on every people file given, with the 2D branch's own
noise (the near_train feature cache) and with true 2D. `--by-ray` also splits the errors by how far
off the optical axis each person stands (the lifter's ray input, model card lever 16).

    .venv/bin/python tools/compare_lifters.py --lifters runs/lifter_refine runs/lifter_sized \
        --people runs/lifter_refine/people_val_4910dc4d3a.npz runs/lifter_sized/people_val_4910dc4d3a.npz
"""
import argparse
import sys
from pathlib import Path

import numpy as np
import torch

from drm_ros.codec import J2D
from drm_ros.data.load import load_any
from drm_ros.lifter import PoseLifter
from drm_ros.movenet_weights import load_state
from drm_ros.network import DRMNet
from drm_ros.paths import MOVENET_WEIGHTS, model_path
from drm_ros.training.cache import load_or_build
from drm_ros.skeleton import ROOT
from drm_ros.training.lifting import NoisePool, evaluate, make_batch

ANGLE_BINS = (0, 10, 20, 30, 90)  # degrees off the optical axis (the root's ray)


def load_lifter(run: Path) -> PoseLifter:
    state = torch.load(run / "lifter.pt", weights_only=False)
    cfg = state["config"]
    lifter = PoseLifter(J2D, cfg["width"], cfg["blocks"], cfg["dropout"], cfg["refine_2d"], cfg.get("ray_input", False))
    lifter.load_state_dict(state["state_dict"])
    return lifter.eval()


@torch.no_grad()
def errors_by_ray(lifter: PoseLifter, people: dict, pool: NoisePool, seed: int = 0) -> list[str]:
    """Per angle bin: people, dz MAE (mm), root median |error| and bias (%), with the noise draw of
    `evaluate` (same generator seed)."""
    lifter.eval()  # evaluate() leaves it in training mode (dropout on)
    g = torch.Generator().manual_seed(seed)
    n = people["joints_net"].shape[0]
    noise = torch.randint(len(pool.score), (n,), generator=g)
    features, _, dz_t, size_t, _ = make_batch(people, torch.arange(n), pool, noise, ray_input=lifter.ray_input)
    dz, log_size, _, _ = lifter(features)
    root = people["joints3d"][:, ROOT]
    angle = torch.rad2deg(torch.atan(root[:, :2].norm(dim=-1) / root[:, 2])).numpy()
    rel = (torch.exp(log_size - size_t) - 1).numpy() * 100
    dz_mae = (dz - dz_t).abs().mean(-1).numpy() * 1000
    rows = []
    for lo, hi in zip(ANGLE_BINS[:-1], ANGLE_BINS[1:]):
        m = (angle >= lo) & (angle < hi)
        if m.any():
            rows.append(f"{lo:2d}-{hi:2d} deg: {m.sum():5d} people, dz MAE {dz_mae[m].mean():6.1f} mm, root median "
                        f"{np.median(np.abs(rel[m])):5.2f} %, bias {np.median(rel[m]):+5.2f} %")
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lifters", nargs="+", required=True, help="pretraining run folders (with lifter.pt)")
    ap.add_argument("--people", nargs="+", required=True, help="held-out people files (people_val_*.npz)")
    ap.add_argument("--noise-data", default="data/near_train")
    ap.add_argument("--by-ray", action="store_true", help="also split the errors by the angle off the optical axis")
    args = ap.parse_args()
    torch.set_num_threads(1)
    net = DRMNet()
    net.load_state_dict(load_state(model_path(MOVENET_WEIGHTS)), strict=False)
    cache = load_or_build(net, [(args.noise_data, load_any(args.noise_data))], (384, 288), Path("runs/cache"), 0.3)
    noisy, clean = NoisePool.from_cache(cache), NoisePool.clean()
    lifters = {run: load_lifter(Path(run)) for run in args.lifters}
    for path in args.people:
        people = {k: torch.from_numpy(v) for k, v in np.load(path).items()}
        print(f"== held-out people {path} ({len(people['joints_net'])})")
        for run, lifter in lifters.items():
            m, t = evaluate(lifter, people, noisy), evaluate(lifter, people, clean)
            print(f"  {run:22s} dz MAE {m['dz_mae_mm']:.1f} mm, root median {m['root_median_pct']:.2f} %, within 4 % "
                  f"{m['root_within_4pct']:.1f} %, 2D after shift {m['2d_err_refined']:.3f} | true 2D: dz MAE "
                  f"{t['dz_mae_mm']:.1f} mm, root median {t['root_median_pct']:.2f} %")
            if args.by_ray:
                for label, pool in (("2D branch noise", noisy), ("true 2D", clean)):
                    print("\n".join(f"      {label:15s} {row}" for row in errors_by_ray(lifter, people, pool)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
