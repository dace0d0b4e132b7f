"""The social stories: the Twitter and Reddit conversations the demo's people have, in the
platforms' formats."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from random import Random
from typing import Any

from ingest.demo.phrases import (
    AGREE,
    ANNOUNCE,
    ANNOUNCE_REPLY,
    ANNOUNCE_REPLY_SHOPPER,
    ANSWER_CLOSE,
    ANSWER_OPEN,
    AREAS,
    ASK,
    ASK_BODY,
    ASK_BODY_SHOPPER,
    ASPECTS,
    CHATTER,
    CHATTER_OPEN,
    CHATTER_REPLY,
    CHEERS,
    CHEERS_SHOPPER,
    COMPARE,
    COMPARE_SHOPPER,
    COMPLAINTS,
    DANA_POSTS,
    DANA_QUOTES,
    FOLLOW_UP,
    GUS_BACK,
    GUS_CLOSE,
    GUS_OPEN,
    GUS_QUOTE,
    HASHTAG,
    HELP_REPLY,
    MARKETING,
    MENTION,
    MILD,
    PRAISE_CLOSE,
    PRAISE_DETAIL,
    PRAISE_OPEN,
    PRAISE_THING,
    QA_OWNER,
    QA_SHOPPER,
    REVIEW,
    SHOUTOUTS,
    SPANISH,
    SUBREDDITS,
    TECH_BACK,
    TECH_QUOTE,
    TECH_REPLY,
    THANKS,
    THANKS_SHOPPER,
)
from ingest.demo.world import (
    BASE,
    END,
    FRIENDS_FIRST,
    PAGE_SIZE,
    TWITTER_EPOCH_MS,
    Person,
    World,
    iso,
)

__all__ = [
    "reddit_json",
    "reddit_story",
    "twitter_pages",
    "twitter_story",
]

# --------------------------------------------------------------------------- twitter


class _Twitter:
    """Builds tweets in memory; ids, entities and metrics are made consistent here."""

    def __init__(self, w: World) -> None:
        self.w, self.rng = w, w.rng

    def at(self, after: datetime | None = None, max_hours: float = 36.0) -> datetime:
        rng = self.rng
        if after is None:
            return BASE + timedelta(seconds=rng.randrange(56 * 86400))
        later = after + timedelta(seconds=rng.randrange(120, int(max_hours * 3600)))
        if later >= END:
            later = after + timedelta(seconds=max(1, int((END - after).total_seconds()) // 2))
        return later

    def _new_id(self, at: datetime) -> str:
        while True:
            ms = int(at.timestamp()) * 1000 + self.rng.randrange(1000)
            tid = ((ms - TWITTER_EPOCH_MS) << 22) | (self.rng.randrange(1024) << 12) | (
                self.rng.randrange(4096))
            if tid not in self.w.tweet_ids:
                self.w.tweet_ids.add(tid)
                return str(tid)

    def post(self, author: Person, text: str, at: datetime, *,
             reply_to: dict[str, Any] | None = None, quote: dict[str, Any] | None = None,
             lang: str = "en") -> dict[str, Any]:
        if len(text) > 280:
            raise ValueError(f"tweet longer than 280 characters: {text!r}")
        tid = self._new_id(at)
        refs: list[tuple[str, dict[str, Any]]] = []
        t: dict[str, Any] = {"id": tid, "author": author, "text": text, "at": at,
                             "conversation_id": tid, "lang": lang, "refs": refs,
                             "in_reply_to": None}
        if reply_to is not None:
            refs.append(("replied_to", reply_to))
            t["conversation_id"] = reply_to["conversation_id"]
            t["in_reply_to"] = reply_to["author"]
        if quote is not None:
            refs.append(("quoted", quote))
        reach = math.log10(author.followers + 10) * (3 if reply_to is None else 1)
        t["likes"] = int(min(self.rng.paretovariate(1.4), 25.0) * reach)
        self.w.tweets.append(t)
        return t

    def reply(self, author: Person, parent: dict[str, Any], text: str,
              max_hours: float = 36.0) -> dict[str, Any]:
        handle = parent["author"].twitter
        body = text if text.startswith(f"@{handle} ") else f"@{handle} {text}"
        return self.post(author, body, self.at(parent["at"], max_hours), reply_to=parent)

    def retweet(self, author: Person, original: dict[str, Any]) -> dict[str, Any]:
        text = f"RT @{original['author'].twitter}: {original['text']}"
        if len(text) > 140:  # the v2 API truncates a retweet's text like this
            text = text[:139].rsplit(" ", 1)[0] + "…"
        t = self.post(author, text, self.at(original["at"], 48))
        t["refs"].append(("retweeted", original))
        t["likes"] = 0
        return t

    def quote(self, author: Person, original: dict[str, Any], text: str) -> dict[str, Any]:
        return self.post(author, text, self.at(original["at"], 48), quote=original)


def _pick(rng: Random, pool: Sequence[Person], k: int = 1,
          exclude: Sequence[Person] = ()) -> list[Person]:
    """``k`` distinct accounts, busier ones more often."""
    chosen: list[Person] = []
    candidates = [p for p in pool if p not in exclude]
    k = min(k, len(candidates))
    while len(chosen) < k:
        p = rng.choices(candidates, [c.weight for c in candidates])[0]
        if p not in chosen:
            chosen.append(p)
    return chosen


def _respond(rng: Random, author: Person, pool: Sequence[Person], k: int = 1,
             exclude: Sequence[Person] = ()) -> list[Person]:
    """``k`` distinct accounts of ``pool`` answering or sharing ``author``'s post: each
    one of the author's friends with chance :data:`FRIENDS_FIRST` (word of mouth), else
    anyone, busier ones more often."""
    left = set(exclude) | {author}
    candidates = [p for p in pool if p not in left]
    members = set(candidates)
    friends = [f for f in author.friends if f in members]
    chosen: list[Person] = []
    k = min(k, len(candidates))
    while len(chosen) < k:
        free = [f for f in friends if f not in chosen]
        if free and rng.random() < FRIENDS_FIRST:
            p = rng.choice(free)
        else:
            p = rng.choices(candidates, [c.weight for c in candidates])[0]
        if p not in chosen:
            chosen.append(p)
    return chosen


OWNER_QUESTIONS = 0.6
"""The share of questions asked by customers (support questions about their bike and
plan, mostly); prospects ask the rest (pre-sale questions)."""
SHOPPERS_COMPARE = 0.75
"""The share of posts comparing Brightloop with its competitors written by prospects."""


def _asker(rng: Random, customers: Sequence[Person], prospects: Sequence[Person]) -> Person:
    return _pick(rng, customers if rng.random() < OWNER_QUESTIONS else prospects)[0]


def _cheer(rng: Random, p: Person) -> str:
    """A reply to someone's praise: owners agree, prospects are tempted."""
    return rng.choice(CHEERS if p.customer_id else CHEERS_SHOPPER)


