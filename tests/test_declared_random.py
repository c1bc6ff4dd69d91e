"""Random hub templates, and the oracle: whatever a template does with the site, its jobs
declare every page they read.

Hypothesis writes a site template (``templates/base.html``, so every job uses it) out
of pieces that reach into the site in the ways templates do: loops and their
neighbours, sets in branches, namespaces, macros and call blocks, includes inside
loops, filters that name attributes, indexes worked out as the page renders, lookups
by slug. The example hub is built with it, and the read tracer (tests/oracle.py) fails
any job that read what it had not declared. ``SITEGEN_TEMPLATE_EXAMPLES`` runs more.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import EXAMPLE_SITE
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracle import checked_declarations

from sitegen.build import BuildOptions, build

EXAMPLES = int(os.environ.get("SITEGEN_TEMPLATE_EXAMPLES", "25"))

COLLECTIONS = st.sampled_from((
    "site.entries", "site.stories", "site.interviews", "site.pages", "site.entries[:3]", "site.entries[2:]",
    "site.entries | sort(attribute='title')", "site.entries | reverse | list",
    "site.entries | selectattr('summary') | list", "site.entries | rejectattr('person') | list",
    "(site.stories + site.interviews)", "site.entries | sort(attribute='date', reverse=true)",
    "(site.entries | groupby('kind') | map(attribute='list') | list)[0]",
    "site.related.get(page.url, []) if page else []", "site.entries | batch(2) | first",
))
FIELDS = st.sampled_from(("title", "summary", "date", "reading_minutes", "body_html | length", "word_count",
                          "url", "person.name if x.person else ''", "tags | join(',')", "meta", "kind"))


@st.composite
def piece(draw: st.DrawFn) -> str:  # noqa: C901 (one case per piece)
    """One piece of a template: reads some field of some pages, without failing."""
    c = "(" + draw(COLLECTIONS) + ")"
    f = draw(FIELDS)
    k = draw(st.integers(0, 3))
    field = f.replace("x.", "{v}.")

    def read(v: str) -> str:
        return "{{ " + v + "." + field.format(v=v) + " }}"

    kind = draw(st.integers(0, 22))
    if kind == 0:
        return "{% for x in " + c + " %}" + read("x") + "{% endfor %}"
    if kind == 1:
        return "{% set v = " + c + " %}{% for x in v %}{% if loop.index > " + str(k) + " %}" + read("x") + \
               "{% endif %}{% endfor %}"
    if kind == 2:
        return "{% for p in (" + c + " | list)[:1] %}" + read("p") + "{% endfor %}"
    if kind == 3:
        return "{% set l = (" + c + ") | list %}{% if l | length > " + str(k) + " %}" + read("l[" + str(k) + "]") + \
               "{% endif %}"
    if kind == 4:
        return "{% set ns = namespace(p=none) %}{% for x in " + c + " %}{% set ns.p = x %}{% endfor %}" + \
               "{% if ns.p %}" + read("ns.p") + "{% endif %}"
    if kind == 5:
        return "{% macro m(y) %}" + read("y") + "{% endmacro %}{% for x in " + c + " %}{{ m(x) }}{% endfor %}"
    if kind == 6:
        return "{% for x in " + c + " %}{% include 'partials/fuzz.html' %}{% endfor %}"
    if kind == 7:
        return "{% with l = (" + c + ") | list %}{% for y in l[-1:] %}" + read("y") + "{% endfor %}{% endwith %}"
    if kind == 8:
        return "{% if page %}" + read("page") + "{% endif %}"
    if kind == 9:
        simple = draw(st.sampled_from(("title", "summary", "url", "kind")))
        return "{{ (" + c + ") | map(attribute='" + simple + "') | join(',') }}"
    if kind == 10:
        slug = draw(st.sampled_from(("about", "contact", "membership", "nothing")))
        return "{% set s = '" + slug[:2] + "' ~ '" + slug[2:] + "' %}{% set p = site.page(s) %}{% if p %}" + \
               read("p") + "{% endif %}"
    if kind == 11:
        return "{% set i = " + str(k) + " %}{% set l = (" + c + ") | list %}{% if l | length > i + 1 %}" + \
               read("l[i + 1]") + "{% endif %}"
    if kind == 12:
        return "{% for prof in site.people %}{{ prof.entries | length }}{% for x in prof.entries[:1] %}" + \
               read("x") + "{% endfor %}{% endfor %}"
    if kind == 13:
        return "{% set l = (" + c + ") | list %}{% if " + str(k) + " > 1 and l %}{% set page = l[0] %}{% endif %}" + \
               "{% if page %}" + read("page") + "{% endif %}"
    if kind == 14:
        return "{% for tag in site.tags %}{% for x in tag.entries[:2] %}" + read("x") + "{% endfor %}{% endfor %}"
    if kind == 15:
        return "{% for x in " + c + " %}{% if not loop.first %}" + read("loop.previtem") + "{% endif %}{% endfor %}"
    if kind == 16:
        return "{% macro frame(items) %}{% for it in items %}{{ caller(it) }}{% endfor %}{% endmacro %}" + \
               "{% call(x) frame(" + c + ") %}" + read("x") + "{% endcall %}"
    if kind == 17:
        return "{% set d = {'a': (" + c + ") | list} %}{% for y in d.a[:1] %}" + read("y") + "{% endfor %}"
    if kind == 18:
        return "{% import 'partials/fuzzmacros.html' as fm %}{% for x in " + c + " %}{{ fm.show(x) }}{% endfor %}"
    if kind == 19:
        other = "(" + draw(COLLECTIONS) + ")"
        return "{% set l = (" + c + " | list) + (" + other + " | list) %}{% if l | length > " + str(k + 2) + \
               " %}" + read("l[" + str(k + 2) + "]") + "{% endif %}"
    if kind == 20:
        return "{% for row in " + c + " | batch(2) %}" + read("row[0]") + "{% endfor %}"
    if kind == 21:
        return "{% for g in " + c + " | groupby('kind') %}{% for x in g.list[:1] %}" + read("x") + \
               "{% endfor %}{% endfor %}"
    return "{% for url, rel in site.related | dictsort %}{% for x in rel[:1] %}" + read("x") + \
           "{% endfor %}{% endfor %}"


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("random-templates") / "hub"
    shutil.copytree(EXAMPLE_SITE, root, ignore=shutil.ignore_patterns("_site", ".sitegen-cache"))
    (root / "templates/partials").mkdir(parents=True, exist_ok=True)
    return root


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                       HealthCheck.too_slow])
@given(pieces=st.lists(piece(), min_size=1, max_size=4), partial_field=FIELDS)
def test_random_templates_declare_every_read(hub: Path, pieces: list[str], partial_field: str) -> None:
    footer = "".join(pieces)
    (hub / "templates/base.html").write_text(
        '{% extends "default/base.html" %}{% block footer %}' + footer + "{% endblock %}\n", encoding="utf-8")
    (hub / "templates/partials/fuzz.html").write_text("{{ x." + partial_field + " }}\n", encoding="utf-8")
    (hub / "templates/partials/fuzzmacros.html").write_text(
        "{% set first_title = (site.entries | list)[0].title %}"
        "{% macro show(y) %}{{ y." + partial_field.replace("x.", "y.") + " }}{% endmacro %}\n", encoding="utf-8")
    with checked_declarations() as oracle:
        build(hub, BuildOptions(clean=True, jobs=1, output=hub / "out"))
    assert oracle.jobs > 40
    assert oracle.undeclared == [], f"with the footer {footer!r}:\n" + "\n".join(oracle.undeclared[:5])
