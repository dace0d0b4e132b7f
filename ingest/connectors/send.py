"""Sending replies through platforms' write APIs: Mastodon, Bluesky, Discourse.

Each platform has a :class:`Sender` with two calls: ``send`` posts the reply once, and
``find`` asks the platform whether an earlier try already created it (the outbox calls
it before any retry, and for a try cut short, so a reply is never posted twice):

- **Mastodon**: ``POST /api/v1/statuses`` with ``in_reply_to_id`` and an
  ``Idempotency-Key`` header (the server answers a repeat of the key with the status it
  created, for an hour); the status begins with the customer's ``@user@host`` unless the
  reply names them (Mastodon notifies mentioned accounts only); ``find`` reads
  ``GET /api/v1/statuses/:id/context`` for a reply by the token's account
  (``verify_credentials``) with the same text after its leading mentions.
- **Bluesky**: ``com.atproto.server.createSession`` (identifier + app password) on the
  account's PDS, the parent's ``cid`` and thread root from ``app.bsky.feed.getPosts``,
  then ``com.atproto.repo.createRecord`` of an ``app.bsky.feed.post`` under a record key
  fixed by the response (:func:`graph.outbox.bluesky_rkey`): a second create of it
  fails, and ``find`` is ``com.atproto.repo.getRecord`` of that key.
- **Discourse**: ``POST /posts.json`` with ``topic_id`` / ``reply_to_post_number`` and
  the ``Api-Key`` / ``Api-Username`` headers; ``find`` reads that user's latest posts in
  the topic (``/t/:id.json?username_filters=…`` for the ids, then
  ``/t/:id/posts.json?post_ids[]=…``) for one replying to the same post, made since the
  try began, with the same words.

Credentials come from the settings (environment or ``.env``) on every round, travel only
in request headers or bodies to the configured host, and never appear in an error.
Failures are :class:`SendError`: ``permanent`` (the platform refused the request: trying
again cannot help) or not, with ``retry_at`` from ``Retry-After`` or (a 429's) the
rate-limit reset.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from graph.outbox import OutboxItem, bluesky_rkey
from ingest.connectors.http import _when, reset_time

__all__ = ["SENDERS", "SendError", "Sender", "Sent", "sender_for"]

_RETRY_STATUS = frozenset({408, 425, 429})
_TAGS = re.compile(r"<[^>]+>")
_WORDS = re.compile(r"[\W_]+")  # letters and digits of every script stay


class SendError(Exception):
    """A try that did not post: why (one line, no credentials), whether trying again
    cannot help, and when the platform said to come back."""

    def __init__(self, reason: str, *, permanent: bool = False,
                 retry_at: datetime | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.retry_at = retry_at


@dataclass(frozen=True, slots=True)
class Sent:
    """The reply on its platform: its id there (the key scrm would give it) and link."""

    remote_id: str
    url: str | None


def _words(text: str) -> str:
    """Text reduced to its lower-case letters and digits, in any script (markup,
    punctuation and spacing differ between what was sent and what a platform shows)."""
    return _WORDS.sub("", html.unescape(_TAGS.sub(" ", text)).lower())


_LEADING_MENTIONS = re.compile(r"^\s*(?:@[\w.-]+(?:@[\w.-]+(?::\d+)?)?[\s,:]*)+")


def unmentioned(text: str) -> str:
    """A post's text (markup removed) without the @mentions it begins with: Mastodon
    shows ``@user`` for the ``@user@host`` that was sent."""
    return _LEADING_MENTIONS.sub("", html.unescape(_TAGS.sub(" ", text)))


def same_text(shown: str, sent: str) -> bool:
    """Whether a platform's rendering of a post is the text that was sent."""
    a, b = _words(shown), _words(sent)
    return bool(b) and (a == b or (len(b) >= 40 and a.startswith(b[:40])))


