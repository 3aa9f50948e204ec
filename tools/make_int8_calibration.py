"""Writes the int8 calibration frames (model/int8_calibration/, installed with the model) once; they are committed, so every
machine quantizes from the same images (the cache key holds their hash).

    .venv/bin/python tools/make_int8_calibration.py [--video .../vtest.avi] [--renders DIR]

Real: frames CALIB_FRAMES of OpenCV's vtest.avi, none within 240..310, so the 30 evaluation
frames of sample_data/vtest (250..279) and the test fixture (frame 300) stay unseen.
Synthetic: the first RENDERS images of a render split's images/ (default near_train, a training
split: never near_test, which the evaluation uses). JPEG quality 85, like sample_data/vtest.
"""
import argparse
import shutil
import sys
from pathlib import Path

import cv2

CALIB_FRAMES = (20, 100, 180, 360, 440, 520, 600, 680, 760)
RENDERS = 4
OUT = Path(__file__).resolve().parent.parent / "model" / "int8_calibration"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--video", default="/usr/share/doc/opencv-doc/examples/data/vtest.avi")
    ap.add_argument("--renders", default="data/near_train")  # drm synth --config config/synth/train_near.yaml ... --seed 3000
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    cap = cv2.VideoCapture(args.video)
    if not cap.isOpened():
        raise SystemExit(f"cannot open {args.video}")
    for i in CALIB_FRAMES:
        cap.set(cv2.CAP_PROP_POS_FRAMES, i)
        ok, bgr = cap.read()
        if not ok:
            raise SystemExit(f"cannot read frame {i} of {args.video}")
        cv2.imwrite(str(OUT / f"vtest_{i:04d}.jpg"), bgr, [cv2.IMWRITE_JPEG_QUALITY, 85])
    for src in sorted((Path(args.renders) / "images").glob("*.jpg"))[:RENDERS]:
        shutil.copyfile(src, OUT / f"render_{Path(args.renders).name}_{src.name}")
    print(f"wrote {len(list(OUT.glob('*.jpg')))} frames to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
