"""ROS messages <-> drm_ros values, for the node (rclpy message objects).

Image decoding is duck-typed on the sensor_msgs field names, so the same functions serve rclpy
messages and rosbags message objects. Every malformed input raises `ImageError` or
`CameraError` with one sentence saying what is wrong; the node logs it and skips the frame.
"""
from __future__ import annotations

import struct

import cv2
import numpy as np

from drm_ros.camera import Camera, CameraError
from drm_ros.poses import PoseSet
from drm_ros.skeleton import BONES, JOINT_NAMES, NUM_JOINTS
from drm_ros.uncertainty import covariance_fields

__all__ = ["ImageError", "CameraError", "image_to_rgb", "compressed_to_rgb", "compressed_size",
           "camera_from_info", "poses_to_msg", "UNTRACKED_ID"]

UNTRACKED_ID = 0xFFFFFFFF  # Skeleton3D.id is uint32; -1 (no track) travels as its maximum


class ImageError(ValueError):
    """An image message that cannot be turned into pixels (one explanatory sentence)."""


# encoding -> (bytes per pixel, converter of the (H, W*bpp) uint8 row view to RGB uint8)
def _packed(channels: int, code: int | None):
    def convert(rows: np.ndarray, width: int, big_endian: bool) -> np.ndarray:
        img = rows.reshape(rows.shape[0], width, channels)
        return img.copy() if code is None else cv2.cvtColor(img, code)
    return channels, convert


def _mono16(rows: np.ndarray, width: int, big_endian: bool) -> np.ndarray:
    # Full 16-bit range to 8 bits (value / 257): a fixed mapping, no per-frame auto-gain that
    # would make brightness (and so detections) flicker between frames.
    values = rows.view(">u2" if big_endian else "<u2").reshape(rows.shape[0], width)
    gray = (values.astype(np.uint32) * 255 // 65535).astype(np.uint8)
    return cv2.cvtColor(gray, cv2.COLOR_GRAY2RGB)


def _yuv422(code: int):
    def convert(rows: np.ndarray, width: int, big_endian: bool) -> np.ndarray:
        if width % 2:
            raise ImageError(f"YUV 4:2:2 image width must be even, got {width}")
        return cv2.cvtColor(rows.reshape(rows.shape[0], width, 2), code)
    return 2, convert


ENCODINGS = {
    "rgb8": _packed(3, None),
    "bgr8": _packed(3, cv2.COLOR_BGR2RGB),
    "rgba8": _packed(4, cv2.COLOR_RGBA2RGB),
    "bgra8": _packed(4, cv2.COLOR_BGRA2RGB),
    "mono8": _packed(1, cv2.COLOR_GRAY2RGB),
    "8uc1": _packed(1, cv2.COLOR_GRAY2RGB),
    "8uc3": _packed(3, cv2.COLOR_BGR2RGB),  # OpenCV's default channel order
    "mono16": (2, _mono16),
    "16uc1": (2, _mono16),
    "yuv422": _yuv422(cv2.COLOR_YUV2RGB_UYVY),  # ROS "yuv422" is UYVY byte order
    "uyvy": _yuv422(cv2.COLOR_YUV2RGB_UYVY),
    "yuv422_yuy2": _yuv422(cv2.COLOR_YUV2RGB_YUY2),
    "yuyv": _yuv422(cv2.COLOR_YUV2RGB_YUY2),
}


def _check_size(width: int, height: int, max_pixels: int, what: str) -> None:
    if width <= 0 or height <= 0:
        raise ImageError(f"{what} has an empty size {width}x{height}")
    if width * height > max_pixels:
        raise ImageError(f"{what} is {width}x{height} = {width * height} pixels, more than max_image_pixels="
                         f"{max_pixels}; downscale at the camera or raise the parameter")


def image_to_rgb(msg, max_pixels: int = 1 << 62) -> np.ndarray:
    """sensor_msgs/Image -> (H, W, 3) RGB uint8 (row padding and byte order handled)."""
    encoding = str(msg.encoding).lower()
    if encoding not in ENCODINGS:
        raise ImageError(f"unsupported image encoding '{msg.encoding}' (supported: {', '.join(sorted(ENCODINGS))})")
    width, height, step = int(msg.width), int(msg.height), int(msg.step)
    _check_size(width, height, max_pixels, "image")
    bpp, convert = ENCODINGS[encoding]
    if step < width * bpp:
        raise ImageError(f"image step {step} is smaller than width*bytes_per_pixel = {width}*{bpp}")
    data = np.frombuffer(msg.data, dtype=np.uint8)
    if data.size < step * (height - 1) + width * bpp:
        raise ImageError(f"image data is truncated: {data.size} bytes for {width}x{height} {encoding} "
                         f"with step {step} (needs {step * height})")
    if data.size > step * height:  # sensor_msgs/Image: len(data) == step * height
        raise ImageError(f"image data has {data.size} bytes, more than step*height = {step}*{height} = "
                         f"{step * height}: the step or the height is wrong")
    # Row view without copying, then drop the padding at the end of each row.
    rows = np.lib.stride_tricks.as_strided(data, shape=(height, width * bpp), strides=(step, 1))
    return np.ascontiguousarray(convert(np.ascontiguousarray(rows), width, bool(msg.is_bigendian)))


def compressed_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a JPEG or PNG header without decoding; None if not recognised.
    Lets the node refuse an oversized image before paying for its decode."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data[:2] != b"\xff\xd8":
        return None
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0x01,) or 0xD0 <= marker <= 0xD7:  # markers without a length
            i += 2
            continue
        length = struct.unpack(">H", data[i + 2:i + 4])[0]
        # SOF0..SOF15 carry the frame size, except DHT (C4), JPG (C8), DAC (CC).
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[i + 5:i + 9])
            return width, height
        i += 2 + length
    return None


