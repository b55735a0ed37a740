"""The figures page: conversations, leads and outcomes of the advisor's organisation (all of
them for admins), with the weekly chart; orientation quality as advisors judged it, the
persons' satisfaction, the offers nobody covers and the delays to taking in charge and closing."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.workspace import delays, quality
from bot.workspace.figures import compute, weekly_chart_svg
from bot.workspace.web.context import BASE, context_of, organisation_of


async def figures_page(request: Request) -> Response:
    context = context_of(request)
    account = context.require(request)
    organisation = organisation_of(account)
    data = compute(context.repository, organisation, context.tracker_url)
    return context.render(
        request,
        "figures.html",
        figures=data,
        chart=weekly_chart_svg(data),
        quality=quality.orientation_quality(context.repository, organisation),
        uncovered=delays.uncovered_offers(context.repository, organisation),
        delays=delays.delays_by_organisation(context.repository, organisation),
        duration=delays.duration,
    )


ROUTES = [Route(f"{BASE}/chiffres", figures_page)]
