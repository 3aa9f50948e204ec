"""What a fisheye does to the network's depth, by angle off axis (issue 16).

The network reads root depth from a person's apparent size, learnt on pinhole images. A fisheye
draws people smaller towards its rim than a pinhole with the same K would, so the raw read-out
puts them too far away. This script scores three readings of the same predictions, per band of
the true root's angle off the optical axis, on a fisheye set and on the same scenes through a
pinhole with the same K (config/synth/test_fisheye*.yaml, same seed):

  none      the raw read-out (depth as if the lens were a pinhole)
  pinhole   x fisheye magnification / pinhole magnification at that ray
  centre    x fisheye magnification / the on-axis magnification f, times cos(theta)
            (Camera.depth_scale, what the codec applies: measured best)

It reads the predictions that `drm eval --json` saved (no second inference run); the three
readings mean something only for the fisheye image seen as it is (--no-fisheye-views: through
perspective views the codec applies no fisheye factor, and only 'centre' is the prediction as made):

    drm eval --data data/fisheye_test --no-fisheye-views --json fisheye.json
    drm eval --data data/fisheye_test_pinhole --json pinhole.json
    tools/fisheye_depth.py --fisheye data/fisheye_test fisheye.json --pinhole data/fisheye_test_pinhole pinhole.json

or, pair by pair (scene i of both sets in turn; usable whenever it is stopped):

    tools/fisheye_depth.py --fisheye data/fisheye_test x --pinhole data/fisheye_test_pinhole x --infer OUT_DIR
    tools/fisheye_depth.py --fisheye data/fisheye_test OUT_DIR/fisheye.json --pinhole ... OUT_DIR/pinhole.json
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from drm_ros.camera import Camera  # noqa: E402
from drm_ros.data.load import load_any  # noqa: E402
from drm_ros.cli.evaluate import format_table  # noqa: E402
from drm_ros.metrics import evaluate  # noqa: E402
from drm_ros.poses import PoseSet  # noqa: E402
from drm_ros.metrics import has_3d_label, match_persons  # noqa: E402
from drm_ros.skeleton import LEFT_HIP, RIGHT_HIP, ROOT  # noqa: E402

BANDS = [0, 20, 40, 60, 80]


def pinhole_ratio(camera: Camera, uv: np.ndarray) -> np.ndarray:
    """Fisheye magnification / a pinhole's with the same K at that ray (the rejected reading)."""
    if not camera.is_fisheye:
        return np.ones(len(uv))
    theta = np.arccos(np.clip(camera.rays(uv)[:, 2], -1, 1))
    # Camera.depth_scale = fisheye / on-axis magnification x cos; a pinhole's is 1/cos^1.5 x cos
    return camera.depth_scale(uv) * np.sqrt(np.cos(theta))


def rows(samples, predictions):
    """Per 3D-labelled person: (angle deg, gt root, raw root, pinhole factor, centre factor);
    raw root None when the network missed the person."""
    out = []
    for sample, pred in zip(samples, predictions):
        match = match_persons(pred, sample)
        labelled = has_3d_label(sample)
        for p, n in enumerate(match):
            if not labelled[p]:
                continue
            gt = sample.joints3d[p, ROOT]
            if n < 0:
                out.append((float(np.degrees(np.arccos(gt[2] / np.linalg.norm(gt)))), gt, None, 1.0, 1.0))
                continue
            uv = 0.5 * (pred.joints2d[n, LEFT_HIP] + pred.joints2d[n, RIGHT_HIP])[None]
            applied = sample.camera.depth_scale(uv)[0]  # what the codec applied
            raw = pred.roots[n] / applied
            angle = float(np.degrees(np.arccos(gt[2] / np.linalg.norm(gt))))
            out.append((angle, gt, raw, pinhole_ratio(sample.camera, uv)[0], applied))
    return out


