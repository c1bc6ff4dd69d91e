"""The default theme in a real browser: loads cleanly, accessible (axe, WCAG 2.2 A/AA),
responsive at phone and desktop widths, usable by keyboard, printable; light and dark.

The example hub is built once for http://127.0.0.1:PORT/repo/ and served under /repo/
as GitHub Pages serves a project site; one headless Chromium serves every test.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator
from urllib.parse import urlsplit

import pytest

from harness import (ARTIFACTS, AXE, CHROMIUM, CHROMIUM_ARGS, ServedSite, key_pages, needs_chromium,
                     serve_example_site)

pytestmark = needs_chromium

KEY_PAGES = ["home", "interviews", "interview", "video-interview", "spanish-interview", "story", "tag",
             "person", "questions", "question", "contact", "membership", "404"]
SCHEMES = ["light", "dark"]
VIEWPORTS = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 800}}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

# Everything a reader can click, tap or type into. Not: controls taken out of the tab order
# and hidden from assistive technology on purpose (a contact form's spam trap, for instance).
TARGETS = ", ".join(f"{kind}:not([tabindex='-1']):not([aria-hidden='true'] *)" for kind in (
    "a[href]", "button", "input:not([type=hidden])", "select", "textarea", "summary", "[tabindex]"))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedSite]:
    yield from serve_example_site(tmp_path_factory.mktemp("browser"))


@pytest.fixture(scope="module")
def pages(site: ServedSite) -> dict[str, str]:
    return key_pages(site)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def contexts(browser: Any, site: ServedSite) -> Iterator[dict[tuple[str, str], Any]]:
    """One page per (viewport, colour scheme), reused by the tests. Requests that would
    leave 127.0.0.1 are blocked (and the load test reports them)."""
    made: dict[tuple[str, str], Any] = {}
    opened = []
    for viewport_name, viewport in VIEWPORTS.items():
        for scheme in SCHEMES:
            context = browser.new_context(viewport=viewport, color_scheme=scheme, reduced_motion="reduce",
                                          java_script_enabled=True)
            context.route("**/*", lambda route: route.continue_()
                          if urlsplit(route.request.url).hostname == "127.0.0.1" else route.abort())
            opened.append(context)
            made[(viewport_name, scheme)] = context.new_page()
    yield made
    for context in opened:
        context.close()


def _page_url(site: ServedSite, pages: dict[str, str], name: str) -> str:
    if name not in pages:
        pytest.skip(f"the example hub has no {name} page")
    return site.url(pages[name])


@contextmanager
def _watched(page: Any, expected_404: str | None = None) -> Iterator[list[str]]:
    """Collect what goes wrong while loading pages: console errors and warnings, script
    errors, failed requests, HTTP errors, and any request to a host other than 127.0.0.1."""
    problems: list[str] = []
    handlers = {
        "console": lambda msg: problems.append(f"console {msg.type}: {msg.text}")
        if msg.type in ("error", "warning") and msg.location.get("url") != expected_404 else None,
        "pageerror": lambda exc: problems.append(f"script error: {exc}"),
        "requestfailed": lambda req: problems.append(f"failed request: {req.url} ({req.failure})"),
        "request": lambda req: problems.append(f"request to another host: {req.url}")
        if urlsplit(req.url).hostname != "127.0.0.1" else None,
        "response": lambda res: problems.append(f"HTTP {res.status}: {res.url}")
        if res.status >= 400 and res.url != expected_404 else None,
    }
    for event, handler in handlers.items():
        page.on(event, handler)
    try:
        yield problems
    finally:
        for event, handler in handlers.items():
            page.remove_listener(event, handler)


def test_every_page_loads_cleanly(site: ServedSite, contexts) -> None:
    page = contexts[("desktop", "light")]
    paths = site.page_paths()
    assert len(paths) > 20
    with _watched(page) as problems:
        for rel in paths:
            before = len(problems)
            # networkidle: the favicon and late requests finish before the next page starts.
            page.goto(site.url(rel), wait_until="networkidle")
            problems[before:] = [f"{rel}: {p}" for p in problems[before:]]
    assert problems == []


def test_a_missing_address_shows_the_styled_404_page(site: ServedSite, contexts) -> None:
    """GitHub Pages answers any missing address, however deep, with 404.html: its links
    and stylesheet must work from there too."""
    page = contexts[("phone", "dark")]
    missing = site.url("no/such/page/")
    with _watched(page, expected_404=missing) as problems:
        response = page.goto(missing, wait_until="networkidle")
    assert response is not None and response.status == 404
    assert problems == []
    assert page.evaluate("getComputedStyle(document.body).display") == "flex"  # the theme's CSS applied
    assert page.locator("main a.button").get_attribute("href") == "/repo/"


def _axe(page: Any, site: ServedSite) -> list[dict[str, Any]]:
    page.add_script_tag(url=site.axe_url)
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
                           AXE_TAGS)
    return result["violations"]


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed: run npm install in tests/browser/")
@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("name", KEY_PAGES)
def test_axe_finds_no_wcag_violation(site: ServedSite, pages, contexts, name: str, scheme: str) -> None:
    for viewport in VIEWPORTS:
        page = contexts[(viewport, scheme)]
        page.goto(_page_url(site, pages, name), wait_until="load")
        violations = _axe(page, site)
        report = [f"{v['id']} ({v['impact']}): {v['help']}: " + "; ".join(n["target"][0] + " " + n["failureSummary"]
                                                                            for n in v["nodes"][:5])
                  for v in violations]
        assert report == [], f"{viewport}: " + "\n".join(report)


_LAYOUT_PROBE = """targets => {
  const visible = el => {
    const s = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    return s.visibility !== 'hidden' && s.display !== 'none' && r.width > 0 && r.height > 0;
  };
  const small = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const el = node.parentElement;
    if (!node.textContent.trim() || !el || !visible(el)) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < 16) small.push(`${el.tagName.toLowerCase()}.${el.className} "${node.textContent.trim().slice(0, 30)}" ${size}px`);
  }
  const tiny = [];
  for (const el of document.querySelectorAll(targets)) {
    if (!visible(el) || el.closest('.skip-link')) continue;
    const r = el.getBoundingClientRect();
    if (r.width < 24 || r.height < 24) tiny.push(`${el.tagName.toLowerCase()} "${(el.textContent || el.name || '').trim().slice(0, 30)}" ${Math.round(r.width)}x${Math.round(r.height)}`);
  }
  const root = document.documentElement;
  return {scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, small: [...new Set(small)], tiny: [...new Set(tiny)]};
}"""


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("name", KEY_PAGES)
def test_layout_fits_reads_and_taps(site: ServedSite, pages, contexts, name: str, viewport: str) -> None:
    page = contexts[(viewport, "light")]
    page.goto(_page_url(site, pages, name), wait_until="load")
    probe = page.evaluate(_LAYOUT_PROBE, TARGETS)
    assert probe["scrollWidth"] <= probe["clientWidth"], "the page scrolls sideways"
    assert probe["small"] == [], "text smaller than 16 px"
    assert probe["tiny"] == [], "tap targets smaller than 24x24 px"


_FOCUS_PROBE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const s = getComputedStyle(el);
  const ring = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || (s.boxShadow && s.boxShadow !== 'none');
  return {key: el.tagName.toLowerCase() + '|' + (el.getAttribute('href') || el.name || el.id) + '|' + el.textContent.trim().slice(0, 40),
          ring, visible: el.getBoundingClientRect().width > 0, skip: el.classList.contains('skip-link')};
}"""

