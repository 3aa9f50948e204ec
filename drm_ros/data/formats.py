"""What every format loader shares: the error for unrecognised input, joint remapping, image
bounds, boxes, json reading and COCO-style indexing. Its own module so that the loaders and
`load.load_any` (which dispatches to them) import it, not each other."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from drm_ros.skeleton import NUM_JOINTS


class UnknownFormatError(ValueError):
    """A path that is none of the formats `load_any` knows."""


def remap(values: np.ndarray, source_index: dict[int, int], fill: float) -> np.ndarray:
    """(S, C) per-source-joint values -> (NUM_JOINTS, C) in our order; `source_index` maps our
    joint index -> source joint index; joints not in it get `fill`."""
    values = np.asarray(values, dtype=np.float64)
    out = np.full((NUM_JOINTS,) + values.shape[1:], fill, dtype=np.float64)
    for ours, theirs in source_index.items():
        out[ours] = values[theirs]
    return out


def inside_image(uv: np.ndarray, width: int, height: int) -> np.ndarray:
    """(..., 2) pixel positions -> bool, inside [-0.5, size - 0.5) (pixel centres at integers)."""
    uv = np.asarray(uv, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return (uv[..., 0] >= -0.5) & (uv[..., 0] < width - 0.5) & (uv[..., 1] >= -0.5) & (uv[..., 1] < height - 0.5)


def box_of(joints2d: np.ndarray, visible: np.ndarray) -> np.ndarray:
    """u_min, v_min, u_max, v_max of the visible joints (zeros if none is visible)."""
    pts = np.asarray(joints2d)[np.asarray(visible) > 0]
    if len(pts) == 0:
        return np.zeros(4)
    return np.concatenate([pts.min(axis=0), pts.max(axis=0)])


def xywh_to_box(bbox) -> np.ndarray:
    x, y, w, h = (float(v) for v in bbox)
    return np.array([x, y, x + w, y + h])


def read_json(path: str | Path) -> object:
    path = Path(path)
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise UnknownFormatError(f"{path}: not valid JSON ({exc})") from None


def find_image_root(json_path: Path, file_name: str, candidates: tuple[str, ...] = ("",)) -> Path:
    """The folder under which `file_name` (relative, from the json) exists: the json's folder or
    one of `candidates` below it. Falls back to the json's folder (images may be fetched later;
    inference then reports the missing file by name)."""
    for sub in candidates:
        root = json_path.parent / sub
        if (root / file_name).is_file():
            return root.resolve()
    return json_path.parent.resolve()


def annotations_by_image(json_path, data: dict) -> tuple[dict, dict]:
    """COCO-style json (COCO, 3DMPPE): images by id, and each image's annotations."""
    images = {img["id"]: img for img in data["images"]}
    per_image: dict = {i: [] for i in images}
    for ann in data["annotations"]:
        if ann.get("image_id") not in images:
            raise ValueError(f"{json_path}: annotation {ann.get('id')} refers to unknown image {ann.get('image_id')}")
        per_image[ann["image_id"]].append(ann)
    return images, per_image
