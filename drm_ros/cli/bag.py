"""`drm bag replay|record|eval`: rosbag2 tools without rosbag2_py (see drm_ros/ros/bag_*.py).
Every subcommand starts rclpy: run it through tools/loopback on a shared machine."""
from __future__ import annotations

import argparse


def configure(parser: argparse.ArgumentParser) -> None:
    subs = parser.add_subparsers(dest="action", required=True, metavar="<action>")
    rep = subs.add_parser("replay", help="publish a bag with its original timing (+ /clock)")
    rep.add_argument("--bag", required=True, help="rosbag2 directory (mcap or sqlite3)")
    rep.add_argument("--rate", type=float, default=1.0, help="speed factor; 0 = as fast as possible")
    rep.add_argument("--topics", nargs="*", default=None, help="only these topics")
    rep.add_argument("--loop", action="store_true")
    rep.add_argument("--wait-subscribers", type=float, default=0.0, metavar="SEC",
                     help="wait up to SEC for every topic to have a subscriber first")
    rec = subs.add_parser("record", help="record topics to a new bag (raw, no deserialization)")
    rec.add_argument("--out", required=True, help="new bag directory")
    rec.add_argument("--topics", nargs="+", required=True)
    rec.add_argument("--storage", choices=("mcap", "sqlite3"), default="mcap")
    rec.add_argument("--duration", type=float, default=0.0, help="seconds; 0 = until Ctrl-C")
    ev = subs.add_parser("eval", help="run drm_node on a bag and score its skeletons")
    ev.add_argument("--bag", required=True)
    ev.add_argument("--json", default=None, help="write the full report here")
    ev.add_argument("--rate", type=float, default=0.0,
                    help="0 = lockstep (every frame scored); >0 = real-time replay at this speed (drops count)")
    ev.add_argument("--param", action="append", default=[], metavar="NAME:=VALUE",
                    help="extra drm_node parameter, e.g. --param score_threshold:=0.4")
    from drm_ros.cli.infer import add_floor_arguments

    add_floor_arguments(ev, ("off", "params", "tf", "auto"))
    ev.add_argument("--floor-frame", default=None, help="--ground-plane tf: the z-up floor frame (node default base_footprint)")
    ev.add_argument("--floor-pass", choices=("online", "offline"), default="online",
                    help="--ground-plane auto: online = the node learns the floor as it goes (what a robot gets); "
                         "offline = the node runs with its floor and depth filter off, then the floor is learnt from "
                         "ALL frames and applied to every frame from the first, and each track's depth is smoothed "
                         "forwards and backwards (drm_ros/ground/offline.py, drm_ros/depth_smoother.py; --param "
                         "depth_filter_alpha/beta set the smoother's gains, alpha 1.0 = none; --param "
                         "ground_floor_file:=F writes the floor learnt, for a live node on the same camera); "
                         "hindsight only an evaluator has (default: %(default)s)")


def run(args) -> int:
    if args.action == "replay":
        from drm_ros.ros.bag_replay import replay

        return replay(args.bag, args.rate, args.topics, args.loop, args.wait_subscribers)
    if args.action == "record":
        from drm_ros.ros.bag_record import record

        return record(args.out, args.topics, args.storage, args.duration)
    from drm_ros.ros.bag_eval import run as run_eval

    if args.floor_pass == "offline" and args.ground_plane != "auto":
        raise SystemExit("drm bag eval: --floor-pass offline learns the floor from the whole bag, so it needs "
                         "--ground-plane auto (a floor from params or tf is the same online and offline)")
    params = {"ground_plane": args.ground_plane} if args.ground_plane != "off" else {}
    if args.ground_plane == "params":
        from drm_ros.cli.infer import floor_from_args

        floor_from_args(args)  # complete and valid, or one clear message
        params.update(ground_camera_height_m=args.camera_height, ground_camera_pitch_deg=float(args.camera_pitch),
                      ground_camera_roll_deg=float(args.camera_roll))
    if args.floor_frame:
        params["ground_floor_frame"] = args.floor_frame
    params.update(dict(p.split(":=", 1) for p in args.param))
    return run_eval(args.bag, args.json, args.rate, params, args.floor_pass)
