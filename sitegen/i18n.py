"""Interface strings: catalogs of the theme's words, per language.

Catalogs are YAML files named after their language (``i18n/en.yaml``), loaded from
the default theme, the chosen theme and the site's own ``i18n/`` folder, later ones
overriding earlier ones key by key. A key missing in a language falls back to English.
A string with a ``{placeholder}`` the theme does not fill is reported against the
catalog file and line it came from, not the template that used it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from collections.abc import Mapping

from .discover import is_litter, outside_link
from .errors import SitegenError, not_utf8
from .frontmatter import load_yaml

FALLBACK = "en"


@dataclass(frozen=True, slots=True)
class Catalogs:
    """Interface strings by language, and the keys that fell back to English."""

    strings: Mapping[str, Mapping[str, str]]
    missing: dict[tuple[str, str], None] = field(default_factory=dict)  # (lang, key), insertion-ordered
    origins: Mapping[tuple[str, str], tuple[str, int | None]] = field(default_factory=dict)  # (lang, key) -> file, line

    def get(self, lang: str, key: str, **values: Any) -> str:
        """The string ``key`` in ``lang`` (or its base language, or English), formatted
        with ``values`` (``{count} minutes``)."""
        for candidate in (lang, lang.split("-")[0]):
            table = self.strings.get(candidate)
            if table is not None and key in table:
                return self._format(candidate, key, table[key], values) if values else table[key]
        english = self.strings.get(FALLBACK, {})
        if key not in english:
            raise KeyError(f"no interface string {key!r} in the theme's i18n/{FALLBACK}.yaml")
        self.missing.setdefault((lang, key), None)
        return self._format(FALLBACK, key, english[key], values) if values else english[key]

    def _format(self, lang: str, key: str, text: str, values: Mapping[str, Any]) -> str:
        """``text`` with its placeholders filled; a placeholder the theme does not give
        is the catalog's mistake, reported with its file and line."""
        try:
            return text.format(**values)
        except (KeyError, IndexError, ValueError, AttributeError) as exc:
            path, line = self.origins.get((lang, key), (f"i18n/{lang}.yaml", None))
            given = ", ".join("{" + name + "}" for name in values)
            problem = f"the placeholder {{{exc.args[0]}}} is unknown" if isinstance(exc, KeyError) \
                else f"the placeholders cannot be filled ({exc})"
            raise SitegenError(f"'{key}': {problem}", path=path, line=line,
                               hint=f"this string can use {given}; write a brace itself as {{{{ or }}}}") from None


    def has_language(self, lang: str) -> bool:
        """True when some catalog covers ``lang`` or its base language."""
        return any(candidate in self.strings for candidate in (lang, lang.split("-")[0]))

    def missing_keys(self, lang: str) -> tuple[str, ...]:
        """The English keys that ``lang`` (and its base language) do not translate,
        in the order of the English catalog; keys that fell back while rendering
        (a site template's own key) come after."""
        tables = [self.strings.get(c, {}) for c in dict.fromkeys((lang, lang.split("-")[0]))]
        if lang.split("-")[0] == FALLBACK:
            keys: list[str] = []
        else:
            keys = [k for k in self.strings.get(FALLBACK, {}) if not any(k in t for t in tables)]
        keys += [k for (used_lang, k) in self.missing if used_lang == lang and k not in keys]
        return tuple(keys)


def load_catalogs(folders: tuple[Path, ...], root: Path) -> Catalogs:
    """Read every ``<lang>.yaml`` in ``folders`` (least specific first)."""
    strings: dict[str, dict[str, str]] = {}
    origins: dict[tuple[str, str], tuple[str, int | None]] = {}
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.yaml")):
            if path.name.startswith(".") or is_litter(path.name) or not path.is_file():
                continue  # an editor's lock or backup, not a catalog
            shown = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.as_posix()
            problem = outside_link(path, root, folder)
            if problem is not None:
                raise SitegenError(problem.message, path=problem.path, hint=problem.hint)
            raw = path.read_bytes()
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise not_utf8(raw, exc, shown) from None
            data, lines = load_yaml(text.replace("\r\n", "\n").replace("\r", "\n"), shown)
            if not isinstance(data, dict):
                raise SitegenError("a catalog must be 'key: text' lines", path=shown, line=1)
            table = strings.setdefault(path.stem, {})
            for key, value in data.items():
                if not isinstance(value, str):
                    raise SitegenError(f"'{key}' must be text", path=shown, line=lines.get(str(key)))
                table[str(key)] = value
                origins[(path.stem, str(key))] = (shown, lines.get(str(key)))
    return Catalogs(strings=strings, origins=origins)
