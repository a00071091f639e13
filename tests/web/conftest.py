"""What the web app's tests share: a real `modelyard serve` with the built web app, data seeded into it
(catalogue models served by a fake upstream, users, relayed traffic), a headless Chromium, and screenshots.

Page tests of other pages reuse these:

    def test_models_page(site: Site, page: Page, shoot_all: ShootAll) -> None:
        site.serve_models([catalog_model("acme/fast-1", prompt="0.000001")])
        site.traffic("acme/fast-1", requests=3)
        page.goto("/models")
        ...
        shoot_all("/models", "models", ready="h1")

The browser tests need the built app (src/modelyard/static/, `make web`) and /usr/bin/chromium (`apt-get
install chromium`). Without them they skip with the reason on a developer's machine, and fail in CI.
"""

from __future__ import annotations

import json
import os
import secrets
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    ViewportSize,
    expect,
    sync_playwright,
)

from modelyard.web import STATIC_DIR
from tests.conftest import Cli, CliResult, Env, Server, query, wait_until
from tests.fakes.openai_upstream import FakeOpenAIUpstream

T = TypeVar("T")
ColorScheme = Literal["light", "dark"]

ROOT = Path(__file__).resolve().parents[2]
WEB_DIR = ROOT / "web"
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
PASSWORD = "correct-horse-battery"
UPSTREAM_KEY = "sk-upstream-web"
VIEWPORTS: dict[str, ViewportSize] = {
    "desktop": {"width": 1280, "height": 800},
    "phone": {"width": 390, "height": 844},
}
IN_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")
# Generous: a loaded 2-core machine may take seconds to load a page's chunks; a passing check returns at once.
TIMEOUT_MS = 15_000
expect.set_options(timeout=TIMEOUT_MS)
# Quick to pick up what the tests seed through the CLI; lenient sign-in limits (every test is one IP).
SERVER_ENV = {
    "MODELYARD_AUTO_IMPORT_CATALOG": "false",
    "MODELYARD_CACHE_REFRESH_SECONDS": "0.2",
    "MODELYARD_HEALTH_PROBE_INTERVAL_SECONDS": "0",
    "MODELYARD_LOGIN_MAX_FAILURES_PER_IP": "1000",
}


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI must run the browser tests)")
    pytest.skip(reason)


def _newer_sources(than: float) -> list[str]:
    sources = [WEB_DIR / "index.html", WEB_DIR / "package-lock.json", *(WEB_DIR / "src").rglob("*")]
    return sorted(
        str(path.relative_to(WEB_DIR))
        for path in sources
        if path.is_file() and ".test." not in path.name and path.stat().st_mtime > than
    )


@pytest.fixture(scope="session")
def built_web() -> Path:
    """The built web app; skips (fails in CI) when there is none. A build older than web/src is tested all
    the same (`make test` always builds first), with a warning that names the newer files."""
    index = STATIC_DIR / "index.html"
    if not index.is_file():
        _unavailable("the web app is not built (no src/modelyard/static/index.html): run `make web`")
    newer = _newer_sources(index.stat().st_mtime)
    if newer:
        warnings.warn(
            f"testing a web build older than {', '.join(newer[:5])}{' ...' if len(newer) > 5 else ''}:"
            " run `make web` first",
            stacklevel=1,
        )
    return STATIC_DIR


# --- seeding


