"""`drm bag eval`: the live node on a bag, scored.

Same code path as on a robot: drm_node runs as its own process (the `drm_node` executable),
the bag is published through DDS (raw CDR + /clock, use_sim_time on), the node's skeletons are
collected here, then scored (drm_ros.bags.evaluate).

Pacing: `rate=0` (default) is lockstep: each image goes out once the node answered the
previous one (or `frame_timeout` passed), so every frame is scored and the numbers do not
depend on machine load. `rate>0` replays with the recorded timing scaled by `rate`: the node
then drops stale frames exactly as it would live, and those frames count as misses.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from pathlib import Path

import rclpy
from rclpy.executors import SingleThreadedExecutor

from drm_ros.bags.evaluate import GT_TOPIC, IMAGE_TYPES, bag_topics, json_safe, read_cameras, read_ground_truth, score
from drm_ros.bags.messages import poseset_from_skeletons
from drm_ros.bags.typestore import typestore
from drm_ros.msg import Skeleton3DArray
from drm_ros.ros.bag_replay import BagPlayer, read_bag
from drm_ros.ros.confine import confine_dds

REPO_SCRIPTS = Path(__file__).resolve().parents[2] / "scripts" / "drm_node"
NAMESPACE = "/drm_eval"
TF_LOOKAHEAD_NS = 200_000_000  # lockstep: /tf up to this much bag time after an image goes out before it


class _TfAhead:
    """Lockstep replay of the bag's transforms: each sent once, in bag order, up to a bag time."""

    def __init__(self, player, messages, tf_topics):
        self.player = player
        self.pending = deque(m for m in messages if m.topic in tf_topics)

    def up_to(self, t_ns: int) -> None:
        while self.pending and self.pending[0].timestamp_ns <= t_ns:
            self.player.publish(self.pending.popleft())


def node_command(image_topic: str, image_type: str, info_topic: str, params: dict | None = None) -> list[str]:
    """The drm_node process, remapped onto the bag's topics (the installed executable when
    there is one, else the module: both run drm_ros.ros.node:main)."""
    exe = [sys.executable, str(REPO_SCRIPTS)] if REPO_SCRIPTS.is_file() else [sys.executable, "-m", "drm_ros.ros.node"]
    compressed = image_type == "sensor_msgs/msg/CompressedImage"
    args = ["--ros-args", "-r", f"__ns:={NAMESPACE}", "-r", f"camera_info:={info_topic}",
            "-r", f"{'image/compressed' if compressed else 'image'}:={image_topic}",
            "-p", f"image_transport:={'compressed' if compressed else 'raw'}",
            "-p", "image_qos:=reliable", "-p", "use_sim_time:=true",
            # Each frame's own camera_info is published just before it; waiting for it costs
            # nothing in lockstep and keeps a loaded machine from ever pairing by fallback.
            "-p", "camera_info_wait_sec:=1.0"]
    for key, value in (params or {}).items():
        args += ["-p", f"{key}:={value}"]
    return exe + args


def start_node(cmd: list[str]) -> tuple[subprocess.Popen, list[str]]:
    """drm_node as a child process; its output lines collect in the returned list."""
    proc = subprocess.Popen(cmd, env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    log: list[str] = []
    threading.Thread(target=lambda: log.extend(proc.stdout), daemon=True).start()
    return proc, log


def stop_node(proc: subprocess.Popen, timeout: float = 20.0) -> None:
    """SIGINT (the node finishes its frame and shuts down cleanly), then kill if it hangs."""
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class _Outputs:
    def __init__(self):
        self.by_stamp: dict[int, object] = {}
        self.arrival: dict[int, float] = {}
        self.cond = threading.Condition()

    def on_msg(self, msg) -> None:
        stamp = msg.header.stamp.sec * 1_000_000_000 + msg.header.stamp.nanosec
        with self.cond:
            self.by_stamp[stamp] = msg
            self.arrival[stamp] = time.monotonic()
            self.cond.notify_all()

    def wait_for(self, stamp: int, timeout: float) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: stamp in self.by_stamp, timeout)


DISCOVERY_SETTLE_S = 1.0  # before a real-time replay starts (evaluate_bag)


def offline_node_params(node_params: dict | None) -> tuple[dict, dict]:
    """`--floor-pass offline`: (what the node runs with: its floor and depth filter off, so it
    publishes DRM's own depth with the tracker's ids; the settings the evaluator then uses, from
    the same node parameters: the ground_* ones and their defaults, depth_filter_alpha/beta as the
    gains of the two-way smoother, default drm_ros.depth_smoother's, alpha 1.0 = none)."""
    from drm_ros.depth_smoother import SMOOTHER_ALPHA, SMOOTHER_BETA
    from drm_ros.ros.params import defaults

    given = dict(node_params or {})
    # the per-track depth step runs both ways offline, with its own measured gains unless given
    cfg = {**defaults(), "depth_filter_alpha": SMOOTHER_ALPHA, "depth_filter_beta": SMOOTHER_BETA}
    for key in ("ground_ankle_height_m", "ground_gate_k", "ground_max_stature_m", "depth_filter_alpha", "depth_filter_beta"):
        cfg[key] = float(given.pop(key, cfg[key]))
    cfg["ground_floor_orientation"] = str(given.pop("ground_floor_orientation", cfg["ground_floor_orientation"]))
    cfg["ground_floor_file"] = str(given.pop("ground_floor_file", ""))  # written with the floor learnt offline
    given.pop("ground_plane", None)
    given["depth_filter_alpha"] = 1.0
    return given, cfg


