"""Qualification of a lead: a score out of 100 and a level advisors sort by.

| facts | points |
|---|---|
| consent and a way to call back (e-mail or phone) | 35 (both: +5) |
| commune on the territory | 20 (ambiguous: 5) |
| an offer, weighted by the routing confidence | up to 20 |
| first and last name, commune, project summary (≥ 30 characters), structure when one exists | 5 each |

Level: *hors territoire* when the commune is off the territory; otherwise *qualifié* from 70
points with consent and a contact; *à compléter* below.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

QUALIFIED = "qualifié"
INCOMPLETE = "à compléter"
OFF_TERRITORY = "hors territoire"
LEVEL_ORDER = {QUALIFIED: 0, INCOMPLETE: 1, OFF_TERRITORY: 2}
QUALIFIED_FROM = 70


def qualify(lead: Mapping[str, Any]) -> tuple[int, str]:
    contact = bool(lead.get("email") or lead.get("phone"))
    consent = bool(lead.get("consent_version"))
    score = 0
    if consent and contact:
        score += 35 + (5 if lead.get("email") and lead.get("phone") else 0)
    territory = lead.get("on_territory")
    score += 20 if territory is True else 5 if territory is None and lead.get("commune") else 0
    if lead.get("offer_id"):
        score += round(20 * min(1.0, float(lead.get("confidence") or 0.0)))
    score += 5 if lead.get("first_name") and lead.get("last_name") else 0
    score += 5 if lead.get("commune") else 0
    score += 5 if len(lead.get("project_summary") or "") >= 30 else 0
    score += 5 if lead.get("structure_name") else 0
    score = min(score, 100)
    if territory is False:
        return score, OFF_TERRITORY
    if score >= QUALIFIED_FROM and consent and contact:
        return score, QUALIFIED
    return score, INCOMPLETE
