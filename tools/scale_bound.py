"""How fine must a pass look to find each person one 768x576 pass finds on vtest.avi, and what does
looking that fine cost (issue 15, the passes target: "at least the 768x576 people at <= 1.6x one
default 384x288 pass")?

Every frame goes through one whole-frame pass at each input size (same network); each reference
person (found at 768x576) is looked up in each size's people (the matching rule of `drm bench
recall`). Per person: its height in image pixels, where it stands, and the smallest scale from
which every finer size finds it (its "needed scale"). Per size: people found and time, all sizes
interleaved frame by frame (fastest of `--rounds` rounds; cost = median over frames of the time
over the 384x288 time on the same frame).

Oracle zoom: the default 384x288 pass, then `passes: zoom` crops (192x256 at up to twice its
scale, i.e. native here) planned around every reference person that pass missed, as if a
proposal knew exactly where they are; its people found and cost (same interleaving) bound what
any zoom-style plan with one first pass can reach.

    nice -n 5 .venv/bin/python tools/scale_bound.py --every 40 --limit 20
"""
import argparse
import sys
import time

import numpy as np

from drm_ros.bench.recall import VTEST, pairs, video_frames
from drm_ros.bench.timing import set_threads
from drm_ros.camera import Camera
from drm_ros.inference import PoseEstimator
from drm_ros.passes import ZOOM_INPUT, Crop, concat, estimate_crop, merge_duplicates, plan_zooms

SIZES = ((384, 288), (448, 352), (512, 384), (576, 448), (640, 480), (704, 544), (768, 576))
ORACLE = "oracle zoom"


def oracle_zoom(est, img, cam, ref, zoom_input):
    """The default pass plus one zoom per reference person it missed (crops shared as plan_zooms does)."""
    first = est.estimate(img, cam)
    missed = ref.select(np.array(sorted(set(range(len(ref))) - set(pairs(ref, first))), dtype=np.int64))
    crops = plan_zooms(missed, cam.width, cam.height, est.input_size, len(missed), zoom_input)
    return merge_duplicates(concat([first] + [estimate_crop(est, img, cam, c) for c in crops])), len(crops)


