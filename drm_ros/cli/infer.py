"""`drm infer --image PATH [--fx F --fy F --cx C --cy C | --camera-info YAML] [--json] [--out PNG]
[--ground-plane params --camera-height H --camera-pitch P [--camera-roll R]]`.

--out writes one picture: the image with each person's skeleton, box, id (#n, by score) and
pelvis depth, above a top view and a side view of the same skeletons in metres (1 m grid)."""
from __future__ import annotations

import argparse
import json
import sys


def configure(parser):
    from drm_ros.inference import SCORE_THRESHOLD

    parser.add_argument("--image", required=True, help="image file (any format OpenCV reads)")
    parser.add_argument("--model", help="model file (default: the shipped model/drm_default.pt)")
    parser.add_argument("--camera-info", help="camera calibration YAML (camera_calibration_parsers format)")
    for k in ("fx", "fy", "cx", "cy"):
        parser.add_argument(f"--{k}", type=float, help="intrinsic in pixels of this image")
    parser.add_argument("--input-size", help="network input WxH, multiples of 32 (default: the model's)")
    parser.add_argument("--threshold", type=score_arg, default=SCORE_THRESHOLD,
                        help="person score threshold, the node's score_threshold (default: %(default)s)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--out", help="write a picture here (.png/.jpg): overlay with ids and depths + top/side 3D view")
    add_floor_arguments(parser, ("off", "params"))
    add_pass_options(parser)
    add_backend_option(parser)


def add_floor_arguments(parser, choices) -> None:
    """The ground-plane choice shared by drm infer and drm bag eval (node parameter ground_plane)."""
    parser.add_argument("--ground-plane", choices=choices, default="off",
                        help="refine absolute depth with the floor; params = --camera-height/--camera-pitch/--camera-roll")
    parser.add_argument("--camera-height", type=float, default=None, metavar="M", help="camera centre above the floor")
    parser.add_argument("--camera-pitch", type=float, default=0.0, metavar="DEG", help="optical axis below the horizon")
    parser.add_argument("--camera-roll", type=float, default=0.0, metavar="DEG", help="roll about the optical axis")


def floor_from_args(args):
    """The GroundPlane of --ground-plane params, None for off; SystemExit with one message if incomplete."""
    if args.ground_plane != "params":
        return None
    if args.camera_height is None:
        raise SystemExit("drm: --ground-plane params needs --camera-height (and --camera-pitch, --camera-roll)")
    from drm_ros.ground.plane import GroundPlane, PlaneError

    try:
        return GroundPlane.from_height_pitch_roll(args.camera_height, args.camera_pitch, args.camera_roll)
    except PlaneError as exc:
        raise SystemExit(f"drm: {exc}") from None


def add_backend_option(parser):
    """--backend, the same in drm infer, drm eval, drm bench (node parameter backend)."""
    from drm_ros.backends import CHOICES

    parser.add_argument("--backend", choices=CHOICES, default="auto",
                        help="who runs the network's convolutions: auto = the fastest installed (openvino, "
                             "onnxruntime, torch); openvino-bf16 is faster but moves depths; onnxruntime-int8 and "
                             "openvino-int8 run the backbone in int8 (docs/measured.md) (default: %(default)s)")


def make_estimator(model, input_size, score_threshold: float, backend: str, threads: int | None = None):
    """The estimator of the CLI commands on `backend`; torch's threads set to fit it (the runtime
    takes `threads`, torch then decodes on one). BackendError if the backend cannot run."""
    import torch

    from drm_ros.backends import resolve, torch_threads
    from drm_ros.inference import PoseEstimator

    threads = threads or torch.get_num_threads()
    backend = resolve(backend)
    torch.set_num_threads(torch_threads(backend, threads))
    return PoseEstimator.from_file(model, input_size=input_size, score_threshold=score_threshold, backend=backend,
                                   threads=threads)


