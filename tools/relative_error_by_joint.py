"""Where the root-relative error (PCKrel) sits, per scored joint and per component, over a
labelled split's matched people (tools/cache_predictions.py): the across-the-image part (x, y:
the 2D and the scale) against the along-the-axis part (z: the relative depth), what PCKrel would
be with either part removed, and with the TRUE root depth (the people moved along their rays:
how much the scale a wrong root depth gives the skeleton costs).

    .venv/bin/python tools/relative_error_by_joint.py data/near_test
"""
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cache_predictions import predictions  # noqa: E402

from drm_ros.ground.refine import shift_depth  # noqa: E402
from drm_ros.metrics import PCK_THRESHOLD_MM, has_3d_label, match_persons  # noqa: E402
from drm_ros.skeleton import EVAL_JOINTS, JOINT_NAMES, ROOT  # noqa: E402

J = list(EVAL_JOINTS)


def main() -> int:
    data = sys.argv[1] if len(sys.argv) > 1 else "data/near_test"
    samples, preds = predictions(data)
    err, err_true_root, dist = [], [], []
    for s, p in zip(samples, preds):
        for g, i in enumerate(match_persons(p, s)):
            if i < 0 or not has_3d_label(s)[g]:
                continue
            truth = s.joints3d[g] - s.joints3d[g, ROOT]
            err.append((p.joints3d[i] - p.roots[i] - truth)[J])
            moved = shift_depth(p.select([i]), np.array([s.joints3d[g, ROOT, 2] - p.roots[i, 2]]), s.camera)
            err_true_root.append((moved.joints3d[0] - moved.roots[0] - truth)[J])
            dist.append(s.joints3d[g, ROOT, 2])
    err, err_true_root, dist = np.array(err), np.array(err_true_root), np.array(dist)
    t = PCK_THRESHOLD_MM / 1000
    full, xy, z = np.linalg.norm(err, axis=-1), np.linalg.norm(err[..., :2], axis=-1), np.abs(err[..., 2])
    print(f"{data}: {len(err)} matched people (the shipped model, cached predictions)")
    print(f"  PCKrel {np.mean(full < t):.1%}, MPJPE {full.mean() * 1000:.0f} mm; with the z error removed {np.mean(xy < t):.1%}, "
          f"with the x/y error removed {np.mean(z < t):.1%}; with the TRUE root depth "
          f"{np.mean(np.linalg.norm(err_true_root, axis=-1) < t):.1%} ({np.linalg.norm(err_true_root, axis=-1).mean() * 1000:.0f} mm)")
    for k, j in enumerate(J):
        print(f"  {JOINT_NAMES[j]:15s} PCK {np.mean(full[:, k] < t):5.1%}   median error {np.median(full[:, k]) * 1000:4.0f} mm: "
              f"x/y {np.median(xy[:, k]) * 1000:4.0f}, z {np.median(z[:, k]) * 1000:4.0f}")
    for lo, hi in [(0, 3), (3, 5), (5, 8)]:
        m = (dist >= lo) & (dist < hi)
        print(f"  {lo}-{hi} m: {m.sum()} people, PCKrel {np.mean(full[m] < t):.1%}; without z error {np.mean(xy[m] < t):.1%}, "
              f"without x/y error {np.mean(z[m] < t):.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
