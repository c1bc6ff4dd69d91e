"""Themes: where templates, static files and interface strings are looked up.

Templates are searched in the site's ``templates/``, then the chosen theme, then the
default theme. A site template that replaces a theme template can still extend it by
its prefixed name: ``{% extends "theme/base.html" %}`` (or ``"default/base.html"``).
Static files are layered the same way: default theme < theme < the site's ``static/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .config import setting_line
from .errors import SitegenError
from .model import Config


def builtin_themes_dir() -> Path:
    """The folder of the themes shipped with sitegen (inside the wheel too).

    In a source checkout (an editable install, or tests run from a work tree) the
    ``themes/`` folder beside the package is used directly.
    """
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "themes" / "default" / "templates").is_dir():
        return checkout / "themes"
    return Path(str(resources.files("sitegen.builtin_themes")))


@dataclass(frozen=True, slots=True)
class Theme:
    """A resolved theme: its folders in the order they are searched, site first."""

    name: str
    folders: tuple[Path, ...]  # the chosen theme, then the default theme (if different)
    site_templates: Path

    @property
    def template_dirs(self) -> tuple[Path, ...]:
        """Template folders, most specific first (the site's own, if any, comes first)."""
        dirs = [self.site_templates] if self.site_templates.is_dir() else []
        return tuple(dirs + [folder / "templates" for folder in self.folders])

    @property
    def static_dirs(self) -> tuple[Path, ...]:
        """Static folders, least specific first (later ones win)."""
        return tuple(folder / "static" for folder in reversed(self.folders) if (folder / "static").is_dir())

    @property
    def i18n_dirs(self) -> tuple[Path, ...]:
        """Folders of interface-string catalogs, least specific first (later ones win)."""
        return tuple(folder / "i18n" for folder in reversed(self.folders) if (folder / "i18n").is_dir())


def available_themes(root: Path) -> list[str]:
    """The names of the themes a site can use: its own ``themes/`` and the built-in ones."""
    names: set[str] = set()
    for top in (root / "themes", builtin_themes_dir()):
        if top.is_dir():
            names.update(p.name for p in top.iterdir() if (p / "templates").is_dir())
    return sorted(names)


def load_theme(config: Config) -> Theme:
    """Resolve ``config.theme``: the site's ``themes/<name>/`` first, then the built-in themes."""
    default = builtin_themes_dir() / "default"
    for top in (config.root / "themes", builtin_themes_dir()):
        folder = top / config.theme
        if (folder / "templates").is_dir():
            folders = (folder,) if folder.resolve() == default.resolve() else (folder, default)
            return Theme(name=config.theme, folders=folders, site_templates=config.root / "templates")
    raise SitegenError(
        f"'theme' is set to {config.theme!r}, but there is no such theme",
        path="sitegen.yaml", line=setting_line(config.root, "theme"),
        hint="the themes available are: " + ", ".join(available_themes(config.root))
        + " (a site's own themes live in themes/<name>/templates/)",
    )
