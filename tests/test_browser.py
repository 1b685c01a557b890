"""End to end in a real browser: Debian's headless chromium (never `playwright install`) drives `imr serve`'s app."""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import free_port

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def server_url():
    """The app served by uvicorn in a background thread on a free localhost port."""
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing: in CI the browser test must run")
        pytest.skip(f"{CHROMIUM} is not installed")
    import uvicorn

    from nlp_pipeline.predict.outcome import load_model
    from nlp_pipeline.app.server import create_app

    yield from _served(create_app({mode: load_model(mode=mode) for mode in ("draft", "facts")}))


def _served(app):
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def token_server_url(server_url):
    """The app with an access token, served the same way."""
    from nlp_pipeline.predict.outcome import load_model
    from nlp_pipeline.app.server import create_app

    yield from _served(create_app({"draft": load_model(mode="draft")}, token="s3cret-token"))


@pytest.fixture(scope="module")
def browser(server_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _words(text: str) -> str:
    return " ".join(text.split())


def test_upload_review_and_broken_file(browser, server_url, example_draft, tmp_path):
    from nlp_pipeline.letter.parse import load_letter

    page = browser.new_page()
    page.goto(server_url + "/")
    page.set_input_files("input[name=file]", str(example_draft))
    page.select_option("select[name=mode]", "both")
    with page.expect_navigation():
        page.click("form[enctype] button[type=submit]")
    body = _words(page.inner_text("body"))
    for item in load_letter(example_draft).items:
        assert _words(item.title) in body
    assert page.locator("mark").count() > 0
    assert page.locator("mark.toward-overturned, mark.toward-upheld").count() > 0
    screenshot = tmp_path / "review.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 0

    page.goto(server_url + "/")
    page.set_input_files("input[name=file]", files=[
        {"name": "broken.pdf", "mimeType": "application/pdf", "buffer": b"not a pdf"}])
    with page.expect_navigation():
        page.click("form[enctype] button[type=submit]")
    alert = page.locator("[role=alert]")
    assert "not a PDF file" in alert.inner_text()
    assert page.locator("input[name=file]").count() == 1  # the form is back, to try again
    page.close()


# --- the pages explain themselves: the QA overview from disk, a letter page, the main page ----------------------

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots-out"  # git-ignored: look at them after a run
WIDTHS = (1280, 390)

# WCAG AA contrast of every element's own text against its effective background (the colours composed up the
# ancestors), run in the page: ratio >= 4.5, or 3 for large text (24px, or 18.66px bold). Returns the failures.
CONTRAST_JS = """
() => {
  function rgba(text) {
    var m = text.match(/rgba?\\(([^)]+)\\)/);
    if (!m) { return [0, 0, 0, 0]; }
    var p = m[1].split(',').map(parseFloat);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  }
  function over(top, bottom) {  // top composed over an opaque bottom
    var a = top[3];
    return [0, 1, 2].map(function (i) { return top[i] * a + bottom[i] * (1 - a); }).concat([1]);
  }
  function background(el) {
    var layers = [];
    for (var e = el; e && e.nodeType === 1; e = e.parentElement) {
      var c = rgba(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) { layers.push(c); }
      if (c[3] >= 1) { break; }
    }
    var colour = [255, 255, 255, 1];
    for (var i = layers.length - 1; i >= 0; i--) { colour = over(layers[i], colour); }
    return colour;
  }
  function luminance(c) {
    var v = c.slice(0, 3).map(function (x) { x /= 255; return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); });
    return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
  }
  var failures = [], checked = 0;
  document.querySelectorAll('body *').forEach(function (el) {
    var own = Array.prototype.some.call(el.childNodes, function (n) { return n.nodeType === 3 && n.textContent.trim(); });
    if (!own || !el.getClientRects().length) { return; }
    var style = getComputedStyle(el);
    if (style.visibility === 'hidden') { return; }
    var bg = background(el), fg = over(rgba(style.color), bg);
    var l1 = luminance(fg), l2 = luminance(bg);
    var ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    var size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight, 10) >= 700;
    var needed = (size >= 24 || (bold && size >= 18.66)) ? 3 : 4.5;
    checked += 1;
    if (ratio < needed) {
      failures.push(el.tagName + '.' + el.className + ' "' + el.textContent.trim().slice(0, 40) + '" ' + ratio.toFixed(2));
    }
  });
  return {checked: checked, failures: failures};
}
"""


@pytest.fixture(scope="module")
def batch_pages(tmp_path_factory, example_draft):
    """``imr predict --format html --what-if`` over the example draft, the same letter finished with a
    contradiction, and a broken file: the pages and their index."""
    from nlp_pipeline.app.cli import main

    folder = tmp_path_factory.mktemp("batch")
    letters = folder / "letters"
    letters.mkdir()
    (letters / "draft_letter.txt").write_bytes(example_draft.read_bytes())
    finished = example_draft.read_text(encoding="utf-8").replace("[decision pending]", "Upheld")
    (letters / "finished.txt").write_text(finished, encoding="utf-8")
    (letters / "broken.pdf").write_bytes(b"not a pdf")
    assert main(["predict", str(letters), "--format", "html", "--what-if", "--html-dir", str(folder / "pages"),
                 "-q"]) == 1  # one letter failed
    return folder / "pages"


def _shoot(page, name: str, width: int) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}-{width}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 0
    return path


