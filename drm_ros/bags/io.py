"""Open rosbag2 files for writing/reading with our typestore (mcap by default)."""
from __future__ import annotations

from pathlib import Path

from rosbags.rosbag2 import Reader, StoragePlugin, Writer
from rosbags.typesys import Stores, get_types_from_msg, get_typestore

from drm_ros.bags.typestore import PACKAGE, typestore


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


def _store_for(conn):
    """Our typestore, or, for a drm_ros message recorded with an older definition of itself (the
    bag stores each topic's definition), a typestore of that recorded definition: fields added
    since then are simply absent from the objects it reads."""
    store = typestore()
    if not conn.msgtype.startswith(f"{PACKAGE}/") or not conn.digest.startswith("RIHS01_"):
        return store
    if conn.msgtype in store.types and store.hash_rihs01(conn.msgtype) == conn.digest:
        return store
    data = getattr(conn.msgdef, "data", "")
    if not data:
        raise ValueError(f"{conn.topic}: {conn.msgtype} was recorded with another definition than this "
                         "drm_ros's, and the bag does not store it")
    recorded = get_typestore(Stores.ROS2_KILTED)
    recorded.register(get_types_from_msg(data, conn.msgtype))
    return recorded


def read_messages(path: str | Path, topics: list[str] | None = None):
    """Yield (topic, timestamp_ns, message object) in bag order."""
    with Reader(Path(path)) as reader:
        conns = [c for c in reader.connections if topics is None or c.topic in topics]
        stores = {c.id: _store_for(c) for c in conns}
        for conn, t, raw in reader.messages(connections=conns):
            yield conn.topic, t, stores[conn.id].deserialize_cdr(raw, conn.msgtype)
