"""drm_node through reconfiguration (issue 16), real rclpy/DDS and the real model:
- problems sharing a wording are each logged (throttle per problem, not per wording);
- a calibration change mid-stream keeps every person's id;
- deactivate / cleanup forget the calibration (the next camera_info must confirm it) and each
  lifecycle transition logs one line;
- the inference backend changes at run time (issue 12): the estimator is rebuilt between two
  frames, the same people come out, a runtime that is not installed is refused when set.
"""
from __future__ import annotations

import re

import numpy as np
import pytest

from rclpy.parameter import Parameter

from drm_ros import backends
from roshelpers import rgb_image_msg, ros_context, wait_until
from test_node import FRAME_ID, Rig

pytestmark = pytest.mark.ros


@pytest.fixture(scope="module")
def ros():
    with ros_context() as (ctx, executor):
        yield ctx, executor


def _served(rig, k=None, timeout: float = 20.0):
    """Send camera_info (optionally another K) + the frame; the node's skeletons for it."""
    rig.set_camera_info(k)
    stamp = rig.next_stamp()
    rig.send_raw(rgb_image_msg(rig.rgb, stamp, FRAME_ID))
    return rig.expect_served(stamp, timeout)


def _refused(rig, msg, capfd):
    before = rig.node.stats.refused
    rig.send_raw(msg)
    wait_until(lambda: rig.node.stats.refused > before, 15, "the node to refuse the frame")
    rig.read_log(capfd)


