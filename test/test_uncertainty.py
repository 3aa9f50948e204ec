"""The root's published uncertainty (drm_ros/uncertainty.py): its geometry, where it comes from
(the codec, the ground-plane fusion: test_ground.py) and how it travels in bags."""
import numpy as np
import pytest
from rosbags.rosbag2 import Writer
from rosbags.typesys import Stores, get_types_from_msg, get_typestore

from drm_ros.bags import messages
from drm_ros.bags.io import read_messages
from drm_ros.bags.typestore import SKELETON_ARRAY_TYPE, find_msg_dir
from drm_ros.camera import Camera, Letterbox
from drm_ros.codec import J2D, lift_to_3d
from drm_ros.uncertainty import (
    DRM_DISTANCE_SIGMA_FRAC, ROOT_LATERAL_SIGMA_M, covariance_fields, root_covariance, sigma_from_fields,
)


def test_the_covariance_is_long_along_the_viewing_ray_only():
    roots = np.array([[0.0, 0.0, 4.0], [2.0, -1.0, 6.0]])
    cov = root_covariance(roots, np.array([0.48, 0.9]))
    for c, r, sigma in zip(cov, roots, (0.48, 0.9)):
        ray = r / np.linalg.norm(r)
        assert np.allclose(c, c.T)
        assert np.allclose(c @ ray, sigma**2 * ray)  # the ray: the sigma given
        across = np.cross(ray, [1.0, 0.0, 0.0])
        across /= np.linalg.norm(across)
        assert np.allclose(c @ across, ROOT_LATERAL_SIGMA_M**2 * across)  # across it: the 2D's
    assert np.allclose(sigma_from_fields(roots, covariance_fields(roots, np.array([0.48, 0.9]))), [0.48, 0.9])


def test_an_unknown_uncertainty_is_flagged_not_invented():
    rows = covariance_fields(np.array([[0.0, 0.0, 3.0]]), np.array([np.nan]))
    assert rows[0, 0] == -1 and not rows[0, 1:].any()
    assert np.isnan(sigma_from_fields(np.array([[0.0, 0.0, 3.0]]), rows)[0])


def test_drm_alone_is_uncertain_by_a_fixed_share_of_the_distance():
    camera = Camera(640, 480, 500.0, 500.0, 320.0, 240.0)
    box = Letterbox.fit(640, 480, 384, 288)
    rng = np.random.default_rng(3)
    joints = rng.uniform(100, 250, (2, J2D, 2))
    poses = lift_to_3d(joints, np.ones((2, J2D)), np.array([0.9, 0.8]), np.log([3.0, 6.0]) - np.log(box.network_focal(camera)),
                       np.zeros((2, J2D)), box, camera)
    assert np.allclose(poses.root_sigma, DRM_DISTANCE_SIGMA_FRAC * np.linalg.norm(poses.roots, axis=1))


OLD_SKELETON = """uint32 id
float32 score
float32[4] bbox
geometry_msgs/Point root
Keypoint3D[] joints
"""


def test_a_bag_recorded_before_the_covariance_still_reads(tmp_path):
    """Skeleton3D gained root_covariance in session 11; a bag written with the message as it was
    reads with the definition it stores, its people's uncertainty unknown."""
    old = get_typestore(Stores.ROS2_KILTED)
    msg_dir = find_msg_dir()
    types = get_types_from_msg((msg_dir / "Keypoint3D.msg").read_text(), "drm_ros/msg/Keypoint3D")
    types.update(get_types_from_msg(OLD_SKELETON, "drm_ros/msg/Skeleton3D"))
    types.update(get_types_from_msg((msg_dir / "Skeleton3DArray.msg").read_text(), SKELETON_ARRAY_TYPE))
    old.register(types)
    T = old.types
    point = T["geometry_msgs/msg/Point"]
    joints = [T["drm_ros/msg/Keypoint3D"](position=point(x=0.1 * j, y=0.0, z=4.0), u=float(j), v=2.0, confidence=0.9)
              for j in range(18)]
    person = T["drm_ros/msg/Skeleton3D"](id=7, score=0.8, bbox=np.zeros(4, dtype=np.float32),
                                          root=point(x=0.0, y=0.0, z=4.0), joints=joints)
    header = T["std_msgs/msg/Header"](stamp=T["builtin_interfaces/msg/Time"](sec=1, nanosec=0), frame_id="cam")
    array = T[SKELETON_ARRAY_TYPE](header=header, joint_names=[f"j{i}" for i in range(18)],
                                   bone_start=np.zeros(0, np.uint16), bone_end=np.zeros(0, np.uint16), skeletons=[person])
    with Writer(tmp_path / "old", version=8) as writer:
        conn = writer.add_connection("/skeletons", SKELETON_ARRAY_TYPE, typestore=old)
        writer.write(conn, 10**9, old.serialize_cdr(array, SKELETON_ARRAY_TYPE))
    [(_, _, msg)] = list(read_messages(tmp_path / "old"))
    assert not hasattr(msg.skeletons[0], "root_covariance") and msg.skeletons[0].id == 7
    poses = messages.poseset_from_skeletons(msg)
    assert poses.roots[0] == pytest.approx([0.0, 0.0, 4.0]) and np.isnan(poses.root_sigma[0])


def test_a_bag_keeps_the_uncertainty(tmp_path):
    rng = np.random.default_rng(0)
    j3 = rng.normal(size=(2, 18, 3)) + [0, 0, 5]
    poses = messages.poses_from_labels(j3, rng.uniform(0, 600, (2, 18, 2)), np.ones((2, 18)), [[1, 2, 3, 4]] * 2)
    poses.root_sigma[:] = [0.3, np.nan]
    back = messages.poseset_from_skeletons(messages.skeleton_array(poses, 10**9, "cam"))
    assert back.root_sigma[0] == pytest.approx(0.3) and np.isnan(back.root_sigma[1])
