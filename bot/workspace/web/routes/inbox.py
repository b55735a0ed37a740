"""An advisor's inbox: the leads of their organisation (all of them for admins), searched and
filtered from the query string, on pages or as one CSV file."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.leads.export import to_csv
from bot.leads.inbox import FilterError, Filters, search
from bot.leads.statuses import CLOSED
from bot.workspace.web.context import BASE, context_of, organisation_of


def filters_of(request: Request) -> Filters:
    try:
        return Filters.from_query(request.query_params)
    except FilterError as exc:
        raise HTTPException(400, str(exc)) from None


async def inbox(request: Request) -> Response:
    context = context_of(request)
    account = context.require(request)
    filters = filters_of(request)
    page = search(context.repository, filters, organisation_of(account))
    query = {k: v for k, v in vars(filters).items() if v and k != "page"}
    return context.render(
        request, "inbox.html", filters=filters, page=page, query=urlencode(query), closed=CLOSED
    )


async def export_csv(request: Request) -> Response:
    context = context_of(request)
    account = context.require(request)
    filters = filters_of(request)
    page = search(context.repository, filters, organisation_of(account), paged=False)
    return Response(
        to_csv(page.leads).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="demandes.csv"'},
    )


ROUTES = [
    Route(f"{BASE}/", inbox),
    Route(f"{BASE}/export.csv", export_csv),
]
