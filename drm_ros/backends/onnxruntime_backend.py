"""ONNX Runtime (CPU) running the exported dense part: fp32, or the int8 QDQ model of int8.py.

Its intra-op threads do not spin (`session.intra_op.allow_spinning=0`): spinning threads waiting
for work took the cores from torch's decode and the node's other threads, p90 50-70 ms against
20-31 ms (EXPERIMENTS.md, "Inference runtimes on this CPU")."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from drm_ros.backends import int8 as int8_model
from drm_ros.backends import onnx_cache
from drm_ros.backends.base import DenseRunner


class OnnxRuntimeRunner(DenseRunner):
    def __init__(self, net, input_size: tuple[int, int], threads: int, int8: bool = False):
        import onnxruntime as ort

        self.input_size = tuple(input_size)
        self._ort = ort
        self.threads = int(threads)
        load_or_build = int8_model.load_or_quantize if int8 else onnx_cache.load_or_export
        self.session = load_or_build(net, self.input_size, self._load)

    def _load(self, path: Path):
        ort = self._ort
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3  # errors only
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        onnx_cache.check_io({i.name: tuple(i.shape) for i in session.get_inputs()},
                            [o.name for o in session.get_outputs()], self.input_size)
        return session

    def _run(self, image: np.ndarray) -> list[np.ndarray]:
        return self.session.run(None, {"image": image})
