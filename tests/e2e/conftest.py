"""Browser tests: the session app served by a real HTTP server in a thread, driven by Debian's
headless Chromium through Playwright (one browser per run, a fresh context per test).

Playwright's own browser download cannot work here (no internet), so the browser is the system
`chromium` (`make browser`); the tests are skipped when it is missing.
"""

from __future__ import annotations

import os
import shutil
import threading
import traceback
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("KOPDES_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 10_000


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "screenshots: saves PNGs of the pages; runs only with KOPDES_SCREENSHOTS=1"
    )


class LiveServer:
    """The app on 127.0.0.1 at a free port; unhandled exceptions in requests are kept, to fail the test."""

    def __init__(self, app: Flask) -> None:
        self.errors: list[str] = []
        self._server = make_server("127.0.0.1", 0, self._recording(app), threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="live-server", daemon=True)

    def _recording(self, app: Flask) -> Any:
        def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
            try:
                return app(environ, start_response)
            except Exception:
                self.errors.append(
                    f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}\n{traceback.format_exc()}"
                )
                raise

        return wsgi

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture(scope="session")
def live_server(_app: Flask) -> Iterator[LiveServer]:
    server = LiveServer(_app)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM} (run `make browser`)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser: Any, live_server: LiveServer, app: Flask) -> Iterator[Any]:
    """Open a page in a fresh browser context (own cookies); `new_page(java_script_enabled=False)`.

    Every page fails its test on a console error (a CSP violation shows up there), on a missing
    stylesheet, script, icon or API call, and on any unhandled server exception during the test.
    """
    contexts: list[Any] = []
    problems: list[str] = []
    errors_before = len(live_server.errors)

    def open_page(**options: Any) -> Any:
        options.setdefault("viewport", {"width": 1280, "height": 800})
        options.setdefault("locale", "id-ID")
        context = browser.new_context(base_url=live_server.url, **options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda msg: _console(msg, problems))
        page.on("response", lambda response: _subresource(response, problems))
        page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
        return page

    yield open_page
    for context in contexts:
        context.close()
    server_errors = live_server.errors[errors_before:]
    assert not server_errors, "server errors:\n" + "\n".join(server_errors)
    assert not problems, f"browser console errors: {problems}"


def _console(msg: Any, problems: list[str]) -> None:
    # failed loads are reported with their address by `_subresource`; a page's own status is the test's
    if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
        problems.append(msg.text)


def _subresource(response: Any, problems: list[str]) -> None:
    if response.status >= 400 and response.request.resource_type != "document":
        problems.append(f"{response.status} {response.request.method} {response.url}")


@pytest.fixture
def page(new_page: Any) -> Any:
    return new_page()
