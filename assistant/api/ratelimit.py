"""Per-user request limit (moving one-minute window, the `limits` library, in process memory).

The counters live in this process: with several API workers each enforces the limit on its own
share of the traffic. A limit of 0 turns the limiter off (load tests, batch clients).
"""

from __future__ import annotations

import math
import time

from assistant.api.errors import RateLimited


class UserRateLimiter:
    def __init__(self, per_minute: int):
        self.per_minute = per_minute
        if per_minute > 0:
            from limits import RateLimitItemPerMinute
            from limits.storage import MemoryStorage
            from limits.strategies import MovingWindowRateLimiter

            self._item = RateLimitItemPerMinute(per_minute)
            self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def check(self, user: str) -> None:
        """Count one request of `user`; raise RateLimited (with Retry-After seconds) when over."""
        if self.per_minute <= 0:
            return
        if self._limiter.hit(self._item, "user", user):
            return
        reset_time, _remaining = self._limiter.get_window_stats(self._item, "user", user)
        retry_after = max(1, math.ceil(reset_time - time.time()))
        raise RateLimited(
            f"短時間に多くの要求が送信されたため、受付を一時停止しています。{retry_after}秒後に再度お試しください"
            f"（上限: 1分あたり{self.per_minute}件）。",
            retry_after,
        )
