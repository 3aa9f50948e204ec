"""Perspective views of a wide fisheye (drm_ros/fisheye_views.py, passes.plan_views): a view is
a pinhole camera turned by R about the fisheye's optical centre; what it sees lands on the same
rays of the fisheye, and a person the fisheye bends at its rim is found through a view."""
import numpy as np
import pytest
from posehelpers import person, poses_from

from drm_ros.camera import Camera, Letterbox
from drm_ros.codec import J2D, lift_to_3d
from drm_ros.fisheye_views import View, pinhole, turn
from drm_ros.passes import (VIEW_RIM_MARGIN, concat, estimate_passes, lens_reach, merge_duplicates, merge_views,
                            plan_views)

# 150 degrees across 640 px, off-centre principal point, real-looking coefficients
FISH = Camera(640, 480, 246.0, 248.0, 331.0, 236.0, "equidistant", (0.02, -0.008, 0.001, 0.0))


def test_a_point_seen_in_a_view_and_in_the_fisheye_lands_on_the_same_ray():
    view = View.make(pinhole(192, 256, 30.0), turn(-55.0, 10.0))
    rng = np.random.default_rng(3)
    # points in front of the view, some of them more than 70 degrees off the fisheye's axis
    in_view = np.concatenate([rng.uniform(-0.5, 0.5, (50, 2)), np.ones((50, 1))], 1) * rng.uniform(1, 9, (50, 1))
    points = view.to_camera_points(in_view)
    assert np.degrees(np.arccos(points[:, 2] / np.linalg.norm(points, axis=1))).max() > 70
    uv_view = view.camera.project(in_view)
    np.testing.assert_allclose(view.to_image_pixels(uv_view, FISH), FISH.project(points), atol=1e-6)
    rays = points / np.linalg.norm(points, axis=1, keepdims=True)
    np.testing.assert_allclose(FISH.rays(view.to_image_pixels(uv_view, FISH)), rays, atol=1e-9)
    np.testing.assert_allclose(view.to_view_points(points), in_view, atol=1e-12)
    # the remap maps are the same mapping, pixel by pixel
    mx, my = view.maps(FISH)
    for u, v in [(0, 0), (191, 255), (57, 200)]:
        np.testing.assert_allclose([mx[v, u], my[v, u]], view.to_image_pixels(np.array([u, v], float), FISH), atol=1e-3)


def test_a_person_lifted_in_a_view_is_the_same_person_in_the_fisheye():
    """The view's 2D carried along the rays onto the fisheye is the fisheye projection of the 3D
    lifted in the view and turned by R: 2D and 3D stay consistent in the real camera."""
    view = View.make(pinhole(192, 256, 30.0), turn(50.0, 10.0))
    truth = poses_from([person([0.1, 0.2, 3.5])])  # standing in the view's frame, 3.5 m ahead
    uv = view.camera.project(truth.joints3d[0, :J2D])
    box = Letterbox.fit(192, 256, 192, 256)
    z_root = truth.roots[0, 2]
    lifted = lift_to_3d(box.to_network(uv)[None], np.full((1, J2D), 0.9), np.array([0.8]),
                        np.log([z_root / box.network_focal(view.camera)]),
                        (truth.joints3d[0, :J2D, 2] - z_root)[None], box, view.camera)
    seen = view.poses_to_camera(lifted, FISH)
    # the person where it stands, in the fisheye camera's frame
    np.testing.assert_allclose(seen.joints3d[0, :J2D], view.to_camera_points(truth.joints3d[0, :J2D]), atol=1e-9)
    np.testing.assert_allclose(seen.roots, view.to_camera_points(lifted.roots), atol=1e-12)
    np.testing.assert_allclose(seen.joints2d, FISH.project(seen.joints3d), atol=1e-6)
    assert np.all(seen.boxes[:, :2] <= seen.joints2d.min(1)) and np.all(seen.boxes[:, 2:] >= seen.joints2d.max(1))


