"""Running ``scrm`` in-process through :func:`api.cli.main`, as a person would."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from api.cli import main


@dataclass
class Run:
    """What one ``scrm`` run printed and how it ended."""

    code: int
    out: str
    err: str

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.startswith("error:")]


def scrm(*args: str | Path, env: dict[str, str] | None = None) -> Run:
    """Run ``scrm ARGS`` through ``main()`` with ``env`` added to a clean ``SCRM_*`` environment."""
    clean = {k: None for k in os.environ if k.startswith("SCRM_")}
    runner = CliRunner()
    with runner.isolation(env={**clean, **(env or {})}) as (out, err, _):
        try:
            main([str(a) for a in args])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        return Run(code, out.getvalue().decode(), err.getvalue().decode())


def assert_one_line(run: Run, code: int, text: str) -> None:
    """The run ended with ``code`` and one ``error:`` line containing ``text``, no traceback."""
    assert run.code == code, (run.code, run.out, run.err)
    assert "Traceback" not in run.err + run.out, run.err
    assert len(run.error_lines) == 1, run.err
    assert text in run.error_lines[0], run.error_lines[0]
