"""Re-save a trained model file as the shipped form: trained tensors only (MoveNet by sha256),
float16, and the big matrices (the pose lifter's) 8-bit (model file version 3, checkpoint.py).

    .venv/bin/python tools/ship_model.py runs/refined/model.pt model/drm_default.pt
"""
import argparse
import sys

from drm_ros.checkpoint import load_model, save_model


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("trained")
    ap.add_argument("out")
    ap.add_argument("--no-int8", action="store_true", help="float16 only (model file version 2)")
    args = ap.parse_args()
    net, info = load_model(args.trained)
    path = save_model(args.out, net, info["input_size"], info["meta"], half=True, int8=not args.no_int8)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
