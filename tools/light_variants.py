"""Which exposure normalisation finds the most people in poor light (issue 15): every candidate
on the same darkened vtest.avi frames, matched to the people one default pass finds on the
original frames (the protocol of `drm bench recall --part light`), with each candidate's own
cost per frame. Candidates that pay become `exposure` modes (drm_ros/exposure.py).

    nice -n 5 .venv/bin/python tools/light_variants.py --every 40 --limit 20 [--variants a,b]

Every variant sees the same dark pixels (one darkened copy per frame and brightness).
"""
import argparse
import sys
import time

import cv2
import numpy as np

from drm_ros.bench.recall import VTEST, matched, video_frames
from drm_ros.bench.timing import set_threads
from drm_ros.camera import Camera
from drm_ros.exposure import DARK_LUMA, brighten, darken, mean_log_luma, normalise_exposure
from drm_ros.imageio import read_rgb
from drm_ros.inference import PoseEstimator


def bilateral(img):
    # edge-preserving; sigmaColor ~3x the noise of a 20 % frame (shot ~3 DN + read 2 DN)
    return cv2.bilateralFilter(img, 5, 12, 2)


def down_up(img):
    h, w = img.shape[:2]
    small = cv2.resize(img, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def chroma_denoise(img, sigma=2.0):
    # blur only the colour (Cr, Cb): per-channel shot noise is mostly colour speckle, and camera
    # pipelines smooth chroma hard while keeping luma sharp
    ycc = cv2.cvtColor(img, cv2.COLOR_RGB2YCrCb)
    ycc[..., 1:] = cv2.GaussianBlur(ycc[..., 1:], (0, 0), sigma)
    return cv2.cvtColor(ycc, cv2.COLOR_YCrCb2RGB)


def chroma_half(img, sigma=1.0):
    # the same at half resolution: colour needs little resolution, and a quarter of the pixels is cheaper
    h, w = img.shape[:2]
    ycc = cv2.cvtColor(img, cv2.COLOR_RGB2YCrCb)
    small = cv2.resize(ycc[..., 1:], (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    ycc[..., 1:] = cv2.resize(cv2.GaussianBlur(small, (0, 0), sigma), (w, h), interpolation=cv2.INTER_LINEAR)
    return cv2.cvtColor(ycc, cv2.COLOR_YCrCb2RGB)


def gray(img):
    # no colour at all: the luma (a weighted mean of the three noisy channels) in every channel
    return cv2.cvtColor(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)


def blur(sigma):
    return lambda img: cv2.GaussianBlur(img, (0, 0), sigma)


def variant(curve="gamma", target=0.4, clahe=False, pre=None):
    def run(img):
        luma = mean_log_luma(img)
        if luma >= DARK_LUMA:
            return img
        return brighten(pre(img) if pre else img, luma, curve, target, clahe=clahe)
    return run


VARIANTS = {
    "off": lambda img: img,
    "gamma": variant(),
    "gamma t0.3": variant(target=0.3),
    "gamma t0.5": variant(target=0.5),
    "gamma+clahe": variant(clahe=True),
    "gamma blur1": variant(pre=blur(1.0)),
    "gamma blur1.5": variant(pre=blur(1.5)),
    "gamma bilateral": variant(pre=bilateral),
    "gamma down2": variant(pre=down_up),
    "gain": variant("gain"),  # without the chroma denoise of exposure's gain mode
    "gain t0.5": variant("gain", 0.5),
    "gain blur1": variant("gain", pre=blur(1.0)),
    "gain+clahe": variant("gain", clahe=True),
    "gain t0.3": variant("gain", 0.3),
    "gain chroma": variant("gain", pre=chroma_denoise),
    "gain chroma4": variant("gain", pre=lambda img: chroma_denoise(img, 4.0)),
    "gamma+clahe chroma": variant(clahe=True, pre=chroma_denoise),
    "mode gain": lambda img: normalise_exposure(img, "gain"),  # exposure.py's gain mode as shipped
    "gain chroma half": variant("gain", pre=chroma_half),
    "gain chroma half2": variant("gain", pre=lambda img: chroma_half(img, 2.0)),
    "gain gray": variant("gain", pre=gray),
}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--every", type=int, default=40)
    ap.add_argument("--limit", type=int, default=20)
    ap.add_argument("--brightness", default="1,0.3,0.2,0.1")
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--images", nargs="*", default=None, help="image files instead of vtest.avi frames")
    ap.add_argument("--seeds", type=int, default=1, help="noise draws per frame and brightness (one draw is noisy)")
    args = ap.parse_args()
    set_threads(args.threads)
    names = args.variants.split(",")
    levels = [float(b) for b in args.brightness.split(",")]
    base = PoseEstimator.from_file()
    found = {(b, v): 0 for b in levels for v in names + ["off"]}
    ms = {v: [] for v in names}
    lit_total = n = 0
    frames = [read_rgb(p) for p in args.images] if args.images else video_frames(VTEST, args.every, args.limit)
    for i, img in enumerate(frames):
        cam = Camera.default_for(img.shape[1], img.shape[0])
        lit = base.estimate(img, cam)
        lit_total += len(lit)
        n += 1
        for b, seed in ((b, seed) for b in levels for seed in range(args.seeds)):
            dim = darken(img, b, np.random.default_rng([i, int(b * 100)] + ([seed] if seed else [])))
            for v in (["off"] if b >= 1 else names):  # a lit frame is never altered by any variant
                t = time.perf_counter()
                shown = VARIANTS[v](dim)
                if b == 0.2:
                    ms[v].append((time.perf_counter() - t) * 1000)
                found[(b, v)] += matched(lit, base.estimate(shown, cam))
        print(f"frame {n}: {lit_total} lit people so far", file=sys.stderr, flush=True)
    source = f"{', '.join(args.images)}" if args.images else f"vtest.avi (every {args.every}th)"
    print(f"{n} frames of {source}, single pass {base.input_size[0]}x{base.input_size[1]}, "
          f"torch {args.threads} threads; people matched to the {lit_total} found on the original frames, "
          f"summed over {args.seeds} noise draw(s)")
    lit_total *= args.seeds
    dims = [b for b in levels if b < 1]
    print("| variant | " + " | ".join(f"{b:.0%}" for b in dims) + " | ms/frame at 20 % (median) |")
    print("|---|" + "---|" * (len(dims) + 1))
    if 1.0 in levels:
        print(f"| (100 %, every variant: lit frames untouched) | {found[(1.0, 'off')]} "
              f"({100 * found[(1.0, 'off')] / lit_total:.1f} %) |")
    for v in names:
        cells = " | ".join(f"{found[(b, v)]} ({100 * found[(b, v)] / max(1, lit_total):.1f} %)" for b in dims)
        print(f"| {v} | {cells} | {np.median(ms[v]) if ms[v] else 0:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
