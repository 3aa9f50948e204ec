"""Convert the MoveNet MultiPose TFJS graph weights into a `MoveNet` state_dict, and load it.

The converter walks the graph's conv nodes, maps each to its module by node name, and checks
op type, strides, padding and fused activation against what the PyTorch module computes, so
a mismatch between graph and module is an error here rather than a silent accuracy loss.
Every float weight of the manifest must be used exactly once, and every parameter filled.
"""
from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import numpy as np
import torch

from drm_ros.backbones.movenet import HEAD_CHANNELS, MoveNet

DEFAULT_CACHE = Path.home() / ".cache" / "drm_ros" / "movenet"

_SCOPE = "StatefulPartitionedCall/"
_FPN = "center_net_mobile_net_v2fpn_feature_extractor/model_1/"
_MNV2 = _FPN + "model/"

# (node-name regex after the scope, module path template, expected activation, stride)
_CONV_RULES: tuple[tuple[str, str, str | None, int], ...] = (
    (_MNV2 + r"Conv1_relu/Relu6", "backbone.stem", "Relu6", 2),
    (_MNV2 + r"expanded_conv_depthwise/depthwise", "backbone.blocks.0.depthwise", "Relu6", None),
    (_MNV2 + r"expanded_conv_project_BN/FusedBatchNormV3", "backbone.blocks.0.project", None, 1),
    (_MNV2 + r"block_(\d+)_expand_relu/Relu6", "backbone.blocks.{0}.expand", "Relu6", 1),
    (_MNV2 + r"block_(\d+)_depthwise/depthwise", "backbone.blocks.{0}.depthwise", "Relu6", None),
    (_MNV2 + r"block_(\d+)_project_BN/FusedBatchNormV3", "backbone.blocks.{0}.project", None, 1),
    (_MNV2 + r"out_relu/Relu6", "backbone.last", "Relu6", 1),
    (_FPN + r"conv2d/BiasAdd", "backbone.lateral32", None, 1),
    (_FPN + r"conv2d_1/BiasAdd", "backbone.lateral16", None, 1),
    (_FPN + r"conv2d_2/BiasAdd", "backbone.lateral8", None, 1),
    (_FPN + r"conv2d_3/BiasAdd", "backbone.lateral4", None, 1),
    (_FPN + r"separable_conv2d/separable_conv2d/depthwise", "backbone.smooth16.depthwise", None, 1),
    (_FPN + r"re_lu/Relu", "backbone.smooth16.pointwise", "Relu", 1),
    (_FPN + r"separable_conv2d_1/separable_conv2d/depthwise", "backbone.smooth8.depthwise", None, 1),
    (_FPN + r"re_lu_1/Relu", "backbone.smooth8.pointwise", "Relu", 1),
    (_FPN + r"separable_conv2d_2/separable_conv2d/depthwise", "backbone.smooth4.depthwise", None, 1),
    (_FPN + r"re_lu_2/Relu", "backbone.smooth4.pointwise", "Relu", 1),
    (r"(\w+)_0/separable_conv2d_\d+/separable_conv2d/depthwise", "heads.heads.{0}.depthwise", None, 1),
    (r"(\w+)_0/re_lu_\d+/Relu", "heads.heads.{0}.hidden", "Relu", 1),
    (r"(\w+)_0/conv2d_\d+/BiasAdd", "heads.heads.{0}.out", None, 1),
)
_CONV_OPS = {"_FusedConv2D", "FusedDepthwiseConv2dNative", "DepthwiseConv2dNative"}
# The input normalisation: Sub (mean), Mul (scale), Sub (offset) right after the int->float Cast.
_NORMALISATION = {"sub": "backbone.input_mean", "truediv_1": "backbone.input_scale",
                  "sub_1": "backbone.input_offset"}


class ConversionError(ValueError):
    pass


