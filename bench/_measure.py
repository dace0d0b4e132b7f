"""Run a command as a child process and report wall time and its own peak memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

_WRAPPER = (
    "import json, resource, subprocess, sys\n"
    "rc = subprocess.call(sys.argv[1:])\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "sys.stderr.write('\\n@@peak ' + json.dumps({'rc': rc, 'peak_kib': peak}) + '\\n')\n"
    "sys.exit(rc)\n"
)


def measure(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Run ``cmd``; return (seconds, peak RSS of the command in MiB, its output tail).

    The command runs under a small wrapper process whose only child it is, so the
    wrapper's ``getrusage(RUSAGE_CHILDREN)`` is that command's own peak.
    """
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", _WRAPPER, *cmd], capture_output=True,
                          text=True, env={**os.environ, **(env or {})})
    seconds = time.monotonic() - started
    marker = [line for line in proc.stderr.splitlines() if line.startswith("@@peak ")]
    info = json.loads(marker[-1][7:]) if marker else {"rc": proc.returncode, "peak_kib": 0}
    if info["rc"] != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"command failed ({info['rc']}): {' '.join(cmd)}")
    return seconds, info["peak_kib"] / 1024.0, (proc.stdout + proc.stderr)[-2000:]


def wait_for_health(url: str, proc: subprocess.Popen[Any], tries: int = 600,
                    log: Path | None = None) -> None:
    """Wait until the server at ``url`` answers ``/health`` (0.25 s between tries); stop
    with the end of its output (``log``, where it writes) if it ends first or never
    answers."""
    import httpx

    for _ in range(tries):
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            if proc.poll() is not None:
                tail = log.read_text(errors="replace")[-800:] if log is not None else ""
                raise SystemExit(f"scrm serve ended before answering: {tail}") from None
            time.sleep(0.25)
    raise SystemExit("scrm serve did not start")


def stop_server(proc: subprocess.Popen[Any], timeout: float = 60) -> None:
    """Stop a served process: asked first, killed if it has not ended within ``timeout``."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
