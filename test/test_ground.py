"""Ground-plane-aware depth: exact geometry with a known floor, the consistency gate, and the
self-estimated floor of a static camera (convergence and reset after the camera moves)."""
from dataclasses import replace

import numpy as np
import pytest

from drm_ros.camera import Camera
from drm_ros.ground.fit import AutoPlane, FitSettings
from drm_ros.ground.plane import GroundPlane, PlaneError
from drm_ros.ground.refine import GATED, NO_FEET, REFINED, RefineSettings, refine, shift_depth
from drm_ros.ground.session import GroundDepth
from drm_ros.poses import PoseSet
from drm_ros.skeleton import JOINT_INDEX, NUM_JOINTS, ROOT
from drm_ros.synth.rig import look_rotation
from drm_ros.uncertainty import FUSED_SIGMA_CALIBRATION
from posehelpers import SKELETON

CAM = Camera(640, 480, 520.0, 515.0, 322.0, 236.0)
LA, RA = JOINT_INDEX["left_ankle"], JOINT_INDEX["right_ankle"]
ANKLE_H = RefineSettings().ankle_height_m
# posehelpers' optical-frame person (y down, ankles 0.88 m below the pelvis) as z-up world offsets
WORLD_SKELETON = np.stack([SKELETON[:, 2], -SKELETON[:, 0], -SKELETON[:, 1]], axis=1)
# plane-dominated fusion carried by DRM's dz only: the result must then be the exact intersection
EXACT = RefineSettings(drm_sigma_frac=1e4, gate_k=1e9, upright_offset_sigma_m=1e4)


def rig(height=1.3, pitch=12.0, roll=2.0):
    R = look_rotation(pitch, roll)
    return R, np.array([0.0, 0.0, height])


def world_person(x, y, lift=0.0, raise_right=0.0):
    """Standing person, ankle centres ANKLE_H above the floor (+ lift), right foot raised."""
    pts = WORLD_SKELETON + [x, y, 0.88 + ANKLE_H + lift]
    pts[RA, 2] += raise_right
    return pts


def poses_in_camera(people_world, R, C, camera=CAM) -> PoseSet:
    j3 = np.array([(p - C) @ R.T for p in people_world]).reshape(-1, NUM_JOINTS, 3)
    j3[:, ROOT] = 0.5 * (j3[:, JOINT_INDEX["left_hip"]] + j3[:, JOINT_INDEX["right_hip"]])
    uv = camera.project(j3)
    n = len(j3)
    boxes = np.concatenate([uv.min(1), uv.max(1)], axis=1)
    return PoseSet(np.full(n, 0.9), boxes, j3[:, ROOT].copy(), j3, uv, np.ones((n, NUM_JOINTS)))


def with_depth_error(poses: PoseSet, frac) -> PoseSet:
    """What DRM gets wrong: each person's root depth off by frac (N,), joints along their rays."""
    return shift_depth(poses, np.asarray(frac) * poses.roots[:, 2], CAM)


# ------------------------------------------------------------------ plane
def test_plane_from_parameters_matches_the_synthetic_rig_and_a_pose():
    R, C = rig(1.7, 18.0, -3.0)
    truth = GroundPlane(R[:, 2], C[2])  # world up in camera coordinates
    p = GroundPlane.from_height_pitch_roll(1.7, 18.0, -3.0)
    assert np.allclose(p.up, truth.up, atol=1e-12) and p.height == pytest.approx(1.7)
    assert (p.pitch_deg, p.roll_deg) == (pytest.approx(18.0), pytest.approx(-3.0))
    q = GroundPlane.from_camera_pose(R.T, C)  # camera -> floor frame
    assert np.allclose(q.up, truth.up) and q.height == pytest.approx(1.7)
    floor_point = np.array([4.0, 1.0, 0.0])
    assert p.heights((floor_point - C) @ R.T) == pytest.approx(0.0, abs=1e-12)
    assert GroundPlane.from_dict(p.to_dict()).angle_to_deg(p) < 1e-3
    # and back: a camera pose in a z-up floor frame (what `drm synth --bag` puts on /tf)
    R_pose, t_pose = p.camera_pose()
    assert np.allclose(R_pose @ R_pose.T, np.eye(3)) and np.linalg.det(R_pose) == pytest.approx(1.0)
    back = GroundPlane.from_camera_pose(R_pose, t_pose)
    assert back.angle_to_deg(p) < 1e-9 and back.height == pytest.approx(1.7)
    assert (R_pose @ ((floor_point - C) @ R.T) + t_pose)[2] == pytest.approx(0.0, abs=1e-12)  # on the floor
    assert t_pose == pytest.approx([0.0, 0.0, 1.7])  # the frame's origin is right below the camera


