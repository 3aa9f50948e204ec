"""Lever 28 (issue 10): do several pretrained lifters, averaged, lift better than one? The lifter
is a 1.1 M-parameter MLP run once per person, so an ensemble costs microseconds where a second
look at the image (lever 18) costs a whole pass. DRM's read-out alone (the image correction at
zero, as tools/lifter_only_model.py): dz, log S and the 2D shift averaged over the members; the
hidden state is the first member's (unused while the correction is zero).

    .venv/bin/python tools/lifter_ensemble.py --data data/near_test \\
        --lifters runs/lifter_ray/lifter.pt runs/lifter_ray_wide/lifter.pt ...
"""
import argparse
import sys

import torch
from torch import nn

from drm_ros.data.load import load_any
from drm_ros.evaluation import evaluate_dataset
from drm_ros.inference import PoseEstimator
from drm_ros.lifter import PoseLifter
from drm_ros.cli.evaluate import format_table
from drm_ros.movenet_weights import load_state
from drm_ros.network import DRMNet, NetworkConfig


def load_lifter(path: str) -> PoseLifter:
    saved = torch.load(path, map_location="cpu", weights_only=True)
    c = saved["config"]
    if c.get("motion") == "with_held_out_BOUND":
        raise SystemExit(f"{path} saw the test motions: a bound, not an ensemble member")
    lifter = PoseLifter(17, c["width"], c["blocks"], refine_2d=bool(c.get("refine_2d")), ray_input=bool(c.get("ray_input")))
    lifter.load_state_dict(saved["state_dict"])
    return lifter.eval()


class AveragedLifter(nn.Module):
    """Quacks like PoseLifter for DepthHead: the members' dz, log S and shift averaged."""

    def __init__(self, members: list[PoseLifter]):
        super().__init__()
        self.members = nn.ModuleList(members)
        first = members[0]
        self.num_joints, self.width = first.num_joints, first.width
        self.refine_2d, self.ray_input = first.refine_2d, first.ray_input

    def forward(self, features):
        outs = [m(features) for m in self.members]
        mean = [torch.stack([o[k] for o in outs]).mean(0) for k in range(3)]
        return mean[0], mean[1], mean[2], outs[0][3]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="data/near_test")
    ap.add_argument("--lifters", nargs="+", required=True)
    ap.add_argument("--flip-test", action="store_true")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    members = [load_lifter(p) for p in args.lifters]
    first = members[0]
    net = DRMNet(NetworkConfig(pdqm=True, pdqm_dim=32, depth_hidden=256, lifter=True, lifter_width=first.width,
                               lifter_blocks=len(first.blocks), lifter_refine_2d=first.refine_2d,
                               lifter_ray=first.ray_input, lifter_flip_test=args.flip_test))
    net.load_state_dict(load_state(), strict=False)
    net.depth_head.lifter = AveragedLifter(members) if len(members) > 1 else first
    scores, _ = evaluate_dataset(PoseEstimator(net.eval(), (384, 288)), load_any(args.data))
    print(f"{args.data}: DRM's read-out = the average of {len(members)} pretrained lifters "
          f"({', '.join(args.lifters)}), flip test {args.flip_test}")
    print(format_table(scores))
    return 0


if __name__ == "__main__":
    sys.exit(main())
