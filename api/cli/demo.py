"""``scrm demo``: a fresh database from the bundled sample data, analyzed and served."""

from __future__ import annotations

import json
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from api.cli.common import DbOption, console, err, fail, pick, progress_printer, settings_for
from api.cli.serve import Host, Port, open_writer, run_server
from api.cli.top import print_top, top_rows
from graph import open_store
from graph.config import Settings
from graph.model import account_key
from graph.schema import SCORE_KINDS
from graph.store import GraphStore, StoreError

if TYPE_CHECKING:
    from ingest.loader import FileReport

__all__ = ["demo", "samples_dir"]


def samples_dir() -> Path:
    import ingest

    return Path(ingest.__file__).resolve().parent / "samples" / "demo"


def demo(
    db: DbOption = None,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Stop after printing.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace a non-demo database.")] = False,
    host: Host = None,
    port: Port = None,
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
    store = open_writer(settings)
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
        accounts = _demo_users(store)
        host, port = pick(host, settings.host), pick(port, settings.port)
        url = f"http://{host}:{port}"
        console.print(f"Workspace: [b]{url}/[/] (GraphQL: {url}/graphql)", highlight=False)
        for name, (role, password) in accounts.items():
            console.print(f"  sign in as [b]{name}[/] ({role}), password [b]{password}[/]",
                          highlight=False)
        if not no_serve:
            run_server(store, settings, host, port)
    finally:
        store.close()


DEMO_USERS = {"admin": "admin", "agent": "agent"}


def _demo_users(store: GraphStore) -> dict[str, tuple[str, str]]:
    """A demo admin and agent, each with a fresh random password (printed once)."""
    from api.passwords import hash_password

    made = {}
    for name, role in DEMO_USERS.items():
        password = secrets.token_urlsafe(12)
        store.save_user(name, role=role, password_hash=hash_password(password))
        made[name] = (role, password)
    return made


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
