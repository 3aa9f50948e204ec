"""`drm eval`: score a model on a labelled dataset with the MuPoTS-3D protocol.

    drm eval --data DIR_OR_JSON [--model PATH] [--json OUT] [--input-size WxH] [--limit N]
             [--ground-plane off|known|auto [--floor-pass online|offline] [--floor-orientation ankles3d|image2d|fused]]
             [--score-threshold T]

--data is anything `drm_ros.data.load.load_any` reads (our dataset folder, a 3DMPPE MuCo/MuPoTS
json, a COCO person_keypoints json, a CMU Panoptic sequence folder). Prints a table; --json
writes the metrics and every image's predictions. Rules of each number: drm_ros/metrics.py.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from drm_ros.cli.infer import add_backend_option, add_pass_options, make_estimator, score_arg


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WxH (e.g. 384x288), got {text!r}") from None
    return w, h


def configure(parser: argparse.ArgumentParser) -> None:
    from drm_ros.inference import SCORE_THRESHOLD

    parser.add_argument("--data", required=True, type=Path,
                        help="dataset: drm_ros folder, 3DMPPE MuCo/MuPoTS json, COCO keypoints json or Panoptic sequence folder")
    parser.add_argument("--model", type=Path, default=None, help="model file (default: the shipped model)")
    parser.add_argument("--json", type=Path, default=None, help="write metrics and predictions to this JSON file")
    parser.add_argument("--input-size", type=_size, default=None, metavar="WxH",
                        help="network input size, multiples of 32 (default: the model's training size)")
    parser.add_argument("--limit", type=int, default=None, metavar="N", help="only the first N images (quick checks)")
    parser.add_argument("--score-threshold", type=score_arg, default=SCORE_THRESHOLD, metavar="T",
                        help="minimum person confidence, the node's score_threshold (dark images: the lower of it "
                             "and --dark-threshold) (default: %(default)s)")
    parser.add_argument("--threads", type=int, default=2,
                        help="CPU threads for inference (the runtime's, or torch's with --backend torch; "
                             "default: %(default)s)")
    parser.add_argument("--ground-plane", choices=("off", "known", "auto"), default="off",
                        help="refine absolute depth with the floor: known = each image's annotated camera pose above "
                             "the floor (drm synth writes it), auto = learnt from the people over the images in order "
                             "(a static camera's sequence); default: %(default)s")
    parser.add_argument("--floor-pass", choices=("online", "offline"), default="online",
                        help="--ground-plane auto: online = the floor learnt frame by frame, as the node does; offline "
                             "= learnt from ALL images first, then applied to every image (drm_ros/ground/offline.py) "
                             "(default: %(default)s)")
    parser.add_argument("--floor-orientation", choices=("ankles3d", "image2d", "fused"), default=None,
                        help="--ground-plane auto: where the learnt floor's tilt comes from (node parameter "
                             "ground_floor_orientation; drm_ros/ground/fit.py) (default: fused)")
    add_pass_options(parser)
    add_backend_option(parser)


def _fmt(value, unit: str = "") -> str:
    if value is None or value != value:  # None or NaN
        return "n/a"
    return f"{value:.1f}{unit}"


def format_table(m: dict) -> str:
    rows = [
        ("images / GT persons (with 3D)", f"{m['num_images']} / {m['num_gt_persons']} ({m['num_gt_persons_3d']})"),
        ("predicted persons / matched GT", f"{m['num_pred_persons']} / {m['num_matched']}"),
        ("PCKrel @150mm  all / matched", f"{_fmt(m['pck_rel'], ' %')} / {_fmt(m['pck_rel_matched'], ' %')}"),
        ("PCKabs @150mm  all / matched", f"{_fmt(m['pck_abs'], ' %')} / {_fmt(m['pck_abs_matched'], ' %')}"),
        ("PCK L/R-swap tolerant rel / abs", f"{_fmt(m['pck_rel_swap'], ' %')} / {_fmt(m['pck_abs_swap'], ' %')}"),
        ("AP_root @25cm", _fmt(m["ap_root_25"], " %")),
        ("MPJPE root-aligned (matched)", _fmt(m["mpjpe_rel_mm"], " mm")),
        ("root error (matched)", _fmt(m["root_err_mm"], " mm")),
        ("root error median (matched)", _fmt(m.get("root_err_median_pct"), " % of the distance")),
    ]
    if "pck_rel_seqavg" in m:
        rows.append((f"PCKrel / PCKabs, mean over {m['num_sequences']} sequence(s)",
                     f"{_fmt(m['pck_rel_seqavg'], ' %')} / {_fmt(m['pck_abs_seqavg'], ' %')}"))
    width = max(len(r[0]) for r in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def _progress(done: int, total: int) -> None:
    if done == total or done % 10 == 0 or sys.stderr.isatty():
        print(f"\rdrm eval: {done}/{total} images", end="\n" if done == total else "", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    from drm_ros.camera import CameraError
    from drm_ros.checkpoint import ModelError
    from drm_ros.data.load import UnknownFormatError, load_any
    from drm_ros.evaluation import evaluate_dataset, json_safe
    from drm_ros.backends import BackendError
    from drm_ros.inference import ImageError
    from drm_ros.passes import MultiPassEstimator

    try:
        samples = load_any(args.data)
    except (FileNotFoundError, UnknownFormatError, ValueError) as exc:
        print(f"drm eval: cannot load {args.data}: {exc}", file=sys.stderr)
        return 1
    if args.limit is not None:
        samples = samples[: max(0, args.limit)]
    if not samples:
        print(f"drm eval: {args.data} holds no images", file=sys.stderr)
        return 1
    try:
        estimator = MultiPassEstimator(make_estimator(str(args.model) if args.model else None, args.input_size,
                                                      args.score_threshold, args.backend, max(1, args.threads)),
                                       args.passes, args.max_zooms, args.exposure, args.fisheye_views,
                                       args.dark_threshold)
    except (ModelError, FileNotFoundError, ValueError, BackendError) as exc:
        print(f"drm eval: cannot load the model: {exc}", file=sys.stderr)
        return 1
    if args.floor_pass == "offline" and args.ground_plane != "auto":
        print("drm eval: --floor-pass offline learns the floor from all the images, so it needs --ground-plane auto",
              file=sys.stderr)
        return 1
    if args.floor_orientation is not None and args.ground_plane != "auto":
        print("drm eval: --floor-orientation chooses how a learnt floor is tilted, so it needs --ground-plane auto",
              file=sys.stderr)
        return 1
    from drm_ros.ground.fit import FitSettings
    fit = FitSettings(orientation=args.floor_orientation or FitSettings.orientation)

    ground = None
    if args.ground_plane != "off" and args.floor_pass == "online":
        from drm_ros.ground.session import GroundDepth

        if args.ground_plane == "known" and any(s.ground is None for s in samples):
            print(f"drm eval: --ground-plane known needs every image's 'ground' annotation; {args.data} lacks it "
                  f"on {sum(s.ground is None for s in samples)} of {len(samples)} images", file=sys.stderr)
            return 1
        ground = GroundDepth(args.ground_plane, fit=fit)
    try:
        scores, predictions = evaluate_dataset(estimator, samples, progress=_progress, ground=ground)
    except (FileNotFoundError, CameraError, ImageError) as exc:
        print(f"drm eval: {exc}", file=sys.stderr)
        return 1
    if args.floor_pass == "offline":
        from drm_ros.ground.offline import floor_pass
        from drm_ros.metrics import evaluate

        done = floor_pass(predictions, [s.camera for s in samples], fit=fit)
        predictions = done.poses
        scores = evaluate(predictions, samples)
    print(format_table(scores))
    print(f"backend: {estimator.estimator.backend}")
    totals = ground.totals if ground is not None else done.totals if args.floor_pass == "offline" else None
    if totals is not None:
        scores["ground_plane"] = {"mode": args.ground_plane, "floor_pass": args.floor_pass, **totals}
        print(f"ground plane {args.ground_plane} ({args.floor_pass}): {totals['refined']} people refined, {totals['gated']} "
              f"kept DRM's depth (gate), {totals['no_feet']} without confident ankles or before a floor")
        if args.floor_pass == "offline":
            print(f"floors: {done.describe()}")
    if args.json is not None:
        out = {
            "data": str(args.data), "model": str(args.model) if args.model else "default",
            "input_size": list(estimator.input_size), "ground_plane": args.ground_plane,
            "passes": args.passes, "fisheye_views": args.fisheye_views, "exposure": args.exposure,
            "score_threshold": args.score_threshold, "dark_threshold": args.dark_threshold,
            "backend": estimator.estimator.backend,
            "metrics": scores,
            "predictions": [{"image": s.image_path, **p.to_json_dict()} for s, p in zip(samples, predictions)],
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(json_safe(out), indent=1))
        print(f"wrote {args.json}")
    return 0
