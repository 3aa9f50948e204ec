"""The image subscription's QoS, including `image_qos: auto` (the default).

Why auto: big raw images over Fast DDS's default transports mostly vanish on a best-effort
subscription (24 of 110 768x576 frames arrived in issue 11; 0-2 of 150 in ROS_WHEELS.md 4), yet
arrive at full rate when both ends are reliable. Most camera drivers publish reliable; the
node used to subscribe best effort and so threw that away unless every process had a shared-
memory profile exported. Auto subscribes reliable when every publisher on the topic is reliable
(a reliable subscription cannot match a best-effort publisher), else best effort, and follows
the publishers as they come and go (like rosbag2's adaptive QoS). Always keep-last 1: an old
frame is never worth queueing.
"""
from __future__ import annotations

from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy


def reliability_for(setting: str, publisher_reliabilities: list) -> ReliabilityPolicy:
    """The subscription reliability for `image_qos` = setting, given the reliability of each
    publisher currently on the topic."""
    if setting == "reliable":
        return ReliabilityPolicy.RELIABLE
    if setting == "sensor_data":
        return ReliabilityPolicy.BEST_EFFORT
    if publisher_reliabilities and all(r == ReliabilityPolicy.RELIABLE for r in publisher_reliabilities):
        return ReliabilityPolicy.RELIABLE
    return ReliabilityPolicy.BEST_EFFORT  # matches every publisher, including none yet


def image_qos(reliability: ReliabilityPolicy) -> QoSProfile:
    return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=1, reliability=reliability)


def describe(setting: str, reliability: ReliabilityPolicy) -> str:
    name = "reliable" if reliability == ReliabilityPolicy.RELIABLE else "best effort"
    return f"{setting}: {name}" if setting == "auto" else setting
