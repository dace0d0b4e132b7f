"""Stack Exchange data dumps: a folder with ``Posts.xml``, ``Users.xml``, ``Comments.xml``
(and optionally ``Votes.xml``).

Questions start conversations; answers reply to their question; comments reply
to the post they are on. An accepted answer is marked ``accepted``: its author
helped the asker, the strongest helpfulness signal a forum gives. Users are
keyed by their numeric id (display names are not unique), with the display name
kept for identity resolution. A post whose owner was deleted keeps its author
as ``name:<OwnerDisplayName>`` (or ``[deleted]``) so no post is lost.

The dump has one ``<row .../>`` per line, so every reject names its file and line.
The platform name is ``stackexchange`` unless ``platform=`` says otherwise
(e.g. ``--option platform=serverfault`` when loading several sites).
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from graph.model import Account, Post, PostKind, Record, Reject
from ingest.errors import SourceFormatError
from ingest.loader import Unit

__all__ = ["units"]

_TAGS = re.compile(r"<[^>]+>")
_FILES = ("Users.xml", "Posts.xml", "Comments.xml")


# PostTypeId 1 is a question and 2 an answer; 3, 4 and 5 are tag wikis and their
# excerpts, 7 and 8 site wiki pages: text about tags and the site, not a conversation.
_NOT_CONVERSATIONS = frozenset({"3", "4", "5", "7", "8"})

def _plain(body: str | None) -> str:
    """Stack Exchange bodies are HTML; keep the words."""
    if not body:
        return ""
    return html.unescape(_TAGS.sub(" ", body)).strip()


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def _rows(path: Path) -> Iterator[tuple[int, str, dict[str, str] | None, str | None]]:
    """(line, raw, attributes or None, error) for every ``<row>`` line of a dump file."""
    with path.open("rb") as fh:
        for line_no, raw_bytes in enumerate(fh, start=1):
            stripped = raw_bytes.strip()
            if not stripped.startswith(b"<row"):
                continue
            try:
                raw = stripped.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield line_no, stripped.decode("utf-8", "replace"), None, \
                    f"invalid UTF-8 at byte {exc.start} of the line"
                continue
            try:
                yield line_no, raw, dict(ET.fromstring(raw).attrib), None
            except ET.ParseError as exc:
                yield line_no, raw, None, f"malformed XML row: {exc}"


def _author(row: dict[str, str], id_field: str, name_field: str) -> str:
    if row.get(id_field):
        return row[id_field]
    if row.get(name_field):
        return "name:" + row[name_field]
    return "[deleted]"


def units(path: Path | str, *, platform: str = "stackexchange") -> Iterator[Unit]:
    """Every user, post and comment of a dump folder, as loader units."""
    folder = Path(path)
    if str(path) == "-" or not folder.is_dir():
        raise SourceFormatError(
            str(path), "a Stack Exchange dump is a folder holding Posts.xml, Users.xml and "
            "Comments.xml; pass the folder")
    missing = [name for name in ("Posts.xml",) if not (folder / name).is_file()]
    if missing:
        raise SourceFormatError(str(folder), f"{missing[0]} is missing from the dump folder")

    accepted: set[str] = set()
    question_of: dict[str, str] = {}
    for _line, _raw, row, _error in _rows(folder / "Posts.xml"):
        if row is None:
            continue
        if row.get("AcceptedAnswerId"):
            accepted.add(row["AcceptedAnswerId"])
        if row.get("PostTypeId") == "2" and row.get("ParentId"):
            question_of[row["Id"]] = row["ParentId"]

    def bad(file: Path, line: int, raw: str, reason: str, field: str | None = None) -> Unit:
        return Unit(line, raw, [Reject(str(file), line, reason, raw, field)])

    users = folder / "Users.xml"
    if users.is_file():
        for line, raw, row, error in _rows(users):
            if row is None:
                yield bad(users, line, raw, error or "unreadable row")
                continue
            if not row.get("Id"):
                yield bad(users, line, raw, "missing required field 'Id'", "Id")
                continue
            yield Unit(line, raw, [Account(
                platform=platform, handle=row["Id"], user_id=row["Id"],
                display_name=row.get("DisplayName"), location=row.get("Location") or None,
                description=_plain(row.get("AboutMe")) or None)])

    posts = folder / "Posts.xml"
    for line, raw, row, error in _rows(posts):
        if row is None:
            yield bad(posts, line, raw, error or "unreadable row")
            continue
        try:
            post_id, created = row["Id"], _when(row["CreationDate"])
        except KeyError as exc:
            yield bad(posts, line, raw, f"missing required field {exc.args[0]!r}", exc.args[0])
            continue
        except ValueError:
            yield bad(posts, line, raw, "field 'CreationDate' is not a date", "CreationDate")
            continue
        kind_id = row.get("PostTypeId")
        if kind_id in _NOT_CONVERSATIONS:
            continue
        parent = row.get("ParentId") if kind_id == "2" else None
        root = question_of.get(post_id, post_id) if kind_id == "2" else post_id
        author = _author(row, "OwnerUserId", "OwnerDisplayName")
        try:
            score = int(row["Score"]) if row.get("Score") else None
        except ValueError:
            yield bad(posts, line, raw, "field 'Score' is not an integer", "Score")
            continue
        title = row.get("Title")
        yield Unit(line, raw, [
            Post(platform=platform, post_id=f"p{post_id}", author_handle=author,
                 created_at=created, text=_plain(row.get("Body")), title=title,
                 kind=PostKind.REPLY if parent else PostKind.POST,
                 parent_id=f"p{parent}" if parent else None, conversation_id=f"p{root}",
                 score=score, accepted=post_id in accepted,
                 hashtags=tuple(re.findall(r"<([^>]+)>", html.unescape(row.get("Tags", ""))))),
            Account(platform=platform, handle=author,
                    display_name=row.get("OwnerDisplayName") or None),
        ])

    comments = folder / "Comments.xml"
    if comments.is_file():
        for line, raw, row, error in _rows(comments):
            if row is None:
                yield bad(comments, line, raw, error or "unreadable row")
                continue
            try:
                comment_id, on_post = row["Id"], row["PostId"]
                created = _when(row["CreationDate"])
            except KeyError as exc:
                yield bad(comments, line, raw, f"missing required field {exc.args[0]!r}",
                          exc.args[0])
                continue
            except ValueError:
                yield bad(comments, line, raw, "field 'CreationDate' is not a date",
                          "CreationDate")
                continue
            author = _author(row, "UserId", "UserDisplayName")
            root = question_of.get(on_post, on_post)
            records: list[Record] = [
                Post(platform=platform, post_id=f"c{comment_id}", author_handle=author,
                     created_at=created, text=_plain(row.get("Text")), kind=PostKind.COMMENT,
                     parent_id=f"p{on_post}", conversation_id=f"p{root}",
                     score=int(row["Score"]) if row.get("Score", "").lstrip("-").isdigit()
                     else None),
                Account(platform=platform, handle=author,
                        display_name=row.get("UserDisplayName") or None),
            ]
            yield Unit(line, raw, records)
