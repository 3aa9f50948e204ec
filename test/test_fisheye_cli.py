"""`--fisheye-views` in `drm infer` and `drm eval`: a fisheye scene (equidistant calibration) is
seen through the perspective views by default and as it is with --no-fisheye-views, exactly as
passes.estimate_passes does in process."""
from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

from drm_ros.cli import main as drm


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    """Scene 58 of the fisheye test split (a person 60 deg off axis, test_fisheye_views.py) as a
    one-image dataset, its image and camera YAML, and the people found in process with and
    without views."""
    from drm_ros.data.sample import Sample, save_dataset
    from drm_ros.exposure import normalise_exposure
    from drm_ros.imageio import decode_jpeg
    from drm_ros.inference import PoseEstimator
    from drm_ros.passes import estimate_passes
    from drm_ros.paths import share_dir
    from drm_ros.synth.config import load_config
    from drm_ros.synth.generate import make_frame
    from drm_ros.synth.motion import MotionLibrary

    cfg = load_config(share_dir() / "config" / "synth" / "test_fisheye.yaml")
    frame = make_frame(cfg, MotionLibrary(cfg["clips"]), 16000, 58)
    root = tmp_path_factory.mktemp("fisheye")
    (root / "images").mkdir()
    (root / "images" / "a.jpg").write_bytes(frame.jpeg)
    save_dataset(root, [Sample("images/a.jpg", frame.camera, frame.joints3d, frame.joints2d, frame.visible,
                               frame.boxes, frame.meta)])
    cam = frame.camera
    (root / "camera.yaml").write_text(yaml.safe_dump({
        "image_width": cam.width, "image_height": cam.height, "distortion_model": "equidistant",
        "camera_matrix": {"rows": 3, "cols": 3, "data": cam.K.reshape(-1).tolist()},
        "distortion_coefficients": {"rows": 1, "cols": 4, "data": list(cam.dist)}}))
    # at 0.2 the fisheye image as it is misses the person the views find (at 0.17 it keeps it too)
    est = PoseEstimator.from_file(score_threshold=0.2)
    image = normalise_exposure(decode_jpeg(frame.jpeg), "gamma")
    expected = {on: len(estimate_passes(est, image, cam, fisheye_views=on)) for on in (True, False)}
    assert expected[True] != expected[False]
    return root, expected


def test_infer_sees_a_fisheye_through_views_unless_told_not_to(scene, capsys):
    root, expected = scene
    for flag, on in (([], True), (["--no-fisheye-views"], False)):
        assert drm(["infer", "--image", str(root / "images" / "a.jpg"), "--camera-info", str(root / "camera.yaml"),
                    "--backend", "torch", "--threshold", "0.2", "--json", *flag]) == 0
        assert len(json.loads(capsys.readouterr().out)["persons"]) == expected[on]


def test_eval_sees_a_fisheye_through_views_unless_told_not_to(scene, tmp_path, capsys):
    root, expected = scene
    for flag, on in ((["--fisheye-views"], True), (["--no-fisheye-views"], False)):
        out = tmp_path / f"{on}.json"
        assert drm(["eval", "--data", str(root), "--backend", "torch", "--score-threshold", "0.2", "--json", str(out),
                    *flag]) == 0
        result = json.loads(out.read_text())
        assert result["fisheye_views"] is on and result["metrics"]["num_pred_persons"] == expected[on]
    assert np.isfinite(result["metrics"]["pck_rel"])
