"""Consent: a person's newest word governs every page, feed and link about them, in the
build and in ``sitegen check`` alike (one rule: ``sitegen.people.decide_consent``)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator
from urllib.parse import unquote

import pytest
from bs4 import BeautifulSoup

from conftest import soup

from sitegen.people import ConsentWord, decide_consent

CONFIG = """\
title: Hub
base_url: https://example.org/hub/
timezone: UTC
language: en
contact:
  email: creator@example.org
"""
BILINGUAL = CONFIG.replace("language: en\n", "language: en\nlanguages: [en, es]\n")
EMAIL = "ana@ana.example"
QA = "Intro.\n\n## Why bread?\n\nBecause.\n\n## What next?\n\nMore bread.\n"


def interview(title: str, date: str, consent: bool, *, email: str = EMAIL, extra: str = "") -> str:
    return (f"---\ntitle: {title}\ndate: {date}\nsummary: About bread.\ntags: [food]\n{extra}"
            f"person:\n  name: Ana Pérez\n  role: Baker\n  contact: {{email: {email}}}\n"
            f"  consent: {'true' if consent else 'false'}\n---\n{QA}")


def _strings(value: object) -> Iterator[str]:
    """Every string in parsed JSON, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def output_texts(out: Path) -> Iterator[tuple[str, str]]:
    """(file, text) for every text and attribute value of the built HTML pages and feeds,
    decoded as a reader or a program would read them (entities and %-escapes undone)."""
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out).as_posix()
        if path.suffix == ".html":
            doc = BeautifulSoup(path.read_text(encoding="utf-8"), "html5lib")
            yield rel, doc.get_text(" ")
            for element in doc.find_all(True):
                for value in element.attrs.values():
                    for one in value if isinstance(value, list) else [value]:
                        yield rel, unquote(one)
        elif path.suffix == ".xml":
            for element in ET.parse(path).getroot().iter():
                yield rel, element.text or ""
                for one in element.attrib.values():
                    yield rel, unquote(one)
        elif path.suffix == ".json":
            for text in _strings(json.loads(path.read_text(encoding="utf-8"))):
                yield rel, unquote(text)


def assert_nowhere(out: Path, secret: str) -> None:
    checked = {rel for rel, _ in output_texts(out)}
    assert {"feed.xml", "feed.json", "interviews/old/index.html", "people/ana-perez/index.html"} <= checked
    for rel, text in output_texts(out):
        assert secret not in text, f"{secret} is published in {rel}"


def ask_targets(page: Path) -> set[str]:
    return {a["data-to"] for a in soup(page).select("a.ask-link")}


def build_and_check(make_site: Callable[..., Path], cli: Callable[..., object], files: dict[str, str],
                    config: str = CONFIG) -> Path:
    root = make_site(files, config=config)
    result = cli("check", root, "--format", "json")
    report = json.loads(result.output)  # type: ignore[attr-defined]
    consent = [f for page in report["pages"] for f in page["findings"] if f["kind"] == "consent"]
    assert consent == []
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    return root / "_site"


def test_a_withdrawal_in_the_newest_interview_hides_the_older_ones_details(make_site, cli) -> None:
    out = build_and_check(make_site, cli, {
        "content/interviews/old.md": interview("Old talk", "2026-01-01", True),
        "content/interviews/new.md": interview("New talk", "2026-03-01", False),
    })
    assert_nowhere(out, EMAIL)
    for slug in ("old", "new"):
        page = out / f"interviews/{slug}/index.html"
        assert ask_targets(page) == {"creator"}
        hrefs = [a["href"] for a in soup(page).select("a.ask-link")]
        assert hrefs and all(h.startswith("mailto:creator@example.org?") for h in hrefs)
        assert soup(page).select(".person-card .channels a") == []


def test_a_withdrawal_in_one_edition_hides_every_translation(make_site, cli) -> None:
    key = "translation_key: ana-bread\n"
    out = build_and_check(make_site, cli, {
        "content/interviews/old.md": interview("Old talk", "2025-06-01", True),
        # The original withdrew consent; its Spanish edition, translated later, still says yes.
        "content/interviews/bread.md": interview("Bread", "2026-03-01", False, extra=key),
        "content/interviews/bread-es.md": interview("Pan", "2026-03-05", True, extra=key + "lang: es\n"),
    }, config=BILINGUAL)
    assert (out / "es/interviews/bread/index.html").is_file()
    assert_nowhere(out, EMAIL)
    for page in ("interviews/old/index.html", "interviews/bread/index.html", "es/interviews/bread/index.html"):
        assert ask_targets(out / page) == {"creator"}


