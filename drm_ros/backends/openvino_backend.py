"""OpenVINO (CPU plugin) running the exported dense part.

fp32 by default: on this CPU (AVX-512 BF16) a plain compile_model runs bf16, which moved root
depths by up to 3.3 % (EXPERIMENTS.md); INFERENCE_PRECISION_HINT=f32 gives torch's outputs.
bf16 only when asked for (backend openvino-bf16). One stream, LATENCY hint: one frame at a time,
all `threads` cores on it. With int8, it reads the QDQ model of int8.py and runs its quantized
convolutions in int8 (the fp32 remainder at the f32 hint)."""
from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from drm_ros.backends import int8 as int8_model
from drm_ros.backends import onnx_cache
from drm_ros.backends.base import DenseRunner


_CORE = None
_CORE_LOCK = threading.Lock()


def _core():
    """One OpenVINO Core shared by every runner of the process (OpenVINO's advice: one Core per
    application), not a new one with its own plugin instances at every node configure."""
    global _CORE
    with _CORE_LOCK:
        if _CORE is None:
            import openvino as ov

            _CORE = ov.Core()
        return _CORE


class OpenVINORunner(DenseRunner):
    def __init__(self, net, input_size: tuple[int, int], threads: int, bf16: bool = False, int8: bool = False):
        self.input_size = tuple(input_size)
        self.threads = int(threads)
        self.precision = "bf16" if bf16 else "f32"
        load_or_build = int8_model.load_or_quantize if int8 else onnx_cache.load_or_export
        self.compiled = load_or_build(net, self.input_size, self._load)
        self.request = self.compiled.create_infer_request()

    def _load(self, path: Path):
        core = _core()
        model = core.read_model(str(path))
        onnx_cache.check_io({p.get_any_name(): tuple(p.get_partial_shape().to_shape()) for p in model.inputs},
                            [p.get_any_name() for p in model.outputs], self.input_size)
        return core.compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": self.precision,
                                                 "INFERENCE_NUM_THREADS": self.threads,
                                                 "PERFORMANCE_HINT": "LATENCY", "NUM_STREAMS": 1})

    def _run(self, image: np.ndarray) -> list[np.ndarray]:
        self.request.infer({0: image}, share_inputs=True)
        # copies: the request's buffers are overwritten by the next frame
        return [self.request.get_output_tensor(i).data.copy() for i in range(len(self.compiled.outputs))]
