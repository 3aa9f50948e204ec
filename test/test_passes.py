"""Multi-pass inference (drm_ros/passes.py): tile cameras keep depth exact, duplicates merge,
people cut by a tile edge are left to the pass that sees them whole."""
import numpy as np
import pytest
from posehelpers import HEIGHT_M, person, poses_from

from drm_ros.camera import Camera, CameraError, Letterbox
from drm_ros.codec import J2D, lift_to_3d
from drm_ros.imageio import read_rgb
from drm_ros.passes import (Crop, MultiPassEstimator, _inside_crop, concat, estimate_crop, estimate_passes,
                            merge_duplicates, plan_tiles, plan_zooms, shift_poses, tile_grid)
from drm_ros.paths import share_dir

CAM = Camera(768, 576, 600.0, 610.0, 390.0, 280.0, "plumb_bob", (-0.25, 0.08, 0.001, -0.002, 0.0))


def test_crop_camera_sees_the_same_rays():
    tile = CAM.crop(300, 150, 384, 288)
    uv_full = np.array([[310.0, 160.0], [650.5, 430.25], [380.0, 200.0]])
    np.testing.assert_allclose(tile.backproject(uv_full - [300, 150], np.ones(3)), CAM.backproject(uv_full, np.ones(3)),
                               atol=1e-9)
    pts = np.array([[0.3, -0.2, 3.0], [-0.1, 0.4, 5.0]])
    np.testing.assert_allclose(tile.project(pts) + [300, 150], CAM.project(pts), atol=1e-9)
    with pytest.raises(CameraError):
        CAM.crop(500, 0, 384, 288)  # sticks out of the image


def test_person_in_a_tile_lifts_to_the_same_3d_as_in_the_full_frame():
    """Same image pixels and the same metric root depth -> identical 3D, whichever letterbox and
    crop they went through (the depth head's output is normalised by each pass's own focal)."""
    rng = np.random.default_rng(1)
    uv = rng.uniform([420, 200], [560, 460], (2, J2D, 2))  # image pixels, inside the tile below
    z_root, dz = np.array([3.2, 6.5]), rng.normal(0, 0.15, (2, J2D))
    js, score = np.full((2, J2D), 0.8), np.array([0.9, 0.7])

    def lift(box, camera, offset):
        net = box.to_network(uv - offset)
        return lift_to_3d(net, js, score, np.log(z_root / box.network_focal(camera)), dz, box, camera)

    full = lift(Letterbox.fit(768, 576, 384, 288), CAM, [0, 0])
    crop = Crop(384, 180, 384, 288, (384, 288))
    tile_cam = CAM.crop(crop.x0, crop.y0, crop.width, crop.height)
    tiled = shift_poses(lift(Letterbox.fit(384, 288, 384, 288), tile_cam, [crop.x0, crop.y0]), crop.x0, crop.y0)
    np.testing.assert_allclose(tiled.joints3d, full.joints3d, atol=1e-9)
    np.testing.assert_allclose(tiled.joints2d, full.joints2d, atol=1e-6)
    np.testing.assert_allclose(tiled.boxes, full.boxes, atol=1e-6)


def _people(*roots_scores):
    sets = []
    for root, s in roots_scores:
        p = poses_from([person(root)])
        p.scores[:] = s
        sets.append(p)
    return concat(sets)


def test_merge_keeps_the_best_of_each_duplicate_and_every_distinct_person():
    a, b = ([0.0, 0.0, 4.0], 0.6), ([0.005, 0.0, 4.0], 0.9)  # the same person seen twice
    c = ([0.45, 0.0, 4.0], 0.5)  # a neighbour overlapping a by half a body width: someone else
    merged = merge_duplicates(_people(a, b, c))
    assert len(merged) == 2
    np.testing.assert_allclose(merged.scores, [0.9, 0.5])


def test_people_cut_by_an_inner_tile_edge_are_dropped_but_not_at_the_image_border():
    p = poses_from([person([0, 0, 4.0])], cx=100, cy=150)  # spans about u 70..130 in crop pixels
    inner = Crop(200, 100, 200, 300, (160, 256))  # its left edge is inside the 768-wide image
    assert _inside_crop(p, inner, 768, 576).all()
    left = poses_from([person([0, 0, 4.0])], cx=10, cy=150)  # reaches past the crop's left edge
    assert not _inside_crop(left, inner, 768, 576).any()
    at_border = Crop(0, 100, 200, 300, (160, 256))  # the same left edge is the image's own
    assert _inside_crop(left, at_border, 768, 576).all()


