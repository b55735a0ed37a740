"""Leads as rows for people: a terminal table, CSV for a French spreadsheet, JSON lines."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable

from bot.leads.models import Lead
from bot.leads.statuses import LABELS

COLUMNS = (
    "reference",
    "created_at",
    "status",
    "level",
    "score",
    "offer_id",
    "confidence",
    "first_name",
    "last_name",
    "email",
    "phone",
    "phone_region",
    "commune",
    "commune_insee",
    "on_territory",
    "structure_name",
    "legal_form",
    "project_summary",
    "explanation",
    "alternatives",
    "facts",
    "organisation_id",
    "advisor_id",
    "channel",
    "conversation_id",
    "consent_version",
    "consent_at",
    "youth",
    "human_requested",
    "updated_at",
)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def as_dict(lead: Lead) -> dict:
    row = {c: getattr(lead, c) for c in COLUMNS}
    for key in ("created_at", "updated_at", "consent_at"):
        row[key] = row[key].isoformat() if row[key] else None
    # The transcript lives in Rasa's tracker store under the conversation id.
    row["transcript"] = {"tracker_store": "rasa", "conversation_id": lead.conversation_id}
    return row


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float):
        return f"{value:.2f}".replace(".", ",")
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False)
    text = str(value)
    # Formula injection: a cell starting with = + - @ would be run by the spreadsheet.
    return "'" + text if text.startswith(FORMULA_START) else text


def to_csv(leads: Iterable[Lead]) -> str:
    """UTF-8 with BOM and ';' separators: opens as columns in a French spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([_cell(c) for c in COLUMNS + ("transcript",)])
    for lead in leads:
        row = as_dict(lead)
        # Every cell, the transcript's conversation id too (a sender chooses it), is neutralised.
        writer.writerow([_cell(row[c]) for c in COLUMNS] + [_cell(lead.conversation_id)])
    return "\ufeff" + out.getvalue()


def to_jsonl(leads: Iterable[Lead]) -> str:
    return "".join(json.dumps(as_dict(lead), ensure_ascii=False) + "\n" for lead in leads)


def to_table(leads: Iterable[Lead]) -> str:
    rows = [("Référence", "Reçu le", "Niveau", "Statut", "Offre", "Nom", "Commune")]
    for lead in leads:
        rows.append(
            (
                lead.reference or "",
                lead.created_at.strftime("%d/%m/%Y %H:%M"),
                lead.level,
                LABELS.get(lead.status, lead.status),
                lead.offer_id or "",
                f"{lead.first_name or ''} {lead.last_name or ''}".strip(),
                lead.commune or "",
            )
        )
    widths = [min(28, max(len(r[i]) for r in rows)) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(c[:w].ljust(w) for c, w in zip(r, widths, strict=False)) for r in rows
    )
