"""drm_node's ground plane with real rclpy/DDS: the floor from /tf_static (transient local,
published before the node starts listening, chained over two static transforms) and from a chain
with a moving /tf edge (a head that tilts: the floor at each image's own stamp), shown as a
marker and reported on /diagnostics; and the transform buffer itself (chaining, interpolation,
no extrapolation)."""
from __future__ import annotations

import numpy as np
import pytest
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
from geometry_msgs.msg import TransformStamped
from tf2_msgs.msg import TFMessage
from visualization_msgs.msg import Marker

from pathlib import Path

from drm_ros.ground.plane import GroundPlane
from drm_ros.ros.ground_plane import MARKER_NS
from drm_ros.ros.tf_buffer import CACHE_NS, TF_QOS, TF_STATIC_QOS, TfBuffer, TfLookupError
from drm_ros.synth.rig import look_rotation
from roshelpers import Collector, rgb_image_msg, stamp_of, wait_until
from test_node import FRAME_ID, Rig, ros  # noqa: F401 - the module-scoped rclpy fixture

pytestmark = pytest.mark.ros
HEIGHT, PITCH, ROLL = 1.35, 12.0, 2.0
SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"


def _quaternion(R: np.ndarray) -> tuple[float, float, float, float]:
    w = np.sqrt(max(1e-12, 1 + np.trace(R))) / 2
    return ((R[2, 1] - R[1, 2]) / (4 * w), (R[0, 2] - R[2, 0]) / (4 * w), (R[1, 0] - R[0, 1]) / (4 * w), w)


def _tf(parent: str, child: str, R: np.ndarray, t, stamp_ns: int = 0) -> TransformStamped:
    msg = TransformStamped()
    msg.header.frame_id, msg.child_frame_id = parent, child
    msg.header.stamp.sec, msg.header.stamp.nanosec = divmod(stamp_ns, 1_000_000_000)
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
    buf = TfBuffer()
    buf.add_static(msg)
    R2, t2, moving = buf.lookup("base_footprint", FRAME_ID)
    plane = GroundPlane.from_camera_pose(R2, t2)
    assert plane.angle_to_deg(truth) < 1e-6 and plane.height == pytest.approx(HEIGHT) and not moving
    R, t, _ = buf.lookup(FRAME_ID, "base_footprint")  # the inverse chain, walked the other way
    assert np.allclose(R @ R2, np.eye(3)) and np.allclose(R @ t2 + t, 0.0)
    assert np.allclose(R2 @ np.zeros(3) + t2, [0.2, 0.0, HEIGHT])  # the optical centre on the mast
    with pytest.raises(TfLookupError, match="no transform chain from 'map'"):
        buf.lookup("map", FRAME_ID)


def tilting_head(pitches_at: dict[int, float]) -> tuple[TFMessage, TFMessage]:
    """base_footprint -> torso (static mast) -> camera_link (/tf: the head's pitch at each stamp,
    ns -> deg, about the torso's y axis) -> FRAME_ID (static optical frame). The optical centre
    sits on the tilt axis, HEIGHT above the floor, so the floor at pitch p is from_height_pitch_roll(HEIGHT, p)."""
    optical_in_link = np.array([[0, 0, 1], [-1, 0, 0], [0, -1, 0]], float)
    static = TFMessage(transforms=[_tf("base_footprint", "torso", np.eye(3), [0.0, 0.0, HEIGHT]),
                                   _tf("camera_link", FRAME_ID, optical_in_link, [0.0, 0.0, 0.0])])

    def pitch(deg: float) -> np.ndarray:  # nodding down = positive rotation about y (x fwd, z up)
        c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
        return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])

    moving = TFMessage(transforms=[_tf("torso", "camera_link", pitch(p), [0.0, 0.0, 0.0], ns) for ns, p in pitches_at.items()])
    return static, moving


