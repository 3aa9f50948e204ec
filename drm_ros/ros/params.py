"""Every parameter of drm_node, in one table.

The node declares exactly these (with descriptions and ranges), config/drm.yaml lists exactly
these, and test/test_launch.py checks the two against each other by reading this table.
`runtime=True` parameters may be changed while the node runs (`ros2 param set`); the others are
read-only after start-up (they decide subscriptions or the loaded model).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor, ParameterType

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
        return None

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


PARAMS: tuple[Param, ...] = (
    Param("lifecycle", False,
          "true: a managed lifecycle node (configure loads the model, activate subscribes and publishes) "
          "driven by a lifecycle manager; false: configures and activates itself at start-up like a plain node."),
    Param("model_path", "", "Model weights file; empty = the default model shipped with drm_ros."),
    Param("device", "cpu", "Torch device for inference: cpu, cuda or cuda:<index>.", pattern=r"cpu|cuda(:\d+)?"),
    Param("num_threads", 2, "CPU threads for inference (torch.set_num_threads).", range=(1, 64, 1)),
    Param("input_width", 0, "Network input width in pixels (multiple of 32); 0 = the model's default.",
          range=(0, 2048, 32), runtime=True),
    Param("input_height", 0, "Network input height in pixels (multiple of 32); 0 = the model's default.",
          range=(0, 2048, 32), runtime=True),
    Param("score_threshold", 0.2, "Minimum person confidence to publish a skeleton.", range=(0.0, 1.0, 0.0),
          runtime=True),
    Param("max_persons", 20, "At most this many people per image (highest scores kept).", range=(1, 200, 1),
          runtime=True),
    Param("passes", "single", "single: one pass over the image; zoom: also re-look at up to max_zooms people the "
          "first pass was unsure of, at up to twice its resolution; tiles: also overlapping tiles at twice the "
          "detail (small people everywhere, several times the cost). README: 'Small people and poor light'.",
          choices=("single", "zoom", "tiles"), runtime=True),
    Param("max_zooms", 2, "passes=zoom: at most this many re-looks per image (each ~0.45x a default pass).",
          range=(1, 8, 1), runtime=True),
    Param("exposure", "gamma", "off: images as they arrive; gamma: brighten dark images (mean log-luminance < 0.25) "
          "by a gamma from their own brightness; clahe: that gamma, then CLAHE on luminance.",
          choices=("off", "gamma", "clahe"), runtime=True),
    Param("min_joint_score", 0.2, "Joints below this confidence are left out of markers and the debug image.",
          range=(0.0, 1.0, 0.0), runtime=True),
    Param("image_transport", "raw",
          "raw: subscribe sensor_msgs/Image on 'image'; compressed: sensor_msgs/CompressedImage on "
          "'image/compressed'.", choices=("raw", "compressed")),
    Param("image_qos", "sensor_data",
          "sensor_data: best effort, keep last 1 (never queues old frames; use the shared-memory FastDDS "
          "profile for big images); reliable: reliable, keep last 1.", choices=("sensor_data", "reliable")),
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
    Param("tracking_depth_gate_frac", 0.15, "Extra room for a person's root to move ALONG the viewing ray between "
          "frames, as a fraction of its distance (monocular depth is that noisy); the gate across the ray stays "
          "tracking_gate_m.", range=(0.0, 1.0, 0.0), runtime=True),
    Param("tracking_max_age", 5, "Frames a person may go unseen before its id is retired.", range=(0, 300, 1),
          runtime=True),
    Param("diagnostics_period_sec", 1.0, "Period of the /diagnostics status.", range=(0.1, 60.0, 0.0)),
    Param("error_throttle_sec", 5.0, "The same kind of input error is logged at most once per this many seconds.",
          range=(0.1, 3600.0, 0.0)),
)

BY_NAME = {p.name: p for p in PARAMS}


def defaults() -> dict[str, Any]:
    return {p.name: p.default for p in PARAMS}