def read_weights(model_json: Path, weights_bin: Path) -> tuple[dict, dict[str, np.ndarray]]:
    """The graph JSON and its weights as float32/int32 arrays (float16 quantisation undone)."""
    graph = json.loads(Path(model_json).read_text())
    data = Path(weights_bin).read_bytes()
    arrays: dict[str, np.ndarray] = {}
    offset = 0
    for group in graph["weightsManifest"]:
        for spec in group["weights"]:
            quant = spec.get("quantization")
            stored = np.dtype(quant["dtype"] if quant else spec["dtype"])
            if quant and quant["dtype"] not in ("float16",):
                raise ConversionError(f"unsupported quantisation {quant} for {spec['name']}")
            count = int(np.prod(spec["shape"], dtype=np.int64))
            if offset + count * stored.itemsize > len(data):
                raise ConversionError(f"{weights_bin} is truncated at weight {spec['name']}")
            a = np.frombuffer(data, stored, count, offset).reshape(spec["shape"])
            offset += count * stored.itemsize
            arrays[spec["name"]] = a.astype(np.dtype(spec["dtype"]))  # fp16 -> fp32 is exact
    if offset != len(data):
        raise ConversionError(f"{weights_bin}: {len(data) - offset} bytes not described by the manifest")
    return graph, arrays


def _attr_str(node: dict, key: str) -> list[str]:
    value = node.get("attr", {}).get(key, {})
    if "list" in value:
        return [base64.b64decode(s).decode() for s in value["list"].get("s", [])]
    return [base64.b64decode(value["s"]).decode()] if "s" in value else []


def _module_for(name: str) -> tuple[str, str | None, int | None] | None:
    for pattern, target, act, stride in _CONV_RULES:
        m = re.fullmatch(pattern, name)
        if m:
            return target.format(*m.groups()), act, stride
    return None


def _to_torch_kernel(w: np.ndarray, depthwise: bool) -> np.ndarray:
    if depthwise:  # TF [kh, kw, in, mult] -> torch [in * mult, 1, kh, kw] (groups = in)
        kh, kw, cin, mult = w.shape
        return w.reshape(kh, kw, cin * mult).transpose(2, 0, 1)[:, None]
    return w.transpose(3, 2, 0, 1)  # HWIO -> OIHW


def convert(model_json: Path, weights_bin: Path, variant: str = "multipose") -> dict[str, torch.Tensor]:
    """State dict (float32) of `MoveNet(variant=variant)` from the TFJS graph files."""
    graph, arrays = read_weights(model_json, weights_bin)
    model = MoveNet(variant=variant)
    modules = dict(model.named_modules())
    expected = model.state_dict()
    state: dict[str, torch.Tensor] = {}
    used: set[str] = set()

    def put(key: str, value: np.ndarray, source: str) -> None:
        if key not in expected:
            raise ConversionError(f"{source} maps to {key}, which MoveNet does not have")
        if key in state:
            raise ConversionError(f"{key} filled twice (second time from {source})")
        t = torch.from_numpy(np.ascontiguousarray(value, dtype=np.float32))
        if t.shape != expected[key].shape:
            t = t.reshape(expected[key].shape) if t.numel() == expected[key].numel() else t
        if t.shape != expected[key].shape:
            raise ConversionError(f"{source}: shape {tuple(t.shape)} != {key} {tuple(expected[key].shape)}")
        state[key] = t
        used.add(source)

    for node in graph["modelTopology"]["node"]:
        name = node["name"].removeprefix(_SCOPE)
        if name in _NORMALISATION and node["op"] in ("Sub", "Mul"):
            const = node["input"][1].removeprefix(_SCOPE)
            put(_NORMALISATION[name], arrays[_SCOPE + const], _SCOPE + const)
            continue
        if node["op"] not in _CONV_OPS:
            continue
        mapped = _module_for(name)
        if mapped is None:
            raise ConversionError(f"graph conv node {node['name']} has no module in MoveNet")
        target, act, stride = mapped
        if target not in modules:
            raise ConversionError(f"graph conv node {node['name']} maps to missing module {target}")
        conv = modules[target]
        _check_node(node, conv, act, stride)
        depthwise = node["op"] != "_FusedConv2D"
        weight_name = node["input"][1]
        put(f"{target}.weight", _to_torch_kernel(arrays[weight_name], depthwise), weight_name)
        if node["op"] != "DepthwiseConv2dNative":  # fused ops carry the bias as 3rd input
            put(f"{target}.bias", arrays[node["input"][2]], node["input"][2])
        elif conv.bias is not None:
            raise ConversionError(f"{node['name']} has no bias but {target} expects one")

    missing = sorted(set(expected) - set(state))
    if missing:
        raise ConversionError(f"not filled from the graph: {missing}")
    unused = sorted(k for k, a in arrays.items() if a.dtype == np.float32 and a.size > 1 and k not in used
                    and _is_network_weight(k))
    if unused:
        raise ConversionError(f"graph weights not used: {unused}")
    return state


