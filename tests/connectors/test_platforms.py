"""Each connector against its recorded responses, replayed from 127.0.0.1."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from ingest.connectors import stackexchange
from ingest.connectors.bluesky import jetstream_records
from tests.connectors.replay import Canned, ReplayServer, recorded, replay_server


def _wait(next_try: str | None) -> float:
    assert next_try is not None
    return (datetime.fromisoformat(next_try) - datetime.now(UTC)).total_seconds()


# --- Bluesky -------------------------------------------------------------------------

def test_bluesky_search_replies_and_mentions(poller: Any, server: ReplayServer,
                                             shared_data: Path) -> None:
    path = shared_data / "bluesky/searchPosts_q-rstats_limit100.json"
    body = json.loads(path.read_text())
    server.route("/xrpc/app.bsky.feed.searchPosts",
                 lambda q: Canned(b'{"posts": []}') if q.get("cursor") else recorded(path))
    monitor = poller.add("bluesky", server.url, query="rstats")
    outcome = poller.poll(monitor)
    assert (outcome.loaded, outcome.rejected) == (100, 0)
    counts = poller.store.counts()
    assert counts["Post"] >= 100
    assert counts["REPLY_TO"] + counts["PendingEdge"] >= 10
    assert counts["MENTIONS"] >= 1
    state = poller.get(monitor.id).state
    assert state.cursor == max(datetime.fromisoformat(p["indexedAt"].replace("Z", "+00:00"))
                               for p in body["posts"]).isoformat()
    again = poller.poll(monitor)  # only the post at the cursor's time again: nothing new
    assert again.read <= 1 and poller.store.counts() == counts


def test_bluesky_author_feed_takes_the_reply_parents(poller: Any, server: ReplayServer,
                                                     shared_data: Path) -> None:
    path = shared_data / "bluesky/getAuthorFeed_chriskenny.bsky.social.json"
    server.route("/xrpc/app.bsky.feed.getAuthorFeed",
                 lambda q: Canned(b'{"feed": []}') if q.get("cursor") else recorded(path))
    monitor = poller.add("bluesky", server.url, actor="chriskenny.bsky.social")
    outcome = poller.poll(monitor)
    assert outcome.error is None and outcome.rejected == 0
    assert outcome.read > 50  # 50 feed posts and the parents/roots of the 24 replies
    assert poller.store.counts()["REPLY_TO"] >= 20


def test_bluesky_thread_and_notifications(poller: Any, server: ReplayServer,
                                          shared_data: Path) -> None:
    server.add("/xrpc/app.bsky.feed.getPostThread",
               recorded(shared_data / "bluesky/getPostThread_3kbi55xm6u62v.json"))
    thread = poller.add("bluesky", server.url, thread="at://x/app.bsky.feed.post/3kbi55xm6u62v")
    outcome = poller.poll(thread)
    assert outcome.read >= 4 and outcome.rejected == 0
    notes = shared_data / "bluesky/listNotifications.json"
    server.route("/xrpc/app.bsky.notification.listNotifications",
                 lambda q: Canned(b'{"notifications": []}') if q.get("cursor")
                 else recorded(notes))
    mentions = poller.add("bluesky", server.url, mentions="yes")
    outcome = poller.poll(mentions, settings={"bluesky_token": SecretStr("tok-123")})
    wanted = [n for n in json.loads(notes.read_text())["notifications"]
              if n["reason"] in ("mention", "reply", "quote")]
    assert outcome.read == len(wanted) and outcome.rejected == 0
    # the credential went to the platform, and nowhere else
    assert server.headers[-1]["authorization"] == "Bearer tok-123"
    assert "tok-123" not in poller.states.path.read_text()


def test_jetstream_events(shared_data: Path) -> None:
    lines = (shared_data / "bluesky/jetstream_v1_window_152_events.jsonl").read_text().split("\n")
    records = [r for line in lines if line for r in jetstream_records(json.loads(line))]
    posts = [r for r in records if type(r).__name__ == "Post"]
    assert len(posts) == 17
    assert sum(1 for p in posts if p.parent_id) == 8
    # no recorded event mentions anyone; this one is built from the post record's
    # documented facet shape (lexicon app.bsky.richtext.facet)
    event = {"did": "did:plc:abc", "time_us": 1, "kind": "commit", "commit": {
        "operation": "create", "collection": "app.bsky.feed.post", "rkey": "3k", "record": {
            "text": "hi @brand.bsky.social", "createdAt": "2026-01-01T00:00:00Z",
            "facets": [{"index": {"byteStart": 3, "byteEnd": 21}, "features": [
                {"$type": "app.bsky.richtext.facet#mention", "did": "did:plc:brand"}]}]}}}
    post = jetstream_records(event)[-1]
    assert post.mentions == ("brand.bsky.social",)


# --- Reddit --------------------------------------------------------------------------

def test_reddit_comments_and_rate_limit(poller: Any, server: ReplayServer,
                                        shared_data: Path) -> None:
    path = shared_data / "reddit-api/r_askreddit_comments_limit100.json"
    empty = Canned(b'{"kind": "Listing", "data": {"children": [], "after": null}}')
    server.route("/r/askreddit/comments", lambda q: empty if q.get("after") else recorded(path))
    monitor = poller.add("reddit", server.url, subreddit="askreddit")
    outcome = poller.poll(monitor)
    assert (outcome.loaded, outcome.rejected) == (100, 0)
    assert poller.get(monitor.id).state.cursor == "t1_d4y8bdp"
    counts = poller.store.counts()
    assert counts["REPLY_TO"] + counts["PendingEdge"] == 100
    # the mentions recording carries x-ratelimit-*; a used-up window (remaining 0,
    # reset in 53 s) delays the next poll to the reset
    mentions = recorded(shared_data / "reddit-api/message_mentions_limit16.json")
    mentions.headers["x-ratelimit-remaining"] = "0"
    server.route("/message/mentions", lambda q: empty if q.get("after") else mentions)
    inbox = poller.add("reddit", server.url, mentions="yes")
    outcome = poller.poll(inbox)
    assert outcome.loaded == 16
    assert 57 < _wait(poller.get(inbox.id).state.next_try) <= 61  # interval 60 > reset 53
    mentions.headers["x-ratelimit-reset"] = "500"
    poller.poll(inbox)
    assert 480 < _wait(poller.get(inbox.id).state.next_try) <= 501


def test_reddit_item_with_an_impossible_time_is_rejected(poller: Any, server: ReplayServer,
                                                         shared_data: Path) -> None:
    """A comment whose created_utc is past any datetime (OverflowError, not ValueError)
    goes to the rejects file; it stopped the whole poll, every poll, while it was listed."""
    listing = json.loads((shared_data / "reddit-api/r_askreddit_comments_limit100.json")
                         .read_text())
    listing["data"]["children"][5]["data"]["created_utc"] = 1e20
    empty = Canned(b'{"kind": "Listing", "data": {"children": [], "after": null}}')
    body = json.dumps(listing).encode()
    server.route("/r/askreddit/comments", lambda q: empty if q.get("after") else Canned(body))
    monitor = poller.add("reddit", server.url, subreddit="askreddit")
    outcome = poller.poll(monitor)
    assert outcome.error is None, outcome.error
    assert (outcome.loaded, outcome.rejected) == (99, 1)
    assert poller.get(monitor.id).state.cursor == "t1_d4y8bdp"
    assert len(poller.rejects()) == 1


# --- Twitter -------------------------------------------------------------------------

def test_twitter_mentions_and_search_pages(poller: Any, server: ReplayServer,
                                           shared_data: Path) -> None:
    data = shared_data / "twitter-v2-api"
    server.add("/2/users/1145936974064177152/mentions",
               recorded(data / "users_1145936974064177152_mentions.json"))
    mentions = poller.add("twitter", server.url, user_id="1145936974064177152")
    outcome = poller.poll(mentions, settings={"twitter_bearer_token": SecretStr("b-1")})
    assert (outcome.loaded, outcome.rejected) == (6, 0)
    assert poller.get(mentions.id).state.cursor == "1400118288307277824"
    assert server.headers[-1]["authorization"] == "Bearer b-1"
    # No search/recent recording exists: the full-archive search pages (same response
    # format, same next_token paging) stand in for it.
    first = recorded(data / "search_all_standwithhongkong_page_with_next_token.json")
    last = recorded(data / "search_all_commtwitter_last_page.json")
    server.route("/2/tweets/search/recent",
                 lambda q: last if q.get("next_token") else first)
    search = poller.add("twitter", server.url, query="#standwithhongkong")
    outcome = poller.poll(search)
    assert outcome.rejected == 0 and outcome.loaded == 495 + 27
    assert server.requests[-1][1]["next_token"] == json.loads(first.body)["meta"]["next_token"]


def test_twitter_expired_cursor_restarts_and_records_the_gap(
        poller: Any, server: ReplayServer, shared_data: Path) -> None:
    data = shared_data / "twitter-v2-api"
    page = recorded(data / "users_1145936974064177152_mentions.json")
    # Twitter answers a since_id older than the search window with a 400 of this form
    # (built from the documented problem shape; the recorded 400 is about start_time)
    refused = Canned(json.dumps({"errors": [{"parameters": {"since_id": ["1"]},
                                             "message": "Invalid 'since_id':'1'."}],
                                 "title": "Invalid Request"}).encode(), 400)
    server.route("/2/tweets/search/recent", lambda q: refused if q.get("since_id") else page)
    monitor = poller.add("twitter", server.url, query="brand")
    state = poller.get(monitor.id).state
    state.cursor, state.last_success = "1", "2026-01-01T00:00:00+00:00"
    poller.states.save_state(monitor.id, state)
    outcome = poller.poll(monitor)
    assert outcome.error is None and outcome.loaded == 6
    state = poller.get(monitor.id).state
    assert state.gap_since == "2026-01-01T00:00:00+00:00"
    assert state.cursor == "1400118288307277824"


def test_twitter_invalid_request_keeps_the_cursor(
        poller: Any, server: ReplayServer, shared_data: Path) -> None:
    """A 400 about anything but ``since_id`` (here the recorded one, about start_time) is
    not a refused cursor: it was taken for one, so the cursor was dropped, a gap recorded
    and the request sent again at once; now the cursor stays and the state says why."""
    server.add("/2/tweets/search/recent", recorded(
        shared_data / "twitter-v2-api/search_all_400_invalid_request.json", status=400))
    monitor = poller.add("twitter", server.url, query="brand")
    state = poller.get(monitor.id).state
    state.cursor, state.last_success = "1400118288307277824", "2026-01-01T00:00:00+00:00"
    poller.states.save_state(monitor.id, state)
    outcome = poller.poll(monitor)
    assert outcome.error is not None and "Invalid 'start_time'" in outcome.error, outcome
    assert outcome.error.startswith("Twitter refused the request")
    state = poller.get(monitor.id).state
    assert (state.cursor, state.gap_since) == ("1400118288307277824", None), state
    assert server.hits("/2/tweets/search/recent") == 1


def test_twitter_401_says_to_check_the_token(poller: Any, server: ReplayServer,
                                             shared_data: Path) -> None:
    server.add("/2/tweets/search/recent",
               recorded(shared_data / "twitter-v2-api/search_all_401_unauthorized.json"))
    monitor = poller.add("twitter", server.url, query="brand")
    outcome = poller.poll(monitor)
    assert outcome.error is not None and "credentials" in outcome.error


# --- Discourse -----------------------------------------------------------------------

def test_discourse_latest_posts_with_reply_structure(poller: Any, server: ReplayServer,
                                                     shared_data: Path) -> None:
    posts = json.loads((shared_data / "discourse/posts.json").read_text())["latest_posts"]

    def respond(query: dict[str, str]) -> Canned:
        before = int(query.get("before", 1 << 60))
        return Canned(json.dumps({"latest_posts": [p for p in posts if p["id"] < before]
                                  }).encode())

    server.route("/posts.json", respond)
    monitor = poller.add("discourse", server.url)
    outcome = poller.poll(monitor)
    assert (outcome.loaded, outcome.rejected) == (50, 0)
    assert poller.get(monitor.id).state.cursor == "20218"
    host = server.url.split("//")[1]
    reply = next(p for p in posts if p.get("reply_to_post_number"))
    key = f"discourse:{host}/t/{reply['topic_id']}/{reply['post_number']}"
    details = poller.store.post_details([key])
    assert details.iloc[0]["conversation_key"] == f"discourse:{host}/t/{reply['topic_id']}/1"
    assert poller.poll(monitor).read == 0


def test_discourse_topic(poller: Any, server: ReplayServer, shared_data: Path) -> None:
    # the topic's last page, as /t/2108/452.json answered it (posts 433-452)
    server.add("/t/2108/last.json", recorded(shared_data / "discourse/t_2108_post_452.json"))
    server.add("/t/2108/posts.json", Canned(b'{"post_stream": {"posts": []}}'))
    monitor = poller.add("discourse", server.url, topic="2108")
    outcome = poller.poll(monitor)
    assert (outcome.loaded, outcome.rejected) == (20, 0)
    assert server.requests[1] == ("/t/2108/posts.json", {"post_number": "433"})


def _topic_2108(shared_data: Path) -> list[dict[str, Any]]:
    """Posts 1-80 of topic 2108 from its recorded /t/2108/posts.json pages."""
    found: dict[int, dict[str, Any]] = {}
    for name in ("", "_pn_21", "_pn_41", "_pn_61", "_pn_81"):
        body = json.loads((shared_data / f"discourse/t_2108_posts{name}.json").read_text())
        found.update((p["post_number"], p) for p in body["post_stream"]["posts"])
    return [found[n] for n in sorted(found)]


def test_discourse_topic_follows_its_newest_posts(poller: Any, server: ReplayServer,
                                                  shared_data: Path) -> None:
    # as the real forum answers: /t/2108/last.json its last 20 posts; posts.json without
    # post_number its first 20, with post_number=N the 20 before N, newest first
    posts = _topic_2108(shared_data)

    def respond(query: dict[str, str]) -> Canned:
        if "post_number" not in query:
            page = posts[:20]
        else:
            page = [p for p in reversed(posts) if p["post_number"] < int(query["post_number"])]
        return Canned(json.dumps({"post_stream": {"posts": page[:20]}, "id": 2108}).encode())

    server.route("/t/2108/posts.json", respond)
    server.route("/t/2108/last.json", lambda q: Canned(json.dumps(
        {"post_stream": {"posts": posts[-20:]}, "id": 2108}).encode()))
    monitor = poller.add("discourse", server.url, topic="2108")
    poller.poll(monitor)
    newest = max(posts, key=lambda p: p["id"])
    assert poller.get(monitor.id).state.cursor == str(newest["id"])
    host = server.url.split("//")[1]
    assert len(poller.store.post_details([f"discourse:{host}/t/2108/{newest['post_number']}"
                                          ])) == 1
    # a new post in the topic is read by the next poll
    posts.append({**newest, "id": newest["id"] + 1, "post_number": 81,
                  "reply_to_post_number": None})
    outcome = poller.poll(monitor)
    assert (outcome.read, outcome.loaded) == (1, 1)
    assert poller.get(monitor.id).state.cursor == str(newest["id"] + 1)


def test_discourse_redirect_to_another_site_is_not_followed(poller: Any, server: ReplayServer,
                                                            shared_data: Path) -> None:
    """The forum's API key goes only to the forum: a redirect to another site (its own
    Api-Key header kept by the HTTP client, which drops only Authorization) is refused
    like a "next" link to another site; one on the same site is followed."""
    from ingest.connectors.runner import run_monitors

    body = (shared_data / "discourse/try.discourse.org_posts.json").read_bytes()
    settings = {"monitor_allow_private": True, "discourse_api_key": SecretStr("key-42"),
                "discourse_api_username": SecretStr("system")}
    with replay_server() as other:
        other.add("/posts.json", Canned(body))
        server.add("/posts.json", Canned(status=302, headers={
            "location": f"{other.url}/posts.json"}))
        away = poller.add("discourse", server.url)
        seen: list[Any] = []
        run_monitors(poller.store, poller.states, settings=settings,
                     rejects_dir=poller.rejects_dir, once=True, report=seen.append)
        assert other.requests == [], [h.get("api-key") for h in other.headers]
        assert "another site" in (seen[0].error or ""), seen
        assert "\n" not in (seen[0].error or "")
        poller.states.remove(away.id)
    server.add("/posts.json", Canned(status=301, headers={"location": "/moved/posts.json"}))
    server.add("/moved/posts.json", Canned(body))
    poller.add("discourse", server.url)
    seen.clear()
    run_monitors(poller.store, poller.states, settings=settings,
                 rejects_dir=poller.rejects_dir, once=True, report=seen.append)
    assert seen[0].error is None and seen[0].loaded == 4, seen
    assert server.headers[-1]["api-key"] == "key-42"


# --- RSS -----------------------------------------------------------------------------

def test_rss_forum_feed_and_cursor(poller: Any, server: ReplayServer,
                                   shared_data: Path) -> None:
    server.add("/posts.rss", Canned((shared_data / "rss/discourse_posts.rss").read_bytes()))
    monitor = poller.add("rss", server.url, path="/posts.rss", platform="cf-forum")
    outcome = poller.poll(monitor)
    assert (outcome.loaded, outcome.rejected) == (50, 0)
    again = poller.poll(monitor)
    assert again.read <= 1  # the newest entry (at the cursor's time) only
    assert poller.get(monitor.id).state.gap_since is None


def test_rss_window_passing_the_cursor_is_a_possible_gap(poller: Any, server: ReplayServer,
                                                         shared_data: Path) -> None:
    feed = shared_data / "rss/techcrunch_wordpress_2011.xml"
    server.add("/feed", Canned(feed.read_bytes()))
    monitor = poller.add("rss", server.url, path="/feed")
    assert poller.poll(monitor).loaded == 20
    state = poller.get(monitor.id).state
    state.cursor = "2001-01-01T00:00:00+00:00"  # much older than anything the feed holds
    poller.states.save_state(monitor.id, state)
    poller.poll(monitor)
    assert poller.get(monitor.id).state.gap_since is not None


def test_rss_feed_in_its_declared_encoding(poller: Any, server: ReplayServer,
                                           shared_data: Path) -> None:
    """A feed in ISO-8859-1, declared only in its XML declaration (no charset in the
    Content-Type), is read in that encoding: it was decoded as UTF-8, 'à' became U+FFFD."""
    feed = (shared_data / "rss/discourse_t_2108.rss").read_text(encoding="utf-8")
    feed = feed.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"', 1)
    assert 'encoding="ISO-8859-1"' in feed
    server.add("/t/x/2108.rss", Canned(feed.encode("latin-1", "xmlcharrefreplace"),
                                       headers={"content-type": "application/rss+xml"}))
    monitor = poller.add("rss", server.url, path="/t/x/2108.rss")
    assert poller.poll(monitor).loaded == 25
    import feedparser

    keys = [f"rss:{e.id}" for e in feedparser.parse(feed).entries]
    texts = " ".join(poller.store.post_details(keys)["text"])
    assert "vis-à-vis" in texts
    assert "\ufffd" not in texts


def test_rss_entry_dated_in_the_future_does_not_hide_new_ones(
        poller: Any, server: ReplayServer, shared_data: Path) -> None:
    """One entry with a wrong date years ahead moved the cursor there, and every entry
    published after it (dated correctly, so older than the cursor) was skipped until
    then; the cursor now stops at the poll's time."""
    from email.utils import format_datetime

    feed = (shared_data / "rss/techcrunch_wordpress_2011.xml").read_text(encoding="utf-8")
    wrong = feed.replace("Wed, 02 Nov 2011 16:46:31 +0000", "Mon, 02 Nov 2099 16:46:31 +0000")
    assert wrong != feed
    server.add("/feed", Canned(wrong.encode()))
    monitor = poller.add("rss", server.url, path="/feed")
    assert poller.poll(monitor).loaded == 20
    new = wrong.replace("http://techcrunch.com/?p=446154", "http://techcrunch.com/?p=999999")
    new = new.replace("Wed, 02 Nov 2011 17:25:27 +0000", format_datetime(datetime.now(UTC)))
    server.add("/feed", Canned(new.encode()))
    poller.poll(monitor)
    assert len(poller.store.post_details(["rss:http://techcrunch.com/?p=999999"])) == 1


