"""`Sample`: one labelled image, and the dataset folder format every data source converts to.

Dataset folder (written by `drm synth`, read by training and `drm eval`):

    DIR/annotations.json
    DIR/images/<name>.jpg

annotations.json = {
  "format": "drm_ros-dataset", "version": 1,
  "joint_names": [... 18 names, drm_ros.skeleton.JOINT_NAMES ...],
  "images": [{
      "file": "images/000000.jpg",                  # relative to DIR
      "camera": {width, height, fx, fy, cx, cy, distortion_model, dist},   # Camera.to_dict()
      "ground": {"up": [x, y, z], "camera_height_m": h, "pitch_deg": p, "roll_deg": r},  # optional:
                                                # the floor in the camera frame (GroundPlane.to_dict)
      "persons": [{
          "joints3d": [[x, y, z] or null x 18] or null,  # metres, camera optical frame; null = unlabelled
          "joints2d": [[u, v] x 18],              # pixels of this (distorted) image
          "visible":  [0/1 x 18],                 # 1 = labelled and not occluded/truncated
          "bbox": [u0, v0, u1, v1],               # pixels, box of the visible body
          "meta": {...}                           # free-form provenance (clip name, source ...)
      }]
  }]
}
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from drm_ros.camera import Camera
from drm_ros.ground.plane import GroundPlane
from drm_ros.skeleton import JOINT_NAMES, NUM_JOINTS

FORMAT = "drm_ros-dataset"


@dataclass
class Sample:
    image_path: str
    camera: Camera
    joints3d: np.ndarray  # (P, J, 3) metres, NaN where unknown (2D-only sources)
    joints2d: np.ndarray  # (P, J, 2) pixels
    visible: np.ndarray  # (P, J) float 0/1
    boxes: np.ndarray  # (P, 4)
    meta: list = field(default_factory=list)  # per person dict
    ground: GroundPlane | None = None  # the true floor, when the source knows the camera's pose

    @property
    def num_persons(self) -> int:
        return len(self.joints2d)

    @property
    def has3d(self) -> np.ndarray:
        """(P,) whether each person has a 3D label: its root is labelled (other joints may be NaN,
        e.g. MuPoTS has no face joints; losses and metrics mask per joint)."""
        from drm_ros.skeleton import ROOT

        return np.isfinite(self.joints3d[:, ROOT]).all(axis=-1) if len(self.joints3d) else np.zeros(0, bool)


def _person_record(sample: Sample, p: int) -> dict:
    j3 = sample.joints3d[p]
    labelled = np.isfinite(j3).all(axis=-1)
    return {
        "joints3d": [np.round(v, 5).tolist() if ok else None for v, ok in zip(j3, labelled)] if labelled.any() else None,
        "joints2d": np.round(sample.joints2d[p], 3).tolist(),
        "visible": sample.visible[p].astype(int).tolist(),
        "bbox": np.round(sample.boxes[p], 2).tolist(),
        "meta": sample.meta[p] if p < len(sample.meta) else {},
    }


def save_dataset(directory: str | Path, samples: list[Sample]) -> Path:
    """Write annotations.json for samples whose image files already lie under `directory`."""
    directory = Path(directory)
    records = []
    for s in samples:
        rel = Path(s.image_path)
        rel = rel.relative_to(directory) if rel.is_absolute() else rel
        record = {"file": str(rel), "camera": s.camera.to_dict(),
                  "persons": [_person_record(s, p) for p in range(s.num_persons)]}
        if s.ground is not None:
            record["ground"] = s.ground.to_dict()
        records.append(record)
    out = directory / "annotations.json"
    out.write_text(json.dumps({"format": FORMAT, "version": 1, "joint_names": list(JOINT_NAMES), "images": records}))
    return out


def load_dataset(directory: str | Path) -> list[Sample]:
    """Read a dataset folder; image paths come back absolute."""
    directory = Path(directory)
    path = directory / "annotations.json"
    if not path.is_file():
        raise FileNotFoundError(f"{directory} is not a drm_ros dataset folder (no annotations.json)")
    data = json.loads(path.read_text())
    if data.get("format") != FORMAT:
        raise ValueError(f"{path}: not a {FORMAT} file (format={data.get('format')!r})")
    if list(data["joint_names"]) != list(JOINT_NAMES):
        raise ValueError(f"{path}: joint order differs from drm_ros.skeleton.JOINT_NAMES")
    samples = []
    for rec in data["images"]:
        persons = rec["persons"]
        n = len(persons)
        j3 = np.full((n, NUM_JOINTS, 3), np.nan)
        for p, person in enumerate(persons):
            for j, value in enumerate(person.get("joints3d") or []):
                if value is not None:
                    j3[p, j] = value
        samples.append(Sample(
            image_path=str(directory / rec["file"]),
            camera=Camera.from_dict(rec["camera"]),
            joints3d=j3,
            joints2d=np.array([p["joints2d"] for p in persons], dtype=np.float64).reshape(n, NUM_JOINTS, 2),
            visible=np.array([p["visible"] for p in persons], dtype=np.float64).reshape(n, NUM_JOINTS),
            boxes=np.array([p["bbox"] for p in persons], dtype=np.float64).reshape(n, 4),
            meta=[p.get("meta", {}) for p in persons],
            ground=GroundPlane.from_dict(rec["ground"]) if rec.get("ground") else None,
        ))
    return samples