def _is_network_weight(name: str) -> bool:
    name = name.removeprefix(_SCOPE)
    return name.startswith(_FPN) or any(name.startswith(f"{h}_0/") for h in HEAD_CHANNELS)


def _check_node(node: dict, conv: torch.nn.Conv2d, act: str | None, stride: int | None) -> None:
    """The graph node must compute what the module + its activation compute."""
    fused = _attr_str(node, "fused_ops")
    if node["op"] != "DepthwiseConv2dNative":
        if fused[:1] != ["BiasAdd"] or fused[1:] != ([act] if act else []):
            raise ConversionError(f"{node['name']}: fused ops {fused}, module expects BiasAdd+{act}")
        if int(node["attr"].get("num_args", {}).get("i", 1)) != 1:
            raise ConversionError(f"{node['name']}: unexpected extra fused arguments")
    strides = [int(s) for s in node["attr"]["strides"]["list"]["i"]]
    dilations = [int(s) for s in node["attr"].get("dilations", {}).get("list", {}).get("i", [1, 1, 1, 1])]
    if strides[1:3] != list(conv.stride) or (stride is not None and conv.stride[0] != stride):
        raise ConversionError(f"{node['name']}: strides {strides} != module stride {conv.stride}")
    if dilations != [1, 1, 1, 1]:
        raise ConversionError(f"{node['name']}: dilation {dilations} not supported")
    padding = _attr_str(node, "padding")
    kernel = conv.kernel_size[0]
    if padding != ["SAME"] and not (padding == ["VALID"] and kernel == 1):
        raise ConversionError(f"{node['name']}: padding {padding} (module implements TF SAME)")
    depthwise = node["op"] != "_FusedConv2D"
    if depthwise != (conv.groups > 1):
        raise ConversionError(f"{node['name']}: depthwise={depthwise} but module groups={conv.groups}")


def default_weights() -> Path:
    """The shipped model/movenet_multipose.pt."""
    from drm_ros import paths

    return paths.model_path(paths.MOVENET_WEIGHTS)


def load_state(path: Path | None = None) -> dict[str, torch.Tensor]:
    """A stored state_dict as float32 (the shipped file keeps the lossless float16 values)."""
    path = Path(path) if path is not None else default_weights()
    if not path.is_file():
        raise FileNotFoundError(f"MoveNet weights not found: {path} (create with `drm convert-movenet`)")
    state = torch.load(path, map_location="cpu", weights_only=True)
    return {k: v.float() for k, v in state.items()}


def load_movenet(path: Path | None = None) -> MoveNet:
    """The pretrained MoveNet in eval mode, float32."""
    model = MoveNet()
    model.load_state_dict(load_state(path))
    return model.eval()


def to_float16_lossless(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Half-precision copy of a state_dict, refusing if any value would change."""
    half = {k: v.half() for k, v in state.items()}
    for k, v in state.items():
        if not torch.equal(half[k].float(), v):
            raise ConversionError(f"{k} is not exactly representable in float16")
    return half
