"""Playwright driving Debian's headless Chromium against the live test server.

Skips with a reason when Playwright or Chromium is missing, except under CI=true, where that is
a failure. Screenshots land in test-artifacts/ (git-ignored)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support import IN_CI, LiveServer

CHROMIUM = os.environ.get("HYBRIDCX_CHROMIUM", "/usr/bin/chromium")
#: How long an `expect(...)` waits for the page (Playwright's default is 5 s). Some steps cross
#: several requests and live events (a macro that replies, runs a backend action and refreshes
#: the script panel), which on the busy 2-core CI machine can take longer than 5 s. A real
#: failure still fails, 15 s later.
EXPECT_TIMEOUT_MS = 15_000
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _expect_timeout() -> None:
    try:
        from playwright.sync_api import expect
    except ImportError:  # no Playwright: the browser fixture skips (or fails in CI) with why
        return
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)


_expect_timeout()


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: browser tests must run)")
    pytest.skip(reason)


@pytest.fixture
def browser(server: LiveServer) -> Iterator[Any]:
    """One Chromium per test. Not shared across tests on purpose: the sync API keeps an event
    loop running in this thread, and the PostgreSQL server fixture's setup (asyncio.run) must
    not find one; asking for ``server`` first also orders its setup before Playwright starts."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed: pip install -e '.[test]'")
    if not Path(CHROMIUM).exists():
        _unavailable(f"no Chromium at {CHROMIUM}: apt-get install chromium")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Tab:
    """A page plus what it did that a test must see: uncaught errors and dialogs."""

    page: Any
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def open_tab(browser: Any, server: LiveServer) -> Iterator[Callable[..., Tab]]:
    """Opens a page in a fresh browser context (its own sessionStorage), like a new person."""
    contexts: list[Any] = []
    tabs: list[Tab] = []

    def make(path: str = "", *, width: int = 1280, height: int = 860) -> Tab:
        context = browser.new_context(
            viewport={"width": width, "height": height}, base_url=server.url
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        tab = Tab(context.new_page())
        tab.page.on("pageerror", lambda exc: tab.errors.append(str(exc)))
        tab.page.on("dialog", lambda d: (tab.dialogs.append(d.message), d.dismiss()))
        tabs.append(tab)
        if path:
            tab.page.goto(path)
        return tab

    yield make
    for context in contexts:
        context.close()
    for tab in tabs:
        assert tab.errors == [], f"uncaught errors in the page: {tab.errors}"
