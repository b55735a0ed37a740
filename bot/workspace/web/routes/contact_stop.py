"""« Ne plus recevoir ces messages »: the link at the foot of every follow-up message.

Opening the link changes nothing (mail scanners and link previews open links too): the page
asks, and only its button records the withdrawal; from then on the follow-up loop never writes
to the person again (bot.followup.rules.contact_channel). Same credentials as the survey's
forms (routes/satisfaction.py): the signed link, a signed field bound to it, no session.
"""

from __future__ import annotations

from datetime import datetime, timezone

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.followup.tokens import read_stop_token
from bot.workspace.web.context import TEMPLATES, context_of
from bot.workspace.web.routes.satisfaction import (
    ERRORS,
    HEADERS,
    form_field,
    form_field_ok,
    lead_of,
    same_site,
)


def _page(request: Request, state: str, status: int = 200, **values) -> Response:
    lead = values.get("lead")
    values.update(
        state=state,
        tu=bool(lead is not None and (lead.facts or {}).get("register") == "tu"),
        token=request.path_params["token"],
    )
    values.setdefault("lead", None)
    catalogue = context_of(request).repository.catalogue
    values["organisation"] = (
        catalogue.organisations.get(lead.organisation_id or "") if lead is not None else None
    )
    if state == "error":
        status, values["title"], values["detail"] = ERRORS[values.pop("reason")]
    return TEMPLATES.TemplateResponse(
        request, "contact_stop.html", values, status_code=status, headers=HEADERS
    )


async def ask(request: Request) -> Response:
    lead, problem = lead_of(request, read_stop_token)
    if problem:
        return _page(request, "error", reason=problem)
    if lead.contact_withdrawn_at is not None:
        return _page(request, "stopped", lead=lead)
    return _page(request, "ask", lead=lead, form=form_field(request, request.path_params["token"]))


async def stop(request: Request) -> Response:
    lead, problem = lead_of(request, read_stop_token)
    if problem:
        return _page(request, "error", reason=problem)
    form = await request.form()
    if not same_site(request) or not form_field_ok(
        request, request.path_params["token"], form.get("form")
    ):
        return _page(request, "error", reason="form")
    context_of(request).repository.withdraw_contact(lead.reference, datetime.now(timezone.utc))
    return _page(request, "stopped", lead=context_of(request).repository.get(lead.reference))


ROUTES = [
    Route("/ne-plus-me-contacter/{token}", ask),
    Route("/ne-plus-me-contacter/{token}", stop, methods=["POST"]),
]
