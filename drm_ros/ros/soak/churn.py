"""Lifecycle churn: K configure / activate / deactivate / cleanup cycles through the node's
lifecycle services (as a lifecycle manager drives them) while a camera streams 640x480 at 30 Hz.
After each activate, skeletons must flow again (an answer for a frame sent after the activate);
after each cleanup the node's threads, fds and RSS are read from /proc."""
from __future__ import annotations

import time

import numpy as np

from drm_ros.ros.soak.rig import NODE, Driver, NodeProcess, Streamer, real_frames

WARMUP_CYCLES = 5  # allocator arenas, the first trace per shape (kept for the process), DDS buffers


def _growth(values: list[float]) -> float:
    """Median of the last 10 readings after warm-up minus the median of the first 10 (single RSS
    readings swing by several MB as allocator arenas fill and drain)."""
    rest = np.asarray(values[WARMUP_CYCLES:], dtype=float)
    if len(rest) < 2:
        return float(values[-1] - values[0]) if values else float("nan")
    n = max(1, min(10, len(rest) // 2))
    return float(np.median(rest[-n:]) - np.median(rest[:n]))


def run(driver: Driver, cycles: int = 100, threads: int = 2, flow_timeout: float = 60.0, log=print) -> dict:
    from lifecycle_msgs.msg import Transition

    driver.new_node()
    node = NodeProcess({"lifecycle": "true", "num_threads": threads}, label="churn")
    streamer = None
    rows, failures = [], []
    try:
        base = None
        deadline = time.monotonic() + 120
        while base is None:  # the lifecycle services appear once the node process is up
            try:
                state = driver.state()
                base = node.stats()
            except RuntimeError:
                if time.monotonic() > deadline or not node.alive():
                    raise
        log(f"churn: {cycles} x configure / activate / skeletons flow / deactivate / cleanup via "
            f"{NODE}/change_state while 640x480 frames stream at 30 Hz; node pid {node.pid} "
            f"(state '{state}': {base['threads']} threads, {base['fds']} fds, {base['rss_mb']:.1f} MB)")
        streamer = Streamer(driver, real_frames()).start()
        log(f"{'cycle':>5} | {'rss MB':>7} | {'threads':>7} | {'fds':>4} | {'state':>12} | flow s | cycle s")
        for i in range(cycles):
            t0 = time.monotonic()
            ok = True
            for t, name in [(Transition.TRANSITION_CONFIGURE, "configure"), (Transition.TRANSITION_ACTIVATE, "activate")]:
                if ok and not driver.transition(t):
                    failures.append(f"cycle {i + 1}: {name} failed")
                    ok = False
            flowed = None
            if ok:
                after = time.time_ns()  # any frame stamped after activate
                t_act = time.monotonic()
                deadline = t_act + flow_timeout
                while time.monotonic() < deadline and flowed is None:
                    newest = max(driver.answered, default=0)
                    if newest > after:
                        flowed = time.monotonic() - t_act
                    time.sleep(0.02)
                if flowed is None:
                    failures.append(f"cycle {i + 1}: no skeletons within {flow_timeout:.0f} s of activate")
            for t, name in [(Transition.TRANSITION_DEACTIVATE, "deactivate"), (Transition.TRANSITION_CLEANUP,
                                                                                "cleanup")]:
                if ok and not driver.transition(t):
                    failures.append(f"cycle {i + 1}: {name} failed")
            state = driver.state()
            row = {"cycle": i + 1, **node.stats(), "state": state, "flow_s": flowed,
                   "cycle_s": round(time.monotonic() - t0, 2)}
            rows.append(row)
            log(f"{row['cycle']:5d} | {row['rss_mb']:7.1f} | {row['threads']:7d} | {row['fds']:4d} | {state:>12} | "
                f"{'  none' if flowed is None else f'{flowed:6.2f}'} | {row['cycle_s']:7.2f}", flush=True)
    finally:
        if streamer is not None:
            streamer.stop()
        crash = node.stop()
    first = rows[0] if rows else base
    last = rows[-1] if rows else base
    result = {
        "cycles": len(rows), "cycles_with_skeletons": sum(r["flow_s"] is not None for r in rows),
        "ended_unconfigured": sum(r["state"] == "unconfigured" for r in rows),
        "threads_before": base["threads"], "threads_start": first["threads"], "threads_end": last["threads"],
        "threads_max_after_first": max((r["threads"] for r in rows[1:]), default=first["threads"]),
        "fds_before": base["fds"], "fds_start": first["fds"], "fds_end": last["fds"],
        "fds_max_after_first": max((r["fds"] for r in rows[1:]), default=first["fds"]),
        "rss_start_mb": round(first["rss_mb"], 1), "rss_end_mb": round(last["rss_mb"], 1),
        "rss_growth_mb": round(_growth([r["rss_mb"] for r in rows]), 1), "warmup_cycles": WARMUP_CYCLES,
        "flow_s_median": float(np.median([r["flow_s"] for r in rows if r["flow_s"] is not None])) if rows else None,
        "frames_streamed": len(streamer.sent) if streamer else 0, "failures": failures[:20],
        "failure_count": len(failures), "table": rows, **crash,
    }
    log(f"churn: {result['cycles']} cycles, skeletons after {result['cycles_with_skeletons']} activates, "
        f"{result['ended_unconfigured']} ended unconfigured, {len(failures)} failures; threads "
        f"{result['threads_start']} -> {result['threads_end']} (max {result['threads_max_after_first']} after cycle 1), "
        f"fds {result['fds_start']} -> {result['fds_end']} (max {result['fds_max_after_first']}), RSS "
        f"{result['rss_start_mb']} -> {result['rss_end_mb']} MB, growth after {WARMUP_CYCLES} warm-up cycles "
        f"{result['rss_growth_mb']:+.1f} MB (median of last 10 - first 10); node exit code {crash['exit_code']}, "
        f"crashes {crash['crashes']}")
    return result
