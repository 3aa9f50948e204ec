"""`drm pretrain-lifter --config config/train/lifter.yaml`: render-free pretraining of the pose
lifter (drm_ros/training/lifting.py). The 2D noise comes from the feature caches of the
config's `noise_data` folders (built here if missing, as `drm train` would)."""


def configure(parser):
    parser.add_argument("--config", required=True, help="lifter pretraining config YAML (config/train/lifter.yaml)")
    parser.add_argument("--out-dir", help="override the config's out_dir")


def run(args) -> int:
    from pathlib import Path

    from drm_ros.data.load import load_any
    from drm_ros.movenet_weights import load_state
    from drm_ros.network import DRMNet
    from drm_ros.paths import MOVENET_WEIGHTS, model_path
    from drm_ros.training.cache import load_or_build
    from drm_ros.training.lifting import LifterConfig, NoisePool, pretrain

    cfg = LifterConfig.load(args.config)
    if args.out_dir:
        cfg.out_dir = args.out_dir
    if cfg.noise_data:
        net = DRMNet()
        net.load_state_dict(load_state(model_path(MOVENET_WEIGHTS)), strict=False)
        cache = load_or_build(net, [(p, load_any(p)) for p in cfg.noise_data], cfg.input_size,
                              Path(cfg.out_dir).parent / "cache", 0.3)
        pool = NoisePool.from_cache(cache)
    else:
        print("no noise_data: training on clean projections (the true-2D condition)")
        pool = NoisePool.clean()
    pretrain(cfg, pool)
    return 0
