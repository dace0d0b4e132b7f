"""The seeded sample data set behind ``scrm demo``: a brand, its customers, their conversations.

*Brightloop* is a fictional e-bike subscription company (Twitter ``@brightloop``
and ``@brightloop_help``, Reddit ``brightloop_team``; competitors Loopwise and
Cyclify). :func:`generate` writes, in the platforms' real formats:

* ``crm.csv`` — customers (``C00001``…), handles written with and without ``@``,
  in mixed case and with stray spaces; ``orders.csv`` — their purchases, which
  add up to each customer's lifetime value;
* ``twitter.jsonl`` — Twitter API v2 search response pages (``data``,
  ``includes.users``, ``includes.tweets``, ``meta``), 100 tweets a page, newest
  first; ids are snowflakes of their ``created_at``;
* ``reddit.jsonl`` — Reddit comments (t1) and submissions (t3), the API's bare
  ``data`` objects, oldest first, in r/ebikes, r/bikecommuting and r/brightloop;
* ``brand.json`` — who the brand is; ``identity_truth.csv`` — the customer
  accounts the CRM does not list (the labels for identity resolution);
* ``README.md`` — all of the above with the record counts.

Planted accounts, so the rankings can be checked by eye and by the tests:

* **advocate** — C00001 Dana Whitfield, ``twitter:danarides`` and
  ``reddit:dana_rides`` (both in the CRM), LTV 12,000, NPS 10: dozens of delighted
  Brightloop posts, answers other riders' questions (they thank her), and is
  replied to, mentioned, quoted and retweeted by many accounts;
* **influencer** — ``twitter:techwheels``, a reviewer with 250,000 followers and
  no CRM record: balanced reviews of Brightloop, Loopwise and Cyclify that many
  distinct accounts retweet, quote and answer;
* **detractor** — C00002 Gus Grimsby, ``twitter:grumpygus`` (in the CRM, also
  ``reddit:gus_grimsby``), LTV 9,000, NPS 1: angry complaints at @brightloop,
  retweeted by others, with agreeing replies and answers from @brightloop_help;
* **milder detractor** — C00003 Megan Holt, ``twitter:meganholt``, LTV 1,400,
  NPS 5: a handful of mildly disappointed posts;
* **secondary advocates** — C00011, C00027, C00042, C00063, C00088: fewer, still
  positive posts and some answers;
* **unlisted accounts** — about 20 customers post from a Twitter account the
  CRM does not know; its display name is the CRM name and its handle is mostly
  built from the name (``identity_truth.csv`` lists them). Three prospects share
  a customer's name but not a name-built handle (namesakes, not matches).

Everything comes from one ``random.Random(seed)`` and a fixed clock starting
2026-09-01T00:00:00Z, so the same seed writes byte-identical files. Regenerate
the shipped copy with ``python -m ingest.demo_data``.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random
from typing import Any

__all__ = ["BASE", "DAYS", "PLANTED", "SHIPPED", "Planted", "generate", "main"]

BASE = datetime(2026, 9, 1, tzinfo=UTC)
"""The demo's clock starts here; nothing reads the wall clock."""
DAYS = 60
SHIPPED = Path(__file__).resolve().parent / "samples" / "demo"
"""Where ``python -m ingest.demo_data`` writes the files ``scrm demo`` ingests."""

_END = BASE + timedelta(days=DAYS)
_TWITTER_EPOCH_MS = 1_288_834_974_657
_PAGE_SIZE = 100
_MIN_CUSTOMERS = 100


@dataclass(frozen=True, slots=True)
class Planted:
    """An account the demo plants on purpose, with the keys tests look it up by."""

    role: str
    customer_id: str | None
    name: str
    twitter: str | None
    reddit: str | None


PLANTED: tuple[Planted, ...] = (
    Planted("advocate", "C00001", "Dana Whitfield", "danarides", "dana_rides"),
    Planted("influencer", None, "Tech Wheels Reviews", "techwheels", None),
    Planted("detractor", "C00002", "Gus Grimsby", "grumpygus", "gus_grimsby"),
    Planted("mild_detractor", "C00003", "Megan Holt", "meganholt", None),
)
_FAN_IDS = ("C00011", "C00027", "C00042", "C00063", "C00088")
_HIDDEN_COUNT = 20
_NAMESAKES = 3
_TWITTER_PROSPECTS = 100
_REDDIT_PROSPECTS = 50

# --------------------------------------------------------------------------- vocabulary

FIRST = (
    "Ava Ben Cara Dev Eli Fay Gil Hana Ivan Jade Kai Lena Milo Nia Omar Pia Quinn Rosa Sam "
    "Tara Uma Vik Wes Yara Zane Alma Bruno Cleo Dario Edda Felix Greta Hugo Ines Jonas Kira "
    "Luca Mara Nils Olga Pavel Rhea Sven Tess Vera Wim Aisha Carlos Daniela Emeka Fatima "
    "Grace Hiro Isla Jamal Keiko Leon Maya Noah Oscar Priya Rafael Sofia Theo Yusuf Zoe"
).split()
LAST = (
    "Adams Baker Chen Diaz Evans Fischer Garcia Haas Ito Jensen Kowalski Lopez Moreau Novak "
    "Okafor Petrov Rossi Silva Tanaka Ueda Varga Weber Xu Young Zhou Berg Costa Dahl Engel "
    "Frost Gray Hale Iqbal Jones Klein Lund Marsh Nash Ortiz Patel Quinlan Reyes Schmidt "
    "Torres Usman Vance Walsh Yilmaz Zimmer Abbott Brennan Castillo Duarte Ekström Farrow "
    "Nguyen Osei Park Romero Sato"
).split()
_PLANTED_NAMES = frozenset(p.name for p in PLANTED)
_HANDLE_WORDS = ("rides", "bikes", "cycles", "pedals", "spins", "commutes", "onwheels")
_PROSPECT_A = ("urban", "gravel", "city", "green", "night", "rainy", "steep", "happy",
               "quiet", "early", "downhill", "tandem", "velo", "spoke", "chain", "torque")
_PROSPECT_B = ("spokes", "goat", "commuter", "cyclist", "wrench", "miles", "lanes", "crank",
               "cadence", "sprocket", "rider", "tourer", "saddle", "pedaler", "wheelie")
CITIES = ("Portland, OR", "Seattle, WA", "Austin, TX", "Denver, CO", "Chicago, IL",
          "Boston, MA", "Oakland, CA", "Minneapolis, MN", "Brooklyn, NY", "San Diego, CA")
_BIOS = ("Commuter. Coffee. Bikes.", "Software engineer, e-bike convert.",
         "Parent of two, rides to school every day.", "Nurse on night shifts. Two wheels.",
         "Urban planning nerd. Bike lanes now.", "Runner, sometimes rider.",
         "Photographer. Mostly bridges.", "Teacher. Weekend gravel rider.",
         "Views my own. Mostly about transit.", "", "", "")
_SUBREDDITS = {"ebikes": "t5_2sw3v", "bikecommuting": "t5_2r9ju", "brightloop": "t5_8k2f1q"}

# Sentiment is what the analytics read from this text, so each family of fragments
# keeps its tone: praise is warm, complaints are angry, reviews weigh both sides.
_PRAISE_OPEN = ("Loving my", "Absolutely love my", "So happy with my", "Really enjoying my",
                "Big fan of my", "Still delighted with my")
_PRAISE_THING = ("{b} e-bike", "{b} subscription", "{b} city bike", "{b} cargo bike",
                 "{b} commuter")
_PRAISE_DETAIL = (
    "the battery lasted the whole week!", "my commute is the best part of my day now.",
    "smooth, quiet and fast, and the hills are easy.", "swapping the battery took 30 seconds.",
    "the app makes unlocking so easy.", "40 km today and it still had charge.",
    "sold my car and have not missed it once.", "support sorted a flat in under an hour.",
)
_PRAISE_CLOSE = ("", " #brightloop", " 🚲", " Highly recommend!", " Best decision this year.",
                 " Great value.", " #bikecommuting")
