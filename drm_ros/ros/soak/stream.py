"""Soak phase: N real 640x480 frames at 30 Hz into a running drm_node; its RSS, threads and fds
every `every` frames, and its queue depths (from /diagnostics). The node drops frames when
inference is slower than the camera (one-slot mailbox): answered vs sent is counted, not required."""
from __future__ import annotations

import time

from drm_ros.ros.soak.rig import Driver, NodeProcess, _time, image_msg, info_msg, real_frames

WARMUP_FRAMES = 500  # allocator pools, DDS buffers, the first traces: growth is measured after this


def run(driver: Driver, frames: int = 10_000, rate_hz: float = 30.0, every: int = 500, threads: int = 2,
        log=print) -> dict:
    driver.new_node()
    node = NodeProcess({"num_threads": threads}, label="soak")
    try:
        node.wait_for_line(r"active: subscribed", 120)
        driver.wait_subscribed()
        images = [image_msg(f) for f in real_frames()]
        info = info_msg()
        if driver.serve(images[0], info, time.time_ns(), timeout=10, retries=5) is None:
            raise RuntimeError("drm_node never answered the first frame:\n" + node.output[-3000:])
        start = node.stats()
        log(f"soak: {frames} frames of {images[0].width}x{images[0].height} rgb8 at {rate_hz:.0f} Hz "
            f"(the {len(images)} vtest frames cycled), reliable QoS; node pid {node.pid}")
        log(f"{'frame':>6} | {'rss MB':>7} | {'threads':>7} | {'fds':>4} | {'answered':>8} | {'node recv':>9} | "
            f"{'published':>9} | {'dropped':>7} | {'refused':>7} | waiting/held/mailbox (max)")
        table = [{"frame": 0, **start, "answered": 0}]
        log(f"{0:6d} | {start['rss_mb']:7.1f} | {start['threads']:7d} | {start['fds']:4d} | {0:8d} |")
        sent: list[int] = []
        t0 = time.monotonic()
        for k in range(frames):
            image = images[k % len(images)]
            stamp = time.time_ns()
            image.header.stamp = info.header.stamp = _time(stamp)
            driver.publish(image, info)
            sent.append(stamp)
            if (k + 1) % every == 0 or k + 1 == frames:
                if k + 1 == frames:
                    time.sleep(1.0)  # the last frame's answer
                row = {"frame": k + 1, **node.stats(), "answered": driver.count_answered(sent),
                       **{key: driver.counter(key) for key in ("frames received", "frames published",
                                                                "frames dropped (stale)", "frames refused (bad input)")}}
                table.append(row)
                depths = driver.max_depths
                log(f"{row['frame']:6d} | {row['rss_mb']:7.1f} | {row['threads']:7d} | {row['fds']:4d} | "
                    f"{row['answered']:8d} | {row['frames received']:9d} | {row['frames published']:9d} | "
                    f"{row['frames dropped (stale)']:7d} | {row['frames refused (bad input)']:7d} | "
                    f"{depths['images waiting for camera_info']}/{depths['camera_infos held']}/{depths['mailbox']}", flush=True)
            time.sleep(max(0.0, t0 + (k + 1) / rate_hz - time.monotonic()))  # pacing
        wall = time.monotonic() - t0
        end = table[-1]
        warm = next((r for r in table if r["frame"] >= WARMUP_FRAMES), table[0])
        answered = end["answered"]
    finally:
        crash = node.stop()
    result = {
        "frames_sent": len(sent), "frames_answered": answered, "wall_s": round(wall, 1),
        "send_rate_hz": round(len(sent) / wall, 2), "answer_rate_hz": round(answered / wall, 2),
        "rss_start_mb": round(start["rss_mb"], 1), "rss_after_warmup_mb": round(warm["rss_mb"], 1),
        "rss_end_mb": round(end["rss_mb"], 1), "rss_growth_mb": round(end["rss_mb"] - warm["rss_mb"], 1),
        "rss_max_mb": round(max(r["rss_mb"] for r in table), 1), "warmup_frames": warm["frame"],
        "threads_start": start["threads"], "threads_end": end["threads"], "fds_start": start["fds"],
        "fds_end": end["fds"], "max_images_waiting_for_camera_info": driver.max_depths["images waiting for camera_info"],
        "max_camera_infos_held": driver.max_depths["camera_infos held"], "max_mailbox": driver.max_depths["mailbox"],
        "node_dropped": end.get("frames dropped (stale)"), "node_refused": end.get("frames refused (bad input)"),
        "table": table, **crash,
    }
    log(f"soak: {answered}/{len(sent)} frames answered in {wall:.0f} s ({result['answer_rate_hz']} Hz out); "
        f"RSS {result['rss_start_mb']} MB after the first frame, {result['rss_after_warmup_mb']} MB after "
        f"{result['warmup_frames']} frames, {result['rss_end_mb']} MB at the end: growth after warm-up "
        f"{result['rss_growth_mb']:+.1f} MB; threads {result['threads_start']} -> {result['threads_end']}, "
        f"fds {result['fds_start']} -> {result['fds_end']}; queue depths max: {result['max_images_waiting_for_camera_info']} "
        f"images waiting for camera_info, {result['max_camera_infos_held']} camera_infos held; node exit code "
        f"{crash['exit_code']}, crashes {crash['crashes']}")
    return result
