"""Run an estimator over labelled samples and score it: the Python side of `drm eval`.

    from drm_ros.data.load import load_any
    from drm_ros.evaluation import evaluate_dataset
    from drm_ros.inference import PoseEstimator
    scores, predictions = evaluate_dataset(PoseEstimator.from_file(), load_any("MuPoTS-3D.json"))

The estimator is anything with `estimate(image_rgb, camera) -> PoseSet` (duck-typed so training
can score a model in memory). Scoring rules: `drm_ros.metrics`.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

from drm_ros.data.sample import Sample
from drm_ros.imageio import read_rgb
from drm_ros.metrics import evaluate
from drm_ros.poses import PoseSet


def evaluate_dataset(estimator, samples: list[Sample], progress: Callable[[int, int], None] | None = None,
                     ground=None) -> tuple[dict, list[PoseSet]]:
    """Estimate poses on every sample's image with its own camera; -> (metrics dict, predictions).
    `progress(done, total)` is called after each image. `ground` (a drm_ros.ground.session.
    GroundDepth) refines absolute depth with the floor, samples in order (mode 'known' reads
    each sample's `ground`)."""
    predictions = []
    for i, sample in enumerate(samples):
        poses = estimator.estimate(read_rgb(sample.image_path), sample.camera)
        if ground is not None:
            poses = ground.apply(poses, sample.camera, sample.ground).poses
        predictions.append(poses)
        if progress is not None:
            progress(i + 1, len(samples))
    return evaluate(predictions, samples), predictions


def json_safe(value):
    """NaN/inf -> None (JSON has no NaN), numpy scalars -> Python, recursively."""
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
