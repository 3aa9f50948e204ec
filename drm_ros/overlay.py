"""Drawing a PoseSet on its image (the node's debug_image, the demo's contact sheet, `drm infer
--out`), and the per-person colours shared with the RViz markers so the same person has the same colour in both."""
from __future__ import annotations

import colorsys

import cv2
import numpy as np

from drm_ros.poses import PoseSet
from drm_ros.skeleton import BONES, ROOT


def id_color(person_id: int) -> tuple[float, float, float]:
    """RGB in [0, 1] for a tracking id: golden-ratio hue steps keep neighbouring ids distinct."""
    if person_id < 0:
        return (0.8, 0.8, 0.8)  # untracked
    hue = (person_id * 0.618033988749895) % 1.0
    return colorsys.hsv_to_rgb(hue, 0.85, 1.0)


def _rgb255(person_id: int) -> tuple[int, int, int]:
    return tuple(int(round(c * 255)) for c in id_color(person_id))


def draw_poses(image_rgb: np.ndarray, poses: PoseSet, min_joint_score: float = 0.2) -> np.ndarray:
    """A copy of the RGB image with each person's 2D skeleton, box and id/depth label."""
    out = np.ascontiguousarray(image_rgb[..., :3], dtype=np.uint8).copy()
    scale = max(1.0, max(out.shape[:2]) / 640.0)  # line widths readable at any resolution
    thick = max(1, int(round(2 * scale)))
    for i in range(len(poses)):
        pid = int(poses.ids[i])
        color = _rgb255(pid)
        uv, conf = poses.joints2d[i], poses.joint_scores[i]
        for a, b in BONES:
            if conf[a] >= min_joint_score and conf[b] >= min_joint_score and np.all(np.isfinite(uv[[a, b]])):
                cv2.line(out, _pt(uv[a]), _pt(uv[b]), color, thick, cv2.LINE_AA)
        for j in range(len(uv)):
            if conf[j] >= min_joint_score and np.all(np.isfinite(uv[j])):
                cv2.circle(out, _pt(uv[j]), thick + 1, color, -1, cv2.LINE_AA)
        box = poses.boxes[i]
        if np.all(np.isfinite(box)):
            cv2.rectangle(out, _pt(box[:2]), _pt(box[2:]), color, max(1, thick // 2))
            z = poses.roots[i][2] if np.isfinite(poses.roots[i][2]) else poses.joints3d[i][ROOT][2]
            label = f"{'#' + str(pid) if pid >= 0 else '?'} {z:.1f}m {poses.scores[i]:.2f}"
            org = (int(box[0]), max(int(box[1]) - 4, int(12 * scale)))
            cv2.putText(out, label, org, cv2.FONT_HERSHEY_SIMPLEX, 0.45 * scale, (0, 0, 0), thick + 2, cv2.LINE_AA)
            cv2.putText(out, label, org, cv2.FONT_HERSHEY_SIMPLEX, 0.45 * scale, color, thick, cv2.LINE_AA)
    return out


def _pt(uv) -> tuple[int, int]:
    return int(round(float(uv[0]))), int(round(float(uv[1])))


def contact_sheet(images: list[np.ndarray], columns: int = 5, tile_width: int = 320) -> np.ndarray:
    """Tiles of equal width in a grid (RGB), frame index in the corner."""
    tiles = []
    for k, img in enumerate(images):
        h, w = img.shape[:2]
        tile = cv2.resize(img, (tile_width, int(round(h * tile_width / w))), interpolation=cv2.INTER_AREA)
        cv2.putText(tile, str(k), (4, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
        tiles.append(tile)
    if not tiles:
        return np.zeros((1, tile_width, 3), np.uint8)
    tile_h = max(t.shape[0] for t in tiles)
    tiles = [np.pad(t, ((0, tile_h - t.shape[0]), (0, 0), (0, 0))) for t in tiles]
    while len(tiles) % columns:
        tiles.append(np.zeros_like(tiles[0]))
    rows = [np.concatenate(tiles[r: r + columns], axis=1) for r in range(0, len(tiles), columns)]
    return np.concatenate(rows, axis=0)


def skeleton_views(frames: list[PoseSet], size: int = 480, every: int = 5, min_joint_score: float = 0.2) -> np.ndarray:
    """Top view (x right, z = depth up the picture) and side view (z right, height up) of the
    skeletons in the camera frame, side by side, 1 m grid: root trajectories of all frames per
    id, full skeletons of every `every`-th frame. Plain cv2 (no plotting library needed)."""
    pts = [p.joints3d[i][p.joint_scores[i] >= min_joint_score] for p in frames for i in range(len(p))]
    pts = np.concatenate(pts) if pts else np.zeros((0, 3))
    pts = pts[np.all(np.isfinite(pts), axis=1)]
    lo = np.minimum(pts.min(axis=0), [-1, -1, 0]) if len(pts) else np.array([-3.0, -2.0, 0.0])
    hi = np.maximum(pts.max(axis=0), [1, 1, 3]) if len(pts) else np.array([3.0, 2.0, 8.0])
    panels = []
    # (horizontal axis, vertical axis, vertical sign, title); image v grows downwards.
    for ax_h, ax_v, sign, title in ((0, 2, -1, "top view: x right, z (depth) up"),
                                    (2, 1, 1, "side view: z (depth) right, height up")):
        img = np.full((size, size, 3), 255, np.uint8)
        span = max(hi[ax_h] - lo[ax_h], hi[ax_v] - lo[ax_v]) * 1.1 + 1e-6
        c_h, c_v = (hi[ax_h] + lo[ax_h]) / 2, (hi[ax_v] + lo[ax_v]) / 2
        s = (size - 40) / span

        def to_px(p, ax_h=ax_h, ax_v=ax_v, sign=sign, s=s, c_h=c_h, c_v=c_v):
            u = size / 2 + (p[..., ax_h] - c_h) * s
            v = size / 2 + 10 + (p[..., ax_v] - c_v) * s * (1 if sign > 0 else -1)
            return np.stack([u, v], axis=-1)

        for g in range(int(np.floor(lo.min())) - 1, int(np.ceil(hi.max())) + 2):
            for axis, horizontal in ((ax_h, False), (ax_v, True)):
                p = np.zeros(3)
                p[axis] = g
                q = to_px(p)
                if horizontal:
                    cv2.line(img, (0, int(q[1])), (size, int(q[1])), (225, 225, 225), 1)
                else:
                    cv2.line(img, (int(q[0]), 0), (int(q[0]), size), (225, 225, 225), 1)
        cam = to_px(np.zeros(3))
        cv2.drawMarker(img, _pt(cam), (0, 0, 0), cv2.MARKER_TRIANGLE_UP, 12, 2)
        for k, poses in enumerate(frames):
            for i in range(len(poses)):
                color = _rgb255(int(poses.ids[i]))
                cv2.circle(img, _pt(to_px(poses.roots[i])), 2, color, -1)
                if k % every == 0:
                    uv, ok = to_px(poses.joints3d[i]), poses.joint_scores[i] >= min_joint_score
                    for a, b in BONES:
                        if ok[a] and ok[b] and np.all(np.isfinite(uv[[a, b]])):
                            cv2.line(img, _pt(uv[a]), _pt(uv[b]), color, 1, cv2.LINE_AA)
        cv2.putText(img, title + "  (grid 1 m)", (6, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.42, (0, 0, 0), 1, cv2.LINE_AA)
        panels.append(img)
    return np.concatenate(panels, axis=1)


def image_with_views(image_rgb: np.ndarray, poses: PoseSet, min_joint_score: float = 0.2) -> np.ndarray:
    """One picture of one image's result: the overlay (skeletons, ids, depths) above the top and
    side views of the same people in metres (`drm infer --out`)."""
    overlay = draw_poses(image_rgb, poses, min_joint_score)
    width = overlay.shape[1]
    views = skeleton_views([poses], size=max(240, width // 2), every=1, min_joint_score=min_joint_score)
    views = cv2.resize(views, (width, int(round(views.shape[0] * width / views.shape[1]))),
                       interpolation=cv2.INTER_AREA)
    return np.concatenate([overlay, views], axis=0)
