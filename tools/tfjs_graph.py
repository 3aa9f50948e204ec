"""Run a TFJS graph model (model.json + .bin) op by op in PyTorch, for studies that borrow a
network nothing here ships (issue 10, lever 34: MediaPipe BlazePose's world landmarks, from the
same npm package as the 2D branch). Only the ops such mobile graphs use: convolutions (plain,
depthwise, with fused bias and ReLU/ReLU6), Pad, AddV2, bilinear resize, max pooling, ReLU6,
Sigmoid, Reshape, Identity. Tensors are kept NCHW; TF's NHWC order is restored for a Reshape.
Anything else is refused by name, never guessed. Checked against TFJS itself by
tools/tfjs_graph_check.py.

    graph = TfjsGraph(Path("blazepose-full.json"), Path("blazepose-full.bin"))
    outputs = graph.run(images_nhwc_float32, ["Identity_4"])
"""
from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from drm_ros.movenet_weights import _to_torch_kernel, read_weights


def _attr(node: dict, key: str):
    a = node.get("attr", {}).get(key, {})
    if "list" in a:
        lst = a["list"]
        if "s" in lst:
            return [base64.b64decode(s).decode() for s in lst["s"]]
        return [int(i) for i in lst.get("i", [])]
    if "s" in a:
        return base64.b64decode(a["s"]).decode()
    if "b" in a:
        return bool(a["b"])
    return a.get("i", a.get("f"))


def _same_pad(x: torch.Tensor, k: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int]) -> torch.Tensor:
    """TF 'SAME': the output has ceil(in / stride) cells; the extra padding goes right/bottom."""
    pads = []
    for size, kk, s, d in zip(x.shape[2:], k, stride, dilation):
        total = max((-(-size // s) - 1) * s + (kk - 1) * d + 1 - size, 0)
        pads.append((total // 2, total - total // 2))
    return F.pad(x, (pads[1][0], pads[1][1], pads[0][0], pads[0][1]))


class TfjsGraph:
    def __init__(self, model_json: Path, weights_bin: Path):
        graph, arrays = read_weights(model_json, weights_bin)
        self.nodes = {n["name"]: n for n in graph["modelTopology"]["node"]}
        self.arrays = arrays  # TF layouts, for the convolutions' own conversion
        self.consts = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in arrays.items()}
        self.signature = graph.get("signature", {})

    def _conv(self, node: dict, x: torch.Tensor, depthwise: bool) -> torch.Tensor:
        w, b = self.arrays[node["input"][1]], self.consts[node["input"][2]]
        stride = _attr(node, "strides")[1:3]
        dilation = _attr(node, "dilations")[1:3] or [1, 1]
        weight = torch.from_numpy(np.ascontiguousarray(_to_torch_kernel(w, depthwise)))  # the MoveNet converter's
        groups = w.shape[2] if depthwise else 1
        padding = _attr(node, "padding")
        if padding == "SAME":
            x = _same_pad(x, weight.shape[2:], stride, dilation)
        elif padding != "VALID":
            raise ValueError(f"{node['name']}: padding {padding} not supported")
        fused = _attr(node, "fused_ops") or []
        y = F.conv2d(x, weight, b if "BiasAdd" in fused else None, stride, 0, dilation, groups)
        for op in fused:
            if op == "Relu6":
                y = y.clamp(0.0, 6.0)
            elif op == "Relu":
                y = y.clamp(min=0.0)
            elif op != "BiasAdd":
                raise ValueError(f"{node['name']}: fused op {op} not supported")
        return y

    def _eval(self, name: str, cache: dict) -> torch.Tensor:
        name = name.split(":")[0]
        if name in cache:
            return cache[name]
        if name in self.consts:
            return self.consts[name]
        node = self.nodes[name]
        op, inputs = node["op"], node.get("input", [])
        arg = lambda i: self._eval(inputs[i], cache)  # noqa: E731
        if op == "Const":
            raise ValueError(f"constant {name} has no weight data")
        if op in ("_FusedConv2D", "FusedDepthwiseConv2dNative"):
            y = self._conv(node, arg(0), depthwise=op != "_FusedConv2D")
        elif op == "Pad":
            p = arg(1).tolist()  # NHWC [[0, 0], [top, bottom], [left, right], [channels before, after]]
            if p[0] != [0, 0]:
                raise ValueError(f"{name}: padding the batch is not supported")
            y = F.pad(arg(0), (p[2][0], p[2][1], p[1][0], p[1][1], p[3][0], p[3][1]))
        elif op == "AddV2":
            y = arg(0) + arg(1)
        elif op == "ResizeBilinear":
            if _attr(node, "align_corners") or not _attr(node, "half_pixel_centers"):
                raise ValueError(f"{name}: only half-pixel-centre bilinear resizing is supported")
            y = F.interpolate(arg(0), size=[int(v) for v in arg(1).tolist()], mode="bilinear", align_corners=False)
        elif op == "MaxPool":
            if _attr(node, "padding") != "VALID":
                raise ValueError(f"{name}: only VALID max pooling is supported")
            y = F.max_pool2d(arg(0), _attr(node, "ksize")[1:3], _attr(node, "strides")[1:3])
        elif op == "Relu6":
            y = arg(0).clamp(0.0, 6.0)
        elif op == "Sigmoid":
            y = torch.sigmoid(arg(0))
        elif op == "Identity":
            y = arg(0)
        elif op == "Reshape":
            x = arg(0)
            if x.dim() == 4:
                x = x.permute(0, 2, 3, 1)  # back to TF's NHWC order before flattening
            y = x.reshape([int(v) for v in arg(1).tolist()])
        else:
            raise ValueError(f"{name}: op {op} not supported")
        cache[name] = y
        return y

    @torch.no_grad()
    def run(self, images_nhwc: np.ndarray, outputs: list[str], input_name: str = "input_1") -> list[torch.Tensor]:
        """Float NHWC images -> the named outputs (4-D ones back in NHWC, as TF gives them)."""
        cache = {input_name: torch.from_numpy(np.ascontiguousarray(images_nhwc, dtype=np.float32)).permute(0, 3, 1, 2)}
        out = [self._eval(name, cache) for name in outputs]
        return [o.permute(0, 2, 3, 1) if o.dim() == 4 else o for o in out]
