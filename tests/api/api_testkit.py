"""Helpers for the API tests: a small real graph on disk, a live server, a store spy, and
signing a client in to the workspace (:func:`sign_in`).

The graph (every time UTC):

* customer C1 (Dana) owns ``twitter:danaw`` (CRM link) and ``reddit:dana_w`` (fuzzy link);
* brand accounts ``twitter:acme`` and ``reddit:acme_official``;
* Dana's twelve timeline entries, newest first::

    2024-03-03 08:00  tw8 mention from carol   } same instant: ordered by post key
    2024-03-03 08:00  tw7 mention from bob     }
    2024-03-02 12:00  t1_jkl Dana replies to eve (reddit)
    2024-03-02 11:00  t1_ghi brand reply (reddit:acme_official)
    2024-03-02 10:00  t1_def eve replies (reddit)
    2024-03-02 09:00  t3_abc Dana's reddit post
    2024-03-01 14:00  tw6 Dana replies to bob
    2024-03-01 13:00  tw5 carol shares tw1
    2024-03-01 12:00  tw4 carol mentions Dana
    2024-03-01 11:00  tw3 bob replies
    2024-03-01 10:30  tw2 brand reply (twitter:acme), which also mentions Dana
    2024-03-01 10:00  tw1 Dana's tweet

* 60 filler fans (``twitter:fan01``..``fan60``), each a customer, ranked below the others so
  a page of 50 targets is possible.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import uvicorn

from graph.embedded import EmbeddedStore
from graph.model import Account, Customer, OwnsLink, Post, PostKind
from graph.store import GraphBatch, GraphStore

N_FANS = 60
DANA_TIMELINE = ["twitter:tw8", "twitter:tw7", "reddit:t1_jkl", "reddit:t1_ghi", "reddit:t1_def",
                 "reddit:t3_abc", "twitter:tw6", "twitter:tw5", "twitter:tw4", "twitter:tw3",
                 "twitter:tw2", "twitter:tw1"]
RANKS = {  # account key -> (advocate, influencer, detractor) rank
    "twitter:danaw": (1, 3, None),
    "twitter:carol": (2, 1, None),
    "reddit:dana_w": (3, 4, None),
    "twitter:bob": (None, 2, 2),
    "reddit:eve": (None, None, 1),
}


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2024, 3, day, hour, minute, tzinfo=UTC)


def graph_batch() -> GraphBatch:
    tw, rd = "twitter", "reddit"
    posts = [
        Post(tw, "tw1", "danaw", at(1, 10), "Loving my new Acme kettle @acme", mentions=("acme",),
             url="https://x.com/danaw/status/tw1"),
        Post(tw, "tw2", "acme", at(1, 10, 30), "@danaw Thanks Dana, enjoy it!",
             kind=PostKind.REPLY, parent_id="tw1", conversation_id="tw1", mentions=("danaw",)),
        Post(tw, "tw3", "bob", at(1, 11), "Where did you buy it?", kind=PostKind.REPLY,
             parent_id="tw1", conversation_id="tw1"),
        Post(tw, "tw4", "carol", at(1, 12), "@danaw has the best kitchen reviews",
             mentions=("danaw",)),
        Post(tw, "tw5", "carol", at(1, 13), "RT Loving my new Acme kettle", kind=PostKind.SHARE,
             shared_id="tw1"),
        Post(tw, "tw6", "danaw", at(1, 14), "At the Acme store downtown", kind=PostKind.REPLY,
             parent_id="tw3", conversation_id="tw1"),
        Post(tw, "tw7", "bob", at(3, 8), "cc @danaw", mentions=("danaw",)),
        Post(tw, "tw8", "carol", at(3, 8), "ask @danaw", mentions=("danaw",)),
        Post(rd, "t3_abc", "dana_w", at(2, 9), "Long-term review of the kettle",
             title="Acme kettle review", url="https://reddit.com/r/kettles/abc"),
        Post(rd, "t1_def", "eve", at(2, 10), "Mine broke after a week.", kind=PostKind.COMMENT,
             parent_id="t3_abc", conversation_id="t3_abc"),
        Post(rd, "t1_ghi", "acme_official", at(2, 11), "Sorry to hear that, DM us.",
             kind=PostKind.COMMENT, parent_id="t3_abc", conversation_id="t3_abc"),
        Post(rd, "t1_jkl", "dana_w", at(2, 12), "Mine is fine, did you descale it?",
             kind=PostKind.COMMENT, parent_id="t1_def", conversation_id="t3_abc"),
    ]
    customers = [Customer("C1", name="Dana Whitfield", email="dana@example.com",
                          lifetime_value=1234.5, nps=9, signup_date=date(2022, 5, 1))]
    accounts = [
        Account(tw, "danaw", display_name="Dana W", followers=1500),
        Account(tw, "bob", display_name="Bob", followers=300),
        Account(tw, "carol", display_name="Carol Chef", followers=25000),
        Account(tw, "acme", display_name="Acme", followers=90000),
        Account(rd, "dana_w"), Account(rd, "eve"), Account(rd, "acme_official"),
    ]
    links = [OwnsLink("C1", tw, "danaw", 1.0, "crm"),
             OwnsLink("C1", rd, "dana_w", 0.8, "fuzzy", evidence="same name and city")]
    for i in range(1, N_FANS + 1):
        customers.append(Customer(f"F{i:02d}", name=f"Fan {i}", lifetime_value=float(i)))
        accounts.append(Account(tw, f"fan{i:02d}", display_name=f"Fan {i}", followers=i))
        links.append(OwnsLink(f"F{i:02d}", tw, f"fan{i:02d}"))
    return GraphBatch(customers=customers, accounts=accounts, posts=posts, links=links)


def score_frame(seed: float = 0.0, reverse_fans: bool = False) -> pd.DataFrame:
    """Scores for every ranked account; ``reverse_fans`` changes the fans' order."""
    ranks = dict(RANKS)
    order = list(range(1, N_FANS + 1))
    if reverse_fans:
        order.reverse()
    for pos, i in enumerate(order):
        ranks[f"twitter:fan{i:02d}"] = (4 + pos, 5 + pos, 3 + pos)
    rows = []
    for key, (adv, inf, det) in ranks.items():
        def score(rank: int | None) -> float:
            return 0.0 if rank is None else round(1.0 - rank / 100 + seed, 4)

        rows.append({
            "account_key": key, "influence": score(inf), "reach": 0.5, "engagement": 0.25,
            "brand_sentiment": 0.6 if adv else (-0.7 if det else None), "brand_posts": 2,
            "customer_value": 0.9, "community": 1, "bridge": 0.1,
            "advocate": score(adv), "influencer": score(inf), "detractor": score(det),
            "advocate_rank": adv, "influencer_rank": inf, "detractor_rank": det,
            "explanation": json.dumps({
                "advocate": [["brand sentiment", 0.3], ["customer value", 0.2]],
                "influencer": [["reach", 0.4]], "detractor": [["negative sentiment", 0.5]]}),
        })
    return pd.DataFrame(rows).set_index("account_key")


