"""A static camera that keeps what it learnt (drm_ros/ground/floor_file.py): vtest.avi online with
the learnt floor (the node's pipeline without ROS, tools/vtest_ground.py), starting with nothing
against starting from the floor learnt offline from ANOTHER stretch of the same video and saved
to a file. Issue 13's vtest targets: jitter median <= 150 mm, ground-plane residual <= 15 cm rms.

    .venv/bin/python tools/vtest_saved_floor.py --learn 250 --run 500 --frames 240
"""
import argparse
import os
import sys
import tempfile
from pathlib import Path

import torch
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from vtest_ground import SAMPLE, headline, run, run_offline  # noqa: E402
from vtest_long import video_poses  # noqa: E402

from drm_ros.camera import Camera  # noqa: E402
from drm_ros.ground.floor_file import SavedFloor, calibration_of, load_floor, save_floor  # noqa: E402
from drm_ros.ground.session import GroundDepth  # noqa: E402

FRAME_ID = "vtest_optical"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--learn", type=int, default=250, help="first frame of the stretch the floor is learnt from")
    ap.add_argument("--run", type=int, default=500, help="first frame of the stretch run online")
    ap.add_argument("--frames", type=int, default=240)
    args = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    camera = Camera.from_yaml_dict(yaml.safe_load((SAMPLE / "camera_info.yaml").read_text()))
    learn = video_poses(args.learn, args.frames, camera)
    _, _, done = run_offline(learn, camera)
    last = done.stretches[-1]
    if last.plane is None:
        raise SystemExit(f"frames {args.learn}-{args.learn + len(learn) - 1}: no floor learnt ({done.describe()})")
    with tempfile.TemporaryDirectory() as tmp:
        path = save_floor(Path(tmp) / "floor.yaml", SavedFloor(last.plane, last.tilt_sigma_deg, last.height_sigma_m, FRAME_ID,
                                                                calibration_of(camera), 0, f"vtest frames {args.learn}-"))
        saved = load_floor(path)
    print(f"floor learnt offline from frames {args.learn}-{args.learn + len(learn) - 1}: {last.description}")
    runs = video_poses(args.run, args.frames, camera)
    print(f"== frames {args.run}-{args.run + len(runs) - 1} ({len(runs)}), online")
    for n in sorted({30, 60, len(runs)}):
        part = runs[:n]
        print(f"  {n} frames")
        frames, _, _ = run(part, camera, GroundDepth("off"))
        print(f"    DRM alone                 {headline(frames)}")
        ground = GroundDepth("auto")
        frames, _, _ = run(part, camera, ground)
        print(f"    auto, learnt from nothing {headline(frames)}")
        ground = GroundDepth("auto", saved=saved)
        frames, _, _ = run(part, camera, ground)
        print(f"    auto, from the saved floor {headline(frames)}")
        print(f"      at the end: {ground.describe()}{'; saved floor let go: ' + ground.saved_outcome if ground.saved_outcome else ''}")
    learnt = ground.auto.plane  # what the stream learnt by itself, whichever floor was in use
    if learnt is not None:
        print(f"  the saved floor against the one this stretch learnt by its end: {saved.plane.angle_to_deg(learnt):.1f} deg, "
              f"camera height {saved.plane.height - learnt.height:+.2f} m")
    return 0


if __name__ == "__main__":
    sys.exit(main())