def size(text: str) -> tuple[int, int]:
    w, h = text.lower().split("x")
    return int(w), int(h)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--every", type=int, default=40)
    ap.add_argument("--limit", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--sizes", default=",".join(f"{w}x{h}" for w, h in SIZES),
                    help="whole-frame inputs, coarsest first (the first is the cost unit, the last the reference)")
    ap.add_argument("--zoom-inputs", default=f"{ZOOM_INPUT[0]}x{ZOOM_INPUT[1]}",
                    help="network inputs of the oracle's zoom crops, one oracle row each")
    args = ap.parse_args()
    set_threads(args.threads)
    sizes = tuple(size(t) for t in args.sizes.split(","))
    zoom_inputs = [size(t) for t in args.zoom_inputs.split(",")]
    ests = {s: PoseEstimator.from_file(input_size=s) for s in sizes}
    # one estimator per oracle: each keeps two compiled sizes (the first pass's and its crops')
    oracles = {f"{ORACLE} {z[0]}x{z[1]}": (PoseEstimator.from_file(input_size=sizes[0]), z) for z in zoom_inputs}
    people = []  # (frame, height px, centre u, centre v, found per size)
    ms = {s: [] for s in sizes + tuple(oracles)}
    oracle_found = {o: 0 for o in oracles}
    crops_per_frame = {o: [] for o in oracles}
    oracle_missed = []
    frames = list(video_frames(VTEST, args.every, args.limit))
    cam = Camera.default_for(frames[0].shape[1], frames[0].shape[0])
    for est in ests.values():
        for _ in range(2):
            est.estimate(frames[0], cam)
    for est, z in oracles.values():  # both of its sizes compiled and warm
        for _ in range(3):
            est.estimate(frames[0], cam)
            estimate_crop(est, frames[0], cam, Crop(0, 0, *z, z))
    for i, img in enumerate(frames):
        found, best, got = {}, {}, {}
        for r in range(args.rounds):
            for s in (sizes if r % 2 else sizes[::-1]):
                t = time.perf_counter()
                found[s] = ests[s].estimate(img, cam)
                best[s] = min(best.get(s, np.inf), (time.perf_counter() - t) * 1000)
        ref = found[sizes[-1]]
        for r in range(args.rounds):  # the oracles need the reference first; interleaved with the default pass
            order = [sizes[0], *oracles]
            for name in (order if r % 2 else order[::-1]):
                t = time.perf_counter()
                if name in oracles:
                    got[name] = oracle_zoom(*oracles[name][:1], img, cam, ref, oracles[name][1])
                else:
                    ests[name].estimate(img, cam)
                best[name] = min(best.get(name, np.inf), (time.perf_counter() - t) * 1000)
        for name, (poses, n_crops) in got.items():
            hit = pairs(ref, poses)
            oracle_found[name] += len(hit)
            crops_per_frame[name].append(n_crops)
            for k in (k for k in range(len(ref)) if k not in hit):
                uv = ref.joints2d[k, :17]
                oracle_missed.append(f"  {name}, frame {i * args.every}: {np.ptp(uv[:, 1]):.0f} px tall at "
                                     f"({uv[:, 0].mean():.0f}, {uv[:, 1].mean():.0f}), score {ref.scores[k]:.2f} at "
                                     f"{sizes[-1][0]}x{sizes[-1][1]}")
        for s in ms:
            ms[s].append(best[s])
        hits = {s: pairs(ref, found[s]) for s in sizes}
        for k in range(len(ref)):
            uv = ref.joints2d[k, :17]
            people.append((i * args.every, float(np.ptp(uv[:, 1])), float(uv[:, 0].mean()), float(uv[:, 1].mean()),
                           [k in hits[s] for s in sizes]))
        print(f"frame {i + 1}/{len(frames)}", file=sys.stderr, flush=True)
    base = np.array(ms[sizes[0]])
    w = frames[0].shape[1]
    print(f"{len(frames)} frames of vtest.avi (every {args.every}th), {len(people)} people found at "
          f"{sizes[-1][0]}x{sizes[-1][1]}; torch {args.threads} thread(s), fastest of {args.rounds} interleaved rounds")
    print(f"| input | scale | found of the reference people | ms (median) | cost vs {sizes[0][0]}x{sizes[0][1]} |")
    print("|---|---|---|---|---|")
    for j, s in enumerate(sizes):
        n = sum(p[4][j] for p in people)
        scale = min(s[0] / w, s[1] / frames[0].shape[0])
        print(f"| {s[0]}x{s[1]} | {scale:.3f} | {n} ({100 * n / len(people):.1f} %) | {np.median(ms[s]):.1f} | "
              f"{np.median(np.array(ms[s]) / base):.2f}x |")
    for name in oracles:
        ratio = np.array(ms[name]) / base
        crops = np.array(crops_per_frame[name])
        print(f"| {name} (first pass + a crop on each person it missed) | | {oracle_found[name]} "
              f"({100 * oracle_found[name] / len(people):.1f} %) | {np.median(ms[name]):.1f} | {np.median(ratio):.2f}x "
              f"(mean {ratio.mean():.2f}x, max {ratio.max():.2f}x; over 1.6x on {(ratio > 1.6).sum()} of {len(ratio)} "
              f"frames; crops per frame {np.bincount(crops).tolist()} = frames with 0, 1, 2, ...) |")
    print("reference people an oracle still misses:")
    print("\n".join(oracle_missed) or "  none")
    sizes_all = sizes
    # needed scale: the smallest size from which every finer size finds the person
    print("\nper person: needed scale = the coarsest input from which every finer input finds them")
    print("| height px (native) | people | needed scale 0.5 | <= 0.67 | <= 0.83 | 0.92-1.0 |")
    print("|---|---|---|---|---|---|")
    need = []
    for p in people:
        j = len(sizes_all) - 1
        while j > 0 and p[4][j - 1]:
            j -= 1
        need.append(min(sizes_all[j][0] / w, sizes_all[j][1] / frames[0].shape[0]))
    need = np.array(need)
    heights = np.array([p[1] for p in people])
    for lo, hi in ((0, 60), (60, 80), (80, 100), (100, 140), (140, 1000)):
        sel = (heights >= lo) & (heights < hi)
        nd = need[sel]
        print(f"| {lo}-{hi} | {sel.sum()} | {(nd <= 0.51).sum()} | {(nd <= 0.67).sum()} | {(nd <= 0.84).sum()} | "
              f"{(nd > 0.84).sum()} |")
    print("\npeople needing more than 0.5 (frame, height px, centre u, v, needed scale, height at that scale):")
    for p, nd in sorted(zip(people, need), key=lambda x: x[0][3]):
        if nd > 0.51:
            print(f"  frame {p[0]}: {p[1]:.0f} px at ({p[2]:.0f}, {p[3]:.0f}) needs {nd:.2f} ({p[1] * nd:.0f} px there)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
