"""Faults mid-stream, each survived by the node without a restart:
- publisher death: the camera process is SIGKILLed while streaming and a new one starts; frames
  from the new one must be answered;
- calibration change: a new camera_info (fx, fy doubled) arrives before the last image of the old
  calibration; each image must be lifted with the calibration of its own stamp (depth ratio 1
  before the switch, 2 from it on; a wrong pairing would swap them) and the people keep their ids.
  Tolerances 1 % and 2 %, not exact: the depth read-out's lifter also reads the viewing rays from
  the intrinsics, so doubling fx moves the depth a little (1.99), and the per-track filters still
  carry some state from the previous fault's people;
- clock jumping back: a looped "bag" (vtest frames forwards and back, stamps and /clock restarting
  at every loop) into a node with use_sim_time: every frame answered, the tracker starts afresh at each
  jump (no id of the previous loop is reused), no crash."""
from __future__ import annotations

import subprocess
import sys
import time

import numpy as np

from drm_ros.ros.soak.rig import REPO, Driver, NodeProcess, _time, image_msg, info_msg, real_frames

NS = 1_000_000_000


def _in_range(driver: Driver, base_sec: int) -> int:
    lo, hi = base_sec * NS, (base_sec + 1_000_000) * NS
    return sum(1 for s in list(driver.answered) if lo <= s < hi)


def _camera(base_sec: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "drm_ros.ros.soak.camera_process", "--base-sec", str(base_sec)],
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)


def _wait(predicate, timeout: float) -> float | None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if predicate():
            return time.monotonic() - t0
        time.sleep(0.05)
    return None


def publisher_death(driver: Driver, node: NodeProcess, log=print, timeout: float = 90.0) -> dict:
    first, second = 1_000_000, 2_000_000
    cam = _camera(first)
    t_first = _wait(lambda: _in_range(driver, first) >= 10, timeout)
    cam.kill()  # SIGKILL: no goodbye to DDS, its writers vanish only by liveliness/timeout
    cam.wait()
    answered_first = _in_range(driver, first)
    time.sleep(2.0)
    alive_between = node.alive()
    cam = _camera(second)
    t_second = _wait(lambda: _in_range(driver, second) >= 10, timeout)
    answered_second = _in_range(driver, second)
    cam.terminate()
    cam.wait()
    ok = bool(t_first is not None and t_second is not None and alive_between and node.alive())
    log(f"  publisher death: first camera process answered {answered_first} frames, SIGKILLed; node alive "
        f"{alive_between}; a new camera process got >= 10 answers after "
        f"{'never' if t_second is None else f'{t_second:.1f} s'} "
        f"({answered_second} answered before it was stopped): {'survived' if ok else 'FAILED'}")
    return {"survived": ok, "answered_first_camera": answered_first, "answered_second_camera": answered_second,
            "second_camera_10_answers_s": t_second}


def _roots(msg) -> dict[int, float]:
    return {s.id: s.root.z for s in msg.skeletons}


