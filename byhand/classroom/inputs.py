"""Every input of the classroom, bounded and checked before it reaches the database.

Display names are plain text: control and format characters go, runs of spaces become one, and the
result is at most ``NAME_LEN`` characters. Join codes are 8 letters and digits a student can read
aloud (no 0/O, 1/I/L); teacher secrets and student tokens are long random URL-safe strings, stored
only as SHA-256 hashes (they carry 256 and 192 bits, so a fast hash is enough).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from datetime import datetime, timezone

from ..numbers import ByHandError
from .models import NAME_LEN

__all__ = ["clean_name", "new_join_code", "normal_join_code", "new_secret", "new_token", "digest",
           "token_shape_ok", "cell_text", "cell_key", "utc", "MAX_RAW_NAME", "MAX_ANSWER_TEXT"]

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # 31 symbols: 8 of them give about 40 bits
CODE_CHARS = 8
MAX_RAW_NAME = 400  # longer text is refused before it is cleaned
MAX_RAW_CODE = 40
MAX_TOKEN = 100
MAX_ANSWER_TEXT = 100  # a typed answer longer than this is refused (a number needs at most 40)
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{20,100}")
_CELL_RE = re.compile(r"(\d{1,4}):(product|result):(\d{1,4}):(\d{1,4})")


def clean_name(name) -> str:
    """A display name as plain text: controls removed, spaces collapsed, at most NAME_LEN characters.

    >>> clean_name("  Ada\\x00  <b>Lovelace</b>\\n")
    'Ada <b>Lovelace</b>'
    """
    if not isinstance(name, str):
        raise ByHandError("a name is text, such as Ada.", "name")
    if len(name) > MAX_RAW_NAME:
        raise ByHandError(f"a name has at most {NAME_LEN} characters.", "name")
    kept = "".join(" " if ch.isspace() else ch for ch in name
                   if ch.isspace() or not unicodedata.category(ch).startswith("C"))
    out = " ".join(unicodedata.normalize("NFC", kept).split())
    if not out:
        raise ByHandError("type a name for your teacher's list (a first name is enough).", "name")
    if len(out) > NAME_LEN:
        raise ByHandError(f"a name has at most {NAME_LEN} characters, not {len(out)}.", "name")
    return out


def new_join_code() -> str:
    """A fresh join code: 8 symbols that are hard to misread."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_CHARS))


def normal_join_code(text) -> str | None:
    """A typed join code in its stored form (upper case, spaces and dashes dropped), or None if it
    cannot be one.

    >>> normal_join_code(" abcd-efgh "), normal_join_code("ABCD EFG0")
    ('ABCDEFGH', None)
    """
    if not isinstance(text, str) or len(text) > MAX_RAW_CODE:
        return None
    s = re.sub(r"[\s-]", "", text).upper()
    return s if len(s) == CODE_CHARS and all(ch in ALPHABET for ch in s) else None


def new_secret() -> str:
    """A teacher secret: 256 random bits."""
    return secrets.token_urlsafe(32)


def new_token() -> str:
    """A student token: 192 random bits."""
    return secrets.token_urlsafe(24)


def token_shape_ok(text) -> bool:
    """Whether ``text`` could be a secret or token at all (checked before hashing)."""
    return isinstance(text, str) and _TOKEN_RE.fullmatch(text) is not None


def digest(text: str) -> str:
    """The SHA-256 hex digest stored in place of a secret, a token or a client key."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def cell_text(key: tuple) -> str:
    """A cell key (step, region, row, col) as stored text.

    >>> cell_text((3, "result", 0, 1)), cell_key("3:result:0:1")
    ('3:result:0:1', (3, 'result', 0, 1))
    """
    step, region, row, col = key
    return f"{int(step)}:{region}:{int(row)}:{int(col)}"


def cell_key(text: str) -> tuple:
    """A stored cell key back as a tuple."""
    m = _CELL_RE.fullmatch(text)
    if m is None:
        raise ByHandError(f"{text[:40]!r} is not a cell.", "cell")
    return int(m[1]), m[2], int(m[3]), int(m[4])


def utc(moment: datetime | None) -> datetime | None:
    """A time as naive UTC for storage (an aware time is converted, a naive one taken as UTC)."""
    if moment is None:
        return None
    if not isinstance(moment, datetime):
        raise ByHandError(f"a due time is a date and time, not {str(moment)[:40]!r}.", "due")
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment
