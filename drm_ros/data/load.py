"""`load_any(path)`: one entry point for every labelled data format drm_ros reads (the helpers
the format loaders share live in `formats.py`).

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

from pathlib import Path

from drm_ros.data import coco, mupots, panoptic
from drm_ros.data.formats import UnknownFormatError, read_json
from drm_ros.data.sample import FORMAT, load_dataset

__all__ = ["UnknownFormatError", "json_kind", "load_any"]


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
