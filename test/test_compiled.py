"""Compiled networks (drm_ros/compiled.py): one trace per shape for the process, each estimator's
own weights, and memory that does not grow when estimators are rebuilt (issue 16)."""
import gc

import numpy as np
import pytest
import torch

from drm_ros import compiled
from drm_ros.camera import Camera
from drm_ros.inference import PoseEstimator
from drm_ros.movenet_weights import load_state
from drm_ros.network import DRMNet, NetworkConfig
from roshelpers import good_frame

SIZE = (256, 192)


def _net(seed: int | None) -> DRMNet:
    net = DRMNet(NetworkConfig(max_persons=6))
    net.load_state_dict(load_state(), strict=False)
    if seed is not None:  # other depth weights: the same graph must run them, not the first net's
        gen = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for name, p in net.named_parameters():
                if not name.startswith("backbone"):
                    p.add_(torch.randn(p.shape, generator=gen) * 0.05)
    return net.eval()


def _image():
    import cv2

    return np.ascontiguousarray(cv2.resize(good_frame(), SIZE))


def test_estimators_share_one_trace_but_run_their_own_weights():
    rgb, camera = _image(), Camera.default_for(*SIZE)
    before = compiled.num_graphs()
    results = []
    for seed in (None, 1):
        net = _net(seed)
        # 0.2: both networks keep the same people there, so their roots compare one to one
        fast = PoseEstimator(net, SIZE, 0.2).estimate(rgb, camera)
        eager = PoseEstimator(net, SIZE, 0.2, compiled=False).estimate(rgb, camera)
        assert len(fast) == len(eager) > 0
        np.testing.assert_allclose(fast.joints3d, eager.joints3d, atol=1e-3)
        results.append(fast)
    assert compiled.num_graphs() == before + 1  # traced once, reused for the second network
    assert not np.allclose(results[0].roots, results[1].roots)  # ... with the second network's weights


def test_shape_key_separates_sizes_not_max_persons():
    net = _net(None)
    key = compiled.shape_key(net, SIZE, torch.device("cpu"))
    assert key == compiled.shape_key(_net(2), SIZE, torch.device("cpu"))  # weights do not matter
    assert key != compiled.shape_key(net, (320, 256), torch.device("cpu"))
    net.config.max_persons = 7  # the top-K of the decode, which runs eager after the traced dense part
    assert key == compiled.shape_key(net, SIZE, torch.device("cpu"))


def test_alternating_two_sizes_reuses_their_copies_and_a_third_evicts_the_oldest():
    """`passes: zoom` switches between the first pass's size and the crops' on every frame: each
    size keeps its compiled copy (rebuilding one per switch cost seconds), at most COMPILED_SIZES."""
    est = PoseEstimator(_net(None), SIZE)
    first = est._dense()
    est.input_size = (192, 256)
    crop = est._dense()
    est.input_size = SIZE
    assert est._dense() is first
    est.input_size = (192, 256)
    assert est._dense() is crop
    est.input_size = (128, 128)  # a third size: the least recently used (SIZE) goes
    est._dense()
    assert len(est._compiled) == PoseEstimator.COMPILED_SIZES == 2
    assert SIZE not in est._compiled and (192, 256) in est._compiled


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) / 1024 for line in f if line.startswith("VmRSS:"))


@pytest.mark.slow
def test_rebuilding_estimators_keeps_memory_flat():
    """The node's configure/cleanup in miniature: a new estimator (and so a new compiled copy)
    each round, alternating two input sizes. Before the fix each round kept ~40 MB."""
    rgb, camera = _image(), Camera.default_for(*SIZE)
    rss = []
    for i in range(16):
        est = PoseEstimator.from_file(input_size=(256, 192) if i % 2 else (320, 256))
        est.estimate(rgb, camera)
        del est
        gc.collect()
        rss.append(_rss_mb())
    growth = max(rss[6:]) - rss[5]
    assert growth < 5.0, f"RSS grew {growth:.1f} MB over 10 rebuilds: {[round(r) for r in rss]}"
