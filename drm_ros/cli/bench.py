"""`drm bench <kind>`: benchmark scripts printing medians, spreads and ratios.

Each kind takes only its own options (`drm bench recall --help`): one small function per kind
adds them, with `dest` names equal to the keyword arguments of that benchmark's `run`, so the
parsed options are passed on as they are.
"""
from __future__ import annotations

import argparse
import importlib
from typing import Callable

# kind -> (module with run(**options), one-line help, adds the kind's options);
# node, memory and soak start rclpy, so they live in the ROS edge
BENCHES: dict[str, tuple[str, str, Callable]] = {}


def bench(kind: str, module: str, help: str):
    def register(add_options: Callable) -> Callable:
        BENCHES[kind] = (module, help, add_options)
        return add_options
    return register


def _threads(p, what: str = "torch threads") -> None:
    p.add_argument("--threads", type=int, default=2, help=f"{what} (default 2)")


def _repeats(p, default: int = 20) -> None:
    p.add_argument("--repeats", type=int, default=default, help=f"timed runs per measurement (default {default})")


def _input_size(text: str) -> tuple[int, int]:
    from drm_ros.inference import check_input_size

    try:
        return check_input_size(text.lower().split("x"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _backend(p, help: str, default=None) -> None:
    from drm_ros.backends import CHOICES

    p.add_argument("--backend", choices=CHOICES, default=default, help=help)


@bench("model", "drm_ros.bench.model", "forward/decode ms and FLOPs of the default model at several input sizes")
def _model(p):
    _threads(p)
    _repeats(p)
    _backend(p, "only the backend rows, this backend's and torch's (auto: every installed one)")


@bench("scaling", "drm_ros.bench.scaling", "DRM vs a top-down baseline on scenes with 1, 5, 10, 20 people")
@bench("bound", "drm_ros.bench.bound", "FLOPs vs this CPU's measured peak, profiler cost centres, cheap wins")
@bench("decode", "drm_ros.bench.decode", "the decode after the network: eager vs TorchScript, map layout, slots decoded")
def _timing_only(p):
    _threads(p)
    _repeats(p)


@bench("node", "drm_ros.ros.bench_node", "the running node over real DDS: sustained rate, latency p50/p95, drops")
def _node(p):
    _threads(p, "the node's inference threads")
    p.add_argument("--duration", type=float, default=30.0, help="seconds per configuration (default 30)")
    _backend(p, "run the node on this backend (default: the node's default, auto)")
    p.add_argument("--input-size", dest="size", type=_input_size, default=None, metavar="WxH",
                   help="only this network input size (default: the model's and four others)")
    p.add_argument("--json", dest="json_path", default=None, metavar="FILE",
                   help="also write the rows as a JSON list of {input, backend, hz, p50_ms, p95_ms, dropped_frac}")


@bench("memory", "drm_ros.ros.bench_memory", "the node's RSS over repeated lifecycle cycles and run-time input size changes")
def _memory(p):
    _threads(p, "the node's inference threads")
    p.add_argument("--cycles", type=int, default=100, help="lifecycle configure/cleanup cycles (default 100)")
    p.add_argument("--changes", type=int, default=50, help="run-time input size changes (default 50)")


@bench("soak", "drm_ros.ros.bench_soak", "the node under 10,000 frames, lifecycle churn, faults, garbage and broken model files")
def _soak(p):
    _threads(p, "the node's inference threads")
    p.add_argument("--phases", type=lambda s: [x.strip() for x in s.split(",") if x.strip()],
                   default="soak,churn,faults,garbage,model",
                   help="comma-separated phases to run (soak, churn, faults, garbage, model; default all)")
    p.add_argument("--frames", type=int, default=10_000, help="frames streamed at 30 Hz (default 10000)")
    p.add_argument("--cycles", type=int, default=100, help="lifecycle configure/cleanup cycles (default 100)")
    p.add_argument("--garbage", type=int, default=1_000, help="malformed messages in the garbage phase (default 1000)")
    p.add_argument("--transport", choices=("shm", "udp"), default="shm",
                   help="shm = config/fastdds_shm.xml in every process (default); udp = Fast DDS defaults")
    p.add_argument("--json", dest="json_out", default=None, metavar="FILE", help="write the results to this file")


@bench("recall", "drm_ros.bench.recall", "people found on vtest.avi by each pass plan and exposure mode (also darkened), and their cost")
def _recall(p):
    _threads(p)
    _repeats(p)
    p.add_argument("--video", default=None, help="video file (default: OpenCV's vtest.avi)")
    p.add_argument("--every", type=int, default=8, help="use every N-th frame (default 8)")
    p.add_argument("--limit", type=int, default=None, help="at most this many frames")
    p.add_argument("--part", choices=("all", "passes", "light"), default="all",
                   help="pass plans, darkened frames, or both (default all)")
    p.add_argument("--plans", default=None,
                   help="comma-separated pass plans (default: all but tiles; see drm_ros/bench/recall.py)")
    p.add_argument("--rounds", type=int, default=3,
                   help="timed rounds of every plan per frame, the fastest counts (default 3)")
    p.add_argument("--draws", type=int, default=1, help="noise draws per darkened frame and brightness (default 1)")
    p.add_argument("--exposures", default=None, help="comma-separated exposure modes (default: all)")
    p.add_argument("--dark-thresholds", default=None,
                   help="comma-separated person score thresholds for frames the exposure step found dark "
                        "(default: the node's dark_score_threshold; 0.17 = the usual threshold everywhere)")
    _backend(p, "run every plan on this backend (default torch)", default="torch")


def configure(parser):
    kinds = parser.add_subparsers(dest="kind", metavar="<kind>", required=True)
    for kind, (_, help_text, add_options) in BENCHES.items():
        add_options(kinds.add_parser(kind, help=help_text, description=help_text))


def run(args) -> int:
    options = {k: v for k, v in vars(args).items() if k != "kind"}
    status = importlib.import_module(BENCHES[args.kind][0]).run(**options)
    return int(status or 0)
