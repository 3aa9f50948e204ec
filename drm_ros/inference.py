"""`PoseEstimator`: image + the camera that took it -> PoseSet. The one inference path, used by
`drm infer`, `drm eval`, the ROS node and the benchmarks."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from drm_ros.camera import Camera, CameraError, Letterbox
from drm_ros.checkpoint import load_model
from drm_ros.codec import lift_to_3d
from drm_ros.network import DRMNet
from drm_ros.paths import DEFAULT_MODEL, model_path
from drm_ros.poses import PoseSet

INPUT_MULTIPLE = 32
# minimum person confidence of a published skeleton: the node's `score_threshold` default and
# every CLI's. 0.17 (0.2 before that study): more people found on both synthetic test splits and on
# lit vtest frames at a small cost in false people (docs/measured.md "The person threshold", model card lever 5)
SCORE_THRESHOLD = 0.17


class ImageError(ValueError):
    """An image the estimator cannot use (wrong shape/dtype, size disagreeing with the camera)."""


def check_input_size(size) -> tuple[int, int]:
    w, h = (int(v) for v in size)
    if w <= 0 or h <= 0 or w % INPUT_MULTIPLE or h % INPUT_MULTIPLE:
        raise ValueError(f"input size must be positive multiples of {INPUT_MULTIPLE}, got {w}x{h}")
    return w, h


class PoseEstimator:
    """`backend` (drm_ros/backends/): who runs the dense part of the network (every convolution);
    the decode after it always runs in eager torch. `torch` (the default of this class; the node
    and the CLI default to `auto`): `compiled=True` runs a frozen TorchScript trace of the dense
    part in channels_last layout for the current input size, built on first use (channels_last
    TorchScript measured 35 ms against 48 ms eager for the whole network at 384x288,
    logs/bench_bound.log). The graph is traced once per shape for the whole process and each
    estimator holds a copy for at most COMPILED_SIZES input sizes (the first pass and the zoom
    crops'), freed with it or when a further size evicts the least recently used
    (drm_ros/compiled.py: rebuilding estimators used to keep ~40 MB each for good).
    `openvino`, `onnxruntime`, `openvino-bf16`, `onnxruntime-int8`, `openvino-int8` (or `auto`: the
    fastest installed fp32 runtime) run the dense part on that runtime with `threads` threads
    (default: torch's current count); it keeps one session per input size used (the first pass
    and the zoom crops' size), at most RUNTIME_SESSIONS."""

    RUNTIME_SESSIONS = 3
    COMPILED_SIZES = 2  # ~40 MB each; two serve `passes: zoom` without a rebuild per frame

    def __init__(self, net: DRMNet, input_size: tuple[int, int], score_threshold: float = SCORE_THRESHOLD,
                 device: str = "cpu", compiled: bool = True, backend: str = "torch", threads: int | None = None):
        from drm_ros.backends import resolve

        self.backend = resolve(backend)
        if self.backend != "torch" and torch.device(device).type != "cpu":
            raise ValueError(f"backend {self.backend} runs on the CPU; device {device} needs backend torch")
        self.threads = int(threads or torch.get_num_threads())
        self._runners: dict[tuple[int, int], object] = {}  # input size -> dense runner, oldest first
        self.device = torch.device(device)
        self.net = net.to(self.device).eval()
        self.input_size = check_input_size(input_size)
        self.score_threshold = float(score_threshold)
        self.max_persons = net.config.max_persons
        self.compiled = compiled
        # input size -> frozen TorchScript copy, oldest first: the zoom passes alternate two sizes
        # per frame, and rebuilding a copy at each switch cost seconds (issue 15)
        self._compiled: dict[tuple[int, int], torch.jit.ScriptModule] = {}

    @classmethod
    def from_file(cls, path: str | Path | None = None, input_size=None, device: str = "cpu",
                  score_threshold: float = SCORE_THRESHOLD, compiled: bool = True, backend: str = "torch",
                  threads: int | None = None) -> "PoseEstimator":
        """Load a model file (default: the shipped model); input_size (W, H) defaults to the
        size the model was trained at."""
        net, info = load_model(path or model_path(DEFAULT_MODEL))
        return cls(net, tuple(input_size or info["input_size"]), score_threshold, device, compiled, backend, threads)

    def preprocess(self, image_rgb: np.ndarray, camera: Camera) -> tuple[torch.Tensor, Letterbox]:
        if not isinstance(image_rgb, np.ndarray) or image_rgb.dtype != np.uint8 or image_rgb.ndim != 3 \
                or image_rgb.shape[2] != 3:
            shape = getattr(image_rgb, "shape", None)
            raise ImageError(f"expected an RGB uint8 image (H, W, 3), got {getattr(image_rgb, 'dtype', type(image_rgb))} {shape}")
        h, w = image_rgb.shape[:2]
        if (w, h) != (camera.width, camera.height):
            raise CameraError(f"camera calibration is for {camera.width}x{camera.height} but the image is {w}x{h}")
        box = Letterbox.fit(w, h, *self.input_size)
        x = torch.from_numpy(box.apply(image_rgb)).to(self.device)
        # HWC uint8 -> NCHW float viewed channels_last: the layout the convolutions run fastest in
        return x.permute(2, 0, 1)[None].float().contiguous(memory_format=torch.channels_last), box

    def _network(self):
        """The callable network for the current input size: the dense part on the backend, then
        `DRMNet.decode` in eager torch for every backend, over only the people who can reach the
        score threshold (exact: codec.decode_2d). The decode in TorchScript had to run all
        max_persons slots (fixed shapes): 15 against 6 ms at 512x384 (logs/bench_decode.log)."""
        self.net.config.max_persons = self.max_persons
        dense = self._dense()
        return lambda x, camera_net: self.net.decode(*dense(x), min_score=self.score_threshold, camera_net=camera_net)

    def prepare(self) -> "PoseEstimator":
        """Build the dense part for the current input size now (export, runtime session or trace)
        rather than on the first frame: the node calls it while configuring, so a backend that
        cannot run fails there, and the first frame is not seconds late."""
        self._dense()
        return self

    def _dense(self):
        if self.backend != "torch":
            return self._runtime_dense()
        if not self.compiled:
            return self.net.dense
        module = self._compiled.pop(self.input_size, None)
        if module is None:
            from drm_ros.compiled import compile_network, release_memory

            evicted = False
            while len(self._compiled) >= self.COMPILED_SIZES:
                self._compiled.pop(next(iter(self._compiled)))  # least recently used: free it first
                evicted = True
            if evicted:
                release_memory()
            self.net.to(memory_format=torch.channels_last)
            module = compile_network(self.net, self.input_size)
        self._compiled[self.input_size] = module  # most recently used last
        return module

    def _runtime_dense(self):
        runner = self._runners.pop(self.input_size, None)
        if runner is None:
            from drm_ros.backends import create_dense_runner

            while len(self._runners) >= self.RUNTIME_SESSIONS:
                self._runners.pop(next(iter(self._runners)))  # least recently used
            runner = create_dense_runner(self.backend, self.net, self.input_size, self.threads)
        self._runners[self.input_size] = runner  # most recently used last
        return runner

    @torch.inference_mode()
    def estimate(self, image_rgb: np.ndarray, camera: Camera) -> PoseSet:
        x, box = self.preprocess(image_rgb, camera)
        camera_net = torch.tensor(box.network_intrinsics(camera), dtype=torch.float32, device=self.device)[None]
        score, joints, joint_score, log_depth, dz, lift_joints = (t[0].cpu().numpy() for t in self._network()(x, camera_net))
        keep = np.flatnonzero(score >= self.score_threshold)
        keep = keep[np.argsort(-score[keep], kind="stable")]
        return lift_to_3d(joints[keep], joint_score[keep], score[keep], log_depth[keep], dz[keep], box, camera,
                          lift_joints[keep])