class Api:
    """Requests to one platform: its base URL, JSON in and out, errors as SendError."""

    def __init__(self, client: httpx.Client, base_url: str, name: str) -> None:
        self.client = client
        self.base_url = base_url.rstrip("/")
        self.name = name

    def call(self, method: str, path: str, *, headers: dict[str, str] | None = None,
             json: Any = None, params: Any = None, ok_missing: bool = False) -> Any:
        url = self.base_url + path
        try:
            response = self.client.request(method, url, headers=headers, json=json,
                                           params=params)
        except httpx.TimeoutException:
            raise SendError(f"{self.name} did not answer in time ({method} {path})") from None
        except httpx.HTTPError as exc:
            raise SendError(f"could not reach {self.name}: {type(exc).__name__}") from None
        now = datetime.now(UTC)  # a Retry-After counts from the answer
        status = response.status_code
        if ok_missing and status in (400, 404):
            return None
        if 200 <= status < 300:
            try:
                return orjson.loads(response.content) if response.content else {}
            except orjson.JSONDecodeError:
                raise SendError(f"{self.name} answered {method} {path} with malformed "
                                "JSON") from None
        retry = response.headers.get("retry-after")
        # a window's reset is when to come back only when rate limited (Bluesky's PDS and
        # Mastodon send it on every answer: a 5xx would wait, and hold the platform, for it)
        at = _when(retry, now) if retry else \
            reset_time(response.headers, now) if status == 429 else None
        if status == 429 or status >= 500 or status in _RETRY_STATUS:
            raise SendError(f"{self.name} answered HTTP {status} to {method} {path}"
                            + (" (rate limited)" if status == 429 else ""), retry_at=at)
        if status in (401, 403):
            raise SendError(f"{self.name} refused the credentials (HTTP {status}); check "
                            "them in the environment", permanent=True)
        detail = _detail(response)
        raise SendError(f"{self.name} refused {method} {path} (HTTP {status})"
                        + (f": {detail}" if detail else ""), permanent=True)


def _detail(response: httpx.Response) -> str:
    """A platform's own short reason for a refusal (never echoing request headers)."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, dict):
        for name in ("error", "message", "errors"):
            value = body.get(name)
            if isinstance(value, list):
                value = "; ".join(str(v) for v in value)
            if isinstance(value, str) and value:
                return value[:200]
    return ""


@dataclass(slots=True)
class Reply:
    """What a sender needs about one reply: the item and the text to post, and the
    platform ids other replies were sent as (``find`` never takes one of those for this
    one: two replies to a post may begin alike)."""

    item: OutboxItem
    text: str
    taken: Collection[str] = ()


class Sender:
    """One platform's write API (subclasses), set up for one round."""

    platform = ""

    def __init__(self, client: httpx.Client, settings: Any) -> None:
        self.client = client
        self.settings = settings

    def send(self, reply: Reply) -> Sent:
        raise NotImplementedError

    def find(self, reply: Reply) -> Sent | None:
        raise NotImplementedError


def _secret(value: Any) -> str:
    return str(value.get_secret_value() if hasattr(value, "get_secret_value") else value or "")


