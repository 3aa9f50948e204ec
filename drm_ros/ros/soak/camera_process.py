"""A stand-in camera driver as its own process: publishes the real 640x480 frames with their
camera_info (same stamp) at 30 Hz on /soak/image and /soak/camera_info until killed. Stamps are
`--base-sec` + frame index / rate, so the soak can tell which process a frame came from.
Run only through tools/loopback (the soak starts it with the environment it runs in)."""
from __future__ import annotations

import argparse
import signal
import sys
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-sec", type=int, required=True)
    parser.add_argument("--rate", type=float, default=30.0)
    args = parser.parse_args(argv)

    import rclpy
    from sensor_msgs.msg import CameraInfo, Image

    from drm_ros.ros.soak.rig import NAMESPACE, _time, image_msg, info_msg, real_frames

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    rclpy.init(args=[])
    node = rclpy.create_node("soak_camera", namespace=NAMESPACE)
    pub_image = node.create_publisher(Image, "image", 2)
    pub_info = node.create_publisher(CameraInfo, "camera_info", 10)
    images = [image_msg(f) for f in real_frames()]
    info = info_msg()
    print("publishing", flush=True)
    t0 = time.monotonic()
    k = 0
    while True:
        stamp = args.base_sec * 1_000_000_000 + round(k * 1e9 / args.rate)
        image = images[k % len(images)]
        image.header.stamp = info.header.stamp = _time(stamp)
        pub_info.publish(info)
        pub_image.publish(image)
        k += 1
        time.sleep(max(0.0, t0 + k / args.rate - time.monotonic()))


if __name__ == "__main__":
    sys.exit(main())
