"""Inference runtimes for the dense part of the network (backbone + heads + depth trunk).

    backend        runs the dense part with                    picked by `auto`
    torch          TorchScript of the whole pipeline (compiled.py)   last
    openvino       OpenVINO, fp32 (INFERENCE_PRECISION_HINT=f32)     first
    onnxruntime    ONNX Runtime, fp32, non-spinning threads          second
    openvino-bf16  OpenVINO in bf16: faster, depths move (1)          never: an explicit choice
    onnxruntime-int8  ONNX Runtime, backbone int8 (int8.py)          never: an explicit choice
    openvino-int8  OpenVINO running that same int8 QDQ model         never: an explicit choice
    (1) measured in docs/measured.md, "Inference backends"

For every backend but torch the dense part is exported once per (weights, input size) to ONNX
(onnx_cache.py) and the rest -- 2D decode, PDQM sampling, depth MLP -- stays in torch
(`DRMNet.decode`), one code path for all of them. The int8 backends quantize that export once
more (onnxruntime.quantization, needs onnxruntime even for openvino-int8). No ROS here.
"""
from __future__ import annotations

import importlib.util

from drm_ros.backends.base import BackendError, DenseRunner

BACKENDS = ("torch", "openvino", "onnxruntime", "openvino-bf16", "onnxruntime-int8", "openvino-int8")
CHOICES = ("auto",) + BACKENDS
AUTO_ORDER = ("openvino", "onnxruntime", "torch")  # fastest first, as measured (docs/measured.md, logs/bench_backends.log)
# what each backend imports; the int8 ones also need onnxruntime's quantizer
_RUNTIME_PACKAGES = {"openvino": ("openvino",), "openvino-bf16": ("openvino",), "onnxruntime": ("onnxruntime",),
                     "onnxruntime-int8": ("onnxruntime",), "openvino-int8": ("openvino", "onnxruntime")}
EXPORT_PACKAGES = ("onnx", "onnxscript")  # torch.onnx.export(dynamo=True) needs both


def _installed(package: str) -> bool:
    return importlib.util.find_spec(package) is not None


def missing_packages(backend: str) -> list[str]:
    """What `backend` needs that is not installed (empty: it can run)."""
    if backend == "torch":
        return []
    return [p for p in _RUNTIME_PACKAGES[backend] + EXPORT_PACKAGES if not _installed(p)]


def resolve(name: str) -> str:
    """A backend choice -> the backend to run. `auto` = the fastest one installed; a backend named
    explicitly but not installed is one clear error (never a silent fallback)."""
    if name == "auto":
        return next(b for b in AUTO_ORDER if not missing_packages(b))
    if name not in BACKENDS:
        raise BackendError(f"backend must be one of {', '.join(CHOICES)}, got {name!r}")
    missing = missing_packages(name)
    if missing:
        raise BackendError(f"backend {name!r} needs the Python package(s) {', '.join(missing)}, which are not "
                           f"installed (pip install them, or choose backend auto or torch)")
    return name


def torch_threads(backend: str, threads: int) -> int:
    """Threads for torch itself. With a runtime running the dense part on `threads` cores, torch
    keeps only the small decode and runs it on one thread, so the two never fight for the cores
    (two torch threads next to a busy runtime were the p90 spikes of EXPERIMENTS.md)."""
    return threads if backend == "torch" else 1


def create_dense_runner(backend: str, net, input_size: tuple[int, int], threads: int) -> DenseRunner:
    """The dense part of `net` at one input size on a runtime backend (not torch)."""
    if backend in ("openvino", "openvino-bf16", "openvino-int8"):
        from drm_ros.backends.openvino_backend import OpenVINORunner

        return OpenVINORunner(net, input_size, threads, bf16=backend == "openvino-bf16",
                              int8=backend == "openvino-int8")
    if backend in ("onnxruntime", "onnxruntime-int8"):
        from drm_ros.backends.onnxruntime_backend import OnnxRuntimeRunner

        return OnnxRuntimeRunner(net, input_size, threads, int8=backend == "onnxruntime-int8")
    raise BackendError(f"no dense runner for backend {backend!r}")


__all__ = ["BACKENDS", "CHOICES", "BackendError", "DenseRunner", "create_dense_runner", "missing_packages",
           "resolve", "torch_threads"]
