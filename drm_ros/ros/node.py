"""drm_node: camera image + CameraInfo in, metric 3D skeletons out.

Topics (relative: namespaces and remapping apply)
  in   image (sensor_msgs/Image) or image/compressed (sensor_msgs/CompressedImage), camera_info
  out  skeletons (drm_ros/Skeleton3DArray), markers (MarkerArray), debug_image (Image, rgb8;
       drawn only while someone subscribes), /diagnostics
All outputs carry the source image's stamp and frame_id. Each image is lifted with the camera_info
of its own stamp (drm_ros/camera_pairing.py), never silently with another frame's calibration.

Threads: the executor thread only files each image into a one-slot mailbox (a newer image
replaces an unprocessed one, counted as dropped); one worker thread decodes, runs the model,
tracks and publishes. So latency stays one inference long however fast the camera is.

Lifecycle: always a rclpy LifecycleNode. With lifecycle:=false (the default, so it works in
plain launch files) it configures and activates itself at start-up; with lifecycle:=true a
lifecycle manager drives it: configure loads the model and creates publishers, activate
subscribes and starts the worker, deactivate/cleanup undo them in reverse.

Optional TF (publish_tf): one frame per tracked person, published as tf2_msgs/TFMessage on /tf
(tf2_ros is not obtainable here, so the node publishes the message itself; any TF listener reads it).
"""
from __future__ import annotations

import signal
import sys
import threading
import time

import numpy as np
import rclpy
from diagnostic_msgs.msg import DiagnosticArray, KeyValue
from rcl_interfaces.msg import SetParametersResult
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.lifecycle import LifecycleNode, LifecycleState, TransitionCallbackReturn
from rclpy.qos import qos_profile_sensor_data
from rclpy.signals import SignalHandlerOptions
from sensor_msgs.msg import CameraInfo, CompressedImage, Image
from visualization_msgs.msg import MarkerArray

from drm_ros.camera import CameraError
from drm_ros.camera_pairing import CameraInfoPairing
from drm_ros.error_throttle import ErrorThrottle
from drm_ros.exposure import expose, score_threshold_for
from drm_ros.msg import Skeleton3DArray
from drm_ros.overlay import draw_poses
from drm_ros.passes import estimate_passes
from drm_ros.poses import PoseSet
from drm_ros.ros import image_qos
from drm_ros.ros.conversions import (ImageError, camera_from_info, compressed_to_rgb, image_to_rgb, poses_to_msg,
                                     poses_to_tf)
from drm_ros.ros.diagnostics import PipelineStats
from drm_ros.ros.ground_plane import NodeGround
from drm_ros.ros.mailbox import LatestMailbox
from drm_ros.ros.markers import poses_to_markers
from drm_ros.ros.params import BY_NAME, NODE_NAME, PARAMS, parse_input_size
from drm_ros.depth_filter import DepthFilter
from drm_ros.pose_filter import PoseFilter
from drm_ros.tracking import Tracker

SUCCESS, FAILURE = TransitionCallbackReturn.SUCCESS, TransitionCallbackReturn.FAILURE


