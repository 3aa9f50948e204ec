"""A small z-buffered rasteriser of shaded capsules (numpy), enough for solid, volumetric people.

Geometry is given in the camera optical frame and projected with the pinhole part of the camera
(`Canvas.fx, fy, cx, cy`, i.e. Camera.K shifted by the canvas padding); lens distortion is applied
afterwards to the whole image by remapping (see scene.py), so pixels agree with Camera.project.
A capsule is drawn as its projected outline (a 2D segment swept by a linearly varying radius) with
the depth and normal of a sphere-swept surface: good shading and correct mutual occlusion at
~1 µs per covered pixel.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NEAR = 0.2  # metres: primitives closer than this to the camera plane are not drawn


@dataclass
class Canvas:
    image: np.ndarray  # (H, W, 3) float32 BGR 0..255
    depth: np.ndarray  # (H, W) float32, inf = background
    ids: np.ndarray  # (H, W) int16, -1 = background
    fx: float
    fy: float
    cx: float
    cy: float

    @classmethod
    def create(cls, background: np.ndarray, fx: float, fy: float, cx: float, cy: float) -> "Canvas":
        h, w = background.shape[:2]
        return cls(background.astype(np.float32), np.full((h, w), np.inf, np.float32),
                   np.full((h, w), -1, np.int16), fx, fy, cx, cy)

    def project(self, xyz: np.ndarray) -> np.ndarray:
        xyz = np.asarray(xyz, dtype=np.float64)
        return xyz[..., :2] / xyz[..., 2:3] * [self.fx, self.fy] + [self.cx, self.cy]


@dataclass(frozen=True)
class Light:
    direction: np.ndarray  # unit vector from the surface towards the light, camera frame
    ambient: float
    diffuse: float


@dataclass(frozen=True)
class HeadStyle:
    """Face/hair cue on a head capsule: hair where the surface normal faces up or back, dark eyes."""

    forward: np.ndarray  # head forward axis, camera frame
    up: np.ndarray
    right: np.ndarray
    hair_colour: np.ndarray
    hair_top: float  # cos threshold: n.up above this is hair
    hair_back: float  # n.forward below this is hair


def draw_capsule(canvas: Canvas, a: np.ndarray, b: np.ndarray, ra: float, rb: float, colour: np.ndarray,
                 pid: int, light: Light, head: HeadStyle | None = None) -> None:
    """Capsule from a to b (camera frame, metres) with radii ra at a, rb at b."""
    if a[2] < NEAR or b[2] < NEAR:
        return
    f = float(np.sqrt(canvas.fx * canvas.fy))
    pa, pb = canvas.project(a), canvas.project(b)
    rpa, rpb = f * ra / a[2], f * rb / b[2]
    h, w = canvas.depth.shape
    x0 = max(int(np.floor(min(pa[0] - rpa, pb[0] - rpb))), 0)
    x1 = min(int(np.ceil(max(pa[0] + rpa, pb[0] + rpb))) + 1, w)
    y0 = max(int(np.floor(min(pa[1] - rpa, pb[1] - rpb))), 0)
    y1 = min(int(np.ceil(max(pa[1] + rpa, pb[1] + rpb))) + 1, h)
    if x0 >= x1 or y0 >= y1:
        return
    ab = (pb - pa).astype(np.float32)
    l2 = float(ab @ ab)
    dx = np.arange(x0, x1, dtype=np.float32)[None, :] - np.float32(pa[0])
    dy = np.arange(y0, y1, dtype=np.float32)[:, None] - np.float32(pa[1])
    if l2 > 1e-6:
        t = np.clip((dx * ab[0] + dy * ab[1]) * np.float32(1.0 / l2), 0, 1)
    else:
        t = np.zeros((y1 - y0, x1 - x0), np.float32)
    ex, ey = dx - t * ab[0], dy - t * ab[1]
    rad = np.float32(rpa) + t * np.float32(rpb - rpa)
    inside = ex * ex + ey * ey < rad * rad
    ys, xs = np.nonzero(inside)
    if ys.size == 0:
        return
    t, ex, ey, rad = t[ys, xs], ex[ys, xs], ey[ys, xs], rad[ys, xs]
    ys += y0
    xs += x0
    nx, ny = ex / rad, ey / rad
    nz = np.sqrt(np.maximum(0, 1 - nx * nx - ny * ny))
    depth = np.float32(a[2]) + t * np.float32(b[2] - a[2]) - (np.float32(ra) + t * np.float32(rb - ra)) * nz
    win = depth < canvas.depth[ys, xs]
    if not win.any():
        return
    ys, xs, nx, ny, nz, depth = ys[win], xs[win], nx[win], ny[win], nz[win], depth[win]
    # Surface normal in the camera frame points back at the camera: (nx, ny, -nz).
    lam = nx * light.direction[0] + ny * light.direction[1] - nz * light.direction[2]
    shade = (light.ambient + light.diffuse * np.maximum(lam, 0)) * (0.8 + 0.2 * nz)
    rgb = np.broadcast_to(np.asarray(colour, np.float32), (len(ys), 3))
    if head is not None:
        n = np.stack([nx, ny, -nz], axis=1)
        up, fwd = n @ head.up.astype(np.float32), n @ head.forward.astype(np.float32)
        hair = (up > head.hair_top) | ((fwd < head.hair_back) & (up > -0.55))
        eyes = np.zeros_like(hair)
        for side in (-1.0, 1.0):  # eye directions from the head centre, ~7 degree dots
            e = 0.80 * head.forward + 0.26 * head.up + side * 0.36 * head.right
            eyes |= n @ (e / np.linalg.norm(e)).astype(np.float32) > 0.991
        mouth_dir = 0.93 * head.forward - 0.37 * head.up
        mouth = (n @ (mouth_dir / np.linalg.norm(mouth_dir)).astype(np.float32) > 0.993)
        rgb = np.where(hair[:, None], np.asarray(head.hair_colour, np.float32), rgb)
        rgb = np.where(eyes[:, None], np.float32(30.0), rgb)
        rgb = np.where(mouth[:, None], np.asarray(colour, np.float32) * np.float32(0.55), rgb)
    canvas.image[ys, xs] = np.minimum(rgb * shade[:, None], 255)
    canvas.depth[ys, xs] = depth
    canvas.ids[ys, xs] = pid
