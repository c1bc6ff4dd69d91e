"""Membership: the ``membership:`` settings and the true-fans arithmetic.

Part of the settings stage: ``config.py`` calls :func:`parse_membership`, so every
mistake names its key, e.g. ``membership.tiers[1].price``, and its line. The values
here know nothing of pages or sites (``model.py`` holds them in ``Config``): the
collect stage makes the ``/membership/`` page (``collect.py``), the renderer gives the
theme the tiers and their JSON-LD (``render.py``); prices are formatted by ``l10n.py``.

Money is :class:`~decimal.Decimal`; the arithmetic is exact (``Fraction``) and rounds
up only at the end, to whole people. A provider's fee is rounded to the currency's
smallest unit (half up), as providers charge it. Tier numbers in keys count from 0,
like list indices in YAML tools (``tiers[0]`` is the first tier).
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, Literal, Protocol
from collections.abc import Mapping

from babel.numbers import get_currency_precision, is_currency

from .errors import did_you_mean, shown
from .slugs import slugify
from .urls import split_url

Interval = Literal["month", "year", "once"]
Period = Literal["month", "year"]
INTERVALS: tuple[str, ...] = ("month", "year", "once")
PERIODS: tuple[str, ...] = ("month", "year")
#: The slug (and site path ``membership/``) of the membership page.
SLUG = "membership"
#: The template the membership page is rendered with (unless its front matter names another).
TEMPLATE = "membership.html"

KEYS = ("goal", "tiers", "cap", "faq", "mix", "count_one_off", "invite")
GOAL_KEYS = ("amount", "currency", "period")
TIER_KEYS = ("name", "price", "currency", "interval", "description", "perks", "join_url",
             "provider_fee", "featured")
FEE_KEYS = ("percent", "fixed")
FAQ_KEYS = ("question", "answer")

#: Upper bounds (inclusive) of the sizes the perspective sentence names, smallest first.
SCALES: tuple[tuple[int, str], ...] = (
    (60, "table"), (300, "hall"), (1500, "room"), (5000, "theatre"),
)

class Report(Protocol):
    """How a validation problem is reported: config.py's checker, ``report(key, message, hint)``."""

    def __call__(self, key: str, message: str, hint: str | None = None) -> None: ...


