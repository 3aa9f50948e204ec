"""The per-track depth filter: calmer depth for a standing person, no lag for a steady walker,
2D and relative pose untouched, untracked people and restarted tracks passed through."""
import numpy as np
import pytest

from drm_ros.camera import Camera
from drm_ros.depth_filter import DepthFilter
from posehelpers import person, poses_from

CAMERA = Camera(640, 480, 500.0, 500.0, 320.0, 240.0)


def noisy_frames(depths, noise, seed=0):
    """One tracked person (id 7) at the given true root depths, each measured with relative noise
    along its viewing ray (what a monocular depth error does)."""
    rng = np.random.default_rng(seed)
    for z in depths:
        measured = z * (1 + noise * rng.standard_normal())
        yield poses_from([person((0.3 * measured / 4, 0.2 * measured / 4, measured))]).with_ids([7])


def test_standing_person_trembles_less_and_keeps_its_2d():
    f = DepthFilter(alpha=0.4, beta=0.05)
    raw, out = [], []
    for poses in noisy_frames([6.0] * 200, 0.05):
        raw.append(poses.roots[0, 2])
        res = f.update(poses, CAMERA)
        out.append(res.roots[0, 2])
        np.testing.assert_allclose(res.joints2d, poses.joints2d, atol=1e-6)  # moved along the rays only
    raw, out = np.array(raw[20:]), np.array(out[20:])
    assert np.std(np.diff(out, 2)) < 0.5 * np.std(np.diff(raw, 2))
    assert abs(np.median(out) - 6.0) < 0.1


def test_steady_walker_is_followed_without_lag():
    depths = 8.0 * 0.99 ** np.arange(120)  # walking towards the camera, 1 % closer per frame
    f = DepthFilter(alpha=0.4, beta=0.05)
    out = [f.update(p, CAMERA).roots[0, 2] for p in noisy_frames(depths, 0.0)]
    np.testing.assert_allclose(out[60:], depths[60:], rtol=2e-3)  # the velocity term removed the lag


def test_untracked_people_and_restarted_tracks_pass_unchanged():
    f = DepthFilter(max_gap=2)
    poses = poses_from([person((0, 0, 5.0))])
    assert f.update(poses, CAMERA) is poses  # id -1: not tracked, not filtered
    a = poses.with_ids([3])
    f.update(a, CAMERA)
    moved = poses_from([person((0, 0, 6.0))]).with_ids([3])
    assert f.update(moved, CAMERA).roots[0, 2] < 6.0  # filtered towards the old depth
    for _ in range(3):  # unseen for longer than max_gap: the track's state is dropped
        f.update(poses_from(np.zeros((0, 18, 3))), CAMERA)
    assert f.update(moved, CAMERA).roots[0, 2] == pytest.approx(6.0)


def test_bad_gains_are_refused():
    with pytest.raises(ValueError, match="alpha"):
        DepthFilter(alpha=0.0)
    with pytest.raises(ValueError, match="beta"):
        DepthFilter(alpha=0.3, beta=0.5)


def test_calibration_change_rescales_the_filtered_depth_at_once():
    """fx 500 -> 1000 doubles every depth the network reads: the filter follows in the same frame."""
    f = DepthFilter(alpha=0.4, beta=0.05)
    for poses in noisy_frames([5.0] * 10, 0.0):
        f.update(poses, CAMERA)
    sharper = Camera(640, 480, 1000.0, 1000.0, 320.0, 240.0)
    doubled = next(noisy_frames([10.0], 0.0))
    assert f.update(doubled, sharper).roots[0, 2] == pytest.approx(10.0, rel=1e-6)
