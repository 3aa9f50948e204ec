"""One labelled synthetic image: sample a scene, render it, derive the labels.

Consistency with `drm_ros.camera.Camera` (the only camera model): labels are `camera.project`
of the 3D joints. The image is rendered with the pinhole part of the same camera onto a padded
canvas; with distortion, it is then warped by cv2.remap whose map sends every output pixel
through `camera.undistort_normalized` (evaluated on an 8 px grid, bilinearly interpolated:
<= 0.1 px from the exact map even for k1 = -0.25 at fx = 400, see test_synth.py). A fisheye
(camera.fisheye_probability) is warped the same way through an exact per-pixel map, with the
pixels past the lens' image circle (camera.fisheye_circle_deg) left black and unlabelled.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from drm_ros.camera import Camera
from drm_ros.skeleton import NUM_JOINTS
from drm_ros.synth.background import make_background
from drm_ros.synth.body import Look, draw_person, sample_look
from drm_ros.synth.motion import P, BodyShape, MotionLibrary, coco_joints, rot_z, sample_shape, shape_pose
from drm_ros.synth.raster import Canvas, Light
from drm_ros.synth.rig import Rig, sample_rig

MAP_STEP = 8  # px: grid of the exact distortion map, bilinearly interpolated in between


@dataclass
class Person:
    points: np.ndarray  # (len(POINTS), 3) world, Z-up
    head_rot: np.ndarray  # (3, 3) world
    look: Look
    scale: float
    meta: dict


@dataclass
class Scene:
    rig: Rig
    people: list
    light: Light
    background_seed: int
    shadow_strength: float
    effects: dict = field(default_factory=dict)


@dataclass
class Rendered:
    image: np.ndarray  # (H, W, 3) uint8 BGR, the final (distorted, degraded) image
    ids: np.ndarray  # (H, W) int16 person index per pixel of the final image, -1 background
    camera: Camera
    joints3d: np.ndarray  # (N, 18, 3) camera frame
    joints2d: np.ndarray  # (N, 18, 2)
    visible: np.ndarray  # (N, 18)
    boxes: np.ndarray  # (N, 4)
    meta: list


# ------------------------------------------------------------------ sampling
def _place(rng, rig: Rig, cfg: dict, taken: list) -> np.ndarray | None:
    cam = rig.camera
    lo_d, hi_d = cfg["distance_m"]
    h_lo, h_hi = cfg["person_height_px"]
    f = np.sqrt(cam.fx * cam.fy)
    d_lo, d_hi = max(lo_d, f * 1.7 / h_hi), min(hi_d, f * 1.7 / h_lo)
    if d_lo > d_hi:
        d_lo = d_hi = float(np.clip(f * 1.7 / np.sqrt(h_lo * h_hi), lo_d, hi_d))
    half_fov = np.arctan2(cam.width / 2, cam.fx) if not cam.is_fisheye else \
        float(np.arccos(cam.rays(np.array([cam.cx + cam.width / 2, cam.cy]))[2]))
    margin = cfg["lateral_margin"]
    for _ in range(30):
        d = float(np.exp(rng.uniform(np.log(d_lo), np.log(d_hi))))
        az = float(rng.uniform(-1, 1)) * (half_fov * (1 + 2 * margin))
        pos = np.array([d * np.cos(az), d * np.sin(az), 0.0])
        if any(np.linalg.norm(pos[:2] - q[:2]) < cfg["min_separation_m"] for q in taken):
            continue
        pelvis = rig.to_camera(pos + [0, 0, 0.9])
        if pelvis[2] < 0.5:
            continue
        u, v = cam.project(pelvis)
        if -margin * cam.width <= u <= (1 + margin) * cam.width and -0.1 * cam.height <= v <= 1.25 * cam.height:
            return pos
    return None


def pose_person(motion: MotionLibrary, clip: str, t: float, shape: BodyShape, yaw: float, position: np.ndarray,
                loop: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """World points/head rotation of a shaped person at clip time t, root travel included with loop."""
    pts, rot = motion.frame(clip, t, loop=loop)
    travel = shape.scale * (pts[P["root"], :2] - motion.points[clip][0, P["root"], :2]) if loop else np.zeros(2)
    local = pts - [pts[P["root"], 0], pts[P["root"], 1], 0.0]
    local, rot = shape_pose(local, rot, shape)
    local[:, :2] += travel
    R = rot_z(yaw)
    return local @ R.T + position, R @ rot


def _choose_clip(rng, motion: MotionLibrary, weights: dict) -> str:
    w = np.array([float(weights.get(c, 1.0)) for c in motion.clips])
    return motion.clips[int(rng.choice(len(w), p=w / w.sum()))]


def sample_light(rng, cfg: dict) -> Light:
    d = np.array([rng.uniform(-0.8, 0.8), rng.uniform(-1.0, -0.2), rng.uniform(-1.0, -0.3)])
    return Light(d / np.linalg.norm(d), float(rng.uniform(*cfg["ambient"])), float(rng.uniform(*cfg["diffuse"])))


def sample_effects(rng, cfg: dict) -> dict:
    return {"blur": float(rng.uniform(*cfg["blur_sigma"])), "noise": float(rng.uniform(*cfg["noise_std"])),
            "gain": rng.uniform(*cfg["brightness"], size=3).astype(np.float32) * np.float32(rng.uniform(0.85, 1.15)),
            "jpeg": int(rng.integers(cfg["jpeg_quality"][0], cfg["jpeg_quality"][1] + 1)),
            "ground_probability": float(cfg["ground_probability"])}


def sample_scene(rng: np.random.Generator, cfg: dict, motion: MotionLibrary) -> Scene:
    rig = sample_rig(rng, cfg["camera"])
    n = int(rng.integers(cfg["people"]["count"][0], cfg["people"]["count"][1] + 1))
    people, taken = [], []
    for i in range(n):
        pos = _place(rng, rig, cfg["people"], taken)
        if pos is None:
            continue
        taken.append(pos)
        clip = _choose_clip(rng, motion, cfg.get("clip_weights") or {})
        t = float(rng.uniform(0, len(motion.points[clip]) - 1))
        shape = sample_shape(rng, cfg["body"])
        yaw = float(rng.uniform(-np.pi, np.pi))
        pts, rot = pose_person(motion, clip, t, shape, yaw, pos)
        people.append(Person(pts, rot, sample_look(rng), shape.scale,
                             {"clip": clip, "frame": round(t, 2), "mirrored": shape.mirrored,
                              "height_m": round(shape.scale * 1.6, 3), "yaw_deg": round(float(np.degrees(yaw)), 1)}))
    r = cfg["render"]
    effects = sample_effects(rng, r)
    if rig.camera.is_fisheye:
        effects["fisheye_circle_deg"] = float(cfg["camera"]["fisheye_circle_deg"])
        if cfg["camera"].get("fisheye_as_pinhole"):  # the same scene through a pinhole with the same K
            c = rig.camera
            rig = replace(rig, camera=Camera(c.width, c.height, c.fx, c.fy, c.cx, c.cy))
            del effects["fisheye_circle_deg"]
    return Scene(rig, people, sample_light(rng, r), int(rng.integers(2**31)), float(rng.uniform(*r["shadow_strength"])),
                 effects)


# ------------------------------------------------------------------ rendering
def distortion_map(camera: Camera) -> tuple[np.ndarray, np.ndarray]:
    """Ideal normalised coordinates (x/z, y/z) of every output pixel, (H, W) each (float64)."""
    w, h = camera.width, camera.height
    us = np.unique(np.append(np.arange(0, w, MAP_STEP), w - 1)).astype(np.float64)
    vs = np.unique(np.append(np.arange(0, h, MAP_STEP), h - 1)).astype(np.float64)
    grid = np.stack(np.meshgrid(us, vs), axis=-1)
    xy = camera.undistort_normalized(grid)

    def interp_matrix(coarse, n):  # (n, len(coarse)) linear interpolation weights
        m = np.zeros((n, len(coarse)))
        pos = np.arange(n, dtype=np.float64)
        j = np.clip(np.searchsorted(coarse, pos, side="right") - 1, 0, len(coarse) - 2)
        a = (pos - coarse[j]) / (coarse[j + 1] - coarse[j])
        m[np.arange(n), j] = 1 - a
        m[np.arange(n), j + 1] = a
        return m

    Wv, Wu = interp_matrix(vs, h), interp_matrix(us, w)
    return Wv @ xy[..., 0] @ Wu.T, Wv @ xy[..., 1] @ Wu.T


def fisheye_map(camera: Camera, circle_deg: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Like distortion_map for a fisheye, exact at every pixel (x/z grows too steeply towards the
    rim to interpolate), and the mask (H, W) of pixels outside the lens' image circle, which
    stay black; their x/z, y/z are set to 0 so they do not widen the pinhole canvas."""
    w, h = camera.width, camera.height
    grid = np.stack(np.meshgrid(np.arange(w, dtype=np.float64), np.arange(h, dtype=np.float64)), axis=-1)
    rays = camera.rays(grid)
    outside = rays[..., 2] <= np.cos(np.radians(circle_deg))
    z = np.where(outside, 1.0, rays[..., 2])
    return np.where(outside, 0.0, rays[..., 0] / z), np.where(outside, 0.0, rays[..., 1] / z), outside


