"""``scrm users`` through the real CLI: add, list, reset, remove, and what it refuses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from graph.embedded import EmbeddedStore

SCRM = [sys.executable, "-m", "api.cli"]


def scrm(db: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SCRM_NEO4J_URI"}
    return subprocess.run([*SCRM, "users", *args, "--db", str(db)], input=stdin,
                          capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.slow
def test_users_lifecycle(tmp_path: Path) -> None:
    db = tmp_path / "users.lbdb"
    added = scrm(db, "add", "ana", "--role", "admin", "--password-stdin",
                 stdin="correct horse battery\n")
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == "added ana (admin)"
    again = scrm(db, "add", "ana", "--password-stdin", stdin="correct horse battery\n")
    assert again.returncode == 2 and "already a user ana" in again.stderr
    short = scrm(db, "add", "bo", "--password-stdin", stdin="short\n")
    assert short.returncode == 2 and "at least 10 characters" in short.stderr
    bad_role = scrm(db, "add", "bo", "--role", "owner", "--password-stdin",
                    stdin="correct horse battery\n")
    assert bad_role.returncode == 2 and "unknown role 'owner'" in bad_role.stderr
    assert scrm(db, "add", "bo", "--role", "viewer", "--password-stdin",
                stdin="another long one\n").returncode == 0
    listed = scrm(db, "list").stdout.splitlines()
    assert [line.split("\t")[:3] for line in listed] == [["ana", "admin", "active"],
                                                         ["bo", "viewer", "active"]]
    with EmbeddedStore(db) as store:
        old = store.get_user("ana")
    assert old is not None and old["password_hash"].startswith("$argon2id$")
    assert "correct horse" not in old["password_hash"]
    reset = scrm(db, "reset", "ana", "--role", "manager", "--password-stdin",
                 stdin="a brand new password\n")
    assert reset.returncode == 0 and "sessions have ended" in reset.stdout
    assert scrm(db, "reset", "bo", "--disable", "--keep-password").returncode == 0
    with EmbeddedStore(db) as store:
        ana, bo = store.get_user("ana"), store.get_user("bo")
    assert ana is not None and ana["role"] == "manager"
    assert ana["password_hash"] != old["password_hash"]
    assert bo is not None and bo["disabled"]
    assert scrm(db, "remove", "bo").returncode == 0
    gone = scrm(db, "remove", "bo")
    assert gone.returncode == 2 and "no user bo" in gone.stderr
    assert [line.split("\t")[0] for line in scrm(db, "list").stdout.splitlines()] == ["ana"]
