"""`drm bench soak`, short version (issue 14): drm_node as its own process over real DDS on
loopback, through a few hundred frames, 3 lifecycle cycles, the mid-stream faults, ~100 malformed
messages and broken model files. Asserts the functional targets only, never timing."""
from __future__ import annotations

import json

import pytest

from drm_ros.ros import bench_soak

pytestmark = [pytest.mark.slow, pytest.mark.ros]


def test_short_soak_meets_the_functional_targets(tmp_path):
    out = tmp_path / "soak.json"
    assert bench_soak.run(frames=300, cycles=3, garbage=100, json_out=str(out)) == 0  # every phase completed
    report = json.loads(out.read_text())
    phases = report["phases"]
    for key in ("frames_sent", "frames_answered", "rss_start_mb", "rss_end_mb", "rss_growth_mb", "threads_start",
                "threads_end", "fds_start", "fds_end", "bad_messages_sent", "good_frames_missed", "crashes"):
        assert report[key] is not None, key
    assert report["crashes"] == 0, phases
    # soak: frames flow (the node drops stale ones at 30 Hz: answered < sent is expected), nothing leaks
    soak = phases["soak"]
    assert soak["frames_answered"] > 0
    assert (soak["threads_end"], soak["fds_end"]) == (soak["threads_start"], soak["fds_start"]), soak["table"]
    assert soak["max_images_waiting_for_camera_info"] <= 4 and 0 < soak["max_camera_infos_held"] <= 64  # on /diagnostics
    assert soak["max_mailbox"] <= 1
    # churn: skeletons after every activate, no thread or fd growth after the first cycle
    churn = phases["churn"]
    assert churn["failure_count"] == 0, churn["failures"]
    assert churn["cycles_with_skeletons"] == churn["ended_unconfigured"] == 3
    assert churn["threads_max_after_first"] == churn["threads_start"] == churn["threads_end"]
    assert churn["fds_max_after_first"] == churn["fds_start"] == churn["fds_end"]
    # faults: each survived (publisher replaced, calibration by stamp, tracker reset on a clock jump)
    faults = phases["faults"]
    assert faults["survived"], faults
    # doubled fx: depth x2 (within 2 %: the lifter also reads the rays from K; the old K would give 1)
    assert faults["calibration_change"]["depth_ratio_old_stamp"] == pytest.approx(1.0, rel=0.01)
    assert faults["calibration_change"]["depth_ratio_new_stamp"] == pytest.approx(2.0, rel=0.02)
    assert faults["clock_jump"]["tracker_reset_at_jumps"] == faults["clock_jump"]["jumps"] == 2
    # garbage: every bad message refused, none answered, every kind logged, every good frame answered
    garbage = phases["garbage"]
    assert report["bad_messages_sent"] == garbage["bad_messages_refused"] == 100
    assert garbage["bad_messages_answered"] == 0
    assert garbage["kinds_logged"] == garbage["kinds"]
    assert report["good_frames_missed"] == 0
    # model faults: clear error, still unconfigured, recovers with a good path
    model = phases["model"]
    assert model["faults_refused_cleanly"] == len(model["faults"]) == 5 and model["recovered"]
