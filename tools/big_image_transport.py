#!/usr/bin/env python3
"""How many 640x480 rgb8 frames published at 30 Hz reach drm_node with NO FastDDS profile
exported (default transports), per publisher reliability and node `image_qos`.

The node runs as its own process (scripts/drm_node); this process publishes image + camera_info
(same stamps) for --seconds and reads the node's own "frames received" counter from
/diagnostics afterwards. Run through tools/loopback:

    tools/loopback .venv/bin/python tools/big_image_transport.py [--seconds 10] > logs/big_image_transport.log
"""
from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

CASES = [  # (publisher reliability, node image_qos, FASTDDS_BUILTIN_TRANSPORTS of the node, of the publisher)
    ("reliable", "sensor_data", "", ""),  # the old default: issue 11's 24 of 110
    ("reliable", "auto", "", ""),  # the new default
    ("best_effort", "auto", "", ""),
    ("best_effort", "sensor_data", "", ""),
    ("best_effort", "auto", "LARGE_DATA", ""),  # Fast DDS's large-data mode in the node only
    ("best_effort", "auto", "LARGE_DATA", "LARGE_DATA"),  # ... and in the publisher too
]


def run_case(pub_reliability: str, node_qos: str, node_transports: str, pub_transports: str, seconds: float,
             rate_hz: float) -> dict:
    import rclpy
    from diagnostic_msgs.msg import DiagnosticArray
    from rclpy.executors import SingleThreadedExecutor
    from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
    from sensor_msgs.msg import CameraInfo, Image

    from drm_ros.ros.bag_eval import start_node, stop_node

    cmd = [sys.executable, str(REPO / "scripts" / "drm_node"), "--ros-args", "-r", "__ns:=/big",
           "-p", f"image_qos:={node_qos}", "-p", "diagnostics_period_sec:=0.5"]
    os.environ.pop("FASTDDS_BUILTIN_TRANSPORTS", None)
    if node_transports:
        os.environ["FASTDDS_BUILTIN_TRANSPORTS"] = node_transports
    proc, log = start_node(cmd)  # inherits os.environ
    os.environ.pop("FASTDDS_BUILTIN_TRANSPORTS", None)
    if pub_transports:
        os.environ["FASTDDS_BUILTIN_TRANSPORTS"] = pub_transports  # read when this participant is created
    ctx = rclpy.Context()
    rclpy.init(context=ctx)
    node = rclpy.create_node("big_image_camera", context=ctx)
    reliability = ReliabilityPolicy.RELIABLE if pub_reliability == "reliable" else ReliabilityPolicy.BEST_EFFORT
    qos = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=5, reliability=reliability)
    image_pub = node.create_publisher(Image, "/big/image", qos)
    info_pub = node.create_publisher(CameraInfo, "/big/camera_info", qos)
    received = {"n": None}

    def on_diag(msg):
        for status in msg.status:
            for kv in status.values:
                if kv.key == "frames received":
                    received["n"] = int(kv.value)

    node.create_subscription(DiagnosticArray, "/diagnostics", on_diag, 10)
    executor = SingleThreadedExecutor(context=ctx)
    executor.add_node(node)
    spinner = threading.Thread(target=executor.spin, daemon=True)
    spinner.start()
    rgb = np.random.default_rng(0).integers(0, 255, (480, 640, 3), dtype=np.uint8)
    img = Image(height=480, width=640, encoding="rgb8", step=640 * 3)
    img.header.frame_id = "cam"
    img.data = rgb.tobytes()
    info = CameraInfo(width=640, height=480, distortion_model="plumb_bob")
    info.k = [554.0, 0.0, 320.0, 0.0, 554.0, 240.0, 0.0, 0.0, 1.0]
    info.d = [0.0] * 5
    info.header.frame_id = "cam"
    sent = 0
    try:
        deadline = time.monotonic() + 90
        while image_pub.get_subscription_count() == 0 or received["n"] is None:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("drm_node did not come up:\n" + "".join(log[-20:]))
            time.sleep(0.05)
        time.sleep(2.0)  # auto re-checks its publishers once a second: let it settle first
        before = received["n"]
        t0 = time.monotonic()
        while time.monotonic() - t0 < seconds:
            stamp = time.time_ns()
            for m in (info, img):
                m.header.stamp.sec, m.header.stamp.nanosec = divmod(stamp, 1_000_000_000)
            info_pub.publish(info)
            image_pub.publish(img)
            sent += 1
            time.sleep(max(0.0, t0 + sent / rate_hz - time.monotonic()))  # pacing
        time.sleep(1.5)  # two diagnostics periods: the counter includes the last frames
        got = received["n"] - before
    finally:
        stop_node(proc)
        executor.shutdown()
        spinner.join(timeout=5)
        node.destroy_node()
        rclpy.try_shutdown(context=ctx)
    qos_line = next((line.strip() for line in reversed(log) if "active: subscribed" in line or "image_qos auto" in line), "")
    return {"sent": sent, "received": got, "node": qos_line.split("]: ", 1)[-1]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=30.0)
    args = parser.parse_args()
    if os.environ.get("ROS_AUTOMATIC_DISCOVERY_RANGE") != "LOCALHOST":
        print("run through tools/loopback", file=sys.stderr)
        return 2
    profile = os.environ.pop("FASTDDS_DEFAULT_PROFILES_FILE", None)
    print(f"# 640x480 rgb8 at {args.rate:g} Hz for {args.seconds:g} s, default Fast DDS transports "
          f"(FASTDDS_DEFAULT_PROFILES_FILE {'was set, removed' if profile else 'not set'}), "
          f"publisher keep-last 5, node = scripts/drm_node")
    print(f"{'publisher':<12} {'image_qos':<12} {'transports node/pub':<22} {'sent':>5} {'received':>8} {'share':>6}"
          f" {'load1':>5}  node's subscription")
    for pub, qos, node_tr, pub_tr in CASES:
        r = run_case(pub, qos, node_tr, pub_tr, args.seconds, args.rate)
        share = r["received"] / r["sent"] if r["sent"] else float("nan")
        transports = f"{node_tr or 'default'}/{pub_tr or 'default'}"
        load = os.getloadavg()[0]  # this machine's 2 cores are shared: context for each row
        print(f"{pub:<12} {qos:<12} {transports:<22} {r['sent']:>5} {r['received']:>8} {share:>6.0%} {load:>5.1f}  "
              f"{r['node']}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
