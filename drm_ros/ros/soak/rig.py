"""The soak's moving parts: drm_node as a child process (with /proc readings and crash
detection), real 640x480 frames, and one driver node in this process that publishes to the node,
collects its skeletons and /diagnostics, and drives its lifecycle and parameters by service."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[3]
NAMESPACE = "/soak"
NODE = f"{NAMESPACE}/drm_node"
FRAME_ID = "soak_camera_optical"
WIDTH, HEIGHT = 640, 480
DEPTHS = ("images waiting for camera_info", "camera_infos held", "mailbox")  # node queues on /diagnostics
KEEP = 200  # answers kept whole (lockstep phases look at the last few)
# what counts as a crash in the node's output (a caught per-frame exception is logged as
# "frame failed:", counted separately: the node survived it, but it is a bug)
TRACEBACK = re.compile(r"^Traceback \(most recent call last\)", re.M)


def real_frames(n: int | None = None) -> list[np.ndarray]:
    """The 30 real vtest frames (several pedestrians), resized 768x576 -> 640x480 (same 4:3), RGB."""
    import cv2

    paths = sorted((REPO / "sample_data" / "vtest").glob("frame_*.jpg"))[:n]
    return [cv2.cvtColor(cv2.resize(cv2.imread(str(p)), (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA),
                         cv2.COLOR_BGR2RGB) for p in paths]


def proc_stats(pid: int) -> dict:
    """RSS (MB), threads and open file descriptors of a live process, from /proc."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                out["rss_mb"] = int(line.split()[1]) / 1024
            elif line.startswith("Threads:"):
                out["threads"] = int(line.split()[1])
    out["fds"] = len(os.listdir(f"/proc/{pid}/fd"))
    return out


