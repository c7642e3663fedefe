"""A real server on the demo place and a real Chromium driven by Playwright, with axe-core on every page.

Most pages are checked against the demo built on SQLite; the team around the household's journeys run against
it and against the same demo built on PostgreSQL (`team_server`, `team_page`)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Response, sync_playwright
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.support.postgres import scratch_database
from wholeplace.core.db import transaction
from wholeplace.core.runtime import Runtime
from wholeplace.core.settings import Settings
from wholeplace.governance.models import AccessLogEntry

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wholeplace(*args: str) -> list[str]:
    return [sys.executable, "-c", "from wholeplace.cli import main; main()", *args]


@dataclass(frozen=True)
class Served:
    """The demo place served by `wholeplace serve`: where the browser finds it, and how a test or a command
    reaches the same place."""

    backend: str  # sqlite or postgresql
    base_url: str
    data_dir: Path
    env: Mapping[str, str]  # the server's environment, for commands run against the same place
    log_position_at_start: int  # the access log's last entry before the server began to serve

    @property
    def database_url(self) -> str | None:
        return self.env.get("WHOLEPLACE_DATABASE_URL")

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session on the place's own database, committed when the block ends without an error."""
        with _place_session(self.data_dir, self.database_url) as db:
            yield db

    def wholeplace(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a `wholeplace` command as a person would, in the server's environment."""
        return subprocess.run(
            _wholeplace(*args), env=dict(self.env), capture_output=True, text=True, check=False
        )


@pytest.fixture(scope="session")
def demo_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The data directory the browser tests' demo place lives in, for tests that prepare data in it."""
    return tmp_path_factory.mktemp("browser-demo")


@pytest.fixture(scope="session")
def sqlite_server(demo_data_dir: Path) -> Iterator[Served]:
    """`wholeplace demo` in a fresh data directory, then `wholeplace serve`, exactly as a person runs them."""
    with _demo_served("sqlite", demo_data_dir) as served:
        yield served


@pytest.fixture(scope="session")
def server(sqlite_server: Served) -> str:
    return sqlite_server.base_url


@pytest.fixture(scope="session")
def postgresql_server(tmp_path_factory: pytest.TempPathFactory, postgres_server_url: str) -> Iterator[Served]:
    """The same demo, built into a scratch PostgreSQL database and served from it."""
    with scratch_database(postgres_server_url) as database_url:
        data_dir = tmp_path_factory.mktemp("browser-demo-postgresql")
        with _demo_served("postgresql", data_dir, database_url=database_url) as served:
            yield served


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def team_server(request: pytest.FixtureRequest) -> Served:
    """Each backend's server in turn, each built once in the session."""
    served: Served = request.getfixturevalue(f"{request.param}_server")
    return served


@contextmanager
def _demo_served(backend: str, data_dir: Path, *, database_url: str | None = None) -> Iterator[Served]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WHOLEPLACE_")}
    env["WHOLEPLACE_DATA_DIR"] = str(data_dir)
    if database_url is not None:
        env["WHOLEPLACE_DATABASE_URL"] = database_url
    # The watcher links newly ingested batches and sends their alerts; a journey waits for one.
    env["WHOLEPLACE_WATCH_SECONDS"] = "2"
    built = subprocess.run(
        _wholeplace("demo", "--no-serve"), env=env, capture_output=True, text=True, check=False
    )
    assert built.returncode == 0, built.stderr
    with _place_session(data_dir, database_url) as db:
        position = db.scalar(select(func.max(AccessLogEntry.position))) or 0
    port = _free_port()
    log = (data_dir / "server.log").open("w")
    process = subprocess.Popen(_wholeplace("serve", "--port", str(port)), env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process)
        yield Served(backend, base, data_dir, env, position)
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@contextmanager
def _place_session(data_dir: Path, database_url: str | None) -> Iterator[Session]:
    runtime = Runtime.from_settings(Settings(data_dir=data_dir, database_url=database_url))
    try:
        with transaction(runtime.sessions) as db:
            yield db
    finally:
        runtime.engine.dispose()


def _wait_until_up(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server stopped with exit code {process.returncode}")
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError("the server did not start within 30 seconds")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            "Browser tests need Debian's Chromium at /usr/bin/chromium: apt-get install chromium",
            pytrace=False,
        )
    if not AXE.exists():
        pytest.fail("Browser tests need axe-core from npm: run `npm ci`", pytrace=False)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, server: str) -> Iterator[Page]:
    with _opened(browser, server) as opened:
        yield opened


@pytest.fixture
def team_page(browser: Browser, team_server: Served) -> Iterator[Page]:
    """A page on the team server, whose screenshots are named for its backend."""
    with _opened(browser, team_server.base_url, label=team_server.backend) as opened:
        yield opened


@contextmanager
def _opened(browser: Browser, base_url: str, *, label: str = "") -> Iterator[Page]:
    context = browser.new_context(base_url=base_url)
    opened = context.new_page()
    problems: list[str] = []
    opened.on("console", lambda message: _note_console(problems, message))
    opened.on("pageerror", lambda error: problems.append(str(error)))
    opened.on("response", lambda response: _note_failed_asset(problems, response))
    opened.console_problems = problems  # type: ignore[attr-defined]
    opened.screenshot_label = label  # type: ignore[attr-defined]
    try:
        yield opened
    finally:
        context.close()


def _note_console(problems: list[str], message: ConsoleMessage) -> None:
    # A page answered 401, 403 or 404 is logged as a failed load; failed assets are caught by status instead.
    if message.type == "error" and not message.text.startswith("Failed to load resource"):
        problems.append(message.text)


def _note_failed_asset(problems: list[str], response: Response) -> None:
    if response.request.resource_type != "document" and response.status >= 400:
        problems.append(f"{response.status} for {response.url}")


def check_page(page: Page, name: str) -> None:
    """Axe finds no WCAG 2.2 A/AA violation, the browser logs no error (a CSP block would), and a screenshot
    is kept when WHOLEPLACE_SCREENSHOTS names a folder."""
    page.evaluate(AXE.read_text(encoding="utf-8"))  # through the debugger, so the page's CSP still holds
    result: dict[str, Any] = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
    )
    violations = [f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)" for v in result["violations"]]
    assert violations == [], f"{name} ({page.url}) has accessibility violations"
    assert page.console_problems == [], f"{name} logged errors in the browser"  # type: ignore[attr-defined]
    assert page.locator("h1").count() == 1, f"{name} needs exactly one h1"
    folder = os.environ.get("WHOLEPLACE_SCREENSHOTS")
    if folder:
        label = getattr(page, "screenshot_label", "")
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}{'-' + label if label else ''}.png"), full_page=True)
