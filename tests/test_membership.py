"""Membership: settings validation, the true-fans arithmetic, formatting, the page,
its JSON-LD, the invitations, and the absence of all of it when unconfigured."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import INTERVIEW, soup, tree_digest
from site_checks import check_internal_links, check_sitemap_lists_every_page

from sitegen.build import build
from sitegen.config import load_config
from sitegen.errors import BuildError
from sitegen.frontmatter import load_yaml
from sitegen.l10n import format_number, format_price
from sitegen.membership import Fee, Goal, Membership, Share, Tier, members_for, period_income

BASE = "title: Hub\nbase_url: https://u.github.io/repo/\ncontact:\n  email: hello@example.org\n"

MEMBERSHIP = """\
membership:
  goal: {amount: 60000, currency: USD, period: year}
  cap: 1200
  mix: {Reader: 80, Patron: 20}
  tiers:
    - name: Reader
      price: 5
      currency: USD
      interval: month
      description: The letter and the archive.
      perks: [A monthly letter, Every interview early]
      join_url: https://buy.stripe.com/test_reader
      provider_fee: {percent: 2.9, fixed: 0.30}
      featured: true
    - name: Patron
      price: 100
      currency: USD
      interval: year
      join_url: mailto:hello@example.org?subject=Patron
    - name: Gift
      price: 20
      currency: EUR
      interval: once
      join_url: https://ko-fi.example/hub
  faq:
    - question: Can I stop paying?
      answer: "Yes, whenever you like.\\n\\nWrite to me and I will help."
