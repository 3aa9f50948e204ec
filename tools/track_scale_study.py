"""Issue 13: each tracked person's own depth scale, learnt where the floor places them and used in
every later frame of the track (`TrackScale` below; tried in session 13, not kept: see the log),
measured on the labelled synthetic sequences with the node's chain (cached DRM poses,
tools/cache_predictions.py): floor refinement (known plane or learnt), tracker, [track scale],
depth filter, pose filter, each at the node's defaults; scored with the `drm eval` metrics.

First, per split, how DRM's root depth error log(Z_true / Z) splits into a part that stays with
the person (spread of the per-person means) and a frame-to-frame part, for DRM alone, for the
floor's depth where it places the person, and for the fused depth the node publishes today.

    .venv/bin/python tools/track_scale_study.py --data data/synth_seq data/synth_seq_near data/synth_seq_b \
        [--ground-plane known auto]
"""
import argparse
import sys
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cache_predictions import predictions  # noqa: E402
from depth_smoothing import clip_ids, clips  # noqa: E402

from drm_ros.camera import Camera  # noqa: E402
from drm_ros.depth_filter import DepthFilter  # noqa: E402
from drm_ros.ground.refine import REFINED, RefineResult, shift_depth  # noqa: E402
from drm_ros.ground.session import GroundDepth  # noqa: E402
from drm_ros.metrics import evaluate, has_3d_label, match_persons  # noqa: E402
from drm_ros.pose_filter import PoseFilter  # noqa: E402
from drm_ros.poses import PoseSet  # noqa: E402
from drm_ros.ros.params import defaults  # noqa: E402
from drm_ros.skeleton import ROOT  # noqa: E402
from drm_ros.tracking import Tracker  # noqa: E402
from drm_ros.uncertainty import FUSED_SIGMA_CALIBRATION  # noqa: E402

FPS = 15.0  # the sequence configs' frame rate


# The idea: DRM reads depth from apparent size, so for one person its error is mostly the same
# from frame to frame (their stature and build against its size prior; the error split below).
# Where the floor places a person (status REFINED), log(Z_floor / Z_DRM) measures that person's
# bias; averaged over the frames seen so far (causal, old frames fading by `memory`) it corrects
# DRM's depth in each later frame of the track, most of all where the floor cannot help (feet
# hidden or gated, far away on grazing rays). Per person and frame, in log depth:
#     b      = weighted mean of earlier log(Z_floor / Z_DRM), weights 1 / ((s_floor / Z_floor)^2 + frame^2)
#     Z_corr = Z_DRM * exp(b), variance 1 / sum(weights) + floor_bias^2 + frame^2
# and with the floor in this frame too, the two are averaged by their variances.


@dataclass(frozen=True)
class TrackScaleSettings:
    frame_sigma: float = 0.06  # DRM's frame-to-frame log-depth noise for one person
    floor_bias_sigma: float = 0.03  # the floor's own per-person bias, which averaging frames keeps
    memory: float = 0.98  # weight an observation keeps per later frame of its track
    max_age: int = 150  # frames a track's scale is kept without being seen


