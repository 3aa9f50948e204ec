"""The one camera model of drm_ros: intrinsics of the image as it arrives, and the
letterbox that maps it onto the network input.

Conventions (REP-103/104): pixel (u, v) with u right and v down; the optical frame has x right,
y down, z forward; pixel centres are at integer coordinates (OpenCV / CameraInfo convention).

`Camera` is built from the fields of a sensor_msgs/CameraInfo (or a YAML calibration file) and
validated; every invalid calibration raises `CameraError` with one explanatory message, so the
node can report it instead of guessing.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

# Distortion models we can undo, with the number of coefficients each takes. "equidistant" is the
# ROS fisheye model (OpenCV's cv2.fisheye): a ray at angle theta from the optical axis lands at
# radius f * theta_d, theta_d = theta (1 + k1 theta^2 + k2 theta^4 + k3 theta^6 + k4 theta^8).
DISTORTION_MODELS = {"": 0, "none": 0, "plumb_bob": 5, "rational_polynomial": 8, "equidistant": 4}
FISHEYE = "equidistant"


class CameraError(ValueError):
    """A calibration that cannot be used (zero/NaN focal length, unknown model, ...)."""


@dataclass(frozen=True)
class Camera:
    """Intrinsics of the image the network sees pixels of (binning and ROI already applied)."""

    width: int
    height: int
    fx: float
    fy: float
    cx: float
    cy: float
    distortion_model: str = "none"
    dist: tuple[float, ...] = field(default_factory=tuple)

    def __post_init__(self):
        values = np.array([self.fx, self.fy, self.cx, self.cy], dtype=np.float64)
        if not np.all(np.isfinite(values)):
            raise CameraError(f"camera intrinsics are not finite: fx={self.fx} fy={self.fy} cx={self.cx} cy={self.cy}")
        if self.fx <= 0 or self.fy <= 0:
            raise CameraError(f"camera focal length must be positive, got fx={self.fx} fy={self.fy} (uncalibrated camera?)")
        if self.width <= 0 or self.height <= 0:
            raise CameraError(f"camera image size must be positive, got {self.width}x{self.height}")
        if self.distortion_model not in DISTORTION_MODELS:
            raise CameraError(
                f"unsupported distortion model '{self.distortion_model}' (supported: plumb_bob, rational_polynomial, "
                f"equidistant, none)"
            )
        if not np.all(np.isfinite(np.asarray(self.dist, dtype=np.float64))):
            raise CameraError("distortion coefficients are not finite")

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_camera_info(
        cls,
        width: int,
        height: int,
        k,
        d=(),
        distortion_model: str = "plumb_bob",
        binning_x: int = 0,
        binning_y: int = 0,
        roi: tuple[int, int, int, int] | None = None,
    ) -> "Camera":
        """Camera of the delivered image from CameraInfo fields.

        CameraInfo's K/D describe the full-resolution sensor; the delivered image may be binned
        and cropped to a ROI (x_offset, y_offset, width, height; all zero = full image). The
        delivered pixel is u' = (u - x_offset) / binning_x, so K is shifted then scaled.
        Distortion is a function of the normalised coordinates, which this keeps unchanged.
        """
        k = np.asarray(k, dtype=np.float64).reshape(-1)
        if k.size != 9:
            raise CameraError(f"K must have 9 elements, got {k.size}")
        bx, by = max(int(binning_x), 1), max(int(binning_y), 1)
        x_off, y_off, roi_w, roi_h = roi if roi is not None else (0, 0, 0, 0)
        full_w, full_h = int(width), int(height)
        if roi_w and roi_h:  # a ROI: the delivered image is the crop, binned
            full_w, full_h = roi_w, roi_h
        fx, fy = k[0] / bx, k[4] / by
        cx, cy = (k[2] - x_off) / bx, (k[5] - y_off) / by
        dist = tuple(float(v) for v in np.asarray(d, dtype=np.float64).reshape(-1))
        model = distortion_model or ("plumb_bob" if dist else "none")
        if model in ("plumb_bob", "rational_polynomial") and not any(dist):
            model, dist = "none", ()  # (a fisheye with zero coefficients is still a fisheye: theta_d = theta)
        return cls(full_w // bx, full_h // by, fx, fy, cx, cy, model, dist)

    @classmethod
    def from_yaml_dict(cls, data: dict) -> "Camera":
        """From a camera_calibration_parsers YAML (image_width, camera_matrix.data, ...)."""
        try:
            return cls.from_camera_info(
                data["image_width"],
                data["image_height"],
                data["camera_matrix"]["data"],
                data.get("distortion_coefficients", {}).get("data", ()),
                data.get("distortion_model", "plumb_bob"),
            )
        except KeyError as exc:
            raise CameraError(f"camera YAML is missing the key {exc}") from None

    @classmethod
    def from_dict(cls, data: dict) -> "Camera":
        """Inverse of `to_dict` (the camera record of our dataset annotation files)."""
        try:
            return cls(int(data["width"]), int(data["height"]), float(data["fx"]), float(data["fy"]),
                       float(data["cx"]), float(data["cy"]), data.get("distortion_model", "none"),
                       tuple(float(v) for v in data.get("dist", ())))
        except (KeyError, TypeError) as exc:
            raise CameraError(f"camera record is missing or has a bad field: {exc}") from None

    def to_dict(self) -> dict:
        return {"width": self.width, "height": self.height, "fx": self.fx, "fy": self.fy, "cx": self.cx,
                "cy": self.cy, "distortion_model": self.distortion_model, "dist": list(self.dist)}

    @classmethod
    def default_for(cls, width: int, height: int, hfov_deg: float = 60.0) -> "Camera":
        """A documented guess for images without calibration: 60 degree horizontal FOV,
        square pixels, principal point at the image centre. Used only when asked for."""
        f = float(0.5 * width / np.tan(np.radians(hfov_deg) / 2))
        return cls(width, height, f, f, (width - 1) / 2, (height - 1) / 2)

    def crop(self, x0: int, y0: int, width: int, height: int) -> "Camera":
        """The camera of a crop (a tile) of this image, top-left pixel (x0, y0): the same camera
        with the principal point moved, as a CameraInfo ROI does. Distortion acts on normalised
        coordinates, so it is unchanged; a point seen in the crop back-projects to the same ray."""
        if width <= 0 or height <= 0 or x0 < 0 or y0 < 0 or x0 + width > self.width or y0 + height > self.height:
            raise CameraError(f"crop {width}x{height}+{x0}+{y0} is not inside the {self.width}x{self.height} image")
        return Camera(int(width), int(height), self.fx, self.fy, self.cx - x0, self.cy - y0, self.distortion_model,
                      self.dist)

    # ------------------------------------------------------------------ properties
    @property
    def K(self) -> np.ndarray:
        return np.array([[self.fx, 0, self.cx], [0, self.fy, self.cy], [0, 0, 1]], dtype=np.float64)

    @property
    def D(self) -> np.ndarray:
        n = DISTORTION_MODELS[self.distortion_model]
        d = np.zeros(n, dtype=np.float64)
        d[: min(n, len(self.dist))] = self.dist[:n]
        return d

    @property
    def has_distortion(self) -> bool:
        """False only for a pinhole camera (pixels = K times x/z, y/z)."""
        return self.distortion_model == FISHEYE or bool(np.any(self.D != 0))

    @property
    def is_fisheye(self) -> bool:
        return self.distortion_model == FISHEYE

    # ------------------------------------------------------------------ geometry
    def project(self, points: np.ndarray) -> np.ndarray:
        """Camera-frame points (..., 3) in metres -> distorted pixels (..., 2)."""
        pts = np.asarray(points, dtype=np.float64)
        flat = pts.reshape(-1, 3)
        if not self.has_distortion:
            uv = flat[:, :2] / flat[:, 2:3] * [self.fx, self.fy] + [self.cx, self.cy]
        elif self.is_fisheye:
            uv = _fisheye_distort(flat, self.D) * [self.fx, self.fy] + [self.cx, self.cy]
        else:
            uv, _ = cv2.projectPoints(np.ascontiguousarray(flat).reshape(-1, 1, 3), np.zeros(3), np.zeros(3), self.K, self.D)
            uv = uv.reshape(-1, 2)
        return uv.reshape(pts.shape[:-1] + (2,))

    def undistort_normalized(self, uv: np.ndarray) -> np.ndarray:
        """Distorted pixels (..., 2) -> ideal normalised image coordinates (x/z, y/z) (..., 2)."""
        uv = np.asarray(uv, dtype=np.float64)
        flat = uv.reshape(-1, 2)
        if not self.has_distortion or flat.shape[0] == 0:
            xy = (flat - [self.cx, self.cy]) / [self.fx, self.fy]
        elif self.is_fisheye:
            ray = self.rays(flat)
            with np.errstate(divide="ignore", invalid="ignore"):  # at or beyond 90 degrees: no x/z
                xy = np.where(ray[:, 2:3] > 0, ray[:, :2] / ray[:, 2:3], np.nan)
        else:
            # Iterative inverse with enough iterations for strong (wide-angle) distortion.
            criteria = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 50, 1e-12)
            xy = cv2.undistortPointsIter(flat.reshape(-1, 1, 2), self.K, self.D, None, None, criteria).reshape(-1, 2)
        return xy.reshape(uv.shape)

    def rays(self, uv: np.ndarray) -> np.ndarray:
        """Distorted pixels (..., 2) -> unit viewing rays (..., 3). Unlike x/z, y/z this also holds
        for fisheye rays at or beyond 90 degrees from the optical axis."""
        uv = np.asarray(uv, dtype=np.float64)
        flat = uv.reshape(-1, 2)
        if self.is_fisheye:
            ray = _fisheye_rays((flat - [self.cx, self.cy]) / [self.fx, self.fy], self.D)
        else:
            xy = self.undistort_normalized(flat)
            ray = np.concatenate([xy, np.ones((len(xy), 1))], axis=1)
            ray /= np.linalg.norm(ray, axis=1, keepdims=True)
        return ray.reshape(uv.shape[:-1] + (3,))

    def depth_scale(self, uv: np.ndarray) -> np.ndarray:
        """Factor turning the network's root depth (read from apparent size as on the optical
        axis) into depth for a person seen at pixels uv (..., 2): the lens' magnification there
        relative to on axis (sqrt of radial x tangential) times cos(theta), distance -> depth.
        1 for pinhole, plumb_bob and rational_polynomial (left to the network, as trained); for
        a fisheye measured best of three readings by tools/fisheye_depth.py (median depth bias
        +2..+4 % in every 20-degree band up to 80 degrees, model/logs/fisheye/depth_by_angle.log)."""
        uv = np.asarray(uv, dtype=np.float64)
        if not self.is_fisheye:
            return np.ones(uv.shape[:-1])
        theta = np.arccos(np.clip(self.rays(uv)[..., 2], -1.0, 1.0))
        k1, k2, k3, k4 = self.D
        t2 = theta * theta
        theta_d = theta * (1 + t2 * (k1 + t2 * (k2 + t2 * (k3 + t2 * k4))))
        slope = 1 + t2 * (3 * k1 + t2 * (5 * k2 + t2 * (7 * k3 + t2 * 9 * k4)))
        with np.errstate(divide="ignore", invalid="ignore"):
            tangential = np.where(theta > 1e-6, theta_d / np.sin(theta), 1.0)
        return np.sqrt(np.maximum(slope * tangential, 0.0)) * np.cos(theta)

    def backproject(self, uv: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Distorted pixels (..., 2) and depths z (...) in metres -> camera-frame points (..., 3)."""
        xy = self.undistort_normalized(uv)
        z = np.asarray(z, dtype=np.float64)[..., None]
        return np.concatenate([xy * z, z], axis=-1)


