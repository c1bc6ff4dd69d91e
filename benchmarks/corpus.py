"""Benchmark corpus: a deterministic, seeded generator of a realistic creator hub.

``python benchmarks/corpus.py SITE_DIR N [--seed 7]`` writes ``N`` interviews and
stories of about 1,300 words each (front matter as in PRODUCT.md, Q&A headings,
lists, links, a table, some code, tags from a pool, some video) plus a few pages,
a ``sitegen.yaml`` and a static image. The same seed and N always give the same
bytes, so timings of different generators are taken on the same text.
"""

from __future__ import annotations

import argparse
import random
import shutil
from datetime import date, timedelta
from pathlib import Path

WORDS = (
    "bread market customer member letter reply workshop season price cost rent village "
    "street neighbour craft tool garden book reader listener podcast recording studio "
    "shop order delivery bicycle kitchen recipe flour oven morning evening winter summer "
    "friend family partner cooperative share vote meeting plan budget invoice bank loan "
    "patience trust habit mistake lesson year month week day hour small slow careful "
    "honest simple local direct quiet steady useful fair open kind warm clear plain "
    "wrote built sold asked answered learned kept paid started stopped changed moved "
    "listened waited tried opened closed carried repaired taught shared counted chose"
).split()
FIRST = "Ana Bruno Carla Diego Elena Félix Gema Hugo Irene Jorge Karen Luis Marta Nico Olga Pablo Rosa Saúl Tania Uxue".split()
LAST = "Pérez Ortega Quiles Ferrán Soto Lema Ibarra Casas Vidal Rueda Nieto Ramos Gil Mora Prieto Vega".split()
ROLES = ("Founder", "Baker", "Bookseller", "Podcaster", "Potter", "Cooperative member", "Illustrator", "Repairer")
TAGS = tuple(f"{w}" for w in (
    "food", "cooperatives", "local", "books", "audio", "craft", "repair", "membership", "newsletters",
    "pricing", "rural", "city", "teaching", "design", "music", "publishing", "farming", "software",
    "bicycles", "textiles", "ceramics", "coffee", "printing", "games", "radio", "film", "photography",
    "writing", "translation", "community",
))
QUESTIONS = (
    "How did it start?", "Who pays for it?", "What does a normal week look like?",
    "What did you get wrong at first?", "How do you set your prices?", "Why stay small?",
    "How do readers reach you?", "What would you tell someone starting today?",
    "What does the money actually look like?", "What is next?",
)


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 18))]
    words[0] = words[0].capitalize()
    return " ".join(words) + rng.choice((".", ".", ".", "?", "!"))


def _paragraph(rng: random.Random, sentences: int) -> str:
    text = " ".join(_sentence(rng) for _ in range(sentences))
    if rng.random() < 0.3:  # an inline link and some emphasis
        text += f" See [their notes](https://example.org/{rng.choice(WORDS)}) and *{rng.choice(WORDS)}* too."
    return text


def _extra_block(rng: random.Random, n: int) -> str:
    kind = n % 4
    if kind == 0:
        return "\n".join(f"- {_sentence(rng)}" for _ in range(rng.randint(3, 6)))
    if kind == 1:
        rows = "\n".join(f"| {rng.choice(WORDS)} | {rng.randint(1, 900)} € | {rng.choice(WORDS)} |" for _ in range(4))
        return "| Item | Cost | Note |\n|---|---:|---|\n" + rows
    if kind == 2:
        return "```python\ndef price(cost, hours):\n    return round(cost + hours * 18, 2)\n```"
    return "\n".join(f"{i}. {_sentence(rng)}" for i in range(1, rng.randint(3, 5)))


def _entry(rng: random.Random, i: int, kind: str, start: date) -> tuple[str, str]:
    name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    slug = f"{kind}-{i:05d}-{name.split()[0].lower().replace('é', 'e')}"
    when = start + timedelta(days=i // 2)
    tags = rng.sample(TAGS, rng.randint(1, 4))
    front = [
        "---",
        f"title: {_sentence(rng).rstrip('.?!')}",
    ]
    if kind == "interviews":
        consent = rng.random() < 0.5
        front += [
            "person:",
            f"  name: {name}",
            f"  role: {rng.choice(ROLES)}",
            f'  links: {{website: "https://example.org/{slug}"}}',
        ]
        if consent:
            front += [f"  contact: {{email: {slug}@example.org}}", "  consent: true"]
    front += [
        f"date: {when.isoformat()}",
        f"summary: {_sentence(rng)}",
        f"tags: [{', '.join(tags)}]",
    ]
    if rng.random() < 0.15:
        front += [f"video: https://www.youtube.com/watch?v={''.join(rng.choice('abcdefghijkXYZ0123456789') for _ in range(11))}",
                  "transcript: true"]
    front.append("---")
    body: list[str] = [_paragraph(rng, 5)]
    words = 0
    n = 0
    while words < 1250:
        if kind == "interviews":
            body.append(f"## {QUESTIONS[n % len(QUESTIONS)]}")
        elif n % 3 == 0:
            body.append(f"## {_sentence(rng).rstrip('.?!')}")
        para = _paragraph(rng, rng.randint(4, 7))
        body.append(para)
        if n % 3 == 1:
            body.append(_extra_block(rng, n))
        words += len(para.split()) + 12
        n += 1
    return slug, "\n".join(front) + "\n\n" + "\n\n".join(body) + "\n"


CONFIG = """\
title: Benchmark Hub
description: A synthetic hub of interviews and stories for timing sitegen.
base_url: https://example.github.io/bench/
language: en
timezone: UTC
author:
  name: Marta Quiles
  email: marta@example.org
page_size: 10
home_entries: 6
contact:
  email: marta@example.org
"""


def write_corpus(site: Path, n: int, seed: int = 7) -> None:
    """Write a hub of ``n`` entries (2/3 interviews, 1/3 stories) into ``site`` (replaced)."""
    rng = random.Random(seed)
    if site.exists():
        shutil.rmtree(site)
    # Two entries a day, the newest on the last day of 2025: every entry is published.
    start = date(2025, 12, 31) - timedelta(days=(n - 1) // 2)
    for i in range(n):
        kind = "stories" if i % 3 == 2 else "interviews"
        slug, text = _entry(rng, i, kind, start)
        path = site / "content" / kind / f"{slug}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    pages = site / "content" / "pages"
    pages.mkdir(parents=True)
    for title in ("About", "Contact", "Membership"):
        (pages / f"{title.lower()}.md").write_text(
            f"---\ntitle: {title}\n---\n\n{_paragraph(rng, 6)}\n\n{_paragraph(rng, 6)}\n", encoding="utf-8")
    (site / "static" / "images").mkdir(parents=True)
    (site / "static" / "images" / "logo.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>\n')
    (site / "sitegen.yaml").write_text(CONFIG, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("n", type=int)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    write_corpus(args.site, args.n, args.seed)


if __name__ == "__main__":
    main()
