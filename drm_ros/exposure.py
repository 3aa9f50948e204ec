"""Exposure normalisation before the network, for dark images (MoveNet saw few of them).

    off    the image as it arrives.
    gain   when dark, the colour noise smoothed (`denoise_chroma`), then the linear gain, chosen
           from the image's own mean log-luminance (the geometric mean, as camera auto-exposure
           meters: a few bright lamps do not hide a dark scene), that brings that mean to
           TARGET_LUMA, at most MAX_GAIN. Less light on a sensor scales its values, and a
           power-law (sRGB-like) encoding keeps that a scaling, so a gain undoes under-exposure
           where a gamma bends the tones the network learnt.
    gamma  when dark, the gamma curve that brings the same mean to TARGET_LUMA.
    clahe  when dark, that gamma, then contrast-limited adaptive histogram equalisation of the
           luminance (local contrast for dim people next to bright areas).

Measured on darkened vtest frames (docs/measured.md "Small people and poor light",
model/logs/recall/light_variants_*.log): gain finds the most people at every brightness
tried (30, 20, 10 %); the chroma denoise is most of its lead over gamma at 20 and 10 %.

"Dark" = mean log-luminance below DARK_LUMA; anything brighter passes untouched, so a well
lit image costs one small metering step (~0.1 ms at 768x576) and is never altered.

A dark image's people also score lower: even brightened, its noise costs the network confidence,
and most people lost at 20 % light are found just under the usual threshold. `expose` says which
images it found dark, and `score_threshold_for` lowers the person threshold for those only, to
DARK_SCORE_THRESHOLD by default (docs/measured.md, model/logs/recall/dark_levers_*.log).
"""
from __future__ import annotations

import cv2
import numpy as np

# mode -> brighten() settings for a dark image
MODE_SETTINGS = {"gain": {"curve": "gain", "chroma": True}, "gamma": {"curve": "gamma"},
                 "clahe": {"curve": "gamma", "clahe": True}}
EXPOSURE_MODES = ("off", *MODE_SETTINGS)
CHROMA_SIGMA = 2.0  # pixels; 1 (at half resolution) and 4 found fewer people (light_variants_vtest40.log)
MAX_GAIN = 8.0  # linear gain cap: beyond it the noise, not the people, is what gets brighter
DARK_LUMA = 0.25  # geometric-mean luminance (0..1) below which an image counts as dark
TARGET_LUMA = 0.40  # where gain or gamma put it (mid-grey of a normally exposed frame)
DARK_SCORE_THRESHOLD = 0.17  # person score threshold on dark images (docs/measured.md: chosen on even frames)
METER_SIDE = 128  # meter on a downscaled copy: brightness needs no detail


