"""The collect stage finishes the site: the contact and membership pages sitegen makes
are in the Site that collect returns, and the renderer renders that site as given."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from conftest import REPO

from sitegen.collect import MADE, collect
from sitegen.config import load_config
from sitegen.discover import discover_content
from sitegen.i18n import load_catalogs
from sitegen.markdown import make_markdown
from sitegen.model import Site
from sitegen.parse import parse_all
from sitegen.render import Renderer
from sitegen.themes import load_theme

CONFIG = """\
title: Hub
base_url: https://example.org/
language: en
languages: [en, es]
contact:
  email: creator@example.org
membership:
  goal: {amount: 1000, currency: USD, period: month}
  tiers:
    - {name: Reader, price: 5, currency: USD, interval: month, join_url: "https://pay.example/r"}
"""
FILES = {
    "content/pages/contact.md": "---\ntitle: Write to me\n---\nI answer every letter.\n",
    "content/interviews/pan-es.md": "---\ntitle: Pan\ndate: 2026-01-02\nlang: es\n---\nHola.\n",
}
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def _collected(root: Path) -> tuple[Site, list[str]]:
    config = load_config(root)
    sources, problems = discover_content(root)
    assert not problems
    pages, problems = parse_all(sources, config, make_markdown())
    assert not problems
    strings = load_catalogs(load_theme(config).i18n_dirs + (root / "i18n",), root)
    site, warnings = collect(pages, config, drafts=False, future=False, now=NOW, strings=strings)
    return site, [w.message for w in warnings]


def test_collect_returns_the_site_with_the_pages_sitegen_makes(make_site: Callable[..., Path]) -> None:
    site, warnings = _collected(make_site(files=FILES, config=CONFIG))
    assert warnings == []
    es_title = load_catalogs((REPO / "themes/default/i18n",), REPO).get("es", "contact_title")
    # The Spanish edition's contact page: the English file's text, under the Spanish title.
    (es_contact,) = [p for p in site.edition("es").pages if p.url == "es/contact/"]
    assert (es_contact.source, es_contact.lang, es_contact.title) == ("content/pages/contact.md", "es", es_title)
    # The English edition keeps the creator's own page; nothing is made there.
    assert [p.source for p in site.edition("en").pages if p.slug == "contact"] == ["content/pages/contact.md"]
    # No membership.md: a page made from the settings, with the membership template.
    (membership,) = [p for p in site.pages if p.url == "membership/"]
    assert (membership.source, membership.template, membership.lang) == (MADE, "membership.html", "en")
    assert {p.url for p in site.pages} >= {"contact/", "es/contact/", "membership/"}


def test_a_contact_page_is_made_from_the_settings_where_no_edition_has_one(
        make_site: Callable[..., Path]) -> None:
    site, _ = _collected(make_site(files={"content/interviews/pan-es.md": FILES["content/interviews/pan-es.md"]},
                                   config=CONFIG))
    made = {p.url: (p.source, p.lang) for p in site.pages if p.slug == "contact"}
    assert made == {"contact/": (MADE, "en"), "es/contact/": (MADE, "es")}


def test_a_membership_page_without_settings_is_a_plain_page_with_a_warning(make_site: Callable[..., Path]) -> None:
    files = {**FILES, "content/pages/membership.md": "---\ntitle: Join\n---\nSoon.\n"}
    site, warnings = _collected(make_site(files=files, config=CONFIG.split("membership:")[0]))
    (page,) = [p for p in site.pages if p.slug == "membership"]
    assert page.template is None
    assert warnings == ["this page is built as a plain page: sitegen.yaml has no 'membership:' settings"]


def test_the_renderer_renders_the_site_it_is_given(make_site: Callable[..., Path]) -> None:
    root = make_site(files=FILES, config=CONFIG)
    site, _ = _collected(root)
    config = site.config
    theme = load_theme(config)
    renderer = Renderer(site, theme, load_catalogs(theme.i18n_dirs + (root / "i18n",), root))
    assert renderer.site is site
    names = {name for name, _ in renderer.jobs()}
    assert {"contact/index.html", "es/contact/index.html", "membership/index.html"} <= names
