"""Messages the assistant did not understand, as advisors review them: the list of their
organisation's, a decision on one (label it with an intent, or dismiss it), and the labelled
ones exported as Rasa NLU training data."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.workspace import review
from bot.workspace.web.context import BASE, context_of, form_with_csrf, organisation_of


async def misunderstood(request: Request) -> Response:
    context = context_of(request)
    account = context.require(request)
    return context.render(
        request,
        "misunderstood.html",
        messages=review.pending(context.repository, organisation_of(account)),
        intents=review.labelable_intents(),
    )


async def decide(request: Request) -> Response:
    context = context_of(request)
    account = context.require(request)
    form = await form_with_csrf(request)
    intent = str(form.get("intent", "")) if form.get("action") == "label" else None
    try:
        review.decide(
            context.repository,
            int(request.path_params["message_id"]),
            intent or None,
            organisation_of(account),
        )
    except KeyError:  # absent or another organisation's: the same answer
        raise HTTPException(
            404, "Message introuvable (déjà effacé, ou suivi par une autre organisation)."
        ) from None
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    return RedirectResponse(f"{BASE}/incompris", status_code=303)


async def export_yaml(request: Request) -> Response:
    context = context_of(request)
    account = context.require(request)
    body = review.as_nlu_yaml(context.repository, organisation_of(account))
    return Response(
        body.encode("utf-8"),
        media_type="application/x-yaml; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="incompris.yml"'},
    )


ROUTES = [
    Route(f"{BASE}/incompris", misunderstood),
    Route(f"{BASE}/incompris/export.yml", export_yaml),
    Route(f"{BASE}/incompris/{{message_id:int}}", decide, methods=["POST"]),
]