_TARGET_KEYS = """targets => [...document.querySelectorAll(targets)]
  .filter(el => { const s = getComputedStyle(el); return s.display !== 'none' && s.visibility !== 'hidden'; })
  .map(el => el.tagName.toLowerCase() + '|' + (el.getAttribute('href') || el.name || el.id) + '|' + el.textContent.trim().slice(0, 40))"""


@pytest.mark.parametrize(("name", "scheme"), [("home", "light"), ("home", "dark"), ("interview", "light"),
                                             ("video-interview", "dark"), ("contact", "light"),
                                             ("contact", "dark"), ("membership", "light"), ("person", "dark")])
def test_keyboard_reaches_everything_with_a_visible_ring(site: ServedSite, pages, contexts, name: str,
                                                         scheme: str) -> None:
    page = contexts[("phone", scheme)]
    page.bring_to_front()  # keyboard focus follows the front page
    page.goto(_page_url(site, pages, name), wait_until="load")
    stops = page.evaluate(_TARGET_KEYS, TARGETS)
    expected = set(stops)
    page.keyboard.press("Tab")
    first = page.evaluate(_FOCUS_PROBE)
    assert first and first["skip"], f"the first Tab stop is {first}, not the skip link"
    assert first["visible"] and first["ring"]
    reached: set[str] = set()
    without_ring: list[str] = []
    for _ in range(len(stops) + 5):
        page.keyboard.press("Tab")
        focused = page.evaluate(_FOCUS_PROBE)
        if focused is None:
            break  # past the last stop: focus went back to the browser
        reached.add(focused["key"])
        if not (focused["ring"] and focused["visible"]):
            without_ring.append(focused["key"])
    assert without_ring == []
    assert expected - reached - {first["key"]} == set()


