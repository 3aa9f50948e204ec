"""CMU Panoptic Studio sequences (panoptic-toolbox layout) -> `list[Sample]` for chosen HD cameras.

Layout, as read here (SEQ = e.g. 160422_haggling1):
  SEQ/calibration_SEQ.json          {"cameras": [{"name": "00_16", "type": "hd",
                                       "resolution": [1920, 1080], "K": 3x3, "distCoef": [5],
                                       "R": 3x3, "t": 3x1 (cm)}, ...]}
  SEQ/hdPose3d_stage1_coco19/body3DScene_<frame 8 digits>.json
                                    {"bodies": [{"id": int, "joints19": 19 x [x, y, z, c]}]}
                                    x, y, z in cm in the world (dome) frame, c = confidence
  SEQ/hdImgs/<cam>/<cam>_<frame>.jpg

World -> camera: X_cam = R X_world + t (both in cm), then /100 -> metres (camera optical frame:
the toolbox's projection divides by the third coordinate and applies K, so x right, y down, z
forward as ours).
Distortion: distCoef = [k1, k2, p1, p2, k3]; the toolbox applies
  x' = x(1 + k1 r^2 + k2 r^4 + k3 r^6) + 2 p1 x y + p2 (r^2 + 2x^2),
  y' = y(1 + k1 r^2 + k2 r^4 + k3 r^6) + p1 (r^2 + 2y^2) + 2 p2 x y,
which is OpenCV's / ROS plumb_bob with the same coefficient order, so it is passed unchanged to
`Camera(..., "plumb_bob", distCoef)` and joints2d = Camera.project(joints3d) (distorted pixels,
as the images are). K must have zero skew (checked).

coco19 joints: 0 Neck, 1 Nose, 2 BodyCenter (hip centre), 3 lShoulder, 4 lElbow, 5 lWrist,
6 lHip, 7 lKnee, 8 lAnkle, 9 rShoulder, 10 rElbow, 11 rWrist, 12 rHip, 13 rKnee, 14 rAnkle,
15 lEye, 16 lEar, 17 rEye, 18 rEar (subject's left/right, as COCO). All 17 COCO joints exist;
our pelvis = BodyCenter (the source's root joint). Neck is dropped.

Decisions: a joint is visible when c > `min_confidence` (0.1), it is in front of the camera and
projects inside the image. 3D is kept for every joint whose c >= 0 (low-confidence positions
are still reconstructions); c < 0 (the toolbox's "not reconstructed") -> NaN. A body with no
visible joint in this view is left out (it is not in the picture). Frames are used only when the
camera's image exists (`require_images=False` keeps all frames, e.g. for label-only checks).
meta: source, sequence, camera, frame, body_id.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from drm_ros.camera import Camera
from drm_ros.data.formats import box_of, inside_image, read_json, remap
from drm_ros.data.sample import Sample
from drm_ros.skeleton import JOINT_INDEX, NUM_JOINTS

PANOPTIC_JOINT_NAMES = (
    "Neck", "Nose", "BodyCenter", "lShoulder", "lElbow", "lWrist", "lHip", "lKnee", "lAnkle",
    "rShoulder", "rElbow", "rWrist", "rHip", "rKnee", "rAnkle", "lEye", "lEar", "rEye", "rEar",
)
_OURS_FROM_SOURCE_NAME = {
    "nose": "Nose", "left_eye": "lEye", "right_eye": "rEye", "left_ear": "lEar", "right_ear": "rEar",
    "left_shoulder": "lShoulder", "right_shoulder": "rShoulder", "left_elbow": "lElbow",
    "right_elbow": "rElbow", "left_wrist": "lWrist", "right_wrist": "rWrist", "left_hip": "lHip",
    "right_hip": "rHip", "left_knee": "lKnee", "right_knee": "rKnee", "left_ankle": "lAnkle",
    "right_ankle": "rAnkle", "pelvis": "BodyCenter",
}
SOURCE_INDEX = {JOINT_INDEX[o]: PANOPTIC_JOINT_NAMES.index(t) for o, t in _OURS_FROM_SOURCE_NAME.items()}
POSE_DIR = "hdPose3d_stage1_coco19"
DEFAULT_CAMERAS = ("00_16", "00_30")  # the two views of the SMAP evaluation protocol
MIN_CONFIDENCE = 0.1


def is_panoptic_sequence(path: Path) -> bool:
    path = Path(path)
    return path.is_dir() and (path / POSE_DIR).is_dir() and any(path.glob("calibration_*.json"))


def load_calibration(seq_dir: Path) -> dict[str, dict]:
    files = sorted(Path(seq_dir).glob("calibration_*.json"))
    if len(files) != 1:
        raise ValueError(f"{seq_dir}: expected one calibration_<seq>.json, found {len(files)}")
    return {cam["name"]: cam for cam in read_json(files[0])["cameras"]}


def camera_and_pose(cal: dict) -> tuple[Camera, np.ndarray, np.ndarray]:
    """Our Camera plus R (3x3) and t (3,) in cm of one Panoptic calibration record."""
    K = np.asarray(cal["K"], dtype=np.float64)
    if abs(K[0, 1]) > 1e-6 * K[0, 0]:
        raise ValueError(f"Panoptic camera {cal.get('name')}: K has skew {K[0, 1]}, which our Camera cannot represent")
    width, height = (int(v) for v in cal["resolution"])
    camera = Camera(width, height, K[0, 0], K[1, 1], K[0, 2], K[1, 2], "plumb_bob",
                    tuple(float(v) for v in np.asarray(cal["distCoef"]).reshape(-1)))
    return camera, np.asarray(cal["R"], dtype=np.float64), np.asarray(cal["t"], dtype=np.float64).reshape(3)


def load_panoptic(seq_dir: str | Path, cameras: tuple[str, ...] | None = None,
                  min_confidence: float = MIN_CONFIDENCE, require_images: bool = True) -> list[Sample]:
    """One Sample per (frame, camera). `cameras` defaults to those of 00_16 / 00_30 with images
    (or both when `require_images` is False)."""
    seq_dir = Path(seq_dir)
    if not is_panoptic_sequence(seq_dir):
        raise ValueError(f"{seq_dir}: not a Panoptic sequence folder (calibration_<seq>.json + {POSE_DIR}/)")
    calibration = load_calibration(seq_dir)
    if cameras is None:
        cameras = tuple(c for c in DEFAULT_CAMERAS if c in calibration
                        and (not require_images or (seq_dir / "hdImgs" / c).is_dir()))
        if not cameras:
            raise ValueError(f"{seq_dir}: none of the default cameras {DEFAULT_CAMERAS} has calibration"
                             + (" and an hdImgs/<cam>/ folder" if require_images else "") + "; pass cameras=...")
    missing = [c for c in cameras if c not in calibration]
    if missing:
        raise ValueError(f"{seq_dir}: cameras {missing} not in the calibration (have e.g. {sorted(calibration)[:5]})")
    frames = []
    for f in sorted((seq_dir / POSE_DIR).glob("body3DScene_*.json")):
        m = re.fullmatch(r"body3DScene_(\d+)\.json", f.name)
        if m:
            frames.append((m.group(1), f))

    samples = []
    for cam_name in cameras:
        camera, R, t = camera_and_pose(calibration[cam_name])
        for frame, pose_file in frames:
            image = seq_dir / "hdImgs" / cam_name / f"{cam_name}_{frame}.jpg"
            if require_images and not image.is_file():
                continue
            j3s, j2s, viss, boxes, meta = [], [], [], [], []
            for body in read_json(pose_file).get("bodies", []):
                raw = np.asarray(body["joints19"], dtype=np.float64).reshape(-1, 4)
                if raw.shape[0] != len(PANOPTIC_JOINT_NAMES):
                    raise ValueError(f"{pose_file}: body {body.get('id')} has {raw.shape[0]} joints, expected 19")
                cam_xyz = (raw[:, :3] @ R.T + t) / 100.0  # cm world -> m camera
                cam_xyz[raw[:, 3] < 0] = np.nan
                j3 = remap(cam_xyz, SOURCE_INDEX, np.nan)
                conf = remap(raw[:, 3:4], SOURCE_INDEX, -1.0)[:, 0]
                in_front = np.nan_to_num(j3[:, 2], nan=-1.0) > 0
                j2 = np.zeros((NUM_JOINTS, 2))
                j2[in_front] = camera.project(j3[in_front])
                vis = (conf > min_confidence) & in_front & inside_image(j2, camera.width, camera.height)
                if not vis.any():
                    continue
                j3s.append(j3)
                j2s.append(j2)
                viss.append(vis.astype(np.float64))
                boxes.append(box_of(j2, vis))
                meta.append({"source": "cmu-panoptic", "sequence": seq_dir.name, "camera": cam_name,
                             "frame": int(frame), "body_id": body.get("id")})
            n = len(j3s)
            samples.append(Sample(
                image_path=str(image), camera=camera, joints3d=np.array(j3s).reshape(n, NUM_JOINTS, 3),
                joints2d=np.array(j2s).reshape(n, NUM_JOINTS, 2), visible=np.array(viss).reshape(n, NUM_JOINTS),
                boxes=np.array(boxes).reshape(n, 4), meta=meta))
    if require_images and not samples:
        raise ValueError(f"{seq_dir}: no frame has an image for cameras {list(cameras)} under hdImgs/<cam>/<cam>_<frame>.jpg")
    return samples
