"""The per-track pose filter: calmer limbs for a still person, little lag for a moving one, the
root and the 2D untouched, the pelvis still the hips' midpoint, untracked people and broken
tracks passed through."""
import numpy as np
import pytest

from drm_ros.pose_filter import PoseFilter
from drm_ros.skeleton import JOINT_INDEX, LEFT_HIP, RIGHT_HIP, ROOT
from posehelpers import SKELETON, poses_from

FPS = 15.0
ROOT_XYZ = np.array([0.5, 0.2, 5.0])
WRIST = JOINT_INDEX["left_wrist"]


def frames(offsets, noise, pid=7, seed=0):
    """One person (id `pid`) whose root-relative joints are `offsets[k]` plus noise (m), per frame."""
    rng = np.random.default_rng(seed)
    for off in offsets:
        j = ROOT_XYZ + off + noise * rng.standard_normal(off.shape)
        j[ROOT] = 0.5 * (j[LEFT_HIP] + j[RIGHT_HIP])
        yield poses_from([j]).with_ids([pid])


def run(f, poses_iter):
    return [f.update(p, k / FPS) for k, p in enumerate(poses_iter)]


def test_off_passes_everything_through():
    f = PoseFilter(0.0, 4.0)
    p = next(frames([SKELETON], 0.02))
    assert not f.enabled and f.update(p, 0.0) is p


def test_still_person_trembles_less_and_keeps_root_2d_and_pelvis():
    raw = list(frames([SKELETON] * 150, 0.015))
    out = run(PoseFilter(1.0, 4.0), raw)
    for p, q in zip(raw, out):
        np.testing.assert_allclose(q.roots, p.roots)
        np.testing.assert_allclose(q.joints2d, p.joints2d)  # the published 2D stays the measurement
        np.testing.assert_allclose(q.joints3d[0, ROOT], 0.5 * (q.joints3d[0, LEFT_HIP] + q.joints3d[0, RIGHT_HIP]),
                                   atol=1e-9)
    wrist = lambda seq: np.array([s.joints3d[0, WRIST] - s.roots[0] for s in seq[20:]])  # noqa: E731
    jitter = lambda x: np.median(np.linalg.norm(np.diff(x, 2, axis=0), axis=-1))  # noqa: E731
    assert jitter(wrist(out)) < 0.6 * jitter(wrist(raw))
    np.testing.assert_allclose(np.median(wrist(out), axis=0), SKELETON[WRIST], atol=0.01)


def test_moving_limb_is_followed_closely_when_the_cutoff_rises_with_speed():
    # the arm swings 0.6 m back and forth at 1 Hz: fast for a low-pass of 1 Hz
    t = np.arange(60) / FPS
    offsets = [SKELETON + np.where(np.arange(len(SKELETON))[:, None] == WRIST, [0.0, 0.0, 0.3 * np.sin(2 * np.pi * s)], 0.0)
               for s in t]
    truth = np.array([o[WRIST] for o in offsets])
    lag = {}
    for beta in (0.0, 4.0):
        out = run(PoseFilter(1.0, beta), frames(offsets, 0.0))
        got = np.array([p.joints3d[0, WRIST] - p.roots[0] for p in out])
        lag[beta] = np.abs(got - truth)[15:, 2].max()
    assert lag[4.0] < 0.6 * lag[0.0]


def test_untracked_people_and_broken_tracks_pass_through():
    f = PoseFilter(1.0, 4.0)
    first = next(frames([SKELETON], 0.0))
    f.update(first, 0.0)
    moved = next(frames([SKELETON * 1.2], 0.0))
    untracked = moved.with_ids([-1])
    assert np.array_equal(f.update(untracked, 1 / FPS).joints3d, untracked.joints3d)
    assert np.array_equal(f.update(moved, 2.0).joints3d, moved.joints3d)  # a gap over max_gap_s: starts afresh
    f.update(first, 3.0)
    assert np.array_equal(f.update(moved, 2.5).joints3d, moved.joints3d)  # time went back: starts afresh


def test_bad_gains_are_refused():
    with pytest.raises(ValueError, match="min_cutoff"):
        PoseFilter(-1.0, 1.0)
    with pytest.raises(ValueError, match="beta"):
        PoseFilter(1.0, float("nan"))
