"""Metrics on hand-computable cases. One GT person = a standing skeleton 3 m in front of a
500 px focal-length camera; 12 evaluated joints (skeleton.EVAL_JOINTS, pelvis used for alignment only)."""
import numpy as np
import pytest

from drm_ros import metrics
from drm_ros.camera import Camera
from drm_ros.data.sample import Sample
from drm_ros.poses import PoseSet
from drm_ros.skeleton import JOINT_INDEX, NUM_JOINTS, ROOT

CAM = Camera(640, 480, 500.0, 500.0, 320.0, 240.0)

# Pelvis-relative joint positions (metres, x right, y down), left side at +x.
_OFFSETS = {
    "nose": (0, -0.65, 0), "left_eye": (0.03, -0.68, 0), "right_eye": (-0.03, -0.68, 0),
    "left_ear": (0.07, -0.66, 0), "right_ear": (-0.07, -0.66, 0),
    "left_shoulder": (0.18, -0.5, 0), "right_shoulder": (-0.18, -0.5, 0),
    "left_elbow": (0.22, -0.22, 0), "right_elbow": (-0.22, -0.22, 0),
    "left_wrist": (0.24, 0.05, 0), "right_wrist": (-0.24, 0.05, 0),
    "left_hip": (0.1, 0, 0), "right_hip": (-0.1, 0, 0),
    "left_knee": (0.1, 0.42, 0), "right_knee": (-0.1, 0.42, 0),
    "left_ankle": (0.1, 0.85, 0), "right_ankle": (-0.1, 0.85, 0), "pelvis": (0, 0, 0),
}
BODY = np.array([_OFFSETS[name] for name in sorted(_OFFSETS, key=JOINT_INDEX.get)], dtype=float)


def person(x=0.0, z=3.0):
    return BODY + [x, 0.0, z]


def sample_of(*people3d, round2d=False):
    j3 = np.stack(people3d)
    j2 = CAM.project(j3)
    if round2d:
        j2 = np.round(j2)
    n = len(j3)
    return Sample("x.jpg", CAM, j3, j2, np.ones((n, NUM_JOINTS)), np.zeros((n, 4)), [{} for _ in range(n)])


def poses_of(people3d, scores=None, joints2d=None, roots=None):
    j3 = np.stack(people3d) if len(people3d) else np.zeros((0, NUM_JOINTS, 3))
    n = len(j3)
    return PoseSet(
        np.asarray(scores if scores is not None else np.linspace(0.9, 0.5, n)), np.zeros((n, 4)),
        np.asarray(roots) if roots is not None else j3[:, ROOT], j3,
        CAM.project(j3) if joints2d is None else np.asarray(joints2d), np.ones((n, NUM_JOINTS)))


def test_twelve_eval_joints():
    assert len(metrics.JOINTS) == 12 and ROOT not in metrics.JOINTS


def test_perfect_prediction_scores_100():
    gt = sample_of(person(-0.8), person(0.8))
    r = metrics.evaluate([poses_of([person(-0.8), person(0.8)])], [gt])
    for key in ("pck_rel", "pck_abs", "pck_rel_matched", "pck_abs_matched", "ap_root_25", "pck_rel_swap"):
        assert r[key] == pytest.approx(100.0), key
    assert r["mpjpe_rel_mm"] == pytest.approx(0.0) and r["root_err_mm"] == pytest.approx(0.0)
    assert (r["num_images"], r["num_gt_persons"], r["num_pred_persons"], r["num_matched"]) == (1, 2, 2, 1 + 1)


def test_one_joint_160mm_off_costs_exactly_one_twelfth():
    pred = person()
    pred[JOINT_INDEX["left_wrist"], 0] += 0.160  # 160 mm > 150 mm: wrong; 2D moves 500*0.16/3 = 26.7 px < 40
    r = metrics.evaluate([poses_of([pred])], [sample_of(person())])
    # 11 of 12 joints right -> 11/12 = 91.6667 %, in both rel (pelvis unchanged) and abs.
    assert r["pck_rel"] == pytest.approx(100 * 11 / 12)
    assert r["pck_abs"] == pytest.approx(100 * 11 / 12)
    # MPJPE: one joint 160 mm, eleven 0 mm -> 160/12 = 13.3333 mm.
    assert r["mpjpe_rel_mm"] == pytest.approx(160 / 12)


def test_shifted_root_hurts_abs_not_rel():
    gt = sample_of(person())
    shifted = person() + [0.0, 0.0, 0.2]  # whole body 200 mm deeper; 2D kept at the GT
    r = metrics.evaluate([poses_of([shifted], joints2d=gt.joints2d)], [gt])
    assert r["pck_rel"] == pytest.approx(100.0)  # same shape after subtracting each pelvis
    assert r["pck_abs"] == pytest.approx(0.0)  # every joint 200 mm > 150 mm away
    assert r["root_err_mm"] == pytest.approx(200.0)
    assert r["mpjpe_rel_mm"] == pytest.approx(0.0)
    assert r["ap_root_25"] == pytest.approx(100.0)  # 200 mm < 250 mm: a true positive
    shifted = person() + [0.0, 0.0, 0.3]  # 300 mm > 250 mm: the only detection is a FP -> AP 0
    assert metrics.evaluate([poses_of([shifted], joints2d=gt.joints2d)], [gt])["ap_root_25"] == 0.0


