"""One lead, as an advisor of its organisation works on it: its page (contact details, history,
notes, transcript, the person's satisfaction answer, the verdict on its orientation, the next
step of the path), a change of status, a note, an assignment to a colleague, the end of the
follow-up messages when the person asks for it, an erasure."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timezone

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.leads import statuses
from bot.workspace.next_step import suggestion
from bot.workspace.privacy import erase_tracker_events
from bot.workspace.transcript import transcript
from bot.workspace.web.context import BASE, context_of, form_with_csrf

log = logging.getLogger(__name__)
ADVISOR_ID = re.compile(r"[0-9]{1,18}")
LEAD = f"{BASE}/demandes/{{reference}}"


def require_confirmation(form, refusal: str) -> None:
    """An irreversible action happens only with its confirmation box ticked."""
    if form.get("confirm") != "oui":
        raise HTTPException(400, refusal)


def back_to(reference: str, ok: str) -> Response:
    return RedirectResponse(f"{BASE}/demandes/{reference}?ok={ok}", status_code=303)


async def lead_page(request: Request) -> Response:
    context = context_of(request)
    account = context.require(request)
    lead = context.lead_for(account, request.path_params["reference"])
    return context.render(
        request,
        "lead.html",
        lead=lead,
        notes=context.repository.notes(lead.reference),
        lines=transcript(lead.conversation_id, context.tracker_url),
        targets=sorted(statuses.TRANSITIONS.get(lead.status, ())),
        colleagues=[
            a
            for a in context.advisors.list()
            if a.active and (a.organisation_id == lead.organisation_id)
        ],
        quality=context.repository.quality(lead.reference),
        next_offer=suggestion(lead, context.repository.catalogue),
        message=request.query_params.get("ok", "")[:100],
    )


async def change_status(request: Request) -> Response:
    context = context_of(request)
    account = context.require(request)
    lead = context.lead_for(account, request.path_params["reference"])
    form = await form_with_csrf(request)
    try:
        context.repository.change_status(
            lead.reference,
            str(form.get("status", "")),
            account.email,
            str(form.get("comment", ""))[:2000] or None,
        )
    except statuses.TransitionError as exc:
        raise HTTPException(400, str(exc)) from None
    return back_to(lead.reference, "statut")


async def add_note(request: Request) -> Response:
    context = context_of(request)
    account = context.require(request)
    lead = context.lead_for(account, request.path_params["reference"])
    form = await form_with_csrf(request)
    body = str(form.get("note", "")).strip()[:5000]
    if body:
        context.repository.add_note(lead.reference, account.email, body)
    return back_to(lead.reference, "note")


async def assign(request: Request) -> Response:
    context = context_of(request)
    account = context.require(request)
    lead = context.lead_for(account, request.path_params["reference"])
    form = await form_with_csrf(request)
    value = str(form.get("advisor", ""))
    target = context.advisors.get(int(value)) if ADVISOR_ID.fullmatch(value) else None
    if value and (target is None or target.organisation_id != lead.organisation_id):
        raise HTTPException(400, "Ce compte n'appartient pas à l'organisation de la demande.")
    if target is not None and not target.active:
        raise HTTPException(
            400,
            "Ce compte est désactivé : attribuez la demande à une "
            "personne dont le compte est actif.",
        )
    context.repository.assign(lead.reference, target.id if target else None, account.email)
    return back_to(lead.reference, "attribution")


async def stop_messages(request: Request) -> Response:
    """The person told their advisor to stop writing: no follow-up message any more."""
    context = context_of(request)
    account = context.require(request)
    lead = context.lead_for(account, request.path_params["reference"])
    require_confirmation(
        await form_with_csrf(request), "Cochez la case pour arrêter les messages de suivi."
    )
    context.repository.withdraw_contact(lead.reference, datetime.now(timezone.utc))
    log.info("follow-up messages stopped by advisor %s", account.id)
    return back_to(lead.reference, "suivi")


async def erase(request: Request) -> Response:
    context = context_of(request)
    account = context.require(request)
    lead = context.lead_for(account, request.path_params["reference"])
    require_confirmation(
        await form_with_csrf(request), "Cochez la case de confirmation pour effacer la demande."
    )
    context.repository.erase_lead(
        lead.reference, lambda conversation: erase_tracker_events(conversation, context.tracker_url)
    )
    log.info("lead erased by advisor %s", account.id)
    return RedirectResponse(f"{BASE}/?efface=1", status_code=303)


ROUTES = [
    Route(LEAD, lead_page),
    Route(f"{LEAD}/statut", change_status, methods=["POST"]),
    Route(f"{LEAD}/note", add_note, methods=["POST"]),
    Route(f"{LEAD}/attribution", assign, methods=["POST"]),
    Route(f"{LEAD}/ne-plus-ecrire", stop_messages, methods=["POST"]),
    Route(f"{LEAD}/effacer", erase, methods=["POST"]),
]
