"""``scrm webhooks``: add (private URLs refused unless allowed), list without secrets, test,
remove; subscriptions are kept in the store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def scrm(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("SCRM_")}
    return subprocess.run([sys.executable, "-m", "api.cli", *args], capture_output=True,
                          text=True, env={**full, **(env or {})}, timeout=300)


@pytest.mark.slow
def test_webhooks_cli(tmp_path: Path) -> None:
    db = str(tmp_path / "w.lbdb")
    refused = scrm("webhooks", "add", "http://127.0.0.1:8123/hook", "--event", "alert",
                   "--db", db)
    assert refused.returncode == 2 and "SCRM_WEBHOOK_ALLOW_PRIVATE" in refused.stderr
    added = scrm("webhooks", "add", "http://127.0.0.1:8123/hook", "--event", "alert",
                 "--event", "care_item", "--db", db, env={"SCRM_WEBHOOK_ALLOW_PRIVATE": "true"})
    assert added.returncode == 0, added.stderr
    assert "signing secret (shown once): " in added.stdout
    secret = added.stdout.split("signing secret (shown once): ")[1].split()[0]
    listed = json.loads(scrm("webhooks", "list", "--json", "--db", db).stdout)
    assert [(w["url"], w["events"], w["secret"]) for w in listed] == [
        ("http://127.0.0.1:8123/hook", ["alert", "care_item"], None)]
    assert secret not in scrm("webhooks", "list", "--db", db).stdout
    # an empty --secret (a variable not set: --secret "$SECRET") gets a new one: shown
    unset = scrm("webhooks", "add", "http://127.0.0.1:8124/hook", "--event", "alert",
                 "--secret", "", "--db", db, env={"SCRM_WEBHOOK_ALLOW_PRIVATE": "true"})
    assert unset.returncode == 0 and "signing secret (shown once): " in unset.stdout
    assert scrm("webhooks", "remove", unset.stdout.split()[1], "--db", db).returncode == 0
    bad = scrm("webhooks", "add", "https://example.com/h", "--event", "nope", "--db", db)
    assert bad.returncode == 2 and "unknown event 'nope'" in bad.stderr
    # nothing listens there: one try, its failure said in one line
    tried = scrm("webhooks", "test", listed[0]["id"], "--db", db,
                 env={"SCRM_WEBHOOK_ALLOW_PRIVATE": "true"})
    assert tried.returncode == 1 and "could not connect" in tried.stderr
    assert "no deliveries yet" in scrm("webhooks", "log", "--db", db).stdout
    assert scrm("webhooks", "remove", listed[0]["id"], "--db", db).returncode == 0
    assert "no webhooks" in scrm("webhooks", "list", "--db", db).stdout
