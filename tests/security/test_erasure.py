"""Erasure that erases: after ``scrm forget``, ``grep -a`` finds nothing of the person in
any file scrm wrote (the database, its log, caches, rejects, the model beside it).

A customer is planted on the demo data through the real CLI and a real server: a CRM
row, a profile with a bio, posts, a retweet of their words, a reply naming them,
rejected lines (a broken line and a conflicting copy of a post), a care note and a
recorded response that name them, a score in a completed run, a sentiment model
trained on their words and a network export around them. Then ``scrm forget`` hands the
erasure to the running server (with a read process, so a reader's view is checked too).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

HERE = Path(__file__).parent
for helper in (HERE.parent / "cli",):
    if str(helper) not in sys.path:
        sys.path.insert(0, str(helper))

from serving import scrm_env, start_serve  # noqa: E402

CUSTOMER = "C09999"
NAME, EMAIL = "Quentin Zephyrwood", "quentin.zephyrwood@example.org"
HANDLE, REDDIT = "zephyrquill", "zephyr_quill_r"
BIO = "Collector of brass sextants and rare marmalades"
USER_ID = "9988776655443322110"
WORDS = ("the sprocket on my brightloop hums like a kazoo orchestra at dawn",
         "fourteen weeks waiting for a refund from @brightloop, dreadful sprocket saga",
         "Marmalade stains on my Brightloop saddle after the update")  # a Reddit title
SLUG = "marmalade_stains_on_my_brightloop_saddle_after"  # in the thread's permalinks
BRAND = "5071050724"  # @brightloop in the demo data
OTHER = {"id": "4474331879048880313"}  # an existing demo rider


def _user(uid: str, handle: str, name: str, bio: str, followers: int) -> dict[str, object]:
    return {"id": uid, "username": handle, "name": name, "description": bio,
            "location": "", "public_metrics": {"followers_count": followers}}


def _tweet(tid: str, author: str, text: str, conversation: str, at: str,
           **more: object) -> dict[str, object]:
    return {"id": tid, "text": text, "author_id": author, "created_at": at,
            "conversation_id": conversation, "lang": "en",
            "public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count": 1,
                               "quote_count": 0}, **more}


def _inputs(folder: Path) -> dict[str, Path]:
    """The operator's files (theirs, outside the database's folder)."""
    folder.mkdir()
    crm = folder / "crm.csv"
    crm.write_text("customer_id,name,email,twitter,reddit,lifetime_value,nps,signup_date\n"
                   f"{CUSTOMER},{NAME},{EMAIL},@{HANDLE},u/{REDDIT},9500.00,0,2024-01-05\n"
                   f",{NAME},{EMAIL},,,9500.00,0,2024-01-05\n")  # no id: rejected
    users = [_user(USER_ID, HANDLE, NAME, BIO, 43210),
             _user(OTHER["id"], "reyesb", "Bea Reyes", "", 120),
             _user(BRAND, "brightloop", "Brightloop", "", 50000)]
    first = _tweet("2119000000000000001", USER_ID, f"@brightloop {WORDS[0]}",
                   "2119000000000000001", "2026-10-28T09:00:00.000Z",
                   entities={"mentions": [{"start": 0, "end": 11, "username": "brightloop",
                                           "id": BRAND}]})
    second = _tweet("2119000000000000002", USER_ID, WORDS[1], "2119000000000000002",
                    "2026-10-28T10:00:00.000Z")
    retweet = _tweet("2119000000000000003", OTHER["id"], f"RT @{HANDLE}: {WORDS[0]}",
                     "2119000000000000003", "2026-10-28T11:00:00.000Z",
                     referenced_tweets=[{"type": "retweeted", "id": first["id"]}],
                     entities={"mentions": [{"start": 3, "end": 15, "username": HANDLE,
                                             "id": USER_ID}]})
    reply = _tweet("2119000000000000004", OTHER["id"],
                   f"@{HANDLE} same here {NAME.split()[0]}, awful", first["id"],
                   "2026-10-28T12:00:00.000Z",
                   referenced_tweets=[{"type": "replied_to", "id": first["id"]}],
                   entities={"mentions": [{"start": 0, "end": 12, "username": HANDLE,
                                           "id": USER_ID}]})
    page = {"data": [first, second, retweet, reply], "includes": {"users": users}}
    tweets = folder / "tweets.jsonl"
    tweets.write_text(json.dumps(page) + "\n"
                      # a line that cannot be parsed, holding their name and words
                      + f'{{"data": [{{"text": "{NAME}: {WORDS[1]}", \n')
    conflict = {"data": [{**first, "text": f"@brightloop {WORDS[0]} (edited)"}],
                "includes": {"users": users}}
    edited = folder / "tweets-edited.jsonl"
    edited.write_text(json.dumps(conflict) + "\n")
    submission = {"subreddit_id": "t5_8k2f1q", "id": "1zz0001", "name": "t3_1zz0001",
                  "author": REDDIT, "title": WORDS[2], "selftext": "", "is_self": True,
                  "subreddit": "brightloop", "score": 3, "num_comments": 1,
                  "permalink": f"/r/brightloop/comments/1zz0001/{SLUG}/",
                  "created_utc": 1793100000.0}
    comment = {"subreddit_id": "t5_8k2f1q", "link_id": "t3_1zz0001", "id": "n9zz001",
               "author": "dana_rides", "parent_id": "t3_1zz0001", "score": 2,
               "body": "Try the cleaning kit, it worked for me.", "subreddit": "brightloop",
               "name": "t1_n9zz001", "created_utc": 1793100500.0,
               "permalink": f"/r/brightloop/comments/1zz0001/{SLUG}/n9zz001/"}
    reddit = folder / "reddit.jsonl"
    reddit.write_text(json.dumps(submission) + "\n" + json.dumps(comment) + "\n")
    labels = folder / "labels.csv"
    labels.write_text("text,label\n" + "".join(
        f'"{t}",negative\n' for t in WORDS[:2]) + "lovely ride today,positive\n"
        "great bikes and kind staff,positive\nterrible app again,negative\n")
    return {"crm": crm, "tweets": tweets, "edited": edited, "reddit": reddit,
            "labels": labels}


def _scrm(db: Path, *args: str | Path, code: int = 0) -> str:
    done = subprocess.run([sys.executable, "-m", "api.cli", *map(str, args)],
                          env=scrm_env(db), capture_output=True, text=True, timeout=600,
                          check=False)
    assert done.returncode == code, done.stdout + done.stderr
    return done.stdout + done.stderr


def _graphql(url: str, query: str, variables: dict[str, object]) -> dict[str, object]:
    answer = httpx.post(url + "/graphql", json={"query": query, "variables": variables},
                        timeout=120).json()
    assert "errors" not in answer, answer
    data: dict[str, object] = answer["data"]
    return data


def _found(folder: Path, needles: list[str]) -> dict[str, list[str]]:
    """``grep -a -r -i -l`` for each needle over ``folder``: the files holding it."""
    out: dict[str, list[str]] = {}
    for needle in needles:
        done = subprocess.run(["grep", "-a", "-r", "-i", "-l", "-F", needle, str(folder)],
                              capture_output=True, text=True, check=False)
        if done.stdout.strip():
            out[needle] = done.stdout.split()
    return out


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("grep") is None, reason="grep is not installed")
def test_forget_leaves_no_byte_of_the_person(demo_template: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"  # the database's folder: everything scrm writes lives here
    data.mkdir()
    for f in demo_template.parent.iterdir():
        if f.name.startswith(demo_template.name):
            shutil.copy(f, data / f.name)
    db = data / "demo.lbdb"
    files = _inputs(tmp_path / "inputs")
    needles = [NAME, EMAIL, HANDLE, REDDIT, BIO, USER_ID, *WORDS, SLUG, "Zephyrwood"]

    _scrm(db, "ingest", "crm", files["crm"])
    _scrm(db, "ingest", "twitter", files["tweets"])
    _scrm(db, "ingest", "twitter", files["edited"], code=2)  # all of it a conflict
    _scrm(db, "ingest", "reddit", files["reddit"])
    _scrm(db, "analyze")
    _scrm(db, "sentiment", "train", files["labels"])
    exports = tmp_path / "exports"  # where the operator had scrm export the network
    exports.mkdir()
    _scrm(db, "viz", "-o", exports / "around-them.html", "--center", f"twitter:{HANDLE}")
    _scrm(db, "viz", "-o", exports / "elsewhere.html", "--center", "twitter:danarides")
    rejects = data / "demo.lbdb.rejects"
    assert _found(rejects, [NAME, EMAIL, WORDS[0]]), "the rejects should hold them first"

    server, url, _ = start_serve(db, "--readers", "1")
    try:
        conversation = "twitter:2119000000000000001"
        _graphql(url, """mutation($c: ID!, $t: String!) {
            addNote(conversationId: $c, author: "ana", text: $t) { text } }""",
                 {"c": conversation, "t": f"Called {NAME} back on {EMAIL}, refund sent"})
        _graphql(url, """mutation($c: ID!, $t: String!) {
            recordResponse(conversationId: $c, text: $t, replyTo: $c) { post { postId } } }""",
                 {"c": conversation, "t": f"@{HANDLE} Sorry {NAME}, we wrote to {EMAIL}."})
        ranked = _graphql(url, """{ engagementTargets(kind: DETRACTOR, first: 50) {
            edges { node { account { key } } } } }""", {})
        assert f"twitter:{HANDLE}" in json.dumps(ranked)
        assert _found(data, needles), "the database should hold them before the erasure"

        said = _scrm(db, "forget", CUSTOMER, "--yes")  # handed to the running server
        assert "database file was rewritten" in said and "deleted the sentiment model" in said
        left = _found(data, needles) | _found(exports, needles)
        assert left == {}, f"found after forget while serving: {left}"
        assert (exports / "elsewhere.html").exists()  # an export without them stays

        _scrm(db, "analyze")  # handed over too: a new run ranks without them
        ranked = _graphql(url, """{ engagementTargets(kind: DETRACTOR, first: 100) {
            edges { node { account { key followers } } } } }""", {})
        assert "forgotten-" not in json.dumps(ranked) and "43210" not in json.dumps(ranked)
        explore = httpx.get(url + "/explore/data", timeout=60)
        assert "forgotten-" not in explore.text
        queue = _graphql(url, """{ careQueue(first: 100) {
            edges { node { conversationId author { handle } } } } }""", {})
        assert "forgotten-" not in json.dumps(queue)
    finally:
        server.terminate()
        server.wait(timeout=60)
    left = _found(data, needles) | _found(exports, needles)
    assert left == {}, f"found after forget: {left}"
