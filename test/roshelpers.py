"""rclpy plumbing shared by the ROS tests: a private context spun in a background thread, a
topic collector, message builders, and waiting with a deadline (never fixed sleeps)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import cv2
import numpy as np
import rclpy
from rclpy.executors import MultiThreadedExecutor
from sensor_msgs.msg import CameraInfo, CompressedImage, Image

from drm_ros.camera import Camera

REPO = Path(__file__).resolve().parents[1]
FRAME_PATH = REPO / "test" / "fixtures" / "vtest_frame300.jpg"


def wait_until(predicate, timeout: float, what: str, poll: float = 0.005):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout:.1f} s waiting for {what}")


@contextmanager
def ros_context():
    """(context, executor) with the executor spinning in a daemon thread."""
    assert os.environ.get("ROS_AUTOMATIC_DISCOVERY_RANGE") == "LOCALHOST"  # conftest's guard
    ctx = rclpy.Context()
    rclpy.init(context=ctx)
    executor = MultiThreadedExecutor(num_threads=2, context=ctx)
    stop = threading.Event()
    thread = threading.Thread(target=_spin, args=(executor, stop), daemon=True)
    thread.start()
    try:
        yield ctx, executor
    finally:
        stop.set()
        thread.join(timeout=5)
        executor.shutdown()
        rclpy.try_shutdown(context=ctx)


def _spin(executor, stop: threading.Event) -> None:
    """executor.spin() that survives rclpy's race between a node or subscription destroyed from
    another thread (a test closing its rig, a lifecycle transition, image_qos auto re-subscribing
    in a pool thread) and the spin thread adding that entity's QoS event handler to its wait set:
    rclpy raises InvalidHandle there, spin() died with it, and every later test of the module
    timed out waiting for callbacks that no thread ran (seen in CI). The next spin_once rebuilds
    the wait set without the destroyed entity. (drm_node itself spins one thread, where the
    race cannot happen.)"""
    from rclpy.exceptions import InvalidHandle
    from rclpy.executors import ExternalShutdownException, ShutdownException

    while not stop.is_set():
        try:
            executor.spin_once(timeout_sec=0.05)
        except InvalidHandle:
            continue
        except (ExternalShutdownException, ShutdownException):
            return


class Collector:
    """Keeps every message of one topic; `node` is any rclpy node in a spinning executor."""

    def __init__(self, node, msg_type, topic: str, qos=50):
        self.messages: list = []
        self._lock = threading.Lock()
        self.sub = node.create_subscription(msg_type, topic, self._on_msg, qos)

    def _on_msg(self, msg):
        with self._lock:
            self.messages.append(msg)

    def with_stamp(self, stamp) -> list:
        with self._lock:
            return [m for m in self.messages if m.header.stamp == stamp]


def good_frame() -> np.ndarray:
    """A real photo (a frame of OpenCV's vtest.avi, people walking), RGB."""
    return cv2.cvtColor(cv2.imread(str(FRAME_PATH)), cv2.COLOR_BGR2RGB)


def stamp_of(sec: int, nanosec: int = 0):
    from builtin_interfaces.msg import Time

    return Time(sec=sec, nanosec=nanosec)


def rgb_image_msg(rgb: np.ndarray, stamp, frame_id: str, encoding: str = "rgb8") -> Image:
    msg = Image(height=rgb.shape[0], width=rgb.shape[1], encoding=encoding, step=rgb.shape[1] * 3)
    msg.header.stamp, msg.header.frame_id = stamp, frame_id
    msg.data = np.ascontiguousarray(rgb).tobytes()
    return msg


def jpeg_msg(data: bytes, stamp, frame_id: str) -> CompressedImage:
    msg = CompressedImage(format="jpeg")
    msg.header.stamp, msg.header.frame_id = stamp, frame_id
    msg.data = data
    return msg


def camera_info_msg(camera: Camera, stamp, frame_id: str, k=None) -> CameraInfo:
    """plumb_bob without distortion, or the camera's own model and D for a fisheye."""
    model = camera.distortion_model if camera.is_fisheye else "plumb_bob"
    msg = CameraInfo(width=camera.width, height=camera.height, distortion_model=model)
    msg.header.stamp, msg.header.frame_id = stamp, frame_id
    msg.k = np.asarray(camera.K.reshape(-1) if k is None else k, dtype=np.float64)
    msg.d = [float(v) for v in camera.D] if camera.is_fisheye else [0.0] * 5
    return msg


def node_command(*ros_args: str) -> list[str]:
    """The installed-style executable, run by this venv's python (same code path as `ros2 run`)."""
    return [sys.executable, str(REPO / "scripts" / "drm_node"), "--ros-args", *ros_args]


class Process:
    """A child process whose combined output is collected live by a reader thread, so tests can
    wait for a log line while it runs."""

    def __init__(self, cmd: list[str], **env):
        self.proc = subprocess.Popen(cmd, env={**os.environ, **env}, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, cwd=REPO)
        self._chunks: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self._chunks.append(line)

    @property
    def output(self) -> str:
        return "".join(self._chunks)

    def stop(self, sig=signal.SIGINT, timeout: float = 20.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(timeout=5)
        return self.proc.returncode