# --- Stack Exchange ------------------------------------------------------------------

# No /questions, /answers or /comments recording exists: these bodies follow the
# documented examples of api.stackexchange.com/docs (question, answer and comment
# types with filter=withbody) and the common wrapper (items, has_more, quota_*).
def _se(items: list[dict[str, Any]], **extra: Any) -> Canned:
    return Canned(json.dumps({"items": items, "has_more": False, "quota_max": 10000,
                              "quota_remaining": 9000, **extra}).encode())


_OWNER = {"user_id": 7, "display_name": "Dana &amp; Co", "reputation": 10}
QUESTION = {"question_id": 100, "title": "Why &quot;x&quot;?", "body": "<p>Help</p>",
            "tags": ["brightloop"], "owner": _OWNER, "creation_date": 1700000000,
            "last_activity_date": 1700000500, "score": 2, "answer_count": 1,
            "link": "https://stackoverflow.com/q/100"}
ANSWER = {"answer_id": 101, "question_id": 100, "body": "<p>Because</p>", "is_accepted": True,
          "owner": {"user_id": 8, "display_name": "Ed"}, "creation_date": 1700000100,
          "score": 3}
COMMENT = {"comment_id": 102, "post_id": 101, "body": "Thanks!", "owner": _OWNER,
           "creation_date": 1700000200, "score": 0}


