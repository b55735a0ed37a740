"""The web app's error pages: a refusal (404, 403, 400…) as a French page of the workspace, a
redirection raised by a check (the login page) as a redirection, and an unexpected error as a
French page that tells nothing of its cause, with the security headers all the same."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.workspace.web.context import BASE, TEMPLATES, context_of
from bot.workspace.web.security import SECURITY_HEADERS

log = logging.getLogger(__name__)


async def http_error(request: Request, exc: HTTPException) -> Response:
    if exc.status_code in (301, 302, 303) and exc.headers:
        return RedirectResponse(exc.headers["Location"], status_code=exc.status_code)
    return context_of(request).render(request, "error.html", exc.status_code, detail=exc.detail)


async def server_error(request: Request, exc: Exception) -> Response:
    """A French page, with the security headers, rather than "Internal Server Error"."""
    log.exception("error on %s", request.url.path)
    response = TEMPLATES.TemplateResponse(
        request,
        "error.html",
        {
            "request": request,
            "base": BASE,
            "account": None,
            "detail": "Une erreur est survenue de notre côté. Réessayez dans un instant.",
        },
        status_code=500,
    )
    response.headers.update({k.decode(): v.decode() for k, v in SECURITY_HEADERS})
    return response


HANDLERS = {HTTPException: http_error, Exception: server_error}
