"""How well can ANY model read absolute depth from a person's apparent size on a synthetic split?

A monocular model sees a person's size in pixels, not their height in metres. Even with perfect
2D and a perfect relative pose, an estimator that reads depth from apparent size must assume a
height; on our renders heights vary (config/synth: 1.70 +- 0.09 m, 4 % children), so its root
depth is off by Z * (h_assumed / h_true - 1). This tool measures, on a dataset folder with the
generator's per-person `height_m`, what that alone leaves of the absolute metrics:

  * AP_root@25cm ceiling: the share of labelled people whose size-only root error is < 25 cm
    (AP can be at most the recall of true positives);
  * PCKabs@150mm ceiling: the share of scored joints within 150 mm when every joint moves with
    the root along its viewing ray (exact relative pose).

It is an upper bound for size-based depth only: the renders also hold other depth cues (a ground
plane with a horizon in 60 % of scenes, the other people), which a model could in principle use.

    .venv/bin/python tools/root_depth_bound.py [--data data/synth_test]
"""
import argparse
import sys

import numpy as np

from drm_ros.data.load import load_any
from drm_ros.skeleton import EVAL_JOINTS, ROOT


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="data/synth_test")
    args = ap.parse_args()
    samples = load_any(args.data)
    z, h, joint_err, seen = [], [], [], []
    for s in samples:
        for p, meta in enumerate(s.meta):
            if "height_m" not in meta or not np.isfinite(s.joints3d[p, ROOT]).all():
                continue
            z.append(s.joints3d[p, ROOT, 2])
            h.append(meta["height_m"])
            seen.append(int((s.visible[p, list(EVAL_JOINTS)] > 0).sum()) >= 4)
    z, h, seen = np.array(z), np.array(h), np.array(seen)
    if len(z) == 0:
        print(f"{args.data}: no people with a generator height (meta.height_m)", file=sys.stderr)
        return 1
    h_ref = float(np.median(h))  # the best single assumed height for this population
    dz = z * (h_ref / h - 1.0)
    k = 0
    for s in samples:  # each scored joint moves along its ray by the root's depth error
        for p, meta in enumerate(s.meta):
            if "height_m" not in meta or not np.isfinite(s.joints3d[p, ROOT]).all():
                continue
            j = s.joints3d[p, list(EVAL_JOINTS)]
            ray = j / j[:, 2:3]
            joint_err.append(np.linalg.norm(ray * dz[k], axis=-1))
            k += 1
    joint_err = np.concatenate(joint_err)
    print(f"{args.data}: {len(samples)} images, {len(z)} labelled people, heights median {h_ref:.2f} m "
          f"(range {h.min():.2f}-{h.max():.2f})")
    print(f"size-only root error: median {1000 * np.median(np.abs(dz)):.0f} mm, "
          f"median {100 * np.median(np.abs(dz) / z):.1f} % of depth")
    print(f"ceiling AP_root@25cm: {100 * np.mean(np.abs(dz) < 0.25):.1f}   "
          f"ceiling PCKabs@150mm: {100 * np.mean(joint_err < 0.15):.1f}")
    # a detector must see a person: 4 of the 12 scored joints (model card, recall lever 5)
    print(f"ceiling AP_root@25cm for a detector that needs 4 of the 12 scored joints in view ({100 * seen.mean():.1f} % "
          f"of people): {100 * np.mean((np.abs(dz) < 0.25) & seen):.1f}")
    few = np.mean([s.visible[p, :17].sum() < 6 for s in samples for p in range(s.num_persons)])
    print(f"people showing fewer than 6 of 17 joints (counted as misses in the 'all' metrics): {100 * few:.1f} %")
    print(f"{'root depth band':>16} | people | AP_root@25 ceiling")
    for lo, hi in ((0, 4), (4, 8), (8, 12), (12, 100)):
        m = (z >= lo) & (z < hi)
        if m.any():
            print(f"{f'{lo}-{hi} m':>16} | {m.sum():6d} | {100 * np.mean(np.abs(dz[m]) < 0.25):6.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
