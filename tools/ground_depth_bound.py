"""How well can ANY method read a person's depth from their feet on a known floor?

With the exact floor, a foot's viewing ray meets the plane at one depth, but only if the height
of the foot point above the floor is known. The detector's "ankle" is a joint ~0.07 m up for a
foot on the floor, higher for a foot in the air, and lower when the foot rolls; a method must
assume one height h0. Its depth is then off by (h - h0) / (H - h) of the distance (H = the
camera's height): low robot cameras turn centimetres of ankle height into percent of depth.

On a dataset folder whose images carry the true floor (`ground` record, `drm synth` writes it),
this tool measures, per person whose lower ankle is inside the image:

  * the plane-only bound: TRUE 2D ankle, exact plane, exact relative depth, the best constant h0;
  * the same fused with the size-only depth bound (tools/root_depth_bound.py: the population's
    median height assumed) by inverse variance (variances from the two errors' spreads): what
    "feet + size" can reach with perfect 2D;
  * the same with the lower ankle picked by the TRUE 3D (an oracle for "which foot stands");
  * over ALL labelled people (issue 13's targets count everyone matched): people whose lower
    ankle is out of view keep the size-only depth, and a detector that needs to see a person
    (4 of the 12 scored joints, model card lever 5) finds at most the others, so AP_root@25cm is
    at most the share of people both detectable and within 25 cm.

No model is involved: these are ceilings for the ground-plane refinement, not measurements of it.

    .venv/bin/python tools/ground_depth_bound.py [--data data/near_test]
"""
import argparse
import sys

import numpy as np

from drm_ros.data.load import load_any
from drm_ros.metrics import JOINTS
from drm_ros.skeleton import JOINT_INDEX, ROOT

ANKLES = [JOINT_INDEX["left_ankle"], JOINT_INDEX["right_ankle"]]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="data/near_test")
    args = ap.parse_args()
    z, ankle_h, cam_h, body_h = [], [], [], []
    everyone = []  # (depth, body height, lower ankle in view, detectable, ankle height, camera height)
    for s in load_any(args.data):
        if s.ground is None:
            continue
        inside = (s.joints2d[..., 0] >= 0) & (s.joints2d[..., 0] < s.camera.width) & \
                 (s.joints2d[..., 1] >= 0) & (s.joints2d[..., 1] < s.camera.height)
        for p, meta in enumerate(s.meta):
            j = s.joints3d[p]
            if not np.isfinite(j[ROOT]).all() or "height_m" not in meta:
                continue
            h = j[ANKLES] @ s.ground.up + s.ground.height
            k = ANKLES[int(np.argmin(h))]
            detectable = int((s.visible[p, list(JOINTS)] > 0).sum()) >= 4
            everyone.append((j[ROOT, 2], meta["height_m"], bool(inside[p, k]), detectable, h.min(), s.ground.height))
            if not inside[p, k]:
                continue
            z.append(j[ROOT, 2])
            ankle_h.append(h.min())
            cam_h.append(s.ground.height)
            body_h.append(meta["height_m"])
    if not z:
        print(f"{args.data}: no people with a ground record, a generator height and a lower ankle in view", file=sys.stderr)
        return 1
    z, ankle_h, cam_h, body_h = map(np.array, (z, ankle_h, cam_h, body_h))
    print(f"{args.data}: {len(z)} people with the lower ankle in view; camera height median {np.median(cam_h):.2f} m "
          f"(p10 {np.percentile(cam_h, 10):.2f}, p90 {np.percentile(cam_h, 90):.2f}); lower ankle above the floor: "
          f"median {np.median(ankle_h):.3f} m (p10 {np.percentile(ankle_h, 10):.3f}, p90 {np.percentile(ankle_h, 90):.3f})")
    size_err = np.median(body_h) / body_h - 1.0  # relative root error of the size-only bound
    print(f"size only: median {100 * np.median(np.abs(size_err)):.2f} % of the distance, "
          f"within 25 cm {100 * np.mean(np.abs(size_err * z) < 0.25):.1f} %")
    print("| assumed ankle height h0 | plane only: median % | <= 2 % | within 25 cm | plane + size: median % | <= 2 % | within 25 cm |")
    print("|---|---|---|---|---|---|---|")
    for h0 in (0.06, 0.07, 0.08, 0.09, 0.10, 0.11):
        plane_err = (ankle_h - h0) / (cam_h - ankle_h)  # relative depth error of the ray-plane point
        # inverse-variance fusion with robust (MAD) spreads of each relative error
        w_p = 1.0 / (1.4826 * np.median(np.abs(plane_err - np.median(plane_err)))) ** 2
        w_s = 1.0 / (1.4826 * np.median(np.abs(size_err))) ** 2
        fused = (w_p * plane_err + w_s * size_err) / (w_p + w_s)
        row = [np.median(np.abs(plane_err)), np.mean(np.abs(plane_err) <= 0.02), np.mean(np.abs(plane_err * z) < 0.25),
               np.median(np.abs(fused)), np.mean(np.abs(fused) <= 0.02), np.mean(np.abs(fused * z) < 0.25)]
        print(f"| {h0:.2f} m | " + " | ".join(f"{100 * v:.1f}" for v in row) + " |")
    all_people(np.array(everyone), np.median(body_h))
    return 0


def all_people(e: np.ndarray, h_ref: float) -> None:
    """The ceilings over every labelled person: plane + size where the lower ankle is in view
    (h0 = 0.07 m, the best above), size only elsewhere; AP_root also needs the person detectable."""
    z, body, feet, detectable, ankle, cam = e.T
    feet, detectable = feet > 0, detectable > 0
    size_err = h_ref / body - 1.0
    plane_err = (ankle - 0.07) / (cam - ankle)
    w_p = 1.0 / (1.4826 * np.median(np.abs(plane_err[feet] - np.median(plane_err[feet])))) ** 2
    w_s = 1.0 / (1.4826 * np.median(np.abs(size_err))) ** 2
    err = np.where(feet, (w_p * plane_err + w_s * size_err) / (w_p + w_s), size_err)
    close = np.abs(err * z) < 0.25
    print(f"\nall {len(z)} labelled people ({100 * feet.mean():.1f} % with the lower ankle in view, "
          f"{100 * detectable.mean():.1f} % detectable): median {100 * np.median(np.abs(err)):.2f} % of the distance, "
          f"within 25 cm {100 * close.mean():.1f} %; AP_root@25cm ceiling (detectable and within 25 cm) "
          f"{100 * (close & detectable).mean():.1f}; among the detectable: median {100 * np.median(np.abs(err[detectable])):.2f} %")


if __name__ == "__main__":
    sys.exit(main())
