"""The demo's people (customers, planted accounts, prospects) and the CRM file that
lists the customers."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from random import Random

from ingest.demo.orders import customer_orders
from ingest.demo.phrases import BIOS, FIRST, HANDLE_WORDS, LAST, PROSPECT_A, PROSPECT_B
from ingest.demo.world import (
    BASE,
    FAN_IDS,
    HIDDEN_COUNT,
    NAMESAKES,
    PLANTED_NAMES,
    REDDIT_PROSPECTS,
    SAME_CIRCLE,
    TWITTER_PROSPECTS,
    Person,
    World,
    handle_forms,
)

__all__ = [
    "add_people",
    "crm_rows",
]


def _unique(base: str, w: World, limit: int, own: str | None = None) -> str:
    """``base`` (cut to ``limit``), or a numbered variant, unlike any other person's
    handle on any platform: a stranger reusing a handle would be a false identity
    clue. ``own`` is the same person's handle elsewhere, which may look alike."""
    allowed = handle_forms(own) if own else set()
    handle, tries = base[:limit], 0
    while (handle_forms(handle) - allowed) & w.handle_keys:
        tries += 1
        # Digits tell short handles apart; a long one's letters must change too.
        letter = w.rng.choice("bdgkmprstvxz") if tries > 3 else ""
        handle = f"{base[:limit - 3 - len(letter)]}{letter}{w.rng.randrange(10, 99)}"
    w.handle_keys |= handle_forms(handle)
    return handle


def _name_handle(first: str, last: str, rng: Random) -> str:
    """A handle built from the name, the forms identity resolution can recognise."""
    f, la = first.lower(), last.lower().replace("ö", "o")
    form = rng.choice((f + la, f + "_" + la, f[0] + la, f + la[0], la + f[0],
                       f + la + str(rng.randrange(10, 99))))
    return form.capitalize() if rng.random() < 0.3 else form


