"""Routing quality on sets of first messages: the dev set and the blind set.

Each line of a set: {"text", "offer" (expected id or null), "register", "kind"}. A first message is
right when the routed offer equals the expected one (null included). Project messages that are
not right are either a *wrong offer* or *asked* (a question, an FAQ answer, a command or nothing
instead of the offer); must-not-route messages that get an offer are *false routes*.

The whole-conversation figure replays what the dialogue does (`actions/orientation.py`) with a
simulated person who answers each deciding question the way that leads to their offer and turns
down a wrong offer ("ce n'est pas ça"): right when the conversation ends on the expected offer
within `MAX_TURNS` messages.

- `tests/data/orient_dev.jsonl`: written by the team (held out from training, but not blind);
- `tests/data/blind/*.jsonl`: written by authors who never saw the training data, the offer
  texts or the intent names, frozen before any tuning and never used to choose examples.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bot import settings

# Keys of the two groups of registers, apart from the registers' own names.
GROUP_CLEAN, GROUP_INFORMAL = "_clean", "_informal"
GROUPS = (GROUP_CLEAN, GROUP_INFORMAL)
CLEAN_REGISTERS = frozenset({"clean", "formal", "plain", "short", "long"})
LENGTH_BANDS = (("≤ 10 mots", 10), ("11–40 mots", 40), ("> 40 mots", None))
MAX_TURNS = 5
BLIND_DIR = settings.ROOT / "tests" / "data" / "blind"


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


def blind_set(directory: Path = BLIND_DIR) -> list[dict[str, Any]]:
    """Every file of the blind set, in a stable order."""
    return [row for path in sorted(directory.glob("*.jsonl")) for row in read_jsonl(path)]


def length_band(text: str) -> str:
    words = len(text.split())
    for name, limit in LENGTH_BANDS:
        if limit is None or words <= limit:
            return name
    return LENGTH_BANDS[-1][0]


def is_clean(register: str) -> bool:
    return register in CLEAN_REGISTERS


def score(
    rows: Iterable[dict[str, Any]],
    predictions: Iterable[dict[str, Any]],
    conversations: Iterable[dict[str, Any]] | None = None,
) -> dict:
    rows, predictions = list(rows), list(predictions)
    by_register: dict[str, list[bool]] = defaultdict(list)
    by_length: dict[str, list[bool]] = defaultdict(list)
    confusion: Counter = Counter()
    tp: Counter = Counter()
    fp: Counter = Counter()
    fn: Counter = Counter()
    must_not_route = wrongly_routed = projects = wrong_offer = asked = 0
    errors = []
    for row, pred in zip(rows, predictions, strict=False):
        expected, got = row.get("offer"), pred.get("offer")
        ok = expected == got
        register = row.get("register", "clean")
        by_register[register].append(ok)
        by_register[GROUP_CLEAN if is_clean(register) else GROUP_INFORMAL].append(ok)
        by_length[length_band(row["text"])].append(ok)
        if expected is None:
            must_not_route += 1
            wrongly_routed += got is not None
        else:
            projects += 1
            wrong_offer += got is not None and got != expected
            asked += got is None
        if ok and expected:
            tp[expected] += 1
        if not ok:
            confusion[(expected, got)] += 1
            if got:
                fp[got] += 1
            if expected:
                fn[expected] += 1
            errors.append(
                {
                    "text": row["text"],
                    "expected": expected,
                    "got": got,
                    "intent": pred.get("intent"),
                    "confidence": pred.get("confidence"),
                    "next_question": pred.get("next_question"),
                    "register": register,
                }
            )
    results = [ok for reg, oks in by_register.items() if reg not in GROUPS for ok in oks]
    offers = sorted(set(tp) | set(fp) | set(fn))
    report = {
        "n": len(results),
        "accuracy": _ratio(results),
        "clean": _ratio(by_register.get(GROUP_CLEAN, [])),
        "informal": _ratio(by_register.get(GROUP_INFORMAL, [])),
        "per_register": {
            reg: {"n": len(oks), "accuracy": _ratio(oks)}
            for reg, oks in sorted(by_register.items())
            if reg not in GROUPS
        },
        "per_length": {
            band: {"n": len(by_length[band]), "accuracy": _ratio(by_length[band])}
            for band, _ in LENGTH_BANDS
            if by_length[band]
        },
        "per_offer": {
            o: {
                "precision": _ratio_n(tp[o], tp[o] + fp[o]),
                "recall": _ratio_n(tp[o], tp[o] + fn[o]),
                "support": tp[o] + fn[o],
            }
            for o in offers
        },
        "confusions": [
            {"expected": e, "got": g, "count": c} for (e, g), c in confusion.most_common()
        ],
        "must_not_route": must_not_route,
        "wrongly_routed": wrongly_routed,
        "wrongly_routed_share": _ratio_n(wrongly_routed, must_not_route),
        "projects": projects,
        "wrong_offer": wrong_offer,
        "wrong_offer_share": _ratio_n(wrong_offer, projects),
        "asked": asked,
        "asked_share": _ratio_n(asked, projects),
        "errors": errors,
    }
    if conversations is not None:
        runs = [c for c, row in zip(conversations, rows, strict=False) if row.get("offer")]
        right = [c for c in runs if c["right"]]
        report["conversation"] = {
            "n": len(runs),
            "right": _ratio_n(len(right), len(runs)),
            "turns": round(sum(c["turns"] for c in right) / len(right), 2) if right else 0.0,
        }
    return report


def _ratio(oks: list[bool]) -> float:
    return _ratio_n(sum(oks), len(oks))


def _ratio_n(a: int, b: int) -> float:
    return round(a / b, 4) if b else 0.0


# -- the simulated person --------------------------------------------------------------------
def _stage_for(offer_id: str) -> str | None:
    """The answer to "Où en êtes-vous ?" that leads to the question offering `offer_id`."""
    from bot.orientation.questions import QUESTION_OF_STAGE, get_question

    if offer_id == "reprise-cooperative":
        return "reprise"
    for stage, question in QUESTION_OF_STAGE.items():
        if offer_id in {o.value for o in get_question(question).options}:
            return stage
    return None


def _answer(question: str, expected: str, options: tuple[str, ...]) -> str | None:
    from bot.orientation.questions import OTHER, get_question

    if question == "stage":
        return _stage_for(expected)
    if question == "disambiguate":
        return expected if expected in options else OTHER
    values = {o.value for o in get_question(question).options}
    return expected if expected in values else None


def simulate(
    parse: dict[str, Any] | None,
    first: dict[str, Any],
    expected: str | None,
    register: str = "vous",
) -> dict[str, Any]:
    """The conversation a person has when they answer the questions towards `expected`."""
    from bot.orientation.facts import facts_from_parse
    from bot.orientation.questions import ANSWER_SLOTS, payload
    from bot.orientation.routing import reorient, route

    if expected is None or parse is None:
        return {"right": first.get("offer") == expected, "turns": 1}
    answers: dict[str, str] = {}
    rejected: list[str] = []
    ranking_parse = parse
    orientation = route(facts_from_parse(parse, register=register))
    for turn in range(1, MAX_TURNS + 1):
        if orientation.offer is not None:
            if orientation.offer.id == expected:
                return {"right": True, "turns": turn}
            rejected.append(orientation.offer.id)  # "ce n'est pas ça"
            answers.pop("disambiguate", None)
            orientation = reorient(facts_from_parse(ranking_parse, answers, rejected, register))
            continue
        question = orientation.next_question
        value = _answer(question, expected, orientation.options) if question else None
        if value is None:
            return {"right": False, "turns": turn}
        answers[question] = value
        choose = {
            "text": payload(question, value),
            "intent": {"name": "choose", "confidence": 1.0},
            "intent_ranking": [{"name": "choose", "confidence": 1.0}],
        }
        answers = {k: v for k, v in answers.items() if k in ANSWER_SLOTS}
        orientation = route(facts_from_parse(choose, answers, rejected, register))
    return {"right": False, "turns": MAX_TURNS}


def evaluate(
    path: Path | None = None, orienter=None, rows: list[dict[str, Any]] | None = None
) -> dict:
    """Score one set: a file (the dev set by default) or rows already read."""
    from bot.orientation.orient import Orienter

    rows = rows if rows is not None else read_jsonl(Path(path or settings.DEV_SET))
    orienter = orienter or Orienter()
    predictions, conversations = [], []
    for row in rows:
        parse, first = orienter.parse_and_orient(row["text"])
        predictions.append(first)
        conversations.append(simulate(parse, first, row.get("offer")))
    return score(rows, predictions, conversations)


def format_report(report: dict, show_errors: bool = True, title: str | None = None) -> str:
    pct = lambda x: f"{100 * x:5.1f} %"  # noqa: E731
    lines = ([title, "=" * len(title)] if title else []) + [
        f"Messages évalués : {report['n']}",
        f"Premier message → bonne offre : {pct(report['accuracy'])}",
        f"  français soigné (formel, simple, court, long) : {pct(report['clean'])}",
        f"  informel (fautes, sans accents, franglais, SMS) : {pct(report['informal'])}",
    ]
    if "conversation" in report:
        conv = report["conversation"]
        lines.append(
            f"Conversation entière → bonne offre : {pct(conv['right'])} "
            f"({conv['turns']} messages en moyenne, n={conv['n']})"
        )
    lines += [
        f"Projets orientés vers une mauvaise offre : {report['wrong_offer']} sur "
        f"{report['projects']} ({pct(report['wrong_offer_share'])})",
        f"Projets sans offre (question, FAQ, commande…) : {report['asked']} sur "
        f"{report['projects']} ({pct(report['asked_share'])})",
        f"À ne pas orienter : {report['must_not_route']} messages, "
        f"{report['wrongly_routed']} orientés à tort ({pct(report['wrongly_routed_share'])})",
        "",
        "Par longueur :",
    ]
    for band, r in report["per_length"].items():
        lines.append(f"  {band:<12} {pct(r['accuracy'])}  (n={r['n']})")
    lines += ["", "Par registre :"]
    for reg, r in report["per_register"].items():
        lines.append(f"  {reg:<12} {pct(r['accuracy'])}  (n={r['n']})")
    lines += ["", "Par offre :             précision  rappel  n"]
    for offer, r in report["per_offer"].items():
        lines.append(f"  {offer:<24} {pct(r['precision'])} {pct(r['recall'])}  {r['support']}")
    if report["confusions"]:
        lines += ["", "Confusions (attendu → obtenu) :"]
        for c in report["confusions"][:25]:
            lines.append(f"  {str(c['expected']):<24} → {str(c['got']):<24} × {c['count']}")
    if show_errors and report["errors"]:
        lines += ["", "Erreurs :"]
        for e in report["errors"]:
            lines.append(
                f"  [{e['register']}] {e['text'][:90]!r}: attendu {e['expected']}, "
                f"obtenu {e['got']} ({e['intent']} {e['confidence']})"
            )
    return "\n".join(lines)
