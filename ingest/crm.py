"""CRM exports: contacts (customers and their handles) and orders, as CSV with a header.

Columns are found by name through a mapping from scrm's field names to the
file's column names (identity by default; presets in :data:`PRESETS` for
HubSpot and Salesforce contact exports). A mapped name may list alternatives
separated by ``|``; the first one the header has is used. Required:
``customer_id``. Optional: ``name`` (or ``first_name`` and ``last_name``, joined),
``email, twitter, reddit, lifetime_value, nps, signup_date, location, company``.
An optional field that cannot be read is dropped with a warning in the rejects
file; the contact is kept. A handle may be written with or without ``@`` (``u/`` on Reddit) and
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
_FIELDS = ("customer_id", "name", "first_name", "last_name", "email", *HANDLE_COLUMNS,
           "lifetime_value", "nps", "signup_date", "location", "company")

# Column names of real exports: HubSpot's contact export; Salesforce's report export
# (UI labels) and its API / Data Loader export (field names). ``|`` separates names
# the same field has in different exports.
PRESETS: dict[str, dict[str, str]] = {
    "hubspot": {"customer_id": "Record ID|Contact ID|Contact id", "email": "Email",
                "name": "Full Name|Name", "first_name": "First Name",
                "last_name": "Last Name", "twitter": "Twitter Username",
                "lifetime_value": "Total Revenue", "signup_date": "Create Date",
                "location": "City", "company": "Company Name|Company name"},
    "salesforce": {"customer_id": "Contact ID|Id|ContactId", "email": "Email",
                   "name": "Full Name|Name", "first_name": "First Name|FirstName",
                   "last_name": "Last Name|LastName", "twitter": "Twitter|Twitter__c",
                   "lifetime_value": "Lifetime Value|Lifetime_Value__c",
                   "signup_date": "Created Date|CreatedDate",
                   "location": "Mailing City|MailingCity",
                   "company": "Account Name|Account.Name|AccountId"},
}

_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y", "%Y/%m/%d",
                 # US 12- and 24-hour times (HubSpot "3/15/2024 2:30 PM")
                 "%m/%d/%Y %I:%M %p", "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M",
                 "%m/%d/%Y %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S")


def _date(value: str) -> date:
    for fmt in _DATE_FORMATS:
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
        for wanted in mapping[field].split("|"):
            column = present.get(wanted.strip()) or lowered.get(wanted.strip().lower())
            if column is not None:
                columns[field] = column
                break
    for field in required:
        if field not in columns:
            wanted = " or ".join(repr(w) for w in mapping[field].split("|"))
            shown = ", ".join(header)
            shown = shown if len(shown) <= 300 else shown[:300] + "…"
            raise SourceFormatError(
                str(path), f"no {wanted} column in the header ({shown}); use "
                "--preset hubspot or --preset salesforce for those exports, or --mapping "
                f"FILE.json naming your columns, e.g. {{\"{field}\": \"Contact ID\"}}")
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
            dropped: list[Reject] = []

            def drop(field: str, why: str, raw: str = raw, line: int = line,
                     dropped: list[Reject] = dropped) -> None:
                column = columns.get(field, field)
                dropped.append(Reject(str(path), line, f"field {field!r} (column {column!r}) "
                                      f"{why}; the field was left empty and the contact kept",
                                      raw, field, warning=True))

            ltv = None
            ltv_text = value("lifetime_value").replace(",", "").lstrip("$€£")
            if ltv_text:
                try:
                    ltv = float(ltv_text)
                except ValueError:
                    drop("lifetime_value", f"is not a number: {value('lifetime_value')!r}")
            nps = _nps(value("nps"))
            if nps == -1:
                drop("nps", f"must be a whole number 0-10: {value('nps')!r}")
                nps = None
            signup = None
            if value("signup_date"):
                try:
                    signup = _date(value("signup_date"))
                except ValueError as exc:
                    drop("signup_date", str(exc))
            name = value("name") or " ".join(
                p for p in (value("first_name"), value("last_name")) if p)
            yield Customer(customer_id=customer_id, name=name or None,
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
            yield from dropped


_STAFF_WORDS = frozenset({"1", "true", "yes", "y", "x", "staff", "employee", "team"})


def staff_customers(path: Path | str, column: str, mapping: dict[str, str] | None = None
                    ) -> tuple[set[str], set[str]]:
    """Which of a CRM file's customers are staff, by one of its columns.

    Args:
        path: The CRM CSV (as :func:`parse` reads it).
        column: ``COLUMN`` (a cell of 1, true, yes, y, x, staff, employee or team, any
            case, means staff) or ``COLUMN=VALUE`` (``|`` between several: the cell
            equals one of them, any case), e.g. ``department=Support|Marketing``.
        mapping: The same field → column mapping the import used (for customer_id).

    Returns:
        (staff ids, the file's other customer ids).

    Raises:
        SourceFormatError: The file has no such column (or no customer_id column).
    """
    name, _, wanted = column.partition("=")
    values = {v.strip().lower() for v in wanted.split("|") if v.strip()} or _STAFF_WORDS
    mapping = {**{f: f for f in _FIELDS}, **(mapping or {}), "staff": name.strip()}
    reader, fh = _reader(path)
    staff: set[str] = set()
    others: set[str] = set()
    with fh:
        columns = _columns(path, reader.fieldnames, mapping, ("customer_id",))
        if "staff" not in columns:
            raise SourceFormatError(str(path), f"no {name.strip()!r} column in the header for "
                                    "--staff-column; name one of its columns")
        for row in reader:
            customer_id = (row.get(columns["customer_id"]) or "").strip()
            if customer_id:
                cell = (row.get(columns["staff"]) or "").strip().lower()
                (staff if cell in values else others).add(customer_id)
    return staff, others - staff


def _nps(text: str) -> int | None:
    """The score 0-10, None when empty, -1 when it is not a whole number 0-10."""
    if not text:
        return None
    try:
        nps = float(text)
    except ValueError:
        return -1
    return int(nps) if nps.is_integer() and 0 <= nps <= 10 else -1


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
