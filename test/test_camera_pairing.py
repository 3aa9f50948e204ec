"""Stamp pairing of images and camera_info (drm_ros.camera_pairing): pure, no ROS."""
from __future__ import annotations

from drm_ros.camera import Camera
from drm_ros.camera_pairing import CameraInfoPairing

A = Camera(640, 480, 500.0, 500.0, 320.0, 240.0)
B = Camera(640, 480, 900.0, 900.0, 320.0, 240.0)  # a zoomed-in frame: same size, other K
A_DISTORTED = Camera(640, 480, 500.0, 500.0, 320.0, 240.0, "plumb_bob", (0.1, 0.0, 0.0, 0.0, 0.0))


def released(result):
    ready, _dropped = result
    return [(p.item, p.camera, p.problem) for p in ready]


def test_image_gets_the_info_with_its_own_stamp_even_when_the_latest_differs():
    pair = CameraInfoPairing(wait_s=0.5)
    assert released(pair.add_info(1, A, 0.0)) == []
    assert released(pair.add_info(2, B, 0.0)) == []
    assert released(pair.add_image(1, "img1", 0.0)) == [("img1", A, "")]  # not B, the latest
    assert released(pair.add_image(2, "img2", 0.0)) == [("img2", B, "")]
    assert pair.exact == 2 and pair.fallbacks == 0


def test_image_that_overtakes_its_info_waits_for_it():
    pair = CameraInfoPairing(wait_s=0.5)
    pair.add_info(1, A, 0.0)
    assert released(pair.add_image(2, "img2", 0.0)) == []  # its info (B) is still on the way
    assert released(pair.expire(0.1)) == []
    assert released(pair.add_info(2, B, 0.2)) == [("img2", B, "")]


def test_changed_calibration_without_a_matching_stamp_is_refused_not_guessed():
    pair = CameraInfoPairing(wait_s=0.5, info_topic="/cam/info")
    pair.add_info(1, A, 0.0)
    pair.add_info(2, B, 0.0)
    assert released(pair.add_image(3, "img3", 0.0)) == []
    (item, camera, problem), = released(pair.expire(0.6))  # the wait ran out
    assert item == "img3" and camera is None
    assert "no camera_info with the image's stamp" in problem and "/cam/info" in problem
    assert "calibration changed" in problem
    # Distortion alone counts as a different calibration too.
    pair.add_info(4, A_DISTORTED, 1.0)
    pair.add_image(5, "img5", 1.0)
    (_, camera, problem), = released(pair.expire(2.0))
    assert camera is None and "calibration changed" in problem


def test_unchanged_calibration_is_used_after_the_wait_and_said_once():
    pair = CameraInfoPairing(wait_s=0.5)
    pair.add_info(10, A, 0.0)
    pair.add_info(20, Camera(640, 480, 500.0, 500.0, 320.0, 240.0), 0.0)  # equal values, new object
    assert pair.add_image(25, "img25", 0.1) == ([], 0)  # the newest info is older: wait for its own
    assert pair.expire(0.5) == ([], 0)
    (p,), _ = pair.expire(0.7)
    assert p.item == "img25" and p.camera == A and "said once" in p.notice
    (p2,), _ = pair.add_image(15, "img15", 0.8)  # no info of its own, a newer one exists: no wait
    assert p2.camera == A and p2.notice == ""  # said only once
    assert pair.fallbacks == 2 and pair.exact == 0


def test_a_newer_info_releases_an_older_image_without_waiting():
    pair = CameraInfoPairing(wait_s=10.0)
    pair.add_info(1, A, 0.0)
    pair.add_info(2, A, 0.0)
    assert released(pair.add_image(1, "img1", 0.0)) == [("img1", A, "")]
    (p,), _ = pair.add_image(0, "img0", 0.0)  # stamp 0 never had an info; info 2 is newer: no wait
    assert p.camera == A


def test_single_info_or_none_is_not_enough_to_guess():
    pair = CameraInfoPairing(wait_s=0.1, info_topic="/c/info")
    pair.add_image(1, "img1", 0.0)
    (_, camera, problem), = released(pair.expire(0.2))
    assert camera is None and problem == "no camera_info received yet on /c/info"
    pair.add_info(5, A, 0.3)
    pair.add_image(6, "img6", 0.3)
    (_, camera, problem), = released(pair.expire(0.5))
    assert camera is None and "only one camera_info so far" in problem


def test_unusable_info_refuses_its_own_frame_with_the_reason():
    pair = CameraInfoPairing(wait_s=0.5)
    pair.add_info(1, "camera_info K is all zeros", 0.0)
    (_, camera, problem), = released(pair.add_image(1, "img1", 0.0))
    assert camera is None and problem == "camera_info is unusable: camera_info K is all zeros"


def test_only_the_newest_waiting_image_is_served_older_ones_are_dropped():
    pair = CameraInfoPairing(wait_s=1.0, keep_images=2)
    pair.add_info(0, A, 0.0)
    assert pair.add_image(1, "img1", 0.0) == ([], 0)
    assert pair.add_image(2, "img2", 0.0) == ([], 0)
    ready, dropped = pair.add_image(3, "img3", 0.0)  # over keep_images: img1 dropped
    assert ready == [] and dropped == 1
    ready, dropped = pair.add_info(3, B, 0.1)  # img3 released; img2 (older) is now stale
    assert [(p.item, p.camera) for p in ready] == [("img3", B)] and dropped == 1
    assert pair.expire(5.0) == ([], 0)  # nothing left waiting


def test_queue_depths_stay_within_their_caps():
    """What /diagnostics reports as the node's queue depths: never above keep_images/keep_infos,
    however long images go without their camera_info (a node that runs for days)."""
    pair = CameraInfoPairing(wait_s=10.0, keep_infos=3, keep_images=2)
    for stamp in range(100):
        pair.add_info(stamp, A, 0.0)  # infos that match no image
        pair.add_image(10_000 + stamp, "img", 0.0)  # newer images whose infos never come: they wait
        waiting, held = pair.depths()
        assert waiting <= 2 and held <= 3
    assert pair.depths() == (2, 3)
