"""Format loaders on the synthetic fixtures (test/fixtures/{mupots,coco,panoptic}, written by
their generate.py): joint mapping, left/right, units, camera conversion, format detection."""
import json
from pathlib import Path

import numpy as np
import pytest

from drm_ros import metrics
from drm_ros.data.coco import load_coco
from drm_ros.data.load import UnknownFormatError, load_any
from drm_ros.data.mupots import load_mupots
from drm_ros.data.panoptic import load_panoptic
from drm_ros.data.sample import load_dataset, save_dataset
from drm_ros.poses import PoseSet
from drm_ros.skeleton import JOINT_INDEX as J
from drm_ros.skeleton import NUM_JOINTS, ROOT

FIX = Path(__file__).resolve().parent / "fixtures"
MUPOTS_JSON = FIX / "mupots" / "MuPoTS-3D.json"
MUCO_JSON = FIX / "mupots" / "muco" / "MuCo-3DHP.json"
COCO_JSON = FIX / "coco" / "annotations" / "person_keypoints_val2017.json"
PANOPTIC = FIX / "panoptic" / "171204_fixture"


def reprojection_px(sample):
    """Largest |Camera.project(joints3d) - joints2d| over joints with a 3D label."""
    ok = np.isfinite(sample.joints3d).all(axis=-1)
    return float(np.max(np.linalg.norm(sample.camera.project(sample.joints3d[ok]) - sample.joints2d[ok], axis=-1)))


# ---------------------------------------------------------------------------------- MuPoTS / MuCo
def test_mupots_mapping_units_and_camera():
    raw = json.loads(MUPOTS_JSON.read_text())
    samples = load_mupots(MUPOTS_JSON)
    assert [s.num_persons for s in samples] == [2, 2]  # the is_valid == 0 person is dropped
    s, ann = samples[0], raw["annotations"][0]
    assert Path(s.image_path).is_file() and s.image_path.endswith("MultiPersonTestSet/TS1/img_000000.jpg")
    cam = ann["keypoints_cam"]
    # source 7 = L_Wrist, 4 = R_Wrist, 14 = Pelvis, in mm -> our joints in m
    np.testing.assert_allclose(s.joints3d[0, J["left_wrist"]], np.array(cam[7]) / 1000)
    np.testing.assert_allclose(s.joints3d[0, J["right_wrist"]], np.array(cam[4]) / 1000)
    np.testing.assert_allclose(s.joints3d[0, ROOT], np.array(cam[14]) / 1000)
    np.testing.assert_allclose(s.joints2d[0, J["left_knee"]], ann["keypoints_img"][12])
    # subject faces the camera: its left side is on the image right
    assert s.joints2d[0, J["left_shoulder"], 0] > s.joints2d[0, J["right_shoulder"], 0]
    # no face joints in MuPoTS: unknown, not guessed
    assert np.isnan(s.joints3d[0, J["nose"]]).all() and s.visible[0, J["nose"]] == 0
    assert s.visible[0, J["right_wrist"]] == 0 and s.visible[0, J["left_wrist"]] == 1  # keypoints_vis
    assert (s.camera.fx, s.camera.fy, s.camera.cx, s.camera.cy) == tuple(raw["images"][0]["intrinsic"])
    assert reprojection_px(s) < 0.5
    assert [m["sequence"] for m in samples[1].meta] == ["TS2", "TS2"]
    np.testing.assert_allclose(s.boxes[0], [ann["bbox"][0], ann["bbox"][1], ann["bbox"][0] + ann["bbox"][2],
                                            ann["bbox"][1] + ann["bbox"][3]])


def test_muco_21_joints_f_c_and_derived_visibility():
    raw = json.loads(MUCO_JSON.read_text())
    samples = load_mupots(MUCO_JSON)
    s = samples[1]
    assert (s.camera.fx, s.camera.cx) == (raw["images"][1]["f"][0], raw["images"][1]["c"][0])
    np.testing.assert_allclose(s.joints3d[1, J["right_ankle"]], np.array(raw["annotations"][3]["keypoints_cam"][10]) / 1000)
    assert s.visible[:, list(metrics.JOINTS)].all()  # no keypoints_vis: all 13 project inside the image
    assert "sequence" not in s.meta[0]
    assert max(reprojection_px(x) for x in samples) < 0.5


