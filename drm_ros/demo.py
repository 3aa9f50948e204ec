"""`make demo`: drm_node live on two short clips, scored, with pictures in out/demo/.

1. vtest (30 real frames of OpenCV's vtest.avi, sample_data/vtest/, assumed 60 deg HFOV
   calibration): no labels, so label-free plausibility (heights, ground plane, jitter, tracks).
2. a short labelled synthetic clip rendered now by `drm synth` (sequence config): PCK, AP_root,
   MPJPE and id switches against the exact ground truth.
Each clip runs twice: DRM alone, then with the ground-plane refinement (vtest: the floor learnt by
the node itself, ground_plane:=auto; synthetic: the camera's true pose above the floor, which
`drm synth --bag` records on /tf as a robot publishes its camera's, ground_plane:=tf), numbers and pictures side by side; vtest a third time with the
offline floor pass of `drm bag eval --floor-pass offline` (the floor learnt from all 30 frames,
applied from the first: hindsight the live node does not have), and a fourth as a node restarted
on a camera it has watched before: online, from the floor file sample_data/vtest/floor.yaml
(ground_floor_file; learnt offline from vtest frames 500-739, none of the clip's, by
tools/vtest_floor_file.py).
Each clip becomes a rosbag2 (mcap), is replayed through DDS to a separate drm_node process and
its skeletons are recorded (drm_ros.ros.bag_eval, the same path as `drm bag eval`).
Run through tools/loopback (the Makefile does): DDS stays inside a private network namespace.
All processes use the shared-memory FastDDS profile (config/fastdds_shm.xml), as a robot should.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import yaml

from drm_ros.bags import messages
from drm_ros.bags.evaluate import json_safe
from drm_ros.bags.io import BagWriter
from drm_ros.camera import Camera
from drm_ros.overlay import contact_sheet, draw_poses, skeleton_views
from drm_ros.paths import share_dir

FRAME_ID = "camera_optical_frame"
IMAGE_TOPIC, INFO_TOPIC = "/camera/image_raw/compressed", "/camera/camera_info"


def vtest_bag(sample_dir: Path, out: Path, fps: float = 10.0) -> list[Path]:
    """The vtest JPEGs (bytes unchanged) + the assumed CameraInfo as an mcap bag."""
    camera = Camera.from_yaml_dict(yaml.safe_load((sample_dir / "camera_info.yaml").read_text()))
    frames = sorted(sample_dir.glob("frame_*.jpg"))
    if not frames:
        raise FileNotFoundError(f"no frame_*.jpg in {sample_dir}")
    with BagWriter(out) as writer:
        for k, path in enumerate(frames):
            stamp = 1_000_000_000 + int(round(k * 1e9 / fps))
            writer.write(INFO_TOPIC, messages.camera_info(camera, stamp, FRAME_ID), stamp)
            writer.write(IMAGE_TOPIC, messages.compressed_image(path.read_bytes(), stamp, FRAME_ID), stamp)
    return frames


def synth_bag(out_dir: Path, num: int) -> list[Path]:
    from drm_ros.synth.config import load_config
    from drm_ros.synth.generate import generate

    cfg = load_config(share_dir() / "config" / "synth" / "sequence.yaml")
    generate(out_dir / "synth_dataset", num, seed=7, cfg=cfg, bag=out_dir / "synth_bag", workers=0, log=None)
    return sorted((out_dir / "synth_dataset" / "images").glob("*.jpg"))


def pictures(name: str, frames: list[Path], predictions, out_dir: Path) -> list[Path]:
    overlays = []
    for path, poses in zip(frames, predictions):
        rgb = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
        overlays.append(draw_poses(rgb, poses) if poses is not None else rgb)
    sheet = contact_sheet(overlays[::max(1, len(overlays) // 15)][:15], columns=5, tile_width=320)
    views = skeleton_views([p for p in predictions if p is not None])
    paths = [out_dir / f"{name}_overlay.png", out_dir / f"{name}_3d.png"]
    cv2.imwrite(str(paths[0]), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
    cv2.imwrite(str(paths[1]), cv2.cvtColor(views, cv2.COLOR_RGB2BGR))
    return paths


def summary_lines(name: str, rep: dict) -> list[str]:
    p = rep["plausibility"]
    t = rep["timing"]
    fmt = lambda v, f="{:.2f}": "n/a" if v is None or not np.isfinite(v) else f.format(v)  # noqa: E731
    lines = [f"{name}: {rep['frames_with_output']}/{rep['frames']} frames answered, {p['persons_per_frame']:.1f} "
             f"people/frame, latency median {fmt(t['latency_median_ms'], '{:.0f}')} ms, "
             f"{fmt(t['output_fps'], '{:.1f}')} fps (lockstep"
             + (f"; first frame re-sent {t['resends_before_first_answer']}x at start-up"
                if t.get("resends_before_first_answer") else "") + ")",
             f"  heights median {fmt(p['height_m']['median'])} m ({fmt(p['height_m']['fraction_adult_range'])} in "
             f"adult range), root depth median {fmt(p['root_depth_m']['median'])} m, ground-plane residual "
             f"{fmt(p['ground_plane']['residual_rms_cm'], '{:.1f}')} cm rms, jitter median "
             f"{fmt(p['jitter_mm']['median'], '{:.0f}')} mm, tracks {p['tracks']['num_tracks']} "
             f"(max {p['tracks']['max_simultaneous_people']} at once)"]
    if "ground_plane" in rep:
        g = rep["ground_plane"]
        lines.append(f"  floor ({g['floor_pass']} pass): {g['floors']}; people refined {g['refined']}, gated "
                     f"{g['gated']}, without confident ankles {g['no_feet']}")
    if "metrics" in rep:
        m = rep["metrics"]
        lines.append(f"  vs ground truth: PCKrel {fmt(m['pck_rel'], '{:.1f}')} %, PCKabs {fmt(m['pck_abs'], '{:.1f}')} %, "
                     f"AP_root@25cm {fmt(m['ap_root_25'], '{:.1f}')} %, MPJPE {fmt(m['mpjpe_rel_mm'], '{:.0f}')} mm, "
                     f"root error {fmt(m['root_err_mm'], '{:.0f}')} mm, id switches {rep['id_switches']}")
    return lines


def main() -> int:
    from drm_ros.ros.bag_eval import evaluate_bag

    root = share_dir()
    out_dir = Path("out/demo")
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    os.environ.setdefault("FASTDDS_DEFAULT_PROFILES_FILE", str(root / "config" / "fastdds_shm.xml"))
    start = time.monotonic()
    results, lines = {}, []
    clips = [("vtest", lambda: vtest_bag(root / "sample_data" / "vtest", out_dir / "vtest_bag"), out_dir / "vtest_bag",
              lambda: {"ground_plane": "auto"}),
             ("synthetic", lambda: synth_bag(out_dir, 30), out_dir / "synth_bag", lambda: {"ground_plane": "tf"})]
    for name, build, bag, floor in clips:
        try:
            frames = build()
        except Exception as exc:  # noqa: BLE001 - a missing clip must not hide the other one
            lines.append(f"{name}: skipped ({type(exc).__name__}: {exc})")
            continue
        runs = [("", None, "online", ""), ("_ground", floor(), "online", "")]
        if floor()["ground_plane"] == "auto":  # a learnt floor: also with the hindsight of the whole clip
            runs.append(("_ground_offline", floor(), "offline", ""))
            saved = root / "sample_data" / name / "floor.yaml"
            if saved.is_file():  # and as a node restarted on a camera whose floor it learnt before
                copy = out_dir / f"{name}_floor.yaml"  # the node rewrites its floor file
                shutil.copyfile(saved, copy)
                runs.append(("_ground_saved", {**floor(), "ground_floor_file": str(copy)}, "online",
                             ", from the floor saved from other frames"))
        for suffix, params, floor_pass, how in runs:
            label = name + (f" + ground plane ({params['ground_plane']}, {floor_pass}{how})" if params else " (DRM alone)")
            print(f"[demo] {label}: {len(frames)} frames -> {bag}; running drm_node on it ...", flush=True)
            rep = evaluate_bag(bag, node_params=params, floor_pass=floor_pass)
            preds = rep.pop("_predictions")
            rep["node_params"] = params or {}
            rep["pictures"] = [str(p) for p in pictures(name + suffix, frames, preds, out_dir)]
            results[name + suffix] = rep
            lines += summary_lines(label, rep)
    (out_dir / "summary.json").write_text(json.dumps(json_safe(results), indent=2))
    print("\n".join(["", "== drm_ros demo =="] + lines +
                     [f"pictures and summary.json in {out_dir}/ ({time.monotonic() - start:.0f} s)"]))
    return 0 if results and all(r["frames_with_output"] for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