_DANA_POSTS = (
    "Day {n} with my {b} e-bike and I still grin every morning. Best commute ever!",
    "Beautiful sunrise ride along the river. Thank you {b}, you made my mornings wonderful.",
    "{n} km this month on my {b} and not a single problem. Love it!",
    "Shoutout to @brightloop_help for swapping my bike in under an hour. Amazing service!",
    "New to e-bikes? Happy to answer questions about {b}, it has been fantastic for me.",
    "Rain, wind, hills: my {b} handles it all. Seriously impressed.",
    "Three friends signed up to {b} after riding mine. Great bikes, great people!",
    "The new {b} app update is brilliant, unlocking is instant now. Nice work!",
    "Grocery run on the {b} cargo bike, kids in the back, everyone happy. Love this thing.",
    "One year with {b} today. Best money I spend every month, no regrets at all!",
)
_QA = (
    ("how to pause a Brightloop subscription",
     "you can pause it in the Brightloop app under Account > Plan > Pause. No fee, and your "
     "bike stays reserved."),
    ("how long a Brightloop battery takes to charge",
     "about 3.5 hours from empty on the standard pack. Swapping at a dock is even quicker."),
    ("if you can take a Brightloop bike on the train",
     "yes, the folding model is allowed on most commuter trains, the standard one off-peak."),
    ("what to do about a flat tyre on a Brightloop",
     "report it in the app and Brightloop swaps the bike at your door, usually next day. "
     "Happened to me once, super easy."),
    ("whether two people can share one Brightloop plan",
     "the Duo plan covers two riders and two bikes, it works out cheaper than two singles."),
    ("if Brightloop bikes are OK in heavy rain",
     "mine has been fine all autumn. The fenders are great, just dry the saddle."),
    ("how to find the nearest Brightloop dock",
     "the map tab in the app shows every dock with live battery counts. Really handy."),
    ("if there is a student discount for Brightloop",
     "yes! 20% off with a student email, you add it under Plans."),
    ("where to change the payment card on Brightloop",
     "Account > Billing > Payment method. Took me 30 seconds."),
    ("how to upgrade to the Brightloop cargo bike",
     "request a swap in the app and pick Cargo. They delivered mine in two days, totally "
     "worth it."),
    ("how the Brightloop theft cover works",
     "theft cover is included: file a report in the app within 24 hours and they replace "
     "the bike."),
    ("how to reset the Brightloop lock when it sticks",
     "hold the lock button for 10 seconds until it blinks green, then unlock from the app. "
     "Works every time."),
    ("what the Brightloop minimum contract is",
     "there is no minimum, it is month to month. You can pause or cancel any time."),
    ("how to clear the E04 error on a Brightloop display",
     "hold power and mode together for 5 seconds and E04 clears. Had the same, no worries."),
)
_ASK = ("Does anyone know {q}?", "Quick question: does anyone know {q}?",
        "Anyone figured out {q}?", "Help please, does anyone know {q}?",
        "New rider here. Does anyone know {q}?")
_ANSWER_OPEN = ("Great question! ", "Happy to help: ", "Good news, ", "Easy one: ", "")
_ANSWER_CLOSE = (" Happy riding!", " Hope that helps!", " Enjoy the ride!",
                 " Shout if you get stuck!", "")
_THANKS = ("thank you so much, that worked perfectly!", "legend, thanks a lot!",
           "that is really helpful, thank you!", "you are the best, sorted in a minute.",
           "brilliant, that fixed it. Thanks!")
_CHEERS = ("love this! Same experience here.", "so true, best commute ever.",
           "you convinced me, signing up today!", "great tip, thanks!",
           "agreed, love mine too!", "this is awesome, enjoy!")
_DANA_QUOTES = ("Couldn't agree more.", "This is exactly why I signed up.",
                "Listen to Dana, she knows her stuff!", "Great thread, worth a read.")
_SHOUTOUTS = (
    "Shoutout to @danarides for helping me set up my @brightloop account. Amazing community!",
    "If you have a Brightloop question, ask @danarides. Super helpful and kind.",
    "Thanks to @danarides I finally tried an e-bike. Love it so far! #brightloop",
    "@danarides gave me the best tips for my first week on a Brightloop. Thank you!",
)
_COMPLAINTS = (
    "{h} my bike has been broken for {n} days and nobody is answering. Terrible. Cancelling.",
    "{h} third flat battery this month. Terrible, I am paying for a bike I cannot ride.",
    "{h} still no reply to my ticket. Worst customer service I have ever had.",
    "{h} you charged me twice. Awful, dishonest billing. Refund me now.",
    "{h} the app crashed again and locked my bike. Useless.",
    "{h} waited {n} hours for a bike swap. Awful, infuriating service.",
    "{h} battery died halfway home in the rain and nobody picked up the phone. Ridiculous.",
)
_GUS_OPEN = ("Pathetic.", "Still waiting, still furious.", "Day {n} of this miserable mess.",
             "Again!? Horrible.", "Worst company ever.", "")
_GUS_CLOSE = (" Absolutely furious.", " Terrible company, never again.",
              " Awful. Do NOT sign up.", " So angry. #brightloopfail", " Disgusting service.",
              " I hate this.")
_MILD = (
    "{h} a bit disappointed, the repair took longer than promised.",
    "{h} the new app update is confusing and slow, not great.",
    "{h} my swap was late again, kind of annoying.",
    "{h} the dock near me is always empty lately. Not ideal.",
    "Meh. {h} is slower than last year and the chat drags.",
)
_AGREE = ("same here, it is terrible. @brightloop fix this!", "ugh, same problem, awful support.",
          "this. I am cancelling too, really bad.", "had the exact same issue, so frustrating.",
          "and this is why I switched to Loopwise. Terrible.")
_HELP_REPLY = (
    "Sorry to hear that! We have sent you a DM to sort this out today.",
    "We apologise for the wait. A technician will contact you within 24 hours.",
    "Thanks for flagging this, your refund is on its way. Check your DMs.",
    "Sorry about this, that is not the experience we want for you. Please DM us your email.",
)
_GUS_BACK = ("@brightloop_help I DMed you {n} days ago. Silence. Pathetic and useless.",
             "@brightloop_help that is what you said last week. Still broken. Useless.",
             "@brightloop_help Useless. I want a working bike, not an apology.")
_FOLLOW_UP = ("thanks, sorted now!", "ok, still waiting though.", "got the DM, thank you.",
              "appreciate the quick reply.")
_REVIEW = (
    "Review: {a} vs {c} vs {d} after {n} weeks. {a} has the better {x}, {c} the better {y}. "
    "Neither is perfect. Full video on the channel.",
    "{n} weeks with {a}: good {x}, average {y}, weak {z}. Verdict: solid, not for everyone.",
    "Ranking e-bike subscriptions for city commuters: 1. {a} 2. {c} 3. {d}. The gaps are "
    "small, details in the video.",
    "Hot take: the {x} on {a} is great but the {y} is disappointing. {c} is the opposite.",
    "Long-term test: {a} battery after 1,000 km vs {c}. Numbers in the thread.",
    "{a} or {c}? Depends on your city. {a} wins on {x}, {c} on {y}. #ebikes",
)
_ASPECTS = ("battery", "price", "app", "dock coverage", "support", "ride quality", "weight")
_TECH_REPLY = ("great review, thanks!", "what about support response times?",
               "Cyclify bikes are way too heavy though.", "fair take. I went with Brightloop.",
               "any plans to test Loopwise cargo bikes?", "disagree on the app, works for me.",
               "useful comparison, saved.", "how were the hills?")
