"""Garbage phase: M malformed messages interleaved with good frames, lockstep.

Each bad message is sent alone and must be refused by the node (its "frames refused" counter on
/diagnostics goes up, no skeletons for it); each good frame after it must be answered (skeletons
for its stamp within a timeout). The node's log must name every kind of problem at least once
(throttled: each distinct problem at most once per error_throttle_sec). Raw-image and camera_info
kinds go to a node subscribed to raw images, CompressedImage kinds to one on image/compressed."""
from __future__ import annotations

import re
import struct
import time
import zlib
from collections import Counter

import numpy as np

from drm_ros.error_throttle import family_of
from drm_ros.ros.soak.rig import Driver, NodeProcess, image_msg, info_msg, jpeg_msg, real_frames

NS = 1_000_000_000
REFUSE_TIMEOUT = 5.0


def _image(rgb, **fields):
    msg = image_msg(rgb)
    for k, v in fields.items():
        setattr(msg, k, v)
    return msg


def _info(**fields):
    msg = info_msg()
    for k, v in fields.items():
        setattr(msg, k, v)
    return msg


def _png_header(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr
            + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr)))


def raw_kinds(rgb: np.ndarray, rng: np.random.Generator) -> dict:
    """kind -> (make() -> (image, camera_info or None for a good one), regex the node's log must show)."""
    n = rgb.nbytes
    w, h = rgb.shape[1], rgb.shape[0]
    k = list(info_msg().k)
    return {
        "random bytes, random length": (lambda: (_image(rgb, data=rng.bytes(int(rng.integers(0, 2 * n)))), None),
                                        r"image data (is truncated|has \d+ bytes, more than)"),
        "step smaller than a row": (lambda: (_image(rgb, step=w * 3 - 1), None), r"image step \d+ is smaller"),
        "step larger than the data": (lambda: (_image(rgb, step=w * 3 + 64), None),
                                      rf"truncated: {n} bytes for {w}x{h} rgb8 with step {w * 3 + 64} "),
        "height x step > len(data)": (lambda: (_image(rgb, height=h + 1), None),
                                      rf"truncated: {n} bytes for {w}x{h + 1} rgb8"),
        "height x step < len(data)": (lambda: (_image(rgb, height=h - 1), None), r"more than step\*height"),
        "data one byte short": (lambda: (_image(rgb, data=image_msg(rgb).data[:-1]), None),
                                rf"truncated: {n - 1} bytes for {w}x{h} rgb8"),
        "zero width": (lambda: (_image(rgb, width=0, step=0), None), r"empty size 0x"),
        "zero height": (lambda: (_image(rgb, height=0), None), r"empty size \d+x0"),
        "huge size": (lambda: (_image(rgb, width=100_000, height=100_000, step=300_000), None),
                      r"more than max_image_pixels"),
        "unknown encoding": (lambda: (_image(rgb, encoding="rgb9"), None), r"unsupported image encoding 'rgb9'"),
        "NaN in K": (lambda: (image_msg(rgb), _info(k=[float("nan")] + k[1:])),
                     r"intrinsics are not finite: fx=nan"),
        "inf in K": (lambda: (image_msg(rgb), _info(k=k[:4] + [float("inf")] + k[5:])),
                     r"intrinsics are not finite: fx=\S+ fy=inf"),
        "NaN/inf in D": (lambda: (image_msg(rgb), _info(d=[0.0, float("inf"), float("nan"), 0.0, 0.0])),
                         r"distortion coefficients are not finite"),
        "all-zero K": (lambda: (image_msg(rgb), _info(k=[0.0] * 9)), r"K is all zeros"),
        "unknown distortion model": (lambda: (image_msg(rgb), _info(distortion_model="mystery_lens")),
                                     r"distortion model 'mystery_lens'"),
        "camera_info of another size": (lambda: (image_msg(rgb), _info(width=320, height=240)),
                                        rf"image is {w}x{h} but camera_info describes 320x240"),
    }


def compressed_kinds(rgb: np.ndarray, rng: np.random.Generator) -> dict:
    good = bytes(jpeg_msg(rgb).data)

    def make(data: bytes, fmt: str = "jpeg"):
        msg = jpeg_msg(rgb)
        msg.format, msg.data = fmt, data
        return msg, None

    return {
        "CompressedImage that is not an image": (lambda: make(rng.bytes(int(rng.integers(1, 50_000)))),
                                                 r"is neither JPEG nor PNG"),
        "empty CompressedImage": (lambda: make(b""), r"compressed image is empty"),
        "truncated JPEG": (lambda: make(good[: int(rng.integers(100, len(good) - 100))]), r"JPEG is truncated"),
        "PNG header claiming 100000x100000": (lambda: make(_png_header(100_000, 100_000) + rng.bytes(100), "png"),
                                              r"compressed image is 100000x100000"),
    }


