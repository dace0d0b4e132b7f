"""``scrm serve`` and ``scrm demo``."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from api.cli.analyze import print_top, top_rows
from api.cli.common import DbOption, console, err, fail, progress_printer, settings_for
from graph import open_store
from graph.config import Settings
from graph.model import account_key
from graph.schema import SCORE_KINDS
from graph.store import GraphStore, StoreBusyError, StoreError

if TYPE_CHECKING:
    from ingest.loader import FileReport

__all__ = ["register", "samples_dir"]

Host = Annotated[str, typer.Option(envvar="SCRM_HOST", help="Interface to listen on.")]
Port = Annotated[int, typer.Option(envvar="SCRM_PORT", help="Port to listen on.")]


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("demo")(demo)


def samples_dir() -> Path:
    import ingest

    return Path(ingest.__file__).resolve().parent / "samples" / "demo"


def _open_writer(settings: Settings) -> GraphStore:
    try:
        return open_store(settings)
    except StoreBusyError as exc:
        from api.cli.handoff import running_server

        url = running_server(settings.db)
        if url:
            fail(f"scrm is already serving this database at {url}/graphql", code=3)
        fail(str(exc), code=3)
    except StoreError as exc:
        fail(str(exc))


def _serve(store: GraphStore, settings: Settings, host: str, port: int,
           readers: int = 0) -> None:
    import uvicorn

    from api.app import create_app
    from api.jobs import JobRunner, announce, server_file

    app = create_app(store=store, settings=settings)
    read_cache = app.state.read_cache
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
    processes: list[Any] = []
    on_change: Callable[[], None] = read_cache.clear
    listen_host, listen_port, writer_url = host, port, url
    if readers:
        from api.readers import GenerationMiddleware, bump_generation, generation_file

        generation = generation_file(settings.db)
        app.add_middleware(GenerationMiddleware, path=generation)

        def on_change() -> None:
            read_cache.clear()
            bump_generation(generation)

        listen_host, listen_port = "127.0.0.1", _free_port()
        writer_url = f"http://127.0.0.1:{listen_port}"
        processes = _start_readers(settings, host, port, writer_url, readers)
    app.state.jobs = JobRunner(store, on_change=on_change)
    if store.backend == "embedded":
        announce(settings.db, writer_url)  # the CLI hands its jobs to the writer
    console.print(f"GraphQL API and GraphiQL: [b]{url}/graphql[/]   network explorer: "
                  f"{url}/explore" + (f"   ({readers} read processes)" if readers else "")
                  + "   (Ctrl-C to stop)", highlight=False)
    def forget() -> None:
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
        Server(uvicorn.Config(app, host=listen_host, port=listen_port, log_level="warning",
                              access_log=False)).run()
    finally:
        forget()
        for process in processes:
            process.join(timeout=10)


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


Readers = Annotated[int, typer.Option(
    "--readers", envvar="SCRM_READERS", min=0,
    help="Read-only API processes sharing the port (embedded store; 0: one process serves "
         "all). Each uses about one core; the writer keeps mutations and jobs.")]


def serve(host: Host = "127.0.0.1", port: Port = 8000, db: DbOption = None,
          readers: Readers = 0) -> None:
    """Serve the GraphQL API (with GraphiQL) and the network explorer.

    While it runs, the server is the database's writer: 'scrm ingest' and
    'scrm analyze' from another terminal hand their work to it.
    """
    settings = settings_for(db)
    store = _open_writer(settings)
    try:
        if readers and store.backend != "embedded":
            fail("--readers is for the embedded store; with Neo4j, run more 'scrm serve' "
                 "processes behind a load balancer instead", code=2)
        _serve(store, settings, host, port, readers)
    finally:
        store.close()


def demo(
    db: DbOption = None,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Stop after printing.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace a non-demo database.")] = False,
    host: Host = "127.0.0.1",
    port: Port = 8000,
) -> None:
    """Build a fresh database from the bundled sample data, analyze it, show the
    rankings and serve them."""
    from analytics.job import run_analysis
    from ingest.pipeline import ingest_paths

    settings = settings_for(db)
    if settings.backend != "embedded":
        fail("the demo builds an embedded database; unset SCRM_NEO4J_URI to run it")
    samples = samples_dir()
    if settings.db.exists():
        if not force and not _is_demo(settings):
            fail(f"{settings.db} exists and was not made by 'scrm demo'; pass --force to "
                 "replace it or --db to choose another path", code=2)
        _remove(settings.db)
    store = _open_writer(settings)
    try:
        brand = json.loads((samples / "brand.json").read_text(encoding="utf-8"))
        store.set_brand([account_key(*a.split(":", 1)) for a in brand["accounts"]], {
            "brand.name": brand["name"], "brand.terms": json.dumps(brand.get("terms", [])),
            "brand.competitors": json.dumps(brand.get("competitors", [])), "demo": "true"})
        rejects_dir = settings.resolved_rejects_dir()
        for source, name in (("crm", "crm.csv"), ("orders", "orders.csv"),
                             ("twitter", "twitter.jsonl"), ("reddit", "reddit.jsonl")):
            show = progress_printer(f"ingest {source}")
            reports, _ = ingest_paths(store, source, [samples / name], rejects_dir=rejects_dir,
                                      progress=_ingest_progress(show))
            for r in reports:
                err.print(f"ingest {source}: {r.read:,} read, {r.loaded:,} loaded, "
                          f"{r.rejected:,} rejected", highlight=False)
        show = progress_printer("analyze")
        result = run_analysis(store, progress=lambda step, frac: show(f"{step} {frac:.0%}"))
        err.print(f"analyze: run {result.run_id} in {result.stats['seconds']:.1f}s",
                  highlight=False)
        for kind in SCORE_KINDS:
            print_top(top_rows(store, kind, 5), kind)
        url = f"http://{host}:{port}/graphql"
        console.print(f"GraphQL: [b]{url}[/]", highlight=False)
        if not no_serve:
            _serve(store, settings, host, port)
    finally:
        store.close()


def _is_demo(settings: Settings) -> bool:
    try:
        store = open_store(settings, read_only=True)
    except StoreError:
        return False
    try:
        return store.get_settings().get("demo") == "true"
    finally:
        store.close()


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink()
    for extra in path.parent.glob(path.name + ".*"):
        if extra.name.endswith((".wal", ".lock", ".shadow", ".tmp")):
            extra.unlink(missing_ok=True)


def _ingest_progress(show: Callable[..., None]) -> Callable[[FileReport], None]:
    def report(r: FileReport) -> None:
        show(f"{r.read:,} read, {r.loaded:,} loaded")
    return report