def mean_log_luma(image_rgb: np.ndarray) -> float:
    """Geometric-mean luminance in [0, 1] of an RGB uint8 image (Rec. 601 weights)."""
    h, w = image_rgb.shape[:2]
    step = max(1, max(h, w) // METER_SIDE)
    small = image_rgb[::step, ::step].astype(np.float32)
    luma = small @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    return float(np.exp(np.log((luma + 1.0) / 256.0).mean()))


def is_dark(image_rgb: np.ndarray) -> bool:
    return mean_log_luma(image_rgb) < DARK_LUMA


def gamma_for(luma: float, target: float = TARGET_LUMA) -> float:
    """Exponent g with luma ** g = target, kept in [0.25, 1] (never darkens, never explodes noise)."""
    return float(np.clip(np.log(target) / np.log(max(luma, 1e-3)), 0.25, 1.0))


def gain_for(luma: float, target: float = TARGET_LUMA) -> float:
    """Linear gain that brings the geometric-mean luminance to `target`, in [1, MAX_GAIN]."""
    return float(np.clip(target / max(luma, 1e-3), 1.0, MAX_GAIN))


def denoise_chroma(image_rgb: np.ndarray, sigma: float = CHROMA_SIGMA) -> np.ndarray:
    """Blur only the colour (Cr, Cb), keeping the luminance sharp. A dim sensor's shot and read
    noise is independent per colour channel, so much of it is colour speckle, which brightening
    amplifies and the network is thrown by; camera pipelines smooth chroma hard for the same
    reason. (Blurring the luminance too, by Gaussian, bilateral or downscaling, lost people.)"""
    ycc = cv2.cvtColor(image_rgb, cv2.COLOR_RGB2YCrCb)
    ycc[..., 1:] = cv2.GaussianBlur(ycc[..., 1:], (0, 0), sigma)
    return cv2.cvtColor(ycc, cv2.COLOR_YCrCb2RGB)


def brighten(image_rgb: np.ndarray, luma: float, curve: str = "gamma", target: float = TARGET_LUMA,
             chroma: bool = False, clahe: bool = False) -> np.ndarray:
    """A dark image (geometric-mean luminance `luma`) brought to `target` by one tone curve:
    `gamma` (v ** g) or `gain` (linear, clipped), after an optional chroma denoise, then optional CLAHE."""
    x = np.arange(256) / 255.0
    curve_values = x ** gamma_for(luma, target) if curve == "gamma" else x * gain_for(luma, target)
    out = cv2.LUT(denoise_chroma(image_rgb) if chroma else image_rgb,
                  (255.0 * np.clip(curve_values, 0, 1)).round().astype(np.uint8))
    if clahe:
        ycc = cv2.cvtColor(out, cv2.COLOR_RGB2YCrCb)
        ycc[..., 0] = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(ycc[..., 0])
        out = cv2.cvtColor(ycc, cv2.COLOR_YCrCb2RGB)
    return out


def expose(image_rgb: np.ndarray, mode: str = "gain") -> tuple[np.ndarray, bool]:
    """(the image brightened when dark (a new array), else the same array; whether it was dark).
    Anything that is not an RGB uint8 image is passed through, not dark, for the estimator to
    refuse with its own clear error. Mode `off` never meters: nothing is dark."""
    if mode == "off" or not isinstance(image_rgb, np.ndarray) or image_rgb.dtype != np.uint8 \
            or image_rgb.ndim != 3 or image_rgb.shape[2] != 3 or image_rgb.size == 0:
        return image_rgb, False
    if mode not in EXPOSURE_MODES:
        raise ValueError(f"exposure must be one of {', '.join(EXPOSURE_MODES)}, got {mode!r}")
    luma = mean_log_luma(image_rgb)
    if luma >= DARK_LUMA:
        return image_rgb, False
    return brighten(image_rgb, luma, **MODE_SETTINGS[mode]), True


def normalise_exposure(image_rgb: np.ndarray, mode: str = "gain") -> np.ndarray:
    """The image `expose` brightens (or the same array)."""
    return expose(image_rgb, mode)[0]


def score_threshold_for(score_threshold: float, dark_score_threshold: float | None, dark: bool) -> float:
    """The person threshold for one image: the lower of the two on a dark image (never a higher
    one), else `score_threshold`; None = no dark threshold."""
    if dark and dark_score_threshold is not None:
        return min(float(score_threshold), float(dark_score_threshold))
    return float(score_threshold)


def darken(image_rgb: np.ndarray, brightness: float, rng: np.random.Generator, read_noise: float = 2.0) -> np.ndarray:
    """A real frame as a dim sensor would have taken it: light scaled by `brightness`, then shot
    noise (Poisson, full well of 255 photo-electrons at full brightness: a small, noisy pixel)
    and Gaussian read noise of `read_noise` digital numbers, quantised to uint8. For measuring."""
    light = image_rgb.astype(np.float64) * brightness
    shot = rng.poisson(light) if brightness < 1 else light
    return np.clip(shot + rng.normal(0.0, read_noise, image_rgb.shape), 0, 255).round().astype(np.uint8)
