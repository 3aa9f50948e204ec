"""The training loop behind `drm train`: config file in, checkpoints + log + model file out.

Resumable: `<out_dir>/last.pt` holds weights, optimiser, scheduler and epoch; rerunning the same
command continues. Runs on CPU, and under `torchrun` (DDP, gloo or nccl) for users with GPUs: each
rank takes a shard of every epoch's images and gradients are averaged by DDP.
"""
from __future__ import annotations

import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch.utils.data import DataLoader, DistributedSampler

from drm_ros.checkpoint import load_model, save_model
from drm_ros.data.load import load_any
from drm_ros.movenet_weights import load_state
from drm_ros.network import DRMNet, NetworkConfig
from drm_ros.paths import MOVENET_WEIGHTS, model_path
from drm_ros.training.cache import load_or_build, person_batches
from drm_ros.training.config import TrainConfig
from drm_ros.training.dataset import PoseDataset, collate, ground_truth
from drm_ros.training.steps import CachedDepthStep, FullStep


class Log:
    """Human log lines to stdout and <out>/train.log; metrics as JSON lines in <out>/metrics.jsonl."""

    def __init__(self, out_dir: Path, rank: int):
        self.rank = rank
        self.text = open(out_dir / "train.log", "a") if rank == 0 else None
        self.metrics = open(out_dir / "metrics.jsonl", "a") if rank == 0 else None

    def __call__(self, msg: str) -> None:
        if self.rank == 0:
            line = f"{time.strftime('%H:%M:%S')} {msg}"
            print(line, flush=True)
            self.text.write(line + "\n")
            self.text.flush()

    def record(self, **values) -> None:
        if self.rank == 0:
            self.metrics.write(json.dumps(values) + "\n")
            self.metrics.flush()


def progress_bar(done: int, total: int, extra: str = "") -> None:
    width = 30
    filled = int(width * done / max(total, 1))
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {extra}   ")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def build_network(cfg: TrainConfig) -> DRMNet:
    net = DRMNet(NetworkConfig.from_dict(cfg.network))
    if cfg.init == "movenet":
        net.load_state_dict(load_state(model_path(MOVENET_WEIGHTS)), strict=False)
    elif cfg.init.endswith(".pt"):  # a whole DRM model to fine-tune further (e.g. model/drm_default.pt)
        trained, _ = load_model(cfg.init)
        # the flip test is an inference switch (ship_model.py sets it), not part of the weights
        want, have = net.config.to_dict(), trained.config.to_dict()
        for config in (want, have):
            config.pop("lifter_flip_test", None)
        if want != have:
            raise ValueError(f"init {cfg.init} has network {have}, the config asks for {want}: they must match")
        if cfg.init_lifter:
            raise ValueError(f"init {cfg.init} already holds a lifter; leave init_lifter empty")
        net.load_state_dict(trained.state_dict())
    elif cfg.init:
        raise ValueError(f"unknown init {cfg.init!r} (use 'movenet', a DRM model file *.pt, or '')")
    lifter = net.depth_head.lifter
    if cfg.init_lifter:
        if lifter is None:
            raise ValueError("init_lifter is set but the network has no lifter (network: {lifter: true})")
        saved = torch.load(cfg.init_lifter, map_location="cpu", weights_only=True)
        from drm_ros.training.lifting import BOUND_MOTION
        if saved["config"].get("motion") == BOUND_MOTION:
            raise ValueError(f"init_lifter {cfg.init_lifter} was pretrained on the held-out test motions "
                             f"(motion: {BOUND_MOTION}): a bound, not a starting point for a model")
        if bool(saved["config"].get("refine_2d", False)) != lifter.refine_2d:
            raise ValueError(f"init_lifter {cfg.init_lifter} has refine_2d={saved['config'].get('refine_2d', False)} but the "
                             f"network has lifter_refine_2d={lifter.refine_2d}: they must match")
        if bool(saved["config"].get("ray_input", False)) != lifter.ray_input:
            raise ValueError(f"init_lifter {cfg.init_lifter} has ray_input={saved['config'].get('ray_input', False)} but the "
                             f"network has lifter_ray={lifter.ray_input}: they must match")
        lifter.load_state_dict(saved["state_dict"])
    frozen = {"2d": [net.backbone, net.heads], "backbone": [net.backbone], "none": []}[cfg.freeze]
    if lifter is not None and cfg.freeze_lifter:
        frozen.append(lifter)
    for module in frozen:
        module.requires_grad_(False)
    return net


