"""Would putting the ankles ON the floor make skeletons better, or only the residual? (issue 13)

The label-free vtest residual measures how far the published ankles lie from one plane. The
refinement moves a whole person along its rays to the floor's depth, so each ankle keeps DRM's
relative depth and lies off the floor by that error. Snapping the confident ankles of refined
people along their own rays to the floor (at the ankle height) would zero the residual of planted
feet by construction. Measured here with the TRUE floor on labelled splits, whether it makes the
ankles and the skeleton more accurate: `both` ankles snapped, or only the `lower` one (by height
above the floor, within 5 cm), at the refinement's ankle height and 2 cm lower.

    .venv/bin/python tools/ankle_snap_study.py data/near_calib data/synth_seq_near
"""
import argparse
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cache_predictions import predictions  # noqa: E402

from drm_ros.ground.refine import REFINED, RefineSettings  # noqa: E402
from drm_ros.ground.session import GroundDepth  # noqa: E402
from drm_ros.metrics import evaluate, has_3d_label, match_persons  # noqa: E402
from drm_ros.skeleton import JOINT_INDEX  # noqa: E402

ANKLES = [JOINT_INDEX["left_ankle"], JOINT_INDEX["right_ankle"]]
MIN_SCORE = 0.3  # the residual metric's confident ankle


def snap(poses, plane, status, ankle_height: float, which: str):
    """The confident ankles of refined people moved along their rays to `ankle_height` above the floor."""
    x = poses.joints3d.copy()
    for i in np.flatnonzero(status == REFINED):
        heights = [plane.up @ x[i, a] + plane.height for a in ANKLES]
        for k, a in enumerate(ANKLES):
            if poses.joint_scores[i, a] < MIN_SCORE or (which == "lower" and heights[k] > min(heights) + 0.05):
                continue
            ray = x[i, a] / x[i, a, 2]  # z = 1, as GroundPlane.ray_depths takes it
            depth = plane.ray_depths(ray, ankle_height)
            if np.isfinite(depth):  # the ray goes down to that height in front of the camera
                x[i, a] = depth * ray
    return replace(poses, joints3d=x)


def ankle_errors_mm(preds, samples) -> np.ndarray:
    """Absolute 3D error of every confident ankle of every matched person."""
    out = []
    for p, s in zip(preds, samples):
        labelled = has_3d_label(s)
        for g, n in enumerate(match_persons(p, s)):
            if n >= 0 and labelled[g]:
                out += [np.linalg.norm(p.joints3d[n, a] - s.joints3d[g, a]) for a in ANKLES if p.joint_scores[n, a] >= MIN_SCORE]
    return 1000.0 * np.array(out)


def row(name, preds, samples) -> str:
    m, e = evaluate(preds, samples), ankle_errors_mm(preds, samples)
    return (f"| {name} | {m['pck_abs_matched']:.1f} | {m['pck_rel_matched']:.1f} | {m['mpjpe_rel_mm']:.0f} mm "
            f"| {np.median(e):.0f} / {np.mean(e):.0f} mm |")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("data", nargs="+")
    args = ap.parse_args()
    h = RefineSettings().ankle_height_m
    for data in args.data:
        samples, drm = predictions(data)
        ground = GroundDepth("known")
        results = [ground.apply(p, s.camera, s.ground) for p, s in zip(drm, samples)]
        print(f"\n{data}, the true floor ({ground.totals['refined']} people refined)")
        print("| ankles | PCKabs matched | PCKrel matched | MPJPE | confident ankles' 3D error median / mean |")
        print("|---|---|---|---|---|")
        print(row("as refined (the node)", [r.poses for r in results], samples))
        for which in ("both", "lower"):
            for height in (h, h - 0.02):
                snapped = [snap(r.poses, s.ground, r.status, height, which) for r, s in zip(results, samples)]
                print(row(f"{which} snapped to {height:.2f} m", snapped, samples))
    return 0


if __name__ == "__main__":
    sys.exit(main())
