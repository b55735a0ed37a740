"""What every route of the web app shares, built once by `create_app` and kept on
`app.state.context`: the settings, the lead repository, the advisor accounts, the login
throttle, the trusted proxies, and the checks each advisor route starts with (who is signed in,
which leads they may see, a form's CSRF token) — so that each route module holds only what the
person does there."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from bot.callback.validators import format_phone
from bot.leads import statuses
from bot.leads.inbox import visible
from bot.leads.models import Lead
from bot.leads.repository import LeadRepository
from bot.orientation.catalogue import PHASES, get_catalogue
from bot.settings import Settings
from bot.workspace.advisors import Account, Advisors
from bot.workspace.web.security import Throttle, csrf_ok, csrf_token, trusted_proxies

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.filters["phone"] = format_phone
BASE = "/conseil"


@dataclass
class Context:
    settings: Settings
    repository: LeadRepository
    advisors: Advisors
    proxies: list  # networks whose X-Forwarded-For is believed
    rasa_url: str  # the assistant the widget's /chat proxy talks to
    tracker_url: str  # Rasa's tracker store: transcripts, figures, erasure
    throttle: Throttle = field(default_factory=Throttle)

    @classmethod
    def build(cls, settings: Settings, repository: LeadRepository) -> Context:
        """Raises ValueError on a mistyped trusted proxy: the app does not start."""
        return cls(
            settings,
            repository,
            Advisors(repository),
            trusted_proxies(settings.trusted_proxies),
            settings.rasa_url.rstrip("/"),
            settings.trackers_url,
        )

    def render(self, request: Request, name: str, status_code: int = 200, **context) -> Response:
        """A page of the workspace, with what every template reads (account, CSRF token…)."""
        context.update(
            request=request,
            csrf=csrf_token(request.session),
            base=BASE,
            account=self.current(request),
            catalogue=get_catalogue(),
            phases=PHASES,
            status_labels=statuses.LABELS,
        )
        return TEMPLATES.TemplateResponse(request, name, context, status_code=status_code)

    def current(self, request: Request) -> Account | None:
        """The advisor of this session, while the session's version is the account's: logout,
        a password change or disabling bump it, and every older cookie stops working."""
        advisor_id = request.session.get("advisor_id")
        account = self.advisors.get(advisor_id) if isinstance(advisor_id, int) else None
        if account is None or not account.active:
            return None
        return account if request.session.get("version") == account.session_version else None

    def require(self, request: Request) -> Account:
        """The signed-in advisor, or a redirection to the login page."""
        account = self.current(request)
        if account is None:
            raise HTTPException(303, headers={"Location": f"{BASE}/connexion"})
        return account

    def lead_for(self, account: Account, reference: str) -> Lead:
        """The lead, with its history, if this advisor's organisation holds it (admins: any)."""
        from sqlalchemy import select
        from sqlalchemy.orm import selectinload

        with self.repository.sessions() as session:
            lead = session.scalar(
                visible(select(Lead), organisation_of(account))
                .options(selectinload(Lead.history))
                .where(Lead.reference == reference)
            )
        if lead is None:  # absent or another organisation's: the same answer
            raise HTTPException(404, "Demande introuvable.")
        return lead


def context_of(request: Request) -> Context:
    return request.app.state.context


def organisation_of(account: Account) -> str | None:
    """The organisation whose leads the advisor sees; None for admins (all of them)."""
    return None if account.is_admin else account.organisation_id


async def form_with_csrf(request: Request):
    """The posted form, if it carries this session's CSRF token; 403 otherwise."""
    form = await request.form()
    if not csrf_ok(request.session, form.get("csrf")):
        raise HTTPException(403, "Jeton de sécurité invalide : rechargez la page.")
    return form
