"""What the follow-up loop writes, in French: to the person in their register (« tu » when
they said « tu » in the conversation, else « vous »), short and without jargon; to advisors
one digest per organisation, without contact details (they are in the workspace)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.followup.calendar import french_date

SIGNATURE = "— Boussole ESS"


@dataclass(frozen=True)
class Text:
    subject: str  # e-mail subject; messaging apps and SMS send only the body
    body: str


def register_of(lead) -> str:
    return "tu" if (lead.facts or {}).get("register") == "tu" else "vous"


def _hello(lead) -> str:
    return f"Bonjour {lead.first_name}," if lead.first_name else "Bonjour,"


def taken(lead, who: str | None, organisation: str) -> Text:
    """The request is taken in charge: who will call, from which organisation."""
    tu = register_of(lead) == "tu"
    team = f"l'équipe {organisation}"
    person = f"{who}, de {team}," if who else f"une personne de {team}"
    call, write = ("t'appeler", "t'écrire") if tu else ("vous appeler", "vous écrire")
    body = (
        f"{_hello(lead)}\n\n{'Ta' if tu else 'Votre'} demande de rappel "
        f"{lead.reference} est prise en charge : {person} va {call} ou {write} "
        f"dans les prochains jours.\n\n{SIGNATURE}"
    )
    return Text(f"{'Ta' if tu else 'Votre'} demande {lead.reference} est prise en charge", body)


def unreachable(
    lead, organisation: str, contact: str | None, public_url: str, reply_by_message: bool
) -> Text:
    """Nobody could reach the person: how to get back in touch."""
    tu = register_of(lead) == "tu"
    if contact:
        how = f"{'contacte' if tu else 'contactez'} l'équipe {organisation} : {contact}"
    elif reply_by_message:
        how = (
            f"{'écris-nous' if tu else 'écrivez-nous'} ici et "
            f"{'redemande' if tu else 'redemandez'} à être rappelé·e"
        )
    else:
        how = (
            f"{'refais' if tu else 'refaites'} une demande de rappel sur {public_url} "
            f"en donnant un autre moment ou un autre numéro"
        )
    you = "te" if tu else "vous"
    body = (
        f"{_hello(lead)}\n\nL'équipe {organisation} a essayé de {you} joindre pour "
        f"{'ta' if tu else 'votre'} demande {lead.reference}, sans y arriver.\n\n"
        f"Pour reprendre contact, {how}.\n\n{SIGNATURE}"
    )
    return Text(f"Nous n'avons pas réussi à {you} joindre ({lead.reference})", body)


def waiting(lead, organisation: str, by: date) -> Text:
    """Nobody took the request after 5 working days: an apology and a date."""
    tu = register_of(lead) == "tu"
    you = "te" if tu else "vous"
    body = (
        f"{_hello(lead)}\n\n{'Ta' if tu else 'Votre'} demande {lead.reference} n'a pas "
        f"encore été prise en charge : nous {you} prions de nous en excuser. L'équipe "
        f"{organisation} doit {you} contacter au plus tard le {french_date(by)}.\n\n"
        f"{SIGNATURE}"
    )
    return Text(
        f"{'Ta' if tu else 'Votre'} demande {lead.reference} : toutes nos excuses pour l'attente",
        body,
    )


def survey(lead, url: str) -> Text:
    """Ten days after closing: two questions, one link."""
    tu = register_of(lead) == "tu"
    if tu:
        ask = (
            "As-tu été contacté·e ? Cela t'a-t-il aidé·e ? Deux questions, une minute, sans compte"
        )
    else:
        ask = (
            "Avez-vous été contacté·e ? Cela vous a-t-il aidé·e ? Deux questions, une "
            "minute, sans compte"
        )
    body = (
        f"{_hello(lead)}\n\n{'Ta' if tu else 'Votre'} demande {lead.reference} est close. "
        f"{ask} : {url}\n\n{SIGNATURE}"
    )
    return Text(
        f"{'Ton' if tu else 'Votre'} avis sur {'ta' if tu else 'votre'} demande {lead.reference}",
        body,
    )


def with_stop_link(text: Text, url: str) -> Text:
    """Every message to the person ends with how to stop them, in one click and a confirmation
    (the page /ne-plus-me-contacter/…): the same words whatever the register."""
    return Text(text.subject, f"{text.body}\n\nNe plus recevoir ces messages : {url}")


STAGE_TITLES = {
    "nouveau": "Nouvelles demandes sans prise en charge depuis plus de 3 jours ouvrés",
    "sans_changement_15": "Prises en charge sans changement de statut depuis 15 jours ouvrés",
    "sans_changement_30": "Prises en charge sans changement de statut depuis 30 jours ouvrés",
}


def digest(organisation: str, items: list[tuple[str, str, str]], workspace_url: str) -> Text:
    """One e-mail per organisation; `items`: (stage, reference, offer title)."""
    sections = []
    for stage, title in STAGE_TITLES.items():
        rows = sorted((ref, offer) for s, ref, offer in items if s == stage)
        if rows:
            lines = "\n".join(
                f"- {ref} ({offer}) : {workspace_url}/demandes/{ref}" for ref, offer in rows
            )
            sections.append(f"{title} :\n{lines}")
    count = len(items)
    body = (
        f"Bonjour,\n\n{count} demande{'s' if count > 1 else ''} "
        f"{'attendent' if count > 1 else 'attend'} un geste de votre part "
        f"({organisation}).\n\n"
        + "\n\n".join(sections)
        + "\n\nÀ 45 jours ouvrés sans nouvelles, une demande est signalée « sans suite » "
        "dans la boîte de réception, pour qu'un·e administrateur·rice décide.\n\n"
        f"{SIGNATURE}\n"
    )
    return Text(f"Rappel : {count} demande{'s' if count > 1 else ''} en attente", body)
