"""Record topics to a rosbag2 (mcap or sqlite3) without rosbag2_py: raw (serialized)
subscriptions written straight into a rosbags writer, so nothing is deserialized."""
from __future__ import annotations

import threading
import time
from pathlib import Path

from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from drm_ros.bags.io import BagWriter
from drm_ros.ros.bag_replay import message_class
from drm_ros.ros.tf_buffer import TF_STATIC_QOS


class RawRecorder:
    """Subscribes (raw) to topics on `node` and writes every message with its receive time.

    Callbacks only queue (topic, time, bytes); `flush()` writes them and must be called from the
    thread that created the recorder (the sqlite3 storage refuses use from another thread)."""

    def __init__(self, node: Node, out: str | Path, storage: str = "mcap"):
        self.node = node
        self.path = Path(out)
        self._writer = BagWriter(self.path, storage).open()
        self._lock = threading.Lock()
        self._subs = []
        self._pending: list[tuple[str, int, bytes]] = []
        self.counts: dict[str, int] = {}

    def add_topic(self, topic: str, msgtype: str | None = None, timeout: float = 10.0) -> str:
        """Subscribe to `topic`; its type is discovered from the graph unless given."""
        topic = self.node.resolve_topic_name(topic)
        deadline = time.monotonic() + timeout
        while msgtype is None:
            types = dict(self.node.get_topic_names_and_types())
            if topic in types:
                msgtype = types[topic][0]
            elif time.monotonic() > deadline:
                raise TimeoutError(f"topic {topic} did not appear within {timeout:.0f} s (pass its type?)")
            else:
                time.sleep(0.02)
        # Best effort only if some publisher is best effort (a reliable reader would not match it).
        best_effort = any(i.qos_profile.reliability == ReliabilityPolicy.BEST_EFFORT
                          for i in self.node.get_publishers_info_by_topic(topic))
        qos = QoSProfile(depth=100, reliability=ReliabilityPolicy.BEST_EFFORT if best_effort
                         else ReliabilityPolicy.RELIABLE)
        if topic == "/tf_static":  # latched: a robot publishes its static tree once, at start-up
            qos = TF_STATIC_QOS
        with self._lock:
            self._writer.add_topic(topic, msgtype)
            self.counts[topic] = 0
        self._subs.append(self.node.create_subscription(
            message_class(msgtype), topic, lambda raw, t=topic: self._on_raw(t, raw), qos, raw=True))
        return topic

    def _on_raw(self, topic: str, raw: bytes) -> None:
        stamp = self.node.get_clock().now().nanoseconds
        with self._lock:
            self._pending.append((topic, stamp, bytes(raw)))
            self.counts[topic] += 1

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
        for topic, stamp, raw in pending:
            self._writer.write_raw(topic, raw, stamp)

    def close(self) -> None:
        for sub in self._subs:
            self.node.destroy_subscription(sub)
        self._subs = []
        if self._writer is not None:
            self.flush()
            self._writer.close()
            self._writer = None


def record(out: str | Path, topics: list[str], storage: str = "mcap", duration: float = 0.0) -> int:
    """`drm bag record`: record until Ctrl-C (or `duration` seconds)."""
    import rclpy
    from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor

    rclpy.init()
    node = rclpy.create_node("drm_bag_record")
    recorder = None
    try:
        recorder = RawRecorder(node, out, storage)
        executor = SingleThreadedExecutor()
        executor.add_node(node)
        for topic in topics:
            # Spin while waiting so discovery proceeds.
            executor.spin_once(timeout_sec=0.05)
            recorder.add_topic(topic)
        print(f"recording {', '.join(recorder.counts)} to {out} ({storage}); Ctrl-C to stop")
        end = time.monotonic() + duration if duration > 0 else float("inf")
        while rclpy.ok() and time.monotonic() < end:
            executor.spin_once(timeout_sec=0.1)
            recorder.flush()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except (TimeoutError, FileExistsError, ValueError, LookupError) as exc:
        print(f"drm bag record: {exc}")
        return 1
    finally:
        if recorder is not None:
            recorder.close()
            print("recorded " + ", ".join(f"{t}: {n}" for t, n in recorder.counts.items()))
        node.destroy_node()
        rclpy.try_shutdown()
    return 0
