"""What advisors say of the service's quality on a lead: the orientation was right, or the
right one was another offer of the catalogue (with why); the lead for the next step of the
path, created on the person's behalf; and the corrected first messages, exported as Rasa NLU
training data next to the misunderstood messages. Same checks as every lead route: signed in,
the lead's organisation (admins: all), CSRF on every POST."""

from __future__ import annotations

from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.workspace import quality
from bot.workspace.next_step import suggestion
from bot.workspace.notify import notify_new_lead
from bot.workspace.web.context import BASE, context_of, form_with_csrf, organisation_of
from bot.workspace.web.routes.leads import LEAD, back_to

MAX_REASON = 2000


async def review(request: Request) -> Response:
    context = context_of(request)
    account = context.require(request)
    lead = context.lead_for(account, request.path_params["reference"])
    form = await form_with_csrf(request)
    verdict = form.get("verdict")
    reason = str(form.get("reason", "")).replace("\x00", "").strip()[:MAX_REASON] or None
    if verdict == "bonne":
        if lead.offer_id not in context.repository.catalogue:
            raise HTTPException(
                400, "Cette demande n'a pas d'offre à confirmer : indiquez la bonne orientation."
            )
        right = lead.offer_id
    elif verdict == "corrigee":
        right = str(form.get("right_offer", ""))
        if right not in context.repository.catalogue:
            raise HTTPException(400, "Choisissez la bonne orientation dans la liste des offres.")
        if right != lead.offer_id and reason is None:
            raise HTTPException(
                400,
                "Dites en une phrase pourquoi l'autre offre était la "
                "bonne : c'est ce qui permet d'améliorer l'assistant.",
            )
    else:
        raise HTTPException(400, "Indiquez si l'orientation était la bonne ou corrigez-la.")
    context.repository.review_orientation(lead.reference, account.email, right, reason)
    return back_to(lead.reference, "orientation")


async def next_step(request: Request) -> Response:
    context = context_of(request)
    account = context.require(request)
    lead = context.lead_for(account, request.path_params["reference"])
    await form_with_csrf(request)
    offer = suggestion(lead, context.repository.catalogue)
    if offer is None:
        raise HTTPException(
            400,
            "Pas d'étape suivante à proposer : la demande doit être close "
            "avec « Aide proposée » sur une offre du parcours.",
        )
    reference, created = context.repository.create_next_step(lead.reference, offer.id)
    response = back_to(lead.reference, "etape")
    if created:
        response.background = BackgroundTask(
            notify_new_lead, context.repository, reference, context.settings.smtp
        )
    return response


async def export_corrections(request: Request) -> Response:
    context = context_of(request)
    account = context.require(request)
    body = quality.corrections_as_nlu_yaml(
        context.repository, organisation_of(account), context.tracker_url
    )
    return Response(
        body.encode("utf-8"),
        media_type="application/x-yaml; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="orientations-corrigees.yml"'},
    )


ROUTES = [
    Route(f"{LEAD}/orientation", review, methods=["POST"]),
    Route(f"{LEAD}/etape-suivante", next_step, methods=["POST"]),
    Route(f"{BASE}/incompris/orientations-corrigees.yml", export_corrections),
]
