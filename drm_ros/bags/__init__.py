"""rosbag2 support without rosbag2_py: a rosbags typestore that knows our messages, and pure
functions converting between our arrays (Camera, PoseSet, JPEG bytes) and ROS message objects.

Nothing here imports rclpy: bags are read and written with the pure-Python `rosbags` package,
whose CDR bytes and type hashes are the ones rclpy uses, so recorded data replays unchanged.
"""
from drm_ros.bags.typestore import (  # noqa: F401
    CAMERA_INFO_TYPE, COMPRESSED_IMAGE_TYPE, SKELETON_ARRAY_TYPE, find_msg_dir, typestore,
)