def _param_groups(net: DRMNet, cfg: TrainConfig) -> list[dict]:
    """The pretrained 2D side learns `lr_2d_scale` times slower than the new depth branch, a
    pretrained lifter that is not frozen `lr_lifter_scale` times slower."""
    pretrained = {id(p) for p in list(net.backbone.parameters()) + list(net.heads.parameters())}
    lifter = {id(p) for p in net.depth_head.lifter.parameters()} if net.depth_head.lifter is not None else set()
    params = [p for p in net.parameters() if p.requires_grad]
    groups = [{"params": [p for p in params if id(p) not in pretrained | lifter], "lr": cfg.lr},
              {"params": [p for p in params if id(p) in pretrained], "lr": cfg.lr * cfg.lr_2d_scale},
              {"params": [p for p in params if id(p) in lifter], "lr": cfg.lr * cfg.lr_lifter_scale}]
    return [g for g in groups if g["params"]]


def _cached_batches(cache: dict, image_ids: np.ndarray, batch_size: int):
    """Yield CachedDepthStep batches over the given images."""
    img_of = cache["image"]
    for s in range(0, len(image_ids), batch_size):
        ids = torch.as_tensor(np.sort(image_ids[s : s + batch_size]))
        people = person_batches(cache, ids.numpy())
        if len(people) == 0:
            yield None  # still a step: every DDP rank must take the same number of steps
            continue
        slot = torch.searchsorted(ids, img_of[people])
        counts = torch.bincount(slot, minlength=len(ids))
        n = int(counts.max())
        rank_in_image = torch.arange(len(people)) - torch.cumsum(counts, 0)[slot] + counts[slot]
        pad_index = torch.zeros(len(ids), n, dtype=torch.long)
        pad_mask = torch.zeros(len(ids), n, dtype=torch.bool)
        pad_index[slot, rank_in_image] = torch.arange(len(people))
        pad_mask[slot, rank_in_image] = True
        yield {
            "features": cache["features"][ids].float(),
            "root": cache["root"][people], "joints": cache["joints"][people], "queried": cache["queried"][people],
            "joints3d": cache["joints3d"][people], "f_net": cache["f_net"][people],
            "camera_net": cache["camera_net"][people],
            "joint_score": cache["joint_score"][people], "joints_gt": cache["joints_gt"][people],
            "pad_index": pad_index, "pad_mask": pad_mask,
        }


def _feature_batches(cache: dict, samples, input_size, image_ids: np.ndarray, batch_size: int):
    """Yield FullStep batches of cached backbone features with the images' labels."""
    for s in range(0, len(image_ids), batch_size):
        ids = np.sort(image_ids[s : s + batch_size])
        batch = collate([ground_truth(samples[i], input_size, int(i)) for i in ids])
        batch["features"] = cache["features"][torch.as_tensor(ids)].float()
        yield batch


