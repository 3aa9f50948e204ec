"""Is the published root uncertainty (Skeleton3D.root_covariance, drm_ros/uncertainty.py) honest?
Over a labelled split's matched people: the root's error along its viewing ray in units of the
sigma published with it. For a calibrated Gaussian sigma, 68 % lie within 1 sigma, 95 % within 2,
and the median |error| / sigma is 0.67. DRM alone, then with the split's true floor (the sigma of
the ground-plane fusion where it refined the person).

    .venv/bin/python tools/root_sigma_calibration.py data/near_test data/near_calib
"""
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cache_predictions import predictions  # noqa: E402

from drm_ros.ground.refine import REFINED, refine  # noqa: E402
from drm_ros.metrics import has_3d_label, match_persons  # noqa: E402
from drm_ros.skeleton import ROOT  # noqa: E402

BINS = [(0, 3), (3, 5), (5, 8), (8, 100)]


def rows(name: str, err: np.ndarray, sigma: np.ndarray, dist: np.ndarray) -> list[str]:
    z = np.abs(err / sigma)
    out = [f"  {name}: {len(z)} people, within 1 sigma {np.mean(z < 1):.0%}, within 2 sigma {np.mean(z < 2):.0%}, "
           f"median |error|/sigma {np.median(z):.2f} (calibrated: 68 %, 95 %, 0.67); median sigma {np.median(sigma / dist):.1%} "
           f"of the distance, median |error| {np.median(np.abs(err) / dist):.1%}"]
    for lo, hi in BINS:
        m = (dist >= lo) & (dist < hi)
        if m.sum() >= 10:
            out.append(f"    {lo}-{hi} m: {m.sum()} people, within 1 sigma {np.mean(z[m] < 1):.0%}, within 2 sigma "
                       f"{np.mean(z[m] < 2):.0%}, median |error|/sigma {np.median(z[m]):.2f}")
    return out


def main() -> int:
    for data in sys.argv[1:] or ["data/near_test"]:
        samples, preds = predictions(data)
        per = {"DRM alone": [], "true floor, all": [], "true floor, refined people": [], "true floor, the others": []}
        for s, p in zip(samples, preds):
            known = refine(p, s.ground, s.camera) if s.ground is not None else None
            for g, i in enumerate(match_persons(p, s)):
                if i < 0 or not has_3d_label(s)[g]:
                    continue
                truth = s.joints3d[g, ROOT]
                for key, poses in (("DRM alone", p), ("true floor, all", known.poses if known else None)):
                    if poses is None:
                        continue
                    root = poses.roots[i]
                    ray = root / np.linalg.norm(root)
                    row = (float((root - truth) @ ray), float(poses.root_sigma[i]), float(np.linalg.norm(truth)))
                    per[key].append(row)
                    if known is not None and key != "DRM alone":
                        per["true floor, refined people" if known.status[i] == REFINED else "true floor, the others"].append(row)
        print(f"{data}: {len(samples)} images")
        for name, v in per.items():
            if v:
                a = np.array(v)
                print("\n".join(rows(name, a[:, 0], a[:, 1], a[:, 2])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