_TECH_QUOTE = ("Solid comparison, pretty much my experience.",
               "Worth a watch if you are choosing an e-bike plan.",
               "Interesting, I expected Loopwise to win on price.",
               "Fair review. Still happy with Brightloop.", "This is why I am on Cyclify.")
_TECH_BACK = ("Good question, covered at 4:10 in the video.", "Noted, next round.",
              "Fair point, it depends on the route.")
_COMPARE = (
    "Switched from Loopwise to @brightloop last month and the difference is huge. Better "
    "bikes, better app.",
    "Tried Cyclify for a week, went straight back to Brightloop. Not even close.",
    "Cyclify is cheaper than Brightloop but the bikes feel heavy.",
    "Thinking about leaving Brightloop for Loopwise, their plans are cheaper where I live.",
    "Loopwise vs Brightloop vs Cyclify, which one should I get for a 10 km commute?",
    "Honestly Loopwise support has been better than Brightloop for me.",
    "Brightloop or Cyclify for a hilly city? Leaning Brightloop for the battery.",
    "My partner has Loopwise, I have Brightloop. Mine is faster, hers is lighter.",
)
_CHATTER = (
    "Saw a whole row of Brightloop bikes outside the station this morning.",
    "The Brightloop dock on 5th street is getting new chargers apparently.",
    "Riding a Brightloop to the #bikeweek meetup on Saturday, who else is coming?",
    "My commute is 6 miles, thinking about an e-bike subscription. Brightloop or Loopwise?",
    "Brightloop has a new colour option, sage green.",
    "More e-bikes on the road this month than ever. #bikecommuting",
    "Moved my Brightloop to the new dock by the library.",
    "Got the Brightloop newsletter today, new plans coming in October.",
    "Cyclify ads everywhere on the subway today.",
    "New bike lane on 5th street finally open.",
    "Commute done, rain everywhere today.",
    "Anyone riding the river trail this weekend?",
)
_CHATTER_OPEN = ("", "", "Random thought: ", "FYI ", "PSA: ")
_CHATTER_REPLY = ("ha, same.", "good to know.", "interesting.", "see you there.",
                  "hmm, not sure.", "noted!")
_SPANISH = ("Me encanta mi bici de Brightloop, la batería dura toda la semana.",
            "¿Alguien sabe cómo pausar la suscripción de Brightloop?",
            "Probé Cyclify y Brightloop, me quedo con Brightloop.")
_ANNOUNCE = (
    "New docks are live in {area}! Find them in the map tab. #brightloop",
    "Ride more, own less: our autumn plan is here, first month half price. #brightloop",
    "Thank you to our 50,000 riders! #brightloop",
    "Weekend maintenance: the app may be slow on Saturday from 2 to 4am.",
    "Rider tip: pause your plan any time under Account > Plan. #brightloop",
    "Winter tyres for every Brightloop bike, free for subscribers. Book a swap in the app.",
)
_AREAS = ("Eastside", "Riverside", "the Pearl District", "Midtown", "the university campus")
_ANNOUNCE_REPLY = ("Great news!", "Finally, thank you!", "About time...",
                   "Love this, booked mine.", "Any plans for the north side?")
_GUS_QUOTE = ("Maybe fix my bike first, useless.", "How about answering your tickets? Pathetic.",
              "Cool. Mine is still broken. Ridiculous.")

_MENTION = re.compile(r"(?<![\w@])@(\w{1,15})")
_HASHTAG = re.compile(r"(?<![\w#&])#(\w*[A-Za-z_]\w*)")


# --------------------------------------------------------------------------- people


@dataclass(eq=False)  # people are compared by identity, not by their fields
class _Person:
    name: str
    twitter: str | None = None
    reddit: str | None = None
    customer_id: str | None = None
    role: str = "ordinary"  # advocate|influencer|detractor|mild|fan|brand|ordinary|prospect
    mood: str = "neutral"  # happy|neutral|unhappy: what an ordinary account tends to post
    crm_twitter: bool = True
    followers: int = 0
    location: str = ""
    description: str = ""
    user_id: str = ""
    fullname: str = ""
    weight: float = 1.0
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class _World:
    rng: Random
    people: list[_Person] = field(default_factory=list)
    by_twitter: dict[str, _Person] = field(default_factory=dict)
    by_reddit: dict[str, _Person] = field(default_factory=dict)
    user_ids: set[str] = field(default_factory=set)
    handle_keys: set[str] = field(default_factory=set)
    tweets: list[dict[str, Any]] = field(default_factory=list)
    tweet_ids: set[int] = field(default_factory=set)
    reddit: list[dict[str, Any]] = field(default_factory=list)
    next_submission: int = int("1g0a000", 36)
    next_comment: int = int("n1a0000", 36)

    def add(self, p: _Person) -> _Person:
        rng = self.rng
        for handle in (p.twitter, p.reddit):
            if handle:
                self.handle_keys |= _handle_keys(handle)
        if p.twitter:
            while not p.user_id or p.user_id in self.user_ids:
                digits = rng.choice((9, 10, 10, 18, 19))
                p.user_id = str(rng.randrange(10 ** (digits - 1), 10 ** digits))
            self.user_ids.add(p.user_id)
            self.by_twitter[p.twitter.lower()] = p
            p.extra["following"] = rng.randrange(40, 1500)
            p.extra["tweet_count"] = rng.randrange(50, 20000)
        if p.reddit:
            p.fullname = "t2_" + _b36(rng.randrange(36**7, 36**9))
            self.by_reddit[p.reddit.lower()] = p
        if not p.location and rng.random() < 0.8:
            p.location = rng.choice(CITIES)
        self.people.append(p)
        return p


def _b36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while n:
        n, r = divmod(n, 36)
        out = digits[r] + out
    return out or "0"


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _handle_keys(handle: str) -> set[str]:
    """What makes two handles look like the same person's: separators, and for long
    names digits too, ignored (``uma_pedals`` ~ ``umapedals7``)."""
    plain = re.sub(r"[^a-z0-9]", "", handle.lower())
    core = re.sub(r"[^a-z]", "", handle.lower())
    return {plain, core} if len(core) >= 6 else {plain}


def _unique(base: str, w: _World, limit: int, own: str | None = None) -> str:
    """``base`` (cut to ``limit``), or a numbered variant, unlike any other person's
    handle on any platform: a stranger reusing a handle would be a false identity
    clue. ``own`` is the same person's handle elsewhere, which may look alike."""
    allowed = _handle_keys(own) if own else set()
    handle, tries = base[:limit], 0
    while (_handle_keys(handle) - allowed) & w.handle_keys:
        tries += 1
        # Digits tell short handles apart; a long one's letters must change too.
        letter = w.rng.choice("bdgkmprstvxz") if tries > 3 else ""
        handle = f"{base[:limit - 3 - len(letter)]}{letter}{w.rng.randrange(10, 99)}"
    w.handle_keys |= _handle_keys(handle)
    return handle


def _name_handle(first: str, last: str, rng: Random) -> str:
    """A handle built from the name, the forms identity resolution can recognise."""
    f, la = first.lower(), last.lower().replace("ö", "o")
    form = rng.choice((f + la, f + "_" + la, f[0] + la, f + la[0], la + f[0],
                       f + la + str(rng.randrange(10, 99))))
    return form.capitalize() if rng.random() < 0.3 else form