def compressed_to_rgb(msg, max_pixels: int = 1 << 62) -> np.ndarray:
    """sensor_msgs/CompressedImage (JPEG or PNG) -> (H, W, 3) RGB uint8."""
    data = np.frombuffer(msg.data, dtype=np.uint8)
    if data.size == 0:
        raise ImageError("compressed image is empty")
    raw = data.tobytes()
    size = compressed_size(raw)
    if size is None:
        raise ImageError(f"compressed image (format '{msg.format}', {data.size} bytes) is neither JPEG nor PNG "
                         f"or its header is corrupt")
    _check_size(size[0], size[1], max_pixels, "compressed image")
    # libjpeg decodes a cut-off JPEG with a grey bottom and only a warning: insist on the
    # end-of-image marker (encoders may pad a few bytes after it).
    if raw[:2] == b"\xff\xd8" and b"\xff\xd9" not in raw[-64:]:
        raise ImageError(f"JPEG is truncated: no end-of-image marker ({data.size} bytes)")
    bgr = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if bgr is None:
        raise ImageError(f"compressed image (format '{msg.format}', {data.size} bytes) does not decode (corrupt)")
    if (bgr.shape[1], bgr.shape[0]) != tuple(size):
        raise ImageError(f"compressed image decoded to {bgr.shape[1]}x{bgr.shape[0]}, header said {size[0]}x{size[1]}")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def camera_from_info(msg) -> Camera:
    """sensor_msgs/CameraInfo -> Camera of the delivered image (binning/ROI applied).
    Raises CameraError for an uncalibrated (all-zero K) or otherwise unusable calibration."""
    k = np.asarray(msg.k, dtype=np.float64)
    if k.size == 9 and not np.any(k):
        raise CameraError("camera_info K is all zeros: the camera is not calibrated")
    roi = (int(msg.roi.x_offset), int(msg.roi.y_offset), int(msg.roi.width), int(msg.roi.height))
    return Camera.from_camera_info(int(msg.width), int(msg.height), k, np.asarray(msg.d, dtype=np.float64),
                                   str(msg.distortion_model), int(msg.binning_x), int(msg.binning_y), roi)


def poses_to_msg(poses: PoseSet, header):
    """PoseSet -> drm_ros/Skeleton3DArray (rclpy) with the given std_msgs/Header."""
    from geometry_msgs.msg import Point

    from drm_ros.msg import Keypoint3D, Skeleton3D, Skeleton3DArray

    if poses.joints3d.shape[1:] != (NUM_JOINTS, 3):
        raise ValueError(f"poses must have {NUM_JOINTS} joints, got shape {poses.joints3d.shape}")
    out = Skeleton3DArray(header=header, joint_names=list(JOINT_NAMES),
                          bone_start=[a for a, _ in BONES], bone_end=[b for _, b in BONES])
    j3 = poses.joints3d.astype(float)
    j2 = poses.joints2d.astype(float)
    conf = np.clip(poses.joint_scores.astype(float), 0.0, 1.0)
    cov = covariance_fields(poses.roots, poses.root_sigma)
    for i in range(len(poses)):
        joints = [Keypoint3D(position=Point(x=j3[i, j, 0], y=j3[i, j, 1], z=j3[i, j, 2]),
                             u=j2[i, j, 0], v=j2[i, j, 1], confidence=conf[i, j]) for j in range(NUM_JOINTS)]
        r = poses.roots[i].astype(float)
        pid = int(poses.ids[i])
        out.skeletons.append(Skeleton3D(
            id=pid if pid >= 0 else UNTRACKED_ID, score=float(np.clip(poses.scores[i], 0, 1)),
            bbox=np.asarray(poses.boxes[i], dtype=np.float32), root=Point(x=r[0], y=r[1], z=r[2]),
            root_covariance=cov[i], joints=joints))
    return out


def poses_to_tf(poses: PoseSet, header, prefix: str = ""):
    """tf2_msgs/TFMessage: a '<prefix>body_<id>' frame per person under the image frame."""
    from geometry_msgs.msg import TransformStamped
    from tf2_msgs.msg import TFMessage

    from drm_ros.body_frames import body_frames

    positions, quats, _ = body_frames(poses)
    out = TFMessage()
    for i in range(len(poses)):
        t = TransformStamped()
        t.header = header
        t.child_frame_id = f"{prefix}body_{int(poses.ids[i])}"
        t.transform.translation.x, t.transform.translation.y, t.transform.translation.z = (float(v) for v in positions[i])
        q = t.transform.rotation
        q.x, q.y, q.z, q.w = (float(v) for v in quats[i])
        out.transforms.append(t)
    return out
