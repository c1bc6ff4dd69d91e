"""Slugs and URLs: the one slugger and the one URL joiner."""

from __future__ import annotations

import re
from urllib.parse import quote, unquote, urlsplit

from hypothesis import given, strategies as st

from sitegen.slugs import slugify, unique_slug
from sitegen.urls import Urls, entry_path, mailto, output_file, page_number_path, percent_encode


def test_slugify_transliterates_accents() -> None:
    assert slugify("Ana Pérez") == "ana-perez"
    assert slugify("Ñandú, güero & Façade") == "nandu-guero-facade"
    assert slugify("Straße Øresund Łódź") == "strasse-oresund-lodz"
    assert slugify("¿Qué es esto?") == "que-es-esto"


def test_slugify_keeps_other_scripts_and_empties_symbols() -> None:
    assert slugify("東京 2026") == "東京-2026"
    assert slugify("!!! ???") == ""


def test_unique_slug_counts_up() -> None:
    taken: set[str] = set()
    assert [unique_slug("Why?", taken) for _ in range(3)] == ["why", "why-2", "why-3"]
    assert unique_slug("???", taken) == "section"


@given(st.text())
def test_slugify_is_safe_and_idempotent(text: str) -> None:
    slug = slugify(text)
    assert slug == slugify(slug)
    assert not re.search(r"[\s/\\.?#%]", slug)
    assert not slug.startswith("-") and not slug.endswith("-")


def test_urls_join_under_a_subpath() -> None:
    urls = Urls.from_base_url("https://user.github.io/repo/")
    assert urls.path("interviews/ana/") == "/repo/interviews/ana/"
    assert urls.path("") == "/repo/"
    assert urls.absolute("feed.xml") == "https://user.github.io/repo/feed.xml"
    assert urls.link("/about/") == "/repo/about/"
    assert urls.link("https://x.org/") == "https://x.org/"
    assert urls.link("//cdn.example/x") == "//cdn.example/x"
    assert urls.link("#q1") == "#q1"


def test_urls_without_trailing_slash_and_at_root() -> None:
    assert Urls.from_base_url("https://user.github.io/repo").path("a/") == "/repo/a/"
    assert Urls.from_base_url("https://example.org").path("a/") == "/a/"


def test_absolutize_html_for_feeds() -> None:
    urls = Urls.from_base_url("https://u.github.io/repo/")
    html = '<a href="/repo/x/">x</a><img src="/repo/a.png"><a href="#fn1">1</a><a href="https://o.org/">o</a>'
    out = urls.absolutize_html(html, "interviews/ana/")
    assert 'href="https://u.github.io/repo/x/"' in out
    assert 'src="https://u.github.io/repo/a.png"' in out
    assert 'href="https://u.github.io/repo/interviews/ana/#fn1"' in out
    assert 'href="https://o.org/"' in out


def test_output_files_and_pagination() -> None:
    assert output_file("") == "index.html"
    assert output_file("interviews/ana/") == "interviews/ana/index.html"
    assert output_file("404.html") == "404.html"
    assert entry_path("page", "about") == "about/"
    assert entry_path("story", "x") == "stories/x/"
    assert page_number_path("tags/food/", 1) == "tags/food/"
    assert page_number_path("tags/food/", 3) == "tags/food/page/3/"


@given(st.text(min_size=1))
def test_mailto_subject_round_trips(subject: str) -> None:
    link = mailto("me@example.org", subject)
    parts = urlsplit(link)
    assert parts.scheme == "mailto"
    assert "#" not in link and " " not in link and "+" not in link.split("?", 1)[1]
    query = parts.query
    assert query.startswith("subject=") and "&" not in query
    assert unquote(query[len("subject="):]) == subject


def test_mailto_encodes_reserved_and_accents() -> None:
    link = mailto("me@example.org", "Pan & café? #1 + más")
    assert link == "mailto:me@example.org?subject=Pan%20%26%20caf%C3%A9%3F%20%231%20%2B%20m%C3%A1s"


# percent_encode replaces urllib's quote in mailto: and WhatsApp links (it remembers the
# words it encoded); its output must be exactly quote's, for any text and twice in a row.
_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


@given(st.lists(_TEXT, max_size=4), st.sampled_from(["", "@", "/"]))
def test_percent_encode_is_urllib_quote(pieces: list[str], safe: str) -> None:
    text = " ".join(pieces)
    assert percent_encode(text, safe) == quote(text, safe=safe)
    assert percent_encode(text, safe) == quote(text, safe=safe)  # remembered words


def test_percent_encode_reserved_spaces_and_accents() -> None:
    assert percent_encode("  ¿Qué? a&b=c #1 +2 100% “x”\r\n") == quote("  ¿Qué? a&b=c #1 +2 100% “x”\r\n", safe="")
    assert percent_encode("marta+hub@example.org", "@") == "marta%2Bhub@example.org"
    assert percent_encode("a b", " ") == "a b"


_OLD_ROOT_ATTR = re.compile(r'(\s(?:href|src|poster))="/(?!/)')
_OLD_FRAGMENT_ATTR = re.compile(r'(\shref)="#')
_PIECES = st.sampled_from([" ", "\t", "\n", "\u00a0", "x", "-", "href", "src", "poster", "data-", '="', "/", "#", '"', "<a", ">"])


@given(st.lists(_PIECES, max_size=30))
def test_absolutize_html_matches_the_attribute_patterns(pieces: list[str]) -> None:
    # absolutize_html searches for ="/ and ="# and checks the attribute name by hand;
    # it must rewrite exactly what \s(href|src|poster)="/ and \shref="# matched.
    html = "".join(pieces)
    urls = Urls.from_base_url("https://example.org/repo/")
    expected = _OLD_ROOT_ATTR.sub(lambda m: f'{m.group(1)}="https://example.org/', html)
    expected = _OLD_FRAGMENT_ATTR.sub(lambda m: f'{m.group(1)}="https://example.org/repo/a/#', expected)
    assert urls.absolutize_html(html, "a/") == expected