def _people(w: _World, customers: int) -> None:
    rng = w.rng
    w.add(_Person("Brightloop", twitter="brightloop", reddit="brightloop_team", role="brand",
                  followers=48_200, location="Portland, OR",
                  description="Ride more, own less. E-bike subscriptions in 40 cities. "
                              "Need help? @brightloop_help"))
    w.add(_Person("Brightloop Support", twitter="brightloop_help", role="brand",
                  followers=7_900, location="Portland, OR",
                  description="Official Brightloop support, 7am to 10pm every day."))
    w.add(_Person("Dana Whitfield", twitter="danarides", reddit="dana_rides",
                  customer_id="C00001", role="advocate", mood="happy", followers=4_200,
                  location="Portland, OR",
                  description="Daily e-bike commuter. Brightloop rider since 2024. "
                              "Happy to answer questions!"))
    w.add(_Person("Tech Wheels Reviews", twitter="techwheels", role="influencer",
                  followers=250_000, location="Los Angeles, CA",
                  description="Honest reviews of e-bikes, scooters and the apps behind them."))
    w.add(_Person("Gus Grimsby", twitter="grumpygus", reddit="gus_grimsby",
                  customer_id="C00002", role="detractor", mood="unhappy", followers=2_100,
                  location="Denver, CO", description="Just a guy who wants his bike to work."))
    w.add(_Person("Megan Holt", twitter="meganholt", customer_id="C00003", role="mild",
                  mood="unhappy", followers=640, location="Austin, TX",
                  description="Designer. Tea. Occasional cyclist."))

    names = [f"{a} {b}" for a in FIRST for b in LAST if f"{a} {b}" not in _PLANTED_NAMES]
    rng.shuffle(names)
    ordinary_ids = [f"C{i:05d}" for i in range(4, customers + 1) if f"C{i:05d}" not in _FAN_IDS]
    hidden = sorted(rng.sample(ordinary_ids, _HIDDEN_COUNT))
    # Three in four unlisted handles are built from the name (what automatic linking
    # can find); the rest share only the display name (what a person must review).
    unnamed = set(rng.sample(hidden, _HIDDEN_COUNT // 4))
    for i in range(4, customers + 1):
        cid = f"C{i:05d}"
        name = names.pop()
        first, last = name.split(" ", 1)
        fan = cid in _FAN_IDS
        p = _Person(name, customer_id=cid, role="fan" if fan else "ordinary",
                    mood="happy" if fan else rng.choices(
                        ("happy", "neutral", "unhappy"), (0.5, 0.35, 0.15))[0])
        if cid in hidden:
            base = (f"{first.lower()}_{rng.choice(_HANDLE_WORDS)}" if cid in unnamed
                    else _name_handle(first, last, rng))
            p.twitter, p.crm_twitter = _unique(base, w, 15), False
        elif fan or rng.random() < 0.85:
            base = (f"{first}{rng.choice(_HANDLE_WORDS)}" if rng.random() < 0.4
                    else _name_handle(first, last, rng))
            p.twitter = _unique(base, w, 15)
        if fan or rng.random() < 0.5:
            base = rng.choice((f"{first}_{last}", f"{first}{last}", f"{last}_{first}",
                               f"{first}_{rng.choice(_HANDLE_WORDS)}"))
            base = base.lower().replace("ö", "o") if rng.random() < 0.6 else base
            p.reddit = _unique(base.replace("ö", "o"), w, 20, own=p.twitter)
        p.followers = (rng.randrange(600, 2_500) if fan else
                       max(3, min(40_000, int(math.exp(rng.gauss(5.2, 1.3))))))
        p.description = rng.choice(_BIOS)
        p.weight = rng.paretovariate(1.6)
        w.add(p)

    customer_names = {p.name for p in w.people if p.customer_id}
    spare = [n for n in names if n not in customer_names]
    for k in range(_TWITTER_PROSPECTS):
        handle = f"{rng.choice(_PROSPECT_A)}{rng.choice(('', '_'))}{rng.choice(_PROSPECT_B)}"
        if rng.random() < 0.4:
            handle += str(rng.randrange(1, 999))
        if k < _NAMESAKES:  # same name as a customer, but not a name-built handle
            name = w.people[6 + rng.randrange(customers - 10)].name
        elif rng.random() < 0.8:
            name = spare.pop()
        else:
            name = handle.replace("_", " ").title()
        w.add(_Person(name, twitter=_unique(handle, w, 15), role="prospect",
                      mood=rng.choices(("happy", "neutral", "unhappy"), (0.35, 0.5, 0.15))[0],
                      followers=max(3, min(40_000, int(math.exp(rng.gauss(5.6, 1.4))))),
                      description=rng.choice(_BIOS), weight=rng.paretovariate(1.6)))
    for _ in range(_REDDIT_PROSPECTS):
        handle = f"{rng.choice(_PROSPECT_A)}_{rng.choice(_PROSPECT_B)}_{rng.randrange(1, 9999)}"
        w.add(_Person(spare.pop(), reddit=_unique(handle, w, 20),
                      role="prospect",
                      mood=rng.choices(("happy", "neutral", "unhappy"), (0.35, 0.5, 0.15))[0],
                      weight=rng.paretovariate(1.6)))


# --------------------------------------------------------------------------- twitter


class _Twitter:
    """Builds tweets in memory; ids, entities and metrics are made consistent here."""

    def __init__(self, w: _World) -> None:
        self.w, self.rng = w, w.rng

    def at(self, after: datetime | None = None, max_hours: float = 36.0) -> datetime:
        rng = self.rng
        if after is None:
            return BASE + timedelta(seconds=rng.randrange(56 * 86400))
        later = after + timedelta(seconds=rng.randrange(120, int(max_hours * 3600)))
        if later >= _END:
            later = after + timedelta(seconds=max(1, int((_END - after).total_seconds()) // 2))
        return later

    def _new_id(self, at: datetime) -> str:
        while True:
            ms = int(at.timestamp()) * 1000 + self.rng.randrange(1000)
            tid = ((ms - _TWITTER_EPOCH_MS) << 22) | (self.rng.randrange(1024) << 12) | (
                self.rng.randrange(4096))
            if tid not in self.w.tweet_ids:
                self.w.tweet_ids.add(tid)
                return str(tid)

    def post(self, author: _Person, text: str, at: datetime, *,
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

    def reply(self, author: _Person, parent: dict[str, Any], text: str,
              max_hours: float = 36.0) -> dict[str, Any]:
        handle = parent["author"].twitter
        body = text if text.startswith(f"@{handle} ") else f"@{handle} {text}"
        return self.post(author, body, self.at(parent["at"], max_hours), reply_to=parent)

    def retweet(self, author: _Person, original: dict[str, Any]) -> dict[str, Any]:
        text = f"RT @{original['author'].twitter}: {original['text']}"
        if len(text) > 140:  # the v2 API truncates a retweet's text like this
            text = text[:139].rsplit(" ", 1)[0] + "…"
        t = self.post(author, text, self.at(original["at"], 48))
        t["refs"].append(("retweeted", original))
        t["likes"] = 0
        return t

    def quote(self, author: _Person, original: dict[str, Any], text: str) -> dict[str, Any]:
        return self.post(author, text, self.at(original["at"], 48), quote=original)


def _pick(rng: Random, pool: Sequence[_Person], k: int = 1,
          exclude: Sequence[_Person] = ()) -> list[_Person]:
    """``k`` distinct accounts, busier ones more often."""
    chosen: list[_Person] = []
    candidates = [p for p in pool if p not in exclude]
    k = min(k, len(candidates))
    while len(chosen) < k:
        p = rng.choices(candidates, [c.weight for c in candidates])[0]
        if p not in chosen:
            chosen.append(p)
    return chosen


def _praise(rng: Random, b: str) -> str:
    return (f"{rng.choice(_PRAISE_OPEN)} {rng.choice(_PRAISE_THING).format(b=b)}, "
            f"{rng.choice(_PRAISE_DETAIL)}{rng.choice(_PRAISE_CLOSE)}")


def _question(rng: Random, tag: bool) -> tuple[str, str]:
    q, answer = rng.choice(_QA)
    text = rng.choice(_ASK).format(q=q)
    if tag:
        text += rng.choice((" @brightloop", " #brightloop"))
    return text, answer


def _answer(rng: Random, answer: str) -> str:
    opener = rng.choice(_ANSWER_OPEN)
    body = answer if opener else answer[0].upper() + answer[1:]
    return f"{opener}{body}{rng.choice(_ANSWER_CLOSE)}"


def _complaint(rng: Random, gus: bool = False) -> str:
    text = rng.choice(_COMPLAINTS).format(h="@brightloop", n=rng.randrange(3, 15))
    if gus:
        opener = rng.choice(_GUS_OPEN).format(n=rng.randrange(4, 20))
        text = f"{text}{rng.choice(_GUS_CLOSE)}"
        if opener:
            text = f"{opener} {text}"
    return text


def _review(rng: Random) -> str:
    others = ["Loopwise", "Cyclify"]
    rng.shuffle(others)
    a = rng.choice(("@brightloop", "Brightloop"))
    if rng.random() < 0.35:
        a, others[0] = others[0], a
    x, y, z = rng.sample(_ASPECTS, 3)
    return rng.choice(_REVIEW).format(a=a, c=others[0], d=others[1], x=x, y=y, z=z,
                                      n=rng.randrange(2, 9))


def _twitter_story(w: _World) -> None:
    rng = w.rng
    tw = _Twitter(w)
    get = w.by_twitter.__getitem__
    dana, tech, gus, megan = get("danarides"), get("techwheels"), get("grumpygus"), get(
        "meganholt")
    brand, helpdesk = get("brightloop"), get("brightloop_help")
    fans = [p for p in w.people if p.role == "fan"]
    crowd = [p for p in w.people if p.twitter and p.role in ("ordinary", "prospect", "fan")]
    customers = [p for p in crowd if p.customer_id]
    happy = [p for p in crowd if p.mood == "happy"]
    unhappy = [p for p in crowd if p.mood == "unhappy"]

    # The advocate: delighted posts that others answer, quote and retweet.
    for k in range(32):
        b = rng.choice(("@brightloop", "@brightloop", "Brightloop"))
        if k % 3 == 0:
            text = _praise(rng, b)
        else:
            text = rng.choice(_DANA_POSTS).format(b=b, n=rng.randrange(20, 400))
        t = tw.post(dana, text, tw.at())
        for fan_of_dana in _pick(rng, crowd, rng.randrange(3, 8)):
            tw.retweet(fan_of_dana, t)
        for p in _pick(rng, crowd, rng.randrange(1, 5)):
            r = tw.reply(p, t, rng.choice(_CHEERS))
            if rng.random() < 0.3:
                tw.reply(dana, r, rng.choice(("thank you! Enjoy your rides!",
                                              "so glad to hear it, have fun out there!")), 8)
        if rng.random() < 0.5:
            tw.quote(rng.choice(crowd), t, rng.choice(_DANA_QUOTES))
    for text in _SHOUTOUTS * 3:
        tw.post(_pick(rng, happy)[0], text, tw.at())

    # Questions: the advocate answers most, fans and support some; askers say thanks.
    for _ in range(75):
        asker = _pick(rng, crowd)[0]
        text, answer = _question(rng, rng.random() < 0.4)
        q = tw.post(asker, text, tw.at())
        roll = rng.random()
        helper = dana if roll < 0.5 else (rng.choice(fans) if roll < 0.68 else
                                          helpdesk if roll < 0.85 else None)
        if helper is None or helper is asker:
            continue
        a = tw.reply(helper, q, _answer(rng, answer), 8)
        if rng.random() < (0.8 if helper is dana else 0.6):
            tw.reply(asker, a, rng.choice(_THANKS), 12)
        if helper is dana and rng.random() < 0.25:
            tw.retweet(_pick(rng, crowd, exclude=[asker])[0], a)

    # The influencer: balanced reviews, amplified by many distinct accounts.
    for _ in range(14):
        t = tw.post(tech, _review(rng), tw.at())
        for p in _pick(rng, crowd, rng.randrange(10, 21)):
            tw.retweet(p, t)
        for p in _pick(rng, crowd, rng.randrange(3, 7)):
            tw.quote(p, t, rng.choice(_TECH_QUOTE))
        for p in _pick(rng, crowd, rng.randrange(5, 11)):
            r = tw.reply(p, t, rng.choice(_TECH_REPLY))
            if rng.random() < 0.15:
                tw.reply(tech, r, rng.choice(_TECH_BACK), 12)

    # The detractor: angry complaints that others retweet and agree with.
    for _ in range(24):
        t = tw.post(gus, _complaint(rng, gus=True), tw.at())
        for p in _pick(rng, unhappy + crowd[:40], rng.randrange(2, 6)):
            tw.retweet(p, t)
        for p in _pick(rng, unhappy, rng.randrange(1, 4)):
            tw.reply(p, t, rng.choice(_AGREE))
        if rng.random() < 0.7:
            h = tw.reply(helpdesk, t, rng.choice(_HELP_REPLY), 10)
            if rng.random() < 0.5:
                tw.post(gus, rng.choice(_GUS_BACK).format(n=rng.randrange(2, 6)),
                        tw.at(h["at"], 24), reply_to=h)

    # The milder detractor.
    for _ in range(9):
        t = tw.post(megan, rng.choice(_MILD).format(h="@brightloop"), tw.at())
        if rng.random() < 0.7:
            h = tw.reply(helpdesk, t, rng.choice(_HELP_REPLY), 10)
            if rng.random() < 0.4:
                tw.reply(megan, h, rng.choice(_FOLLOW_UP), 24)
        if rng.random() < 0.3:
            tw.retweet(_pick(rng, unhappy)[0], t)

    # Secondary advocates.
    for fan in fans:
        for _ in range(rng.randrange(5, 10)):
            t = tw.post(fan, _praise(rng, rng.choice(("@brightloop", "Brightloop"))), tw.at())
            for p in _pick(rng, crowd, rng.randrange(0, 3), exclude=[fan]):
                tw.reply(p, t, rng.choice(_CHEERS))
            for p in _pick(rng, crowd, rng.randrange(0, 4), exclude=[fan]):
                tw.retweet(p, t)

    # Every unlisted customer account says something, so there is something to link.
    for p in customers:
        if not p.crm_twitter:
            for _ in range(rng.randrange(2, 5)):
                text = (_praise(rng, "Brightloop") if p.mood == "happy" else
                        rng.choice(_MILD).format(h="@brightloop") if p.mood == "unhappy"
                        else rng.choice(_CHATTER))
                tw.post(p, text, tw.at())

    # Ordinary praise, complaints, comparisons and chatter.
    for _ in range(115):
        t = tw.post(_pick(rng, happy)[0], _praise(rng, rng.choice(("@brightloop",
                                                                    "Brightloop"))), tw.at())
        if rng.random() < 0.25:
            tw.reply(_pick(rng, crowd, exclude=[t["author"]])[0], t, rng.choice(_CHEERS))
        for p in _pick(rng, crowd, rng.choice((0, 0, 0, 1, 2)), exclude=[t["author"]]):
            tw.retweet(p, t)
    for _ in range(45):
        t = tw.post(_pick(rng, unhappy)[0], _complaint(rng), tw.at())
        if rng.random() < 0.75:
            h = tw.reply(helpdesk, t, rng.choice(_HELP_REPLY), 10)
            if rng.random() < 0.3:
                tw.reply(t["author"], h, rng.choice(_FOLLOW_UP), 24)
    for _ in range(60):
        t = tw.post(_pick(rng, crowd)[0], rng.choice(_COMPARE), tw.at())
        if rng.random() < 0.25:
            tw.reply(_pick(rng, crowd, exclude=[t["author"]])[0], t,
                     rng.choice(("Brightloop for me, the battery is great.",
                                 "Loopwise has more docks where I am.",
                                 "Cyclify is fine if you are on a budget.")))
    for _ in range(180):
        t = tw.post(_pick(rng, crowd)[0], rng.choice(_CHATTER_OPEN) + rng.choice(_CHATTER),
                    tw.at())
        if rng.random() < 0.2:
            tw.reply(_pick(rng, crowd, exclude=[t["author"]])[0], t, rng.choice(_CHATTER_REPLY))
    for text in _SPANISH * 3:
        tw.post(_pick(rng, crowd)[0], text, tw.at(), lang="es")

    # The brand's own announcements.
    for k in range(18):
        t = tw.post(brand, _ANNOUNCE[k % len(_ANNOUNCE)].format(area=rng.choice(_AREAS)),
                    tw.at())
        for p in _pick(rng, happy, rng.randrange(2, 9)):
            tw.retweet(p, t)
        for p in _pick(rng, customers, rng.randrange(1, 5)):
            tw.reply(p, t, rng.choice(_ANNOUNCE_REPLY))
        if k % 6 == 1:
            tw.quote(gus, t, rng.choice(_GUS_QUOTE))


def _entities(text: str, w: _World) -> dict[str, Any]:
    out: dict[str, Any] = {}
    hashtags = [{"start": m.start(), "end": m.end(), "tag": m.group(1)}
                for m in _HASHTAG.finditer(text)]
    mentions = []
    for m in _MENTION.finditer(text):
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


def _tweet_json(t: dict[str, Any], w: _World) -> dict[str, Any]:
    out: dict[str, Any] = {"id": t["id"], "text": t["text"], "author_id": t["author"].user_id,
                           "created_at": _iso(t["at"]), "conversation_id": t["conversation_id"]}
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


def _user_json(p: _Person) -> dict[str, Any]:
    return {"id": p.user_id, "username": p.twitter, "name": p.name,
            "description": p.description, "location": p.location,
            "verified": p.role in ("brand", "influencer"),
            "public_metrics": {"followers_count": p.followers,
                               "following_count": p.extra["following"],
                               "tweet_count": p.extra["tweet_count"],
                               "listed_count": p.followers // 300}}


def _twitter_pages(w: _World) -> list[dict[str, Any]]:
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
    for start in range(0, len(ordered), _PAGE_SIZE):
        page = ordered[start:start + _PAGE_SIZE]
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
        if start + _PAGE_SIZE < len(ordered):
            meta["next_token"] = "".join(w.rng.choice("0123456789abcdefghijklmnopqrstuvwxyz")
                                         for _ in range(45))
        pages.append({"data": data,
                      "includes": {"users": [_user_json(by_id[u]) for u in user_ids],
                                   "tweets": list(referenced.values())},
                      "meta": meta})
    return pages


# --------------------------------------------------------------------------- reddit


class _Reddit:
    def __init__(self, w: _World) -> None:
        self.w, self.rng = w, w.rng

    def at(self, after: datetime | None = None, max_hours: float = 30.0) -> datetime:
        if after is None:
            return BASE + timedelta(seconds=self.rng.randrange(55 * 86400))
        later = after + timedelta(seconds=self.rng.randrange(90, int(max_hours * 3600)))
        return min(later, _END - timedelta(seconds=1))

    def submission(self, author: _Person, subreddit: str, title: str, selftext: str,
                   score: int) -> dict[str, Any]:
        s = {"kind": "t3", "id": "", "author": author,
             "at": self.at(), "subreddit": subreddit, "title": title, "body": selftext,
             "score": score}
        s["link"] = s
        self.w.reddit.append(s)
        return s

    def comment(self, author: _Person | None, parent: dict[str, Any], body: str, score: int,
                max_hours: float = 30.0) -> dict[str, Any]:
        c = {"kind": "t1", "id": "", "author": author,
             "at": self.at(parent["at"], max_hours), "subreddit": parent["subreddit"],
             "body": body, "score": score, "parent": parent, "link": parent["link"]}
        self.w.reddit.append(c)
        return c


def _reddit_story(w: _World) -> None:
    rng = w.rng
    rd = _Reddit(w)
    get = w.by_reddit.__getitem__
    dana, gus, team = get("dana_rides"), get("gus_grimsby"), get("brightloop_team")
    fans = [p for p in w.people if p.role == "fan" and p.reddit]
    crowd = [p for p in w.people if p.reddit and p.role in ("ordinary", "prospect", "fan")]
    happy = [p for p in crowd if p.mood == "happy"]
    unhappy = [p for p in crowd if p.mood == "unhappy"]

    def sub() -> str:
        return rng.choice(("ebikes", "bikecommuting", "brightloop", "brightloop"))

    def chatter(s: dict[str, Any], n: int) -> None:
        for p in _pick(rng, crowd, n, exclude=[s["author"]]):
            text = rng.choice(_CHATTER + _COMPARE)
            c = rd.comment(p, s, text, rng.randrange(-2, 30))
            if rng.random() < 0.15:
                rd.comment(_pick(rng, crowd, exclude=[p])[0], c,
                           rng.choice(_CHATTER_REPLY).capitalize(), rng.randrange(0, 10))

    for _ in range(58):
        asker = _pick(rng, crowd)[0]
        q, answer = rng.choice(_QA)
        title = rng.choice(_ASK).format(q=q)
        s = rd.submission(asker, sub(), title, rng.choice((
            "Thanks in advance!", "Could not find it in the FAQ.", "",
            "Just got my first bike last week, still learning.")), rng.randrange(1, 60))
        if rng.random() < 0.65:
            a = rd.comment(dana, s, _answer(rng, answer), rng.randrange(20, 180), 8)
            if rng.random() < 0.7:
                rd.comment(asker, a, f"Thanks u/dana_rides, {rng.choice(_THANKS)}",
                           rng.randrange(2, 15), 12)
        if rng.random() < 0.3 and fans:
            fan = rng.choice(fans)
            a = rd.comment(fan, s, _answer(rng, answer), rng.randrange(5, 60))
            if rng.random() < 0.5:
                rd.comment(asker, a, rng.choice(_THANKS).capitalize(), rng.randrange(1, 8))
        if rng.random() < 0.25:
            rd.comment(team, s, "Hi from the Brightloop team! " + _answer(rng, answer),
                       rng.randrange(-2, 25))
        chatter(s, rng.randrange(1, 5))

    for _ in range(25):
        author = _pick(rng, happy)[0]
        b = "Brightloop"
        s = rd.submission(author, sub(), rng.choice((
            f"{rng.randrange(2, 14)} months with a {b} e-bike: honest thoughts",
            f"My {b} commute this morning was perfect", f"{b} just made my week")),
            _praise(rng, b), rng.randrange(10, 300))
        if rng.random() < 0.5:
            rd.comment(dana, s, f"Totally agree u/{author.reddit}, love mine too! "
                                "Enjoy the rides.", rng.randrange(10, 90))
        for p in _pick(rng, happy, rng.randrange(1, 4), exclude=[author, dana]):
            rd.comment(p, s, rng.choice(_CHEERS).capitalize(), rng.randrange(1, 40))
        chatter(s, rng.randrange(0, 3))

    for k in range(25):
        author = gus if k < 10 else _pick(rng, unhappy)[0]
        text = _complaint(rng, gus=author is gus).replace("@brightloop", "Brightloop")
        s = rd.submission(author, "brightloop" if author is gus else sub(),
                          rng.choice(("Brightloop support is a joke", "Anyone else having "
                                      "problems with Brightloop?", "Done with Brightloop")),
                          text, rng.randrange(20, 400))
        for p in _pick(rng, unhappy, rng.randrange(2, 5), exclude=[author]):
            rd.comment(p, s, rng.choice(_AGREE).capitalize(), rng.randrange(3, 80))
        if rng.random() < 0.7:
            h = rd.comment(team, s, rng.choice(_HELP_REPLY), rng.randrange(-8, 10), 10)
            if author is gus and rng.random() < 0.6:
                rd.comment(gus, h, rng.choice(_GUS_BACK).format(n=rng.randrange(2, 6)).replace(
                    "@brightloop_help ", ""), rng.randrange(5, 60), 24)
        if rng.random() < 0.3:
            rd.comment(dana, s, "Sorry you are dealing with this. What helped me was "
                                "requesting a swap in the app, it is usually quick. "
                                "Hope it gets sorted!", rng.randrange(5, 40))

    for _ in range(20):
        author = _pick(rng, crowd)[0]
        s = rd.submission(author, rng.choice(("ebikes", "bikecommuting")),
                          "Brightloop vs Loopwise vs Cyclify?", rng.choice(_COMPARE),
                          rng.randrange(5, 120))
        if rng.random() < 0.4:
            rd.comment(dana, s, "Brightloop for me: the battery is great and support is "
                                "friendly. Happy to answer questions!", rng.randrange(10, 70))
        for p in _pick(rng, crowd, rng.randrange(2, 6), exclude=[author]):
            rd.comment(p, s, rng.choice(_COMPARE), rng.randrange(0, 40))

    for _ in range(25):
        s = rd.submission(_pick(rng, crowd)[0], sub(), rng.choice(_CHATTER),
                          "", rng.randrange(1, 50))
        chatter(s, rng.randrange(1, 6))

    for k in range(6):
        s = rd.submission(team, "brightloop", _ANNOUNCE[k].format(area=rng.choice(_AREAS))
                          .replace(" #brightloop", ""), "Questions welcome below.",
                          rng.randrange(15, 200))
        for p in _pick(rng, crowd, rng.randrange(3, 7)):
            rd.comment(p, s, rng.choice(_ANNOUNCE_REPLY), rng.randrange(0, 30))

    # A few comments whose authors deleted their accounts, as real dumps have.
    comments = [c for c in w.reddit if c["kind"] == "t1" and c["author"] is not None
                and c["author"].role in ("ordinary", "prospect")]
    for c in rng.sample(comments, 6):
        c["author"], c["body"] = None, "[deleted]"


def _slug(title: str) -> str:
    words = re.findall(r"[a-z0-9]+", title.lower())
    return "_".join(words)[:50].rstrip("_")


def _reddit_json(o: dict[str, Any], num_comments: dict[str, int]) -> dict[str, Any]:
    link = o["link"]
    sub = o["subreddit"]
    author: _Person | None = o["author"]
    created = float(int(o["at"].timestamp()))
    head: dict[str, Any] = {"subreddit_id": _SUBREDDITS[sub]}
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


# --------------------------------------------------------------------------- CRM


def _crm_handle(handle: str, rng: Random) -> str:
    """The handle as a person typed it into the CRM: ``@`` or not, any case, stray spaces."""
    r = rng.random()
    shown = handle if r < 0.5 else handle.lower() if r < 0.75 else (
        handle.upper() if r < 0.85 else handle.capitalize())
    if rng.random() < 0.45:
        shown = "@" + shown
    if rng.random() < 0.03:
        shown = f" {shown} "
    return shown


def _crm_reddit(handle: str, rng: Random) -> str:
    r = rng.random()
    return f"u/{handle}" if r < 0.25 else f"/u/{handle}" if r < 0.3 else handle


def _crm_rows(w: _World) -> tuple[list[list[str]], list[list[str]]]:
    rng = w.rng
    planted = {"C00001": (12000.0, "10", "2024-03-14", 9),
               "C00002": (9000.0, "1", "2023-06-02", 7),
               "C00003": (1400.0, "5", "2025-11-20", 3)}
    # The planted rows are written by hand, one of each spelling.
    planted_handles = {"C00001": ("@DanaRides", "u/dana_rides"),
                       "C00002": ("grumpygus", "gus_grimsby"), "C00003": ("@meganholt", "")}
    # A survey answer only loosely follows what someone posts: the chance of being a
    # detractor (0-6), passive (7-8) or promoter (9-10) shifts a little with mood.
    nps_by_mood = {"happy": (0.25, 0.30, 0.45), "neutral": (0.30, 0.35, 0.35),
                   "unhappy": (0.45, 0.30, 0.25)}
    nps_bands = ((0, 1, 2, 3, 4, 5, 6), (7, 8), (9, 10))
    customers, orders = [], []
    order_no = 0
    for p in w.people:
        if not p.customer_id:
            continue
        if p.customer_id in planted:
            ltv, nps, signup_text, n = planted[p.customer_id]
            signup = datetime.fromisoformat(signup_text).replace(tzinfo=UTC)
        else:
            cap = {"fan": 4000.0, "happy": 8000.0, "unhappy": 6000.0}.get(
                p.role if p.role == "fan" else p.mood, 20000.0)
            ltv = round(min(cap, max(50.0, rng.lognormvariate(6.3, 1.1))), 2)
            band = rng.choices(nps_bands, nps_by_mood[p.mood])[0]
            nps = str(rng.choice(band))
            if p.role == "fan":
                nps = str(rng.choice((9, 10)))
            elif rng.random() < 0.3:
                nps = ""
            signup = BASE - timedelta(days=rng.randrange(20, 1200))
            n = max(1, min(rng.randrange(1, 7), int(ltv // 40)))
        email_local = rng.choice((
            "{f}.{l}", "{f}{l}", "{f0}{l}", "{f}_{l}{d}")).format(
            f=p.name.split()[0].lower(), l=p.name.split()[-1].lower().replace("ö", "o"),
            f0=p.name[0].lower(), d=rng.randrange(1, 99))
        email = f"{email_local}@{rng.choice(('example.com', 'example.org', 'example.net'))}"
        twitter = _crm_handle(p.twitter, rng) if p.twitter and p.crm_twitter else ""
        reddit = _crm_reddit(p.reddit, rng) if p.reddit else ""
        twitter, reddit = planted_handles.get(p.customer_id, (twitter, reddit))
        customers.append([p.customer_id, p.name, email, twitter, reddit, f"{ltv:.2f}", nps,
                          f"{signup:%Y-%m-%d}"])
        # Orders add up to the lifetime value, spread between signup and the demo's end.
        shares = [rng.uniform(0.5, 1.5) for _ in range(n)]
        cents = [int(ltv * 100 * s / sum(shares)) for s in shares]
        cents[-1] = int(round(ltv * 100)) - sum(cents[:-1])
        span = (_END - signup).days
        days = sorted(rng.randrange(span) for _ in range(n))
        for amount, day in zip(cents, days, strict=True):
            order_no += 1
            orders.append([p.customer_id, f"O{order_no:06d}", f"{amount / 100:.2f}",
                           f"{signup + timedelta(days=day):%Y-%m-%d}"])
    return customers, orders


# --------------------------------------------------------------------------- output


def _write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _write_jsonl(path: Path, items: Sequence[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for item in items:
            fh.write(json.dumps(item) + "\n")


_README = """\
# The Brightloop demo data set

Generated by `ingest/demo_data.py` (seed {seed}); do not edit by hand. Regenerate with

    .venv/bin/python -m ingest.demo_data

`tests/ingest/test_demo_data.py` fails if these files drift from the generator.

*Brightloop* is a fictional e-bike subscription company: Twitter `@brightloop` and
`@brightloop_help` (support), Reddit `brightloop_team`; competitors Loopwise and Cyclify.
The conversations run from 2026-09-01 for {days} days.

Files and record counts:

* `brand.json` — the brand, its accounts, terms and competitors;
* `crm.csv` — {customers} customers:
  `customer_id,name,email,twitter,reddit,lifetime_value,nps,signup_date`;
* `orders.csv` — {orders} orders, `customer_id,order_id,amount,date`, adding up to
  each customer's lifetime value;
* `twitter.jsonl` — {pages} Twitter API v2 search pages (`data`, `includes.users`,
  `includes.tweets`, `meta`) holding {tweets} tweets by {tw_users} accounts;
* `reddit.jsonl` — {submissions} submissions (t3) and {comments} comments (t1), bare
  API objects, by {rd_users} accounts;
* `identity_truth.csv` — the {hidden} customers' Twitter accounts the CRM does not list
  (labels for identity resolution).

CRM handles are written as people type them: with and without `@` (or `u/`), in any
case, sometimes with stray spaces. {prospects} accounts are prospects (no CRM record).

## Planted accounts

* **Advocate** — C00001 Dana Whitfield, `twitter:danarides` and `reddit:dana_rides`
  (both in the CRM), LTV 12000, NPS 10. {dana_tweets} tweets and {dana_reddit} Reddit
  items: delighted posts and answers to other riders' questions; {dana_in} tweets by
  others reply to, quote, retweet or mention her.
* **Influencer** — `twitter:techwheels`, Tech Wheels Reviews, 250,000 followers, no CRM
  record. {tech_tweets} tweets, mostly balanced reviews of Brightloop, Loopwise and
  Cyclify; {tech_in} tweets from {tech_distinct} distinct accounts retweet, quote or
  answer them.
* **Detractor** — C00002 Gus Grimsby, `twitter:grumpygus` and `reddit:gus_grimsby`,
  LTV 9000, NPS 1. {gus_tweets} tweets and {gus_reddit} Reddit items of angry
  complaints; {gus_in} tweets by others retweet, answer or agree with them.
* **Milder detractor** — C00003 Megan Holt, `twitter:meganholt`, LTV 1400, NPS 5:
  {megan_tweets} mildly disappointed tweets.
* **Secondary advocates** — {fans}: LTV at most 4000, NPS 9–10, fewer
  positive posts and some answers.
* Brand accounts (`twitter:brightloop`, `twitter:brightloop_help`,
  `reddit:brightloop_team`) post announcements and answer complaints.

## Accounts the CRM does not list

Each posts with the customer's name as its display name; most handles are built from the
name (auto-linkable), the rest only share the display name (for review).

| customer | name | account |
|---|---|---|
{hidden_rows}

Three prospects share a customer's name but not a name-built handle: namesakes, not matches.
"""


def generate(out_dir: Path, *, seed: int = 7, customers: int = 300) -> dict[str, Path]:
    """Write the demo data set into ``out_dir``.

    Args:
        out_dir: Directory to write into; created if missing, files overwritten.
        seed: Seed of the one random generator everything is drawn from.
        customers: Number of CRM customers, planted ones included (at least 100).

    Returns:
        The written files by name: ``brand.json``, ``crm.csv``, ``orders.csv``,
        ``twitter.jsonl``, ``reddit.jsonl``, ``identity_truth.csv`` and ``README.md``.

    Raises:
        ValueError: If ``customers`` is too small to hold the planted accounts.

    Example:
        >>> files = generate(Path("/tmp/demo"))  # doctest: +SKIP
        >>> sorted(files)[:2]  # doctest: +SKIP
        ['README.md', 'brand.json']
    """
    if customers < _MIN_CUSTOMERS:
        raise ValueError(f"customers must be at least {_MIN_CUSTOMERS}, got {customers}")
    w = _World(Random(seed))
    _people(w, customers)
    _twitter_story(w)
    _reddit_story(w)
    crm, orders = _crm_rows(w)
    pages = _twitter_pages(w)
    reddit_items = sorted(w.reddit, key=lambda o: (o["at"], o["kind"] == "t1"))
    for o in reddit_items:  # base-36 ids grow with time, as Reddit's do
        if o["kind"] == "t3":
            w.next_submission += w.rng.randrange(40, 4000)
            o["id"] = _b36(w.next_submission)
        else:
            w.next_comment += w.rng.randrange(200, 60_000)
            o["id"] = _b36(w.next_comment)
    num_comments: dict[str, int] = {}
    for o in reddit_items:
        if o["kind"] == "t1":
            num_comments[o["link"]["id"]] = num_comments.get(o["link"]["id"], 0) + 1
    hidden = [p for p in w.people if p.customer_id and p.twitter and not p.crm_twitter]

    out_dir.mkdir(parents=True, exist_ok=True)
    names = ("brand.json", "crm.csv", "orders.csv", "twitter.jsonl", "reddit.jsonl",
             "identity_truth.csv", "README.md")
    files = {name: out_dir / name for name in names}
    brand = {"name": "Brightloop",
             "accounts": ["twitter:brightloop", "twitter:brightloop_help",
                          "reddit:brightloop_team"],
             "terms": ["brightloop", "#brightloop"], "competitors": ["Loopwise", "Cyclify"]}
    files["brand.json"].write_text(json.dumps(brand, indent=2) + "\n", encoding="utf-8")
    _write_csv(files["crm.csv"], ("customer_id", "name", "email", "twitter", "reddit",
                                  "lifetime_value", "nps", "signup_date"), crm)
    _write_csv(files["orders.csv"], ("customer_id", "order_id", "amount", "date"), orders)
    _write_jsonl(files["twitter.jsonl"], pages)
    _write_jsonl(files["reddit.jsonl"], [_reddit_json(o, num_comments) for o in reddit_items])
    _write_csv(files["identity_truth.csv"], ("customer_id", "account_key"),
               [[p.customer_id or "", f"twitter:{(p.twitter or '').lower()}"] for p in hidden])
    files["README.md"].write_text(_readme(w, seed, crm, orders, pages, hidden),
                                  encoding="utf-8")
    return files


def _readme(w: _World, seed: int, crm: Sequence[Sequence[str]],
            orders: Sequence[Sequence[str]], pages: Sequence[dict[str, Any]],
            hidden: Sequence[_Person]) -> str:
    def by(handle: str) -> list[dict[str, Any]]:
        return [t for t in w.tweets if t["author"].twitter == handle]

    def inbound(handle: str) -> list[dict[str, Any]]:
        def points_at(t: dict[str, Any]) -> bool:
            return t["author"].twitter != handle and (
                any(ref["author"].twitter == handle for _k, ref in t["refs"])
                or f"@{handle}" in t["text"])
        return [t for t in w.tweets if points_at(t)]

    def reddit_by(handle: str) -> int:
        return sum(1 for o in w.reddit if o["author"] is not None
                   and o["author"].reddit == handle)

    tech_in = inbound("techwheels")
    subs = sum(1 for o in w.reddit if o["kind"] == "t3")
    prospects = sum(1 for p in w.people if p.role in ("prospect", "influencer"))
    rows = "\n".join(f"| {p.customer_id} | {p.name} | `twitter:{(p.twitter or '').lower()}` |"
                     for p in hidden)
    fans = ", ".join(p.customer_id or "" for p in w.people if p.role == "fan")
    return _README.format(
        seed=seed, days=DAYS, customers=len(crm), orders=len(orders), pages=len(pages),
        tweets=len(w.tweets), tw_users=len({t["author"].twitter for t in w.tweets}),
        submissions=subs, comments=len(w.reddit) - subs,
        rd_users=len({o["author"].reddit for o in w.reddit if o["author"] is not None}),
        hidden=len(hidden), prospects=prospects,
        dana_tweets=len(by("danarides")), dana_reddit=reddit_by("dana_rides"),
        dana_in=len(inbound("danarides")), tech_tweets=len(by("techwheels")),
        tech_in=len(tech_in), tech_distinct=len({t["author"].twitter for t in tech_in}),
        gus_tweets=len(by("grumpygus")), gus_reddit=reddit_by("gus_grimsby"),
        gus_in=len(inbound("grumpygus")), megan_tweets=len(by("meganholt")), fans=fans,
        hidden_rows=rows)


def main() -> None:
    """Write the shipped demo files to ``ingest/samples/demo`` and report their sizes."""
    files = generate(SHIPPED)
    for name, path in files.items():
        print(f"{name}: {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
