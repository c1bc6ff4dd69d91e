"""Bilingual hubs: catalogs, fallback warnings, localised formatting, translations,
the /<lang>/ editions of a multilingual site, and a single-language site left alone."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from conftest import EXAMPLE_SITE, REPO, soup, tree_digest
from site_checks import ATOM, SITEMAP, check_atom, check_internal_links, check_json_feed, check_sitemap_lists_every_page

from sitegen.build import build
from sitegen.i18n import load_catalogs
from sitegen.l10n import format_date, format_number, format_price, language_name, reading_minutes, text_direction
from sitegen.membership import INTERVALS, PERIODS, SCALES
from sitegen.model import KINDS

THEME = REPO / "themes" / "default"
XHTML = "{http://www.w3.org/1999/xhtml}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
#: t('...') with a literal key, and t('prefix_' ~ something) whose key depends on a kind.
LITERAL_KEY = re.compile(r"""\bt\(\s*(['"])([A-Za-z0-9_]+)\1\s*[,)]""")
PREFIX_KEY = re.compile(r"""\bt\(\s*(['"])([A-Za-z0-9_]+)\1\s*~""")
ENTRY_KINDS = tuple(kind for kind in KINDS if kind != "page")
#: What follows a prefix in t('prefix_' ~ value) keys other than t('kind_' ~ kind).
DYNAMIC_SUFFIXES: dict[str, tuple[str, ...]] = {
    "membership_price_": INTERVALS,
    "membership_goal_": PERIODS,
    "membership_method_": PERIODS,
    "membership_one_off_counted_": PERIODS,
    "membership_scale_": tuple(name for _, name in SCALES) + ("arena",),
}

MULTI = """\
title: Hub
base_url: https://u.github.io/repo/
language: en
languages: [en, es]
timezone: Europe/Madrid
contact:
  email: hello@example.org
"""
SINGLE = MULTI.replace("languages: [en, es]\n", "")


def entry(title: str, day: str, lang: str | None = None, key: str | None = None, tags: str = "[food]",
          extra: str = "") -> str:
    meta = f"title: {title}\ndate: {day}\ntags: {tags}\n"
    meta += f"lang: {lang}\n" if lang else ""
    meta += f"translation_key: {key}\n" if key else ""
    return f"---\n{meta}{extra}---\nSome words about {title}.\n\n## A question?\n\nAn answer.\n"


BILINGUAL_FILES = {
    "content/interviews/bread.md": entry("Bread", "2026-10-02", key="bread", tags="[food, co-ops]"),
    "content/interviews/bread-es.md": entry("Pan", "2026-10-02", lang="es", key="bread", tags="[comida]"),
    "content/interviews/only-english.md": entry("Only English", "2026-09-01"),
    "content/stories/solo-es.md": entry("Solo en español", "2026-08-01", lang="es", tags="[comida]"),
    "content/pages/about.md": "---\ntitle: About\ntranslation_key: about\n---\nAbout the hub.\n",
    "content/pages/acerca.md": "---\ntitle: Acerca de\nlang: es\ntranslation_key: about\n---\nSobre el sitio.\n",
}


# -- Catalogs -------------------------------------------------------------------

def _template_keys() -> set[str]:
    keys: set[str] = set()
    for template in (THEME / "templates").rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        keys |= {m.group(2) for m in LITERAL_KEY.finditer(text)}
        keys |= {m.group(2) + suffix for m in PREFIX_KEY.finditer(text)
                 for suffix in DYNAMIC_SUFFIXES.get(m.group(2), ENTRY_KINDS)}
    return keys


def _catalog(lang: str) -> dict[str, str]:
    return yaml.safe_load((THEME / "i18n" / f"{lang}.yaml").read_text(encoding="utf-8"))


def test_template_scan_finds_keys() -> None:
    keys = _template_keys()
    assert {"skip_to_content", "reading_time", "kind_interview", "kind_story", "language_switcher_label"} <= keys


@pytest.mark.parametrize("lang", ["en", "es"])
def test_shipped_catalogs_have_every_key_the_templates_use(lang: str) -> None:
    catalog = _catalog(lang)
    missing = sorted(_template_keys() - set(catalog))
    assert not missing, f"i18n/{lang}.yaml lacks {missing}"
    assert all(isinstance(v, str) and v.strip() for v in catalog.values())


def test_english_and_spanish_catalogs_have_the_same_keys_and_placeholders() -> None:
    en, es = _catalog("en"), _catalog("es")
    assert set(en) == set(es)
    for key in en:
        assert set(re.findall(r"\{(\w+)\}", en[key])) == set(re.findall(r"\{(\w+)\}", es[key])), key


def test_site_catalog_overrides_a_string_and_adds_a_language(make_site, cli) -> None:
    root = make_site({
        "content/interviews/bread.md": entry("Bread", "2026-10-02"),
        "content/interviews/pao.md": entry("Pão", "2026-10-03", lang="pt"),
        "i18n/en.yaml": "latest: Newest conversations\n",
        "i18n/pt.yaml": "kind_interview: Entrevista\nreading_time: \"{minutes} min de leitura\"\n",
    }, config=SINGLE)
    result = cli("build", root)
    assert result.exit_code == 0, result.output
    assert soup(root / "_site/index.html").find(id="latest-title").get_text() == "Newest conversations"
    doc = soup(root / "_site/interviews/pao/index.html")
    assert doc.select_one(".kicker").get_text() == "Entrevista"
    assert "min de leitura" in doc.select_one(".entry-meta").get_text()
    # A string pt.yaml lacks falls back to English...
    assert doc.find("a", class_="skip-link").get_text() == "Skip to content"
    # ...and the build lists the missing keys once, as a warning, with a hint.
    warnings = [line for line in result.stderr.splitlines() if "interface strings missing in 'pt'" in line]
    assert len(warnings) == 1
    assert "skip_to_content" in warnings[0] and "kind_interview" not in warnings[0]
    assert "i18n/pt.yaml" in result.stderr
    assert "'en'" not in result.stderr and "'es'" not in result.stderr


def test_a_language_without_any_catalog_is_warned_about_once(make_site) -> None:
    root = make_site({"content/stories/s.md": entry("Histoire", "2026-10-02", lang="fr")}, config=SINGLE)
    report = build(root)
    messages = [w.message for w in report.warnings if "'fr'" in w.message]
    assert len(messages) == 1 and "shown in English" in messages[0]
    assert soup(root / "_site/stories/s/index.html").html["lang"] == "fr"


def test_catalog_fallback_records_the_key(tmp_path: Path) -> None:
    (tmp_path / "en.yaml").write_text("hello: Hello {name}\nbye: Bye\n", encoding="utf-8")
    (tmp_path / "es.yaml").write_text("hello: Hola {name}\n", encoding="utf-8")
    catalogs = load_catalogs((tmp_path,), tmp_path)
    assert catalogs.get("es-MX", "hello", name="Ana") == "Hola Ana"
    assert catalogs.get("es", "bye") == "Bye"
    assert catalogs.missing_keys("es") == ("bye",)
    assert catalogs.missing_keys("en") == ()


# -- Formatting -------------------------------------------------------------------

def test_dates_in_english_and_spanish() -> None:
    moment = datetime(2026, 10, 2, 12, tzinfo=timezone.utc)
    assert format_date(moment, "en") == "2 October 2026"
    assert format_date(moment, "es") == "2 de octubre de 2026"
    assert format_date(date(2026, 10, 2), "es") == "2 de octubre de 2026"
    assert format_date(moment, "en-US") == "October 2, 2026"  # a regional tag keeps CLDR's pattern
    assert format_date(moment, "zz") == "2 October 2026"  # unknown to CLDR: English


def test_dates_are_on_the_calendar_of_the_site_timezone() -> None:
    late = datetime(2026, 10, 2, 23, 30, tzinfo=timezone.utc)  # 01:30 on the 3rd in Madrid
    assert format_date(late, "en", "UTC") == "2 October 2026"
    assert format_date(late, "en", "Europe/Madrid") == "3 October 2026"
    assert format_date(late, "es", "America/Mexico_City") == "2 de octubre de 2026"



def test_remembered_dates_are_the_dates_worked_out_afresh() -> None:
    # format_date remembers its answers: equal values must still get their own answer
    # (a date and a datetime of the same day; the same instant written in two zones).
    from zoneinfo import ZoneInfo
    late = datetime(2026, 10, 2, 23, 30, tzinfo=timezone.utc)
    values = [date(2026, 10, 2), datetime(2026, 10, 2), late, late.astimezone(ZoneInfo("Europe/Madrid")),
              datetime(2026, 10, 3, 1, 30)]
    format_date.cache_clear()
    for zone in ("UTC", "Europe/Madrid", "America/Mexico_City"):
        for lang in ("en", "es"):
            for value in values * 2:
                assert format_date(value, lang, zone) == format_date.__wrapped__(value, lang, zone)

def test_numbers_and_prices_in_english_and_spanish() -> None:
    assert format_number(12345.5, "en") == "12,345.5"
    assert format_number(12345.5, "es") == "12.345,5"
    assert format_price(5, "EUR", "en") == "€5"
    assert format_price(5, "eur", "es") == "5\xa0€"
    assert format_price(Decimal("4.50"), "EUR", "en") == "€4.50"
    assert format_price(4.5, "EUR", "es") == "4,50\xa0€"
    assert format_price(1200, "USD", "en") == "$1,200"


def test_language_names_direction_and_reading_speed() -> None:
    assert language_name("es") == "Español" and language_name("en") == "English"
    assert text_direction("ar") == "rtl" and text_direction("he") == "rtl" and text_direction("es") == "ltr"
    assert reading_minutes(2280, "en") == 10
    assert reading_minutes(2280, "es") == 11  # Spanish is read a little slower, in words
    assert reading_minutes(2280, "es-MX") == 11
    assert reading_minutes(0, "xx") == 1


def test_pages_show_dates_reading_time_lang_and_dir_in_their_language(make_site) -> None:
    words = " ".join(["palabra"] * 2280)
    root = make_site({
        "content/stories/largo.md": f"---\ntitle: Largo\ndate: 2026-10-02\nlang: es\n---\n{words}\n",
        "content/stories/arabic.md": "---\ntitle: مرحبا\ndate: 2026-10-02\nlang: ar\n---\nنص\n",
        "content/stories/english.md": "---\ntitle: English\ndate: 2026-10-02T23:30:00+00:00\n---\nText.\n",
    }, config=SINGLE)
    build(root)
    doc = soup(root / "_site/stories/largo/index.html")
    assert (doc.html["lang"], doc.html["dir"]) == ("es", "ltr")
    meta = doc.select_one(".entry-meta").get_text(" ", strip=True)
    assert "2 de octubre de 2026" in meta and "11 min de lectura" in meta
    arabic = soup(root / "_site/stories/arabic/index.html")
    assert (arabic.html["lang"], arabic.html["dir"]) == ("ar", "rtl")
    # 23:30 UTC is already the 3rd in the site's zone (Europe/Madrid).
    assert "3 October 2026" in soup(root / "_site/stories/english/index.html").select_one(".entry-meta").get_text()


# -- A multilingual site ------------------------------------------------------------

def _hreflangs_html(path: Path) -> dict[str, str]:
    doc = soup(path)
    return {link["hreflang"]: link["href"] for link in doc.find_all("link", rel="alternate", hreflang=True)}


def _hreflangs_sitemap(output: Path) -> dict[str, dict[str, str]]:
    found = {}
    for node in ET.parse(output / "sitemap.xml").getroot().iter(f"{SITEMAP}url"):
        links = node.findall(f"{XHTML}link")
        found[node.find(f"{SITEMAP}loc").text] = {link.get("hreflang"): link.get("href") for link in links}
    return found


def _file_for(output: Path, url: str, base: str = "https://u.github.io/repo/") -> Path:
    return output / url.removeprefix(base) / "index.html"


def test_multilingual_site_puts_other_languages_under_their_prefix(make_site) -> None:
    root = make_site(BILINGUAL_FILES, config=MULTI)
    build(root)
    out = root / "_site"
    assert (out / "interviews/bread/index.html").is_file()
    # bread-es.md: the "-es" ending is dropped, the /es/ folder already says it.
    assert (out / "es/interviews/bread/index.html").is_file()
    assert (out / "es/stories/solo-es/index.html").is_file() is False
    assert (out / "es/stories/solo/index.html").is_file()
    assert (out / "es/acerca/index.html").is_file()
    assert not (out / "interviews/bread-es").exists()
    spanish = soup(out / "es/interviews/bread/index.html")
    assert (spanish.html["lang"], spanish.html["dir"]) == ("es", "ltr")
    assert spanish.select_one(".kicker").get_text() == "Entrevista"
    assert [a["href"] for a in spanish.select(".tags a")] == ["/repo/es/tags/comida/"]
    nav = {a.get_text(): a["href"] for a in spanish.select(".site-nav a")}
    assert nav == {"Entrevistas": "/repo/es/interviews/", "Historias": "/repo/es/stories/", "Acerca de": "/repo/es/acerca/",
                   "Contacto": "/repo/es/contact/"}  # the contact page made from contact: in each language
    assert spanish.find("a", class_="site-title")["href"] == "/repo/es/"
    assert spanish.find("link", type="application/atom+xml")["href"] == "/repo/es/feed.xml"
    check_internal_links(out, "/repo/")
    check_sitemap_lists_every_page(out, "https://u.github.io/repo/")


def test_each_language_has_its_own_home_indexes_tags_and_feeds(make_site) -> None:
    root = make_site(BILINGUAL_FILES, config=MULTI)
    build(root)
    out = root / "_site"

    def titles(path: str) -> list[str]:
        return [a.get_text() for a in soup(out / path).select(".card-title a")]

    assert titles("index.html") == ["Bread", "Only English"]
    assert titles("es/index.html") == ["Pan", "Solo en español"]
    assert titles("interviews/index.html") == ["Bread", "Only English"]
    assert titles("es/interviews/index.html") == ["Pan"]
    assert titles("es/stories/index.html") == ["Solo en español"]
    assert titles("stories/index.html") == []
    assert titles("es/tags/comida/index.html") == ["Pan", "Solo en español"]
    assert not (out / "es/tags/food").exists() and not (out / "tags/comida").exists()
    es_home = soup(out / "es/index.html")
    assert es_home.html["lang"] == "es" and es_home.find(id="latest-title").get_text() == "Lo último"
    assert [a.get_text() for a in soup(out / "es/tags/index.html").select(".tags-index a")] == ["comida"]

    atom = check_atom(out / "es/feed.xml")
    assert atom.get(XML_LANG) == "es"
    assert [e.find(f"{ATOM}title").text for e in atom.findall(f"{ATOM}entry")] == ["Pan", "Solo en español"]
    assert atom.find(f"{ATOM}link[@rel='alternate']").get("href") == "https://u.github.io/repo/es/"
    english = check_atom(out / "feed.xml")
    assert english.get(XML_LANG) == "en"
    assert [e.find(f"{ATOM}title").text for e in english.findall(f"{ATOM}entry")] == ["Bread", "Only English"]
    tag_feed = check_atom(out / "es/tags/comida/feed.xml")
    assert len(tag_feed.findall(f"{ATOM}entry")) == 2
    data = check_json_feed(out / "es/feed.json")
    assert data["language"] == "es" and data["feed_url"] == "https://u.github.io/repo/es/feed.json"
    assert [item["title"] for item in data["items"]] == ["Pan", "Solo en español"]
    assert json.loads((out / "feed.json").read_text(encoding="utf-8"))["language"] == "en"


def test_translations_link_each_other_symmetrically_in_html_and_sitemap(make_site) -> None:
    root = make_site(BILINGUAL_FILES, config=MULTI)
    build(root)
    out = root / "_site"
    base = "https://u.github.io/repo/"
    bread = {"en": base + "interviews/bread/", "es": base + "es/interviews/bread/", "x-default": base + "interviews/bread/"}
    sitemap = _hreflangs_sitemap(out)
    pairs = 0
    for loc, alternates in sitemap.items():
        if not alternates:
            continue
        assert alternates["x-default"] in alternates.values()
        for lang, href in alternates.items():
            assert sitemap[href] == alternates, f"{href} does not point back to {loc}"
            assert _hreflangs_html(_file_for(out, href)) == alternates
            pairs += 1
    assert sitemap[base + "interviews/bread/"] == bread
    assert sitemap[base + "es/acerca/"] == {"en": base + "about/", "es": base + "es/acerca/", "x-default": base + "about/"}
    assert sitemap[base + "es/"] == {"en": base, "es": base + "es/", "x-default": base}
    assert sitemap[base + "interviews/only-english/"] == {}
    assert _hreflangs_html(out / "interviews/only-english/index.html") == {}
    assert pairs >= 4 * 3
    switcher = soup(out / "interviews/bread/index.html").select(".language-switcher a")
    assert [(a.get_text(), a["href"], a["lang"], a.get("aria-current")) for a in switcher] == [
        ("English", "/repo/interviews/bread/", "en", "page"), ("Español", "/repo/es/interviews/bread/", "es", None)]
    assert soup(out / "interviews/only-english/index.html").select_one(".language-switcher") is None


def test_spanish_edition_offers_english_pages_it_has_no_version_of(make_site) -> None:
    files = {**BILINGUAL_FILES, "content/pages/contact.md": "---\ntitle: Contact\n---\nWrite.\n"}
    root = make_site(files, config=MULTI)
    build(root)
    nav = {a.get_text(): a["href"] for a in soup(root / "_site/es/index.html").select(".site-nav a")}
    # The English contact.md's text, on the Spanish edition's own contact page (see docs/people.md).
    assert nav["Contacto"] == "/repo/es/contact/"
    assert soup(root / "_site/es/contact/index.html").select_one(".entry-body")["lang"] == "en"
    assert nav["Acerca de"] == "/repo/es/acerca/"


def test_explicit_slug_keeps_its_language_ending(make_site) -> None:
    root = make_site({"content/stories/s.md": entry("S", "2026-01-01", lang="es", extra="slug: hola-es\n")},
                     config=MULTI)
    build(root)
    assert (root / "_site/es/stories/hola-es/index.html").is_file()


# -- Single-language sites ------------------------------------------------------------

def test_single_language_site_is_unchanged(make_site) -> None:
    files = {"content/interviews/bread.md": entry("Bread", "2026-10-02")}
    root = make_site(files, config=SINGLE)
    build(root)
    out = root / "_site"
    assert not (out / "es").exists()
    doc = soup(out / "interviews/bread/index.html")
    assert doc.find("link", hreflang=True) is None and doc.select_one(".language-switcher") is None
    assert "xhtml:link" not in (out / "sitemap.xml").read_text(encoding="utf-8")
    assert "2 October 2026" in doc.select_one(".entry-meta").get_text()


def test_without_languages_every_page_keeps_its_url_whatever_its_lang(make_site) -> None:
    root = make_site(BILINGUAL_FILES, config=SINGLE)
    build(root)
    out = root / "_site"
    assert (out / "interviews/bread-es/index.html").is_file()
    assert (out / "acerca/index.html").is_file()
    assert not (out / "es").exists()
    titles = [a.get_text() for a in soup(out / "interviews/index.html").select(".card-title a")]
    assert titles == ["Pan", "Bread", "Only English"] or titles == ["Bread", "Pan", "Only English"]
    card = soup(out / "interviews/index.html").find("a", string="Pan").find_parent("article")
    assert card.select_one(".card-title")["lang"] == "es"
    # Translations are still linked, at their normal URLs.
    base = "https://u.github.io/repo/"
    expected = {"en": base + "interviews/bread/", "es": base + "interviews/bread-es/", "x-default": base + "interviews/bread/"}
    assert _hreflangs_html(out / "interviews/bread/index.html") == expected
    assert _hreflangs_html(out / "interviews/bread-es/index.html") == expected
    assert _hreflangs_sitemap(out)[base + "interviews/bread-es/"] == expected
    spanish = soup(out / "interviews/bread-es/index.html")
    assert spanish.html["lang"] == "es" and "2 de octubre de 2026" in spanish.select_one(".entry-meta").get_text()
    assert _hreflangs_html(out / "index.html") == {}


# -- Mistakes ----------------------------------------------------------------------------

@pytest.mark.parametrize("files, config, expected, hint", [
    ({"content/stories/s.md": "---\ntitle: S\ndate: 2026-01-01\nlang: fr\n---\nx\n"}, MULTI,
     "content/stories/s.md:4: 'lang' is 'fr', which is not one of the site's languages (en, es)", "languages"),
    ({"content/stories/a.md": entry("A", "2026-01-01", lang="es", key="k"),
      "content/stories/b.md": entry("B", "2026-01-02", lang="es", key="k")}, SINGLE,
     "content/stories/b.md:6: this file and content/stories/a.md are both the 'es' version of translation_key 'k'",
     "translation_key"),
    ({"content/pages/es.md": "---\ntitle: ES\n---\nx\n"}, MULTI,
     "content/pages/es.md:1: this page's URL /es/ is taken by the home page of /es/", "slug"),
    ({}, MULTI.replace("languages: [en, es]", "languages: [es, fr]"),
     "sitegen.yaml:4: 'languages' does not include the site's language 'en'", "add en"),
    ({}, MULTI.replace("languages: [en, es]", "languages: [en, en]"), "sitegen.yaml:4: 'languages' lists 'en' twice", None),
    ({}, MULTI.replace("languages: [en, es]", "languages: spanish"), "sitegen.yaml:4: 'languages' must be a list", None),
])
def test_language_mistakes_are_reported_and_output_kept(make_site, cli, files, config, expected, hint) -> None:
    root = make_site({"content/interviews/ana.md": entry("Ana", "2026-01-01")}, config=SINGLE)
    assert cli("build", root).exit_code == 0
    before = tree_digest(root / "_site")
    (root / "sitegen.yaml").write_text(config, encoding="utf-8")
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    result = cli("build", root)
    assert result.exit_code == 1
    assert expected in result.stderr, result.stderr
    if hint:
        assert "hint:" in result.stderr and hint in result.stderr
    assert "Traceback" not in result.output
    assert tree_digest(root / "_site") == before


# -- The example hub ------------------------------------------------------------------------

def test_example_site_is_bilingual(copy_site) -> None:
    root = copy_site(EXAMPLE_SITE)
    build(root)
    out = root / "_site"
    base = "https://example.github.io/small-rooms/"
    sitemap = _hreflangs_sitemap(out)
    translated = [loc for loc, alt in sitemap.items() if "/interviews/" in loc and alt]
    assert len(translated) >= 4  # at least two interviews, each in English and in Spanish
    for loc in translated:
        alternates = sitemap[loc]
        assert set(alternates) == {"en", "es", "x-default"}
        assert _hreflangs_html(_file_for(out, loc, base)) == alternates
        spanish = soup(_file_for(out, alternates["es"], base))
        assert spanish.html["lang"] == "es" and spanish.select_one(".language-switcher a[hreflang=en]")
        assert " de " in spanish.select_one(".entry-meta time").get_text()  # "14 de febrero de 2025"
    check_internal_links(out, "/small-rooms/")
    check_sitemap_lists_every_page(out, base)


def test_example_site_also_builds_as_a_multilingual_site(copy_site) -> None:
    # The /es/ scheme on real content: Spanish entries move under /es/ with their own
    # indexes and feeds. (Links written in the content to the old URLs would then
    # need updating, which is why the example keeps the default scheme.)
    root = copy_site(EXAMPLE_SITE)
    config = (root / "sitegen.yaml").read_text(encoding="utf-8")
    (root / "sitegen.yaml").write_text(config.replace("language: en\n", "language: en\nlanguages: [en, es]\n"),
                                       encoding="utf-8")
    build(root)
    out = root / "_site"
    assert (out / "es/interviews/baking-for-one-street/index.html").is_file()
    assert (out / "es/interviews/libreria-la-cuesta/index.html").is_file()
    spanish = [e.find(f"{ATOM}title").text for e in check_atom(out / "es/feed.xml").findall(f"{ATOM}entry")]
    assert "Pan para una sola calle" in spanish
    english = [e.find(f"{ATOM}title").text for e in check_atom(out / "feed.xml").findall(f"{ATOM}entry")]
    assert "Pan para una sola calle" not in english and "Baking for one street" in english
    check_sitemap_lists_every_page(out, "https://example.github.io/small-rooms/")


def test_language_roots_and_paths_come_from_urls() -> None:
    from sitegen.urls import entry_path, language_root, section_path, tag_path
    assert language_root("es", "en", ()) == ""  # no 'languages': every page at its normal URL
    assert language_root("en", "en", ("en", "es")) == ""
    assert language_root("pt-BR", "en", ("en", "pt-BR")) == "pt-br/"
    root = language_root("es", "en", ("en", "es"))
    assert (entry_path("interview", "pan", root), entry_path("page", "acerca", root)) == ("es/interviews/pan/", "es/acerca/")
    assert (section_path("story", root), tag_path("comida", root)) == ("es/stories/", "es/tags/comida/")