# ---------------------------------------------------------------------------------- COCO
def test_coco_visibility_semantics_pelvis_and_guessed_camera():
    raw = json.loads(COCO_JSON.read_text())
    samples = load_coco(COCO_JSON)
    assert [s.num_persons for s in samples] == [2, 2]  # iscrowd and keypoint-less people dropped
    assert Path(samples[0].image_path).is_file()
    s = samples[0]
    kp = np.array(raw["annotations"][1]["keypoints"]).reshape(17, 3)  # person with v = 0/1/2
    assert np.isnan(s.joints3d).all()
    np.testing.assert_array_equal(s.joints2d[1, :17][kp[:, 2] > 0], kp[kp[:, 2] > 0, :2])  # 1:1 order
    assert s.visible[1, J["left_ear"]] == 0 and kp[J["left_ear"], 2] == 0
    assert s.visible[1, J["right_shoulder"]] == 1 and kp[J["right_shoulder"], 2] == 1  # occluded but labelled
    assert s.meta[1]["coco_v"][J["right_shoulder"]] == 1 and s.meta[1]["camera_guess"] is True
    np.testing.assert_allclose(s.joints2d[1, ROOT], (kp[11, :2] + kp[12, :2]) / 2)
    assert s.visible[1, ROOT] == 1
    assert (s.camera.width, s.camera.height) == (80, 60) and s.camera.cx == pytest.approx(39.5)


# ---------------------------------------------------------------------------------- Panoptic
def _toolbox_projection(X_cm, cam):
    """Independent restatement of the Panoptic toolbox projection (world cm -> pixels)."""
    R, t, K, d = (np.asarray(cam[k], dtype=float) for k in ("R", "t", "K", "distCoef"))
    x = X_cm @ R.T + t.reshape(3)
    a, b = x[:, 0] / x[:, 2], x[:, 1] / x[:, 2]
    r = a * a + b * b
    radial = 1 + d[0] * r + d[1] * r ** 2 + d[4] * r ** 3
    ad = a * radial + 2 * d[2] * a * b + d[3] * (r + 2 * a * a)
    bd = b * radial + 2 * d[3] * a * b + d[2] * (r + 2 * b * b)
    return np.stack([K[0, 0] * ad + K[0, 2], K[1, 1] * bd + K[1, 2]], axis=1)


def test_panoptic_world_cm_to_camera_m_and_distorted_projection():
    cal = {c["name"]: c for c in json.loads(next(PANOPTIC.glob("calibration_*.json")).read_text())["cameras"]}
    samples = load_panoptic(PANOPTIC)
    assert [(s.meta[0]["camera"], s.meta[0]["frame"]) for s in samples] == [
        ("00_16", 100), ("00_16", 101), ("00_30", 100), ("00_30", 101)]
    for s in samples:
        cam = cal[s.meta[0]["camera"]]
        bodies = json.loads((PANOPTIC / "hdPose3d_stage1_coco19" / f"body3DScene_{s.meta[0]['frame']:08d}.json").read_text())["bodies"]
        world = np.array(bodies[0]["joints19"]).reshape(19, 4)[:, :3]
        R, t = np.array(cam["R"]), np.array(cam["t"]).reshape(3)
        # BodyCenter (2) -> pelvis; lWrist (5) -> left_wrist; cm -> m
        np.testing.assert_allclose(s.joints3d[0, ROOT], (R @ world[2] + t) / 100, atol=1e-9)
        np.testing.assert_allclose(s.joints3d[0, J["left_wrist"]], (R @ world[5] + t) / 100, atol=1e-9)
        # 2D = toolbox projection (with distortion), independent of our Camera code
        expected = _toolbox_projection(world, cam)
        np.testing.assert_allclose(s.joints2d[0, J["left_wrist"]], expected[5], atol=0.5)
        np.testing.assert_allclose(s.joints2d[0, J["right_ear"]], expected[18], atol=0.5)
        assert reprojection_px(s) < 0.5
        assert s.camera.distortion_model == "plumb_bob" and s.camera.dist == tuple(cam["distCoef"])
        assert s.joints2d[0, J["left_hip"], 0] > s.joints2d[0, J["right_hip"], 0]
        # body 1: lEar c = -1 -> no 3D; rWrist c = 0.05 -> 3D kept, not visible
        assert np.isnan(s.joints3d[1, J["left_ear"]]).all() and s.visible[1, J["left_ear"]] == 0
        assert np.isfinite(s.joints3d[1, J["right_wrist"]]).all() and s.visible[1, J["right_wrist"]] == 0
    assert len(load_panoptic(PANOPTIC, cameras=("00_30",))) == 2
    with pytest.raises(ValueError, match="not in the calibration"):
        load_panoptic(PANOPTIC, cameras=("05_05",))


