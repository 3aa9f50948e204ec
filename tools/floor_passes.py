"""The learnt floor's passes on a labelled sequence split, scored like `drm eval` (same metrics,
same GroundDepth / floor_pass) but on DRM's cached poses (tools/cache_predictions.py), so fit
settings can be compared without re-running the network: DRM alone, online (the node), offline
(the final floor applied to the whole clip), and the true floor for reference.

    .venv/bin/python tools/floor_passes.py data/synth_seq
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cache_predictions import predictions  # noqa: E402
from floor_uncertainty import settings_overrides  # noqa: E402

from drm_ros.ground.fit import FitSettings  # noqa: E402

from drm_ros.ground.offline import floor_pass  # noqa: E402
from drm_ros.ground.session import GroundDepth  # noqa: E402
from drm_ros.metrics import evaluate  # noqa: E402


def line(name, m, extra=""):
    return (f"{name:8s} AP_root@25 {m['ap_root_25']:.1f} %, PCKabs matched {m['pck_abs_matched']:.1f} %, "
            f"root error median {m['root_err_median_pct']:.2f} % / mean {m['root_err_mm']:.0f} mm{extra}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("data", nargs="+")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                    help="a FitSettings field of the learnt floor, e.g. orientation=image2d (repeatable)")
    args = ap.parse_args()
    fit = FitSettings(**settings_overrides(args.set))
    print(f"learnt floor: {settings_overrides(args.set) or 'defaults'}")
    for data in args.data:
        samples, preds = predictions(data)
        print(f"{data}: {len(samples)} frames")
        print(line("off", evaluate(preds, samples)))
        for mode in ("known", "auto"):
            g = GroundDepth(mode, fit=fit)
            out = [g.apply(p, s.camera, s.ground).poses for p, s in zip(preds, samples)]
            print(line("true" if mode == "known" else "online", evaluate(out, samples), f", refined {g.totals['refined']}, gated {g.totals['gated']}"))
        done = floor_pass(preds, [s.camera for s in samples], fit=fit)
        print(line("offline", evaluate(done.poses, samples), f", refined {done.totals['refined']}, gated {done.totals['gated']}"))
        print(f"         floors: {done.describe()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