def off_loop(work: Callable[[], T]) -> T:
    """Runs `work` in a worker thread. The sync Playwright API keeps an event loop running in the test's
    thread, and the CLI and `query` start their own with asyncio.run, which refuses to nest."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()


class ThreadedCli(Cli):
    """`modelyard ...` in-process, callable while a browser is open."""

    def __call__(self, *args: str, expect: int | None = 0) -> CliResult:
        return off_loop(lambda: Cli.__call__(self, *args, expect=expect))


def catalog_model(
    slug: str,
    *,
    name: str | None = None,
    prompt: str = "0.000001",
    completion: str = "0.000002",
    context_length: int = 128_000,
    input_modalities: tuple[str, ...] = ("text",),
    output_modalities: tuple[str, ...] = ("text",),
    created: int = 1_767_225_600,
    **extra: Any,
) -> dict[str, Any]:
    """One model as OpenRouter's /api/v1/models lists it (prices: USD per token, decimal strings)."""
    author = slug.split("/", 1)[0]
    model: dict[str, Any] = {
        "id": slug,
        "canonical_slug": slug,
        "name": name or f"{author.title()}: {slug.split('/', 1)[-1]}",
        "created": created,
        "description": f"{slug}, seeded by the web tests.",
        "context_length": context_length,
        "architecture": {
            "modality": f"{'+'.join(input_modalities)}->{'+'.join(output_modalities)}",
            "input_modalities": list(input_modalities),
            "output_modalities": list(output_modalities),
            "tokenizer": "Other",
            "instruct_type": None,
        },
        "pricing": {"prompt": prompt, "completion": completion},
        "top_provider": {
            "context_length": context_length,
            "max_completion_tokens": 16_384,
            "is_moderated": False,
        },
        "per_request_limits": None,
        "supported_parameters": ["max_tokens", "temperature", "stream"],
    }
    model.update(extra)
    return model


@dataclass
class SiteUser:
    email: str
    password: str
    api_key: str
    user_id: int


@dataclass
class Site:
    """A running Modelyard with the web app, and ways to put data into it."""

    server: Server
    env: Env
    cli: Cli
    upstream: FakeOpenAIUpstream
    workdir: Path
    _traffic_user: SiteUser | None = None
    _channels: int = 0
    _served: set[str] = field(default_factory=set)

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def database_url(self) -> str:
        return self.env.database_url

    def sql(self, statement: str, **params: Any) -> list[tuple[Any, ...]]:
        return off_loop(lambda: query(self.database_url, statement, **params))

    def user(self, tag: str = "user", *, credits_usd: str | None = None, role: str = "user") -> SiteUser:
        """A new account (unique email) with a password and an API key."""
        email = f"{tag}-{secrets.token_hex(4)}@example.com"
        flags = {"user": [], "admin": ["--admin"], "root": ["--root"]}[role]
        self.cli("users", "create", email, "--password", PASSWORD, *flags)
        if credits_usd is not None:
            self.cli("credits", "grant", email, credits_usd)
        key = self.cli("keys", "create", email, "--name", "web-tests").stdout.strip().splitlines()[-1]
        ((user_id,),) = self.sql("SELECT id FROM users WHERE email = :e", e=email)
        return SiteUser(email, PASSWORD, key, int(user_id))

    def import_models(self, models: list[dict[str, Any]]) -> None:
        """Adds models to the catalogue (not yet served by any channel: /api/v1/models lists served ones)."""
        path = self.workdir / f"catalog-{secrets.token_hex(4)}.json"
        path.write_text(json.dumps({"data": models}))
        self.cli("catalog", "import", str(path))

    def serve_models(
        self, models: list[dict[str, Any]], *, behaviour: str = "chunks-5", provider: str | None = None
    ) -> None:
        """Imports the models and adds a channel on the fake upstream serving them; waits until the server
        lists them. `behaviour` picks the fake's answers (tests/fakes/openai_upstream.py: chunks-N,
        ttft-Nms, fail-NNN...)."""
        self.import_models(models)
        self._channels += 1
        mapping = ",".join(f"{m['id']}={m['id'].replace('/', '-')}-{behaviour}" for m in models)
        args = ["channels", "add", f"web-fake-{self._channels}", "--provider", "openai"]
        args += ["--base-url", self.upstream.base_url, "--api-key", UPSTREAM_KEY, "--no-probe"]
        args += ["--models", mapping]
        if provider is not None:
            args += ["--provider-slug", provider]
        self.cli(*args)
        for model in models:
            self.wait_for_model(model["id"])
            self._served.add(model["id"])

    def wait_for_model(self, slug: str, timeout: float = 10.0) -> None:
        wait_until(
            lambda: httpx.get(f"{self.url}/api/v1/models/{slug}", timeout=5).status_code == 200,
            timeout=timeout,
            what=f"the server to list {slug}",
        )

    def traffic(
        self,
        model: str,
        *,
        requests: int = 1,
        user: SiteUser | None = None,
        stream: bool = False,
        app: str | None = None,
    ) -> None:
        """Relays real chat requests (so records, rollups and the ledger are written as in production),
        and waits until every one is recorded."""
        if user is None:
            if self._traffic_user is None:
                self._traffic_user = self.user("traffic", credits_usd="100")
            user = self._traffic_user
        headers = {"Authorization": f"Bearer {user.api_key}"}
        if app is not None:
            headers["X-Title"] = app
        (before,) = self.sql("SELECT count(*) FROM request_logs")[0]
        for _ in range(requests):
            response = httpx.post(
                f"{self.url}/v1/chat/completions",
                json={"model": model, "stream": stream, "messages": [{"role": "user", "content": "hello"}]},
                headers=headers,
                timeout=30,
            )
            assert response.status_code == 200, response.text
        wait_until(
            lambda: self.sql("SELECT count(*) FROM request_logs")[0][0] >= before + requests,
            what=f"{requests} request records",
        )