# -- Values --------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Fee:
    """What a payment provider keeps of each payment: a percentage plus a fixed amount."""

    percent: Decimal = Decimal(0)
    fixed: Decimal = Decimal(0)

    def of(self, price: Decimal, currency: str) -> Decimal:
        """The fee on one payment of ``price``, rounded to the currency's smallest unit."""
        raw = price * self.percent / 100 + self.fixed
        return raw.quantize(minor_unit(currency), rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Tier:
    """One way to support the hub, with the link where a reader joins."""

    name: str
    price: Decimal
    currency: str
    interval: Interval
    join_url: str
    description: str = ""
    perks: tuple[str, ...] = ()
    fee: Fee | None = None
    featured: bool = False

    @property
    def id(self) -> str:
        """A slug for HTML ids and CSS hooks: ``tier-<name>``."""
        return "tier-" + (slugify(self.name) or "x")

    @property
    def fee_amount(self) -> Decimal:
        """The provider's fee on one payment (0 without a fee)."""
        return self.fee.of(self.price, self.currency) if self.fee else Decimal(0)

    @property
    def net(self) -> Decimal:
        """What the creator receives of one payment, after the provider's fee."""
        return self.price - self.fee_amount


@dataclass(frozen=True, slots=True)
class Goal:
    """The income the creator needs, per month or per year."""

    amount: Decimal
    currency: str
    period: Period


@dataclass(frozen=True, slots=True)
class Question:
    """A question readers ask about membership, and its answer (plain text)."""

    question: str
    answer: str

    @property
    def paragraphs(self) -> tuple[str, ...]:
        """The answer split at blank lines."""
        return tuple(p.strip() for p in self.answer.split("\n\n") if p.strip())


@dataclass(frozen=True, slots=True)
class Share:
    """The part of the members (in percent) expected to choose a tier."""

    tier: Tier
    percent: Decimal


@dataclass(frozen=True, slots=True)
class Membership:
    """The validated ``membership:`` settings, with the true-fans arithmetic.

    Never holds a count of current members: only how many the goal needs.
    """

    goal: Goal
    tiers: tuple[Tier, ...]
    cap: int | None = None
    faq: tuple[Question, ...] = ()
    mix: tuple[Share, ...] = ()
    count_one_off: bool = False
    invite: bool = True
    invite_texts: Mapping[str, str] = dataclasses.field(default_factory=dict)  # lang ("" = any) -> text

    def income(self, tier: Tier) -> Fraction | None:
        """What one member of ``tier`` brings in over the goal's period, net of fees;
        ``None`` when the tier does not count towards the goal (another currency, or a
        one-off payment without ``count_one_off``)."""
        if tier.currency != self.goal.currency:
            return None
        return period_income(tier.net, tier.interval, self.goal.period, self.count_one_off)

    def counts(self, tier: Tier) -> bool:
        """True when ``tier`` counts towards the goal."""
        return self.income(tier) is not None

    def needed(self, tier: Tier) -> int | None:
        """Members needed to reach the goal if everyone chose ``tier``, rounded up."""
        income = self.income(tier)
        return None if income is None else members_for(self.goal.amount, income)

    @property
    def needed_for_mix(self) -> int | None:
        """Members needed with the configured mix of tiers, or ``None`` without a mix."""
        if not self.mix:
            return None
        average = sum((Fraction(s.percent) / 100 * (self.income(s.tier) or 0) for s in self.mix), Fraction(0))
        return members_for(self.goal.amount, average)

    @property
    def headline(self) -> int | None:
        """The number the page puts in perspective: the mix's, else the featured tier's,
        else that of the first tier that counts."""
        if self.mix:
            return self.needed_for_mix
        counted = [t for t in self.tiers if self.counts(t)]
        featured = [t for t in counted if t.featured]
        chosen = featured or counted
        return self.needed(chosen[0]) if chosen else None

    @staticmethod
    def scale(count: int) -> str:
        """The size of a group of ``count`` people, as a word the theme translates:
        ``table``, ``hall``, ``room``, ``theatre`` or ``arena``."""
        for bound, name in SCALES:
            if count <= bound:
                return name
        return "arena"

    def over_cap(self, count: int | None) -> bool:
        """True when ``count`` members would be more than the cap."""
        return self.cap is not None and count is not None and count > self.cap

    def invite_text(self, lang: str) -> str | None:
        """The configured invitation for ``lang`` (or its base language, or any
        language), or ``None`` to use the theme's words."""
        for key in (lang, lang.split("-")[0], ""):
            if key in self.invite_texts:
                return self.invite_texts[key]
        return None


def period_income(net: Decimal, interval: str, period: str, count_one_off: bool) -> Fraction | None:
    """Net income of one payment of ``net`` every ``interval``, over one goal ``period``.

    A one-off payment counts as one payment per period only when ``count_one_off``.
    """
    value = Fraction(net)
    if interval == "once":
        return value if count_one_off else None
    if interval == period:
        return value
    return value * 12 if (interval, period) == ("month", "year") else value / 12


def members_for(goal: Decimal, income: Fraction) -> int:
    """Whole people needed for ``goal`` when each brings ``income``: always rounded up."""
    if income <= 0:
        raise ValueError("a tier must bring in a positive amount")
    return math.ceil(Fraction(goal) / income)


def minor_unit(currency: str) -> Decimal:
    """The currency's smallest unit: ``0.01`` for USD, ``1`` for JPY, ``0.001`` for KWD."""
    return Decimal(1).scaleb(-get_currency_precision(currency))


# -- Validation ------------------------------------------------------------------------

def parse_membership(value: Any, report: Report) -> Membership | None:
    """Validate the ``membership:`` mapping of sitegen.yaml; ``None`` when it is absent
    or wrong. Every problem goes to ``report(key, message, hint)``, keys dotted from
    ``membership`` (``membership.tiers[1].price``)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        report("membership", "must be a mapping with goal, tiers and (optionally) cap, mix, faq, invite",
               "see the README's Membership section for an example")
        return None
    problems_before = _Counter(report)
    report = problems_before
    _unknown(value, KEYS, "membership", "a membership setting", report)
    goal = _goal(value.get("goal"), report)
    tiers = _tiers(value.get("tiers"), goal, report)
    cap = _cap(value.get("cap"), report)
    faq = _faq(value.get("faq"), report)
    count_one_off = _flag(value, "count_one_off", False, report)
    invite, invite_texts = _invite(value.get("invite"), report)
    if goal is not None and tiers:
        if not any(t.currency == goal.currency for t in tiers):
            used = ", ".join(dict.fromkeys(t.currency for t in tiers))
            report("membership.goal.currency",
                   f"is {goal.currency}, but no tier is priced in {goal.currency} (the tiers use {used})",
                   f"set the goal in {used.split(', ')[0]}, or price a tier in {goal.currency}")
    draft = Membership(goal=goal or Goal(Decimal(1), "USD", "month"), tiers=tuple(tiers), count_one_off=count_one_off)
    raw_names = {str(t.get("name")) for t in value.get("tiers") or () if isinstance(t, dict)}
    mix = _mix(value.get("mix"), draft, raw_names, report) if goal is not None else ()
    if problems_before.count or goal is None or not tiers:
        return None
    return Membership(goal=goal, tiers=tuple(tiers), cap=cap, faq=faq, mix=mix,
                      count_one_off=count_one_off, invite=invite, invite_texts=invite_texts)


class _Counter:
    """Passes problems on and counts them."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.count = 0

    def __call__(self, key: str, message: str, hint: str | None = None) -> None:
        self.count += 1
        self.report(key, message, hint)


def _unknown(mapping: dict[Any, Any], known: tuple[str, ...], prefix: str, what: str, report: Report) -> None:
    for key in mapping:
        if key not in known:
            report(f"{prefix}.{key}", f"is not {what}{did_you_mean(str(key), known)}",
                   "the settings here are: " + ", ".join(known))



def _number(value: Any) -> Decimal | None:
    """A Decimal from a YAML number or a numeric string; ``None`` if it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


def _currency(value: Any, key: str, report: Report) -> str | None:
    if not isinstance(value, str) or not value.strip():
        report(key, f"must be a currency code such as USD, EUR or JPY (got {shown(value)})",
               "use the three-letter ISO 4217 code")
        return None
    code = value.strip().upper()
    if not is_currency(code):
        close = difflib.get_close_matches(code, ["USD", "EUR", "GBP", "JPY", "MXN", "ARS", "COP", "CLP",
                                                 "CAD", "AUD", "CHF", "BRL", "INR", "SEK", "NOK", "DKK"], n=1)
        report(key, f"is not a known currency code (got {value!r})"
               + (f" (did you mean '{close[0]}'?)" if close else ""),
               "use the three-letter ISO 4217 code, e.g. USD, EUR, GBP, JPY, MXN")
        return None
    return code


#: Amounts of money at or above this are refused: no goal or price is that large, and
#: rounding 1e300 to cents overflows the decimal arithmetic.
MAX_AMOUNT = Decimal(10) ** 12


def _amount(value: Any, key: str, currency: str | None, report: Report, *, allow_zero: bool = False) -> Decimal | None:
    """A positive (or non-negative) amount with no more decimals than ``currency`` has."""
    number = _number(value)
    if number is None or number < 0 or (number == 0 and not allow_zero):
        what = "a number, 0 or more" if allow_zero else "a positive number"
        report(key, f"must be {what} (got {shown(value)})",
               "write just the number, e.g. 5 or 4.50, without the currency")
        return None
    if number >= MAX_AMOUNT:
        report(key, f"is too large to be an amount of money (got {shown(value)})",
               f"write the amount in {currency or 'the currency'} as a plain number below {MAX_AMOUNT:,}, e.g. 36000")
        return None
    if currency is not None:
        digits = get_currency_precision(currency)
        if number != number.quantize(minor_unit(currency), rounding=ROUND_HALF_UP):
            unit = "has no minor unit" if digits == 0 else f"has {digits} decimal places"
            report(key, f"has more decimals than {currency} allows: {currency} {unit} (got {value})",
                   f"round it to {minor_unit(currency)}")
            return None
    return number


def _text(mapping: dict[str, Any], name: str, key: str, report: Report, required: str = "") -> str | None:
    """Text at ``mapping[name]``; ``required`` names what needs it (``tier``)."""
    value = mapping.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            report(key, f"is missing: every {required} needs a {name}", f"add '{name}: ...' to this {required}")
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        report(key, f"must be text (got {shown(value)})")
        return None
    return value.strip()


def _flag(mapping: dict[str, Any], name: str, default: bool, report: Report) -> bool:
    value = mapping.get(name)
    if value is None:
        return default
    if not isinstance(value, bool):
        report(f"membership.{name}", f"must be true or false (got {shown(value)})")
        return default
    return value


def _goal(value: Any, report: Report) -> Goal | None:
    if value is None:
        report("membership", "needs a 'goal': the income the hub needs",
               "e.g. goal: {amount: 60000, currency: USD, period: year}")
        return None
    if not isinstance(value, dict):
        report("membership.goal", f"must be a mapping with amount, currency and period (got {shown(value)})",
               "e.g. goal: {amount: 60000, currency: USD, period: year}")
        return None
    _unknown(value, GOAL_KEYS, "membership.goal", "a goal setting", report)
    currency = _currency(value.get("currency"), "membership.goal.currency", report)
    amount = _amount(value.get("amount"), "membership.goal.amount", currency, report)
    period = value.get("period")
    if period not in PERIODS:
        report("membership.goal.period", f"must be month or year (got {shown(period)})",
               "the goal is an income per month or per year")
        return None
    if currency is None or amount is None:
        return None
    return Goal(amount=amount, currency=currency, period=period)


def _tiers(value: Any, goal: Goal | None, report: Report) -> list[Tier]:
    if not isinstance(value, list) or not value:
        report("membership.tiers" if value is not None else "membership",
               "needs at least one tier" if value in (None, []) else f"must be a list of tiers (got {shown(value)})",
               "e.g. tiers: [{name: Reader, price: 5, currency: USD, interval: month, join_url: https://...}]")
        return []
    tiers: list[Tier] = []
    names: set[str] = set()
    for index, item in enumerate(value):
        key = f"membership.tiers[{index}]"
        tier = _tier(item, key, goal, report)
        if tier is None:
            continue
        if tier.name.casefold() in names:
            report(f"{key}.name", f"repeats the tier name {tier.name!r}", "give every tier its own name")
            continue
        names.add(tier.name.casefold())
        tiers.append(tier)
    return tiers


def _tier(item: Any, key: str, goal: Goal | None, report: Report) -> Tier | None:
    if not isinstance(item, dict):
        report(key, f"must be a mapping with name, price, currency, interval and join_url (got {shown(item)})")
        return None
    _unknown(item, TIER_KEYS, key, "a tier setting", report)
    name = _text(item, "name", f"{key}.name", report, required="tier")
    if "currency" in item:
        currency = _currency(item.get("currency"), f"{key}.currency", report)
    else:
        currency = goal.currency if goal else None
        if goal is None:
            report(f"{key}.currency", "is missing", "add 'currency: USD' (or your currency's ISO 4217 code)")
    price = _amount(item.get("price"), f"{key}.price", currency, report)
    interval = item.get("interval")
    if interval not in INTERVALS:
        report(f"{key}.interval", f"must be month, year or once (got {shown(interval)})",
               "month and year are subscriptions; once is a single payment")
    join_url = _join_url(item.get("join_url"), f"{key}.join_url", report)
    description = _text(item, "description", f"{key}.description", report) or ""
    perks = _perks(item.get("perks"), f"{key}.perks", report)
    fee = _fee(item.get("provider_fee"), f"{key}.provider_fee", currency, report)
    featured = item.get("featured", False)
    if not isinstance(featured, bool):
        report(f"{key}.featured", f"must be true or false (got {shown(featured)})")
        featured = False
    if name is None or currency is None or price is None or interval not in INTERVALS or join_url is None:
        return None
    tier = Tier(name=name, price=price, currency=currency, interval=interval, join_url=join_url,
                description=description, perks=perks, fee=fee, featured=featured)
    if fee is not None and tier.net <= 0:
        report(f"{key}.provider_fee", f"takes the whole price: the fee on {price} {currency} is {tier.fee_amount}",
               "check the fee, or raise the price")
        return None
    return tier


def _join_url(value: Any, key: str, report: Report) -> str | None:
    hint = "a link where readers join: https://... (a payment link, Ko-fi, Liberapay...) or mailto:you@example.org"
    if not isinstance(value, str) or not value.strip():
        report(key, "is missing: every tier needs a join link" if value is None
               else f"must be a link (got {shown(value)})", hint)
        return None
    url = value.strip()
    parts = split_url(url)
    if parts is not None and parts.scheme == "https" and parts.hostname:
        return url
    if parts is not None and parts.scheme == "mailto" and "@" in parts.path:
        return url
    report(key, f"must be an https:// or mailto: link (got {value!r})", hint)
    return None


def _perks(value: Any, key: str, report: Report) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(p, (str, int, float)) and not isinstance(p, bool)
                                              for p in value):
        report(key, "must be a list of short texts", "e.g. perks: [Monthly letter, Early access to interviews]")
        return ()
    return tuple(str(p).strip() for p in value if str(p).strip())


def _fee(value: Any, key: str, currency: str | None, report: Report) -> Fee | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        report(key, f"must be a mapping with percent and/or fixed (got {shown(value)})",
               "e.g. provider_fee: {percent: 2.9, fixed: 0.30}")
        return None
    _unknown(value, FEE_KEYS, key, "a fee setting", report)
    percent = Decimal(0)
    if "percent" in value:
        number = _number(value["percent"])
        if number is None or number < 0 or number >= 100:
            report(f"{key}.percent", f"must be a number from 0 to below 100 (got {shown(value['percent'])})",
                   "write 2.9 for 2.9%")
            return None
        percent = number
    fixed = Decimal(0)
    if "fixed" in value:
        amount = _amount(value["fixed"], f"{key}.fixed", currency, report, allow_zero=True)
        if amount is None:
            return None
        fixed = amount
    return Fee(percent=percent, fixed=fixed)


def _cap(value: Any, report: Report) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        report("membership.cap", f"must be a whole number of members, 1 or more (got {shown(value)})",
               "the most members you want to serve, e.g. cap: 1200")
        return None
    return value


def _faq(value: Any, report: Report) -> tuple[Question, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        report("membership.faq", f"must be a list of question/answer pairs (got {shown(value)})",
               "e.g. faq: [{question: Can I cancel?, answer: Any time.}]")
        return ()
    questions = []
    for index, item in enumerate(value):
        key = f"membership.faq[{index}]"
        if not isinstance(item, dict):
            report(key, f"must be a mapping with question and answer (got {shown(item)})")
            continue
        _unknown(item, FAQ_KEYS, key, "a question setting", report)
        question = _text(item, "question", f"{key}.question", report, required="question")
        answer = _text(item, "answer", f"{key}.answer", report, required="question")
        if question and answer:
            questions.append(Question(question=question, answer=answer))
    return tuple(questions)


def _invite(value: Any, report: Report) -> tuple[bool, dict[str, str]]:
    if value is None or value is True:
        return True, {}
    if value is False:
        return False, {}
    if isinstance(value, str) and value.strip():
        return True, {"": value.strip()}
    if isinstance(value, dict) and value and all(isinstance(k, str) and isinstance(v, str) and v.strip()
                                                   for k, v in value.items()):
        return True, {k: v.strip() for k, v in value.items()}
    report("membership.invite", f"must be true, false, a sentence, or a sentence per language (got {shown(value)})",
           "e.g. invite: false, or invite: {en: This hub is reader-funded., es: Este sitio lo pagan sus lectores.}")
    return True, {}


def _mix(value: Any, draft: Membership, raw_names: set[str], report: Report) -> tuple[Share, ...]:
    """The expected shares of tiers; a tier already reported as broken is not reported again."""
    if value is None:
        return ()
    hint = "e.g. mix: {Reader: 80, Patron: 20}: the percent of members you expect at each tier, adding up to 100"
    if not isinstance(value, dict) or not value:
        report("membership.mix", f"must be a mapping of tier name to percent (got {shown(value)})", hint)
        return ()
    by_name = {t.name: t for t in draft.tiers}
    shares: list[Share] = []
    for name, percent in value.items():
        key = f"membership.mix.{name}"
        tier = by_name.get(str(name))
        if tier is None and str(name) in raw_names:
            return ()
        if tier is None:
            close = difflib.get_close_matches(str(name), list(by_name), n=1, cutoff=0.6)
            report(key, "is not the name of a tier" + (f" (did you mean '{close[0]}'?)" if close else ""),
                   "the tiers are: " + ", ".join(by_name))
            continue
        number = _number(percent)
        if number is None or number <= 0 or number > 100:
            report(key, f"must be a percent above 0 and up to 100 (got {shown(percent)})", hint)
            continue
        if tier.currency != draft.goal.currency:
            report(key, f"is priced in {tier.currency}, the goal in {draft.goal.currency}: it cannot be mixed",
                   "leave it out of the mix (there are no exchange rates in the arithmetic)")
            continue
        if not draft.counts(tier):
            report(key, "is a one-off payment, which does not count towards the goal",
                   "leave it out of the mix, or set 'count_one_off: true' to count it once per goal period")
            continue
        shares.append(Share(tier=tier, percent=number))
    if len(shares) == len(value) and sum(s.percent for s in shares) != 100:
        total = sum(s.percent for s in shares)
        report("membership.mix", f"must add up to 100 (it adds up to {total})", hint)
        return ()
    return tuple(shares)
