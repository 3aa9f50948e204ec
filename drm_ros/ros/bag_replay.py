"""Replay a rosbag2 (mcap or sqlite3) through DDS without rosbag2_py.

Messages are published as the raw CDR bytes stored in the bag (rclpy accepts serialized
messages), so nothing is deserialized on the way and any type our Python environment has a
message class for can be replayed. /clock carries the bag time, so nodes run with
use_sim_time:=true see the recording's time.
"""
from __future__ import annotations

import importlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from rosbags.rosbag2 import Reader
from rosgraph_msgs.msg import Clock

from drm_ros.ros.tf_buffer import TF_STATIC_QOS


def message_class(msgtype: str):
    """'sensor_msgs/msg/Image' -> the rclpy class sensor_msgs.msg.Image."""
    package, kind, name = msgtype.split("/")
    try:
        return getattr(importlib.import_module(f"{package}.{kind}"), name)
    except (ImportError, AttributeError):
        raise LookupError(f"no Python message class for {msgtype} (is its message package installed?)") from None


@dataclass
class BagMessage:
    topic: str
    msgtype: str
    timestamp_ns: int  # bag (receive) time
    raw: bytes


def read_bag(path: str | Path, topics: list[str] | None = None) -> list[BagMessage]:
    """All messages in bag-time order; within one timestamp, non-image topics first, so a
    frame's camera_info goes out before the frame itself."""
    out = []
    with Reader(Path(path)) as reader:
        conns = [c for c in reader.connections if topics is None or c.topic in topics]
        for conn, t, raw in reader.messages(connections=conns):
            out.append(BagMessage(conn.topic, conn.msgtype, int(t), bytes(raw)))
    is_image = lambda m: m.msgtype in ("sensor_msgs/msg/Image", "sensor_msgs/msg/CompressedImage")  # noqa: E731
    out.sort(key=lambda m: (m.timestamp_ns, is_image(m)))
    return out


class BagPlayer:
    """Publishers for every topic of a bag plus /clock, owned by `node`."""

    def __init__(self, node: Node, messages: list[BagMessage], publish_clock: bool = True):
        self.node = node
        self.messages = messages
        qos = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)  # matches best-effort subscribers too
        self.publishers = {}
        for m in messages:
            if m.topic not in self.publishers:
                # /tf_static is latched (transient local): its readers ask for that and would not
                # match a volatile writer, and a reader that joins late still gets the robot's tree
                self.publishers[m.topic] = node.create_publisher(message_class(m.msgtype), m.topic,
                                                                 TF_STATIC_QOS if m.topic == "/tf_static" else qos)
        self.clock = node.create_publisher(Clock, "/clock", 10) if publish_clock else None

    def wait_for_subscribers(self, topics: list[str], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(self.publishers[t].get_subscription_count() > 0 for t in topics if t in self.publishers):
                return True
            time.sleep(0.01)
        return False

    def publish(self, m: BagMessage) -> None:
        if self.clock is not None:
            sec, nsec = divmod(m.timestamp_ns, 1_000_000_000)
            clock = Clock()
            clock.clock.sec, clock.clock.nanosec = sec, nsec
            self.clock.publish(clock)
        self.publishers[m.topic].publish(m.raw)

    def play(self, rate: float = 1.0, before: Callable[[BagMessage], None] | None = None,
             should_stop: Callable[[], bool] = lambda: False) -> int:
        """Publish everything with the recorded spacing divided by `rate` (rate <= 0: as fast as
        possible). `before(msg)` runs before each message (lockstep evaluation hooks in here)."""
        if not self.messages:
            return 0
        t0_bag, t0_wall = self.messages[0].timestamp_ns, time.monotonic()
        count = 0
        for m in self.messages:
            if should_stop():
                break
            if rate > 0:
                due = t0_wall + (m.timestamp_ns - t0_bag) * 1e-9 / rate
                delay = due - time.monotonic()
                if delay > 0:
                    time.sleep(delay)  # pacing to the recording's clock, not a wait for an event
            if before is not None:
                before(m)
                if rate > 0:  # time spent waiting in the hook must not make later messages burst
                    t0_wall = time.monotonic() - (m.timestamp_ns - t0_bag) * 1e-9 / rate
            self.publish(m)
            count += 1
        return count


def replay(path: str | Path, rate: float = 1.0, topics: list[str] | None = None, loop: bool = False,
           wait_subscribers: float = 0.0) -> int:
    """`drm bag replay`: publish a bag until done (or Ctrl-C); returns 0."""
    import rclpy
    from rclpy.executors import ExternalShutdownException

    messages = read_bag(path, topics)
    if not messages:
        print(f"{path}: no messages" + (f" on {topics}" if topics else ""))
        return 1
    rclpy.init()
    node = rclpy.create_node("drm_bag_replay")
    try:
        player = BagPlayer(node, messages)
        if wait_subscribers > 0:
            player.wait_for_subscribers(list(player.publishers), wait_subscribers)
        topics_seen = sorted(player.publishers)
        span = (messages[-1].timestamp_ns - messages[0].timestamp_ns) * 1e-9
        print(f"replaying {len(messages)} messages ({span:.1f} s) on {', '.join(topics_seen)} + /clock, rate {rate}")
        while True:
            n = player.play(rate, should_stop=lambda: not rclpy.ok())
            if not loop or not rclpy.ok():
                break
        print(f"published {n} messages")
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        node.destroy_node()
        rclpy.try_shutdown()
    return 0
