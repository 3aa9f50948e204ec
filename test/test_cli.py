"""Every `drm` subcommand builds its argument parser: a merge that registers one option twice
(two features both adding `--json` to `drm bench`) breaks the whole subcommand, and only a call
of it shows that."""
import pytest

from drm_ros.cli import SUBCOMMANDS, main


@pytest.mark.parametrize("name", sorted(SUBCOMMANDS))
def test_subcommand_help(name, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([name, "--help"])
    assert exit_info.value.code == 0
    assert "usage:" in capsys.readouterr().out
