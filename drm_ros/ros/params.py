"""Every parameter of drm_node, in one table.

The node declares exactly these (with descriptions and ranges), config/drm.yaml lists exactly
these, and test/test_launch.py checks the two against each other by reading this table.
`runtime=True` parameters may be changed while the node runs (`ros2 param set`); the others are
read-only after start-up (they decide subscriptions or the loaded model).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor, ParameterType

from drm_ros.backends import BACKENDS  # no ROS there, and importing it loads no runtime
from drm_ros.exposure import DARK_SCORE_THRESHOLD, EXPOSURE_MODES
from drm_ros.inference import SCORE_THRESHOLD

NODE_NAME = "drm_node"


@dataclass(frozen=True)
class Param:
    name: str
    default: Any
    description: str
    range: tuple[float, float, float] | None = None  # (min, max, step; 0 = any)
    choices: tuple[str, ...] | None = None
    runtime: bool = False
    pattern: str | None = None  # regular expression a string value must match
    check: Callable[[Any], str | None] | None = None  # further rule: None if fine, else the reason

    def validate(self, value) -> str | None:
        """None if `value` is acceptable, else the reason it is not."""
        kind = type(self.default)
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if type(value) is not kind:
            return f"{self.name} must be {kind.__name__}, got {type(value).__name__} {value!r}"
        if self.range is not None:
            lo, hi, step = self.range
            if not (lo <= value <= hi) or value != value:  # also rejects NaN
                return f"{self.name}={value} is outside [{lo}, {hi}]"
            if step and kind is int and (value - lo) % step:
                return f"{self.name}={value} must be {lo} + a multiple of {step}"
        if self.choices is not None and value not in self.choices:
            return f"{self.name}='{value}' is not one of {', '.join(self.choices)}"
        if self.pattern is not None and not re.fullmatch(self.pattern, value):
            return f"{self.name}='{value}' does not match {self.pattern}"
        return self.check(value) if self.check is not None else None

    def descriptor(self) -> ParameterDescriptor:
        kind = {bool: ParameterType.PARAMETER_BOOL, int: ParameterType.PARAMETER_INTEGER,
                float: ParameterType.PARAMETER_DOUBLE, str: ParameterType.PARAMETER_STRING}[type(self.default)]
        text = self.description
        if self.choices:
            text += f" One of: {', '.join(self.choices)}."
        if not self.runtime:
            text += " Changeable only while the node is unconfigured."
        # Not read_only: a lifecycle node may take new values between cleanup and configure;
        # the node's on-set callback enforces when each parameter may change.
        desc = ParameterDescriptor(name=self.name, type=kind, description=text)
        if self.range is not None and type(self.default) is float:
            desc.floating_point_range = [FloatingPointRange(from_value=float(self.range[0]),
                                                            to_value=float(self.range[1]), step=float(self.range[2]))]
        elif self.range is not None:
            desc.integer_range = [IntegerRange(from_value=int(self.range[0]), to_value=int(self.range[1]),
                                               step=int(self.range[2]))]
        return desc


def parse_input_size(text: str) -> tuple[int, int] | None:
    """'WxH' -> (W, H); '' -> None (the model's default). Assumes a validated value."""
    if not text:
        return None
    w, h = (int(v) for v in text.split("x"))
    return w, h


def _check_input_size(text: str) -> str | None:
    if not text:
        return None
    w, h = (int(v) for v in text.split("x"))
    if not (32 <= w <= 2048 and 32 <= h <= 2048) or w % 32 or h % 32:
        return f"input_size='{text}': width and height must be multiples of 32 in [32, 2048]"
    return None


def _check_backend(name: str) -> str | None:
    """A runtime named explicitly must be installed: refused when set, not at the next frame."""
    from drm_ros.backends import missing_packages

    missing = missing_packages(name) if name != "auto" else []
    return f"backend '{name}' needs {', '.join(missing)}, not installed" if missing else None


PARAMS: tuple[Param, ...] = (
    Param("lifecycle", False,
          "true: a managed lifecycle node (configure loads the model, activate subscribes and publishes) "
          "driven by a lifecycle manager; false: configures and activates itself at start-up like a plain node."),
    Param("model_path", "", "Model weights file; empty = the default model shipped with drm_ros."),
    Param("device", "cpu", "Torch device for inference: cpu, cuda or cuda:<index>.", pattern=r"cpu|cuda(:\d+)?"),
    Param("num_threads", 2, "CPU threads for inference: the runtime's (backend openvino/onnxruntime, torch then "
          "decodes on one thread so the two never fight) or torch's (backend torch).", range=(1, 64, 1)),
    Param("backend", "auto", "Who runs the network's convolutions: auto = the fastest installed (openvino, then "
          "onnxruntime, then torch); openvino and onnxruntime run it in fp32 (outputs within 1e-3 of torch) from an "
          "ONNX file exported once per model and input size into ~/.cache/drm_ros/onnx ($DRM_CACHE_DIR/onnx); "
          "openvino-bf16 is faster but moves depths (docs/measured.md); onnxruntime-int8 / openvino-int8 run the "
          "backbone in int8 (quantized once per model and size from model/int8_calibration, docs/measured.md); torch = "
          "TorchScript. A change at run time rebuilds the estimator between two frames.", choices=("auto",) + BACKENDS,
          runtime=True, check=_check_backend),
    Param("input_size", "", "Network input size 'WxH' in pixels, both multiples of 32 (e.g. '320x256'); empty = "
          "the model's default. One parameter so that a run-time change is one step (never a frame at a mixed size).",
          runtime=True, pattern=r"|\d+x\d+", check=_check_input_size),
    Param("score_threshold", SCORE_THRESHOLD, "Minimum person confidence to publish a skeleton (0.17: "
          "docs/measured.md 'The person threshold').", range=(0.0, 1.0, 0.0),
          runtime=True),
    Param("max_persons", 20, "At most this many people per image (highest scores kept).", range=(1, 200, 1),
          runtime=True),
    Param("passes", "single", "single: one pass over the image; zoom: also re-look at up to max_zooms people the "
          "first pass was unsure of, at up to twice its resolution; tiles: also overlapping tiles at twice the "
          "detail (small people everywhere, several times the cost). docs/measured.md: 'Small people and poor "
          "light'.",
          choices=("single", "zoom", "tiles"), runtime=True),
    Param("fisheye_views", True, "An equidistant (fisheye) camera wider than 100 degrees is seen through perspective "
          "views instead of passes: a pinhole view around the axis and one turned to each side, each lifted with its "
          "own camera (~3x the cost of one pass; finds people the fisheye bends at its rim). docs/measured.md: "
          "'Fisheye'.",
          runtime=True),
    Param("max_zooms", 2, "passes=zoom: at most this many re-looks per image (each ~0.45x a default pass).",
          range=(1, 8, 1), runtime=True),
    Param("exposure", "gain", "off: images as they arrive; gain: brighten dark images (mean log-luminance < 0.25) "
          "linearly to a normal mean, undoing under-exposure; gamma: by a gamma curve instead; clahe: that gamma, "
          "then CLAHE on luminance (best only below ~10 % light). Lit images are never altered.",
          choices=EXPOSURE_MODES, runtime=True),
    Param("dark_score_threshold", DARK_SCORE_THRESHOLD, "Minimum person confidence on images the exposure step "
          "found dark (and brightened): noise lowers real people's scores there. Used only when lower than "
          "score_threshold; set it to score_threshold (or above) for one threshold everywhere. docs/measured.md: "
          "'Small people and poor light'.", range=(0.0, 1.0, 0.0), runtime=True),
    Param("min_joint_score", 0.2, "Joints below this confidence are left out of markers and the debug image.",
          range=(0.0, 1.0, 0.0), runtime=True),
    Param("image_transport", "raw",
          "raw: subscribe sensor_msgs/Image on 'image'; compressed: sensor_msgs/CompressedImage on "
          "'image/compressed'.", choices=("raw", "compressed")),
    Param("image_qos", "auto",
          "auto: reliable when every publisher on the image topic is reliable, else best effort, following "
          "publishers as they come and go (big raw images survive default DDS transports only reliably); "
          "sensor_data: always best effort (use the shared-memory FastDDS profile for big images); reliable: always "
          "reliable (a best-effort publisher then does not match). Keep last 1 in every case.",
          choices=("auto", "sensor_data", "reliable")),
    Param("camera_info_wait_sec", 0.2, "How long an image waits for the camera_info with its own header stamp. "
          "After that (or once a newer camera_info arrived) the latest calibration is used only if it equals the "
          "previous one (said once in the log); otherwise the frame is refused.", range=(0.0, 10.0, 0.0)),
    Param("max_image_pixels", 3840 * 2160, "Images with more pixels are refused with an error (decode cost and "
          "memory are bounded).", range=(1, 100_000_000, 1), runtime=True),
    Param("publish_markers", True, "Publish visualization_msgs/MarkerArray on 'markers'.", runtime=True),
    Param("publish_tf", False, "Broadcast one TF frame per tracked person on /tf: '<tf_prefix>body_<id>' under the "
          "image frame, origin at the pelvis, x forward, y left, z up (REP-103 body axes from the torso)."),
    Param("tf_prefix", "", "Prefix of the per-person TF frame names (e.g. 'cam1/').", runtime=True),
    Param("marker_lifetime_frames", 3, "Marker lifetime in frame periods (measured input rate).",
          range=(1, 100, 1), runtime=True),
    Param("tracking_gate_m", 0.5, "Largest root (pelvis) displacement in metres between frames for a person to "
          "keep its id.", range=(0.05, 5.0, 0.0), runtime=True),
    Param("tracking_depth_gate_frac", 0.3, "Extra room for a person's root to move ALONG the viewing ray between "
          "frames, as a fraction of its distance (monocular depth is that noisy, the floor's depth on grazing rays "
          "more; 0.3 halved the id switches of 0.15 on labelled sequences); the gate across the ray stays "
          "tracking_gate_m.", range=(0.0, 1.0, 0.0), runtime=True),
    Param("tracking_max_age", 5, "Frames a person may go unseen before its id is retired.", range=(0, 300, 1),
          runtime=True),
    Param("depth_filter_alpha", 0.4, "Per-track depth filter (alpha-beta on log depth, the skeleton moved along its "
          "viewing rays; drm_ros/depth_filter.py): share of each new depth measurement taken; 1.0 = off.",
          range=(0.01, 1.0, 0.0), runtime=True),
    Param("depth_filter_beta", 0.05, "Per-track depth filter: gain of its depth-rate (walking speed) term; at most "
          "depth_filter_alpha.", range=(0.0, 1.0, 0.0), runtime=True),
    Param("pose_filter_min_cutoff_hz", 1.0, "Per-track pose filter (One-Euro on each joint's offset from the root; "
          "drm_ros/pose_filter.py): its cutoff in Hz when the person stands still; 0 = off.",
          range=(0.0, 100.0, 0.0), runtime=True),
    Param("pose_filter_beta", 4.0, "Per-track pose filter: how fast its cutoff rises with the joints' mean speed "
          "(Hz per m/s), so moving limbs are followed without lag.", range=(0.0, 1000.0, 0.0), runtime=True),
    Param("ground_plane", "off",
          "Absolute depth from feet on the floor (ankle rays meet the floor plane, fused with DRM's depth behind a "
          "consistency gate): off; params = ground_camera_height_m/pitch/roll; tf = the transform from "
          "ground_floor_frame (z up, floor at z = 0) to the image frame from /tf_static and /tf (a moving joint, e.g. "
          "a pan-tilt head, is looked up at each image's stamp); auto = learnt from "
          "upright people (static camera only; resets itself when the camera moves).",
          choices=("off", "params", "tf", "auto")),
    Param("ground_camera_height_m", 1.0, "ground_plane params: camera centre above the floor (m).",
          range=(0.05, 100.0, 0.0)),
    Param("ground_camera_pitch_deg", 0.0, "ground_plane params: optical axis below the horizon (deg; negative = "
          "looking up).", range=(-89.0, 89.0, 0.0)),
    Param("ground_camera_roll_deg", 0.0, "ground_plane params: roll about the optical axis (deg; positive turns "
          "the image x axis towards the floor).", range=(-89.0, 89.0, 0.0)),
    Param("ground_floor_frame", "base_footprint", "ground_plane tf: a frame whose z axis points up and whose "
          "z = 0 plane is the floor.", pattern=r"[A-Za-z_/][A-Za-z0-9_/]*"),
    Param("ground_ankle_height_m", 0.11, "Height above the floor of the detector's ankle point for a standing foot "
          "(m; the joint centre is ~0.07-0.08 m up, the detector marks it higher; chosen on calibration splits).",
          range=(0.0, 0.3, 0.0)),
    Param("ground_gate_k", 5.0, "The floor's depth is used only within this many combined sigmas of DRM's own.",
          range=(0.5, 20.0, 0.0)),
    Param("ground_floor_orientation", "fused", "ground_plane auto: where the learnt floor's tilt comes from: "
          "ankles3d = a plane through DRM's 3D ankles; image2d = people's 2D body points against their feet (no "
          "depth; height from the ankles along it); fused = both, averaged by their variances.",
          choices=("ankles3d", "image2d", "fused")),
    Param("ground_floor_file", "", "ground_plane auto: a YAML file that keeps the learnt floor across restarts: read "
          "at configure (a static camera starts from the floor it knew; dropped if people stop fitting it), "
          "rewritten every 30 s while a floor of its own is learnt and when the node stops; empty = none."),
    Param("ground_max_stature_m", 2.2, "A person the floor's depth would make taller than this (m) is not on that "
          "floor (a ramp, a raised road, a step) and keeps DRM's depth.", range=(1.5, 5.0, 0.0)),
    Param("diagnostics_period_sec", 1.0, "Period of the /diagnostics status.", range=(0.1, 60.0, 0.0)),
    Param("error_throttle_sec", 5.0, "Each distinct input problem is logged when it first appears, then at most once "
          "per this many seconds while it repeats (with a count of the lines held back).", range=(0.1, 3600.0, 0.0)),
)

BY_NAME = {p.name: p for p in PARAMS}


def defaults() -> dict[str, Any]:
    return {p.name: p.default for p in PARAMS}
