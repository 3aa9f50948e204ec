"""The dense part quantized to int8 by ONNX Runtime's static quantization, cached next to its
fp32 export.

Recipe (issue 12: an int8 model with default settings everywhere found extra people and moved
root depths by up to 25 %): QDQ format, weights int8 per output channel, activations uint8
(the u8s8 pair that VNNI runs), MinMax ranges from the committed calibration frames
(model/int8_calibration/: 9 real vtest.avi frames outside the evaluation range, 4 renders of a
training split; tools/make_int8_calibration.py). Only the MobileNet blocks of the backbone are
quantized; its stem and feature pyramid, the heads and the depth trunk stay fp32: quantizing the
whole backbone moved joints 3.5 px (median) and root depths 7.5 % (median) on real frames, the
blocks alone 0.6 px and 1.0 % (tools/int8_detections.py, docs/measured.md). The file name holds the fp32 key, "int8", the recipe and the calibration set's hash, so a
new model, size, recipe or calibration set never reuses a stale file.
"""
from __future__ import annotations

import hashlib
import logging
import tempfile
from pathlib import Path
from typing import Callable, TypeVar

import numpy as np

from drm_ros.backends import onnx_cache
from drm_ros.backends.base import BackendError
from drm_ros.network import DRMNet
from drm_ros.paths import share_dir

# recipe name -> (module scopes quantized, calibration method); every other node stays fp32
RECIPES = {
    "backbone": (("backbone",), "MinMax"),
    "blocks": (("backbone.blocks",), "MinMax"),
}
RECIPE = "blocks"
T = TypeVar("T")


def calibration_files() -> list[Path]:
    files = sorted((share_dir() / "model" / "int8_calibration").glob("*.jpg"))
    if not files:
        raise BackendError(f"int8 backends need the calibration frames in {share_dir() / 'model' / 'int8_calibration'}, "
                           f"found none")
    return files


def calibration_hash(files: list[Path]) -> str:
    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def int8_path(net: DRMNet, input_size: tuple[int, int], recipe: str | None = None) -> Path:
    recipe = recipe or RECIPE
    fp32 = onnx_cache.onnx_path(net, input_size)
    tag = hashlib.sha256(f"qdq-u8s8-perchannel:{recipe}:{RECIPES[recipe]}:{calibration_hash(calibration_files())}"
                         .encode()).hexdigest()[:12]
    return fp32.with_name(f"{fp32.stem}-int8-{tag}.onnx")


def calibration_inputs(input_size: tuple[int, int]) -> list[np.ndarray]:
    """The calibration frames as the estimator feeds them: letterboxed to the input size, (1, 3, H, W)
    float RGB 0..255."""
    from drm_ros.camera import Letterbox
    from drm_ros.imageio import read_rgb

    out = []
    for f in calibration_files():
        rgb = read_rgb(f)
        box = Letterbox.fit(rgb.shape[1], rgb.shape[0], *input_size)
        out.append(np.ascontiguousarray(box.apply(rgb).transpose(2, 0, 1)[None], dtype=np.float32))
    return out


def fp32_nodes(model_path: Path, int8_scopes: tuple[str, ...]) -> list[str]:
    """Names of the nodes exported from outside `int8_scopes` (the dynamo exporter records each
    node's module path in its metadata, e.g. ['', 'backbone', 'backbone.stem', 'conv2d'])."""
    import ast

    import onnx

    names, quantized = [], 0
    for node in onnx.load(str(model_path), load_external_data=False).graph.node:
        text = next((p.value for p in node.metadata_props if p.key == "pkg.torch.onnx.name_scopes"), "[]")
        scopes = ast.literal_eval(text)
        if any(s == p or s.startswith(p + ".") for s in scopes for p in int8_scopes):
            quantized += 1
        else:
            names.append(node.name)
    if not quantized:
        raise BackendError(f"no node of {model_path.name} comes from the scopes {int8_scopes}: nothing to quantize")
    return names


class _Frames:
    """onnxruntime's CalibrationDataReader protocol: get_next() -> one input dict, None at the end."""

    def __init__(self, inputs: list[np.ndarray]):
        self._it = iter(inputs)

    def get_next(self):
        x = next(self._it, None)
        return None if x is None else {"image": x}


def quantize_bytes(net: DRMNet, input_size: tuple[int, int], recipe: str | None = None) -> bytes:
    recipe = recipe or RECIPE
    try:
        import onnxruntime.quantization  # noqa: F401
    except ImportError as exc:
        raise BackendError(f"int8 quantization needs onnxruntime: {exc}") from exc
    fp32 = onnx_cache.ensure_onnx(net, input_size)
    scopes, method = RECIPES[recipe]
    # the quantizer advises pre-processing on the root logger at every call; our graph is already
    # optimised by the exporter, so that advice is noise in the node's log
    advice = _DropQuantizerAdvice()
    logging.getLogger().addFilter(advice)
    try:
        return _quantize(fp32, input_size, scopes, method)
    finally:
        logging.getLogger().removeFilter(advice)


class _DropQuantizerAdvice(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "pre-processing" not in record.getMessage()


def _quantize(fp32: Path, input_size: tuple[int, int], scopes: tuple[str, ...], method: str) -> bytes:
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static

    with tempfile.TemporaryDirectory(prefix="drm_int8_") as tmp:
        out = Path(tmp) / "int8.onnx"
        quantize_static(str(fp32), str(out), _Frames(calibration_inputs(input_size)),
                        quant_format=QuantFormat.QDQ, per_channel=True, activation_type=QuantType.QUInt8,
                        weight_type=QuantType.QInt8, calibrate_method=getattr(CalibrationMethod, method),
                        nodes_to_exclude=fp32_nodes(fp32, scopes),
                        extra_options={"CalibTensorRangeSymmetric": False})
        return out.read_bytes()


def ensure_int8(net: DRMNet, input_size: tuple[int, int], recipe: str | None = None) -> Path:
    recipe = recipe or RECIPE
    path = int8_path(net, input_size, recipe)
    if not path.is_file():
        onnx_cache.write_atomic(path, quantize_bytes(net, input_size, recipe))
    return path


def load_or_quantize(net: DRMNet, input_size: tuple[int, int], load: Callable[[Path], T]) -> T:
    """`load(path)` of the cached int8 file; one that cannot be loaded is quantized again, with one
    log line (as onnx_cache.load_or_export does for the fp32 file)."""
    return onnx_cache.load_or_rebuild(ensure_int8(net, input_size), lambda: quantize_bytes(net, input_size), load,
                                      "int8 ONNX file", "quantizing")
