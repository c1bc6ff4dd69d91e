"""Direct messages and people: reply blocks, deep links, the contact page and its form,
consent, people pages, related entries, the questions index and microformats, all
checked on built HTML."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import mf2py
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import soup, tree_digest
from site_checks import check_internal_links, check_sitemap_lists_every_page

from sitegen.contact import Channel, channel
from sitegen.urls import mailto

CHANNELS_CONFIG = """\
title: Hub
base_url: https://example.org/hub/
timezone: UTC
language: en
author:
  name: Marta Quiles
  url: https://marta.example/
  photo: /images/marta.jpg
  rel_me: [https://social.example/@marta, https://code.example/marta]
contact:
  email: marta+hub@example.org
  signal: "+34 600 000 123"
  whatsapp: "+34 600-000-124"
  telegram: "@smallrooms"
  matrix: "@marta:matrix.example"
  mastodon: "@marta@social.example"
  phone: "+44 20 7946 0000"
  links:
    - {label: Office hours, url: "https://example.org/hours"}
  form:
    action: https://formspree.io/f/abcd1234
    fields:
      - name
      - email
      - {name: subject}
      - message
      - {name: city, label: Your city, help: "So I know where you read from."}
    honeypot: _gotcha
    thanks: /thanks/
connections:
  related: 3
  introductions: true
webmention: https://webmention.example/hub/webmention
"""

TRICKY_TITLE = "Años de pan & vino? #1 + 50% más, ¿sí?"


def entry(kind: str, title: str, date: str, tags: str = "[]", person: str = "", body: str = "Body.\n",
          extra: str = "") -> str:
    return f"---\ntitle: {title!r}\ndate: {date}\ntags: {tags}\n{person}{extra}---\n{body}"


ANA = "person:\n  name: Ana Pérez\n  role: Baker\n  links: {website: \"https://ana.example\"}\n"
ANA_CONSENT = ANA + ("  contact: {email: ana@ana.example, whatsapp: \"+34 611 222 333\"}\n  consent: true\n")
OWEN_SECRET = ("person:\n  name: Owen Secret\n  role: Writer\n"
               "  contact: {email: owen.private@owen.example, signal: \"+44 7700 900123\", phone: \"+44 7700 900999\"}\n"
               "  consent: false\n")
QA_BODY = "Intro.\n\n## Why bread?\n\nBecause.\n\n## What & why #2?\n\nMore.\n"


def _query(href: str) -> dict[str, str]:
    """The decoded query of a link, split by hand (no '+'-means-space rule)."""
    query = urlsplit(href).query
    return {k: unquote(v) for k, v in (part.split("=", 1) for part in query.split("&") if part)}


@pytest.fixture
def built(make_site, cli):
    def build(files: dict[str, str], config: str = CHANNELS_CONFIG, *args: str) -> tuple[Path, str]:
        root = make_site({"static/images/marta.jpg": b"\xff\xd8\xff", **files}, config=config)
        result = cli("build", root, *args)
        assert result.exit_code == 0, result.output
        return root / "_site", result.output

    return build


# -- Reply on every entry --------------------------------------------------------

def test_reply_mailto_subject_round_trips_accents_and_reserved_characters(built) -> None:
    out, _ = built({"content/stories/s.md": entry("story", TRICKY_TITLE, "2026-01-01"),
                    "content/interviews/i.md": entry("interview", TRICKY_TITLE, "2026-01-02", body=QA_BODY)})
    for page in ("stories/s/index.html", "interviews/i/index.html"):
        link = soup(out / page).select_one(".reply a.reply-email")["href"]
        assert link.startswith("mailto:marta%2Bhub@example.org?subject=")
        raw_query = urlsplit(link).query
        assert " " not in raw_query and "+" not in raw_query and "#" not in link and raw_query.count("?") == 0
        assert raw_query.count("&") == 0  # '&' in the title is encoded, so only one parameter
        assert _query(link) == {"subject": TRICKY_TITLE}
        assert parse_qs(raw_query) == {"subject": [TRICKY_TITLE]}
        assert unquote(urlsplit(link).path) == "marta+hub@example.org"


@given(st.text(min_size=1, max_size=40))
@settings(max_examples=200, deadline=None)
def test_mailto_subject_and_body_round_trip(text: str) -> None:
    link = mailto("a@example.org", text, text)
    query = _query(link)
    assert query["subject"] == text
    assert query["body"] == text.replace("\r\n", "\n").replace("\n", "\r\n")
    assert not any(ch in urlsplit(link).query for ch in " #+?")


def test_reply_lists_the_creators_channels_as_deep_links(built) -> None:
    out, _ = built({"content/stories/s.md": entry("story", "Bread & co", "2026-01-01")})
    links = {a["data-channel"]: a["href"] for a in soup(out / "stories/s/index.html").select(".reply-channels a")}
    assert links == {
        "signal": "https://signal.me/#p/+34600000123",
        "whatsapp": "https://wa.me/34600000124?text=Bread%20%26%20co",
        "telegram": "https://t.me/smallrooms",
        "matrix": "https://matrix.to/#/@marta:matrix.example",
        "mastodon": "https://social.example/@marta",
        "phone": "tel:+442079460000",
        "link": "https://example.org/hours",
    }
    names = [a.get_text() for a in soup(out / "stories/s/index.html").select(".reply-channels a")]
    assert names == ["Signal", "WhatsApp", "Telegram", "Matrix", "Mastodon", "Phone", "Office hours"]


def test_reply_wording_follows_the_pages_language(built) -> None:
    out, _ = built({"content/stories/s.md": entry("story", "Pan", "2026-01-01", extra="lang: es\n"),
                    "content/stories/t.md": entry("story", "Bread", "2026-01-01")})
    es = soup(out / "stories/s/index.html").select_one(".reply")
    en = soup(out / "stories/t/index.html").select_one(".reply")
    assert es.h2.get_text() == "Responde" and es.select_one(".reply-email").get_text() == "Responder por correo"
    assert en.h2.get_text() == "Write back"
    assert es.select_one("[data-channel=phone]").get_text() == "Teléfono"


@pytest.mark.parametrize("kind,value,url,shown", [
    ("signal", "+34 600 000 123", "https://signal.me/#p/+34600000123", "+34 600 000 123"),
    ("signal", "https://signal.me/#eu/abc", "https://signal.me/#eu/abc", "https://signal.me/#eu/abc"),
    ("whatsapp", "+1 (555) 010-9999", "https://wa.me/15550109999", "+1 (555) 010-9999"),
    ("telegram", "smallrooms", "https://t.me/smallrooms", "@smallrooms"),
    ("telegram", "https://t.me/smallrooms", "https://t.me/smallrooms", "@smallrooms"),
    ("matrix", "@ana:matrix.example", "https://matrix.to/#/@ana:matrix.example", "@ana:matrix.example"),
    ("fediverse", "ana@social.example", "https://social.example/@ana", "@ana@social.example"),
    ("mastodon", "https://social.example/@ana", "https://social.example/@ana", "https://social.example/@ana"),
    ("phone", "+34 600 000 123", "tel:+34600000123", "+34 600 000 123"),
    ("email", "ana@example.org", "mailto:ana@example.org", "ana@example.org"),
])
def test_channel_deep_links(kind: str, value: str, url: str, shown: str) -> None:
    found = channel(kind, value)
    assert isinstance(found, Channel)
    assert (found.url, found.value) == (url, shown)


@pytest.mark.parametrize("kind,value", [
    ("signal", "600 000 123"), ("whatsapp", "call me"), ("telegram", "@ab"), ("matrix", "ana@matrix.example"),
    ("mastodon", "http://social.example/@ana"), ("phone", "12"), ("email", "ana.example.org"), ("fax", "+34600000123"),
])
def test_channel_refuses_what_it_cannot_link(kind: str, value: str) -> None:
    assert isinstance(channel(kind, value), str)


@pytest.mark.parametrize("lang", ["en", "es"])
def test_every_channel_and_known_field_has_a_name_in_both_catalogs(lang: str) -> None:
    import yaml

    from sitegen.contact import CHANNELS, KNOWN_FIELDS

    catalog = yaml.safe_load((Path(__file__).parent.parent / f"themes/default/i18n/{lang}.yaml").read_text(encoding="utf-8"))
    wanted = {f"channel_{k}" for k in CHANNELS if k != "links"} | {f"form_field_{k}" for k in KNOWN_FIELDS}
    assert not wanted - set(catalog)


# -- Contact settings: clear errors ------------------------------------------------

@pytest.mark.parametrize("contact,line,message,hint", [
    ("  email: not-an-address\n", 5, "'contact.email' is not an e-mail address (got 'not-an-address')", "hello@example.org"),
    ("  email: a@example.org\n  form:\n    action: http://forms.example/x\n", 7,
     "'contact.form.action' must be an https URL (got 'http://forms.example/x')", "https"),
    ("  email: a@example.org\n  form:\n    fields: [name]\n", 6, "'contact.form.action' is missing", "formspree"),
    ("  signal: call me\n", 5, "'contact.signal' must be a phone number", "+34"),
    ("  fax: '+34600000000'\n", 5, "'contact.fax' is not a contact channel", "signal"),
    ("  email: a@example.org\n  form:\n    action: https://forms.example/x\n    fields: [{name: city}]\n", 8,
     "'contact.form.fields' has a field 'city' without a 'label'", "label"),
    ("  email: a@example.org\n  form:\n    action: https://forms.example/x\n    fields: [{name: email, size: 3}]\n", 8,
     "'contact.form.fields' has a field 'email' with unknown settings: size", "send_as"),
    ("  email: a@example.org\n  form:\n    action: https://forms.example/x\n    honeypot: email\n", 8,
     "'contact.form.honeypot' is also the name of a field of the form ('email')", "no real field"),
])
def test_contact_mistakes_are_reported_with_line_and_hint(make_site, cli, contact, line, message, hint) -> None:
    config = "title: Hub\nbase_url: https://example.org/\ntimezone: UTC\ncontact:\n  email: a@example.org\n"
    root = make_site({"content/stories/s.md": entry("story", "S", "2026-01-01")}, config=config)
    assert cli("build", root).exit_code == 0
    before = tree_digest(root / "_site")
    (root / "sitegen.yaml").write_text(config.replace("  email: a@example.org\n", contact), encoding="utf-8")
    result = cli("build", root)
    assert result.exit_code == 1
    assert f"sitegen.yaml:{line}: {message}" in result.output
    assert "hint:" in result.output and hint.lower() in result.output.lower()
    assert "Traceback" not in result.output
    assert tree_digest(root / "_site") == before


def test_webmention_must_be_an_https_url(make_site, cli) -> None:
    root = make_site(config="title: Hub\nbase_url: https://example.org/\nwebmention: /webmention\n")
    result = cli("build", root)
    assert result.exit_code == 1
    assert "sitegen.yaml:3: 'webmention' must be an https URL (got '/webmention')" in result.output


def test_form_fields_can_be_sent_under_another_name_for_staticman(built) -> None:
    config = ("title: Hub\nbase_url: https://example.org/\ncontact:\n  form:\n"
              "    action: https://staticman.example/v3/entry/github/me/repo/main/messages\n"
              "    fields: [{name: name, send_as: 'fields[name]'}, {name: message, send_as: 'fields[message]'}]\n"
              "    honeypot: 'fields[website]'\n    thanks: https://example.org/thanks/\n"
              "    thanks_field: 'options[redirect]'\n")
    out, _ = built({}, config)
    form = soup(out / "contact/index.html").find("form")
    assert [c["name"] for c in form.find_all(["input", "textarea"])] == [
        "fields[name]", "fields[message]", "fields[website]", "options[redirect]"]
    assert form.find("label", attrs={"for": form.find("textarea")["id"]}).get_text(" ", strip=True) == "Your message (required)"
    assert form.find("input", attrs={"name": "options[redirect]"})["value"] == "https://example.org/thanks/"


def test_person_contact_mistake_names_the_file_and_line(make_site, cli) -> None:
    person = "person:\n  name: Ana\n  contact: {signal: nope}\n  consent: true\n"
    root = make_site({"content/interviews/a.md": entry("interview", "A", "2026-01-01", person=person)})
    result = cli("build", root)
    assert result.exit_code == 1
    assert "content/interviews/a.md:7: 'person.contact.signal' must be a phone number" in result.output


# -- Contact page and form ----------------------------------------------------------

def test_contact_page_renders_an_accessible_form_without_javascript(built) -> None:
    out, output = built({"content/stories/s.md": entry("story", "S", "2026-01-01")})
    doc = soup(out / "contact/index.html")
    assert doc.find("script") is None
    form = doc.find("form")
    assert form["action"] == "https://formspree.io/f/abcd1234" and form["method"] == "post"
    assert form["aria-describedby"] == "form-instructions" and doc.find(id="form-instructions").get_text().strip()
    fields = {}
    for control in form.find_all(["input", "textarea"]):
        if control.get("type") == "hidden":
            continue
        label = form.find("label", attrs={"for": control["id"]})
        assert label is not None, control
        fields[control["name"]] = (control.name, control.get("type"), control.has_attr("required"),
                                   control.get("autocomplete"), label.get_text(" ", strip=True))
    assert fields == {
        "name": ("input", "text", True, "name", "Your name (required)"),
        "email": ("input", "email", True, "email", "Your e-mail address (required)"),
        "subject": ("input", "text", False, "off", "Subject"),
        "message": ("textarea", None, True, "off", "Your message (required)"),
        "city": ("input", "text", False, "off", "Your city"),
        "_gotcha": ("input", "text", False, "off", "Leave this field empty"),
    }
    city = form.find("input", attrs={"name": "city"})
    assert doc.find(id=city["aria-describedby"]).get_text() == "So I know where you read from."
    honeypot = form.find("input", attrs={"name": "_gotcha"})
    assert honeypot["tabindex"] == "-1"
    assert honeypot.find_parent(attrs={"aria-hidden": "true"}) is not None
    assert "hp" in honeypot.find_parent("div")["class"]
    assert form.find("input", attrs={"type": "hidden", "name": "_next"})["value"] == "https://example.org/hub/thanks/"
    assert form.find("button", attrs={"type": "submit"}).get_text().strip()
    channels = {a["href"] for a in doc.select(".contact-channels a")}
    assert "mailto:marta%2Bhub@example.org" in channels and "https://matrix.to/#/@marta:matrix.example" in channels
    assert "no contact form" not in output
    nav = [a["href"] for a in doc.select(".site-nav a")]
    assert "/hub/contact/" in nav
    # every page links to the contact page through the reply block
    assert soup(out / "stories/s/index.html").select_one(".reply a[href='/hub/contact/']") is not None


def test_without_a_form_the_contact_page_lists_channels_and_the_build_warns_once(built) -> None:
    config = "title: Hub\nbase_url: https://example.org/\ntimezone: UTC\ncontact:\n  email: a@example.org\n  telegram: smallrooms\n"
    out, output = built({"content/stories/s.md": entry("story", "S", "2026-01-01"),
                         "content/stories/t.md": entry("story", "T", "2026-01-02")}, config)
    doc = soup(out / "contact/index.html")
    assert doc.find("form") is None
    assert [a["href"] for a in doc.select(".contact-channels a")] == ["mailto:a@example.org", "https://t.me/smallrooms"]
    assert output.count("no contact form is configured") == 1
    assert "sitegen.yaml: warning: no contact form" in output


def test_a_contact_page_in_content_keeps_its_text_and_gets_the_form(built) -> None:
    out, _ = built({"content/pages/contact.md": "---\ntitle: Write to Marta\n---\nI answer on Fridays.\n"})
    doc = soup(out / "contact/index.html")
    assert doc.h1.get_text() == "Write to Marta"
    assert "I answer on Fridays." in doc.select_one(".entry-body").get_text()
    assert doc.find("form") is not None


def test_no_contact_page_when_the_creator_gave_no_way_to_write(make_site, cli) -> None:
    root = make_site({"content/stories/s.md": entry("story", "S", "2026-01-01")},
                     config="title: Hub\nbase_url: https://example.org/\n")
    assert cli("build", root).exit_code == 0
    assert not (root / "_site/contact").exists()
    assert soup(root / "_site/stories/s/index.html").select_one(".reply") is None


# -- People and consent -------------------------------------------------------------

def test_contact_details_without_consent_appear_nowhere_in_the_output(built) -> None:
    out, output = built({
        "content/interviews/owen.md": entry("interview", "Owen's letter", "2026-01-01", "[trains]", OWEN_SECRET, QA_BODY),
        "content/stories/owen-story.md": entry("story", "More Owen", "2026-01-02", "[trains]", OWEN_SECRET),
    })
    secrets = ["owen.private@owen.example", "owen.private%40owen.example", "+44 7700 900123", "447700900123",
               "+44 7700 900999", "447700900999"]
    files = [p for p in out.rglob("*") if p.is_file()]
    assert len(files) > 10
    for path in files:
        data = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in data, f"{secret} leaked into {path.relative_to(out)}"
    assert "contact details for Owen Secret are not published" in output
    # name and role still shown, and the ask link goes to the creator
    doc = soup(out / "interviews/owen/index.html")
    assert doc.select_one(".person-card .p-name").get_text() == "Owen Secret"
    assert doc.select_one(".person-card .p-role").get_text() == "Writer"
    asks = doc.select("a.ask-link")
    assert {a["data-to"] for a in asks} == {"creator"}
    assert all(a["href"].startswith("mailto:marta%2Bhub@example.org?") for a in asks)
    assert "Owen Secret" in _query(asks[0]["href"])["body"]


def test_contact_details_with_consent_are_shown_and_ask_links_reach_the_person(built) -> None:
    out, _ = built({"content/interviews/ana.md": entry("interview", "Bread & co", "2026-01-01", "[food]", ANA_CONSENT, QA_BODY)})
    doc = soup(out / "interviews/ana/index.html")
    card = doc.select_one(".person-card")
    assert [a["href"] for a in card.select(".channels a")] == ["mailto:ana@ana.example", "https://wa.me/34611222333"]
    assert [a["href"] for a in card.select(".person-links a")] == ["https://ana.example"]
    asks = doc.select("a.ask-link")
    assert len(asks) == 2  # one per question
    for ask, question in zip(asks, ["Why bread?", "What & why #2?"]):
        assert ask["data-to"] == "person" and ask.get_text() == "Ask Ana Pérez about this"
        assert ask["href"].startswith("mailto:ana@ana.example?subject=")
        query = _query(ask["href"])
        assert question in query["subject"] and "Bread & co" in query["subject"]
        assert question in query["body"] and "https://example.org/hub/interviews/ana/#" in query["body"]
        assert doc.find(id=ask["aria-describedby"]).get_text() == question
    # each ask link sits right after its own answer, before the next question
    first_answer = doc.find(id="why-bread").find_next("p")
    assert first_answer.get_text() == "Because." and first_answer.find_next("p")["class"] == ["ask"]
    profile = soup(out / "people/ana-perez/index.html")
    assert "mailto:ana@ana.example" in [a["href"] for a in profile.select(".channels a")]


def test_people_pages_list_interviews_and_stories(built) -> None:
    out, _ = built({
        "content/interviews/ana.md": entry("interview", "Ana bakes", "2026-01-01", "[food]", ANA, QA_BODY),
        "content/stories/ana-story.md": entry("story", "Ana again", "2026-02-01", "[food]", "person: Ana Pérez\n"),
        "content/interviews/owen.md": entry("interview", "Owen writes", "2026-01-03", "[trains]", OWEN_SECRET),
        "content/stories/nobody.md": entry("story", "Lone story", "2026-01-04", "[x]", "person: Zoe Story\n"),
    })
    index = soup(out / "people/index.html")
    assert [(a.get_text(), a["href"]) for a in index.select(".people .p-name")] == [
        ("Ana Pérez", "/hub/people/ana-perez/"), ("Owen Secret", "/hub/people/owen-secret/")]
    ana = soup(out / "people/ana-perez/index.html")
    assert ana.h1.get_text() == "Ana Pérez"
    sections = ana.select("section")
    assert [a.get_text() for a in sections[0].select(".card-title a")] == ["Ana bakes"]
    assert [a.get_text() for a in sections[1].select(".card-title a")] == ["Ana again"]
    assert not (out / "people/zoe-story").exists()
    interview = soup(out / "interviews/ana/index.html")
    assert interview.select_one(".person-name a")["href"] == "/hub/people/ana-perez/"
    check_internal_links(out, "/hub/")
    check_sitemap_lists_every_page(out, "https://example.org/hub/")


@pytest.mark.parametrize("slug", ["people", "questions"])
def test_pages_cannot_take_the_people_or_questions_urls(make_site, cli, slug) -> None:
    root = make_site({f"content/pages/{slug}.md": "---\ntitle: Mine\n---\nx\n"})
    result = cli("build", root)
    assert result.exit_code == 1
    assert f"content/pages/{slug}.md:1: this page's URL /{slug}/ is taken by the {slug} index" in result.output


# -- Connections ----------------------------------------------------------------------

def test_related_entries_most_shared_tags_first_then_newest(built) -> None:
    out, _ = built({
        "content/stories/a.md": entry("story", "A", "2026-01-01", "[x, y, z]", ANA),
        "content/stories/b.md": entry("story", "B", "2026-01-02", "[x, y]", "person: Bo\n"),
        "content/stories/c.md": entry("story", "C", "2026-01-09", "[x]", "person: Cy\n"),
        "content/stories/d.md": entry("story", "D", "2026-01-05", "[x, y]", "person: Di\n"),
        "content/stories/e.md": entry("story", "E", "2026-01-08", "[x]"),
        "content/stories/f.md": entry("story", "F", "2026-01-10", "[other]"),
        "content/stories/a-es.md": entry("story", "A es", "2026-01-01", "[x, y, z]", ANA, extra="lang: es\ntranslation_key: a\n"),
        "content/stories/a-en.md": entry("story", "A en", "2026-01-01", "[x, y, z]", ANA, extra="translation_key: a\n"),
    })
    doc = soup(out / "stories/a/index.html")
    titles = [a.get_text() for a in doc.select(".related-entries a")]
    assert titles == ["A en", "D", "B"]  # three shared tags, then two (newest first); limit 3; "A es" has an English version
    translated = soup(out / "stories/a-en/index.html")
    assert [a.get_text() for a in translated.select(".related-entries a")] == ["A", "D", "B"]  # not its translation
    assert soup(out / "stories/f/index.html").select_one(".related") is None


def test_related_entries_offer_the_version_in_the_readers_language(built) -> None:
    out, _ = built({
        "content/stories/a.md": entry("story", "A", "2026-01-01", "[x]"),
        "content/stories/b.md": entry("story", "B", "2026-01-02", "[x]", extra="translation_key: b\n"),
        "content/stories/b-es.md": entry("story", "B es", "2026-01-03", "[x]", extra="lang: es\ntranslation_key: b\n"),
        "content/stories/c-es.md": entry("story", "C es", "2026-01-04", "[x]", extra="lang: es\n"),
    })
    english = soup(out / "stories/a/index.html").select(".related-entries a")
    assert [a.get_text() for a in english] == ["C es", "B"]  # C has no English version: shown, marked Spanish
    assert english[0]["lang"] == "es" and english[0]["hreflang"] == "es"
    spanish = soup(out / "stories/c-es/index.html").select(".related-entries a")
    assert [a.get_text() for a in spanish] == ["B es", "A"]


def test_ask_for_an_introduction_names_both_people(built) -> None:
    out, _ = built({
        "content/interviews/ana.md": entry("interview", "Ana bakes", "2026-01-01", "[food]", ANA, QA_BODY),
        "content/interviews/bo.md": entry("interview", "Bo brews", "2026-01-02", "[food]", "person: Bo Brewer\n", QA_BODY),
    })
    links = soup(out / "interviews/ana/index.html").select("a.intro-link")
    assert len(links) == 1
    href = links[0]["href"]
    assert href.startswith("mailto:marta%2Bhub@example.org?")
    query = _query(href)
    assert query["subject"] == "Introduction: Ana Pérez and Bo Brewer"
    assert "Ana bakes" in query["body"] and "Bo brews" in query["body"]


def test_introductions_are_off_unless_configured(built) -> None:
    config = CHANNELS_CONFIG.replace("introductions: true", "introductions: false")
    out, _ = built({
        "content/interviews/ana.md": entry("interview", "Ana bakes", "2026-01-01", "[food]", ANA),
        "content/interviews/bo.md": entry("interview", "Bo brews", "2026-01-02", "[food]", "person: Bo Brewer\n"),
    }, config)
    doc = soup(out / "interviews/ana/index.html")
    assert doc.select(".related-entries a") and not doc.select("a.intro-link")


def test_questions_index_groups_the_same_question_across_interviews(built) -> None:
    out, _ = built({
        "content/interviews/ana.md": entry("interview", "Ana bakes", "2026-01-01", person=ANA,
                                           body="## How did you start?\n\nA.\n\n## Only Ana?\n\nB.\n"),
        "content/interviews/bo.md": entry("interview", "Bo brews", "2026-01-02", person="person: Bo\n",
                                          body="## How did  you START\n\nC.\n"),
        "content/interviews/cy.md": entry("interview", "Cy sews", "2026-01-03", person="person: Cy\n",
                                          body="## ¿How did you stárt?\n\nD.\n"),
    })
    doc = soup(out / "questions/index.html")
    groups = doc.select(".question-group")
    assert len(groups) == 1
    assert groups[0].h2.get_text() == "¿How did you stárt?"  # as the newest interview asked it
    assert [a["href"] for a in groups[0].select("a")] == [
        "/hub/interviews/cy/#how-did-you-start", "/hub/interviews/bo/#how-did-you-start",
        "/hub/interviews/ana/#how-did-you-start"]
    assert "Only Ana" not in doc.get_text()
    ana = soup(out / "interviews/ana/index.html")
    assert [a["href"] for a in ana.select("a.other-answers")] == ["/hub/questions/#q-how-did-you-start"]
    assert ana.select_one("a.other-answers")["aria-describedby"] == "how-did-you-start"
    check_internal_links(out, "/hub/")


def test_a_question_asked_in_many_interviews_gets_pages_of_its_own(built) -> None:
    """The questions index shows each question's newest answers; the question's own
    pages list every answer, 50 to a page, so a hub with years of interviews never
    makes one enormous page."""
    files = {f"content/interviews/i{n:02d}.md": entry(
        "interview", f"Interview {n}", (date(2026, 1, 1) + timedelta(days=n)).isoformat(),
        person=f"person: Person {n}\n", body="## How did you start?\n\nSlowly.\n") for n in range(55)}
    files["content/interviews/other.md"] = entry("interview", "Other", "2025-12-01", person="person: Oz\n",
                                                 body="## How did you start?\n\nFast.\n")
    out, _ = built(files)
    index = soup(out / "questions/index.html")
    group = index.select_one(".question-group")
    listed = group.select("ul a")
    assert len(listed) == 10  # the newest ten...
    assert listed[0]["href"] == "/hub/interviews/i54/#how-did-you-start"
    more = group.select_one(".more a")
    assert more is not None and more["href"] == "/hub/questions/how-did-you-start/"  # ...and the way to all
    first, second = (soup(out / path) for path in ("questions/how-did-you-start/index.html",
                                                   "questions/how-did-you-start/page/2/index.html"))
    assert first.h1.get_text() == "How did you start?"
    answers = [a["href"] for page in (first, second) for a in page.select("ul.answers a")]
    assert len(answers) == 56 and len(set(answers)) == 56  # every interview's answer, once
    assert len(first.select("ul.answers a")) == 50
    assert answers[-1] == "/hub/interviews/other/#how-did-you-start"  # the oldest last
    assert first.select_one("a[rel=next]")["href"] == "/hub/questions/how-did-you-start/page/2/"
    assert not (out / "questions/how-did-you-start/page/3").exists()
    check_internal_links(out, "/hub/")
    check_sitemap_lists_every_page(out, "https://example.org/hub/")


def test_a_profile_is_described_in_the_sites_language_among_translations(built) -> None:
    es = ANA.replace("role: Baker", "role: Panadera")
    out, _ = built({
        "content/interviews/ana.md": entry("interview", "Bread", "2026-01-01", person=ANA, extra="translation_key: a\n"),
        "content/interviews/ana-es.md": entry("interview", "Pan", "2026-01-01", person=es, extra="lang: es\ntranslation_key: a\n"),
    })
    assert soup(out / "people/index.html").select_one(".people .p-role").get_text() == "· Baker"
    titles = [a.get_text() for a in soup(out / "people/ana-perez/index.html").select(".card-title a")]
    assert sorted(titles) == ["Bread", "Pan"]


# -- IndieWeb -------------------------------------------------------------------------

def test_microformats_parse_with_mf2py(built) -> None:
    out, _ = built({"content/interviews/ana.md": entry(
        "interview", "Bread & co", "2026-01-01", "[food, co-ops]", ANA_CONSENT, QA_BODY,
        extra="summary: A baker on sharing.\n")})
    html = (out / "interviews/ana/index.html").read_text(encoding="utf-8")
    parsed = mf2py.parse(doc=html, url="https://example.org/hub/interviews/ana/")
    entries = [i for i in parsed["items"] if "h-entry" in i["type"]]
    assert len(entries) == 1
    props = entries[0]["properties"]
    assert props["name"] == ["Bread & co"]
    assert props["summary"] == ["A baker on sharing."]
    assert len(props["published"]) == 1 and props["published"][0].startswith("2026-01-01T00:00:00+00")
    assert props["url"] == ["https://example.org/hub/interviews/ana/"]
    assert props["category"] == ["food", "co-ops"]
    assert "Because." in props["content"][0]["value"]
    author = props["author"][0]
    assert author["type"] == ["h-card"] and author["properties"]["name"] == ["Marta Quiles"]
    assert author["properties"]["url"] == ["https://marta.example/"]
    person = [c for c in entries[0].get("children", []) if "h-card" in c["type"]]
    assert len(person) == 1
    assert person[0]["properties"]["name"] == ["Ana Pérez"]
    assert person[0]["properties"]["role"] == ["Baker"]
    assert "mailto:ana@ana.example" in person[0]["properties"]["email"]
    assert "https://ana.example" in person[0]["properties"]["url"]
    site_cards = [i for i in parsed["items"] if i["type"] == ["h-card"]]
    assert len(site_cards) == 1
    card = site_cards[0]["properties"]
    assert card["name"] == ["Marta Quiles"] and card["url"][0] == "https://marta.example/"
    assert card["photo"][0] in ("https://example.org/hub/images/marta.jpg",
                                {"value": "https://example.org/hub/images/marta.jpg", "alt": ""})
    assert parsed["rels"]["me"] == ["https://social.example/@marta", "https://code.example/marta"]
    assert parsed["rels"]["webmention"] == ["https://webmention.example/hub/webmention"]


def test_story_is_an_h_entry_and_no_webmention_link_by_default(make_site, cli) -> None:
    root = make_site({"content/stories/s.md": entry("story", "S", "2026-01-01", "[a]")})
    assert cli("build", root).exit_code == 0
    html = (root / "_site/stories/s/index.html").read_text(encoding="utf-8")
    parsed = mf2py.parse(doc=html, url="https://example.org/stories/s/")
    entries = [i for i in parsed["items"] if "h-entry" in i["type"]]
    assert entries and entries[0]["properties"]["author"][0]["properties"]["name"] == ["Test Hub"]
    assert "webmention" not in parsed["rels"]


def test_example_site_builds_with_contact_people_and_questions(copy_site, cli) -> None:
    from conftest import EXAMPLE_SITE

    root = copy_site(EXAMPLE_SITE)
    result = cli("build", root)
    assert result.exit_code == 0, result.output
    out = root / "_site"
    assert (out / "contact/index.html").is_file() and (out / "people/index.html").is_file()
    assert (out / "questions/index.html").is_file()
    for path in out.rglob("*"):
        if path.is_file():
            assert b"owen@slowplatform.example" not in path.read_bytes(), path
