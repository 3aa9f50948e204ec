"""Static transforms without tf2_ros (no registry ships it): subscribe /tf_static
(tf2_msgs/TFMessage, reliable + transient local, so late joiners get every latched message),
keep every static edge, and chain them between two frames.

`TfStaticBuffer.lookup(target, source)` returns (R, t) with X_target = R X_source + t, walking
the static tree in either direction (edges are inverted as needed), or None while the frames are
not connected. Only static transforms: a camera on a moving joint needs real TF.
"""
from __future__ import annotations

import threading
from collections import deque

import numpy as np
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy

TF_STATIC_QOS = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=100, reliability=ReliabilityPolicy.RELIABLE,
                           durability=DurabilityPolicy.TRANSIENT_LOCAL)


def quaternion_matrix(x: float, y: float, z: float, w: float) -> np.ndarray:
    q = np.array([x, y, z, w], dtype=np.float64)
    n = np.linalg.norm(q)
    if not np.isfinite(n) or n < 1e-9:
        raise ValueError(f"invalid quaternion {q}")
    x, y, z, w = q / n
    return np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                     [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                     [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]])


class TfStaticBuffer:
    def __init__(self):
        self._edges: dict[str, tuple[str, np.ndarray, np.ndarray]] = {}  # child -> (parent, R, t)
        self._lock = threading.Lock()

    def add(self, msg) -> None:
        """File a TFMessage's transforms (bad quaternions are skipped: one bad edge must not stop the rest)."""
        with self._lock:
            for tf in msg.transforms:
                r, t = tf.transform.rotation, tf.transform.translation
                try:
                    R = quaternion_matrix(r.x, r.y, r.z, r.w)
                except ValueError:
                    continue
                child, parent = tf.child_frame_id.lstrip("/"), tf.header.frame_id.lstrip("/")
                self._edges[child] = (parent, R, np.array([t.x, t.y, t.z], dtype=np.float64))

    def frames(self) -> set[str]:
        with self._lock:
            return set(self._edges) | {p for p, _, _ in self._edges.values()}

    def lookup(self, target: str, source: str):
        """(R, t) mapping source-frame coordinates into target-frame ones, or None."""
        target, source = target.lstrip("/"), source.lstrip("/")
        with self._lock:
            neighbours: dict[str, list] = {}
            for child, (parent, R, t) in self._edges.items():
                neighbours.setdefault(child, []).append((parent, R, t))  # child -> parent: X_p = R X_c + t
                neighbours.setdefault(parent, []).append((child, R.T, -R.T @ t))
        if source == target:
            return np.eye(3), np.zeros(3)
        seen = {source: (np.eye(3), np.zeros(3))}  # frame -> transform source -> frame
        queue = deque([source])
        while queue:
            frame = queue.popleft()
            R0, t0 = seen[frame]
            for nxt, R, t in neighbours.get(frame, []):
                if nxt not in seen:
                    seen[nxt] = (R @ R0, R @ t0 + t)
                    if nxt == target:
                        return seen[nxt]
                    queue.append(nxt)
        return None
