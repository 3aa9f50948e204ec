"""`--dark-threshold` in `drm infer` (drm eval builds its estimator from the same options): a
darkened frame is read at the dark threshold, exactly as one in-process pass on the brightened image at that threshold, and a lit
frame at the usual one (--threshold) whatever --dark-threshold says."""
from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from drm_ros.cli import main as drm


@pytest.fixture(scope="module")
def frames(tmp_path_factory, fixtures_dir):
    """The lit fixture frame and that frame darkened to 20 % (PNG: lossless, so the file holds
    exactly the dark pixels), with the people one pass finds at 0.05 and 0.2 on each as exposure
    'gain' shows them."""
    from drm_ros.camera import Camera
    from drm_ros.exposure import darken, normalise_exposure
    from drm_ros.imageio import read_rgb
    from drm_ros.inference import PoseEstimator

    lit = read_rgb(fixtures_dir / "vtest_frame300.jpg")
    dark = darken(lit, 0.2, np.random.default_rng(5))
    root = tmp_path_factory.mktemp("dark")
    paths = {"lit": fixtures_dir / "vtest_frame300.jpg", "dark": root / "dark.png"}
    cv2.imwrite(str(paths["dark"]), cv2.cvtColor(dark, cv2.COLOR_RGB2BGR))
    cam = Camera.default_for(lit.shape[1], lit.shape[0])
    expected = {}
    for name, image in (("lit", lit), ("dark", dark)):
        for t in (0.05, 0.2):
            expected[(name, t)] = len(PoseEstimator.from_file(score_threshold=t).estimate(
                normalise_exposure(image, "gain"), cam))
    assert expected[("dark", 0.05)] > expected[("dark", 0.2)]
    return paths, expected


@pytest.mark.parametrize("name", ["lit", "dark"])
def test_infer_reads_dark_frames_at_the_dark_threshold(frames, name, capsys):
    paths, expected = frames
    for t in (0.05, 0.2):
        # the usual threshold given as 0.2, above both dark thresholds tried: 0.2 reads dark frames as lit
        assert drm(["infer", "--image", str(paths[name]), "--backend", "torch", "--threshold", "0.2",
                    "--dark-threshold", str(t), "--json"]) == 0
        found = len(json.loads(capsys.readouterr().out)["persons"])
        assert found == expected[(name, t if name == "dark" else 0.2)]
