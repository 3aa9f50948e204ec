"""A model file whose image-feature correction of the root depth is scaled by S (issue 10, session 9).

DRM's root depth with the lifter is log(size) - log(spread) from the pose lifter plus a correction
the depth MLP reads from the image features (network.DepthHead). Scaling that one output row asks
whether the correction helps (S = 0: the fine-tuned lifter's geometry alone), or is too timid
(S > 1). Score each file with tools/threshold_sweep.py.

    .venv/bin/python tools/root_correction_scale.py runs/X/shipped.pt runs/X/corr0.pt 0
"""
import argparse

import torch

from drm_ros.checkpoint import load_model, save_model


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("out")
    ap.add_argument("scale", type=float)
    args = ap.parse_args()
    net, info = load_model(args.model)
    if net.depth_head.lifter is None:
        raise SystemExit(f"{args.model}: no lifter, so no correction to scale")
    last = net.depth_head.mlp[-1]
    with torch.no_grad():  # output 0 of the MLP is the log-depth correction
        last.weight[0] *= args.scale
        last.bias[0] *= args.scale
    meta = dict(info.get("meta", {}), root_correction_scale=args.scale)
    save_model(args.out, net, tuple(info["input_size"]), meta, half=True)
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
