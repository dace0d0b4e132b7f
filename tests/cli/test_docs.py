"""Docs cannot drift: the command reference is current, every command and option is
documented, and every file a help text names exists (as sqlite-utils and datasette do)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import typer.main

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import cli_docs  # noqa: E402 - from tools/

from api.cli import app  # noqa: E402


@pytest.fixture(scope="module")
def helps() -> dict[tuple[str, ...], str]:
    return {path: cli_docs.help_text(path) for path in cli_docs.command_paths()}


def _docs() -> str:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    return "\n".join(p.read_text(encoding="utf-8") for p in pages)


@pytest.mark.slow
def test_the_command_reference_is_current(helps: dict[tuple[str, ...], str]) -> None:
    written = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    # the help texts read once for this file's tests (render() reads the same otherwise)
    assert written == cli_docs.render(helps), \
        "docs/cli.md is stale: run 'python tools/cli_docs.py'"


def test_every_command_and_option_is_documented() -> None:
    docs = _docs()
    missing = []

    def walk(command: object, path: tuple[str, ...]) -> None:
        if path and f"scrm {' '.join(path)}" not in docs:
            missing.append(" ".join(path))
        for param in getattr(command, "params", []):
            for opt in getattr(param, "opts", []):
                if opt.startswith("--") and opt not in docs:
                    missing.append(f"{' '.join(path)} {opt}")
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, (*path, name))

    walk(typer.main.get_command(app), ())
    assert missing == []


def test_every_file_a_help_names_exists(helps: dict[tuple[str, ...], str]) -> None:
    named = {m for text in helps.values()
             for m in re.findall(r"\b(?:docs|ingest|api|graph|analytics)/[\w./-]*\w", text)}
    assert "docs/ingest.md" in named
    assert [n for n in named if not (ROOT / n).exists()] == []


def test_help_has_no_type_markers_or_broken_lines(helps: dict[tuple[str, ...], str]) -> None:
    for path, text in helps.items():
        assert not re.search(r"<(bool|str|int|float|path|list\[\w+\])>", text), (path, text)
        assert not re.search(r"\w \.(\s|$)", text), (path, text)
