"""Routing quality on a held-out set of first messages (`tests/data/orient_dev.jsonl`).

Each line: {"text", "offer" (expected id or null), "register", "kind"}. A message is correct when
the routed offer equals the expected one (null included). The "informal" figure groups every
register but "clean".
"""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Iterable

from bot import settings

# Keys of the two groups of registers, apart from the registers' own names.
GROUP_CLEAN, GROUP_INFORMAL = "_clean", "_informal"
GROUPS = (GROUP_CLEAN, GROUP_INFORMAL)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{number}: JSON invalide ({exc.msg})") from None
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            raise ValueError(f"{path}:{number}: champ « text » manquant")
        rows.append(row)
    return rows


def score(rows: Iterable[dict[str, Any]], predictions: Iterable[dict[str, Any]]) -> dict:
    rows, predictions = list(rows), list(predictions)
    by_register: dict[str, list[bool]] = defaultdict(list)
    confusion: Counter = Counter()
    tp: Counter = Counter()
    fp: Counter = Counter()
    fn: Counter = Counter()
    must_not_route = wrongly_routed = 0
    errors = []
    for row, pred in zip(rows, predictions):
        expected, got = row.get("offer"), pred.get("offer")
        ok = expected == got
        register = row.get("register", "clean")
        by_register[register].append(ok)
        by_register[GROUP_INFORMAL if register != "clean" else GROUP_CLEAN].append(ok)
        if expected is None:
            must_not_route += 1
            wrongly_routed += got is not None
        if ok and expected:
            tp[expected] += 1
        if not ok:
            confusion[(expected, got)] += 1
            if got:
                fp[got] += 1
            if expected:
                fn[expected] += 1
            errors.append({"text": row["text"], "expected": expected, "got": got,
                           "intent": pred.get("intent"), "confidence": pred.get("confidence"),
                           "register": register})
    results = [ok for reg, oks in by_register.items() if reg not in GROUPS
               for ok in oks]
    offers = sorted(set(tp) | set(fp) | set(fn))
    return {
        "n": len(results),
        "accuracy": _ratio(results),
        "clean": _ratio(by_register.get(GROUP_CLEAN, [])),
        "informal": _ratio(by_register.get(GROUP_INFORMAL, [])),
        "per_register": {reg: {"n": len(oks), "accuracy": _ratio(oks)}
                         for reg, oks in sorted(by_register.items())
                         if reg not in GROUPS},
        "per_offer": {o: {"precision": _ratio_n(tp[o], tp[o] + fp[o]),
                          "recall": _ratio_n(tp[o], tp[o] + fn[o]),
                          "support": tp[o] + fn[o]} for o in offers},
        "confusions": [{"expected": e, "got": g, "count": c}
                       for (e, g), c in confusion.most_common()],
        "must_not_route": must_not_route,
        "wrongly_routed": wrongly_routed,
        "wrongly_routed_share": _ratio_n(wrongly_routed, must_not_route),
        "errors": errors,
    }


def _ratio(oks: list[bool]) -> float:
    return _ratio_n(sum(oks), len(oks))


def _ratio_n(a: int, b: int) -> float:
    return round(a / b, 4) if b else 0.0


def evaluate(path: Path | None = None, orienter=None) -> dict:
    from bot.orient import Orienter

    rows = read_jsonl(Path(path or settings.DEV_SET))
    orienter = orienter or Orienter()
    return score(rows, [orienter.orient(row["text"]) for row in rows])


def format_report(report: dict, show_errors: bool = True) -> str:
    pct = lambda x: f"{100 * x:5.1f} %"  # noqa: E731
    lines = [
        f"Messages évalués : {report['n']}",
        f"Orientation correcte : {pct(report['accuracy'])}",
        f"  français soigné (clean) : {pct(report['clean'])}",
        f"  informel / fautes / sans accents : {pct(report['informal'])}",
        "", "Par registre :",
    ]
    for reg, r in report["per_register"].items():
        lines.append(f"  {reg:<12} {pct(r['accuracy'])}  (n={r['n']})")
    lines += ["", "Par offre :             précision  rappel  n"]
    for offer, r in report["per_offer"].items():
        lines.append(f"  {offer:<24} {pct(r['precision'])} {pct(r['recall'])}  {r['support']}")
    lines += ["", f"À ne pas orienter : {report['must_not_route']} messages, "
                  f"{report['wrongly_routed']} orientés à tort "
                  f"({pct(report['wrongly_routed_share'])})"]
    if report["confusions"]:
        lines += ["", "Confusions (attendu → obtenu) :"]
        for c in report["confusions"][:25]:
            lines.append(f"  {str(c['expected']):<24} → {str(c['got']):<24} × {c['count']}")
    if show_errors and report["errors"]:
        lines += ["", "Erreurs :"]
        for e in report["errors"]:
            lines.append(f"  [{e['register']}] {e['text'][:90]!r}: attendu {e['expected']}, "
                         f"obtenu {e['got']} ({e['intent']} {e['confidence']})")
    return "\n".join(lines)
