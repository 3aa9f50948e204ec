"""Pure conversions between drm_ros values and rosbags message objects (no rclpy).

Builders: `header`, `compressed_image`, `camera_info`, `skeleton_array`, `transform`.
Readers:  `stamp_ns`, `image_bytes`, `decode_image`, `camera_from_info`, `poseset_from_skeletons`.
The objects are the typestore's dataclasses: serialize with `typestore().serialize_cdr(msg, msg.__msgtype__)`.
"""
from __future__ import annotations

import cv2
import numpy as np

from drm_ros.bags.typestore import (
    CAMERA_INFO_TYPE, COMPRESSED_IMAGE_TYPE, SKELETON_ARRAY_TYPE, typestore,
)
from drm_ros.camera import Camera
from drm_ros.poses import PoseSet
from drm_ros.skeleton import BONES, JOINT_NAMES, NUM_JOINTS
from drm_ros.uncertainty import covariance_fields, sigma_from_fields


def _t(name: str):
    return typestore().types[name]


# ---------------------------------------------------------------- builders
def header(stamp_ns: int, frame_id: str):
    sec, nanosec = divmod(int(stamp_ns), 1_000_000_000)
    return _t("std_msgs/msg/Header")(stamp=_t("builtin_interfaces/msg/Time")(sec=sec, nanosec=nanosec),
                                     frame_id=frame_id)


def compressed_image(jpeg: bytes, stamp_ns: int, frame_id: str, fmt: str = "jpeg"):
    """sensor_msgs/CompressedImage from already-encoded bytes (format 'jpeg' or 'png')."""
    return _t(COMPRESSED_IMAGE_TYPE)(header=header(stamp_ns, frame_id), format=fmt,
                                     data=np.frombuffer(jpeg, dtype=np.uint8))


def camera_info(camera: Camera, stamp_ns: int, frame_id: str):
    """sensor_msgs/CameraInfo of an unbinned, uncropped, unrectified (R = I) camera; P = [K | 0]."""
    model = camera.distortion_model if camera.distortion_model not in ("", "none") else "plumb_bob"
    d = camera.D if camera.distortion_model not in ("", "none") else np.zeros(5)
    p = np.zeros((3, 4))
    p[:, :3] = camera.K
    roi = _t("sensor_msgs/msg/RegionOfInterest")(x_offset=0, y_offset=0, height=0, width=0, do_rectify=False)
    return _t(CAMERA_INFO_TYPE)(
        header=header(stamp_ns, frame_id), height=camera.height, width=camera.width, distortion_model=model,
        d=np.asarray(d, dtype=np.float64), k=camera.K.reshape(-1), r=np.eye(3).reshape(-1), p=p.reshape(-1),
        binning_x=0, binning_y=0, roi=roi)


def quaternion_of(R: np.ndarray) -> tuple[float, float, float, float]:
    """(x, y, z, w) of a rotation matrix, from its largest diagonal term (exact near 180 deg too)."""
    R = np.asarray(R, dtype=np.float64)
    tr = np.trace(R)
    if tr > 0:
        k = 2 * np.sqrt(1 + tr)
        q = ((R[2, 1] - R[1, 2]) / k, (R[0, 2] - R[2, 0]) / k, (R[1, 0] - R[0, 1]) / k, k / 4)
    else:
        i = int(np.argmax(np.diag(R)))
        j, m = (i + 1) % 3, (i + 2) % 3
        k = 2 * np.sqrt(1 + R[i, i] - R[j, j] - R[m, m])
        v = np.zeros(3)
        v[i], v[j], v[m] = k / 4, (R[j, i] + R[i, j]) / k, (R[m, i] + R[i, m]) / k
        q = (*v, (R[m, j] - R[j, m]) / k)
    return tuple(float(c) for c in q)


def transform(R: np.ndarray, t: np.ndarray, parent: str, child: str, stamp_ns: int):
    """tf2_msgs/TFMessage with one transform: X_parent = R X_child + t."""
    q = quaternion_of(R)
    stamped = _t("geometry_msgs/msg/TransformStamped")(
        header=header(stamp_ns, parent), child_frame_id=child,
        transform=_t("geometry_msgs/msg/Transform")(
            translation=_t("geometry_msgs/msg/Vector3")(x=float(t[0]), y=float(t[1]), z=float(t[2])),
            rotation=_t("geometry_msgs/msg/Quaternion")(x=float(q[0]), y=float(q[1]), z=float(q[2]), w=float(q[3]))))
    return _t("tf2_msgs/msg/TFMessage")(transforms=[stamped])


