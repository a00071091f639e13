"""Serves the web app that `make web` builds from web/ into modelyard/static/.

The app is the router's fallback: it answers only what no API route matched, so API paths keep their JSON
404 and 405 answers. A GET or HEAD outside the API's prefixes gets the built file at that path if there is
one, else index.html, which routes in the browser (/models/openai/gpt-4o is a page, not a file). Files under
/assets/ carry a content hash in their names and are cached for a year; index.html is revalidated on every
load, so a new build reaches browsers at once. Text files are gzipped here, once per file version and kept in
memory: compression stays off every other response (the relay's event streams above all).
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

STATIC_DIR = Path(__file__).parent / "static"
# Paths that belong to the API (and operations) even when nothing there matched: never the web app.
RESERVED_PREFIXES = (
    "/v1",
    "/api",
    "/docs",
    "/redoc",
    "/openapi.json",
    "/health",
    "/healthz",
    "/readyz",
    "/metrics",
)
ASSETS_PREFIX = "/assets/"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
OTHER_FILES = "public, max-age=3600"
_COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml", "application/xml")
_MIN_GZIP_BYTES = 1024
_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}

NOT_BUILT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Modelyard</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem">
<h1>Modelyard</h1>
<p>The web app is not built, so there is nothing to show here. The API works:
<a href="/docs">/docs</a> lists it, and <code>/v1</code> serves OpenAI-compatible clients.</p>
<p>To build the web app (Node.js 20.19 or newer), run <code>make web</code> in the source tree
(or <code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code>), then reload this page.
<code>make run</code> builds it when npm is installed.</p>
</body></html>
"""


def is_reserved(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in RESERVED_PREFIXES)


@dataclass(frozen=True, slots=True)
class _File:
    version: tuple[int, int]  # (mtime_ns, size): a rebuilt file is read again
    body: bytes
    gzipped: bytes | None
    media_type: str
    etag: str


class WebApp:
    """The router's fallback (an ASGI app): the built files, else `fallback` (the API's JSON 404)."""

    def __init__(self, fallback: ASGIApp, root: Path = STATIC_DIR) -> None:
        self.fallback = fallback
        self.root = root.resolve()
        self._files: dict[Path, _File] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD") or is_reserved(path):
            await self.fallback(scope, receive, send)
            return
        response = self.respond(Request(scope, receive), path)
        if response is None:
            await self.fallback(scope, receive, send)
            return
        await response(scope, receive, send)

    def respond(self, request: Request, path: str) -> Response | None:
        index = self.root / "index.html"
        target = self._existing_file(path)
        if target is None:
            if path.startswith(ASSETS_PREFIX) or path == ASSETS_PREFIX.rstrip("/"):
                return None  # a missing script must not get the HTML page in its place
            if not index.is_file():
                return HTMLResponse(
                    NOT_BUILT_PAGE, headers={"Cache-Control": REVALIDATE, **_SECURITY_HEADERS}
                )
            target = index
        if target == index:
            cache = REVALIDATE
        elif path.startswith(ASSETS_PREFIX):
            cache = IMMUTABLE
        else:
            cache = OTHER_FILES
        return self._file_response(request, target, cache)

    def _existing_file(self, path: str) -> Path | None:
        relative = path.lstrip("/")
        if not relative or "\x00" in relative:
            return None
        candidate = (self.root / relative).resolve()
        # `..` and symlinks must not lead out of the build.
        if not candidate.is_relative_to(self.root) or not candidate.is_file():
            return None
        return candidate

    def _load(self, path: Path) -> _File:
        stat = path.stat()
        version = (stat.st_mtime_ns, stat.st_size)
        cached = self._files.get(path)
        if cached is not None and cached.version == version:
            return cached
        body = path.read_bytes()
        media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if media_type.startswith("text/") or media_type == "application/javascript":
            media_type += "; charset=utf-8"
        gzipped = None
        if len(body) >= _MIN_GZIP_BYTES and media_type.startswith(_COMPRESSIBLE):
            gzipped = gzip.compress(body, compresslevel=9, mtime=0)
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        loaded = _File(version, body, gzipped, media_type, etag)
        self._files[path] = loaded
        return loaded

    def _file_response(self, request: Request, path: Path, cache: str) -> Response:
        file = self._load(path)
        headers = {"Cache-Control": cache, "ETag": file.etag, **_SECURITY_HEADERS}
        if file.gzipped is not None:
            headers["Vary"] = "Accept-Encoding"
        if file.etag in _etags(request.headers.get("if-none-match", "")):
            return Response(status_code=304, headers=headers)
        body = file.body
        if file.gzipped is not None and _accepts_gzip(request.headers.get("accept-encoding", "")):
            body = file.gzipped
            headers["Content-Encoding"] = "gzip"
        return Response(body, media_type=file.media_type, headers=headers)


def _etags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


def _accepts_gzip(header: str) -> bool:
    for part in header.split(","):
        name, _, params = part.strip().partition(";")
        if name.strip().lower() in ("gzip", "*"):
            quality = params.strip().removeprefix("q=").strip()
            return quality not in ("0", "0.0", "0.00", "0.000")
    return False


def install_web(app: FastAPI, root: Path = STATIC_DIR) -> None:
    """Makes the web app the answer to what no route matched (before the API's JSON 404)."""
    app.router.default = WebApp(app.router.default, root)
