"""Which input errors to log: every distinct problem at least once, none of them flooding.

A problem is its exact message: "truncated: 921599 bytes ..." (one byte short) and "truncated:
460800 bytes ..." (half the data) are different problems, and so are "empty size 0x480" and
"640x0". Keying the throttle on the text with its numbers masked (as the node did before issue
16) merged them: the first one logged, the others hid behind it for the whole throttle period.

- A problem is logged when it first appears, then at most once per `period_s` while it repeats.
- Flood guard: messages that share a wording (same text with numbers masked, a "family") and
  appear for the first time are logged at most `family_burst` per period; a camera sending a
  different broken size every frame cannot flood the log. What was held back is counted and
  said on the family's next line.
- At most `max_problems` problems (oldest forgotten first) and families are remembered, so
  endless distinct garbage cannot grow memory.
"""
from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from typing import Callable

_NUMBER = re.compile(r"\d+(\.\d+)?")


def family_of(text: str) -> str:
    """The wording of a message without its numbers."""
    return _NUMBER.sub("#", text)


class ErrorThrottle:
    def __init__(self, period_s: float, family_burst: int = 5, max_problems: int = 256,
                 clock: Callable[[], float] = time.monotonic):
        self.period_s = float(period_s)
        self.family_burst = int(family_burst)
        self.max_problems = int(max_problems)
        self._clock = clock
        self._last_logged: OrderedDict[str, float] = OrderedDict()  # problem -> when last logged
        self._family_new: dict[str, list[float]] = {}  # family -> when its recent new problems were logged
        self._held_back: dict[str, int] = {}  # family -> lines not logged since its last logged line
        self._lock = threading.Lock()  # callers on the executor and the worker thread

    def line(self, text: str) -> str | None:
        """The line to log for this occurrence of the problem `text`, or None to stay quiet."""
        with self._lock:
            return self._line(text)

    def _line(self, text: str) -> str | None:
        now = self._clock()
        family = family_of(text)
        last = self._last_logged.get(text)
        if last is not None:
            if now - last < self.period_s:
                self._held_back[family] = self._held_back.get(family, 0) + 1
                return None
        else:
            recent = [t for t in self._family_new.get(family, []) if now - t < self.period_s]
            if len(recent) >= self.family_burst:
                self._family_new[family] = recent
                self._held_back[family] = self._held_back.get(family, 0) + 1
                return None
            self._family_new[family] = recent + [now]
        self._last_logged[text] = now
        self._last_logged.move_to_end(text)
        while len(self._last_logged) > self.max_problems:
            self._last_logged.popitem(last=False)
        if len(self._family_new) > self.max_problems:  # wordings with arbitrary text in them
            self._family_new, self._held_back = {family: self._family_new.get(family, [])}, {}
        held = self._held_back.pop(family, 0)
        return text if not held else f"{text} ({held} similar not logged since the last such line)"
