"""The render stage's shortcuts give the pages the plain templates gave (issue 10).

Work moved out of the default theme's templates into Python (``answer_parts``) must not
change a byte, and a site that overrides a partial with the previous, template-only
version (using ``answers``, ``ask_target`` and ``shared_question``) must keep working.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import tree_digest

# partials/answers.html as the theme had it before answer_parts: every link worked out
# in the template. A site may still carry a copy of it in templates/partials/.
OLD_ANSWERS = """\
{% set ask = ask_target(page.person) %}
{% set to_person = ask is not none and page.person is not none and ask in page.person.contact %}
{% set contact_page = site.page('contact') %}
{% for section in answers(page) %}
{{ section.html | safe }}
{% if section.question %}
{% set q = section.question %}
{% set group = shared_question(q) %}
{% if ask or contact_page or group %}
<p class="ask">
{% if ask or contact_page %}
  {% set where = abs_url(page.url) ~ '#' ~ q.id %}
  {% if to_person %}
    {% set label = t('ask_person', name=page.person.name) %}
    {% set body = t('ask_body', question=q.text, title=page.title, url=where) %}
  {% elif page.person %}
    {% set label = t('ask_via', name=page.person.name) %}
    {% set body = t('ask_body_via', name=page.person.name, question=q.text, title=page.title, url=where) %}
  {% else %}
    {% set label = t('ask_creator') %}
    {% set body = t('ask_body', question=q.text, title=page.title, url=where) %}
  {% endif %}
  <a class="ask-link" href="{{ ask.with_text(t('ask_subject', question=q.text, title=page.title), body) if ask else url(contact_page.url) }}" aria-describedby="{{ q.id }}" data-to="{{ 'person' if to_person else 'creator' }}">{{ label }}</a>
{% endif %}
{% if group %}
  <a class="other-answers" href="{{ url('questions/') }}#q-{{ group.key }}" aria-describedby="{{ q.id }}">{{ t('other_answers') }}</a>
{% endif %}
</p>
{% endif %}
{% endif %}
{% endfor %}
"""

QA = "Intro.\n\n## Why bread?\n\nBecause.\n\n## What & why #2?\n\nMore 100% “sure”.\n\n## Más?\n\nSí.\n"
CONSENT = ("person:\n  name: Ana Pérez\n  contact: {email: ana+x@ana.example, whatsapp: \"+34 611 222 333\"}\n"
           "  consent: true\n")
WHATSAPP_ONLY = "person:\n  name: Bea\n  contact: {whatsapp: \"+34 611 222 444\"}\n  consent: true\n"
NO_CONSENT = "person:\n  name: Owen\n  contact: {email: owen@owen.example}\n  consent: false\n"


def _interview(title: str, date: str, person: str = "") -> str:
    return f"---\ntitle: {title!r}\ndate: {date}\ntags: [bread]\n{person}---\n{QA}"


INTERVIEWS = {
    "content/interviews/ana.md": _interview("Bread & co", "2026-01-03", CONSENT),
    "content/interviews/bea.md": _interview("¿Pan?", "2026-01-02", WHATSAPP_ONLY),
    "content/interviews/owen.md": _interview("Owen's #1", "2026-01-01", NO_CONSENT),
    "content/interviews/nobody.md": _interview("Nobody", "2025-12-31"),
}
WITH_EMAIL = "title: Hub\nbase_url: https://example.org/hub/\ntimezone: UTC\ncontact:\n  email: marta+hub@example.org\n"
FORM_ONLY = ("title: Hub\nbase_url: https://example.org/hub/\ntimezone: UTC\ncontact:\n"
             "  form: {action: \"https://forms.example/f\"}\n")
NOBODY = "title: Hub\nbase_url: https://example.org/hub/\ntimezone: UTC\n"


@pytest.mark.parametrize("config", [WITH_EMAIL, FORM_ONLY, NOBODY], ids=["email", "form-only", "unreachable"])
def test_old_template_answers_partial_gives_the_same_site(make_site, cli, config: str) -> None:
    theme_site = make_site(INTERVIEWS, config=config, name="theme")
    old_site = make_site({**INTERVIEWS, "templates/partials/answers.html": OLD_ANSWERS}, config=config, name="old")
    for root in (theme_site, old_site):
        result = cli("build", root, "-j", "1")
        assert result.exit_code == 0, result.output
    theme, old = tree_digest(theme_site / "_site"), tree_digest(old_site / "_site")
    assert theme == old
    page = (theme_site / "_site/interviews/nobody/index.html").read_text(encoding="utf-8")
    assert page.count('class="other-answers"') == 3  # every question is shared
    assert page.count('class="ask-link"') == (3 if config != NOBODY else 0)  # nobody to ask, nowhere to write
    ana = (theme_site / "_site/interviews/ana/index.html").read_text(encoding="utf-8")
    assert ana.count('data-to="person"') == 3  # she consented: always reachable


def _split_by_page_pattern(body_html: str, questions: tuple) -> tuple:
    """split_answers as it was: a MULTILINE pattern made of the page's own question ids."""
    import re

    from sitegen.people import Section

    by_id = {q.id: q for q in questions}
    if not by_id:
        return (Section(body_html),)
    pattern = re.compile(r'^<h2 id="(' + "|".join(re.escape(i) for i in by_id) + r')"', re.MULTILINE)
    sections, start, current = [], 0, None
    for match in pattern.finditer(body_html):
        if match.start() > start or current is not None:
            sections.append(Section(body_html[start:match.start()], current))
        start, current = match.start(), by_id[match.group(1)]
    sections.append(Section(body_html[start:], current))
    return tuple(s for s in sections if s.html.strip() or s.question is not None)