def _run_node(driver: Driver, kinds: dict, bad: int, good_msgs: list, threads: int, compressed: bool, stamp0: int,
              rng, log, label: str) -> dict:
    driver.new_node()
    params = {"num_threads": threads}
    if compressed:
        params["image_transport"] = "compressed"
    node = NodeProcess(params, label=label)
    names = list(kinds)
    per_kind = {k: {"sent": 0, "refused": 0, "answered": 0} for k in names}
    good_sent = good_missed = 0
    info = info_msg()
    stamp = stamp0
    try:
        node.wait_for_line(r"active: subscribed", 120)
        driver.wait_subscribed(compressed=compressed)
        if driver.serve(good_msgs[0], info, stamp, timeout=10, retries=5) is None:
            raise RuntimeError("drm_node never answered the first frame:\n" + node.output[-3000:])
        driver.wait_counter("frames published", 0, 10)
        log(f"  {label}: node pid {node.pid}, {bad} bad messages over {len(names)} kinds, each followed by a good frame")
        order = [names[i % len(names)] for i in range(bad)]
        rng.shuffle(order)
        for i, kind in enumerate(order):
            stamp += NS // 30
            image, bad_info = kinds[kind][0]()
            refused_before = driver.counter("frames refused (bad input)")
            driver.serve(image, bad_info if bad_info is not None else info, stamp, timeout=0)
            per_kind[kind]["sent"] += 1
            if driver.wait_counter("frames refused (bad input)", refused_before, REFUSE_TIMEOUT):
                per_kind[kind]["refused"] += 1
            if driver.wait_answer(stamp, 0) is not None:
                per_kind[kind]["answered"] += 1  # skeletons for a bad message: never expected
            stamp += NS // 30
            good_sent += 1
            if driver.serve(good_msgs[i % len(good_msgs)], info, stamp, timeout=20) is None:
                good_missed += 1
            if not node.alive():
                raise RuntimeError(f"drm_node died after {i + 1} bad messages:\n" + node.output[-3000:])
            if (i + 1) % 200 == 0:
                log(f"    {i + 1} bad messages sent, {sum(v['refused'] for v in per_kind.values())} refused, "
                    f"{good_sent - good_missed}/{good_sent} good frames answered", flush=True)
        time.sleep(1.0)
    finally:
        crash = node.stop()
    out = node.output
    error_lines = sum(1 for line in out.splitlines() if "[ERROR]" in line)
    # what the node said, by wording (numbers masked): shows refusals that were not the bad
    # message's own problem, e.g. a good frame's camera_info arriving late
    said = Counter(family_of(line.split("]: ", 1)[-1])[:150] for line in out.splitlines()
                   if "[ERROR]" in line or "[WARN]" in line)
    log(f"  {label}: the node's error/warning lines by wording (numbers masked, first 150 characters):")
    for text, count in said.most_common():
        log(f"    {count:4d} x {text}")
    for kind in names:
        per_kind[kind]["log_lines"] = len(re.findall(kinds[kind][1], out))
    return {"per_kind": per_kind, "bad_messages_sent": bad, "good_frames_sent": good_sent,
            "good_frames_missed": good_missed, "error_log_lines": error_lines, "node": crash}


def run(driver: Driver, bad: int = 1_000, threads: int = 2, seed: int = 14, log=print) -> dict:
    rng = np.random.default_rng(seed)
    frames = real_frames()
    raw, comp = raw_kinds(frames[0], rng), compressed_kinds(frames[0], rng)
    n_comp = round(bad * len(comp) / (len(raw) + len(comp)))
    log(f"garbage: {bad} malformed messages ({len(raw) + len(comp)} kinds) interleaved with good 640x480 frames, "
        f"lockstep; a bad message counts as refused when the node's refused counter (/diagnostics) rises "
        f"within {REFUSE_TIMEOUT:.0f} s")
    parts = [_run_node(driver, raw, bad - n_comp, [image_msg(f) for f in frames], threads, False, 4_000_000 * NS, rng,
                       log, "raw"),
             _run_node(driver, comp, n_comp, [jpeg_msg(f) for f in frames], threads, True, 5_000_000 * NS, rng, log,
                       "compressed")]
    per_kind = {**parts[0]["per_kind"], **parts[1]["per_kind"]}
    log(f"  {'kind':<38} | {'sent':>4} | {'refused':>7} | {'answered':>8} | log lines naming it")
    for kind, v in per_kind.items():
        log(f"  {kind:<38} | {v['sent']:4d} | {v['refused']:7d} | {v['answered']:8d} | {v['log_lines']}")
    result = {
        "bad_messages_sent": sum(v["sent"] for v in per_kind.values()),
        "bad_messages_refused": sum(v["refused"] for v in per_kind.values()),
        "bad_messages_answered": sum(v["answered"] for v in per_kind.values()),
        "kinds": len(per_kind), "kinds_logged": sum(v["log_lines"] > 0 for v in per_kind.values()),
        "frames_sent": sum(p["good_frames_sent"] for p in parts),
        "good_frames_missed": sum(p["good_frames_missed"] for p in parts),
        "error_log_lines": sum(p["error_log_lines"] for p in parts),
        "crashes": sum(p["node"]["crashes"] for p in parts), "per_kind": per_kind,
        "nodes": [p["node"] for p in parts],
    }
    result["frames_answered"] = result["frames_sent"] - result["good_frames_missed"]
    log(f"garbage: {result['bad_messages_sent']} bad messages, {result['bad_messages_refused']} refused, "
        f"{result['bad_messages_answered']} answered; {result['frames_answered']}/{result['frames_sent']} good frames "
        f"answered ({result['good_frames_missed']} missed); {result['kinds_logged']}/{result['kinds']} kinds in the log "
        f"({result['error_log_lines']} error lines in all: throttled); crashes {result['crashes']}")
    return result