def test_stackexchange_questions_answers_comments(poller: Any, server: ReplayServer) -> None:
    server.add("/2.3/questions", _se([QUESTION], backoff=30))
    server.add("/2.3/questions/100/answers", _se([ANSWER]))
    server.add("/2.3/posts/100;101/comments", _se([COMMENT]))
    monitor = poller.add("stackexchange", server.url, tag="brightloop")
    outcome = poller.poll(monitor, settings={"stackexchange_key": SecretStr("k-9")})
    assert (outcome.loaded, outcome.rejected) == (3, 0)
    assert server.requests[0][1]["key"] == "k-9" and server.requests[0][1]["tagged"] == \
        "brightloop"
    details = poller.store.post_details(["stackexchange:p100", "stackexchange:p101",
                                         "stackexchange:c102"])
    assert set(details["conversation_key"]) == {"stackexchange:p100"}
    state = poller.get(monitor.id).state
    assert state.cursor == "1700000500"
    assert "k-9" not in poller.states.path.read_text()
    assert 45 < _wait(state.next_try) <= 61  # the interval; backoff 30 s is shorter


def test_stackexchange_quota_used_up_waits_for_tomorrow(poller: Any,
                                                        server: ReplayServer) -> None:
    server.add("/2.3/questions", _se([], quota_remaining=0))
    monitor = poller.add("stackexchange", server.url, tag="brightloop")
    outcome = poller.poll(monitor, settings={"stackexchange_key": SecretStr("k-9")})
    assert outcome.error is not None and "quota" in outcome.error
    assert "k-9" not in outcome.error
    next_try = datetime.fromisoformat(poller.get(monitor.id).state.next_try or "")
    assert next_try.hour == 0 and next_try > datetime.now(UTC)


