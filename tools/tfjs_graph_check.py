"""tools/tfjs_graph.py against the original: one BlazePose input run by TFJS itself (pure-JS CPU
backend, tools/movenet_reference/run_reference.js) and by our runner; the largest differences of
the outputs lever 34 reads (world pose, landmarks, pose flag). The input is the crop
tools/blazepose_depth_study.py makes of the first matched person of a split.

    (cd tools/movenet_reference && npm ci)
    .venv/bin/python tools/tfjs_graph_check.py --models DIR [--variant full] [--data data/near_calib]
"""
import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from blazepose_depth_study import CROP, crop_matrix  # noqa: E402
from cache_predictions import predictions  # noqa: E402
from tfjs_graph import TfjsGraph  # noqa: E402

from drm_ros.imageio import read_rgb  # noqa: E402

HERE = Path(__file__).resolve().parent
OUTPUTS = {"Identity_4": "world_3d", "Identity_2": "ld_3d", "Identity_3": "output_poseflag"}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", type=Path, required=True)
    ap.add_argument("--variant", default="full")
    ap.add_argument("--data", default="data/near_calib")
    args = ap.parse_args()
    samples, preds = predictions(args.data)
    s, p = next((s, p) for s, p in zip(samples, preds) if len(p))
    crop = cv2.warpAffine(read_rgb(s.image_path), crop_matrix(p.joints2d[0], p.joint_scores[0]), (CROP, CROP),
                          flags=cv2.INTER_LINEAR, borderValue=0).astype(np.float32) / 255.0
    model = args.models / f"blazepose-{args.variant}.json"
    ours = TfjsGraph(model, args.models / f"blazepose-{args.variant}.bin").run(crop[None], list(OUTPUTS))
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "input.f32").write_bytes(crop.tobytes())
        subprocess.run(["node", str(HERE / "movenet_reference" / "run_reference.js"), str(model), str(Path(tmp) / "input.f32"),
                        str(CROP), str(CROP), tmp, *OUTPUTS], check=True, cwd=HERE / "movenet_reference")
        index = json.loads((Path(tmp) / "index.json").read_text())
        print(f"{s.image_path}, person 0: TFJS {index['tfjs_version']} ({index['backend']}) against tools/tfjs_graph.py")
        for out, ref in zip(ours, index["outputs"]):
            theirs = np.fromfile(Path(tmp) / ref["file"], np.float32).reshape(ref["shape"])
            diff = np.abs(out.numpy().reshape(theirs.shape) - theirs)
            print(f"  {OUTPUTS[ref['node']]} {tuple(ref['shape'])}: max |difference| {diff.max():.2e}, "
                  f"largest value {np.abs(theirs).max():.3g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
