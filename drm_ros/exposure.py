"""Exposure normalisation before the network, for dark images (MoveNet saw few of them).

    off    the image as it arrives.
    gamma  when dark, a gamma curve chosen from the image's own mean log-luminance (the
           geometric mean, as camera auto-exposure meters: a few bright lamps do not hide
           a dark scene) that brings that mean to TARGET_LUMA.
    clahe  when dark, the same gamma, then contrast-limited adaptive histogram equalisation
           of the luminance (local contrast for dim people next to bright areas).

"Dark" = mean log-luminance below DARK_LUMA; anything brighter passes untouched, so a well
lit image costs one small metering step (~0.3 ms at 768x576) and is never altered.
"""
from __future__ import annotations

import cv2
import numpy as np

EXPOSURE_MODES = ("off", "gamma", "clahe")
DARK_LUMA = 0.25  # geometric-mean luminance (0..1) below which an image counts as dark
TARGET_LUMA = 0.40  # where the gamma puts it (mid-grey of a normally exposed frame)
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


def gamma_for(luma: float) -> float:
    """Exponent g with luma ** g = TARGET_LUMA, kept in [0.25, 1] (never darkens, never explodes noise)."""
    return float(np.clip(np.log(TARGET_LUMA) / np.log(max(luma, 1e-3)), 0.25, 1.0))


def normalise_exposure(image_rgb: np.ndarray, mode: str = "gamma") -> np.ndarray:
    """The image brightened when dark (a new array), else the same array. Anything that is not an
    RGB uint8 image is passed through for the estimator to refuse with its own clear error."""
    if mode == "off" or not isinstance(image_rgb, np.ndarray) or image_rgb.dtype != np.uint8 \
            or image_rgb.ndim != 3 or image_rgb.shape[2] != 3 or image_rgb.size == 0:
        return image_rgb
    if mode not in EXPOSURE_MODES:
        raise ValueError(f"exposure must be one of {', '.join(EXPOSURE_MODES)}, got {mode!r}")
    luma = mean_log_luma(image_rgb)
    if luma >= DARK_LUMA:
        return image_rgb
    lut = (255.0 * (np.arange(256) / 255.0) ** gamma_for(luma)).round().astype(np.uint8)
    out = cv2.LUT(image_rgb, lut)
    if mode == "clahe":
        ycc = cv2.cvtColor(out, cv2.COLOR_RGB2YCrCb)
        ycc[..., 0] = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(ycc[..., 0])
        out = cv2.cvtColor(ycc, cv2.COLOR_YCrCb2RGB)
    return out


def darken(image_rgb: np.ndarray, brightness: float, rng: np.random.Generator, read_noise: float = 2.0) -> np.ndarray:
    """A real frame as a dim sensor would have taken it: light scaled by `brightness`, then shot
    noise (Poisson, full well of 255 photo-electrons at full brightness: a small, noisy pixel)
    and Gaussian read noise of `read_noise` digital numbers, quantised to uint8. For measuring."""
    light = image_rgb.astype(np.float64) * brightness
    shot = rng.poisson(light) if brightness < 1 else light
    return np.clip(shot + rng.normal(0.0, read_noise, image_rgb.shape), 0, 255).round().astype(np.uint8)
