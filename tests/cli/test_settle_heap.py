"""``scrm serve``'s writer leaves its heap at start out of the collector's passes (in a
process of its own: what is frozen is never collected)."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import gc
from api.cli.serve import settle_heap
before = gc.get_freeze_count()
settle_heap()
print(before, gc.get_freeze_count(), gc.get_threshold()[0])
"""


def test_settle_heap_freezes_what_exists_and_makes_young_passes_rarer() -> None:
    out = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True,
                         check=True, timeout=120).stdout.split()
    before, frozen, threshold = (int(x) for x in out)
    assert before == 0 and frozen > 10_000  # the imports' objects, at least
    assert threshold == 10_000