class MastodonSender(Sender):
    platform = "mastodon"

    def __init__(self, client: httpx.Client, settings: Any) -> None:
        super().__init__(client, settings)
        self.api = Api(client, settings.mastodon_url, "Mastodon")
        self.host = urlsplit(settings.mastodon_url).netloc
        self._me: str | None = None

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {_secret(self.settings.mastodon_token)}"}

    def _sent(self, status: dict[str, Any]) -> Sent:
        return Sent(f"{self.host}/{status['id']}", status.get("url") or status.get("uri"))

    @staticmethod
    def status_text(reply: Reply) -> str:
        """The status: the reply with its person's ``@user@host`` in front, unless it
        names them already. Mastodon notifies the accounts a status mentions, not the
        author of the status it answers: without it the customer was never told."""
        author = reply.item.target_author or ""
        handle = author.partition(":")[2] if author.startswith("mastodon:") else ""
        user = handle.split("@", 1)[0]
        if not user or re.search(rf"(?<![\w@])@{re.escape(user)}(?![\w-])", reply.text,
                                 re.IGNORECASE):
            return reply.text
        return f"@{handle} {reply.text}"

    def send(self, reply: Reply) -> Sent:
        in_reply_to = reply.item.target_id.split("/", 1)[1]
        status = self.api.call(
            "POST", "/api/v1/statuses",
            headers={**self._auth(), "Idempotency-Key": reply.item.idempotency_key},
            json={"status": self.status_text(reply), "in_reply_to_id": in_reply_to})
        if not isinstance(status, dict) or not status.get("id"):
            raise SendError("Mastodon answered the post without a status id")
        return self._sent(status)

    def find(self, reply: Reply) -> Sent | None:
        in_reply_to = reply.item.target_id.split("/", 1)[1]
        if self._me is None:
            me = self.api.call("GET", "/api/v1/accounts/verify_credentials",
                               headers=self._auth())
            self._me = str(me.get("id")) if isinstance(me, dict) else ""
        context = self.api.call("GET", f"/api/v1/statuses/{in_reply_to}/context",
                                headers=self._auth(), ok_missing=True) or {}
        for status in context.get("descendants") or []:
            if not isinstance(status, dict):
                continue
            if str(status.get("in_reply_to_id")) == in_reply_to \
                    and str((status.get("account") or {}).get("id")) == self._me \
                    and same_text(unmentioned(str(status.get("content") or "")),
                                  unmentioned(reply.text)) \
                    and self._sent(status).remote_id not in reply.taken:
                return self._sent(status)
        return None


class BlueskySender(Sender):
    platform = "bluesky"
    collection = "app.bsky.feed.post"

    def __init__(self, client: httpx.Client, settings: Any) -> None:
        super().__init__(client, settings)
        self.api = Api(client, settings.bluesky_pds_url, "Bluesky")
        self._session: dict[str, Any] | None = None

    def _login(self) -> dict[str, Any]:
        if self._session is None:
            session = self.api.call("POST", "/xrpc/com.atproto.server.createSession", json={
                "identifier": self.settings.bluesky_identifier,
                "password": _secret(self.settings.bluesky_app_password)})
            if not isinstance(session, dict) or not session.get("accessJwt") \
                    or not session.get("did"):
                raise SendError("Bluesky answered the sign-in without a session")
            self._session = session
        return self._session

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._login()['accessJwt']}"}

    def _sent(self, uri: str) -> Sent:
        rkey = uri.rsplit("/", 1)[-1]
        who = self._login().get("handle") or self._login()["did"]
        return Sent(uri, f"https://bsky.app/profile/{who}/post/{rkey}")

    def find(self, reply: Reply) -> Sent | None:
        record = self.api.call(
            "GET", "/xrpc/com.atproto.repo.getRecord", headers=self._auth(), ok_missing=True,
            params={"repo": self._login()["did"], "collection": self.collection,
                    "rkey": bluesky_rkey(reply.item)})
        if isinstance(record, dict) and record.get("uri"):
            return self._sent(str(record["uri"]))
        return None

    def _refs(self, parent_uri: str) -> dict[str, Any]:
        found = self.api.call("GET", "/xrpc/app.bsky.feed.getPosts", headers=self._auth(),
                              params={"uris": parent_uri})
        posts = found.get("posts") if isinstance(found, dict) else None
        if not posts:
            raise SendError("Bluesky no longer has the post to answer", permanent=True)
        parent = {"uri": posts[0]["uri"], "cid": posts[0]["cid"]}
        root = ((posts[0].get("record") or {}).get("reply") or {}).get("root")
        if not (isinstance(root, dict) and root.get("uri") and root.get("cid")):
            root = parent
        return {"root": {"uri": root["uri"], "cid": root["cid"]}, "parent": parent}

    def send(self, reply: Reply) -> Sent:
        refs = self._refs(reply.item.target_id)
        created = (reply.item.created_at or datetime.now(UTC)).astimezone(UTC)
        record = {"$type": self.collection, "text": reply.text, "reply": refs,
                  "createdAt": created.isoformat(timespec="milliseconds")
                  .replace("+00:00", "Z")}
        try:
            answer = self.api.call("POST", "/xrpc/com.atproto.repo.createRecord",
                                   headers=self._auth(), json={
                                       "repo": self._login()["did"],
                                       "collection": self.collection,
                                       "rkey": bluesky_rkey(reply.item), "record": record})
        except SendError as exc:
            if exc.permanent:  # the key is taken: an earlier try made it
                existing = self.find(reply)
                if existing is not None:
                    return existing
            raise
        if not isinstance(answer, dict) or not answer.get("uri"):
            raise SendError("Bluesky answered the post without its uri")
        return self._sent(str(answer["uri"]))