def test_plane_rejects_a_camera_below_the_floor_and_rays_above_the_horizon():
    with pytest.raises(PlaneError):
        GroundPlane(np.array([0.0, -1.0, 0.0]), -0.5)
    p = GroundPlane.from_height_pitch_roll(1.0, 0.0)
    z = p.ray_depths(np.array([[0.0, 0.2, 1.0], [0.0, -0.1, 1.0], [0.0, 0.0, 1.0]]))
    assert z[0] == pytest.approx(5.0) and np.isnan(z[1:]).all()


# ------------------------------------------------------------------ refinement
def test_feet_on_the_known_plane_give_the_exact_absolute_pose():
    R, C = rig()
    truth = poses_in_camera([world_person(3.0, 0.5), world_person(6.5, -1.0), world_person(2.0, -0.4)], R, C)
    wrong = with_depth_error(truth, [0.15, -0.2, 0.08])
    plane = GroundPlane(R[:, 2], C[2])
    res = refine(wrong, plane, CAM, EXACT)
    assert list(res.status) == [REFINED] * 3
    assert np.allclose(res.poses.joints3d, truth.joints3d, atol=1e-6)
    assert np.allclose(res.poses.roots, truth.roots, atol=1e-6)
    assert np.allclose(res.poses.joints2d, truth.joints2d, atol=1e-6)  # moved along the rays only


def test_an_upright_person_gets_the_pelvis_above_the_feet_despite_bad_relative_depth():
    R, C = rig()
    truth = poses_in_camera([world_person(5.0, 0.8)], R, C)  # pelvis above the ankles' midpoint
    drm = with_depth_error(truth, [0.2])
    z = drm.joints3d[0, [LA, RA], 2]
    drm.joints3d[0, [LA, RA]] *= ((z + [0.4, 0.3]) / z)[:, None]  # DRM's dz at the ankles off by 0.3-0.4 m
    s = RefineSettings(drm_sigma_frac=1e4, gate_k=1e9, relative_depth_sigma_m=1e4)
    res = refine(drm, GroundPlane(R[:, 2], C[2]), CAM, s)
    assert res.status[0] == REFINED
    assert res.poses.roots[0, 2] == pytest.approx(truth.roots[0, 2], abs=1e-6)


def test_fusion_weights_plane_and_drm_by_their_variances():
    R, C = rig()
    truth = poses_in_camera([world_person(4.0, 0.0)], R, C)
    wrong = with_depth_error(truth, [0.1])
    res = refine(wrong, GroundPlane(R[:, 2], C[2]), CAM)
    zp, sp, zd = res.plane_depth[0], res.plane_sigma[0], res.drm_depth[0]
    sd = RefineSettings().drm_sigma_frac * zd
    assert zp == pytest.approx(truth.roots[0, 2], abs=1e-6)
    expected = (zp / sp**2 + zd / sd**2) / (1 / sp**2 + 1 / sd**2)
    assert res.poses.roots[0, 2] == pytest.approx(expected, rel=1e-9)
    assert abs(expected - zp) < abs(zd - zp)
    # the published uncertainty is the fused one, as a distance along the ray: below DRM's own
    fused_z = 1 / np.sqrt(1 / sp**2 + 1 / sd**2)
    distance = np.linalg.norm(res.poses.roots[0])
    assert res.poses.root_sigma[0] == pytest.approx(FUSED_SIGMA_CALIBRATION * fused_z * distance / res.poses.roots[0, 2],
                                                    rel=1e-9)
    assert res.poses.root_sigma[0] < RefineSettings().drm_sigma_frac * distance


def test_the_foot_on_the_floor_is_used_not_the_raised_one():
    R, C = rig()
    truth = poses_in_camera([world_person(4.0, 0.3, raise_right=0.35)], R, C)
    res = refine(with_depth_error(truth, [-0.12]), GroundPlane(R[:, 2], C[2]), CAM, EXACT)
    assert res.status[0] == REFINED
    assert np.allclose(res.poses.roots, truth.roots, atol=1e-6)


