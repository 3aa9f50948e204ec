"""`drm bench node`: the node as a robot runs it. A second process (drm_node, sensor-data QoS,
the shared-memory FastDDS profile) receives 640x480 rgb8 images published here at 30 Hz over
real DDS on loopback; we record its skeletons and print the sustained output rate, end-to-end
latency (image stamp -> skeletons received) p50/p95 and the frames it dropped, for the default
configuration and each offered input size. Run through tools/loopback (make/CI do)."""
from __future__ import annotations

import os
import threading
import time

import numpy as np

from drm_ros.paths import config_path

SIZES = [None, (256, 192), (320, 256), (384, 288), (512, 384)]  # None = the model's default
RATE_HZ = 30.0


def _frames(n: int = 8):
    """640x480 synthetic scenes with people (what the node will see), as RGB + Camera."""
    from drm_ros.imageio import decode_jpeg
    from drm_ros.synth.config import load_config
    from drm_ros.synth.generate import make_frame
    from drm_ros.synth.motion import MotionLibrary

    cfg = load_config()
    cfg["people"]["count"] = [2, 6]
    cfg["people"]["distance_m"] = [2.5, 9.0]
    cfg["camera"]["distortion_probability"] = 0.0
    motion = MotionLibrary(cfg["clips"])
    frames = [make_frame(cfg, motion, 77, i) for i in range(n)]
    return [(decode_jpeg(f.jpeg), f.camera) for f in frames]


def _measure(size, duration: float, threads: int, frames, backend: str | None = None) -> dict:
    import rclpy
    from rclpy.executors import SingleThreadedExecutor
    from rclpy.qos import qos_profile_sensor_data
    from sensor_msgs.msg import CameraInfo, Image

    from drm_ros.msg import Skeleton3DArray
    from drm_ros.ros.bag_eval import NAMESPACE, node_command, start_node, stop_node

    params = {"use_sim_time": "false", "image_qos": "sensor_data", "num_threads": threads, "publish_markers": "true"}
    if size:
        params.update(input_size=f"{size[0]}x{size[1]}")
    if backend:
        params.update(backend=backend)
    cmd = node_command("/bench/image_raw", "sensor_msgs/msg/Image", "/bench/camera_info", params)
    proc, log = start_node(cmd)
    ctx = rclpy.Context()
    rclpy.init(context=ctx)
    node = rclpy.create_node("drm_bench", context=ctx)
    arrivals: dict[int, float] = {}
    node.create_subscription(Skeleton3DArray, f"{NAMESPACE}/skeletons",
                             lambda m: arrivals.setdefault(m.header.stamp.sec * 10**9 + m.header.stamp.nanosec,
                                                           time.time()), 100)
    img_pub = node.create_publisher(Image, "/bench/image_raw", qos_profile_sensor_data)
    info_pub = node.create_publisher(CameraInfo, "/bench/camera_info", 10)
    executor = SingleThreadedExecutor(context=ctx)
    executor.add_node(node)
    spinner = threading.Thread(target=executor.spin, daemon=True)
    spinner.start()
    msgs = []
    for rgb, cam in frames:
        m = Image(height=rgb.shape[0], width=rgb.shape[1], encoding="rgb8", step=rgb.shape[1] * 3)
        m.data = rgb.tobytes()
        m.header.frame_id = "camera_optical_frame"
        info = CameraInfo(width=cam.width, height=cam.height, distortion_model="plumb_bob")
        info.k = [cam.fx, 0.0, cam.cx, 0.0, cam.fy, cam.cy, 0.0, 0.0, 1.0]
        info.d = [0.0] * 5
        info.header.frame_id = "camera_optical_frame"
        msgs.append((m, info))
    sent: list[int] = []
    try:
        deadline = time.time() + 90
        while img_pub.get_subscription_count() == 0 or not arrivals:  # wait until the node answers
            if time.time() > deadline or proc.poll() is not None:
                raise RuntimeError("drm_node did not come up:\n" + "".join(log[-30:]))
            m, info = msgs[0]
            now = time.time_ns()
            for x in (m, info):
                x.header.stamp.sec, x.header.stamp.nanosec = divmod(now, 10**9)
            info_pub.publish(info)
            img_pub.publish(m)
            time.sleep(0.2)
        arrivals.clear()
        t0 = time.perf_counter()
        k = 0
        while time.perf_counter() - t0 < duration:
            m, info = msgs[k % len(msgs)]
            now = time.time_ns()
            for x in (m, info):
                x.header.stamp.sec, x.header.stamp.nanosec = divmod(now, 10**9)
            info_pub.publish(info)
            img_pub.publish(m)
            sent.append(now)
            k += 1
            time.sleep(max(0.0, t0 + k / RATE_HZ - time.perf_counter()))
        time.sleep(1.0)  # let the last frame finish
    finally:
        stop_node(proc)
        executor.shutdown()
        spinner.join(timeout=5)  # a thread still inside spin at interpreter exit aborts the process
        node.destroy_node()
        rclpy.try_shutdown(context=ctx)
    got = [s for s in sent if s in arrivals]
    lat = np.array([arrivals[s] - s / 1e9 for s in got]) * 1000
    span = (sent[-1] - sent[0]) / 1e9 if len(sent) > 1 else duration
    return {"sent": len(sent), "received": len(got), "rate_hz": len(got) / span,
            "p50": float(np.percentile(lat, 50)) if len(lat) else float("nan"),
            "p95": float(np.percentile(lat, 95)) if len(lat) else float("nan"),
            "dropped": len(sent) - len(got)}


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} ({os.cpu_count()} CPUs)"


