"""The widget's /chat proxy: a person's message, bounded as on every channel, relayed from
the site's own origin to Rasa's REST channel, with the person's address for its flood guard."""

from __future__ import annotations

import json
import logging

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot import settings
from bot.workspace.web.context import context_of
from bot.workspace.web.security import client_address

log = logging.getLogger(__name__)
MAX_CHAT_CHARS = settings.MAX_INPUT_CHARS  # the same limit on every channel
MAX_CHAT_BYTES = 64_000  # refused before parsing: 10 000 characters, escaped, fit well below


async def chat(request: Request) -> Response:
    """The widget's messages, forwarded to Rasa's REST channel from the same origin."""
    context = context_of(request)
    too_long = JSONResponse(
        {
            "error": "Votre message est trop long (10 000 caractères au "
            "plus) : pouvez-vous le résumer ?"
        },
        status_code=413,
    )
    body = await request.body()
    if len(body) > MAX_CHAT_BYTES:
        return too_long
    try:
        data = json.loads(body)
        sender, message = str(data["sender"])[:128], str(data["message"])
    except (ValueError, KeyError, TypeError):
        return JSONResponse({"error": "Requête invalide."}, status_code=400)
    if len(message) > MAX_CHAT_CHARS:
        return too_long
    try:
        async with httpx.AsyncClient(timeout=30) as client:
            # The person's address, for Rasa's flood guard per address (read by Rasa only
            # when this app's address is one of its trusted proxies).
            answer = await client.post(
                f"{context.rasa_url}/webhooks/rest/webhook",
                json={"sender": sender, "message": message},
                headers={"X-Forwarded-For": client_address(request.scope, context.proxies)},
            )
        if answer.status_code in (429, 503):
            # The assistant's own refusal (too many messages, a store unreachable): the
            # widget shows its words, with the retry button.
            refusal = answer.json()
            return JSONResponse(
                {"error": refusal[0]["text"]},
                status_code=answer.status_code,
                headers={"Retry-After": answer.headers.get("Retry-After", "5")},
            )
        answer.raise_for_status()
        return JSONResponse(answer.json())
    except (httpx.HTTPError, ValueError, LookupError, TypeError):
        log.warning("assistant unreachable from the widget proxy")
        return JSONResponse(
            {"error": "L'assistant ne répond pas pour le moment. Réessayez dans un instant."},
            status_code=502,
        )


ROUTES = [Route("/chat", chat, methods=["POST"])]
