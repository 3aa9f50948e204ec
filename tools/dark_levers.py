"""Levers for poor light beyond `exposure: gain` (issue 15, session 6): noise-aware processing and
a lower person-score threshold on frames the exposure step marked dark. Each variant brightens
the same darkened pixels (the 40 x 3 protocol of tools/light_variants.py: same frames, same noise
seeds); every dark image goes through the network once at the lowest threshold asked for, and
each threshold keeps its own people from that one result (the decode keeps the highest scores,
so this equals a run at that threshold while fewer than max_persons people pass it).

Reported per variant and threshold: people matched to those one default pass finds on the lit
frame (all frames, even frames, odd frames: choose on one half, check on the other) and false
people (found in the dark, not among the lit frame's people), split into those the lit frame
also holds below the threshold (a lit candidate of score >= CANDIDATE: a real, borderline person)
and ghosts (nothing there on the lit frame even at CANDIDATE).

    nice -n 5 .venv/bin/python tools/dark_levers.py --every 20 --limit 40 --seeds 3 \
        --variants "mode gain,..." --thresholds 0.2,0.15,0.1 [--images a.jpg b.png ...]
"""
import argparse
import sys
import time

import cv2
import numpy as np

from drm_ros.bench.recall import VTEST, matched, pairs, video_frames
from drm_ros.bench.timing import set_threads
from drm_ros.camera import Camera
from drm_ros.exposure import DARK_LUMA, brighten, darken, denoise_chroma, gain_for, mean_log_luma, \
    normalise_exposure
from drm_ros.imageio import read_rgb
from drm_ros.inference import PoseEstimator

CANDIDATE = 0.05  # a lit-frame person this sure counts as real when the dark frame finds it


def unmatched(ref, other) -> np.ndarray:
    """Indices of `other`'s people that are none of `ref`'s (the matching rule of `matched`)."""
    hit = set(pairs(ref, other).values())
    return np.array([j for j in range(len(other)) if j not in hit], dtype=np.int64)


def luma_noise(img) -> float:
    """Noise sigma (digital numbers) of the luminance, from the median absolute value of a
    Laplacian-like high-pass (Immerkaer's mask: zero response to planes and ramps, so edges
    weigh little in a median); 1.4826 * MAD / ||mask|| (= 6) is a Gaussian's sigma."""
    y = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32)
    mask = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)
    hp = cv2.filter2D(y, -1, mask)[1:-1, 1:-1]
    return float(1.4826 * np.median(np.abs(hp)) / 6.0)


def gain_then(post=None, pre=None, chroma_sigma=None):
    """The shipped gain mode with an extra step before (on the dark pixels) or after (on the
    brightened ones); `chroma_sigma(img, luma)` picks the chroma blur per image."""
    def run(img):
        luma = mean_log_luma(img)
        if luma >= DARK_LUMA:
            return img
        x = pre(img, luma) if pre else img
        if chroma_sigma is None:
            out = brighten(x, luma, "gain", chroma=True)
        else:
            out = brighten(denoise_chroma(x, chroma_sigma(img, luma)), luma, "gain")
        return post(out, img, luma) if post else out
    return run


def out_noise(img, luma) -> float:
    """Luma noise after the gain, in output digital numbers."""
    return luma_noise(img) * gain_for(luma)


def adaptive_luma_blur(k, floor):
    # a Gaussian on luma only, sigma = k x the post-gain noise above `floor` DN (at most 1): none on
    # a clean frame, ~0.5 px at 20 % light (16 DN) with k = 1/16, floor 8
    def post(out, img, luma):
        s = min(1.0, k * max(0.0, out_noise(img, luma) - floor))
        if s < 0.3:
            return out
        ycc = cv2.cvtColor(out, cv2.COLOR_RGB2YCrCb)
        ycc[..., 0] = cv2.GaussianBlur(ycc[..., 0], (0, 0), s)
        return cv2.cvtColor(ycc, cv2.COLOR_YCrCb2RGB)
    return post


def luma_bilateral(mult):
    # edge-preserving on luma only, range sigma = mult x the measured post-gain noise
    def post(out, img, luma):
        n = out_noise(img, luma)
        ycc = cv2.cvtColor(out, cv2.COLOR_RGB2YCrCb)
        ycc[..., 0] = cv2.bilateralFilter(ycc[..., 0], 5, mult * n, 1.5)
        return cv2.cvtColor(ycc, cv2.COLOR_YCrCb2RGB)
    return post


def luma_median(out, img, luma):
    ycc = cv2.cvtColor(out, cv2.COLOR_RGB2YCrCb)
    ycc[..., 0] = cv2.medianBlur(ycc[..., 0], 3)
    return cv2.cvtColor(ycc, cv2.COLOR_YCrCb2RGB)


