"""Localised formatting for the render stage: dates, numbers, prices, language names,
text direction and reading speed, each in a page's language (through babel's CLDR data).

Templates get these as globals (``format_date``, ``format_number``, ``format_price``,
``language_name``, ``text_direction``); other modules (the membership page) may call
them directly. Every function accepts any language tag a page may carry (``en``,
``es``, ``pt-BR``) and falls back to English when CLDR does not know it.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache, cache
from types import MappingProxyType
from collections.abc import Mapping
from zoneinfo import ZoneInfo

from babel import Locale
from babel.core import UnknownLocaleError
from babel.dates import format_date as _babel_date
from babel.numbers import format_currency as _babel_currency
from babel.numbers import format_decimal as _babel_decimal

#: Long-date patterns that replace CLDR's where we chose differently. Plain ``en``
#: writes the day first ("2 October 2026", as in British, Irish, Australian and most
#: international English): it reads the same way as the Spanish "2 de octubre de
#: 2026" beside it and cannot be mistaken for a month-first short date. A regional
#: tag (``en-US``) keeps its own CLDR pattern ("October 2, 2026").
LONG_DATE_PATTERNS: Mapping[str, str] = MappingProxyType({"en": "d MMMM y"})

#: Average silent reading speed of adults in words per minute, by language
#: (IReST, Trauzettel-Klosinski et al., 2012). Other languages use ``DEFAULT_WPM``.
WORDS_PER_MINUTE: Mapping[str, int] = MappingProxyType({
    "ar": 138, "de": 179, "en": 228, "es": 218, "fi": 161, "fr": 195, "he": 187,
    "it": 188, "nl": 202, "pl": 166, "pt": 181, "ru": 184, "sl": 180, "sv": 199, "tr": 166,
})
DEFAULT_WPM = 200


@cache
def locale_for(lang: str) -> Locale:
    """The babel locale for a language tag (``pt-BR`` -> ``pt_BR``), English if unknown."""
    try:
        return Locale.parse(lang.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        base = lang.split("-")[0]
        if base != lang:
            return locale_for(base)
        return Locale.parse("en")


@lru_cache(maxsize=8192, typed=True)
def format_date(moment: datetime | date, lang: str, timezone: str = "UTC") -> str:
    """The long date of ``moment`` in ``lang``, on the calendar of ``timezone``:
    ``2 October 2026`` / ``2 de octubre de 2026``. Aware datetimes are converted to
    the zone first, so an entry published late in the evening elsewhere shows the
    date a reader of the site's zone would see.

    Remembered per (moment, language, zone): an entry's date is shown on its page and
    on every list, tag and person page that has its card. (Equal aware datetimes are
    the same instant, so they share one answer; ``typed`` keeps dates and datetimes apart.)"""
    day = moment
    if isinstance(moment, datetime):
        if moment.tzinfo is not None:
            moment = moment.astimezone(ZoneInfo(timezone))
        day = moment.date()
    locale = locale_for(lang)
    return _babel_date(day, format=LONG_DATE_PATTERNS.get(str(locale), "long"), locale=locale)


def format_number(value: int | float | Decimal, lang: str) -> str:
    """A number with the language's separators: ``12,345.5`` / ``12.345,5``."""
    return _babel_decimal(value, locale=locale_for(lang))


def format_price(amount: int | float | Decimal, currency: str, lang: str) -> str:
    """A price in ``currency`` (ISO 4217, e.g. ``EUR``) for readers of ``lang``:
    ``€5.00`` / ``5,00 €``. Whole amounts drop the decimals (``€5`` / ``5 €``), as
    membership tiers are usually round."""
    whole = Decimal(str(amount)) == Decimal(int(amount))
    pattern = None
    if whole:
        pattern = locale_for(lang).currency_formats["standard"].pattern.replace(".00", "")
    return _babel_currency(amount, currency.upper(), locale=locale_for(lang), format=pattern,
                           currency_digits=not whole)


@cache
def language_name(lang: str) -> str:
    """The name of a language in that language, capitalised for a menu: ``Español``."""
    locale = locale_for(lang)
    name = locale.get_display_name(locale) or lang
    return name[:1].upper() + name[1:]


@cache
def text_direction(lang: str) -> str:
    """``rtl`` for right-to-left scripts (Arabic, Hebrew, Persian...), else ``ltr``."""
    return "rtl" if locale_for(lang).character_order == "right-to-left" else "ltr"


def reading_minutes(words: int, lang: str) -> int:
    """Minutes to read ``words`` words at the language's usual speed, at least 1."""
    wpm = WORDS_PER_MINUTE.get(lang.split("-")[0].lower(), DEFAULT_WPM)
    return max(1, math.ceil(words / wpm))
