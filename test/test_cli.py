"""Every `drm` subcommand builds its argument parser: a merge that registers one option twice
(two features both adding `--json` to `drm bench`) breaks the whole subcommand, and only a call
of it shows that."""
import argparse
import importlib
import inspect

import pytest

from drm_ros.cli import SUBCOMMANDS, bench, main
from drm_ros.cli.bench import BENCHES


@pytest.mark.parametrize("name", sorted(SUBCOMMANDS))
def test_subcommand_help(name, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([name, "--help"])
    assert exit_info.value.code == 0
    assert "usage:" in capsys.readouterr().out


@pytest.mark.parametrize("kind", sorted(BENCHES))
def test_bench_options_fit_their_run(kind, capsys):
    """Each `drm bench <kind>` has its own options, passed on as keyword arguments: they must all
    be parameters of that benchmark's run(), or the kind fails only when someone runs it."""
    with pytest.raises(SystemExit) as exit_info:
        main(["bench", kind, "--help"])
    assert exit_info.value.code == 0
    parser = argparse.ArgumentParser()
    bench.configure(parser)
    options = vars(parser.parse_args([kind]))
    assert options.pop("kind") == kind
    run = importlib.import_module(BENCHES[kind][0]).run
    inspect.signature(run).bind(**options)  # TypeError on an option run() does not take


def test_bench_kind_options_stay_apart():
    parser = argparse.ArgumentParser()
    bench.configure(parser)
    with pytest.raises(SystemExit):
        parser.parse_args(["model", "--phases", "soak"])  # a soak option is not a model option
    assert parser.parse_args(["soak", "--phases", "soak, churn"]).phases == ["soak", "churn"]
    assert parser.parse_args(["node", "--input-size", "512x384"]).size == (512, 384)
