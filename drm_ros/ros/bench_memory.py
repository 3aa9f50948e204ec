"""`drm bench memory`: does the node's memory stay flat when it is reconfigured again and again?

One process holds a lifecycle drm_node and a driver node talking to it over real DDS on loopback.
Phase 1: `cycles` x (configure, activate, one 640x480 frame served end to end, deactivate,
cleanup). Phase 2: the node stays active and `changes` times gets a new input size and/or
max_persons at run time (`set_parameters`, as `ros2 param set` does), one frame served after each.
Phase 3: a few input sizes never used before, one frame each: the one-off cost of a new shape
(drm_ros/compiled.py keeps one trace per distinct shape for the life of the process).
Prints the process RSS after every step (after gc.collect(), no malloc_trim) and the growth
after warm-up. Run through tools/loopback (make/CI do)."""
from __future__ import annotations

import gc
import os
import threading
import time

import numpy as np

WARMUP = 5  # steps before the baseline: allocator pools, first trace, DDS buffers
# (input size, max_persons) visited in turn in phase 2; (0, 0) = the model's default
RUNTIME_SETTINGS = [(320, 256, 20), (0, 0, 20), (256, 192, 10), (0, 0, 10)]
NEW_SIZES = [(224, 160), (288, 224), (352, 256), (416, 320)]


def _size(w: int, h: int) -> str:
    """The node's input_size parameter: "WxH", or "" for the model's default."""
    return f"{w}x{h}" if w else ""


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class _Driver:
    """Publishes a frame + its camera_info until the node answers with skeletons for it."""

    def __init__(self, ctx, ns: str, rgb: np.ndarray, camera):
        import rclpy
        from rclpy.qos import qos_profile_sensor_data
        from sensor_msgs.msg import CameraInfo, Image

        from drm_ros.msg import Skeleton3DArray

        self.node = rclpy.create_node("drm_bench_memory_driver", namespace=ns, context=ctx)
        self.pub_image = self.node.create_publisher(Image, "image", qos_profile_sensor_data)
        self.pub_info = self.node.create_publisher(CameraInfo, "camera_info", 10)
        self.answered: set[int] = set()
        self.node.create_subscription(Skeleton3DArray, "skeletons", lambda m: self.answered.add(m.header.stamp.sec), 10)
        self.image = Image(height=rgb.shape[0], width=rgb.shape[1], encoding="rgb8", step=rgb.shape[1] * 3)
        self.image.data = rgb.tobytes()
        self.info = CameraInfo(width=camera.width, height=camera.height, distortion_model="plumb_bob")
        self.info.k = camera.K.reshape(-1).tolist()
        self.info.d = [0.0] * 5
        for m in (self.image, self.info):
            m.header.frame_id = "camera_optical_frame"
        from lifecycle_msgs.srv import ChangeState

        # Transitions go through the node's change_state service, as a lifecycle manager drives
        # them (and so run on the executor, never racing it from this thread).
        self.change_state = self.node.create_client(ChangeState, "drm_node/change_state")
        self.sec = 0

    def transition(self, transition_id: int, timeout: float = 120.0) -> None:
        from lifecycle_msgs.srv import ChangeState

        if not self.change_state.wait_for_service(timeout_sec=30):
            raise RuntimeError("drm_node's change_state service did not appear")
        request = ChangeState.Request()
        request.transition.id = transition_id
        future = self.change_state.call_async(request)
        deadline = time.monotonic() + timeout
        while not future.done():
            if time.monotonic() > deadline:
                raise RuntimeError(f"lifecycle transition {transition_id} did not finish within {timeout:.0f} s")
            time.sleep(0.01)
        if not future.result().success:
            raise RuntimeError(f"lifecycle transition {transition_id} failed")

    def serve_one(self, timeout: float = 120.0) -> None:
        self.sec += 1
        for m in (self.image, self.info):
            m.header.stamp.sec = self.sec
        deadline = time.monotonic() + timeout
        while self.sec not in self.answered:
            if time.monotonic() > deadline:
                raise RuntimeError(f"no skeletons for frame {self.sec} within {timeout:.0f} s")
            self.pub_info.publish(self.info)  # like a driver: the calibration with every frame
            self.pub_image.publish(self.image)
            waited = time.monotonic()
            while self.sec not in self.answered and time.monotonic() - waited < 1.0:
                time.sleep(0.01)


