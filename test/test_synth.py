"""drm synth: determinism, label/projection/render consistency, left/right, occlusion flags."""
import json

import numpy as np
import pytest

from drm_ros.camera import Camera
from drm_ros.data.sample import load_dataset
from drm_ros.skeleton import JOINT_INDEX
from drm_ros.synth.body import sample_look
from drm_ros.synth.config import ConfigError, load_config
from drm_ros.synth.generate import generate, make_frame
from drm_ros.synth.motion import P, BodyShape, MotionLibrary, coco_joints
from drm_ros.synth.raster import Light
from drm_ros.synth.rig import Rig, look_rotation
from drm_ros.synth.scene import MAP_STEP, Person, Scene, distortion_map, pose_person, render


@pytest.fixture(scope="module")
def cfg():
    return load_config()


@pytest.fixture(scope="module")
def motion():
    return MotionLibrary()


def neutral_shape(mirrored=False):
    from drm_ros.synth.motion import TREE_ORDER

    return BodyShape(1.7 / 1.6, {c: 1.0 for c in TREE_ORDER}, mirrored, {})


def test_same_seed_same_bytes_and_labels(tmp_path, cfg):
    a = generate(tmp_path / "a", 3, 11, cfg, workers=0, log=None)
    b = generate(tmp_path / "b", 3, 11, cfg, workers=0, log=None)
    assert a["images"] == b["images"] == 3
    for i in range(3):
        name = f"images/{i:06d}.jpg"
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    ja, jb = (json.loads((tmp_path / d / "annotations.json").read_text()) for d in "ab")
    assert ja == jb
    c = generate(tmp_path / "c", 1, 12, cfg, workers=0, log=None)
    assert c["images"] == 1
    assert (tmp_path / "c" / "images/000000.jpg").read_bytes() != (tmp_path / "a" / "images/000000.jpg").read_bytes()


def test_labels_are_the_camera_projection_and_match_the_pixels(tmp_path, cfg, motion):
    people = 0
    for i in range(6):  # exact in memory
        f = make_frame(cfg, motion, 5, i)
        people += len(f.joints3d)
        if len(f.joints3d):
            assert np.abs(f.camera.project(f.joints3d) - f.joints2d).max() < 1e-3
    assert people > 0
    generate(tmp_path, 6, 5, cfg, workers=0, log=None)
    for s in load_dataset(tmp_path):  # annotations.json rounds 3D to 10 um, 2D to 1e-3 px
        if s.num_persons:
            assert np.abs(s.camera.project(s.joints3d) - s.joints2d).max() < 1e-2
    # Rendered pixels agree with the labels: most visible joints fall on their own person's pixels
    # (with and without lens distortion).
    hits = total = 0
    distorted = 0
    for i in range(12):
        frame, r = make_frame(cfg, motion, 21, i, keep_ids=True)
        distorted += r.camera.has_distortion
        uv = np.round(r.joints2d).astype(int)
        for p in range(len(r.joints2d)):
            for j in np.nonzero(r.visible[p])[0]:
                total += 1
                hits += r.ids[uv[p, j, 1], uv[p, j, 0]] == p
    assert distorted > 0 and total > 50
    assert hits / total > 0.9, (hits, total)


def test_distortion_map_is_close_to_exact():
    cam = Camera(640, 480, 400.0, 404.0, 322.0, 236.0, "plumb_bob", (-0.25, 0.05, 0.002, -0.002, 0.0))
    mx, my = distortion_map(cam)
    rng = np.random.default_rng(0)
    uv = rng.uniform([0, 0], [639, 479], size=(500, 2))
    exact = cam.undistort_normalized(uv)
    ui, vi = np.round(uv).astype(int).T
    approx = np.stack([mx[vi, ui], my[vi, ui]], axis=1)
    exact_at = cam.undistort_normalized(np.stack([ui, vi], axis=1).astype(float))
    err_px = np.abs(approx - exact_at) * [cam.fx, cam.fy]
    assert err_px.max() < 0.15, (MAP_STEP, err_px.max())
    assert exact.shape == approx.shape


def frontal_scene(motion, people_positions, yaw=np.pi):
    """Camera at 1.5 m height looking along +x, level; people facing it (body forward = -x)."""
    cam = Camera(640, 480, 500.0, 500.0, 319.5, 239.5)
    rig = Rig(cam, look_rotation(0.0, 0.0), np.array([0.0, 0.0, 1.5]), 1.5, 0.0, 0.0)
    people = []
    for i, pos in enumerate(people_positions):
        pts, rot = pose_person(motion, "walk", 0.0, neutral_shape(), yaw, np.asarray(pos, float))
        people.append(Person(pts, rot, sample_look(np.random.default_rng(i)), 1.7 / 1.6, {"clip": "walk"}))
    light = Light(np.array([0.0, -0.5, -0.8]) / np.linalg.norm([0.0, -0.5, -0.8]), 0.5, 0.6)
    return Scene(rig, people, light, 1, 0.3, {"jpeg": 90, "ground_probability": 0.0})