class DrmNode(LifecycleNode):
    def __init__(self, node_name: str = NODE_NAME, **kwargs):
        super().__init__(node_name, **kwargs)
        for p in PARAMS:
            self.declare_parameter(p.name, p.default, p.descriptor())
        self.cfg = {p.name: self.get_parameter(p.name).value for p in PARAMS}
        bad = [reason for p in PARAMS if (reason := p.validate(self.cfg[p.name]))]
        if bad:  # ranges are checked by rclpy; choices and patterns only here
            raise ValueError("invalid parameters: " + "; ".join(bad))
        self.add_on_set_parameters_callback(self._on_set_parameters)
        self.stats = PipelineStats()
        self._estimator = None
        self._tracker: Tracker | None = None
        self._depth_filter: DepthFilter | None = None
        self._pose_filter: PoseFilter | None = None
        self._ground: NodeGround | None = None
        self._camera = None  # latest valid Camera (diagnostics only: frames are paired by stamp)
        self._pairing: CameraInfoPairing | None = None
        self._forgotten = ""  # why no calibration is held (after deactivate/cleanup), for the refusal message
        self._pairing_timer = None
        self._qos_timer = None
        self._mailbox = LatestMailbox()
        self._worker: threading.Thread | None = None
        self._pubs: dict = {}
        self._subs: list = []
        self._diag_timer = None
        self._error_throttle = ErrorThrottle(self.cfg["error_throttle_sec"])
        self._pending_input_size = False
        self._last_stamp_ns: int | None = None  # of the last frame tracked: a jump back resets the tracks
        self._pending_backend = False
        self._image_topic = ""
        if not self.cfg["lifecycle"]:
            if self.trigger_configure() == SUCCESS:
                self.trigger_activate()

    # ------------------------------------------------------------------ parameters
    def _on_set_parameters(self, params) -> SetParametersResult:
        for param in params:
            spec = BY_NAME.get(param.name)
            if spec is None:
                continue  # use_sim_time and other rclpy-owned parameters
            reason = spec.validate(param.value)
            if (reason is None and not spec.runtime and self.cfg.get(param.name) != param.value
                    and self.lifecycle_state != "unconfigured"):
                reason = (f"{param.name} can only change while the node is unconfigured (lifecycle cleanup, "
                          f"or restart with the new value)")
            if reason:
                return SetParametersResult(successful=False, reason=reason)
        for param in params:
            if param.name in BY_NAME:
                self.cfg[param.name] = param.value
                if param.name == "input_size":
                    self._pending_input_size = True
                if param.name == "backend":
                    self._pending_backend = True
                if param.name.startswith("tracking_") and self._tracker is not None:
                    self._tracker.gate_m = float(self.cfg["tracking_gate_m"])
                    self._tracker.depth_gate_frac = float(self.cfg["tracking_depth_gate_frac"])
                    self._tracker.max_age = int(self.cfg["tracking_max_age"])
                if param.name.startswith("depth_filter_") and self._tracker is not None:
                    self._depth_filter = self._new_depth_filter()
                if param.name.startswith("pose_filter_") and self._tracker is not None:
                    self._pose_filter = self._new_pose_filter()
        return SetParametersResult(successful=True)

    def _new_depth_filter(self) -> DepthFilter | None:
        alpha, beta = float(self.cfg["depth_filter_alpha"]), float(self.cfg["depth_filter_beta"])
        return None if alpha >= 1.0 else DepthFilter(alpha, min(beta, alpha))

    def _new_pose_filter(self) -> PoseFilter | None:
        f = PoseFilter(float(self.cfg["pose_filter_min_cutoff_hz"]), float(self.cfg["pose_filter_beta"]))
        return f if f.enabled else None

    def _input_size(self):
        return parse_input_size(self.cfg["input_size"])

    # ------------------------------------------------------------------ lifecycle
    def on_configure(self, state: LifecycleState) -> TransitionCallbackReturn:
        try:
            from drm_ros.checkpoint import load_model
            from drm_ros.paths import DEFAULT_MODEL, model_path

            net, info = load_model(self.cfg["model_path"] or model_path(DEFAULT_MODEL))
            self._default_input_size = tuple(info["input_size"])
            self._pending_backend = False
            self._estimator = self._build_estimator(net, self._input_size() or self._default_input_size)
        except Exception as exc:  # noqa: BLE001 - any load failure: report it, stay unconfigured
            self.get_logger().error(f"cannot load the model: {exc}")
            self._estimator = None
            return FAILURE
        self.get_logger().info(
            f"configured: model loaded ({self.cfg['model_path'] or 'default model'}, input "
            f"{self._estimator.input_size[0]}x{self._estimator.input_size[1]}, {self.cfg['device']}, backend "
            f"{self._estimator.backend})")
        self._tracker = Tracker(self.cfg["tracking_gate_m"], self.cfg["tracking_max_age"],
                                self.cfg["tracking_depth_gate_frac"])
        self._depth_filter = self._new_depth_filter()
        self._pose_filter = self._new_pose_filter()
        self._last_stamp_ns = None
        self._ground = NodeGround(self, self.cfg)
        self._pubs = {
            "skeletons": self.create_publisher(Skeleton3DArray, "skeletons", 10),
            "markers": self.create_publisher(MarkerArray, "markers", 10),
            "debug_image": self.create_publisher(Image, "debug_image", qos_profile_sensor_data),
            "diagnostics": self.create_publisher(DiagnosticArray, "/diagnostics", 10),
        }
        if self.cfg["publish_tf"]:
            from tf2_msgs.msg import TFMessage

            self._pubs["tf"] = self.create_publisher(TFMessage, "/tf", 100)
        return SUCCESS

    def _build_estimator(self, net, input_size):
        """An estimator on the configured backend; torch's own threads follow it (backends.torch_threads)."""
        import torch

        from drm_ros.backends import resolve, torch_threads
        from drm_ros.inference import PoseEstimator

        backend = resolve(self.cfg["backend"])
        torch.set_num_threads(torch_threads(backend, self.cfg["num_threads"]))
        return PoseEstimator(net, input_size, self.cfg["score_threshold"], self.cfg["device"], backend=backend,
                             threads=self.cfg["num_threads"]).prepare()

    def _switch_backend(self) -> None:
        """Worker thread, between two frames: a new estimator on the new backend with the loaded
        weights; the old one (and its runtime sessions) is dropped. If the new one cannot be built
        the old one keeps serving and the log says why."""
        self._pending_backend = False
        old = self._estimator
        try:
            self._estimator = self._build_estimator(old.net, old.input_size)
        except Exception as exc:  # noqa: BLE001 - keep serving with the backend that works
            import torch

            from drm_ros.backends import torch_threads

            torch.set_num_threads(torch_threads(old.backend, self.cfg["num_threads"]))
            self.get_logger().error(f"backend {self.cfg['backend']} failed ({type(exc).__name__}: {exc}); "
                                    f"still running on {old.backend}")
            return
        del old
        from drm_ros.compiled import release_memory

        release_memory()
        self.get_logger().info(f"backend now {self._estimator.backend} (asked for {self.cfg['backend']})")

    def on_activate(self, state: LifecycleState) -> TransitionCallbackReturn:
        # Each image gets the camera_info with its own stamp (drm_ros/camera_pairing.py); made
        # before the subscriptions, whose callbacks use it.
        wait = self.cfg["camera_info_wait_sec"]
        self._pairing = CameraInfoPairing(wait, self.resolve_topic_name("camera_info"), since=self._forgotten)
        self._mailbox.reopen()
        self._image_topic = self.resolve_topic_name(
            "image/compressed" if self.cfg["image_transport"] == "compressed" else "image")
        # Keep last 1 image: an old frame is never worth queueing. Both subscriptions follow their
        # publishers' reliability (image: with image_qos auto; camera_info: always), ros/image_qos.py.
        image_type = CompressedImage if self.cfg["image_transport"] == "compressed" else Image
        self._subs.append(image_qos.FollowingSubscription(self, image_type, self._image_topic, self._on_image,
                                                          self.cfg["image_qos"], depth=1))
        self._subs.append(image_qos.FollowingSubscription(self, CameraInfo, self.resolve_topic_name("camera_info"),
                                                          self._on_camera_info, "auto", depth=5, overlap=True))
        self._qos_timer = self.create_timer(1.0, self._follow_publishers)
        self._pairing_timer = self.create_timer(max(0.01, wait / 4), self._expire_pairing)
        self._worker = threading.Thread(target=self._work, name="drm_inference", daemon=True)
        self._worker.start()
        self._diag_timer = self.create_timer(self.cfg["diagnostics_period_sec"], self._publish_diagnostics)
        self.get_logger().info(f"active: subscribed to {self._subs[0].topic_name} ({self._subs[0].describe()}) and "
                               f"{self._subs[1].topic_name} ({self._subs[1].describe()})")
        return SUCCESS

    def _follow_publishers(self) -> None:
        for sub in self._subs:
            if sub.follow():
                self.get_logger().info(f"subscription on {sub.topic_name} is now {sub.describe()} to match its "
                                       f"publishers")

    def on_deactivate(self, state: LifecycleState) -> TransitionCallbackReturn:
        for sub in self._subs:
            sub.destroy()
        self._subs = []
        for timer in (self._diag_timer, self._pairing_timer, self._qos_timer):
            if timer is not None:
                self.destroy_timer(timer)
        self._diag_timer = self._pairing_timer = self._qos_timer = None
        self.stop_worker()
        self._forget_camera("deactivated")
        self.get_logger().info(f"inactive: unsubscribed, worker stopped ({self.stats.published} frames published "
                               f"so far); calibration forgotten until the next camera_info")
        return SUCCESS

    def _forget_camera(self, why: str) -> None:
        """Calibration is trusted only while the node is subscribed to it: while it is not, the
        camera may be re-calibrated or swapped unseen, so after deactivate or cleanup the next
        camera_info must confirm it again before any frame is served."""
        self._camera = None  # the pairing is made anew on activate, so no old calibration is served
        self._forgotten = f"since the node was {why}"
        self.stats.camera_info(False, f"no camera_info received yet on {self.resolve_topic_name('camera_info')} "
                                      f"{self._forgotten}")

    def stop_worker(self) -> None:
        """Let the inference thread finish its frame and end (also used at process shutdown,
        when the ROS context is already gone and lifecycle transitions are impossible)."""
        self._mailbox.close()
        if self._worker is not None:
            self._worker.join(timeout=30)
            self._worker = None
        if self._ground is not None:
            self._ground.save_floor_file(force=True)  # what the floor learnt survives a restart

    def on_cleanup(self, state: LifecycleState) -> TransitionCallbackReturn:
        for pub in self._pubs.values():
            self.destroy_publisher(pub)
        self._pubs = {}
        self._estimator = None
        self._tracker = None
        self._depth_filter = None
        self._pose_filter = None
        for sub in self._ground.subs if self._ground is not None else []:
            self.destroy_subscription(sub)
        self._ground = None
        from drm_ros.compiled import release_memory

        release_memory()  # the model and its compiled copy are gone: return their pages
        self._forget_camera("cleaned up")
        self.get_logger().info("unconfigured: model unloaded, publishers removed, calibration forgotten")
        return SUCCESS

    def on_shutdown(self, state: LifecycleState) -> TransitionCallbackReturn:
        self.get_logger().info(f"shutting down from '{state.label}'")
        if self._worker is not None:
            self.on_deactivate(state)
        if self._pubs:
            self.on_cleanup(state)
        return SUCCESS

    @property
    def lifecycle_state(self) -> str:
        return self._state_machine.current_state[1]

    # ------------------------------------------------------------------ callbacks (executor thread)
    def _on_camera_info(self, msg: CameraInfo) -> None:
        try:
            camera = camera_from_info(msg)
        except CameraError as exc:
            self._camera = None
            self.stats.camera_info(False, str(exc))
            self._deliver(*self._pairing.add_info(_stamp_ns(msg), str(exc), time.monotonic()))
            return
        self._camera = camera
        self.stats.camera_info(True, f"ok {camera.width}x{camera.height} fx={camera.fx:.1f} model="
                                     f"{camera.distortion_model}")
        self._deliver(*self._pairing.add_info(_stamp_ns(msg), camera, time.monotonic()))

    def _on_image(self, msg) -> None:
        self.stats.frame_received()
        self._deliver(*self._pairing.add_image(_stamp_ns(msg), msg, time.monotonic()))

    def _expire_pairing(self) -> None:
        self._deliver(*self._pairing.expire(time.monotonic()))

    def _deliver(self, ready: list, stale: int) -> None:
        """Paired images into the worker's mailbox; images overtaken while waiting for their
        camera_info count as dropped, like frames replaced in the mailbox."""
        for _ in range(stale):
            self.stats.frame_dropped()
        for paired in ready:
            if paired.notice:
                self.get_logger().warning(paired.notice)
            if self._mailbox.put((paired.item, paired.camera, paired.problem)):
                self.stats.frame_dropped()

    # ------------------------------------------------------------------ worker thread
    def _work(self) -> None:
        while True:
            item = self._mailbox.take()
            if item is None:
                return  # mailbox closed: deactivating
            try:
                self._process(*item)
            except Exception as exc:  # noqa: BLE001 - one bad frame must never stop the worker
                self._refuse(f"frame failed: {type(exc).__name__}: {exc}")

    def _refuse(self, text: str) -> None:
        """Log one clear error per distinct problem, throttled: a bad camera at 30 Hz must not
        flood the log, yet every different problem is reported (drm_ros/error_throttle.py)."""
        self.stats.frame_refused(text)
        self._error_throttle.period_s = self.cfg["error_throttle_sec"]
        line = self._error_throttle.line(text)
        if line is not None:
            self.get_logger().error(line + " -- frame skipped")

    def _process(self, msg, camera, camera_error: str) -> None:
        t0 = time.monotonic()
        if camera is None:
            self._refuse(camera_error)
            return
        try:
            if isinstance(msg, CompressedImage):
                rgb = compressed_to_rgb(msg, self.cfg["max_image_pixels"])
            else:
                rgb = image_to_rgb(msg, self.cfg["max_image_pixels"])
        except ImageError as exc:
            self._refuse(f"bad image on {self._image_topic}: {exc}")
            return
        if (rgb.shape[1], rgb.shape[0]) != (camera.width, camera.height):
            self._refuse(f"image is {rgb.shape[1]}x{rgb.shape[0]} but camera_info describes "
                                          f"{camera.width}x{camera.height}")
            return
        if self._pending_backend:
            self._switch_backend()
        est = self._estimator
        if self._pending_input_size:
            self._pending_input_size = False
            est.input_size = self._input_size() or self._default_input_size
            self.get_logger().info(f"network input size now {est.input_size[0]}x{est.input_size[1]}")
        # passes/exposure: drm_ros/passes.py, drm_ros/exposure.py (one estimator, several looks);
        # a dark image's people score lower: its own threshold (dark_score_threshold)
        shown, dark = expose(rgb, self.cfg["exposure"])
        threshold = score_threshold_for(self.cfg["score_threshold"], self.cfg["dark_score_threshold"], dark)
        est.score_threshold = threshold
        est.max_persons = self.cfg["max_persons"]
        poses = estimate_passes(est, shown, camera, self.cfg["passes"], self.cfg["max_zooms"],
                                fisheye_views=self.cfg["fisheye_views"])
        poses = _best(poses, threshold, self.cfg["max_persons"])
        poses = self._ground.apply(poses, camera, msg.header.frame_id, _stamp_ns(msg))  # before tracking: better depth, steadier ids
        self._reset_tracks_if_time_went_back(_stamp_ns(msg))
        poses = self._tracker.update(poses, camera)  # camera: ids survive a calibration change
        if self._depth_filter is not None:
            poses = self._depth_filter.update(poses, camera)  # per id: calmer depth along the rays
        if self._pose_filter is not None:
            poses = self._pose_filter.update(poses, _stamp_ns(msg) * 1e-9)  # per id: calmer limbs
        self._publish(msg.header, rgb, poses)
        now = self.get_clock().now().nanoseconds
        stamp = msg.header.stamp.sec * 1_000_000_000 + msg.header.stamp.nanosec
        self.stats.frame_published((now - stamp) * 1e-9, time.monotonic() - t0)

    def _reset_tracks_if_time_went_back(self, stamp_ns: int) -> None:
        """Frames reach the tracker newest-first (one-slot mailbox), so an older stamp means time
        went back: a looped bag under use_sim_time, a replay restarted, a camera clock reset. The
        tracks' positions and velocities belong to the old timeline; start afresh (ids keep
        counting up, never reused)."""
        last, self._last_stamp_ns = self._last_stamp_ns, stamp_ns
        if last is not None and stamp_ns < last:
            self._tracker.reset()
            if self._depth_filter is not None:
                self._depth_filter.reset()
            if self._pose_filter is not None:
                self._pose_filter.reset()
            self.get_logger().info(f"image stamps went back by {(last - stamp_ns) * 1e-9:.3f} s (looped bag or clock "
                                   f"reset): tracks reset")

    def _publish(self, header, rgb: np.ndarray, poses: PoseSet) -> None:
        pubs = self._pubs
        if not pubs:
            return  # cleaned up meanwhile
        pubs["skeletons"].publish(poses_to_msg(poses, header))
        if self.cfg["publish_markers"]:
            period = self.stats.frame_period or 0.1
            markers = poses_to_markers(poses, header, self.cfg["marker_lifetime_frames"] * period,
                                       self.cfg["min_joint_score"])
            if self._ground is not None and self._ground.mode != "off":
                markers.markers.append(self._ground.marker(header, self.cfg["marker_lifetime_frames"] * period))
            pubs["markers"].publish(markers)
        if "tf" in pubs and len(poses):
            pubs["tf"].publish(poses_to_tf(poses, header, self.cfg["tf_prefix"]))
        if pubs["debug_image"].get_subscription_count() > 0:
            overlay = draw_poses(rgb, poses, self.cfg["min_joint_score"])
            out = Image(header=header, height=overlay.shape[0], width=overlay.shape[1], encoding="rgb8",
                        is_bigendian=0, step=overlay.shape[1] * 3)
            out.data = overlay.tobytes()  # bytes: 0.3 ms; a numpy array would take ~75 ms
            pubs["debug_image"].publish(out)

    def _publish_diagnostics(self) -> None:
        pub = self._pubs.get("diagnostics")
        if pub is not None:
            camera = self._camera
            hw = f"camera {camera.width}x{camera.height}" if camera else "camera (no calibration)"
            report = self.stats.report(self.get_fully_qualified_name(), hw, self.get_clock().now().to_msg())
            pairing = self._pairing
            if pairing is not None:  # queue depths: a node that runs for days must keep them bounded
                waiting, held = pairing.depths()
                report.status[0].values += [KeyValue(key="images waiting for camera_info", value=str(waiting)),
                                            KeyValue(key="camera_infos held", value=str(held)),
                                            KeyValue(key="mailbox", value=str(self._mailbox.depth))]
            if self._ground is not None:
                report.status.append(self._ground.status(self.get_fully_qualified_name(), hw))
            pub.publish(report)


