"""Render-free pretraining of the pose lifter (lifter.py), issue 10 lever 2.

People are posed, shaped and placed exactly as `drm synth` does (same configs, same random
cameras, same projection through `drm_ros.camera.Camera` and the network letterbox), but nothing
is rendered: a person costs microseconds instead of a share of a 30 ms render, so the lifter
sees hundreds of thousands of (pose, body, camera, viewpoint) combinations in minutes.

The 2D input must look like the 2D branch's output, not like clean projections. The noise is
therefore the 2D branch's own: every person in the training feature caches (cache.py) carries
MoveNet's joints and scores next to the true 2D joints; their differences, divided by the
person's spread, form a pool of whole-skeleton error vectors (with their joint scores), one of
which is added to each projected pose. Occlusion, truncation, left/right confusions and
heavy tails come with it for free.

Pose-matched noise (`noise_match`, INFERRED, model card lever 25): the 2D branch's error depends on
the pose, the view and where the person sits in the image (crossed legs, a side view, a foot
outside the frame). With `noise_match = k` each person draws its error from one of the k pool
people whose TRUE 2D looks most like its own (pose_signature), instead of from anyone.

Procedural diversity: a share of the people get joint rotations far larger than the renders'
(`extra_perturb_deg`) so the lifter also sees poses no clip contains. Optionally (`mirror`,
INFERRED) a share of each batch is mirrored left/right, a mirrored motion being as plausible as
the original; measured at 12k steps it gained nothing (model card, lever 9), so it is off.
"""
from __future__ import annotations

import hashlib
import inspect
import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from drm_ros.camera import Letterbox
from drm_ros.codec import J2D
from drm_ros.lifter import PoseLifter, lifter_input, root_ray, spread_px
from drm_ros.skeleton import FLIP_INDEX, LEFT_HIP, RIGHT_HIP, ROOT
from drm_ros.training.config import read_config

PEOPLE_PER_CAMERA = 4
# `motion: with_held_out_BOUND` trains on every clip INCLUDING the held-out test motions: how much
# of the error is the corpus (a lifter that has seen the test motions) against what the 2D input
# leaves ambiguous. For bounds only; tools/ship_model.py refuses a model built on such a lifter.
BOUND_MOTION = "with_held_out_BOUND"
PEOPLE_FORMAT = 2  # 2: people files carry the network camera (camera_net); part of their cache key


@dataclass
class LifterConfig:
    name: str = "lifter"
    synth_configs: list[str] = field(default_factory=lambda: ["config/synth/train.yaml"])  # scene sampling
    # "synth": the synth configs' own clips; "all": every clip of every motion asset (DeepMimic,
    # CMU) except the held-out ones (assets/clips.json), each clip equally likely; "all2": the same
    # with the opt-in exp-map CMU corpus too (motion.CORPUS2)
    motion: str = "synth"
    val_synth_config: str = "config/synth/test_near.yaml"  # held-out motions, for the log only
    people: int = 200_000  # projected training people (sampled once, cached in out_dir)
    val_people: int = 5_000
    extra_perturb_deg: float = 12.0  # joint rotations of the procedural half (renders use body.joint_perturb_deg)
    procedural_share: float = 0.5
    noise_data: list[str] = field(default_factory=list)  # dataset folders whose feature caches give the 2D noise
    input_size: tuple[int, int] = (384, 288)
    width: int = 512
    blocks: int = 2
    dropout: float = 0.1
    steps: int = 20_000
    batch_size: int = 512
    lr: float = 1e-3
    weight_decay: float = 1e-4
    size_weight: float = 1.0  # loss weight of log S against the dz L1 (m)
    refine_2d: bool = False  # also learn the 2D shift (lifter.py); its L1 is in units of the spread
    refine_weight: float = 1.0
    ray_input: bool = False  # the lifter also sees the root's viewing ray (lifter.lifter_input)
    mirror: float = 0.0  # share of each batch mirrored left/right (make_batch)
    noise_match: int = 0  # > 0: draw each person's 2D error from its k nearest pool people (matched_donors)
    seed: int = 0
    threads: int = 1
    out_dir: str = "runs/lifter"

    @classmethod
    def load(cls, path: str | Path) -> "LifterConfig":
        return read_config(cls, path, "lifter")