def skeleton_array(poses: PoseSet, stamp_ns: int, frame_id: str):
    """drm_ros/Skeleton3DArray from a PoseSet (joints in drm_ros.skeleton.JOINT_NAMES order)."""
    point = _t("geometry_msgs/msg/Point")
    keypoint = _t("drm_ros/msg/Keypoint3D")
    skeleton = _t("drm_ros/msg/Skeleton3D")
    if poses.joints3d.shape[1:] != (NUM_JOINTS, 3):
        raise ValueError(f"poses must have {NUM_JOINTS} joints, got shape {poses.joints3d.shape}")
    skeletons = []
    cov = covariance_fields(poses.roots, poses.root_sigma)
    for i in range(len(poses)):
        j3, j2, conf = poses.joints3d[i], poses.joints2d[i], poses.joint_scores[i]
        joints = [keypoint(position=point(x=float(j3[j, 0]), y=float(j3[j, 1]), z=float(j3[j, 2])),
                           u=float(j2[j, 0]), v=float(j2[j, 1]), confidence=float(conf[j]))
                  for j in range(NUM_JOINTS)]
        r = poses.roots[i]
        skeletons.append(skeleton(
            id=int(poses.ids[i]) if poses.ids[i] >= 0 else 0xFFFFFFFF,  # uint32: untracked = max
            score=float(poses.scores[i]), bbox=np.asarray(poses.boxes[i], dtype=np.float32),
            root=point(x=float(r[0]), y=float(r[1]), z=float(r[2])), root_covariance=cov[i], joints=joints))
    bones = np.array(BONES, dtype=np.uint16).reshape(-1, 2)
    return _t(SKELETON_ARRAY_TYPE)(header=header(stamp_ns, frame_id), joint_names=list(JOINT_NAMES),
                                   bone_start=bones[:, 0].copy(), bone_end=bones[:, 1].copy(), skeletons=skeletons)


def poses_from_labels(joints3d, joints2d, visible, boxes, ids=None) -> PoseSet:
    """Ground-truth labels as a PoseSet (score 1, joint score = visibility, root = pelvis)."""
    from drm_ros.skeleton import ROOT

    joints3d = np.asarray(joints3d, dtype=np.float64)
    n = len(joints3d)
    return PoseSet(np.ones(n), np.asarray(boxes, dtype=np.float64).reshape(n, 4), joints3d[:, ROOT].copy(), joints3d,
                   np.asarray(joints2d, dtype=np.float64), np.asarray(visible, dtype=np.float64),
                   None if ids is None else np.asarray(ids, dtype=np.int64))


# ---------------------------------------------------------------- readers
def stamp_ns(msg) -> int:
    """Header stamp of any stamped message, in nanoseconds."""
    return int(msg.header.stamp.sec) * 1_000_000_000 + int(msg.header.stamp.nanosec)


def image_bytes(msg) -> bytes:
    return bytes(np.asarray(msg.data, dtype=np.uint8))


def decode_image(msg) -> np.ndarray:
    """CompressedImage -> BGR uint8 array; ValueError if the payload does not decode."""
    img = cv2.imdecode(np.asarray(msg.data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if img is None:
        raise ValueError(f"compressed image (format {msg.format!r}, {len(msg.data)} bytes) does not decode")
    return img


def camera_from_info(msg) -> Camera:
    """Camera of the delivered image (binning and ROI applied; see Camera.from_camera_info)."""
    roi = (msg.roi.x_offset, msg.roi.y_offset, msg.roi.width, msg.roi.height)
    return Camera.from_camera_info(msg.width, msg.height, msg.k, msg.d, msg.distortion_model,
                                   msg.binning_x, msg.binning_y, roi)


def poseset_from_skeletons(msg) -> PoseSet:
    """Skeleton3DArray -> PoseSet in JOINT_NAMES order (joints are matched by name; a joint the
    message lacks gets NaN positions and confidence 0). Untracked ids (uint32 max) become -1."""
    names = list(msg.joint_names)
    index = [names.index(n) if n in names else -1 for n in JOINT_NAMES]
    n = len(msg.skeletons)
    out = PoseSet.empty()
    if n == 0:
        return out
    j3 = np.full((n, NUM_JOINTS, 3), np.nan)
    j2 = np.full((n, NUM_JOINTS, 2), np.nan)
    conf = np.zeros((n, NUM_JOINTS))
    for i, s in enumerate(msg.skeletons):
        for j, k in enumerate(index):
            if k >= 0:
                kp = s.joints[k]
                j3[i, j] = (kp.position.x, kp.position.y, kp.position.z)
                j2[i, j] = (kp.u, kp.v)
                conf[i, j] = kp.confidence
    ids = np.array([-1 if s.id == 0xFFFFFFFF else s.id for s in msg.skeletons], dtype=np.int64)
    roots = np.array([(s.root.x, s.root.y, s.root.z) for s in msg.skeletons])
    # a bag recorded before the message had root_covariance reads as "unknown"
    rows = np.array([getattr(s, "root_covariance", None) if getattr(s, "root_covariance", None) is not None
                     else [-1.0] + [0.0] * 8 for s in msg.skeletons], dtype=np.float64)
    return PoseSet(np.array([s.score for s in msg.skeletons], dtype=np.float64),
                   np.array([np.asarray(s.bbox, dtype=np.float64) for s in msg.skeletons]).reshape(n, 4),
                   roots, j3, j2, conf, ids, sigma_from_fields(roots, rows))
