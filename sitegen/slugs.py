"""Slugs: the one slugger for file names, tags, people and heading ids.

Accented Latin letters are transliterated (``Ana Pérez`` -> ``ana-perez``) so URLs and
anchors stay readable and stable; letters of other scripts are kept as they are.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from types import MappingProxyType

# Letters that Unicode decomposition does not reduce to ASCII.
_SPECIAL = MappingProxyType(str.maketrans(
    {
        "ß": "ss", "ẞ": "ss", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe",
        "ø": "o", "Ø": "o", "ł": "l", "Ł": "l", "đ": "d", "Đ": "d", "ð": "d",
        "Ð": "d", "þ": "th", "Þ": "th", "ı": "i", "’": "", "'": "",
    }
))
_NOT_WORD = re.compile(r"[\W_]+")


def transliterate(text: str) -> str:
    """``text`` with accents removed from Latin letters (``ñ`` -> ``n``, ``ü`` -> ``u``)."""
    if text.isascii():  # nothing to decompose: only the apostrophe is dropped
        return text.replace("'", "")
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPECIAL))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=1 << 16)  # tags, names and questions repeat across thousands of pages
def slugify(text: str) -> str:
    """A lowercase, hyphenated slug; empty when ``text`` has no letters or digits."""
    return _NOT_WORD.sub("-", transliterate(text).lower()).strip("-")


def unique_slug(text: str, taken: set[str], fallback: str = "section") -> str:
    """``slugify(text)``, made unique against ``taken`` (``-2``, ``-3``...), and recorded there."""
    base = slugify(text) or fallback
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    taken.add(slug)
    return slug
