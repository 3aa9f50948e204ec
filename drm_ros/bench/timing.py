"""Timing helpers shared by the benchmarks."""
from __future__ import annotations

import time

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode


def time_ms(fn, repeats: int = 20, warmup: int = 10) -> np.ndarray:
    """Wall times (ms) of `fn()` after warm-up (TorchScript optimises during its first runs)."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return np.array(out)


def summary(ms: np.ndarray) -> str:
    """median [p10-p90]"""
    return f"{np.median(ms):7.1f} [{np.percentile(ms, 10):.1f}-{np.percentile(ms, 90):.1f}]"


def count_flops(fn) -> int:
    """FLOPs (multiply-add = 2) of one call, by torch's flop counter (convs, matmuls)."""
    with torch.inference_mode(), FlopCounterMode(display=False) as counter:
        fn()
    return int(counter.get_total_flops())


def set_threads(n: int) -> None:
    torch.set_num_threads(n)
