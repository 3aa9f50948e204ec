"""The usual person-score threshold on lit real frames without labels (issue 10 lever 5, issue 15):
what a lower `score_threshold` finds and what false people it adds.

Protocol of `drm bench recall` / tools/dark_levers.py: the reference is one default pass at the
frame's native size (768x576 for vtest.avi; other images: their size rounded up to multiples of
32) at the usual 0.2; the tested pass is the default 384x288 at each threshold. Per threshold:
found = people matched to a reference person (17 joints within 20 % of its height), false =
the others, of them ghosts = nothing there in the native pass even at CANDIDATE (the rest are
real people the native pass holds between CANDIDATE and 0.2). Each pass runs once at the lowest
threshold needed and each threshold keeps its own people (exact while fewer than max_persons pass).
Even and odd frames are counted apart: choose on one half, report the other.
`--people-free IMAGES`: images that hold no person (checked by eye): every person found is false.

    nice -n 5 .venv/bin/python tools/lit_threshold.py --every 10 --thresholds 0.2,0.17,0.15,0.12,0.1 \
        [--images a.jpg b.png ...] [--people-free a.jpg ...]
"""
import argparse
import sys

import numpy as np

from drm_ros.bench.recall import VTEST, matched, video_frames
from drm_ros.bench.timing import set_threads
from drm_ros.camera import Camera
from drm_ros.exposure import is_dark
from drm_ros.imageio import read_rgb
from drm_ros.inference import INPUT_MULTIPLE, PoseEstimator

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from dark_levers import CANDIDATE, unmatched  # noqa: E402  (the same matching rules)

REFERENCE = 0.2  # the reference pass keeps today's threshold: the people MoveNet finds at native size


def native_size(w: int, h: int) -> tuple[int, int]:
    up = lambda v: -(-v // INPUT_MULTIPLE) * INPUT_MULTIPLE  # noqa: E731
    return up(w), up(h)


def people_free(test, paths, thresholds) -> int:
    scores = []
    for p in paths:
        img = read_rgb(p)
        found = test.estimate(img, Camera.default_for(img.shape[1], img.shape[0]))
        scores.append(found.scores)
        print(f"{p}: {len(found)} at >= {min(thresholds):g} (scores {', '.join(f'{v:.3f}' for v in found.scores)})")
    print(f"{len(paths)} images without people; one pass {test.input_size[0]}x{test.input_size[1]}")
    print("| threshold | people found (all false) | images with any | per 100 images |")
    print("|---|---|---|---|")
    for t in thresholds:
        n = [int((s >= t).sum()) for s in scores]
        print(f"| {t:g} | {sum(n)} | {sum(v > 0 for v in n)} | {100 * sum(n) / len(paths):.1f} |")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--every", type=int, default=10)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--thresholds", default="0.2,0.17,0.15,0.12,0.1")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--images", nargs="*", default=None, help="image files instead of vtest.avi frames")
    ap.add_argument("--people-free", nargs="*", default=None, help="images without people: count what is found")
    args = ap.parse_args()
    set_threads(args.threads)
    thresholds = sorted((float(t) for t in args.thresholds.split(",")), reverse=True)
    test = PoseEstimator.from_file(score_threshold=min(thresholds))
    if args.people_free:
        return people_free(test, args.people_free, thresholds)
    native: dict[tuple[int, int], PoseEstimator] = {}
    counts = {(t, h): np.zeros(3, int) for t in thresholds for h in (0, 1)}  # found, false, ghosts
    ref_half = np.zeros(2, int)
    dark = n = 0
    frames = [read_rgb(p) for p in args.images] if args.images else video_frames(VTEST, args.every, args.limit)
    for i, img in enumerate(frames):
        h, w = img.shape[:2]
        cam = Camera.default_for(w, h)
        size = native_size(w, h)
        if size not in native:
            native[size] = PoseEstimator.from_file(input_size=size, score_threshold=CANDIDATE)
        cand = native[size].estimate(img, cam)
        ref = cand.select(cand.scores >= REFERENCE)
        low = test.estimate(img, cam)
        ref_half[i % 2] += len(ref)
        dark += is_dark(img)
        n += 1
        for t in thresholds:
            keep = low.select(low.scores >= t)
            m = matched(ref, keep)
            ghosts = len(unmatched(cand, keep.select(unmatched(ref, keep))))
            counts[(t, i % 2)] += [m, len(keep) - m, ghosts]
        if n % 10 == 0:
            print(f"frame {n}: {ref_half.sum()} reference people so far", file=sys.stderr, flush=True)
    source = ", ".join(args.images) if args.images else f"vtest.avi (every {args.every}th)"
    print(f"{n} frames of {source} ({dark} dark: exposure would brighten them, not counted apart); reference = one "
          f"pass at native size ({', '.join(f'{a}x{b}' for a, b in native)}) at {REFERENCE:g}: {ref_half.sum()} "
          f"people (even frames {ref_half[0]}, odd {ref_half[1]}); tested = one pass "
          f"{test.input_size[0]}x{test.input_size[1]}; "
          f"ghost = false with no native candidate >= {CANDIDATE:g}; torch {args.threads} thread(s)")
    print("| threshold | found (all) | even frames | odd frames | false (even / odd) | ghosts (even / odd) | "
          "false per 100 frames | ghosts per 100 frames |")
    print("|---|---|---|---|---|---|---|---|")
    halves = [max(1, (n + 1) // 2), max(1, n // 2)]
    for t in thresholds:
        e, o = counts[(t, 0)], counts[(t, 1)]
        a = e + o
        pct = lambda k, total: f"{k} ({100 * k / max(1, total):.1f} %)"  # noqa: E731
        print(f"| {t:g} | {pct(a[0], ref_half.sum())} | {pct(e[0], ref_half[0])} | {pct(o[0], ref_half[1])} | "
              f"{a[1]} ({e[1]} / {o[1]}) | {a[2]} ({e[2]} / {o[2]}) | "
              f"{100 * a[1] / n:.1f} (even {100 * e[1] / halves[0]:.1f}, odd {100 * o[1] / halves[1]:.1f}) | "
              f"{100 * a[2] / n:.1f} (even {100 * e[2] / halves[0]:.1f}, odd {100 * o[2] / halves[1]:.1f}) |",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
