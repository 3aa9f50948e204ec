"""Issue 10, lever 27: would a sharper second 2D look pay? MoveNet SinglePose Thunder (tfhub
movenet/singlepose/thunder/4, MobileNetV2 x1.75, 256x256; the same npm package as the 2D branch,
`package/models/movenet-thunder.{json,bin}`, converted with drm_ros.movenet_weights.convert(...,
variant="thunder")) run on a square crop of the ORIGINAL image around each person the 2D branch
found: a person 8 m away, ~70 px tall at the network's input, is seen at up to 256 px. The people
stay the 2D branch's; only where their joints are is measured again. The decode is ours
(codec.poses_at, the 2D branch's own refinement) from the centre cell nearest the crop's middle.

Per matched person (the error_decomposition.py rule: nearest 2D pelvis within 20 % of the box
height) and per scored joint (the 12 EVAL_JOINTS): the 2D error in original pixels and as a
fraction of the person's box height, for the 2D branch ("multipose"), the joints the model lifts
its 3D from ("refined": its lifter's shift), Thunder on crops ("thunder"), and Thunder where it is
confident else the 2D branch ("thunder|multipose"); then each 2D + TRUE depth as PCKrel@150 mm
(the cap a perfect relative depth would reach from that 2D).

    .venv/bin/python tools/crop_pose_2d.py --data data/near_test --num 150 \
        --thunder-json DIR/movenet-thunder.json --thunder-bin DIR/movenet-thunder.bin
"""
import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from error_decomposition import rel_error  # noqa: E402

from drm_ros.backbones.movenet import MoveNet  # noqa: E402
from drm_ros.codec import poses_at  # noqa: E402
from drm_ros.data.load import load_any  # noqa: E402
from drm_ros.imageio import read_rgb  # noqa: E402
from drm_ros.inference import PoseEstimator  # noqa: E402
from drm_ros.movenet_weights import convert  # noqa: E402
from drm_ros.skeleton import EVAL_JOINTS, JOINT_NAMES, ROOT  # noqa: E402

J = list(EVAL_JOINTS)

CROP_SIZE = 256
# Crop side = this times the larger extent of the person's confident 2D joints (MoveNet's own
# tracking crop pads the keypoints' extent similarly), never below MIN_SIDE_PX original pixels.
CROP_MARGIN = 1.4
MIN_SIDE_PX = 48.0
MIN_JOINT_SCORE = 0.2
CENTRE_PRIOR_CELLS = 8.0  # Gaussian sigma of the pull towards the crop's middle (64-cell grid)


@dataclass(frozen=True)
class Crop:
    """A square crop: original pixel (u, v) = origin + crop pixel * scale."""
    origin: np.ndarray  # (2,)
    scale: float

    def matrix(self) -> np.ndarray:
        """Affine original -> crop pixels (pixel centres map to pixel centres)."""
        s = 1.0 / self.scale
        return np.array([[s, 0, -s * self.origin[0] + 0.5 * s - 0.5], [0, s, -s * self.origin[1] + 0.5 * s - 0.5]])

    def to_image(self, uv: np.ndarray) -> np.ndarray:
        return self.origin + (uv + 0.5) * self.scale - 0.5


def person_crop(joints2d: np.ndarray, joint_scores: np.ndarray, size: int = CROP_SIZE) -> Crop:
    """The square crop around one person's 2D joints (17, 2) in original pixels."""
    ok = joint_scores >= MIN_JOINT_SCORE
    pts = joints2d[ok] if ok.sum() >= 2 else joints2d
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    side = max(CROP_MARGIN * float((hi - lo).max()), MIN_SIDE_PX)
    centre = 0.5 * (lo + hi)
    return Crop(origin=centre - 0.5 * side, scale=side / size)


