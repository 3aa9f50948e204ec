"""`drm train --config config/train/<name>.yaml` (resumes when its out_dir has a checkpoint)."""
from drm_ros.training.config import TrainConfig


def configure(parser):
    parser.add_argument("--config", required=True, help="training config YAML (see config/train/)")
    parser.add_argument("--out-dir", help="override the config's out_dir")
    parser.add_argument("--epochs", type=int, help="override the config's epochs")


def run(args) -> int:
    from drm_ros.training.trainer import train

    cfg = TrainConfig.load(args.config)
    if args.out_dir:
        cfg.out_dir = args.out_dir
    if args.epochs:
        cfg.epochs = args.epochs
    train(cfg)
    return 0