# ------------------------------------------------------------------ projected people
def sample_projected(num: int, synth_config: str, seed: int, input_size, extra_perturb_deg: float = 0.0,
                     procedural_share: float = 0.0, motion: str = "synth") -> dict[str, np.ndarray]:
    """`num` people as the generator would place them, projected into the network input:
    joints_net (N, J2D, 2), joints3d (N, 18, 3) camera frame, f_net (N,), camera_net (N, 4): the
    network input's pinhole fx, fy, cx, cy."""
    from drm_ros.synth.config import load_config
    from drm_ros.synth.motion import CORPUS2, MotionLibrary, coco_joints, sample_shape, training_clips
    from drm_ros.synth.scene import _choose_clip, _place, pose_person
    from drm_ros.synth.rig import sample_rig

    cfg = load_config(synth_config)
    if motion == "all":
        library = MotionLibrary("training")
        cfg["clip_weights"] = {}
    elif motion == "all2":  # every training clip of every asset including the exp-map CMU corpus
        library = MotionLibrary(training_clips(CORPUS2), path=CORPUS2)
        cfg["clip_weights"] = {}
    elif motion == BOUND_MOTION:  # a bound, never a model to ship: the test splits' own motions too
        from drm_ros.synth.motion import ASSETS
        library = MotionLibrary(None, path=ASSETS)
        cfg["clip_weights"] = {}
    elif motion == "synth":
        library = MotionLibrary(cfg.get("clips"))
    else:
        raise ValueError(f"lifter motion must be 'synth', 'all', 'all2' or {BOUND_MOTION!r}, got {motion!r}")
    rng = np.random.default_rng(seed)
    body_wild = dict(cfg["body"], joint_perturb_deg=extra_perturb_deg)
    j2d, j3d, fnet, cnet = [], [], [], []
    while len(j2d) < num:
        rig = sample_rig(rng, cfg["camera"])
        cam = rig.camera
        box = Letterbox.fit(cam.width, cam.height, *input_size)
        camera_net = box.network_intrinsics(cam)
        for _ in range(PEOPLE_PER_CAMERA):  # placed independently: overlap is irrelevant without pixels
            pos = _place(rng, rig, cfg["people"], [])
            if pos is None:
                continue
            clip = _choose_clip(rng, library, cfg.get("clip_weights") or {})
            t = float(rng.uniform(0, len(library.points[clip]) - 1))
            shape = sample_shape(rng, body_wild if rng.random() < procedural_share else cfg["body"])
            pts, rot = pose_person(library, clip, t, shape, float(rng.uniform(-np.pi, np.pi)), pos)
            cam_pts = rig.to_camera(coco_joints(pts, rot, shape.scale))
            if cam_pts[:, 2].min() < 0.2:
                continue
            j2d.append(box.to_network(cam.project(cam_pts[:J2D])))
            j3d.append(cam_pts)
            fnet.append(box.network_focal(cam))
            cnet.append(camera_net)
    return {"joints_net": np.asarray(j2d[:num], np.float32), "joints3d": np.asarray(j3d[:num], np.float32),
            "f_net": np.asarray(fnet[:num], np.float32), "camera_net": np.asarray(cnet[:num], np.float32)}


def generator_inputs(synth_config: str, motion: str = "synth") -> list:
    """What sampled people depend on beyond the arguments: the synth config's contents (not its
    path), the motion assets' bytes and the rule that sizes their rigs (motion.REF_CHAIN). Only
    `motion: all2` reads the opt-in asset, so only its key hashes it (other keys stay as they were)."""
    from drm_ros.synth.config import load_config
    from drm_ros.synth.motion import ASSETS, CORPUS2, REF_CHAIN

    assets = CORPUS2 if motion == "all2" else ASSETS
    return [load_config(synth_config), REF_CHAIN, PEOPLE_FORMAT, [hashlib.sha1(p.read_bytes()).hexdigest() for p in assets]]