def _thanks(rng: Random, p: Person) -> str:
    return rng.choice(THANKS if p.customer_id else THANKS_SHOPPER)


def _compare(rng: Random, p: Person) -> str:
    """Owners compare from the bike they have; prospects are still choosing."""
    return rng.choice(COMPARE if p.customer_id else COMPARE_SHOPPER)


def _praise(rng: Random, b: str) -> str:
    return (f"{rng.choice(PRAISE_OPEN)} {rng.choice(PRAISE_THING).format(b=b)}, "
            f"{rng.choice(PRAISE_DETAIL)}{rng.choice(PRAISE_CLOSE)}")


def _qa(rng: Random, asker: Person) -> tuple[str, str]:
    """An owner asks mostly about the bike and plan they have, a prospect before buying."""
    owner = asker.customer_id is not None and rng.random() < 0.85
    return rng.choice(QA_OWNER if owner else QA_SHOPPER)


def _question(rng: Random, asker: Person, tag: bool) -> tuple[str, str]:
    q, answer = _qa(rng, asker)
    text = rng.choice(ASK).format(q=q)
    if tag:
        text += rng.choice((" @brightloop", " #brightloop"))
    return text, answer


def _answer(rng: Random, answer: str) -> str:
    opener = rng.choice(ANSWER_OPEN)
    body = answer if opener else answer[0].upper() + answer[1:]
    return f"{opener}{body}{rng.choice(ANSWER_CLOSE)}"