def test_views_cover_a_wide_fisheye_and_nothing_else():
    assert plan_views(Camera(640, 480, 500.0, 500.0, 320.0, 240.0), (384, 288)) == []  # pinhole
    narrow = Camera(640, 480, 420.0, 420.0, 320.0, 240.0, "equidistant", (0.0, 0.0, 0.0, 0.0))  # ~87 degrees
    assert plan_views(narrow, (384, 288)) == []
    views = plan_views(FISH, (384, 288))
    left, right = lens_reach(FISH)
    assert len(views) == 3 and min(left, right) > 70
    centre, *sides = views
    assert (centre.camera.width, centre.camera.height) == (384, 288) and centre.yaw_deg == 0
    assert centre.inner_edges(FISH) == (True, True, True, True)  # the fisheye goes on past every edge
    for view, reach, outer in zip(sides, (-left, right), (0, 2)):
        assert not view.camera.has_distortion and np.sign(view.yaw_deg) == np.sign(reach)
        # the side views draw people at about the centre view's scale (192x256 drew them at 3/4)
        assert abs(view.camera.fx / centre.camera.fx - 1) < 0.1 and view.camera.height > view.camera.width
        # the side view's outer edge reaches past the image's edge (rim people sit inside the view)
        edge_u = 0.0 if outer == 0 else view.camera.width - 1.0
        ray = view.to_camera_points(view.camera.rays(np.array([edge_u, view.camera.cy])))
        assert np.degrees(np.arctan2(abs(ray[0]), ray[2])) > abs(reach) + VIEW_RIM_MARGIN - 1
        assert not view.inner_edges(FISH)[outer] and view.inner_edges(FISH)[2 - outer]


def _person_at(root, score):
    p = poses_from([person(root)])
    p.scores[:] = score
    return p


def test_merge_views_joins_one_person_seen_by_two_views_but_keeps_neighbours():
    a = _person_at([0.0, 0.0, 4.0], 0.6)
    b = _person_at([0.0, 0.0, 4.0], 0.8)
    b.joints2d[0, [5, 6, 7, 8, 9, 10, 13, 14, 15, 16]] += [40.0, -30.0]  # the other view bends arms and legs
    assert len(merge_duplicates(concat([a, b]))) == 2  # so OKS alone calls them two people
    c = _person_at([0.45, 0.0, 4.0], 0.5)  # a neighbour in a's view
    merged = merge_views([concat([a, c]), b])  # views: [a, c] and [b]
    assert len(merged) == 2 and np.isclose(merged.scores[0], 0.8) and np.isclose(merged.scores[1], 0.5)
    # two people found by one view are kept apart even when their pelvises nearly coincide
    d = _person_at([0.04, 0.0, 8.0], 0.4)  # behind a, half its size
    assert len(merge_views([concat([a, d])])) == 2


def test_merge_views_says_which_view_each_person_came_from_and_can_prefer_another_reading():
    a = _person_at([0.0, 0.0, 4.0], 0.6)  # the centre view's reading
    b = _person_at([0.0, 0.0, 4.3], 0.8)  # the side view's reading of the same person, deeper
    c = _person_at([1.5, 0.0, 4.0], 0.5)  # someone only the side view sees
    merged, source = merge_views([a, concat([b, c])], with_source=True)
    assert np.allclose(merged.scores, [0.8, 0.5]) and list(source) == [1, 1]
    assert np.isclose(merged.roots[0, 2], 4.3)
    # a priority per person (in the order of the sets) picks the reading instead of the score
    merged, source = merge_views([a, concat([b, c])], priority=np.array([1.0, 0.0, 0.0]), with_source=True)
    assert np.isclose(merged.roots[0, 2], 4.0) and list(source) == [0, 1]
    assert np.allclose(merged.scores, [0.6, 0.5])  # still sorted by score


@pytest.fixture(scope="module")
def estimator():
    from drm_ros.inference import PoseEstimator

    return PoseEstimator.from_file()


def test_a_person_at_the_rim_is_found_through_a_view(estimator):
    """Two scenes of the fisheye test split (config/synth/test_fisheye.yaml, seed 16000) with a
    fully drawn person 60 and 70 degrees off axis that the network misses on the fisheye image
    as it is (model/logs/fisheye/): the side views find both."""
    from drm_ros.imageio import decode_jpeg
    from drm_ros.metrics import match_persons
    from drm_ros.paths import share_dir
    from drm_ros.synth.config import load_config
    from drm_ros.synth.generate import make_frame
    from drm_ros.synth.motion import MotionLibrary

    cfg = load_config(share_dir() / "config" / "synth" / "test_fisheye.yaml")
    motion = MotionLibrary(cfg["clips"])
    found_single = found_views = 0
    for index, who, degrees in ((58, 3, 60), (57, 0, 70)):
        frame = make_frame(cfg, motion, 16000, index)
        root = frame.joints3d[who, -1]
        assert abs(np.degrees(np.arccos(root[2] / np.linalg.norm(root))) - degrees) < 1
        image = decode_jpeg(frame.jpeg)
        views = estimate_passes(estimator, image, frame.camera, fisheye_views=True)
        single = estimate_passes(estimator, image, frame.camera)
        found_views += match_persons(views, frame)[who] >= 0
        found_single += match_persons(single, frame)[who] >= 0
    assert found_views == 2 and found_single < found_views
    assert estimator.input_size == (384, 288)  # the views' sizes did not stick
