"""The embedded vtest frames with and without the self-estimated floor, offline (no ROS): the
same estimator, ground step, tracker and depth filter as the node (in that order), scored with the
plausibility metrics of `make demo`, and issue 13's levers on the two vtest targets (jitter median
<= 150 mm, ground-plane residual <= 15 cm rms), each measured:

1. what the metrics count: both are over every tracked person and every frame, so they include
   the frames before a floor exists and the people the gates left at DRM's depth; split here by
   the person's status (labelled; the targets stay defined on "all").
2. learning the floor sooner, and how certain the early floor is: 20 -> 10 ankle points, the
   uncertainty counted in points (before) or in people (now), and an offline second pass that
   re-refines every frame with the final floor (`drm bag eval --floor-pass offline`; the node cannot).
3. ankle noise on grazing rays: how much of the floor depth's variance (the fusion weights) is the
   per-frame pixel term, against the frame-to-frame noise the floor depth really shows.
4. the per-track depth filter after the refinement: gain alpha swept; after the offline pass also
   run both ways (a smoother a recording allows).
5. the couple at the back: the heights each floor gives the tracks, for the floor fitted from
   people of person score >= 0.3 (default) and >= 0.2, and the stature gate.

    .venv/bin/python tools/vtest_ground.py
"""
import argparse
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import torch
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from floor_uncertainty import settings_overrides  # noqa: E402

from drm_ros.camera import Camera
from drm_ros.depth_filter import DepthFilter
from drm_ros.depth_smoother import smooth_depths
from drm_ros.ground.fit import FitSettings
from drm_ros.ground.offline import refine_recording
from drm_ros.ground.refine import GATED, NO_FEET, REFINED, RefineSettings, apparent_height_px
from drm_ros.ground.session import GroundDepth
from drm_ros.inference import PoseEstimator
from drm_ros.plausibility import fit_plane, joint_jitter_mm, person_heights, plausibility_report
from drm_ros.pose_filter import PoseFilter
from drm_ros.ros.params import defaults as param_defaults
from drm_ros.skeleton import JOINT_INDEX
from drm_ros.tracking import Tracker

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "vtest"
ANKLES = [JOINT_INDEX["left_ankle"], JOINT_INDEX["right_ankle"]]
STATUS = {NO_FEET: "no confident ankle", GATED: "gated (DRM's depth)", REFINED: "refined"}
BEFORE_PLANE = "before a floor exists"
VTEST_FPS = 10.0
PARAM_DEFAULTS = param_defaults()


def node_pose_filter(enabled: bool = True) -> PoseFilter:
    """The node's pose filter at its defaults (session 12 on; `enabled=False` for the chain before)."""
    return PoseFilter(PARAM_DEFAULTS["pose_filter_min_cutoff_hz"] if enabled else 0.0, PARAM_DEFAULTS["pose_filter_beta"])


def run(raw, camera, ground: GroundDepth, alpha=PARAM_DEFAULTS["depth_filter_alpha"], beta=PARAM_DEFAULTS["depth_filter_beta"],
        pose_filter=True):
    """The node's order: ground step, tracker, depth filter, pose filter (frames 1/VTEST_FPS s apart).
    -> (frames, per-person label, results)."""
    tracker, depth_filter = Tracker(), DepthFilter(alpha, beta) if alpha < 1 else None
    poser = node_pose_filter(pose_filter)
    frames, labels, results = [], [], []
    for k, poses in enumerate(raw):
        result = ground.apply(poses, camera)
        tracked = tracker.update(result.poses, camera)
        tracked = depth_filter.update(tracked, camera) if depth_filter else tracked
        frames.append(poser.update(tracked, k / VTEST_FPS))
        labels.append([STATUS[int(s)] if ground.plane is not None else BEFORE_PLANE for s in result.status])
        results.append(result)
    return frames, labels, results


