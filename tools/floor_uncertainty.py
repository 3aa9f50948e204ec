"""Is the self-estimated floor stable, and is the uncertainty it claims honest? (issue 13)

Runs the node's AutoPlane over each clip (one static camera each) of labelled synthetic sequence
splits, with several seeds, on DRM's own poses (tools/cache_predictions.py), and compares every
floor it offers with the clip's true floor:
- seed spread: per clip, the range over seeds of the last floor's angle to the true floor;
- honesty: the error divided by the sigma claimed, per tilt axis (pitch: the floor's normal
  along the camera's forward direction, roll: across it, both against the one tilt sigma the
  refinement uses) and for the height. An honest sigma gives z ~ N(0, 1): rms 1, median |z| 0.67,
  |z| > 2 for ~5 %. Printed for the last floor of each clip (one per clip and seed) and for
  every frame's floor (many, strongly correlated within a clip).
`--raw`: the bootstrap's sigma unscaled and without floors (to measure the scale and floors).

Runs with whatever drm_ros is importable, so the former fit can be measured with
PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=/work/main (read only).

    .venv/bin/python tools/floor_uncertainty.py data/synth_seq [more splits] [--seeds 5]
"""
import argparse
import sys
import time
from dataclasses import fields
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cache_predictions import predictions  # noqa: E402

import drm_ros  # noqa: E402
from drm_ros.ground.fit import AutoPlane, FitSettings  # noqa: E402


def axes(up):
    fwd = np.array([0.0, 0.0, 1.0]) - up[2] * up
    fwd /= np.linalg.norm(fwd)
    return fwd, np.cross(up, fwd)


def clips(samples, preds):
    """[(camera, [(sample, poses), ...])] in order; a new clip where the camera changes."""
    out = []
    for s, p in zip(samples, preds):
        if not out or s.camera != out[-1][0]:
            out.append((s.camera, []))
        out[-1][1].append((s, p))
    return out


UPDATE_MS = []  # AutoPlane.update's wall time per frame (a median is printed)


def run_clip(frames, settings):
    """Per frame with a floor: (pitch err, roll err, angle, height err [deg, deg, deg, m],
    tilt sigma, height sigma, people, the fitted ankle plane's height)."""
    auto, rows = AutoPlane(settings), []
    for s, p in frames:
        t = time.perf_counter()
        plane = auto.update(p)
        UPDATE_MS.append(1000 * (time.perf_counter() - t))
        if plane is None or s.ground is None:
            continue
        fwd, lat = axes(s.ground.up)
        rows.append((np.degrees(np.arcsin(plane.up @ fwd)), np.degrees(np.arcsin(plane.up @ lat)),
                     plane.angle_to_deg(s.ground), plane.height - s.ground.height,
                     auto.tilt_sigma_deg, auto.height_sigma_m, auto.num_people, plane.height - settings.ankle_height_m))
    return np.array(rows).reshape(-1, 8)


def honesty(rows, label):
    if not len(rows):
        return f"  {label}: no floor"
    zt = np.r_[rows[:, 0] / rows[:, 4], rows[:, 1] / rows[:, 4]]
    zh = rows[:, 3] / rows[:, 5]
    zp = rows[:, 0] / rows[:, 4]

    def stat(z):
        return f"rms {np.sqrt(np.mean(z ** 2)):.2f}, median |z| {np.median(np.abs(z)):.2f}, |z|>2 {100 * np.mean(np.abs(z) > 2):.0f} %"
    return (f"  {label} ({len(rows)}): tilt z (pitch and roll) {stat(zt)}; pitch alone {stat(zp)}; height z {stat(zh)}\n"
            f"     claimed tilt sigma median {np.median(rows[:, 4]):.2f} deg, actual angle median {np.median(rows[:, 2]):.2f} deg; "
            f"claimed height sigma median {np.median(rows[:, 5]):.3f} m, actual |error| median {np.median(np.abs(rows[:, 3])):.3f} m\n"
            f"     to be honest in rms, add in quadrature a tilt of {missing(np.r_[rows[:, 0], rows[:, 1]], np.r_[rows[:, 4], rows[:, 4]]):.2f} deg "
            f"and a height of {100 * missing(rows[:, 3] / rows[:, 7], rows[:, 5] / rows[:, 7]):.1f} % of the height")


