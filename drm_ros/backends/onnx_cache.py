"""The dense part of a network as an ONNX file, exported once per (weights, input size) and kept
in a cache directory (onnx/ under $DRM_CACHE_DIR, else $XDG_CACHE_HOME/drm_ros, else ~/.cache/drm_ros).

The key is the sha256 of the dense part's weights and architecture plus the exporter's version,
so another model, a retrained one or a new torch never reuses a stale file. Files are written to
a temporary name and renamed into place (atomic: a reader never sees half a file, two processes
exporting at once both end with a whole one). A file a runtime cannot load is re-exported once,
with one log line (`load_or_export`).
"""
from __future__ import annotations

import copy
import hashlib
import json
import logging
import os
import tempfile
import warnings
from pathlib import Path
from typing import Callable, TypeVar

import torch

from drm_ros.backends.base import BackendError
from drm_ros.network import DENSE_OUTPUTS, DRMNet

OPSET = 18  # the dynamo exporter's native opset; measured to export this network without fallbacks
log = logging.getLogger("drm_ros.backends")
T = TypeVar("T")


def cache_dir() -> Path:
    """Where the ONNX files go: onnx/ in drm_ros's cache directory (others keep e.g. movenet/ there)."""
    if os.environ.get("DRM_CACHE_DIR"):
        return Path(os.environ["DRM_CACHE_DIR"]) / "onnx"
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "drm_ros" / "onnx"


def dense_key(net: DRMNet) -> str:
    """sha256 of everything the dense graph depends on: its weights (names, shapes, bytes), the
    network config and the exporter (torch version, opset). Not max_persons: the decode's top-K,
    which the estimator changes at run time, is not in the graph."""
    config = {k: v for k, v in net.config.to_dict().items() if k != "max_persons"}
    h = hashlib.sha256()
    h.update(json.dumps({"config": config, "torch": torch.__version__, "opset": OPSET}, sort_keys=True).encode())
    for name, tensor in sorted(net.state_dict().items()):
        if name.split(".")[0] not in ("backbone", "heads", "depth_trunk"):
            continue  # the decode's weights (PDQM, depth MLP) stay in torch
        t = tensor.detach().cpu().contiguous()
        h.update(f"{name}:{tuple(t.shape)}:{t.dtype}".encode())
        h.update(t.numpy().tobytes())
    return h.hexdigest()


def onnx_path(net: DRMNet, input_size: tuple[int, int]) -> Path:
    w, h = input_size
    return cache_dir() / f"dense-{dense_key(net)[:24]}-{w}x{h}.onnx"


def export_bytes(net: DRMNet, input_size: tuple[int, int]) -> bytes:
    """The dense part as a serialised ONNX model (torch.onnx dynamo exporter, opset 18)."""
    w, h = input_size
    # a private contiguous float copy: the caller's network may be channels_last and must not change
    dense = copy.deepcopy(net).float().to(memory_format=torch.contiguous_format).dense_part().eval()
    example = (torch.rand(1, 3, h, w) * 255,)
    quiet = logging.getLogger("torch.onnx")
    level = quiet.level
    try:
        quiet.setLevel(logging.ERROR)
        with torch.inference_mode(False), torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            program = torch.onnx.export(dense, example, dynamo=True, opset_version=OPSET, input_names=["image"],
                                        output_names=list(DENSE_OUTPUTS), verbose=False, optimize=True)
    except ImportError as exc:
        raise BackendError(f"exporting to ONNX needs the onnx and onnxscript packages: {exc}") from exc
    finally:
        quiet.setLevel(level)
    return program.model_proto.SerializeToString()


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide the cache from other users of the machine
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def ensure_onnx(net: DRMNet, input_size: tuple[int, int]) -> Path:
    """The cached ONNX file of `net`'s dense part at `input_size`, exported if not there yet."""
    path = onnx_path(net, input_size)
    if not path.is_file():
        write_atomic(path, export_bytes(net, input_size))
    return path


def load_or_export(net: DRMNet, input_size: tuple[int, int], load: Callable[[Path], T]) -> T:
    """`load(path)` of the cached file; if the runtime cannot load it (truncated, corrupt, not
    this graph), say so in one line, export it again and load the fresh file."""
    return load_or_rebuild(ensure_onnx(net, input_size), lambda: export_bytes(net, input_size), load,
                           "ONNX file", "exporting")


def load_or_rebuild(path: Path, rebuild: Callable[[], bytes], load: Callable[[Path], T], what: str, doing: str) -> T:
    """`load(path)`; a cached file the runtime cannot load is rebuilt once (`rebuild()`'s bytes,
    written atomically), with one log line, and loaded again."""
    try:
        return load(path)
    except Exception as exc:  # noqa: BLE001 - whatever the runtime raises for a bad file
        log.warning("cached %s %s cannot be loaded (%s: %s); %s it again", what, path,
                    type(exc).__name__, str(exc).splitlines()[0][:200] if str(exc) else "", doing)
    write_atomic(path, rebuild())
    return load(path)


def check_io(input_shapes: dict[str, tuple], output_names: list[str], input_size: tuple[int, int]) -> None:
    """A loaded graph must be this graph: one input 'image' of (1, 3, H, W), the dense outputs."""
    w, h = input_size
    if input_shapes != {"image": (1, 3, h, w)} or list(output_names) != list(DENSE_OUTPUTS):
        raise BackendError(f"graph has inputs {input_shapes} and outputs {output_names}, expected image "
                           f"(1, 3, {h}, {w}) -> {', '.join(DENSE_OUTPUTS)}")
