"""Many labelled images: deterministic per (seed, index), rendered by a process pool, written as
a dataset folder (drm_ros.data.sample format) and optionally as a rosbag2 (mcap)."""
from __future__ import annotations

import multiprocessing as mp
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from drm_ros.camera import Camera
from drm_ros.data.sample import Sample, save_dataset
from drm_ros.ground.plane import GroundPlane
from drm_ros.synth.motion import MotionLibrary
from drm_ros.synth.scene import encode_jpeg, render, sample_scene
from drm_ros.synth.sequence import sequence_scene

IMAGE_TOPIC = "/camera/image_raw/compressed"
INFO_TOPIC = "/camera/camera_info"
SKELETON_TOPIC = "/ground_truth/skeletons"
TF_TOPIC = "/tf"  # the camera above the floor, per frame (each image may have its own camera pose)
FLOOR_FRAME = "base_footprint"  # the node's default ground_floor_frame: `drm bag eval --ground-plane tf`
# then reads the true floor from the bag, as `drm eval --ground-plane known` does from the annotations


@dataclass
class Frame:
    index: int
    jpeg: bytes
    camera: Camera
    joints3d: np.ndarray
    joints2d: np.ndarray
    visible: np.ndarray
    boxes: np.ndarray
    meta: list
    ground: GroundPlane | None = None


def scene_for(cfg: dict, motion: MotionLibrary, seed: int, index: int):
    if cfg["sequence"]["enabled"]:
        seq, k = divmod(index, int(cfg["sequence"]["length"]))
        return sequence_scene(cfg, motion, seed, seq, k)
    scene = sample_scene(np.random.default_rng([seed, index]), cfg, motion)
    scene.effects["noise_seed"] = int(np.random.default_rng([seed, index, 7]).integers(2**31))
    return scene


def make_frame(cfg: dict, motion: MotionLibrary, seed: int, index: int, keep_ids: bool = False):
    """One labelled image; with keep_ids also the Rendered (uncompressed image, id map) for tests."""
    scene = scene_for(cfg, motion, seed, index)
    r = render(scene)
    # the floor (world z = 0) in the camera frame: world up is R's third column
    ground = GroundPlane(scene.rig.R[:, 2].copy(), float(scene.rig.C[2]))
    frame = Frame(index, encode_jpeg(r.image, scene.effects["jpeg"]), r.camera, r.joints3d, r.joints2d,
                  r.visible, r.boxes, r.meta, ground)
    return (frame, r) if keep_ids else frame


# ---------------------------------------------------------------- process pool
_STATE: dict = {}


def _init(cfg: dict, seed: int, single_threaded: bool = False) -> None:
    if single_threaded:  # one OpenCV thread per worker: the pool already fills the cores
        import cv2

        cv2.setNumThreads(1)
    _STATE.update(cfg=cfg, seed=seed, motion=MotionLibrary(cfg["clips"]))


def _work(index: int) -> Frame:
    return make_frame(_STATE["cfg"], _STATE["motion"], _STATE["seed"], index)


def frames(cfg: dict, seed: int, num: int, workers: int):
    """Yield Frames 0..num-1 in order (identical bytes whatever the number of workers)."""
    if workers <= 0:
        _init(cfg, seed)
        for i in range(num):
            yield _work(i)
        return
    ctx = mp.get_context("fork")
    with ctx.Pool(workers, initializer=_init, initargs=(cfg, seed, True)) as pool:
        yield from pool.imap(_work, range(num), chunksize=4)


def generate(out: str | Path, num: int, seed: int, cfg: dict, bag: str | Path | None = None,
             workers: int | None = None, log=print) -> dict:
    out = Path(out)
    (out / "images").mkdir(parents=True, exist_ok=True)
    workers = int(cfg["output"]["workers"] if workers is None else workers)
    writer = None
    if bag is not None:
        from drm_ros.bags import messages
        from drm_ros.bags.io import BagWriter

        writer = BagWriter(bag).__enter__()
        rate = float(cfg["sequence"]["fps"] if cfg["sequence"]["enabled"] else cfg["output"]["frame_rate_hz"])
        t0_ns, frame_id = int(round(cfg["output"]["start_stamp_s"] * 1e9)), cfg["output"]["frame_id"]
    samples, people = [], 0
    start = time.perf_counter()
    try:
        for f in frames(cfg, seed, num, workers):
            rel = f"images/{f.index:06d}.jpg"
            (out / rel).write_bytes(f.jpeg)
            samples.append(Sample(rel, f.camera, f.joints3d, f.joints2d, f.visible, f.boxes, f.meta, f.ground))
            people += len(f.joints3d)
            if writer is not None:
                stamp = t0_ns + int(round(f.index * 1e9 / rate))
                ids = [m.get("track_id", i) for i, m in enumerate(f.meta)]
                writer.write(IMAGE_TOPIC, messages.compressed_image(f.jpeg, stamp, frame_id), stamp)
                writer.write(INFO_TOPIC, messages.camera_info(f.camera, stamp, frame_id), stamp)
                if f.ground is not None:
                    writer.write(TF_TOPIC, messages.transform(*f.ground.camera_pose(), FLOOR_FRAME, frame_id, stamp), stamp)
                poses = messages.poses_from_labels(f.joints3d, f.joints2d, f.visible, f.boxes, ids)
                writer.write(SKELETON_TOPIC, messages.skeleton_array(poses, stamp, frame_id), stamp)
            if log and (f.index + 1) % 200 == 0:
                log(f"{f.index + 1}/{num} images, {(f.index + 1) / (time.perf_counter() - start):.1f} images/s")
    finally:
        if writer is not None:
            writer.__exit__(None, None, None)
    elapsed = time.perf_counter() - start
    save_dataset(out, samples)
    return {"images": num, "people": people, "seconds": elapsed, "images_per_s": num / max(elapsed, 1e-9)}
