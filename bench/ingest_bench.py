"""Ingest benchmark: synthetic Twitter v2 pages at scale into the embedded store.

    python bench/ingest_bench.py --posts 1000000 --accounts 200000

Generates the file once (bench/out/), then times in fresh processes:
1. ``scrm ingest twitter FILE`` into a new database,
2. the same again with ``--force`` (every record a duplicate: the idempotent path),
3. the same again without ``--force`` (the ledger skips the known file).
Prints a markdown table; ``--write`` appends it to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _measure import measure  # noqa: E402
from gen_twitter_v2 import generate  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--posts", type=int, default=1_000_000)
    ap.add_argument("--accounts", type=int, default=200_000)
    ap.add_argument("--out", type=Path, default=Path("bench/out"))
    ap.add_argument("--write", action="store_true", help="append the results to BENCHMARKS.md")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    data = args.out / f"twitter-v2-{args.posts}.jsonl"
    if not data.exists():
        print(f"generating {data} ...", flush=True)
        generate(data, args.posts, args.accounts)
    db = args.out / "ingest-bench.lbdb"
    if db.exists():
        shutil.rmtree(db) if db.is_dir() else db.unlink()
    for extra in db.parent.glob(db.name + ".*"):
        shutil.rmtree(extra) if extra.is_dir() else extra.unlink()
    scrm = [sys.executable, "-m", "api.cli", "ingest", "twitter", str(data), "--db", str(db)]
    rows = []
    for label, cmd in (("first ingest", scrm), ("re-ingest, --force (all duplicates)",
                                                 [*scrm, "--force"]),
                       ("re-ingest (ledger skip)", scrm)):
        seconds, peak, tail = measure(cmd)
        print(f"{label}: {seconds:.1f}s, peak {peak:.0f} MiB", flush=True)
        rows.append((label, seconds, peak))
    size = data.stat().st_size / 2**20
    lines = [
        f"### Ingest: {args.posts:,} tweets from {args.accounts:,} accounts "
        f"({size:,.0f} MiB of v2 pages) — {datetime.now(UTC):%Y-%m-%d}",
        "",
        f"Command: `python bench/ingest_bench.py --posts {args.posts} --accounts "
        f"{args.accounts}` on {platform.machine()}, {__import__('os').cpu_count()} cores.",
        "",
        "| run | seconds | posts/s | peak RSS (MiB) |",
        "|---|---:|---:|---:|",
    ]
    for label, seconds, peak in rows:
        lines.append(f"| {label} | {seconds:.1f} | {args.posts / seconds:,.0f} | {peak:,.0f} |")
    lines.append("")
    report = "\n".join(lines)
    print(report)
    if args.write:
        with open("BENCHMARKS.md", "a", encoding="utf-8") as fh:
            fh.write("\n" + report)


if __name__ == "__main__":
    main()
