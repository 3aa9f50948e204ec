"""The floor's tilt from 2D alone (ground/floor_orientation.py, ground/image_floor.py): exact
geometry gives the floor back, bad input gets one clear reason, and DRM's depth errors cannot
tilt it (they tilt the plane through DRM's 3D ankles)."""
from dataclasses import replace

import numpy as np
import pytest

from drm_ros.ground.fit import AutoPlane, FitSettings
from drm_ros.ground.floor_orientation import OrientationError, fit_orientation
from drm_ros.ground.image_floor import ankle_offset
from drm_ros.ground.plane import GroundPlane
from test_ground import poses_in_camera, rig, with_depth_error, world_person


def unit(v):
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def scene(pitch, roll, height, people=20, seed=0):
    """Feet on a known floor and points 1.3 / 1.5 m straight above them, as unit rays."""
    rng = np.random.default_rng(seed)
    floor = GroundPlane.from_height_pitch_roll(height, pitch, roll)
    origin, fwd, side = floor.floor_basis()
    feet = origin + fwd * rng.uniform(3, 15, (people, 1)) + side * rng.uniform(-4, 4, (people, 1))
    body = feet[:, None, :] + np.array([1.3, 1.5])[None, :, None] * floor.up
    return floor, unit(feet), unit(body), np.arange(people)


@pytest.mark.parametrize("pitch, roll, height", [(20.0, -4.0, 4.2), (0.0, 0.0, 1.2), (-5.0, 3.0, 1.0), (45.0, 10.0, 6.0)])
def test_exact_geometry_gives_back_pitch_roll_and_the_height_ratios(pitch, roll, height):
    floor, feet, body, who = scene(pitch, roll, height)
    o = fit_orientation(feet, body, who)
    got = GroundPlane(o.up, 1.0)
    assert got.pitch_deg == pytest.approx(pitch, abs=1e-4) and got.roll_deg == pytest.approx(roll, abs=1e-4)
    assert o.ratios == pytest.approx([1.3 / height, 1.5 / height], rel=1e-5)
    assert o.inliers.all() and o.tilt_sigma_deg < 1e-3  # nothing left to explain


def test_statures_and_pixel_noise_cost_a_fraction_of_a_degree_and_the_sigma_says_so():
    rng = np.random.default_rng(1)
    floor, feet, body, who = scene(18.0, 3.0, 3.0, people=60)
    stature = rng.normal(1.0, 0.04, (60, 1, 1))
    feet_pts = feet * (-floor.height / (feet @ floor.up))[:, None]
    body = unit(feet_pts[:, None] + stature * np.array([1.3, 1.5])[None, :, None] * floor.up)
    body = unit(body + rng.normal(0, 0.0015, body.shape))
    o = fit_orientation(unit(feet + rng.normal(0, 0.0015, feet.shape)), body, who)
    err = np.degrees(np.arccos(np.clip(o.up @ floor.up, -1, 1)))
    assert err < 0.5
    assert 0.02 < o.tilt_sigma_deg < 1.0 and err < 4 * o.tilt_sigma_deg


def test_too_few_people_or_degenerate_input_is_one_clear_error():
    floor, feet, body, who = scene(15.0, 0.0, 2.5, people=5)
    with pytest.raises(OrientationError, match="5 people seen upright; the floor's orientation needs 6"):
        fit_orientation(feet, body, who)  # 2 tilts + 2 ratios fitted: two people to spare at least
    floor, feet, body, who = scene(15.0, 0.0, 2.5, people=8)
    with pytest.raises(OrientationError, match="3 people seen upright"):  # eight observations of three people
        fit_orientation(feet, body, who % 3)
    with pytest.raises(OrientationError, match="all feet at one image point"):
        fit_orientation(np.repeat(feet[:1], 8, 0), np.repeat(body[:1], 8, 0), who)
    with pytest.raises(OrientationError, match=r"need foot rays \(M, 3\)"):
        fit_orientation(feet[:, :2], body, who)
    body[:, :, :] = np.nan  # no body point seen: nobody counts
    with pytest.raises(OrientationError, match="0 people"):
        fit_orientation(feet, body, who)


def test_the_height_is_the_offset_most_ankles_agree_with():
    c = np.r_[np.full(8, 2.0) * (1 + np.linspace(-0.05, 0.05, 8)), 4.0, 0.5, np.nan]
    offset, inliers = ankle_offset(c, 0.15)
    assert offset == pytest.approx(2.0, rel=0.01)
    assert inliers.tolist() == [True] * 8 + [False] * 3


def _biased_crowd(rng, R, C, people=10, frames=20):
    """Walkers whose DRM depth error grows with distance (+4 % per metre beyond 5 m): the same for
    everyone, so no resampling sees it, and it tilts a plane through their 3D ankles."""
    start = np.column_stack([rng.uniform(3, 10, people), rng.uniform(-2, 2, people)])
    step = rng.normal(0, 0.1, (people, 2))
    for t in range(frames):
        walkers = poses_in_camera([world_person(x, y) for x, y in start + t * step], R, C)
        yield with_depth_error(walkers, 0.04 * (walkers.roots[:, 2] - 5.0))


def test_a_depth_bias_tilts_the_3d_ankle_floor_but_not_the_image_floor():
    R, C = rig(2.5, 15.0, 2.0)
    truth = GroundPlane(R[:, 2], C[2])
    planes = {}
    for mode in ("ankles3d", "image2d"):
        auto = AutoPlane(replace(FitSettings(), orientation=mode, max_tilt_sigma_deg=90.0))
        for frame in _biased_crowd(np.random.default_rng(4), R, C):
            auto.update(frame)
        assert auto.plane is not None, auto.reason
        planes[mode] = auto.plane
    assert planes["ankles3d"].angle_to_deg(truth) > 3.0
    assert planes["image2d"].angle_to_deg(truth) < 0.3
    assert planes["image2d"].height == pytest.approx(truth.height, rel=0.15)  # the bias enters here only


def test_the_image_floor_tells_why_it_offers_no_plane():
    R, C = rig(2.5, 15.0, 2.0)
    auto = AutoPlane(replace(FitSettings(), orientation="image2d"))
    for frame in _biased_crowd(np.random.default_rng(0), R, C, people=3):
        auto.update(frame)
    assert auto.plane is None and "3 people seen upright; the floor's orientation needs 6" in auto.reason
    with pytest.raises(ValueError, match="floor orientation 'images' is not one of ankles3d, image2d"):
        FitSettings(orientation="images")


def test_an_unseen_body_point_costs_nothing_and_an_unseen_person_is_no_inlier():
    floor, feet, body, who = scene(12.0, 2.0, 2.0, people=10)
    body[0, 1] = np.nan  # one person's second point not seen
    body[1, :] = np.nan  # nobody seen above this person's feet
    o = fit_orientation(feet, body, who)
    assert GroundPlane(o.up, 1.0).pitch_deg == pytest.approx(12.0, abs=1e-4)
    assert o.inliers.tolist() == [True] + [False] + [True] * 8