def test_unmatched_gt_counts_in_all_not_in_matched():
    gt = sample_of(person(-0.8), person(0.8))
    r = metrics.evaluate([poses_of([person(-0.8)])], [gt])  # second person not found
    assert r["pck_rel"] == pytest.approx(50.0)  # (100 + 0) / 2 persons
    assert r["pck_abs"] == pytest.approx(50.0)
    assert r["pck_rel_matched"] == pytest.approx(100.0)  # only the found person
    assert r["num_matched"] == 1 and r["num_gt_persons"] == 2


def test_ap_root_with_a_false_positive_ranked_first():
    gt = sample_of(person(-0.8), person(0.8))
    far = person(0.0, z=6.0)  # root 3 m from both GT roots: a false positive
    pred = poses_of([far, person(-0.8), person(0.8)], scores=[0.9, 0.8, 0.7])
    # Ranked: FP, TP, TP. precision 0/1, 1/2, 2/3; recall 0, 1/2, 1.
    # Envelope at recall 1/2 and 1: max(1/2, 2/3) = 2/3 and 2/3 -> AP = 1/2*2/3 + 1/2*2/3 = 2/3.
    assert metrics.evaluate([pred], [gt])["ap_root_25"] == pytest.approx(100 * 2 / 3)
    # The same FP ranked last does not hurt: precision 1, 1 up to recall 1 -> AP = 1.
    pred = poses_of([far, person(-0.8), person(0.8)], scores=[0.1, 0.8, 0.7])
    assert metrics.evaluate([pred], [gt])["ap_root_25"] == pytest.approx(100.0)


def test_average_precision_direct():
    # TP, FP, TP with 3 GT: precision 1, 1/2, 2/3; recall 1/3, 1/3, 2/3.
    # envelope: 1, 2/3, 2/3; recall steps 1/3, 0, 1/3 -> AP = 1/3 + 2/9 = 5/9.
    assert metrics.average_precision(np.array([1, 0, 1]), 3) == pytest.approx(5 / 9)
    assert np.isnan(metrics.average_precision(np.array([1]), 0))


@pytest.mark.parametrize("du,dv,matched", [(40.0, 0.0, False), (39.0, 39.0, True), (39.0, 41.0, False), (0.0, 40.0, False)])
def test_40px_box_rule_boundary(du, dv, matched):
    gt = sample_of(person(), round2d=True)  # integer pixels so that +40 is exactly 40 away
    pred = poses_of([person()], joints2d=gt.joints2d + [du, dv])
    assert (metrics.match_persons(pred, gt)[0] == 0) == matched
    r = metrics.evaluate([pred], [gt])
    assert r["pck_rel"] == pytest.approx(100.0 if matched else 0.0)


def test_greedy_match_prefers_most_supported_pair():
    # GT0 is supported 5 by P0 and 9 by P1; GT1 only 6 by P1. Best pair first: (GT0, P1) = 9,
    # then GT1 has nothing left (P1 taken), P0 -> nothing for GT1 -> unmatched.
    support = np.array([[5, 9], [0, 6]])
    assert metrics.greedy_match(support).tolist() == [1, -1]
    assert metrics.greedy_match(np.zeros((2, 3), dtype=int)).tolist() == [-1, -1]


def test_mirrored_prediction_caught_by_swap_key():
    from drm_ros.skeleton import FLIP_INDEX

    gt = sample_of(person())
    mirrored = person()[list(FLIP_INDEX)]  # left and right labels exchanged
    r = metrics.evaluate([poses_of([mirrored], joints2d=gt.joints2d)], [gt])
    # Swapped: shoulders, elbows, wrists, hips, knees, ankles (12 joints) move 200-480 mm
    # sideways -> wrong -> 0/12.
    assert r["pck_rel"] == pytest.approx(0.0)
    assert r["pck_rel_swap"] == pytest.approx(100.0)


def test_sequence_average_and_2d_only_persons():
    a, b = sample_of(person()), sample_of(person(-0.8), person(0.8))
    a.meta[0]["sequence"] = "TS1"
    b.meta[0]["sequence"] = b.meta[1]["sequence"] = "TS2"
    preds = [poses_of([person()]), poses_of([person(-0.8)])]
    r = metrics.evaluate(preds, [a, b])
    # persons: 100, 100, 0 -> pooled 66.67; per sequence TS1 100, TS2 50 -> 75.
    assert r["pck_rel"] == pytest.approx(200 / 3)
    assert r["pck_rel_seqavg"] == pytest.approx(75.0)
    # A 2D-only GT (COCO) is matched but never enters 3D metrics.
    c = sample_of(person())
    c.joints3d[:] = np.nan
    r = metrics.evaluate([poses_of([person()])], [c])
    assert r["num_matched"] == 1 and r["num_gt_persons_3d"] == 0 and np.isnan(r["pck_rel"])
