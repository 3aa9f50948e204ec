"""Re-save a trained model file as the shipped form: trained tensors only (MoveNet by sha256),
float16, and the big matrices (the pose lifter's) 8-bit (model file version 3, checkpoint.py).

    .venv/bin/python tools/ship_model.py runs/refined/model.pt model/drm_default.pt
    .venv/bin/python tools/ship_model.py --flip-test model/drm_default.pt model/drm_default.pt

--flip-test switches on the lifter's test-time flip averaging (lifter.flip_averaged) in the
file's network config; the weights stay as they are (re-saving a shipped file is lossless).
"""
import argparse
import sys

from drm_ros.checkpoint import load_model, save_model
from drm_ros.training.lifting import BOUND_MOTION


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("trained")
    ap.add_argument("out")
    ap.add_argument("--no-int8", action="store_true", help="float16 only (model file version 2)")
    ap.add_argument("--flip-test", action="store_true", help="network config lifter_flip_test: true")
    args = ap.parse_args()
    net, info = load_model(args.trained)
    if (info.get("meta") or {}).get("lifter_motion") == BOUND_MOTION:
        raise SystemExit(f"{args.trained} reads depth with a lifter trained on the held-out test motions: a bound, never shipped")
    if args.flip_test:
        from drm_ros.network import DRMNet

        net.config.lifter_flip_test = True
        state = net.state_dict()
        net = DRMNet(net.config)
        net.load_state_dict(state)
    path = save_model(args.out, net, info["input_size"], info["meta"], half=True, int8=not args.no_int8)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
