"""What the spaCy French pipeline costs per message, whole and as Boussole loads it.

Rasa's `SpacyNLP` loads `fr_core_news_sm` without running the parser; Boussole also excludes the
named-entity recogniser, which no featurizer reads, and has thinc multiply matrices with numpy's
BLAS instead of BLIS, which falls back to its generic kernel on some processors
(bot/rasa_ext/rasa_fixes.py, fix 5). This prints the CPU time per message of each variant on the
dev set's texts, in the same run, with the ratio to Rasa's own loading, and checks that lemmas
and vectors — what the featurizers read — are the same (vectors to 1e-4).

    .venv/bin/python bench/spacy_components.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _texts() -> list[str]:
    with open(ROOT / "tests/data/orient_dev.jsonl", encoding="utf-8") as dev:
        return [json.loads(line)["text"].lower() for line in dev]


def _cpu_ms_per_text(nlp, texts: list[str], repeat: int) -> tuple[float, float]:
    per_text = []
    for _ in range(repeat):
        for text in texts:
            started = time.process_time()
            nlp(text)
            per_text.append((time.process_time() - started) * 1000)
    per_text.sort()
    return statistics.median(per_text), per_text[int(len(per_text) * 0.95)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import numpy as np
    import spacy
    from rasa.nlu.utils.spacy_utils import SpacyNLP

    from bot.rasa_ext import rasa_fixes
    from bot.rasa_ext.rasa_fixes import UNREAD_SPACY_COMPONENTS

    texts = _texts()
    variants = {
        "whole pipeline": spacy.load("fr_core_news_sm"),
        "Rasa's SpacyNLP (parser disabled)": spacy.load("fr_core_news_sm", disable=["parser"]),
        "parser and NER excluded, BLIS": spacy.load(
            "fr_core_news_sm", exclude=list(UNREAD_SPACY_COMPONENTS)
        ),
    }
    rasa_fixes.apply()
    variants["Boussole (excluded, numpy's BLAS)"] = SpacyNLP.load_model("fr_core_news_sm").model
    for nlp in variants.values():  # warm-up
        for text in texts[:20]:
            nlp(text)
    print(
        f"machine: {os.cpu_count()} CPU, load average {os.getloadavg()[0]:.2f}; "
        f"{len(texts)} dev-set texts × {args.repeat}, CPU time per text"
    )
    baseline = None
    for name, nlp in variants.items():
        p50, p95 = _cpu_ms_per_text(nlp, texts, args.repeat)
        if name.startswith("Rasa"):
            baseline = p50
        ratio = f"  ({p50 / baseline:.2f} × Rasa's)" if baseline else ""
        print(f"{name:36s} p50 {p50:5.2f} ms  p95 {p95:5.2f} ms{ratio}")
    rasa, ours = (
        variants["Rasa's SpacyNLP (parser disabled)"],
        variants["Boussole (excluded, numpy's BLAS)"],
    )
    same = sum(
        [t.lemma_ for t in rasa(x)] == [t.lemma_ for t in ours(x)]
        and np.allclose(rasa(x).vector, ours(x).vector, atol=1e-4)
        for x in texts
    )
    print(f"same lemmas and vectors as Rasa's loading: {same} / {len(texts)} texts")


if __name__ == "__main__":
    main()
