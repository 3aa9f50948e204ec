"""Identity switches of the node's tracker on the labelled synthetic sequences, with the floor
refinement off, known or learnt (the node's order: floor, then tracker): the track prediction
across the viewing ray only (default since session 13) or the former full 3D constant-velocity
prediction (`Tracker(along_ray_velocity=True)`), and the gate along the ray
(tracking_depth_gate_frac) and tracking_max_age swept. (An image-space gate across the ray,
in fractions of the person's box height, was tried too in session 13: no better than the
metric one at the same depth gate; not kept.)

A switch (CLEAR-MOT): a ground-truth person matched (2D, the `drm eval` rule) to another id than
the last time it was matched. Also counted: ids handed out per ground-truth person. `--depth`: the
node's whole chain after the tracker too (depth filter, pose filter, defaults), before and now,
scored with the `drm eval` metrics: what the ids change does to the published depth.

    .venv/bin/python tools/tracking_study.py --data data/synth_seq data/synth_seq_near data/synth_seq_b data/synth_seq_d
"""
import argparse
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cache_predictions import predictions  # noqa: E402
from depth_smoothing import clip_ids, clips  # noqa: E402

from drm_ros.depth_filter import DepthFilter  # noqa: E402
from drm_ros.ground.session import GroundDepth  # noqa: E402
from drm_ros.metrics import evaluate, match_persons  # noqa: E402
from drm_ros.pose_filter import PoseFilter  # noqa: E402
from drm_ros.ros.params import defaults  # noqa: E402
from drm_ros.tracking import Tracker, count_id_switches  # noqa: E402


# (prediction along the ray too, tracking_depth_gate_frac, tracking_max_age); the first = before
VARIANTS = ((True, 0.15, 5), (False, 0.15, 5), (False, 0.25, 5), (False, 0.3, 5), (False, 0.35, 5), (False, 0.5, 5),
            (False, 0.3, 10))


def run(samples, preds, sequence_of, mode: str, along_ray: bool, depth_frac: float, max_age: int = 5) -> tuple[int, int, int]:
    """(id switches, ids per person summed, people) over every clip."""
    assignments, ids_of = [], defaultdict(set)
    for start, n in clips(sequence_of):
        ground, tracker = GroundDepth(mode), Tracker(0.5, max_age, depth_frac, along_ray_velocity=along_ray)
        for k in range(start, start + n):
            s = samples[k]
            tracked = tracker.update(ground.apply(preds[k], s.camera, s.ground if mode == "known" else None).poses, s.camera)
            match = match_persons(preds[k], s)
            frame = {}
            for g, p in enumerate(match):
                if p >= 0 and g < len(s.meta) and "track_id" in s.meta[g]:
                    person = (s.meta[g]["sequence"], s.meta[g]["track_id"])
                    frame[person] = int(tracked.ids[p])
                    ids_of[person].add(int(tracked.ids[p]))
            assignments.append(frame)
    return count_id_switches(assignments), sum(len(v) for v in ids_of.values()), len(ids_of)


def node_chain(samples, preds, sequence_of, mode: str, along_ray: bool, depth_frac: float) -> list:
    """Floor, tracker, depth filter, pose filter (15 fps), per clip, as the node runs them."""
    d, out = defaults(), []
    for start, n in clips(sequence_of):
        ground, tracker = GroundDepth(mode), Tracker(0.5, 5, depth_frac, along_ray_velocity=along_ray)
        depth_filter = DepthFilter(d["depth_filter_alpha"], d["depth_filter_beta"])
        pose_filter = PoseFilter(d["pose_filter_min_cutoff_hz"], d["pose_filter_beta"])
        for k in range(start, start + n):
            s = samples[k]
            tracked = tracker.update(ground.apply(preds[k], s.camera, s.ground if mode == "known" else None).poses, s.camera)
            out.append(pose_filter.update(depth_filter.update(tracked, s.camera), (k - start) / 15.0))
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", nargs="+", default=["data/synth_seq"])
    ap.add_argument("--ground-plane", nargs="+", choices=("off", "known", "auto"), default=["off", "known", "auto"])
    ap.add_argument("--depth", action="store_true", help="also the depth metrics of the node's chain, before and now")
    args = ap.parse_args()
    totals = defaultdict(lambda: np.zeros(3, int))
    for data in args.data:
        samples, preds = predictions(data)
        sequence_of = clip_ids(samples)
        print(f"{data}: {len(samples)} frames in {len(clips(sequence_of))} clips")
        for mode in args.ground_plane:
            for along_ray, depth_frac, age in VARIANTS:
                name = f"{'3D velocity' if along_ray else 'across the ray'}, depth gate {depth_frac:g}, max age {age}"
                switches, ids, people = run(samples, preds, sequence_of, mode, along_ray, depth_frac, age)
                totals[(mode, name)] += (switches, ids, people)
                print(f"  ground {mode:<5} {name:<44} id switches {switches:3d}, ids per person {ids / max(people, 1):.2f} ({people} people)")
            if args.depth:
                for along_ray, depth_frac, name in ((True, 0.15, "before"), (False, 0.3, "now")):
                    m = evaluate(node_chain(samples, preds, sequence_of, mode, along_ray, depth_frac), samples)
                    print(f"  ground {mode:<5} node chain, tracker {name:<6}: PCKabs matched {m['pck_abs_matched']:.1f}, "
                          f"AP_root@25 {m['ap_root_25']:.1f}, root error {m['root_err_mm']:.0f} mm (median "
                          f"{m['root_err_median_pct']:.2f} %), PCKrel matched {m['pck_rel_matched']:.1f}")
    print("all splits:")
    for (mode, name), (switches, ids, people) in totals.items():
        print(f"  ground {mode:<5} {name:<44} id switches {switches:3d}, ids per person {ids / max(people, 1):.2f} ({people} people)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
