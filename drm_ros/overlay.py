"""Drawing a PoseSet on its image (the node's debug_image, the demo's contact sheet), and the
per-person colours shared with the RViz markers so the same person has the same colour in both."""
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
