"""Rasa's own command line, with Python's garbage collector tuned for what Rasa does.

Training builds millions of small objects that live for the whole run (the training data, its
tokens and features, spaCy's lookup tables, the graph's deep copies); Python's default
collector (a young-generation pass every 700 allocations) walks them again and again. A
sampling profile of `rasa train` put 12 % of its samples in the collector
(docs/performance.md). With a young generation of 100 000 allocations the same work is
collected a hundred times less often; nothing else changes — the same code, the same model.
The fixes of `bot.rasa_ext.rasa_fixes` are applied before Rasa's command line starts, so that
they hold from its first step (the training data it reads before building its graph).

    python -m bot.rasa_ext.launch train …   (what `python -m bot train` runs)
"""

from __future__ import annotations

import gc
import runpy
import sys

# Young generation: allocations between two collections (Python's default: 700). Older
# generations keep Python's defaults (10, 10): their passes follow the young one's.
YOUNG_GENERATION = 100_000


def tune_collector() -> None:
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION, middle, old)


def main() -> None:
    tune_collector()
    from bot.rasa_ext import rasa_fixes

    rasa_fixes.apply()
    sys.argv = ["rasa", *sys.argv[1:]]
    runpy.run_module("rasa", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
