"""`drm infer --out`: one command gives one picture (overlay with ids and depths + 3D views)."""
from __future__ import annotations

import cv2
import numpy as np

from drm_ros.cli import main as drm


def test_infer_writes_overlay_and_views(tmp_path, fixtures_dir, capsys):
    image = fixtures_dir / "vtest_frame300.jpg"
    out = tmp_path / "overlay.png"
    assert drm(["infer", "--image", str(image), "--fx", "700", "--fy", "700", "--cx", "384", "--cy", "288",
                "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    people = int(printed.split()[0])
    assert people > 0 and "#0:" in printed
    picture, source = cv2.imread(str(out)), cv2.imread(str(image))
    h, w = source.shape[:2]
    assert picture.shape[1] == w and picture.shape[0] > h  # overlay on top, views below
    drawn = np.any(np.abs(picture[:h].astype(int) - source.astype(int)) > 60, axis=2)
    assert drawn.mean() > 0.002, "no skeletons drawn on the image"
    views = picture[h:]
    assert (views < 200).any(axis=2).mean() > 0.005, "3D views are empty"


def test_infer_out_to_missing_folder_is_one_clear_error(tmp_path, fixtures_dir, capsys):
    code = drm(["infer", "--image", str(fixtures_dir / "vtest_frame300.jpg"), "--out",
                str(tmp_path / "no" / "such" / "dir" / "x.png")])
    assert code == 1 and "cannot write" in capsys.readouterr().err