def test_the_newest_word_grants_consent_to_older_interviews_too(make_site, cli) -> None:
    out = build_and_check(make_site, cli, {
        "content/interviews/old.md": interview("Old talk", "2026-01-01", False, email="ana.old@ana.example"),
        "content/interviews/new.md": interview("New talk", "2026-03-01", True),
    })
    for slug in ("old", "new"):
        page = out / f"interviews/{slug}/index.html"
        assert ask_targets(page) == {"person"}
        assert [a["href"] for a in soup(page).select(".person-card .channels a")] == [f"mailto:{EMAIL}"]
    profile = soup(out / "people/ana-perez/index.html")
    assert f"mailto:{EMAIL}" in [a["href"] for a in profile.select(".channels a")]
    for rel, text in output_texts(out):
        assert "ana.old@ana.example" not in text, rel


def test_check_still_reports_details_the_build_did_not_publish_when_a_template_shows_them(make_site, cli) -> None:
    """The check does not simply trust the build: withdrawn details on a page are found."""
    root = make_site({
        "content/interviews/old.md": interview("Old talk", "2026-01-01", True),
        "content/interviews/new.md": interview("New talk", "2026-03-01", False),
    }, config=CONFIG)
    assert cli("build", root).exit_code == 0  # type: ignore[attr-defined]
    page = root / "_site/interviews/old/index.html"
    page.write_text(page.read_text(encoding="utf-8").replace("</main>", f"<p>{EMAIL}</p></main>"), encoding="utf-8")
    result = cli("check", root, "--no-build", "--format", "json")
    report = json.loads(result.output)  # type: ignore[attr-defined]
    found = [(p["page"], f["path"]) for p in report["pages"] for f in p["findings"] if f["kind"] == "consent"]
    assert ("interviews/old/index.html", "content/interviews/old.md") in found
    assert result.exit_code == 1  # type: ignore[attr-defined]


def _word(source: str, day: int, consent: bool, *, work: str | None = None, lang: str = "en",
          kind: str = "interview", draft: bool = False, scheduled: bool = False) -> ConsentWord:
    return ConsentWord(source=source, person="ana", kind=kind, date=datetime(2026, 1, day, tzinfo=timezone.utc),
                       lang=lang, work=work or source, consent=consent, draft=draft, scheduled=scheduled)


@pytest.mark.parametrize("unpublished", ["draft", "scheduled"])
def test_an_unpublished_entry_withdraws_consent_but_never_gives_it(unpublished: str) -> None:
    decide = lambda *words: decide_consent(words, "en")["ana"]  # noqa: E731
    later = {unpublished: True}
    assert decide(_word("a", 1, True), _word("d", 2, False, **later)).consent is False
    given = decide(_word("a", 1, True), _word("d", 2, True, **later))
    assert given.consent is True and given.source == "a"  # the published interview's details
    assert decide(_word("a", 1, False), _word("d", 2, True, **later)).consent is False
    assert decide(_word("d", 2, True, **later)).consent is False


def test_a_scheduled_interviews_details_wait_for_its_date(make_site, tmp_path: Path) -> None:
    """An interview dated next week that gives new contact details does not publish them
    on the person's older pages before its date; from its date on, every page shows them.
    Its withdrawal, by contrast, holds at once. Incremental builds equal clean ones."""
    import shutil

    from conftest import tree_digest

    from sitegen import cache
    from sitegen.build import BuildOptions, build

    fresh = "ana-new@ana.example"
    root = make_site({
        "content/interviews/old.md": interview("Old talk", "2026-01-01", True),
        "content/interviews/next.md": interview("Next talk", "2026-03-01", True, email=fresh).replace("[food]",
                                                                                                      "[other]"),
    }, config=CONFIG)
    before = datetime(2026, 2, 1, tzinfo=timezone.utc)
    after = datetime(2026, 3, 2, tzinfo=timezone.utc)

    def shown() -> list[str]:
        return [a["href"] for a in soup(root / "_site/interviews/old/index.html").select(".person-card .channels a")]

    def equals_clean(now: datetime, name: str) -> None:
        clean = tmp_path / name
        shutil.copytree(root, clean, ignore=shutil.ignore_patterns("_site", cache.FOLDER))
        build(clean, BuildOptions(jobs=1, clean=True, now=now))
        assert tree_digest(root / "_site") == tree_digest(clean / "_site")

    build(root, BuildOptions(jobs=1, now=before))
    assert shown() == [f"mailto:{EMAIL}"]
    assert_nowhere(root / "_site", fresh)
    build(root, BuildOptions(jobs=1, now=before, future=True))  # a preview of the future: still not given
    assert_nowhere(root / "_site", fresh)
    build(root, BuildOptions(jobs=1, now=after))
    assert shown() == [f"mailto:{fresh}"]
    equals_clean(after, "clean-after")

    (root / "content/interviews/next.md").write_text(
        interview("Next talk", "2026-03-01", False, email=fresh).replace("[food]", "[other]"), encoding="utf-8")
    build(root, BuildOptions(jobs=1, now=before))
    assert shown() == []  # withdrawn in an entry not yet published: at once
    equals_clean(before, "clean-withdrawn")


