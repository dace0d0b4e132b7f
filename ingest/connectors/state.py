"""Monitor definitions and their state, behind a small interface.

:class:`MonitorFile` keeps them in ``<db>.monitors.json`` beside the database,
rewritten atomically (a temporary file, fsync, rename), so a process killed mid-write
leaves the old or the new file, never half of one. It holds no credentials: those
come from the environment on every run.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

__all__ = ["Monitor", "MonitorFile", "MonitorState", "MonitorStore"]


@dataclass(slots=True)
class MonitorState:
    """Where a source stands: its cursor and the outcome of its last tries (UTC ISO times)."""

    cursor: str | None = None
    last_success: str | None = None
    items: int = 0
    rejected: int = 0
    last_error: str | None = None
    failures: int = 0
    next_try: str | None = None
    gap_since: str | None = None
    # fingerprints of the malformed items already in a rejects file (the newest
    # MAX_SEEN_REJECTS): a listing that still shows one is not rejected again each poll
    rejects_seen: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Monitor:
    """One followed source: a connector kind with its options."""

    id: str
    kind: str
    options: dict[str, str]
    url: str | None = None
    interval: float = 60.0
    enabled: bool = True
    state: MonitorState = field(default_factory=MonitorState)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Monitor:
        state = MonitorState(**data.get("state", {}))
        return cls(id=data["id"], kind=data["kind"], options=dict(data.get("options", {})),
                   url=data.get("url"), interval=float(data.get("interval", 60.0)),
                   enabled=bool(data.get("enabled", True)), state=state)


class MonitorStore(Protocol):
    """Where monitors live (a store table later; a file beside the database now)."""

    def all(self) -> list[Monitor]: ...

    def get(self, monitor_id: str) -> Monitor | None: ...

    def add(self, kind: str, options: dict[str, str], url: str | None,
            interval: float) -> Monitor: ...

    def remove(self, monitor_id: str) -> bool: ...

    def save_state(self, monitor_id: str, state: MonitorState) -> None: ...


class MonitorFile:
    """Monitors in a JSON file, each change written atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def beside(cls, db: Path) -> MonitorFile:
        return cls(db.parent / (db.name + ".monitors.json"))

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """One read-modify-write at a time across processes (``monitor add`` while
        ``monitor run`` saves state), so neither loses the other's change."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _read(self) -> dict[str, Monitor]:
        if not self.path.exists():
            return {}
        data = json.loads(self.path.read_text(encoding="utf-8"))
        return {m["id"]: Monitor.from_dict(m) for m in data.get("monitors", [])}

    def _write(self, monitors: dict[str, Monitor]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"monitors": [asdict(m) for m in monitors.values()]}, indent=1)
        fd, tmp = tempfile.mkstemp(prefix=self.path.name, dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def all(self) -> list[Monitor]:
        return list(self._read().values())

    def get(self, monitor_id: str) -> Monitor | None:
        """One monitor as stored now (None once removed)."""
        return self._read().get(monitor_id)

    def add(self, kind: str, options: dict[str, str], url: str | None,
            interval: float) -> Monitor:
        with self._locked():
            monitors = self._read()
            monitor = Monitor(id=f"{kind}-{secrets.token_hex(3)}", kind=kind,
                              options=options, url=url, interval=interval)
            monitors[monitor.id] = monitor
            self._write(monitors)
        return monitor

    def remove(self, monitor_id: str) -> bool:
        with self._locked():
            monitors = self._read()
            if monitors.pop(monitor_id, None) is None:
                return False
            self._write(monitors)
        return True

    def save_state(self, monitor_id: str, state: MonitorState) -> None:
        with self._locked():
            monitors = self._read()
            if monitor_id in monitors:  # removed meanwhile: nothing to keep
                monitors[monitor_id].state = state
                self._write(monitors)
