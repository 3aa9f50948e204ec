"""QoS of the node's input subscriptions, including `image_qos: auto` (the default).

Why auto: big raw images over Fast DDS's default transports mostly vanish on a best-effort
subscription (24 of 110 768x576 frames arrived in issue 11; 0-2 of 150 in ROS_WHEELS.md 4), yet
arrive at full rate when both ends are reliable (logs/big_image_transport.log). Most camera
drivers publish reliable; the node used to subscribe best effort and so threw that away unless
every process had a shared-memory profile exported. Auto subscribes reliable when every publisher
on the topic is reliable (a reliable subscription cannot match a best-effort publisher), else best
effort, and follows the publishers as they come and go (like rosbag2's adaptive QoS).
camera_info always follows its publishers this way: a best-effort camera_info lost under CPU load
leaves its image without a calibration (frames are paired by stamp, drm_ros/camera_pairing.py).
"""
from __future__ import annotations

from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy


def reliability_for(setting: str, publisher_reliabilities: list) -> ReliabilityPolicy:
    """The subscription reliability for setting (auto, sensor_data or reliable), given the
    reliability of each publisher currently on the topic."""
    if setting == "reliable":
        return ReliabilityPolicy.RELIABLE
    if setting == "sensor_data":
        return ReliabilityPolicy.BEST_EFFORT
    if publisher_reliabilities and all(r == ReliabilityPolicy.RELIABLE for r in publisher_reliabilities):
        return ReliabilityPolicy.RELIABLE
    return ReliabilityPolicy.BEST_EFFORT  # matches every publisher, including none yet


def describe(setting: str, reliability: ReliabilityPolicy) -> str:
    name = "reliable" if reliability == ReliabilityPolicy.RELIABLE else "best effort"
    return f"{setting}: {name}" if setting == "auto" else setting


class FollowingSubscription:
    """A keep-last subscription whose reliability is `setting`'s; with auto, `follow()` (call it
    periodically) re-subscribes when the publishers' reliability changes.

    `overlap` (make before break, for messages a duplicate of which is harmless, like
    camera_info): the old subscription is kept until the new one has matched a publisher (at
    most OVERLAP_CALLS more calls of follow()). A new subscription needs a discovery round
    before it receives anything, and camera_infos sent in that gap were lost: their images were
    then refused (seen in CI). Images do not overlap: a frame delivered twice would be served
    twice, while one lost at a switch is only a dropped frame."""

    OVERLAP_CALLS = 5

    def __init__(self, node, msg_type, topic: str, callback, setting: str, depth: int, overlap: bool = False):
        self.node, self.msg_type, self.topic, self.callback = node, msg_type, topic, callback
        self.setting, self.depth, self.overlap = setting, depth, overlap
        self.reliability = self._wanted()
        self.sub = self._subscribe()
        self._old, self._old_calls = None, 0

    @property
    def topic_name(self) -> str:
        return self.sub.topic_name

    def describe(self) -> str:
        return describe(self.setting, self.reliability)

    def follow(self) -> bool:
        """Re-subscribe if the publishers now call for the other reliability; True if it did."""
        self._retire_old()
        wanted = self._wanted()
        if self.sub is None or wanted == self.reliability:
            return False
        old = self.sub
        self.reliability = wanted
        self.sub = self._subscribe()
        if self.overlap and self._old is None:
            self._old, self._old_calls = old, 0
        else:
            self.node.destroy_subscription(old)
        return True

    def _retire_old(self) -> None:
        if self._old is None:
            return
        self._old_calls += 1
        if self.sub.get_publisher_count() > 0 or self._old_calls > self.OVERLAP_CALLS:
            self.node.destroy_subscription(self._old)
            self._old = None

    def destroy(self) -> None:
        if self._old is not None:
            self.node.destroy_subscription(self._old)
            self._old = None
        if self.sub is not None:
            self.node.destroy_subscription(self.sub)
            self.sub = None

    def _wanted(self) -> ReliabilityPolicy:
        publishers = self.node.get_publishers_info_by_topic(self.topic)
        return reliability_for(self.setting, [p.qos_profile.reliability for p in publishers])

    def _subscribe(self):
        qos = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=self.depth, reliability=self.reliability)
        return self.node.create_subscription(self.msg_type, self.topic, self.callback, qos)
