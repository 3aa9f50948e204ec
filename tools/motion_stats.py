#!/usr/bin/env python3
"""Print what the motion assets hold (the opt-in exp-map CMU corpus too): clips, frames, chirality,
standing heights, and the CMU bone lengths against DeepMimic's (median over frames, then over clips). Heights and lengths are
as the generator serves them: every rig scaled to the DeepMimic body's size (motion.rig_factor;
the factors applied are printed per asset).

    .venv/bin/python tools/motion_stats.py > logs/motion_stats.log
"""
from __future__ import annotations

import json
from collections import Counter

import numpy as np

from drm_ros.synth import motion_checks as checks
from drm_ros.synth.motion import (ASSET, CLIP_LIST, CMU_ASSET, CMU_EXPMAP_ASSET, DEEPMIMIC_EXTRA_ASSET, P, MotionLibrary,
                                  rig_factor)


def chest_fraction(points: np.ndarray) -> float:
    """Chest height between root (0) and neck (1), median over upright frames."""
    up = checks.upright(points)
    z = points[up][:, [P["root"], P["chest"], P["neck"]], 2]
    return float(np.median((z[:, 1] - z[:, 0]) / (z[:, 2] - z[:, 0]))) if up.any() else float("nan")


def main() -> int:
    listing = json.loads(CLIP_LIST.read_text())["clips"]
    bones = {}
    # cmu_expmap: the OPT-IN corpus (motion.CORPUS2, lifter `motion: all2`), not in the default ASSETS
    for name, path in (("deepmimic", ASSET), ("deepmimic_extra", DEEPMIMIC_EXTRA_ASSET), ("cmu", CMU_ASSET),
                       ("cmu_expmap", CMU_EXPMAP_ASSET)):
        lib = MotionLibrary(path=path)
        frames = {c: len(lib.points[c]) for c in lib.clips}
        heads = np.array([checks.standing_head_height(lib.points[c]) for c in lib.clips])
        chir = [checks.chirality(lib.points[c]) for c in lib.clips]
        print(f"== {name}: {len(lib.clips)} clips, {sum(frames.values())} frames "
              f"({sum(frames[c] * lib.dt[c] for c in lib.clips) / 60:.1f} min)")
        held = [c for c in lib.clips if listing[c]["held_out"]]
        print(f"   held out: {len(held)} clips, {sum(frames[c] for c in held)} frames: {held}")
        stored = np.load(path)
        factors = [rig_factor(stored[f"{c}/points"].astype(np.float64)) for c in lib.clips]
        print(f"   rig factor applied (stored -> DeepMimic size): min {min(factors):.3f} max {max(factors):.3f}")
        if name == "cmu":
            by_source = Counter(listing[c]["source"] for c in lib.clips)
            by_frames = Counter()
            for c in lib.clips:
                by_frames[listing[c]["source"]] += frames[c]
            for s in by_source:
                print(f"   source {s}: {by_source[s]} clips, {by_frames[s]} frames")
            by_subject = Counter()
            for c in lib.clips:
                by_subject[c[:6]] += frames[c]
            print("   frames per subject:", dict(by_subject))
        ok = ~np.isnan(heads)
        print(f"   standing head-centre height (m), {ok.sum()} clips: min {heads[ok].min():.3f} "
              f"median {np.median(heads[ok]):.3f} max {heads[ok].max():.3f}")
        print(f"   chirality over clips with bent knees: toes forward median "
              f"{np.nanmedian([c['toes_forward'] for c in chir]):.3f} min {np.nanmin([c['toes_forward'] for c in chir]):.3f}; "
              f"knees forward median {np.nanmedian([c['knees_forward'] for c in chir]):.3f} "
              f"min {np.nanmin([c['knees_forward'] for c in chir]):.3f}")
        print(f"   chest height fraction root->neck: {np.nanmedian([chest_fraction(lib.points[c]) for c in lib.clips]):.3f}")
        groups = {name: lib.clips} if name != "cmu" else {
            f"cmu {s}": [c for c in lib.clips if listing[c]["source"] == s] for s in sorted({listing[c]["source"] for c in lib.clips})}
        for group, members in groups.items():
            per_clip = [checks.bone_lengths(lib.points[c]) for c in members]
            bones[group] = {b: float(np.median([d[b] for d in per_clip])) for b in per_clip[0]}
            above = np.nanmedian([checks.head_above_shoulders(lib.points[c]) for c in members])
            print(f"   {group}: head centre above the shoulder line {above:.3f} m (median over clips)")
        for c in lib.clips:
            ch = checks.chirality(lib.points[c])
            print(f"   {c:16s} {frames[c]:5d} fr  head {heads[lib.clips.index(c)]:.3f}  toes fwd "
                  f"{ch['toes_forward']:.2f}  knees fwd {ch['knees_forward']:.2f}  {listing.get(c, {}).get('description', '')}")
    others = [g for g in bones if g != "deepmimic"]
    print("== bone lengths (m), median over clips; ratio to deepmimic in brackets. Columns: deepmimic, "
          + ", ".join(others))
    for b in bones["deepmimic"]:
        dm = bones["deepmimic"][b]
        print(f"   {b:15s} {dm:.3f}  " + "  ".join(f"{bones[g][b]:.3f} ({bones[g][b] / dm:.2f})" for g in others))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