def test_a_wrong_plane_and_a_jumping_person_are_gated():
    R, C = rig()
    truth = poses_in_camera([world_person(4.0, 0.3)], R, C)
    drm = with_depth_error(truth, [0.05])
    wrong_plane = GroundPlane(R[:, 2], 2.5 * C[2])  # the floor said to be 1.95 m lower than it is
    drm.root_sigma[:] = 0.5
    res = refine(drm, wrong_plane, CAM)
    assert res.status[0] == GATED and np.array_equal(res.poses.joints3d, drm.joints3d)
    assert res.poses.root_sigma[0] == 0.5  # DRM's depth kept, and its uncertainty with it
    jumper = with_depth_error(poses_in_camera([world_person(4.0, 0.3, lift=0.6)], R, C), [0.05])
    res = refine(jumper, GroundPlane(R[:, 2], C[2]), CAM)
    assert res.status[0] == GATED and np.array_equal(res.poses.roots, jumper.roots)


def test_a_plane_that_would_make_someone_too_tall_is_not_their_floor():
    """Someone on a raised part of the ground (a ramp, a platform): the floor's ray depth puts them
    so far that their skeleton would be 2.2+ m tall; they keep DRM's depth even with the sigma
    gate opened wide. The gate is an upper bound only: a person DRM sized too far (a child taken
    for an adult) is moved nearer and made shorter."""
    R, C = rig()
    plane, wide = GroundPlane(R[:, 2], C[2]), RefineSettings(gate_k=1e9, frame_bias_tolerance=1e9)
    raised = with_depth_error(poses_in_camera([world_person(5.0, 0.3, lift=0.5)], R, C), [0.02])
    res = refine(raised, plane, CAM, wide)
    assert res.plane_depth[0] > 1.3 * res.drm_depth[0]  # the floor's answer: much further away
    assert res.status[0] == GATED and np.array_equal(res.poses.joints3d, raised.joints3d)
    on_floor = poses_in_camera([world_person(5.0, 0.3)], R, C)
    for frac in (0.02, 0.4):  # DRM nearly right; DRM 40 % too far
        res = refine(with_depth_error(on_floor, [frac]), plane, CAM, wide)
        assert res.status[0] == REFINED


def test_people_without_confident_ankles_keep_drm_depth():
    R, C = rig()
    drm = with_depth_error(poses_in_camera([world_person(4.0, 0.3)], R, C), [0.1])
    drm.joint_scores[:, [LA, RA]] = 0.1
    res = refine(drm, GroundPlane(R[:, 2], C[2]), CAM)
    assert res.status[0] == NO_FEET and np.array_equal(res.poses.joints3d, drm.joints3d)


def test_known_mode_without_a_plane_is_one_clear_error():
    with pytest.raises(ValueError, match="known"):
        GroundDepth("known").apply(PoseSet.empty(), CAM, None)


# ------------------------------------------------------------------ self-estimated plane
def _walkers(rng, R, C, n=5):
    people = [world_person(rng.uniform(2.0, 9.0), rng.uniform(-2.0, 2.0)) for _ in range(n)]
    poses = poses_in_camera(people, R, C)
    visible = (poses.joints2d[:, :, 0] > 0) & (poses.joints2d[:, :, 0] < 639) & (poses.joints2d[:, :, 1] < 479)
    poses = poses.select(visible[:, [LA, RA]].all(axis=1))
    return with_depth_error(poses, rng.normal(0.0, 0.08, len(poses)))  # DRM-like depth noise


def test_auto_plane_converges_then_resets_when_the_camera_moves():
    rng = np.random.default_rng(3)
    auto = AutoPlane(FitSettings(seed=1))
    R, C = rig(1.4, 15.0, 1.5)
    truth = GroundPlane(R[:, 2], C[2])
    assert auto.update(_walkers(rng, R, C)) is None  # not enough evidence in one frame
    for _ in range(40):
        auto.update(_walkers(rng, R, C))
    assert auto.plane is not None and auto.confidence > 0.5
    assert auto.plane.angle_to_deg(truth) < 2.0
    assert auto.plane.height == pytest.approx(truth.height, rel=0.1)
    assert auto.reset_count == 0
    R2, C2 = rig(0.8, 2.0, -4.0)  # the robot stopped somewhere else: lower, looking ahead
    moved = GroundPlane(R2[:, 2], C2[2])
    for _ in range(40):
        auto.update(_walkers(rng, R2, C2))
    assert auto.reset_count >= 1
    assert auto.plane is not None and auto.plane.angle_to_deg(moved) < 2.5
    assert auto.plane.height == pytest.approx(moved.height, rel=0.15)


