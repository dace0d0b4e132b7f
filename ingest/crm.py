"""CRM exports: contacts (customers and their handles) and orders, as CSV with a header.

Columns are found by name through a mapping from scrm's field names to the
file's column names (identity by default; presets in :data:`PRESETS` for
HubSpot and Salesforce contact exports). Required: ``customer_id``. Optional:
``name, email, twitter, reddit, lifetime_value, nps, signup_date, location,
company``. A handle may be written with or without ``@`` (``u/`` on Reddit) and
is matched case-insensitively; each one becomes an exact identity link
(confidence 1.0, method ``crm``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from pathlib import Path

from graph.model import Account, Customer, OwnsLink, Purchase, Record, Reject, normalize_handle
from ingest.errors import SourceFormatError

__all__ = ["HANDLE_COLUMNS", "PRESETS", "parse", "parse_orders"]

HANDLE_COLUMNS = ("twitter", "reddit", "stackexchange")
_FIELDS = ("customer_id", "name", "email", *HANDLE_COLUMNS, "lifetime_value", "nps",
           "signup_date", "location", "company")

PRESETS: dict[str, dict[str, str]] = {
    "hubspot": {"customer_id": "Record ID", "email": "Email", "name": "Full Name",
                "twitter": "Twitter Username", "lifetime_value": "Total Revenue",
                "signup_date": "Create Date", "location": "City", "company": "Company Name"},
    "salesforce": {"customer_id": "Contact ID", "email": "Email", "name": "Full Name",
                   "twitter": "Twitter", "lifetime_value": "Lifetime Value",
                   "signup_date": "Created Date", "location": "Mailing City",
                   "company": "Account Name"},
}


def _date(value: str) -> date:
    for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y", "%Y/%m/%d"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    try:
        return datetime.fromisoformat(value).date()
    except ValueError:
        raise ValueError(f"not a date: {value!r} (use YYYY-MM-DD)") from None


def _reader(path: Path | str) -> tuple[csv.DictReader[str], io.TextIOWrapper]:
    fh = Path(path).open("r", encoding="utf-8-sig", newline="")
    return csv.DictReader(fh), fh


def _columns(path: Path | str, header: Sequence[str] | None, mapping: dict[str, str],
             required: tuple[str, ...]) -> dict[str, str]:
    if not header:
        raise SourceFormatError(str(path), "the file is empty: a CSV with a header row is needed")
    present = {h.strip(): h for h in header}
    lowered = {h.strip().lower(): h for h in header}
    columns = {}
    for field in mapping:
        wanted = mapping[field]
        column = present.get(wanted) or lowered.get(wanted.lower())
        if column is not None:
            columns[field] = column
    for field in required:
        if field not in columns:
            raise SourceFormatError(
                str(path), f"no {mapping[field]!r} column in the header ({', '.join(header)}); "
                f"add it or map it with a column-mapping config")
    return columns


def parse(path: Path | str, mapping: dict[str, str] | None = None) -> Iterator[Record]:
    """Customers, their accounts and exact links, one row at a time; Rejects for bad rows."""
    mapping = {**{f: f for f in _FIELDS}, **(mapping or {})}
    reader, fh = _reader(path)
    with fh:
        columns = _columns(path, reader.fieldnames, mapping, ("customer_id",))
        for row in reader:
            line = reader.line_num
            raw = ",".join(v or "" for v in row.values() if isinstance(v, str))

            def value(field: str, row: dict[str, str | None] = row) -> str:
                column = columns.get(field)
                v = row.get(column) if column else None
                return v.strip() if isinstance(v, str) else ""

            customer_id = value("customer_id")
            if not customer_id:
                yield Reject(str(path), line, "missing required field 'customer_id'", raw,
                             "customer_id")
                continue
            try:
                ltv_text = value("lifetime_value").replace(",", "").lstrip("$€£")
                ltv = float(ltv_text) if ltv_text else None
            except ValueError:
                yield Reject(str(path), line, f"field 'lifetime_value' is not a number: "
                             f"{value('lifetime_value')!r}", raw, "lifetime_value")
                continue
            nps_text = value("nps")
            nps = None
            if nps_text:
                try:
                    nps = int(float(nps_text))
                except ValueError:
                    nps = -1
                if not 0 <= nps <= 10 or float(nps_text) != nps:
                    yield Reject(str(path), line, f"field 'nps' must be a whole number 0-10: "
                                 f"{nps_text!r}", raw, "nps")
                    continue
            signup = None
            if value("signup_date"):
                try:
                    signup = _date(value("signup_date"))
                except ValueError as exc:
                    yield Reject(str(path), line, f"field 'signup_date' {exc}", raw,
                                 "signup_date")
                    continue
            yield Customer(customer_id=customer_id, name=value("name") or None,
                           email=value("email").lower() or None, lifetime_value=ltv, nps=nps,
                           signup_date=signup, location=value("location") or None,
                           company=value("company") or None)
            for platform in HANDLE_COLUMNS:
                handle = value(platform)
                if handle and normalize_handle(handle):
                    yield Account(platform=platform, handle=handle)
                    yield OwnsLink(customer_id=customer_id, platform=platform, handle=handle,
                                   confidence=1.0, method="crm",
                                   evidence=f"CRM column {columns[platform]!r}")


def parse_orders(path: Path | str, mapping: dict[str, str] | None = None) -> Iterator[Record]:
    """Purchases: customer_id, order_id (optional), amount, date."""
    mapping = {**{f: f for f in ("customer_id", "order_id", "amount", "date")}, **(mapping or {})}
    reader, fh = _reader(path)
    with fh:
        columns = _columns(path, reader.fieldnames, mapping, ("customer_id", "amount", "date"))
        for row in reader:
            line = reader.line_num
            raw = ",".join(v or "" for v in row.values() if isinstance(v, str))
            get = {f: (row.get(c) or "").strip() for f, c in columns.items()}
            if not get.get("customer_id"):
                yield Reject(str(path), line, "missing required field 'customer_id'", raw,
                             "customer_id")
                continue
            try:
                amount = float(get["amount"].replace(",", "").lstrip("$€£"))
            except ValueError:
                yield Reject(str(path), line, f"field 'amount' is not a number: "
                             f"{get['amount']!r}", raw, "amount")
                continue
            try:
                when = _date(get["date"])
            except ValueError as exc:
                yield Reject(str(path), line, f"field 'date' {exc}", raw, "date")
                continue
            yield Purchase(customer_id=get["customer_id"],
                           order_id=get.get("order_id") or f"line{line}", amount=amount,
                           purchased_at=when)