def test_skip_link_moves_focus_to_the_content(site: ServedSite, pages, contexts) -> None:
    page = contexts[("desktop", "dark")]
    page.bring_to_front()  # keyboard focus follows the front page
    page.goto(_page_url(site, pages, "interview"), wait_until="load")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'main'")
    assert urlsplit(page.url).fragment == "main"
    page.keyboard.press("Tab")
    inside = page.evaluate("document.getElementById('main').contains(document.activeElement)")
    assert inside, "after the skip link, Tab should go to the first link in the content"


def test_an_interview_prints_without_navigation_or_reply(site: ServedSite, pages, browser) -> None:
    context = browser.new_context(viewport=VIEWPORTS["desktop"])
    try:
        page = context.new_page()
        page.goto(_page_url(site, pages, "interview"), wait_until="load")
        page.emulate_media(media="print")
        hidden = page.evaluate("""() => ['.site-header', '.site-nav', '.site-footer', '.reply', '.skip-link']
            .map(sel => [sel, [...document.querySelectorAll(sel)].every(el => el.getClientRects().length === 0)])""")
        assert all(gone for _, gone in hidden), hidden
        assert page.locator("h1").is_visible()
        shown = page.evaluate("""() => [...document.querySelectorAll('.entry-body a[href]')]
            .filter(a => !a.getAttribute('href').startsWith('#'))
            .map(a => [a.href, a.getAttribute('href'), getComputedStyle(a, '::after').content])""")
        assert shown, "the interview used for printing should link somewhere"
        for absolute, written, after in shown:
            assert absolute in after or written in after, f"{written}: printed without its URL ({after})"
        pdf = page.pdf(format="A4")
        assert pdf.startswith(b"%PDF")
    finally:
        context.close()


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_screenshots_for_people_to_look_at(site: ServedSite, pages, contexts, viewport: str, scheme: str) -> None:
    """Saved into tests/_artifacts/ (ignored by git); they assert only that the pages render."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = contexts[(viewport, scheme)]
    for name in ("home", "interview", "membership", "contact"):
        page.goto(_page_url(site, pages, name), wait_until="load")
        target = ARTIFACTS / f"{name}-{viewport}-{scheme}.png"
        page.screenshot(path=str(target), full_page=True)
        assert target.stat().st_size > 1000
        # The theme's own colours apply (not the browser's defaults) in both schemes.
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background not in ("rgba(0, 0, 0, 0)", "rgb(255, 255, 255)")


def test_readme_screenshots(site: ServedSite, pages, browser) -> None:
    """Phone-sized, first-screen shots for the README: tests/_artifacts/readme-*.png.
    docs/home.png and docs/interview.png are copies of them, refreshed by hand."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for name, scheme in (("home", "light"), ("interview", "dark")):
        context = browser.new_context(viewport={"width": 390, "height": 760}, color_scheme=scheme)
        try:
            page = context.new_page()
            page.goto(_page_url(site, pages, name), wait_until="load")
            target = ARTIFACTS / f"readme-{name}.png"
            page.screenshot(path=str(target), full_page=False)
            assert 1000 < target.stat().st_size < 150 * 1024
        finally:
            context.close()
