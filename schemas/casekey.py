"""The pseudonymous case key: the Kafka key of every event of one case.

Why a keyed hash: all events of a case must land in one partition, in order, without the V-number ever
appearing in a key, header or log. A plain hash of a 10-digit number is reversible by enumeration; an
HMAC with a chain secret is not, for anyone without the secret.
"""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "ck_"
HEX_CHARS = 24


def case_key(v_number: str, secret: bytes) -> str:
    """``ck_`` + the first 24 hex characters of HMAC-SHA256(secret, V-number) (see ``CASE_KEY_PATTERN``)."""
    if not secret:
        raise ValueError("the case-key secret must not be empty")
    digest = hmac.new(secret, v_number.encode("utf-8"), hashlib.sha256).hexdigest()
    return PREFIX + digest[:HEX_CHARS]
