"""The public statistics page: no account, the same figures as a server-drawn chart and as
tables, small cells hidden (bot.workspace.public_stats). Query parameters are ignored.

Anyone may open it, and computing it reads every conversation event: it is computed at most
once per CACHE_SECONDS per process (in a worker thread), so that a flood of requests costs no
more than one computation."""

from __future__ import annotations

import threading
import time

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.orientation.catalogue import AXES
from bot.workspace.charts import bar_chart_svg
from bot.workspace.public_stats import HIDDEN, SMALL, compute_public, month_label
from bot.workspace.web.context import TEMPLATES, context_of

CACHE_SECONDS = 600
_lock = threading.Lock()


def page_values(request: Request) -> dict:
    """What the template shows, computed again when older than CACHE_SECONDS."""
    state = request.app.state
    with _lock:
        cached = getattr(state, "public_statistics", None)
        if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1]
        context = context_of(request)
        stats = compute_public(context.repository, context.tracker_url)
        labels = [month_label(m) for m in stats.months]
        chart = bar_chart_svg(
            labels,
            stats.series,
            "Conversations, orientations et demandes de rappel par mois",
            "Diagramme en barres ; les mêmes chiffres sont dans le tableau qui suit. Les mois "
            "de moins de 5 personnes sont marqués « < 5 ».",
        )
        values = {
            "stats": stats,
            "labels": labels,
            "chart": chart,
            "axes": AXES,
            "hidden": HIDDEN,
            "small": SMALL,
            "minutes": CACHE_SECONDS // 60,
        }
        state.public_statistics = (time.monotonic(), values)
        return values


async def statistics_page(request: Request) -> Response:
    values = await run_in_threadpool(page_values, request)
    return TEMPLATES.TemplateResponse(
        request,
        "statistics.html",
        dict(values),
        headers={"Cache-Control": f"public, max-age={CACHE_SECONDS}"},
    )


ROUTES = [Route("/statistiques", statistics_page)]