# --- Items duplicated and out of order -----------------------------------------------

def test_duplicate_and_out_of_order_items_load_once(poller: Any, server: ReplayServer,
                                                    shared_data: Path) -> None:
    page = json.loads((shared_data / "mastodon/timeline_public_mastodon.social_limit20.json")
                      .read_text())
    shuffled = [*page[10:], *page[:10], page[3], page[12]]
    server.add("/api/v1/timelines/tag/x", Canned(json.dumps(shuffled).encode()))
    monitor = poller.add("mastodon", server.url, tag="x")
    outcome = poller.poll(monitor)
    assert (outcome.read, outcome.loaded, outcome.rejected) == (20, 20, 0)
    assert poller.get(monitor.id).state.cursor == max((s["id"] for s in page), key=int)
    posts = poller.store.counts()["Post"]
    server.add("/api/v1/timelines/tag/x", Canned(json.dumps(shuffled).encode()))
    assert poller.poll(monitor).read == 0 and poller.store.counts()["Post"] == posts


@pytest.mark.parametrize("kind", ["bluesky", "jetstream", "mastodon", "discourse", "rss",
                                  "reddit", "twitter", "stackexchange"])
def test_every_connector_is_registered_and_documented(kind: str) -> None:
    from graph.config import Settings
    from ingest.connectors import get_connector

    connector = get_connector(kind)
    assert connector.kind == kind and callable(connector.poll)
    doc = (Path(__file__).resolve().parents[2] / "docs/connectors.md").read_text()
    assert f"| `{kind}` |" in doc
    for name in [connector.base_url_setting, *connector.credentials]:
        if name:
            assert name in Settings.model_fields
            assert f"SCRM_{name.upper()}" in doc