class NodeProcess:
    """drm_node (the installed-style executable) as a child process in NAMESPACE; its output is
    collected live. `crashed` is set when it exits without being asked to."""

    def __init__(self, params: dict | None = None, label: str = "node"):
        exe = REPO / "scripts" / "drm_node"
        args = ["--ros-args", "-r", f"__ns:={NAMESPACE}", "-p", "image_qos:=reliable",
                "-p", "diagnostics_period_sec:=0.2"]
        for key, value in (params or {}).items():
            args += ["-p", f"{key}:={value}"]
        self.label = label
        self.proc = subprocess.Popen([sys.executable, str(exe), *args], env=dict(os.environ), cwd=REPO,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.exit_code: int | None = None

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line)

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stats(self) -> dict:
        if not self.alive():
            raise RuntimeError(f"drm_node ({self.label}) is not running (exit code {self.proc.returncode}):\n"
                               + "".join(self.lines[-30:]))
        return proc_stats(self.pid)

    def wait_for_line(self, pattern: str, timeout: float, after: int = 0) -> str:
        """The first output line (from line number `after` on) matching the regex pattern."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines[after:]:
                if regex.search(line):
                    return line
            if not self.alive():
                break
            time.sleep(0.05)
        raise RuntimeError(f"drm_node ({self.label}): no line matching {pattern!r} within {timeout:.0f} s; last lines:\n"
                           + "".join(self.lines[-20:]))

    def stop(self, timeout: float = 30.0) -> dict:
        """SIGINT, wait (kill if it hangs); -> crash accounting for the JSON."""
        crashed_before = not self.alive()
        if self.alive():
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(timeout=5)
        self.exit_code = self.proc.returncode
        out = self.output
        return {"label": self.label, "died_on_its_own": crashed_before, "exit_code": self.exit_code,
                "tracebacks": len(TRACEBACK.findall(out)), "frame_failed_lines": out.count("frame failed:"),
                "crashes": int(crashed_before or self.exit_code != 0) + len(TRACEBACK.findall(out))}


class Driver:
    """The soak's own ROS node (a private context spun in a background thread)."""

    def __init__(self):
        import rclpy
        from diagnostic_msgs.msg import DiagnosticArray
        from rclpy.executors import MultiThreadedExecutor
        from rosgraph_msgs.msg import Clock
        from sensor_msgs.msg import CameraInfo, CompressedImage, Image

        from drm_ros.msg import Skeleton3DArray

        assert os.environ.get("ROS_AUTOMATIC_DISCOVERY_RANGE") == "LOCALHOST"
        self.ctx = rclpy.Context()
        rclpy.init(context=self.ctx)
        self.node = rclpy.create_node("drm_soak_driver", namespace=NAMESPACE, context=self.ctx)
        self.pub_image = self.node.create_publisher(Image, "image", 2)
        self.pub_compressed = self.node.create_publisher(CompressedImage, "image/compressed", 2)
        self.pub_info = self.node.create_publisher(CameraInfo, "camera_info", 10)
        self.pub_clock = self.node.create_publisher(Clock, "/clock", 10)
        self._cond = threading.Condition()
        self.answers: OrderedDict[int, object] = OrderedDict()  # stamp ns -> Skeleton3DArray, the newest KEEP
        self.answered: set[int] = set()  # every answered stamp (ints only: 10,000s of frames stay small)
        self.people_seen = 0  # skeletons in all answers
        self.node.create_subscription(Skeleton3DArray, "skeletons", self._on_skeletons, 50)
        self.diag: dict[str, str] = {}
        self.max_depths = dict.fromkeys(DEPTHS, 0)
        self.node.create_subscription(DiagnosticArray, "/diagnostics", self._on_diag, 10)
        self.executor = MultiThreadedExecutor(num_threads=2, context=self.ctx)
        self.executor.add_node(self.node)
        self._spinner = threading.Thread(target=self.executor.spin, daemon=True)
        self._spinner.start()

    # ------------------------------------------------------------------ outputs
    def _on_skeletons(self, msg) -> None:
        stamp = _ns(msg.header.stamp)
        with self._cond:
            self.answers[stamp] = msg
            while len(self.answers) > KEEP:
                self.answers.popitem(last=False)
            self.answered.add(stamp)
            self.people_seen += len(msg.skeletons)
            self._cond.notify_all()

    def _on_diag(self, msg) -> None:
        for status in msg.status:
            if status.name.startswith(NODE + ":") and "pose pipeline" in status.name:
                values = {kv.key: kv.value for kv in status.values}
                with self._cond:
                    self.diag = values
                    for key in self.max_depths:
                        if key in values:
                            self.max_depths[key] = max(self.max_depths[key], int(values[key]))
                    self._cond.notify_all()

    def new_node(self) -> None:
        """Forget the previous node process's diagnostics (each phase starts its own node)."""
        with self._cond:
            self.diag = {}
            self.max_depths = dict.fromkeys(DEPTHS, 0)

    def counter(self, key: str) -> int:
        with self._cond:
            return int(self.diag.get(key, 0))

    def wait_counter(self, key: str, above: int, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: int(self.diag.get(key, 0)) > above, timeout)

    def wait_answer(self, stamp_ns: int, timeout: float):
        with self._cond:
            self._cond.wait_for(lambda: stamp_ns in self.answers, timeout)
            return self.answers.get(stamp_ns)

    def count_answered(self, stamps) -> int:
        with self._cond:
            return sum(1 for s in stamps if s in self.answered)

    # ------------------------------------------------------------------ inputs
    def wait_subscribed(self, timeout: float = 90.0, compressed: bool = False) -> None:
        pub = self.pub_compressed if compressed else self.pub_image
        deadline = time.monotonic() + timeout
        while pub.get_subscription_count() == 0 or self.pub_info.get_subscription_count() == 0:
            if time.monotonic() > deadline:
                raise RuntimeError("drm_node did not subscribe to the image and camera_info topics in time")
            time.sleep(0.05)

    def publish(self, image, info=None, clock_ns: int | None = None) -> None:
        """camera_info first (so the image usually finds its own), then the image."""
        if clock_ns is not None:
            from rosgraph_msgs.msg import Clock

            self.pub_clock.publish(Clock(clock=_time(clock_ns)))
        if info is not None:
            self.pub_info.publish(info)
        (self.pub_compressed if image.__class__.__name__ == "CompressedImage" else self.pub_image).publish(image)

    def publish_info(self, info) -> None:
        self.pub_info.publish(info)

    def serve(self, image, info, stamp_ns: int, timeout: float = 20.0, clock_ns: int | None = None, retries: int = 0):
        """Lockstep: stamp both messages, publish, wait for the node's skeletons of that stamp.
        `retries`: publish again after each timeout (start-up only: a frame sent before the
        node's subscriptions matched is lost, which is not what is measured)."""
        for m in (image, info):
            if m is not None:
                m.header.stamp = _time(stamp_ns)
        with self._cond:
            self.answers.pop(stamp_ns, None)  # a looped bag repeats stamps
            self.answered.discard(stamp_ns)
        for _ in range(retries + 1):
            self.publish(image, info, clock_ns)
            got = self.wait_answer(stamp_ns, timeout)
            if got is not None:
                return got
        return None

    # ------------------------------------------------------------------ services
    def _call(self, srv_type, name: str, request, timeout: float):
        client = self.node.create_client(srv_type, name)
        try:
            if not client.wait_for_service(timeout_sec=30):
                raise RuntimeError(f"service {name} did not appear")
            future = client.call_async(request)
            deadline = time.monotonic() + timeout
            while not future.done():
                if time.monotonic() > deadline:
                    raise RuntimeError(f"service {name} did not answer within {timeout:.0f} s")
                time.sleep(0.01)
            return future.result()
        finally:
            self.node.destroy_client(client)

    def transition(self, transition_id: int, timeout: float = 120.0) -> bool:
        from lifecycle_msgs.srv import ChangeState

        request = ChangeState.Request()
        request.transition.id = transition_id
        return self._call(ChangeState, f"{NODE}/change_state", request, timeout).success

    def state(self) -> str:
        from lifecycle_msgs.srv import GetState

        return self._call(GetState, f"{NODE}/get_state", GetState.Request(), 30).current_state.label

    def set_param(self, name: str, value: str) -> tuple[bool, str]:
        from rcl_interfaces.msg import Parameter, ParameterType, ParameterValue
        from rcl_interfaces.srv import SetParameters

        request = SetParameters.Request(parameters=[Parameter(
            name=name, value=ParameterValue(type=ParameterType.PARAMETER_STRING, string_value=value))])
        result = self._call(SetParameters, f"{NODE}/set_parameters", request, 30).results[0]
        return result.successful, result.reason

    def close(self) -> None:
        import rclpy

        self.executor.shutdown()
        self._spinner.join(timeout=5)  # a thread still inside spin at interpreter exit aborts the process
        self.node.destroy_node()
        rclpy.try_shutdown(context=self.ctx)


