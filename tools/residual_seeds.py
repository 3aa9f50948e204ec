"""Is the ground-plane residual figure a property of the poses or of a random seed? (issue 13)

The figure (drm_ros.plausibility.ground_plane_fit): rms distance of all confident ankles to the
one plane that best explains them. Printed for the plane-fit seeds 0-9 with the former fit (RANSAC:
300 random triples, the plane with most points within 5 cm, least squares on those) and the
current one (MSAC: least truncated quadratic cost, 10,000 triples, the 50 cheapest refined), on:
- vtest's 30 embedded frames through the node's pipeline (tools/vtest_ground.run): floor off / auto,
  depth filter off / on;
- the labelled synthetic sequence split (data/synth_seq, 4 clips of a static camera each), DRM
  alone: per clip, with the angle between the fitted plane and the clip's true floor.

    .venv/bin/python tools/residual_seeds.py [--synth data/synth_seq]
"""
import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from vtest_ground import ANKLES, load_vtest, run  # noqa: E402

from drm_ros.ground.session import GroundDepth  # noqa: E402
from drm_ros.plausibility import fit_plane  # noqa: E402

SEEDS = range(10)


def former_fit_plane(pts: np.ndarray, inlier_m: float = 0.05, iterations: int = 300, seed: int = 0):
    """The fit the figure used until this change (kept here only to measure it against)."""
    rng = np.random.default_rng(seed)
    best = np.zeros(len(pts), bool)
    for _ in range(iterations):
        a, b, c = pts[rng.choice(len(pts), 3, replace=False)]
        n = np.cross(b - a, c - a)
        if np.linalg.norm(n) < 1e-9:
            continue
        n /= np.linalg.norm(n)
        inl = np.abs(pts @ n - n @ a) < inlier_m
        if inl.sum() > best.sum():
            best = inl
    centroid = pts[best].mean(axis=0)
    normal = np.linalg.svd(pts[best] - centroid)[2][-1]
    return normal, float(-normal @ centroid)


def confident_ankles(frames) -> np.ndarray:
    pts = [p.joints3d[i, j] for p in frames for i in range(len(p)) for j in ANKLES if p.joint_scores[i, j] >= 0.3]
    pts = np.array(pts, dtype=np.float64).reshape(-1, 3)
    return pts[np.all(np.isfinite(pts), axis=1)]


def by_seed(pts: np.ndarray, true_up: np.ndarray | None = None) -> list[str]:
    lines = []
    for name, fit in (("former RANSAC", lambda s: former_fit_plane(pts, seed=s)),
                      ("MSAC (now)", lambda s: fit_plane(pts, seed=s)[:2])):
        rms, angles = [], []
        for seed in SEEDS:
            n, d = fit(seed)
            rms.append(np.sqrt(np.mean((pts @ n + d) ** 2)) * 100)
            if true_up is not None:
                angles.append(np.degrees(np.arccos(min(1.0, abs(n @ true_up)))))
        text = f"    {name:13s} rms cm by seed 0-9: {' '.join(f'{v:.1f}' for v in rms)}  (spread {max(rms) - min(rms):.1f})"
        if angles:
            text += f"; deg from the true floor {min(angles):.1f}-{max(angles):.1f}"
        lines.append(text)
    return lines


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--synth", type=Path, default=Path("data/synth_seq"))
    args = ap.parse_args()
    raw, camera = load_vtest()
    print(f"vtest: {len(raw)} frames, {sum(len(p) for p in raw)} people")
    for mode, alpha in (("off", 1.0), ("auto", 1.0), ("off", 0.5), ("auto", 0.5)):
        frames, _, _ = run(raw, camera, GroundDepth(mode), alpha)
        pts = confident_ankles(frames)
        print(f"  floor {mode}, depth filter {'on (0.5)' if alpha < 1 else 'off'}: {len(pts)} ankle points")
        print("\n".join(by_seed(pts)))
    if not (args.synth / "annotations.json").is_file():
        print(f"{args.synth}: not found, synthetic part skipped")
        return 0
    from drm_ros.cli.infer import make_estimator
    from drm_ros.data.load import load_any
    from drm_ros.imageio import read_rgb
    from drm_ros.inference import SCORE_THRESHOLD

    samples = load_any(args.synth)
    est = make_estimator(None, None, SCORE_THRESHOLD, "auto", 2)
    clips: list[list] = []
    for s in samples:
        if not clips or s.camera != clips[-1][0].camera:
            clips.append([])
        clips[-1].append(s)
    print(f"\n{args.synth}: {len(samples)} images, {len(clips)} clips (one camera each), DRM alone")
    for k, clip in enumerate(clips):
        frames = [est.estimate(read_rgb(s.image_path), s.camera) for s in clip]
        pts = confident_ankles(frames)
        print(f"  clip {k}: {len(clip)} frames, {len(pts)} ankle points, true floor: camera {clip[0].ground.height:.2f} m "
              f"up, pitch {clip[0].ground.pitch_deg:.1f} deg")
        print("\n".join(by_seed(pts, clip[0].ground.up)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
