"""The node's ground plane: which source (parameters, TF, self-estimated), the marker that shows
it in RViz, and its line on /diagnostics. The geometry is drm_ros.ground.

From TF: a chain of static transforms gives one floor for the stream (and the stream-long check
of the floor against DRM); a chain with a /tf edge (a camera on a pan-tilt head, a mast) gives
each image the floor at its own stamp, checked per frame. An image whose transform is not known
(yet) keeps DRM's depth, with the reason on /diagnostics."""
from __future__ import annotations

import time
from pathlib import Path

from diagnostic_msgs.msg import DiagnosticStatus, KeyValue
from geometry_msgs.msg import Point
from std_msgs.msg import ColorRGBA
from visualization_msgs.msg import Marker

from drm_ros.ground.fit import FitSettings
from drm_ros.ground.floor_file import FloorFileError, load_floor, save_floor
from drm_ros.ground.plane import GroundPlane
from drm_ros.ground.refine import RefineSettings
from drm_ros.ground.session import GroundDepth
from drm_ros.poses import PoseSet
from drm_ros.ros.markers import _duration

MARKER_NS = "ground_plane"
MARKER_HALF_SIZE_M = (4.0, 3.0)  # along the camera's forward direction, sideways
MARKER_AHEAD_M = 4.0  # the patch's centre this far in front of the camera's foot point
FLOOR_SAVE_PERIOD_S = 30.0  # ground_floor_file is rewritten at most this often while a floor is learnt


