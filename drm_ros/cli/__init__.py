"""The `drm` command: one small module per subcommand, each exposing `register(subparsers)`.

A subcommand module is imported only when it is run, so `drm --help` stays fast and a
subcommand's heavy imports (torch, rclpy) never slow down the others.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from drm_ros import __version__

# name -> (module under drm_ros.cli, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {}


def subcommand(name: str, module: str, help: str) -> None:
    SUBCOMMANDS[name] = (module, help)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="drm", description="drm_ros: single-stage multi-person absolute 3D human pose (DRM)."
    )
    parser.add_argument("--version", action="version", version=f"drm_ros {__version__}")
    subs = parser.add_subparsers(dest="command", metavar="<command>")
    for name, (module, help_text) in SUBCOMMANDS.items():
        subs.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not argv or argv[0] not in SUBCOMMANDS:
        parser.parse_args(argv or ["--help"])
        return 2
    module_name, help_text = SUBCOMMANDS[argv[0]]
    module = importlib.import_module(f"drm_ros.cli.{module_name}")
    sub = argparse.ArgumentParser(prog=f"drm {argv[0]}", description=help_text)
    module.configure(sub)
    args = sub.parse_args(argv[1:])
    return int(module.run(args) or 0)


# The registry: add a line here and a module with configure(parser) and run(args).
subcommand("infer", "infer", "run the model on one image and print the 3D skeletons")
subcommand("synth", "synth", "render labelled synthetic multi-person scenes")
subcommand("train", "train", "train a model from a config file")
subcommand("pretrain-lifter", "pretrain_lifter", "pretrain the depth branch's pose lifter on mocap projections (no rendering)")
subcommand("eval", "evaluate", "score a model on a labelled dataset (MuPoTS-3D protocol)")
subcommand("bag", "bag", "replay, record and evaluate rosbags against the live node")
subcommand("bench", "bench", "benchmarks, each with its own options: model, scaling, bound, decode, node, memory, soak, recall")
subcommand("convert-movenet", "convert_movenet", "convert MoveNet MultiPose TFJS weights to a state_dict")
