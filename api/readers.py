"""Read processes beside the writer: ``scrm serve --readers N``.

One Python process answers GraphQL on about one core (the GIL). With ``--readers N`` the
embedded database is served by N read-only processes that share the public port
(``SO_REUSEPORT``: the kernel spreads connections across them), beside the one writer
process, which listens on a private port and alone writes: ingest and analysis jobs
handed over by the CLI, and every mutation, which a reader forwards to it.

Consistency: a read-only handle reads the snapshot of its open. The writer bumps a
*write generation* (a small file beside the database) before it answers a mutation and
after every write job; a reader compares it on every request and opens its handle again
when it moved, forgetting its cached answers. So a client that wrote through any
process reads its write through any other on its next request.

The file also says what was written (:data:`api.auth.EVERYTHING`: ``care``, ``content``),
as a count of writes per kind: a reader that sees only ``care`` move keeps what reads
content alone (the dashboard's metrics), as the writer does (``StoreRunner.memoized``).
It counts the writes a client asked for (``asked``: a mutation, a handed-over job, a
sign-in) apart from the server's own background writes (stream batches, monitor rounds):
after a client's write a reader opens its handle again before it answers, so the client
reads what it wrote; after background writes alone it opens the new snapshot beside the
old one and swaps them when it is open (:class:`WriterFollower`), answering from the old
one meanwhile: opening waits out the writer's checkpoint, which took seconds while a
stream was written, and no request should wait for a write nobody asked to read.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson

from api.auth import EVERYTHING, ASGIApp, Message, Receive, Scope, Send, buffer_body
from api.guard import asks_mutation

__all__ = ["GenerationMiddleware", "ReaderMiddleware", "WriteGeneration", "WriterFollower",
           "bump_generation", "generation_file", "read_generation", "reader_socket",
           "run_reader"]


_HOP_HEADERS = {b"host", b"content-length", b"connection", b"keep-alive", b"transfer-encoding"}


def generation_file(db: Path) -> Path:
    """Where the writer publishes its write generation for ``db``."""
    return db.parent / (db.name + ".generation")


def read_generation(path: Path) -> dict[str, int] | None:
    """The counts the file holds (``n``: every bump; one per kind written; none yet when
    there is no file), or None when it holds none (unreadable, or an older server's bare
    number)."""
    try:
        found = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        return {"n": 0}
    except (OSError, orjson.JSONDecodeError):
        return None
    if not isinstance(found, dict) or not all(isinstance(v, int) for v in found.values()):
        return None
    return found


def bump_generation(path: Path, touched: frozenset[str] = EVERYTHING, *,
                    asked: bool = True) -> None:
    """Publish that something was written, and what (``touched``: an empty set for a
    write no cached answer reads, e.g. a session), atomically: readers never see half a
    file. ``asked``: a client asked for the write and will read it next (False for the
    server's own background writes)."""
    counts = read_generation(path) or {}
    counts["n"] = counts.get("n", 0) + 1
    if asked:
        counts["asked"] = counts.get("asked", 0) + 1
    for kind in touched:
        counts[kind] = counts.get(kind, 0) + 1
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    try:
        tmp.write_bytes(orjson.dumps(counts, option=orjson.OPT_SORT_KEYS))
        os.replace(tmp, path)
    except OSError:
        # a full disk: no room for the new counts, but a new time needs none, and
        # readers compare the file's identity (inode and time), not its text; one whose
        # counts did not move takes it as a write of everything
        tmp.unlink(missing_ok=True)
        try:
            os.utime(path)
        except OSError:
            path.touch()


class WriteGeneration:
    """Writer side: what was written since the last bump (every clear of the writer's read
    cache says what it touched), published with the next bump. Safe from any thread.

    A client's own mutation or job is published at once (:meth:`bump`): it reads what it
    wrote on its next request, whichever process answers. The server's own background
    writes (stream batches every 0.12 s or so, monitor rounds, events checks) are published at
    most once per ``interval`` seconds (:meth:`soon`): every publication makes each
    reader open its handle again and drop its caches, so a stream must not cause one per
    batch; the last write waiting goes out at most ``interval`` after the one before."""

    def __init__(self, path: Path, interval: float = 0.0) -> None:
        self.path = path
        self.interval = max(0.0, interval)
        self._pending: set[str] = set()
        self._lock = threading.Lock()
        self._last = float("-inf")  # monotonic time of the last publication
        self._timer: threading.Timer | None = None  # a background write waiting
        self.published = 0  # publications so far (tests, benchmarks)

    def touched(self, kinds: frozenset[str]) -> None:
        with self._lock:
            self._pending |= kinds

    def bump(self) -> None:
        """Publish a client's write at once (with any background write waiting)."""
        with self._lock:
            self._cancel()
            self._publish(asked=True)

    def soon(self) -> None:
        """Publish now if the last publication is ``interval`` old, else when it is."""
        with self._lock:
            if self._timer is not None:
                return  # already due: it carries this write too
            wait = self._last + self.interval - time.monotonic()
            if wait <= 0:
                self._publish()
                return
            self._timer = threading.Timer(wait, self._due)
            self._timer.daemon = True
            self._timer.start()

    def close(self) -> None:
        """Publish the background write waiting, if any (the server is stopping)."""
        with self._lock:
            if self._timer is not None:
                self._cancel()
                self._publish()

    def _due(self) -> None:
        with self._lock:
            if self._timer is None:  # published meanwhile
                return
            try:
                self._publish()
            except OSError:  # e.g. a full disk: the next write publishes it
                pass
            finally:
                # only once published: who sees no timer waiting sees its publication
                self._timer = None

    def _cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _publish(self, *, asked: bool = False) -> None:
        kinds, self._pending = frozenset(self._pending), set()
        bump_generation(self.path, kinds, asked=asked)
        self._last = time.monotonic()
        self.published += 1


def _moved(before: dict[str, int] | None, after: dict[str, int] | None) -> frozenset[str]:
    """What the writes between two readings of the file touched (everything when either
    reading has no counts, or the counts did not move: a bump that could not write)."""
    if before is None or after is None or after.get("n") == before.get("n"):
        return EVERYTHING
    return frozenset(k for k in EVERYTHING if after.get(k, 0) != before.get(k, 0))


def _token(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns


def _writes(scope: Scope) -> bool:
    """Requests only the writer may answer, besides GraphQL mutations: write jobs and the
    workspace's actions (form posts on a conversation)."""
    path: str = scope["path"]
    return path == "/jobs" or path.startswith("/jobs/") or _workspace_action(scope)


def _workspace_action(scope: Scope) -> bool:
    # signing in and out writes sessions
    return bool(scope["method"] == "POST" and (
        scope["path"].startswith(("/conversation/", "/users/", "/settings/"))
        or scope["path"] in ("/signin", "/signout")))


class GenerationMiddleware:
    """Writer side: bump the generation before a mutation's answer leaves (the write is
    committed by then), so no reader can be asked before it knows."""

    def __init__(self, app: ASGIApp, generation: WriteGeneration) -> None:
        self.app = app
        self.generation = generation

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or (
                scope["path"] != "/graphql" and not _workspace_action(scope)):
            await self.app(scope, receive, send)
            return
        body, replay = await buffer_body(receive)
        workspace = _workspace_action(scope)
        if not workspace and not asks_mutation(scope, body):
            await self.app(scope, replay, send)
            return
        # A mutation's answer is small: hold it, and bump only when something may have
        # been written (a refused or invalid mutation answers without data), so bogus
        # mutations cannot make every reader reopen the database.
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        try:
            await self.app(scope, replay, hold)
        finally:
            start = next((m for m in held if m["type"] == "http.response.start"), None)
            payload = b"".join(m.get("body", b"") for m in held
                               if m["type"] == "http.response.body")
            if start is not None and (workspace and start["status"] < 400
                                      or start["status"] == 200 and _wrote(payload)):
                self.generation.bump()
            for message in held:
                await send(message)


def _wrote(payload: bytes) -> bool:
    """Whether a mutation's answer says some of it ran (``data`` not null)."""
    try:
        answer = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return True  # cannot tell: tell the readers
    answers = answer if isinstance(answer, list) else [answer]
    return any(isinstance(a, dict) and a.get("data") for a in answers)


def _asked(before: dict[str, int] | None, after: dict[str, int] | None) -> bool:
    """Whether a client's write is among those between two readings (yes when either
    reading has no counts, or the counts did not move: a bump that could not write)."""
    return (before is None or after is None or after.get("n") == before.get("n")
            or after.get("asked", 0) != before.get("asked", 0))


class WriterFollower:
    """Reader side: ``await follower()`` opens the store again when the writer's
    generation moved since the last call (shared by every request and by the workspace's
    live-update streams, which have no request to trigger it); ``refresh`` is told what
    the writes since touched, and whether to open the new snapshot beside the old one
    (``background``: only the server's own writes moved it) or at once.

    After a client's write the call returns once the handle was opened again. After
    background writes alone it starts the refresh as a task and returns at once: the
    request is answered from the snapshot it has, and the next one after the swap
    from the new one (at most one such task at a time; a client's write arriving
    meanwhile waits for it and then opens again if it must)."""

    def __init__(self, path: Path,
                 refresh: Callable[[frozenset[str], bool], Awaitable[None]]) -> None:
        self.path = path
        self.refresh = refresh
        self._seen = _token(path)
        self._counts = read_generation(path)
        self._lock = asyncio.Lock()
        self._background: asyncio.Task[None] | None = None

    async def __call__(self) -> None:
        token = _token(self.path)
        if token == self._seen:
            return
        if self._background is not None and not self._background.done():
            if not _asked(self._counts, read_generation(self.path)):
                return  # background writes only, and their refresh is under way
        elif not _asked(self._counts, read_generation(self.path)):
            self._background = asyncio.get_running_loop().create_task(self._follow(True))
            return
        await self._follow(False)

    async def settle(self) -> None:
        """Wait for a background refresh under way (tests, shutting down)."""
        if self._background is not None:
            await asyncio.shield(self._background)

    async def _follow(self, background: bool) -> None:
        async with self._lock:
            token = _token(self.path)
            if token == self._seen:
                return
            counts = read_generation(self.path)
            if background and _asked(self._counts, counts):
                background = False  # a client wrote meanwhile: at once, after all
            await self.refresh(_moved(self._counts, counts), background)
            self._seen, self._counts = token, counts


class ReaderMiddleware:
    """Reader side: open the store again when the generation moved; hand writes to the
    writer and relay its answer."""

    def __init__(self, app: ASGIApp, path: Path, writer_url: str,
                 refresh: Callable[[frozenset[str], bool], Awaitable[None]],
                 follower: WriterFollower | None = None) -> None:
        self.app = app
        self.path = path
        self.writer_url = writer_url.rstrip("/")
        self._follow = follower or WriterFollower(path, refresh)
        self._client: Any = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self._follow_writer()
        if _writes(scope):
            await self._forward(scope, receive, send)
            return
        if scope["method"] == "POST" and scope["path"] == "/graphql":
            body, replay = await buffer_body(receive)
            if asks_mutation(scope, body):
                await self._forward(scope, replay, send, body)
                await self._follow_writer()
                return
            receive = replay
        await self.app(scope, receive, send)

    async def _follow_writer(self) -> None:
        await self._follow()

    async def _forward(self, scope: Scope, receive: Receive, send: Send,
                       body: bytes | None = None) -> None:
        import httpx

        if body is None:
            body, _ = await buffer_body(receive)
        if self._client is None:
            self._client = httpx.AsyncClient(base_url=self.writer_url, timeout=None)
        headers = [(k.decode("latin-1"), v.decode("latin-1"))
                   for k, v in scope.get("headers", []) if k.lower() not in _HOP_HEADERS]
        host = dict(scope.get("headers", [])).get(b"host")
        if host is not None:  # the workspace compares a form's Origin with it
            headers.append(("x-forwarded-host", host.decode("latin-1")))
        query = scope.get("query_string", b"").decode("latin-1")
        url = scope["path"] + (f"?{query}" if query else "")
        try:
            answer = await self._client.request(scope["method"], url, headers=headers,
                                                content=body)
        except httpx.HTTPError:
            payload = (b'{"errors": [{"message": "The writer process of this server is not '
                       b'answering; try again in a moment."}]}')
            await send({"type": "http.response.start", "status": 503,
                        "headers": [(b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": payload})
            return
        await send({"type": "http.response.start", "status": answer.status_code,
                    "headers": [(k.encode("latin-1"), v.encode("latin-1"))
                                for k, v in answer.headers.multi_items()
                                if k.lower().encode("latin-1") not in _HOP_HEADERS]})
        await send({"type": "http.response.body", "body": answer.content})


def reader_socket(host: str, port: int) -> socket.socket:
    """A listening socket on the public address that other processes may share."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


def _exit_with_parent() -> None:
    """End this process when the writer that started it is gone, however it ended (a
    reader left behind would serve an ever older snapshot)."""
    import threading
    import time

    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="scrm-reader-watchdog", daemon=True).start()


def run_reader(env: dict[str, str], host: str, port: int, writer_url: str) -> None:
    """Entry point of one reader process (started with the ``spawn`` method)."""
    os.environ.update({"SCRM_DB_THREADS": "1", **env})
    _exit_with_parent()
    import uvicorn

    from api.app import create_app
    from graph.config import Settings

    settings = Settings()
    app = create_app(settings=settings)  # opens the database read-only at start-up
    runner = app.state.store_runner
    cache = app.state.read_cache

    async def refresh(touched: frozenset[str], background: bool) -> None:
        store = runner.store
        if background:
            # opened on a thread of its own while the store thread keeps answering from
            # the old snapshot; only the swap waits for the store thread
            opened = await asyncio.to_thread(store.open_snapshot)
            await runner.run(lambda: store.adopt_snapshot(opened))
        else:
            await runner.run(lambda: store.refresh())
        # and with it the latest-run cache and the memoized answers that read what was
        # written (a care note keeps the dashboard's metrics)
        cache.clear(touched)

    # the workspace's live updates and the session check (api.workspace.signin, which
    # runs before ReaderMiddleware: a sign-in the writer has just recorded must be
    # visible to it) follow the writer through it too
    follower = WriterFollower(generation_file(settings.db), refresh)
    app.state.follow_writer = follower
    app.add_middleware(ReaderMiddleware, path=generation_file(settings.db),
                       writer_url=writer_url, refresh=refresh, follower=follower)
    uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False,
                                  proxy_headers=False)).run(
        sockets=[reader_socket(host, port)])
