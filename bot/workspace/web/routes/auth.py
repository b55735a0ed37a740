"""An advisor signs in (CSRF-checked, throttled per address) and out (every session of the
account ends, not only this cookie)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.workspace.web.context import BASE, context_of, form_with_csrf
from bot.workspace.web.security import client_address


async def login(request: Request) -> Response:
    context = context_of(request)
    if request.method == "GET":
        return context.render(request, "login.html")
    form = await form_with_csrf(request)
    if not context.throttle.allow(client_address(request.scope, context.proxies)):
        return context.render(
            request, "login.html", 429, error="Trop de tentatives. Réessayez dans quelques minutes."
        )
    account = context.advisors.authenticate(
        str(form.get("email", "")), str(form.get("password", ""))
    )
    if account is None:
        return context.render(
            request,
            "login.html",
            401,
            email=str(form.get("email", ""))[:254],
            error="Adresse e-mail ou mot de passe incorrect (ou compte "
            "temporairement bloqué après trop d'essais).",
        )
    request.session.clear()
    request.session["advisor_id"] = account.id
    request.session["version"] = account.session_version
    return RedirectResponse(f"{BASE}/", status_code=303)


async def logout(request: Request) -> Response:
    context = context_of(request)
    await form_with_csrf(request)
    account = context.current(request)
    if account is not None:  # a copy of this cookie, or another device, opens nothing now
        context.advisors.end_sessions(account.id)
    request.session.clear()
    return RedirectResponse(f"{BASE}/connexion", status_code=303)


ROUTES = [
    Route(f"{BASE}/connexion", login, methods=["GET", "POST"]),
    Route(f"{BASE}/deconnexion", logout, methods=["POST"]),
]
