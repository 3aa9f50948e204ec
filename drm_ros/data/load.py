"""`load_any(path)`: one entry point for every labelled data format drm_ros reads, plus the
small conversions the format loaders share.

Recognised (checked in this order):
  - our dataset folder (DIR/annotations.json with "format": "drm_ros-dataset")  -> sample.load_dataset
  - CMU Panoptic sequence folder (calibration_<seq>.json + hdPose3d_stage1_coco19/) -> panoptic
  - 3DMPPE MuCo-3DHP / MuPoTS-3D json (annotations carry "keypoints_cam")          -> mupots
  - COCO person keypoints json (annotations carry "keypoints")                      -> coco
  A folder holding exactly one json of the last two kinds is accepted too (e.g. MuPoTS/data).
Anything else raises `UnknownFormatError` naming what was looked for.

Conventions every loader follows (see each loader's docstring for its source's specifics):
joints in `drm_ros.skeleton` order; joints the source does not have get visible=0, 2D = 0 and
3D = NaN (2D is 0, not NaN, so that masked arithmetic in losses stays finite; always read 2D
together with `visible`); metres in the camera optical frame; the source's intrinsics as a
`Camera`.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from drm_ros.skeleton import NUM_JOINTS


class UnknownFormatError(ValueError):
    """A path that is none of the formats `load_any` knows."""


# ---------------------------------------------------------------------------------- shared
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


# ---------------------------------------------------------------------------------- detection
def annotations_by_image(json_path, data: dict) -> tuple[dict, dict]:
    """COCO-style json (COCO, 3DMPPE): images by id, and each image's annotations."""
    images = {img["id"]: img for img in data["images"]}
    per_image: dict = {i: [] for i in images}
    for ann in data["annotations"]:
        if ann.get("image_id") not in images:
            raise ValueError(f"{json_path}: annotation {ann.get('id')} refers to unknown image {ann.get('image_id')}")
        per_image[ann["image_id"]].append(ann)
    return images, per_image


def json_kind(data: object) -> str | None:
    """'mupots', 'coco' or None for a parsed json."""
    if not isinstance(data, dict) or not isinstance(data.get("images"), list) or not isinstance(data.get("annotations"), list):
        return None
    anns = data["annotations"]
    if anns and "keypoints_cam" in anns[0]:
        return "mupots"
    if anns and "keypoints" in anns[0]:
        return "coco"
    cats = data.get("categories") or []
    if not anns and any(isinstance(c, dict) and "keypoints" in c for c in cats):
        return "coco"  # a keypoints file with no annotations (still a valid, empty COCO set)
    return None


def load_any(path: str | Path) -> list:
    """Detect the format of `path` and load it as `list[Sample]` (formats in the module doc)."""
    from drm_ros.data import coco, mupots, panoptic
    from drm_ros.data.sample import FORMAT, load_dataset

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist")
    if path.is_dir():
        ann = path / "annotations.json"
        if ann.is_file():
            data = read_json(ann)
            if isinstance(data, dict) and data.get("format") == FORMAT:
                return load_dataset(path)
        if panoptic.is_panoptic_sequence(path):
            return panoptic.load_panoptic(path)
        found = []
        for candidate in sorted(path.glob("*.json")):
            try:
                data = read_json(candidate)
            except UnknownFormatError:
                continue  # an unrelated broken file next to the annotations is not our concern
            if json_kind(data) is not None:
                found.append((candidate, data, json_kind(data)))
        if len(found) == 1:
            path, data, kind = found[0]
        else:
            what = "several" if found else "no"
            raise UnknownFormatError(
                f"{path}: {what} recognisable annotation files; expected a drm_ros dataset folder (annotations.json), "
                "a CMU Panoptic sequence folder (calibration_<seq>.json + hdPose3d_stage1_coco19/), "
                "or one 3DMPPE MuCo/MuPoTS or COCO person_keypoints json (give the file itself)")
    else:
        data = read_json(path)
        kind = json_kind(data)
    if kind == "mupots":
        return mupots.load_mupots(path, data=data)
    if kind == "coco":
        return coco.load_coco(path, data=data)
    raise UnknownFormatError(
        f"{path}: unknown annotation format; expected a drm_ros dataset folder, a CMU Panoptic sequence folder, "
        "a 3DMPPE MuCo/MuPoTS json (annotations with keypoints_cam) or a COCO person_keypoints json")
