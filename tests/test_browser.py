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

    app = create_app({mode: load_model(mode=mode) for mode in ("draft", "facts")})
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
        page.click("button[type=submit]")
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
        page.click("button[type=submit]")
    alert = page.locator("[role=alert]")
    assert "not a PDF file" in alert.inner_text()
    assert page.locator("input[name=file]").count() == 1  # the form is back, to try again
    page.close()
