"""The satisfaction survey the person opens from the link sent 10 days after closing
(bot.followup): two questions and a comment, one answer per lead, no account; and, when the help
was given, the next step of the programme's path in one click.

The link's signed token (bot.followup.tokens) is the only credential. The forms carry no session
cookie: the page is opened from an e-mail or a messaging app, often in an in-app browser that
drops cookies, and a cookie set here would replace an advisor's workspace session in the same
browser. Instead each form carries a signed, expiring field bound to this very token (the CSRF
proof: only this site can make it, and only for this link), and a POST whose Origin is another
site is refused. Errors are pages of their own (no session either), in French, with a 4xx status.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.followup.tokens import InvalidToken, read_satisfaction_token
from bot.leads.models import Lead
from bot.workspace.next_step import suggestion
from bot.workspace.notify import notify_new_lead
from bot.workspace.web.context import TEMPLATES, context_of
from bot.workspace.web.security import secret_key

FORM_SALT = "boussole-satisfaction-form"
FORM_HOURS = 12
MAX_TOKEN = 400
MAX_COMMENT = 2000
CONTACTED = {"oui": True, "non": False}
HELPFUL = {"oui": True, "non": False, "pas_encore": None}
# The token is in the address: never cached, never indexed; the site's Referrer-Policy
# (same-origin) already keeps it from other sites.
HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
ERRORS = {
    "invalid": (
        404,
        "Ce lien n’est pas valide",
        "Ce lien de questionnaire n’est pas reconnu : il a peut-être été mal copié. "
        "Ouvrez le lien reçu dans son intégralité.",
    ),
    "expired": (
        410,
        "Ce lien a expiré",
        "Le questionnaire n’est plus ouvert pour cette demande. Merci d’avoir pris "
        "le temps de cliquer !",
    ),
    "erased": (
        410,
        "Cette demande n’existe plus",
        "Les données de cette demande ont été effacées : il n’y a plus rien à évaluer.",
    ),
    "form": (
        403,
        "Le formulaire a expiré",
        "Le formulaire est resté ouvert trop longtemps ou ne vient pas de notre site. "
        "Rouvrez le lien reçu, puis répondez à nouveau.",
    ),
}


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()[:32]


def _signer(request: Request) -> URLSafeTimedSerializer:
    settings = context_of(request).settings
    return URLSafeTimedSerializer(secret_key(settings.secret_key, settings.var_dir), salt=FORM_SALT)


def form_field(request: Request, token: str) -> str:
    return _signer(request).dumps(_digest(token))


def form_field_ok(request: Request, token: str, value: object) -> bool:
    if not isinstance(value, str) or len(value) > 200:
        return False
    try:
        return _signer(request).loads(value, max_age=FORM_HOURS * 3600) == _digest(token)
    except BadSignature:
        return False


def same_site(request: Request) -> bool:
    """A POST from a page of another site is refused (browsers send Origin on every POST).
    « null » (a privacy setting, a sandboxed frame) names no site: the signed field decides."""
    origin = request.headers.get("origin")
    return origin in (None, "null") or urlsplit(origin).netloc == request.headers.get("host", "")


def page(request: Request, status: int = 200, **values) -> Response:
    values.setdefault("lead", None)
    return TEMPLATES.TemplateResponse(
        request, "satisfaction.html", values, status_code=status, headers=HEADERS
    )


def error_page(request: Request, reason: str, lead: Lead | None = None) -> Response:
    status, title, detail = ERRORS[reason]
    return page(request, status, state="error", title=title, detail=detail, lead=lead)


def lead_of(request: Request, read=read_satisfaction_token) -> tuple[Lead | None, str | None]:
    """The lead the link names (its token read by `read`), or the reason it cannot be used."""
    context = context_of(request)
    token = request.path_params["token"]
    if len(token) > MAX_TOKEN:
        return None, "invalid"
    try:
        reference = read(token, context.settings)
    except InvalidToken as exc:
        return None, exc.reason
    lead = context.repository.get(reference)
    return (lead, None) if lead is not None else (None, "erased")


def _show(request: Request, lead: Lead, state: str, status: int = 200, **values) -> Response:
    context = context_of(request)
    token = request.path_params["token"]
    quality = context.repository.quality(lead.reference)
    return page(
        request,
        status,
        state=state,
        lead=lead,
        token=token,
        form=form_field(request, token),
        tu=(lead.facts or {}).get("register") == "tu",
        next_offer=suggestion(lead, context.repository.catalogue),
        next_steps=quality.next_steps,
        **values,
    )


async def _posted(request: Request):
    """The lead and the form of a survey POST, or the page refusing it (bad link, another
    site, a form field not signed for this link)."""
    lead, problem = lead_of(request)
    if problem:
        return None, None, error_page(request, problem)
    form = await request.form()
    if not same_site(request) or not form_field_ok(
        request, request.path_params["token"], form.get("form")
    ):
        return None, None, error_page(request, "form")
    return lead, form, None


async def survey(request: Request) -> Response:
    lead, problem = lead_of(request)
    if problem:
        return error_page(request, problem)
    if context_of(request).repository.quality(lead.reference).answer is not None:
        return _show(request, lead, "answered", 409)
    return _show(request, lead, "form")


async def answer(request: Request) -> Response:
    lead, form, refusal = await _posted(request)
    if refusal:
        return refusal
    contacted, helpful = str(form.get("contacted", "")), str(form.get("helpful", ""))
    comment = str(form.get("comment", "")).replace("\x00", "").strip()[:MAX_COMMENT] or None
    if contacted not in CONTACTED or helpful not in HELPFUL:
        return _show(request, lead, "form", 400, missing=True, comment=comment or "")
    recorded = context_of(request).repository.record_satisfaction(
        lead.reference, CONTACTED[contacted], HELPFUL[helpful], comment
    )
    return _show(request, lead, "thanks") if recorded else _show(request, lead, "answered", 409)


async def next_step(request: Request) -> Response:
    """« Je veux être accompagné·e pour l'étape suivante »: one linked lead, whatever the clicks."""
    lead, form, refusal = await _posted(request)
    if refusal:
        return refusal
    context = context_of(request)
    offer = suggestion(lead, context.repository.catalogue)
    if offer is None:
        return _show(request, lead, "no_next", 409)
    reference, created = context.repository.create_next_step(lead.reference, offer.id)
    response = _show(request, lead, "next_done", new_reference=reference)
    if created:  # the organisation's advisors are told, once the person has their answer
        response.background = BackgroundTask(
            notify_new_lead, context.repository, reference, context.settings.smtp
        )
    return response


ROUTES = [
    Route("/satisfaction/{token}", survey),
    Route("/satisfaction/{token}", answer, methods=["POST"]),
    Route("/satisfaction/{token}/etape-suivante", next_step, methods=["POST"]),
]
