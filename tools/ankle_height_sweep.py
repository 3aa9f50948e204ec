"""Which assumed ankle height (and which error spreads) should the ground-plane refinement use?

With the TRUE floor of labelled splits, the refinement (drm_ros/ground/refine.py) is scored for
each assumed height of the detector's ankle point above the floor, once with the error spreads
measured on the current model (RefineSettings' defaults) and with other spreads (`--spreads`;
default: session 4's, dz 0.24 m, root 0.12 Z); per split and as the mean over the splits. Choose on CALIBRATION splits (training
motions, their own seeds), never on the test splits. DRM's poses come from tools/cache_predictions.py.

    .venv/bin/python tools/ankle_height_sweep.py data/near_calib data/calib_seq data/calib_seq_near
"""
import argparse
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cache_predictions import predictions  # noqa: E402

from drm_ros.ground.refine import RefineSettings, refine  # noqa: E402
from drm_ros.metrics import evaluate  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", nargs="+")
    ap.add_argument("--heights", default="0.08,0.09,0.10,0.11,0.12")
    ap.add_argument("--spreads", default="", help="DZ/ROOT pairs to try besides the defaults, e.g. 0.24/0.12,0.17/0.12 "
                    "(DRM's dz error in m / its root depth error as a fraction of the depth)")
    args = ap.parse_args()
    base = RefineSettings()
    pairs = [(base.relative_depth_sigma_m, base.drm_sigma_frac)] + \
        [tuple(float(v) for v in p.split("/")) for p in (args.spreads.split(",") if args.spreads else ["0.24/0.12"])]
    spreads = {f"spreads dz {dz} m / root {root} Z": replace(base, relative_depth_sigma_m=dz, drm_sigma_frac=root)
               for dz, root in pairs}
    variants = [(f"{k}, ankle {float(h):.2f} m", replace(v, ankle_height_m=float(h)))
                for k, v in spreads.items() for h in args.heights.split(",")]
    scores: dict[str, list] = {}
    for data in args.data:
        samples, preds = predictions(data)
        if any(s.ground is None for s in samples):
            print(f"{data}: some frames have no true floor ('ground' annotation)", file=sys.stderr)
            return 1
        print(f"{data}: {len(samples)} frames, the true floor")
        for name, st in variants:
            m = evaluate([refine(p, s.ground, s.camera, st).poses for p, s in zip(preds, samples)], samples)
            row = (m["ap_root_25"], m["pck_abs_matched"], m["root_err_median_pct"], m["root_err_mm"])
            scores.setdefault(name, []).append(row)
            print(f"  {name:52s} AP_root {row[0]:5.1f}  PCKabs matched {row[1]:5.1f}  root median {row[2]:.2f} %  mean {row[3]:.0f} mm")
    print(f"mean over the {len(args.data)} splits")
    for name, rows in scores.items():
        a = np.mean(rows, axis=0)
        print(f"  {name:52s} AP_root {a[0]:5.2f}  PCKabs matched {a[1]:5.2f}  root median {a[2]:.3f} %  mean {a[3]:.0f} mm")
    return 0


if __name__ == "__main__":
    sys.exit(main())
