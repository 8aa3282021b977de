"""Webhook signatures: HMAC-SHA256 over the timestamp and the exact body.

Every POST carries::

    X-Linewatch-Event-Id:   42                      (the feed event's sequence number)
    X-Linewatch-Event-Kind: incident.opened
    X-Linewatch-Timestamp:  1796090400              (Unix seconds of this attempt)
    X-Linewatch-Signature:  sha256=<hex>

where ``<hex>`` is ``HMAC-SHA256(secret, "<timestamp>." + body)`` in lower-case hex, ``body``
being the request body bytes exactly as received (do not re-serialise the JSON first).

A receiver verifies by recomputing it with the shared secret and comparing in constant time
(:func:`verify`), refusing a timestamp further than its tolerance from its own clock (a replayed
request), and de-duplicating by event id (delivery is at least once: an event whose answer was
lost is sent again, with the same id and body, a new timestamp and signature). In a shell::

    printf '%s.' "$TS" | cat - body.json | openssl dgst -sha256 -hmac "$SECRET"
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Linewatch-Signature"
TIMESTAMP_HEADER = "X-Linewatch-Timestamp"
EVENT_ID_HEADER = "X-Linewatch-Event-Id"
EVENT_KIND_HEADER = "X-Linewatch-Event-Kind"
PREFIX = "sha256="
DEFAULT_TOLERANCE_S = 300


def signature(secret: str | bytes, timestamp: int, body: bytes) -> str:
    """The ``X-Linewatch-Signature`` value: ``sha256=<hex>``."""
    key = secret.encode() if isinstance(secret, str) else secret
    mac = hmac.new(key, f"{timestamp}.".encode() + body, hashlib.sha256)
    return PREFIX + mac.hexdigest()


def verify(
    secret: str | bytes,
    body: bytes,
    timestamp_header: str | None,
    signature_header: str | None,
    now: float,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
) -> bool:
    """True if the signature is the sender's and the timestamp within ``tolerance_s`` of ``now``
    (Unix seconds). For receivers written in Python; the docstring above says how in others."""
    if not timestamp_header or not signature_header or not signature_header.startswith(PREFIX):
        return False
    try:
        ts = int(timestamp_header)
    except ValueError:
        return False
    if abs(now - ts) > tolerance_s:
        return False
    return hmac.compare_digest(signature(secret, ts, body), signature_header)