class Streamer:
    """Publishes the frames in turn (each with its camera_info, same stamp) at `rate_hz` from a
    thread, stamps from the wall clock, like a camera driver; `sent` keeps every stamp."""

    def __init__(self, driver: Driver, frames: list[np.ndarray], rate_hz: float = 30.0):
        self.driver, self.rate_hz = driver, rate_hz
        self.images = [image_msg(f) for f in frames]
        self.info = info_msg()
        self.sent: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> "Streamer":
        self._thread.start()
        return self

    def _run(self) -> None:
        t0 = time.monotonic()
        k = 0
        while not self._stop.is_set():
            image = self.images[k % len(self.images)]
            stamp = time.time_ns()
            image.header.stamp = self.info.header.stamp = _time(stamp)
            self.driver.publish(image, self.info)
            self.sent.append(stamp)
            k += 1
            self._stop.wait(max(0.0, t0 + k / self.rate_hz - time.monotonic()))  # pacing

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


# ---------------------------------------------------------------------- messages
def _ns(stamp) -> int:
    return stamp.sec * 1_000_000_000 + stamp.nanosec


def _time(ns: int):
    from builtin_interfaces.msg import Time

    sec, nsec = divmod(int(ns), 1_000_000_000)
    return Time(sec=sec, nanosec=nsec)


def image_msg(rgb: np.ndarray):
    from sensor_msgs.msg import Image

    msg = Image(height=rgb.shape[0], width=rgb.shape[1], encoding="rgb8", step=rgb.shape[1] * 3)
    msg.header.frame_id = FRAME_ID
    msg.data = np.ascontiguousarray(rgb).tobytes()  # bytes: fast to publish
    return msg


def jpeg_msg(rgb: np.ndarray):
    import cv2
    from sensor_msgs.msg import CompressedImage

    ok, data = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 85])
    msg = CompressedImage(format="jpeg")
    msg.header.frame_id = FRAME_ID
    msg.data = data.tobytes()
    return msg


def info_msg(fx: float | None = None, width: int = WIDTH, height: int = HEIGHT):
    """A plumb_bob CameraInfo (zero distortion); fx = fy, default a 60 degree horizontal field of view."""
    from sensor_msgs.msg import CameraInfo

    from drm_ros.camera import Camera

    cam = Camera.default_for(width, height)
    f = cam.fx if fx is None else fx
    msg = CameraInfo(width=width, height=height, distortion_model="plumb_bob")
    msg.header.frame_id = FRAME_ID
    msg.k = [f, 0.0, cam.cx, 0.0, f, cam.cy, 0.0, 0.0, 1.0]
    msg.d = [0.0] * 5
    return msg