# ---------------------------------------------------------------------------------- load_any
def test_load_any_detects_every_format(tmp_path):
    assert len(load_any(MUPOTS_JSON)) == 2 and len(load_any(FIX / "mupots")) == 2  # folder with one json
    assert len(load_any(MUCO_JSON)) == 2
    assert np.isnan(load_any(COCO_JSON)[0].joints3d).all()
    assert len(load_any(PANOPTIC)) == 4
    # our own folder format, round-tripped
    samples = load_any(MUPOTS_JSON)
    for s in samples:
        s.image_path = str(Path(s.image_path).relative_to(FIX / "mupots"))
    out = tmp_path / "ds"
    out.mkdir()
    save_dataset(out, samples)
    assert [s.num_persons for s in load_any(out)] == [s.num_persons for s in load_dataset(out)] == [2, 2]


def test_load_any_rejects_unknown_input(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text(json.dumps({"hello": 1}))
    with pytest.raises(UnknownFormatError, match="unknown annotation format"):
        load_any(bad)
    with pytest.raises(UnknownFormatError, match="recognisable"):
        load_any(tmp_path)
    with pytest.raises(FileNotFoundError):
        load_any(tmp_path / "missing")
    (tmp_path / "y.json").write_text("{not json")
    with pytest.raises(UnknownFormatError, match="not valid JSON"):
        load_any(tmp_path / "y.json")


def test_ground_truth_as_prediction_scores_100_on_loaded_data():
    for samples in (load_any(MUPOTS_JSON), load_any(PANOPTIC)):
        preds = [PoseSet(np.ones(s.num_persons), s.boxes, s.joints3d[:, ROOT], np.nan_to_num(s.joints3d),
                         s.joints2d, np.ones((s.num_persons, NUM_JOINTS))) for s in samples]
        r = metrics.evaluate(preds, samples)
        assert r["pck_rel"] == pytest.approx(100) and r["pck_abs"] == pytest.approx(100)
        assert r["ap_root_25"] == pytest.approx(100) and r["num_gt_persons_3d"] == r["num_gt_persons"]


def test_evaluate_dataset_feeds_each_image_with_its_camera():
    from drm_ros.evaluation import evaluate_dataset

    samples = load_any(PANOPTIC)
    seen = []

    class GroundTruthOracle:
        """Not an estimator: returns the labels, to check what evaluate_dataset passes in."""

        def estimate(self, image_rgb, camera):
            s = samples[len(seen)]
            seen.append((image_rgb.shape, image_rgb.dtype, camera))
            return PoseSet(np.ones(s.num_persons), s.boxes, s.joints3d[:, ROOT], np.nan_to_num(s.joints3d),
                           s.joints2d, np.ones((s.num_persons, NUM_JOINTS)))

    calls = []
    scores, preds = evaluate_dataset(GroundTruthOracle(), samples, progress=lambda d, t: calls.append((d, t)))
    assert [x[0] for x in seen] == [(s.camera.height, s.camera.width, 3) for s in samples]
    assert all(x[1] == np.uint8 for x in seen) and [x[2] for x in seen] == [s.camera for s in samples]
    assert calls[-1] == (4, 4) and len(preds) == 4 and scores["pck_abs"] == pytest.approx(100)


def test_loaders_import_no_cycle():
    """load.py dispatches to the loaders; the loaders share formats.py and never import load.py.
    Each module must also import first in a fresh interpreter (a cycle breaks exactly that)."""
    import ast
    import subprocess
    import sys

    data_dir = Path(__file__).resolve().parents[1] / "drm_ros" / "data"
    for name in ("coco", "mupots", "panoptic", "formats", "sample"):
        tree = ast.parse((data_dir / f"{name}.py").read_text())
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert "drm_ros.data.load" not in imported, f"{name}.py imports drm_ros.data.load"
    for name in ("coco", "mupots", "panoptic", "formats", "load"):
        subprocess.run([sys.executable, "-c", f"import drm_ros.data.{name}"], check=True)