def run_offline(raw, camera, alpha=0.4, beta=0.0, settings=RefineSettings(), fit=FitSettings(), both_ways=True,
                pose_filter=True):
    """`drm bag eval --floor-pass offline` (defaults: the smoother's gains, both ways): the node with
    its floor and depth filter off (tracker and pose filter), then drm_ros.ground.offline.refine_recording.
    -> (frames, per-person label, the pass)."""
    tracker, poser = Tracker(), node_pose_filter(pose_filter)
    tracked = [poser.update(tracker.update(poses, camera), k / VTEST_FPS) for k, poses in enumerate(raw)]
    done = refine_recording(tracked, [camera] * len(raw), settings, fit, alpha, beta, both_ways)
    labels = [[STATUS[int(s)] if done.stretches[0].plane is not None else BEFORE_PLANE for s in r.status]
              for r in done.results]
    return done.poses, labels, done


def headline(frames) -> str:
    rep = plausibility_report(frames)
    g = rep["ground_plane"]
    return (f"jitter median {rep['jitter_mm']['median']:.0f} mm, ground-plane residual {g['residual_rms_cm']:.1f} cm rms "
            f"/ {g['residual_median_cm']:.1f} cm median, heights median {rep['height_m']['median']:.2f} m")


def breakdown(frames, labels, floor) -> list[str]:
    """Lever 1: the residual of each ankle point to the one plane the metric fits over all of
    them, and the jitter of each tracked triple, by the person's status; how stable the metric's
    own plane is (its RANSAC seed) against the floor learnt (`floor`)."""
    pts, lab = [], []
    for poses, names in zip(frames, labels):
        for i in range(len(poses)):
            for j in ANKLES:
                if poses.joint_scores[i, j] >= 0.3:
                    pts.append(poses.joints3d[i, j])
                    lab.append(names[i])
    pts, lab = np.array(pts), np.array(lab)
    normal, d, _, _ = fit_plane(pts)
    res = np.abs(pts @ normal + d) * 100
    lines = ["  residual to the metric's plane, by status (cm):"]
    for name in (BEFORE_PLANE, *STATUS.values()):
        m = lab == name
        if m.any():
            lines.append(f"    {name}: {m.sum()} ankle points, rms {np.sqrt(np.mean(res[m] ** 2)):.1f}, median "
                         f"{np.median(res[m]):.1f}, share of the squared sum {np.sum(res[m] ** 2) / np.sum(res ** 2):.0%}")
    seeds = []
    for seed in range(5):  # the metric's own plane (MSAC, plausibility.fit_plane) by its seed
        n_s, d_s, inl, _ = fit_plane(pts, seed=seed)
        angle = np.degrees(np.arccos(np.clip(abs(n_s @ floor.up), 0, 1)))
        seeds.append(f"{np.sqrt(np.mean((pts @ n_s + d_s) ** 2)) * 100:.1f} cm rms ({angle:.1f} deg from the floor, "
                     f"{inl.mean():.0%} within 5 cm)")
    lines.append("    the metric's plane by its seed 0-4: " + "; ".join(seeds))
    far = [f"{np.sum(res > 100 * cut)} points beyond {cut} m: {np.sqrt(np.mean(res[res <= 100 * cut] ** 2)):.1f}"
           for cut in (0.5, 1.0)]  # is it the few gated people, or the bulk?
    lines.append("    rms without the ankles far from the metric's plane: " + "; ".join(far))
    m = lab == STATUS[REFINED]
    if m.sum() >= 3:
        n2, d2, _, _ = fit_plane(pts[m])
        r2 = np.abs(pts[m] @ n2 + d2) * 100
        lines.append(f"    people refined only, their own plane: rms {np.sqrt(np.mean(r2 ** 2)):.1f}, median {np.median(r2):.1f}")
    by: dict[str, list] = {}
    ids = [{int(pid): i for i, pid in enumerate(f.ids)} for f in frames]
    for k in range(1, len(frames) - 1):
        for pid in ids[k - 1].keys() & ids[k].keys() & ids[k + 1].keys():
            j = [frames[k + s].joints3d[ids[k + s][pid]] for s in (-1, 0, 1)]
            names = {labels[k + s][ids[k + s][pid]] for s in (-1, 0, 1)}
            key = names.pop() if len(names) == 1 else "status changed within the triple"
            by.setdefault(key, []).append(np.linalg.norm(j[2] - 2 * j[1] + j[0], axis=-1) * 1000)
    by = {name: np.concatenate(v) for name, v in by.items()}
    total = sum(len(v) for v in by.values())
    lines.append("  joint jitter by the status of the tracked triple (mm):")
    for name, v in sorted(by.items()):
        lines.append(f"    {name}: median {np.median(v[np.isfinite(v)]):.0f} over {len(v)} joint triples ({len(v) / total:.0%})")
    rel = [replace(f, joints3d=f.joints3d - f.roots[:, None, :]) for f in frames]
    roots = [replace(f, joints3d=f.roots[:, None, :]) for f in frames]
    lines.append(f"    all: median {np.median(joint_jitter_mm(frames)):.0f}; pelvis only {np.median(joint_jitter_mm(roots)):.0f}; "
                 f"joints relative to the pelvis (what no depth can calm) {np.median(joint_jitter_mm(rel)):.0f}")
    return lines