@pytest.mark.parametrize("body", [
    '<h2 id="a">A</h2>\n<p>x</p>\n<h2 id="a-2">A2</h2>\n<p><h2 id="b"></p>\n<h2 id="b">B</h2>\n<p>y</p>\n',
    'intro\n<h2 id="a\n<h2 id="b">B</h2>\n',  # an unclosed attribute must not swallow the next line
    '<p>x<h2 id="a">inside</h2></p>\n<h2 id="zz">not a question</h2>\n<h2 id="a">A</h2>\n',
    '\n\n<h2 id="b">B</h2>', "", "no questions at all\n",
])
def test_split_answers_cuts_where_the_page_pattern_did(body: str) -> None:
    from sitegen.model import Heading
    from sitegen.people import split_answers

    questions = (Heading("a", "A", 2, 1), Heading("a-2", "A2", 2, 2), Heading("b", "B", 2, 3))
    for qs in (questions, questions[:1], ()):
        assert split_answers(body, qs) == _split_by_page_pattern(body, qs)


# partials/nav.html as the theme had it before menu_items: the items made on every page
# (with each label's language marked where it is not the page's).
OLD_NAV = """\
{% set items = [] %}
{% set other = config.language if config.language != lang else '' %}
{% if config.menu is not none %}
  {% for item in config.menu %}{% set _ = items.append((item.label, link(item.url), item.url.strip('/') + '/', link_rel(item.url), other)) %}{% endfor %}
{% else %}
  {% if site.interviews %}{% set _ = items.append((t('section_interview'), url(lang_root ~ 'interviews/'), lang_root ~ 'interviews/', '', '')) %}{% endif %}
  {% if site.stories %}{% set _ = items.append((t('section_story'), url(lang_root ~ 'stories/'), lang_root ~ 'stories/', '', '')) %}{% endif %}
  {% for slug in ('about', 'membership', 'contact') %}
    {% set p = site.page(slug) %}
    {% if p %}{% set _ = items.append((p.title, url(p.url), p.url, '', p.lang if p.lang != lang else '')) %}{% endif %}
  {% endfor %}
{% endif %}
{% if items %}
<nav class="site-nav" aria-label="{{ t('nav_label') }}">
  <ul>
  {% for label, href, path, rel, label_lang in items %}
    <li><a href="{{ href }}"{% if rel %} rel="{{ rel }}"{% endif %}{% if label_lang %} lang="{{ label_lang }}"{% endif %}{% if site_path == path or (path != '/' and site_path.startswith(path)) %} aria-current="{{ 'page' if site_path == path else 'true' }}"{% endif %}>{{ label }}</a></li>
  {% endfor %}
  </ul>
</nav>
{% endif %}
"""
BILINGUAL = ("title: Hub\nbase_url: https://example.org/hub/\ntimezone: UTC\nlanguage: en\nlanguages: [en, es]\n"
             "contact:\n  email: marta@example.org\n")
MENU = WITH_EMAIL + "menu:\n  - {label: About, url: /about/}\n  - {label: Elsewhere, url: \"https://elsewhere.example/\"}\n"
PAGES = {
    "content/pages/about.md": "---\ntitle: About\n---\nHello.\n",
    "content/pages/acerca.md": "---\ntitle: Acerca\nlang: es\ntranslation_key: about\n---\nHola.\n",
    "content/stories/uno.md": "---\ntitle: Uno\ndate: 2026-01-05\nlang: es\n---\nHola.\n",
}


@pytest.mark.parametrize("config", [WITH_EMAIL, BILINGUAL, MENU, NOBODY], ids=["plain", "bilingual", "menu", "no-contact"])
def test_old_template_nav_partial_gives_the_same_site(make_site, cli, config: str) -> None:
    files = {**INTERVIEWS, **PAGES}
    theme_site = make_site(files, config=config, name="theme")
    old_site = make_site({**files, "templates/partials/nav.html": OLD_NAV}, config=config, name="old")
    outputs = []
    for root in (theme_site, old_site):
        result = cli("build", root, "-j", "1")
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
    assert tree_digest(theme_site / "_site") == tree_digest(old_site / "_site")
    warnings = [[line.replace(str(root), "") for line in output.splitlines() if "warning" in line]
                for root, output in zip((theme_site, old_site), outputs)]
    assert warnings[0] == warnings[1]
    assert 'class="site-nav"' in (theme_site / "_site/interviews/ana/index.html").read_text(encoding="utf-8")