def _stamp_ns(msg) -> int:
    return msg.header.stamp.sec * 1_000_000_000 + msg.header.stamp.nanosec


def _best(poses: PoseSet, threshold: float, max_persons: int) -> PoseSet:
    keep = np.flatnonzero(poses.scores >= threshold)
    keep = keep[np.argsort(-poses.scores[keep], kind="stable")][:max_persons]
    return poses.select(keep)


def main(args: list[str] | None = None) -> int:
    # Signals only set a flag. rclpy's own handler shut the context down from inside the signal,
    # racing the executor (take_message on a dead context) and the worker (publish on an invalid
    # context), and the second SIGINT that `ros2 launch` forwards after the terminal's raised
    # KeyboardInterrupt in the middle of the cleanup. Here the spin loop sees the flag within
    # 0.1 s and shuts down in order (worker, node, context). Further signals are ignored from the
    # first on: SIG_IGN also survives interpreter finalization, which otherwise restores SIG_DFL
    # and lets a late second SIGINT kill the exiting process (exit code -2).
    stop = threading.Event()

    def on_signal(*_):
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_IGN)
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_signal)
    rclpy.init(args=args if args is not None else sys.argv, signal_handler_options=SignalHandlerOptions.NO)
    node = executor = None
    try:
        node = DrmNode()
        if not node.cfg["lifecycle"] and node.lifecycle_state != "active":
            node.get_logger().fatal(f"could not start (state '{node.lifecycle_state}'); see the error above")
            return 1
        executor = SingleThreadedExecutor()
        executor.add_node(node)
        while not stop.is_set():
            executor.spin_once(timeout_sec=0.1)
    except ExternalShutdownException:
        pass
    finally:
        if node is not None:
            node.stop_worker()
        if executor is not None:
            executor.shutdown()
        if node is not None:
            node.destroy_node()
        rclpy.try_shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
