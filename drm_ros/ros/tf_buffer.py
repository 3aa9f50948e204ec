"""Transforms without tf2_ros (no registry ships it): /tf_static and /tf (tf2_msgs/TFMessage)
filed by their child frame, and chained between two frames at an image's time.

`TfBuffer.lookup(target, source, stamp_ns)` returns (R, t, moving) with X_target = R X_source + t,
walking the tree in either direction (edges are inverted as needed); `moving` says whether the
chain holds a /tf edge, whose transform is then interpolated at `stamp_ns` (linear in the
translation, spherical in the rotation) between the two samples around it. Like tf2 it does not
extrapolate into the past; into the future it holds the newest sample for at most
`future_tolerance_ns` (the transform of a head joint usually arrives a little after the image it
belongs to; beyond that the lookup fails and the caller tries the next image). Lookups that
cannot be answered raise `TfLookupError` with the reason in one line.
"""
from __future__ import annotations

import bisect
import threading
from collections import deque

import numpy as np
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy

TF_STATIC_QOS = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=100, reliability=ReliabilityPolicy.RELIABLE,
                           durability=DurabilityPolicy.TRANSIENT_LOCAL)
TF_QOS = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=100, reliability=ReliabilityPolicy.RELIABLE,
                    durability=DurabilityPolicy.VOLATILE)  # what tf2's listeners use for /tf
CACHE_NS = 10_000_000_000  # a /tf edge keeps this much history behind its newest sample (tf2's default)
FUTURE_TOLERANCE_NS = 100_000_000


class TfLookupError(LookupError):
    pass


def quaternion_matrix(x: float, y: float, z: float, w: float) -> np.ndarray:
    q = _unit_quaternion(x, y, z, w)
    x, y, z, w = q
    return np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                     [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                     [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]])


def _unit_quaternion(x: float, y: float, z: float, w: float) -> np.ndarray:
    q = np.array([x, y, z, w], dtype=np.float64)
    n = np.linalg.norm(q)
    if not np.isfinite(n) or n < 1e-9:
        raise ValueError(f"invalid quaternion {q}")
    return q / n


def slerp(q0: np.ndarray, q1: np.ndarray, a: float) -> np.ndarray:
    """Unit quaternion a of the way from q0 to q1 along the shorter arc."""
    dot = float(q0 @ q1)
    if dot < 0:
        q1, dot = -q1, -dot
    if dot > 0.9995:  # nearly equal: linear is exact enough and avoids dividing by sin(~0)
        q = q0 + a * (q1 - q0)
        return q / np.linalg.norm(q)
    theta = np.arccos(dot)
    return (np.sin((1 - a) * theta) * q0 + np.sin(a * theta) * q1) / np.sin(theta)


class _MovingEdge:
    """One /tf edge: its samples sorted by time, the oldest dropped beyond CACHE_NS."""

    def __init__(self, parent: str):
        self.parent = parent
        self.stamps: deque[int] = deque()
        self.samples: deque[tuple[np.ndarray, np.ndarray]] = deque()  # (quaternion, translation)

    def add(self, stamp_ns: int, q: np.ndarray, t: np.ndarray) -> None:
        i = bisect.bisect_left(self.stamps, stamp_ns)
        if i < len(self.stamps) and self.stamps[i] == stamp_ns:
            self.samples[i] = (q, t)  # a re-sent sample replaces the old one
            return
        self.stamps.insert(i, stamp_ns)
        self.samples.insert(i, (q, t))
        while self.stamps and self.stamps[0] < self.stamps[-1] - CACHE_NS:
            self.stamps.popleft()
            self.samples.popleft()

    def at(self, stamp_ns: int, child: str) -> tuple[np.ndarray, np.ndarray]:
        first, last = self.stamps[0], self.stamps[-1]
        if stamp_ns >= last:
            if stamp_ns - last > FUTURE_TOLERANCE_NS:
                raise TfLookupError(f"'{self.parent}' -> '{child}' on /tf is known only up to "
                                    f"{(stamp_ns - last) * 1e-9:.3f} s before the image")
            q, t = self.samples[-1]
        elif stamp_ns < first:
            raise TfLookupError(f"'{self.parent}' -> '{child}' on /tf is known only from "
                                f"{(first - stamp_ns) * 1e-9:.3f} s after the image (older images than the cache)")
        else:
            i = bisect.bisect_right(self.stamps, stamp_ns)  # stamps[i - 1] <= stamp < stamps[i]
            (q0, t0), (q1, t1) = self.samples[i - 1], self.samples[i]
            a = (stamp_ns - self.stamps[i - 1]) / (self.stamps[i] - self.stamps[i - 1])
            q, t = slerp(q0, q1, a), t0 + a * (t1 - t0)
        return quaternion_matrix(*q), t