def _complaint(rng: Random, gus: bool = False) -> str:
    text = rng.choice(COMPLAINTS).format(h="@brightloop", n=rng.randrange(3, 15))
    if gus:
        opener = rng.choice(GUS_OPEN).format(n=rng.randrange(4, 20))
        text = f"{text}{rng.choice(GUS_CLOSE)}"
        if opener:
            text = f"{opener} {text}"
    return text


def _review(rng: Random) -> str:
    others = ["Loopwise", "Cyclify"]
    rng.shuffle(others)
    a = rng.choice(("@brightloop", "Brightloop"))
    if rng.random() < 0.35:
        a, others[0] = others[0], a
    x, y, z = rng.sample(ASPECTS, 3)
    return rng.choice(REVIEW).format(a=a, c=others[0], d=others[1], x=x, y=y, z=z,
                                      n=rng.randrange(2, 9))


def twitter_story(w: World) -> None:
    rng = w.rng
    tw = _Twitter(w)
    get = w.by_twitter.__getitem__
    dana, tech, gus, megan = get("danarides"), get("techwheels"), get("grumpygus"), get(
        "meganholt")
    brand, helpdesk = get("brightloop"), get("brightloop_help")
    fans = [p for p in w.people if p.role == "fan"]
    crowd = [p for p in w.people if p.twitter and p.role in ("ordinary", "prospect", "fan")]
    customers = [p for p in crowd if p.customer_id]
    prospects = [p for p in crowd if not p.customer_id]
    unhappy = [p for p in crowd if p.mood == "unhappy"]
    # What riding a Brightloop is like, good or bad, is told by the people who have one.
    owners_happy = [p for p in customers if p.mood == "happy"]
    owners_unhappy = [p for p in customers if p.mood == "unhappy"]

    # The advocate: delighted posts that others answer, quote and retweet.
    for k in range(32):
        b = rng.choice(("@brightloop", "@brightloop", "Brightloop"))
        if k % 3 == 0:
            text = _praise(rng, b)
        else:
            text = rng.choice(DANA_POSTS).format(b=b, n=rng.randrange(20, 400))
        t = tw.post(dana, text, tw.at())
        for fan_of_dana in _pick(rng, crowd, rng.randrange(3, 8)):
            tw.retweet(fan_of_dana, t)
        for p in _pick(rng, crowd, rng.randrange(1, 5)):
            r = tw.reply(p, t, _cheer(rng, p))
            if rng.random() < 0.3:
                tw.reply(dana, r, rng.choice(("thank you! Enjoy your rides!",
                                              "so glad to hear it, have fun out there!")), 8)
        if rng.random() < 0.5:
            tw.quote(rng.choice(crowd), t, rng.choice(DANA_QUOTES))
    for text in SHOUTOUTS * 3:
        tw.post(_pick(rng, owners_happy)[0], text, tw.at())

    # Questions: the advocate answers most, fans and support some; askers say thanks.
    for _ in range(75):
        asker = _asker(rng, customers, prospects)
        text, answer = _question(rng, asker, rng.random() < 0.4)
        q = tw.post(asker, text, tw.at())
        roll = rng.random()
        helper = dana if roll < 0.5 else (rng.choice(fans) if roll < 0.68 else
                                          helpdesk if roll < 0.85 else None)
        if helper is None or helper is asker:
            continue
        a = tw.reply(helper, q, _answer(rng, answer), 8)
        if rng.random() < (0.8 if helper is dana else 0.6):
            tw.reply(asker, a, _thanks(rng, asker), 12)
        if helper is dana and rng.random() < 0.25:
            tw.retweet(_pick(rng, crowd, exclude=[asker])[0], a)

    # The influencer: balanced reviews, amplified by many distinct accounts.
    for _ in range(14):
        t = tw.post(tech, _review(rng), tw.at())
        for p in _pick(rng, crowd, rng.randrange(10, 21)):
            tw.retweet(p, t)
        for p in _pick(rng, crowd, rng.randrange(3, 7)):
            tw.quote(p, t, rng.choice(TECH_QUOTE))
        for p in _pick(rng, crowd, rng.randrange(5, 11)):
            r = tw.reply(p, t, rng.choice(TECH_REPLY))
            if rng.random() < 0.15:
                tw.reply(tech, r, rng.choice(TECH_BACK), 12)

    # The detractor: angry complaints that others retweet and agree with.
    for _ in range(24):
        t = tw.post(gus, _complaint(rng, gus=True), tw.at())
        for p in _pick(rng, unhappy + crowd[:40], rng.randrange(2, 6)):
            tw.retweet(p, t)
        for p in _pick(rng, owners_unhappy, rng.randrange(1, 4)):
            tw.reply(p, t, rng.choice(AGREE))
        if rng.random() < 0.7:
            h = tw.reply(helpdesk, t, rng.choice(HELP_REPLY), 10)
            if rng.random() < 0.5:
                tw.post(gus, rng.choice(GUS_BACK).format(n=rng.randrange(2, 6)),
                        tw.at(h["at"], 24), reply_to=h)

    # The milder detractor.
    for _ in range(9):
        t = tw.post(megan, rng.choice(MILD).format(h="@brightloop"), tw.at())
        if rng.random() < 0.7:
            h = tw.reply(helpdesk, t, rng.choice(HELP_REPLY), 10)
            if rng.random() < 0.4:
                tw.reply(megan, h, rng.choice(FOLLOW_UP), 24)
        if rng.random() < 0.3:
            tw.retweet(_pick(rng, unhappy)[0], t)

    # Secondary advocates.
    for fan in fans:
        for _ in range(rng.randrange(5, 10)):
            t = tw.post(fan, _praise(rng, rng.choice(("@brightloop", "Brightloop"))), tw.at())
            for p in _respond(rng, fan, crowd, rng.randrange(0, 3)):
                tw.reply(p, t, _cheer(rng, p))
            for p in _respond(rng, fan, crowd, rng.randrange(0, 4)):
                tw.retweet(p, t)

    # Every unlisted customer account says something, so there is something to link.
    for p in customers:
        if not p.crm_twitter:
            for _ in range(rng.randrange(2, 5)):
                text = (_praise(rng, "Brightloop") if p.mood == "happy" else
                        rng.choice(MILD).format(h="@brightloop") if p.mood == "unhappy"
                        else rng.choice(CHATTER))
                tw.post(p, text, tw.at())

    # Ordinary praise, complaints, comparisons and chatter.
    for _ in range(115):
        t = tw.post(_pick(rng, owners_happy)[0], _praise(rng, rng.choice(("@brightloop",
                                                                    "Brightloop"))), tw.at())
        if rng.random() < 0.25:
            p = _respond(rng, t["author"], crowd)[0]
            tw.reply(p, t, _cheer(rng, p))
        for p in _respond(rng, t["author"], crowd, rng.choice((0, 0, 0, 1, 2))):
            tw.retweet(p, t)
    for _ in range(45):
        t = tw.post(_pick(rng, owners_unhappy)[0], _complaint(rng), tw.at())
        if rng.random() < 0.75:
            h = tw.reply(helpdesk, t, rng.choice(HELP_REPLY), 10)
            if rng.random() < 0.3:
                tw.reply(t["author"], h, rng.choice(FOLLOW_UP), 24)
    for _ in range(60):
        author = _pick(rng, prospects if rng.random() < SHOPPERS_COMPARE else customers)[0]
        t = tw.post(author, _compare(rng, author), tw.at())
        if rng.random() < 0.25:
            p = _respond(rng, author, crowd)[0]
            tw.reply(p, t, "Brightloop for me, the battery is great." if p.customer_id else
                     rng.choice(("Loopwise has more docks where I am.",
                                 "Cyclify is fine if you are on a budget.")))
    for _ in range(180):
        t = tw.post(_pick(rng, crowd)[0], rng.choice(CHATTER_OPEN) + rng.choice(CHATTER),
                    tw.at())
        if rng.random() < 0.2:
            tw.reply(_respond(rng, t["author"], crowd)[0], t, rng.choice(CHATTER_REPLY))
    for text in SPANISH * 3:  # a rider's love, a how-to and a comparison
        tw.post(_pick(rng, customers)[0], text, tw.at(), lang="es")

    # The brand's own announcements: offers and news reach everyone and prospects ask
    # about them; what subscribers need to know is shared and answered by subscribers.
    for k in range(18):
        t = tw.post(brand, ANNOUNCE[k % len(ANNOUNCE)].format(area=rng.choice(AREAS)),
                    tw.at())
        marketing = k % len(ANNOUNCE) in MARKETING
        for p in _pick(rng, crowd if marketing else owners_happy, rng.randrange(2, 9)):
            tw.retweet(p, t)
        for p in _pick(rng, prospects if marketing else customers, rng.randrange(1, 5)):
            tw.reply(p, t, _announce_reply(rng, p))
        if k % 6 == 1:
            tw.quote(gus, t, rng.choice(GUS_QUOTE))