def test_moving_transform_is_interpolated_at_the_image_time_and_never_extrapolated():
    s = 1_000_000_000
    static, moving = tilting_head({10 * s: 4.0, 11 * s: 24.0})
    buf = TfBuffer()
    buf.add_static(static)
    buf.add(moving)

    def floor_at(stamp_ns):
        R, t, is_moving = buf.lookup("base_footprint", FRAME_ID, stamp_ns)
        assert is_moving
        return GroundPlane.from_camera_pose(R, t)

    for stamp, deg in ((10 * s, 4.0), (10 * s + s // 2, 14.0), (11 * s, 24.0), (11 * s + s // 20, 24.0)):
        plane = floor_at(stamp)
        assert plane.pitch_deg == pytest.approx(deg, abs=1e-6) and plane.height == pytest.approx(HEIGHT)
    with pytest.raises(TfLookupError, match="known only up to 0.200 s before the image"):
        floor_at(11 * s + s // 5)  # the head's transform for this image has not arrived (yet)
    with pytest.raises(TfLookupError, match="known only from"):
        floor_at(9 * s)
    # the cache keeps CACHE_NS behind the newest sample; a re-sent stamp replaces its sample
    buf.add(tilting_head({10 * s + CACHE_NS + s: 30.0, 11 * s: 20.0})[1])
    with pytest.raises(TfLookupError, match="known only from"):
        floor_at(10 * s)
    assert floor_at(11 * s).pitch_deg == pytest.approx(20.0, abs=1e-6)
    # the edge made static later: a fixed chain again, and a new version for cached lookups
    version = buf.version
    buf.add_static(tilting_head({0: 8.0})[1])
    assert buf.version > version and buf.lookup("base_footprint", FRAME_ID, 0)[2] is False


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
        stamp = _serve_one_frame(rig)

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


def test_node_follows_a_tilting_head_on_tf_at_each_image_stamp(ros):  # noqa: F811
    ctx, executor = ros
    import rclpy

    publisher_node = rclpy.create_node("head_tf", context=ctx)
    executor.add_node(publisher_node)
    rig = Rig(ros, "cam_head", ground_plane="tf", diagnostics_period_sec=0.2)
    diagnostics = Collector(rig.io, DiagnosticArray, "/diagnostics")
    tf_pub = publisher_node.create_publisher(TFMessage, "/tf", TF_QOS)
    try:
        rig.set_camera_info()
        stamp = rig.next_stamp()
        image_ns = stamp.sec * 1_000_000_000 + stamp.nanosec
        static, moving = tilting_head({image_ns - 100_000_000: 6.0, image_ns + 100_000_000: 18.0})
        publisher_node.create_publisher(TFMessage, "/tf_static", TF_STATIC_QOS).publish(static)
        wait_until(lambda: tf_pub.get_subscription_count() > 0, 10, "the node's /tf subscription")
        tf_pub.publish(moving)
        truth = GroundPlane.from_height_pitch_roll(HEIGHT, 12.0)  # the head's pitch AT the image's stamp

        def markers_for(st):
            return [m for arr in list(rig.markers.messages) for m in arr.markers if m.ns == MARKER_NS and m.header.stamp == st]

        def served_with_a_floor():
            rig.send_raw(rgb_image_msg(rig.rgb, stamp, FRAME_ID))  # again until the /tf sample has arrived
            wait_until(lambda: markers_for(stamp), 5, "the ground plane marker")
            return next((m for m in markers_for(stamp) if m.action == Marker.ADD), None)

        m = wait_until(served_with_a_floor, 20, "the floor from the tilting head")
        pts = np.array([[p.x, p.y, p.z] for p in m.points])
        assert np.allclose(truth.heights(pts), 0.0, atol=1e-6)  # interpolated: neither 6 nor 18 degrees

        status = _wait_ground_status(diagnostics, "cam_head", DiagnosticStatus.OK)
        values = {kv.key: kv.value for kv in status.values}
        assert values["transform"].startswith("moving") and "tf, moving: camera 1.35 m" in status.message
        # an image long after the newest /tf sample: served with DRM's depth, the reason on /diagnostics
        late = stamp_of(stamp.sec + 5, stamp.nanosec)
        rig.send_raw(rgb_image_msg(rig.rgb, late, FRAME_ID))
        rig.expect_served(late)
        assert [m.action for m in wait_until(lambda: markers_for(late), 10, "the late frame's marker")] == [Marker.DELETE]
        status = _wait_ground_status(diagnostics, "cam_head", DiagnosticStatus.WARN)
        assert "on /tf is known only up to" in status.message
    finally:
        rig.close()
        executor.remove_node(publisher_node)
        publisher_node.destroy_node()


def test_node_takes_the_floor_from_its_parameters(ros):  # noqa: F811
    rig = Rig(ros, "cam_ground_params", ground_plane="params", ground_camera_height_m=HEIGHT,
              ground_camera_pitch_deg=PITCH, ground_camera_roll_deg=ROLL, diagnostics_period_sec=0.2)
    diagnostics = Collector(rig.io, DiagnosticArray, "/diagnostics")
    try:
        _serve_one_frame(rig)
        status = _wait_ground_status(diagnostics, "cam_ground_params", DiagnosticStatus.OK)
        values = {kv.key: kv.value for kv in status.values}
        truth = GroundPlane.from_height_pitch_roll(HEIGHT, PITCH, ROLL)
        up = np.array([float(v) for v in values["up in camera frame"].split()])
        assert values["source"] == "params" and float(values["camera height (m)"]) == pytest.approx(HEIGHT, abs=1e-3)
        assert np.allclose(up, truth.up, atol=1e-4)
    finally:
        rig.close()


def test_node_in_auto_mode_reports_that_it_has_no_floor_yet(ros):  # noqa: F811
    # the 2D floor tilt (not the default) also wires through: a declared parameter, the same status
    rig = Rig(ros, "cam_ground_auto", ground_plane="auto", ground_floor_orientation="image2d", diagnostics_period_sec=0.2)
    diagnostics = Collector(rig.io, DiagnosticArray, "/diagnostics")
    try:
        _serve_one_frame(rig)  # one frame: served with DRM's depth, the floor still unknown

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


def _ground_status(diagnostics, ns: str):
    for arr in reversed(list(diagnostics.messages)):
        for s in arr.status:
            if ns in s.name and s.name.endswith("ground plane"):
                return s
    return None


def _wait_ground_status(diagnostics, ns: str, level):
    """The node's latest ground plane status once it has this level."""
    def latest():
        status = _ground_status(diagnostics, ns)
        return status if status is not None and status.level == level else None
    return wait_until(latest, 10, f"a ground plane status of level {level}")


def _serve_one_frame(rig):
    rig.set_camera_info()
    stamp = rig.next_stamp()
    rig.send_raw(rgb_image_msg(rig.rgb, stamp, FRAME_ID))
    rig.expect_served(stamp)
    return stamp


def test_node_starts_from_a_saved_floor_and_keeps_the_one_it_learns(ros, tmp_path):  # noqa: F811
    """ground_floor_file: the saved floor is in use from the first frame (drawn, reported); a corrupt
    file is one clear error and the floor is learnt from scratch; what is learnt is written when the
    node stops, and reads back."""
    import cv2

    from drm_ros.camera import Camera
    from drm_ros.ground.floor_file import SavedFloor, calibration_of, load_floor, save_floor
    from roshelpers import good_frame

    rgb = good_frame()
    camera = Camera.default_for(rgb.shape[1], rgb.shape[0])
    truth = GroundPlane.from_height_pitch_roll(4.5, 20.0, -2.0)
    path = save_floor(tmp_path / "floor.yaml", SavedFloor(truth, 1.5, 0.3, FRAME_ID, calibration_of(camera), 50, "test"))
    rig = Rig(ros, "cam_floor_file", ground_plane="auto", ground_floor_file=str(path), diagnostics_period_sec=0.2)
    diagnostics = Collector(rig.io, DiagnosticArray, "/diagnostics")
    try:
        rig.set_camera_info()
        stamp = rig.next_stamp()
        rig.send_raw(rgb_image_msg(rig.rgb, stamp, FRAME_ID))
        rig.expect_served(stamp)  # the first frame: the saved floor is already there
        marker = wait_until(lambda: next((m for arr in list(rig.markers.messages) for m in arr.markers
                                          if m.ns == MARKER_NS and m.action == Marker.ADD and m.header.stamp == stamp), None),
                            10, "the saved floor's marker on the first frame")
        assert np.allclose(truth.heights(np.array([[p.x, p.y, p.z] for p in marker.points])), 0.0, atol=1e-6)
        status = wait_until(lambda: (lambda s: s if s is not None and "saved floor" in s.message else None)(
            _ground_status(diagnostics, "cam_floor_file")), 10, "the saved floor on /diagnostics")
        assert "starting from the floor saved in" in {kv.key: kv.value for kv in status.values}["floor file"]
    finally:
        rig.close()

    path.write_text("up: [0, -1\n  camera_height_m: :")  # corrupt: one error, then learnt from scratch and rewritten
    rig = Rig(ros, "cam_floor_file2", ground_plane="auto", ground_floor_file=str(path))
    try:
        rig.set_camera_info()
        frames = sorted((SAMPLE / "vtest").glob("frame_*.jpg"))[:20]  # 768x576, the frame rig.rgb comes from
        for f in frames:
            stamp = rig.next_stamp()
            rig.send_raw(rgb_image_msg(cv2.cvtColor(cv2.imread(str(f)), cv2.COLOR_BGR2RGB), stamp, FRAME_ID))
            rig.expect_served(stamp)
        assert "ground_floor_file: floor file" in rig.read_log() and "is not readable YAML" in rig.read_log()
        assert rig.node._ground.depth.plane is not None, rig.node._ground.depth.describe()
    finally:
        rig.close()  # deactivate: the learnt floor is written
    learnt = load_floor(path)
    assert learnt.frame_id == FRAME_ID and learnt.calibration == calibration_of(camera) and learnt.people >= 4
    assert 2.0 < learnt.plane.height < 8.0 and 5.0 < learnt.plane.pitch_deg < 40.0  # vtest's camera looks down at people
