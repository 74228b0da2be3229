"""Keep callers' numbers and words out of logs: keyed pseudonyms instead of values.

A phone number has too few possible values for a plain hash to hide it, so the
pseudonym is an HMAC-SHA256 keyed with a secret (PSEUDONYM_KEY), cut to 12 hex digits:
stable for one caller across calls and workers, useless without the key.
"""

from __future__ import annotations

import hashlib
import hmac
import re


def pseudonym(key: bytes, value: str) -> str:
    """A stable keyed pseudonym for `value` ("-" when there is no value)."""
    if not value:
        return "-"
    normalised = re.sub(r"[^\d+A-Za-z]", "", value)
    return hmac.new(key, normalised.encode(), hashlib.sha256).hexdigest()[:12]