def _crowd(rng, R, C, people=8, frames=20):
    """`people` walking for `frames` frames, each with its own DRM depth bias (the size prior:
    10 %) that repeats in every frame, plus 1 % noise per frame."""
    start = np.column_stack([rng.uniform(3, 8, people), rng.uniform(-1.5, 1.5, people)])
    step, bias = rng.normal(0, 0.1, (people, 2)), rng.normal(0, 0.1, people)
    for t in range(frames):
        walkers = poses_in_camera([world_person(x, y) for x, y in start + t * step], R, C)
        yield with_depth_error(walkers, bias + rng.normal(0, 0.01, people))


def test_the_auto_plane_counts_people_not_points_in_its_uncertainty():
    """One person's points repeat that person's depth error, so the plane's tilt uncertainty is
    counted in people (a bootstrap over them, floor_uncertainty.py): the angle is a 2-D error, so
    error / sigma should be about Rayleigh (median 1.18; the bootstrap alone, without the measured
    floors: 1.6; with them 1.35), counted in points (every point its own person) the sigma claimed
    is several times too small. Three people fix a plane but not its uncertainty: no plane."""
    R, C = rig(2.5, 20.0, 3.0)
    truth = GroundPlane(R[:, 2], C[2])
    ratios = {"people": [], "points": []}
    for seed in range(20):
        raw = dict(tilt_sigma_floor_deg=0.0, height_sigma_floor_frac=0.0)  # the counting alone, without the measured floors
        for name, fit in (("people", FitSettings(**raw)), ("points", FitSettings(link_gate_m=1e-9, link_depth_gate_frac=0.0, **raw))):
            auto = AutoPlane(fit)
            for frame in _crowd(np.random.default_rng(seed), R, C):
                auto.update(frame)
            if auto.plane is not None:
                ratios[name].append(auto.plane.angle_to_deg(truth) / auto.tilt_sigma_deg)
                assert name == "points" or 6 <= auto.num_people <= 8
    assert len(ratios["people"]) >= 12 and len(ratios["points"]) == 20
    assert 0.7 < np.median(ratios["people"]) < 2.0 and np.percentile(ratios["people"], 90) < 4.0
    assert np.median(ratios["points"]) > 3.0
    three = AutoPlane()
    for frame in _crowd(np.random.default_rng(0), R, C, people=3):
        three.update(frame)
    assert three.num_points >= 50 and three.plane is None


def test_the_auto_plane_does_not_depend_on_its_seed():
    """The fit is the least truncated cost (plane_fit.msac_plane), not the most inliers among a
    few random triples: the floor and the uncertainty it claims agree across seeds."""
    R, C = rig(2.5, 20.0, 3.0)
    for orientation in ("ankles3d", "fused"):
        planes = []
        for seed in range(4):
            auto = AutoPlane(FitSettings(seed=seed, orientation=orientation))
            for frame in _crowd(np.random.default_rng(5), R, C):
                auto.update(frame)
            planes.append((auto.plane, auto.tilt_sigma_deg))
        for plane, sigma in planes[1:]:
            if orientation == "ankles3d":  # the 3D fit itself is deterministic
                assert np.allclose(plane.up, planes[0][0].up, atol=1e-9)
                assert plane.height == pytest.approx(planes[0][0].height, abs=1e-9)
            else:  # fused: the two tilts are weighed by the bootstrap's sigmas, which resample
                assert plane.angle_to_deg(planes[0][0]) < 0.2 and plane.height == pytest.approx(planes[0][0].height, abs=0.02)
            assert sigma == pytest.approx(planes[0][1], rel=0.2)  # the bootstrap's own resampling differs


def test_an_auto_plane_too_uncertain_is_not_offered():
    R, C = rig(2.5, 20.0, 3.0)
    loose, strict = AutoPlane(), AutoPlane(FitSettings(max_tilt_sigma_deg=0.05))
    for frame in _crowd(np.random.default_rng(3), R, C):
        loose.update(frame)
        strict.update(frame)
    assert loose.plane is not None and loose.tilt_sigma_deg > 0.05
    assert strict.plane is None and strict.num_points == loose.num_points


