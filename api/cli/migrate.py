"""``scrm migrate``: grow out of the embedded store into Neo4j."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli.common import DbOption, console, err, fail, progress_printer, settings_for
from graph.store import StoreBusyError, StoreError

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    app.command("migrate")(migrate_cmd)


def migrate_cmd(
    to_neo4j: Annotated[bool, typer.Option(
        "--to-neo4j", help="Copy into the Neo4j database named by SCRM_NEO4J_URI.")] = False,
    batch_size: Annotated[int, typer.Option(min=100)] = 10_000,
    db: DbOption = None,
) -> None:
    """Copy the whole embedded database — records, identity links, sentiment, brand
    settings, analysis runs and scores — into Neo4j. Resumable: run it again after an
    interruption and it continues, changing nothing already copied."""
    from graph.embedded import EmbeddedStore
    from graph.migrate import migrate
    from graph.neo4j import Neo4jStore

    if not to_neo4j:
        fail("say where to: --to-neo4j (the only target so far)", code=2)
    settings = settings_for(db)
    if not settings.neo4j_uri:
        fail("set SCRM_NEO4J_URI (and SCRM_NEO4J_USER / SCRM_NEO4J_PASSWORD) to the Neo4j "
             "server to copy into", code=2)
    path: Path = settings.db
    if not path.exists():
        fail(f"no embedded database at {path} (use --db or SCRM_DB)", code=2)
    try:
        source = EmbeddedStore(path, read_only=True)
    except (StoreBusyError, StoreError) as exc:
        fail(str(exc), code=3)
    try:
        target = Neo4jStore.from_settings(settings)
    except StoreError as exc:
        source.close()
        fail(str(exc))
    show = progress_printer("migrate")
    try:
        report = migrate(source, target, batch_size=batch_size,
                         progress=lambda kind, n: show(f"{kind}: {n:,} copied"))
    finally:
        source.close()
        target.close()
    err.print()
    console.print(f"copied {path} into {settings.neo4j_uri}: {report}", highlight=False)
