"""Scaffolding: ``sitegen init`` (a new hub) and ``sitegen new`` (one content file).

Not a stage of the build: these commands write the user's *sources*, never the output.
They never overwrite a file of the user's (``init --force`` is the one exception, and
it only replaces the files it would create). The sample hub lives beside this module
in ``skeleton/``, shipped as package data; a path component ``dot-x`` there becomes
``.x`` in the hub (so packaging tools never skip it as a hidden file).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta, UTC
from pathlib import Path
from types import MappingProxyType
from collections.abc import Mapping
from zoneinfo import ZoneInfo

from . import pin as pinning
from .config import LANG_RE, load_config, without_password
from .errors import BuildError, Problem, SitegenError
from .model import CONTENT_DIRS, Kind
from .parse import parse_date
from .slugs import slugify
from .urls import split_url

SKELETON = Path(__file__).resolve().parent / "skeleton"
_HIDDEN_PREFIX = "dot-"
#: Lines the hub's .gitignore must have (the output and the cache).
GITIGNORE_LINES = ("_site/", ".sitegen-cache/")
#: Files of the user's that init leaves as they are when they exist (even with --force).
KEPT = ("README.md",)


@dataclass(frozen=True, slots=True)
class InitResult:
    """What ``init_hub`` did: files created, files replaced (``--force``), files extended,
    files of the user's left as they were, and the sitegen the hub's workflow installs."""

    root: Path
    created: tuple[str, ...]
    replaced: tuple[str, ...]
    extended: tuple[str, ...]
    kept: tuple[str, ...] = ()
    pin: pinning.Pin | None = None


def skeleton_files() -> list[tuple[str, Path]]:
    """The sample hub's files: (path in the new hub, file in the package), sorted."""
    files = []
    for path in sorted(SKELETON.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        parts = path.relative_to(SKELETON).parts
        target = "/".join("." + p[len(_HIDDEN_PREFIX):] if p.startswith(_HIDDEN_PREFIX) else p for p in parts)
        files.append((target, path))
    return files


def default_title(root: Path) -> str:
    """A title made from the folder's name: ``my-hub`` -> ``My hub``."""
    words = root.resolve().name.replace("-", " ").replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else "My hub"


def _check_base_url(base_url: str) -> str:
    parts = split_url(base_url)
    if parts is not None and (parts.username is not None or parts.password is not None):
        raise SitegenError(f"--base-url must not contain a user name or password (got {without_password(base_url)!r})",
                           hint="write the public address only, e.g. https://example.org/")
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise SitegenError(f"--base-url must be an absolute http(s) URL (got {base_url!r})",
                           hint="e.g. https://user.github.io/repo/ or https://example.org/; a host in [brackets] "
                           "needs its closing ], and a port is a number from 1 to 65535")
    return base_url if base_url.endswith("/") else base_url + "/"


def init_hub(root: Path, title: str | None = None, base_url: str | None = None, force: bool = False,
             today: date | None = None) -> InitResult:
    """Write a new hub into ``root`` (created if needed): settings, sample content,
    static files, .gitignore and the GitHub Pages workflow.

    Raises :class:`BuildError` listing every file that already exists, before writing
    anything, unless ``force``. An existing ``.gitignore`` is extended, never replaced;
    an existing ``README.md`` is kept. ``requirements.txt`` pins this sitegen (see
    ``pin.py``), shipping its wheel inside the hub when no index or git host has it.
    """
    if root.exists() and not root.is_dir():
        raise SitegenError(f"{root} exists and is not a folder", hint="choose a new folder name for the hub")
    title = (title or default_title(root)).strip()
    if not title:
        raise SitegenError("the title is empty", hint='e.g. --title "Small Rooms"')
    base_url = (_check_base_url(base_url) if base_url
                else f"https://example.github.io/{slugify(root.resolve().name) or 'hub'}/")
    today = today or datetime.now(UTC).date()
    pin = pinning.decide()
    values = {
        "@TITLE@": _quoted(title),
        "@NAME@": " ".join(title.split()),
        "@BASE_URL@": base_url,
        "@REQUIREMENT@": pin.line,
        "@DATE_INTERVIEW@": (today - timedelta(days=7)).isoformat(),
        "@DATE_STORY@": (today - timedelta(days=2)).isoformat(),
    }
    files = skeleton_files()
    targets = [target for target, _ in files] + ([pin.wheel] if pin.wheel else [])
    conflicts: list[Problem] = []
    links: set[Path] = set()
    for target in targets:
        path = root / target
        # A link (which a change to the hub can add) would have init write, or extend, a file
        # of yours wherever it leads: never written through.
        link = next((p for p in (path, *path.parents) if p.is_relative_to(root) and p != root and p.is_symlink()),
                    None)
        if link is not None:
            if link not in links:
                links.add(link)
                conflicts.append(Problem("this is a symbolic link, and sitegen init never writes through one",
                                         path=link.relative_to(root).as_posix(),
                                         hint="remove the link, or init the hub in a new folder"))
            continue
        if (target == ".gitignore" or target in KEPT) and path.is_file():
            continue
        if path.is_dir():
            conflicts.append(Problem("a folder is in the way of a file sitegen init writes", path=target,
                                     hint="move the folder away, or init the hub in a new folder"))
        elif path.exists() and not force:
            conflicts.append(Problem("already exists; sitegen init does not overwrite it", path=target,
                                     hint="init the hub in a new folder, or pass --force to replace the sample files"))
    if conflicts:
        raise BuildError(conflicts)
    created: list[str] = []
    replaced: list[str] = []
    extended: list[str] = []
    kept: list[str] = []
    if pin.wheel:  # first: a sitegen that cannot be shipped stops init before it writes anything else
        pinning.check_wheels_folder(root)
        (replaced if (root / pin.wheel).exists() else created).append(pin.wheel)
        pinning.write_wheel(root / pin.wheel)
    for target, source in files:
        path = root / target
        text = source.read_text(encoding="utf-8")
        for key, value in values.items():
            text = text.replace(key, value)
        if target == ".gitignore" and path.is_file():
            if _extend_gitignore(path):
                extended.append(target)
            continue
        if target in KEPT and path.is_file():
            kept.append(target)
            continue
        (replaced if path.exists() else created).append(target)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
    return InitResult(root=root, created=tuple(created), replaced=tuple(replaced), extended=tuple(extended),
                      kept=tuple(kept), pin=pin)


def _extend_gitignore(path: Path) -> bool:
    """Add the output and cache folders to an existing .gitignore; True if it changed."""
    text = path.read_text(encoding="utf-8", errors="replace")
    present = {line.strip() for line in text.splitlines()}
    missing = [line for line in GITIGNORE_LINES if line not in present and line.rstrip("/") not in present]
    if not missing:
        return False
    addition = ("" if text.endswith("\n") or not text else "\n") + "# sitegen: built output and cache\n"
    path.write_text(text + addition + "\n".join(missing) + "\n", encoding="utf-8", newline="\n")
    return True


# -- sitegen new -------------------------------------------------------------------

#: Body skeletons per kind and language (other languages get the English one).
_BODIES: Mapping[str, Mapping[Kind, str]] = MappingProxyType({
    "en": MappingProxyType({
        "interview": (
            "A paragraph or two introducing {who}: what they make, for whom, and how you met.\n\n"
            "## How did it start?\n\nTheir answer, in their own words.\n\n"
            "## Who is it for?\n\n\n"
            "## How does it pay for itself?\n\n\n"
            "## What would you tell someone starting out?\n\n"
        ),
        "story": (
            "Start with the moment the story turns on.\n\n"
            "## What happened\n\n\n"
            "## What it taught me\n\n"
        ),
        "page": "Write this page here.\n",
    }),
    "es": MappingProxyType({
        "interview": (
            "Uno o dos párrafos para presentar a {who}: qué hace, para quién y cómo os conocisteis.\n\n"
            "## ¿Cómo empezó todo?\n\nSu respuesta, con sus propias palabras.\n\n"
            "## ¿Para quién es?\n\n\n"
            "## ¿Cómo se sostiene?\n\n\n"
            "## ¿Qué le dirías a alguien que empieza?\n\n"
        ),
        "story": (
            "Empieza por el momento en que todo cambia.\n\n"
            "## Qué pasó\n\n\n"
            "## Qué aprendí\n\n"
        ),
        "page": "Escribe aquí el contenido de la página.\n",
    }),
})
_SOMEONE = MappingProxyType({"en": "the person you talked to", "es": "la persona con quien hablaste"})


def content_path(root: Path, kind: Kind, slug: str) -> Path:
    """Where ``sitegen new`` writes a file of ``kind`` with ``slug``."""
    return root / CONTENT_DIRS[kind] / f"{slug}.md"


def _yaml_printable(ch: str) -> bool:
    """True for a character YAML allows as it is inside a double-quoted scalar."""
    code = ord(ch)
    return (0x20 <= code <= 0x7E or 0xA0 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD and code != 0xFEFF
            or code >= 0x10000)


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar for any text (JSON's escapes are YAML's), with the
    characters YAML refuses or reads as line breaks escaped too."""
    return "".join(ch if ch == '"' or _yaml_printable(ch) else f"\\u{ord(ch):04x}" if ord(ch) < 0x10000
                   else f"\\U{ord(ch):08x}" for ch in json.dumps(text, ensure_ascii=False))


def new_content(root: Path, kind: Kind, title: str, person: str | None = None, lang: str | None = None,
                when: str | None = None, slug: str | None = None, now: datetime | None = None) -> Path:
    """Write a new draft interview, story or page with its front matter filled in and
    a body to start from. Returns the path written.

    The date is ``when`` (validated) or now, in the site's time zone. Raises
    :class:`SitegenError` if the file exists, or for an unusable title, slug, language
    or date; nothing is written then.
    """
    config = load_config(root)
    title = title.strip()
    if not title:
        raise SitegenError("the title is empty", hint='e.g. sitegen new interview "Baking bread as a co-op"')
    if person is not None and kind == "page":
        raise SitegenError("--person is for interviews and stories, not pages",
                           hint="leave out --person, or use sitegen new interview")
    if lang is not None and not LANG_RE.match(lang):
        raise SitegenError(f"--lang is not a language code (got {lang!r})", hint="e.g. --lang es")
    final_slug = slug if slug is not None else slugify(title)
    if not final_slug or slugify(final_slug) != final_slug:
        raise SitegenError(f"cannot make a file name from {(slug if slug is not None else title)!r}",
                           hint="give one with --slug, using lowercase letters, digits and hyphens, "
                                "e.g. --slug ana-perez")
    zone = ZoneInfo(config.timezone)
    date_text: str | None
    if when is not None:
        moment = parse_date(when, zone)
        if moment is None:
            raise SitegenError(f"--date must be a date like 2026-10-02 or 2026-10-02 18:30 (got {when!r})",
                               hint="the year comes first, then the month, then the day")
        date_text = when.strip()
    else:
        date_text = (now or datetime.now(UTC)).astimezone(zone).strftime("%Y-%m-%d %H:%M")
    path = content_path(root, kind, final_slug)
    rel = path.relative_to(root).as_posix()
    for existing in (path, path.with_suffix(".markdown")):
        if existing.exists():
            raise SitegenError("already exists; sitegen new does not overwrite files",
                               path=existing.relative_to(root).as_posix(),
                               hint="choose another title, or another file name with --slug")
    if kind == "page" and when is None:
        date_text = None  # pages are not dated unless asked
    text = _front_matter(kind, title, person, lang, date_text) + _body(kind, person, lang or config.language)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8", newline="\n") as handle:  # "x": never replace a file
            handle.write(text)
    except FileExistsError:
        raise SitegenError("already exists; sitegen new does not overwrite files", path=rel,
                           hint="choose another title, or another file name with --slug") from None
    return path


def _front_matter(kind: Kind, title: str, person: str | None, lang: str | None, date_text: str | None) -> str:
    lines = ["---", f"title: {_quoted(title)}"]
    if kind == "interview" or person:
        if person:
            lines += ["person:", f"  name: {_quoted(person.strip())}", "  # role: What they do, where",
                      "  # links: {website: \"https://...\"}",
                      "  # contact: {email: name@example.org}",
                      "  consent: false  # true only once they agreed to publish their contact details"]
        else:
            lines += ["# person:", "#   name: Who you talked to", "#   role: What they do, where",
                      "#   consent: false"]
    if date_text is not None:
        lines.append(f"date: {date_text}")
    lines += ["# summary: One sentence for lists, feeds and previews."]
    if kind != "page":
        lines.append("tags: []")
    if lang:
        lines.append(f"lang: {lang}")
    lines += ["draft: true  # remove this line to publish", "---", "", ""]
    return "\n".join(lines)


def _body(kind: Kind, person: str | None, lang: str) -> str:
    base = lang.split("-")[0]
    bodies = _BODIES.get(base, _BODIES["en"])
    who = person.strip() if person else _SOMEONE.get(base, _SOMEONE["en"])
    return bodies[kind].format(who=who)
