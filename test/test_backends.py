"""Inference runtimes (drm_ros/backends/): every fp32 backend installed gives torch eager's people on
a real frame, `auto` picks an installed runtime, the exported ONNX file is reused from the cache
and a corrupt one is exported again."""
import importlib.util
import logging

import cv2
import numpy as np
import pytest
import torch

from drm_ros import backends
from drm_ros.backends import BackendError, onnx_cache
from drm_ros.camera import Letterbox
from drm_ros.checkpoint import load_model
from drm_ros.inference import PoseEstimator
from drm_ros.paths import DEFAULT_MODEL, model_path
from backend_fixtures import frame, net, private_cache  # noqa: F401 (pytest fixtures)

SIZE = (320, 256)  # small enough to be quick, large enough to find several of the six pedestrians
FP32 = [b for b in ("openvino", "onnxruntime") if not backends.missing_packages(b)]


@pytest.fixture(scope="module")
def eager(net, frame):
    poses = PoseEstimator(net, SIZE, compiled=False).estimate(*frame)
    assert len(poses) >= 3  # a comparison over nobody would prove nothing
    return poses


@pytest.mark.parametrize("backend", FP32)
def test_fp32_backend_agrees_with_torch_eager_on_a_real_frame(backend, net, frame, eager):
    poses = PoseEstimator(net, SIZE, backend=backend, threads=2).estimate(*frame)
    assert len(poses) == len(eager)
    np.testing.assert_allclose(poses.scores, eager.scores, atol=1e-3)
    np.testing.assert_allclose(poses.joints2d, eager.joints2d, atol=1e-3)  # pixels
    np.testing.assert_allclose(poses.roots[:, 2], eager.roots[:, 2], atol=1e-3)  # metres
    np.testing.assert_allclose(poses.joints3d, eager.joints3d, atol=1e-3)


def test_torch_backend_agrees_too(net, frame, eager):
    poses = PoseEstimator(net, SIZE, backend="torch").estimate(*frame)
    np.testing.assert_allclose(poses.joints3d, eager.joints3d, atol=1e-3)


def test_decode_over_passing_people_only_is_exact(net, frame):
    """The runtimes' decode skips slots whose centre score is below the threshold; the people
    above it are exactly those of the full fixed-K decode."""
    x = torch.from_numpy(cv2.resize(frame[0], SIZE)).permute(2, 0, 1)[None].float()
    with torch.inference_mode():
        maps = net.dense(x)
        camera_net = torch.tensor(Letterbox.fit(frame[1].width, frame[1].height, *SIZE).network_intrinsics(frame[1]),
                                  dtype=torch.float32)[None]  # what a ray lifter reads (lifter.root_ray)
        full = net.decode(*maps, camera_net=camera_net)
        cut = net.decode(*maps, min_score=0.2, camera_net=camera_net)
    keep = full[0][0] >= 0.2
    assert 0 < int(keep.sum()) < full[0].shape[1] and cut[0].shape[1] < full[0].shape[1]
    assert int((cut[0][0] >= 0.2).sum()) == int(keep.sum())
    for a, b in zip(full, cut):
        torch.testing.assert_close(b[0][: int(keep.sum())], a[0][keep])


def test_auto_picks_the_fastest_installed_backend(monkeypatch):
    chosen = backends.resolve("auto")
    assert chosen in backends.BACKENDS and not backends.missing_packages(chosen)
    if importlib.util.find_spec("openvino") and importlib.util.find_spec("onnxscript"):
        assert chosen == "openvino"
    # without OpenVINO, ONNX Runtime; without either, torch
    installed = backends._installed
    monkeypatch.setattr(backends, "_installed", lambda p: p != "openvino" and installed(p))
    assert backends.resolve("auto") == ("onnxruntime" if FP32 and "onnxruntime" in FP32 else "torch")
    monkeypatch.setattr(backends, "_installed", lambda p: False)
    assert backends.resolve("auto") == "torch"


def test_a_missing_runtime_named_explicitly_is_one_clear_error(monkeypatch):
    monkeypatch.setattr(backends, "_installed", lambda p: p != "onnxruntime")
    with pytest.raises(BackendError, match="backend 'onnxruntime' needs the Python package.*onnxruntime"):
        PoseEstimator.from_file(None, SIZE, backend="onnxruntime")
    with pytest.raises(BackendError, match="must be one of"):
        backends.resolve("tensorrt")


@pytest.mark.skipif(not FP32, reason="no ONNX runtime installed")
def test_export_is_cached_per_weights_and_size_and_reused(net, frame, monkeypatch):
    backend = FP32[-1]
    path = onnx_cache.ensure_onnx(net, SIZE)
    assert path.parent == onnx_cache.cache_dir() and f"{SIZE[0]}x{SIZE[1]}" in path.name
    exports = []
    real = onnx_cache.export_bytes
    monkeypatch.setattr(onnx_cache, "export_bytes", lambda *a: exports.append(a) or real(*a))
    mtime = path.stat().st_mtime_ns
    PoseEstimator(net, SIZE, backend=backend).estimate(*frame)
    assert exports == [] and path.stat().st_mtime_ns == mtime  # reused, not exported again
    other = load_model(model_path(DEFAULT_MODEL))[0]
    with torch.no_grad():
        other.depth_trunk.inp[0].bias.add_(0.1)  # other weights of the dense part: another file
    assert onnx_cache.onnx_path(other, SIZE) != path
    assert onnx_cache.onnx_path(net, (SIZE[0], SIZE[1] + 32)) != path
    key = onnx_cache.dense_key(other)
    with torch.no_grad():
        other.depth_head.mlp[0].bias.add_(0.1)  # the depth MLP stays in torch: not part of the file
    other.config.max_persons = 3  # the decode's top-K (a run-time parameter): not in the graph either
    assert onnx_cache.dense_key(other) == key
    assert not list(path.parent.glob("*.tmp"))  # atomic writes leave nothing behind


@pytest.mark.skipif(not FP32, reason="no ONNX runtime installed")
@pytest.mark.parametrize("damage", ["truncated", "another size"])
def test_a_corrupt_cache_file_is_exported_again_with_one_log_line(damage, net, frame, eager, caplog):
    backend = FP32[0]
    path = onnx_cache.ensure_onnx(net, SIZE)
    good = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(good[: len(good) // 2])
    else:  # a whole, valid graph, but not for this size
        path.write_bytes(onnx_cache.ensure_onnx(net, (256, 192)).read_bytes())
    with caplog.at_level(logging.WARNING, logger="drm_ros.backends"):
        poses = PoseEstimator(net, SIZE, backend=backend).estimate(*frame)
    lines = [r for r in caplog.records if r.name == "drm_ros.backends"]
    assert len(lines) == 1 and "exporting it again" in lines[0].getMessage() and str(path) in lines[0].getMessage()
    assert path.read_bytes() == good  # the export is deterministic: the same file as before
    np.testing.assert_allclose(poses.joints3d, eager.joints3d, atol=1e-3)
