"""`drm bench bound`: how far the default model is from this CPU's compute bound, where the time
goes (profiler), and what the cheap wins buy (threads, inference_mode, channels_last,
TorchScript freeze, input size), all measured side by side in one run."""
from __future__ import annotations

import numpy as np
import torch

from drm_ros.bench.model import load_default_net
from drm_ros.bench.timing import count_flops, set_threads, summary, time_ms
from drm_ros.export import example_camera, trace


def peak_gflops(threads: int, n: int = 2048, repeats: int = 10) -> float:
    """Measured float32 matmul throughput with `threads` threads (the practical peak)."""
    set_threads(threads)
    a, b = torch.randn(n, n), torch.randn(n, n)
    ms = time_ms(lambda: a @ b, repeats, warmup=2)
    return 2 * n**3 / (np.median(ms) / 1000) / 1e9


def cost_centres(net, x, top: int = 8) -> list[tuple[str, float]]:
    from torch.profiler import ProfilerActivity, profile

    cam = example_camera((x.shape[-1], x.shape[-2]))
    with torch.inference_mode():
        for _ in range(3):
            net(x, cam)
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            for _ in range(5):
                net(x, cam)
    rows = sorted(prof.key_averages(), key=lambda e: e.self_cpu_time_total, reverse=True)
    total = sum(e.self_cpu_time_total for e in rows)
    return [(e.key, 100 * e.self_cpu_time_total / total) for e in rows[:top]]


def run(threads: int = 2, repeats: int = 20) -> None:
    net, name = load_default_net()
    w, h = 384, 288
    x = torch.rand(1, 3, h, w) * 255
    cam = example_camera((w, h))  # the network's second input (a ray lifter reads it), made once
    set_threads(threads)
    flops = count_flops(lambda: net(x, cam))
    peak = peak_gflops(threads)
    bound_ms = flops / (peak * 1e9) * 1000
    print(f"model: {name}, input {w}x{h}, {threads} threads")
    print(f"forward FLOPs: {flops / 1e9:.3f} G; measured peak (2048^2 float32 matmul): {peak:.1f} GFLOP/s; "
          f"FLOP bound: {bound_ms:.1f} ms")

    set_threads(threads)
    variants = {}
    with torch.no_grad():
        variants["eager, no_grad"] = time_ms(lambda: net(x, cam), repeats)
    with torch.inference_mode():
        variants["eager, inference_mode"] = time_ms(lambda: net(x, cam), repeats)
        net_cl = net.to(memory_format=torch.channels_last)
        x_cl = x.contiguous(memory_format=torch.channels_last)
        variants["eager, channels_last"] = time_ms(lambda: net_cl(x_cl, cam), repeats)
        net.to(memory_format=torch.contiguous_format)
    traced = trace(net, (w, h))
    with torch.inference_mode():
        variants["TorchScript trace+freeze"] = time_ms(lambda: traced(x, cam), repeats)
    # what PoseEstimator runs: the trace of the channels_last network
    traced_cl = trace(net.to(memory_format=torch.channels_last), (w, h))
    net.to(memory_format=torch.contiguous_format)
    x_cl = x.contiguous(memory_format=torch.channels_last)
    with torch.inference_mode():
        variants["TorchScript + channels_last"] = time_ms(lambda: traced_cl(x_cl, cam), repeats)
    set_threads(1)
    with torch.inference_mode():
        variants["TorchScript, 1 thread"] = time_ms(lambda: traced(x, cam), repeats)
    set_threads(threads)
    print(f"\n{'variant':<28} | {'ms median [p10-p90]':>22} | measured/bound")
    for k, v in variants.items():
        print(f"{k:<28} | {summary(v):>22} | {np.median(v) / bound_ms:6.2f}")

    print("\ncost centres (profiler, self CPU time, eager inference_mode):")
    for key, pct in cost_centres(net, x):
        print(f"  {pct:5.1f} %  {key}")
    print("\ninput size (TorchScript): the main recall-versus-speed lever")
    for size in [(256, 192), (320, 256), (384, 288), (512, 384)]:
        t = trace(net, size)
        xi = torch.rand(1, 3, size[1], size[0]) * 255
        cam_i = example_camera(size)
        with torch.inference_mode():
            ms = time_ms(lambda: t(xi, cam_i), repeats)
        f = count_flops(lambda: net(xi, cam_i))
        print(f"  {size[0]}x{size[1]}: {summary(ms)} ms, {f / 1e9:.2f} GFLOPs, measured/bound "
              f"{np.median(ms) / (f / (peak * 1e9) * 1000):.2f}")
