"""The product's error root: every error a person can act on descends from :class:`ScrmError`.

Each kind carries the exit code ``scrm`` ends with; ``api.cli.main`` is the one place
that turns them into one line of text. Raise them ``from`` the cause, with a message
that says what went wrong and what to do next.

==================  =========  ================================================
class               exit code  meaning
==================  =========  ================================================
:class:`UserError`  2          a mistake the person can fix (input, option, id)
:class:`Failure`    1          the product could not do it (I/O, a bad database)
:class:`BusyError`  3          another process holds the database
==================  =========  ================================================
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "EXIT_BUSY",
    "EXIT_FAILURE",
    "EXIT_UNEXPECTED",
    "EXIT_USER",
    "BusyError",
    "ConfigError",
    "Failure",
    "NotFoundError",
    "ScrmError",
    "UserError",
]

EXIT_FAILURE = 1
EXIT_USER = 2
EXIT_BUSY = 3
EXIT_UNEXPECTED = 1


class ScrmError(Exception):
    """Root of every error scrm reports to a person; the message is one line."""

    exit_code: ClassVar[int] = EXIT_FAILURE


class UserError(ScrmError):
    """A mistake the person can fix: a bad option, input, setting or id (exit 2)."""

    exit_code: ClassVar[int] = EXIT_USER


class ConfigError(UserError):
    """A ``SCRM_*`` setting has a value it does not accept."""


class NotFoundError(UserError):
    """Something named on the command line does not exist (a database, a customer)."""


class Failure(ScrmError):
    """The product could not do what was asked, though the request was fine (exit 1)."""

    exit_code: ClassVar[int] = EXIT_FAILURE


class BusyError(ScrmError):
    """Another process holds the database for writing (exit 3)."""

    exit_code: ClassVar[int] = EXIT_BUSY
