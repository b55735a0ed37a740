"""Routes of the advisor workspace. Every route under /conseil checks the login, and every
lead route checks that the lead belongs to the advisor's organisation (admins see all)."""
from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path
from urllib.parse import urlencode

import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from bot import settings
from bot.callback.validators import format_phone
from bot.leads import statuses
from bot.leads.export import to_csv
from bot.leads.inbox import FilterError, Filters, search, visible
from bot.leads.models import Lead
from bot.leads.repository import LeadRepository
from bot.orientation.catalogue import PHASES, get_catalogue
from bot.wording import path_line
from bot.workspace import review
from bot.workspace.advisors import Account, Advisors
from bot.workspace.figures import compute, weekly_chart_svg
from bot.workspace.privacy import erase_tracker_events
from bot.workspace.transcript import transcript
from bot.workspace.web.security import (
    SECURITY_HEADERS,
    SecurityHeaders,
    Throttle,
    client_address,
    csrf_ok,
    csrf_token,
    secret_key,
    trusted_proxies,
)

log = logging.getLogger(__name__)
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
STATIC = Path(__file__).parent / "static"
MAX_CHAT_CHARS = settings.MAX_INPUT_CHARS  # the same limit on every channel
MAX_CHAT_BYTES = 64_000  # refused before parsing: 10 000 characters, escaped, fit well below
TEMPLATES.env.filters["phone"] = format_phone
BASE = "/conseil"
STYLESHEETS = ("conseil.css", "public.css")
ADVISOR_ID = re.compile(r"[0-9]{1,18}")


