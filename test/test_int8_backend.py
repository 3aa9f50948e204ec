"""The int8 backends (drm_ros/backends/int8.py): on a real frame they find the people fp32 finds,
with joints and root depths close to fp32's; the quantized file is cached next to the fp32 one
under a key holding "int8" and the calibration set; without onnxruntime they are refused with
one clear error."""
import numpy as np
import pytest

from drm_ros import backends
from drm_ros.backends import BackendError, int8, onnx_cache
from drm_ros.inference import PoseEstimator
from backend_fixtures import frame, net, private_cache  # noqa: F401 (pytest fixtures)

SIZE = (320, 256)  # as test_backends.py: three of the pedestrians, scores 0.22-0.27 (clear of the 0.2 threshold)
INT8 = [b for b in ("onnxruntime-int8", "openvino-int8") if not backends.missing_packages(b)]
# measured on this frame at 320x256: joints moved at most 5.3 px, root depths 2.1-3.1 %
MEDIAN_PX, MAX_PX, DEPTH_FRAC = 2.0, 8.0, 0.05


@pytest.mark.parametrize("backend", INT8)
def test_int8_finds_fp32s_people_with_close_joints_on_a_real_frame(backend, net, frame):
    fp32 = PoseEstimator(net, SIZE, backend=backend.replace("-int8", ""), threads=2).estimate(*frame)
    poses = PoseEstimator(net, SIZE, backend=backend, threads=2).estimate(*frame)
    assert len(fp32) >= 3 and len(poses) == len(fp32)
    d = np.linalg.norm(poses.joints2d[:, None, :17] - fp32.joints2d[None, :, :17], axis=-1)  # (int8, fp32, joint)
    pairs = d.mean(-1).argmin(1)
    assert sorted(pairs.tolist()) == list(range(len(fp32)))  # every fp32 person has its own int8 twin
    shift = d[np.arange(len(poses)), pairs]
    assert np.median(shift) <= MEDIAN_PX and shift.max() <= MAX_PX
    np.testing.assert_allclose(poses.roots[:, 2], fp32.roots[pairs, 2], rtol=DEPTH_FRAC)
    assert not np.array_equal(poses.joints2d, fp32.joints2d[pairs])  # it did run quantized, not the fp32 file


@pytest.mark.skipif(not INT8, reason="onnxruntime not installed")
def test_int8_file_is_cached_next_to_fp32_under_its_own_key(net, frame, monkeypatch, tmp_path):
    path = int8.ensure_int8(net, SIZE)
    assert path.parent == onnx_cache.onnx_path(net, SIZE).parent and "int8" in path.name
    assert path.name.startswith(onnx_cache.onnx_path(net, SIZE).stem)
    quantized = []
    real = int8.quantize_bytes
    monkeypatch.setattr(int8, "quantize_bytes", lambda *a: quantized.append(a) or real(*a))
    PoseEstimator(net, SIZE, backend=INT8[0], threads=2).estimate(*frame)
    assert quantized == []  # reused
    other = tmp_path / "model" / "int8_calibration"
    other.mkdir(parents=True)
    for f in int8.calibration_files()[:2]:
        (other / f.name).write_bytes(f.read_bytes())
    monkeypatch.setenv("DRM_ROS_SHARE", str(tmp_path))
    assert int8.int8_path(net, SIZE) != path  # another calibration set: another file


def test_int8_calibration_frames_missing_is_one_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("DRM_ROS_SHARE", str(tmp_path))
    with pytest.raises(BackendError, match="calibration frames"):
        int8.calibration_files()


def test_int8_without_onnxruntime_is_one_clear_error(monkeypatch):
    installed = backends._installed
    monkeypatch.setattr(backends, "_installed", lambda p: p != "onnxruntime" and installed(p))
    for name in ("onnxruntime-int8", "openvino-int8"):  # openvino-int8 too: onnxruntime quantizes for it
        with pytest.raises(BackendError, match=f"backend '{name}' needs the Python package.*onnxruntime"):
            PoseEstimator.from_file(None, SIZE, backend=name)
    assert backends.resolve("auto") != "onnxruntime-int8"  # never picked by auto