def validate(net: DRMNet, cfg: TrainConfig, out: Path, log: Log) -> dict:
    """Score the trained network through the full inference path on the validation data."""
    from drm_ros.evaluation import evaluate_dataset, json_safe
    from drm_ros.inference import PoseEstimator

    samples = [s for path in cfg.val_data for s in load_any(path)]
    scores, _ = evaluate_dataset(PoseEstimator(net.eval(), cfg.input_size), samples, progress_bar)
    scores = json_safe(scores)
    (out / "val_metrics.json").write_text(json.dumps(scores, indent=1))
    log("validation: " + " ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in scores.items()))
    return scores


def train(cfg: TrainConfig) -> Path:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    if world > 1:
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    out = Path(cfg.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.yaml").write_text(json.dumps(cfg.to_dict(), indent=1))
    log = Log(out, rank)
    log(f"training {cfg.name}: {json.dumps(cfg.to_dict())}")

    net = build_network(cfg)
    datasets = [(path, load_any(path)) for path in cfg.train_data]
    samples = [s for _, part in datasets for s in part]
    log(f"{len(samples)} training images, {sum(s.num_persons for s in samples)} people")
    if cfg.cached:
        def cached():
            return load_or_build(net, datasets, cfg.input_size, Path(cfg.out_dir).parent / "cache",
                                 cfg.min_detect_iou, log, progress_bar if rank == 0 else None)

        if world > 1 and rank != 0:
            dist.barrier()  # rank 0 builds the shared cache file once; the others then load it
        cache = cached()
        if world > 1 and rank == 0:
            dist.barrier()
        step = CachedDepthStep(net, cfg.depth_loss) if cfg.freeze == "2d" else \
            FullStep(net, cfg.depth_loss, cfg.loss_weights, cfg.min_detect_iou)
        num_images = cache["features"].shape[0]
    else:
        step = FullStep(net, cfg.depth_loss, cfg.loss_weights, cfg.min_detect_iou)
        dataset = PoseDataset(samples, cfg.input_size)
        sampler = DistributedSampler(dataset, world, rank, shuffle=True, seed=cfg.seed) if world > 1 else None
        loader = DataLoader(dataset, cfg.batch_size, shuffle=sampler is None, sampler=sampler, collate_fn=collate,
                            num_workers=cfg.workers, drop_last=True)
        num_images = len(dataset)
    # Full mode: DDP (equal batches per rank via DistributedSampler + drop_last). Cached mode: a
    # rank's batch can hold nobody, so gradients are averaged by hand after every step instead.
    ddp = world > 1 and not cfg.cached
    model = torch.nn.parallel.DistributedDataParallel(step, find_unused_parameters=True) if ddp else step
    groups = _param_groups(net, cfg)
    params = [p for g in groups for p in g["params"]]
    log(f"trainable parameters: {sum(p.numel() for p in params):,}")
    opt = torch.optim.AdamW(groups, lr=cfg.lr, weight_decay=cfg.weight_decay)
    steps_per_epoch = max(1, math.ceil(num_images / world / cfg.batch_size))
    total = cfg.epochs * steps_per_epoch
    warmup = max(1, total // 20)
    # linear warm-up then cosine decay to 2 % of the peak rate
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / warmup) * (
        0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(1.0, s / total)))))

    start_epoch = 0
    last = out / "last.pt"
    if last.is_file():
        state = torch.load(last, weights_only=False)
        net.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        start_epoch = state["epoch"] + 1
        log(f"resumed from {last} at epoch {start_epoch}")

    for epoch in range(start_epoch, cfg.epochs):
        step.train()
        if net.depth_head.lifter is not None and cfg.freeze_lifter:
            net.depth_head.lifter.eval()  # fixed: no dropout either
        t0 = time.time()
        sums: dict[str, float] = {}
        count = 0
        if cfg.cached:
            order = np.random.default_rng(cfg.seed + epoch).permutation(num_images)
            order = order[: len(order) // world * world][rank::world]  # equal shards
            batches = _cached_batches(cache, order, cfg.batch_size) if cfg.freeze == "2d" else \
                _feature_batches(cache, samples, cfg.input_size, order, cfg.batch_size)
        else:
            if sampler is not None:
                sampler.set_epoch(epoch)
            batches = loader
        for i, batch in enumerate(batches):
            opt.zero_grad(set_to_none=False)
            for p in params:
                p.grad = torch.zeros_like(p) if p.grad is None else p.grad.zero_()
            losses = model(batch) if batch is not None else None
            if losses is not None:
                losses["total"].backward()
            if world > 1 and not ddp:
                for p in params:
                    dist.all_reduce(p.grad)
                    p.grad /= world
            if losses is None and world == 1:
                continue
            # every rank steps with the same averaged gradients, so their weights stay identical
            torch.nn.utils.clip_grad_norm_(params, 5.0)
            opt.step()
            sched.step()
            if losses is None:
                continue
            for k, v in losses.items():
                sums[k] = sums.get(k, 0.0) + float(v.detach())
            count += 1
            if rank == 0:
                progress_bar(i + 1, steps_per_epoch, f"epoch {epoch + 1}/{cfg.epochs} loss {sums['total'] / count:.4f}")
        means = {k: v / max(count, 1) for k, v in sums.items()}
        log(f"epoch {epoch + 1}/{cfg.epochs} " + " ".join(f"{k}={v:.4f}" for k, v in means.items())
            + f" lr={sched.get_last_lr()[0]:.2e} ({time.time() - t0:.0f} s)")
        log.record(epoch=epoch + 1, **means)
        if rank == 0:
            torch.save({"model": net.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                        "epoch": epoch}, last.with_suffix(".tmp"))
            last.with_suffix(".tmp").replace(last)
    final = out / "model.pt"
    if rank == 0:
        meta = {"name": cfg.name, "config": cfg.to_dict()}
        if cfg.val_data:
            meta["val_metrics"] = validate(net, cfg, out, log)
        save_model(final, net, cfg.input_size, meta)
        log(f"model written: {final}")
    if world > 1:
        dist.destroy_process_group()
    return final
