"""Build test/fixtures/movenet_reference_256.npz: MoveNet MultiPose head outputs from tfjs.

The frame is resized here (once) and the exact uint8 pixels go both to the Node script and
into the npz, so tfjs and the PyTorch test see identical input.
Usage (repo root): .venv/bin/python tools/movenet_reference/make_fixture.py
  [--model-dir ~/.cache/drm_ros/movenet] [--image test/fixtures/vtest_frame300.jpg] [--size 256]
Needs `npm install` in tools/movenet_reference (pins @tensorflow/tfjs 4.22.0).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from pathlib import Path

import cv2
import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SCOPE = "StatefulPartitionedCall/"
# Graph nodes (the last 1x1 conv of each head, before any sigmoid) -> fixture key.
NODES = {
    "center": "center_0/conv2d_4/BiasAdd",
    "box_scale": "box_scale_0/conv2d_5/BiasAdd",
    "box_offset": "box_offset_0/conv2d_6/BiasAdd",
    "kpt_heatmap": "kpt_heatmap_0/conv2d_7/BiasAdd",
    "kpt_regress": "kpt_regress_0/conv2d_8/BiasAdd",
    "kpt_offset": "kpt_offset_0/conv2d_9/BiasAdd",
    "kpt_regress_hidden": "kpt_regress_0/re_lu_7/Relu",
    "graph_output": "Identity",  # the graph's own decoded (1, 6, 56) result
}
HIDDEN_CHANNELS = 16  # keep the fixture small: only the first channels of the 96 hidden ones


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model-dir", type=Path, default=Path.home() / ".cache" / "drm_ros" / "movenet")
    p.add_argument("--image", type=Path, default=REPO / "test" / "fixtures" / "vtest_frame300.jpg")
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args()
    out = args.out or REPO / "test" / "fixtures" / f"movenet_reference_{args.size}.npz"

    bgr = cv2.imread(str(args.image), cv2.IMREAD_COLOR)
    if bgr is None:
        raise SystemExit(f"cannot read {args.image}")
    # Plain (aspect-distorting) resize: the fixture tests the network, not letterboxing.
    rgb = cv2.cvtColor(cv2.resize(bgr, (args.size, args.size), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB)
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "input.u8").write_bytes(rgb.tobytes())
        nodes = [SCOPE + n if n != "Identity" else n for n in NODES.values()]
        subprocess.run(["node", str(HERE / "run_reference.js"), str(args.model_dir), str(tmp / "input.u8"),
                        str(args.size), str(args.size), str(tmp / "out"), *nodes], check=True, cwd=HERE)
        index = json.loads((tmp / "out" / "index.json").read_text())
        arrays: dict[str, np.ndarray] = {"image_rgb": rgb}
        for key, entry in zip(NODES, index["outputs"]):
            a = np.fromfile(tmp / "out" / entry["file"], dtype="<f4").reshape(entry["shape"])
            if a.ndim == 4:  # NHWC -> NCHW, as the PyTorch heads return them
                a = a.transpose(0, 3, 1, 2)
            if key == "kpt_regress_hidden":
                a = a[:, :HIDDEN_CHANNELS]
            arrays[key] = np.ascontiguousarray(a, dtype=np.float32)
    meta = {"source_image": args.image.name, "resize": "cv2.INTER_AREA to size x size, BGR->RGB",
            "tfjs_version": index["tfjs_version"], "backend": index["backend"],
            "nodes": {k: (SCOPE + v if v != "Identity" else v) for k, v in NODES.items()},
            "kpt_regress_hidden_channels": HIDDEN_CHANNELS, "layout": "heads NCHW float32 logits"}
    np.savez_compressed(out, meta=np.array(json.dumps(meta)), **arrays)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB); tfjs forward {index['ms']} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
