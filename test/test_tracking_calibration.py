"""Ids survive a calibration change (issue 16): same people, new K mid-stream."""
import numpy as np

from drm_ros.camera import Camera
from drm_ros.inference import PoseEstimator
from drm_ros.poses import PoseSet
from drm_ros.tracking import Tracker
from roshelpers import good_frame


def _poses(roots: np.ndarray) -> PoseSet:
    n = len(roots)
    return PoseSet(np.ones(n), np.zeros((n, 4)), roots, np.repeat(roots[:, None], 18, 1), np.zeros((n, 18, 2)),
                   np.ones((n, 18)))


def _seen_through(camera: Camera, pixels: np.ndarray, apparent_depth: np.ndarray) -> np.ndarray:
    """Roots as the network reports them: pixel + depth from apparent size, which scales with the
    focal length (depth = apparent_depth * sqrt(fx * fy) / 600)."""
    return camera.backproject(pixels, apparent_depth * np.sqrt(camera.fx * camera.fy) / 600.0)


def test_tracks_carry_over_a_focal_length_change():
    old = Camera(640, 480, 600, 600, 320, 240)
    new = Camera(640, 480, 1200, 1200, 330, 236, "plumb_bob", (-0.2, 0.05, 0, 0, 0))
    pixels = np.array([[100.0, 260], [300, 250], [420, 255], [560, 270]])  # four walkers, 1 px/frame
    depth = np.array([3.0, 4.5, 6.0, 9.0])
    tracker, naive = Tracker(), Tracker()
    ids, naive_ids = [], []
    for frame in range(8):
        camera = old if frame < 4 else new
        roots = _seen_through(camera, pixels + [frame, 0], depth)
        ids.append(tracker.update(_poses(roots), camera).ids)
        naive_ids.append(naive.update(_poses(roots)).ids)
    assert all((i == ids[0]).all() for i in ids), ids
    # the same stream without the camera: every person gets a new id at the switch
    assert not set(naive_ids[4]) & set(naive_ids[3])


def test_tracks_carry_over_a_resolution_change():
    full = Camera(1280, 960, 1000, 1000, 640, 480)
    binned = Camera(640, 480, 500, 500, 319.75, 239.75)  # binning 2: same rays, same depths
    roots = np.array([[-1.0, 0.2, 4.0], [0.5, 0.1, 7.0]])
    tracker = Tracker()
    first = tracker.update(_poses(roots), full).ids
    assert (tracker.update(_poses(roots), binned).ids == first).all()


def test_estimator_ids_kept_when_fx_doubles():
    """The real model on a real frame: fx 600 -> 1200 about doubles every depth, ids stay."""
    rgb = good_frame()
    h, w = rgb.shape[:2]
    est = PoseEstimator.from_file(input_size=(384, 288))
    tracker = Tracker()
    cams = [Camera(w, h, 600, 600, (w - 1) / 2, (h - 1) / 2), Camera(w, h, 1200, 1200, (w - 1) / 2, (h - 1) / 2)]
    outs = []
    for cam in (cams[0], cams[0], cams[1], cams[1]):
        outs.append(tracker.update(est.estimate(rgb, cam), cam))
    assert len(outs[0]) >= 3
    # Root depth scales with the focal length (log Z/f_net is what the network reads); not exactly:
    # the lifter also reads each person's viewing ray (lifter.root_ray), and doubling fx halves it.
    np.testing.assert_allclose(outs[2].roots[:, 2] / outs[1].roots[:, 2], 2.0, rtol=0.03)
    assert all(list(o.ids) == list(outs[0].ids) for o in outs), [list(o.ids) for o in outs]
