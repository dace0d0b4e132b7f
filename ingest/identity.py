"""Identity resolution: which social accounts belong to which CRM customers.

Exact links come from the CRM itself (handles in its columns, method ``crm``).
This module finds the rest as *candidates*, each with a confidence and the
evidence behind it:

===========================  ====  ==============================================
evidence                     p     when
===========================  ====  ==============================================
e-mail in the bio            0.99  the customer's e-mail appears in the account bio
handle reused                0.90  the same handle (ignoring ``_ . -`` and digits)
                                   is already linked to this customer elsewhere
                                   (0.60 for handles under 8 characters)
handle = e-mail local part   0.80  ``dana.whitfield@…`` ~ ``@dana_whitfield``
handle built from the name   0.65  ``danawhitfield``, ``dwhitfield``, ``dana_w``…
display name = CRM name      0.60  after case, accents and word order
display name ~ CRM name      0.35  Jaro-Winkler ≥ 0.90
same location                0.15  only alongside another piece of evidence
===========================  ====  ==============================================

Pieces combine by noisy-OR: ``1 - Π(1 - pᵢ)``, so two independent medium pieces
(name and handle: 0.86) pass the default auto-link threshold of 0.85 and one
alone does not. Candidate pairs come from blocking keys (name tokens, handle
cores, e-mail local parts), never the full cross product. An account matched
by several customers goes to review as ambiguous; a person's ``reject``
decision is never proposed again; accounts already linked are left alone.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

import pandas as pd

from graph.model import account_key, normalize_handle

__all__ = ["Candidate", "check_account", "jaro_winkler", "resolve"]


# What a handle may look like, per platform (after normalize_handle: no @ or u/, lower
# case). Other channels (the generic source) take any handle without spaces or colons.
_PLATFORM = re.compile(r"[a-z][a-z0-9_-]{0,31}")
_HANDLES = {
    "twitter": (re.compile(r"[a-z0-9_]{1,15}"), "1-15 letters, digits or _"),
    "reddit": (re.compile(r"[a-z0-9_-]{3,20}"), "3-20 letters, digits, _ or -"),
}
_ANY_HANDLE = (re.compile(r"[^\s:]{1,100}"), "1-100 characters without spaces or colons")


def check_account(platform: str, handle: str) -> str:
    """The account key of a hand-made link, after checking the platform and handle.

    The one check for links made by a person (``scrm identities link``, the
    ``linkAccount`` mutation), so none of them can create an empty or malformed account.

    Args:
        platform: ``twitter``, ``reddit`` or another channel's name.
        handle: The handle, with or without ``@`` / ``u/``.

    Returns:
        ``platform:handle`` as the store keys it.

    Raises:
        ValueError: The platform or handle cannot be one; the message says why.

    Example:
        >>> check_account("Twitter", "@DanaW")
        'twitter:danaw'
    """
    name = platform.strip().lower()
    if not _PLATFORM.fullmatch(name):
        raise ValueError(f"{platform!r} is not a platform name (e.g. twitter or reddit)")
    clean = normalize_handle(handle)
    pattern, rule = _HANDLES.get(name, _ANY_HANDLE)
    if not pattern.fullmatch(clean):
        raise ValueError(f"{handle!r} is not a {name} handle ({rule})")
    return account_key(name, clean)

P_EMAIL_BIO = 0.99
P_REUSE = 0.90
P_HANDLE_EMAIL = 0.80
P_HANDLE_NAME = 0.65
P_NAME_EXACT = 0.60
P_NAME_CLOSE = 0.35
P_LOCATION = 0.15
AMBIGUITY_MARGIN = 0.10

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_CORE = re.compile(r"[^a-z]+")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


@dataclass(frozen=True)
class Candidate:
    customer_id: str
    account_key: str
    confidence: float
    evidence: tuple[str, ...]
    status: str  # auto | pending


def _fold(text: object) -> str:
    if not isinstance(text, str):
        return ""
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).lower().strip()


def _core(handle: str) -> str:
    """A handle without separators and digits: ``Dana_W1991`` → ``danaw``."""
    return _CORE.sub("", _fold(handle))


def _reuse_key(handle: str) -> str:
    """What counts as the same handle on two platforms: separators ignored, digits kept,
    and digits ignored too only for a distinctive core (6+ letters): ``dana_rides`` ~
    ``danarides``, ``dev_45`` !~ ``dev48``."""
    plain = _NON_ALNUM.sub("", _fold(handle))
    core = _core(handle)
    return core if len(core) >= 6 else plain


def jaro_winkler(a: str, b: str, prefix_scale: float = 0.1) -> float:
    """Jaro-Winkler similarity in [0, 1].

    Example:
        >>> round(jaro_winkler("martha", "marhta"), 3)
        0.961
    """
    if a == b:
        return 1.0 if a else 0.0
    if not a or not b:
        return 0.0
    window = max(len(a), len(b)) // 2 - 1
    a_hit, b_hit = [False] * len(a), [False] * len(b)
    matches = 0
    for i, ch in enumerate(a):
        for j in range(max(0, i - window), min(len(b), i + window + 1)):
            if not b_hit[j] and b[j] == ch:
                a_hit[i] = b_hit[j] = True
                matches += 1
                break
    if not matches:
        return 0.0
    a_m = [c for c, h in zip(a, a_hit, strict=True) if h]
    b_m = [c for c, h in zip(b, b_hit, strict=True) if h]
    transpositions = sum(x != y for x, y in zip(a_m, b_m, strict=True)) / 2
    jaro = (matches / len(a) + matches / len(b) + (matches - transpositions) / matches) / 3
    prefix = 0
    for x, y in zip(a[:4], b[:4], strict=False):
        if x != y:
            break
        prefix += 1
    return jaro + prefix * prefix_scale * (1 - jaro)


@dataclass
class _Customer:
    customer_id: str
    name: str
    tokens: list[str]
    email: str
    email_core: str
    location: str
    handle_forms: set[str] = field(default_factory=set)
    linked_cores: set[str] = field(default_factory=set)


def _customer(row: pd.Series) -> _Customer:
    name = _fold(row.get("name"))
    tokens = [t for t in _NON_ALNUM.split(name) if t]
    email = _fold(row.get("email"))
    local = email.split("@", 1)[0] if "@" in email else ""
    c = _Customer(customer_id=str(row["customer_id"]), name=" ".join(sorted(tokens)),
                  tokens=tokens, email=email, email_core=_CORE.sub("", local),
                  location=_fold(row.get("location")))
    if len(tokens) >= 2:
        first, last = tokens[0], tokens[-1]
        c.handle_forms = {first + last, last + first, first[0] + last, first + last[0],
                          first + "_" + last, last + first[0]}
        c.handle_forms = {_CORE.sub("", f) for f in c.handle_forms}
    return c


def _evidence(c: _Customer, account: pd.Series) -> list[tuple[str, float]]:
    out: list[tuple[str, float]] = []
    handle = str(account["handle"])
    core = _core(handle)
    display = _fold(account.get("display_name"))
    bio = _fold(account.get("description"))
    if c.email and c.email in _EMAIL.findall(bio):
        out.append((f"e-mail {c.email} appears in the account bio", P_EMAIL_BIO))
    if _reuse_key(handle) in c.linked_cores:
        # a short handle (eli42) is reused by strangers far more often than a long one
        distinctive = len(_NON_ALNUM.sub("", _fold(handle))) >= 8
        out.append((f"handle '{handle}' reuses a handle already linked to this customer on "
                    "another platform", P_REUSE if distinctive else P_HANDLE_NAME - 0.05))
    if core and c.email_core and core == c.email_core:
        out.append((f"handle '{handle}' matches the e-mail local part", P_HANDLE_EMAIL))
    elif core and core in c.handle_forms:
        out.append((f"handle '{handle}' is built from the name '{c.name}'", P_HANDLE_NAME))
    if display:
        shown = " ".join(sorted(t for t in _NON_ALNUM.split(display) if t))
        if shown and shown == c.name:
            out.append((f"display name '{account.get('display_name')}' equals the CRM name",
                        P_NAME_EXACT))
        elif shown and jaro_winkler(shown, c.name) >= 0.90:
            out.append((f"display name '{account.get('display_name')}' is close to the CRM "
                        f"name ({jaro_winkler(shown, c.name):.2f})", P_NAME_CLOSE))
    loc = _fold(account.get("location"))
    if out and c.location and loc and (c.location in loc or loc in c.location):
        out.append((f"same location '{account.get('location')}'", P_LOCATION))
    return out


def resolve(
    customers: pd.DataFrame,
    accounts: pd.DataFrame,
    links: pd.DataFrame,
    decisions: pd.DataFrame | None = None,
    *,
    threshold: float = 0.85,
    min_confidence: float = 0.5,
) -> list[Candidate]:
    """Candidate customer ↔ account links: ``auto`` at or above ``threshold``,
    ``pending`` (for review) between ``min_confidence`` and it.

    Parameters:
        customers: customer_id, name, email, location.
        accounts: key, platform, handle, display_name, location, description, is_brand.
        links: existing links: customer_id, account_key, method, confidence.
        decisions: a person's decisions: customer_id, account_key, decision
            (``link`` | ``reject``).
    """
    rejected = set()
    if decisions is not None and len(decisions):
        rejected = {(r.customer_id, r.account_key) for r in decisions.itertuples()
                    if r.decision == "reject"}
    linked_accounts = set(links["account_key"]) if len(links) else set()
    people = {str(r["customer_id"]): _customer(r) for _, r in customers.iterrows()}
    if len(links):
        for r in links.itertuples():
            if r.customer_id in people:
                people[r.customer_id].linked_cores.add(
                    _reuse_key(str(r.account_key).split(":", 1)[1]))

    index: dict[str, set[str]] = defaultdict(set)
    for cid, c in people.items():
        for form in c.handle_forms | c.linked_cores | ({c.email_core} - {""}):
            index["h:" + form].add(cid)
        if c.tokens:
            index["n:" + c.name].add(cid)
            index["l:" + c.tokens[-1]].add(cid)

    by_account: dict[str, list[tuple[str, float, list[str]]]] = defaultdict(list)
    pool = accounts[~accounts["key"].isin(linked_accounts)]
    if "is_brand" in pool:
        pool = pool[~pool["is_brand"].fillna(False).astype(bool)]
    for _, account in pool.iterrows():
        key = str(account["key"])
        core = _core(str(account["handle"]))
        display = _fold(account.get("display_name"))
        tokens = [t for t in _NON_ALNUM.split(display) if t]
        bio_emails = _EMAIL.findall(_fold(account.get("description")))
        block = set(index.get("h:" + core, ())) if core else set()
        block |= index.get("h:" + _reuse_key(str(account["handle"])), set())
        if tokens:
            block |= index.get("n:" + " ".join(sorted(tokens)), set())
            block |= index.get("l:" + tokens[-1], set())
        for email in bio_emails:
            block |= {cid for cid, c in people.items() if c.email == email} if len(
                bio_emails) < 3 else set()
        for cid in block:
            if (cid, key) in rejected:
                continue
            evidence = _evidence(people[cid], account)
            if not evidence:
                continue
            miss = 1.0
            for _, p in evidence:
                miss *= 1.0 - p
            confidence = round(1.0 - miss, 4)
            if confidence >= min_confidence:
                by_account[key].append((cid, confidence, [e for e, _ in evidence]))

    out: list[Candidate] = []
    for key, options in by_account.items():
        options.sort(key=lambda o: (-o[1], o[0]))
        best_id, best, reasons = options[0]
        rivals = [o for o in options[1:] if o[1] >= best - AMBIGUITY_MARGIN]
        status = "auto" if best >= threshold and not rivals else "pending"
        shown = [str(e) for e in reasons]
        if rivals:
            shown.append("ambiguous: also matches " + ", ".join(o[0] for o in rivals))
        out.append(Candidate(best_id, key, best, tuple(shown), status))
        for cid, confidence, ev in options[1:]:
            out.append(Candidate(cid, key, confidence,
                                 (*ev, f"ambiguous: {best_id} matches better"), "pending"))
    out.sort(key=lambda c: (-c.confidence, c.account_key, c.customer_id))
    return out
