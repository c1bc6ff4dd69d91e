"""References (between collecting and rendering): files a page points at that the
site does not have.

An image written in Markdown as ``![..](/images/loaf.jpg)`` (or relative to the
page) must be a file of the site's or the theme's ``static/`` folder; otherwise the
build warns with the file and line of the image, so a typo is found before readers
see a broken picture. External images (``https://``) are not checked here.
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from collections.abc import Iterable
from urllib.parse import unquote, urlsplit

from .discover import StaticFile
from .errors import Problem
from .images import static_image_file
from .model import Page, Site


def sized_pictures(page: Page, static_dir: Path) -> tuple[Path, ...]:
    """The files whose size parsing ``page`` read, found or not: its Markdown images
    with a path on the site (see ``markdown._set_image_size``). They are inputs of its
    parse, as much as its own text."""
    found = (static_image_file(src, static_dir) for src, _ in page.images)
    return tuple(dict.fromkeys(path for path in found if path is not None))


def _target(src: str, page: Page) -> str | None:
    """The output path an image ``src`` of ``page`` points at, or None when external."""
    parts = urlsplit(src)
    if parts.scheme or parts.netloc or not parts.path:
        return None
    path = unquote(parts.path)
    if not path.startswith("/"):
        path = "/" + page.url + path
    return posixpath.normpath(path).lstrip("/")


def missing_images(site: Site, static_files: Iterable[StaticFile]) -> list[Problem]:
    """A warning for every local image a published page uses that no static file provides."""
    available = {file.target for file in static_files}
    problems = []
    for page in (*site.entries, *site.pages):
        used = list(page.images)
        if page.image:
            used.append((page.image, page.lines.get("image", 1)))
        for src, line in used:
            target = _target(src, page)
            if target is None or target in available:
                continue
            problems.append(Problem(
                f"the image {src} is not in the site: there is no static/{target}",
                path=page.source, line=line, severity="warning",
                hint=f"put the file at static/{target}, or correct the path (it is case-sensitive)",
            ))
    return problems
