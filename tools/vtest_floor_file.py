"""The floor file `make demo` starts its saved-floor run from (sample_data/vtest/floor.yaml): the
floor learnt offline (the offline floor pass, as `drm bag eval --floor-pass offline`) from frames
500-739 of vtest.avi, none of which is among the demo's 30 frames (250-279), in the demo bag's
image frame and with the sample's assumed calibration. Needs vtest.avi (apt-get install opencv-doc).

    .venv/bin/python tools/vtest_floor_file.py --learn 500 --frames 240 --out sample_data/vtest/floor.yaml
"""
import argparse
import os
import sys
from pathlib import Path

import torch
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from vtest_ground import SAMPLE, run_offline  # noqa: E402
from vtest_long import video_poses  # noqa: E402

from drm_ros.camera import Camera  # noqa: E402
from drm_ros.demo import FRAME_ID  # noqa: E402
from drm_ros.ground.floor_file import load_floor, save_floor  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--learn", type=int, default=500)
    ap.add_argument("--frames", type=int, default=240)
    ap.add_argument("--out", type=Path, default=SAMPLE / "floor.yaml")
    args = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    camera = Camera.from_yaml_dict(yaml.safe_load((SAMPLE / "camera_info.yaml").read_text()))
    poses = video_poses(args.learn, args.frames, camera)
    _, _, done = run_offline(poses, camera)
    end = args.learn + len(poses) - 1
    floor = done.last_floor(FRAME_ID, note=f"learnt offline from vtest.avi frames {args.learn}-{end} by "
                                           f"tools/vtest_floor_file.py (default model, the sample's assumed calibration)")
    if floor is None:
        raise SystemExit(f"no floor learnt ({done.describe()})")
    save_floor(args.out, floor)
    load_floor(args.out).check_camera(camera, FRAME_ID)
    print(f"wrote {args.out}: {done.describe()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
