"""Scores of multi-person absolute 3D pose: the MuPoTS-3D protocol (PCKrel/PCKabs), RootNet's
AP_root, MPJPE and root error. Pure numpy: predictions are `PoseSet`s, ground truth `Sample`s.

Protocol, precisely (the official MuPoTS MATLAB code is not available to us; the rules below are
the ones stated in /work/shared/DRM_NOTES.md, with every open detail decided and written down):

Person matching (per image, on 2D joints in pixels of the ORIGINAL image)
    A GT joint j "supports" prediction n for GT person p when that joint is labelled in 2D
    (see `gt_joint_valid_2d`) and |u_pred - u_gt| < 40 px AND |v_pred - v_gt| < 40 px (strict,
    so exactly 40 px does not count). Only `JOINTS` are looked at. support[p, n] is the count.
    Greedy: repeatedly take the (GT, prediction) pair with the most support among GT persons and
    predictions not yet taken (ties: lowest GT index, then lowest prediction index), until the
    best remaining support is 0. A GT person without a prediction is "unmatched".
    Matching is in 2D on purpose: some Python re-implementations match in 3D, which lets a bad
    root depth change who is matched and is not comparable with published numbers.

Joints: `drm_ros.skeleton.EVAL_JOINTS`, 12 joints. MuPoTS evaluates 14 (head-top, neck,
    shoulders, elbows, wrists, hips, knees, ankles); COCO-17 has no head-top and no neck, so those
    two are dropped. The pelvis (our root) is used to align for PCKrel/MPJPE but not scored
    (it would be correct by construction). Not strictly comparable to the 14-joint numbers.

PCK at 150 mm: a joint is correct when the 3D distance to GT is < 150 mm. "rel" subtracts each
    side's own pelvis first, "abs" compares camera-frame positions directly. Per GT person (with a
    3D label on all of `JOINTS`), PCK = fraction of its joints correct; "all" gives unmatched GT
    persons 0 (every joint wrong), "matched" leaves them out.
    Averaging: the published MuPoTS numbers average per sequence (TS1..TS20: all joints of all
    people of all frames of a sequence pooled) and then average the 20 sequence values. A
    `Sample` has no sequence in general, so our main keys (`pck_rel`, ...) weight every GT person
    instance equally (mean of per-person PCK over the dataset; with a fixed joint count this is
    the pooled joint fraction). When the samples' person meta carry a "sequence" (the MuPoTS
    loader writes it), `pck_rel_seqavg` / `pck_abs_seqavg` give the sequence-averaged value,
    which is the one comparable with the papers' "Avg" column.
    `pck_rel_swap` / `pck_abs_swap`: per person, the better of the prediction as is and with left
    and right exchanged (skeleton.FLIP_INDEX), same matches. A large gap to `pck_rel` means a
    mirror in the GT or the camera model (EXPERIMENTS.md pitfall), not a good model.

AP_root at 25 cm (RootNet style): all predictions of all images sorted by score (descending,
    stable); each is a true positive if the closest not-yet-taken GT root of the same image (GT
    persons with a 3D label) is < 250 mm away in 3D, which it then takes; otherwise a false
    positive. AP = area under the precision/recall curve with all-point interpolation (precision
    made monotone non-increasing from the right, then summed over each recall step; the PASCAL
    VOC 2010+ rule, no 11- or 101-point sampling). Reported in percent like PCK.

MPJPE (root-aligned, mm) over `JOINTS` and absolute root error (mm, `PoseSet.roots` vs GT pelvis)
    are averaged per matched person with a 3D label, then over those persons. `root_err_median_pct`
    is the median over the same persons of root error / GT root distance, in percent.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np

from drm_ros.data.sample import Sample
from drm_ros.poses import PoseSet
from drm_ros.skeleton import EVAL_JOINTS, FLIP_INDEX, ROOT

JOINTS: tuple[int, ...] = EVAL_JOINTS
MATCH_THRESHOLD_PX = 40.0
PCK_THRESHOLD_MM = 150.0
AP_ROOT_THRESHOLD_MM = 250.0


# ---------------------------------------------------------------------------------- matching
def gt_joint_valid_2d(sample: Sample) -> np.ndarray:
    """(P, J) bool: GT joints whose 2D position is known — labelled visible, or with a 3D label
    (then the 2D is its projection, as in MuPoTS where occluded joints still count)."""
    finite2d = np.isfinite(sample.joints2d).all(axis=-1)
    finite3d = np.isfinite(sample.joints3d).all(axis=-1)
    return finite2d & ((sample.visible > 0) | finite3d)


def match_support(pred_2d: np.ndarray, gt_2d: np.ndarray, gt_valid: np.ndarray,
                  joints=JOINTS, threshold: float = MATCH_THRESHOLD_PX) -> np.ndarray:
    """(P, N) number of `joints` of GT person p within the box rule of prediction n."""
    if len(pred_2d) == 0 or len(gt_2d) == 0:
        return np.zeros((len(gt_2d), len(pred_2d)), dtype=np.int64)
    j = list(joints)
    d = np.abs(pred_2d[None, :, j, :] - gt_2d[:, None, j, :])  # (P, N, J, 2); NaN compares False
    with np.errstate(invalid="ignore"):
        close = (d[..., 0] < threshold) & (d[..., 1] < threshold) & gt_valid[:, None, j]
    return close.sum(axis=-1)


def greedy_match(support: np.ndarray) -> np.ndarray:
    """(P,) index of the prediction matched to each GT person, -1 if none (rule in module doc)."""
    support = support.astype(np.int64).copy()
    match = -np.ones(support.shape[0], dtype=np.int64)
    while support.size and support.max() > 0:
        p, n = np.unravel_index(np.argmax(support), support.shape)  # row-major: lowest p, then n
        match[p] = n
        support[p, :] = -1
        support[:, n] = -1
    return match


def match_persons(pred: PoseSet, sample: Sample, threshold: float = MATCH_THRESHOLD_PX) -> np.ndarray:
    """(P,) prediction index per GT person of `sample`, -1 when unmatched."""
    return greedy_match(match_support(np.asarray(pred.joints2d, dtype=np.float64), sample.joints2d,
                                      gt_joint_valid_2d(sample), threshold=threshold))


# ---------------------------------------------------------------------------------- per person
def has_3d_label(sample: Sample) -> np.ndarray:
    """(P,) persons whose `JOINTS` are all labelled in 3D. Deliberately not `Sample.has3d`
    (all 18 joints): MuPoTS has no face joints, yet its people are fully scored on `JOINTS`."""
    return np.isfinite(sample.joints3d[:, list(JOINTS)]).all(axis=(1, 2))


def joint_errors_mm(pred3d: np.ndarray, gt3d: np.ndarray, relative: bool) -> np.ndarray:
    """(len(JOINTS),) Euclidean errors in mm of one person (inputs (J, 3) in metres)."""
    p, g = np.asarray(pred3d, dtype=np.float64), np.asarray(gt3d, dtype=np.float64)
    if relative:
        p, g = p - p[ROOT], g - g[ROOT]
    return 1000.0 * np.linalg.norm(p[list(JOINTS)] - g[list(JOINTS)], axis=-1)


def person_pck(pred3d: np.ndarray, gt3d: np.ndarray, relative: bool,
               threshold_mm: float = PCK_THRESHOLD_MM) -> float:
    """Fraction (0..1) of `JOINTS` within `threshold_mm` (strict <)."""
    with np.errstate(invalid="ignore"):
        return float(np.mean(joint_errors_mm(pred3d, gt3d, relative) < threshold_mm))


def person_pck_swap(pred3d: np.ndarray, gt3d: np.ndarray, relative: bool) -> float:
    """Better of the prediction and its left/right exchange (same person, same match)."""
    return max(person_pck(pred3d, gt3d, relative), person_pck(np.asarray(pred3d)[list(FLIP_INDEX)], gt3d, relative))


# ---------------------------------------------------------------------------------- AP_root
def average_precision(is_tp: np.ndarray, num_gt: int) -> float:
    """All-point interpolated AP (0..1) of detections already sorted by descending score."""
    if num_gt == 0:
        return float("nan")
    is_tp = np.asarray(is_tp, dtype=bool)
    if is_tp.size == 0:
        return 0.0
    tp = np.cumsum(is_tp)
    precision = tp / np.arange(1, len(is_tp) + 1)
    recall = tp / num_gt
    # Envelope: the best precision at this or any higher recall.
    envelope = np.maximum.accumulate(precision[::-1])[::-1]
    steps = np.diff(np.concatenate([[0.0], recall]))
    return float(np.sum(steps * envelope))


def ap_root(predictions: list[PoseSet], samples: list[Sample],
            threshold_mm: float = AP_ROOT_THRESHOLD_MM) -> float:
    """AP_root (0..1) over the dataset (rule in module doc); NaN without 3D-labelled GT."""
    entries = []  # (score, image, root)
    for i, pred in enumerate(predictions):
        for n in range(len(pred)):
            entries.append((float(pred.scores[n]), i, np.asarray(pred.roots[n], dtype=np.float64)))
    order = sorted(range(len(entries)), key=lambda k: -entries[k][0])  # sorted() is stable
    gt_roots = [s.joints3d[has_3d_label(s), ROOT] for s in samples]
    taken = [np.zeros(len(r), dtype=bool) for r in gt_roots]
    is_tp = []
    for k in order:
        _, i, root = entries[k]
        free = np.flatnonzero(~taken[i])
        hit = False
        if free.size:
            dist = 1000.0 * np.linalg.norm(gt_roots[i][free] - root, axis=-1)
            best = int(np.argmin(dist))
            if dist[best] < threshold_mm:
                taken[i][free[best]] = True
                hit = True
        is_tp.append(hit)
    return average_precision(np.array(is_tp), sum(len(r) for r in gt_roots))


# ---------------------------------------------------------------------------------- dataset
def _pct(values) -> float:
    return 100.0 * float(np.mean(values)) if len(values) else float("nan")


def _mean(values) -> float:
    return float(np.mean(values)) if len(values) else float("nan")


def evaluate(predictions: list[PoseSet], samples: list[Sample]) -> dict:
    """All metrics of a dataset (keys and rules in the module docstring). PCK and AP in percent,
    errors in mm; NaN where a metric has nothing to average (e.g. no 3D labels)."""
    if len(predictions) != len(samples):
        raise ValueError(f"{len(predictions)} predictions for {len(samples)} samples")
    per = defaultdict(list)  # name -> per-person values
    seq = defaultdict(lambda: defaultdict(list))  # name -> sequence -> values
    num_gt = num_pred = num_matched = 0
    for pred, sample in zip(predictions, samples):
        num_gt += sample.num_persons
        num_pred += len(pred)
        match = match_persons(pred, sample)
        num_matched += int(np.sum(match >= 0))
        labelled = has_3d_label(sample)
        for p in np.flatnonzero(labelled):
            n = match[p]
            gt = sample.joints3d[p]
            meta = sample.meta[p] if p < len(sample.meta) else {}
            if n < 0:
                values = {"rel": 0.0, "abs": 0.0, "rel_swap": 0.0, "abs_swap": 0.0}
            else:
                pj = np.asarray(pred.joints3d[n], dtype=np.float64)
                values = {"rel": person_pck(pj, gt, True), "abs": person_pck(pj, gt, False),
                          "rel_swap": person_pck_swap(pj, gt, True), "abs_swap": person_pck_swap(pj, gt, False)}
                per["rel_matched"].append(values["rel"])
                per["abs_matched"].append(values["abs"])
                per["mpjpe"].append(float(np.mean(joint_errors_mm(pj, gt, relative=True))))
                per["root_err"].append(1000.0 * float(np.linalg.norm(np.asarray(pred.roots[n]) - gt[ROOT])))
                per["root_err_rel"].append(per["root_err"][-1] / (10.0 * float(np.linalg.norm(gt[ROOT]))))
            for key, value in values.items():
                per[key].append(value)
            if "sequence" in meta:
                seq["rel"][meta["sequence"]].append(values["rel"])
                seq["abs"][meta["sequence"]].append(values["abs"])
    result = {
        "pck_rel": _pct(per["rel"]),
        "pck_abs": _pct(per["abs"]),
        "pck_rel_matched": _pct(per["rel_matched"]),
        "pck_abs_matched": _pct(per["abs_matched"]),
        "pck_rel_swap": _pct(per["rel_swap"]),
        "pck_abs_swap": _pct(per["abs_swap"]),
        "ap_root_25": 100.0 * ap_root(predictions, samples),
        "mpjpe_rel_mm": _mean(per["mpjpe"]),
        "root_err_mm": _mean(per["root_err"]),
        "root_err_median_pct": float(np.median(per["root_err_rel"])) if per["root_err_rel"] else float("nan"),
        "num_images": len(samples),
        "num_gt_persons": num_gt,
        "num_gt_persons_3d": len(per["rel"]),
        "num_pred_persons": num_pred,
        "num_matched": num_matched,
        "num_matched_3d": len(per["rel_matched"]),
    }
    if seq["rel"]:
        result["pck_rel_seqavg"] = _mean([_pct(v) for v in seq["rel"].values()])
        result["pck_abs_seqavg"] = _mean([_pct(v) for v in seq["abs"].values()])
        result["num_sequences"] = len(seq["rel"])
    return result
