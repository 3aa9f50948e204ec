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

    def open(self) -> "BagWriter":
        self._writer.open()
        return self

    def close(self) -> None:
        self._writer.close()

    def __enter__(self) -> "BagWriter":
        return self.open()

    def __exit__(self, *exc) -> None:
        self.close()

    def add_topic(self, topic: str, msgtype: str) -> None:
        if topic not in self._connections:
            self._connections[topic] = self._writer.add_connection(topic, msgtype, typestore=self._store)

    def write(self, topic: str, msg, timestamp_ns: int) -> None:
        self.add_topic(topic, msg.__msgtype__)
        self.write_raw(topic, self._store.serialize_cdr(msg, msg.__msgtype__), timestamp_ns)

    def write_raw(self, topic: str, cdr: bytes, timestamp_ns: int) -> None:
        """Already serialised CDR (as received by a raw subscription) on a topic added before."""
        self._writer.write(self._connections[topic], int(timestamp_ns), cdr)


def read_messages(path: str | Path, topics: list[str] | None = None):
    """Yield (topic, timestamp_ns, message object) in bag order."""
    store = typestore()
    with Reader(Path(path)) as reader:
        conns = [c for c in reader.connections if topics is None or c.topic in topics]
        for conn, t, raw in reader.messages(connections=conns):
            yield conn.topic, t, store.deserialize_cdr(raw, conn.msgtype)
