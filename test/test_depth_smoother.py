"""The two-way depth smoother (drm_ros/depth_smoother.py): no lag where the live filter lags,
less noise, and people without a track id untouched."""
import numpy as np
import pytest

from drm_ros.depth_filter import DepthFilter
from drm_ros.depth_smoother import smooth_depths
from drm_ros.poses import PoseSet
from posehelpers import person, poses_from

CAM_FRAMES = 60


def _walk_away(noise=0.0, seed=0):
    """One tracked person walking away: depth x1.01 per frame (a straight line in log depth)."""
    rng = np.random.default_rng(seed)
    frames = []
    for t in range(CAM_FRAMES):
        p = poses_from([person((0.5, 0.3, 3.0 * 1.01 ** t * (1 + noise * rng.normal())))])
        frames.append(p.with_ids([7]))
    return frames


def test_no_lag_on_steady_motion_where_the_forward_filter_trails():
    from test_ground import CAM

    frames = _walk_away()
    cams = [CAM] * len(frames)
    truth = np.array([f.roots[0, 2] for f in frames])
    smooth = np.array([f.roots[0, 2] for f in smooth_depths(frames, cams)])
    live = DepthFilter(0.4, 0.0)
    forward = np.array([live.update(f, CAM).roots[0, 2] for f in frames])
    middle = slice(20, 40)  # both passes settled (0.6^20 of the start left)
    assert np.abs(np.log(smooth[middle] / truth[middle])).max() < 1e-3
    assert np.abs(np.log(forward[middle] / truth[middle])).min() > 0.01  # 1.5 frames behind: ~1.5 %


def test_noise_is_calmed_and_untracked_people_pass():
    from test_ground import CAM

    frames = _walk_away(noise=0.03, seed=1)
    truth = [3.0 * 1.01 ** t for t in range(CAM_FRAMES)]
    smooth = smooth_depths(frames, [CAM] * len(frames))
    err = lambda fs: np.std([np.log(f.roots[0, 2] / z) for f, z in zip(fs, truth)])  # noqa: E731
    assert err(smooth) < 0.6 * err(frames)
    untracked = [f.with_ids([-1]) for f in frames]
    assert all(np.array_equal(a.joints3d, b.joints3d) for a, b in zip(untracked, smooth_depths(untracked, [CAM] * 60)))
    with pytest.raises(ValueError, match="cameras"):
        smooth_depths([PoseSet.empty()], [])
