"""The self-estimated floor's settings on a labelled sequence split (static camera per clip),
scored with the `drm eval` metrics against DRM alone and the true floor: how its uncertainty is
counted (people or points), how soon it is offered, the tilt guard, which people it learns from.
Also how far each clip's learnt floor is from the true one, against the uncertainty it claims.

    .venv/bin/python tools/auto_floor_sweep.py [--data data/synth_seq]
"""
import argparse
import sys

import numpy as np
import torch

from drm_ros.data.load import load_any
from drm_ros.ground.fit import FitSettings
from drm_ros.ground.session import GroundDepth
from drm_ros.imageio import read_rgb
from drm_ros.inference import PoseEstimator
from drm_ros.metrics import evaluate

POINTS = dict(link_gate_m=1e-9, link_depth_gate_frac=0.0)  # every point its own person
VARIANTS = (
    ("default: 10 points of 4+ people, uncertainty counted in people, tilt guard 5 deg", FitSettings()),
    ("counted in points, 20 points, no guard (like session 6, whose own code: issue13c_before_synth_seq_auto.log)", FitSettings(min_points=20, max_tilt_sigma_deg=np.inf, **POINTS)),
    ("counted in points, 10 points", FitSettings(**POINTS)),
    ("20 points", FitSettings(min_points=20)),
    ("tilt guard 3 deg", FitSettings(max_tilt_sigma_deg=3.0)),
    ("no tilt guard", FitSettings(max_tilt_sigma_deg=np.inf)),
    ("people of person score >= 0.2", FitSettings(min_person_score=0.2)),
)


def score(predictions, samples, mode, fit=FitSettings()):
    ground = GroundDepth(mode, fit=fit) if mode != "off" else None
    out, floors = [], {}
    for poses, s in zip(predictions, samples):
        out.append(ground.apply(poses, s.camera, s.ground).poses if ground else poses)
        if mode == "auto" and ground.plane is not None:  # the last floor of each clip (one camera each)
            floors[s.camera] = (ground.plane, ground.auto.tilt_sigma_deg, s.ground)
    m = evaluate(out, samples)
    text = (f"AP_root@25 {m['ap_root_25']:.2f}, PCKabs matched {m['pck_abs_matched']:.2f}, root error median "
            f"{m['root_err_median_pct']:.2f} % / mean {m['root_err_mm']:.0f} mm")
    if ground is not None:
        text += f", refined {ground.totals['refined']}"
    if floors:
        text += "\n    last floor per clip, angle to the true floor / claimed tilt sigma (deg): " + ", ".join(
            f"{p.angle_to_deg(true):.1f} / {sigma:.1f}" for p, sigma, true in floors.values())
    return text


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="data/synth_seq")
    args = ap.parse_args()
    torch.set_num_threads(2)
    samples = load_any(args.data)
    est = PoseEstimator.from_file(None)
    predictions = [est.estimate(read_rgb(s.image_path), s.camera) for s in samples]
    print(f"{args.data}: {len(samples)} frames, {sum(s.num_persons for s in samples)} labelled people, "
          f"{len({s.camera for s in samples})} cameras")
    print(f"DRM alone: {score(predictions, samples, 'off')}")
    print(f"true floor: {score(predictions, samples, 'known')}")
    for name, fit in VARIANTS:
        print(f"auto, {name}: {score(predictions, samples, 'auto', fit)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