def run(threads: int = 2, duration: float = 30.0, backend: str | None = None, size=None,
        json_path: str | None = None) -> None:
    """One row per input size (`size`: only that one) with the node on `backend` (None: the
    node's default); `json_path` also gets the rows as a JSON list."""
    import json

    from drm_ros.backends import resolve
    from drm_ros.checkpoint import load_model
    from drm_ros.paths import DEFAULT_MODEL, model_path

    from drm_ros.ros.confine import confine_dds

    confine_dds()  # a load test stays on this machine (confine.py)
    os.environ.setdefault("FASTDDS_DEFAULT_PROFILES_FILE", str(config_path("fastdds_shm.xml")))
    from drm_ros.ros.params import BY_NAME

    ran = resolve(backend or BY_NAME["backend"].default)  # what the node will run: fail here, not in it
    default_size = tuple(load_model(model_path(DEFAULT_MODEL))[1]["input_size"])
    frames = _frames()
    print(f"drm_node under 640x480 rgb8 images at {RATE_HZ:.0f} Hz for {duration:.0f} s per row; sensor-data QoS, "
          f"shared-memory FastDDS profile, {threads} inference threads, backend {backend or 'default'} -> {ran}; "
          f"latency = image stamp -> skeletons received")
    print(f"machine shared with other jobs: {_load()} at the start")
    print(f"{'input':>9} | {'backend':>13} | {'sent':>5} | {'recv':>5} | {'output Hz':>9} | {'p50 ms':>7} | "
          f"{'p95 ms':>7} | dropped | load after")
    rows = []
    for row_size in [size] if size else SIZES:
        r = _measure(row_size, duration, threads, frames, backend)
        w, h = row_size or default_size
        label = f"{w}x{h}" + ("" if row_size else " (default)")
        print(f"{label:>9} | {ran:>13} | {r['sent']:>5} | {r['received']:>5} | {r['rate_hz']:9.1f} | {r['p50']:7.1f} | "
              f"{r['p95']:7.1f} | {r['dropped']} ({100 * r['dropped'] / max(r['sent'], 1):.0f} %) | "
              f"{os.getloadavg()[0]:.2f}", flush=True)
        rows.append({"input": f"{w}x{h}", "backend": ran, "hz": round(r["rate_hz"], 2), "p50_ms": round(r["p50"], 1),
                     "p95_ms": round(r["p95"], 1), "dropped_frac": round(r["dropped"] / max(r["sent"], 1), 4),
                     "load_average_1min": round(os.getloadavg()[0], 2)})
    if json_path:
        with open(json_path, "w") as f:
            json.dump(rows, f, indent=1)
        print(f"wrote {json_path}")
