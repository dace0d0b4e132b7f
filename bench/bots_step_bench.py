"""The bots step of ``scrm analyze`` alone, before and after a change, alternating, on one
database (opened read-only).

    python bench/bots_step_bench.py DB OLD_BOTS_PY [--rounds 3]

``OLD_BOTS_PY`` is ``analytics/bots.py`` of the commit to compare with (e.g. from
``git archive``). Per round: the old step (read the window's posts, score them), the
warm step (the signatures a run a day earlier kept, plus the posts read since) and the
same without the kept file; prints the seconds and whether all three agree.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import sys
import time
from datetime import timedelta
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import analytics.bots as new  # noqa: E402
from graph.embedded import EmbeddedStore  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("db")
    ap.add_argument("old_bots_py")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    spec = importlib.util.spec_from_file_location("bots_before", args.old_bots_py)
    assert spec is not None and spec.loader is not None
    old = importlib.util.module_from_spec(spec)
    sys.modules["bots_before"] = old
    spec.loader.exec_module(old)
    cache = Path(args.db + ".stepbench.bots.arrow")
    seed = Path(str(cache) + ".seed")
    with EmbeddedStore(args.db, read_only=True) as store:
        inter = store.interaction_frame(sentiment=False)
        sh = inter[inter["kind"].astype(str) == "share"]
        shares = pd.DataFrame({"src": sh["src"].astype(str).to_numpy(),
                               "dst": sh["dst"].astype(str).to_numpy()})
        newest = store.newest_post_at()
        assert newest is not None
        since = newest - timedelta(days=60)
        prev = newest - timedelta(days=1)  # the kept signatures of a run a day earlier
        total = store.counts()["Post"]
        kept, _ = new.window_signatures(lambda s: store.post_frame(s, prev),
                                        since - timedelta(days=1), prev)
        later = store.post_frame(prev - timedelta(days=1), None)
        unseen = int((~later["key"].isin(kept["key"])).sum())  # stored after that run
        new.window_signatures(lambda s: store.post_frame(s, prev), since - timedelta(days=1),
                              prev, cache=cache, identity="w", total=total - unseen)
        shutil.copy(cache, seed)
        for n in range(args.rounds):
            t = time.monotonic()
            a = old.behaviour_scores(store.post_frame(since, None), shares)
            t_old = time.monotonic() - t
            shutil.copy(seed, cache)
            t = time.monotonic()
            sig, read = new.window_signatures(lambda s: store.post_frame(s, None), since,
                                              newest, cache=cache, identity="w", total=total)
            b = new.behaviour_scores(sig, shares)
            t_warm = time.monotonic() - t
            t = time.monotonic()
            sig2, _ = new.window_signatures(lambda s: store.post_frame(s, None), since, newest)
            c = new.behaviour_scores(sig2, shares)
            t_cold = time.monotonic() - t
            same = a.likelihood.round(12).equals(b.likelihood.round(12)) and \
                b.likelihood.round(12).equals(c.likelihood.round(12))
            print(f"round {n}: before {t_old:.2f}s ({len(sig2):,} posts read) | warm "
                  f"{t_warm:.2f}s ({read:,} read) | no kept file {t_cold:.2f}s | "
                  f"same result {same}", flush=True)
    cache.unlink(missing_ok=True)
    seed.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
