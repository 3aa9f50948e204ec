"""Cheap, varied backgrounds (a few ms each): a textured ground plane seen through the actual
camera with a sky/wall band above the horizon, or flat-ish image-space patterns (gradients,
smooth coloured noise, clutter of shapes)."""
from __future__ import annotations

import cv2
import numpy as np


def _smooth_noise(rng, h: int, w: int, cells: int, channels: int = 3) -> np.ndarray:
    small = rng.random((max(2, cells * h // max(h, w)), max(2, cells * w // max(h, w)), channels), dtype=np.float32)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC).reshape(h, w, channels)


def _colour(rng, lo=30, hi=230) -> np.ndarray:
    return rng.uniform(lo, hi, 3).astype(np.float32)


def _ground_texture(rng, size: int = 256) -> np.ndarray:
    base = _colour(rng, 50, 200)
    tex = base * (0.75 + 0.5 * _smooth_noise(rng, size, size, int(rng.integers(4, 24)), 1))
    kind = rng.integers(3)
    if kind == 0:  # paving tiles
        step = int(rng.integers(4, 16))
        tex[::step] *= 0.6
        tex[:, ::step] *= 0.6
    elif kind == 1:  # stripes / planks
        step = int(rng.integers(3, 12))
        tex[:, ::step] *= 0.7
    tex += rng.normal(0, 6, (size, size, 1)).astype(np.float32)
    return np.clip(tex, 0, 255).astype(np.uint8)  # uint8: warping it is 3x cheaper


def _sky(rng, h: int, w: int) -> np.ndarray:
    top, bottom = _colour(rng, 80, 250), _colour(rng, 80, 250)
    a = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    img = np.broadcast_to(top * (1 - a) + bottom * a, (h, w, 3)).copy()
    for _ in range(int(rng.integers(0, 7))):  # walls / buildings / trees
        x0 = int(rng.integers(-w // 4, w)); bw = int(rng.integers(w // 12, w // 2))
        y0 = int(rng.integers(0, h)); c = _colour(rng, 20, 230)
        cv2.rectangle(img, (x0, y0), (x0 + bw, h), c.tolist(), -1)
        if rng.random() < 0.5:  # windows
            step = int(rng.integers(8, 30))
            for yy in range(y0 + step // 2, h, step):
                cv2.line(img, (x0, yy), (x0 + bw, yy), (c * 0.6).tolist(), max(1, step // 4))
    return img


def ground_scene(rng, h: int, w: int, K: np.ndarray, R: np.ndarray, C: np.ndarray) -> np.ndarray:
    """Ground plane z = 0 seen by the camera (K: canvas intrinsics; R, C: world->camera, centre)."""
    texel = float(rng.uniform(0.05, 0.25))  # metres per texture pixel
    tex = _ground_texture(rng)
    n = tex.shape[0]
    A = np.array([[texel, 0, C[0] - n * texel / 2], [0, texel, C[1] - n * texel / 2], [0, 0, 1.0]])
    H = K @ np.stack([R[:, 0], R[:, 1], -R @ C], axis=1) @ A
    ground = cv2.warpPerspective(tex, H, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT).astype(np.float32)
    # World direction of each pixel's ray: z-component linear in (u, v); ground where it points down.
    M = (R.T @ np.linalg.inv(K)).astype(np.float32)
    u = np.arange(w, dtype=np.float32)[None, :]
    v = np.arange(h, dtype=np.float32)[:, None]
    neg_dz = -(M[2, 0] * u + M[2, 1] * v + M[2, 2])  # > 0 where the ray meets the ground
    fog_dist = np.float32(rng.uniform(15, 80) / C[2])
    # fog = exp(-distance / fog range); distance ~ height / -dz; above the horizon fog = 0 (sky)
    fog = np.exp(-np.float32(1.0) / np.maximum(neg_dz * fog_dist, np.float32(1e-6)))[..., None]
    sky = _sky(rng, h, w)
    haze = sky[: max(1, h // 3)].mean(axis=(0, 1))  # fog takes the sky's colour, not its walls
    return np.where(neg_dz[..., None] > 0, haze + (ground - haze) * fog, sky)


def image_pattern(rng, h: int, w: int) -> np.ndarray:
    kind = rng.integers(3)
    if kind == 0:  # gradient
        c0, c1 = _colour(rng), _colour(rng)
        ang = rng.uniform(0, 2 * np.pi)
        u = np.arange(w, dtype=np.float32)[None, :] / w
        v = np.arange(h, dtype=np.float32)[:, None] / h
        a = np.clip(0.5 + (u - 0.5) * np.cos(ang) + (v - 0.5) * np.sin(ang), 0, 1)[..., None]
        img = c0 * (1 - a) + c1 * a
    elif kind == 1:  # smooth coloured noise, two octaves
        img = 255 * (0.7 * _smooth_noise(rng, h, w, int(rng.integers(3, 12))) + 0.3 * _smooth_noise(rng, h, w, int(rng.integers(20, 80))))
    else:  # clutter of shapes
        img = np.broadcast_to(_colour(rng), (h, w, 3)).copy()
        for _ in range(int(rng.integers(10, 40))):
            c = _colour(rng, 0, 255).tolist()
            x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
            if rng.random() < 0.5:
                cv2.rectangle(img, (x, y), (x + int(rng.integers(5, w // 3)), y + int(rng.integers(5, h // 3))), c, -1)
            else:
                cv2.circle(img, (x, y), int(rng.integers(3, h // 6)), c, -1)
        img = cv2.GaussianBlur(img, (0, 0), float(rng.uniform(0.5, 3)))
    return np.asarray(img, np.float32)


def make_background(rng, h: int, w: int, K: np.ndarray, R: np.ndarray, C: np.ndarray, ground_probability: float) -> np.ndarray:
    if rng.random() < ground_probability:
        return ground_scene(rng, h, w, K, R, C)
    return image_pattern(rng, h, w)