def test_people_erased_on_request_are_skipped(poller: Any, server: ReplayServer,
                                              shared_data: Path) -> None:
    from graph.model import Customer, OwnsLink
    from graph.store import GraphBatch

    page = json.loads((shared_data / "mastodon/timeline_public_mastodon.social_limit20.json")
                      .read_text())
    host = server.url.split("//")[1]
    acct = page[0]["account"]["acct"]
    handle = acct if "@" in acct else f"{acct}@{host}"
    theirs = sum(1 for s in page if s["account"]["acct"] == acct)
    poller.store.write_batch(GraphBatch(customers=[Customer("c-erased")], links=[
        OwnsLink("c-erased", "mastodon", handle)]))
    assert poller.store.forget_customer("c-erased") is not None
    server.add("/api/v1/timelines/tag/x", Canned(json.dumps(page).encode()))
    monitor = poller.add("mastodon", server.url, tag="x")
    outcome = poller.poll(monitor)
    assert (outcome.loaded, outcome.rejected) == (20 - theirs, theirs)
    assert poller.store.get_account(f"mastodon:{handle.lower()}") is None
    assert all("erased" in json.loads(line)["reason"] for line in poller.rejects())


def test_reddit_recorded_poll_sequence(poller: Any, server: ReplayServer,
                                       shared_data: Path) -> None:
    """PRAW's first six polls of /r/all/comments, replayed in order: 100, 0, 99, 98, 31 and
    0 comments, overlapping (328 items, 182 distinct) and with empty pages between."""
    lines = (shared_data / "reddit-api/r_all_comments_poll_first6.pages.jsonl").read_text()
    pages = [Canned(line.encode()) for line in lines.split("\n") if line]
    empty = Canned(b'{"kind": "Listing", "data": {"children": [], "after": null}}')
    served = iter(pages)
    server.route("/r/all/comments", lambda q: empty if q.get("after") else next(served))
    monitor = poller.add("reddit", server.url, subreddit="all")
    loaded = [poller.poll(monitor) for _ in pages]
    assert all(o.error is None and o.rejected == 0 for o in loaded)
    names = {c["data"]["name"] for line in lines.split("\n") if line
             for c in json.loads(line)["data"]["children"]}
    assert len(names) == 182
    assert poller.store.counts()["Post"] == 182
    newest = max(names, key=lambda n: int(n[3:], 36))
    assert poller.get(monitor.id).state.cursor == newest
    assert poller.get(monitor.id).state.gap_since is None


