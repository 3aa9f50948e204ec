"""What one more pass costs besides its pixels (issue 15: could small crops, or crops batched into
one pass, buy the passes target?). Times `PoseEstimator.estimate` on crops of one vtest frame at
several input sizes, interleaved round by round (a busy CPU weighs on each alike), and fits
ms = fixed + per-pixel x input pixels by least squares over each size's fastest time (a busy CPU
only ever adds time; on a loaded machine the medians scatter too widely to fit): `fixed` is what every
extra pass pays whatever its size (preprocessing, the decode, Python), the most that batching
same-size crops into one pass could save per crop.

    nice -n 5 .venv/bin/python tools/pass_overhead.py [--rounds 15]
"""
import argparse
import sys
import time

import numpy as np

from drm_ros.bench.recall import VTEST, video_frames
from drm_ros.bench.timing import set_threads
from drm_ros.camera import Camera
from drm_ros.inference import PoseEstimator

SIZES = ((128, 160), (192, 256), (256, 192), (384, 288), (448, 352), (512, 384))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    set_threads(args.threads)
    img = next(video_frames(VTEST, 40, 1))
    cam = Camera.default_for(img.shape[1], img.shape[0])
    ests = {s: PoseEstimator.from_file(input_size=s) for s in SIZES}
    # each size sees a crop of the frame with its own aspect (the way a zoom crop is seen)
    crops = {s: (np.ascontiguousarray(img[:min(img.shape[0], s[1] * 2), :min(img.shape[1], s[0] * 2)])) for s in SIZES}
    cams = {s: cam.crop(0, 0, crops[s].shape[1], crops[s].shape[0]) for s in SIZES}
    ms = {s: [] for s in SIZES}
    for r in range(args.rounds + 3):
        for s in (SIZES if r % 2 else SIZES[::-1]):
            t = time.perf_counter()
            ests[s].estimate(crops[s], cams[s])
            if r >= 3:  # three warm-up rounds
                ms[s].append((time.perf_counter() - t) * 1000)
    med = np.array([np.median(ms[s]) for s in SIZES])
    fast = np.array([np.min(ms[s]) for s in SIZES])
    px = np.array([w * h for w, h in SIZES], dtype=float)
    per_px, fixed = np.polyfit(px, fast, 1)
    print(f"vtest frame crops, torch {args.threads} thread(s), {args.rounds} interleaved rounds; "
          f"fit of the fastest ms = {fixed:.1f} + {per_px * 1e3:.3f} per 1000 input pixels")
    print("| input | pixels | ms fastest | fit | fastest of 384x288's | ms median [p10-p90] |")
    print("|---|---|---|---|---|---|")
    unit = fast[SIZES.index((384, 288))]
    for s, f, m, p in zip(SIZES, fast, med, px):
        print(f"| {s[0]}x{s[1]} | {int(p)} | {f:.1f} | {fixed + per_px * p:.1f} | {f / unit:.2f}x | "
              f"{m:.1f} [{np.percentile(ms[s], 10):.1f}-{np.percentile(ms[s], 90):.1f}] |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