@pytest.fixture(scope="session")
def web_upstream() -> Iterator[FakeOpenAIUpstream]:
    with FakeOpenAIUpstream(api_key=UPSTREAM_KEY) as fake:
        yield fake


class SiteFactory(Protocol):
    def __call__(self, **settings: str) -> Site: ...


@pytest.fixture(scope="session")
def site_factory(
    built_web: Path, web_upstream: FakeOpenAIUpstream, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SiteFactory]:
    """Servers with their own SQLite database; `settings` are extra MODELYARD_* variables, e.g.
    site_factory(MODELYARD_SIGNUP_MODE="invite"). One server per distinct set of settings."""
    started: dict[tuple[tuple[str, str], ...], Site] = {}

    def start(**settings: str) -> Site:
        key = tuple(sorted(settings.items()))
        if key in started:
            return started[key]
        workdir = tmp_path_factory.mktemp("web-site")
        env = Env(
            data_dir=workdir / "data",
            database_url=f"sqlite:///{workdir / 'modelyard.db'}",
            extra={**SERVER_ENV, **settings},
        )
        server = Server(env, workdir / "server.log")
        server.start()
        site = Site(server=server, env=env, cli=ThreadedCli(env), upstream=web_upstream, workdir=workdir)
        started[key] = site
        return site

    yield start
    for site in started.values():
        if site.server.process is not None and site.server.process.poll() is None:
            site.server.stop()


@pytest.fixture(scope="session")
def site(site_factory: SiteFactory) -> Site:
    """The shared server: open sign-up, no Google sign-in, an empty catalogue until a test seeds one."""
    return site_factory()


# --- the browser


class _SharedBrowser:
    """One Chromium for all the browser tests of a run, started by the first that needs it.

    Not a session-scoped fixture: while Playwright's sync API is open it marks an asyncio loop as running in
    this thread, and asyncio.run (the CLI, `query`) refuses to start under it. So the browser is closed as
    soon as the next test is not a web test (pytest_runtest_teardown below), and inside web tests the CLI and
    SQL go through `off_loop` (Site.cli, Site.sql)."""

    def __init__(self) -> None:
        self._manager: AbstractContextManager[Playwright] | None = None
        self._browser: Browser | None = None

    def get(self) -> Browser:
        if self._browser is None:
            if not CHROMIUM.exists():
                _unavailable(f"no browser at {CHROMIUM}: `apt-get install chromium`")
            self._manager = sync_playwright()
            driver = self._manager.__enter__()
            self._browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        return self._browser

    def close(self) -> None:
        browser, manager = self._browser, self._manager
        self._browser = self._manager = None
        try:
            if browser is not None:
                browser.close()
        finally:
            if manager is not None:
                manager.__exit__(None, None, None)


