"""The team: staff and brand accounts, kept out of advocate rankings and awareness
metrics and shown on their own (as Orbit and Common Room do).

Pure functions over frames; the settings that name the team are ``brand.staff_domains``
(e-mail domains, JSON list) and ``brand.staff_accounts`` (``platform:handle`` keys, JSON
list), both set by ``scrm brand --staff-domain / --staff-account``, and
``brand.staff_customers`` (CRM customer ids, JSON list), set from a CRM column by
``scrm ingest crm FILE --staff-column COLUMN[=VALUE]``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

import pandas as pd

__all__ = ["excluded_authors", "staff_customer_ids", "staff_settings", "team_accounts"]


def staff_settings(settings: Mapping[str, str]) -> tuple[list[str], list[str]]:
    """(e-mail domains, named account keys) from the key-value settings."""
    domains = [d.lower().lstrip("@") for d in json.loads(
        settings.get("brand.staff_domains", "[]")) if d]
    named = [a.lower() for a in json.loads(settings.get("brand.staff_accounts", "[]")) if a]
    return domains, named


def staff_customer_ids(settings: Mapping[str, str]) -> set[str]:
    """CRM customers marked staff by a CRM column (``scrm ingest crm --staff-column``)."""
    return {str(c) for c in json.loads(settings.get("brand.staff_customers", "[]")) if c}


def team_accounts(accounts: pd.DataFrame, customers: pd.DataFrame, *,
                  domains: Iterable[str], named: Iterable[str],
                  staff_ids: Iterable[str] = ()) -> set[str]:
    """Account keys that belong to the team.

    Args:
        accounts: ``key`` and ``customer_id`` (the account's owner, or null).
        customers: ``customer_id`` and ``email``.
        domains: Staff e-mail domains: an account owned by a customer whose e-mail is at
            one of them (or a subdomain) is staff.
        named: Account keys that are staff whatever the CRM says.
        staff_ids: CRM customer ids that are staff (from a CRM column): their
            accounts are staff.

    Returns:
        The staff accounts' keys (brand accounts are the caller's to add).

    Example:
        >>> a = pd.DataFrame({"key": ["x:ann", "x:bob"], "customer_id": ["C1", "C2"]})
        >>> c = pd.DataFrame({"customer_id": ["C1", "C2"],
        ...                   "email": ["ann@acme.com", "bob@gmail.com"]})
        >>> sorted(team_accounts(a, c, domains=["acme.com"], named=["x:zed"]))
        ['x:ann', 'x:zed']
    """
    out = {str(k) for k in named}
    ids = {str(c) for c in staff_ids}
    if ids and not accounts.empty:
        owned = accounts["customer_id"].astype("string").isin(ids).fillna(False)
        out |= set(accounts.loc[owned.to_numpy(dtype=bool), "key"].astype(str))
    suffixes = tuple(d.lower() for d in domains)
    if not suffixes or customers.empty or accounts.empty:
        return out
    email = customers["email"].fillna("").astype(str).str.lower()
    domain = email.str.rsplit("@", n=1).str[-1].where(email.str.contains("@"), "")
    staff = domain.map(lambda d: bool(d) and any(
        d == s or d.endswith("." + s) for s in suffixes))
    ids = set(customers.loc[staff.to_numpy(dtype=bool), "customer_id"].astype(str))
    owned = accounts["customer_id"].astype("string").isin(ids).fillna(False).to_numpy(
        dtype=bool)
    return out | set(accounts.loc[owned, "key"].astype(str))


def excluded_authors(stats: Mapping[str, object]) -> set[str]:
    """Accounts a completed run set apart (flagged bots and the team): left out of
    person-level and awareness metrics."""
    keys: set[str] = set()
    for name in ("bots", "team"):
        rows = stats.get(name) or []
        if isinstance(rows, list):
            keys |= {str(r["key"]) if isinstance(r, dict) else str(r) for r in rows}
    return keys