def _announce_reply(rng: Random, p: Person) -> str:
    return rng.choice(ANNOUNCE_REPLY if p.customer_id else ANNOUNCE_REPLY_SHOPPER)


def _entities(text: str, w: World) -> dict[str, Any]:
    out: dict[str, Any] = {}
    hashtags = [{"start": m.start(), "end": m.end(), "tag": m.group(1)}
                for m in HASHTAG.finditer(text)]
    mentions = []
    for m in MENTION.finditer(text):
        user = w.by_twitter.get(m.group(1).lower())
        if user is None:
            raise ValueError(f"tweet mentions an unknown account: {text!r}")
        mentions.append({"start": m.start(), "end": m.end(), "username": user.twitter,
                         "id": user.user_id})
    if hashtags:
        out["hashtags"] = hashtags
    if mentions:
        out["mentions"] = mentions
    return out


def _tweet_json(t: dict[str, Any], w: World) -> dict[str, Any]:
    out: dict[str, Any] = {"id": t["id"], "text": t["text"], "author_id": t["author"].user_id,
                           "created_at": iso(t["at"]), "conversation_id": t["conversation_id"]}
    if t["refs"]:
        out["referenced_tweets"] = [{"type": kind, "id": ref["id"]} for kind, ref in t["refs"]]
    if t["in_reply_to"] is not None:
        out["in_reply_to_user_id"] = t["in_reply_to"].user_id
    entities = _entities(t["text"], w)
    if entities:
        out["entities"] = entities
    out["public_metrics"] = t["metrics"]
    out["lang"] = t["lang"]
    return out


