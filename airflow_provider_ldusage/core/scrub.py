"""Removing the access token from text a server sent back, before that text reaches an error or a log.

A proxy or a misbehaving server can echo the request's headers anywhere: in a non-JSON body, in an error
body's ``message``, ``code`` or ``id``, in a response header, in a ``Location``. Airflow's log masker sees
only log lines, not exception texts that failure notifiers format, so every piece of server text the
provider quotes goes through :func:`scrub` first.
"""

from __future__ import annotations

import base64
import re
from functools import lru_cache
from urllib.parse import quote, quote_plus

#: What a removed token reads as.
REDACTED = "***"

# Shorter pieces of a base64 form could match ordinary text by chance; the raw token is always removed.
_MIN_BASE64_PIECE = 8


@lru_cache(maxsize=16)
def _pattern(secret: str) -> re.Pattern[str] | None:
    """One regex matching every form of ``secret`` a server could echo (longest forms first)."""
    if not secret:
        return None
    forms = {secret, f"Bearer {secret}", quote(secret, safe=""), quote_plus(secret, safe=""), quote(secret)}
    forms |= {form.lower() for form in forms if "%" in form}  # percent-encoding with lower-case hex
    raw = secret.encode()
    # The token inside a larger base64 blob ("Bearer <token>", a whole header dump) starts at any byte
    # offset; for one of the three alignments its 3-byte groups encode to the same characters whatever
    # surrounds them, so those characters are what is searched for (at most two bytes stay at each end).
    for skip in range(3):
        piece = raw[skip:]
        piece = piece[: len(piece) - len(piece) % 3]
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = encode(piece).decode("ascii").rstrip("=")
            if len(text) >= _MIN_BASE64_PIECE:
                forms.add(text)
    ordered = sorted(forms, key=len, reverse=True)
    return re.compile("|".join(re.escape(form) for form in ordered))


def scrub(text: str, secret: str | None) -> str:
    """``text`` with every raw, ``Bearer``-prefixed, URL-encoded or base64 form of ``secret`` replaced.

    :param text: anything taken from a response (body excerpt, ``message``, ``code``, ``id``, a header).
    :param secret: the access token; ``None`` or empty leaves ``text`` unchanged.
    """
    if not secret or not text:
        return text
    pattern = _pattern(secret)
    assert pattern is not None
    return pattern.sub(REDACTED, text)


def scrub_optional(text: str | None, secret: str | None) -> str | None:
    """:func:`scrub` for a field that may be absent."""
    return None if text is None else scrub(text, secret)
