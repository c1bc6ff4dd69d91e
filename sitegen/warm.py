"""What a process that builds again and again keeps between its builds.

``sitegen serve`` creates one :class:`Warm` and hands it to every ``build`` it runs; a
plain ``sitegen build`` starts from a fresh one and drops it at the end. Nothing in it
is trusted blindly: each piece is used again only after the check written beside it
(and in ``docs/incremental.md``, "What a preview keeps warm") says it still holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from collections.abc import Callable

from .deps import LazyPages
from .errors import Problem

if TYPE_CHECKING:
    from .cache import CacheData, FileStat
    from .deps import Parsed
    from .guard import Guard
    from .shows import ShowPlan
    from .incremental import _Collected
    from .write import SpareState

#: A cache file's identity: inode, size and time stamp in nanoseconds.
Identity = tuple[int, int, int]


@dataclass(slots=True, eq=False)
class Warm:
    """The state one process keeps from a build for the next (see the module's docstring)."""

    #: The pages this process keeps are of its class (they read their bodies back from the cache).
    lazy_pages: LazyPages = field(default_factory=LazyPages)
    #: The build cache index this process wrote last, by file: its file's identity then,
    #: and the index (never changed in memory after it was written). Used again only
    #: while the file has that identity and the index was made by the same code.
    index: dict[str, tuple[Identity, CacheData]] = field(default_factory=dict)
    #: The shards of parsed pages read or written last, by file: token, identity, pages.
    #: Used again only for the token the index names and while the file is unchanged.
    shards: dict[str, tuple[bytes, Identity, dict[str, Parsed]]] = field(default_factory=dict)
    #: Cache writes put off until the browser was told to reload (see ``flush``).
    pending: list[Callable[[], None]] = field(default_factory=list)
    #: The last build's collected site; used again only for the same settings, the same
    #: pages' metadata, the same entries in the future and the same bodies collect read.
    collected: _Collected | None = None
    #: What each template shows (``shows.plan``), for the settings digest it was read
    #: under (templates included); used again only under the same digest.
    plans: tuple[bytes, dict[tuple[str, frozenset[str]], ShowPlan]] | None = None
    #: The privacy guard of the last build, with the origins it was made for (its memos
    #: are answers that depend on nothing but the text they were asked about).
    guard: tuple[tuple[str, tuple[str, ...]], Guard] | None = None
    #: Each static file's version (see ``Renderer._version``) by path, with the file's stat
    #: before it was read; used again only while the file has that stat.
    versions: dict[str, tuple[FileStat, str]] = field(default_factory=dict)
    #: What the last swap left: the kept spare output differs from the live one only in
    #: the files it names; used only while both folders have the identities it records.
    spare: SpareState | None = None

    #: Notes this process reported already (about the hub, not its pages), not repeated.
    said: set[Problem] = field(default_factory=set)

    def first_time(self, note: Problem) -> bool:
        """Whether ``note`` was not reported by this process before (it is now)."""
        if note in self.said:
            return False
        self.said.add(note)
        return True

    def flush(self) -> None:
        """Make the cache writes put off (``build`` with ``defer_cache``). A cache that
        cannot be written is left as it was: the next build redoes more, and says why."""
        while self.pending:
            try:
                self.pending.pop(0)()
            except OSError:
                pass
