"""A small in-process LRU for rendered tiles, bounded by bytes.

Either the key includes the data versions of the tables read (an edit changes the key, stale
entries just age out), or an entry carries a tag (the versions it was rendered at) and `get`
returns it only for the same tag — which lets the tile route learn the current versions and
render a changed tile in one database round trip.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable


class TileCache:
    """Thread-safe least-recently-used cache of tile bytes."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[Hashable, tuple[Hashable, bytes]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, tag: Hashable = None) -> bytes | None:
        """The bytes stored under `key` with this `tag` (None when absent or tagged otherwise)."""
        with self._lock:
            entry = self._items.get(key)
            if entry is None or entry[0] != tag:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return entry[1]

    def tag_of(self, key: Hashable) -> Hashable:
        """The tag the entry under `key` was stored with (None when there is none)."""
        with self._lock:
            entry = self._items.get(key)
            return None if entry is None else entry[0]

    def put(self, key: Hashable, value: bytes, tag: Hashable = None) -> None:
        if len(value) > self.max_bytes or self.max_bytes <= 0:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= len(old[1])
            self._items[key] = (tag, value)
            self._bytes += len(value)
            while self._bytes > self.max_bytes:
                _, (_, dropped) = self._items.popitem(last=False)
                self._bytes -= len(dropped)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0


class JurisdictionHints:
    """A bounded map token digest → the jurisdiction key last seen for it (least recent out).

    Only a hint for finding a cached tile: the token itself is checked on every request."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self.max_entries = max_entries
        self._items: OrderedDict[str, Hashable] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, digest: str) -> Hashable | None:
        with self._lock:
            found = self._items.get(digest)
            if found is not None:
                self._items.move_to_end(digest)
            return found

    def __setitem__(self, digest: str, key: Hashable) -> None:
        with self._lock:
            self._items[digest] = key
            self._items.move_to_end(digest)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)