def test_problems_sharing_a_wording_are_each_logged(ros, capfd):
    rig = Rig(ros, "cam_kinds")  # error_throttle_sec 60: the old key hid all but the first of each pair
    try:
        rig.set_camera_info()
        full = rgb_image_msg(rig.rgb, rig.next_stamp(), FRAME_ID)
        short_1, short_half = (rgb_image_msg(rig.rgb, rig.next_stamp(), FRAME_ID) for _ in range(2))
        short_1.data = bytes(full.data)[:-1]
        short_half.data = bytes(full.data)[: len(full.data) // 2]
        small, large = (rgb_image_msg(img, rig.next_stamp(), FRAME_ID) for img in
                        (rig.rgb[::2, ::2].copy(), np.concatenate([rig.rgb, rig.rgb])))
        for msg in (short_1, short_half, short_1, small, large, small):
            _refused(rig, msg, capfd)
        wait_until(lambda: "768x1152" in rig.read_log(capfd), 5, "the last distinct problem's line")
        log = rig.log
        n = len(full.data)
        assert len(re.findall(rf"truncated: {n - 1} bytes", log)) == 1, log  # once, then throttled
        assert len(re.findall(rf"truncated: {n // 2} bytes", log)) == 1, log
        assert len(re.findall(r"image is 384x288 but camera_info", log)) == 1, log
        assert len(re.findall(r"image is 768x1152 but camera_info", log)) == 1, log
    finally:
        rig.close()


def test_ids_survive_a_calibration_change(ros):
    rig = Rig(ros, "cam_recal", tracking_max_age=0)  # max_age 0: an unmatched person loses its id at once
    try:
        k = rig.camera.K.reshape(-1).copy()
        before = [_served(rig) for _ in range(2)]
        k2 = k.copy()
        k2[0] *= 2
        k2[4] *= 2  # fx, fy 600 -> 1200 style re-calibration, same images
        after = [_served(rig, k2) for _ in range(2)]
        people = [{s.id: s.root.z for s in out.skeletons} for out in before + after]
        assert len(people[0]) >= 3
        assert all(set(p) == set(people[0]) for p in people), people
        ratio = [people[2][i] / people[1][i] for i in people[1]]
        # depth follows the new calibration (within 3 %: the lifter reads the rays, which change too)
        np.testing.assert_allclose(ratio, 2.0, rtol=0.03)
    finally:
        rig.close()


def test_cleanup_forgets_the_calibration_and_transitions_are_logged(ros, capfd):
    rig = Rig(ros, "cam_cycle", lifecycle=True)
    try:
        node = rig.node
        node.trigger_configure()
        node.trigger_activate()
        _served(rig)
        node.trigger_deactivate()
        node.trigger_cleanup()
        assert node._camera is None
        node.trigger_configure()
        node.trigger_activate()
        # No camera_info since the cleanup (this frame goes out without one): the old
        # calibration is not reused.
        rig.info_k = False
        rig.expect_refused(lambda: rig.send_raw(rgb_image_msg(rig.rgb, rig.next_stamp(), FRAME_ID)), capfd,
                           r"no camera_info received yet on /cam_cycle/camera_info since the node was cleaned up")
        _served(rig)  # confirmed again: served
        node.trigger_deactivate()
        node.trigger_cleanup()
        wait_until(lambda: rig.read_log(capfd).count("unconfigured: model unloaded") == 2, 5, "the cleanup line")
        log = rig.log
        for line in ("configured: model loaded", "active: subscribed to", "inactive: unsubscribed",
                     "unconfigured: model unloaded"):
            assert log.count(line) == 2, (line, log)  # one line per transition, two cycles
    finally:
        rig.close()


def test_stamps_going_back_reset_the_tracks(ros, capfd):
    """A looped bag (use_sim_time) restarts its stamps: the tracks of the old timeline are
    dropped, so the same people standing in the same place get new ids (issue 14)."""
    rig = Rig(ros, "cam_loop")
    try:
        first, second = (_served(rig) for _ in range(2))
        ids = {s.id for s in first.skeletons}
        assert len(ids) >= 3 and {s.id for s in second.skeletons} == ids  # same image: ids kept
        rig.sec -= 10  # the bag loops: stamps go back
        after = _served(rig)
        assert not ({s.id for s in after.skeletons} & ids), "the old timeline's tracks were kept"
        wait_until(lambda: "image stamps went back by 9.000 s" in rig.read_log(capfd), 5, "the reset line")
        assert {s.id for s in _served(rig).skeletons} == {s.id for s in after.skeletons}  # tracking goes on
    finally:
        rig.close()


def test_backend_changes_at_run_time(ros, capfd, monkeypatch):
    runtimes = [b for b in ("onnxruntime", "openvino") if not backends.missing_packages(b)]
    rig = Rig(ros, "cam_backend", backend="torch", input_size="320x256")
    try:
        node = rig.node
        assert node._estimator.backend == "torch"
        first = _served(rig)
        assert len(first.skeletons) >= 3
        for name in runtimes + ["torch"]:
            assert node.set_parameters([Parameter("backend", value=name)])[0].successful
            out = _served(rig, timeout=120.0)  # the first frame exports and compiles the runtime's graph
            assert node._estimator.backend == name and node._estimator.input_size == (320, 256)
            assert [s.score for s in out.skeletons] == pytest.approx([s.score for s in first.skeletons], abs=1e-3)
            wait_until(lambda: f"backend now {name}" in rig.read_log(capfd), 5, "the switch logged")
        assert not node.set_parameters([Parameter("backend", value="tensorrt")])[0].successful
        if runtimes:  # a runtime that fails to build (say, its export breaks): the old backend keeps serving
            def broken(*args):
                raise backends.BackendError("export failed")

            monkeypatch.setattr(backends, "create_dense_runner", broken)
            assert node.set_parameters([Parameter("backend", value=runtimes[0])])[0].successful
            out = _served(rig)
            assert node._estimator.backend == "torch" and len(out.skeletons) == len(first.skeletons)
            wait_until(lambda: f"backend {runtimes[0]} failed (BackendError: export failed); still running on torch"
                       in rig.read_log(capfd), 5, "the failure logged")
        monkeypatch.setattr(backends, "_installed", lambda package: False)
        result = node.set_parameters([Parameter("backend", value="onnxruntime")])[0]
        assert not result.successful and "not installed" in result.reason
        assert node._estimator.backend == "torch"
    finally:
        rig.close()
