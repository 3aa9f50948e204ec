"""Compiled (TorchScript) dense parts of the network (`DRMNet.dense_part`: backbone + heads +
depth trunk; the decode after it runs eager, drm_ros/inference.py) that free their memory: one
trace per network shape for the life of the process, one private, freeable copy per user.

Why: `torch.jit.trace` registers the module types it creates, with their graphs, in PyTorch's
process-wide compilation unit, which is never emptied; `torch.jit.freeze` then folds the weights
into those graphs as constants. So every trace+freeze kept ~36-45 MB for good, and a node
reconfigured 20 times had grown by 0.8 GB (issue 16). A module read back with `torch.jit.load`
lives in a compilation unit of its own instead, which goes when the module goes, and freezing it
stays inside that unit.

So: trace once per (architecture, input size, device) -- the graph does not depend
on the weights, which it reads as module attributes -- and keep that trace serialised in
`_GRAPHS`. Each user loads its own copy, copies its own network's weights in, and freezes it. The
process grows by one trace per distinct shape (a few MB of graph that PyTorch keeps, plus the
serialised copy) and never per estimator, lifecycle cycle or size change back and forth.
"""
from __future__ import annotations

import ctypes
import io
import json
import threading
import warnings

import torch

from drm_ros.network import DRMNet

_GRAPHS: dict[tuple, bytes] = {}
_LOCK = threading.Lock()


def shape_key(net: DRMNet, input_size: tuple[int, int], device: torch.device) -> tuple:
    """Everything the traced graph depends on: the architecture, the input size and the device;
    not the weights, nor max persons (the top-K of the decode, which is not in the graph)."""
    arch = json.dumps({k: v for k, v in net.config.to_dict().items() if k != "max_persons"}, sort_keys=True)
    return type(net).__qualname__, arch, tuple(int(v) for v in input_size), str(device)


def num_graphs() -> int:
    """Distinct network shapes traced so far in this process."""
    return len(_GRAPHS)


def _serialised_graph(net: DRMNet, input_size: tuple[int, int], device: torch.device) -> bytes:
    key = shape_key(net, input_size, device)
    with _LOCK:  # the node's worker and a caller on another thread may ask at once
        blob = _GRAPHS.get(key)
        if blob is None:
            buffer = io.BytesIO()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)  # TorchScript still serves; see bench bound
                torch.jit.save(trace_dense(net, input_size), buffer)
            blob = _GRAPHS[key] = buffer.getvalue()
    return blob


def trace_dense(net: DRMNet, input_size: tuple[int, int]) -> torch.jit.ScriptModule:
    """The unfrozen trace of the dense part in channels_last layout (measured the faster layout for
    these convolutions, logs/bench_bound.log). Leaves its graph in PyTorch's compilation unit."""
    w, h = input_size
    device = next(net.parameters()).device
    example = (torch.rand(1, 3, h, w, device=device) * 255).contiguous(memory_format=torch.channels_last)
    with torch.inference_mode(False), torch.no_grad():
        return torch.jit.trace(net.dense_part().eval(), example, check_trace=False)


def compile_network(net: DRMNet, input_size: tuple[int, int]) -> torch.jit.ScriptModule:
    """A frozen TorchScript copy of `net`'s dense part (eval mode, weights as they are now) for one
    input size: image -> `DRMNet.dense`'s maps. The caller owns it: dropping it frees all of its memory."""
    device = next(net.parameters()).device
    with torch.inference_mode(False), torch.no_grad(), warnings.catch_warnings():  # callers may be in inference_mode
        warnings.simplefilter("ignore", DeprecationWarning)
        module = torch.jit.load(io.BytesIO(_serialised_graph(net, input_size, device)), map_location=device)
        weights, slots = net.dense_part().state_dict(), module.state_dict()
        if set(weights) != set(slots):  # a trace of another architecture: never run it with wrong weights
            raise RuntimeError(f"compiled graph does not fit the network: {sorted(set(weights) ^ set(slots))[:5]}")
        for name, slot in slots.items():
            slot.copy_(weights[name])
        return torch.jit.freeze(module.eval())


def release_memory() -> None:
    """Give the heap pages freed by a dropped compiled copy back to the OS (glibc's malloc_trim).
    Without it, compiled copies of different input sizes built one after another leave the
    allocator's arenas fragmented and RSS creeps up by a few MB per size change although nothing
    leaks. A no-op where the C library has no malloc_trim."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
