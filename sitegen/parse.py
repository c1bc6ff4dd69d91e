"""Parsing: a source file becomes a :class:`~sitegen.model.Page`.

Reads the file (UTF-8, a byte-order mark and CRLF accepted), splits the front matter,
validates every known key for the file's kind, and renders the Markdown body. Unknown
keys are kept in ``Page.meta`` for templates. Problems name the file and line.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, UTC
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from markdown_it import MarkdownIt

from .config import LANG_RE, check_url
from .contact import CHANNELS, Channel, channel
from .safety import INVISIBLE, invisible_values, unsafe_url_values
from .discover import Source
from .errors import Problem, SitegenError, did_you_mean, not_utf8
from .frontmatter import FrontMatter, split_front_matter
from .model import Config, Link, Page, Person
from .slugs import slugify
from .video import link_timestamps, make_video
from .urls import RESERVED_PREFIXES, clean_site_path, split_url

#: Front-matter keys sitegen reads; any other key is kept in ``Page.meta``.
KNOWN_KEYS = (
    "title", "date", "updated", "summary", "tags", "lang", "person", "video", "transcript",
    "draft", "template", "slug", "image", "translation_key", "url",
)
MALFORMED_URL_HINT = ("a host in [brackets] needs its closing ], and a port is a number from 1 to 65535, "
                      "e.g. https://media.example.org:8080/picture.jpg")
PERSON_KEYS = ("name", "role", "links", "contact", "consent")
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?$")
_WORD = re.compile(r"\w+")
# UTF-8 bytes: ASCII word characters (\w: letters, digits, "_") become "a", other ASCII
# a space; the bytes of non-ASCII characters become "a" (count_words first replaces the
# non-ASCII characters that are not word characters).
_WORD_BYTES = bytes(0x61 if chr(i).isalnum() or i == 0x5F else 0x20 for i in range(128)) + b"a" * 128
_ASCII_BYTES = bytes(range(128))
# A superset of safety.INVISIBLE with few ranges: the regex engine tests a character
# against each range in turn, and INVISIBLE's 36 (one per plane's noncharacters) made
# searching a page ten times slower. Only when this finds something is INVISIBLE used.
_MAYBE_INVISIBLE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufdd0-\ufdef\ufffe\uffff\U00010000-\U0010ffff]")


def read_source(source: Source, raw: bytes | None = None) -> str:
    """The text of a source (whose bytes are ``raw`` if already read), with a byte-order
    mark and CRLF line endings removed."""
    try:
        if raw is None:
            raw = source.path.read_bytes()
    except PermissionError:
        raise SitegenError("cannot read this file: permission denied", path=source.rel,
                           hint="give yourself read permission, e.g. chmod u+r " + source.rel) from None
    except OSError as exc:
        raise SitegenError(f"cannot read this file: {exc.strerror}", path=source.rel) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise not_utf8(raw, exc, source.rel) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def remove_invisible(text: str, rel: str) -> tuple[str, list[Problem]]:
    """``text`` without the invisible characters HTML forbids, and a warning naming
    the line of the first one (the page is still built)."""
    if _MAYBE_INVISIBLE.search(text) is None:
        return text, []
    first = INVISIBLE.search(text)
    if first is None:
        return text, []
    count = len(INVISIBLE.findall(text))
    line = text.count("\n", 0, first.start()) + 1
    code = f"U+{ord(first.group()):04X}"
    return INVISIBLE.sub("", text), [Problem(
        f"removed {count} invisible control character{'s' if count != 1 else ''} ({code} first)",
        path=rel, line=line, severity="warning",
        hint="they often come with pasted text; retype the line or paste as plain text to get rid of them",
    )]


class _Fields:
    """Validates front-matter values of one file, collecting problems."""

    def __init__(self, source: Source, fm: FrontMatter) -> None:
        self.source = source
        self.meta = fm.meta
        self.lines = fm.lines
        self.problems: list[Problem] = []

    def error(self, key: str, message: str, hint: str | None = None) -> None:
        line = self.lines.get(key) or self.lines.get(key.split(".")[0]) or 1
        self.problems.append(Problem(message, path=self.source.rel, line=line,
                                     hint=hint or "the README's front-matter example shows every setting and its form"))

    def text(self, key: str, required: bool = False) -> str | None:
        value = self.meta.get(key)
        if value is None or value == "":
            if required:
                self.error(key, f"'{key}' is missing", hint=f"add a line '{key}: ...' to the front matter")
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)  # title: 1984 is text to a writer
        if not isinstance(value, str):
            self.error(key, f"'{key}' must be text (got {_shown(value)})",
                       hint=f"write it on one line, e.g. {key}: \"...\"")
            return None
        return value.strip()

    def flag(self, key: str) -> bool:
        value = self.meta.get(key)
        if value is None:
            return False
        if not isinstance(value, bool):
            self.error(key, f"'{key}' must be true or false (got {_shown(value)})", hint=f"write {key}: true")
            return False
        return value

    def moment(self, key: str, zone: ZoneInfo, required: bool) -> datetime | None:
        value = self.meta.get(key)
        if value is None or value == "":
            if required:
                self.error(key, f"'{key}' is missing", hint=f"add '{key}: YYYY-MM-DD', e.g. {key}: 2026-10-02")
            return None
        parsed = parse_date(value, zone)
        if parsed is None:
            self.error(key, f"'{key}' must be a date like 2026-10-02 (got {_shown(value)})",
                       hint=f"write {key}: YYYY-MM-DD, or with a time: {key}: 2026-10-02 18:30 "
                       "(optionally +02:00); the month comes before the day")
            return None
        try:  # pages, feeds and sorting show and compare it in UTC and in the site's zone
            parsed.astimezone(UTC)
            parsed.astimezone(zone)
        except OverflowError:
            self.error(key, f"'{key}' is out of range: in UTC or in the site's time zone it falls before "
                       f"the year 1 or after 9999 (got {_shown(value)})",
                       hint=f"write a date between the years 2 and 9998, e.g. {key}: 2026-10-02")
            return None
        return parsed


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f'"{value[:80]}…"' if len(value) > 80 else f'"{value}"'
    return repr(value)


def parse_date(value: Any, zone: ZoneInfo) -> datetime | None:
    """A timezone-aware datetime from a front-matter value, or None when it is not a date.

    ``2026-10-02`` is midnight in ``zone``; a time without an offset is in ``zone``.
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    elif isinstance(value, str):
        text = value.strip()
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
    else:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment


def _person(f: _Fields, value: Any) -> Person | None:
    if value is None:
        return None
    if isinstance(value, str) and value.strip():
        return Person(name=value.strip(), slug=slugify(value))
    if not isinstance(value, dict):
        f.error("person", "'person' must be a name or a mapping with name, role, links, contact, consent")
        return None
    for key in value:
        if key not in PERSON_KEYS:
            f.error(f"person.{key}", f"'person.{key}' is not a person setting{did_you_mean(str(key), PERSON_KEYS)}",
                    hint="a person has: " + ", ".join(PERSON_KEYS))
    name = value.get("name")
    if not isinstance(name, str) or not name.strip():
        f.error("person", "'person' needs a 'name'", hint="e.g. person: {name: Ana Pérez, role: Baker}")
        return None
    role = value.get("role")
    if role is not None and not isinstance(role, str):
        f.error("person.role", "'person.role' must be text")
        role = None
    consent = value.get("consent", False)
    if not isinstance(consent, bool):
        f.error("person.consent", f"'person.consent' must be true or false (got {_shown(consent)})")
        consent = False
    links = _links(f, "person.links", value.get("links"), ("http", "https"))
    contact = _contact(f, value.get("contact"))
    if contact and not consent:
        # Never keep details the person did not agree to publish: no template can leak them.
        f.problems.append(Problem(
            f"contact details for {name} are not published: 'person.consent' is not true",
            path=f.source.rel, line=f.lines.get("person.contact"), severity="warning",
            hint="set 'consent: true' once the person agreed, or remove the details",
        ))
        contact = ()
    return Person(name=name.strip(), slug=slugify(name), role=(role or "").strip() or None,
                  links=links, contact=contact, consent=consent)