def luma_nlm(mult):
    # non-local means on luma at half resolution (where the network looks anyway), h from the noise
    def post(out, img, luma):
        h, w = out.shape[:2]
        n = out_noise(img, luma) / 2  # a 2x2 mean halves it
        ycc = cv2.cvtColor(out, cv2.COLOR_RGB2YCrCb)
        small = cv2.resize(ycc[..., 0], (w // 2, h // 2), interpolation=cv2.INTER_AREA)
        small = cv2.fastNlMeansDenoising(small, None, mult * n, 5, 11)
        ycc[..., 0] = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
        return cv2.cvtColor(ycc, cv2.COLOR_YCrCb2RGB)
    return post


def black_level(img, luma):
    # clipped read noise leaves black above zero; take the darkest percentile as black
    lo = np.percentile(img[::4, ::4], 0.5, axis=(0, 1)).astype(np.int16)
    return np.clip(img.astype(np.int16) - lo, 0, 255).astype(np.uint8)


VARIANTS = {
    "mode gain": lambda img: normalise_exposure(img, "gain"),
    # chroma sigma from the noise: 2 px (the shipped value) at 16 DN, 20 % light
    "chroma adaptive": gain_then(chroma_sigma=lambda img, luma: float(np.clip(out_noise(img, luma) / 8, 1, 4))),
    "luma blur adaptive": gain_then(post=adaptive_luma_blur(1 / 16, 8)),
    "luma blur adaptive soft": gain_then(post=adaptive_luma_blur(1 / 32, 8)),
    "luma bilateral 1": gain_then(post=luma_bilateral(1.0)),
    "luma bilateral 2": gain_then(post=luma_bilateral(2.0)),
    "luma median3": gain_then(post=luma_median),
    "luma nlm 1": gain_then(post=luma_nlm(1.0)),
    "luma nlm 0.6": gain_then(post=luma_nlm(0.6)),
    "black level": gain_then(pre=black_level),
}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--every", type=int, default=20)
    ap.add_argument("--limit", type=int, default=40)
    ap.add_argument("--brightness", type=float, default=0.2)
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--thresholds", default="0.2")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--images", nargs="*", default=None, help="image files instead of vtest.avi frames")
    ap.add_argument("--seeds", type=int, default=3, help="noise draws per frame")
    args = ap.parse_args()
    set_threads(args.threads)
    names = args.variants.split(",")
    thresholds = [float(t) for t in args.thresholds.split(",")]
    base = PoseEstimator.from_file()
    low = PoseEstimator.from_file(score_threshold=min(thresholds))
    cand = PoseEstimator.from_file(score_threshold=CANDIDATE)
    b = args.brightness
    # (variant, threshold, half) -> [matched, false]; half 0 = even frames, 1 = odd
    counts = {(v, t, h): np.zeros(3, int) for v in names for t in thresholds for h in (0, 1)}  # matched, false, ghosts
    lit_half = np.zeros(2, int)
    ms = {v: [] for v in names}
    noise = []
    frames = [read_rgb(p) for p in args.images] if args.images else video_frames(VTEST, args.every, args.limit)
    n = 0
    for i, img in enumerate(frames):
        cam = Camera.default_for(img.shape[1], img.shape[0])
        lit = base.estimate(img, cam)
        lit_cand = cand.estimate(img, cam)
        lit_half[i % 2] += len(lit) * args.seeds
        n += 1
        for seed in range(args.seeds):
            dim = darken(img, b, np.random.default_rng([i, int(b * 100)] + ([seed] if seed else [])))
            noise.append(out_noise(dim, mean_log_luma(dim)))
            for v in names:
                t0 = time.perf_counter()
                shown = VARIANTS[v](dim)
                ms[v].append((time.perf_counter() - t0) * 1000)
                found = low.estimate(shown, cam)
                for t in thresholds:
                    keep = found.select(found.scores >= t)
                    m = matched(lit, keep)
                    ghosts = len(unmatched(lit_cand, keep.select(unmatched(lit, keep))))
                    counts[(v, t, i % 2)] += [m, len(keep) - m, ghosts]
        print(f"frame {n}: {lit_half.sum() // args.seeds} lit people so far", file=sys.stderr, flush=True)
    source = ", ".join(args.images) if args.images else f"vtest.avi (every {args.every}th)"
    print(f"{n} frames of {source} at {b:.0%} brightness x {args.seeds} noise draw(s); single pass "
          f"{base.input_size[0]}x{base.input_size[1]}, torch {args.threads} thread(s); people matched to the "
          f"{lit_half.sum() // args.seeds} found on the lit frames (x draws: even frames {lit_half[0]}, odd "
          f"{lit_half[1]}); false = found in the dark, not a lit person; post-gain luma noise "
          f"median {np.median(noise):.1f} DN [{np.percentile(noise, 10):.1f}-{np.percentile(noise, 90):.1f}]")
    print(f"| variant | threshold | all | even frames | odd frames | false | of them ghosts (no lit candidate "
          f">= {CANDIDATE}) | ms/frame (median) |")
    print("|---|---|---|---|---|---|---|---|")
    total = max(1, lit_half.sum())
    for v in names:
        for t in thresholds:
            e, o = counts[(v, t, 0)], counts[(v, t, 1)]
            a = e + o
            print(f"| {v} | {t:g} | {a[0]} ({100 * a[0] / total:.1f} %) | {100 * e[0] / max(1, lit_half[0]):.1f} % | "
                  f"{100 * o[0] / max(1, lit_half[1]):.1f} % | {a[1]} | {a[2]} | {np.median(ms[v]):.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
