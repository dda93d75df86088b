"""Playwright (sync API) driving Debian's Chromium against pytest-django's live server.

The live server is a thread of this process, so the test sees what it does:
`mail.outbox` (locmem backend, set by tests/conftest.py) and the test database.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
# The machine's network is closed: without the background-networking flags Chromium
# keeps trying (and failing) to reach Google's hosts at every start.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE = {"width": 360, "height": 740}
FAILURE_SHOTS = Path(__file__).resolve().parents[2] / "test-results" / "browser"


@contextmanager
def chromium_session() -> Iterator[object]:
    """Debian's Chromium under Playwright, for as long as the `with` block runs."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop in this thread while it runs; Django then
    # refuses ORM calls from the thread (SynchronousOnlyOperation) although the test code is
    # synchronous. Allowed only while Playwright runs, so the rest of the suite keeps the guard.
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@pytest.fixture(scope="package")
def browser() -> Iterator[object]:
    with chromium_session() as chromium:
        yield chromium


@pytest.fixture
def new_page(browser, request):  # noqa: ANN001, ANN201
    """Open a page in a fresh context (own cookies); screenshots every page of a failed test."""
    contexts = []

    def open_page(**context_options: object):  # noqa: ANN202
        options = {"viewport": PHONE, "locale": "en-US", **context_options}
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for n, context in enumerate(contexts):
        if failed:
            FAILURE_SHOTS.mkdir(parents=True, exist_ok=True)
            name = re.sub(r"[^\w.-]+", "_", request.node.name)
            for m, page in enumerate(context.pages):
                shot = FAILURE_SHOTS / f"{name}-{n}-{m}.png"
                page.screenshot(path=str(shot), full_page=True)
                print(f"screenshot of the failed page {page.url}: {shot}")
        context.close()


@pytest.fixture
def page(new_page):  # noqa: ANN001, ANN201
    return new_page()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):  # noqa: ANN201
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
