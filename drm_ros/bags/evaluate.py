"""Scoring of the node's recorded output for a bag (pure: no rclpy).

With ground truth in the bag (`/ground_truth/skeletons`, drm_ros/Skeleton3DArray, stamped like
the images) the predictions are scored with `drm_ros.metrics.evaluate` plus identity switches of
the node's tracker; without, only the label-free `drm_ros.plausibility` metrics are available
(computed in both cases). Frames the node produced no output for count as empty predictions:
a dropped frame is a miss, not something to hide.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from drm_ros.bags.io import read_messages
from drm_ros.bags.messages import camera_from_info, poseset_from_skeletons, stamp_ns
from drm_ros.camera import Camera
from drm_ros.data.sample import Sample
from drm_ros.plausibility import plausibility_report
from drm_ros.poses import PoseSet
from drm_ros.tracking import count_id_switches, id_assignments

GT_TOPIC = "/ground_truth/skeletons"
IMAGE_TYPES = ("sensor_msgs/msg/CompressedImage", "sensor_msgs/msg/Image")


def bag_topics(path: str | Path) -> dict[str, str]:
    """topic -> message type of a bag."""
    from rosbags.rosbag2 import Reader

    with Reader(Path(path)) as reader:
        return {c.topic: c.msgtype for c in reader.connections}


def read_ground_truth(path: str | Path, topic: str = GT_TOPIC) -> dict[int, PoseSet]:
    """Header stamp (ns) -> ground-truth people of that frame."""
    return {stamp_ns(msg): poseset_from_skeletons(msg) for _, _, msg in read_messages(path, [topic])}


def read_cameras(path: str | Path, topic: str) -> dict[int, Camera]:
    """Header stamp (ns) -> Camera (invalid calibrations are skipped)."""
    out = {}
    for _, _, msg in read_messages(path, [topic]):
        try:
            out[stamp_ns(msg)] = camera_from_info(msg)
        except ValueError:
            continue
    return out


def cameras_for(frame_stamps: list[int], cameras: dict[int, Camera]) -> list[Camera]:
    """One Camera per frame: its own stamp's, else the latest before it (the first for frames
    before any). ValueError if the bag has no valid calibration at all."""
    if not cameras:
        raise ValueError("the bag has no valid camera_info: no frame can be lifted or refined")
    known = sorted(cameras)
    out, k = [], 0
    for s in frame_stamps:
        while k + 1 < len(known) and known[k + 1] <= s:
            k += 1
        out.append(cameras[s] if s in cameras else cameras[known[k]])
    return out


def _sample(gt: PoseSet, camera: Camera) -> Sample:
    return Sample("", camera, gt.joints3d, gt.joints2d, (gt.joint_scores > 0).astype(np.float64), gt.boxes,
                  [{"track_id": int(i)} for i in gt.ids])


def score(frame_stamps: list[int], predictions: dict[int, PoseSet], ground_truth: dict[int, PoseSet] | None = None,
          cameras: dict[int, Camera] | None = None) -> dict:
    """Report for frames `frame_stamps` (image header stamps, in order)."""
    preds = [predictions.get(s, PoseSet.empty()) for s in frame_stamps]
    report: dict = {
        "frames": len(frame_stamps),
        "frames_with_output": int(sum(s in predictions for s in frame_stamps)),
        "plausibility": plausibility_report(preds),
    }
    if ground_truth:
        labelled = [i for i, s in enumerate(frame_stamps) if s in ground_truth and cameras and s in cameras]
        if labelled:
            samples = [_sample(ground_truth[frame_stamps[i]], cameras[frame_stamps[i]]) for i in labelled]
            from drm_ros.metrics import evaluate

            report["metrics"] = evaluate([preds[i] for i in labelled], samples)
            gts = [ground_truth[frame_stamps[i]] for i in labelled]
            assignments = id_assignments([preds[i] for i in labelled], [g.roots for g in gts], [g.ids for g in gts])
            report["id_switches"] = count_id_switches(assignments)
            report["labelled_frames"] = len(labelled)
    return report


def json_safe(value):
    """NaN/inf -> None, numpy scalars -> Python (strict JSON)."""
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, (np.floating, float)):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value