def score_arg(text: str) -> float:
    """A person score threshold on the command line: a number in [0, 1], or one clear error."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0.0 <= value <= 1.0:  # also NaN
        raise argparse.ArgumentTypeError(f"expected a score in [0, 1], got {text!r}")
    return value


def add_pass_options(parser):
    """--passes/--max-zooms/--exposure/--dark-threshold, the same in drm infer, drm eval (drm_ros/passes.py,
    exposure.py)."""
    from drm_ros.exposure import DARK_SCORE_THRESHOLD, EXPOSURE_MODES
    from drm_ros.passes import PASSES

    parser.add_argument("--passes", choices=PASSES, default="single",
                        help="single: one pass; zoom: re-look at doubtful people at higher resolution; "
                             "tiles: overlapping tiles at twice the detail (default: %(default)s)")
    parser.add_argument("--max-zooms", type=int, default=2, help="zoom: at most this many re-looks per image")
    parser.add_argument("--exposure", choices=EXPOSURE_MODES, default="gain",
                        help="brighten dark images before the network: gain (linear), gamma, or gamma + CLAHE "
                             "(default: %(default)s)")
    parser.add_argument("--dark-threshold", type=float, default=DARK_SCORE_THRESHOLD,
                        help="person score threshold on images --exposure found dark, when lower than the usual "
                             "one (default: %(default)s)")
    parser.add_argument("--fisheye-views", action=argparse.BooleanOptionalAction, default=True,
                        help="see a fisheye (equidistant) camera wider than 100 degrees through perspective views "
                             "(a centre view and one turned to each side) instead of --passes (default: %(default)s)")


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

    from drm_ros.passes import MultiPassEstimator

    floor = floor_from_args(args)
    bgr = cv2.imread(args.image, cv2.IMREAD_COLOR)
    if bgr is None:
        print(f"drm infer: cannot read image {args.image}", file=sys.stderr)
        return 1
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    camera, warning = camera_for(args, rgb.shape[1], rgb.shape[0])
    if warning:
        print(f"drm infer: {warning}", file=sys.stderr)
    size = tuple(int(v) for v in args.input_size.lower().split("x")) if args.input_size else None
    from drm_ros.backends import BackendError

    try:
        estimator = MultiPassEstimator(make_estimator(args.model, size, args.threshold, args.backend),
                                       args.passes, args.max_zooms, args.exposure, args.fisheye_views,
                                       args.dark_threshold)
    except BackendError as exc:
        print(f"drm infer: {exc}", file=sys.stderr)
        return 1
    poses = estimator.estimate(rgb, camera)
    if floor is not None:
        from drm_ros.ground.session import GroundDepth

        ground = GroundDepth("fixed", floor)
        poses = ground.apply(poses, camera).poses
        print(f"drm infer: ground plane: {ground.totals['refined']} refined, {ground.totals['gated']} kept DRM's depth "
              f"(gate), {ground.totals['no_feet']} without confident ankles", file=sys.stderr)
    poses = poses.with_ids(range(len(poses)))  # one image, no tracker: number people by score
    if args.out:
        from drm_ros.overlay import image_with_views

        picture = image_with_views(rgb, poses)
        if not cv2.imwrite(args.out, cv2.cvtColor(picture, cv2.COLOR_RGB2BGR)):
            print(f"drm infer: cannot write {args.out} (folder missing, or not .png/.jpg?)", file=sys.stderr)
            return 1
        print(f"drm infer: wrote {args.out}", file=sys.stderr)
    if args.json:
        print(json.dumps(poses.to_json_dict()))
        return 0
    print(f"{len(poses)} people (camera optical frame, metres):")
    for i in range(len(poses)):
        x, y, z = poses.roots[i]
        print(f"  #{i}: score {poses.scores[i]:.2f}  pelvis x={x:+.2f} y={y:+.2f} z={z:.2f}  "
              f"bbox {', '.join(f'{v:.0f}' for v in poses.boxes[i])}")
    return 0
