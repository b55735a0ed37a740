"""The advisor workspace's web app, assembled: the routes (bot.workspace.web.routes), what they
share (bot.workspace.web.context, on app.state.context), the session and security-header
middleware and the error pages. Every route under /conseil checks the login, and every lead
route checks that the lead belongs to the advisor's organisation (admins see all)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware

from bot.leads.repository import LeadRepository
from bot.settings import Settings
from bot.workspace.web.context import Context
from bot.workspace.web.errors import HANDLERS
from bot.workspace.web.routes import ROUTES
from bot.workspace.web.security import SecurityHeaders, secret_key

SESSION_HOURS = 8


def create_app(
    settings: Settings | None = None, *, repository: LeadRepository | None = None
) -> Starlette:
    """The web app of these settings (the environment's by default) on this lead repository
    (the process's own by default). Raises ValueError on a mistyped trusted proxy."""
    settings = settings or Settings.from_env()
    if repository is None:
        from bot.leads.service import get_repository

        repository = get_repository()
    context = Context.build(settings, repository)
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(
            SessionMiddleware,
            secret_key=secret_key(settings.secret_key, settings.var_dir),
            session_cookie="boussole_session",
            same_site="strict",
            https_only=settings.secure_cookies,
            max_age=SESSION_HOURS * 3600,
        ),
    ]
    app = Starlette(routes=list(ROUTES), middleware=middleware, exception_handlers=HANDLERS)
    app.state.context = context
    return app
