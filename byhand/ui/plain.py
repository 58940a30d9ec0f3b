"""Text a user typed, or a link carried, shown on a page as plain text: never a link, image, HTML or LaTeX.

Streamlit renders every message, caption and markdown element as Markdown (GFM, with math). Escaping
the markdown characters is not enough: GFM still turns a bare ``www.evil.example``, ``https://…`` or
``a@b.example`` into a link, because it finds them in the text after the escapes are read. Inside a
code span nothing is markup and nothing becomes a link, so ``md_escape`` sets each word that could be
linked as a code span and escapes the characters that start markup in the others. ``code_span``
quotes a user's text whole, cut to ``MAX_QUOTE`` characters. Both are checked in Chromium
(tests/browser/test_hostile_browser.py): no ``<a>``, ``<img>`` or KaTeX element comes from them.
"""

from __future__ import annotations

import re

__all__ = ["MAX_QUOTE", "code_span", "md_escape"]

MAX_QUOTE = 40  # characters of a user's text quoted in a message
_LINKABLE = re.compile(r"www\.|://|@|mailto:|xmpp:", re.IGNORECASE)  # what GFM's autolinks start from
_MARKUP = re.compile(r"([\\`*_{}\[\]()<>#+!|~$:&-])")  # starts markup: links, emphasis, HTML, math, :icons:
_WORDS = re.compile(r"(\s+)")


def code_span(text, limit: int | None = MAX_QUOTE) -> str:
    """``text`` as one Markdown code span, its whitespace made single spaces, cut to ``limit`` with "…".

    >>> print(code_span("see [x](https://evil.example)"))
    `see [x](https://evil.example)`
    >>> print(code_span("a`b"), code_span("9" * 50, 5))
    ``a`b`` `99999…`
    """
    s = " ".join(str(text).split())
    if limit is not None and len(s) > limit:
        s = s[:limit] + "…"
    fence = "`" * (max((len(run) for run in re.findall(r"`+", s)), default=0) + 1)
    pad = " " if not s or s[0] == "`" or s[-1] == "`" else ""  # a code span strips one space at each end
    return f"{fence}{pad}{s}{pad}{fence}"


def md_escape(text) -> str:
    r"""A message that may hold a user's text, as Markdown shown literally: no link, image, HTML or math.

    Each word that GFM could turn into a link (``www.``, ``://``, ``@``) becomes a code span; every
    other word has the characters that start markup escaped.

    >>> print(md_escape("'[x](y)' is *not* $1$"))
    '\[x\]\(y\)' is \*not\* \$1\$
    >>> print(md_escape("cell 'www.evil.example' is not a number"))
    cell `'www.evil.example'` is not a number
    """
    parts = _WORDS.split(str(text))
    return "".join(part if part.isspace() or not part else
                   code_span(part, None) if _LINKABLE.search(part) else _MARKUP.sub(r"\\\1", part)
                   for part in parts)