"""

STORY = "---\ntitle: A story\ndate: 2026-01-01\n---\nA story.\n"


def tier(price: str, interval: str = "month", currency: str = "USD", fee: Fee | None = None,
         name: str = "T", featured: bool = False) -> Tier:
    return Tier(name=name, price=Decimal(price), currency=currency, interval=interval,  # type: ignore[arg-type]
                join_url="https://example.org/join", fee=fee, featured=featured)


def plan(amount: str, period: str, *tiers: Tier, currency: str = "USD", **extra) -> Membership:
    return Membership(goal=Goal(Decimal(amount), currency, period), tiers=tiers, **extra)  # type: ignore[arg-type]


# -- The arithmetic -------------------------------------------------------------------

def test_kevin_kellys_room_without_fees() -> None:
    reader = tier("5")
    assert plan("60000", "year", reader).needed(reader) == 1000


def test_a_fee_per_monthly_payment_is_taken_before_dividing() -> None:
    # 2.9% of 5.00 is 0.145; + 0.30 = 0.445, charged as 0.45: 4.55 a month, 54.60 a year.
    reader = tier("5", fee=Fee(Decimal("2.9"), Decimal("0.30")))
    assert reader.fee_amount == Decimal("0.45") and reader.net == Decimal("4.55")
    assert plan("60000", "year", reader).needed(reader) == 1099  # 1098.9... rounded up


def test_substacks_cut_turns_a_thousand_fans_into_1153_members() -> None:
    # 10% + 2.9% + 0.30 on 100 USD a year leaves 86.80.
    member = tier("100", "year", fee=Fee(Decimal("12.9"), Decimal("0.30")))
    assert member.net == Decimal("86.80")
    assert plan("100000", "year", member).needed(member) == 1153


def test_yearly_price_against_a_monthly_goal_is_exact() -> None:
    # 100 a year is 8.333... a month; 2,500 a month needs exactly 300 people, not 301.
    patron = tier("100", "year")
    assert plan("2500", "month", patron).needed(patron) == 300
    assert period_income(Decimal("100"), "year", "month", False) * 3 == 25


def test_rounding_is_always_up_to_whole_people() -> None:
    assert members_for(Decimal("1000"), period_income(Decimal("3"), "month", "month", False)) == 334
    assert members_for(Decimal("999"), period_income(Decimal("3"), "month", "month", False)) == 333


def test_one_off_payments_count_only_when_the_settings_say_so() -> None:
    gift = tier("50", "once")
    assert plan("1000", "month", gift).needed(gift) is None
    assert plan("1000", "month", gift, count_one_off=True).needed(gift) == 20


def test_currency_without_minor_unit() -> None:
    # 3.6% of 333 JPY is 11.988, charged as 12 yen: 321 yen a month.
    member = tier("333", currency="JPY", fee=Fee(Decimal("3.6")))
    assert member.fee_amount == Decimal("12") and member.net == Decimal("321")
    assert plan("1000000", "month", member, currency="JPY").needed(member) == 3116


def test_a_tier_in_another_currency_is_not_counted() -> None:
    euro = tier("5", currency="EUR")
    assert plan("1000", "month", euro).needed(euro) is None


def test_a_mix_of_tiers() -> None:
    reader = tier("5", fee=Fee(Decimal("2.9"), Decimal("0.30")), name="Reader")
    patron = tier("100", "year", name="Patron")
    hub = plan("60000", "year", reader, patron,
               mix=(Share(reader, Decimal(80)), Share(patron, Decimal(20))))
    # 0.8 x 54.60 + 0.2 x 100 = 63.68 a member a year; 60,000 / 63.68 = 942.2...
    assert hub.needed_for_mix == 943
    assert hub.headline == 943


def test_headline_prefers_the_featured_tier_and_names_a_scale() -> None:
    reader, patron = tier("5", name="Reader"), tier("100", "year", name="Patron", featured=True)
    hub = plan("60000", "year", reader, patron)
    assert hub.headline == 600
    assert [Membership.scale(n) for n in (40, 200, 1000, 3000, 20000)] == ["table", "hall", "room", "theatre", "arena"]


# -- Formatting -----------------------------------------------------------------------

@pytest.mark.parametrize("amount, currency, lang, expected", [
    ("5", "USD", "en", "$5"),
    ("4.5", "USD", "en", "$4.50"),
    ("60000", "USD", "en", "$60,000"),
    ("5", "EUR", "es", "5\u00a0€"),
    ("4.50", "EUR", "es", "4,50\u00a0€"),
    ("60000", "EUR", "es", "60.000\u00a0€"),
    ("500", "JPY", "en", "¥500"),
    ("5", "USD", "xx", "$5"),  # an unknown language falls back to English
])
def test_money_is_formatted_for_the_reader(amount: str, currency: str, lang: str, expected: str) -> None:
    assert format_price(Decimal(amount), currency, lang) == expected


def test_counts_are_formatted_for_the_reader() -> None:
    assert format_number(1099, "en") == "1,099"
    assert format_number(12000, "es") == "12.000"


# -- Validation -------------------------------------------------------------------------

def _problems(tmp_path: Path, membership: str) -> list[tuple[int | None, str, str]]:
    (tmp_path / "sitegen.yaml").write_text(BASE + membership, encoding="utf-8")
    with pytest.raises(BuildError) as info:
        load_config(tmp_path)
    return [(p.line, p.message, p.hint or "") for p in info.value.problems]


def _tiers(*lines: str) -> str:
    return ("membership:\n  goal: {amount: 1000, currency: USD, period: month}\n  tiers:\n"
            + "".join(lines))


GOOD = "    - {name: Reader, price: 5, currency: USD, interval: month, join_url: https://example.org/join}\n"
BASE_LINES = BASE.count("\n")


@pytest.mark.parametrize("tier_line, key, words", [
    ("    - {name: B, price: -5, currency: USD, interval: month, join_url: https://example.org/j}\n",
     "membership.tiers[1].price", "must be a positive number (got -5)"),
    ("    - {name: B, price: five, currency: USD, interval: month, join_url: https://example.org/j}\n",
     "membership.tiers[1].price", "must be a positive number (got 'five')"),
    ("    - {name: B, price: 0, currency: USD, interval: month, join_url: https://example.org/j}\n",
     "membership.tiers[1].price", "must be a positive number"),
    ("    - {name: B, price: 5, currency: XYZ, interval: month, join_url: https://example.org/j}\n",
     "membership.tiers[1].currency", "is not a known currency code (got 'XYZ')"),
    ("    - {name: B, price: 5, currency: USD, interval: month, join_url: http://example.org/j}\n",
     "membership.tiers[1].join_url", "must be an https:// or mailto: link"),
    ("    - {name: B, price: 5, currency: USD, interval: month, join_url: javascript:alert(1)}\n",
     "membership.tiers[1].join_url", "must be an https:// or mailto: link"),
    ("    - {price: 5, currency: USD, interval: month, join_url: https://example.org/j}\n",
     "membership.tiers[1].name", "is missing: every tier needs a name"),
    ("    - {name: B, price: 5, currency: USD, interval: weekly, join_url: https://example.org/j}\n",
     "membership.tiers[1].interval", "must be month, year or once"),
    ("    - {name: B, price: 500.5, currency: JPY, interval: month, join_url: https://example.org/j}\n",
     "membership.tiers[1].price", "JPY has no minor unit"),
    ("    - {name: B, price: 5, currency: USD, interval: month, join_url: https://example.org/j, colour: red}\n",
     "membership.tiers[1].colour", "is not a tier setting"),
    ("    - {name: B, price: 0.20, currency: USD, interval: month, join_url: https://example.org/j,"
     " provider_fee: {percent: 2.9, fixed: 0.30}}\n",
     "membership.tiers[1].provider_fee", "takes the whole price"),
    ("    - {name: Reader, price: 9, currency: USD, interval: year, join_url: https://example.org/j}\n",
     "membership.tiers[1].name", "repeats the tier name"),
])
def test_tier_mistakes_name_the_key_and_line(tmp_path: Path, tier_line: str, key: str, words: str) -> None:
    problems = _problems(tmp_path, _tiers(GOOD, tier_line))
    expected_line = BASE_LINES + 5  # the second tier's line
    assert any(line == expected_line and message.startswith(f"'{key}' ") and words in message and hint
               for line, message, hint in problems), problems


def test_a_goal_in_a_currency_no_tier_uses_says_which(tmp_path: Path) -> None:
    problems = _problems(tmp_path, "membership:\n  goal:\n    amount: 1000\n    currency: EUR\n    period: month\n"
                                   "  tiers:\n" + GOOD)
    [(line, message, hint)] = problems
    assert line == BASE_LINES + 4
    assert message == "'membership.goal.currency' is EUR, but no tier is priced in EUR (the tiers use USD)"
    assert "USD" in hint


@pytest.mark.parametrize("text, key, words", [
    ("membership:\n  tiers:\n" + GOOD, "membership", "needs a 'goal'"),
    ("membership:\n  goal: {amount: 1000, currency: USD, period: week}\n  tiers:\n" + GOOD,
     "membership.goal.period", "must be month or year"),
    ("membership:\n  goal: {amount: 1000, currency: USD, period: month}\n", "membership", "needs at least one tier"),
    ("membership:\n  goal: {amount: 1000, currency: USD, period: month}\n  members: 500\n  tiers:\n" + GOOD,
     "membership.members", "is not a membership setting"),
    ("membership:\n  goal: {amount: 1000, currency: USD, period: month}\n  cap: lots\n  tiers:\n" + GOOD,
     "membership.cap", "must be a whole number of members"),
    ("membership:\n  goal: {amount: 1000, currency: USD, period: month}\n  mix: {Reader: 60}\n  tiers:\n" + GOOD,
     "membership.mix", "must add up to 100 (it adds up to 60)"),
    ("membership:\n  goal: {amount: 1000, currency: USD, period: month}\n  mix: {Raeder: 100}\n  tiers:\n" + GOOD,
     "membership.mix.Raeder", "did you mean 'Reader'?"),
    ("membership:\n  goal: {amount: 1000, currency: USD, period: month}\n  invite: 3\n  tiers:\n" + GOOD,
     "membership.invite", "must be true, false, a sentence"),
    ("membership:\n  goal: {amount: 1000, currency: USD, period: month}\n  faq: [{question: Why?}]\n  tiers:\n" + GOOD,
     "membership.faq[0].answer", "is missing"),
])
def test_membership_mistakes_name_the_key(tmp_path: Path, text: str, key: str, words: str) -> None:
    problems = _problems(tmp_path, text)
    assert any(message.startswith(f"'{key}' ") and words in message and line for line, message, _ in problems), problems


def test_list_items_have_lines() -> None:
    _, lines = load_yaml("tiers:\n  - name: A\n    price: 5\n  - name: B\n", "x.yaml")
    assert lines["tiers[0]"] == 2 and lines["tiers[0].price"] == 3 and lines["tiers[1].name"] == 4


def test_a_membership_mistake_stops_the_build_and_keeps_the_output(make_site, cli) -> None:
    root = make_site({"content/stories/s.md": STORY}, config=BASE + MEMBERSHIP)
    assert cli("build", root).exit_code == 0
    before = tree_digest(root / "_site")
    (root / "sitegen.yaml").write_text(BASE + MEMBERSHIP.replace("price: 100", "price: -100"), encoding="utf-8")
    result = cli("build", root)
    assert result.exit_code == 1
    line = (BASE + MEMBERSHIP).splitlines().index("      price: 100") + 1
    assert f"sitegen.yaml:{line}: 'membership.tiers[1].price' must be a positive number (got -100)" in result.stderr
    assert "hint: " in result.stderr and "Traceback" not in result.output + result.stderr
    assert tree_digest(root / "_site") == before


# -- The built page ----------------------------------------------------------------------

def _build(make_site, config: str, files: dict[str, str] | None = None) -> Path:
    root = make_site({"content/stories/s.md": STORY,
                      "content/interviews/ana.md": INTERVIEW.format(title="Bread"), **(files or {})}, config=config)
    build(root)
    return root / "_site"


def test_membership_page_shows_tiers_arithmetic_cap_and_faq(make_site) -> None:
    out = _build(make_site, BASE + MEMBERSHIP, {
        "content/pages/membership.md": "---\ntitle: Join the room\n---\nWhy I ask you directly.\n"})
    doc = soup(out / "membership/index.html")
    assert doc.find("h1").get_text() == "Join the room"
    assert doc.select_one(".entry-body p").get_text() == "Why I ask you directly."
    cards = doc.select(".tier")
    assert [c.select_one(".tier-name").get_text() for c in cards] == ["Reader", "Patron", "Gift"]
    assert [c.select_one(".tier-price").get_text() for c in cards] == ["$5 / month", "$100 / year", "€20 once"]
    assert [a["href"] for a in doc.select(".tier-join")] == [
        "https://buy.stripe.com/test_reader", "mailto:hello@example.org?subject=Patron", "https://ko-fi.example/hub"]
    assert "tier-featured" in cards[0]["class"]
    assert [li.get_text() for li in cards[0].select(".tier-perks li")] == ["A monthly letter", "Every interview early"]
    rows = doc.select(".arithmetic-table tbody tr")
    assert [r.select_one(".needed").get_text(" ", strip=True) for r in rows] == [
        "1,099", "600", "not counted: priced in EUR"]
    assert "$4.55" in rows[0].get_text() and "2.9% + $0.30" in rows[0].get_text()
    assert doc.select_one(".arithmetic-goal").get_text() == "To keep going, this hub needs $60,000 a year."
    assert doc.select_one(".arithmetic-mix").get_text() == (
        "With the mix of tiers I expect (80% Reader, 20% Patron), the goal needs 943 members.")
    assert doc.select_one(".arithmetic-perspective").get_text() == "943 people: a small room, not a stadium."
    assert "capped at 1,200 members" in doc.select_one(".membership-cap").get_text()
    assert [h.get_text() for h in doc.select(".membership-faq h3")] == ["Can I stop paying?"]
    assert len(doc.select(".membership-faq p")) == 2


def test_the_page_states_no_number_of_members_but_the_arithmetics_and_the_cap(make_site) -> None:
    out = _build(make_site, BASE + MEMBERSHIP)
    doc = soup(out / "membership/index.html")
    assert not doc.find(["progress", "meter"])
    text = doc.find("main").get_text(" ").replace("\u00a0", " ")
    for amount, currency in (("5", "USD"), ("4.55", "USD"), ("0.30", "USD"), ("100", "USD"), ("20", "EUR"),
                             ("60000", "USD")):
        text = text.replace(format_price(Decimal(amount), currency, "en").replace("\u00a0", " "), " ")
    text = text.replace("2.9%", " ").replace("80%", " ").replace("20%", " ")
    numbers = set(re.findall(r"\d[\d,.]*\d|\d", text))
    assert numbers == {"1,099", "600", "943", "1,200"}
    stated = {int(tag["data-members-needed"]) for tag in doc.select("[data-members-needed]")}
    assert stated == {1099, 600, 943}


def test_spanish_site_formats_prices_in_spanish(make_site) -> None:
    config = BASE.replace("title: Hub", "title: Hub\nlanguage: es") + MEMBERSHIP.replace(
        "price: 5\n      currency: USD", "price: 5\n      currency: EUR").replace(
        "price: 100\n      currency: USD", "price: 100\n      currency: EUR").replace(
        "currency: USD, period: year", "currency: EUR, period: year")
    out = _build(make_site, config)
    doc = soup(out / "membership/index.html")
    assert doc.find("h1").get_text() == "Membresía"  # no membership.md: the page is made
    prices = [p.get_text().replace("\u00a0", " ") for p in doc.select(".tier-price")]
    assert prices == ["5 € al mes", "100 € al año", "20 € una sola vez"]
    assert doc.select_one(".arithmetic-goal").get_text().replace("\u00a0", " ") == (
        "Para seguir adelante, este espacio necesita 60.000 € al año.")
    assert doc.select_one(".arithmetic-perspective").get_text() == "943 personas: una sala pequeña, no un estadio."
    assert "2,9 %" in doc.select_one(".arithmetic-table").get_text().replace("\u00a0", " ")


def test_json_ld_offers_match_the_settings(make_site) -> None:
    out = _build(make_site, BASE + MEMBERSHIP)
    doc = soup(out / "membership/index.html")
    [script] = doc.find_all("script", type="application/ld+json")
    data = json.loads(script.string)
    assert data["@context"] == "https://schema.org" and data["url"] == "https://u.github.io/repo/membership/"
    offers = [(o["@type"], o["name"], Decimal(o["price"]), o["priceCurrency"], o["url"]) for o in data["offers"]]
    assert offers == [
        ("Offer", "Reader", Decimal("5"), "USD", "https://buy.stripe.com/test_reader"),
        ("Offer", "Patron", Decimal("100"), "USD", "mailto:hello@example.org?subject=Patron"),
        ("Offer", "Gift", Decimal("20"), "EUR", "https://ko-fi.example/hub"),
    ]
    assert data["offers"][0]["priceSpecification"]["billingDuration"] == "P1M"
    assert "priceSpecification" not in data["offers"][2]


def test_json_ld_cannot_be_closed_by_a_tier_name(make_site) -> None:
    out = _build(make_site, BASE + MEMBERSHIP.replace("name: Patron", 'name: "</script><b>x"').replace(
        "mix: {Reader: 80, Patron: 20}", "mix: {Reader: 100}"))
    doc = soup(out / "membership/index.html")
    [script] = doc.find_all("script", type="application/ld+json")
    assert json.loads(script.string)["offers"][1]["name"] == "</script><b>x"
    assert doc.find("b") is None


def test_entries_and_home_invite_quietly(make_site) -> None:
    out = _build(make_site, BASE + MEMBERSHIP)
    for page in ("interviews/ana/index.html", "stories/s/index.html"):
        invite = soup(out / page).select_one(".membership-invite")
        assert invite.a["href"] == "/repo/membership/"
        assert "small group of readers" in invite.get_text()
    home = soup(out / "index.html")
    assert home.select_one(".invite-join a")["href"] == "/repo/membership/"
    assert "/repo/membership/" in [a["href"] for a in home.select(".site-nav a")]
    check_internal_links(out, "/repo/")
    check_sitemap_lists_every_page(out, "https://u.github.io/repo/")
    assert "https://u.github.io/repo/membership/" in (out / "sitemap.xml").read_text()


def test_the_invitation_text_can_change_per_language_or_be_turned_off(make_site, tmp_path: Path) -> None:
    spanish = "---\ntitle: Una historia\ndate: 2026-01-02\nlang: es\n---\nHola.\n"
    config = BASE + MEMBERSHIP.replace("  cap: 1200\n", "  cap: 1200\n  invite: {en: Readers pay for this., es: Lo pagan sus lectores.}\n")
    out = _build(make_site, config, {"content/stories/es.md": spanish})
    assert soup(out / "stories/s/index.html").select_one(".membership-invite p").get_text().startswith("Readers pay for this. ")
    es = soup(out / "stories/es/index.html").select_one(".membership-invite")
    assert es.get_text(" ", strip=True) == "Lo pagan sus lectores. Cómo funciona la membresía"
    assert soup(out / "index.html").select_one(".invite-join p").get_text() == "Readers pay for this."

    off = BASE + MEMBERSHIP.replace("  cap: 1200\n", "  cap: 1200\n  invite: false\n")
    root = make_site({"content/stories/s.md": STORY}, config=off, name="off")
    build(root)
    assert soup(root / "_site/stories/s/index.html").select_one(".membership-invite") is None
    assert soup(root / "_site/index.html").select_one(".invite-join") is None
    assert (root / "_site/membership/index.html").exists()  # the page itself stays


def test_no_membership_settings_no_page_and_no_links(make_site) -> None:
    out = _build(make_site, BASE)
    assert not (out / "membership").exists()
    for page in out.rglob("*.html"):
        doc = soup(page)
        assert not [a for a in doc.find_all("a") if "membership" in a.get("href", "")], page
        assert doc.select_one(".membership-invite, .invite-join") is None
        assert not doc.find_all("script", type="application/ld+json")
    assert "membership" not in (out / "sitemap.xml").read_text()


def test_a_membership_page_without_settings_is_a_plain_page_with_a_warning(make_site) -> None:
    root = make_site({"content/pages/membership.md": "---\ntitle: Support\n---\nSoon.\n"}, config=BASE)
    report = build(root)
    doc = soup(root / "_site/membership/index.html")
    assert doc.select_one(".tiers") is None and doc.select_one(".entry-body p").get_text() == "Soon."
    [warning] = [w for w in report.warnings if w.path == "content/pages/membership.md"]
    assert "membership:" in warning.message and warning.hint


def test_a_theme_can_show_tiers_on_another_page(make_site) -> None:
    out = _build(make_site, BASE + MEMBERSHIP, {
        "content/pages/about.md": "---\ntitle: About\n---\nHi\n",
        "templates/page.html": "{% extends 'theme/page.html' %}{% block content %}{{ super() }}"
                               "{% if membership %}{% include 'partials/membership_tiers.html' %}{% endif %}{% endblock %}",
    })
    about = soup(out / "about/index.html")
    assert [n.get_text() for n in about.select(".tier-name")] == ["Reader", "Patron", "Gift"]


@given(goal=st.decimals(min_value=1, max_value=10**7, places=2),
       price=st.decimals(min_value=Decimal("0.5"), max_value=10**4, places=2),
       interval=st.sampled_from(["month", "year"]), period=st.sampled_from(["month", "year"]),
       percent=st.decimals(min_value=0, max_value=20, places=1))
def test_members_needed_is_the_smallest_whole_number_that_reaches_the_goal(goal, price, interval, period, percent) -> None:
    member = tier(str(price), interval, fee=Fee(percent, Decimal("0.30")))
    if member.net <= 0:
        return
    n = plan(str(goal), period, member).needed(member)
    per_period = period_income(member.net, interval, period, False)
    assert n is not None and n * per_period >= goal and (n - 1) * per_period < goal


def test_a_figure_over_the_cap_is_marked(make_site) -> None:
    out = _build(make_site, BASE + MEMBERSHIP.replace("cap: 1200", "cap: 1000"))
    rows = soup(out / "membership/index.html").select(".arithmetic-table tbody tr")
    assert rows[0].select_one(".needed").get_text(" ", strip=True) == "1,099 (more than the cap)"
    assert rows[1].select_one(".needed").get_text(" ", strip=True) == "600"


def test_a_bilingual_hub_links_each_language_to_its_membership_page(make_site) -> None:
    config = BASE + "language: en\nlanguages: [en, es]\n" + MEMBERSHIP
    files = {
        "content/stories/s.md": STORY,
        "content/stories/h-es.md": "---\ntitle: Una historia\ndate: 2026-01-02\nlang: es\n---\nHola.\n",
        "content/pages/membership.md": "---\ntitle: Membership\ntranslation_key: join\n---\nWhy.\n",
        "content/pages/membresia.md": "---\ntitle: Membresía\nlang: es\ntranslation_key: join\n---\nPor qué.\n",
    }
    root = make_site(files, config=config)
    build(root)
    out = root / "_site"
    spanish = soup(out / "es/membresia/index.html")
    assert [p.get_text().replace("\u00a0", " ") for p in spanish.select(".tier-price")][0] == "5 US$ al mes"
    assert soup(out / "es/stories/h/index.html").select_one(".membership-invite a")["href"] == "/repo/es/membresia/"
    assert soup(out / "es/index.html").select_one(".invite-join a")["href"] == "/repo/es/membresia/"
    assert soup(out / "stories/s/index.html").select_one(".membership-invite a")["href"] == "/repo/membership/"
    assert soup(out / "membership/index.html").select_one(".tier-price").get_text() == "$5 / month"


def test_a_bilingual_hub_without_membership_md_gets_one_page_for_both(make_site) -> None:
    config = BASE + "language: en\nlanguages: [en, es]\n" + MEMBERSHIP
    files = {"content/stories/h-es.md": "---\ntitle: Una historia\ndate: 2026-01-02\nlang: es\n---\nHola.\n"}
    out = _build(make_site, config, files)
    assert soup(out / "membership/index.html").find("h1").get_text() == "Membership"
    es_home = soup(out / "es/index.html")
    assert es_home.select_one(".invite-join a")["href"] == "/repo/membership/"
    assert "/repo/membership/" in [a["href"] for a in es_home.select(".site-nav a")]
    check_internal_links(out, "/repo/")
