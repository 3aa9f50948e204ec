"""MuCo-3DHP / MuPoTS-3D in the 3DMPPE json annotations (Moon et al., the files most multi-person
3D work trains and tests with) -> `list[Sample]`.

Format (COCO-like json), as read here:
  images[]:      id, file_name (relative, e.g. "TS1/img_000000.jpg"), width, height, and the
                 intrinsics either as "f": [fx, fy] + "c": [cx, cy] (MuCo-3DHP.json) or as
                 "intrinsic": [fx, fy, cx, cy] (MuPoTS-3D.json). No distortion is given: the
                 2D keypoints are pinhole projections of keypoints_cam, so the camera is pinhole.
  annotations[]: image_id, keypoints_cam (J x 3, mm, camera frame), keypoints_img (J x 2, px),
                 bbox [x, y, w, h] px; optional keypoints_vis (J, bool/0-1) and is_valid (0/1).
  J = 21 (MuCo-3DHP joint set) or 17 (MuPoTS-3D's own set = the first 17 of the 21):
     0 Head_top, 1 Thorax, 2 R_Shoulder, 3 R_Elbow, 4 R_Wrist, 5 L_Shoulder, 6 L_Elbow,
     7 L_Wrist, 8 R_Hip, 9 R_Knee, 10 R_Ankle, 11 L_Hip, 12 L_Knee, 13 L_Ankle, 14 Pelvis,
     15 Spine, 16 Head, [17 R_Hand, 18 L_Hand, 19 R_Toe, 20 L_Toe].
  Left/right are the subject's own, as in COCO, so they map side to side.

Decisions:
  - Mapped: shoulders, elbows, wrists, hips, knees, ankles, and our pelvis = the source's Pelvis
    joint (14), NOT the hip midpoint: the dataset's root, which AP_root and published root errors
    use. Head_top, Thorax, Spine, Head, hands, toes have no COCO counterpart and are dropped.
  - COCO's nose/eyes/ears do not exist in this set: visible 0, 2D 0, 3D NaN. (So
    `Sample.has3d`, which wants all 18 joints, is False for these people; `metrics` scores the
    13 evaluation joints, which are all present.)
  - visible = keypoints_vis when given, else "projects inside the image and in front of the
    camera" (MuCo has no visibility flags).
  - is_valid == 0 persons (MuPoTS marks people it does not score) are left out, as 3DMPPE does.
  - meta per person: source, annotation id, sequence (when the first folder of file_name is
    "TS<n>", MuPoTS's test sequences, for its per-sequence averaging), and the largest gap (px)
    between keypoints_cam projected with the intrinsics and keypoints_img, as a check of the file.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from drm_ros.camera import Camera
from drm_ros.data.formats import annotations_by_image, find_image_root, inside_image, read_json, remap, xywh_to_box
from drm_ros.data.sample import Sample
from drm_ros.skeleton import JOINT_INDEX, NUM_JOINTS

MUCO_JOINT_NAMES = (
    "Head_top", "Thorax", "R_Shoulder", "R_Elbow", "R_Wrist", "L_Shoulder", "L_Elbow", "L_Wrist",
    "R_Hip", "R_Knee", "R_Ankle", "L_Hip", "L_Knee", "L_Ankle", "Pelvis", "Spine", "Head",
    "R_Hand", "L_Hand", "R_Toe", "L_Toe",
)
MUPOTS_JOINT_NAMES = MUCO_JOINT_NAMES[:17]

_OURS_FROM_SOURCE_NAME = {
    "left_shoulder": "L_Shoulder", "right_shoulder": "R_Shoulder", "left_elbow": "L_Elbow",
    "right_elbow": "R_Elbow", "left_wrist": "L_Wrist", "right_wrist": "R_Wrist",
    "left_hip": "L_Hip", "right_hip": "R_Hip", "left_knee": "L_Knee", "right_knee": "R_Knee",
    "left_ankle": "L_Ankle", "right_ankle": "R_Ankle", "pelvis": "Pelvis",
}
# our joint index -> source joint index (identical for the 17- and 21-joint sets)
SOURCE_INDEX = {JOINT_INDEX[ours]: MUCO_JOINT_NAMES.index(theirs) for ours, theirs in _OURS_FROM_SOURCE_NAME.items()}


def camera_of(image: dict) -> Camera:
    if "intrinsic" in image:
        fx, fy, cx, cy = (float(v) for v in image["intrinsic"])
    elif "f" in image and "c" in image:
        (fx, fy), (cx, cy) = image["f"], image["c"]
    else:
        raise ValueError(f"image {image.get('file_name')!r} has no intrinsics ('f'+'c' or 'intrinsic')")
    return Camera(int(image["width"]), int(image["height"]), float(fx), float(fy), float(cx), float(cy))


def _sequence_of(file_name: str) -> str | None:
    """MuPoTS test sequence ("TS1".."TS20") from the image path; None for MuCo."""
    parts = Path(file_name).parts
    return parts[0] if len(parts) > 1 and re.fullmatch(r"TS\d+", parts[0]) else None


def load_mupots(json_path: str | Path, image_root: str | Path | None = None, data: dict | None = None) -> list[Sample]:
    """Read a 3DMPPE MuCo-3DHP/MuPoTS-3D json. `image_root` defaults to the json's folder, or its
    MultiPersonTestSet/ subfolder when the images are there (the 3DMPPE MuPoTS layout)."""
    json_path = Path(json_path)
    data = read_json(json_path) if data is None else data
    images, per_image = annotations_by_image(json_path, data)
    if image_root is None and data["images"]:
        image_root = find_image_root(json_path, data["images"][0]["file_name"], ("", "MultiPersonTestSet"))
    image_root = Path(image_root) if image_root is not None else json_path.parent

    samples = []
    for image_id, img in images.items():
        camera = camera_of(img)
        j3, j2, vis, boxes, meta = [], [], [], [], []
        for ann in per_image.get(image_id, []):
            if ann.get("is_valid", 1) == 0:
                continue
            cam = np.asarray(ann["keypoints_cam"], dtype=np.float64)
            uv = np.asarray(ann["keypoints_img"], dtype=np.float64)[:, :2]
            if cam.shape not in ((17, 3), (21, 3)) or len(uv) != len(cam):
                raise ValueError(f"{json_path}: annotation {ann.get('id')}: expected 17 or 21 joints with 3D and 2D, "
                                 f"got keypoints_cam {cam.shape} and keypoints_img {uv.shape}")
            cam_m = cam / 1000.0  # mm -> m
            if "keypoints_vis" in ann:
                src_vis = np.asarray(ann["keypoints_vis"], dtype=np.float64).reshape(-1)
            else:
                src_vis = (inside_image(uv, camera.width, camera.height) & (cam_m[:, 2] > 0)).astype(np.float64)
            reproj = float(np.max(np.linalg.norm(camera.project(cam_m) - uv, axis=-1)))
            j3.append(remap(cam_m, SOURCE_INDEX, np.nan))
            j2.append(remap(uv, SOURCE_INDEX, 0.0))
            vis.append(remap(src_vis[:, None], SOURCE_INDEX, 0.0)[:, 0])
            boxes.append(xywh_to_box(ann["bbox"]))
            m = {"source": "3dmppe-muco-mupots", "annotation_id": ann.get("id"), "reprojection_error_px": round(reproj, 3)}
            if _sequence_of(img["file_name"]):
                m["sequence"] = _sequence_of(img["file_name"])
            meta.append(m)
        n = len(j3)
        samples.append(Sample(
            image_path=str(image_root / img["file_name"]), camera=camera,
            joints3d=np.array(j3).reshape(n, NUM_JOINTS, 3), joints2d=np.array(j2).reshape(n, NUM_JOINTS, 2),
            visible=np.array(vis).reshape(n, NUM_JOINTS), boxes=np.array(boxes).reshape(n, 4), meta=meta))
    return samples