def test_tiles_cover_the_image_with_overlap():
    tiles = tile_grid(1920, 1080, 960, 720)
    cover = np.zeros((1080, 1920), bool)
    for x, y, w, h in tiles:
        assert x >= 0 and y >= 0 and x + w <= 1920 and y + h <= 1080
        cover[y:y + h, x:x + w] = True
    assert cover.all()
    xs = sorted({x for x, *_ in tiles})
    assert all(b - a <= 0.75 * 960 for a, b in zip(xs, xs[1:]))  # at least the 25 % overlap
    # no tiles where the first pass already sees every pixel the image has
    assert plan_tiles(384, 288, (384, 288)) == []
    assert len(plan_tiles(1920, 1080, (384, 288))) > 1


def test_zoom_crops_frame_the_doubtful_person_finer_than_the_first_pass():
    doubt = poses_from([person([0.0, 0.0, 12.0])], fx=600, cx=384, cy=288)  # a far, small person
    (crop,) = plan_zooms(doubt, 768, 576, (384, 288), max_zooms=2)
    u0, v0, u1, v1 = doubt.boxes[0]
    assert crop.x0 <= u0 and crop.y0 <= v0 and crop.x0 + crop.width >= u1 and crop.y0 + crop.height >= v1
    assert crop.input_size[1] / crop.height > 288 / 576  # seen finer than in the first pass
    assert crop.input_size[1] / crop.height <= 2 * 288 / 576 + 1e-6  # never beyond the 2x cap


@pytest.fixture(scope="module")
def estimator():
    from drm_ros.inference import PoseEstimator

    return PoseEstimator.from_file(input_size=(768, 576))


@pytest.fixture(scope="module")
def frame():
    return read_rgb(share_dir() / "sample_data" / "vtest" / "frame_0260.jpg")


def test_real_person_in_a_native_tile_keeps_its_3d(estimator, frame):
    """The real network on a vtest frame at native scale, whole vs a tile around one person: the
    tile sees the same pixels at the same scale, so 2D and depth agree closely."""
    cam = Camera.default_for(frame.shape[1], frame.shape[0])
    full = estimator.estimate(frame, cam)
    assert len(full) >= 3
    i = int(np.argmax(full.scores))
    u0, v0, u1, v1 = full.boxes[i]
    x0 = int(np.clip((u0 + u1) / 2 - 192, 0, 768 - 384))
    y0 = int(np.clip((v0 + v1) / 2 - 144, 0, 576 - 288))
    tiled = estimate_crop(estimator, frame, cam, Crop(x0, y0, 384, 288, (384, 288)))
    assert estimator.input_size == (768, 576)  # the pass's size change did not stick
    d2 = np.linalg.norm(tiled.joints2d[:, :17] - full.joints2d[i, :17], axis=-1).mean(-1)
    j = int(np.argmin(d2))
    height = np.ptp(full.joints2d[i, :17, 1])
    assert d2[j] < 0.05 * height
    assert abs(tiled.roots[j, 2] - full.roots[i, 2]) < 0.05 * full.roots[i, 2]
    # the 3D direction follows the 2D: the pelvis ray of the tile person hits its own 2D pelvis
    np.testing.assert_allclose(cam.project(tiled.roots[j:j + 1])[0], tiled.joints2d[j, -1], atol=1e-6)


def test_single_pass_is_the_plain_estimator_and_zoom_only_adds(estimator, frame):
    cam = Camera.default_for(frame.shape[1], frame.shape[0])
    small = MultiPassEstimator(estimator, "single")
    with_size = estimator.input_size
    estimator.input_size = (384, 288)
    try:
        plain = estimator.estimate(frame, cam)
        single = estimate_passes(estimator, frame, cam, "single")
        zoom = estimate_passes(estimator, frame, cam, "zoom", max_zooms=3)
    finally:
        estimator.input_size = with_size
    np.testing.assert_array_equal(single.joints3d, plain.joints3d)
    assert len(zoom) >= len(plain)
    assert np.all(np.diff(zoom.scores) <= 0) and zoom.scores.min() >= estimator.score_threshold
    assert small.input_size == with_size
    with pytest.raises(ValueError, match="passes must be one of"):
        estimate_passes(estimator, frame, cam, "pyramid")
