"""Request limits (moving windows, the `limits` library, in process memory): requests per user per minute,
and failed sign-ins per client address.

The counters live in this process: with several API workers each enforces the limits on its own
share of the traffic. A per-user limit of 0 turns that limit off (load tests, batch clients); the
sign-in limit is separate (`signin_failure_limit`, 0 = off).
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from assistant.api.errors import RateLimited


class UserRateLimiter:
    def __init__(self, per_minute: int):
        self.per_minute = per_minute
        self._item = RateLimitItemPerMinute(max(per_minute, 1))
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def _retry_after(self, item: RateLimitItem, *identifiers: str) -> int:
        reset_time, _remaining = self._limiter.get_window_stats(item, *identifiers)
        return max(1, math.ceil(reset_time - time.time()))

    def check(self, user: str) -> None:
        """Count one request of `user`; raise RateLimited (with Retry-After seconds) when over."""
        if self.per_minute <= 0:
            return
        if self._limiter.hit(self._item, "user", user):
            return
        retry_after = self._retry_after(self._item, "user", user)
        raise RateLimited(
            f"短時間に多くの要求が送信されたため、受付を一時停止しています。{retry_after}秒後に再度お試しください"
            f"（上限: 1分あたり{self.per_minute}件）。",
            retry_after,
        )

    def signin_refusal(self, address: str, limit: int, window_seconds: int) -> RateLimited | None:
        """The error to answer `address` with when it failed to sign in `limit` times within the last
        `window_seconds` (its key is then not even checked), else None."""
        if limit <= 0:
            return None
        item = RateLimitItemPerSecond(limit, window_seconds)
        if self._limiter.test(item, "signin", address):
            return None
        retry_after = self._retry_after(item, "signin", address)
        return RateLimited(
            f"認証の失敗が続いたため、この端末からの認証を一時停止しています。"
            f"{retry_after}秒後に再度お試しください。",
            retry_after,
        )

    def signin_failed(self, address: str, limit: int, window_seconds: int) -> None:
        """Count one failed sign-in from `address`."""
        if limit > 0:
            self._limiter.hit(RateLimitItemPerSecond(limit, window_seconds), "signin", address)

    def first_refusal(self, address: str, window_seconds: int) -> bool:
        """True once per window for a throttled address: its refusals are audited once, not one row each."""
        return self._limiter.hit(RateLimitItemPerSecond(1, window_seconds), "signin-refused", address)
