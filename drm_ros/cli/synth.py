"""`drm synth`: render labelled synthetic multi-person scenes (settings in config/synth/*.yaml)."""
from __future__ import annotations

import sys
from pathlib import Path


def configure(parser) -> None:
    parser.add_argument("--out", required=True, type=Path, help="dataset folder to write (annotations.json + images/)")
    parser.add_argument("--num", type=int, default=100, help="number of images (default 100)")
    parser.add_argument("--seed", type=int, default=0, help="random seed: same seed, same bytes")
    parser.add_argument("--bag", type=Path, default=None, help="also write a rosbag2 (mcap) directory here")
    parser.add_argument("--config", type=Path, default=None, help="YAML overriding config/synth/default.yaml")
    parser.add_argument("--workers", type=int, default=None, help="process pool size (default: output.workers)")


def run(args) -> int:
    from drm_ros.synth.config import ConfigError, load_config
    from drm_ros.synth.generate import generate

    try:
        cfg = load_config(args.config)
        if args.num <= 0:
            raise ConfigError("--num must be positive")
        if args.bag is not None and args.bag.exists():
            raise ConfigError(f"--bag {args.bag} already exists; rosbag2 writes a new directory")
        stats = generate(args.out, args.num, args.seed, cfg, args.bag, args.workers)
    except (ConfigError, ValueError, FileExistsError) as exc:
        print(f"drm synth: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {stats['images']} images with {stats['people']} people to {args.out}"
          + (f" and {args.bag}" if args.bag else "")
          + f" in {stats['seconds']:.1f} s ({stats['images_per_s']:.1f} images/s)")
    return 0