_SHARED_BROWSER = _SharedBrowser()
_WEB_TESTS = Path(__file__).parent


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    yield  # the test's own fixtures (its browser contexts) are torn down first
    if nextitem is None or _WEB_TESTS not in Path(nextitem.path).parents:
        _SHARED_BROWSER.close()


@pytest.fixture
def browser() -> Browser:
    """The shared headless Chromium (/usr/bin/chromium; Playwright never downloads one)."""
    return _SHARED_BROWSER.get()


class ContextFactory(Protocol):
    def __call__(
        self,
        *,
        viewport: str = "desktop",
        color_scheme: ColorScheme = "light",
        language: str | None = "en",
        locale: str = "en-US",
    ) -> BrowserContext: ...


@pytest.fixture
def new_context(browser: Browser, site: Site) -> Iterator[ContextFactory]:
    """Fresh browser profiles (no cookies, no storage) against `site`; closed after the test.
    `language` preselects the app's language as a visitor's earlier choice would (None: the browser's)."""
    contexts: list[BrowserContext] = []

    def make(
        *,
        viewport: str = "desktop",
        color_scheme: ColorScheme = "light",
        language: str | None = "en",
        locale: str = "en-US",
    ) -> BrowserContext:
        context = browser.new_context(
            base_url=site.url,
            viewport=VIEWPORTS[viewport],
            color_scheme=color_scheme,
            locale=locale,
            reduced_motion="reduce",
        )
        if language is not None:
            context.add_init_script(
                "if (!localStorage.getItem('modelyard-language'))"
                f" localStorage.setItem('modelyard-language', {json.dumps(language)});"
            )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context: ContextFactory) -> Page:
    """A desktop-sized page, light, in English, with nothing stored."""
    return new_context().new_page()


def assert_fits_the_width(page: Page) -> None:
    """Nothing on the page sticks out sideways (no horizontal scrolling), e.g. at a phone's 360 px."""
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page is {overflow} px wider than the window at {page.viewport_size}"


def sign_in(context: BrowserContext, user: SiteUser) -> None:
    """Signs the browser profile in as `user` through the API (its cookies land in the profile)."""
    response = context.request.post("/api/auth/login", data={"email": user.email, "password": user.password})
    assert response.ok, response.text()


# --- screenshots

# The manuals' pictures (docs/user-guide*.md, docs/operator-guide*.md) are some of these screenshots, kept
# as committed files in docs/images/ and regenerated by `make screenshots`, which sets WEB_DOCS_IMAGES=1. A
# normal run writes only the gitignored docs/screenshots/, so tests never change committed files. Each
# picture is named without "-desktop-light" (keys-desktop-light-en -> docs/images/keys-en.png) and shows
# "window" (the browser window: small files), "page" (the whole page) or the element a CSS selector picks.
# Every picture is taken in English and in Chinese, for the guide in each language.
DOCS_IMAGES_DIR = ROOT / "docs" / "images"
WRITE_DOCS_IMAGES = os.environ.get("WEB_DOCS_IMAGES", "").strip() == "1"
_USER_GUIDE_IMAGES = {
    "signup": "window",
    "models": "window",
    "model-detail": "window",
    "rankings": "window",
    "keys": "window",
    "keys-form": "window",
    "credits": "page",
    "activity": "page",
    "activity-detail": "window",
    "playground": "window",
    "settings": "#preferences",
}
_OPERATOR_GUIDE_IMAGES = {
    "admin-channels": "window",
    "admin-channel-azure": "window",
    "admin-models": "page",
    "admin-model-editor": "window",
    "admin-users": "window",
    "admin-codes": "window",
    "admin-settings": "page",
}
DOCS_IMAGES: dict[str, str] = {
    f"{name}-desktop-light-{language}": what
    for images in (_USER_GUIDE_IMAGES, _OPERATOR_GUIDE_IMAGES)
    for name, what in images.items()
    for language in ("en", "zh-CN")
}
# The rankings picture in Chinese is the growth view (the English one ranks by tokens).
DOCS_IMAGES["rankings-growth-desktop-light-zh-CN"] = DOCS_IMAGES.pop("rankings-desktop-light-zh-CN")