def offline_pass(frame_stamps: list[int], predictions: dict, cameras: dict, cfg: dict):
    """The floor learnt from all frames, applied to every frame, then the depth filter run both ways
    (drm_ros.ground.offline.refine_recording) -> (new predictions by stamp, the pass)."""
    from drm_ros.bags.evaluate import cameras_for
    from drm_ros.ground.fit import FitSettings
    from drm_ros.ground.offline import refine_recording
    from drm_ros.ground.refine import RefineSettings
    from drm_ros.poses import PoseSet

    settings = RefineSettings(ankle_height_m=cfg["ground_ankle_height_m"], gate_k=cfg["ground_gate_k"],
                              max_stature_m=cfg["ground_max_stature_m"])
    frames = [predictions.get(s, PoseSet.empty()) for s in frame_stamps]
    done = refine_recording(frames, cameras_for(frame_stamps, cameras), settings,
                            FitSettings(orientation=cfg["ground_floor_orientation"]),
                            filter_alpha=cfg["depth_filter_alpha"], filter_beta=cfg["depth_filter_beta"])
    return {s: p for s, p in zip(frame_stamps, done.poses) if s in predictions}, done


def evaluate_bag(bag: str | Path, rate: float = 0.0, frame_timeout: float = 10.0, node_params: dict | None = None,
                 startup_timeout: float = 180.0, log=print, floor_pass: str = "online") -> dict:
    """`floor_pass` 'offline' (with node_params ground_plane auto): see offline_node_params / offline_pass."""
    bag = Path(bag)
    if floor_pass not in ("online", "offline"):
        raise ValueError(f"floor pass must be online or offline, got {floor_pass!r}")
    if floor_pass == "offline":
        if (node_params or {}).get("ground_plane") != "auto":
            raise ValueError("the offline floor pass learns the floor from the bag: it needs ground_plane auto")
        node_params, offline_cfg = offline_node_params(node_params)
    topics = bag_topics(bag)
    image_topic = next((t for t, ty in topics.items() if ty in IMAGE_TYPES), None)
    info_topic = next((t for t, ty in topics.items() if ty == "sensor_msgs/msg/CameraInfo"), None)
    if image_topic is None or info_topic is None:
        raise ValueError(f"{bag}: needs an image topic and a camera_info topic, has {sorted(topics)}")
    # the robot's transforms go along when the floor comes from them (ground_plane tf)
    tf_topics = [t for t in ("/tf_static", "/tf") if topics.get(t) == "tf2_msgs/msg/TFMessage"] \
        if (node_params or {}).get("ground_plane") == "tf" else []
    if (node_params or {}).get("ground_plane") == "tf" and not tf_topics:
        log(f"{bag}: no /tf or /tf_static in the bag: the node cannot find the floor (DRM's depth throughout)")
    messages = read_bag(bag, [image_topic, info_topic, *tf_topics])
    store = typestore()
    image_stamps = {}  # index in messages -> header stamp
    frame_id = ""
    for i, m in enumerate(messages):
        if m.topic == image_topic:
            h = store.deserialize_cdr(m.raw, m.msgtype).header
            image_stamps[i] = h.stamp.sec * 1_000_000_000 + h.stamp.nanosec
            frame_id = h.frame_id
    frame_stamps = list(image_stamps.values())

    # its own domain, always: the replay publishes /clock, which must not reach a robot's nodes
    confine_dds(own_domain=True)
    node_proc, node_log = start_node(node_command(image_topic, topics[image_topic], info_topic, node_params))

    ctx = rclpy.Context()
    rclpy.init(context=ctx)
    executor = SingleThreadedExecutor(context=ctx)
    node = rclpy.create_node("drm_bag_eval", context=ctx)
    outputs = _Outputs()
    skeletons_sub = node.create_subscription(Skeleton3DArray, f"{NAMESPACE}/skeletons", outputs.on_msg, 100)
    executor.add_node(node)
    spinner = threading.Thread(target=executor.spin, daemon=True)
    spinner.start()
    sent_at: dict[int, float] = {}
    t_start = time.monotonic()
    elapsed = 0.0
    try:
        player = BagPlayer(node, messages)
        if not player.wait_for_subscribers([image_topic, info_topic, *tf_topics], startup_timeout):
            raise RuntimeError("drm_node did not subscribe in time; its log:\n" + "".join(node_log))
        # and its output must reach us: a skeleton published before discovery matched our reader
        # is lost, and a real-time replay (--rate) sends each frame once (a CI run lost all 6)
        deadline = time.monotonic() + startup_timeout
        while skeletons_sub.get_publisher_count() == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        if skeletons_sub.get_publisher_count() == 0:
            raise RuntimeError("drm_node's skeletons never reached the evaluator; its log:\n" + "".join(node_log))
        if rate > 0:
            # discovery is not symmetric: a writer can count a reader that has not matched the
            # writer yet and drops its samples (test/test_node.py met it); lockstep resends, a
            # real-time replay sends each frame once, so give the node's readers a moment
            time.sleep(DISCOVERY_SETTLE_S)
        t_start = time.monotonic()  # throughput from the first frame on, not node start-up
        last_info = None
        resends = 0
        if rate > 0:
            def mark(m):
                if m.topic == image_topic:
                    sent_at[_stamp_of(store, m)] = time.monotonic()
            player.play(rate, before=mark)
            if frame_stamps:  # the node may still be working on the last frame
                outputs.wait_for(frame_stamps[-1], frame_timeout)
        else:
            tf_sent = _TfAhead(player, messages, tf_topics)
            for i, m in enumerate(messages):
                if m.topic == info_topic:
                    last_info = m
                    player.publish(m)
                    continue
                if m.topic in tf_topics:
                    tf_sent.up_to(m.timestamp_ns)
                    continue
                tf_sent.up_to(m.timestamp_ns + TF_LOOKAHEAD_NS)  # a head joint's transform often comes just after its image
                stamp = image_stamps[i]
                for attempt in range(5):
                    sent_at[stamp] = time.monotonic()
                    resends += attempt > 0
                    player.publish(m)
                    if outputs.wait_for(stamp, frame_timeout if outputs.by_stamp else 3.0):
                        break
                    if outputs.by_stamp:
                        break  # a miss after the node has started answering: scored as a miss
                    # Nothing answered yet: the first image can overtake its camera_info across
                    # topics; send the pair again.
                    if last_info is not None:
                        player.publish(last_info)
            # Throughput from the first frame the node answered: a first frame lost to discovery
            # and re-sent 3 s later is start-up, not speed (make demo showed 4-6 fps rows from it).
            first = next((s for s in frame_stamps if s in outputs.arrival), None)
            if first is not None:
                t_start = sent_at[first]
        elapsed = time.monotonic() - t_start
    finally:
        stop_node(node_proc)
        executor.shutdown()
        node.destroy_node()
        rclpy.try_shutdown(context=ctx)
        spinner.join(timeout=5)

    predictions = {s: poseset_from_skeletons(msg) for s, msg in outputs.by_stamp.items()}
    gt = read_ground_truth(bag) if GT_TOPIC in topics else None
    cameras = read_cameras(bag, info_topic)
    floor = None
    if floor_pass == "offline":
        predictions, done = offline_pass(frame_stamps, predictions, cameras, offline_cfg)
        floor = {"mode": "auto", "floor_pass": "offline", "floors": done.describe(), **done.totals}
        if offline_cfg["ground_floor_file"]:  # for a live node on the same camera (its ground_floor_file)
            from drm_ros.ground.floor_file import save_floor

            learnt = done.last_floor(frame_id, note=f"learnt offline from {bag}")
            floor["floor_file"] = (str(save_floor(offline_cfg["ground_floor_file"], learnt)) if learnt is not None
                                   else "not written: no floor was learnt")
    report = score(frame_stamps, predictions, gt, cameras)
    if floor is not None:
        report["ground_plane"] = floor
    latencies = sorted(outputs.arrival[s] - sent_at[s] for s in outputs.arrival if s in sent_at)
    report["bag"] = str(bag)
    report["mode"] = "lockstep" if rate <= 0 else f"rate {rate}"
    report["timing"] = {
        "wall_s": elapsed,
        "output_fps": len(predictions) / elapsed if elapsed > 0 else None,
        "latency_median_ms": 1000 * latencies[len(latencies) // 2] if latencies else None,
        "latency_max_ms": 1000 * latencies[-1] if latencies else None,
    }
    if rate <= 0:
        report["timing"]["resends_before_first_answer"] = resends
    report["node_exit_code"] = node_proc.returncode
    report["node_log"] = "".join(node_log)[-4000:]
    report["_predictions"] = [predictions.get(s) for s in frame_stamps]  # for the demo's pictures
    return report


def _stamp_of(store, m) -> int:
    h = store.deserialize_cdr(m.raw, m.msgtype).header
    return h.stamp.sec * 1_000_000_000 + h.stamp.nanosec


def run(bag: str | Path, json_out: str | Path | None = None, rate: float = 0.0, node_params: dict | None = None,
        floor_pass: str = "online") -> int:
    report = evaluate_bag(bag, rate, node_params=node_params, floor_pass=floor_pass)
    report.pop("_predictions")
    printable = {k: v for k, v in report.items() if k != "node_log"}
    print(json.dumps(json_safe(printable), indent=2))
    if json_out:
        Path(json_out).write_text(json.dumps(json_safe(report), indent=2))
    return 0 if report["frames_with_output"] > 0 else 1