# --- Items sharing a time cursor -------------------------------------------------------

def test_bluesky_posts_indexed_at_the_same_time_all_load(poller: Any, server: ReplayServer,
                                                         shared_data: Path) -> None:
    body = json.loads((shared_data / "bluesky/searchPosts_q-rstats_limit100.json").read_text())
    posts = body["posts"][:6]
    for post in posts[2:5]:  # three posts indexed in the same millisecond
        post["indexedAt"] = posts[2]["indexedAt"]
    page = Canned(json.dumps({"posts": posts}).encode())
    server.route("/xrpc/app.bsky.feed.searchPosts",
                 lambda q: Canned(b'{"posts": []}') if q.get("cursor") else page)
    monitor = poller.add("bluesky", server.url, query="rstats")
    outcome = poller.poll(monitor)
    assert (outcome.read, outcome.loaded, outcome.rejected) == (6, 6, 0)


def test_stackexchange_questions_active_in_the_same_second_all_load(
        poller: Any, server: ReplayServer) -> None:
    second = {**QUESTION, "question_id": 200, "link": "https://stackoverflow.com/q/200"}
    server.add("/2.3/questions", _se([QUESTION, second]))
    server.add("/2.3/questions/100;200/answers", _se([]))
    server.add("/2.3/posts/100;200/comments", _se([]))
    monitor = poller.add("stackexchange", server.url, tag="brightloop")
    outcome = poller.poll(monitor)
    assert (outcome.loaded, outcome.rejected) == (2, 0)