class NodeGround:
    """Built from the node's cfg; `apply` once per frame on the worker thread."""

    def __init__(self, node, cfg: dict):
        self.mode = cfg["ground_plane"]
        self.floor_frame = cfg["ground_floor_frame"]
        settings = RefineSettings(ankle_height_m=cfg["ground_ankle_height_m"], gate_k=cfg["ground_gate_k"],
                                  max_stature_m=cfg["ground_max_stature_m"])
        self.tf = None
        self.subs = []
        self.error = ""
        self._plane_now = True  # False while this frame's floor could not be looked up (tf)
        self._node = node
        self.floor_file = cfg["ground_floor_file"] if self.mode == "auto" else ""
        self.file_status = ""  # what the floor file did, for /diagnostics
        self._frame_id = ""
        self._saved_checked = False
        self._saved_at = None  # monotonic time of the last write
        if cfg["ground_floor_file"] and self.mode != "auto":
            node.get_logger().warning(f"ground_floor_file is read and written only with ground_plane auto "
                                      f"(ground_plane is '{self.mode}'): not used")
        if self.mode == "params":
            plane = GroundPlane.from_height_pitch_roll(cfg["ground_camera_height_m"], cfg["ground_camera_pitch_deg"],
                                                       cfg["ground_camera_roll_deg"])
            self.depth = GroundDepth("fixed", plane, settings)
        elif self.mode == "auto":
            self.depth = GroundDepth("auto", settings=settings, fit=FitSettings(orientation=cfg["ground_floor_orientation"]),
                                     saved=self._load_floor_file(node, cfg["ground_floor_file"]))
        else:
            self.depth = GroundDepth("off", settings=settings)
        if self.mode == "tf":
            from tf2_msgs.msg import TFMessage

            from drm_ros.ros.tf_buffer import TF_QOS, TF_STATIC_QOS, TfBuffer

            self.tf = TfBuffer()
            self._settings = settings
            self._fixed_key = None  # (image frame, TF version) of the fixed chain's plane in use
            self.error = f"waiting for the transform from '{self.floor_frame}' on /tf_static or /tf"
            self.subs = [node.create_subscription(TFMessage, "/tf_static", self.tf.add_static, TF_STATIC_QOS),
                         node.create_subscription(TFMessage, "/tf", self.tf.add, TF_QOS)]

    def _load_floor_file(self, node, path: str):
        if not path:
            return None
        if not Path(path).exists():
            self.file_status = f"{path} does not exist yet: it will hold the floor once one is learnt"
            return None
        try:
            saved = load_floor(path)
        except FloorFileError as exc:
            self.file_status = f"not used: {exc}"
            node.get_logger().error(f"ground_floor_file: {exc}; the floor is learnt from scratch (and the file "
                                    f"rewritten once it is)")
            return None
        self.file_status = f"starting from the floor saved in {path}"
        node.get_logger().info(f"ground_floor_file: starting from the saved floor (camera {saved.plane.height:.2f} m "
                               f"up, pitch {saved.plane.pitch_deg:.1f} deg, +-{saved.tilt_sigma_deg:.1f} deg)")
        return saved

    def _check_saved(self, camera, frame_id: str) -> None:
        """Once, at the first frame: was the saved floor learnt in this image frame and calibration?"""
        if self._saved_checked or self.depth.saved is None:
            return
        self._saved_checked = True
        try:
            self.depth.saved.check_camera(camera, frame_id)
        except FloorFileError as exc:
            self.depth.drop_saved(str(exc))

    def save_floor_file(self, force: bool = False) -> None:
        """Write the floor learnt in this stream (at most every FLOOR_SAVE_PERIOD_S unless `force`)."""
        if not self.floor_file or (not force and self._saved_at is not None
                                   and time.monotonic() - self._saved_at < FLOOR_SAVE_PERIOD_S):
            return
        floor = self.depth.learnt_floor(self._frame_id, note=f"learnt by {self._node.get_fully_qualified_name()}")
        if floor is None:
            return
        self._saved_at = time.monotonic()
        try:
            save_floor(self.floor_file, floor)
            self.file_status = f"holds the floor learnt here ({floor.people} people)"
        except OSError as exc:
            self.file_status = f"cannot be written: {exc}"
            self._node.get_logger().error(f"ground_floor_file: cannot write {self.floor_file}: {exc}")

    def _plane_from_tf(self, frame_id: str, stamp_ns: int) -> GroundPlane | None:
        """The floor in the image frame at the image's stamp, or None (self.error says why)."""
        from drm_ros.ros.tf_buffer import TfLookupError

        if self._fixed_key == (frame_id, self.tf.version):
            return self.depth.plane
        try:
            R, t, moving = self.tf.lookup(self.floor_frame, frame_id, stamp_ns)
        except TfLookupError as exc:
            self.error = str(exc)
            return None
        try:
            plane = GroundPlane.from_camera_pose(R, t)
        except ValueError as exc:
            self.error = f"'{frame_id}' in '{self.floor_frame}' is not above its floor: {exc}"
            return None
        self.error = ""
        if not moving:
            self.depth = GroundDepth("fixed", plane, self._settings)
            self._fixed_key = (frame_id, self.tf.version)
        else:
            self._fixed_key = None
            if self.depth.mode != "known":
                self.depth = GroundDepth("known", settings=self._settings)
        return plane

    def apply(self, poses: PoseSet, camera, frame_id: str, stamp_ns: int = 0) -> PoseSet:
        known = None
        if self.tf is not None:
            known = self._plane_from_tf(frame_id, stamp_ns)
            self._plane_now = known is not None
            if known is None:
                return poses  # DRM's depth for this image; the reason is on /diagnostics
        self._frame_id = frame_id
        self._check_saved(camera, frame_id)
        held = self.depth.saved is not None
        out = self.depth.apply(poses, camera, known).poses
        if held and self.depth.saved is None:
            self.file_status = f"saved floor let go: {self.depth.saved_outcome}"
            self._node.get_logger().info(f"ground_floor_file: {self.file_status}")
        self.save_floor_file()
        return out

    def marker(self, header, lifetime_sec: float) -> Marker:
        """The floor as a translucent patch in the image frame (DELETE when there is none)."""
        m = Marker(header=header, ns=MARKER_NS, id=0)
        plane = self.depth.plane if self._plane_now else None
        if plane is None:
            m.action = Marker.DELETE
            return m
        m.type, m.action, m.lifetime = Marker.TRIANGLE_LIST, Marker.ADD, _duration(lifetime_sec)
        m.pose.orientation.w = 1.0
        m.scale.x = m.scale.y = m.scale.z = 1.0
        m.color = ColorRGBA(r=0.3, g=0.8, b=0.3, a=0.35)
        origin, a, b = plane.floor_basis()
        centre = origin + MARKER_AHEAD_M * a
        (ha, hb) = MARKER_HALF_SIZE_M
        corners = [centre + sa * ha * a + sb * hb * b for sa, sb in ((-1, -1), (1, -1), (1, 1), (-1, 1))]
        pts = [Point(x=float(c[0]), y=float(c[1]), z=float(c[2])) for c in corners]
        m.points = [pts[0], pts[1], pts[2], pts[0], pts[2], pts[3]]
        return m

    def status(self, node_name: str, hardware_id: str) -> DiagnosticStatus:
        totals = self.depth.totals
        source = ("tf, moving" if self.depth.mode == "known" else "tf") if self.tf is not None else ""
        values = {"source": self.mode, "plane": self.depth.describe(source), "people refined": str(totals["refined"]),
                  "people gated (kept DRM depth)": str(totals["gated"]),
                  "people without confident ankles": str(totals["no_feet"])}
        if self.floor_file:
            values["floor file"] = f"{self.floor_file}: {self.file_status}"
        if self.depth.plane is not None:
            values["camera height (m)"] = f"{self.depth.plane.height:.3f}"
            values["up in camera frame"] = " ".join(f"{v:.4f}" for v in self.depth.plane.up)
        if self.tf is not None:
            values["transform"] = ("moving (/tf, looked up at each image's stamp)" if self.depth.mode == "known"
                                   else "fixed (/tf_static)" if self.depth.mode == "fixed" else "not known yet")
        if self.mode == "off":
            level, message = DiagnosticStatus.OK, "off (DRM depth only)"
        elif self.error:
            level, message = DiagnosticStatus.WARN, self.error
        elif self.depth.plane is None:
            level, message = DiagnosticStatus.WARN, f"{self.mode}: no plane yet"
        else:
            level, message = DiagnosticStatus.OK, self.depth.describe(source)
        return DiagnosticStatus(level=level, name=f"{node_name}: ground plane", message=message,
                                hardware_id=hardware_id, values=[KeyValue(key=k, value=v) for k, v in values.items()])