def add_people(w: World, customers: int) -> None:
    rng = w.rng
    w.add(Person("Brightloop", twitter="brightloop", reddit="brightloop_team", role="brand",
                  followers=48_200, location="Portland, OR",
                  description="Ride more, own less. E-bike subscriptions in 40 cities. "
                              "Need help? @brightloop_help"))
    w.add(Person("Brightloop Support", twitter="brightloop_help", role="brand",
                  followers=7_900, location="Portland, OR",
                  description="Official Brightloop support, 7am to 10pm every day."))
    w.add(Person("Dana Whitfield", twitter="danarides", reddit="dana_rides",
                  customer_id="C00001", role="advocate", mood="happy", followers=4_200,
                  location="Portland, OR",
                  description="Daily e-bike commuter. Brightloop rider since 2024. "
                              "Happy to answer questions!"))
    w.add(Person("Tech Wheels Reviews", twitter="techwheels", role="influencer",
                  followers=250_000, location="Los Angeles, CA",
                  description="Honest reviews of e-bikes, scooters and the apps behind them."))
    w.add(Person("Gus Grimsby", twitter="grumpygus", reddit="gus_grimsby",
                  customer_id="C00002", role="detractor", mood="unhappy", followers=2_100,
                  location="Denver, CO", description="Just a guy who wants his bike to work."))
    w.add(Person("Megan Holt", twitter="meganholt", customer_id="C00003", role="mild",
                  mood="unhappy", followers=640, location="Austin, TX",
                  description="Designer. Tea. Occasional cyclist."))

    names = [f"{a} {b}" for a in FIRST for b in LAST if f"{a} {b}" not in PLANTED_NAMES]
    rng.shuffle(names)
    ordinary_ids = [f"C{i:05d}" for i in range(4, customers + 1) if f"C{i:05d}" not in FAN_IDS]
    hidden = sorted(rng.sample(ordinary_ids, HIDDEN_COUNT))
    # Three in four unlisted handles are built from the name (what automatic linking
    # can find); the rest share only the display name (what a person must review).
    unnamed = set(rng.sample(hidden, HIDDEN_COUNT // 4))
    for i in range(4, customers + 1):
        cid = f"C{i:05d}"
        name = names.pop()
        first, last = name.split(" ", 1)
        fan = cid in FAN_IDS
        p = Person(name, customer_id=cid, role="fan" if fan else "ordinary",
                    mood="happy" if fan else rng.choices(
                        ("happy", "neutral", "unhappy"), (0.5, 0.35, 0.15))[0])
        if cid in hidden:
            base = (f"{first.lower()}_{rng.choice(HANDLE_WORDS)}" if cid in unnamed
                    else _name_handle(first, last, rng))
            p.twitter, p.crm_twitter = _unique(base, w, 15), False
        elif fan or rng.random() < 0.85:
            base = (f"{first}{rng.choice(HANDLE_WORDS)}" if rng.random() < 0.4
                    else _name_handle(first, last, rng))
            p.twitter = _unique(base, w, 15)
        if fan or rng.random() < 0.5:
            base = rng.choice((f"{first}_{last}", f"{first}{last}", f"{last}_{first}",
                               f"{first}_{rng.choice(HANDLE_WORDS)}"))
            base = base.lower().replace("ö", "o") if rng.random() < 0.6 else base
            p.reddit = _unique(base.replace("ö", "o"), w, 20, own=p.twitter)
        p.followers = (rng.randrange(600, 2_500) if fan else
                       max(3, min(40_000, int(math.exp(rng.gauss(5.2, 1.3))))))
        p.description = rng.choice(BIOS)
        p.weight = rng.paretovariate(1.6)
        w.add(p)

    customer_names = {p.name for p in w.people if p.customer_id}
    spare = [n for n in names if n not in customer_names]
    for k in range(TWITTER_PROSPECTS):
        handle = f"{rng.choice(PROSPECT_A)}{rng.choice(('', '_'))}{rng.choice(PROSPECT_B)}"
        if rng.random() < 0.4:
            handle += str(rng.randrange(1, 999))
        if k < NAMESAKES:  # same name as a customer, but not a name-built handle
            name = w.people[6 + rng.randrange(customers - 10)].name
        elif rng.random() < 0.8:
            name = spare.pop()
        else:
            name = handle.replace("_", " ").title()
        w.add(Person(name, twitter=_unique(handle, w, 15), role="prospect",
                      mood=rng.choices(("happy", "neutral", "unhappy"), (0.35, 0.5, 0.15))[0],
                      followers=max(3, min(40_000, int(math.exp(rng.gauss(5.6, 1.4))))),
                      description=rng.choice(BIOS), weight=rng.paretovariate(1.6)))
    for _ in range(REDDIT_PROSPECTS):
        handle = f"{rng.choice(PROSPECT_A)}_{rng.choice(PROSPECT_B)}_{rng.randrange(1, 9999)}"
        w.add(Person(spare.pop(), reddit=_unique(handle, w, 20),
                      role="prospect",
                      mood=rng.choices(("happy", "neutral", "unhappy"), (0.35, 0.5, 0.15))[0],
                      weight=rng.paretovariate(1.6)))
    _befriend(w)


def _befriend(w: World) -> None:
    """Friendships among ordinary people (customers, fans, prospects), 2 to 6 made by
    each, both ways, of their own kind with chance :data:`SAME_CIRCLE`: customers
    cluster, as friends of customers more often are customers (word of mouth,
    referrals). Friends are who answers and shares someone's posts first."""
    rng = w.rng
    crowd = [p for p in w.people if p.role in ("ordinary", "fan", "prospect")]
    owners = [p for p in crowd if p.customer_id]
    others = [p for p in crowd if not p.customer_id]
    for p in crowd:
        mine, theirs = (owners, others) if p.customer_id else (others, owners)
        for _ in range(rng.randrange(2, 7)):
            q = rng.choice(mine if rng.random() < SAME_CIRCLE else theirs)
            if q is not p and q not in p.friends:
                p.friends.append(q)
                q.friends.append(p)


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


def crm_rows(w: World) -> tuple[list[list[str]], list[list[str]]]:
    """The CRM file's rows (one per customer) and the orders file's rows, drawn in one pass
    over the people so the random draws keep their order."""
    rng = w.rng
    planted = {"C00001": (12000.0, "10", "2024-03-14", 9),
               "C00002": (9000.0, "1", "2023-06-02", 7),
               "C00003": (1400.0, "5", "2025-11-20", 3)}
    # The planted rows are written by hand, one of each spelling.
    planted_handles = {"C00001": ("@DanaRides", "u/dana_rides"),
                       "C00002": ("grumpygus", "gus_grimsby"), "C00003": ("@meganholt", "")}
    planted_emails = {"C00001": "dana_whitfield25@example.com",
                      "C00002": "gus_grimsby46@example.com", "C00003": "megan.holt@example.com"}
    # A survey answer only loosely follows what someone posts: the chance of being a
    # detractor (0-6), passive (7-8) or promoter (9-10) shifts a little with mood.
    nps_by_mood = {"happy": (0.25, 0.30, 0.45), "neutral": (0.30, 0.35, 0.35),
                   "unhappy": (0.45, 0.30, 0.25)}
    nps_bands = ((0, 1, 2, 3, 4, 5, 6), (7, 8), (9, 10))
    customers: list[list[str]] = []
    orders: list[list[str]] = []
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
        email = planted_emails.get(p.customer_id, email)
        twitter = _crm_handle(p.twitter, rng) if p.twitter and p.crm_twitter else ""
        reddit = _crm_reddit(p.reddit, rng) if p.reddit else ""
        twitter, reddit = planted_handles.get(p.customer_id, (twitter, reddit))
        customers.append([p.customer_id, p.name, email, twitter, reddit, f"{ltv:.2f}", nps,
                          f"{signup:%Y-%m-%d}"])
        orders.extend(customer_orders(p.customer_id, ltv, n, signup, rng,
                                      first_order=len(orders) + 1))
    return customers, orders