def record_run(store: GraphStore, **frame_args: Any) -> str:
    run = store.start_run({"alpha": 0.85, "test": True})
    store.write_scores(run, score_frame(**frame_args))
    store.finish_run(run, {"accounts": len(RANKS) + N_FANS, "seconds": 0.1})
    return run


def build_graph(path: Path) -> str:
    """Create the test database at ``path``; return the analysis run id."""
    store = EmbeddedStore(path)
    try:
        store.write_batch(graph_batch())
        store.set_brand(["twitter:acme", "reddit:acme_official"], {"brand.name": "Acme"})
        return record_run(store)
    finally:
        store.close()


def form_csrf(html: str) -> str:
    """The CSRF token of a workspace page's form."""
    found = re.search(r'name="csrf" value="([^"]*)"', html)
    assert found is not None, f"no CSRF field on the page: {html[:300]}"
    return found.group(1)


def sign_in(browser: httpx.Client, name: str, password: str, next_url: str = "/inbox",
            **headers: str) -> httpx.Response:
    """Sign ``browser`` in to the workspace as ``name`` (the form's token read first);
    the answer (303 to ``next_url`` when the name and password match)."""
    form = browser.get("/signin", params={"next": next_url})
    return browser.post("/signin", headers=headers, data={
        "name": name, "password": password, "csrf": form_csrf(form.text), "next": next_url})


class LiveServer:
    """A real uvicorn server for an ASGI app on a free localhost port, in a thread."""

    def __init__(self, app: Any) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
        self._thread = threading.Thread(target=self._server.run,
                                        kwargs={"sockets": [self._sock]}, daemon=True)

    def __enter__(self) -> LiveServer:
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=20)
        self._sock.close()

    def graphql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """POST a GraphQL request; return the decoded response body."""
        response = httpx.post(f"{self.url}/graphql", json={"query": query,
                                                            "variables": variables or {}},
                              timeout=30)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def data(self, query: str, **variables: Any) -> dict[str, Any]:
        """The ``data`` of a GraphQL request that must not answer with errors."""
        result = self.graphql(query, variables)
        assert "errors" not in result, result
        return result["data"]  # type: ignore[no-any-return]


class CountingStore:
    """A spy around a real store: delegates every call and counts them by method name.

    ``fail`` names methods that raise instead, for the error-masking test.
    """

    def __init__(self, store: GraphStore, fail: dict[str, Exception] | None = None) -> None:
        self._store = store
        self._fail = fail or {}
        self.calls: dict[str, int] = {}
        self.backend = store.backend
        self.location = store.location

    def reset(self) -> None:
        self.calls.clear()

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._store, name)
        if not callable(target):
            return target

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] = self.calls.get(name, 0) + 1
            if name in self._fail:
                raise self._fail[name]
            return target(*args, **kwargs)

        return call
