"""`drm bench {model,scaling,bound,node,memory,soak,recall}`: benchmark scripts printing medians, spreads and ratios."""
from __future__ import annotations

import importlib

KINDS = {
    "model": "forward/decode ms and FLOPs of the default model at several input sizes",
    "scaling": "DRM vs a top-down baseline on scenes with 1, 5, 10, 20 people",
    "bound": "FLOPs vs this CPU's measured peak, profiler cost centres, cheap wins",
    "node": "the running node over real DDS: sustained rate, latency p50/p95, drops",
    "memory": "the node's RSS over repeated lifecycle cycles and run-time input size changes",
    "soak": "the node under 10,000 frames, lifecycle churn, faults, garbage and broken model files",
    "decode": "the decode after the network: eager vs TorchScript, map layout, slots decoded",
    "recall": "people found on vtest.avi by each pass plan and exposure mode (also darkened), and their cost",
}


def configure(parser):
    parser.add_argument("kind", choices=sorted(KINDS), help="; ".join(f"{k}: {v}" for k, v in KINDS.items()))
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    parser.add_argument("--repeats", type=int, default=20, help="timed runs per measurement")
    parser.add_argument("--duration", type=float, default=30.0, help="node: seconds per configuration")
    parser.add_argument("--cycles", type=int, default=100, help="memory, soak: lifecycle configure/cleanup cycles")
    parser.add_argument("--phases", default="soak,churn,faults,garbage,model",
                        help="soak: comma-separated phases to run (soak, churn, faults, garbage, model)")
    parser.add_argument("--frames", type=int, default=10_000, help="soak: frames streamed at 30 Hz")
    parser.add_argument("--garbage", type=int, default=1_000, help="soak: malformed messages (garbage phase)")
    parser.add_argument("--transport", choices=("shm", "udp"), default="shm",
                        help="soak: shm = config/fastdds_shm.xml in every process (default); udp = Fast DDS defaults")
    parser.add_argument("--changes", type=int, default=50, help="memory: run-time input size changes")
    parser.add_argument("--video", default=None, help="recall: video file (default: OpenCV's vtest.avi)")
    parser.add_argument("--every", type=int, default=8, help="recall: use every N-th frame (default 8)")
    parser.add_argument("--limit", type=int, default=None, help="recall: at most this many frames")
    parser.add_argument("--part", choices=("all", "passes", "light"), default="all",
                        help="recall: pass plans, darkened frames, or both")
    parser.add_argument("--plans", default=None,
                        help="recall: comma-separated pass plans (default: all but tiles; see drm_ros/bench/recall.py)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="recall: timed rounds of every plan per frame, the fastest counts (default 3)")
    parser.add_argument("--draws", type=int, default=1,
                        help="recall: noise draws per darkened frame and brightness (default 1)")
    parser.add_argument("--exposures", default=None, help="recall: comma-separated exposure modes (default: all)")
    parser.add_argument("--dark-thresholds", default=None,
                        help="recall: comma-separated person score thresholds for frames the exposure step found "
                             "dark (default: the node's dark_score_threshold; 0.2 = the usual threshold everywhere)")
    from drm_ros.backends import CHOICES

    parser.add_argument("--backend", choices=CHOICES, default=None,
                        help="model: only the backend rows, this backend's and torch's (auto: every installed "
                             "one); node: run the node on this backend (default: the node's default, auto); "
                             "recall: run every plan on it (default torch)")
    parser.add_argument("--input-size", default=None, metavar="WxH",
                        help="node: only this network input size (default: the model's and four others)")
    parser.add_argument("--json", default=None, metavar="FILE",
                        help="node: also write the rows as a JSON list of {input, backend, hz, p50_ms, p95_ms, "
                             "dropped_frac}; soak: write the results to this file")


# the node and memory benchmarks start rclpy, so they live in the ROS edge
MODULES = {"model": "drm_ros.bench.model", "scaling": "drm_ros.bench.scaling", "bound": "drm_ros.bench.bound",
           "node": "drm_ros.ros.bench_node", "memory": "drm_ros.ros.bench_memory",
           "soak": "drm_ros.ros.bench_soak", "recall": "drm_ros.bench.recall", "decode": "drm_ros.bench.decode"}


def run(args) -> int:
    module = importlib.import_module(MODULES[args.kind])
    kwargs = {"threads": args.threads, "repeats": args.repeats}
    if args.kind == "model":
        kwargs["backend"] = args.backend
    if args.kind == "node":
        size = None
        if args.input_size:
            from drm_ros.inference import check_input_size

            try:
                size = check_input_size(args.input_size.lower().split("x"))
            except ValueError as exc:
                raise SystemExit(f"drm bench node: --input-size {args.input_size}: {exc}") from None
        kwargs = {"threads": args.threads, "duration": args.duration, "backend": args.backend, "size": size,
                  "json_path": args.json}
    if args.kind == "memory":
        kwargs = {"threads": args.threads, "cycles": args.cycles, "changes": args.changes}
    if args.kind == "soak":
        phases = [p.strip() for p in args.phases.split(",") if p.strip()]
        return module.run(phases, frames=args.frames, cycles=args.cycles, garbage=args.garbage, threads=args.threads,
                          json_out=args.json, transport=args.transport)
    if args.kind == "recall":
        kwargs.update(video=args.video, every=args.every, limit=args.limit, part=args.part, plans=args.plans,
                      exposures=args.exposures, backend=args.backend or "torch", rounds=args.rounds,
                      draws=args.draws, dark_thresholds=args.dark_thresholds)
    module.run(**kwargs)
    return 0
