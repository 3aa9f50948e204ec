"""A person's look (skin, hair, clothing) and the capsules that make up the body."""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from drm_ros.synth.motion import P
from drm_ros.synth.raster import Canvas, HeadStyle, Light, draw_capsule

# BGR. Skin tones from very light to very dark; hair from black to blond/grey.
SKIN = np.array([[196, 214, 245], [170, 197, 234], [140, 175, 222], [115, 150, 198], [90, 125, 175],
                 [70, 100, 150], [55, 80, 120], [40, 60, 95]], np.float32)
HAIR = np.array([[20, 20, 25], [25, 35, 55], [30, 50, 85], [50, 90, 140], [110, 160, 200], [160, 160, 165],
                 [35, 55, 120]], np.float32)
PANTS = np.array([[110, 70, 40], [60, 45, 35], [30, 30, 30], [100, 140, 160], [90, 90, 90], [140, 100, 60],
                  [50, 70, 50]], np.float32)


@dataclass(frozen=True)
class Look:
    skin: np.ndarray
    hair: np.ndarray
    shirt: np.ndarray
    pants: np.ndarray
    shoes: np.ndarray
    long_sleeves: bool
    shorts: bool
    girth: float
    bald: bool


def _random_colour(rng: np.random.Generator) -> np.ndarray:
    hsv = np.array([[[rng.integers(0, 180), rng.integers(30, 230), rng.integers(40, 240)]]], np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0].astype(np.float32)


def sample_look(rng: np.random.Generator) -> Look:
    jitter = lambda c, s: np.clip(c * rng.uniform(1 - s, 1 + s, 3), 0, 255).astype(np.float32)  # noqa: E731
    pants = jitter(PANTS[rng.integers(len(PANTS))], 0.15) if rng.random() < 0.7 else _random_colour(rng)
    shirt = _random_colour(rng) if rng.random() < 0.85 else jitter(np.full(3, rng.uniform(20, 235)), 0.05)
    shoes = jitter(np.full(3, rng.choice([25.0, 40.0, 200.0, 120.0])), 0.2)
    return Look(jitter(SKIN[rng.integers(len(SKIN))], 0.08), jitter(HAIR[rng.integers(len(HAIR))], 0.1), shirt,
                pants, shoes, bool(rng.random() < 0.5), bool(rng.random() < 0.2), float(rng.uniform(0.9, 1.2)),
                bool(rng.random() < 0.05))


def _lerp(a, b, t):
    return a + t * (b - a)


def capsules(X: np.ndarray, look: Look, scale: float) -> list[tuple]:
    """(a, b, ra, rb, colour, is_head) per body part; X = body points (len(POINTS), 3), any frame."""
    g = scale * look.girth
    s = scale
    parts = []

    def add(a, b, ra, rb, colour, head=False):
        parts.append((a, b, ra, rb, colour, head))

    root, neck, head = X[P["root"]], X[P["neck"]], X[P["head"]]
    up = head - neck
    up = up / (np.linalg.norm(up) + 1e-9)
    add(X[P["left_hip"]], X[P["right_hip"]], 0.10 * g, 0.10 * g, look.pants)
    add(root, _lerp(root, neck, 0.28), 0.125 * g, 0.125 * g, look.pants)
    add(_lerp(root, neck, 0.25), _lerp(root, neck, 0.88), 0.125 * g, 0.13 * g, look.shirt)
    for side in ("left", "right"):
        hip, sho = X[P[f"{side}_hip"]], X[P[f"{side}_shoulder"]]
        sho_in = _lerp(sho, neck, 0.3) - 0.03 * s * up
        waist = _lerp(hip, sho_in, 0.3)
        add(hip, waist, 0.095 * g, 0.09 * g, look.pants)
        add(waist, sho_in, 0.09 * g, 0.085 * g, look.shirt)
        elbow, wrist = X[P[f"{side}_elbow"]], X[P[f"{side}_wrist"]]
        if look.long_sleeves:
            add(sho, elbow, 0.055 * g, 0.045 * g, look.shirt)
            add(elbow, wrist, 0.043 * g, 0.035 * g, look.shirt)
        else:
            mid = _lerp(sho, elbow, 0.5)
            add(sho, mid, 0.06 * g, 0.052 * g, look.shirt)
            add(mid, elbow, 0.045 * g, 0.04 * g, look.skin)
            add(elbow, wrist, 0.038 * g, 0.030 * g, look.skin)
        fore = wrist - elbow
        hand_end = wrist + 0.085 * s * fore / (np.linalg.norm(fore) + 1e-9)
        add(wrist, hand_end, 0.033 * s, 0.03 * s, look.skin)
        knee, ankle, toe = X[P[f"{side}_knee"]], X[P[f"{side}_ankle"]], X[P[f"{side}_toe"]]
        add(hip, knee, 0.08 * g, 0.058 * g, look.pants)
        if look.shorts:
            add(knee, ankle, 0.05 * g, 0.038 * g, look.skin)
        else:
            add(knee, ankle, 0.056 * g, 0.045 * g, look.pants)
        add(ankle, toe, 0.045 * s, 0.035 * s, look.shoes)
    add(X[P["left_shoulder"]], X[P["right_shoulder"]], 0.06 * g, 0.06 * g, look.shirt)
    add(neck, _lerp(neck, head, 0.6), 0.05 * g, 0.048 * g, look.skin)
    add(head - 0.03 * s * up, head + 0.02 * s * up, 0.095 * s, 0.095 * s, look.skin, True)
    return parts


def draw_person(canvas: Canvas, X_cam: np.ndarray, head_rot_cam: np.ndarray, look: Look, scale: float, pid: int,
                light: Light) -> None:
    """Rasterise one person (body points already in the camera frame)."""
    style = HeadStyle(head_rot_cam[:, 0], head_rot_cam[:, 1], head_rot_cam[:, 2], look.skin if look.bald else look.hair,
                      hair_top=0.35 if not look.bald else 2.0, hair_back=-0.15 if not look.bald else -2.0)
    for a, b, ra, rb, colour, is_head in capsules(X_cam, look, scale):
        draw_capsule(canvas, a, b, ra, rb, colour, pid, light, style if is_head else None)
