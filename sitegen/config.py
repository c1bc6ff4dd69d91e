"""Settings: ``load_config(root)`` reads ``sitegen.yaml`` into a validated ``Config``.

Three levels, in order of precedence: built-in defaults (the ``Config`` dataclass) <
``sitegen.yaml`` < command-line options (``--base-url``, ``--output``). Every problem
in the file is reported at once, each with its key and line.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import MappingProxyType
from typing import Any
from collections.abc import Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .contact import EMAIL_RE, parse_contact
from .errors import BuildError, Problem, SitegenError, did_you_mean, not_utf8, shown
from .frontmatter import load_yaml
from .membership import parse_membership
from .model import Author, Config, Connections, Link
from .safety import invisible_values, unsafe_url_values
from .urls import split_url

CONFIG_FILE = "sitegen.yaml"
LANG_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_THEME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_UNSAFE_CHARS = re.compile(r"[\x00-\x1f\x7f\\]")
# An origin as a Content-Security-Policy source: scheme, host (a name or a bracketed IPv6
# address) and port, nothing else; a space or ";" there would start another directive.
_ORIGIN_RE = re.compile(r"^https?://(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*"
                        r"|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?/?$", re.I)
_USERINFO_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)([^/?#]*)@")  # (greedy: to the last @, as urlsplit reads it)
_DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$", re.I)

#: Every top-level key of sitegen.yaml, with a short description for error messages.
KEYS: Mapping[str, str] = MappingProxyType({
    "title": "the hub's name",
    "base_url": "the address the site is served at, e.g. https://user.github.io/repo/",
    "description": "one or two sentences about the hub",
    "language": "the site's language code, e.g. en or es",
    "languages": "the languages of a multilingual site, e.g. [en, es]; the others get /<lang>/",
    "timezone": "the time zone of dates without one, e.g. Europe/Madrid",
    "author": "the creator: a name, or name/email/url/photo/rel_me",
    "theme": "the theme's name (default: default)",
    "output": "the output folder (default: _site)",
    "page_size": "entries per page in lists",
    "home_entries": "entries shown on the home page",
    "cname": "a custom domain for GitHub Pages (writes CNAME)",
    "menu": "the navigation: a list of label/url",
    "contact": "how readers reach the creator: email, signal, whatsapp, telegram, matrix, fediverse, phone, "
               "links, form",
    "connections": "related entries and introductions: related (a number), introductions (true/false)",
    "webmention": "the https URL of your Webmention endpoint (optional)",
    "membership": "membership tiers and goal",
    "privacy": "privacy settings, e.g. allow_origins",
    "extra": "free-form values for templates",
    "private": "values that never reach the output",
})
REQUIRED = ("title", "base_url")


def output_folder(root: Path, output: str | Path) -> Path:
    """The absolute output folder ``output`` names (relative to the site folder ``root``),
    with the folders above it resolved but not the folder itself: a symbolic link named
    as the output stays a link, for the build to refuse (never to replace what it points to)."""
    path = (root / output).absolute()
    if path.name in ("", ".."):
        return path.resolve()
    return path.parent.resolve() / path.name


def load_config(root: Path, base_url: str | None = None, output: str | Path | None = None) -> Config:
    """Read and validate ``root/sitegen.yaml``; options given here override the file.

    Raises :class:`BuildError` with every problem found in the file.
    """
    path = root / CONFIG_FILE
    if not path.is_file():
        raise SitegenError(
            f"no {CONFIG_FILE} in {root}",
            hint="run sitegen in your hub's folder, pass the folder (sitegen build my-hub), "
            "or start a new hub with 'sitegen init'",
        )
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig").replace("\r\n", "\n")
    except UnicodeDecodeError as exc:
        raise not_utf8(raw, exc, CONFIG_FILE) from None
    except OSError as exc:
        raise SitegenError(f"cannot read this file: {exc.strerror}", path=CONFIG_FILE,
                           hint=f"give yourself read permission, e.g. chmod u+r {CONFIG_FILE}") from None
    data, lines = load_yaml(text, CONFIG_FILE)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise SitegenError("the settings must be 'key: value' lines", path=CONFIG_FILE, line=1,
                           hint="start with 'title: My hub' and 'base_url: https://...'")
    if base_url is not None:
        data["base_url"] = base_url
        lines["base_url"] = 0
    if output is not None:
        data["output"] = str(output)
    return _validate(root.resolve(), data, lines)


class _Checker:
    """Collects problems about keys of one YAML file."""

    def __init__(self, lines: dict[str, int]) -> None:
        self.lines = lines
        self.problems: list[Problem] = []

    def error(self, key: str, message: str, hint: str | None = None) -> None:
        line = self.line(key)
        if line == 0:  # came from the command line
            self.problems.append(Problem(f"--{key.replace('_', '-')}: {message}", hint=hint))
            return
        self.problems.append(Problem(f"'{key}' {message}", path=CONFIG_FILE, line=line or None,
                                     hint=hint
                                     or f"the README's 'Settings' table says what '{key.split('.')[0]}' takes"))

    def line(self, key: str) -> int | None:
        """The line of ``key``, or of its nearest parent when the key itself is missing."""
        while key:
            if key in self.lines:
                return self.lines[key]
            key = re.sub(r"(\.[^.\[]*|\[\d+\])$", "", key) if re.search(r"[.\[]", key) else ""
        return None

    def typed(self, data: dict[str, Any], key: str, kind: type | tuple[type, ...], name: str) -> Any:
        value = data.get(key.rsplit(".", 1)[-1])
        if value is None:
            return None
        if isinstance(value, bool) and kind is not bool and bool not in (kind if isinstance(kind, tuple) else (kind,)):
            self.error(key, f"must be {name} (got {value!r})")
            return None
        if not isinstance(value, kind):
            self.error(key, f"must be {name} (got {shown(value)})")
            return None
        return value



def check_url(value: str, schemes: tuple[str, ...] = ("http", "https", "mailto"), relative: bool = False) -> bool:
    """True when ``value`` is a URL with one of ``schemes`` or a site path (``/...``).

    With ``relative``, links without a scheme (``about/``, ``#top``) are accepted too.
    Control characters and backslashes are refused everywhere: browsers drop or
    rewrite them, which can turn ``/\\evil.example`` into another site's address. A
    malformed URL (``http://[::1``, a port ``8O80``) is refused too.
    """
    if _UNSAFE_CHARS.search(value) or value != value.strip():
        return False
    if value.startswith("/") and not value.startswith("//"):
        return True
    parts = split_url(value)
    if parts is None:
        return False
    if relative and not parts.scheme and not value.startswith("//") and ":" not in value.split("/")[0]:
        return True
    if parts.scheme not in schemes:
        return False
    return parts.scheme == "mailto" or bool(parts.netloc)


def without_password(url: str) -> str:
    """``url`` as a message may show it: ``https://ana:secret@example.org/`` ->
    ``https://ana:***@example.org/`` (a password is never printed back)."""
    def mask(m: re.Match[str]) -> str:
        user, colon, _ = m.group(2).partition(":")
        return f"{m.group(1)}{user}{':***' if colon else ''}@"
    return _USERINFO_RE.sub(mask, url)


def setting_line(root: Path, key: str) -> int | None:
    """The line of a top-level ``key`` in ``root/sitegen.yaml``, for problems found
    after loading (such as a theme that does not exist)."""
    try:
        text = (root / CONFIG_FILE).read_bytes().decode("utf-8-sig").replace("\r\n", "\n")
        return load_yaml(text, CONFIG_FILE)[1].get(key)
    except (OSError, UnicodeDecodeError, SitegenError):
        return None


def _validate(root: Path, data: dict[str, Any], lines: dict[str, int]) -> Config:
    c = _Checker(lines)
    for key in data:
        if key not in KEYS:
            c.error(str(key), f"is not a setting{did_you_mean(str(key), KEYS)}",
                    hint="the settings are: " + ", ".join(KEYS))
    for key in REQUIRED:
        if data.get(key) in (None, ""):
            c.problems.append(Problem(f"'{key}' is missing: {KEYS[key]}", path=CONFIG_FILE,
                                      hint=f"add a line '{key}: ...' to {CONFIG_FILE}"))
    title = c.typed(data, "title", str, "text") or ""
    base_url = c.typed(data, "base_url", str, "a URL") or ""
    if base_url:
        parts = split_url(base_url)
        if parts is not None and (parts.username is not None or parts.password is not None):
            c.error("base_url", f"must not contain a user name or password (got {without_password(base_url)!r}): "
                    "it would be printed into every page's links",
                    hint="write the public address only, e.g. https://example.org/; "
                    "if that password was real, change it")
            base_url = ""
        elif parts is None or parts.scheme not in ("http", "https") or not parts.hostname or parts.query \
                or parts.fragment:
            c.error("base_url", f"must be an absolute http(s) URL (got {without_password(base_url)!r})",
                    hint="e.g. https://user.github.io/repo/ or https://example.org/; a host in [brackets] "
                    "needs its closing ], and a port is a number from 1 to 65535")
            base_url = ""
        elif not base_url.endswith("/"):
            base_url += "/"
    description = c.typed(data, "description", str, "text") or ""
    languages = _languages(c, data.get("languages"))
    language = c.typed(data, "language", str, "a language code") or (languages[0] if languages else "en")
    if not LANG_RE.match(language):
        c.error("language", f"is not a language code (got {language!r})", hint="e.g. en, es, pt-BR")
    elif languages and language not in languages:
        c.error("languages", f"does not include the site's language {language!r}",
                hint=f"add {language} to 'languages' (it is published at the root), or change 'language'")
    timezone = c.typed(data, "timezone", str, "a time zone name") or "UTC"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        c.error("timezone", f"is not a known time zone (got {timezone!r})",
                hint="use a name from the tz database, e.g. Europe/Madrid or America/Mexico_City")
        timezone = "UTC"
    author = _author(c, data.get("author"))
    theme = c.typed(data, "theme", str, "a theme name") or "default"
    if not _THEME_RE.match(theme):
        c.error("theme", f"must be a theme's folder name (got {theme!r})",
                hint="e.g. theme: default; a site's own themes live in themes/<name>/")
        theme = "default"
    output = c.typed(data, "output", str, "a folder") or "_site"
    page_size = _positive_int(c, data, "page_size", 10, minimum=1)
    home_entries = _positive_int(c, data, "home_entries", 6, minimum=0)
    cname = c.typed(data, "cname", str, "a domain name")
    if cname and not _DOMAIN_RE.match(cname):
        c.error("cname", f"is not a domain name (got {cname!r})", hint="e.g. hub.example.org, without https://")
    menu = _menu(c, data.get("menu"))
    sections: dict[str, Any] = {}
    for key in ("contact", "privacy", "extra"):
        value = c.typed(data, key, dict, "a mapping of settings")
        sections[key] = value
    _check_privacy(c, sections["privacy"] or {})
    contact = parse_contact(sections["contact"] or {}, lambda key, message, hint: c.error(key, message, hint),
                            fallback_email=author.email if author else None)
    connections = _connections(c, c.typed(data, "connections", dict, "a mapping of settings") or {})
    webmention = c.typed(data, "webmention", str, "an https URL")
    if webmention and not (check_url(webmention, ("https",)) and webmention.startswith("https://")):
        c.error("webmention", f"must be an https URL (got {webmention!r})", hint="e.g. webmention: https://webmention.io/example.org/webmention")
        webmention = None
    membership = parse_membership(data.get("membership"), c.error)
    for key in ("contact", "membership", "privacy", "extra", "connections"):
        section = data.get(key)
        for dotted, scheme in unsafe_url_values(section if isinstance(section, dict) else {}, key + "."):
            line = next((lines[k] for k in _prefixes(dotted) if k in lines), None)
            c.problems.append(Problem(f"'{dotted}' holds a {scheme} link, which sitegen never publishes",
                                      path=CONFIG_FILE, line=line,
                                      hint="use an https:// address, a mailto: address or a path on the site"))
    for dotted, code in invisible_values(data):
        line = next((lines[k] for k in _prefixes(dotted) if k in lines), None)
        c.problems.append(Problem(f"'{dotted}' contains an invisible control character ({code})",
                                  path=CONFIG_FILE, line=line,
                                  hint="remove the escape (such as \\e or \\x07) from the value; pages cannot show it"))
    if c.problems:
        raise BuildError(c.problems)
    return Config(
        root=root,
        title=title,
        base_url=base_url,
        description=description,
        language=language,
        languages=languages,
        timezone=timezone,
        author=author,
        theme=theme,
        output=output_folder(root, output),
        page_size=page_size,
        home_entries=home_entries,
        cname=cname,
        menu=menu,
        contact=contact,
        connections=connections,
        webmention=webmention,
        membership=membership,
        privacy=sections["privacy"] or {},
        extra=sections["extra"] or {},
    )


def _prefixes(dotted: str) -> list[str]:
    """``a.b.c`` -> ``[a.b.c, a.b, a]``: where to look for the line of a nested value."""
    parts = dotted.split(".")
    return [".".join(parts[:n]) for n in range(len(parts), 0, -1)]


def _positive_int(c: _Checker, data: dict[str, Any], key: str, default: int, minimum: int) -> int:
    value = c.typed(data, key, int, "a whole number")
    if value is None:
        return default
    if value < minimum:
        c.error(key, f"must be at least {minimum} (got {value})")
        return default
    return int(value)


def _languages(c: _Checker, value: Any) -> tuple[str, ...]:
    """``languages``: a list of distinct language codes (empty when not set)."""
    if value is None:
        return ()
    if not isinstance(value, list) or not value:
        c.error("languages", f"must be a list of language codes, e.g. [en, es] (got {shown(value)})")
        return ()
    codes: list[str] = []
    for code in value:
        if not isinstance(code, str) or not LANG_RE.match(code):
            c.error("languages", f"has something that is not a language code: {code!r}", hint="e.g. [en, es, pt-BR]")
        elif code in codes:
            c.error("languages", f"lists {code!r} twice")
        else:
            codes.append(code)
    return tuple(codes)


def _author(c: _Checker, value: Any) -> Author | None:
    if value is None:
        return None
    if isinstance(value, str):
        return Author(name=value)
    if not isinstance(value, dict):
        c.error("author", "must be a name or a mapping with name, email, url, photo, rel_me")
        return None
    known = ("name", "email", "url", "photo", "rel_me")
    for key in value:
        if key not in known:
            c.error(f"author.{key}", f"is not an author setting{did_you_mean(str(key), known)}")
    name = value.get("name")
    if not isinstance(name, str) or not name:
        c.error("author", "needs a 'name'")
        return None
    email = value.get("email")
    if email is not None and (not isinstance(email, str) or not EMAIL_RE.match(email)):
        c.error("author.email", f"is not an e-mail address (got {email!r})")
        email = None
    url = value.get("url")
    if url is not None and (not isinstance(url, str) or not check_url(url, ("http", "https"))):
        c.error("author.url", f"must be an http(s) URL (got {url!r})", hint="e.g. url: https://example.org/")
        url = None
    photo = value.get("photo")
    if photo is not None and (not isinstance(photo, str) or not check_url(photo, ("http", "https"))):
        c.error("author.photo", "must be a path under static/ like /images/me.jpg",
                hint="put the picture in static/images/ and write photo: /images/me.jpg, or an https:// address")
        photo = None
    rel_me = value.get("rel_me") or []
    if not isinstance(rel_me, list) or not all(isinstance(u, str) and check_url(u, ("http", "https")) for u in rel_me):
        c.error("author.rel_me", "must be a list of http(s) URLs of your profiles")
        rel_me = []
    return Author(name=name, email=email, url=url, photo=photo, rel_me=tuple(rel_me))


def _menu(c: _Checker, value: Any) -> tuple[Link, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        c.error("menu", "must be a list of entries with 'label' and 'url'")
        return None
    items = []
    for item in value:
        if not (isinstance(item, dict) and isinstance(item.get("label"), str) and isinstance(item.get("url"), str)):
            c.error("menu", f"entries need a 'label' and a 'url' (got {item!r})",
                    hint="e.g. - {label: About, url: /about/}")
            continue
        if not check_url(item["url"], relative=True):
            c.error("menu", f"url must be a site path like /about/ or an http(s) URL (got {item['url']!r})",
                    hint="e.g. - {label: About, url: /about/}; javascript: and data: links are never published")
            continue
        items.append(Link(label=item["label"], url=item["url"]))
    return tuple(items)


def _check_privacy(c: _Checker, privacy: dict[str, Any]) -> None:
    """``privacy.allow_origins``: the only way to let pages load from another origin."""
    for key in privacy:
        if key != "allow_origins":
            c.error(f"privacy.{key}", f"is not a privacy setting{did_you_mean(str(key), ['allow_origins'])}",
                    hint="privacy has one setting: allow_origins, a list like [\"https://media.example.org\"]")
    origins = privacy.get("allow_origins")
    if origins is None:
        return
    if not isinstance(origins, list):
        c.error("privacy.allow_origins", "must be a list of origins", hint='e.g. allow_origins: ["https://media.example.org"]')
        return
    for origin in origins:
        # Each origin is written into the Content-Security-Policy of every page: only a
        # scheme, a host and a port may pass, never a path, a space, a ";" or a quote.
        parts = split_url(origin) if isinstance(origin, str) and _ORIGIN_RE.match(origin) else None
        if parts is None or not parts.hostname or parts.port == 0:
            c.error("privacy.allow_origins", f"entries must be origins like https://media.example.org (got {origin!r})",
                    hint="an origin is https:// or http://, a host name and, if needed, :port (1-65535); "
                    "no path, spaces, ';', quotes or wildcards")


def _connections(c: _Checker, value: dict[str, Any]) -> Connections:
    known = ("related", "introductions")
    for key in value:
        if key not in known:
            c.error(f"connections.{key}", f"is not a connections setting{did_you_mean(str(key), known)}",
                    hint="connections has: related, introductions")
    related = value.get("related", 3)
    if isinstance(related, bool) or not isinstance(related, int) or related < 0:
        c.error("connections.related", f"must be a whole number, 0 or more (got {related!r})", hint="e.g. related: 3")
        related = 3
    introductions = value.get("introductions", False)
    if not isinstance(introductions, bool):
        c.error("connections.introductions", f"must be true or false (got {introductions!r})",
                hint="introductions: true")
        introductions = False
    return Connections(related=related, introductions=introductions)
