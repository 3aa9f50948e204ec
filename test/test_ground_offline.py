"""The offline floor pass (drm_ros/ground/offline.py): the floor the node only knows at the end,
applied from the first frame; one floor per camera and per reset; DRM's depth where none."""
import numpy as np

from drm_ros.camera import Camera
from drm_ros.ground.offline import floor_pass, refine_recording
from drm_ros.ground.plane import GroundPlane
from drm_ros.ground.refine import NO_FEET, REFINED
from drm_ros.ground.session import GroundDepth
from drm_ros.poses import PoseSet
from drm_ros.tracking import Tracker
from test_ground import CAM, _crowd, _walkers, rig


def _stream(seed=4, frames=30):
    R, C = rig(2.5, 20.0, 3.0)
    return list(_crowd(np.random.default_rng(seed), R, C, frames=frames)), GroundPlane(R[:, 2], C[2])


def test_the_final_floor_refines_every_frame_from_the_first():
    frames, truth = _stream()
    online = GroundDepth("auto")
    live = [online.apply(p, CAM) for p in frames]
    done = floor_pass(frames, [CAM] * len(frames))
    assert len(done.stretches) == 1 and len(done.poses) == len(frames)
    # the same estimator over the same frames: the node's last floor, exactly
    assert np.allclose(done.stretches[0].plane.up, online.plane.up) and done.stretches[0].plane.height == online.plane.height
    assert done.stretches[0].plane.angle_to_deg(truth) < 3 * done.stretches[0].tilt_sigma_deg  # as sure as it claims
    first = next(k for k, r in enumerate(live) if r.counts["refined"] > 0)
    assert first >= 2  # the node has no floor in its first frames ...
    assert all(r.counts["refined"] > 0 for r in done.results[:first])  # ... the offline pass has
    assert done.totals["refined"] > online.totals["refined"]
    assert sum(done.totals[k] for k in ("no_feet", "gated", "refined")) == sum(len(p) for p in frames)


def test_a_camera_change_and_a_floor_reset_each_start_a_new_floor():
    rng = np.random.default_rng(3)
    (R1, C1), (R2, C2) = rig(1.4, 15.0, 1.5), rig(0.8, 2.0, -4.0)
    frames = [_walkers(rng, R1, C1) for _ in range(40)] + [_walkers(rng, R2, C2) for _ in range(40)]
    other = Camera(640, 480, 700.0, 700.0, 320.0, 240.0)
    cameras = [CAM] * 80
    frames.append(PoseSet.empty())
    cameras.append(other)
    done = floor_pass(frames, cameras)
    assert len(done.stretches) == 3, done.describe()
    a, b, c = done.stretches
    assert a.start == 0 and b.start > 40 and c.start == 80 and c.stop == 81  # the reset is noticed after the move
    assert a.plane.angle_to_deg(GroundPlane(R1[:, 2], C1[2])) < 2.0
    assert b.plane.angle_to_deg(GroundPlane(R2[:, 2], C2[2])) < 2.5
    assert c.plane is None and "no floor" in c.description


def test_without_a_floor_every_person_keeps_drm_depth():
    frames, _ = _stream(frames=2)  # two frames: too little to trust a floor
    done = floor_pass(frames, [CAM] * 2)
    assert done.stretches[0].plane is None
    for before, after, result in zip(frames, done.poses, done.results):
        assert np.array_equal(before.joints3d, after.joints3d) and np.all(result.status == NO_FEET)


def test_the_recording_is_refined_then_smoothed_per_track():
    frames, _ = _stream()
    tracker = Tracker()
    tracked = [tracker.update(p, CAM) for p in frames]
    cams = [CAM] * len(frames)
    plain = refine_recording(tracked, cams, filter_alpha=1.0)
    forwards = refine_recording(tracked, cams, filter_alpha=0.5, filter_beta=0.05, both_ways=False)
    smoothed = refine_recording(tracked, cams)  # both ways, the smoother's gains
    assert np.array_equal(plain.results[5].status, smoothed.results[5].status)
    assert np.all(plain.results[5].status == REFINED)
    for other in (forwards, smoothed):
        assert max(np.abs(a.roots - b.roots).max() for a, b in zip(plain.poses, other.poses)) > 1e-3
    assert np.array_equal(plain.poses[0].roots, forwards.poses[0].roots)  # a track's first frame is its start


def test_frames_and_cameras_must_pair():
    import pytest

    with pytest.raises(ValueError, match="cameras"):
        floor_pass([PoseSet.empty()], [])


def test_drm_eval_offline_pass_needs_the_learnt_floor(tmp_path, capsys):
    from drm_ros.cli import main
    from drm_ros.data.sample import Sample, save_dataset
    from test_ground import world_person, poses_in_camera

    R, C = rig()
    poses = poses_in_camera([world_person(3.0, 0.0)], R, C)
    (tmp_path / "images").mkdir()
    save_dataset(tmp_path, [Sample("images/a.jpg", CAM, poses.joints3d, poses.joints2d, np.ones(poses.joint_scores.shape),
                                   poses.boxes, [{}])])
    assert main(["eval", "--data", str(tmp_path), "--floor-pass", "offline"]) == 1
    assert "needs --ground-plane auto" in capsys.readouterr().err
    assert main(["eval", "--data", str(tmp_path), "--ground-plane", "known", "--floor-orientation", "image2d"]) == 1
    assert "--floor-orientation chooses how a learnt floor is tilted, so it needs --ground-plane auto" in capsys.readouterr().err
