"""Fallback pages and the language of parts in a bilingual hub: a language without its
own contact page gets one, and every text shown in another language than the page's
(the creator's English settings, English pages' titles, English text on a fallback page)
carries that language on its element. Checked on built HTML with a parser."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import yaml
from bs4 import BeautifulSoup, NavigableString

from conftest import REPO, soup

CONFIG = """\
title: Hub
description: Conversations about small businesses.
base_url: https://example.org/hub/
timezone: UTC
language: en
languages: [en, es]
contact:
  email: creator@example.org
  links:
    - {label: Office hours, url: "https://hours.example/"}
  form:
    action: https://formspree.io/f/abcd1234
    fields:
      - name
      - email
      - message
      - {name: city, label: Your city, help: "So I know where you read from."}
"""
FILES = {
    "content/pages/contact.md": "---\ntitle: Write to me\n---\nI answer every letter within a week.\n",
    "content/pages/about.md": "---\ntitle: About this hub\n---\nWhy it exists.\n",
    "content/interviews/bread.md": "---\ntitle: Bread\ndate: 2026-01-01\n---\nHello.\n",
    "content/interviews/pan-es.md": "---\ntitle: Pan\ndate: 2026-01-02\nlang: es\n---\nHola.\n",
}
#: Texts written in English (by the creator, in pages or settings) that Spanish pages show.
ENGLISH = ("I answer every letter within a week.", "About this hub", "Office hours", "Your city",
           "So I know where you read from.", "Conversations about small businesses.")
SPANISH = yaml.safe_load((REPO / "themes/default/i18n/es.yaml").read_text(encoding="utf-8"))


def language_of(node: NavigableString) -> str:
    """The language a text is in for a browser or screen reader: the nearest lang."""
    element = node.parent
    while element is not None and not element.has_attr("lang"):
        element = element.parent
    return element["lang"] if element is not None else ""


def texts_in_another_language(doc: BeautifulSoup, page_lang: str) -> dict[str, str]:
    """Every known English text found on the page, with the language it is marked in."""
    found = {}
    body = doc.body
    assert body is not None
    for node in body.find_all(string=True):
        for text in ENGLISH:
            if text in node:
                found[text] = language_of(node)
    assert doc.html["lang"] == page_lang
    return found


def build(make_site, cli, config: str = CONFIG) -> Path:  # type: ignore[no-untyped-def]
    root = make_site(FILES, config=config)
    result = cli("build", root)
    assert result.exit_code == 0, result.output
    return root / "_site"


def test_a_language_without_its_own_contact_page_gets_a_fallback_one(make_site, cli) -> None:
    out = build(make_site, cli)
    page = soup(out / "es/contact/index.html")
    assert page.html["lang"] == "es"
    assert page.h1.get_text(strip=True) == SPANISH["contact_title"]
    body = page.select_one(".entry-body")
    assert body["lang"] == "en" and body.get_text(strip=True) == "I answer every letter within a week."
    # the Spanish edition's own words around it: channels, form, in Spanish and unmarked
    assert page.select_one("#channels-title").get_text(strip=True) == SPANISH["contact_channels_title"]
    assert language_of(page.select_one("#form-title").string) == "es"
    assert page.select_one("form.contact-form")["action"] == "https://formspree.io/f/abcd1234"
    # the English page is as before, with nothing marked
    english = soup(out / "contact/index.html")
    assert english.h1.get_text(strip=True) == "Write to me"
    assert not english.select_one("main").find_all(attrs={"lang": True})
    # it is a page of the site like any other: listed in the sitemap, linked from the Spanish menu
    locs = {loc.text for loc in ET.parse(out / "sitemap.xml").getroot().iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")}
    assert "https://example.org/hub/es/contact/" in locs
    menu = {a.get_text(strip=True): a for a in soup(out / "es/index.html").select("nav.site-nav a")}
    assert menu[SPANISH["contact_title"]]["href"] == "/hub/es/contact/"
    assert not menu[SPANISH["contact_title"]].has_attr("lang")


def test_every_english_text_on_a_spanish_page_says_so(make_site, cli) -> None:
    out = build(make_site, cli)
    spanish_pages = sorted((out / "es").rglob("*.html"))
    assert len(spanish_pages) >= 5
    seen: set[str] = set()
    for path in spanish_pages:
        found = texts_in_another_language(soup(path), "es")
        for text, lang in found.items():
            assert lang == "en", f"{text!r} is shown as {lang!r} in {path.relative_to(out)}"
        seen |= set(found)
    assert seen == set(ENGLISH)  # each was shown somewhere, so each was checked
    menu = soup(out / "es/interviews/pan/index.html").select("nav.site-nav a")
    about = next(a for a in menu if a.get_text(strip=True) == "About this hub")
    assert about["lang"] == "en" and about["href"] == "/hub/about/"
    assert [a.get("lang") for a in menu if a is not about] == [None] * (len(menu) - 1)
    # and on English pages nothing is marked: the texts are in the page's language
    for path in (out / "index.html", out / "contact/index.html", out / "interviews/bread/index.html"):
        doc = soup(path)
        found = texts_in_another_language(doc, "en")
        assert found and set(found.values()) == {"en"}, path
        marked = [e for e in doc.body.find_all(attrs={"lang": "en"}) if e.get("hreflang") != "en"]  # (the switcher's own)
        assert marked == [], path


def test_menu_labels_from_the_settings_are_marked_on_other_languages_pages(make_site, cli) -> None:
    config = CONFIG + "menu:\n  - {label: Stories of work, url: /interviews/}\n  - {label: Say hello, url: /contact/}\n"
    out = build(make_site, cli, config)
    for path, lang in ((out / "es/index.html", "en"), (out / "es/contact/index.html", "en"), (out / "index.html", None)):
        labels = [(a.get_text(strip=True), a.get("lang")) for a in soup(path).select("nav.site-nav a")]
        assert labels == [("Stories of work", lang), ("Say hello", lang)], path


def test_the_bilingual_hub_passes_check(make_site, cli) -> None:
    root = make_site(FILES, config=CONFIG)
    result = cli("check", root, "--format", "json")
    report = json.loads(result.output)
    assert report["ok"], result.output


def test_an_edit_of_the_english_text_reaches_the_fallback_page(make_site, tmp_path: Path) -> None:
    import shutil

    from conftest import tree_digest

    from sitegen import cache
    from sitegen.build import BuildOptions, build

    root = make_site(FILES, config=CONFIG)
    build(root, BuildOptions(jobs=1))
    (root / "content/pages/contact.md").write_text("---\ntitle: Write to me\n---\nLetters are read on Fridays.\n",
                                                   encoding="utf-8")
    build(root, BuildOptions(jobs=1))
    body = soup(root / "_site/es/contact/index.html").select_one(".entry-body")
    assert body.get_text(strip=True) == "Letters are read on Fridays." and body["lang"] == "en"
    clean = tmp_path / "clean"
    shutil.copytree(root, clean, ignore=shutil.ignore_patterns("_site", cache.FOLDER))
    build(clean, BuildOptions(jobs=1, clean=True))
    assert tree_digest(root / "_site") == tree_digest(clean / "_site")


def test_a_single_language_site_keeps_one_contact_page_whatever_its_lang(make_site, cli) -> None:
    config = CONFIG.replace("languages: [en, es]\n", "")
    root = make_site({**FILES, "content/pages/contact.md": "---\ntitle: Escríbeme\nlang: es\n---\nHola.\n"},
                     config=config)
    result = cli("build", root)
    assert result.exit_code == 0, result.output
    page = soup(root / "_site/contact/index.html")
    assert page.html["lang"] == "es" and page.h1.get_text(strip=True) == "Escríbeme"
    assert not (root / "_site/es").exists()
    # The English pages' menu shows the Spanish page's title, marked as Spanish.
    contact = [a for a in soup(root / "_site/index.html").select("nav.site-nav a") if a["href"] == "/hub/contact/"]
    assert [(a.get_text(strip=True), a.get("lang")) for a in contact] == [("Escríbeme", "es")]