def test_auto_plane_ignores_people_who_are_not_upright():
    R, C = rig()
    lying = poses_in_camera([world_person(4.0, 0.0)], R, C)
    lying.joints2d[:, :, [0, 1]] = lying.joints2d[:, :, [1, 0]]  # a body lying across the image
    auto = AutoPlane()
    for _ in range(10):
        auto.update(lying)
    assert auto.num_points == 0 and auto.plane is None


def test_a_slightly_wrong_fixed_plane_is_rejected_over_a_stream():
    """A camera height 25 % too large biases every plane depth the same way: too little for one
    person's gate, but the evidence of a stream rejects the plane and DRM's depth is kept."""
    rng = np.random.default_rng(5)
    R, C = rig(1.2, 10.0, 0.0)
    wrong = GroundDepth("fixed", GroundPlane(R[:, 2], 1.25 * C[2]))
    right = GroundDepth("fixed", GroundPlane(R[:, 2], C[2]))
    for _ in range(30):
        truth = poses_in_camera([world_person(rng.uniform(2.5, 6.0), rng.uniform(-1, 1))], R, C)
        drm = with_depth_error(truth, rng.normal(0.0, 0.06, 1))
        last_wrong, last_right = wrong.apply(drm, CAM), right.apply(drm, CAM)
    assert last_wrong.status[0] == GATED and np.array_equal(last_wrong.poses.roots, drm.roots)
    assert wrong.totals["frames_plane_rejected"] > 20
    assert last_right.status[0] == REFINED and right.totals["frames_plane_rejected"] == 0


def test_dataset_ground_annotation_round_trips_and_known_mode_needs_it(tmp_path, capsys):
    from drm_ros.cli import main
    from drm_ros.data.sample import Sample, load_dataset, save_dataset

    R, C = rig(1.1, 7.0, -1.0)
    poses = poses_in_camera([world_person(3.0, 0.0)], R, C)
    labelled = Sample("images/a.jpg", CAM, poses.joints3d, poses.joints2d, np.ones((1, NUM_JOINTS)), poses.boxes,
                      [{}], GroundPlane(R[:, 2], C[2]))
    (tmp_path / "images").mkdir()
    save_dataset(tmp_path, [labelled, replace(labelled, image_path="images/b.jpg", ground=None)])
    back = load_dataset(tmp_path)
    assert back[0].ground.angle_to_deg(labelled.ground) < 1e-3 and back[0].ground.height == pytest.approx(1.1)
    assert back[1].ground is None
    assert main(["eval", "--data", str(tmp_path), "--ground-plane", "known"]) == 1
    assert "needs every image's 'ground' annotation" in capsys.readouterr().err


def test_the_floor_fit_polishes_towards_its_own_cost():
    """msac_plane's polish weighs the least squares so that they minimise the relative depth
    error the fit is scored by (plane_fit.relative_depth_weights). Ankles on a floor seen at
    grazing angles, 8 % depth noise along the rays and 20 % wild points: over 20 draws the fit
    ends within 5 % of the true plane's truncated cost in 90 % of them (polished with 1 / Z^2
    instead, as before session 11: 13 % over)."""
    from drm_ros.ground.plane_fit import msac_plane, relative_depth_residual, relative_depth_weights, truncated_cost

    ratios, angles = [], []
    for seed in range(20):
        rng = np.random.default_rng(seed)
        R, C = rig(5.0, 24.0, 1.0)
        world = np.column_stack([rng.uniform(-6, 6, 150), rng.uniform(5, 20, 150), np.full(150, ANKLE_H)])
        cam = (world - C) @ R.T
        cam = cam[cam[:, 2] > 1]
        cam = cam * (1 + rng.normal(0, 0.08, len(cam)))[:, None]  # DRM's depth error, along the rays
        wild = rng.random(len(cam)) < 0.2
        cam[wild] *= rng.uniform(0.6, 1.5, wild.sum())[:, None]
        truth = GroundPlane(R[:, 2], C[2])
        true_cost = truncated_cost(cam, truth.up[None], np.array([truth.height - ANKLE_H]), relative_depth_residual, 0.15)[0]
        n, d, _ = msac_plane(cam, relative_depth_residual, 0.15, relative_depth_weights, 1000, 10, seed)
        ratios.append(truncated_cost(cam, n[None], np.array([d]), relative_depth_residual, 0.15)[0] / true_cost)
        angles.append(GroundPlane(n if n @ truth.up > 0 else -n, 1.0).angle_to_deg(truth))
    assert np.percentile(ratios, 90) < 1.05 and max(angles) < 6.0
