"""The figures page: conversations, leads and outcomes of the advisor's organisation (all of
them for admins), with the weekly chart."""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.workspace.figures import compute, weekly_chart_svg
from bot.workspace.web.context import BASE, context_of, organisation_of


async def figures_page(request: Request) -> Response:
    context = context_of(request)
    account = context.require(request)
    data = compute(context.repository, organisation_of(account), context.tracker_url)
    return context.render(request, "figures.html", figures=data, chart=weekly_chart_svg(data))


ROUTES = [Route(f"{BASE}/chiffres", figures_page)]
