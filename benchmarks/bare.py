"""The floor for the benchmark: markdown-it-py and one Jinja2 template in a bare loop.

``python benchmarks/bare.py CORPUS OUT`` renders every entry of a corpus made by
``corpus.py`` into ``OUT/<section>/<slug>/index.html`` in one process: front matter
split and read with PyYAML's C loader, the body rendered with markdown-it-py
(CommonMark plus tables and strikethrough), one small template. No lists, feeds or
checks: what sitegen's CPU time is compared with.
"""

from __future__ import annotations

import sys
from pathlib import Path

import jinja2
import yaml
from markdown_it import MarkdownIt

TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><main><h1>{{ title }}</h1><p>{{ date }}</p>
{{ body | safe }}
</main></body></html>
"""


def main() -> None:
    corpus, out = Path(sys.argv[1]), Path(sys.argv[2])
    md = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    template = jinja2.Environment(autoescape=True).from_string(TEMPLATE)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    for path in sorted((corpus / "content").rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        _, front, body = text.split("---\n", 2)
        meta = yaml.load(front, Loader=loader)
        html = template.render(title=meta.get("title", ""), date=meta.get("date", ""), body=md.render(body))
        target = out / path.parent.name / path.stem / "index.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html, encoding="utf-8")


if __name__ == "__main__":
    main()
