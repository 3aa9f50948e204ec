"""`drm infer --image PATH [--fx F --fy F --cx C --cy C | --camera-info YAML] [--json]`."""
from __future__ import annotations

import json
import sys


def configure(parser):
    parser.add_argument("--image", required=True, help="image file (any format OpenCV reads)")
    parser.add_argument("--model", help="model file (default: the shipped model/drm_default.pt)")
    parser.add_argument("--camera-info", help="camera calibration YAML (camera_calibration_parsers format)")
    for k in ("fx", "fy", "cx", "cy"):
        parser.add_argument(f"--{k}", type=float, help="intrinsic in pixels of this image")
    parser.add_argument("--input-size", help="network input WxH, multiples of 32 (default: the model's)")
    parser.add_argument("--threshold", type=float, default=0.2, help="person score threshold")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    add_pass_options(parser)


def add_pass_options(parser):
    """--passes/--max-zooms/--exposure, the same in drm infer, drm eval (drm_ros/passes.py, exposure.py)."""
    from drm_ros.exposure import EXPOSURE_MODES
    from drm_ros.passes import PASSES

    parser.add_argument("--passes", choices=PASSES, default="single",
                        help="single: one pass; zoom: re-look at doubtful people at higher resolution; "
                             "tiles: overlapping tiles at twice the detail (default: %(default)s)")
    parser.add_argument("--max-zooms", type=int, default=2, help="zoom: at most this many re-looks per image")
    parser.add_argument("--exposure", choices=EXPOSURE_MODES, default="gamma",
                        help="brighten dark images before the network (default: %(default)s)")


def camera_for(args, width: int, height: int):
    """The camera from the arguments; without any, the documented default (and say so)."""
    import yaml

    from drm_ros.camera import Camera

    if args.camera_info:
        with open(args.camera_info) as f:
            return Camera.from_yaml_dict(yaml.safe_load(f)), None
    given = [getattr(args, k) for k in ("fx", "fy", "cx", "cy")]
    if any(v is not None for v in given):
        if any(v is None for v in given):
            raise SystemExit("drm infer: give all of --fx --fy --cx --cy, or --camera-info")
        return Camera(width, height, *given), None
    cam = Camera.default_for(width, height)
    return cam, (f"no intrinsics given: assuming 60 deg horizontal field of view (fx = fy = {cam.fx:.1f} px, "
                 f"principal point at the image centre); absolute depths scale with fx")


def run(args) -> int:
    import cv2

    from drm_ros.inference import PoseEstimator
    from drm_ros.passes import MultiPassEstimator

    bgr = cv2.imread(args.image, cv2.IMREAD_COLOR)
    if bgr is None:
        print(f"drm infer: cannot read image {args.image}", file=sys.stderr)
        return 1
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    camera, warning = camera_for(args, rgb.shape[1], rgb.shape[0])
    if warning:
        print(f"drm infer: {warning}", file=sys.stderr)
    size = tuple(int(v) for v in args.input_size.lower().split("x")) if args.input_size else None
    estimator = MultiPassEstimator(PoseEstimator.from_file(args.model, input_size=size, score_threshold=args.threshold),
                                   args.passes, args.max_zooms, args.exposure)
    poses = estimator.estimate(rgb, camera)
    if args.json:
        print(json.dumps(poses.to_json_dict()))
        return 0
    print(f"{len(poses)} people (camera optical frame, metres):")
    for i in range(len(poses)):
        x, y, z = poses.roots[i]
        print(f"  #{i}: score {poses.scores[i]:.2f}  pelvis x={x:+.2f} y={y:+.2f} z={z:.2f}  "
              f"bbox {', '.join(f'{v:.0f}' for v in poses.boxes[i])}")
    return 0
