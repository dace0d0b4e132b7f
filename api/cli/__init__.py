"""The ``scrm`` command line: one module per command, named after it.

:func:`main` is the one place that turns errors into text and an exit code:

=====  ==========================================================================
exit   meaning
=====  ==========================================================================
0      done
1      a failure (:class:`graph.errors.Failure`), or an unexpected error: one line,
       and ``SCRM_DEBUG=1`` shows the traceback
2      the person's mistake: a bad option, input, setting or id
       (:class:`graph.errors.UserError`, and click's usage errors)
3      the database is busy: another process writes to it
       (:class:`graph.errors.BusyError`)
130    interrupted (Ctrl-C)
=====  ==========================================================================
"""

from __future__ import annotations

import errno
import functools
import importlib
import os
import sys
import traceback

import typer
import typer.core
from typer.exceptions import TyperException

from api.cli.common import err
from graph.config import get_settings
from graph.errors import EXIT_UNEXPECTED, Failure, ScrmError

__all__ = ["EXIT_INTERRUPTED", "app", "main"]

EXIT_INTERRUPTED = 130

# typer prints an argument's Python type beside its name ("PATH <list[str]>"); the
# metavar each argument sets already says what it takes.
typer.core.TyperArgument.display_type_rich = lambda self, ctx: None  # type: ignore[method-assign]

# Every command in the order ``scrm --help`` lists them: (name, module of api.cli, the
# module's attribute, whether it is a group of subcommands). A run imports only the
# module of the command it runs (``scrm ingest`` needs no web client, password hashing
# or analytics); help, the docs and tests get the whole app (:func:`full_app`).
COMMANDS: tuple[tuple[str, str, str, bool], ...] = (
    ("demo", "demo", "demo", False),
    ("ingest", "ingest", "app", True),
    ("brand", "brand", "brand", False),
    ("identities", "identities", "app", True),
    ("analyze", "analyze", "analyze", False),
    ("top", "top", "top", False),
    ("info", "info", "info", False),
    ("serve", "serve", "serve", False),
    ("viz", "viz", "viz", False),
    ("sentiment", "sentiment", "app", True),
    ("migrate", "migrate", "migrate", False),
    ("forget", "forget", "forget", False),
    ("monitor", "monitor", "app", True),
    ("bots", "bots", "app", True),
    ("intent", "intent", "app", True),
    ("users", "users", "app", True),
    ("alerts", "alerts", "alerts", False),
    ("webhooks", "webhooks", "app", True),
    ("outbox", "outbox", "app", True),
)


def _scrm(only: str | None = None) -> typer.Typer:
    """The ``scrm`` app with every command, or with ``only`` that one (still a group,
    so ``scrm <command> ...`` parses as it does in the whole app)."""
    app = typer.Typer(
        name="scrm",
        help="Social-CRM graph analyzer: who to engage, the whole history with a person, "
        "and how the network looks.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
        rich_markup_mode=None,
    )
    for name, module_name, attribute, group in COMMANDS:
        if only is not None and name != only:
            continue
        found = getattr(importlib.import_module(f"api.cli.{module_name}"), attribute)
        if group:
            app.add_typer(found, name=name)
        else:
            app.command(name)(found)
    if only is not None and not COMMANDS[_INDEX[only]][3]:
        # a command alone would make typer run it as the program itself (no name first)
        app.command("_", hidden=True)(_nothing)
    return app


def _nothing() -> None:
    """Never run: keeps a one-command app a group."""


_INDEX = {name: i for i, (name, *_rest) in enumerate(COMMANDS)}


@functools.cache
def full_app() -> typer.Typer:
    """The app with every command (``--help``, ``tools/cli_docs.py``, tests)."""
    return _scrm()


def __getattr__(name: str) -> typer.Typer:
    if name == "app":  # built on first use: importing api.cli imports no command
        return full_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _app_for(argv: list[str] | None) -> typer.Typer:
    """The app for one run: only the command ``argv`` names, if it names one first."""
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in _INDEX:
        return _scrm(args[0])
    return full_app()


def _say(message: str) -> None:
    err.print(f"error: {' '.join(message.split())}", highlight=False, soft_wrap=True,
              markup=False)


def _debug() -> bool:
    try:
        return get_settings().debug
    except ScrmError:
        return False


def main(argv: list[str] | None = None) -> None:
    """Run ``scrm`` with ``argv`` (default: the process's arguments) and exit.

    Known errors end as one line on standard error and their exit code; anything
    unexpected as one line that says how to see the traceback.
    """
    get_settings.cache_clear()  # each run reads the environment and .env afresh
    failures = _engine_failures()
    try:
        _main(argv)
    except SystemExit as done:
        if _engine_failures() > failures:
            _end(done)
        raise


def _engine_failures() -> int:
    faults = sys.modules.get("graph.embedded.faults")
    return 0 if faults is None else int(faults.engine_failures())


def _end(done: SystemExit) -> None:
    """After a storage failure (a full disk), end the process here: LadybugDB objects
    still alive would try to flush their log when collected, throw from a destructor and
    abort the process (exit 134 and two lines of C++) after scrm had said what failed."""
    sys.stdout.flush()
    sys.stderr.flush()
    code = done.code
    os._exit(code if isinstance(code, int) else (0 if code is None else 1))


def _main(argv: list[str] | None) -> None:
    try:
        code = _app_for(argv)(args=argv, prog_name="scrm", standalone_mode=False)
    except ScrmError as exc:
        _say(str(exc))
        sys.exit(exc.exit_code)
    except TyperException as exc:  # a usage error: bad option or argument
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            _say(exc.format_message())
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt) as exc:
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, EOFError):  # typer turns a stray EOFError into Abort
            _unexpected(cause)
        err.print("interrupted", highlight=False)
        sys.exit(EXIT_INTERRUPTED)
    except OSError as exc:
        if not _disk_full(exc):
            _unexpected(exc)
        where = f" ({exc.filename})" if exc.filename else ""
        _say(f"no space left on the disk{where}: what was being written was not saved; "
             "everything committed before is kept. Free some space and run the command "
             "again (a re-run completes it).")
        sys.exit(Failure.exit_code)
    except Exception as exc:  # noqa: BLE001 - the one place that reports the unknown
        _unexpected(exc)
    sys.exit(code if isinstance(code, int) else 0)


def _disk_full(exc: OSError) -> bool:
    """Whether ``exc`` is a full disk or quota (pyarrow's OSErrors carry only the text)."""
    return exc.errno in (errno.ENOSPC, errno.EDQUOT) or any(
        os.strerror(code) in str(exc) for code in (errno.ENOSPC, errno.EDQUOT))


def _unexpected(exc: BaseException) -> None:
    if _debug():
        traceback.print_exception(exc)
    hint = "" if _debug() else " (SCRM_DEBUG=1 shows the traceback)"
    first = str(exc).splitlines()[0] if str(exc) else ""
    _say(f"unexpected {type(exc).__name__}{': ' + first if first else ''}{hint}")
    sys.exit(EXIT_UNEXPECTED)
