"""Why the node's ONLINE vtest residual figure is far above the offline one (issue 13): the same
pipeline as tools/vtest_ground.py (ground step, tracker, depth filter), with the learnt floor of
each FitSettings.orientation, and per run:

1. the floor over time: first frame with a floor, and how far each frame's floor lies from the
   last one (degrees, metres), since online every frame is refined with the floor of its moment;
2. the residual figure (all confident ankles to the ONE plane the metric fits) split: all frames;
   only the frames from the first floor on; and all ankles measured against the LAST floor instead
   of the metric's plane (what a floor known from frame 0 would be scored against);
3. who the refinement gates, and by which gate: the stature gate (the floor would make them taller
   than max_stature_m) or the per-person consistency gate; and frames whose plane is rejected.

    .venv/bin/python tools/vtest_online_floor.py
"""
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from vtest_ground import ANKLES, load_vtest, run  # noqa: E402

from drm_ros.ground.fit import ORIENTATIONS, FitSettings  # noqa: E402
from drm_ros.ground.refine import GATED, RefineSettings  # noqa: E402
from drm_ros.ground.session import GroundDepth  # noqa: E402
from drm_ros.plausibility import fit_plane, person_heights, plausibility_report  # noqa: E402


def ankle_points(frames, keep=None):
    pts = [p.joints3d[i, j] for k, p in enumerate(frames) if keep is None or keep[k]
           for i in range(len(p)) for j in ANKLES if p.joint_scores[i, j] >= 0.3]
    return np.array(pts).reshape(-1, 3)


def rms_to_plane(pts, up, offset):
    r = np.abs(pts @ up + offset) * 100
    return f"{np.sqrt(np.mean(r ** 2)):.1f} cm rms / {np.median(r):.1f} cm median"


def main() -> int:
    raw, camera = load_vtest()
    print(f"vtest: {len(raw)} frames, {sum(len(p) for p in raw)} people; the node's pipeline with its depth filter\n")
    for orientation in ORIENTATIONS:
        fit = replace(FitSettings(), orientation=orientation)
        ground = GroundDepth("auto", fit=fit)
        floors = []
        apply = ground.apply  # wrapped to record the floor each frame was refined with

        def recording_apply(poses, cam, known=None):
            result = apply(poses, cam, known)
            floors.append(ground.plane)
            return result
        ground.apply = recording_apply
        frames, _, results = run(raw, camera, ground)
        last = floors[-1]
        print(f"== orientation {orientation}: {ground.describe()}")
        rep = plausibility_report(frames)
        print(f"  headline: jitter median {rep['jitter_mm']['median']:.0f} mm, residual {rep['ground_plane']['residual_rms_cm']:.1f} cm rms")
        have = [f is not None for f in floors]
        if last is None:
            print("  no floor at the end")
            continue
        first = have.index(True)
        angles = [f.angle_to_deg(last) for f in floors if f is not None]
        heights = [f.height - last.height for f in floors if f is not None]
        print(f"  1. first floor at frame {first}; each frame's floor against the last: angle median {np.median(angles):.1f}, "
              f"max {np.max(angles):.1f} deg; height median {np.median(np.abs(heights)):.2f}, max {np.max(np.abs(heights)):.2f} m")
        print("     floors at frames " + ", ".join(f"{k}: {f.pitch_deg:.1f}/{f.roll_deg:.1f} deg, {f.height:.2f} m"
                                                  for k, f in enumerate(floors) if f is not None and k % 5 == first % 5))
        pts_all, pts_after = ankle_points(frames), ankle_points(frames, have)
        n, d, inl, _ = fit_plane(pts_all)
        print(f"  2. all frames, the metric's plane ({np.degrees(np.arccos(min(1.0, abs(n @ last.up)))):.1f} deg from the last floor, "
              f"{inl.mean():.0%} within 5 cm): {rms_to_plane(pts_all, n, d)}")
        n2, d2, inl2, _ = fit_plane(pts_after)
        print(f"     frames {first}-{len(frames) - 1} only ({len(pts_after)} of {len(pts_all)} ankles), the metric's plane "
              f"({np.degrees(np.arccos(min(1.0, abs(n2 @ last.up)))):.1f} deg from the last floor): {rms_to_plane(pts_after, n2, d2)}")
        ankle_plane = last.height - RefineSettings().ankle_height_m
        print(f"     all frames to the last floor's ankle plane: {rms_to_plane(pts_all, last.up, ankle_plane)}; "
              f"frames {first}- only: {rms_to_plane(pts_after, last.up, ankle_plane)}")
        # 3. which gate: a gated person the floor would make taller than max_stature_m is the stature gate's
        s = RefineSettings()
        tall = other = 0
        for raw_poses, res in zip(raw, results):
            for i in np.flatnonzero(res.status == GATED):
                ratio = res.plane_depth[i] / res.drm_depth[i]
                too_tall = bool(np.isfinite(ratio) and ratio * person_heights(raw_poses)[i] > s.max_stature_m)
                tall, other = tall + too_tall, other + (not too_tall)
        print(f"  3. people gated: {ground.totals['gated']} ({tall} by the stature gate, {other} by the per-person gate); "
              f"frames whose plane was rejected: {ground.totals['frames_plane_rejected']}; refined {ground.totals['refined']}, "
              f"no confident ankle or before the floor {ground.totals['no_feet']}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