class WholeFile(FileResponse):
    """A static file without Range support: nothing here needs it, and range parsing was a
    denial-of-service vector (CVE-2025-62727)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.headers["accept-ranges"] = "none"

    async def __call__(self, scope, receive, send):
        headers = [(k, v) for k, v in scope.get("headers", []) if k not in (b"range", b"if-range")]
        await super().__call__(dict(scope, headers=headers), receive, send)


def create_app(repository: LeadRepository | None = None, secure_cookies: bool | None = None,
               tracker_url: str | None = None, rasa_url: str | None = None) -> Starlette:
    rasa_url = (rasa_url or settings.RASA_URL).rstrip("/")
    if repository is None:
        from bot.leads.service import get_repository
        repository = get_repository()
    advisors = Advisors(repository)
    throttle = Throttle()
    proxies = trusted_proxies()
    if secure_cookies is None:
        secure_cookies = os.environ.get("BOUSSOLE_COOKIE_SECURE", "1") != "0"

    def render(request: Request, name: str, status_code: int = 200, **context) -> Response:
        context.update(request=request, csrf=csrf_token(request.session), base=BASE,
                       account=current(request), catalogue=get_catalogue(), phases=PHASES,
                       status_labels=statuses.LABELS)
        return TEMPLATES.TemplateResponse(request, name, context, status_code=status_code)

    def current(request: Request) -> Account | None:
        """The advisor of this session, while the session's version is the account's: logout,
        a password change or disabling bump it, and every older cookie stops working."""
        advisor_id = request.session.get("advisor_id")
        account = advisors.get(advisor_id) if isinstance(advisor_id, int) else None
        if account is None or not account.active:
            return None
        return account if request.session.get("version") == account.session_version else None

    def organisation_of(account: Account) -> str | None:
        return None if account.is_admin else account.organisation_id

    def require(request: Request) -> Account:
        account = current(request)
        if account is None:
            raise HTTPException(303, headers={"Location": f"{BASE}/connexion"})
        return account

    async def form_with_csrf(request: Request):
        form = await request.form()
        if not csrf_ok(request.session, form.get("csrf")):
            raise HTTPException(403, "Jeton de sécurité invalide : rechargez la page.")
        return form

    def lead_for(account: Account, reference: str) -> Lead:
        from sqlalchemy import select
        from sqlalchemy.orm import selectinload

        org = None if account.is_admin else account.organisation_id
        with repository.sessions() as session:
            lead = session.scalar(visible(select(Lead), org).options(selectinload(Lead.history))
                                  .where(Lead.reference == reference))
        if lead is None:  # absent or another organisation's: the same answer
            raise HTTPException(404, "Demande introuvable.")
        return lead

    async def login(request: Request) -> Response:
        if request.method == "GET":
            return render(request, "login.html")
        form = await form_with_csrf(request)
        if not throttle.allow(client_address(request.scope, proxies)):
            return render(request, "login.html", 429,
                          error="Trop de tentatives. Réessayez dans quelques minutes.")
        account = advisors.authenticate(str(form.get("email", "")),
                                        str(form.get("password", "")))
        if account is None:
            return render(request, "login.html", 401, email=str(form.get("email", ""))[:254],
                          error="Adresse e-mail ou mot de passe incorrect (ou compte "
                                "temporairement bloqué après trop d'essais).")
        request.session.clear()
        request.session["advisor_id"] = account.id
        request.session["version"] = account.session_version
        return RedirectResponse(f"{BASE}/", status_code=303)

    async def logout(request: Request) -> Response:
        await form_with_csrf(request)
        account = current(request)
        if account is not None:  # a copy of this cookie, or another device, opens nothing now
            advisors.end_sessions(account.id)
        request.session.clear()
        return RedirectResponse(f"{BASE}/connexion", status_code=303)

    def filters_of(request: Request) -> Filters:
        try:
            return Filters.from_query(request.query_params)
        except FilterError as exc:
            raise HTTPException(400, str(exc)) from None

    async def inbox(request: Request) -> Response:
        account = require(request)
        filters = filters_of(request)
        page = search(repository, filters, organisation_of(account))
        query = {k: v for k, v in vars(filters).items() if v and k != "page"}
        return render(request, "inbox.html", filters=filters, page=page,
                      query=urlencode(query))

    async def export_csv(request: Request) -> Response:
        account = require(request)
        filters = filters_of(request)
        page = search(repository, filters, organisation_of(account), paged=False)
        return Response(to_csv(page.leads).encode("utf-8"), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="demandes.csv"'})

    async def lead_page(request: Request) -> Response:
        account = require(request)
        lead = lead_for(account, request.path_params["reference"])
        return render(request, "lead.html", lead=lead, notes=repository.notes(lead.reference),
                      lines=transcript(lead.conversation_id, tracker_url),
                      targets=sorted(statuses.TRANSITIONS.get(lead.status, ())),
                      colleagues=[a for a in advisors.list() if a.active and (
                          a.organisation_id == lead.organisation_id)],
                      message=request.query_params.get("ok", "")[:100])

    async def change_status(request: Request) -> Response:
        account = require(request)
        lead = lead_for(account, request.path_params["reference"])
        form = await form_with_csrf(request)
        try:
            repository.change_status(lead.reference, str(form.get("status", "")), account.email,
                                     str(form.get("comment", ""))[:2000] or None)
        except statuses.TransitionError as exc:
            raise HTTPException(400, str(exc)) from None
        return RedirectResponse(f"{BASE}/demandes/{lead.reference}?ok=statut", status_code=303)

    async def add_note(request: Request) -> Response:
        account = require(request)
        lead = lead_for(account, request.path_params["reference"])
        form = await form_with_csrf(request)
        body = str(form.get("note", "")).strip()[:5000]
        if body:
            repository.add_note(lead.reference, account.email, body)
        return RedirectResponse(f"{BASE}/demandes/{lead.reference}?ok=note", status_code=303)

    async def assign(request: Request) -> Response:
        account = require(request)
        lead = lead_for(account, request.path_params["reference"])
        form = await form_with_csrf(request)
        value = str(form.get("advisor", ""))
        target = advisors.get(int(value)) if ADVISOR_ID.fullmatch(value) else None
        if value and (target is None or target.organisation_id != lead.organisation_id):
            raise HTTPException(400, "Ce compte n'appartient pas à l'organisation de la demande.")
        if target is not None and not target.active:
            raise HTTPException(400, "Ce compte est désactivé : attribuez la demande à une "
                                     "personne dont le compte est actif.")
        repository.assign(lead.reference, target.id if target else None, account.email)
        return RedirectResponse(f"{BASE}/demandes/{lead.reference}?ok=attribution",
                                status_code=303)

    async def erase(request: Request) -> Response:
        account = require(request)
        lead = lead_for(account, request.path_params["reference"])
        form = await form_with_csrf(request)
        if form.get("confirm") != "oui":
            raise HTTPException(400, "Cochez la case de confirmation pour effacer la demande.")
        repository.erase_lead(lead.reference,
                              lambda conversation: erase_tracker_events(conversation, tracker_url))
        log.info("lead erased by advisor %s", account.id)
        return RedirectResponse(f"{BASE}/?efface=1", status_code=303)

    async def figures_page(request: Request) -> Response:
        account = require(request)
        data = compute(repository, organisation_of(account), tracker_url)
        return render(request, "figures.html", figures=data, chart=weekly_chart_svg(data))

    async def misunderstood(request: Request) -> Response:
        account = require(request)
        return render(request, "misunderstood.html",
                      messages=review.pending(repository, organisation_of(account)),
                      intents=review.labelable_intents())

    async def misunderstood_decide(request: Request) -> Response:
        account = require(request)
        form = await form_with_csrf(request)
        intent = str(form.get("intent", "")) if form.get("action") == "label" else None
        try:
            review.decide(repository, int(request.path_params["message_id"]), intent or None,
                          organisation_of(account))
        except KeyError:  # absent or another organisation's: the same answer
            raise HTTPException(404, "Message introuvable (déjà effacé, ou suivi par une "
                                     "autre organisation).") from None
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from None
        return RedirectResponse(f"{BASE}/incompris", status_code=303)

    async def misunderstood_export(request: Request) -> Response:
        account = require(request)
        return Response(review.as_nlu_yaml(repository, organisation_of(account)).encode("utf-8"),
                        media_type="application/x-yaml; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="incompris.yml"'})

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def home(request: Request) -> Response:
        return TEMPLATES.TemplateResponse(request, "demo.html", {})

    async def offers_page(request: Request) -> Response:
        """Public pages of the offers: the link sent with an offer on messaging apps."""
        catalogue = get_catalogue()
        offer_id = request.path_params.get("offer_id")
        if offer_id is None:
            return TEMPLATES.TemplateResponse(request, "offer.html", {
                "offer": None, "catalogue": catalogue, "phases": PHASES})
        if offer_id not in catalogue:
            raise HTTPException(404, "Cet accompagnement n’existe pas ou plus.")
        offer = catalogue[offer_id]
        return TEMPLATES.TemplateResponse(request, "offer.html", {
            "offer": offer, "path": path_line(offer),
            "organisation": catalogue.organisations[offer.organisation]})

    async def widget(request: Request) -> Response:
        return WholeFile(STATIC / "widget.js", media_type="text/javascript; charset=utf-8",
                         headers={"Cache-Control": "public, max-age=300"})

    async def stylesheet(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STYLESHEETS:
            raise HTTPException(404, "Cette page n’existe pas.")
        return WholeFile(STATIC / name, media_type="text/css; charset=utf-8",
                         headers={"Cache-Control": "public, max-age=300"})

    async def chat(request: Request) -> Response:
        """The widget's messages, forwarded to Rasa's REST channel from the same origin."""
        too_long = JSONResponse({"error": "Votre message est trop long (10 000 caractères au "
                                          "plus) : pouvez-vous le résumer ?"}, status_code=413)
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
                answer = await client.post(f"{rasa_url}/webhooks/rest/webhook",
                                           json={"sender": sender, "message": message},
                                           headers={"X-Forwarded-For": client_address(
                                               request.scope, proxies)})
            if answer.status_code in (429, 503):
                # The assistant's own refusal (too many messages, a store unreachable): the
                # widget shows its words, with the retry button.
                refusal = answer.json()
                return JSONResponse({"error": refusal[0]["text"]},
                                    status_code=answer.status_code,
                                    headers={"Retry-After": answer.headers.get("Retry-After",
                                                                               "5")})
            answer.raise_for_status()
            return JSONResponse(answer.json())
        except (httpx.HTTPError, ValueError, LookupError, TypeError):
            log.warning("assistant unreachable from the widget proxy")
            return JSONResponse({"error": "L'assistant ne répond pas pour le moment. "
                                          "Réessayez dans un instant."}, status_code=502)

    async def http_error(request: Request, exc: HTTPException) -> Response:
        if exc.status_code in (301, 302, 303) and exc.headers:
            return RedirectResponse(exc.headers["Location"], status_code=exc.status_code)
        return render(request, "error.html", exc.status_code, detail=exc.detail)

    async def server_error(request: Request, exc: Exception) -> Response:
        """A French page, with the security headers, rather than "Internal Server Error"."""
        log.exception("error on %s", request.url.path)
        response = TEMPLATES.TemplateResponse(request, "error.html", {
            "request": request, "base": BASE, "account": None,
            "detail": "Une erreur est survenue de notre côté. Réessayez dans un instant."},
            status_code=500)
        response.headers.update({k.decode(): v.decode() for k, v in SECURITY_HEADERS})
        return response

    routes = [
        Route("/", home),
        Route("/widget.js", widget),
        Route("/static/{name}", stylesheet),
        Route("/offres", offers_page),
        Route("/offres/{offer_id}", offers_page),
        Route("/chat", chat, methods=["POST"]),
        Route("/sante", health),
        Route(f"{BASE}/connexion", login, methods=["GET", "POST"]),
        Route(f"{BASE}/deconnexion", logout, methods=["POST"]),
        Route(f"{BASE}/", inbox),
        Route(f"{BASE}/export.csv", export_csv),
        Route(f"{BASE}/demandes/{{reference}}", lead_page),
        Route(f"{BASE}/demandes/{{reference}}/statut", change_status, methods=["POST"]),
        Route(f"{BASE}/demandes/{{reference}}/note", add_note, methods=["POST"]),
        Route(f"{BASE}/demandes/{{reference}}/attribution", assign, methods=["POST"]),
        Route(f"{BASE}/demandes/{{reference}}/effacer", erase, methods=["POST"]),
        Route(f"{BASE}/chiffres", figures_page),
        Route(f"{BASE}/incompris", misunderstood),
        Route(f"{BASE}/incompris/export.yml", misunderstood_export),
        Route(f"{BASE}/incompris/{{message_id:int}}", misunderstood_decide, methods=["POST"]),
    ]
    middleware = [Middleware(SecurityHeaders),
                  Middleware(SessionMiddleware, secret_key=secret_key(),
                             session_cookie="boussole_session", same_site="strict",
                             https_only=secure_cookies, max_age=8 * 3600)]
    return Starlette(routes=routes, middleware=middleware,
                     exception_handlers={HTTPException: http_error, Exception: server_error})
