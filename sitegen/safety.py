"""Safety checks shared by the stages that read what users write (config, parse).

Values from ``sitegen.yaml`` and front matter may end up in ``href`` and ``src``
attributes through templates. Escaping keeps them from breaking out of the attribute,
but a ``javascript:`` or ``data:`` URL is dangerous inside it: such values are refused
wherever they appear, with the key that holds them.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

#: Schemes that run code or smuggle content when a browser follows them.
_DANGEROUS = re.compile(r"^(javascript|vbscript|livescript|file|data:[a-z-]+/)", re.IGNORECASE)
# Browsers ignore ASCII whitespace and control characters inside a scheme ("java\tscript:").
_IGNORED = re.compile(r"[\x00-\x20\x7f]+")


def dangerous_scheme(value: str) -> str | None:
    """The dangerous scheme ``value`` starts with (``javascript:``...), or None."""
    squeezed = _IGNORED.sub("", value)
    match = _DANGEROUS.match(squeezed)
    if match is None:
        return None
    scheme = match.group(1).lower()
    if not scheme.startswith("data:") and not squeezed[len(scheme):].startswith(":"):
        return None  # "javascript" as a word, not a scheme
    return scheme.split(":")[0] + ":"


def unsafe_url_values(data: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """Every ``(dotted key, scheme)`` in ``data`` whose string value is a dangerous URL.

    ``data`` comes from :func:`~sitegen.frontmatter.load_yaml`, which refuses values
    that contain themselves, so the walk ends.
    """
    if isinstance(data, dict):
        for key, value in data.items():
            yield from unsafe_url_values(value, f"{prefix}{key}.")
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from unsafe_url_values(value, f"{prefix}{index}.")
    elif isinstance(data, str):
        scheme = dangerous_scheme(data)
        if scheme is not None:
            yield prefix.rstrip("."), scheme