def test_a_drafts_contact_details_are_never_published(make_site, cli) -> None:
    secret = "ana-new@ana.example"
    out = build_and_check(make_site, cli, {
        "content/interviews/old.md": interview("Old talk", "2026-01-01", True),
        "content/interviews/draft.md": interview("Draft talk", "2026-03-01", True, email=secret, extra="draft: true\n"),
    })
    assert_nowhere(out, secret)
    assert EMAIL in (out / "interviews/old/index.html").read_text(encoding="utf-8")


def test_a_person_known_only_from_a_draft_builds_without_their_details(make_site, cli) -> None:
    secret = "draft-only@ana.example"
    root = make_site({"content/interviews/draft.md": interview("Draft talk", "2026-03-01", True, email=secret,
                                                               extra="draft: true\n")}, config=CONFIG)
    result = cli("build", root, "--drafts")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    texts = dict(output_texts(root / "_site"))
    assert "interviews/draft/index.html" in texts and "feed.xml" in texts
    assert not [rel for rel, text in output_texts(root / "_site") if secret in text]


def test_the_rule_newest_interview_editions_and_ties() -> None:
    decide = lambda *words: decide_consent(words, "en")["ana"]  # noqa: E731
    assert decide(_word("a", 1, True), _word("b", 2, False)).consent is False
    assert decide(_word("a", 1, False), _word("b", 2, True)).source == "b"
    # editions of one interview are one word, dated by the newest edition, and all must agree
    both = decide(_word("a", 3, False, work="k"), _word("b", 5, True, work="k", lang="es"), _word("c", 4, True))
    assert both.consent is False and both.deciding == ("a", "b")
    agreed = decide(_word("a", 3, True, work="k"), _word("b", 5, True, work="k", lang="es"))
    assert agreed.consent is True and agreed.source == "a"  # the site's language's edition
    # two interviews on the newest date must both consent
    assert decide(_word("a", 2, True), _word("b", 2, False)).consent is False
    # stories speak only for a person without interviews
    assert decide(_word("a", 1, True), _word("s", 9, False, kind="story")).consent is True
    assert decide(_word("s", 1, True, kind="story"), _word("t", 9, False, kind="story")).consent is False


@pytest.mark.parametrize("kind", ["interviews", "stories"])
def test_an_incremental_build_follows_a_change_of_the_newest_word(make_site, tmp_path: Path, kind: str) -> None:
    """Another entry's edit changes what the older one shows: it is rendered again, and
    the output equals a clean build's, byte for byte (stories: a person never interviewed)."""
    import shutil

    from conftest import tree_digest

    from sitegen import cache
    from sitegen.build import BuildOptions, build

    root = make_site({
        f"content/{kind}/old.md": interview("Old talk", "2026-01-01", True),
        # No shared tag: the older entry's page does not list the newer one.
        f"content/{kind}/new.md": interview("New talk", "2026-03-01", True).replace("[food]", "[other]"),
    }, config=CONFIG)
    build(root, BuildOptions(jobs=1))
    old_page = root / f"_site/{kind}/old/index.html"

    def shown() -> list[str]:
        return [a["href"] for a in soup(old_page).select(".person-card .channels a")]

    assert shown() == [f"mailto:{EMAIL}"]
    new = root / f"content/{kind}/new.md"
    for step, consent in enumerate((False, True, False)):
        new.write_text(interview("New talk", "2026-03-01", consent).replace("[food]", "[other]"), encoding="utf-8")
        build(root, BuildOptions(jobs=1))
        assert shown() == ([f"mailto:{EMAIL}"] if consent else [])
        clean = tmp_path / f"clean-{step}"
        shutil.copytree(root, clean, ignore=shutil.ignore_patterns("_site", cache.FOLDER))
        build(clean, BuildOptions(jobs=1, clean=True))
        assert tree_digest(root / "_site") == tree_digest(clean / "_site")
