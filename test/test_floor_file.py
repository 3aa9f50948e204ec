"""A learnt floor kept on disk (drm_ros/ground/floor_file.py) and a stream that starts from it
(GroundDepth(saved=...)): used from the first frame, handed over to the floor learnt anew once
that is as certain, dropped when the camera has moved or is another one."""
import numpy as np
import pytest

from drm_ros.camera import Camera
from drm_ros.ground.floor_file import FloorFileError, SavedFloor, calibration_of, load_floor, save_floor
from drm_ros.ground.plane import GroundPlane
from drm_ros.ground.refine import REFINED
from drm_ros.ground.session import GroundDepth
from test_ground import CAM, _walkers, rig


def saved_floor(plane: GroundPlane, camera: Camera = CAM, frame_id: str = "cam", tilt=1.0, height=0.1) -> SavedFloor:
    return SavedFloor(plane, tilt, height, frame_id, calibration_of(camera), 12, "test")


def test_a_saved_floor_reads_back_exactly(tmp_path):
    R, C = rig(1.4, 15.0, 1.5)
    floor = saved_floor(GroundPlane(R[:, 2], C[2]))
    back = load_floor(save_floor(tmp_path / "sub" / "floor.yaml", floor))
    assert np.allclose(back.plane.up, floor.plane.up, atol=1e-12) and back.plane.height == floor.plane.height
    assert (back.tilt_sigma_deg, back.height_sigma_m, back.frame_id, back.people) == (1.0, 0.1, "cam", 12)
    assert back.calibration == calibration_of(CAM)
    assert not list((tmp_path / "sub").glob("*.tmp"))  # written atomically
    back.check_camera(CAM, "cam")
    with pytest.raises(FloorFileError, match="learnt in frame 'cam', the images are in 'other'"):
        back.check_camera(CAM, "other")
    with pytest.raises(FloorFileError, match="calibration"):
        back.check_camera(Camera(640, 480, 600.0, 600.0, 320.0, 240.0), "cam")


@pytest.mark.parametrize("text, message", [
    (None, "does not exist"),
    ("up: [0, -1\n  camera_height_m: :", "not readable YAML"),
    ("- just a list", "not a drm_ros floor"),
    ("format: drm_ros floor 1\nup: [0, -1, 0]\n", "incomplete or invalid: missing"),
    ("format: drm_ros floor 1\nup: [0, 0, 0]\ncamera_height_m: 1.2\ntilt_sigma_deg: 1\nheight_sigma_m: 0.1\nframe_id: c\n"
     "calibration: {width: 640, height: 480, fx: 1, fy: 1, cx: 1, cy: 1}\n", "incomplete or invalid: ground plane normal"),
    ("format: drm_ros floor 1\nup: [0, -1, 0]\ncamera_height_m: 1.2\ntilt_sigma_deg: .nan\nheight_sigma_m: 0.1\nframe_id: c\n"
     "calibration: {width: 640, height: 480, fx: 1, fy: 1, cx: 1, cy: 1}\n", "uncertainties must be positive"),
])
def test_a_bad_floor_file_is_one_clear_error(tmp_path, text, message):
    path = tmp_path / "floor.yaml"
    if text is not None:
        path.write_text(text)
    with pytest.raises(FloorFileError, match=message):
        load_floor(path)
    (tmp_path / "bin.yaml").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(FloorFileError):
        load_floor(tmp_path / "bin.yaml")


def test_a_stream_starts_from_the_saved_floor_then_hands_over_to_the_learnt_one():
    rng = np.random.default_rng(3)
    R, C = rig(1.4, 15.0, 1.5)
    truth = GroundPlane(R[:, 2], C[2])
    fresh, seeded = GroundDepth("auto"), GroundDepth("auto", saved=saved_floor(truth, tilt=2.0, height=0.2))
    frame = _walkers(rng, R, C)
    first_fresh, first_seeded = fresh.apply(frame, CAM), seeded.apply(frame, CAM)
    assert fresh.plane is None and not (first_fresh.status == REFINED).any()  # nothing learnt yet
    assert seeded.plane.angle_to_deg(truth) == pytest.approx(0.0, abs=1e-6)
    assert (first_seeded.status == REFINED).any() and "saved floor" in seeded.describe()
    for _ in range(60):
        seeded.apply(_walkers(rng, R, C), CAM)
    assert seeded.saved is None and seeded.saved_outcome == "the floor learnt since is as certain"
    assert seeded.plane.angle_to_deg(truth) < 2.0 and seeded.learnt_floor("cam") is not None


def test_a_saved_floor_is_dropped_when_the_camera_moved_or_is_another():
    rng = np.random.default_rng(4)
    R, C = rig(1.4, 15.0, 1.5)
    old = GroundPlane(*(lambda R2, C2: (R2[:, 2], C2[2]))(*rig(2.2, 30.0, -3.0)))  # where the camera used to be
    ground = GroundDepth("auto", saved=saved_floor(old, tilt=0.5, height=0.05))  # confident, and wrong now
    for _ in range(30):
        ground.apply(_walkers(rng, R, C), CAM)
        if ground.saved is None:
            break
    assert ground.saved is None and "do not stand on it" in ground.saved_outcome
    other = GroundDepth("auto", saved=saved_floor(old, camera=Camera(640, 480, 600.0, 600.0, 320.0, 240.0)))
    other.apply(_walkers(rng, R, C), CAM)
    assert other.saved is None and "calibration" in other.saved_outcome and other.plane is None
    with pytest.raises(ValueError, match="needs ground plane mode 'auto'"):
        GroundDepth("fixed", old, saved=saved_floor(old))


def test_the_offline_pass_hands_its_floor_to_a_live_node():
    from drm_ros.ground.offline import floor_pass

    rng = np.random.default_rng(5)
    R, C = rig(1.4, 15.0, 1.5)
    truth = GroundPlane(R[:, 2], C[2])
    frames = [_walkers(rng, R, C) for _ in range(40)]
    done = floor_pass(frames, [CAM] * len(frames))
    floor = done.last_floor("cam", note="offline")
    assert floor is not None and floor.plane.angle_to_deg(truth) < 2.0 and floor.people >= 4
    assert floor.calibration == calibration_of(CAM) and floor.frame_id == "cam"
    assert floor_pass(frames[:1], [CAM]).last_floor("cam") is None  # one frame: no floor, nothing to keep
