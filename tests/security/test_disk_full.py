"""A full disk, for real: a small ext4 file system (or tmpfs) filled by the real CLI.

Each command ends with one ``error:`` line and a non-zero exit, never a traceback or an
abort; the database opens afterwards with everything committed before; a re-run
completes it; ``scrm info`` on the full disk answers in bounded time; ``scrm serve``
never leaves an empty ``server.json``. Needs root (``mount``); skips, saying why,
elsewhere.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.embedded import EmbeddedStore

REPO = Path(__file__).resolve().parents[2]

_MOUNT_ERROR = "mounting a small file system needs root and mount(8)"


def _run(*command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(command), capture_output=True, text=True, check=check)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 MB file system mounted for this test (ext4 on a loop device, else tmpfs),
    unmounted afterwards."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip(_MOUNT_ERROR)
    mountpoint = tmp_path / "disk"
    mountpoint.mkdir()
    image = tmp_path / "disk.img"
    mounted = False
    if shutil.which("mkfs.ext4"):
        with open(image, "wb") as f:
            f.truncate(64 * 1024 * 1024)
        made = _run("mkfs.ext4", "-q", "-m", "0", "-F", str(image), check=False)
        mounted = made.returncode == 0 and _run(
            "mount", "-o", "loop", str(image), str(mountpoint), check=False).returncode == 0
    if not mounted:
        mounted = _run("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mountpoint),
                       check=False).returncode == 0
    if not mounted:
        pytest.skip(f"{_MOUNT_ERROR}: neither a loop device nor tmpfs could be mounted here")
    try:
        yield mountpoint
    finally:
        for _ in range(50):  # a process that just ended may still hold a file a moment
            if _run("umount", str(mountpoint), check=False).returncode == 0:
                break
            time.sleep(0.1)
        else:  # still held: detached now, let go by the kernel once nothing holds it
            _run("umount", "-l", str(mountpoint), check=False)
        image.unlink(missing_ok=True)


def _fill(disk: Path, leave_bytes: int) -> Path:
    """Fill ``disk`` until ``leave_bytes`` are free; the ballast file to delete later."""
    ballast = disk / "ballast"
    room = shutil.disk_usage(disk).free - leave_bytes
    chunk = b"\0" * (1 << 20)
    with open(ballast, "wb", buffering=0) as f:
        try:
            while room > 0:
                room -= f.write(chunk[:min(room, len(chunk))]) or room
            while not leave_bytes:  # full: write until the file system says so
                f.write(chunk[:4096])
                os.fsync(f.fileno())
            os.fsync(f.fileno())
        except OSError:
            pass  # full already: what we wanted
    return ballast


def _scrm(*args: str | Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRM_")}
    return subprocess.run([sys.executable, "-m", "api.cli", *map(str, args)], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=timeout)


def _assert_one_line(run: subprocess.CompletedProcess[str], text: str) -> None:
    """Exit 1 (a failure, see graph.errors) with one ``error:`` line containing ``text``."""
    everything = run.stdout + run.stderr
    assert run.returncode == 1, (run.returncode, everything)
    assert "Traceback" not in everything and "terminate called" not in everything, everything
    errors = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, everything
    assert text in errors[0], errors[0]
    others = [line for line in run.stderr.splitlines()
              if line.strip() and not line.startswith(("error:", "ingest ", "analyze"))]
    assert not others, everything


def _counts(db: Path) -> dict[str, int]:
    with EmbeddedStore(db, read_only=True) as store:
        return store.counts()


def _tweets(folder: Path, posts: int) -> tuple[Path, Path, Path]:
    """A generated Twitter export split in two: (all, the first 10 pages, the rest)."""
    whole = folder / "tweets.jsonl"
    subprocess.run([sys.executable, str(REPO / "bench" / "gen_twitter_v2.py"), "--posts",
                    str(posts), "--accounts", "1000", "-o", str(whole)], check=True)
    lines = whole.read_text(encoding="utf-8").splitlines(keepends=True)
    first, rest = folder / "first.jsonl", folder / "rest.jsonl"
    first.write_text("".join(lines[:10]), encoding="utf-8")
    rest.write_text("".join(lines[10:]), encoding="utf-8")
    return whole, first, rest


@pytest.mark.slow
def test_ingest_into_a_filling_disk_keeps_what_was_committed(small_disk: Path,
                                                             tmp_path: Path) -> None:
    whole, first, rest = _tweets(tmp_path, 9000)
    clean = tmp_path / "clean.lbdb"
    assert _scrm("ingest", "twitter", whole, "--db", clean, "--batch-size", "1000"
                 ).returncode == 0
    db = small_disk / "graph.lbdb"
    assert _scrm("ingest", "twitter", first, "--db", db, "--batch-size", "1000"
                 ).returncode == 0
    before = _counts(db)

    ballast = _fill(small_disk, 2 * 1024 * 1024)
    full = _scrm("ingest", "twitter", rest, "--db", db, "--batch-size", "1000")
    _assert_one_line(full, "No space left on the disk holding")

    started = time.monotonic()  # the read-only open used to spin here for minutes
    info = _scrm("info", "--db", db, timeout=120)
    assert time.monotonic() - started < 60
    if info.returncode:
        _assert_one_line(info, "No space left on the disk holding")

    ballast.unlink()
    after = _counts(db)
    assert all(after[k] >= before[k] for k in before), (before, after)
    assert after["Post"] < _counts(clean)["Post"]
    again = _scrm("ingest", "twitter", rest, "--db", db, "--batch-size", "1000")
    assert again.returncode == 0, again.stderr
    assert "already ingested" not in again.stdout
    assert _counts(db) == _counts(clean)


@pytest.mark.slow
def test_analyze_on_a_full_disk_says_so_and_runs_after(small_disk: Path,
                                                       tmp_path: Path) -> None:
    _, first, _ = _tweets(tmp_path, 3000)
    db = small_disk / "graph.lbdb"
    assert _scrm("ingest", "twitter", first, "--db", db).returncode == 0
    before = _counts(db)
    ballast = _fill(small_disk, 300 * 1024)
    _assert_one_line(_scrm("analyze", "--db", db), "No space left on the disk holding")
    ballast.unlink()
    assert _counts(db) == before
    done = _scrm("analyze", "--db", db)
    assert done.returncode == 0, done.stderr
    assert "latest run:" in _scrm("info", "--db", db).stdout


@pytest.mark.slow
def test_serve_on_a_full_disk_leaves_no_empty_server_file(small_disk: Path,
                                                          tmp_path: Path) -> None:
    _, first, _ = _tweets(tmp_path, 1000)
    db = small_disk / "graph.lbdb"
    assert _scrm("ingest", "twitter", first, "--db", db).returncode == 0
    _fill(small_disk, 0)
    served = _scrm("serve", "--db", db, "--port", "0", timeout=120)
    _assert_one_line(served, "server.json")
    assert not list(small_disk.glob("graph.lbdb.server.json*"))


@pytest.mark.slow
def test_announce_writes_the_server_file_whole_or_not_at_all(small_disk: Path) -> None:
    from api.jobs import announce, server_file
    from graph.errors import Failure

    db = small_disk / "graph.lbdb"
    path = announce(db, "http://127.0.0.1:1")
    assert path == server_file(db) and '"url": "http://127.0.0.1:1"' in path.read_text()
    path.unlink()
    _fill(small_disk, 0)
    with pytest.raises(Failure, match="No space left"):
        announce(db, "http://127.0.0.1:1")
    assert not list(small_disk.glob("graph.lbdb.server.json*"))


@pytest.mark.slow
def test_a_server_whose_batch_was_not_saved_refuses_writes_until_restarted(
        small_disk: Path, tmp_path: Path) -> None:
    from security_kit import start_scrm_serve, stop

    _, first, rest = _tweets(tmp_path, 4000)
    db = small_disk / "graph.lbdb"
    assert _scrm("ingest", "twitter", first, "--db", db).returncode == 0
    before = _counts(db)
    server, _ = start_scrm_serve(db, env={"SCRM_INGEST_ROOTS": str(tmp_path)})
    try:
        ballast = _fill(small_disk, 2 * 1024 * 1024)
        handed = _scrm("ingest", "twitter", rest, "--db", db, "--batch-size", "1000")
        _assert_one_line(handed, "No space left on the disk holding")
        ballast.unlink()
        # the server's view still holds the lost batch: a write deduplicated against it
        # would skip those posts for good, so it refuses until restarted
        _assert_one_line(_scrm("ingest", "twitter", rest, "--db", db, "--batch-size",
                               "1000"), "restart it")
    finally:
        stop(server)
    log = server.stdout.read() if server.stdout else ""
    assert server.returncode in (0, 130) and "terminate called" not in log, log  # 130: Ctrl-C
    assert "Traceback" not in log, log
    assert not (small_disk / "graph.lbdb.server.json").exists()
    assert all(v >= before[k] for k, v in _counts(db).items() if k in before)
    done = _scrm("ingest", "twitter", rest, "--db", db, "--batch-size", "1000")
    assert done.returncode == 0, done.stderr
    assert _counts(db)["Post"] == 4000


_TWO_WRITES = """
import os, sys
from pathlib import Path
from graph.embedded import EmbeddedStore
store = EmbeddedStore(Path(sys.argv[1]))
log = Path(sys.argv[1] + ".wal")
store.set_brand([], {"brand.name": "first"})
size = log.stat().st_size
store.set_brand([], {"brand.name": "second", "brand.terms": "x" * 5000})
print(size, log.stat().st_size)
os._exit(0)  # no checkpoint: both writes live in the log only
"""


@pytest.mark.parametrize("keep", [0.3, 0.9, 1.0])
def test_a_log_cut_short_by_a_failed_write_opens_with_what_was_committed(
        tmp_path: Path, keep: float) -> None:
    """A write that fails on a full disk (or a crash) can leave the log's last record cut
    short; LadybugDB then refuses to open the database at all ("the WAL file is
    corrupted", "Reading past the end of the file"). scrm opens it with every transaction
    before the cut."""
    db = tmp_path / "graph.lbdb"
    wrote = subprocess.run([sys.executable, "-c", _TWO_WRITES, str(db)], cwd=REPO,
                           capture_output=True, text=True, check=True)
    first, second = map(int, wrote.stdout.split())
    cut = second - 1 if keep == 1.0 else first + int((second - first) * keep)
    os.truncate(f"{db}.wal", cut)
    with EmbeddedStore(db, read_only=True) as store:
        assert store.get_settings()["brand.name"] == "first"
    with EmbeddedStore(db) as store:
        assert store.get_settings()["brand.name"] == "first"
        store.set_brand([], {"brand.name": "third"})
    with EmbeddedStore(db, read_only=True) as store:
        assert store.get_settings()["brand.name"] == "third"


def test_a_read_only_open_whose_recovery_cannot_finish_gives_up_at_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The spin behind 'scrm info' at 70% CPU for 10 minutes on a full disk: a read-only
    open found a recovery pending, a read-write open succeeded without finishing it, and
    the loop went round again with no deadline. Now a second round is an error."""
    import ladybug

    from graph.store import StoreError

    db = tmp_path / "graph.lbdb"
    EmbeddedStore(db).close()
    opens: list[bool] = []

    class Stuck:
        def __init__(self, path: str, *, read_only: bool = False, **_: object) -> None:
            opens.append(read_only)
            if read_only:
                raise RuntimeError("Runtime exception: Cannot open database in read-only "
                                   "mode while checkpoint recovery is pending.")

        def close(self) -> None:
            pass

    monkeypatch.setattr(ladybug, "Database", Stuck)
    started = time.monotonic()
    with pytest.raises(StoreError, match="recovery did not finish|No space left"):
        EmbeddedStore(db, read_only=True)
    assert time.monotonic() - started < 5
    assert opens == [True, False, True]


@pytest.mark.slow
def test_the_write_generation_moves_on_a_full_disk(small_disk: Path) -> None:
    """Readers reopen when the writer's generation file changes; a full disk must not
    stop it changing (nor leave temporary files, nor kill the job worker)."""
    from api.readers import bump_generation, generation_file

    path = generation_file(small_disk / "graph.lbdb")
    bump_generation(path)
    before = os.stat(path)
    _fill(small_disk, 0)
    time.sleep(0.01)
    bump_generation(path)
    after = os.stat(path)
    assert (after.st_ino, after.st_mtime_ns) != (before.st_ino, before.st_mtime_ns)
    assert [p.name for p in small_disk.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.slow
def test_a_new_database_on_a_full_disk(small_disk: Path, tmp_path: Path) -> None:
    _, first, _ = _tweets(tmp_path, 1000)
    db = small_disk / "graph.lbdb"
    ballast = _fill(small_disk, 100 * 1024)
    _assert_one_line(_scrm("ingest", "twitter", first, "--db", db),
                     "No space left on the disk holding")
    ballast.unlink()
    again = _scrm("ingest", "twitter", first, "--db", db)
    assert again.returncode == 0, again.stderr
    assert _counts(db)["Post"] == 1000
