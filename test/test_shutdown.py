"""Ctrl-C under `ros2 launch` while a camera streams: the terminal's SIGINT and the one launch
forwards both reach drm_node. It must exit 0 with no traceback and no error line, every time.
The node runs as its own process (the installed-style executable), fed 640x480 rgb8 at 30 Hz."""
from __future__ import annotations

import re
import signal
import threading
import time

import numpy as np
import pytest
from sensor_msgs.msg import CameraInfo, Image

from drm_ros.camera import Camera
from drm_ros.msg import Skeleton3DArray
from roshelpers import Collector, Process, camera_info_msg, node_command, ros_context, stamp_of, wait_until

pytestmark = pytest.mark.ros
RATE_HZ = 30.0
BAD_OUTPUT = re.compile(r"Traceback|KeyboardInterrupt|\[ERROR\]|\[FATAL\]|Failed to publish|RuntimeError|"
                        r"exit code|context is invalid", re.I)
NO_INFO_YET = "no camera_info with the image's stamp"


class Camera30Hz:
    """Publishes image + camera_info (same stamp) at 30 Hz from a thread until stopped."""

    def __init__(self, node, start: bool = True):
        self.image = node.create_publisher(Image, "/shut/image", 5)
        self.info = node.create_publisher(CameraInfo, "/shut/camera_info", 5)
        rgb = np.random.default_rng(0).integers(0, 255, (480, 640, 3), dtype=np.uint8)
        self.msg = Image(height=480, width=640, encoding="rgb8", step=640 * 3)
        self.msg.header.frame_id = "cam"
        self.msg.data = rgb.tobytes()
        self.camera = Camera.default_for(640, 480)
        self.sent = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        if start:
            self.start()

    def start(self):
        self._thread.start()

    def _run(self):
        t0 = time.monotonic()
        while not self._stop.is_set():
            sec, nsec = divmod(time.time_ns(), 1_000_000_000)
            stamp = stamp_of(sec, nsec)
            self.info.publish(camera_info_msg(self.camera, stamp, "cam"))
            self.msg.header.stamp = stamp
            self.image.publish(self.msg)
            self.sent += 1
            self._stop.wait(max(0.0, t0 + self.sent / RATE_HZ - time.monotonic()))  # pacing, not a sync wait

    def stop(self):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)


@pytest.mark.parametrize("gap_s", [0.0, 0.3, None], ids=["sigint-sigint-at-once", "sigint-then-sigint-0.3s",
                                                          "one-sigint"])
def test_double_sigint_while_streaming_exits_cleanly(gap_s):
    import rclpy

    with ros_context() as (ctx, executor):
        node = rclpy.create_node("shutdown_camera", context=ctx)
        executor.add_node(node)
        skeletons = Collector(node, Skeleton3DArray, "/shut/skeletons")
        camera = Camera30Hz(node, start=False)
        proc = Process(node_command("-r", "__ns:=/shut", "-p", "image_qos:=reliable"))
        try:
            # Stream once the node listens reliably on both topics, as it does when the camera
            # runs first: a frame sent earlier may lack its camera_info, which the node rightly
            # reports; that is not what this test is about.
            wait_until(lambda: re.search(r"/shut/camera_info (\(auto: reliable\)|is now auto: reliable)", proc.output)
                       or proc.proc.poll() is not None, 90, "the node to subscribe")
            camera.start()
            wait_until(lambda: len(skeletons.messages) >= 3 or proc.proc.poll() is not None, 90,
                       "the node to serve frames")
            serving_from = len(proc.output)
            assert proc.proc.poll() is None, proc.output
            proc.proc.send_signal(signal.SIGINT)
            if gap_s is not None:
                time.sleep(gap_s)  # the gap between the terminal's SIGINT and the one launch forwards
            if gap_s is not None and proc.proc.poll() is None:
                proc.proc.send_signal(signal.SIGINT)
            proc.proc.wait(timeout=30)
            code = proc.stop()  # already exited: only collects the rest of its output
        finally:
            camera.stop()
            if proc.proc.poll() is None:
                proc.proc.kill()
            executor.remove_node(node)
            node.destroy_node()
    out = proc.output
    assert code == 0, out
    # Before the first frames were served, discovery may still deliver a frame ahead of its
    # camera_info on a loaded machine (the reader matches the writers one by one); the node then
    # says so, rightly. Only that line, and only before serving began, is not this test's concern.
    startup = "\n".join(line for line in out[:serving_from].splitlines() if NO_INFO_YET not in line)
    assert not BAD_OUTPUT.search(startup + "\n" + out[serving_from:]), out
    print(f"served {len(skeletons.messages)} of {camera.sent} frames, then exited 0 cleanly")
