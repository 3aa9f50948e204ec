"""Pipeline health for /diagnostics: rates, latency, dropped and refused frames, camera_info.

`PipelineStats` is written by the executor thread (frames in, dropped) and the worker thread
(frames out, errors), hence the lock; `report()` turns a window of it into a
diagnostic_msgs/DiagnosticArray and starts the next window.
"""
from __future__ import annotations

import threading
import time

import numpy as np
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue


class PipelineStats:
    def __init__(self):
        self._lock = threading.Lock()
        self.received = self.dropped = self.published = self.refused = 0  # totals
        self.camera_info_status = "no camera_info received yet"
        self.camera_ok = False
        self.last_error = ""
        self._window_start = time.monotonic()
        self._win_received = self._win_published = 0
        self._latencies: list[float] = []  # image stamp -> publish, seconds
        self._compute: list[float] = []  # decode + inference + publish, seconds
        self.frame_period = None  # smoothed input period, seconds (marker lifetime)
        self._last_arrival = None

    def frame_received(self) -> None:
        now = time.monotonic()
        with self._lock:
            self.received += 1
            self._win_received += 1
            if self._last_arrival is not None:
                dt = now - self._last_arrival
                self.frame_period = dt if self.frame_period is None else 0.9 * self.frame_period + 0.1 * dt
            self._last_arrival = now

    def frame_dropped(self) -> None:
        with self._lock:
            self.dropped += 1

    def frame_refused(self, reason: str) -> None:
        with self._lock:
            self.refused += 1
            self.last_error = reason

    def frame_published(self, latency_s: float, compute_s: float) -> None:
        with self._lock:
            self.published += 1
            self._win_published += 1
            self._latencies.append(latency_s)
            self._compute.append(compute_s)

    def camera_info(self, ok: bool, status: str) -> None:
        with self._lock:
            self.camera_ok, self.camera_info_status = ok, status

    def report(self, node_name: str, hardware_id: str, stamp) -> DiagnosticArray:
        with self._lock:
            now = time.monotonic()
            window = max(now - self._window_start, 1e-6)
            rate_in, rate_out = self._win_received / window, self._win_published / window
            lat = np.array(self._latencies) * 1000.0
            comp = np.array(self._compute) * 1000.0
            values = {
                "input rate (Hz)": f"{rate_in:.2f}",
                "output rate (Hz)": f"{rate_out:.2f}",
                "latency mean (ms)": f"{lat.mean():.1f}" if lat.size else "n/a",
                "latency max (ms)": f"{lat.max():.1f}" if lat.size else "n/a",
                "compute mean (ms)": f"{comp.mean():.1f}" if comp.size else "n/a",
                "frames received": str(self.received),
                "frames published": str(self.published),
                "frames dropped (stale)": str(self.dropped),
                "frames refused (bad input)": str(self.refused),
                "camera_info": self.camera_info_status,
                "last error": self.last_error or "none",
            }
            if not self.camera_ok:
                level, message = DiagnosticStatus.ERROR, f"no usable camera_info: {self.camera_info_status}"
            elif self._win_received and not self._win_published:
                level, message = DiagnosticStatus.WARN, "images arrive but nothing is published: " + (self.last_error or "?")
            elif self.received == 0:
                level, message = DiagnosticStatus.WARN, "no images received yet"
            else:
                level, message = DiagnosticStatus.OK, f"{rate_out:.1f} Hz"
            self._window_start = now
            self._win_received = self._win_published = 0
            self._latencies, self._compute = [], []
        status = DiagnosticStatus(level=level, name=f"{node_name}: pose pipeline", message=message,
                                  hardware_id=hardware_id,
                                  values=[KeyValue(key=k, value=v) for k, v in values.items()])
        out = DiagnosticArray(status=[status])
        out.header.stamp = stamp
        return out
