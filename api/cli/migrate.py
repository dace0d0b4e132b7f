"""``scrm migrate``: grow out of the embedded store into Neo4j."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli.common import DbOption, console, err, fail, progress_printer, settings_for
from graph.store import StoreError

__all__ = ["migrate"]


def migrate(
    to_neo4j: Annotated[bool, typer.Option(
        "--to-neo4j", help="Copy into the Neo4j database named by SCRM_NEO4J_URI.")] = False,
    batch_size: Annotated[int, typer.Option(
        metavar="N", min=100, help="Records per write to Neo4j.")] = 10_000,
    db: DbOption = None,
) -> None:
    """Copy the whole embedded database — records, identity links, post sentiment and
    understanding (language, intents), brand settings, analysis runs and scores — into
    Neo4j. Resumable: run it again after an
    interruption and it continues, changing nothing already copied."""
    from graph.embedded import EmbeddedStore
    from graph.migrate import migrate as copy_into
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
    source = EmbeddedStore(path, read_only=True)
    try:
        target = Neo4jStore.from_settings(settings)
    except StoreError:
        source.close()
        raise
    show = progress_printer("migrate")
    try:
        report = copy_into(source, target, batch_size=batch_size,
                         progress=lambda kind, n: show(f"{kind}: {n:,} copied"))
    finally:
        source.close()
        target.close()
    err.print()
    console.print(f"copied {path} into {settings.neo4j_uri}: {report}", highlight=False)