def table(name: str, data) -> None:
    found = [r for r in data if r[2] is not None]
    print(f"\n{name}: {len(data)} people with 3D labels, {len(found)} found by the network")
    print(f"{'angle band':>11} | {'people':>6} | {'found':>6} | {'root error mm: none':>18} | {'pinhole':>8} | "
          f"{'centre':>8} | {'depth bias none':>15} | {'pinhole':>8} | {'centre':>8}")
    for lo, hi in zip(BANDS[:-1], BANDS[1:]):
        band = [r for r in data if lo <= r[0] < hi]
        sel = [r for r in band if r[2] is not None]
        if not sel:
            continue
        err, bias = [], []
        for factor in (lambda r: 1.0, lambda r: r[3], lambda r: r[4]):
            roots = np.array([r[2] * factor(r) for r in sel])
            gts = np.array([r[1] for r in sel])
            err.append(np.median(np.linalg.norm(roots - gts, axis=1)) * 1000)
            bias.append(100 * (np.exp(np.median(np.log(roots[:, 2] / gts[:, 2]))) - 1))
        print(f"{lo:>4}-{hi:<3} deg | {len(band):>6} | {100 * len(sel) / len(band):>5.0f}% | {err[0]:>18.0f} | {err[1]:>8.0f} | {err[2]:>8.0f} | "
              f"{bias[0]:>+14.1f}% | {bias[1]:>+7.1f}% | {bias[2]:>+7.1f}%")


def same_people(fisheye: list, predictions: list, pinhole: list) -> tuple[list, list]:
    """The fisheye scenes cut down to the people the pinhole twin also sees (same 3D root), and
    their predictions without those matched to the people cut: a fisheye sees more people (its
    rim) than the pinhole with the same K, so drm eval's 'all' metrics divide by different people."""
    from dataclasses import replace

    samples, preds = [], []
    for fs, pred, ps in zip(fisheye, predictions, pinhole):
        twin = ps.joints3d[:, ROOT] if len(ps.joints3d) else np.zeros((0, 3))
        keep = np.array([bool(len(twin)) and bool(np.any(np.linalg.norm(twin - r, axis=1) < 1e-3))
                         for r in fs.joints3d[:, ROOT]], dtype=bool)
        match = match_persons(pred, fs)
        drop = np.zeros(len(pred), dtype=bool)
        drop[match[(~keep) & (match >= 0)]] = True
        idx = np.flatnonzero(keep)
        samples.append(replace(fs, joints3d=fs.joints3d[idx], joints2d=fs.joints2d[idx], visible=fs.visible[idx],
                               boxes=fs.boxes[idx], meta=[fs.meta[i] for i in idx if i < len(fs.meta)]))
        preds.append(pred.select(~drop))
    return samples, preds


def found_by_both(fisheye: list, fish_preds: list, pinhole: list, pin_preds: list) -> tuple[np.ndarray, np.ndarray]:
    """Root errors (m) of the people both cameras' predictions found (the same 3D root in both
    sets): (pinhole, fisheye). The mean root error over all found people also measures who is
    found; this compares depth on the same people."""
    e_pin, e_fish = [], []
    for fs, fp, ps, pp in zip(fisheye, fish_preds, pinhole, pin_preds):
        m_pin, m_fish = match_persons(pp, ps), match_persons(fp, fs)
        for q in np.flatnonzero(m_pin >= 0):
            gt = ps.joints3d[q, ROOT]
            same = np.flatnonzero(np.linalg.norm(fs.joints3d[:, ROOT] - gt, axis=1) < 1e-3)
            if len(same) and m_fish[same[0]] >= 0:
                e_pin.append(np.linalg.norm(pp.roots[m_pin[q]] - gt))
                e_fish.append(np.linalg.norm(fp.roots[m_fish[same[0]]] - gt))
    return np.array(e_pin), np.array(e_fish)


def predictions_from_json(path: Path) -> dict[str, PoseSet]:
    """image path -> PoseSet, from a `drm eval --json` file."""
    out = {}
    for entry in json.loads(path.read_text())["predictions"]:
        persons = entry["persons"]
        if not persons:
            out[entry["image"]] = PoseSet.empty()
            continue
        f = lambda key: np.array([p[key] for p in persons], dtype=np.float64)  # noqa: E731
        out[entry["image"]] = PoseSet(f("score"), f("bbox"), f("root"), f("joints3d"), f("joints2d"), f("joint_scores"))
    return out


