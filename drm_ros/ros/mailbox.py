"""A one-slot mailbox: the producer always overwrites, the consumer always gets the newest.

Camera frames arrive faster than inference on a CPU; queueing them would make latency grow
without bound. The executor thread `put`s each frame (replacing an unconsumed one, which is
counted as dropped) and the single inference thread `take`s whatever is newest.
"""
from __future__ import annotations

import threading
from typing import Any


class LatestMailbox:
    def __init__(self):
        self._cond = threading.Condition()
        self._item: Any = None
        self._full = False
        self._closed = False

    def put(self, item) -> bool:
        """Store item; True if it replaced one nobody took (a dropped frame)."""
        with self._cond:
            replaced = self._full
            self._item, self._full = item, True
            self._cond.notify()
            return replaced

    def take(self, timeout: float | None = None):
        """The newest item, or None on timeout or after close()."""
        with self._cond:
            self._cond.wait_for(lambda: self._full or self._closed, timeout)
            if self._closed or not self._full:
                return None
            item, self._item, self._full = self._item, None, False
            return item

    @property
    def depth(self) -> int:
        """Items waiting: 0 or 1, by construction."""
        with self._cond:
            return int(self._full)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def reopen(self) -> None:
        with self._cond:
            self._closed, self._item, self._full = False, None, False