def first_plane(raw, camera, fit: FitSettings):
    ground = GroundDepth("auto", fit=fit)
    for k, poses in enumerate(raw):
        ground.apply(poses, camera)
        if ground.plane is not None:
            return k, ground.describe()
    return None, "never"


def per_track(raw, camera, ground: GroundDepth) -> list[str]:
    """Lever 5: per track, DRM's depth, the floor's, and the stature each gives."""
    tracker, rows = Tracker(), {}
    for poses in raw:
        result = ground.apply(poses, camera)
        ids = tracker.update(poses, camera).ids
        h = person_heights(poses)
        for i in range(len(poses)):
            if np.isfinite(result.plane_depth[i]):
                z = poses.roots[i, 2]
                rows.setdefault(int(ids[i]), []).append((z, result.plane_depth[i], h[i], h[i] * result.plane_depth[i] / z,
                                                         poses.joints2d[i, ANKLES, 1].max(), poses.roots[i, 0],
                                                         result.status[i] == REFINED))
    lines = []
    for pid, v in sorted(rows.items()):
        a = np.array(v, dtype=np.float64)
        lines.append(f"    track {pid:2d} ({len(a):2d} frames, x {np.median(a[:, 5]):+5.1f} m, ankle row {np.median(a[:, 4]):3.0f} px): "
                     f"DRM {np.median(a[:, 0]):4.1f} m -> stature {np.nanmedian(a[:, 2]):.2f} m; floor {np.median(a[:, 1]):4.1f} m "
                     f"-> {np.nanmedian(a[:, 3]):.2f} m; refined in {int(a[:, 6].sum())}")
    return lines