def test_stackexchange_answers_and_comments_past_the_first_page_load(
        poller: Any, server: ReplayServer) -> None:
    """A question with 150 answers: two pages of answers (``has_more``), and the comments
    asked for at most 100 post ids a call, every page of them too."""
    answers = [{**ANSWER, "answer_id": 1000 + n, "is_accepted": False} for n in range(150)]
    server.add("/2.3/questions", _se([QUESTION]))
    server.route("/2.3/questions/100/answers", lambda q: _se(
        answers[:100], has_more=True) if q.get("page", "1") == "1" else _se(answers[100:]))
    comments: list[int] = []

    class Routes(dict[str, Any]):
        def get(self, path: str, default: Any = None) -> Any:
            if not path.startswith("/2.3/posts/"):
                return super().get(path, default)

            def answer(q: dict[str, str]) -> Canned:
                ids = path.split("/")[3].split(";")
                if len(ids) > 100:
                    return Canned(b'{"error_id": 400, "error_name": "bad_parameter"}', 400)
                page = int(q.get("page", "1"))
                found = [{**COMMENT, "comment_id": 5000 + 2 * int(i) + page, "post_id": int(i)}
                         for i in ids[:50]]
                comments.extend(c["comment_id"] for c in found)
                return _se(found, has_more=page == 1)
            return answer

    server.routes = Routes(server.routes)
    monitor = poller.add("stackexchange", server.url, tag="brightloop")
    outcome = poller.poll(monitor)
    assert outcome.error is None
    assert (outcome.loaded, outcome.rejected) == (1 + 150 + len(set(comments)), 0)
    assert len(set(comments)) == 200  # two chunks of ids, two pages each, 50 a page


