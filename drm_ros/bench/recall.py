"""`drm bench recall`: people found on real frames (vtest.avi) by each pass plan and exposure mode,
next to what they cost (`--plans` picks plans, `--exposures` modes, `--backend` the runtime).

Reference: the default model at the video's native 768x576 in one pass at 0.2 (its 2D branch is
MoveNet's, unchanged: model/logs/real_frame_detections.log). Every configuration is scored
against it per frame: people found, matched to a reference person (mean distance of the 17
joints within 20 % of that person's height), new (found, not in the reference), and the median
milliseconds per frame, and the cost: the median over frames of its time divided by today's
single default pass's time on the same frame (every plan runs on each frame back to back, so a
busy CPU weighs on each alike).

Poor light: the same frames darkened to a brightness fraction with shot and read noise
(`exposure.darken`), found and matched against the default pass on the original frames, for each
exposure mode and each person threshold on frames it found dark (`--dark-thresholds`); false =
found in the dark, not among the lit frame's people.
"""
from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np

from drm_ros.bench.timing import set_threads
from drm_ros.camera import Camera
from drm_ros.exposure import DARK_SCORE_THRESHOLD, EXPOSURE_MODES, darken
from drm_ros.inference import PoseEstimator
from drm_ros.passes import MultiPassEstimator
from drm_ros.tracking import greedy_pairs

VTEST = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")
BRIGHTNESS = (1.0, 0.3, 0.2, 0.1)
EXPOSURES = EXPOSURE_MODES


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


def pairs(ref, other) -> dict[int, int]:
    """ref index -> other index for the people of `other` that are people of `ref` (17 joints
    within 20 % of the ref person's height on average), greedily."""
    if len(ref) == 0 or len(other) == 0:
        return {}
    d = np.linalg.norm(ref.joints2d[:, None, :17] - other.joints2d[None, :, :17], axis=-1).mean(-1)
    gate = 0.2 * np.maximum(np.ptp(ref.joints2d[..., 1], axis=-1), 10.0)
    return dict(greedy_pairs(d / gate[:, None], 1.0))


def matched(ref, other) -> int:
    """How many people of `other` are people of `ref` (`pairs`)."""
    return len(pairs(ref, other))


def timed(estimator, image, camera):
    t = time.perf_counter()
    poses = estimator.estimate(image, camera)
    return poses, (time.perf_counter() - t) * 1000


# name -> (first-pass input size or None for the model's, passes, max_zooms)
PLANS = {
    "single": (None, "single", 0),
    "zoom x1": (None, "zoom", 1),
    "zoom x2": (None, "zoom", 2),
    "single 448x352": ((448, 352), "single", 0),
    "448x352 + zoom x1": ((448, 352), "zoom", 1),
    "single 480x352": ((480, 352), "single", 0),
    "480x352 + zoom x1": ((480, 352), "zoom", 1),
    "single 512x384": ((512, 384), "single", 0),
    "tiles": (None, "tiles", 0),
}
# tiles cost ~11x (model/logs/recall/vtest_passes_rebuild_per_switch.log): only on request
DEFAULT_PLANS = tuple(p for p in PLANS if p != "tiles")
REFERENCE = "single 768x576 (reference)"
REFERENCE_THRESHOLD = 0.2


def build_plans(names, backend: str, threads: int) -> dict:
    """One estimator per first-pass size (its zoom crops share it: two compiled sizes each)."""
    by_size: dict = {}
    plans = {}
    for name in names:
        size, passes, zooms = PLANS[name]
        if size not in by_size:
            by_size[size] = PoseEstimator.from_file(input_size=size, backend=backend, threads=threads)
        plans[name] = MultiPassEstimator(by_size[size], passes, max_zooms=zooms)
    return plans


def run(threads: int = 2, repeats: int = 20, video: Path | None = None, every: int = 8, limit: int | None = None,
        part: str = "all", plans: str | None = None, exposures: str | None = None, backend: str = "torch",
        rounds: int = 3, draws: int = 1, dark_thresholds: str | None = None) -> None:
    """part: passes (found and cost per pass plan), light (darkened frames), or all. plans,
    exposures: comma-separated subsets (default: every plan but tiles; every exposure mode);
    dark_thresholds: comma-separated thresholds for dark frames (default: DARK_SCORE_THRESHOLD)."""
    set_threads(threads)
    video = Path(video) if video else VTEST
    names = [p.strip() for p in plans.split(",")] if plans else list(DEFAULT_PLANS)
    modes = [m.strip() for m in exposures.split(",")] if exposures else list(EXPOSURES)
    for name in names:
        if name not in PLANS:
            raise SystemExit(f"drm bench recall: unknown plan {name!r}; plans: {', '.join(PLANS)}")
    if "single" not in names:
        names.insert(0, "single")  # the cost unit
    base = PoseEstimator.from_file(backend=backend, threads=threads)
    first = next(video_frames(video, every, 1))
    if part != "light":
        passes_part(video, every, limit, build_plans(names, backend, threads), base.input_size, threads, backend,
                    first, rounds)
    if part != "passes":
        darks = [float(t) for t in dark_thresholds.split(",")] if dark_thresholds else [DARK_SCORE_THRESHOLD]
        light_part(video, every, limit, base, modes, draws, darks)


