"""Passwords of workspace users: argon2id through argon2-cffi, never stored in clear.

argon2-cffi's defaults follow RFC 9106's second recommended option (argon2id, 64 MiB,
3 passes); a hash made with older parameters is re-made at the next sign-in.
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from graph.errors import UserError

__all__ = ["MIN_PASSWORD_CHARS", "check_password", "hash_password", "needs_rehash",
           "verify_password"]

MIN_PASSWORD_CHARS = 10
_HASHER = PasswordHasher()


@cache
def _dummy() -> str:
    """A hash verified when the name is unknown, so a wrong name costs as long as a wrong
    password; made at the first sign-in, not at import (every CLI command imports this)."""
    return _HASHER.hash("not a password anyone has")


def check_password(password: str) -> str:
    """The password, if it may be used.

    Raises:
        UserError: It is too short.
    """
    if len(password) < MIN_PASSWORD_CHARS:
        raise UserError(f"a password needs at least {MIN_PASSWORD_CHARS} characters")
    return password


def hash_password(password: str) -> str:
    """An argon2id hash of an accepted password (see :func:`check_password`)."""
    return _HASHER.hash(check_password(password))


def verify_password(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored`` (``None``: no such user; still slow)."""
    try:
        return _HASHER.verify(stored or _dummy(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether ``stored`` was made with weaker parameters than today's."""
    return _HASHER.check_needs_rehash(stored)