class TfBuffer:
    def __init__(self):
        self._static: dict[str, tuple[str, np.ndarray, np.ndarray]] = {}  # child -> (parent, R, t)
        self._moving: dict[str, _MovingEdge] = {}  # child -> its /tf samples
        self._lock = threading.Lock()
        self.version = 0  # grows whenever a static edge or the tree's shape changes: cached lookups are stale

    def add_static(self, msg) -> None:
        """File a /tf_static TFMessage (bad quaternions are skipped: one bad edge must not stop the rest)."""
        with self._lock:
            for child, parent, _, q, t in _parse(msg):
                self._static[child] = (parent, quaternion_matrix(*q), t)
                self._moving.pop(child, None)
                self.version += 1

    def add(self, msg) -> None:
        """File a /tf TFMessage."""
        with self._lock:
            for child, parent, stamp, q, t in _parse(msg):
                edge = self._moving.get(child)
                if edge is None or edge.parent != parent:  # a new edge, or the tree was rearranged
                    edge = self._moving[child] = _MovingEdge(parent)
                    self.version += 1
                if self._static.pop(child, None) is not None:
                    self.version += 1
                edge.add(stamp, q, t)

    def frames(self) -> set[str]:
        with self._lock:
            return self._frames_unlocked()

    def lookup(self, target: str, source: str, stamp_ns: int = 0) -> tuple[np.ndarray, np.ndarray, bool]:
        """(R, t, moving) mapping source-frame coordinates into target-frame ones at `stamp_ns`."""
        target, source = target.lstrip("/"), source.lstrip("/")
        if source == target:
            return np.eye(3), np.zeros(3), False
        with self._lock:
            path = self._path(source, target)
            if path is None:
                raise TfLookupError(f"no transform chain from '{target}' to '{source}' on /tf_static or /tf yet "
                                    f"(known frames: {', '.join(sorted(self._frames_unlocked())) or 'none'})")
            R_acc, t_acc, moving = np.eye(3), np.zeros(3), False
            for child, upward in path:  # each step crosses the edge child -> parent, up or down
                if child in self._static:
                    _, R, t = self._static[child]
                else:
                    R, t = self._moving[child].at(stamp_ns, child)
                    moving = True
                if not upward:
                    R, t = R.T, -R.T @ t
                R_acc, t_acc = R @ R_acc, R @ t_acc + t
        return R_acc, t_acc, moving

    def _frames_unlocked(self) -> set[str]:
        return (set(self._static) | {p for p, _, _ in self._static.values()}
                | set(self._moving) | {e.parent for e in self._moving.values()})

    def _path(self, source: str, target: str):
        """Breadth-first over the edges: [(child of the edge, True if walked child -> parent)]."""
        neighbours: dict[str, list] = {}
        parents = {**{c: p for c, (p, _, _) in self._static.items()}, **{c: e.parent for c, e in self._moving.items()}}
        for child, parent in parents.items():
            neighbours.setdefault(child, []).append((parent, child, True))
            neighbours.setdefault(parent, []).append((child, child, False))
        came = {source: None}
        queue = deque([source])
        while queue:
            frame = queue.popleft()
            for nxt, edge_child, upward in neighbours.get(frame, []):
                if nxt in came:
                    continue
                came[nxt] = (frame, edge_child, upward)
                if nxt == target:
                    steps = []
                    while came[nxt] is not None:
                        prev, edge_child, upward = came[nxt]
                        steps.append((edge_child, upward))
                        nxt = prev
                    return steps[::-1]
                queue.append(nxt)
        return None


def _parse(msg):
    """(child, parent, stamp_ns, unit quaternion, translation) of each valid transform."""
    for tf in msg.transforms:
        r, t = tf.transform.rotation, tf.transform.translation
        try:
            q = _unit_quaternion(r.x, r.y, r.z, r.w)
        except ValueError:
            continue
        stamp = tf.header.stamp.sec * 1_000_000_000 + tf.header.stamp.nanosec
        yield (tf.child_frame_id.lstrip("/"), tf.header.frame_id.lstrip("/"), stamp, q,
               np.array([t.x, t.y, t.z], dtype=np.float64))
