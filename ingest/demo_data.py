"""The seeded sample data set behind ``scrm demo``: a brand, its customers, their conversations.

*Brightloop* is a fictional e-bike subscription company (Twitter ``@brightloop``
and ``@brightloop_help``, Reddit ``brightloop_team``; competitors Loopwise and
Cyclify). The generator writes, in the platforms' real formats:

* ``crm.csv`` — 300 customers (handles written with and without ``@``, in mixed
  case; some customers' accounts are deliberately missing from the CRM so identity
  resolution has work to do), ``orders.csv`` — their purchases;
* ``twitter.jsonl`` — Twitter API v2 response pages (``data`` + ``includes``);
* ``reddit.jsonl`` — Reddit comment (t1) and submission (t3) objects;
* ``brand.json`` — who the brand is.

Planted accounts, so the rankings can be checked by eye and by the tests:

* **advocate** — C00001 Dana Whitfield, ``twitter:danarides`` / ``reddit:dana_rides``,
  LTV 12,000, NPS 10: many delighted posts, answers other riders' questions, gets
  replies, mentions and retweets;
* **influencer** — ``twitter:techwheels``, a reviewer with 250,000 followers, not a
  customer: balanced reviews that are retweeted, quoted and answered by many;
* **detractor** — C00002 Gus Grimsby, ``twitter:grumpygus``, LTV 9,000, NPS 1: angry
  complaints at @brightloop that others retweet and agree with; and a milder one,
  C00003 Megan Holt, ``twitter:meganholt``.

Deterministic: the same seed writes byte-identical files. Regenerate the shipped
copy with ``python -m ingest.demo_data``.
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

__all__ = ["generate", "main"]

BASE = datetime(2026, 9, 1, tzinfo=UTC)
DAYS = 60
SHIPPED = Path(__file__).resolve().parent / "samples" / "demo"

FIRST = ("Ava Ben Cara Dev Eli Fay Gil Hana Ivan Jade Kai Lena Milo Nia Omar Pia Quinn Rosa "
         "Sam Tara Uma Vik Wes Xena Yara Zane Alma Bruno Cleo Dario Edda Felix Greta Hugo "
         "Ines Jonas Kira Luca Mara Nils Olga Pavel Rhea Sven Tess Ugo Vera Wim").split()
LAST = ("Adams Baker Chen Diaz Evans Fischer Garcia Haas Ito Jensen Kowalski Lopez Moreau "
        "Novak Okafor Petrov Quint Rossi Silva Tanaka Ueda Varga Weber Xu Young Zhou Berg "
        "Costa Dahl Engel Frost Gray Hale Iqbal Jones Klein Lund Marsh Nash Ortiz").split()
CITIES = ("Portland", "Seattle", "Austin", "Denver", "Chicago", "Boston", "Oakland",
          "Minneapolis", "Brooklyn", "San Diego")

PRAISE = (
    "Loving my {b} e-bike, the battery lasted the whole week!",
    "Six months with {b} and my commute is honestly the best part of my day.",
    "{b} swapped my battery in 20 minutes. Brilliant service, thank you!",
    "Best decision this year: the {b} subscription. Zero regrets, great bikes.",
    "Shoutout to {b} support, friendly and fast. Love it!",
    "Rode 40 km on my {b} today and it still had juice. Amazing.",
)
QUESTIONS = (
    "Does anyone know how to pause a {b} subscription over the winter?",
    "How do I reset the display on my {b} bike? It shows E04.",
    "Is the {b} cargo bike worth it for two kids? Any riders here?",
    "Can I take my {b} bike on the train? What do you do with the battery?",
    "What tyre pressure do you run on the {b} city model?",
)
ANSWERS = (
    "Happy to help! In the app go to Plan > Pause, it keeps your bike reserved. Works great.",
    "Hold the power and mode buttons for 5 seconds, E04 clears. Had the same, no worries!",
    "We love ours for two kids, it is a great bike. Get the rain cover, you will thank me.",
    "Yes, it folds the handlebar and the battery comes out. Super easy, enjoy the ride!",
    "I run 3.5 bar front and 4 rear, smooth and grippy. Glad to help anytime.",
)
THANKS = ("Thank you so much, that worked perfectly!", "Great tip, thanks a lot!",
          "You are a star, thanks!", "Brilliant, that fixed it. Thanks!")
COMPLAINTS = (
    "@{h} my bike has been broken for 9 days and support isn't answering. Cancelling. Awful.",
    "@{h} bike broken AGAIN. Horrible service, worst company, I hate this. Cancelling.",
    "@{h} third flat battery this month. Terrible, I am paying for a bike I cannot ride.",
    "@{h} still no reply to my ticket. Worst customer service I have ever had. Furious.",
    "@{h} you charged me twice and nobody cares. Disgusting. Want my money back now.",
    "@{h} the app crashed again and locked my bike. Useless. So angry right now.",
)
MILD = (
    "@{h} a bit disappointed, the repair took longer than promised.",
    "@{h} the new app update is confusing and slow, not great.",
    "@{h} delivery was late again, kind of annoying.",
)
AGREE = ("Same here, it is terrible. @{h} fix this!", "Ugh, same problem, awful support.",
         "This. I am cancelling too, really bad.", "Had the exact same issue, so frustrating.")
BRAND_REPLY = ("Sorry to hear that! We have sent you a DM to sort this out today.",
               "We apologise, a technician will contact you within 24 hours.",
               "Thanks for your patience, your refund is on its way.")
REVIEWS = (
    "Review: {b} vs Loopwise vs Cyclify e-bike subscriptions. Full breakdown of price, "
    "range and service in the thread.",
    "Tested the {b} city bike for a month. Range is solid, the app needs work. Video up.",
    "Cyclify is cheaper, {b} has better service, Loopwise has more cities. Pick for your needs.",
    "Long-term test: {b} battery after 1,000 km. Numbers inside.",
)
CHATTER = (
    "Commute done, rain everywhere today.", "New bike lane on 5th street finally open.",
    "Anyone riding the river trail this weekend?", "Coffee then ride, the usual Sunday.",
    "Thinking about Loopwise or {b} for my partner, hmm.", "Cyclify ad everywhere today lol",
)


@dataclass
class _Person:
    handle: str
    name: str
    user_id: str
    followers: int
    location: str
    customer_id: str | None = None
    reddit: str | None = None
    description: str = ""


@dataclass
class _World:
    rng: random.Random
    people: dict[str, _Person] = field(default_factory=dict)
    tweets: list[dict[str, Any]] = field(default_factory=list)
    reddit: list[dict[str, Any]] = field(default_factory=list)
    next_tweet: int = 1_830_000_000_000_000_000
    next_reddit: int = 50_000_000

    def when(self, after: datetime | None = None, max_hours: float = 48) -> datetime:
        if after is None:
            return BASE + timedelta(seconds=self.rng.randrange(DAYS * 86400))
        return after + timedelta(minutes=self.rng.randrange(5, int(max_hours * 60)))

    def tweet(self, author: str, text: str, at: datetime, *, reply_to: dict[str, Any] | None
              = None, ref: tuple[str, dict[str, Any]] | None = None) -> dict[str, Any]:
        self.next_tweet += self.rng.randrange(1, 9_000)
        tid = str(self.next_tweet)
        t: dict[str, Any] = {"id": tid, "author": author, "text": text, "at": at,
                             "conversation_id": tid, "refs": []}
        if reply_to is not None:
            t["refs"].append(("replied_to", reply_to))
            t["conversation_id"] = reply_to["conversation_id"]
            t["in_reply_to"] = reply_to["author"]
        if ref is not None:
            t["refs"].append(ref)
        t["likes"] = self.rng.randrange(0, 40)
        self.tweets.append(t)
        return t

    def post(self, kind: str, author: str, at: datetime, *, parent: dict[str, Any] | None
             = None, title: str = "", body: str = "", subreddit: str = "ebikes"
             ) -> dict[str, Any]:
        self.next_reddit += self.rng.randrange(1, 5_000)
        rid = _b36(self.next_reddit)
        obj: dict[str, Any] = {"kind": kind, "id": rid, "author": author, "at": at,
                               "subreddit": subreddit, "title": title, "body": body,
                               "score": self.rng.randrange(1, 200)}
        if kind == "t1":
            assert parent is not None
            obj["parent"] = parent
            obj["link"] = parent if parent["kind"] == "t3" else parent["link"]
        self.reddit.append(obj)
        return obj


def _b36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while n:
        n, r = divmod(n, 36)
        out = digits[r] + out
    return out or "0"


def _people(w: _World, customers: int) -> list[_Person]:
    rng = w.rng
    uid = [900_000_000]

    def person(handle: str, name: str, followers: int, **kw: Any) -> _Person:
        uid[0] += rng.randrange(1, 90_000)
        p = _Person(handle=handle, name=name, user_id=str(uid[0]), followers=followers,
                    location=kw.pop("location", rng.choice(CITIES)), **kw)
        w.people[handle] = p
        return p

    person("brightloop", "Brightloop", 48_200, description="E-bikes by subscription.")
    person("brightloop_help", "Brightloop Support", 7_900, description="Here to help 7-22h.")
    person("techwheels", "Tech Wheels Reviews", 250_000,
           description="Honest reviews of bikes, scooters and the apps behind them.")
    planted = [
        person("danarides", "Dana Whitfield", 3_400, customer_id="C00001", reddit="dana_rides",
               location="Portland", description="Commuter, mechanic at heart, coffee first."),
        person("grumpygus", "Gus Grimsby", 2_100, customer_id="C00002",
               reddit="gus_grimsby", location="Denver"),
        person("meganholt", "Megan Holt", 640, customer_id="C00003", location="Austin"),
    ]
    used = {p.handle for p in w.people.values()}
    out = list(planted)
    for i in range(4, customers + 1):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        style = rng.random()
        base = (f"{first}{last}" if style < 0.3 else f"{first}_{last}" if style < 0.55
                else f"{first}{rng.randrange(10, 99)}" if style < 0.8 else f"{first[0]}{last}")
        handle = base.lower()
        while handle in used:
            handle += str(rng.randrange(10))
        used.add(handle)
        reddit = f"{first.lower()}_{last.lower()}{rng.randrange(1, 9)}" if rng.random() < 0.5 \
            else None
        out.append(person(handle, f"{first} {last}", int(rng.paretovariate(1.3) * 60),
                          customer_id=f"C{i:05d}", reddit=reddit))
    for _ in range(150):
        first = rng.choice(FIRST)
        handle = f"{first.lower()}{rng.choice(('rides', 'bikes', 'cycles', 'wheels', ''))}" \
                 f"{rng.randrange(100, 999)}"
        if handle not in used:
            used.add(handle)
            out.append(person(handle, f"{first} {rng.choice(LAST)}",
                              int(rng.paretovariate(1.2) * 80)))
    return out


def _twitter_story(w: _World, people: list[_Person]) -> None:
    rng = w.rng
    everyone = [p.handle for p in people if p.handle not in ("danarides", "grumpygus",
                                                             "meganholt")]
    customers = [p.handle for p in people if p.customer_id and p.handle not in (
        "danarides", "grumpygus", "meganholt")]

    def some(k: int, pool: Sequence[str] = everyone) -> list[str]:
        return rng.sample(list(pool), k)

    # Dana: delighted posts that others reply to, thank and retweet.
    for _ in range(30):
        t = w.tweet("danarides", rng.choice(PRAISE).format(b="@brightloop"), w.when())
        for who in some(rng.randrange(2, 6)):
            cheer = rng.choice(("So true!", "Agreed, love mine too!",
                                "Great to hear, thanks for sharing!"))
            w.tweet(who, f"@danarides {cheer}", w.when(t["at"]), reply_to=t)
        for who in some(rng.randrange(1, 4)):
            w.tweet(who, f"RT @danarides: {t['text']}", w.when(t["at"]), ref=("retweeted", t))
    # Questions: Dana and support answer, askers thank.
    for _ in range(70):
        asker = rng.choice(customers)
        q = w.tweet(asker, rng.choice(QUESTIONS).format(b="@brightloop"), w.when())
        r = rng.random()
        if r < 0.45:
            a = w.tweet("danarides", f"@{asker} {rng.choice(ANSWERS)}", w.when(q["at"], 6),
                        reply_to=q)
            w.tweet(asker, f"@danarides {rng.choice(THANKS)}", w.when(a["at"], 6), reply_to=a)
        elif r < 0.75:
            w.tweet("brightloop_help", f"@{asker} {rng.choice(ANSWERS)}", w.when(q["at"], 6),
                    reply_to=q)
        elif r < 0.9:
            helper = rng.choice(customers)
            w.tweet(helper, f"@{asker} {rng.choice(ANSWERS)}", w.when(q["at"], 12), reply_to=q)
    # The reviewer: retweeted, quoted and answered by many.
    for _ in range(18):
        t = w.tweet("techwheels", rng.choice(REVIEWS).format(b="@brightloop"), w.when())
        for who in some(rng.randrange(12, 30)):
            w.tweet(who, f"RT @techwheels: {t['text']}", w.when(t["at"]), ref=("retweeted", t))
        for who in some(rng.randrange(3, 8)):
            verdict = rng.choice(("Helpful.", "Fair review.", "Interesting numbers."))
            w.tweet(who, f"Worth a read before you choose. {verdict}", w.when(t["at"]),
                    ref=("quoted", t))
        for who in some(rng.randrange(5, 12)):
            answer = rng.choice(("Thanks, useful comparison.", "What about hills?",
                                 "I went with Cyclify in the end.", "Good video."))
            w.tweet(who, f"@techwheels {answer}", w.when(t["at"]), reply_to=t)
    # Gus: angry complaints, amplified; support answers some.
    for _ in range(22):
        t = w.tweet("grumpygus", rng.choice(COMPLAINTS).format(h="brightloop"), w.when())
        for who in some(rng.randrange(2, 7)):
            w.tweet(who, f"RT @grumpygus: {t['text']}", w.when(t["at"]), ref=("retweeted", t))
        for who in some(rng.randrange(2, 5)):
            w.tweet(who, f"@grumpygus {rng.choice(AGREE).format(h='brightloop')}",
                    w.when(t["at"]), reply_to=t)
        if rng.random() < 0.5:
            w.tweet("brightloop_help", f"@grumpygus {rng.choice(BRAND_REPLY)}",
                    w.when(t["at"], 12), reply_to=t)
    # Megan: mild complaints.
    for _ in range(8):
        t = w.tweet("meganholt", rng.choice(MILD).format(h="brightloop"), w.when())
        if rng.random() < 0.7:
            w.tweet("brightloop_help", f"@meganholt {rng.choice(BRAND_REPLY)}",
                    w.when(t["at"], 12), reply_to=t)
    # Secondary advocates and ordinary chatter.
    fans = rng.sample(customers, 6)
    for fan in fans:
        for _ in range(rng.randrange(3, 8)):
            t = w.tweet(fan, rng.choice(PRAISE).format(b="@brightloop"), w.when())
            for who in some(rng.randrange(0, 3)):
                w.tweet(who, f"@{fan} {rng.choice(('Nice!', 'Love that.', 'Same!'))}",
                        w.when(t["at"]), reply_to=t)
    for _ in range(500):
        who = rng.choice(everyone)
        r = rng.random()
        if r < 0.25:
            text = rng.choice(PRAISE).format(b=rng.choice(("Brightloop", "@brightloop")))
        elif r < 0.35:
            text = rng.choice(MILD).format(h="brightloop")
        else:
            text = rng.choice(CHATTER).format(b="Brightloop")
        t = w.tweet(who, text, w.when())
        if rng.random() < 0.3:
            other = rng.choice(everyone)
            if other != who:
                quip = rng.choice(("Nice one.", "Ha, same.", "Hmm, not sure."))
                w.tweet(other, f"@{who} {quip}", w.when(t["at"]), reply_to=t)
    # Brand posts (announcements) that start conversations.
    for _ in range(12):
        t = w.tweet("brightloop", "New: winter tyres for every Brightloop bike, free for "
                                  "subscribers. Book a swap in the app.", w.when())
        for who in some(rng.randrange(2, 6), customers):
            w.tweet(who, rng.choice(("Great news!", "Finally, thank you!", "About time...",
                                     "Love this, booked mine.")), w.when(t["at"]), reply_to=t)


def _reddit_story(w: _World, people: list[_Person]) -> None:
    rng = w.rng
    redditors = [p.reddit for p in people if p.reddit and p.reddit not in (
        "dana_rides", "gus_grimsby")] + [f"{rng.choice(FIRST).lower()}_{n}" for n in range(60)]
    for _ in range(45):
        op = rng.choice(redditors)
        q = rng.choice(QUESTIONS).format(b="Brightloop")
        sub = w.post("t3", op, w.when(), title=q, body="Thanks in advance!",
                     subreddit=rng.choice(("ebikes", "bikecommuting", "brightloop")))
        if rng.random() < 0.6:
            a = w.post("t1", "dana_rides", w.when(sub["at"], 10), parent=sub,
                       body=rng.choice(ANSWERS))
            if rng.random() < 0.7:
                w.post("t1", op, w.when(a["at"], 10), parent=a, body=rng.choice(THANKS))
        if rng.random() < 0.4:
            w.post("t1", "brightloop_team", w.when(sub["at"], 10), parent=sub,
                   body="Hi from the Brightloop team! " + rng.choice(ANSWERS))
        for _ in range(rng.randrange(1, 6)):
            w.post("t1", rng.choice(redditors), w.when(sub["at"]), parent=sub,
                   body=rng.choice(CHATTER).format(b="Brightloop"))
    for _ in range(12):
        sub = w.post("t3", "gus_grimsby", w.when(), subreddit="brightloop",
                     title="Brightloop support is a joke",
                     body=rng.choice(COMPLAINTS).format(h="brightloop").split(" ", 1)[1])
        for _ in range(rng.randrange(2, 6)):
            w.post("t1", rng.choice(redditors), w.when(sub["at"]), parent=sub,
                   body=rng.choice(AGREE).format(h="brightloop"))
    for _ in range(30):
        sub = w.post("t3", rng.choice(redditors), w.when(), title=rng.choice(PRAISE).format(
            b="Brightloop"), body="", subreddit="ebikes")
        w.post("t1", "dana_rides", w.when(sub["at"]), parent=sub,
               body="Totally agree, u/" + sub["author"] + " - love mine too!")


def _user_json(p: _Person) -> dict[str, Any]:
    return {"id": p.user_id, "username": p.handle, "name": p.name, "location": p.location,
            "description": p.description, "created_at": "2019-05-01T10:00:00.000Z",
            "public_metrics": {"followers_count": p.followers, "following_count": 180,
                               "tweet_count": 1200, "listed_count": 3},
            "verified": p.handle in ("brightloop", "techwheels"), "protected": False}


def _tweet_json(w: _World, t: dict[str, Any]) -> dict[str, Any]:
    author = w.people[t["author"]]
    mentions = []
    for word in t["text"].split():
        handle = word.strip(".,!?:").lstrip("@")
        if word.startswith("@") and handle in w.people:
            start = t["text"].find("@" + handle)
            mentions.append({"start": start, "end": start + len(handle) + 1,
                             "username": handle, "id": w.people[handle].user_id})
    out: dict[str, Any] = {
        "id": t["id"], "text": t["text"], "author_id": author.user_id,
        "created_at": t["at"].strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "conversation_id": t["conversation_id"], "lang": "en",
        "public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count": t["likes"],
                           "quote_count": 0},
    }
    if t["refs"]:
        out["referenced_tweets"] = [{"type": kind, "id": ref["id"]} for kind, ref in t["refs"]]
    if "in_reply_to" in t:
        out["in_reply_to_user_id"] = w.people[t["in_reply_to"]].user_id
    if mentions:
        out["entities"] = {"mentions": mentions}
    return out


def generate(out_dir: Path, *, seed: int = 7, customers: int = 300) -> dict[str, Path]:
    """Write the sample data set into ``out_dir``; return the files by name."""
    rng = random.Random(seed)
    w = _World(rng)
    people = _people(w, customers)
    _twitter_story(w, people)
    _reddit_story(w, people)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {name: out_dir / name for name in ("crm.csv", "orders.csv", "twitter.jsonl",
                                               "reddit.jsonl", "brand.json",
                                               "identity_truth.csv")}
    hidden: list[tuple[str, str]] = []

    with files["crm.csv"].open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["customer_id", "name", "email", "twitter", "reddit", "lifetime_value",
                         "nps", "signup_date"])
        for p in people:
            if not p.customer_id:
                continue
            planted = p.customer_id in ("C00001", "C00002", "C00003")
            handle = p.handle
            if not planted and rng.random() < 0.07:
                handle = ""  # the account exists but the CRM does not know it
                hidden.append((p.customer_id, f"twitter:{p.handle}"))
            elif rng.random() < 0.4:
                handle = "@" + handle
            if handle and rng.random() < 0.3:
                handle = handle.upper() if rng.random() < 0.3 else handle.capitalize()
            ltv = {"C00001": 12000.0, "C00002": 9000.0, "C00003": 1400.0}.get(
                p.customer_id, round(min(20000.0, rng.lognormvariate(6.3, 1.0)), 2))
            nps = {"C00001": "10", "C00002": "1", "C00003": "5"}.get(
                p.customer_id, str(rng.randrange(0, 11)) if rng.random() < 0.7 else "")
            first, last = p.name.split(" ", 1)
            signup = BASE - timedelta(days=rng.randrange(30, 900))
            writer.writerow([p.customer_id, p.name, f"{first}.{last}@example.com".lower(),
                             handle, (("u/" if rng.random() < 0.3 else "") + p.reddit)
                             if p.reddit else "", f"{ltv:.2f}", nps, f"{signup:%Y-%m-%d}"])
    with files["orders.csv"].open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["customer_id", "order_id", "amount", "date"])
        n = 0
        for p in people:
            if p.customer_id:
                for _ in range(rng.randrange(1, 5)):
                    n += 1
                    day = BASE - timedelta(days=rng.randrange(0, 400))
                    writer.writerow([p.customer_id, f"O{n:06d}",
                                     f"{rng.choice((39, 49, 79, 129, 349)):.2f}",
                                     f"{day:%Y-%m-%d}"])

    tweets = sorted(w.tweets, key=lambda t: (t["at"], t["id"]))
    by_page = [tweets[i:i + 100] for i in range(0, len(tweets), 100)]
    with files["twitter.jsonl"].open("w", encoding="utf-8") as fh:
        for page in by_page:
            data = [_tweet_json(w, t) for t in page]
            on_page = {t["id"] for t in page}
            referenced = []
            for t in page:
                for _kind, ref in t["refs"]:
                    if ref["id"] not in on_page:
                        on_page.add(ref["id"])
                        referenced.append(_tweet_json(w, ref))
            handles = {t["author"] for t in page} | {w.people[t["in_reply_to"]].handle
                                                    for t in page if "in_reply_to" in t}
            for item in data + referenced:
                for m in item.get("entities", {}).get("mentions", []):
                    handles.add(m["username"])
                author = next(p for p in w.people.values() if p.user_id == item["author_id"])
                handles.add(author.handle)
            users = [_user_json(w.people[h]) for h in sorted(handles)]
            fh.write(json.dumps({"data": data, "includes": {"users": users,
                                                            "tweets": referenced},
                                 "meta": {"result_count": len(data),
                                          "newest_id": page[-1]["id"],
                                          "oldest_id": page[0]["id"]}}) + "\n")

    with files["reddit.jsonl"].open("w", encoding="utf-8") as fh:
        for obj in sorted(w.reddit, key=lambda o: (o["at"], o["id"])):
            name = f"{obj['kind']}_{obj['id']}"
            common = {"id": obj["id"], "name": name, "author": obj["author"],
                      "subreddit": obj["subreddit"], "subreddit_id": "t5_2s8xo",
                      "score": obj["score"], "created_utc": float(int(obj["at"].timestamp())),
                      "ups": obj["score"], "downs": 0}
            if obj["kind"] == "t3":
                record = {**common, "title": obj["title"], "selftext": obj["body"],
                          "num_comments": 0, "is_self": True,
                          "permalink": f"/r/{obj['subreddit']}/comments/{obj['id']}/"}
            else:
                parent = obj["parent"]
                link = obj["link"]
                record = {**common, "body": obj["body"],
                          "parent_id": f"{parent['kind']}_{parent['id']}",
                          "link_id": f"t3_{link['id']}", "replies": "",
                          "permalink": f"/r/{obj['subreddit']}/comments/{link['id']}/_/"
                                       f"{obj['id']}/"}
            fh.write(json.dumps(record) + "\n")

    with files["identity_truth.csv"].open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["customer_id", "account_key"])
        writer.writerows(hidden)
    files["brand.json"].write_text(json.dumps({
        "name": "Brightloop",
        "accounts": ["twitter:brightloop", "twitter:brightloop_help", "reddit:brightloop_team"],
        "terms": ["brightloop", "#brightloop"], "competitors": ["Loopwise", "Cyclify"],
    }, indent=2) + "\n", encoding="utf-8")
    return files


def main() -> None:
    files = generate(SHIPPED)
    for name, path in files.items():
        print(f"{name}: {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
