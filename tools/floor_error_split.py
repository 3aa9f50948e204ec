"""Which part of a learnt floor's error costs the absolute metrics: its tilt or its height. The
offline pass (drm_ros/ground/offline.py: each clip's last learnt floor, with its own sigmas, applied
to every frame) on DRM's cached poses of a labelled sequence split, with the learnt floor, and with
the learnt floor's tilt or height replaced by the truth (one floor's tilt moved along its normal
to the other floor's height at the people's feet: the median over DRM's upright ankles of the
clip), scored like `drm eval`.

    .venv/bin/python tools/floor_error_split.py data/synth_seq [--set orientation=image2d]
"""
import argparse
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cache_predictions import predictions  # noqa: E402
from floor_passes import line  # noqa: E402
from floor_uncertainty import settings_overrides  # noqa: E402

from drm_ros.ground.fit import FitSettings, upright_ankles  # noqa: E402
from drm_ros.ground.offline import learn_floors  # noqa: E402
from drm_ros.ground.plane import GroundPlane  # noqa: E402
from drm_ros.ground.refine import RefineSettings  # noqa: E402
from drm_ros.ground.session import GroundDepth  # noqa: E402
from drm_ros.metrics import evaluate  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("data", nargs="+")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    args = ap.parse_args()
    fit = FitSettings(**settings_overrides(args.set))
    settings = RefineSettings()
    print(f"learnt floor: {settings_overrides(args.set) or 'defaults'}")
    for data in args.data:
        samples, preds = predictions(data)
        cameras = [s.camera for s in samples]
        stretches = learn_floors(preds, cameras, replace(fit, ankle_height_m=settings.ankle_height_m))
        print(f"{data}: {len(samples)} frames")
        print(line("off", evaluate(preds, samples)))
        for variant in ("learnt", "true tilt, learnt height", "learnt tilt, true height", "true"):
            out = []
            for s in stretches:
                truth = samples[s.start].ground
                plane = s.plane
                if plane is not None and variant != "learnt":
                    ankles = np.concatenate([upright_ankles(p, fit) for p in preds[s.start:s.stop]])
                    if variant == "true":
                        plane = truth
                    else:  # one floor's tilt, moved along it to the other's height at the people's feet
                        a = settings.ankle_height_m
                        tilt, level = (truth, plane) if variant.startswith("true tilt") else (plane, truth)
                        feet = ankles @ level.up + level.height - a  # the ankles' heights above `level`'s ankle plane
                        offset = float(np.median(feet - ankles @ tilt.up))
                        plane = GroundPlane(tilt.up, offset + a)
                if plane is None:
                    ground = GroundDepth("off", settings=settings)
                else:
                    known = replace(settings, plane_height_sigma_m=max(settings.plane_height_sigma_m, s.height_sigma_m),
                                    plane_tilt_sigma_deg=max(settings.plane_tilt_sigma_deg, s.tilt_sigma_deg))
                    ground = GroundDepth("fixed", plane, known)
                out += [ground.apply(p, c).poses for p, c in zip(preds[s.start:s.stop], cameras[s.start:s.stop])]
            print(line(variant, evaluate(out, samples)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
