"""Retry delays: capped exponential backoff with jitter, and the receiver's ``Retry-After``.

Delay after the n-th failed attempt: ``min(max_s, base_s * 2**(n-1))``, minus a random fraction of up
to ``jitter`` of it (so many senders that failed together do not retry together). A ``Retry-After``
answer (seconds or an HTTP date) makes the delay at least that long, but never longer than
``max_s``. Times come from the injected clock; the random source is injected too (seeded in tests).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from correlator.feeds.settings import Backoff

MAX_EXPONENT = 60
"""2**60 seconds is far past any max_s; stops the power from overflowing a float."""


def delay_s(policy: Backoff, attempts: int, rng: random.Random, retry_after_s: float | None = None) -> float:
    """Seconds to wait after ``attempts`` failed attempts (1 for the first failure)."""
    n = max(1, attempts)
    raw = min(policy.max_s, policy.base_s * float(2 ** min(n - 1, MAX_EXPONENT)))
    delay = raw * (1 - policy.jitter * rng.random())
    if retry_after_s is not None and retry_after_s > delay:
        delay = min(retry_after_s, policy.max_s)
    return delay


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """``Retry-After: 120`` or ``Retry-After: Wed, 21 Oct 2026 07:28:00 GMT`` -> seconds from now."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())


def retry_time(now: datetime, seconds: float) -> datetime:
    return now + timedelta(seconds=seconds)
