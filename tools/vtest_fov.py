"""How much of vtest's ground-plane residual is its unknown calibration? vtest.avi ships no
intrinsics; sample_data/vtest/camera_info.yaml ASSUMES a 60 deg horizontal field of view. A wrong
focal length bends the geometry: people far up the image come out too tall on the learnt floor,
the stature gate then leaves them at DRM's depth, off the floor. The same frames under other
assumed fields of view (square pixels, centred principal point, no distortion), offline and online
(tools/vtest_long.py's runs), with the people the stature gate kept off the floor counted.

    .venv/bin/python tools/vtest_fov.py --start 500 --frames 240 --hfov 50 55 60 65 70
"""
import argparse
import os
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from vtest_ground import headline, run, run_offline  # noqa: E402
from vtest_long import video_poses  # noqa: E402

from drm_ros.camera import Camera  # noqa: E402
from drm_ros.ground.refine import GATED  # noqa: E402
from drm_ros.ground.session import GroundDepth  # noqa: E402
from drm_ros.plausibility import person_heights  # noqa: E402


def camera_for(hfov_deg: float) -> Camera:
    f = 0.5 * 768 / np.tan(np.radians(hfov_deg) / 2)
    return Camera(768, 576, f, f, (768 - 1) / 2, (576 - 1) / 2)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--start", type=int, default=500)
    ap.add_argument("--frames", type=int, default=240)
    ap.add_argument("--hfov", type=float, nargs="+", default=[50, 55, 60, 65, 70])
    args = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    for hfov in args.hfov:
        camera = camera_for(hfov)
        raw = video_poses(args.start, args.frames, camera)
        print(f"== HFOV {hfov:.0f} deg (fx {camera.fx:.1f} px), frames {args.start}-{args.start + len(raw) - 1}")
        frames, _, _ = run(raw, camera, GroundDepth("auto"))
        print(f"  auto, online     {headline(frames)}")
        frames, _, done = run_offline(raw, camera)
        print(f"  auto, offline    {headline(frames)}")
        print(f"    floor: {done.describe()}")
        gated = [(r.drm_depth[i], r.plane_depth[i], person_heights(r.poses)[i]) for r in done.results
                 for i in np.flatnonzero(r.status == GATED)]
        refined = np.concatenate([person_heights(r.poses)[r.status == 2] for r in done.results])
        line = f"    refined people's heights: median {np.nanmedian(refined):.2f} m; gated (DRM's depth kept): {len(gated)}"
        if gated:
            g = np.array(gated)
            line += (f", DRM depth median {np.median(g[:, 0]):.1f} m vs the floor's {np.median(g[:, 1]):.1f} m, "
                     f"heights {np.nanmedian(g[:, 2]):.2f} m at DRM's depth, {np.nanmedian(g[:, 2] * g[:, 1] / g[:, 0]):.2f} m at the floor's")
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