def missing(err, sigma):
    """The sigma that, added in quadrature to every claimed one, makes mean z^2 = 1 (0: none)."""
    lo, hi = 0.0, 100.0
    for _ in range(60):  # mean(e^2 / (s^2 + x^2)) falls with x: bisect
        x = (lo + hi) / 2
        lo, hi = (x, hi) if np.mean(err ** 2 / (sigma ** 2 + x ** 2)) > 1 else (lo, x)
    return lo


def settings_overrides(pairs: list[str]) -> dict:
    """'name=value' pairs -> FitSettings fields, typed like the field's default."""
    defaults = FitSettings()
    out = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        if name not in {f.name for f in fields(FitSettings)}:
            raise SystemExit(f"--set: FitSettings has no field '{name}'")
        out[name] = type(getattr(defaults, name))(value)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("data", nargs="+")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--raw", action="store_true", help="bootstrap sigma unscaled, no floors (to measure them)")
    ap.add_argument("--uncertainty", choices=("bootstrap", "jackknife"), default=None, help="over people (default: FitSettings')")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                    help="a FitSettings field, e.g. orientation=image2d (repeatable)")
    args = ap.parse_args()
    print(f"drm_ros from {Path(drm_ros.__file__).parent}; {'raw ' if args.raw else ''}{args.uncertainty or 'default'} uncertainty")
    names = {f.name for f in fields(FitSettings)}
    raw = dict(sigma_scale=1.0, tilt_sigma_floor_deg=0.0, height_sigma_floor_frac=0.0) if args.raw else {}
    assert not raw or raw.keys() <= names, "--raw needs the bootstrap's settings"
    if args.uncertainty:
        raw["uncertainty"] = args.uncertainty
    raw.update(settings_overrides(args.set))
    print(f"settings: {raw or 'defaults'}")
    pooled_last, pooled_all = [], []
    for data in args.data:
        samples, preds = predictions(data)
        cl = clips(samples, preds)
        print(f"{data}: {len(samples)} frames, {len(cl)} clips")
        last, every = [], []
        for k, (_, frames) in enumerate(cl):
            per_seed = [run_clip(frames, FitSettings(seed=seed, **raw)) for seed in range(args.seeds)]
            finals = [r[-1] for r in per_seed if len(r)]
            truth = frames[0][0].ground
            head = f"  clip {k}: {len(frames)} frames, true camera {truth.height:.2f} m up, pitch {truth.pitch_deg:.1f} deg"
            if not finals:
                print(head + ": no floor offered with any seed")
                continue
            f = np.array(finals)
            print(head + f": last floor with seeds 0-{args.seeds - 1} ({len(finals)} offered one): angle to the true floor "
                  f"{f[:, 2].min():.2f}-{f[:, 2].max():.2f} deg (spread {np.ptp(f[:, 2]):.2f}), height error "
                  f"{f[:, 3].min():+.2f}..{f[:, 3].max():+.2f} m; claims +-{f[:, 4].min():.2f}-{f[:, 4].max():.2f} deg, "
                  f"+-{f[:, 5].min():.2f}-{f[:, 5].max():.2f} m, {int(f[0, 6])} people (seed 0: pitch {f[0, 0]:+.2f} roll {f[0, 1]:+.2f} deg)")
            last += finals
            every += [r for rows in per_seed for r in rows]
        print(honesty(np.array(last).reshape(-1, 8), "last floor per clip and seed"))
        print(honesty(np.array(every).reshape(-1, 8), "every frame's floor"))
        pooled_last += last
        pooled_all += every
    if len(args.data) > 1:
        print("all splits:")
        print(honesty(np.array(pooled_last).reshape(-1, 8), "last floor per clip and seed"))
        print(honesty(np.array(pooled_all).reshape(-1, 8), "every frame's floor"))
    print(f"AutoPlane.update: median {np.median(UPDATE_MS):.1f} ms per frame, 90th percentile "
          f"{np.percentile(UPDATE_MS, 90):.1f} ms ({len(UPDATE_MS)} frames; shared, loaded machine)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
