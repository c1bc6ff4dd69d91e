"""Interface strings: catalogs of the theme's words, per language.

Catalogs are YAML files named after their language (``i18n/en.yaml``), loaded from
the default theme, the chosen theme and the site's own ``i18n/`` folder, later ones
overriding earlier ones key by key. A key missing in a language falls back to English.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from .errors import SitegenError
from .frontmatter import load_yaml

FALLBACK = "en"


@dataclass(frozen=True, slots=True)
class Catalogs:
    """Interface strings by language, and the keys that fell back to English."""

    strings: Mapping[str, Mapping[str, str]]
    missing: dict[tuple[str, str], None] = field(default_factory=dict)  # (lang, key), insertion-ordered

    def get(self, lang: str, key: str, **values: Any) -> str:
        """The string ``key`` in ``lang`` (or its base language, or English), formatted
        with ``values`` (``{count} minutes``)."""
        for candidate in (lang, lang.split("-")[0]):
            table = self.strings.get(candidate)
            if table is not None and key in table:
                return table[key].format(**values) if values else table[key]
        english = self.strings.get(FALLBACK, {})
        if key not in english:
            raise KeyError(f"no interface string {key!r} in the theme's i18n/{FALLBACK}.yaml")
        self.missing.setdefault((lang, key), None)
        return english[key].format(**values) if values else english[key]


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
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.yaml")):
            shown = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.as_posix()
            data, lines = load_yaml(path.read_text(encoding="utf-8-sig"), shown)
            if not isinstance(data, dict):
                raise SitegenError("a catalog must be 'key: text' lines", path=shown, line=1)
            table = strings.setdefault(path.stem, {})
            for key, value in data.items():
                if not isinstance(value, str):
                    raise SitegenError(f"'{key}' must be text", path=shown, line=lines.get(str(key)))
                table[str(key)] = value
    return Catalogs(strings=strings)
