"""Compiled templates kept between builds, in the build cache (``.sitegen-cache/templates-*/``).

Jinja's own file cache loads whatever a file in its folder holds with pickle and marshal,
which run code. Here each template's compiled code is sealed like every other cache file
(``cache.seal``: a MAC under the key kept outside the site, bound to the template and to
this Python's bytecode format) and loaded only when that MAC checks out; any other file
is ignored, and the template is compiled again.
"""

from __future__ import annotations

import importlib.util
import marshal
from pathlib import Path
from types import CodeType

import jinja2
from jinja2.bccache import Bucket

from . import cache


class CompiledTemplates(jinja2.BytecodeCache):
    """A Jinja bytecode cache whose files are loaded only when their MAC checks out."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _file(self, bucket: Bucket) -> Path:
        return self.folder / f"{bucket.key}.code"

    @staticmethod
    def _role(bucket: Bucket) -> str:
        # The bucket's key names the template (its name and file); the magic number,
        # the bytecode format marshal wrote it in.
        return f"template {bucket.key} {importlib.util.MAGIC_NUMBER.hex()}"

    def load_bytecode(self, bucket: Bucket) -> None:
        """Put the template's kept code in ``bucket`` if there is a sealed copy of it for
        this very source; leave it empty (the template is compiled) otherwise."""
        try:
            raw = cache.read_file(self._file(bucket))
            payload = cache.unseal(self._role(bucket), raw)  # first: marshal runs no check of its own
        except (OSError, cache.CacheError):
            return
        checksum, _, code = payload.partition(b"\n")
        if checksum != bucket.checksum.encode("ascii"):
            return  # the template changed since
        try:
            loaded = marshal.loads(code)
        except (EOFError, ValueError, TypeError):
            return
        if isinstance(loaded, CodeType):
            bucket.code = loaded

    def dump_bytecode(self, bucket: Bucket) -> None:
        """Keep the code of a template just compiled, sealed; a cache that cannot be
        written (no key, a full disk) only means compiling it again next time."""
        if bucket.code is None:
            return
        try:
            payload = bucket.checksum.encode("ascii") + b"\n" + marshal.dumps(bucket.code)
            cache.write_file(self._file(bucket), cache.seal(self._role(bucket), payload))
        except (OSError, cache.CacheKeyError):
            pass
