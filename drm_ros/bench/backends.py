"""`drm bench model`'s backend rows: per inference backend installed and input size, the dense
network part alone and the whole estimate (preprocess, network, decode, lift to 3D) on a real
frame, median ms and the ratio to torch, with the largest output difference from torch eager."""
from __future__ import annotations

import cv2
import numpy as np
import torch

from drm_ros.backends import BACKENDS, create_dense_runner, missing_packages, torch_threads
from drm_ros.bench.timing import set_threads, summary, time_ms
from drm_ros.camera import Camera
from drm_ros.inference import PoseEstimator
from drm_ros.paths import share_dir

SIZES = [(384, 288), (512, 384)]


def real_frame() -> tuple[np.ndarray, Camera]:
    """A vtest.avi frame of sample_data/ (people walking, 768x576), with its assumed 60 deg camera."""
    path = share_dir() / "sample_data" / "vtest" / "frame_0255.jpg"
    bgr = cv2.imread(str(path))
    if bgr is None:
        raise SystemExit(f"drm bench model: cannot read {path} (run from a source checkout)")
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    return rgb, Camera.default_for(rgb.shape[1], rgb.shape[0])


def run_backends(net, threads: int, repeats: int, names: list[str] | None = None) -> None:
    rgb, camera = real_frame()
    names = [b for b in (names or BACKENDS) if not missing_packages(b)]
    if "torch" not in names:
        names = ["torch"] + names  # the reference of the ratio
    print(f"\nbackends: dense part (backbone+heads+depth trunk) and whole estimate on a real {rgb.shape[1]}x"
          f"{rgb.shape[0]} frame; runtime on {threads} threads, torch's decode then on 1; median [p10-p90] ms")
    print(f"{'backend':>14} | {'input':>7} | {'dense part':>22} | {'whole estimate':>22} | vs torch | people | "
          f"max |d joints3d| vs eager")
    for size in SIZES:
        set_threads(threads)
        reference = PoseEstimator(net, size, compiled=False).estimate(rgb, camera)
        torch_ms = None
        for name in names:
            set_threads(torch_threads(name, threads))
            est = PoseEstimator(net, size, backend=name, threads=threads)
            poses = est.estimate(rgb, camera)
            whole = time_ms(lambda: est.estimate(rgb, camera), repeats, warmup=3)
            x = est.preprocess(cv2.resize(rgb, size), Camera.default_for(*size))[0]
            dense_fn = _torch_dense(net, size) if name == "torch" else create_dense_runner(name, net, size, threads)
            with torch.inference_mode():
                dense = time_ms(lambda: dense_fn(x), repeats, warmup=3)
            torch_ms = np.median(whole) if name == "torch" else torch_ms
            diff = (f"{np.abs(poses.joints3d - reference.joints3d).max() * 1000:.3f} mm"
                    if len(poses) == len(reference) else f"{len(poses)} vs {len(reference)} people")
            print(f"{name:>14} | {size[0]}x{size[1]} | {summary(dense):>22} | {summary(whole):>22} | "
                  f"{np.median(whole) / torch_ms:8.2f} | {len(poses):>6} | {diff}")
        set_threads(threads)


def _torch_dense(net, size):
    """The dense part as the torch backend runs it: frozen TorchScript, channels_last."""
    from drm_ros.compiled import compile_network

    return compile_network(net.to(memory_format=torch.channels_last), size)