def calibration_change(driver: Driver, node: NodeProcess, log=print) -> dict:
    rgb = real_frames(1)[0]
    image = image_msg(rgb)
    f0 = info_msg().k[0]
    old, new = info_msg(f0), info_msg(2 * f0)
    base = 3_000_000 * NS
    out = []
    for i in range(3):  # the old calibration, lockstep: tracks establish
        out.append(driver.serve(image, old, base + i * NS // 30, timeout=20, retries=3 if i == 0 else 0))
    # The new camera_info (stamp s4) arrives before the image of stamp s3, as happens when a
    # driver's topics race; s3 must still be lifted with the old calibration.
    s3, s4 = base + 3 * NS // 30, base + 4 * NS // 30
    old.header.stamp, new.header.stamp = _time(s3), _time(s4)
    driver.publish_info(old)
    driver.publish_info(new)
    time.sleep(0.2)
    for s in (s3, s4):
        image.header.stamp = _time(s)
        # s4's camera_info again just before its image, as a driver sends one with every image: if
        # the first copy came late (DDS under load), s4 would otherwise wait out the pairing time
        # and be lifted with the unchanged-looking old calibration, which is not what is tested
        driver.publish(image, new if s == s4 else None)
        out.append(driver.wait_answer(s, 20))
    for i in range(5, 7):
        out.append(driver.serve(image, new, base + i * NS // 30, timeout=20))
    answered = sum(m is not None for m in out)
    if answered < len(out):
        log(f"  calibration change: only {answered}/{len(out)} frames answered: FAILED")
        return {"survived": False, "frames_sent": len(out), "frames_answered": answered}
    roots = [_roots(m) for m in out]
    ids = [set(r) for r in roots]
    kept = all(i == ids[0] for i in ids) and len(ids[0]) > 0
    common = set.intersection(*ids)
    ratio_before = [roots[3][i] / roots[2][i] for i in common]  # s3 (old K) vs the frame before
    ratio_switch = [roots[4][i] / roots[3][i] for i in common]  # s4 (new K) vs s3
    ok = kept and np.allclose(ratio_before, 1.0, rtol=0.01) and np.allclose(ratio_switch, 2.0, rtol=0.02)
    log(f"  calibration change fx {f0:.1f} -> {2 * f0:.1f} (new camera_info sent before the last old-calibration "
        f"image): depth ratio at the old stamp {np.median(ratio_before):.4f}, from the new stamp on "
        f"{np.median(ratio_switch):.4f} over {len(common)} people; ids kept across the change: {kept} "
        f"({sorted(ids[0])} -> {sorted(ids[-1])}): {'survived' if ok else 'FAILED'}")
    return {"survived": bool(ok), "frames_sent": len(out), "frames_answered": answered, "people": len(common),
            "depth_ratio_old_stamp": float(np.median(ratio_before)), "depth_ratio_new_stamp": float(np.median(ratio_switch)),
            "ids_kept": kept}


def clock_jump(driver: Driver, threads: int, loops: int = 3, log=print) -> dict:
    driver.new_node()
    node = NodeProcess({"use_sim_time": "true", "num_threads": threads}, label="faults-sim-time")
    try:
        node.wait_for_line(r"active: subscribed", 120)
        driver.wait_subscribed()
        # The "bag" plays 15 vtest frames forwards then backwards, so it ends on the image it starts
        # with: at the jump the same people stand in the same places, and a tracker that was not
        # reset would keep their ids (the check below can fail).
        frames = real_frames(15)
        images = [image_msg(f) for f in frames + frames[::-1]]
        info = info_msg()
        t0 = 1_000 * NS
        ids_per_loop, answered, sent = [], 0, 0
        for loop in range(loops):
            seen: list[set[int]] = []
            for i, image in enumerate(images):  # vtest is 10 frames per second
                stamp = t0 + i * NS // 10
                msg = driver.serve(image, info, stamp, timeout=20, clock_ns=stamp,
                                   retries=3 if loop == 0 and i == 0 else 0)
                sent += 1
                if msg is not None:
                    answered += 1
                    seen.append({s.id for s in msg.skeletons})
            ids_per_loop.append(seen)
        fresh = []  # at each jump back: no id of the previous loop is reused
        for before, after in zip(ids_per_loop, ids_per_loop[1:]):
            old_ids = set().union(*before) if before else set()
            fresh.append(bool(after) and not (after[0] & old_ids))
        reset_lines = node.output.count("went back")
        alive = node.alive()
    finally:
        crash = node.stop()
    ok = alive and answered == sent and all(fresh) and crash["crashes"] == 0
    log(f"  clock jump back (use_sim_time, {loops} loops of {len(images)} frames, stamps and /clock restart each loop): "
        f"{answered}/{sent} frames answered; tracker started afresh at {sum(fresh)}/{len(fresh)} jumps "
        f"({reset_lines} log lines saying so); node exit code {crash['exit_code']}: {'survived' if ok else 'FAILED'}")
    return {"survived": bool(ok), "frames_sent": sent, "frames_answered": answered, "jumps": len(fresh),
            "tracker_reset_at_jumps": sum(fresh), "reset_log_lines": reset_lines, "node": crash}


def run(driver: Driver, threads: int = 2, log=print) -> dict:
    driver.new_node()
    node = NodeProcess({"num_threads": threads, "image_qos": "auto"}, label="faults")
    try:
        node.wait_for_line(r"active: subscribed", 120)
        driver.wait_subscribed()
        log("faults (node pid %d, image_qos auto):" % node.pid)
        death = publisher_death(driver, node, log)
        calib = calibration_change(driver, node, log)
    finally:
        crash = node.stop()
    jump = clock_jump(driver, threads, log=log)
    result = {"publisher_death": death, "calibration_change": calib, "clock_jump": jump, "node": crash}
    result["frames_sent"] = calib.get("frames_sent", 0) + jump["frames_sent"]
    result["frames_answered"] = calib.get("frames_answered", 0) + jump["frames_answered"]
    result["crashes"] = crash["crashes"] + jump["node"]["crashes"]
    result["survived"] = all(r["survived"] for r in (death, calib, jump)) and result["crashes"] == 0
    log(f"faults: {'all survived' if result['survived'] else 'NOT all survived'}; crashes {result['crashes']}")
    return result