def test_left_shoulder_on_image_right_when_facing_camera(motion):
    r = render(frontal_scene(motion, [(4.0, 0.0, 0.0)]))
    j = r.joints2d[0]
    for side in ("shoulder", "hip", "elbow", "eye", "ear"):
        assert j[JOINT_INDEX[f"left_{side}"], 0] > j[JOINT_INDEX[f"right_{side}"], 0], side
    # the face is towards the camera: nose nearer than the ears
    z = r.joints3d[0, :, 2]
    assert z[JOINT_INDEX["nose"]] < z[JOINT_INDEX["left_ear"]]
    # seen from behind it flips
    r = render(frontal_scene(motion, [(4.0, 0.0, 0.0)], yaw=0.0))
    j = r.joints2d[0]
    assert j[JOINT_INDEX["left_shoulder"], 0] < j[JOINT_INDEX["right_shoulder"], 0]


def test_mirroring_swaps_labels_with_geometry(motion):
    pts, rot = motion.frame("walk", 5.0)
    local = pts - [pts[P["root"], 0], pts[P["root"], 1], 0]
    a, ra = pose_person(motion, "walk", 5.0, neutral_shape(False), 0.0, np.zeros(3))
    b, rb = pose_person(motion, "walk", 5.0, neutral_shape(True), 0.0, np.zeros(3))
    # mirrored body's left hip is where the original's right hip was, reflected in y
    assert np.allclose(b[P["left_hip"]] * [1, -1, 1], a[P["right_hip"]], atol=1e-6)
    # the head frame stays right-handed, and the face points stay on their named sides
    assert np.linalg.det(rb) > 0.99
    ja, jb = coco_joints(a, ra, 1.0), coco_joints(b, rb, 1.0)
    assert np.allclose(jb[JOINT_INDEX["left_eye"]] * [1, -1, 1], ja[JOINT_INDEX["right_eye"]], atol=1e-6)
    assert local.shape == pts.shape


def test_occluded_joints_are_flagged(motion):
    # person 0 at 7 m, person 1 straight in front of it at 3.5 m: the far one's torso is hidden
    r = render(frontal_scene(motion, [(7.0, 0.0, 0.0), (3.5, 0.0, 0.0)]))
    assert len(r.joints3d) == 2
    far = int(np.argmax(r.joints3d[:, JOINT_INDEX["pelvis"], 2]))
    near = 1 - far
    assert r.visible[near].sum() == 18  # nothing in front of the near person, all inside the image
    for name in ("pelvis", "left_hip", "right_hip", "left_shoulder", "right_shoulder"):
        assert r.visible[far, JOINT_INDEX[name]] == 0, name
    # without the occluder, the same joints are visible
    alone = render(frontal_scene(motion, [(7.0, 0.0, 0.0)]))
    assert alone.visible[0].sum() == 18


def test_truncated_joints_are_invisible_and_boxes_inside(motion):
    r = render(frontal_scene(motion, [(2.0, 0.0, 0.0)]))  # 2 m from a 500 px camera: legs cut off
    j = r.joints2d[0]
    outside = (j[:, 1] > 479) | (j[:, 1] < 0)
    assert outside.any()
    assert (r.visible[0][outside] == 0).all()
    x0, y0, x1, y1 = r.boxes[0]
    assert 0 <= x0 <= x1 <= 639 and 0 <= y0 <= y1 <= 479


def test_held_out_clips_and_bad_config(tmp_path, cfg):
    (tmp_path / "c.yaml").write_text("clips: [walk]\npeople: {count: [2, 2]}\n")
    c = load_config(tmp_path / "c.yaml")
    generate(tmp_path / "d", 2, 1, c, workers=0, log=None)
    clips = {m["clip"] for s in load_dataset(tmp_path / "d") for m in s.meta}
    assert clips == {"walk"}
    (tmp_path / "bad.yaml").write_text("people: {cuont: 3}\n")
    with pytest.raises(ConfigError, match="cuont"):
        load_config(tmp_path / "bad.yaml")
    (tmp_path / "bad2.yaml").write_text("clips: [moonwalk]\n")
    with pytest.raises(ValueError, match="moonwalk"):
        generate(tmp_path / "e", 1, 1, load_config(tmp_path / "bad2.yaml"), workers=0, log=None)


def test_sequence_mode_moves_people_smoothly(tmp_path, cfg):
    (tmp_path / "s.yaml").write_text("sequence: {enabled: true, length: 4}\npeople: {count: [2, 3]}\n")
    generate(tmp_path / "s", 4, 2, load_config(tmp_path / "s.yaml"), workers=0, log=None)
    samples = load_dataset(tmp_path / "s")
    assert len({json.dumps(s.camera.to_dict()) for s in samples}) == 1  # one camera per sequence
    first = {m["track_id"]: s.joints3d[i, -1] for s in samples[:1] for i, m in enumerate(s.meta)}
    second = {m["track_id"]: s.joints3d[i, -1] for s in samples[1:2] for i, m in enumerate(s.meta)}
    common = set(first) & set(second)
    assert common
    for k in common:  # 1/15 s apart: a walker/runner moves a little, not teleports
        assert 0.005 < np.linalg.norm(first[k] - second[k]) < 0.6
