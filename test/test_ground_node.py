"""drm_node's ground plane with real rclpy/DDS: the floor from /tf_static (transient local,
published before the node starts listening, chained over two static transforms), shown as a
marker and reported on /diagnostics; and the static-transform chaining itself."""
from __future__ import annotations

import numpy as np
import pytest
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
from geometry_msgs.msg import TransformStamped
from tf2_msgs.msg import TFMessage
from visualization_msgs.msg import Marker

from drm_ros.ground.plane import GroundPlane
from drm_ros.ros.ground_plane import MARKER_NS
from drm_ros.ros.tf_static import TF_STATIC_QOS, TfStaticBuffer
from drm_ros.synth.rig import look_rotation
from roshelpers import Collector, rgb_image_msg, wait_until
from test_node import FRAME_ID, Rig, ros  # noqa: F401 - the module-scoped rclpy fixture

pytestmark = pytest.mark.ros
HEIGHT, PITCH, ROLL = 1.35, 12.0, 2.0


def _quaternion(R: np.ndarray) -> tuple[float, float, float, float]:
    w = np.sqrt(max(1e-12, 1 + np.trace(R))) / 2
    return ((R[2, 1] - R[1, 2]) / (4 * w), (R[0, 2] - R[2, 0]) / (4 * w), (R[1, 0] - R[0, 1]) / (4 * w), w)


def _tf(parent: str, child: str, R: np.ndarray, t) -> TransformStamped:
    msg = TransformStamped()
    msg.header.frame_id, msg.child_frame_id = parent, child
    msg.transform.translation.x, msg.transform.translation.y, msg.transform.translation.z = (float(v) for v in t)
    q = msg.transform.rotation
    q.x, q.y, q.z, q.w = _quaternion(R)
    return msg


def robot_tree() -> tuple[TFMessage, GroundPlane]:
    """base_footprint -> camera_link (mast 1.1 m up, 0.2 m forward, pitched and rolled) ->
    FRAME_ID (REP-103 optical, x right y down z forward), as robot descriptions publish them."""
    R_opt = look_rotation(PITCH, ROLL).T  # optical -> floor, the synthetic rig's convention
    optical_in_link = np.array([[0, 0, 1], [-1, 0, 0], [0, -1, 0]], float)  # optical -> link (x fwd, y left, z up)
    R_link = R_opt @ optical_in_link.T  # link -> floor
    link = _tf("base_footprint", "camera_link", R_link, [0.2, 0.0, HEIGHT - 0.05])
    opt = _tf("camera_link", FRAME_ID, optical_in_link, R_link.T @ np.array([0.0, 0.0, 0.05]))
    return TFMessage(transforms=[link, opt]), GroundPlane.from_height_pitch_roll(HEIGHT, PITCH, ROLL)


def test_static_transform_chain_gives_the_floor_in_the_camera_frame():
    msg, truth = robot_tree()
    buf = TfStaticBuffer()
    buf.add(msg)
    plane = GroundPlane.from_camera_pose(*buf.lookup("base_footprint", FRAME_ID))
    assert plane.angle_to_deg(truth) < 1e-6 and plane.height == pytest.approx(HEIGHT)
    R, t = buf.lookup(FRAME_ID, "base_footprint")  # the inverse chain, walked the other way
    R2, t2 = buf.lookup("base_footprint", FRAME_ID)
    assert np.allclose(R @ R2, np.eye(3)) and np.allclose(R @ t2 + t, 0.0)
    assert np.allclose(R2 @ np.zeros(3) + t2, [0.2, 0.0, HEIGHT])  # the optical centre on the mast
    assert buf.lookup("map", FRAME_ID) is None


def test_node_reads_the_floor_from_tf_static_and_shows_it(ros):  # noqa: F811
    ctx, executor = ros
    import rclpy

    publisher_node = rclpy.create_node("robot_description_tf", context=ctx)
    executor.add_node(publisher_node)
    msg, truth = robot_tree()
    publisher_node.create_publisher(TFMessage, "/tf_static", TF_STATIC_QOS).publish(msg)  # latched before the node
    rig = Rig(ros, "cam_ground", ground_plane="tf", diagnostics_period_sec=0.2)
    diagnostics = Collector(rig.io, DiagnosticArray, "/diagnostics")
    try:
        rig.set_camera_info()
        stamp = rig.next_stamp()
        rig.send_raw(rgb_image_msg(rig.rgb, stamp, FRAME_ID))
        rig.expect_served(stamp)

        def plane_marker():
            for arr in list(rig.markers.messages):
                for m in arr.markers:
                    if m.ns == MARKER_NS and m.action == Marker.ADD and m.header.stamp == stamp:
                        return m
            return None

        m = wait_until(plane_marker, 10, "the ground plane marker")
        pts = np.array([[p.x, p.y, p.z] for p in m.points])
        assert m.type == Marker.TRIANGLE_LIST and len(pts) == 6 and m.header.frame_id == FRAME_ID
        assert np.allclose(truth.heights(pts), 0.0, atol=1e-6)  # the patch lies on the true floor

        def ground_status():
            for arr in list(diagnostics.messages):
                for s in arr.status:
                    if s.name.endswith("ground plane") and s.level == DiagnosticStatus.OK:
                        return s
            return None

        status = wait_until(ground_status, 10, "an OK ground plane status on /diagnostics")
        values = {kv.key: kv.value for kv in status.values}
        assert values["source"] == "tf" and float(values["camera height (m)"]) == pytest.approx(HEIGHT, abs=1e-3)
    finally:
        rig.close()
        executor.remove_node(publisher_node)
        publisher_node.destroy_node()


def test_node_in_auto_mode_reports_that_it_has_no_floor_yet(ros):  # noqa: F811
    # the 2D floor tilt (not the default) also wires through: a declared parameter, the same status
    rig = Rig(ros, "cam_ground_auto", ground_plane="auto", ground_floor_orientation="image2d", diagnostics_period_sec=0.2)
    diagnostics = Collector(rig.io, DiagnosticArray, "/diagnostics")
    try:
        rig.set_camera_info()
        stamp = rig.next_stamp()
        rig.send_raw(rgb_image_msg(rig.rgb, stamp, FRAME_ID))
        rig.expect_served(stamp)  # one frame: served with DRM's depth, the floor still unknown

        def ground_status():
            for arr in list(diagnostics.messages):
                for s in arr.status:
                    if "cam_ground_auto" in s.name and s.name.endswith("ground plane"):
                        return s
            return None

        status = wait_until(ground_status, 10, "a ground plane status on /diagnostics")
        assert status.level == DiagnosticStatus.WARN and "auto: no plane yet" in status.message
        assert {kv.key: kv.value for kv in status.values}["source"] == "auto"
    finally:
        rig.close()
