"""``scrm info``: which store is in use, what it holds, and the latest analysis run."""

from __future__ import annotations

from rich.table import Table

from api.cli.common import DbOption, console, open_reader

__all__ = ["info"]


def info(db: DbOption = None) -> None:
    """Which store is in use, what it holds, and the latest analysis run."""
    with open_reader(db) as store:
        counts = store.counts()
        run = store.latest_run()
        settings = store.get_settings()
    console.print(f"store: [b]{store.backend}[/] at {store.location}", highlight=False)
    table = Table(show_header=True)
    table.add_column("what")
    table.add_column("count", justify="right")
    for k, v in counts.items():
        table.add_row(k, f"{v:,}")
    console.print(table)
    if settings.get("brand.name"):
        console.print(f"brand: {settings['brand.name']}", highlight=False)
    if run:
        console.print(f"latest run: {run.run_id} finished {run.finished_at:%Y-%m-%d %H:%M:%S} "
                      f"UTC", highlight=False)
    else:
        console.print("no analysis run yet ('scrm analyze')")
