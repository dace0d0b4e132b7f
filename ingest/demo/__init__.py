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

Who speaks about what follows how customers and prospects differ on social media, so
that "who looks like a customer" can be learned from the data (the lookalike ranking,
``bench/lookalike_bench.py``), as it can from a real brand's:

* **owners talk about what they own.** Praise, complaints and agreeing with a
  complaint come from customers, as do support questions (pausing the plan, a flat
  tyre, the payment card, an error code, the lock): people complain about a delivery,
  a bill or a device they have, not one they do not. Customers ask 60% of the
  questions, 85% of theirs about their own bike and plan;
* **prospects are still choosing.** They ask pre-sale questions (price, test rides,
  the minimum contract, the student discount, taking it on a train), write most of the
  posts comparing Brightloop with Loopwise and Cyclify (75%), and answer the brand's
  marketing (offers, news, new docks); what subscribers need to know (maintenance,
  how to pause, winter tyres) is shared and answered by subscribers;
* **the audience outnumbers the customers:** 420 prospects (300 on Twitter, 120 on
  Reddit) beside 300 customers;
* **customers cluster.** Everyone makes 2–6 friends, of their own kind 75% of the
  time, and 60% of the answers and shares an ordinary post gets come from the
  author's friends: friends of customers are more often customers (word of mouth,
  referrals).

The rest is drawn from the whole crowd, customers and prospects alike: the influencer's
and the advocate's audiences, retweets of the detractor, chatter.

Everything comes from one ``random.Random(seed)`` and a fixed clock starting
2026-09-01T00:00:00Z, so the same seed writes byte-identical files. Regenerate
the shipped copy with ``python -m ingest.demo`` (or ``python -m ingest.demo_data``).

The package is split by what it makes: :mod:`~ingest.demo.phrases` (the phrase
banks), :mod:`~ingest.demo.world` (the clock, the planted accounts, the people and
posts being made), :mod:`~ingest.demo.customers` (people and the CRM file),
:mod:`~ingest.demo.orders`, :mod:`~ingest.demo.social` (the Twitter and Reddit
stories) and :mod:`~ingest.demo.writer` (the files and :func:`generate`).
"""

from ingest.demo.world import BASE, DAYS, PLANTED, SHIPPED, Planted
from ingest.demo.writer import generate, main

__all__ = ["BASE", "DAYS", "PLANTED", "SHIPPED", "Planted", "generate", "main"]
