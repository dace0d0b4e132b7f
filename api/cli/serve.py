"""``scrm serve``: the GraphQL API, GraphiQL and the network explorer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from api.cli.common import DbOption, console, fail, pick, setting, settings_for
from graph import open_store
from graph.config import Settings
from graph.store import GraphStore, StoreBusyError

__all__ = ["Host", "Port", "open_writer", "run_server", "serve", "settle_heap", "writer_work"]

Host = Annotated[str | None, setting("host", "Interface to listen on.", metavar="HOST")]
Port = Annotated[int | None, setting("port", "Port to listen on.", metavar="PORT",
                                     min=0, max=65535)]


def open_writer(settings: Settings) -> GraphStore:
    """Open the store to write; a server already holding it is named in the error."""
    try:
        return open_store(settings, buffer_pool_mb=settings.buffer_pool_mb)
    except StoreBusyError:
        from api.cli.handoff import running_server

        url = running_server(settings.db)
        if url:
            fail(f"scrm is already serving this database at {url}/graphql", code=3)
        raise


def run_server(store: GraphStore, settings: Settings, host: str, port: int,
           readers: int = 0) -> None:
    import uvicorn

    from api.app import create_app
    from api.auth import EVERYTHING
    from api.jobs import announce, server_file

    app = create_app(store=store, settings=settings)
    read_cache = app.state.read_cache
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
    processes: list[Any] = []
    on_change: Callable[..., None] = read_cache.clear
    on_background_change: Callable[..., None] | None = None
    listen_host, listen_port, writer_url = host, port, url
    if readers:
        from api.readers import GenerationMiddleware, WriteGeneration, generation_file

        generation = WriteGeneration(generation_file(settings.db),
                                     settings.reader_refresh_seconds)
        read_cache.on_clear(generation.touched)  # what each write touched, for the readers
        app.add_middleware(GenerationMiddleware, generation=generation)

        def on_change(touched: frozenset[str] = EVERYTHING) -> None:
            read_cache.clear(touched)
            generation.bump()

        def on_background_change(touched: frozenset[str] = EVERYTHING) -> None:
            read_cache.clear(touched)
            generation.soon()  # a stream's batches: readers reopen at a bounded pace

        listen_host, listen_port = "127.0.0.1", _free_port()
        writer_url = f"http://127.0.0.1:{listen_port}"
        processes = _start_readers(settings, host, port, writer_url, readers)
    live = writer_work(app, store, settings, on_change, on_background_change)
    settle_heap()  # what exists now lives as long as the server
    live.start()
    try:
        if store.backend == "embedded":
            announce(settings.db, writer_url)  # the CLI hands its jobs to the writer
    except BaseException:
        for process in processes:
            process.terminate()
        raise
    console.print(f"GraphQL API and GraphiQL: [b]{url}/graphql[/]   network explorer: "
                  f"{url}/explore" + (f"   ({readers} read processes)" if readers else "")
                  + "   (Ctrl-C to stop)", highlight=False)
    def forget() -> None:
        live.stop()
        if store.backend == "embedded":
            server_file(settings.db).unlink(missing_ok=True)
        for process in processes:
            if process.is_alive():
                process.terminate()

    class Server(uvicorn.Server):
        # uvicorn re-raises SIGTERM/SIGINT after shutting down, which skips `finally`:
        # withdraw the announcement as soon as the signal arrives.
        def handle_exit(self, sig: int, frame: Any) -> None:
            forget()
            super().handle_exit(sig, frame)

    try:
        # proxy_headers off: SCRM_TRUSTED_PROXIES alone decides whose X-Forwarded-Proto
        # counts (api.workspace.signin.is_https)
        Server(uvicorn.Config(app, host=listen_host, port=listen_port, log_level="warning",
                              access_log=False, proxy_headers=False)).run()
    finally:
        forget()
        # the store closes after this: let the running job (an events check, a stream's
        # batch) end first rather than fail under it
        if not app.state.jobs.stop():
            console.print("A write job was still running after 30 s; stopping anyway.")
        for process in processes:
            process.join(timeout=10)


def writer_work(app: Any, store: GraphStore, settings: Settings,
                on_change: Callable[..., None],
                on_background_change: Callable[..., None] | None = None) -> Any:
    """Make ``app`` the database's writer: its job runner (``app.state.jobs``, which
    publishes each job's change through ``on_change``, or ``on_background_change`` for the
    server's own jobs) and its live work (monitors, streams, events), not yet started.
    ``bench/stream_bench.py`` builds the server with it too."""
    from api.jobs import JobRunner
    from api.live import LiveWork

    # new posts (hand-offs, monitor rounds) are understood by the writer, debounced
    app.state.jobs = JobRunner(store, on_change=on_change,
                               on_background_change=on_background_change,
                               understand_after=settings.understand_after_seconds,
                               understand_limit=settings.understand_per_run)
    return LiveWork(app, store, settings)  # monitors and events, as the writer


def settle_heap() -> None:
    """Leave what the server made at its start out of the cyclic garbage collector's
    passes, and make its young passes rarer (for a process that serves until it ends:
    what is frozen is never collected).

    A writer following a stream makes millions of short-lived objects (the parsed
    statuses), and every full pass of the collector also walked the hundreds of thousands
    of objects the imports made: 0.1-0.24 s each at 2,000 posts/s, with every thread of
    the server stopped. ``gc.freeze`` moves what exists now to a permanent generation, and
    a young pass every 10,000 allocations rather than 700 makes the older passes rarer:
    in ``bench/stream_bench.py`` the collector's time fell from 3.6 s to 2.0 s of the
    writer's 50 s, and its longest pause from 0.24 s to 0.14 s (BENCHMARKS.md)."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_readers(settings: Settings, host: str, port: int, writer_url: str,
                   count: int) -> list[Any]:
    """Start ``count`` read-only API processes on the public address."""
    import multiprocessing
    import os

    from api.readers import reader_socket, run_reader

    try:
        reader_socket(host, port).close()  # taken by something else: say so now
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror}", code=3)
    env = {k: v for k, v in os.environ.items() if k.startswith("SCRM_")}
    env["SCRM_DB"] = str(settings.db.resolve())
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=run_reader, args=(env, host, port, writer_url),
                                 name=f"scrm-reader-{i}", daemon=True) for i in range(count)]
    for process in processes:
        process.start()
    return processes


Readers = Annotated[int | None, setting(
    "readers",
    "Read-only API processes sharing the port (embedded store; 0: one process serves "
    "all). Each uses about one core; the writer keeps mutations and jobs.",
    "--readers", metavar="N", min=0)]


def serve(host: Host = None, port: Port = None, db: DbOption = None,
          readers: Readers = None) -> None:
    """Serve the GraphQL API (with GraphiQL) and the network explorer.

    While it runs, the server is the database's writer: 'scrm ingest' and
    'scrm analyze' from another terminal hand their work to it.
    """
    settings = settings_for(db)
    readers = pick(readers, settings.readers)
    from api.alerts import watched_series

    # said now, in one line: the events check would otherwise fail every round (and with
    # it every care-item and alert event), each time with a traceback in the log
    watched_series({}, settings.alert_terms, settings.alert_topics)
    store = open_writer(settings)
    try:
        if readers and store.backend != "embedded":
            fail("--readers is for the embedded store; with Neo4j, run more 'scrm serve' "
                 "processes behind a load balancer instead", code=2)
        run_server(store, settings, pick(host, settings.host), pick(port, settings.port),
                   readers)
    finally:
        store.close()
