"""Issue 10 lever 31: are DRM's limbs too short, and does restoring their lengths pay?

The shipped model's bones, against the truth on matched people, come out short, most of all the
forearms (median ~0.8 of the true length): a lifter under 2D noise pulls depth offsets toward zero.
Here each limb joint is moved along ITS OWN viewing ray (so the published 2D stays where it is)
to the depth where its bone from the (already moved) parent has the expected length, the root
of the two that is nearer the current depth; `--weights` blends that depth with DRM's.
`--dz-scales`: the simpler reading of "too short": every joint's depth offset from the root
multiplied by k, each joint again along its own ray.
Expected lengths: body proportions (bone / reference length, medians) read from TRAINING
renders' labels (`--proportions-from`, never the split scored), times the person's reference
length as DRM predicts it (thighs and torso sides, the bones it gets most right).

    .venv/bin/python tools/bone_length_study.py --data data/near_test --proportions-from data/near_train \
        [--weights 0,0.25,0.5,0.75,1] [--dz-scales 1,1.1,1.2,1.3,1.5]
"""
import argparse
import sys

import numpy as np

from drm_ros.data.load import load_any
from drm_ros.metrics import evaluate, has_3d_label, match_persons
from drm_ros.poses import PoseSet
from drm_ros.skeleton import JOINT_INDEX as J, ROOT

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from cache_predictions import predictions  # noqa: E402

# Limb chains, parent before child; hips, shoulders and the face stay as DRM put them.
CHAINS = (("left_hip", "left_knee", "left_ankle"), ("right_hip", "right_knee", "right_ankle"),
          ("left_shoulder", "left_elbow", "left_wrist"), ("right_shoulder", "right_elbow", "right_wrist"))
REFERENCE = (("left_hip", "left_knee"), ("right_hip", "right_knee"),
             ("left_hip", "left_shoulder"), ("right_hip", "right_shoulder"))


def bone(x, a, b):
    return np.linalg.norm(x[..., J[a], :] - x[..., J[b], :], axis=-1)


def reference_length(x):
    return np.mean([bone(x, a, b) for a, b in REFERENCE], axis=0)


def proportions(samples) -> dict:
    """Median bone / reference length over the labelled people of training renders."""
    ratios = {}
    for s in samples:
        for p in np.flatnonzero(has_3d_label(s)):
            x = s.joints3d[p]
            ref = reference_length(x)
            for chain in CHAINS:
                for a, b in zip(chain, chain[1:]):
                    ratios.setdefault((a, b), []).append(bone(x, a, b) / ref)
    return {k: float(np.median(v)) for k, v in ratios.items()}


def restore(x: np.ndarray, props: dict, weight: float) -> np.ndarray:
    """One person's joints (J, 3), limbs moved along their rays toward the expected lengths."""
    x = x.copy()
    ref = reference_length(x)
    for chain in CHAINS:
        for a, b in zip(chain, chain[1:]):
            parent, child = x[J[a]], x[J[b]]
            depth = np.linalg.norm(child)
            ray = child / depth
            length = props[(a, b)] * ref
            along = ray @ parent
            disc = along ** 2 - parent @ parent + length ** 2
            if disc < 0:  # the ray passes further from the parent than the bone reaches
                target = along
            else:
                roots = np.array([along - np.sqrt(disc), along + np.sqrt(disc)])
                target = roots[np.argmin(np.abs(roots - depth))]
            x[J[b]] = ray * ((1 - weight) * depth + weight * target)
    return x


def depth_offsets_scaled(poses: PoseSet, k: float) -> PoseSet:
    """Every joint's depth offset from the root times k, each joint along its own ray."""
    z_root = poses.roots[:, None, 2]
    z = z_root + k * (poses.joints3d[..., 2] - z_root)
    return _with_joints(poses, poses.joints3d * (z / poses.joints3d[..., 2])[..., None])


def with_restored(poses: PoseSet, props: dict, weight: float) -> PoseSet:
    return _with_joints(poses, np.array([restore(x, props, weight) for x in poses.joints3d]).reshape(poses.joints3d.shape))


def _with_joints(poses: PoseSet, joints: np.ndarray) -> PoseSet:
    return PoseSet(poses.scores, poses.boxes, poses.roots, joints, poses.joints2d, poses.joint_scores,
                   poses.ids, poses.root_sigma)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="data/near_test")
    ap.add_argument("--proportions-from", default="data/near_train")
    ap.add_argument("--weights", default="0,0.25,0.5,0.75,1")
    ap.add_argument("--dz-scales", default="1,1.1,1.2,1.3,1.5")
    args = ap.parse_args()
    props = proportions(load_any(args.proportions_from))
    print(f"proportions (bone / mean of thighs and torso sides) from {args.proportions_from}:")
    for (a, b), r in props.items():
        print(f"  {a}-{b}: {r:.3f}")
    samples, preds = predictions(args.data)
    print(f"{args.data}: {len(samples)} images; DRM's poses from the prediction cache")
    _report(samples, preds, bone_lengths(samples, preds))
    for title, values, change in (("limbs restored, weight", args.weights, lambda p, v: with_restored(p, props, v)),
                                  ("depth offsets times", args.dz_scales, depth_offsets_scaled)):
        print(f"{title:>22} | PCKrel matched | PCKabs matched | MPJPE mm | AP_root | matched")
        for v in [float(t) for t in values.split(",")]:
            m = evaluate([change(p, v) for p in preds], samples)
            print(f"{v:22.2f} | {m['pck_rel_matched']:14.1f} | {m['pck_abs_matched']:14.1f} | {m['mpjpe_rel_mm']:8.1f} | "
                  f"{m['ap_root_25']:7.1f} | {m['num_matched']}")
    return 0


def bone_lengths(samples, preds) -> dict:
    """Per limb bone: (predicted, true) image-plane and depth extents (m) of matched people, the
    prediction first scaled to the true root depth so that only the pose is compared."""
    out = {}
    for s, p in zip(samples, preds):
        match = match_persons(p, s)
        for g in np.flatnonzero(has_3d_label(s)):
            if match[g] < 0:
                continue
            pred = p.joints3d[match[g]] * (s.joints3d[g][ROOT, 2] / p.roots[match[g]][2])
            for chain in CHAINS:
                for a, b in zip(chain, chain[1:]):
                    vp, vg = pred[J[b]] - pred[J[a]], s.joints3d[g][J[b]] - s.joints3d[g][J[a]]
                    if np.all(np.isfinite(vp)) and np.all(np.isfinite(vg)):
                        out.setdefault(a.split('_', 1)[1] + '-' + b.split('_', 1)[1], []).append(
                            (np.linalg.norm(vp[:2]), np.linalg.norm(vg[:2]), abs(vp[2]), abs(vg[2]), vp[2] * vg[2] > 0, abs(vg[2])))
    return out


def _report(samples, preds, lengths: dict) -> None:
    print("limb bone (both sides) | image-plane extent pred / true, median mm | depth extent pred / true | depth sign right (true |dz| > 10 cm)")
    for name, rows in lengths.items():
        r = np.array(rows, dtype=np.float64)
        far = r[:, 5] > 0.1
        print(f"{name:>22} | {np.median(r[:, 0]) * 1e3:5.0f} / {np.median(r[:, 1]) * 1e3:5.0f} | "
              f"{np.median(r[:, 2]) * 1e3:5.0f} / {np.median(r[:, 3]) * 1e3:5.0f} | {100 * r[far, 4].mean():4.0f} % of {far.sum()}")


if __name__ == "__main__":
    sys.exit(main())
