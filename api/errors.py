"""Errors the API shows to its clients.

Only :class:`UserError` messages reach a client; every other exception in a
resolver is logged on the server and answered with ``internal error`` (see
:mod:`api.schema`), so no stack trace, path or query text ever leaves the server.
"""

from __future__ import annotations

from graph import errors

__all__ = ["INTERNAL_ERROR", "UserError"]

INTERNAL_ERROR = "internal error"


class UserError(errors.UserError):
    """A problem with the request that the client can fix; the message says how."""
