"""Templates call functions through sitegen's Jinja context (``render._Context``), which
calls a plain function directly instead of looking at it as Jinja does. It must call
everything exactly as Jinja's own context would: with the context, the environment or
the evaluation context handed to what asks for them (functions, methods and partials
marked with ``pass_context`` and the like), and nothing more to what does not ask.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import jinja2
import pytest

from sitegen.render import _Context


class Helpers:
    """Methods, marked and not, as a renderer's helpers are."""

    def plain(self, text: str, suffix: str = "") -> str:
        return f"plain({text}{suffix})"

    @jinja2.pass_context
    def with_context(self, context: Any, text: str) -> str:
        return f"context({context.get('lang')}, {text})"

    def __call__(self, text: str) -> str:  # a callable object
        return f"object({text})"


def plain(text: str, **values: Any) -> str:
    return f"function({text}, {sorted(values.items())})"


@jinja2.pass_context
def with_context(context: Any, text: str) -> str:
    return f"context({context.get('lang')}, {context.get('item', '-')}, {text})"


@jinja2.pass_environment
def with_environment(env: jinja2.Environment, text: str) -> str:
    return f"environment({env.autoescape}, {text})"


@jinja2.pass_eval_context
def with_eval_context(eval_ctx: Any, text: str) -> str:
    return f"eval({eval_ctx.autoescape}, {text})"


def translate(lang: Any, key: str, **values: Any) -> str:
    if isinstance(lang, jinja2.runtime.Context):  # (a marked partial is handed the context)
        lang = f"a context with lang={lang.get('lang')}"
    return f"t({lang}, {key}, {sorted(values.items())})"


def stops() -> str:
    raise StopIteration


TEMPLATE = """\
{% macro m(x) %}macro({{ x }}, {{ caller() if caller else '' }}){% endmacro %}
{{ plain('a') }} {{ plain('a', n=1) }} {{ helpers.plain('b') }} {{ helpers.plain('b', suffix='!') }}
{{ with_context('c') }} {{ helpers.with_context('d') }} {{ with_environment('e') }} {{ with_eval_context('f') }}
{{ t('key') }} {{ t('key', count=2) }} {{ marked_t('key') }} {{ helpers('g') }} {{ m('h') }}
{{ 'abc'.startswith('a') }} {{ {'k': 'v'}.get('k') }} {{ stops() }}
{% for item in ['i1', 'i2'] %}
{{ plain(item) }} {{ with_context(item) }} {{ helpers.plain(item, suffix=loop.index) }} {{ t(item, n=loop.index) }}
{% set item = item ~ '!' %}{{ with_context('after set') }}
{% call m(item) %}called {{ plain(item) }}{% endcall %}
{% endfor %}
{% block b %}{% set lang = 'block-lang' %}{{ with_context('in block') }} {{ plain('in block') }}{% endblock %}
"""


def render(context_class: type[jinja2.runtime.Context] | None) -> str:
    env = jinja2.Environment()
    if context_class is not None:
        env.context_class = context_class
    helpers = Helpers()
    env.globals.update(plain=plain, with_context=with_context, with_environment=with_environment,
                       with_eval_context=with_eval_context, helpers=helpers, stops=stops,
                       t=partial(translate, "en"), marked_t=jinja2.pass_context(partial(translate)))
    return env.from_string(TEMPLATE).render(lang="en")


def test_template_calls_are_made_as_jinja_makes_them() -> None:
    ours, jinjas = render(_Context), render(None)
    assert ours == jinjas
    # (and the template did call each kind of thing: the comparison is not of two empty pages)
    for made in ("function(a, [])", "function(a, [('n', 1)])", "plain(b!)", "context(en, -, c)",
                 "context(en, d)", "environment(False, e)", "eval(False, f)", "t(en, key, [('count', 2)])",
                 "object(g)", "macro(h, )", "True", "context(en, i1!, after set)", "context(en, -, i2)",
                 "plain(i22)", "t(en, i2, [('n', 2)])", "called function(i1!, [])",
                 "context(block-lang, -, in block)"):
        assert made in ours, made
    # A marked partial is handed the context (Jinja's look is kept for it).
    assert "t(a context with lang=en, key, [])" in ours


@pytest.mark.parametrize(("mark", "expected"), [(jinja2.pass_context, jinja2.runtime.Context),
                                               (jinja2.pass_environment, jinja2.Environment),
                                               (jinja2.pass_eval_context, jinja2.nodes.EvalContext)])
def test_a_marked_method_is_handed_what_it_asks_for(mark: Any, expected: type) -> None:
    handed: list[Any] = []

    class Marked:
        @mark
        def method(self, first: Any, text: str) -> str:
            handed.append(first)
            return text

    env = jinja2.Environment()
    env.context_class = _Context
    env.globals["marked"] = Marked()
    assert env.from_string("{{ marked.method('x') }}").render() == "x"
    assert len(handed) == 1 and isinstance(handed[0], expected)