def test_stackexchange_next_page_waits_for_the_backoff_its_method_asked_for(
        poller: Any, server: ReplayServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The API's ``backoff`` (as documented: seconds to wait before calling the same method
    again): the answers' second page is asked for only after it; another method (the
    comments) is not held up by it."""
    slept: list[float] = []
    monkeypatch.setattr(stackexchange, "_sleep", slept.append)
    answers = [{**ANSWER, "answer_id": 1000 + n, "is_accepted": False} for n in range(3)]
    server.add("/2.3/questions", _se([QUESTION]))
    server.route("/2.3/questions/100/answers", lambda q: _se(
        answers[:2], has_more=True, backoff=2) if q.get("page", "1") == "1"
        else _se(answers[2:]))
    server.add("/2.3/posts/100;1000;1001;1002/comments", _se([COMMENT]))
    monitor = poller.add("stackexchange", server.url, tag="brightloop")
    outcome = poller.poll(monitor)
    assert outcome.error is None and outcome.loaded == 5, outcome
    assert len(slept) == 1 and 1 < slept[0] <= 2  # before the second page, only then
    assert server.hits("/2.3/questions/100/answers") == 2


def test_stackexchange_backoff_too_long_to_wait_gives_the_round_up(
        poller: Any, server: ReplayServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """A method that asks for longer than a poll waits inline: nothing of the round is
    written, the cursor stays, and the source tries again once the wait is over."""
    monkeypatch.setattr(stackexchange, "_sleep", lambda s: pytest.fail("waited inline"))
    answers = [{**ANSWER, "answer_id": 1000 + n, "is_accepted": False} for n in range(3)]
    server.add("/2.3/questions", _se([QUESTION]))
    server.route("/2.3/questions/100/answers", lambda q: _se(
        answers[:2], has_more=True, backoff=120))
    monitor = poller.add("stackexchange", server.url, tag="brightloop")
    outcome = poller.poll(monitor)
    assert outcome.error is not None and "wait 120 s" in outcome.error, outcome
    assert outcome.loaded == 0 and poller.store.post_count() == 0
    state = poller.get(monitor.id).state
    assert state.cursor is None and 100 < _wait(state.next_try) <= 121
    assert server.hits("/2.3/questions/100/answers") == 1


def test_bluesky_malformed_feed_item_is_rejected_not_the_round(
        poller: Any, server: ReplayServer, shared_data: Path) -> None:
    body = json.loads((shared_data / "bluesky/getAuthorFeed_andrew.heiss.phd.json").read_text())
    plain = [i for i in body["feed"] if "reply" not in i and "reason" not in i][:2]
    page = Canned(json.dumps({"feed": [plain[0], "not a feed item", plain[1]]}).encode())
    server.route("/xrpc/app.bsky.feed.getAuthorFeed",
                 lambda q: Canned(b'{"feed": []}') if q.get("cursor") else page)
    monitor = poller.add("bluesky", server.url, actor="andrew.heiss.phd")
    outcome = poller.poll(monitor)
    assert outcome.error is None
    assert (outcome.loaded, outcome.rejected) == (2, 1)
    assert "not a feed item" in poller.rejects()[0]
    # it has no time, so the cursor cannot pass it: still listed at the next polls, it
    # is not rejected again (a rejects file a poll, for as long as the feed shows it)
    for _ in range(2):
        again = poller.poll(monitor)
        assert again.error is None and again.rejected == 0, again
    assert len(poller.rejects()) == 1
    assert poller.get(monitor.id).state.rejected == 1
    # another malformed item is rejected once, the first still not again
    page = Canned(json.dumps({"feed": ["another bad item", plain[0], "not a feed item",
                                       plain[1]]}).encode())
    assert poller.poll(monitor).rejected == 1
    assert poller.rejects()[1:] and "another bad item" in poller.rejects()[1]
    assert len(poller.rejects()) == 2


def test_stackexchange_throttle_keeps_the_cursor_and_waits_as_told(
        poller: Any, server: ReplayServer) -> None:
    # the API answers every error with HTTP 400 and an error object (this one as
    # reported from api.stackexchange.com); its time cursor is never the cause
    server.add("/2.3/questions", Canned(json.dumps({
        "error_id": 502, "error_name": "throttle_violation",
        "error_message": "too many requests from this IP, more requests available in "
                         "17524 seconds"}).encode(), 400))
    monitor = poller.add("stackexchange", server.url, tag="brightloop")
    state = poller.get(monitor.id).state
    state.cursor, state.last_success = "1700000500", "2026-01-01T00:00:00+00:00"
    poller.states.save_state(monitor.id, state)
    outcome = poller.poll(monitor, settings={"stackexchange_key": SecretStr("k-9")})
    assert outcome.error is not None and "throttle" in outcome.error
    assert "\n" not in outcome.error and "k-9" not in outcome.error
    state = poller.get(monitor.id).state
    assert (state.cursor, state.gap_since) == ("1700000500", None)
    assert server.hits("/2.3/questions") == 1  # not asked again at once
    assert 17500 < _wait(state.next_try) <= 17525


def test_bluesky_expired_token_keeps_the_cursor(poller: Any, server: ReplayServer) -> None:
    # an expired access JWT is answered with HTTP 400 (XRPC error "ExpiredToken");
    # the stored cursor is never sent, so it cannot be what was refused
    server.add("/xrpc/app.bsky.notification.listNotifications", Canned(
        b'{"error": "ExpiredToken", "message": "Token has expired"}', 400))
    monitor = poller.add("bluesky", server.url, mentions="yes")
    state = poller.get(monitor.id).state
    state.cursor = "2025-07-04T08:28:36.202000+00:00"
    state.last_success = "2026-01-01T00:00:00+00:00"
    poller.states.save_state(monitor.id, state)
    outcome = poller.poll(monitor, settings={"bluesky_token": SecretStr("tok-123")})
    assert outcome.error is not None and "token" in outcome.error.lower()
    assert "tok-123" not in outcome.error
    state = poller.get(monitor.id).state
    assert (state.cursor, state.gap_since) == ("2025-07-04T08:28:36.202000+00:00", None)
    assert server.hits("/xrpc/app.bsky.notification.listNotifications") == 1


def test_stackexchange_question_with_a_malformed_activity_date_is_rejected(
        poller: Any, server: ReplayServer) -> None:
    odd = {**QUESTION, "question_id": 200, "last_activity_date": "yesterday"}
    server.add("/2.3/questions", _se([QUESTION, odd]))
    server.add("/2.3/questions/200;100/answers", _se([]))
    server.add("/2.3/posts/200;100/comments", _se([]))
    monitor = poller.add("stackexchange", server.url, tag="brightloop")
    state = poller.get(monitor.id).state
    state.cursor = "1700000000"
    poller.states.save_state(monitor.id, state)
    outcome = poller.poll(monitor)
    assert outcome.error is None
    assert (outcome.loaded, outcome.rejected) == (1, 1)
    assert "last_activity_date" in poller.rejects()[0]
    assert poller.get(monitor.id).state.cursor == "1700000500"
