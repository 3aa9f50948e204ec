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
    """Rows per backend and input size. torch runs twice: on `threads` threads (the reference of
    the ratio) and on one (how it fares when the cores are contended)."""
    rgb, camera = real_frame()
    names = [b for b in (names or BACKENDS) if not missing_packages(b) and b != "torch"]
    rows = [("torch", "torch", threads)] + ([("torch", "torch 1 thread", 1)] if threads > 1 else [])
    rows += [(b, b, threads) for b in names]
    print(f"\nbackends: dense part (backbone+heads+depth trunk) and whole estimate on a real {rgb.shape[1]}x"
          f"{rgb.shape[0]} frame; runtime on {threads} threads, torch's decode then on 1; median [p10-p90] ms")
    print(f"{'backend':>14} | {'input':>7} | {'dense part':>22} | {'whole estimate':>22} | vs torch | people | "
          f"max |d joints3d| vs torch eager")
    for size in SIZES:
        set_threads(threads)
        reference = PoseEstimator(net, size, compiled=False).estimate(rgb, camera)
        torch_ms = None
        for name, label, n in rows:
            set_threads(torch_threads(name, n))
            est = PoseEstimator(net, size, backend=name, threads=n)
            poses = est.estimate(rgb, camera)
            whole = time_ms(lambda: est.estimate(rgb, camera), repeats, warmup=3)
            x = est.preprocess(cv2.resize(rgb, size), Camera.default_for(*size))[0]
            dense_fn = _torch_dense(net, size) if name == "torch" else create_dense_runner(name, net, size, n)
            with torch.inference_mode():
                dense = time_ms(lambda: dense_fn(x), repeats, warmup=3)
            torch_ms = torch_ms or np.median(whole)
            print(f"{label:>14} | {size[0]}x{size[1]} | {summary(dense):>22} | {summary(whole):>22} | "
                  f"{np.median(whole) / torch_ms:8.2f} | {len(poses):>6} | {_max_difference(poses, reference)}",
                  flush=True)
        set_threads(threads)
    run_interleaved(net, threads, repeats, rows)
    run_thread_split(net, threads, repeats, names)


def run_interleaved(net, threads: int, repeats: int, rows) -> None:
    """The dense parts again, round robin (one call of each in turn), so that every backend sees
    the same load of a shared machine: the fairest ranking one noisy run can give."""
    import time

    print(f"\ninterleaved: dense part only, backends called in turn, {repeats} rounds after 3; median [p10-p90] ms")
    for size in SIZES:
        x = (torch.rand(1, 3, size[1], size[0]) * 255).contiguous(memory_format=torch.channels_last)
        fns = {}
        for name, label, n in rows:
            fn = _torch_dense(net, size) if name == "torch" else create_dense_runner(name, net, size, n)
            fns[label] = (name, n, fn)
        times = {label: [] for label in fns}
        with torch.inference_mode():
            for i in range(repeats + 3):
                for label, (name, n, fn) in fns.items():
                    set_threads(torch_threads(name, n))
                    t = time.perf_counter()
                    fn(x)
                    if i >= 3:
                        times[label].append((time.perf_counter() - t) * 1000)
        set_threads(threads)
        print("  " + f"{size[0]}x{size[1]}: " + "; ".join(f"{label} {summary(np.array(ms)).strip()}"
                                                        for label, ms in times.items()), flush=True)


def run_thread_split(net, threads: int, repeats: int, names: list[str]) -> None:
    """Whole estimates with the runtime on `threads` threads and torch's decode on 1 vs on
    `threads` (backends.torch_threads picks 1), called in turn: which split fights less."""
    import time

    if threads < 2:
        return
    rgb, camera = real_frame()
    print(f"\nthreads: whole estimate, runtime on {threads} threads, torch's decode on 1 vs {threads}, called in "
          f"turn, {repeats} rounds after 3; median [p10-p90] ms")
    for size in SIZES:
        parts = []
        for name in names:
            est = PoseEstimator(net, size, backend=name, threads=threads)
            times = {1: [], threads: []}
            with torch.inference_mode():
                for i in range(repeats + 3):
                    for n in times:
                        set_threads(n)
                        t = time.perf_counter()
                        est.estimate(rgb, camera)
                        if i >= 3:
                            times[n].append((time.perf_counter() - t) * 1000)
            parts.append(f"{name}: torch 1 thread {summary(np.array(times[1])).strip()}, "
                         f"{threads} threads {summary(np.array(times[threads])).strip()}")
        set_threads(threads)
        print(f"  {size[0]}x{size[1]}: " + "; ".join(parts), flush=True)


def _torch_dense(net, size):
    """The dense part as the torch backend runs it: frozen TorchScript, channels_last."""
    from drm_ros.compiled import compile_network

    return compile_network(net.to(memory_format=torch.channels_last), size)


def _max_difference(poses, reference) -> str:
    """Largest 3D joint difference over people paired by their 2D joints (a backend whose scores
    differ slightly may list the same people in another order)."""
    if len(poses) != len(reference):
        return f"{len(poses)} vs {len(reference)} people"
    if len(poses) == 0:
        return "nobody found"
    d2 = np.linalg.norm(poses.joints2d[:, None] - reference.joints2d[None], axis=-1).mean(-1)
    pairs = d2.argmin(1)
    if len(set(pairs.tolist())) != len(pairs):
        return "people do not pair up"
    d3 = np.abs(poses.joints3d - reference.joints3d[pairs]).max()
    root = np.abs(poses.roots[:, 2] / reference.roots[pairs, 2] - 1).max()
    return f"{d3 * 1000:.3f} mm (root depth {100 * root:.2f} %)"