def _check_page(page, name: str, width: int) -> None:
    """The legend present, no horizontal scroll at the narrow width, contrast AA, and a screenshot."""
    assert page.locator("details.legend dl dt").count() >= 4
    assert page.locator("details.legend").first.get_attribute("open") is not None
    if width < 500:
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), \
            f"{name} scrolls sideways at {width}px"
    contrast = page.evaluate(CONTRAST_JS)
    assert contrast["checked"] > 20 and contrast["failures"] == [], contrast["failures"][:10]
    _shoot(page, name, width)


def _visible_rows(page) -> list[str]:
    return page.eval_on_selector_all("#items tbody tr:not([hidden])", "rows => rows.map(r => r.innerText)")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_overview_from_disk_sorts_filters_and_explains_itself(browser, batch_pages, width):
    page = browser.new_page(viewport={"width": width, "height": 900})
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto((batch_pages / "index.html").as_uri())
    assert all(url.startswith("file://") for url in requests), requests  # nothing from the network
    counts = " ".join(page.inner_text("ul.counts").split())
    assert "2 letters" not in counts and "3 letters" in counts and "6 items" in counts
    assert "1 contradiction" in counts and "1 letter that could not be read" in counts
    assert "not a PDF file" in page.inner_text("ul.failures")
    rows = _visible_rows(page)
    assert len(rows) == 7 and "CONTRADICTION" in rows[0]  # contradictions first
    assert page.locator("#shown").inner_text() == "7 of 7 rows shown"

    page.click("#items thead th:nth-child(5) button")  # P(Overturned), ascending
    values = [float(v) for v in page.eval_on_selector_all(
        "#items tbody tr:not([data-failed]) td:nth-child(5)", "cells => cells.map(c => c.dataset.sort)")]
    assert values == sorted(values)
    assert page.get_attribute("#items thead th:nth-child(5)", "aria-sort") == "ascending"
    page.click("#items thead th:nth-child(5) button")  # descending
    values = [float(v) for v in page.eval_on_selector_all(
        "#items tbody tr:not([data-failed]) td:nth-child(5)", "cells => cells.map(c => c.dataset.sort)")]
    assert values == sorted(values, reverse=True)
    page.click("#default-order")
    assert "CONTRADICTION" in _visible_rows(page)[0]

    page.check("#only-contradictions")
    assert len(_visible_rows(page)) == 1 and page.locator("#shown").inner_text() == "1 of 7 rows shown"
    page.uncheck("#only-contradictions")
    page.check("#only-questions")
    assert len(_visible_rows(page)) == 2 and all("QUESTION" in row for row in _visible_rows(page))
    page.uncheck("#only-questions")
    page.fill("#filter-text", "MRI of the lumbar")
    assert len(_visible_rows(page)) == 2
    page.fill("#filter-text", "")
    assert len(_visible_rows(page)) == 7

    # the keyboard reaches the sort buttons and shows where it is
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    outline = page.evaluate("() => { const s = getComputedStyle(document.activeElement); "
                            "return [document.activeElement.tagName, s.outlineStyle, parseFloat(s.outlineWidth)]; }")
    assert outline[0] in ("A", "BUTTON", "INPUT", "SUMMARY") and outline[1] != "none" and outline[2] >= 2, outline
    _check_page(page, "index", width)

    # a row's item link opens its item on its letter's page
    href = page.get_attribute("#items tbody tr:first-child td:nth-child(2) a", "href")
    assert href == "finished.txt.html#item-3"
    page.click("#items tbody tr:first-child td:nth-child(2) a")
    assert page.url.endswith("finished.txt.html#item-3")
    assert page.locator("#item-3 .badge").inner_text() == "Overturned"
    page.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_a_letter_page_shows_badge_bar_summary_paragraphs_and_edits(browser, batch_pages, width):
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto((batch_pages / "finished.txt.html").as_uri())
    assert page.locator("section.item .badge").count() == 3
    assert page.locator("section.item .pbar .usual").count() == 3  # the usual rate marked on every bar
    assert "the denial is reversed" in page.inner_text("#item-3 .outcome")
    assert "Case summary" in page.inner_text("section.summary h2")
    assert page.locator("section.item .text p").count() > 3  # paragraphs, not PDF lines
    assert page.locator("section.item .text br").count() == 0
    assert page.locator("section.item .text .what-if-label").count() > 0  # what-if edits marked
    both = page.locator("mark.toward-upheld .what-if, mark.toward-overturned .what-if")
    assert both.count() > 0  # an edit inside evidence: both shown
    _check_page(page, "letter", width)
    page.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_main_page_says_what_it_does_and_runs_the_example(browser, server_url, width):
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(server_url + "/")
    intro = page.inner_text("section.intro")
    assert "Upheld" in intro and "Overturned" in intro and "medically necessary" in intro
    assert page.locator("input[type=file][multiple]").count() == 1
    if width < 500:
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    contrast = page.evaluate(CONTRAST_JS)
    assert contrast["failures"] == [], contrast["failures"][:10]
    _shoot(page, "main", width)
    with page.expect_navigation():
        page.click("#try-example")
    assert page.locator("section.item .badge").count() == 3
    assert page.locator(".what-if-label").count() > 0
    _check_page(page, "example", width)
    page.close()