def infer_pairs(fisheye: Path, pinhole: Path, out_dir: Path, limit: int) -> tuple[Path, Path]:
    """Run the default estimator (as drm eval does) on scene i of both sets in turn, saving both
    prediction files in drm eval's --json format after every pair: on a loaded machine whatever
    finished in time is a valid, paired comparison."""
    from drm_ros.evaluation import json_safe
    from drm_ros.imageio import read_rgb
    from drm_ros.inference import PoseEstimator

    est = PoseEstimator.from_file()
    sets = [(load_any(fisheye)[:limit], out_dir / "fisheye.json"), (load_any(pinhole)[:limit], out_dir / "pinhole.json")]
    found = [[], []]
    for i in range(min(len(sets[0][0]), len(sets[1][0]))):
        for k, (samples, path) in enumerate(sets):
            poses = est.estimate(read_rgb(samples[i].image_path), samples[i].camera)
            found[k].append({"image": samples[i].image_path, **poses.to_json_dict()})
            path.write_text(json.dumps(json_safe({"predictions": found[k]})))
        print(f"{i + 1} scene pairs done", file=sys.stderr, flush=True)
    return sets[0][1], sets[1][1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--infer", type=Path, default=None, metavar="OUT_DIR",
                        help="run the estimator on both DATA sets pair by pair, writing the two JSON files here")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--fisheye", nargs=2, type=Path, required=True, metavar=("DATA", "EVAL_JSON"))
    parser.add_argument("--pinhole", nargs=2, type=Path, required=True, metavar=("DATA", "EVAL_JSON"))
    args = parser.parse_args()
    if args.infer is not None:
        args.infer.mkdir(parents=True, exist_ok=True)
        infer_pairs(args.fisheye[0], args.pinhole[0], args.infer, args.limit)
        return 0
    print("median root error (mm) and median depth bias (Z_pred / Z_true - 1) per band of the true root's "
          "angle off axis; 'none' = raw read-out, 'pinhole' = x fisheye/pinhole magnification, "
          "'centre' = x Camera.depth_scale (applied by the codec); found = matched by drm eval's 2D rule")
    sets = {}
    for name, (data, preds) in (("fisheye", args.fisheye), ("same scenes, pinhole with the same K", args.pinhole)):
        by_image = predictions_from_json(preds)
        samples = [s for s in load_any(data) if str(s.image_path) in by_image]  # all, or drm eval --limit's
        sets[name] = samples, [by_image[str(s.image_path)] for s in samples]
    # the same scenes in both: the first n images of each set (same seed, same index)
    n = min(len(s) for s, _ in sets.values())
    for name, (samples, predictions) in sets.items():
        table(f"{name} ({len(samples[:n])} images)", rows(samples[:n], predictions[:n]))
    for name, (samples, predictions) in sets.items():
        print(f"\ndrm eval's metrics on the same {n} scenes, {name}:")
        print(format_table(evaluate(predictions[:n], samples[:n])))
    (fs, fp), (ps, pp) = sets.values()
    samples, predictions = same_people(fs[:n], fp[:n], ps[:n])
    print(f"\ndrm eval's metrics on the same {n} scenes, fisheye, only the people the pinhole twin also sees:")
    print(format_table(evaluate(predictions, samples)))
    e_pin, e_fish = found_by_both(fs[:n], fp[:n], ps[:n], pp[:n])
    if len(e_pin):
        print(f"\nroot error on the {len(e_pin)} people found in both: mean {1000 * e_fish.mean():.0f} mm fisheye vs "
              f"{1000 * e_pin.mean():.0f} mm pinhole, median {1000 * np.median(e_fish):.0f} vs {1000 * np.median(e_pin):.0f} mm")
    return 0


if __name__ == "__main__":
    sys.exit(main())
