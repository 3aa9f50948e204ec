"""COCO person keypoints (annotations/person_keypoints_<split>.json) -> `list[Sample]`, 2D only.

Format, as read here: images[] (id, file_name, width, height); annotations[] (image_id,
keypoints = 17 x [x, y, v] in COCO-17 order, num_keypoints, bbox [x, y, w, h], iscrowd).
COCO-17 is our order, so joints 0..16 map 1:1; our pelvis (17) is the hip midpoint, labelled
only when both hips are.

v semantics: 0 = not labelled (x = y = 0), 1 = labelled but not visible (occluded),
2 = labelled and visible. We set visible = (v > 0), as COCO's own OKS evaluation and keypoint
training do: an occluded joint's position is still a label. (This is looser than the
"not occluded" wording of the dataset folder format; the raw v per joint stays in
meta["coco_v"] for anyone who needs the distinction.) Coordinates are taken as they are (no
half-pixel shift).

No 3D: joints3d is NaN (3D losses are masked in training, 3D metrics skip these people).
No intrinsics: each image gets `Camera.default_for(width, height)` (60 degree horizontal FOV
guess) and every person's meta says so ("camera_guess": true) - anything metric computed with
it is a guess.

Left out: iscrowd == 1 annotations (crowd regions, not individual people) and people with no
labelled keypoint (nothing to supervise or match). Images without people are kept (negatives).
Image paths: `image_root / file_name`; image_root defaults to the first of
<json dir>, <json dir>/../images/<split>, <json dir>/../<split> that holds the first image.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from drm_ros.camera import Camera
from drm_ros.data.formats import annotations_by_image, find_image_root, read_json, xywh_to_box
from drm_ros.data.sample import Sample
from drm_ros.skeleton import LEFT_HIP, NUM_COCO_JOINTS, NUM_JOINTS, RIGHT_HIP, ROOT


def _split_of(json_path: Path) -> str:
    stem = json_path.stem  # person_keypoints_val2017 -> val2017
    return stem.split("_")[-1] if stem.startswith("person_keypoints_") else ""


def person_arrays(keypoints) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """COCO flat [x, y, v] x 17 -> joints2d (18, 2), visible (18,), raw v (17,)."""
    kp = np.asarray(keypoints, dtype=np.float64).reshape(-1, 3)
    if kp.shape != (NUM_COCO_JOINTS, 3):
        raise ValueError(f"COCO keypoints must be 17 x 3 values, got {kp.size} values")
    j2 = np.zeros((NUM_JOINTS, 2))
    vis = np.zeros(NUM_JOINTS)
    j2[:NUM_COCO_JOINTS] = kp[:, :2]
    vis[:NUM_COCO_JOINTS] = kp[:, 2] > 0
    if vis[LEFT_HIP] and vis[RIGHT_HIP]:
        j2[ROOT] = 0.5 * (j2[LEFT_HIP] + j2[RIGHT_HIP])
        vis[ROOT] = 1.0
    j2[vis == 0] = 0.0
    return j2, vis, kp[:, 2].astype(int)


def load_coco(json_path: str | Path, image_root: str | Path | None = None, data: dict | None = None) -> list[Sample]:
    json_path = Path(json_path)
    data = read_json(json_path) if data is None else data
    images, per_image = annotations_by_image(json_path, data)
    if image_root is None and data["images"]:
        split = _split_of(json_path)
        image_root = find_image_root(json_path, data["images"][0]["file_name"],
                                     ("", f"../images/{split}", f"../{split}") if split else ("",))
    image_root = Path(image_root) if image_root is not None else json_path.parent

    samples = []
    for image_id, img in images.items():
        camera = Camera.default_for(int(img["width"]), int(img["height"]))
        j2s, viss, boxes, meta = [], [], [], []
        for ann in per_image.get(image_id, []):
            if ann.get("iscrowd", 0):
                continue
            j2, vis, raw_v = person_arrays(ann["keypoints"])
            if not vis.any():
                continue
            j2s.append(j2)
            viss.append(vis)
            boxes.append(xywh_to_box(ann["bbox"]))
            meta.append({"source": "coco", "annotation_id": ann.get("id"), "camera_guess": True,
                         "coco_v": raw_v.tolist()})
        n = len(j2s)
        samples.append(Sample(
            image_path=str(image_root / img["file_name"]), camera=camera,
            joints3d=np.full((n, NUM_JOINTS, 3), np.nan), joints2d=np.array(j2s).reshape(n, NUM_JOINTS, 2),
            visible=np.array(viss).reshape(n, NUM_JOINTS), boxes=np.array(boxes).reshape(n, 4), meta=meta))
    return samples