def passes_part(video, every, limit, plans, size, threads, backend, first, rounds: int = 3) -> None:
    """Every plan and the reference on each frame back to back, `rounds` times (order reversed
    every other round, so neither the first nor the last slot is always the same plan's); a
    plan's time on a frame is its fastest round (a busy CPU only ever adds time); cost = median
    over frames of that time / the single default pass's on the same frame."""
    # the reference stays at 0.2 whatever the default threshold: issue 15's "people MoveNet finds"
    ref_est = PoseEstimator.from_file(input_size=(768, 576), score_threshold=REFERENCE_THRESHOLD, backend=backend,
                                      threads=threads)
    runs = {**plans, REFERENCE: ref_est}
    cam = Camera.default_for(first.shape[1], first.shape[0])
    for est in runs.values():  # warm-up: build every input size's network, let TorchScript optimise
        for _ in range(3):
            est.estimate(first, cam)
    counts = {k: np.zeros(3, dtype=int) for k in runs}  # found, matched, new
    ms = {k: [] for k in runs}
    ref_total = n = 0
    for n, img in enumerate(video_frames(video, every, limit), 1):
        cam = Camera.default_for(img.shape[1], img.shape[0])
        found, best = {}, {}
        for r in range(rounds):
            for name in (list(runs) if r % 2 else list(runs)[::-1]):
                found[name], t = timed(runs[name], img, cam)
                best[name] = min(t, best.get(name, np.inf))
        for name, t in best.items():
            ms[name].append(t)
        ref = found[REFERENCE]
        ref_total += len(ref)
        for name, poses in found.items():
            m = matched(ref, poses)
            counts[name] += [len(poses), m, len(poses) - m]
    single = np.array(ms["single"])
    print(f"{n} frames of {video} (every {every}th), {first.shape[1]}x{first.shape[0]}, default input "
          f"{size[0]}x{size[1]}, backend {backend}, {threads} threads; reference = one pass at 768x576: "
          f"{ref_total} people; ms = fastest of {rounds} interleaved rounds per frame; cost = median over frames "
          f"of (plan ms / single ms on that frame) [p10-p90]")
    print("| passes | found | of reference | new | ms/frame (median) | cost vs single |")
    print("|---|---|---|---|---|---|")
    for name in runs:
        f, m, new = counts[name]
        ratio = np.array(ms[name]) / single
        print(f"| {name} | {f} | {m} ({100 * m / max(1, ref_total):.1f} %) | {new} | {np.median(ms[name]):.1f} | "
              f"{np.median(ratio):.2f}x [{np.percentile(ratio, 10):.2f}-{np.percentile(ratio, 90):.2f}] |",
              flush=True)


def light_part(video, every, limit, base, modes, draws: int = 1, dark_thresholds=(DARK_SCORE_THRESHOLD,)) -> None:
    """Each frame darkened `draws` times per brightness (one noise draw on 20 frames moves a row
    by several people); every mode and dark threshold sees the same dark pixels."""
    exposures = {(m, t): MultiPassEstimator(base, exposure=m, dark_score_threshold=t)
                 for m in modes for t in dark_thresholds}
    rng = np.random.default_rng(0)
    dark = {(b, *k): np.zeros(2, dtype=int) for b in BRIGHTNESS for k in exposures}  # found, matched
    lit_total = 0
    for img in video_frames(video, every, limit):
        cam = Camera.default_for(img.shape[1], img.shape[0])
        lit = base.estimate(img, cam)
        lit_total += len(lit)
        for b in (b for b in BRIGHTNESS for _ in range(draws)):
            dim = darken(img, b, rng)
            for key, est in exposures.items():
                poses = est.estimate(dim, cam)
                dark[(b, *key)] += [len(poses), matched(lit, poses)]
    print_light(base.input_size, lit_total, dark, draws)


def print_light(size, lit_total, dark, draws: int = 1):
    print(f"\npoor light (single pass at {size[0]}x{size[1]}; darkened with shot + read noise, {draws} noise "
          f"draw(s) per frame; 'of lit' = matched to the {lit_total} people found on the original frames, "
          f"x {draws} draw(s)):")
    print("| brightness | exposure | threshold on dark frames | found | of lit | false |")
    print("|---|---|---|---|---|---|")
    total = max(1, lit_total * draws)
    for (b, mode, t), (f, m) in dark.items():
        print(f"| {b:.0%} | {mode} | {t:g} | {f} ({100 * f / total:.1f} %) | {m} ({100 * m / total:.1f} %) | {f - m} |")
