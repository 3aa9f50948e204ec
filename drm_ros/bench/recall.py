"""`drm bench recall`: people found on real frames (vtest.avi) by each pass plan and exposure mode,
next to what they cost.

Reference: the default model at the video's native 768x576 in one pass (its 2D branch is
MoveNet's, unchanged: model/logs/real_frame_detections.log). Every configuration is scored
against it per frame: people found, matched to a reference person (mean distance of the 17
joints within 20 % of that person's height), new (found, not in the reference), and the median
milliseconds per frame with its ratio to today's single default pass (all timed in the same
loop, frame by frame, so a busy CPU weighs on each alike).

Poor light: the same frames darkened to a brightness fraction with shot and read noise
(`exposure.darken`), found and matched against the default pass on the original frames.
"""
from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np

from drm_ros.bench.timing import set_threads
from drm_ros.camera import Camera
from drm_ros.exposure import darken
from drm_ros.inference import PoseEstimator
from drm_ros.passes import MultiPassEstimator
from drm_ros.tracking import greedy_pairs

VTEST = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")
PLANS = (("single", 0), ("zoom", 1), ("zoom", 2), ("tiles", 0))
BRIGHTNESS = (1.0, 0.3, 0.2, 0.1)
EXPOSURES = ("off", "gamma", "clahe")


def video_frames(video: Path, every: int, limit: int | None = None):
    cap = cv2.VideoCapture(str(video))
    if not cap.isOpened():
        raise SystemExit(f"drm bench recall: cannot open {video} (apt-get install opencv-doc, or give --video)")
    i = kept = 0
    while limit is None or kept < limit:
        ok, bgr = cap.read()
        if not ok:
            return
        if i % every == 0:
            kept += 1
            yield cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        i += 1


def matched(ref, other) -> int:
    """People of `other` that are people of `ref` (17 joints within 20 % of the ref person's height)."""
    if len(ref) == 0 or len(other) == 0:
        return 0
    d = np.linalg.norm(ref.joints2d[:, None, :17] - other.joints2d[None, :, :17], axis=-1).mean(-1)
    gate = 0.2 * np.maximum(np.ptp(ref.joints2d[..., 1], axis=-1), 10.0)
    return len(greedy_pairs(d / gate[:, None], 1.0))


def timed(estimator, image, camera):
    t = time.perf_counter()
    poses = estimator.estimate(image, camera)
    return poses, (time.perf_counter() - t) * 1000


def run(threads: int = 2, repeats: int = 20, video: Path | None = None, every: int = 8, limit: int | None = None,
        part: str = "all") -> None:
    """part: passes (found and cost per pass plan), light (darkened frames), or all."""
    set_threads(threads)
    video = Path(video) if video else VTEST
    base = PoseEstimator.from_file()
    size = base.input_size
    ref_est = PoseEstimator.from_file(input_size=(768, 576))
    plans = {f"{p}" + (f" x{z}" if p == "zoom" else ""): MultiPassEstimator(base, p, max_zooms=z) for p, z in PLANS}
    big = PoseEstimator.from_file(input_size=(512, 384))
    plans["single 512x384"] = MultiPassEstimator(big)
    exposures = {m: MultiPassEstimator(base, exposure=m) for m in EXPOSURES}
    rng = np.random.default_rng(0)
    counts = {k: np.zeros(3, dtype=int) for k in plans}  # found, matched, new
    ms = {k: [] for k in plans}
    ref_name = "single 768x576 (reference)"
    ms[ref_name] = []
    dark = {(b, m): np.zeros(2, dtype=int) for b in BRIGHTNESS for m in EXPOSURES}  # found, matched
    ref_total = lit_total = n = 0
    # warm-up: trace every input size once
    first = next(video_frames(video, every, 1))
    cam = Camera.default_for(first.shape[1], first.shape[0])
    for est in [*plans.values(), ref_est] if part != "light" else [base]:
        est.estimate(first, cam)
    for img in video_frames(video, every, limit):
        cam = Camera.default_for(img.shape[1], img.shape[0])
        n += 1
        if part != "light":
            ref, t = timed(ref_est, img, cam)
            ms[ref_name].append(t)
            counts[ref_name] = counts.get(ref_name, np.zeros(3, dtype=int)) + [len(ref), len(ref), 0]
            ref_total += len(ref)
        for name, est in plans.items() if part != "light" else ():
            poses, t = timed(est, img, cam)
            ms[name].append(t)
            m = matched(ref, poses)
            counts[name] += [len(poses), m, len(poses) - m]
        if part == "passes":
            continue
        lit = base.estimate(img, cam)
        lit_total += len(lit)
        for b in BRIGHTNESS:
            dim = darken(img, b, rng)
            for mode, est in exposures.items():
                poses = est.estimate(dim, cam)
                dark[(b, mode)] += [len(poses), matched(lit, poses)]
    if part != "light":
        print_passes(n, video, every, img.shape, size, threads, ref_total, plans, ref_name, counts, ms)
    if part != "passes":
        print_light(size, lit_total, dark)


def print_passes(n, video, every, shape, size, threads, ref_total, plans, ref_name, counts, ms):
    single = np.median(ms["single"])
    print(f"{n} frames of {video} (every {every}th), {shape[1]}x{shape[0]}, default input {size[0]}x{size[1]}, "
          f"{threads} threads; reference = one pass at 768x576: {ref_total} people")
    print("| passes | found | of reference | new | ms/frame (median) | cost vs single |")
    print("|---|---|---|---|---|---|")
    for name in [*plans, ref_name]:
        f, m, new = counts[name]
        med = np.median(ms[name])
        print(f"| {name} | {f} | {m} ({100 * m / max(1, ref_total):.1f} %) | {new} | {med:.1f} | {med / single:.2f}x |")


def print_light(size, lit_total, dark):
    print(f"\npoor light (single pass at {size[0]}x{size[1]}; darkened with shot + read noise; "
          f"'of lit' = matched to the {lit_total} people found on the original frames):")
    print("| brightness | exposure | found | of lit |")
    print("|---|---|---|---|")
    for (b, mode), (f, m) in dark.items():
        print(f"| {b:.0%} | {mode} | {f} ({100 * f / max(1, lit_total):.1f} %) | {m} ({100 * m / max(1, lit_total):.1f} %) |")