class CropPose:
    """Thunder on person crops: `refine(image_rgb, joints2d, joint_scores)` -> (joints2d, scores)."""

    def __init__(self, model: MoveNet, size: int = CROP_SIZE) -> None:
        self.model = model.eval()
        self.size = size

    @torch.no_grad()
    def refine(self, image_rgb: np.ndarray, joints2d: np.ndarray, joint_scores: np.ndarray):
        n = len(joints2d)
        if n == 0:
            return joints2d.copy(), joint_scores.copy()
        crops = [person_crop(joints2d[i, :17], joint_scores[i, :17], self.size) for i in range(n)]
        patches = np.stack([cv2.warpAffine(image_rgb, c.matrix(), (self.size, self.size), flags=cv2.INTER_LINEAR,
                                           borderMode=cv2.BORDER_CONSTANT, borderValue=0) for c in crops])
        x = torch.from_numpy(patches).permute(0, 3, 1, 2).float()
        maps = self.model(x)
        centre = torch.sigmoid(maps["center"])[:, 0]  # (n, h, w)
        h, w = centre.shape[-2:]
        yy, xx = torch.meshgrid(torch.arange(h) - (h - 1) / 2, torch.arange(w) - (w - 1) / 2, indexing="ij")
        prior = torch.exp(-(xx ** 2 + yy ** 2) / (2 * CENTRE_PRIOR_CELLS ** 2))
        best = (centre * prior).flatten(1).argmax(1)
        cells = torch.stack([best % w, best // w], dim=-1)[:, None]  # (n, 1, 2)
        out = poses_at(cells, maps["kpt_regress"], torch.sigmoid(maps["kpt_heatmap"]), maps["kpt_offset"])
        uv = out["joints"][:, 0].double().numpy()  # (n, 17, 2) crop pixels
        scores = out["joint_score"][:, 0].double().numpy()
        return np.stack([c.to_image(uv[i]) for i, c in enumerate(crops)]), scores


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="data/near_test")
    ap.add_argument("--num", type=int, default=150)
    ap.add_argument("--model", default=None)
    ap.add_argument("--thunder-json", required=True)
    ap.add_argument("--thunder-bin", required=True)
    ap.add_argument("--min-score", type=float, default=0.3, help="Thunder joint score to replace a joint")
    ap.add_argument("--agree", type=float, default=0.1, help="joint agreement radius, fraction of the 2D extent")
    args = ap.parse_args()
    torch.set_num_threads(2)
    est = PoseEstimator.from_file(args.model)
    thunder = MoveNet(variant="thunder")
    thunder.load_state_dict(convert(args.thunder_json, args.thunder_bin, variant="thunder"))
    crop = CropPose(thunder)
    names = ("multipose", "refined", "thunder", "thunder|multipose", "mean where they agree")
    px = {k: [] for k in names}
    frac = {k: [] for k in names}
    cap = {k: [] for k in names}
    t_crop, n_people = 0.0, 0
    for s in load_any(args.data)[: args.num]:
        image = read_rgb(s.image_path)
        p = est.estimate(image, s.camera)
        t0 = time.perf_counter()
        th_uv, th_score = crop.refine(image, p.joints2d[:, :17], p.joint_scores[:, :17])
        t_crop += time.perf_counter() - t0
        n_people += len(p)
        for g in range(s.num_persons):
            if len(p) == 0:
                break
            d = np.linalg.norm(p.joints2d[:, ROOT] - s.joints2d[g, ROOT], axis=1)
            k = int(d.argmin())
            box_h = max(s.boxes[g, 3] - s.boxes[g, 1], 20)
            if d[k] > 0.2 * box_h:
                continue
            mixed = np.where((th_score[k] >= args.min_score)[:, None], th_uv[k], p.joints2d[k, :17])
            # the two looks averaged per joint where they agree within AGREE of the person's 2D
            # extent (two independent errors halve their variance); the 2D branch's alone elsewhere
            mp = p.joints2d[k, :17]
            extent = np.ptp(mp[p.joint_scores[k, :17] >= 0.2], axis=0).max() if (p.joint_scores[k, :17] >= 0.2).sum() >= 2 else 50.0
            agree = np.linalg.norm(th_uv[k] - mp, axis=-1) <= args.agree * extent
            uvs = {"multipose": mp, "refined": s.camera.project(p.joints3d[k, :17]),
                   "thunder": th_uv[k], "thunder|multipose": mixed,
                   "mean where they agree": np.where(agree[:, None], 0.5 * (mp + th_uv[k]), mp)}
            gt = s.joints3d[g, :17]
            vis = np.isfinite(s.joints2d[g, J]).all(-1)
            for name, uv in uvs.items():
                e = np.where(vis, np.linalg.norm(uv[J] - s.joints2d[g, J], axis=-1), np.nan)
                px[name].append(e)
                frac[name].append(e / box_h)
                cap[name].append(rel_error(s.camera.backproject(uv, gt[:, 2]), gt))
    print(f"{args.data}: {args.num} images, {len(cap['multipose'])} matched people; Thunder crops "
          f"{1000 * t_crop / max(n_people, 1):.0f} ms per person (2 threads)")
    print(f"{'2D':<20} | {'median px':>9} | {'mean px':>8} | {'median / box h':>14} | 2D + true depth PCKrel@150 | median mm")
    for name in names:
        e, f, c = np.concatenate(px[name]), np.concatenate(frac[name]), np.concatenate(cap[name]) * 1000
        print(f"{name:<20} | {np.nanmedian(e):9.2f} | {np.nanmean(e):8.2f} | {100 * np.nanmedian(f):13.2f}% | "
              f"{100 * np.mean(c < 150):25.1f} | {np.median(c):9.0f}")
    print("per joint, median error / box height (%): " + " ".join(f"{JOINT_NAMES[j]:>14}" for j in J))
    for name in names:
        f = np.stack(frac[name])
        print(f"  {name:<18} " + " ".join(f"{100 * np.nanmedian(f[:, i]):14.2f}" for i in range(len(J))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