def docs_image_path(name: str) -> Path:
    return DOCS_IMAGES_DIR / f"{name.replace('-desktop-light-', '-')}.png"


_docs_images_written: set[str] = set()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """With WEB_DOCS_IMAGES=1, a run that did not take every manual's picture fails: a picture left over from
    an older app would sit in the manuals unnoticed."""
    missing = sorted(set(DOCS_IMAGES) - _docs_images_written)
    if WRITE_DOCS_IMAGES and missing and session.testscollected:
        session.config.get_terminal_writer().line(
            f"WEB_DOCS_IMAGES: not taken in this run: {', '.join(missing)}", red=True
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


Shoot = Callable[[Page, str], Path]


@pytest.fixture(scope="session")
def shoot() -> Shoot:
    """shoot(page, "signin-desktop-light-en") saves docs/screenshots/signin-desktop-light-en.png (the whole
    page, as it is now), and with WEB_DOCS_IMAGES=1 the manuals' picture of that name (DOCS_IMAGES)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def save(page: Page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        options: dict[str, Any] = {"animations": "disabled", "caret": "hide"}
        page.screenshot(path=str(path), full_page=True, **options)
        what = DOCS_IMAGES.get(name)
        if WRITE_DOCS_IMAGES and what is not None:
            DOCS_IMAGES_DIR.mkdir(parents=True, exist_ok=True)
            image = str(docs_image_path(name))
            if what in ("window", "page"):
                page.screenshot(path=image, full_page=what == "page", **options)
            else:
                page.locator(what).screenshot(path=image, **options)
            _docs_images_written.add(name)
        return path

    return save


def settle(page: Page) -> None:
    """Two animation frames: what a resize or a color-scheme change restyles is drawn."""
    page.evaluate("new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")


class ShootAll(Protocol):
    def __call__(
        self,
        path: str,
        name: str,
        *,
        ready: str = "h1",
        language: str = "en",
        user: SiteUser | None = None,
        prepare: Callable[[Page], None] | None = None,
    ) -> list[Path]: ...


@pytest.fixture
def shoot_all(new_context: ContextFactory, shoot: Shoot) -> ShootAll:
    """Screenshots of one page at desktop (1280) and phone (390) widths, light and dark:
    docs/screenshots/{name}-{desktop|phone}-{light|dark}-{language}.png. One page load: the width and the
    color scheme change in place (the app follows the system's scheme by default)."""

    def capture(
        path: str,
        name: str,
        *,
        ready: str = "h1",
        language: str = "en",
        user: SiteUser | None = None,
        prepare: Callable[[Page], None] | None = None,
    ) -> list[Path]:
        context = new_context(language=language)
        if user is not None:
            sign_in(context, user)
        page = context.new_page()
        page.goto(path)
        page.locator(ready).first.wait_for()
        page.wait_for_load_state("networkidle")
        if prepare is not None:
            prepare(page)
        saved = []
        for viewport, size in VIEWPORTS.items():
            page.set_viewport_size(size)
            schemes: tuple[ColorScheme, ...] = ("light", "dark")
            for scheme in schemes:
                page.emulate_media(color_scheme=scheme)
                settle(page)
                saved.append(shoot(page, f"{name}-{viewport}-{scheme}-{language}"))
        context.close()
        return saved

    return capture