class TrackScale:
    def __init__(self, settings: TrackScaleSettings = TrackScaleSettings()):
        self.s = settings
        self._tracks: dict[int, list] = {}  # id -> [sum of w * log ratio, sum of w, frames unseen]

    def reset(self) -> None:
        self._tracks.clear()

    def apply(self, poses: PoseSet, result: RefineResult, camera: Camera) -> PoseSet:
        """`poses`: `result.poses` with the tracker's ids (same people, same order). Returns them
        with each known track's depth corrected; then learns from this frame's floor depths."""
        s = self.s
        z_now = poses.roots[:, 2].copy()
        target, log_var = z_now.copy(), np.full(len(poses), np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            floor_var = (result.plane_sigma / result.plane_depth) ** 2
        refined = result.status == REFINED
        for i, pid in enumerate(poses.ids):
            track = self._tracks.get(int(pid))
            if pid < 0 or track is None or track[1] <= 0:
                continue
            log_z = np.log(result.drm_depth[i]) + track[0] / track[1]
            var = 1.0 / track[1] + s.floor_bias_sigma ** 2 + s.frame_sigma ** 2
            if refined[i]:
                w_f, w_c = 1.0 / floor_var[i], 1.0 / var
                log_z = (w_f * np.log(result.plane_depth[i]) + w_c * log_z) / (w_f + w_c)
                var = 1.0 / (w_f + w_c)
            target[i], log_var[i] = np.exp(log_z), var
        self._learn(poses.ids, result, refined, floor_var)
        out = shift_depth(poses, target - z_now, camera)
        corrected = np.isfinite(log_var)
        sigma = out.root_sigma.copy()
        sigma[corrected] = (FUSED_SIGMA_CALIBRATION * np.linalg.norm(out.roots[corrected], axis=-1)
                            * np.sqrt(log_var[corrected]))
        return replace(out, root_sigma=sigma)

    def _learn(self, ids: np.ndarray, result: RefineResult, refined: np.ndarray, floor_var: np.ndarray) -> None:
        seen = {int(p) for p in ids if p >= 0}
        for pid in list(self._tracks):
            track = self._tracks[pid]
            track[0] *= self.s.memory
            track[1] *= self.s.memory
            track[2] = 0 if pid in seen else track[2] + 1
            if track[2] > self.s.max_age:
                del self._tracks[pid]
        for i in np.flatnonzero(refined & (ids >= 0)):
            w = 1.0 / (floor_var[i] + self.s.frame_sigma ** 2)
            track = self._tracks.setdefault(int(ids[i]), [0.0, 0.0, 0])
            track[0] += w * float(np.log(result.plane_depth[i] / result.drm_depth[i]))
            track[1] += w


def error_split(samples, preds) -> None:
    """Spread of log(Z_true / Z) between people (their means) and within one person, in %."""
    ground = GroundDepth("known")
    errors = {"DRM": defaultdict(list), "floor": defaultdict(list), "fused": defaultdict(list)}
    for s, p in zip(samples, preds):
        r = ground.apply(p, s.camera, s.ground)
        match = match_persons(p, s)
        for g in np.flatnonzero(has_3d_label(s)):
            k = match[g]
            if k < 0:
                continue
            z, person = s.joints3d[g][ROOT][2], (s.meta[g]["sequence"], s.meta[g]["track_id"])
            errors["DRM"][person].append(np.log(z / r.drm_depth[k]))
            errors["fused"][person].append(np.log(z / r.poses.roots[k][2]))
            if r.status[k] == REFINED:
                errors["floor"][person].append(np.log(z / r.plane_depth[k]))
    for name, by_person in errors.items():
        people = [np.array(v) for v in by_person.values() if len(v) >= 5]
        means = np.array([v.mean() for v in people])
        within = np.concatenate([v - v.mean() for v in people])
        every = np.concatenate(people)
        print(f"  root depth error, {name:<5}: {len(people)} people (5+ frames), {len(every)} frames: between people "
              f"{100 * means.std():.1f} % (mean {100 * means.mean():+.1f} %), within one person {100 * within.std():.1f} %, "
              f"|error| median {100 * np.median(np.abs(every)):.1f} %")


def chain(samples, preds, sequence_of, mode: str, scale: TrackScaleSettings | None):
    d = defaults()
    out = []
    for start, n in clips(sequence_of):
        ground, tracker = GroundDepth(mode), Tracker()
        depth_filter = DepthFilter(d["depth_filter_alpha"], d["depth_filter_beta"])
        pose_filter = PoseFilter(d["pose_filter_min_cutoff_hz"], d["pose_filter_beta"])
        track_scale = TrackScale(scale) if scale is not None else None
        for k in range(start, start + n):
            cam = samples[k].camera
            r = ground.apply(preds[k], cam, samples[k].ground if mode == "known" else None)
            poses = tracker.update(r.poses, cam)
            if track_scale is not None:
                poses = track_scale.apply(poses, r, cam)
            out.append(pose_filter.update(depth_filter.update(poses, cam), (k - start) / FPS))
    return out


def report(name, out, samples) -> None:
    m = evaluate(out, samples)
    print(f"  {name:<34} PCKabs matched {m['pck_abs_matched']:.1f}, AP_root@25 {m['ap_root_25']:.1f}, root error "
          f"{m['root_err_mm']:.0f} mm (median {m['root_err_median_pct']:.2f} %), PCKrel matched {m['pck_rel_matched']:.1f}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", nargs="+", default=["data/synth_seq"])
    ap.add_argument("--ground-plane", nargs="+", choices=("off", "known", "auto"), default=["known", "auto"])
    ap.add_argument("--sweep", action="store_true", help="also other frame sigmas and memories")
    args = ap.parse_args()
    base = TrackScaleSettings()
    variants = [("+ track scale (defaults)", base)]
    if args.sweep:
        variants += [(f"+ track scale frame {f:g}, memory {m:g}", replace(base, frame_sigma=f, memory=m))
                     for f, m in ((0.03, 0.98), (0.1, 0.98), (0.06, 0.95), (0.06, 0.995))]
    for data in args.data:
        samples, preds = predictions(data)
        sequence_of = clip_ids(samples)
        print(f"{data}: {len(samples)} frames in {len(clips(sequence_of))} clips")
        error_split(samples, preds)
        for mode in args.ground_plane:
            report(f"ground {mode}, the node's chain", chain(samples, preds, sequence_of, mode, None), samples)
            for name, settings in variants:
                report(f"ground {mode}, {name}", chain(samples, preds, sequence_of, mode, settings), samples)
    return 0


if __name__ == "__main__":
    sys.exit(main())