def _report(label: str, values: list[float]) -> float:
    """Growth = median RSS of the last 10 steps - median of the first 10 after warm-up (single
    readings swing by ~15 MB as allocator arenas fill and drain); also the band and the trend."""
    rest = np.array(values[WARMUP:])
    if len(rest) < 2:
        print(f"{label}: {len(values)} steps are too few to measure growth after {WARMUP} warm-up steps")
        return float("nan")
    n = max(1, min(10, len(rest) // 2))
    growth = float(np.median(rest[-n:]) - np.median(rest[:n]))
    slope = np.polyfit(np.arange(len(rest)), rest, 1)[0] if len(rest) > 2 else float("nan")
    print(f"{label}: {values[0]:.1f} MB after step 1; after warm-up ({WARMUP} steps) {len(rest)} steps "
          f"between {rest.min():.1f} and {rest.max():.1f} MB; growth (median of last {n} - median of first {n}) "
          f"{growth:+.1f} MB; trend {slope * 100:+.2f} MB per 100 steps")
    return growth


def run(threads: int = 2, cycles: int = 100, changes: int = 50) -> None:
    import rclpy
    from lifecycle_msgs.msg import Transition
    from rclpy.executors import MultiThreadedExecutor
    from rclpy.parameter import Parameter

    from drm_ros.ros.bench_node import _frames
    from drm_ros.ros.node import DrmNode

    from drm_ros.ros.confine import confine_dds

    confine_dds()  # a load test stays on this machine (confine.py)
    (rgb, camera), = _frames(1)
    ctx = rclpy.Context()
    rclpy.init(context=ctx)
    executor = MultiThreadedExecutor(num_threads=2, context=ctx)
    spinner = threading.Thread(target=executor.spin, daemon=True)
    spinner.start()
    node = DrmNode(context=ctx, namespace="bench_memory", parameter_overrides=[
        Parameter("lifecycle", value=True), Parameter("num_threads", value=threads)])
    driver = _Driver(ctx, "bench_memory", rgb, camera)
    executor.add_node(node)
    executor.add_node(driver.node)
    print(f"drm_node (lifecycle) in this process, {rgb.shape[1]}x{rgb.shape[0]} rgb8 frames over DDS on loopback, "
          f"{threads} inference threads; RSS after gc.collect() (no malloc_trim)")
    try:
        print(f"phase 1: {cycles} x configure / activate / one frame served / deactivate / cleanup")
        lifecycle = []
        for i in range(cycles):
            t0 = time.monotonic()
            driver.transition(Transition.TRANSITION_CONFIGURE)
            driver.transition(Transition.TRANSITION_ACTIVATE)
            driver.serve_one()
            driver.transition(Transition.TRANSITION_DEACTIVATE)
            driver.transition(Transition.TRANSITION_CLEANUP)
            assert node.lifecycle_state == "unconfigured", node.lifecycle_state
            gc.collect()
            lifecycle.append(rss_mb())
            print(f"cycle {i + 1:3d}  rss {lifecycle[-1]:7.1f} MB  ({time.monotonic() - t0:.1f} s)", flush=True)

        print(f"phase 2: active; {changes} run-time changes of (input_size, max_persons) "
              f"cycling through {RUNTIME_SETTINGS}, one frame served after each")
        driver.transition(Transition.TRANSITION_CONFIGURE)
        driver.transition(Transition.TRANSITION_ACTIVATE)
        runtime = []
        for i in range(changes):
            w, h, k = RUNTIME_SETTINGS[i % len(RUNTIME_SETTINGS)]
            results = node.set_parameters([Parameter("input_size", value=_size(w, h)), Parameter("max_persons", value=k)])
            assert all(r.successful for r in results), [r.reason for r in results]
            driver.serve_one()
            gc.collect()
            runtime.append(rss_mb())
            size = node._estimator.input_size
            print(f"change {i + 1:3d}  input {size[0]}x{size[1]} max_persons {k:2d}  rss {runtime[-1]:7.1f} MB",
                  flush=True)

        print(f"phase 3: {len(NEW_SIZES)} input sizes not used before, one frame each (one-off cost of a new shape)")
        before = rss_mb()
        for w, h in NEW_SIZES:
            node.set_parameters([Parameter("input_size", value=_size(w, h))])
            driver.serve_one()
            gc.collect()
            print(f"new size {w}x{h}  rss {rss_mb():7.1f} MB", flush=True)
        per_shape = (rss_mb() - before) / len(NEW_SIZES)
        driver.transition(Transition.TRANSITION_DEACTIVATE)
        driver.transition(Transition.TRANSITION_CLEANUP)

        print("summary")
        _report(f"  {cycles} lifecycle cycles", lifecycle)
        _report(f"  {changes} run-time size/max_persons changes", runtime)
        print(f"  a never-seen input size costs {per_shape:+.1f} MB once (its trace is kept for reuse)")
    finally:
        executor.shutdown()
        spinner.join(timeout=5)
        node.destroy_node()
        driver.node.destroy_node()
        rclpy.try_shutdown(context=ctx)