def _shadow(canvas: Canvas, rig: Rig, people: list, strength: float) -> None:
    h, w = canvas.depth.shape
    mask = np.zeros((h, w), np.float32)
    ang = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    for p in people:
        feet = p.points[[P["left_ankle"], P["right_ankle"], P["root"]]]
        c = feet[:, :2].mean(axis=0)
        height_above = max(0.0, float(feet[:, 2].min()) - 0.1)
        r = 0.32 * p.scale * np.exp(-height_above)
        ring = np.stack([c[0] + r * np.cos(ang), c[1] + 0.8 * r * np.sin(ang), np.zeros_like(ang)], axis=1)
        cam = rig.to_camera(ring)
        if (cam[:, 2] < 0.3).any():
            continue
        uv = canvas.project(cam)
        if np.abs(uv).max() > 1e5:
            continue
        cv2.fillPoly(mask, [np.round(uv).astype(np.int32)], 1.0, lineType=cv2.LINE_AA)
    if mask.any():
        mask = cv2.GaussianBlur(mask, (0, 0), 3.0)
        canvas.image *= (1 - strength * mask)[..., None]


def render(scene: Scene) -> Rendered:
    rig, cam = scene.rig, scene.rig.camera
    w, h = cam.width, cam.height
    outside = None  # fisheye: pixels outside the image circle
    if cam.has_distortion:
        if cam.is_fisheye:
            mx, my, outside = fisheye_map(cam, scene.effects.get("fisheye_circle_deg", 80.0))
        else:
            mx, my = distortion_map(cam)
        map_u, map_v = mx * cam.fx + cam.cx, my * cam.fy + cam.cy
        pad = (int(np.ceil(max(0.0, -map_u.min()))) + 1, int(np.ceil(max(0.0, -map_v.min()))) + 1)
        size = (int(np.ceil(map_u.max())) + 2 + pad[0], int(np.ceil(map_v.max())) + 2 + pad[1])
    else:
        pad, size = (0, 0), (w, h)
    K = cam.K.copy()
    K[0, 2] += pad[0]
    K[1, 2] += pad[1]
    bg = make_background(np.random.default_rng(scene.background_seed), size[1], size[0], K, rig.R, rig.C,
                         scene.effects.get("ground_probability", 0.6))
    canvas = Canvas.create(bg, cam.fx, cam.fy, K[0, 2], K[1, 2])
    _shadow(canvas, rig, scene.people, scene.shadow_strength)
    order = sorted(range(len(scene.people)), key=lambda i: -rig.to_camera(scene.people[i].points[P["root"]])[2])
    for i in order:  # far to near: ties in the z-buffer then favour the nearer person
        p = scene.people[i]
        draw_person(canvas, rig.to_camera(p.points), rig.R @ p.head_rot, p.look, p.scale, i, scene.light)

    # labels before distortion: occlusion is read from the canvas z/id buffers
    n = len(scene.people)
    joints3d = np.zeros((n, NUM_JOINTS, 3))
    occluded = np.zeros((n, NUM_JOINTS), bool)
    for i, p in enumerate(scene.people):
        j3 = rig.to_camera(coco_joints(p.points, p.head_rot, p.scale))
        joints3d[i] = j3
        uv = np.round(canvas.project(j3)).astype(int)
        inside = (j3[:, 2] > 0.05) & (uv[:, 0] >= 0) & (uv[:, 0] < size[0]) & (uv[:, 1] >= 0) & (uv[:, 1] < size[1])
        for j in np.nonzero(inside)[0]:
            other = canvas.ids[uv[j, 1], uv[j, 0]]
            occluded[i, j] = other >= 0 and other != i and canvas.depth[uv[j, 1], uv[j, 0]] < j3[j, 2]

    if cam.has_distortion:
        mu, mv = (map_u + pad[0]).astype(np.float32), (map_v + pad[1]).astype(np.float32)
        image = cv2.remap(canvas.image, mu, mv, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        ids = cv2.remap(canvas.ids, mu, mv, cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT, borderValue=-1)
        if outside is not None:
            image[outside] = 0
            ids[outside] = -1
    else:
        image, ids = canvas.image, canvas.ids
    image = degrade(image, scene.effects, scene.background_seed)

    joints2d = cam.project(joints3d) if n else np.zeros((0, NUM_JOINTS, 2))
    in_image = (joints3d[..., 2] > 0.05) & (joints2d[..., 0] >= 0) & (joints2d[..., 0] <= w - 1) \
        & (joints2d[..., 1] >= 0) & (joints2d[..., 1] <= h - 1)
    if outside is not None:  # and inside the fisheye's image circle
        circle = np.cos(np.radians(scene.effects.get("fisheye_circle_deg", 80.0)))
        in_image &= joints3d[..., 2] > circle * np.linalg.norm(joints3d, axis=-1)
    visible = (in_image & ~occluded).astype(np.float64)
    boxes = np.zeros((n, 4))
    keep = []
    meta = []
    for i in range(n):
        mask = (ids == i).astype(np.uint8)
        count = int(cv2.countNonZero(mask))
        if count == 0:
            continue  # nothing of this person is in the image
        x, y, bw, bh = cv2.boundingRect(mask)
        box = np.array([x, y, x + bw - 1, y + bh - 1], np.float64)
        vis = visible[i] > 0
        if vis.any():
            box[:2] = np.minimum(box[:2], joints2d[i, vis].min(axis=0))
            box[2:] = np.maximum(box[2:], joints2d[i, vis].max(axis=0))
        boxes[i] = box
        keep.append(i)
        meta.append({**scene.people[i].meta, "visible_pixels": count,
                     "distance_m": round(float(np.linalg.norm(joints3d[i, -1])), 3)})
    # ids of the final image index the kept people (-1 for dropped ones)
    remap_ids = np.full(n + 1, -1, np.int16)
    remap_ids[np.array(keep, dtype=int)] = np.arange(len(keep), dtype=np.int16)
    ids = remap_ids[ids.astype(np.int64)]  # -1 indexes the last entry, which is -1
    return Rendered(image, ids, cam, joints3d[keep], joints2d[keep], visible[keep], boxes[keep], meta)


def degrade(image: np.ndarray, fx: dict, seed: int) -> np.ndarray:
    """Camera realism: colour gain, blur, sensor noise (JPEG is applied when encoding).
    OpenCV's own RNG (seeded here) draws the noise: 5x faster than numpy's for a full frame."""
    gain = fx.get("gain", np.ones(3, np.float32))
    img = cv2.multiply(image, (float(gain[0]), float(gain[1]), float(gain[2]), 0.0))
    if fx.get("blur", 0) > 0.3:
        img = cv2.GaussianBlur(img, (0, 0), fx["blur"])
    if fx.get("noise", 0) > 0.5:
        noise = np.empty_like(img)
        cv2.setRNGSeed(int(fx.get("noise_seed", seed + 1)) & 0x7FFFFFFF)
        cv2.randn(noise, 0.0, float(fx["noise"]))
        img = cv2.add(img, noise)
    return cv2.convertScaleAbs(img)  # round, saturate to 0..255 uint8


def encode_jpeg(image: np.ndarray, quality: int) -> bytes:
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return buf.tobytes()