def _user_json(p: Person) -> dict[str, Any]:
    return {"id": p.user_id, "username": p.twitter, "name": p.name,
            "description": p.description, "location": p.location,
            "verified": p.role in ("brand", "influencer"),
            "public_metrics": {"followers_count": p.followers,
                               "following_count": p.extra["following"],
                               "tweet_count": p.extra["tweet_count"],
                               "listed_count": p.followers // 300}}


def twitter_pages(w: World) -> list[dict[str, Any]]:
    counts: dict[str, dict[str, int]] = {t["id"]: {"retweeted": 0, "replied_to": 0,
                                                   "quoted": 0} for t in w.tweets}
    for t in w.tweets:
        for kind, ref in t["refs"]:
            counts[ref["id"]][kind] += 1
    for t in w.tweets:
        c = counts[t["id"]]
        t["metrics"] = {"retweet_count": c["retweeted"], "reply_count": c["replied_to"],
                        "like_count": t["likes"], "quote_count": c["quoted"]}
    for t in w.tweets:
        for kind, ref in t["refs"]:
            if kind == "retweeted":  # a retweet shows the original's retweet count
                t["metrics"] = {**t["metrics"], "retweet_count": ref["metrics"]["retweet_count"]}

    ordered = sorted(w.tweets, key=lambda t: (t["at"], int(t["id"])), reverse=True)
    by_id = {p.user_id: p for p in w.people if p.twitter}
    pages: list[dict[str, Any]] = []
    for start in range(0, len(ordered), PAGE_SIZE):
        page = ordered[start:start + PAGE_SIZE]
        data = [_tweet_json(t, w) for t in page]
        referenced: dict[str, dict[str, Any]] = {}
        for t in page:
            for _kind, ref in t["refs"]:
                referenced.setdefault(ref["id"], _tweet_json(ref, w))
        user_ids: dict[str, None] = {}
        for item in [*data, *referenced.values()]:
            user_ids[item["author_id"]] = None
            if "in_reply_to_user_id" in item:
                user_ids[item["in_reply_to_user_id"]] = None
            for m in item.get("entities", {}).get("mentions", []):
                user_ids[m["id"]] = None
        meta: dict[str, Any] = {"newest_id": page[0]["id"], "oldest_id": page[-1]["id"],
                                "result_count": len(page)}
        if start + PAGE_SIZE < len(ordered):
            meta["next_token"] = "".join(w.rng.choice("0123456789abcdefghijklmnopqrstuvwxyz")
                                         for _ in range(45))
        pages.append({"data": data,
                      "includes": {"users": [_user_json(by_id[u]) for u in user_ids],
                                   "tweets": list(referenced.values())},
                      "meta": meta})
    return pages


# --------------------------------------------------------------------------- reddit


class _Reddit:
    def __init__(self, w: World) -> None:
        self.w, self.rng = w, w.rng

    def at(self, after: datetime | None = None, max_hours: float = 30.0) -> datetime:
        if after is None:
            return BASE + timedelta(seconds=self.rng.randrange(55 * 86400))
        later = after + timedelta(seconds=self.rng.randrange(90, int(max_hours * 3600)))
        return min(later, END - timedelta(seconds=1))

    def submission(self, author: Person, subreddit: str, title: str, selftext: str,
                   score: int) -> dict[str, Any]:
        s = {"kind": "t3", "id": "", "author": author,
             "at": self.at(), "subreddit": subreddit, "title": title, "body": selftext,
             "score": score}
        s["link"] = s
        self.w.reddit.append(s)
        return s

    def comment(self, author: Person | None, parent: dict[str, Any], body: str, score: int,
                max_hours: float = 30.0) -> dict[str, Any]:
        c = {"kind": "t1", "id": "", "author": author,
             "at": self.at(parent["at"], max_hours), "subreddit": parent["subreddit"],
             "body": body, "score": score, "parent": parent, "link": parent["link"]}
        self.w.reddit.append(c)
        return c


def reddit_story(w: World) -> None:
    rng = w.rng
    rd = _Reddit(w)
    get = w.by_reddit.__getitem__
    dana, gus, team = get("dana_rides"), get("gus_grimsby"), get("brightloop_team")
    fans = [p for p in w.people if p.role == "fan" and p.reddit]
    crowd = [p for p in w.people if p.reddit and p.role in ("ordinary", "prospect", "fan")]
    customers = [p for p in crowd if p.customer_id]
    prospects = [p for p in crowd if not p.customer_id]
    owners_happy = [p for p in customers if p.mood == "happy"]
    owners_unhappy = [p for p in customers if p.mood == "unhappy"]

    def sub() -> str:
        return rng.choice(("ebikes", "bikecommuting", "brightloop", "brightloop"))

    def chatter(s: dict[str, Any], n: int) -> None:
        for p in _respond(rng, s["author"], crowd, n):
            text = rng.choice(CHATTER) if rng.random() < 0.6 else _compare(rng, p)
            c = rd.comment(p, s, text, rng.randrange(-2, 30))
            if rng.random() < 0.15:
                rd.comment(_respond(rng, p, crowd)[0], c,
                           rng.choice(CHATTER_REPLY).capitalize(), rng.randrange(0, 10))

    for _ in range(58):
        asker = _asker(rng, customers, prospects)
        q, answer = _qa(rng, asker)
        title = rng.choice(ASK).format(q=q)
        s = rd.submission(asker, sub(), title, rng.choice(
            ASK_BODY if asker.customer_id else ASK_BODY_SHOPPER), rng.randrange(1, 60))
        if rng.random() < 0.65:
            a = rd.comment(dana, s, _answer(rng, answer), rng.randrange(20, 180), 8)
            if rng.random() < 0.7:
                rd.comment(asker, a, f"Thanks u/dana_rides, {_thanks(rng, asker)}",
                           rng.randrange(2, 15), 12)
        if rng.random() < 0.3 and fans:
            fan = rng.choice(fans)
            a = rd.comment(fan, s, _answer(rng, answer), rng.randrange(5, 60))
            if rng.random() < 0.5:
                rd.comment(asker, a, _thanks(rng, asker).capitalize(), rng.randrange(1, 8))
        if rng.random() < 0.25:
            rd.comment(team, s, "Hi from the Brightloop team! " + _answer(rng, answer),
                       rng.randrange(-2, 25))
        chatter(s, rng.randrange(1, 5))

    for _ in range(25):
        author = _pick(rng, owners_happy)[0]
        b = "Brightloop"
        s = rd.submission(author, sub(), rng.choice((
            f"{rng.randrange(2, 14)} months with a {b} e-bike: honest thoughts",
            f"My {b} commute this morning was perfect", f"{b} just made my week")),
            _praise(rng, b), rng.randrange(10, 300))
        if rng.random() < 0.5:
            rd.comment(dana, s, f"Totally agree u/{author.reddit}, love mine too! "
                                "Enjoy the rides.", rng.randrange(10, 90))
        for p in _respond(rng, author, crowd, rng.randrange(1, 4), exclude=[dana]):
            rd.comment(p, s, _cheer(rng, p).capitalize(), rng.randrange(1, 40))
        chatter(s, rng.randrange(0, 3))

    for k in range(25):
        author = gus if k < 10 else _pick(rng, owners_unhappy)[0]
        text = _complaint(rng, gus=author is gus).replace("@brightloop", "Brightloop")
        s = rd.submission(author, "brightloop" if author is gus else sub(),
                          rng.choice(("Brightloop support is a joke", "Anyone else having "
                                      "problems with Brightloop?", "Done with Brightloop")),
                          text, rng.randrange(20, 400))
        for p in _pick(rng, owners_unhappy, rng.randrange(2, 5), exclude=[author]):
            rd.comment(p, s, rng.choice(AGREE).capitalize(), rng.randrange(3, 80))
        if rng.random() < 0.7:
            h = rd.comment(team, s, rng.choice(HELP_REPLY), rng.randrange(-8, 10), 10)
            if author is gus and rng.random() < 0.6:
                rd.comment(gus, h, rng.choice(GUS_BACK).format(n=rng.randrange(2, 6)).replace(
                    "@brightloop_help ", ""), rng.randrange(5, 60), 24)
        if rng.random() < 0.3:
            rd.comment(dana, s, "Sorry you are dealing with this. What helped me was "
                                "requesting a swap in the app, it is usually quick. "
                                "Hope it gets sorted!", rng.randrange(5, 40))

    for _ in range(20):
        author = _pick(rng, prospects if rng.random() < SHOPPERS_COMPARE else customers)[0]
        s = rd.submission(author, rng.choice(("ebikes", "bikecommuting")),
                          "Brightloop vs Loopwise vs Cyclify?", _compare(rng, author),
                          rng.randrange(5, 120))
        if rng.random() < 0.4:
            rd.comment(dana, s, "Brightloop for me: the battery is great and support is "
                                "friendly. Happy to answer questions!", rng.randrange(10, 70))
        for p in _respond(rng, author, crowd, rng.randrange(2, 6)):
            rd.comment(p, s, _compare(rng, p), rng.randrange(0, 40))

    for _ in range(25):
        s = rd.submission(_pick(rng, crowd)[0], sub(), rng.choice(CHATTER),
                          "", rng.randrange(1, 50))
        chatter(s, rng.randrange(1, 6))

    for k in range(6):
        s = rd.submission(team, "brightloop", ANNOUNCE[k].format(area=rng.choice(AREAS))
                          .replace(" #brightloop", ""), "Questions welcome below.",
                          rng.randrange(15, 200))
        for p in _pick(rng, prospects if k in MARKETING else customers, rng.randrange(3, 7)):
            rd.comment(p, s, _announce_reply(rng, p), rng.randrange(0, 30))

    # A few comments whose authors deleted their accounts, as real dumps have.
    comments = [c for c in w.reddit if c["kind"] == "t1" and c["author"] is not None
                and c["author"].role in ("ordinary", "prospect")]
    for c in rng.sample(comments, 6):
        c["author"], c["body"] = None, "[deleted]"


def _slug(title: str) -> str:
    words = re.findall(r"[a-z0-9]+", title.lower())
    return "_".join(words)[:50].rstrip("_")


def reddit_json(o: dict[str, Any], num_comments: dict[str, int]) -> dict[str, Any]:
    link = o["link"]
    sub = o["subreddit"]
    author: Person | None = o["author"]
    created = float(int(o["at"].timestamp()))
    head: dict[str, Any] = {"subreddit_id": SUBREDDITS[sub]}
    if o["kind"] == "t3":
        permalink = f"/r/{sub}/comments/{o['id']}/{_slug(o['title'])}/"
        return {**head, "id": o["id"], "name": f"t3_{o['id']}",
                "author": author.reddit if author else "[deleted]",
                **({"author_fullname": author.fullname} if author else {}),
                "title": o["title"], "selftext": o["body"], "is_self": True,
                "domain": f"self.{sub}", "permalink": permalink, "score": o["score"],
                "upvote_ratio": round(0.55 + 0.44 * min(1.0, o["score"] / 200), 2),
                "num_comments": num_comments.get(o["id"], 0), "over_18": False,
                "distinguished": None, "edited": False, "subreddit": sub,
                "created_utc": created}
    parent = o["parent"]
    return {**head, "link_id": f"t3_{link['id']}", "id": o["id"],
            "author": author.reddit if author else "[deleted]",
            **({"author_fullname": author.fullname} if author else {}),
            "parent_id": f"{parent['kind']}_{parent['id']}", "score": o["score"],
            "controversiality": int(o["score"] < 0), "body": o["body"], "edited": False,
            "distinguished": None, "is_submitter": author is not None and author is link[
                "author"], "subreddit": sub, "name": f"t1_{o['id']}",
            "permalink": f"/r/{sub}/comments/{link['id']}/{_slug(link['title'])}/{o['id']}/",
            "created_utc": created}
