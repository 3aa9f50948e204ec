"""`GroundPlane`: the floor in the camera's optical frame (x right, y down, z forward).

Stored as the floor's unit `up` vector in camera coordinates and the camera centre's `height`
above the floor, so the height of any camera-frame point X above the floor is up . X + height.
That parametrisation is what every user needs (ray intersection, "is this foot on the floor",
the marker) and it cannot describe a camera under the floor by accident (height > 0 is checked).

Sources: camera height + pitch/roll parameters (`from_height_pitch_roll`, the same convention
as the synthetic rig: pitch down positive, roll about the optical axis), a camera-to-floor
transform such as a chain of static TFs (`from_camera_pose`), or a fit (`drm_ros.ground.fit`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


class PlaneError(ValueError):
    """A plane that cannot be used (non-finite values, zero normal, camera not above the floor)."""


@dataclass(frozen=True)
class GroundPlane:
    up: np.ndarray  # (3,) unit vector, the floor's upward normal in the camera frame
    height: float  # camera centre above the floor, metres (> 0)

    def __post_init__(self):
        up = np.asarray(self.up, dtype=np.float64).reshape(-1)
        if up.size != 3 or not np.all(np.isfinite(up)) or np.linalg.norm(up) < 1e-9:
            raise PlaneError(f"ground plane normal must be a finite non-zero 3-vector, got {self.up}")
        if not np.isfinite(self.height) or self.height <= 0:
            raise PlaneError(f"the camera must be above the floor (height > 0 m), got {self.height}")
        object.__setattr__(self, "up", up / np.linalg.norm(up))
        object.__setattr__(self, "height", float(self.height))

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_height_pitch_roll(cls, height_m: float, pitch_deg: float, roll_deg: float = 0.0) -> "GroundPlane":
        """A camera `height_m` above a level floor, its optical axis pitched `pitch_deg` below the
        horizon (negative = looking up) and rolled `roll_deg` about the optical axis (positive
        turns the image's x axis towards the floor, as drm_ros.synth.rig does)."""
        t, r = np.radians(float(pitch_deg)), np.radians(float(roll_deg))
        up = np.array([-np.sin(r) * np.cos(t), -np.cos(r) * np.cos(t), -np.sin(t)])
        return cls(up, float(height_m))

    @classmethod
    def from_camera_pose(cls, rotation: np.ndarray, translation: np.ndarray) -> "GroundPlane":
        """From the camera's pose in a z-up floor frame (floor at z = 0): X_floor = R X_cam + t.
        The floor's up axis in camera coordinates is R's last row; the camera's height is t_z."""
        R = np.asarray(rotation, dtype=np.float64).reshape(3, 3)
        t = np.asarray(translation, dtype=np.float64).reshape(3)
        return cls(R[2].copy(), float(t[2]))

    def camera_pose(self) -> tuple[np.ndarray, np.ndarray]:
        """(R, t) of the camera in a z-up floor frame, X_floor = R X_cam + t, whose origin is the
        floor point below the camera and whose x axis points along the camera's view (the
        inverse of `from_camera_pose`; the floor fixes neither yaw nor position on it)."""
        origin, a, b = self.floor_basis()
        R = np.stack([a, b, self.up])  # rows: the floor frame's axes in camera coordinates
        return R, -R @ origin

    @classmethod
    def from_dict(cls, data: dict) -> "GroundPlane":
        try:
            return cls(np.asarray(data["up"], dtype=np.float64), float(data["camera_height_m"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise PlaneError(f"ground record needs 'up' (3 numbers) and 'camera_height_m': {exc}") from None

    def to_dict(self) -> dict:
        return {"up": [round(float(v), 6) for v in self.up], "camera_height_m": round(self.height, 4),
                "pitch_deg": round(self.pitch_deg, 3), "roll_deg": round(self.roll_deg, 3)}

    # ------------------------------------------------------------------ geometry
    @property
    def pitch_deg(self) -> float:
        return float(np.degrees(np.arcsin(np.clip(-self.up[2], -1, 1))))

    @property
    def roll_deg(self) -> float:
        return float(np.degrees(np.arctan2(-self.up[0], -self.up[1])))

    def heights(self, points: np.ndarray) -> np.ndarray:
        """Height above the floor (m) of camera-frame points (..., 3)."""
        return np.asarray(points, dtype=np.float64) @ self.up + self.height

    def ray_depths(self, rays: np.ndarray, height_above_floor=0.0) -> np.ndarray:
        """Depth z where rays (..., 3) with z = 1 (undistorted normalised coordinates) reach the
        given height above the floor; NaN for rays that never get there in front of the camera
        (pointing at or above the horizon, or a target height not below the camera)."""
        rays = np.asarray(rays, dtype=np.float64)
        descent = -(rays @ self.up)  # how fast the ray loses height per metre of depth
        drop = self.height - np.asarray(height_above_floor, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = drop / descent
        return np.where((descent > 1e-6) & (drop > 0) & np.isfinite(z), z, np.nan)

    def angle_to_deg(self, other: "GroundPlane") -> float:
        return float(np.degrees(np.arccos(np.clip(self.up @ other.up, -1, 1))))

    def floor_basis(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(origin, a, b): the floor point below the camera and two unit vectors spanning the floor,
        `a` as close to the camera's forward (z) axis as the floor allows (for drawing it)."""
        origin = -self.height * self.up
        fwd = np.array([0.0, 0.0, 1.0]) - self.up[2] * self.up
        if np.linalg.norm(fwd) < 1e-6:
            fwd = np.array([1.0, 0.0, 0.0]) - self.up[0] * self.up
        a = fwd / np.linalg.norm(fwd)
        return origin, a, np.cross(self.up, a)
