"""The status state machine of a lead, as advisors work it in the workspace.

nouveau → pris en charge → aide proposée | pas d'aide disponible | injoignable | pas pour nous
"""

from __future__ import annotations

LABELS = {
    "nouveau": "Nouveau",
    "pris_en_charge": "Pris en charge",
    "aide_proposee": "Aide proposée",
    "pas_d_aide": "Pas d'aide disponible",
    "injoignable": "Injoignable",
    "pas_pour_nous": "Pas pour nous",
}
INITIAL = "nouveau"
# The statuses that close a lead: the satisfaction survey follows them (bot/followup).
CLOSED = frozenset({"aide_proposee", "pas_d_aide", "pas_pour_nous"})
TRANSITIONS: dict[str, frozenset[str]] = {
    "nouveau": frozenset({"pris_en_charge"}),
    "pris_en_charge": frozenset({"aide_proposee", "pas_d_aide", "injoignable", "pas_pour_nous"}),
    "aide_proposee": frozenset(),
    "pas_d_aide": frozenset(),
    "injoignable": frozenset({"pris_en_charge"}),  # a new attempt to call back
    "pas_pour_nous": frozenset(),
}


class TransitionError(ValueError):
    pass


def check_transition(current: str, target: str) -> None:
    if target not in LABELS:
        raise TransitionError(f"statut inconnu « {target} »")
    if target not in TRANSITIONS.get(current, frozenset()):
        raise TransitionError(
            f"passage impossible de « {LABELS.get(current, current)} » à « {LABELS[target]} »"
        )
