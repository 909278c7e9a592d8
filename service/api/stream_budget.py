"""How many long downloads (exports) may run at once: per process and per account.

A download holds a connection of the stream pool (and memory for its batch) for as long as its
client reads, so the count is capped; one over the cap is answered 429 with Retry-After at
once instead of queueing behind clients that may never read. Handlers run in worker threads,
so the counts sit behind a lock.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Hashable

from service.errors import TooManyRequests


class StreamLease:
    """One running download's place in the budget; `release()` may be called more than once."""

    def __init__(self, budget: StreamBudget, owner: Hashable) -> None:
        self._budget = budget
        self._owner = owner
        self._released = False

    def release(self) -> None:
        if not self._released:
            self._released = True
            self._budget._give_back(self._owner)


class StreamBudget:
    """At most `total` downloads at once, and at most `per_owner` for one account."""

    def __init__(self, total: int, per_owner: int, retry_after_s: int) -> None:
        self.total = total
        self.per_owner = per_owner
        self.retry_after_s = retry_after_s
        self._lock = threading.Lock()
        self._running: Counter[Hashable] = Counter()

    def acquire(self, owner: Hashable) -> StreamLease:
        """A lease, or TooManyRequests (429) naming which cap was reached."""
        with self._lock:
            if self._running[owner] >= self.per_owner:
                raise self._refusal("per_user", self.per_owner)
            if sum(self._running.values()) >= self.total:
                raise self._refusal("global", self.total)
            self._running[owner] += 1
        return StreamLease(self, owner)

    def running(self, owner: Hashable | None = None) -> int:
        with self._lock:
            return self._running[owner] if owner is not None else sum(self._running.values())

    def _give_back(self, owner: Hashable) -> None:
        with self._lock:
            self._running[owner] -= 1
            if self._running[owner] <= 0:
                del self._running[owner]

    def _refusal(self, which: str, cap: int) -> TooManyRequests:
        if which == "per_user":
            en = f"you already have {cap} downloads running; wait for one to finish"
            zh = f"您已有 {cap} 个导出正在下载，请等其中一个完成后再试"
            setting = "export_max_per_user"
        else:
            en = f"{cap} downloads are running on this server; try again shortly"
            zh = f"服务器上已有 {cap} 个导出正在下载，请稍后再试"
            setting = "export_max_concurrent"
        return TooManyRequests(
            en,
            message_zh=zh,
            where={"limit": setting, "max": cap},
            headers={"Retry-After": str(self.retry_after_s)},
        )
