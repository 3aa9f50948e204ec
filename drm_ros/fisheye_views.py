"""Perspective views of a wide lens (issue 16): a virtual pinhole camera that shares the real
camera's optical centre, turned by a rotation R, whose image is remapped from the real one.

INFERRED (ours, not from the DRM paper): the network was trained on pinhole images, and a fisheye
bends people towards its rim until it no longer finds them (model/logs/fisheye/). Seen through a
pinhole view turned towards them, the same people are drawn as a pinhole draws them, so the
network sees what it learnt and reads depth as it learnt. A view is a camera of its own: the
network's 2D and 3D come out in the view's frame, the 3D is turned by R into the real camera's
frame, and the 2D is carried along its rays onto the real image (exact, independent of depth).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import cv2
import numpy as np

from drm_ros.camera import Camera
from drm_ros.codec import joint_boxes
from drm_ros.poses import PoseSet


def turn(yaw_deg: float, pitch_deg: float = 0.0) -> np.ndarray:
    """View frame -> camera frame for a view turned by `yaw_deg` about the camera's y axis
    (positive: towards +x, the image's right), after tilting it by `pitch_deg` about its own x
    axis (positive: down, towards +y)."""
    a, b = np.radians(yaw_deg), np.radians(pitch_deg)
    yaw = np.array([[np.cos(a), 0.0, np.sin(a)], [0.0, 1.0, 0.0], [-np.sin(a), 0.0, np.cos(a)]])
    pitch = np.array([[1.0, 0.0, 0.0], [0.0, np.cos(b), np.sin(b)], [0.0, -np.sin(b), np.cos(b)]])
    return yaw @ pitch


def pinhole(width: int, height: int, half_hfov_deg: float) -> Camera:
    """A distortion-free camera of `width` x `height` pixels, square pixels, principal point at
    the centre, whose horizontal field of view is twice `half_hfov_deg`."""
    f = float((width / 2) / np.tan(np.radians(half_hfov_deg)))
    return Camera(int(width), int(height), f, f, (width - 1) / 2, (height - 1) / 2)


@dataclass(frozen=True)
class View:
    """A pinhole `camera` whose frame is turned by `rotation` (3x3, row-major tuple; view frame
    -> the real camera's frame: X_camera = R X_view), both centred on the real optical centre."""

    camera: Camera
    rotation: tuple[float, ...]

    @classmethod
    def make(cls, camera: Camera, rotation: np.ndarray) -> "View":
        if camera.has_distortion:
            raise ValueError("a view is a pinhole camera (no distortion)")
        return cls(camera, tuple(float(v) for v in np.asarray(rotation, dtype=np.float64).reshape(9)))

    @property
    def R(self) -> np.ndarray:
        return np.array(self.rotation, dtype=np.float64).reshape(3, 3)

    @property
    def yaw_deg(self) -> float:
        return float(np.degrees(np.arctan2(self.R[0, 2], self.R[2, 2])))

    # --------------------------------------------------------------- view <-> real camera
    def to_camera_points(self, xyz: np.ndarray) -> np.ndarray:
        """Points (..., 3) in the view's frame -> the real camera's frame."""
        return np.asarray(xyz, dtype=np.float64) @ self.R.T

    def to_view_points(self, xyz: np.ndarray) -> np.ndarray:
        return np.asarray(xyz, dtype=np.float64) @ self.R

    def to_image_pixels(self, uv: np.ndarray, parent: Camera) -> np.ndarray:
        """View pixels (..., 2) -> the real image's pixels along the same rays."""
        return parent.project(self.to_camera_points(self.camera.rays(uv)))

    def maps(self, parent: Camera) -> tuple[np.ndarray, np.ndarray]:
        """cv2.remap maps (H, W) float32: the real image's pixel seen at each view pixel."""
        return _maps(self, parent)

    def render(self, image: np.ndarray, parent: Camera) -> np.ndarray:
        """The view's image from the real one (bilinear; black where the real image has no pixel)."""
        mx, my = self.maps(parent)
        return cv2.remap(image, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)

    def inner_edges(self, parent: Camera, samples: int = 9) -> tuple[bool, bool, bool, bool]:
        """(left, top, right, bottom): whether most of that edge of the view lies inside the real
        image. A person touching such an edge is cut by the view, not by the real image."""
        w, h = self.camera.width - 1, self.camera.height - 1
        t = np.linspace(0, 1, samples)
        edges = [np.stack([np.zeros_like(t), t * h], 1), np.stack([t * w, np.zeros_like(t)], 1),
                 np.stack([np.full_like(t, w), t * h], 1), np.stack([t * w, np.full_like(t, h)], 1)]
        out = []
        for uv in edges:
            rays = self.to_camera_points(self.camera.rays(uv))
            p = parent.project(rays)
            inside = (p[:, 0] >= 0) & (p[:, 0] <= parent.width - 1) & (p[:, 1] >= 0) & (p[:, 1] <= parent.height - 1)
            out.append(bool(np.mean(inside) > 0.5))
        return tuple(out)

    def poses_to_camera(self, poses: PoseSet, parent: Camera) -> PoseSet:
        """People found in the view -> the real camera: 3D turned by R, 2D carried along the rays."""
        if not len(poses):
            return poses
        uv = self.to_image_pixels(poses.joints2d, parent)
        return replace(poses, roots=self.to_camera_points(poses.roots), joints3d=self.to_camera_points(poses.joints3d),
                       joints2d=uv, boxes=joint_boxes(uv, poses.joint_scores))


@lru_cache(maxsize=16)
def _maps(view: View, parent: Camera) -> tuple[np.ndarray, np.ndarray]:
    # cached: a camera's calibration rarely changes, and the maps cost more than the remap
    w, h = view.camera.width, view.camera.height
    grid = np.stack(np.meshgrid(np.arange(w, dtype=np.float64), np.arange(h, dtype=np.float64)), axis=-1)
    uv = view.to_image_pixels(grid, parent).astype(np.float32)
    return np.ascontiguousarray(uv[..., 0]), np.ascontiguousarray(uv[..., 1])