def test_several_files_give_the_overview(browser, server_url, example_draft):
    page = browser.new_page()
    page.goto(server_url + "/")
    finished = example_draft.read_text(encoding="utf-8").replace("[decision pending]", "Upheld").encode()
    page.set_input_files("input[name=file]", files=[
        {"name": "draft_letter.txt", "mimeType": "text/plain", "buffer": example_draft.read_bytes()},
        {"name": "finished.txt", "mimeType": "text/plain", "buffer": finished},
        {"name": "broken.pdf", "mimeType": "application/pdf", "buffer": b"not a pdf"}])
    with page.expect_navigation():
        page.click("form[enctype] button[type=submit]")
    assert "CONTRADICTION" in _visible_rows(page)[0]
    assert len(_visible_rows(page)) == 7
    page.click("#items tbody tr:first-child td:nth-child(2) a")
    assert page.evaluate("location.hash").startswith("#l2-draft-item-3")
    _check_page(page, "server-overview", 1280)
    page.close()


def test_the_contrast_check_catches_low_contrast(browser):
    page = browser.new_page()
    page.set_content('<p style="color:#999;background:#fff">grey on white</p>'
                     '<div style="background:#1f6fb2"><span style="color:#fff">white on blue</span></div>'
                     '<p style="color:#777;font-size:30px">large grey</p>' + "<p>plain text</p>" * 20)
    failures = page.evaluate(CONTRAST_JS)["failures"]
    assert len(failures) == 1 and "grey on white" in failures[0]
    page.close()


def test_log_in_with_the_token_use_the_page_and_log_out(browser, token_server_url, example_draft):
    """A shared server's page: the login form, a wrong token refused, the right one kept as an HttpOnly cookie
    (the browser sends it, and its Origin, with the upload form), then logged out."""
    context = browser.new_context()
    page = context.new_page()
    answer = page.goto(token_server_url + "/")
    assert answer.status == 401 and page.locator("input[type=password][name=token]").count() == 1
    page.fill("input[name=token]", "not-it")
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert "not the access token" in page.inner_text("body")
    page.fill("input[name=token]", "s3cret-token")
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.locator("input[name=file]").count() == 1  # the review page
    cookie = next(c for c in context.cookies() if c["name"] == "imr_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and "s3cret" not in cookie["value"]
    assert page.evaluate("document.cookie") == ""  # out of the page's scripts' reach
    page.set_input_files("input[name=file]", str(example_draft))
    with page.expect_navigation():
        page.click("form[enctype] button[type=submit]")
    assert "Physical therapy" in page.inner_text("body")
    with page.expect_navigation():
        page.click("text=Log out")
    assert page.locator("input[type=password][name=token]").count() == 1
    assert not [c for c in context.cookies() if c["name"] == "imr_session"]
    context.close()
