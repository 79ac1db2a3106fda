"""Headless Chromium for the report tests (Debian's ``chromium`` driven by Playwright, network off).

Also a script: ``python -m tests.reporting.browser REPORT_HTML OUT_PNG [HEIGHT]`` writes a
screenshot (the README's docs/report.png is made this way).
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

REQUIRE = "RFLOW_REQUIRE_BROWSER"
CANDIDATES = ("chromium", "chromium-browser", "/usr/lib/chromium/chromium", "google-chrome")


def chromium_path() -> str | None:
    explicit = os.environ.get("RFLOW_CHROMIUM")
    if explicit:
        return explicit
    for name in CANDIDATES:
        found = shutil.which(name) or (name if os.path.isabs(name) and os.access(name, os.X_OK) else None)
        if found:
            return found
    return None


def need_browser() -> str:
    """The Chromium executable; skip loudly without one, or fail where CI requires it."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing = "the Python package playwright is not installed (pip install playwright)"
    else:
        exe = chromium_path()
        if exe:
            return exe
        missing = "no Chromium executable found (apt-get install chromium, or set RFLOW_CHROMIUM)"
    message = f"BROWSER TEST NOT RUN: {missing}; report.html was not rendered in a real browser"
    if os.environ.get(REQUIRE) == "1":
        pytest.fail(f"{REQUIRE}=1 but {message}")
    pytest.skip(message)


@contextmanager
def offline_page(exe: str, width: int = 1280, height: int = 900) -> Iterator[tuple[Any, list[str]]]:
    """A page with the network off: every request other than file:// is aborted and recorded."""
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, headless=True, args=["--no-sandbox"])
        try:
            context = browser.new_context(offline=True, viewport={"width": width, "height": height},
                                          java_script_enabled=True)
            page = context.new_page()
            page.on("request", lambda r: requests.append(r.url))

            def route(r: Any) -> None:
                if r.request.url.startswith("file://"):
                    r.continue_()
                else:
                    r.abort()

            page.route("**/*", route)
            yield page, requests
        finally:
            browser.close()


def screenshot(html: Path, out: Path, height: int | None = None) -> Path:
    exe = chromium_path()
    if exe is None:
        raise SystemExit("no Chromium executable found")
    with offline_page(exe) as (page, _):
        page.goto(html.resolve().as_uri())
        if height:
            page.screenshot(path=str(out), clip={"x": 0, "y": 0, "width": 1280, "height": height}, full_page=True)
        else:
            page.screenshot(path=str(out), full_page=True)
    return out


if __name__ == "__main__":
    print(screenshot(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else None))