class DiscourseSender(Sender):
    platform = "discourse"

    def __init__(self, client: httpx.Client, settings: Any) -> None:
        super().__init__(client, settings)
        self.base_url = str(settings.discourse_url).rstrip("/")
        self.api = Api(client, self.base_url, "Discourse")
        self.host = urlsplit(self.base_url).netloc
        self.username = str(settings.discourse_api_username or "")

    def _auth(self) -> dict[str, str]:
        return {"Api-Key": _secret(self.settings.discourse_api_key),
                "Api-Username": self.username}

    @staticmethod
    def _where(reply: Reply) -> tuple[int, int]:
        _, _, rest = reply.item.target_id.partition("/t/")
        topic, _, number = rest.partition("/")
        try:
            return int(topic), int(number or 1)
        except ValueError:
            raise SendError("the post to answer has no topic and number",
                            permanent=True) from None

    def _sent(self, topic: int, post: dict[str, Any]) -> Sent:
        number = post.get("post_number")
        return Sent(f"{self.host}/t/{topic}/{number}", f"{self.base_url}/t/{topic}/{number}")

    def send(self, reply: Reply) -> Sent:
        topic, number = self._where(reply)
        body: dict[str, Any] = {"topic_id": topic, "raw": reply.text}
        if number > 1:
            body["reply_to_post_number"] = number
        post = self.api.call("POST", "/posts.json", headers=self._auth(), json=body)
        if not isinstance(post, dict) or post.get("post_number") is None:
            raise SendError("Discourse answered the post without its number")
        return self._sent(int(post.get("topic_id") or topic), post)

    def find(self, reply: Reply) -> Sent | None:
        topic, number = self._where(reply)
        # only the first post and this user's: the topic's own latest 30 may all be newer
        view = self.api.call("GET", f"/t/{topic}.json", headers=self._auth(),
                             params={"username_filters": self.username},
                             ok_missing=True) or {}
        ids = ((view.get("post_stream") or {}).get("stream") or [])[-30:]
        if not ids:
            return None
        found = self.api.call("GET", f"/t/{topic}/posts.json", headers=self._auth(),
                              params=[("post_ids[]", str(i)) for i in ids]) or {}
        since = (reply.item.sending_at or reply.item.created_at or datetime.now(UTC)) \
            - timedelta(minutes=5)
        for post in (found.get("post_stream") or {}).get("posts") or []:
            if not isinstance(post, dict):
                continue
            answers = post.get("reply_to_post_number") or 1
            try:
                made = datetime.fromisoformat(str(post.get("created_at")).replace("Z",
                                                                                  "+00:00"))
            except ValueError:
                continue
            if str(post.get("username", "")).lower() == self.username.lower() \
                    and answers == number and made >= since \
                    and same_text(str(post.get("raw") or post.get("cooked") or ""),
                                  reply.text) \
                    and self._sent(topic, post).remote_id not in reply.taken:
                return self._sent(topic, post)
        return None


SENDERS: dict[str, Callable[[httpx.Client, Any], Sender]] = {
    "mastodon": MastodonSender,
    "bluesky": BlueskySender,
    "discourse": DiscourseSender,
}


def sender_for(platform: str, client: httpx.Client, settings: Any) -> Sender:
    """The sender of ``platform`` (KeyError: scrm does not send there)."""
    return SENDERS[platform](client, settings)


def base_url(platform: str, settings: Any) -> str:
    """Where replies on ``platform`` are sent (for the private-address check)."""
    return str({"mastodon": settings.mastodon_url, "bluesky": settings.bluesky_pds_url,
                "discourse": settings.discourse_url}[platform] or "")
