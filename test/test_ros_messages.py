"""Our generated messages over real DDS between two processes: a Skeleton3DArray published by a
second process arrives here complete (names, bones, ids, joints)."""
from __future__ import annotations

import sys

import numpy as np
import pytest

from drm_ros.bags.messages import poseset_from_skeletons
from drm_ros.msg import Skeleton3DArray
from drm_ros.skeleton import BONES, JOINT_NAMES
from posehelpers import person, poses_from
from roshelpers import REPO, Collector, Process, ros_context, wait_until

pytestmark = pytest.mark.ros

# The publishing process: the same PoseSet as below, stamped 42.5 s, republished every 50 ms
# (a timer, not a sleep) until it is stopped, once somebody subscribes.
PUBLISHER = """
import rclpy
from std_msgs.msg import Header
from drm_ros.msg import Skeleton3DArray
from drm_ros.ros.conversions import poses_to_msg
from posehelpers import person, poses_from
rclpy.init()
node = rclpy.create_node("skeleton_talker")
pub = node.create_publisher(Skeleton3DArray, "people/skeletons", 10)
poses = poses_from([person((0.5, 0.1, 3.0)), person((-1.0, 0.0, 5.0))]).with_ids([7, -1])
header = Header(frame_id="cam_optical")
header.stamp.sec, header.stamp.nanosec = 42, 500_000_000
msg = poses_to_msg(poses, header)
node.create_timer(0.05, lambda: pub.get_subscription_count() and pub.publish(msg))
print("talker up", flush=True)
try:
    rclpy.spin(node)
except (KeyboardInterrupt, rclpy.executors.ExternalShutdownException):
    pass
"""


def test_skeleton_array_between_processes():
    # PYTHONPATH: the test helpers (posehelpers) for the child, as pytest's rootdir insertion does here.
    talker = Process([sys.executable, "-c", PUBLISHER], PYTHONPATH=str(REPO / "test"))
    try:
        with ros_context() as (ctx, executor):
            import rclpy

            node = rclpy.create_node("skeleton_listener", context=ctx)
            executor.add_node(node)
            got = Collector(node, Skeleton3DArray, "people/skeletons")
            wait_until(lambda: got.messages, 20, "a Skeleton3DArray from the other process")
            msg = got.messages[0]
            executor.remove_node(node)
            node.destroy_node()
    finally:
        code = talker.stop()
    assert code == 0, talker.output
    assert msg.header.frame_id == "cam_optical"
    assert (msg.header.stamp.sec, msg.header.stamp.nanosec) == (42, 500_000_000)
    assert list(msg.joint_names) == list(JOINT_NAMES)
    assert list(zip(msg.bone_start, msg.bone_end)) == list(BONES)
    assert [s.id for s in msg.skeletons] == [7, 0xFFFFFFFF]
    sent = poses_from([person((0.5, 0.1, 3.0)), person((-1.0, 0.0, 5.0))])
    received = poseset_from_skeletons(msg)
    assert np.allclose(received.joints3d, sent.joints3d)  # float64 positions travel exactly
    assert np.allclose(received.joints2d, sent.joints2d, atol=1e-3)  # float32 pixels
    assert np.allclose(received.boxes, sent.boxes, atol=1e-3)