def load_or_sample(folder: Path, name: str, num: int, synth_config: str, *args, **kwargs) -> dict[str, np.ndarray]:
    """`sample_projected(num, synth_config, *args, **kwargs)`, cached in `folder` under a name keyed by
    its arguments and `generator_inputs` (a changed setting, config file or motion asset samples anew
    instead of reusing stale people)."""
    motion = inspect.signature(sample_projected).bind(num, synth_config, *args, **kwargs).arguments.get("motion", "synth")
    key = hashlib.sha1(json.dumps([num, synth_config, args, kwargs, generator_inputs(synth_config, motion)],
                                  default=str).encode()).hexdigest()[:10]
    path = folder / f"{name}_{key}.npz"
    if path.is_file():
        with np.load(path) as data:
            return dict(data)
    out = sample_projected(num, synth_config, *args, **kwargs)
    np.savez(path.with_suffix(".tmp.npz"), **out)
    path.with_suffix(".tmp.npz").replace(path)
    return out


# ------------------------------------------------------------------ the 2D branch's noise
@dataclass
class NoisePool:
    """Whole-skeleton 2D errors of the 2D branch, in units of the person's spread, and the joint
    scores it gave: (P, J2D, 2) and (P, J2D)."""

    residual: torch.Tensor
    score: torch.Tensor
    true_2d: torch.Tensor | None = None  # the pool people's true 2D joints, network pixels (pose matching)

    @classmethod
    def from_cache(cls, cache: dict) -> "NoisePool":
        est, gt = cache["joints"].float(), cache["joints_gt"].float()
        score = cache["joint_score"].float()
        gt_root = 0.5 * (gt[:, LEFT_HIP] + gt[:, RIGHT_HIP])
        s = spread_px(gt, gt_root, torch.ones_like(score))
        return cls(((est - gt) / s[:, None, None]).clamp(-5, 5), score, gt)

    @classmethod
    def clean(cls, n: int = 1) -> "NoisePool":
        """No noise, full confidence: the true-2D condition."""
        return cls(torch.zeros(n, J2D, 2), torch.ones(n, J2D))


def pose_signature(joints_net: torch.Tensor, input_size) -> torch.Tensor:
    """What the 2D branch's error depends on, as one vector per person: the true 2D pose relative
    to the root in units of its spread, which joints lie inside the network input (truncation),
    and the log of the spread (apparent size). The weights (2 per in/out flag, 1 per log unit)
    put a joint leaving the frame on a par with a limb moving by two spreads. (P, J, 2) -> (P, D)."""
    root = 0.5 * (joints_net[:, LEFT_HIP] + joints_net[:, RIGHT_HIP])
    s = spread_px(joints_net, root, torch.ones(joints_net.shape[:2]))
    pose = (joints_net - root[:, None]) / s[:, None, None]
    w, h = input_size
    inside = ((joints_net[..., 0] >= 0) & (joints_net[..., 0] < w) & (joints_net[..., 1] >= 0) & (joints_net[..., 1] < h))
    return torch.cat([pose.flatten(1), 2.0 * inside.float(), s.log()[:, None]], dim=1)


def matched_donors(joints_net: torch.Tensor, pool: NoisePool, k: int, input_size, chunk: int = 4096) -> torch.Tensor:
    """For each person, the indices of the k pool people nearest in pose_signature: (P, k)."""
    donors = pose_signature(pool.true_2d, input_size)
    out = []
    for start in range(0, joints_net.shape[0], chunk):
        d = torch.cdist(pose_signature(joints_net[start:start + chunk], input_size), donors)
        out.append(d.topk(k, dim=1, largest=False).indices)
    return torch.cat(out)


