"""`drm eval --score-threshold`: the node's score_threshold in the evaluation. Without the flag it
is the node's default; with it, the people scored are exactly those the in-process estimator keeps
at that threshold (drm eval's own set-up: exposure gain, dark threshold, fisheye views)."""
from __future__ import annotations

import json

import pytest

from drm_ros.cli import main as drm


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """Three robot-range test scenes (near_test's 4, 9, 11: people scoring 0.06-0.2) as a dataset,
    and the people found on them in process at 0.05 and at the node's default threshold."""
    from drm_ros.data.sample import Sample, save_dataset
    from drm_ros.imageio import decode_jpeg
    from drm_ros.inference import SCORE_THRESHOLD, PoseEstimator
    from drm_ros.passes import MultiPassEstimator
    from drm_ros.paths import share_dir
    from drm_ros.synth.config import load_config
    from drm_ros.synth.generate import make_frame
    from drm_ros.synth.motion import MotionLibrary

    cfg = load_config(share_dir() / "config" / "synth" / "test_near.yaml")
    motions = MotionLibrary(cfg["clips"])
    root = tmp_path_factory.mktemp("near")
    (root / "images").mkdir()
    samples, images = [], []
    for i in (4, 9, 11):
        frame = make_frame(cfg, motions, 9100, i)
        (root / "images" / f"{i}.jpg").write_bytes(frame.jpeg)
        samples.append(Sample(f"images/{i}.jpg", frame.camera, frame.joints3d, frame.joints2d, frame.visible,
                              frame.boxes, frame.meta))
        images.append((decode_jpeg(frame.jpeg), frame.camera))
    save_dataset(root, samples)
    found = {}
    for t in (0.05, SCORE_THRESHOLD):
        est = MultiPassEstimator(PoseEstimator.from_file(score_threshold=t), exposure="gain",
                                 fisheye_views=True, dark_score_threshold=0.17)
        found[t] = sum(len(est.estimate(image, cam)) for image, cam in images)
    assert found[0.05] > found[SCORE_THRESHOLD], "these scenes should hold people between the two thresholds"
    return root, found


def run_eval(root, out, *flags) -> dict:
    assert drm(["eval", "--data", str(root), "--backend", "torch", "--json", str(out), *flags]) == 0
    return json.loads(out.read_text())


def test_eval_defaults_to_the_nodes_threshold(dataset, tmp_path):
    from drm_ros.ros.params import BY_NAME

    root, found = dataset
    result = run_eval(root, tmp_path / "default.json")
    assert result["score_threshold"] == BY_NAME["score_threshold"].default
    assert result["metrics"]["num_pred_persons"] == found[BY_NAME["score_threshold"].default]


def test_eval_scores_the_people_kept_at_the_given_threshold(dataset, tmp_path):
    root, found = dataset
    result = run_eval(root, tmp_path / "low.json", "--score-threshold", "0.05")
    assert result["score_threshold"] == 0.05
    assert result["metrics"]["num_pred_persons"] == found[0.05]
    assert min(p["score"] for image in result["predictions"] for p in image["persons"]) >= 0.05


@pytest.mark.parametrize("bad", ["1.5", "-0.1", "nan", "high"])
def test_eval_refuses_a_threshold_outside_0_1(bad, capsys):
    with pytest.raises(SystemExit):
        drm(["eval", "--data", "nowhere", "--score-threshold", bad])
    assert "expected a score in [0, 1]" in capsys.readouterr().err
