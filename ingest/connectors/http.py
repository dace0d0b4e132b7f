"""HTTP for connectors: one GET with the platform's rate limits read from its headers.

Every failure becomes a :class:`SourceUnavailable` that says why, one line for people,
and when the source may try again: a 429's ``Retry-After`` (seconds or an HTTP date),
else the rate-limit reset (``x-ratelimit-reset``, ``RateLimit-Reset``,
``x-rate-limit-reset``: epoch seconds, seconds from now or an ISO time), else the
caller's exponential backoff. A success that used the last request of a window also
says when the next may go (:attr:`Reply.not_before`).
"""

from __future__ import annotations

import ipaddress
import random
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

__all__ = ["Http", "Reply", "SourceUnavailable", "backoff_seconds", "private_address",
           "reset_time", "source_url_refusal"]

_REMAINING = ("x-ratelimit-remaining", "ratelimit-remaining", "x-rate-limit-remaining")
_RESET = ("x-ratelimit-reset", "ratelimit-reset", "x-rate-limit-reset")
_MAX_REDIRECTS = 10


class SourceUnavailable(Exception):
    """The source could not be read now; ``retry_at`` is when it may be tried again
    (None: the caller's backoff decides); ``body``: the answer's text, for a connector
    whose platform says more there than in the status."""

    def __init__(self, reason: str, retry_at: datetime | None = None,
                 *, expired_cursor: bool = False, body: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_at = retry_at
        self.expired_cursor = expired_cursor
        self.body = body

    def problem(self) -> dict[str, Any] | None:
        """The answer's body as a JSON object (a platform's error), None when it is not
        one: what a connector reads to tell a refused cursor from another refusal."""
        try:
            found = orjson.loads(self.body)
        except orjson.JSONDecodeError:
            return None
        return found if isinstance(found, dict) else None


@dataclass(slots=True)
class Reply:
    """A decoded answer: its body (JSON, or the bytes of a feed), headers and URL."""

    body: Any
    headers: httpx.Headers
    url: str
    not_before: datetime | None = None


def backoff_seconds(failures: int, *, base: float = 5.0, cap: float = 3600.0,
                    rng: random.Random | None = None) -> float:
    """Exponential backoff with jitter: between half and all of ``base * 2**(n-1)``,
    capped at ``cap`` (so sources failing together do not retry together)."""
    # the exponent capped too: 2**1024 no longer fits a float (a source failing for weeks)
    top = min(cap, base * 2 ** min(max(0, failures - 1), 64))
    return (rng or random).uniform(top / 2, top)


def _when(value: str, now: datetime) -> datetime | None:
    value = value.strip()
    try:
        number = float(value)
    except ValueError:
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            try:
                when = parsedate_to_datetime(value)
            except (TypeError, ValueError):
                return None
        return when if when.tzinfo else when.replace(tzinfo=UTC)
    # epoch seconds, or (Reddit, Retry-After) seconds from now
    if number > 1e9:
        return datetime.fromtimestamp(number, UTC)
    return datetime.fromtimestamp(now.timestamp() + max(0.0, number), UTC)


def reset_time(headers: httpx.Headers, now: datetime) -> datetime | None:
    """When a rate-limit window resets, from whichever header the platform sends."""
    for name in _RESET:
        if name in headers:
            return _when(headers[name], now)
    return None


def rate_limited(status: int, headers: Any, now: datetime, source: str
                 ) -> SourceUnavailable | None:
    """The error for an answer that says the rate limit is spent (429, or 403 with none
    left), with when to try again (``Retry-After``, else the window's reset); None for
    any other answer. ``headers``: any case-insensitive mapping (httpx's, websockets')."""
    if status == 429 or (status == 403 and _exhausted(headers)):
        retry = headers.get("retry-after")
        at = _when(retry, now) if retry else reset_time(headers, now)
        return SourceUnavailable(f"rate limited by {source} (HTTP {status})", at)
    return None


def _exhausted(headers: httpx.Headers) -> bool:
    for name in _REMAINING:
        if name in headers:
            try:
                return float(headers[name]) < 1
            except ValueError:
                return False
    return False


def private_address(url: str, *, resolve: bool = True) -> str | None:
    """The private, loopback, link-local or reserved address ``url``'s host resolves to,
    or None when every address is public (a connector must not be turned against the
    operator's own network). ``resolve=False``: only a host that is an address itself
    or ``localhost`` is looked at (no name lookup)."""
    host = urlsplit(url).hostname
    if not host:
        return "no host"
    if not resolve and host.lower().rstrip(".") == "localhost":
        return "localhost"
    try:
        addresses = [info[4][0] for info in socket.getaddrinfo(
            host, None, proto=socket.IPPROTO_TCP)] if resolve else [host]
        found = [ipaddress.ip_address(a) for a in addresses]
    except OSError:
        return None  # unresolvable: the request itself will fail and say so
    except ValueError:
        return None  # a name, not looked up
    return next((str(a) for a in found if not a.is_global), None)


def source_url_refusal(url: str, *, allow_private: bool,
                       schemes: tuple[str, ...] = ("http", "https"),
                       resolve: bool = True) -> str | None:
    """Why a source's base URL may not be followed, in one line, or None: not one of
    ``schemes`` (a stream's may be ``ws``/``wss``), no host, or a private or loopback
    address while ``SCRM_MONITOR_ALLOW_PRIVATE`` is off. ``monitor add`` refuses such a
    URL at once, looking only at the URL (``resolve=False``: an address or localhost);
    a poll or stream looks the name up before each try, as it may resolve elsewhere."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in schemes or not parts.hostname:
        return (f"{url} is not an address this source can follow: it needs "
                f"{' or '.join(f'{scheme}://' for scheme in schemes)} and a host, e.g. "
                f"{schemes[-1]}://example.com")
    if not allow_private:
        address = private_address(url, resolve=resolve)
        if address is not None:
            return (f"{url} is a private or loopback address ({address}); refused "
                    "(SCRM_MONITOR_ALLOW_PRIVATE=true allows it)")
    return None


class Http:
    """GETs for one source: base URL, credentials in headers (never logged), timeouts."""

    def __init__(self, client: httpx.Client, base_url: str,
                 headers: dict[str, str] | None = None) -> None:
        self.client = client
        self.base_url = base_url.rstrip("/")
        self._headers = headers or {}
        #: the latest rate-limit reset among answers that used up their window
        self.not_before: datetime | None = None

    def url(self, path: str) -> str:
        """``path`` under the base URL; an absolute URL (a "next" link) must stay on the
        base URL's host, so credentials never travel to another site."""
        if not path.startswith(("http://", "https://")):
            return self.base_url + path
        if urlsplit(path)[:2] != urlsplit(self.base_url)[:2]:
            raise SourceUnavailable(f"{self.base_url} sent a link to another site ({path}); "
                                    "not followed")
        return path

    def stream_lines(self, path: str, params: dict[str, Any] | None, seconds: float
                     ) -> Iterator[str]:
        """Lines of a streaming response for up to ``seconds`` (also when no line comes:
        the read timeout ends the window). A connection dropped mid-way ends the lines
        early, without an error: what the caller parsed completely stands."""
        url = self.url(path)
        deadline = time.monotonic() + seconds
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        timeout = httpx.Timeout(10.0, read=max(0.1, seconds))
        try:
            with self.client.stream("GET", url, params=clean or None, headers=self._headers,
                                    timeout=timeout) as response:
                limited = rate_limited(response.status_code, response.headers,
                                       datetime.now(UTC), self.base_url)
                if limited is not None:
                    raise limited
                if response.status_code >= 400:
                    raise SourceUnavailable(f"{url} answered HTTP {response.status_code}")
                # split on line ends only: iter_lines() also splits at U+2028, which
                # statuses carry raw inside their JSON
                pending = b""
                for chunk in response.iter_bytes():
                    pending += chunk
                    *lines, pending = pending.split(b"\n")
                    for line in lines:
                        yield line.rstrip(b"\r").decode("utf-8", "replace")
                    if time.monotonic() >= deadline:
                        return
        except (httpx.ReadTimeout, httpx.RemoteProtocolError, httpx.ReadError):
            return
        except httpx.HTTPError as exc:
            raise SourceUnavailable(f"could not stream {url}: {type(exc).__name__}") from None

    def get(self, path: str, params: dict[str, Any] | None = None, *,
            raw: bool = False) -> Reply:
        """GET ``path`` (relative to the base URL, or absolute) and decode it (``raw``:
        its bytes, for a parser that reads the encoding the document declares)."""
        url = self.url(path)
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        now = datetime.now(UTC)
        try:
            # an empty params mapping would drop the query of a "next" link
            response = self.client.get(url, params=clean or None, headers=self._headers,
                                       follow_redirects=False)
            # redirects only on the source's own host: the client would send the
            # credential headers (all but Authorization) to any site it was pointed at
            for _ in range(_MAX_REDIRECTS):
                if response.next_request is None:
                    break
                self.url(str(response.next_request.url))
                response.close()
                response = self.client.send(response.next_request, follow_redirects=False)
        except httpx.TimeoutException:
            raise SourceUnavailable(f"timed out reading {url}") from None
        except httpx.HTTPError as exc:
            raise SourceUnavailable(f"could not reach {url}: {type(exc).__name__}") from None
        status = response.status_code
        limited = rate_limited(status, response.headers, now, self.base_url)
        if limited is not None:
            raise limited
        if status in (401, 403):
            raise SourceUnavailable(f"{self.base_url} refused the credentials (HTTP {status}); "
                                    "check the token in the environment")
        if status in (400, 410, 422):
            raise SourceUnavailable(f"{url} answered HTTP {status}: {response.text[:160]}",
                                    expired_cursor=True, body=response.text)
        if status >= 400:
            raise SourceUnavailable(f"{url} answered HTTP {status}")
        try:
            body = response.content if raw else orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            raise SourceUnavailable(f"{url} answered with malformed JSON ({exc.msg}); "
                                    "the response was cut short?") from None
        not_before = reset_time(response.headers, now) if _exhausted(response.headers) \
            else None
        if not_before is not None:
            self.not_before = max(not_before, self.not_before or not_before)
        # the URL without its query: it goes into errors and state, and a query may hold
        # a key (Stack Exchange's ``key=``)
        return Reply(body, response.headers, url, not_before)