def mirrored(clean: torch.Tensor, j3d: torch.Tensor, flip: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The rows of `flip` mirrored left/right: 2D about the vertical through the root (the
    lifter's input is root-relative, so where the mirror line lies does not matter to it) with
    left and right joints swapped; 3D depths unchanged, joints swapped alike."""
    if flip is None or not bool(flip.any()):
        return clean, j3d
    root_x = 0.5 * (clean[:, LEFT_HIP, 0] + clean[:, RIGHT_HIP, 0])
    flipped = clean[:, list(FLIP_INDEX[:J2D])].clone()
    flipped[..., 0] = 2 * root_x[:, None] - flipped[..., 0]
    rows = flip[:, None, None]
    return torch.where(rows, flipped, clean), torch.where(rows, j3d[:, list(FLIP_INDEX)], j3d)


def make_batch(people: dict[str, torch.Tensor], idx: torch.Tensor, pool: NoisePool, noise_idx: torch.Tensor,
               flip: torch.Tensor | None = None, ray_input: bool = False
               ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Noisy lifter inputs and targets: (features, log_spread, dz target (m), log S target,
    2D shift target (the clean joints minus the noisy ones, in units of the noisy spread)).
    `flip` (bool per row) mirrors those people first; with `ray_input` the features end with
    the (noisy) root's viewing ray, its x negated for mirrored rows (the scene mirrored about the
    optical axis)."""
    clean, j3d = mirrored(people["joints_net"][idx], people["joints3d"][idx], flip)
    root_c = 0.5 * (clean[:, LEFT_HIP] + clean[:, RIGHT_HIP])
    s = spread_px(clean, root_c, torch.ones(clean.shape[:2]))
    joints = clean + pool.residual[noise_idx] * s[:, None, None]
    score = pool.score[noise_idx]
    root = 0.5 * (joints[:, LEFT_HIP] + joints[:, RIGHT_HIP])  # the codec's root: the estimated hips
    ray = None
    if ray_input:
        ray = root_ray(root, people["camera_net"][idx])
        if flip is not None:
            ray = torch.where(flip[:, None], torch.stack([-ray[:, 0], ray[:, 1]], dim=-1), ray)
    features, log_spread = lifter_input(joints, root, score, ray)
    z_root = j3d[:, ROOT, 2]
    dz = j3d[:, :J2D, 2] - z_root[:, None]
    log_size = torch.log(z_root / people["f_net"][idx]) + log_spread
    shift = (clean - joints) / log_spread.exp()[:, None, None]
    return features, log_spread, dz, log_size, shift


@torch.no_grad()
def evaluate(lifter: PoseLifter, people: dict, pool: NoisePool, seed: int = 0) -> dict[str, float]:
    """Median |dz| error (mm) and median root depth error (% of depth) of the lifter alone; with
    `refine_2d`, the mean 2D joint error (spread units) before and after its shift."""
    lifter.eval()
    g = torch.Generator().manual_seed(seed)
    n = people["joints_net"].shape[0]
    idx = torch.arange(n)
    features, _, dz_t, size_t, shift_t = make_batch(people, idx, pool, torch.randint(len(pool.score), (n,), generator=g),
                                                    ray_input=lifter.ray_input)
    dz, log_size, shift, _ = lifter(features)
    lifter.train()
    rel = torch.exp(log_size - size_t) - 1  # predicted / true root depth - 1
    out = {"dz_mae_mm": float((dz - dz_t).abs().mean() * 1000), "dz_median_mm": float((dz - dz_t).abs().median() * 1000),
           "root_median_pct": float(rel.abs().median() * 100), "root_within_4pct": float((rel.abs() < 0.04).float().mean() * 100)}
    if lifter.refine_2d:
        out["2d_err_raw"] = float(shift_t.norm(dim=-1).mean())
        out["2d_err_refined"] = float((shift_t - shift).norm(dim=-1).mean())
    return out


def pretrain(cfg: LifterConfig, pool: NoisePool, log=print) -> Path:
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    out = Path(cfg.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps(asdict(cfg), indent=1))
    t0 = time.time()
    parts = []
    for i, synth in enumerate(cfg.synth_configs):
        n = cfg.people // len(cfg.synth_configs)
        parts.append(load_or_sample(out, f"people_{i}", n, synth, cfg.seed + 1000 * i, cfg.input_size,
                                    cfg.extra_perturb_deg, cfg.procedural_share, cfg.motion))
    people = {k: torch.from_numpy(np.concatenate([p[k] for p in parts])) for k in parts[0]}
    val = {k: torch.from_numpy(v) for k, v in load_or_sample(out, "people_val", cfg.val_people, cfg.val_synth_config,
                                                               cfg.seed + 777, cfg.input_size).items()}
    n = people["joints_net"].shape[0]
    log(f"{n} training people, {val['joints_net'].shape[0]} held-out, noise pool of {len(pool.score)} "
        f"({time.time() - t0:.0f} s)")
    donors = None
    if cfg.noise_match > 0:
        if pool.true_2d is None:
            raise ValueError("noise_match needs a noise pool with true 2D joints (noise_data)")
        donors = matched_donors(people["joints_net"], pool, cfg.noise_match, cfg.input_size)
        log(f"pose-matched noise: each person draws from its {cfg.noise_match} nearest pool people ({time.time() - t0:.0f} s)")
    lifter = PoseLifter(J2D, cfg.width, cfg.blocks, cfg.dropout, cfg.refine_2d, cfg.ray_input)
    opt = torch.optim.AdamW(lifter.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    warmup = max(1, cfg.steps // 20)  # linear warm-up, then cosine decay to 2 % of the peak
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / warmup) * (
        0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(1.0, s / cfg.steps)))))
    g = torch.Generator().manual_seed(cfg.seed)
    start = 1
    last = out / "last.pt"
    if last.is_file():  # resumable: a long CPU job must survive an interruption
        state = torch.load(last, weights_only=False)
        lifter.load_state_dict(state["lifter"])
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        g.set_state(state["generator"])
        start = state["step"] + 1
        log(f"resumed from {last} at step {start}")
    metrics = open(out / "metrics.jsonl", "a")
    running = []
    for step in range(start, cfg.steps + 1):
        idx = torch.randint(n, (cfg.batch_size,), generator=g)
        if donors is None:
            noise_idx = torch.randint(len(pool.score), (cfg.batch_size,), generator=g)
        else:
            noise_idx = donors[idx, torch.randint(donors.shape[1], (cfg.batch_size,), generator=g)]
        flip = torch.rand(cfg.batch_size, generator=g) < cfg.mirror if cfg.mirror > 0 else None
        features, _, dz_t, size_t, shift_t = make_batch(people, idx, pool, noise_idx, flip, cfg.ray_input)
        dz, log_size, shift, _ = lifter(features)
        loss = (dz - dz_t).abs().mean() + cfg.size_weight * (log_size - size_t).abs().mean()
        if cfg.refine_2d:
            loss = loss + cfg.refine_weight * (shift - shift_t).abs().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        running.append(float(loss.detach()))
        if step % 1000 == 0 or step == cfg.steps:
            m = {"step": step, "loss": float(np.mean(running)), **{f"val_{k}": v for k, v in evaluate(lifter, val, pool).items()},
                 **{f"val_true2d_{k}": v for k, v in evaluate(lifter, val, NoisePool.clean()).items()}}
            running = []
            metrics.write(json.dumps(m) + "\n")
            metrics.flush()
            log(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in m.items())
                + f" ({time.time() - t0:.0f} s)")
            torch.save({"lifter": lifter.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                        "generator": g.get_state(), "step": step}, last.with_suffix(".tmp"))
            last.with_suffix(".tmp").replace(last)
    path = out / "lifter.pt"
    torch.save({"config": asdict(cfg), "state_dict": lifter.state_dict()}, path)
    log(f"lifter written: {path}")
    return path
