"""A DRM model file whose depth read-out is the pretrained pose lifter alone (the image-feature
correction at its zero initialisation): the render-free lever measured on its own.

    .venv/bin/python tools/lifter_only_model.py --lifter runs/lifter_all/lifter.pt --out runs/lifter_only.pt
"""
import argparse

import torch

from drm_ros.checkpoint import save_model
from drm_ros.movenet_weights import load_state
from drm_ros.network import DRMNet, NetworkConfig


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lifter", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--input-size", default="384x288")
    args = ap.parse_args()
    lifter = torch.load(args.lifter, map_location="cpu", weights_only=True)
    lc = lifter["config"]
    net = DRMNet(NetworkConfig(pdqm=True, pdqm_dim=32, depth_hidden=256, lifter=True,
                               lifter_width=lc["width"], lifter_blocks=lc["blocks"],
                               lifter_refine_2d=bool(lc.get("refine_2d", False)), lifter_ray=bool(lc.get("ray_input", False))))
    net.load_state_dict(load_state(), strict=False)
    net.depth_head.lifter.load_state_dict(lifter["state_dict"])
    size = tuple(int(v) for v in args.input_size.split("x"))
    save_model(args.out, net, size, {"name": "lifter_only", "lifter": args.lifter, "lifter_motion": lc.get("motion")}, half=True)
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