def load_vtest():
    """DRM's poses on the embedded vtest frames (the node's max_persons kept) and the camera."""
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))  # the machine is shared
    camera = Camera.from_yaml_dict(yaml.safe_load((SAMPLE / "camera_info.yaml").read_text()))
    est = PoseEstimator.from_file()
    raw = []
    for path in sorted(SAMPLE.glob("frame_*.jpg")):
        poses = est.estimate(cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB), camera)
        raw.append(poses.select(np.argsort(-poses.scores, kind="stable")[:20]))  # the node's max_persons
    return raw, camera


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                    help="a FitSettings field of the learnt floor in lever 1, e.g. orientation=image2d")
    ap.add_argument("--lever1-only", action="store_true", help="the headline figures only")
    args = ap.parse_args()
    fit = FitSettings(**settings_overrides(args.set))
    print(f"learnt floor (lever 1): {settings_overrides(args.set) or 'defaults'}")
    raw, camera = load_vtest()
    print(f"vtest: {len(raw)} frames, {sum(len(p) for p in raw)} people (assumed 60 deg HFOV calibration)\n")

    print("== the node's pipeline (defaults), lever 1: what the two metrics count")
    for mode, alpha in (("off", 1.0), ("auto", 1.0), ("off", 0.5), ("auto", 0.5)):
        ground = GroundDepth(mode, fit=fit)
        t0 = time.perf_counter()
        frames, labels, _ = run(raw, camera, ground, alpha)
        cost = (time.perf_counter() - t0) / len(raw)
        print(f"{mode}{' + depth filter' if alpha < 1 else ''}: {ground.describe()}\n  people: {ground.totals}\n  "
              f"{headline(frames)} (pipeline {cost * 1000:.1f} ms per frame)")
        if mode == "auto":
            print("\n".join(breakdown(frames, labels, ground.plane)))
    for alpha, beta, both_ways, name in ((1.0, 0.0, False, ""), (0.5, 0.05, False, " + depth filter (forwards, node's gains)"),
                                         (0.4, 0.0, True, " + depth smoother (both ways; the default)")):
        t0 = time.perf_counter()
        frames, labels, done = run_offline(raw, camera, alpha, beta, fit=fit, both_ways=both_ways)
        cost = (time.perf_counter() - t0) / len(raw)
        print(f"auto, offline second pass{name}: {done.describe()}\n  people: "
              f"{done.totals}\n  {headline(frames)} (pass {cost * 1000:.1f} ms per frame)")
        print("\n".join(breakdown(frames, labels, done.stretches[0].plane)))
    if args.lever1_only:
        return 0

    print("\n== lever 2: learning the floor sooner, and how certain the early floor is (all + depth filter)")
    points = dict(link_gate_m=1e-9, link_depth_gate_frac=0.0)  # every point its own person: counted in points
    for name, fit in (("20 points, uncertainty counted in points (before)", FitSettings(min_points=20, **points)),
                      ("10 points, counted in points", FitSettings(**points)),
                      ("20 points, counted in people", FitSettings(min_points=20)),
                      ("10 points, counted in people (default)", FitSettings())):
        k, text = first_plane(raw, camera, fit)
        ground = GroundDepth("auto", fit=fit)
        frames, _, _ = run(raw, camera, ground)
        print(f"{name}:\n  first floor at frame {k}: {text}\n  last: {ground.describe()}\n  {headline(frames)}")
    frames, _, _ = run_offline(raw, camera, 0.5, 0.05, both_ways=False)
    print(f"offline second pass + the node's forward filter (drm_ros/ground/offline.py: the final floor with its final uncertainty, from frame 0; "
          f"`drm bag eval --floor-pass offline`): {headline(frames)}")

    print("\n== lever 3: ankle noise on grazing rays (people refined, default auto floor)")
    s = RefineSettings()
    parts = {"pixel (2D ankle, per frame)": [], "floor tilt": [], "ankle height + floor height": [], "DRM (fusion's other side)": []}
    ground = GroundDepth("auto")
    for poses in raw:
        result = ground.apply(poses, camera)
        if ground.plane is None:
            continue
        st = replace(s, plane_height_sigma_m=max(s.plane_height_sigma_m, ground.auto.height_sigma_m),
                     plane_tilt_sigma_deg=max(s.plane_tilt_sigma_deg, ground.auto.tilt_sigma_deg))
        f = float(np.sqrt(camera.fx * camera.fy))
        d = ground.plane.height - st.ankle_height_m
        px = np.maximum(st.pixel_sigma_px, st.pixel_sigma_frac * apparent_height_px(poses))
        for i in np.flatnonzero(result.status == REFINED):
            z = result.plane_depth[i]
            parts["pixel (2D ankle, per frame)"].append(z ** 2 / d * px[i] / f)
            parts["floor tilt"].append(z ** 2 / d * np.radians(st.plane_tilt_sigma_deg))
            parts["ankle height + floor height"].append(z / d * np.hypot(st.ankle_height_sigma_m, st.plane_height_sigma_m))
            parts["DRM (fusion's other side)"].append(st.drm_sigma_frac * result.drm_depth[i])
    print("  sigma of the floor's depth by source, median over refined people (m): "
          + ", ".join(f"{k} {np.median(v):.2f}" for k, v in parts.items()))
    tracker, hist = Tracker(), {}
    ground = GroundDepth("auto")
    for k, poses in enumerate(raw):
        result = ground.apply(poses, camera)
        for i, pid in enumerate(tracker.update(result.poses, camera).ids):
            if result.status[i] == REFINED:
                hist.setdefault(int(pid), {})[k] = (result.plane_depth[i], result.drm_depth[i])
    d2 = {"floor": [], "DRM": []}
    for h in hist.values():
        for k in h:
            if k - 1 in h and k + 1 in h:
                for c, name in enumerate(d2):
                    d2[name].append(abs(h[k + 1][c] - 2 * h[k][c] + h[k - 1][c]))
    print(f"  measured frame-to-frame noise of the root depth (median |second difference|, {len(d2['floor'])} triples): "
          f"floor {np.median(d2['floor']) * 1000:.0f} mm, DRM {np.median(d2['DRM']) * 1000:.0f} mm "
          f"(white noise of sigma s gives ~1.65 s)")

    print("\n== lever 4: the per-track depth filter after the refinement (default auto floor)")
    for alpha, beta in ((1.0, 0.0), (0.7, 0.1), (0.5, 0.05), (0.4, 0.05), (0.3, 0.03)):
        frames, _, _ = run(raw, camera, GroundDepth("auto"), alpha, beta)
        print(f"  alpha {alpha} beta {beta}{' (default)' if alpha == 0.5 else ''}: {headline(frames)}")
    print("  offline floor pass, then the filter, or the filter run both ways and averaged (drm_ros/depth_smoother.py):")
    tracker = Tracker()
    floor = refine_recording([tracker.update(poses, camera) for poses in raw], [camera] * len(raw), filter_alpha=1.0).poses
    for alpha, beta in ((0.5, 0.05), (0.4, 0.05), (0.3, 0.03), (0.2, 0.02), (0.4, 0.0)):
        frames, _, _ = run_offline(raw, camera, alpha, beta, both_ways=False)
        print(f"    filter alpha {alpha} beta {beta}: {headline(frames)}")
        print(f"    both ways alpha {alpha} beta {beta}: {headline(smooth_depths(floor, [camera] * len(raw), alpha, beta))}")
    online, _, _ = run(raw, camera, GroundDepth("auto"), 1.0)
    print(f"  the node's online floor, then both ways alpha 0.4 beta 0.0 (not wired: offline only): "
          f"{headline(smooth_depths(online, [camera] * len(raw), 0.4, 0.0))}")

    print("\n== lever 5: the couple at the back: which floor, whose depth")
    for name, fit, refine_settings in (
            ("floor from person score >= 0.3 (default), stature gate on", FitSettings(), RefineSettings()),
            ("floor from person score >= 0.3, stature gate off", FitSettings(), RefineSettings(max_stature_m=np.inf)),
            ("floor from person score >= 0.2, stature gate on", FitSettings(min_person_score=0.2), RefineSettings())):
        ground = GroundDepth("auto", settings=refine_settings, fit=fit)
        frames, labels, _ = run(raw, camera, ground)
        print(f"{name}: {ground.describe()}\n  people: {ground.totals}\n  {headline(frames)}")
        print("\n".join(per_track(raw, camera, GroundDepth("auto", settings=refine_settings, fit=fit))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
