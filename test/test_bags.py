"""rosbag2 (mcap) written by drm synth: readable by rosbags, same arrays back (and the true floor on /tf), same type hash as rosidl."""
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from drm_ros.bags import messages, typestore
from drm_ros.bags.io import BagWriter, read_messages
from drm_ros.bags.typestore import SKELETON_ARRAY_TYPE, find_msg_dir
from drm_ros.camera import Camera
from drm_ros.data.sample import load_dataset
from drm_ros.ground.plane import GroundPlane
from drm_ros.ros.tf_buffer import quaternion_matrix
from drm_ros.skeleton import BONES, JOINT_NAMES
from drm_ros.synth.config import load_config
from drm_ros.synth.generate import FLOOR_FRAME, IMAGE_TOPIC, INFO_TOPIC, SKELETON_TOPIC, TF_TOPIC, generate

pytestmark = pytest.mark.ros


def test_synth_bag_round_trip(tmp_path):
    cfg = load_config()
    generate(tmp_path / "ds", 3, 4, cfg, bag=tmp_path / "bag", workers=0, log=None)
    samples = load_dataset(tmp_path / "ds")
    got = {IMAGE_TOPIC: [], INFO_TOPIC: [], SKELETON_TOPIC: [], TF_TOPIC: []}
    stamps = []
    for topic, t, msg in read_messages(tmp_path / "bag"):
        got[topic].append(msg)
        if topic == TF_TOPIC:  # the camera above the floor: base_footprint -> the camera frame
            (tf,) = msg.transforms
            assert (tf.header.frame_id, tf.child_frame_id) == (FLOOR_FRAME, "camera_optical_frame")
            assert messages.stamp_ns(tf) == t
            continue
        assert messages.stamp_ns(msg) == t
        assert msg.header.frame_id == "camera_optical_frame"
        stamps.append(t)
    assert [len(v) for v in got.values()] == [3, 3, 3, 3]
    period = 1e9 / cfg["output"]["frame_rate_hz"]
    assert sorted(set(stamps))[1] - sorted(set(stamps))[0] == pytest.approx(period)
    for i, s in enumerate(samples):
        assert messages.image_bytes(got[IMAGE_TOPIC][i]) == Path(s.image_path).read_bytes()
        assert got[IMAGE_TOPIC][i].format == "jpeg"
        assert messages.decode_image(got[IMAGE_TOPIC][i]).shape == (s.camera.height, s.camera.width, 3)
        tf = got[TF_TOPIC][i].transforms[0].transform
        q, t = tf.rotation, tf.translation
        R = quaternion_matrix(q.x, q.y, q.z, q.w)
        floor = GroundPlane.from_camera_pose(R, [t.x, t.y, t.z])
        assert floor.angle_to_deg(s.ground) < 1e-3 and floor.height == pytest.approx(s.ground.height, abs=1e-4)  # json-rounded
        cam = messages.camera_from_info(got[INFO_TOPIC][i])
        assert np.allclose(cam.K, s.camera.K) and np.allclose(cam.D, s.camera.D)
        msg = got[SKELETON_TOPIC][i]
        assert list(msg.joint_names) == list(JOINT_NAMES)
        assert list(zip(msg.bone_start.tolist(), msg.bone_end.tolist())) == [tuple(b) for b in BONES]
        poses = messages.poseset_from_skeletons(msg)
        assert len(poses) == s.num_persons
        if len(poses):  # float64 (json rounded) vs the message's float32 pixels / float64 points
            assert np.allclose(poses.joints3d, s.joints3d, atol=1e-4)
            assert np.allclose(poses.joints2d, s.joints2d, atol=1e-2)
            assert np.array_equal(poses.joint_scores, s.visible)
            assert np.allclose(poses.boxes, s.boxes, atol=1e-2)


def test_message_builders_invert():
    cam = Camera(640, 480, 500.0, 502.0, 320.5, 240.25, "plumb_bob", (0.1, -0.05, 0.001, 0.0, 0.01))
    assert messages.camera_from_info(messages.camera_info(cam, 5, "f")) == cam
    plain = Camera(320, 240, 300.0, 300.0, 160.0, 120.0)
    assert messages.camera_from_info(messages.camera_info(plain, 5, "f")) == plain
    rng = np.random.default_rng(0)
    j3 = rng.normal(size=(2, 18, 3)) + [0, 0, 5]
    poses = messages.poses_from_labels(j3, rng.uniform(0, 600, (2, 18, 2)), np.ones((2, 18)), [[1, 2, 3, 4]] * 2, [7, -1])
    back = messages.poseset_from_skeletons(messages.skeleton_array(poses, 10**9 + 3, "cam"))
    assert np.allclose(back.joints3d, poses.joints3d) and list(back.ids) == [7, -1]
    assert np.allclose(back.joints2d, poses.joints2d, atol=1e-3)
    with pytest.raises(ValueError, match="does not decode"):
        messages.decode_image(messages.compressed_image(b"not a jpeg", 0, "f"))


def test_writer_refuses_existing_bag(tmp_path):
    (tmp_path / "b").mkdir()
    with pytest.raises(FileExistsError):
        BagWriter(tmp_path / "b")


def test_type_hash_equals_rosidl():
    """rosidl writes the type hash rclpy announces into share/drm_ros/msg/*.json at build time."""
    installed = Path(sys.prefix) / "share" / "drm_ros" / "msg" / "Skeleton3DArray.json"
    if not installed.is_file():
        pytest.skip("messages not built into this prefix (make setup)")
    hashes = {h["type_name"]: h["hash_string"] for h in json.loads(installed.read_text())["type_hashes"]}
    for name in ("Skeleton3DArray", "Skeleton3D", "Keypoint3D"):
        full = f"drm_ros/msg/{name}"
        assert typestore().hash_rihs01(full) == hashes[full]
    assert find_msg_dir().is_dir() and SKELETON_ARRAY_TYPE in typestore().types
