"""`drm bench recall` (drm_ros/bench/recall.py) end to end on a two-frame clip of the embedded
vtest frames: every pass plan's row carries its cost as a per-frame ratio, the reference finds
all its own people, and every exposure mode is measured at every brightness."""
import cv2
import pytest
import torch

from drm_ros.bench import recall
from drm_ros.imageio import read_rgb
from drm_ros.paths import share_dir


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    path = tmp_path_factory.mktemp("clip") / "two.avi"
    frames = [read_rgb(share_dir() / "sample_data" / "vtest" / f"frame_{i:04d}.jpg") for i in (250, 260)]
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (frames[0].shape[1], frames[0].shape[0]))
    for f in frames:
        out.write(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    out.release()
    return path


@pytest.mark.slow
def test_passes_rows_and_costs(clip, capsys):
    recall.run(threads=torch.get_num_threads(), video=clip, every=1, part="passes", plans="zoom x1", rounds=2)
    out = capsys.readouterr().out
    rows = {line.split("|")[1].strip(): line for line in out.splitlines() if line.startswith("| ") and "x" in line}
    assert set(rows) >= {"single", "zoom x1", recall.REFERENCE}
    assert "| 1.00x [1.00-1.00] |" in rows["single"]  # the single pass is the unit of cost
    assert "(100.0 %)" in rows[recall.REFERENCE]


@pytest.mark.slow
def test_light_rows_cover_every_brightness_mode_and_dark_threshold(clip, capsys):
    recall.run(threads=torch.get_num_threads(), video=clip, every=1, part="light", exposures="off,gain", draws=2,
               dark_thresholds="0.2,0.1")
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("| ") and "%" in line]
    assert len(rows) == len(recall.BRIGHTNESS) * 2 * 2
    assert "2 noise draw(s)" in out
    lit = [row for row in rows if row.startswith("| 100% | off | 0.2 |")][0]  # lit frames: only read noise
    assert float(lit.split("|")[5].split("(")[1].split(" %")[0]) <= 100.0
    # a lit frame is never dark: its threshold is the usual one whatever the dark threshold
    cells = {tuple(c.strip() for c in row.split("|")[1:4]): row.split("|")[4:] for row in rows}
    assert cells[("100%", "gain", "0.2")] == cells[("100%", "gain", "0.1")]
    # exposure off never meters: nothing is dark, the dark threshold never applies
    assert cells[("20%", "off", "0.2")] == cells[("20%", "off", "0.1")]


def test_unknown_plan_is_one_clear_error():
    with pytest.raises(SystemExit, match="unknown plan 'zoom x9'"):
        recall.run(threads=torch.get_num_threads(), part="passes", plans="zoom x9")