def _fisheye_theta_d(theta: np.ndarray, d: np.ndarray) -> np.ndarray:
    t2 = theta * theta
    return theta * (1 + t2 * (d[0] + t2 * (d[1] + t2 * (d[2] + t2 * d[3]))))


def _fisheye_distort(points: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Camera-frame points (N, 3) -> distorted normalised coordinates (N, 2) of the equidistant
    model. theta from atan2, so points at or beyond 90 degrees (z <= 0) project too."""
    r = np.hypot(points[:, 0], points[:, 1])
    theta = np.arctan2(r, points[:, 2])
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(r > 1e-12, _fisheye_theta_d(theta, d) / r, 1.0 / np.where(points[:, 2] > 0, points[:, 2], 1.0))
    return points[:, :2] * scale[:, None]


def _fisheye_rays(xy_d: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Distorted normalised coordinates (N, 2) -> unit rays (N, 3): theta from theta_d by Newton's
    method, inside the range where theta_d increases (_fisheye_max_theta)."""
    theta_max = _fisheye_max_theta(d)
    theta_d = np.hypot(xy_d[:, 0], xy_d[:, 1])
    theta = np.minimum(theta_d, theta_max)
    for _ in range(30):
        t2 = theta * theta
        f = _fisheye_theta_d(theta, d) - theta_d
        slope = 1 + t2 * (3 * d[0] + t2 * (5 * d[1] + t2 * (7 * d[2] + t2 * 9 * d[3])))
        step = f / slope
        theta = np.clip(theta - step, 0.0, theta_max)
        if np.all(np.abs(step) < 1e-14):
            break
    with np.errstate(divide="ignore", invalid="ignore"):
        direction = np.where(theta_d[:, None] > 1e-15, xy_d / theta_d[:, None], 0.0)
    return np.concatenate([direction * np.sin(theta)[:, None], np.cos(theta)[:, None]], axis=1)


def _fisheye_max_theta(d: np.ndarray) -> float:
    """The largest angle off axis (up to 180 degrees) up to which theta_d keeps increasing. A
    calibration fitted over a lens' field may fold back beyond it; pixels past the fold are read
    as rays at the fold instead of refusing a real camera's calibration."""
    theta = np.linspace(0.0, np.pi, 721)
    t2 = theta * theta
    slope = 1 + t2 * (3 * d[0] + t2 * (5 * d[1] + t2 * (7 * d[2] + t2 * 9 * d[3])))
    return float(theta[np.argmax(slope <= 0) - 1]) if np.any(slope <= 0) else float(np.pi)


@dataclass(frozen=True)
class Letterbox:
    """Uniform scale + padding that fits an image of (width, height) into the network input.

    Network pixel = scale * image pixel + pad (pixel centres preserved, as cv2.warpAffine with
    this matrix does). Keeping the aspect ratio keeps fx/fy unchanged, so the depth-by-focal
    normalisation stays meaningful; the camera of the network input is `camera.K` transformed.
    """

    scale: float
    pad_x: float
    pad_y: float
    in_width: int
    in_height: int

    @classmethod
    def fit(cls, width: int, height: int, in_width: int, in_height: int) -> "Letterbox":
        scale = min(in_width / width, in_height / height)
        # The scale maps pixel edges (0 and width) onto 0 and scale*width; pixel centres
        # therefore move by 0.5*(scale-1); fold that into the pad so centres stay exact.
        pad_x = (in_width - scale * width) / 2 + 0.5 * (scale - 1)
        pad_y = (in_height - scale * height) / 2 + 0.5 * (scale - 1)
        return cls(scale, pad_x, pad_y, in_width, in_height)

    @property
    def matrix(self) -> np.ndarray:
        """2x3 affine image pixel -> network pixel, for cv2.warpAffine."""
        return np.array([[self.scale, 0, self.pad_x], [0, self.scale, self.pad_y]], dtype=np.float64)

    def apply(self, image: np.ndarray) -> np.ndarray:
        # Bilinear, like the TF resize MoveNet was trained behind (warpAffine has no area mode).
        return cv2.warpAffine(image, self.matrix, (self.in_width, self.in_height), flags=cv2.INTER_LINEAR, borderValue=0)

    def to_network(self, uv: np.ndarray) -> np.ndarray:
        return np.asarray(uv) * self.scale + [self.pad_x, self.pad_y]

    def to_image(self, uv: np.ndarray) -> np.ndarray:
        return (np.asarray(uv) - [self.pad_x, self.pad_y]) / self.scale

    def network_focal(self, camera: Camera) -> float:
        """sqrt(fx*fy) of the network input: the focal length root depth is normalised by."""
        return float(self.scale * np.sqrt(camera.fx * camera.fy))

    def network_intrinsics(self, camera: Camera) -> np.ndarray:
        """(fx, fy, cx, cy) of the network input, pinhole part only: what the lifter's ray input
        (lifter.root_ray) is computed from."""
        cx, cy = self.to_network([camera.cx, camera.cy])
        return np.array([self.scale * camera.fx, self.scale * camera.fy, cx, cy])
