"""TorchScript export of the inference path (network + 2D decode + depth read-out) for a fixed
input size. The traced module maps (1, 3, H, W) float RGB 0..255 to
(score, joints, joint_score, log_depth, dz, lift_joints) exactly like `DRMNet.forward`; lifting to 3D with the
camera stays in Python (`codec.lift_to_3d`), since it needs the per-frame CameraInfo."""
from __future__ import annotations

import warnings
from pathlib import Path

import torch

from drm_ros.camera import Camera, Letterbox
from drm_ros.network import DRMNet


def example_camera(input_size: tuple[int, int], device="cpu") -> torch.Tensor:
    """(1, 4) network intrinsics of `Camera.default_for` at the input size: the second input of a
    traced network (benchmarks, examples); real use passes each image's own (PoseEstimator)."""
    w, h = input_size
    camera = Camera.default_for(w, h)
    return torch.tensor(Letterbox.fit(w, h, w, h).network_intrinsics(camera), dtype=torch.float32, device=device)[None]


def trace_graph(net: DRMNet, input_size: tuple[int, int]) -> torch.jit.ScriptModule:
    """The unfrozen trace: a graph reading the weights as module attributes. Each call leaves a
    few MB of graph in PyTorch's process-wide compilation unit for good (drm_ros/compiled.py).
    Inputs: the image and the input's intrinsics (`example_camera`; unused by a network whose
    lifter does not read rays)."""
    w, h = input_size
    device = next(net.parameters()).device
    image = (torch.rand(1, 3, h, w, device=device) * 255).contiguous(memory_format=torch.channels_last)
    example = (image, example_camera(input_size, device))
    with torch.inference_mode(False), torch.no_grad(), warnings.catch_warnings():
        # the decode's shape arithmetic (top-K size, kernel width) is constant for a fixed input
        # size, which is exactly what tracing at that size records
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        return torch.jit.trace(net.eval(), example, check_trace=False)


def trace(net: DRMNet, input_size: tuple[int, int]) -> torch.jit.ScriptModule:
    """Trace + freeze (weights folded in as constants), for export and the benchmarks. Not for
    code that builds many: each call keeps its memory for the life of the process; the estimator
    uses drm_ros.compiled instead."""
    with torch.inference_mode(False), torch.no_grad():
        return torch.jit.freeze(trace_graph(net, input_size))


def export(net: DRMNet, input_size: tuple[int, int], out: str | Path) -> Path:
    out = Path(out)
    trace(net, input_size).save(str(out))
    return out
