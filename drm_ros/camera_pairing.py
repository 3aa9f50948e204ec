"""Pair each image with the camera_info carrying the same header stamp (no ROS imports).

Why: a camera whose intrinsics change (zoom, per-frame calibration, a bag of mixed cameras)
must never have a frame lifted with another frame's K; pairing with "the latest" camera_info
did exactly that whenever an image overtook its camera_info across topics. The rule, as
image_transport's CameraSubscriber: exact header stamps. An image whose camera_info has not
arrived waits (bounded by `wait_s`). When the wait runs out, or a newer camera_info shows that
the image's own will not come, the latest calibration is used only if it equals the one before
it (K, D, size, model: the calibration is evidently constant), and that is reported once;
otherwise the frame is refused with a reason. A different calibration is never used silently.

Times are plain floats (monotonic seconds) passed in by the caller, so this is testable without
clocks; stamps are integer nanoseconds. Thread-safe (one lock): ROS callbacks and a timer call it.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from drm_ros.camera import Camera


@dataclass(frozen=True)
class Paired:
    """An image released for processing with its camera, or with the reason it has none."""

    item: Any
    stamp_ns: int
    camera: Camera | None
    problem: str = ""  # why camera is None
    notice: str = ""  # set on the first fallback to an unpaired (but unchanged) calibration


@dataclass
class _Pending:
    stamp_ns: int
    item: Any
    deadline: float


class CameraInfoPairing:
    def __init__(self, wait_s: float, info_topic: str = "camera_info", keep_infos: int = 64, keep_images: int = 4,
                 since: str = ""):
        self.wait_s = float(wait_s)
        self.info_topic = info_topic
        self.since = since  # appended to "no camera_info received yet ...", e.g. "since the node was cleaned up"
        self._keep_infos, self._keep_images = keep_infos, keep_images
        self._infos: OrderedDict[int, Camera | str] = OrderedDict()  # stamp -> Camera or why it is unusable
        self._newest_info_stamp: int | None = None
        self._pending: list[_Pending] = []  # oldest first
        self._noticed = False
        self._lock = threading.Lock()
        self.exact = self.fallbacks = 0  # counters for diagnostics and tests

    # ------------------------------------------------------------------ inputs
    def add_info(self, stamp_ns: int, camera_or_problem: Camera | str, now: float) -> tuple[list[Paired], int]:
        """A camera_info (already converted; a str says why it is unusable). Returns the images it
        releases and how many older waiting images became stale (dropped)."""
        with self._lock:
            self._infos.pop(stamp_ns, None)
            self._infos[stamp_ns] = camera_or_problem
            while len(self._infos) > self._keep_infos:
                self._infos.popitem(last=False)
            if self._newest_info_stamp is None or stamp_ns > self._newest_info_stamp:
                self._newest_info_stamp = stamp_ns
            return self._release(now)

    def add_image(self, stamp_ns: int, item: Any, now: float) -> tuple[list[Paired], int]:
        """An image. Released at once when its camera_info is here (or provably never coming),
        else held until its camera_info arrives or `wait_s` passes."""
        with self._lock:
            self._pending.append(_Pending(stamp_ns, item, now + self.wait_s))
            dropped = 0
            while len(self._pending) > self._keep_images:
                self._pending.pop(0)
                dropped += 1
            ready, stale = self._release(now)
            return ready, stale + dropped

    def expire(self, now: float) -> tuple[list[Paired], int]:
        """Release images whose wait has run out (call periodically)."""
        with self._lock:
            return self._release(now)

    def depths(self) -> tuple[int, int]:
        """(images waiting for their camera_info, camera_infos held): both bounded by the
        constructor's keep_images / keep_infos, reported on /diagnostics."""
        with self._lock:
            return len(self._pending), len(self._infos)

    @property
    def latest_camera(self) -> Camera | None:
        with self._lock:
            last = next(reversed(self._infos.values()), None) if self._infos else None
            return last if isinstance(last, Camera) else None

    # ------------------------------------------------------------------ decisions
    def _release(self, now: float) -> tuple[list[Paired], int]:
        """Decide the newest decidable waiting image; older waiting ones are then stale (the node
        serves the newest frame only), newer ones keep waiting."""
        for i in range(len(self._pending) - 1, -1, -1):
            p = self._pending[i]
            decided = self._decide(p, now)
            if decided is not None:
                stale = i
                del self._pending[: i + 1]
                return [decided], stale
        return [], 0

    def _decide(self, p: _Pending, now: float) -> Paired | None:
        own = self._infos.get(p.stamp_ns)
        if own is not None:
            self.exact += 1
            if isinstance(own, Camera):
                return Paired(p.item, p.stamp_ns, own)
            return Paired(p.item, p.stamp_ns, None, f"camera_info is unusable: {own}")
        newer_arrived = self._newest_info_stamp is not None and self._newest_info_stamp > p.stamp_ns
        if now < p.deadline and not newer_arrived:
            return None  # its camera_info may still be on the way
        return self._fallback(p)

    def _fallback(self, p: _Pending) -> Paired:
        why = (f"no camera_info with the image's stamp {_fmt(p.stamp_ns)} on {self.info_topic} "
               f"(waited up to {self.wait_s:g} s)")
        if not self._infos:
            return Paired(p.item, p.stamp_ns, None,
                          f"no camera_info received yet on {self.info_topic}" + (f" {self.since}" if self.since else ""))
        values = list(self._infos.items())
        latest_stamp, latest = values[-1]
        if not isinstance(latest, Camera):
            return Paired(p.item, p.stamp_ns, None, f"{why}, and the latest one is unusable: {latest}")
        if len(values) < 2:
            return Paired(p.item, p.stamp_ns, None,
                          f"{why}; only one camera_info so far (stamp {_fmt(latest_stamp)}), so it is unknown whether "
                          f"the calibration is constant: not using it")
        previous = values[-2][1]
        if previous != latest:
            return Paired(p.item, p.stamp_ns, None,
                          f"{why}; the calibration changed between the last two camera_info messages, so the "
                          f"latest one may not describe this image: not using it")
        self.fallbacks += 1
        notice = ""
        if not self._noticed:
            self._noticed = True
            notice = (f"{why}: using the latest camera_info (stamp {_fmt(latest_stamp)}), whose K, D and size equal "
                      f"the previous one's. Normal for a frame or two at start-up; if it keeps happening, the camera "
                      f"driver does not stamp camera_info like its images. This is said once.")
        return Paired(p.item, p.stamp_ns, latest, notice=notice)


def _fmt(stamp_ns: int) -> str:
    sec, nsec = divmod(int(stamp_ns), 1_000_000_000)
    return f"{sec}.{nsec:09d}"
