"""The plumbing every fake upstream shares: an aiohttp server on 127.0.0.1 in a background thread with its
own event loop, request recording, and the connection tricks (hang, drop) that failure tests need.

A fake subclasses FakeServer, registers its routes in `_add_routes` and says how an unknown route is
answered in `_not_found` (each provider has its own error shape)."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final, Self

from aiohttp import web
from aiohttp.typedefs import Handler

STOP_GRACE_S: Final = 5.0
# How often a `hang` handler looks for a vanished client: aiohttp (>= 3.9) no longer cancels
# handlers on disconnect by default, so the handler has to notice by itself.
HANG_POLL_S: Final = 0.02


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lowercase keys; repeated headers joined with ", "
    body: Any  # parsed JSON, or None when the body is empty or not JSON
    query: dict[str, str] | None = None


async def drop_connection(request: web.Request) -> web.Response:
    """Kill the TCP connection so the client sees a truncated exchange instead of an HTTP answer."""
    transport = request.transport
    if transport is not None:
        # abort() discards unsent data; let already written chunks reach the socket first so the
        # client really receives "half a stream" rather than nothing.
        deadline = time.monotonic() + 1.0
        while transport.get_write_buffer_size() and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
        transport.abort()
    # aiohttp still wants a response object; writing it to the dead transport raises a
    # ConnectionError that aiohttp treats as a premature client disconnect and swallows.
    return web.Response(status=499)


class FakeServer:
    """An HTTP server on 127.0.0.1 running in a background thread.

    `requests` records every request in arrival order, before it is answered, so even
    `hang` and `drop-mid-stream` requests show up.
    """

    # The path prefix `base_url` ends with, as the provider documents its base URL.
    base_path = ""

    def __init__(self, api_key: str | None = "sk-upstream-test") -> None:
        self.api_key = api_key
        self.requests: list[RecordedRequest] = []
        self._requests_lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        # Only touched on the server loop's thread.
        self._handler_tasks: set[asyncio.Task[Any]] = set()
        self._stopping = False

    # ---------------------------------------------------------------- lifecycle

    @property
    def base_url(self) -> str:
        if self._port is None:
            raise RuntimeError(f"{type(self).__name__} is not running; call start() first")
        return f"http://127.0.0.1:{self._port}{self.base_path}"

    @property
    def running(self) -> bool:
        return self._port is not None

    def start(self, port: int | None = None) -> None:
        """Starts on a free port, or on `port` (a restart where the gateway expects it)."""
        if self._thread is not None:
            raise RuntimeError(f"{type(self).__name__} is already running")
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=self._run_loop, args=(loop,), name=type(self).__name__, daemon=True)
        thread.start()
        self._loop, self._thread = loop, thread
        try:
            self._port = asyncio.run_coroutine_threadsafe(self._start_server(port), loop).result(timeout=10)
        except BaseException:
            self._stop_loop()
            raise

    def stop(self) -> None:
        loop = self._loop
        if loop is None:
            return
        try:
            if self._runner is not None:
                future = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
                future.result(timeout=STOP_GRACE_S * 3)
        finally:
            self._stop_loop()

    def reset(self) -> None:
        with self._requests_lock:
            # Clear in place so references a test already holds stay live.
            self.requests.clear()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @staticmethod
    def _run_loop(loop: asyncio.AbstractEventLoop) -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def _stop_loop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join(timeout=STOP_GRACE_S)
        self._loop = self._thread = None
        self._runner = None
        self._port = None

    async def _start_server(self, port: int | None = None) -> int:
        self._stopping = False
        app = web.Application(middlewares=[self._middleware], client_max_size=64 * 1024 * 1024)
        self._add_routes(app)
        # The short shutdown_timeout is only a backstop: _shutdown cancels live handlers itself.
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        # Binding port 0 ourselves and handing over the socket avoids a pick-then-bind race.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            if port is not None:
                # The old connections may linger in TIME_WAIT; rebinding the same port must still work.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", port or 0))
            site = web.SockSite(runner, sock)
            await site.start()
        except BaseException:
            sock.close()
            await runner.cleanup()
            raise
        self._runner = runner
        bound: int = sock.getsockname()[1]
        return bound

    async def _shutdown(self) -> None:
        self._stopping = True
        # Graceful shutdown would wait for `hang` handlers forever (well, shutdown_timeout), so
        # cancel in-flight handlers first; their connections get closed by aiohttp.
        tasks = [t for t in self._handler_tasks if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=STOP_GRACE_S)
        if self._runner is not None:
            await self._runner.cleanup()

    # ---------------------------------------------------------------- plumbing

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        task = asyncio.current_task()
        if task is not None:
            self._handler_tasks.add(task)
        try:
            raw = await request.read()
            try:
                body: Any = json.loads(raw) if raw else None
            except ValueError:
                body = None
            headers: dict[str, str] = {}
            for key, value in request.headers.items():
                lower = key.lower()
                headers[lower] = f"{headers[lower]}, {value}" if lower in headers else value
            with self._requests_lock:
                self.requests.append(
                    RecordedRequest(request.method, request.path, headers, body, dict(request.query))
                )
            try:
                return await handler(request)
            except web.HTTPException as exc:
                if exc.status in (404, 405):
                    # Providers answer unknown routes with their JSON error shape, not HTML/plain text.
                    return self._not_found(request)
                raise
        finally:
            if task is not None:
                self._handler_tasks.discard(task)

    async def _hang(self, request: web.Request) -> web.Response:
        while not self._stopping:
            transport = request.transport
            if transport is None or transport.is_closing():
                break
            await asyncio.sleep(HANG_POLL_S)
        return await drop_connection(request)

    # ---------------------------------------------------------------- for subclasses

    def _add_routes(self, app: web.Application) -> None:
        raise NotImplementedError

    def _not_found(self, request: web.Request) -> web.Response:
        return web.json_response({"error": f"no route {request.method} {request.path}"}, status=404)