def _links(f: _Fields, key: str, value: Any, schemes: tuple[str, ...]) -> tuple[Link, ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        f.error(key, f"'{key}' must be a mapping of name: URL", hint=f'e.g. {key.split(".")[-1]}: {{website: "https://..."}}')
        return ()
    links = []
    for label, url in value.items():
        if not isinstance(url, str) or not check_url(url, schemes):
            f.error(f"{key}.{label}", f"'{key}.{label}' must be an http(s) URL (got {_shown(url)})",
                    hint=f"e.g. {label}: https://example.org/ (javascript: and data: links are never published)")
            continue
        links.append(Link(label=str(label), url=url))
    return tuple(links)


def _contact(f: _Fields, value: Any) -> tuple[Channel, ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        f.error("person.contact", "'person.contact' must be a mapping, e.g. {email: ana@example.org}")
        return ()
    details = []
    for kind, detail in value.items():
        found = channel(str(kind), detail)
        if isinstance(found, str):
            hint = CHANNELS.get(str(kind))
            f.error(f"person.contact.{kind}", f"'person.contact.{kind}' {found}",
                    hint=f"{kind}: {hint}" if hint else "a person's contact can have: "
                    + ", ".join(k for k in CHANNELS if k != "links"))
            continue
        details.append(found)
    return tuple(details)


def _tags(f: _Fields) -> tuple[str, ...]:
    value = f.meta.get("tags")
    if value is None:
        return ()
    if isinstance(value, str):
        if "," in value:  # "food, coops" is two tags to the writer, one to YAML
            f.error("tags", f"'tags' is one text with commas in it (got {_shown(value)})",
                    hint="write a list in brackets: tags: ["
                    + ", ".join(t.strip() for t in value.split(",") if t.strip()) + "]")
            return ()
        value = [value]
    if not isinstance(value, list):
        f.error("tags", f"'tags' must be a list (got {_shown(value)})", hint="e.g. tags: [food, cooperatives]")
        return ()
    tags: list[str] = []
    for tag in value:
        if isinstance(tag, bool) or not isinstance(tag, (str, int, float)) or not slugify(str(tag)):
            f.error("tags", f"each tag must be a word or phrase (got {_shown(tag)})",
                    hint="e.g. tags: [food, cooperatives]")
            continue
        name = str(tag).strip()
        if name not in tags:
            tags.append(name)
    return tuple(tags)


def _slug(f: _Fields) -> str:
    given = f.meta.get("slug")
    if given is not None:
        if not isinstance(given, str) or not SLUG_RE.match(given):
            f.error("slug", f"'slug' must be lowercase letters, digits and hyphens (got {_shown(given)})",
                    hint="e.g. slug: ana-perez; it cannot contain '/', '..', '\\' or spaces")
            return slugify(f.source.path.stem) or "untitled"
        return given
    slug = slugify(f.source.path.stem)
    if not slug:
        f.error("", "the file name has no letters or digits to make its URL from",
                hint="rename the file, e.g. ana-perez.md")
        return "untitled"
    return slug


def _permalink(f: _Fields, is_entry: bool) -> str | None:
    """A page's own address from ``url:``; entries take theirs from section and slug."""
    given = f.meta.get("url")
    if given is None:
        return None
    if is_entry:
        f.error("url", "'url' can only be set on pages (content/pages/); an interview or story lives in its section",
                hint="set 'slug: ...' to change the last part of its address instead")
        return None
    path = clean_site_path(given) if isinstance(given, str) else None
    if path is None:
        f.error("url", f"'url' must be a path on this site like /about/team/ (got {_shown(given)})",
                hint="use lowercase letters, digits and hyphens between slashes; "
                "no '..', '\\', spaces, control characters or https://")
        return None
    reserved = next((p for p in RESERVED_PREFIXES if path.startswith(p)), None)
    if reserved is not None:
        f.error("url", f"'url' cannot be under /{reserved}: those addresses belong to pages sitegen makes",
                hint="choose an address outside " + ", ".join(f"/{p}" for p in RESERVED_PREFIXES))
        return None
    return path


def parse_source(source: Source, config: Config, md: MarkdownIt, raw: bytes | None = None,
                 pictures_read: dict[str, tuple[int, int, int] | None] | None = None,
                 ) -> tuple[Page | None, list[Problem]]:
    """Parse one source (whose bytes are ``raw`` if already read) into a Page. Returns the
    page (None when it has errors) and every problem found in it, warnings included.
    ``pictures_read`` is told the stat of each picture whose size the page was given, as
    it was read (see ``images.image_size``)."""
    try:
        text, invisible = remove_invisible(read_source(source, raw), source.rel)
        fm = split_front_matter(text, source.rel)
    except SitegenError as exc:
        return None, list(exc.problems)
    f = _Fields(source, fm)
    f.problems.extend(invisible)
    zone = ZoneInfo(config.timezone)
    is_entry = source.kind != "page"
    if not fm.meta and not fm.body.strip():
        f.problems.append(Problem("this file is empty", path=source.rel, line=1,
                                  hint="start it with front matter: ---, title: ..., date: ..., ---"))
        return None, f.problems
    title = f.text("title", required=True)
    if title == "" and isinstance(fm.meta.get("title"), str):
        f.error("title", "'title' is blank: it has only spaces",
                hint="write the title, e.g. title: Baking bread as a co-op")
    if "title" not in fm.meta and not fm.lines:
        f.problems[-1] = Problem("'title' is missing: this file has no front matter", path=source.rel, line=1,
                                 hint="start the file with '---', 'title: ...'"
                                 + (", 'date: YYYY-MM-DD'" if is_entry else "")
                                 + " and '---' on their own lines")
    when = f.moment("date", zone, required=is_entry)
    updated = f.moment("updated", zone, required=False)
    lang = f.text("lang") or config.language
    if not LANG_RE.match(lang):
        f.error("lang", f"'lang' is not a language code (got {_shown(lang)})", hint="e.g. lang: es")
        lang = config.language
    elif config.languages and lang not in config.languages:
        f.error("lang", f"'lang' is {lang!r}, which is not one of the site's languages ({', '.join(config.languages)})",
                hint="use one of them, or add it to 'languages' in sitegen.yaml")
    video = f.text("video")
    if video and not check_url(video, ("http", "https")):
        f.error("video", "'video' must be an https URL or a path under static/ like /video/talk.mp4 "
                f"(got {_shown(video)})",
                hint="e.g. video: https://www.youtube.com/watch?v=... "
                     "(javascript: and data: links are never published)")
        video = None
    image = f.text("image")
    if image and not check_url(image, ("http", "https")):
        f.error("image", f"'image' must be a path under static/ like /images/ana.jpg (got {_shown(image)})",
                hint="put the picture in static/images/ and write image: /images/name.jpg, or an https:// address")
        image = None
    summary = f.text("summary") or ""
    tags = _tags(f)
    person = _person(f, fm.meta.get("person"))
    transcript, draft = f.flag("transcript"), f.flag("draft")
    template, translation_key = f.text("template"), f.text("translation_key")
    if template and "partials" in template.replace("\\", "/").split("/"):
        f.error("template", f"'template' names a partial ({template}): a piece of a page, not a page template",
                hint="use interview.html, story.html or page.html, or a template of your own in templates/ "
                "(outside partials/) that extends base.html")
        template = None
    slug = _slug(f)
    permalink = _permalink(f, is_entry)
    # The invisible characters written as themselves are gone from the text already; a
    # value can only hold one through a YAML escape, which takes a backslash.
    escaped = "\\" in text[:len(text) - len(fm.body)]
    for key, code in invisible_values({k: v for k, v in fm.meta.items() if k not in ("slug", "url")}
                                      if escaped else {}):
        f.error(key.split(".")[0], f"'{key}' contains an invisible control character ({code})",
                hint="remove the escape (such as \\e or \\x07) from the value; pages cannot show it")
    for key, shown in unsafe_url_values({k: v for k, v in fm.meta.items() if k not in KNOWN_KEYS}):
        f.error(key.split(".")[0], f"'{key}' holds a {shown} link, which sitegen never publishes",
                hint="use an https:// address, a mailto: address or a path on the site such as /about/")
    if any(p.severity == "error" for p in f.problems):
        return None, f.problems
    env: dict[str, Any] = {"urls": config.urls, "line_offset": fm.body_line, "static_dir": config.root / "static",
                           "pictures_read": pictures_read}
    # markdown-it keeps javascript:, vbscript:, file: and data: links (other than
    # images) out of the HTML; links and images are recorded with their lines.
    body_html = md.render(fm.body, env)
    for message, hint, line in env.get("unsafe_html", ()):
        f.problems.append(Problem(message, path=source.rel, line=line, hint=hint))
    for src, line in env.get("images", ()):
        if split_url(src) is None:
            f.problems.append(Problem(f"this image's address is malformed: {src}", path=source.rel, line=line,
                                      hint=MALFORMED_URL_HINT))
    if any(p.severity == "error" for p in f.problems):
        return None, f.problems
    if transcript and video:
        # (Without the site folder: a timestamp's link does not depend on captions, and a
        # file looked for here would be an input of the parse.)
        body_html = link_timestamps(body_html, make_video(video, config.urls))
    page = Page(
        kind=source.kind,
        source=source.rel,
        slug=slug,
        permalink=permalink,
        title=title or "",
        body_html=body_html,
        lang=lang,
        date=when,
        updated=updated,
        summary=summary or _shorten(env.get("first_paragraph", "")),
        tags=tags,
        person=person,
        video=video,
        transcript=transcript,
        draft=draft,
        template=template,
        image=image,
        translation_key=translation_key,
        headings=tuple(env.get("headings", ())),
        images=tuple(env.get("images", ())),
        word_count=count_words(fm.body),
        meta={k: v for k, v in fm.meta.items() if k not in KNOWN_KEYS},
        lines=fm.lines,
    )
    return page, f.problems


def count_words(text: str) -> int:
    """How many runs of word characters (regex ``\\w+``) ``text`` has.

    The same number as ``len(re.findall(r"\\w+", text))`` in a fifth of the time on a
    long page, without making a string per word: the non-ASCII characters that are not
    word characters (dashes, curly quotes) become spaces, then every byte of the UTF-8
    text becomes "a" (word) or a space, and the runs are counted in C.
    """
    if not text.isascii():
        others = text.encode("utf-8", "surrogatepass").translate(None, _ASCII_BYTES)
        for char in set(others.decode("utf-8", "surrogatepass")):
            if not _is_word(char):
                text = text.replace(char, " ")
    data = text.encode("utf-8", "surrogatepass").translate(_WORD_BYTES)
    return data.count(b" a") + data.startswith(b"a")


@lru_cache(maxsize=4096)
def _is_word(char: str) -> bool:
    return _WORD.match(char) is not None


def _shorten(text: str, limit: int = 200) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"


def parse_all(sources: list[Source], config: Config, md: MarkdownIt) -> tuple[list[Page], list[Problem]]:
    """Parse every source; returns the pages and all problems (errors and warnings)."""
    pages: list[Page] = []
    problems: list[Problem] = []
    for source in sources:
        page, found = parse_source(source, config, md)
        problems.extend(found)
        if page is not None:
            pages.append(page)
    return pages, problems

