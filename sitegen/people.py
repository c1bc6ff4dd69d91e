"""People and connections (part of the collect stage).

From the published entries (newest first) this module gathers the people interviewed
(:func:`collect_people`), the entries related to each entry by shared tags
(:func:`relate`), and the questions several interviews asked (:func:`group_questions`).
It also splits an interview's HTML into its answers (:func:`split_answers`) so the
theme can offer an "ask about this" link under each one. No I/O.

It also holds the one rule on consent (:func:`decide_consent`): a person's newest word
governs every page about them. Collecting applies it to the pages, and ``sitegen check``
applies it to the content files' front matter, so the two never disagree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from collections.abc import Iterable
from functools import lru_cache
from itertools import combinations

from .contact import Channel
from .model import Answer, Heading, Page, Person, Profile, QuestionGroup
from .slugs import slugify


def collect_people(entries: tuple[Page, ...], language: str) -> tuple[Profile, ...]:
    """A profile for each person with at least one interview, sorted by name.

    The newest interview describes the person (name, role, links); among translations of
    the same date, the one in the site's ``language`` wins. Their consent and contact
    details are already those of :func:`decide_consent` on every entry (collecting applied
    it). Stories that name the same person (by slug) are listed on their profile too.
    """
    interviews: dict[str, list[Page]] = {}
    stories: dict[str, list[Page]] = {}
    for entry in entries:
        if entry.person is None or not entry.person.slug:
            continue
        target = interviews if entry.kind == "interview" else stories
        target.setdefault(entry.person.slug, []).append(entry)
    profiles = []
    for slug, pages in interviews.items():
        newest = [p for p in pages if p.date == pages[0].date]
        describing = next((p for p in newest if p.lang == language), newest[0])
        person = describing.person
        assert person is not None
        profiles.append(Profile(person=person, interviews=tuple(pages), stories=tuple(stories.get(slug, ()))))
    return tuple(sorted(profiles, key=lambda p: (p.person.name.casefold(), p.person.slug)))


@dataclass(frozen=True, slots=True)
class ConsentWord:
    """What one entry says about its person's consent: ``consent`` is true only when its
    front matter sets ``person.consent: true`` (a name alone, or a missing key, says no).
    ``work`` is the entry's ``translation_key`` (its editions in several languages are
    one interview), or its own source when it has none. The word of an entry not yet
    published (a draft, or one dated after now) can withdraw consent, never give it."""

    source: str
    person: str  # the person's slug
    kind: str
    date: datetime | None
    lang: str
    work: str
    consent: bool
    draft: bool = False
    scheduled: bool = False  # dated after now

    @property
    def unpublished(self) -> bool:
        """Whether the entry is not published yet (a draft, or scheduled)."""
        return self.draft or self.scheduled


@dataclass(frozen=True, slots=True)
class ConsentDecision:
    """A person's consent as the newest word decides it, for every page about them.

    ``deciding`` are the sources of the newest interview (all its editions); ``source``
    is the one whose contact details are published when ``consent`` is true."""

    person: str
    consent: bool
    source: str
    deciding: tuple[str, ...]
    drafted: bool = False  # whether an entry not yet published (a draft, scheduled) is among the deciding


def consent_word(page: Page, now: datetime) -> ConsentWord | None:
    """The word on consent of an interview or story with a person (None otherwise);
    ``now`` (aware) tells a scheduled entry."""
    if page.person is None or not page.person.slug or page.kind not in ("interview", "story"):
        return None
    return ConsentWord(source=page.source, person=page.person.slug, kind=page.kind, date=page.date, lang=page.lang,
                       work=page.translation_key or page.source, consent=page.person.consent, draft=page.draft,
                       scheduled=page.date is not None and page.date > now)


def decide_consent(words: Iterable[ConsentWord], language: str) -> dict[str, ConsentDecision]:
    """Each person's consent, by slug: the one rule that build and check share.

    The words are those of a person's interviews (of their stories only when they have no
    interview), drafts and scheduled ones included. Editions of one interview (the same
    ``translation_key``) are one word, dated by its newest edition, that consents only when
    every edition says ``consent: true``. The newest word governs; when several interviews
    share the newest date, each must consent. The published contact details are those
    of the newest interview's edition in the site's ``language`` (else the first by source).
    An entry not yet published (a draft, or one dated after now, whatever the build's
    options) can withdraw consent but never give it: when the newest word is such an
    entry's and consents, the words of the published entries decide (and none: no
    consent), so its contact details are never published before it is.
    """
    by_person: dict[str, list[ConsentWord]] = {}
    for word in words:
        by_person.setdefault(word.person, []).append(word)
    decisions: dict[str, ConsentDecision] = {}
    for person, said in by_person.items():
        decision = _decide(person, said, language)
        if decision.consent and decision.drafted:
            said = [w for w in said if not w.unpublished]
            decision = _decide(person, said, language) if said else ConsentDecision(person, False, "", ())
        decisions[person] = decision
    return decisions


def _decide(person: str, said: list[ConsentWord], language: str) -> ConsentDecision:
    """The newest word among ``said`` (see :func:`decide_consent`)."""
    interviews = [w for w in said if w.kind == "interview"] or said
    works: dict[str, list[ConsentWord]] = {}
    for word in interviews:
        works.setdefault(word.work, []).append(word)
    dated = {work: max((w.date for w in editions if w.date is not None), default=None)
             for work, editions in works.items()}
    known = [d for d in dated.values() if d is not None]
    newest = max(known) if known else None
    deciding = sorted((w for work, editions in works.items() if dated[work] == newest for w in editions),
                      key=lambda w: (w.lang != language, w.source))
    return ConsentDecision(person=person, consent=all(w.consent for w in deciding),
                           source=deciding[0].source, deciding=tuple(sorted(w.source for w in deciding)),
                           drafted=any(w.unpublished for w in deciding))


def governed_person(own: Person, decision: ConsentDecision | None, contact: tuple[Channel, ...]) -> Person:
    """``own`` (a page's person) with the consent of ``decision`` and, when it consents,
    the ``contact`` details of the deciding entry: no page keeps details its person
    withdrew, and every page shows the details they agreed to last."""
    if decision is None:
        return own
    consent = decision.consent
    details = contact if consent else ()
    if own.consent == consent and own.contact == details:
        return own
    return Person(name=own.name, slug=own.slug, role=own.role, links=own.links, contact=details, consent=consent)


def relate(entries: tuple[Page, ...], limit: int) -> dict[str, tuple[Page, ...]]:
    """For each entry, up to ``limit`` other entries sharing a tag with it: most shared
    tags first, then newest. Translations of the entry itself are left out, and of a
    translated entry only the version in the entry's language is offered."""
    related: dict[str, tuple[Page, ...]] = {}
    if limit <= 0:
        return related
    # Comparing every entry with every other was quadratic (two minutes for 10,000
    # entries): candidates come from an index of the entries of each tag, as a bit set over
    # their positions (newest first), and those sharing k tags from the AND of k of those.
    tag_sets = [{slugify(t) for t in entry.tags} for entry in entries]
    by_tag: dict[str, list[int]] = {}
    for index, tags in enumerate(tag_sets):
        for tag in tags:
            by_tag.setdefault(tag, []).append(index)
    masks = {tag: sum(1 << i for i in indices) for tag, indices in by_tag.items()}
    versions = {(e.translation_key, e.lang) for e in entries if e.translation_key}

    def offered(entry: Page, other: Page) -> bool:
        if other.url == entry.url or _same_work(entry, other):
            return False
        # A translation's version in the reader's language is a candidate of its own.
        return other.lang == entry.lang or (other.translation_key, entry.lang) not in versions

    for index, entry in enumerate(entries):
        mine = sorted(tag_sets[index])
        if not mine:
            continue
        chosen: list[int] = []
        if len(mine) > 8:  # rare: count shared tags directly
            counts: dict[int, int] = {}
            for tag in mine:
                for other in by_tag[tag]:
                    counts[other] = counts.get(other, 0) + 1
            ranked = sorted(counts, key=lambda i: (-counts[i], i))
            chosen = [i for i in ranked if offered(entry, entries[i])][:limit]
        else:
            higher = 0  # entries sharing more tags than the level at hand
            for level in range(len(mine), 0, -1):
                if level == 1:
                    at_least = 0
                    for tag in mine:
                        at_least |= masks[tag]
                else:
                    at_least = 0
                    for group in combinations(mine, level):
                        both = masks[group[0]]
                        for tag in group[1:]:
                            both &= masks[tag]
                        at_least |= both
                fresh = at_least & ~higher
                while fresh and len(chosen) < limit:  # lowest position first: newest first
                    lowest = fresh & -fresh
                    fresh ^= lowest
                    other = lowest.bit_length() - 1
                    if offered(entry, entries[other]):
                        chosen.append(other)
                if len(chosen) >= limit:
                    break
                higher |= at_least
        related[entry.url] = tuple(entries[i] for i in chosen)
    return related


def _same_work(a: Page, b: Page) -> bool:
    """True when ``a`` and ``b`` are translations of each other."""
    return a.translation_key is not None and a.translation_key == b.translation_key


@lru_cache(maxsize=8192)  # interviews ask the same questions: each is normalised once
def question_key(text: str) -> str:
    """The normalised text of a question: case, accents, punctuation and spacing ignored
    (``¿Cómo empezó?`` and ``como empezo`` are the same question)."""
    return slugify(text)


def group_questions(entries: tuple[Page, ...]) -> tuple[QuestionGroup, ...]:
    """Questions asked (as ``## `` headings) in two or more interviews, by text."""
    groups: dict[str, list[tuple[Page, Heading]]] = {}
    for entry in entries:
        if entry.kind != "interview":
            continue
        seen: set[str] = set()
        for question in entry.questions:
            key = question_key(question.text)
            if not key or key in seen:
                continue
            seen.add(key)
            groups.setdefault(key, []).append((entry, question))
    shared = [QuestionGroup(key=key, text=answers[0][1].text, answers=tuple(map(Answer._make, answers)))
              for key, answers in groups.items() if len(answers) > 1]
    return tuple(sorted(shared, key=lambda g: (-len(g.answers), g.text.casefold())))


@dataclass(frozen=True, slots=True)
class Section:
    """A piece of an interview's body: the introduction (no question), or one question
    heading with its answer."""

    html: str
    question: Heading | None = None


#: A level-2 heading with an id (one pattern for every page: a pattern made of each
#: page's ids was compiled again for every interview). Not anchored with ``^`` and
#: MULTILINE, which made the regex engine try every position of the body (10x slower);
#: the start of a line is checked by hand.
_H2_ID = re.compile(r'<h2 id="([^"\n]*)"')


def split_answers(body_html: str, questions: tuple[Heading, ...]) -> tuple[Section, ...]:
    """Cut rendered HTML before each question's ``<h2 id=...>``; each piece after the
    first is one question and its answer."""
    by_id = {q.id: q for q in questions}
    if not by_id:
        return (Section(body_html),)
    sections: list[Section] = []
    start, current = 0, None
    for match in _H2_ID.finditer(body_html):
        if match.group(1) not in by_id:  # a level-2 heading that is not a question
            continue
        if match.start() and body_html[match.start() - 1] != "\n":  # not at the start of a line
            continue
        if match.start() > start or current is not None:
            sections.append(Section(body_html[start:match.start()], current))
        start, current = match.start(), by_id[match.group(1)]
    sections.append(Section(body_html[start:], current))
    return tuple(s for s in sections if s.html.strip() or s.question is not None)


def introduction_pairs(page: Page, related: tuple[Page, ...]) -> tuple[tuple[Person, Page], ...]:
    """The people of related entries who differ from this entry's person: each is someone
    a reader could ask the creator to introduce to this entry's person."""
    if page.person is None:
        return ()
    pairs = []
    seen = {page.person.slug}
    for other in related:
        if other.person is not None and other.person.slug not in seen:
            seen.add(other.person.slug)
            pairs.append((other.person, other))
    return tuple(pairs)
