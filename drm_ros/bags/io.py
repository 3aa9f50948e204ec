"""Open rosbag2 files for writing/reading with our typestore (mcap by default)."""
from __future__ import annotations

from pathlib import Path

from rosbags.rosbag2 import Reader, StoragePlugin, Writer

from drm_ros.bags.typestore import typestore


class BagWriter:
    """A rosbag2 writer that serialises rosbags message objects: `write(topic, msg, t_ns)`.
    Connections are added on the first message of each topic."""

    def __init__(self, path: str | Path, storage: str = "mcap"):
        path = Path(path)
        if path.exists():
            raise FileExistsError(f"bag {path} already exists (rosbag2 writes a new directory)")
        plugin = {"mcap": StoragePlugin.MCAP, "sqlite3": StoragePlugin.SQLITE3}.get(storage)
        if plugin is None:
            raise ValueError(f"unknown bag storage '{storage}' (mcap or sqlite3)")
        self._writer = Writer(path, version=8, storage_plugin=plugin)
        self._connections = {}
        self._store = typestore()

    def __enter__(self) -> "BagWriter":
        self._writer.open()
        return self

    def __exit__(self, *exc) -> None:
        self._writer.close()

    def write(self, topic: str, msg, timestamp_ns: int) -> None:
        conn = self._connections.get(topic)
        if conn is None:
            conn = self._connections[topic] = self._writer.add_connection(topic, msg.__msgtype__, typestore=self._store)
        self._writer.write(conn, int(timestamp_ns), self._store.serialize_cdr(msg, msg.__msgtype__))


def read_messages(path: str | Path, topics: list[str] | None = None):
    """Yield (topic, timestamp_ns, message object) in bag order."""
    store = typestore()
    with Reader(Path(path)) as reader:
        conns = [c for c in reader.connections if topics is None or c.topic in topics]
        for conn, t, raw in reader.messages(connections=conns):
            yield conn.topic, t, store.deserialize_cdr(raw, conn.msgtype)
