"""The ``scrm`` command line: one module per command group."""

from __future__ import annotations

import typer

from api.cli import analyze, identity, info, ingest, migrate, privacy, sentiment, serve, viz

__all__ = ["app", "main"]

app = typer.Typer(
    name="scrm",
    help="Social-CRM graph analyzer: who to engage, the whole history with a person, "
    "and how the network looks.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(ingest.app, name="ingest")
app.add_typer(identity.app, name="identities")
app.add_typer(sentiment.app, name="sentiment")
app.add_typer(__import__("api.cli.monitor", fromlist=["app"]).app, name="monitor")
analyze.register(app)
info.register(app)
serve.register(app)
viz.register(app)
migrate.register(app)
privacy.register(app)
__import__("api.cli.alerts", fromlist=["register"]).register(app)


def main() -> None:
    app()
