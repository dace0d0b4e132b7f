"""A local fake of the platforms' write APIs (Mastodon, Bluesky, Discourse) on 127.0.0.1.

Built from the platforms' documented request and response shapes (Mastodon's
``POST /api/v1/statuses`` Status entity and ``Idempotency-Key`` behaviour, its
``/context`` and ``verify_credentials``; the AT Protocol's ``createSession``,
``createRecord``, ``getRecord`` and ``app.bsky.feed.getPosts``; Discourse's
``POST /posts.json``, ``/t/:id.json`` post stream and ``/t/:id/posts.json?post_ids[]``)
and the recorded reads in ``../shared/data/LIVE-APIS.md`` (field names, id forms). It
keeps what was posted and counts it, so a test can tell a reply posted once from one
posted twice, and it can misbehave on purpose: answer 500 or 429, or create the post and
then answer too late (or never, while a test kills the sender).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

MASTODON_TOKEN = "mastodon-secret-token-123"
BLUESKY_PASSWORD = "bsky-app-pass-456"
BLUESKY_JWT = "eyJ-access-jwt-789"
DISCOURSE_KEY = "discourse-api-key-abc"
BRAND_DID = "did:plc:brandbrandbrand"
PARENT_URI = "at://did:plc:customer/app.bsky.feed.post/3kparent"
ROOT_URI = "at://did:plc:customer/app.bsky.feed.post/3kroot"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class FakePlatforms:
    """State of the fake: what was posted, and what the next write requests do.

    ``plan`` is a list of behaviours taken one per write request (``POST`` of a status,
    a record or a post), then ``ok``: ``500``, ``429:<seconds>`` (with ``Retry-After``),
    ``late:<seconds>`` (create, then answer after that long), ``401``, ``500reset:<seconds>``
    (a 500 carrying the rate-limit headers of a window, far from exhausted, that resets
    that long from now: Bluesky's PDS and Mastodon send them on every answer).
    ``on_request`` is called with the method and path of each request before it is
    answered (a test does what another writer would do meanwhile).
    """

    port: int = 0
    plan: list[str] = field(default_factory=list)
    statuses: list[dict[str, Any]] = field(default_factory=list)
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    discourse_posts: list[dict[str, Any]] = field(default_factory=list)
    writes: int = 0  # write requests received (posts or not)
    seen_headers: list[dict[str, str]] = field(default_factory=list)
    idempotency: dict[str, dict[str, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    on_request: Callable[[str, str], None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def posted(self) -> int:
        """Replies created on every platform."""
        return len(self.statuses) + len(self.records) + len(self.discourse_posts)

    def next_behaviour(self) -> str:
        with self.lock:
            self.writes += 1
            return self.plan.pop(0) if self.plan else "ok"


class _Handler(BaseHTTPRequestHandler):
    fake: FakePlatforms

    def log_message(self, *args: Any) -> None:
        pass

    # ------------------------------------------------------------------ plumbing
    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout): what was created stays created

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"{}")

    def _refuse(self, behaviour: str) -> bool:
        """Answer a failure before creating anything; True when answered."""
        if behaviour == "500":
            self._send(500, {"error": "Internal Server Error"})
        elif behaviour.startswith("429:"):
            self._send(429, {"error": "Too many requests"},
                       {"Retry-After": behaviour.split(":", 1)[1]})
        elif behaviour == "401":
            self._send(401, {"error": "The access token is invalid"})
        elif behaviour.startswith("500reset:"):
            reset = int(time.time() + float(behaviour.split(":", 1)[1]))
            self._send(500, {"error": "InternalServerError"},
                       {"ratelimit-limit": "5000", "ratelimit-remaining": "4999",
                        "ratelimit-reset": str(reset), "ratelimit-policy": "5000;w=3600"})
        else:
            return False
        return True

    def _late(self, behaviour: str) -> None:
        if behaviour.startswith("late:"):
            time.sleep(float(behaviour.split(":", 1)[1]))

    # ------------------------------------------------------------------ routes
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.fake.seen_headers.append(dict(self.headers))
        url = urlsplit(self.path)
        if self.fake.on_request is not None:
            self.fake.on_request("GET", url.path)
        query = parse_qs(url.query)
        path = url.path
        if path == "/api/v1/accounts/verify_credentials":
            self._send(200, {"id": "1", "username": "brand", "acct": "brand"})
        elif path.startswith("/api/v1/statuses/") and path.endswith("/context"):
            parent = path.split("/")[4]
            self._send(200, {"ancestors": [], "descendants": [
                s for s in self.fake.statuses if s["in_reply_to_id"] == parent]})
        elif path == "/xrpc/app.bsky.feed.getPosts":
            uri = query["uris"][0]
            self._send(200, {"posts": [{
                "uri": uri, "cid": "bafyparent",
                "author": {"did": "did:plc:customer", "handle": "ana.bsky.social"},
                "record": {"$type": "app.bsky.feed.post", "text": "this is broken",
                           "createdAt": "2026-11-01T09:00:00.000Z",
                           "reply": {"root": {"uri": ROOT_URI, "cid": "bafyroot"},
                                     "parent": {"uri": ROOT_URI, "cid": "bafyroot"}}},
                "indexedAt": "2026-11-01T09:00:01.000Z"}]})
        elif path == "/xrpc/com.atproto.repo.getRecord":
            record = self.fake.records.get(query["rkey"][0])
            if record is None:
                self._send(400, {"error": "RecordNotFound",
                                 "message": "Could not locate record"})
            else:
                self._send(200, record)
        elif path.startswith("/t/") and path.endswith("/posts.json"):
            topic = int(path.split("/")[2])
            wanted = {int(i) for i in query.get("post_ids[]", [])}
            self._send(200, {"id": topic, "post_stream": {"posts": [
                p for p in self.fake.discourse_posts if p["id"] in wanted]}})
        elif path.startswith("/t/") and path.endswith(".json"):
            topic = int(path.split("/")[2].removesuffix(".json"))
            mine = [p for p in self.fake.discourse_posts if p["topic_id"] == topic]
            if "username_filters" in query:  # the first post and theirs (TopicView)
                users = {u.lower() for u in query["username_filters"]}
                mine = [p for p in mine if str(p["username"]).lower() in users]
            self._send(200, {"id": topic, "post_stream": {
                "posts": mine[:20], "stream": [900, *(p["id"] for p in mine)]}})
        else:
            self._send(404, {"error": "not found"})

    def do_POST(self) -> None:  # noqa: N802
        self.fake.seen_headers.append(dict(self.headers))
        path = urlsplit(self.path).path
        body = self._body()
        if self.fake.on_request is not None:
            self.fake.on_request("POST", path)
        if path == "/xrpc/com.atproto.server.createSession":
            if body.get("password") != BLUESKY_PASSWORD:
                self._send(401, {"error": "AuthenticationRequired",
                                 "message": "Invalid identifier or password"})
                return
            self._send(200, {"did": BRAND_DID, "handle": "brand.bsky.social",
                             "accessJwt": BLUESKY_JWT, "refreshJwt": "r"})
            return
        behaviour = self.fake.next_behaviour()
        if self._refuse(behaviour):
            return
        if path == "/api/v1/statuses":
            if self.headers.get("Authorization") != f"Bearer {MASTODON_TOKEN}":
                self._send(401, {"error": "The access token is invalid"})
                return
            key = self.headers.get("Idempotency-Key")
            with self.fake.lock:
                status = self.fake.idempotency.get(key or "")
                if status is None:
                    n = 200 + len(self.fake.statuses)
                    status = {"id": str(n), "created_at": _now(),
                              "in_reply_to_id": body.get("in_reply_to_id"),
                              "content": f"<p>{body['status']}</p>",
                              "url": f"{self.fake.url}/@brand/{n}",
                              "uri": f"{self.fake.url}/users/brand/statuses/{n}",
                              "account": {"id": "1", "username": "brand", "acct": "brand"},
                              "visibility": "public"}
                    self.fake.statuses.append(status)
                    if key:
                        self.fake.idempotency[key] = status
            self._late(behaviour)
            self._send(200, status)
        elif path == "/xrpc/com.atproto.repo.createRecord":
            if self.headers.get("Authorization") != f"Bearer {BLUESKY_JWT}":
                self._send(401, {"error": "AuthenticationRequired"})
                return
            rkey = body["rkey"]
            uri = f"at://{BRAND_DID}/{body['collection']}/{rkey}"
            with self.fake.lock:
                if rkey in self.fake.records:
                    taken = True
                else:
                    taken = False
                    self.fake.records[rkey] = {"uri": uri, "cid": "bafyreply",
                                               "value": body["record"]}
            if taken:
                self._send(400, {"error": "InvalidRequest",
                                 "message": f"Record already exists: {uri}"})
                return
            self._late(behaviour)
            self._send(200, {"uri": uri, "cid": "bafyreply",
                             "commit": {"cid": "bafycommit", "rev": "3k"},
                             "validationStatus": "valid"})
        elif path == "/posts.json":
            if self.headers.get("Api-Key") != DISCOURSE_KEY:
                self._send(403, {"errors": ["You are not permitted to view the requested "
                                            "resource."], "error_type": "invalid_access"})
                return
            with self.fake.lock:
                n = len(self.fake.discourse_posts)
                post = {"id": 1000 + n, "topic_id": body["topic_id"], "post_number": 5 + n,
                        "username": self.headers.get("Api-Username"),
                        "created_at": _now(), "cooked": f"<p>{body['raw']}</p>",
                        "raw": body["raw"],
                        "reply_to_post_number": body.get("reply_to_post_number")}
                self.fake.discourse_posts.append(post)
            self._late(behaviour)
            self._send(200, post)
        else:
            self._send(404, {"error": "not found"})


@contextmanager
def fake_platforms() -> Iterator[FakePlatforms]:
    """A running fake on an ephemeral port of 127.0.0.1."""
    fake = FakePlatforms()
    handler = type("Handler", (_Handler,), {"fake": fake})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    fake.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
