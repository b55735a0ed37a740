"""The public statistics page: no account, the same figures as a server-drawn chart and as
tables, small cells hidden (bot.workspace.public_stats). Query parameters are ignored."""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.orientation.catalogue import AXES
from bot.workspace.charts import bar_chart_svg
from bot.workspace.public_stats import HIDDEN, SMALL, compute_public, month_label
from bot.workspace.web.context import TEMPLATES, context_of


async def statistics_page(request: Request) -> Response:
    context = context_of(request)
    stats = compute_public(context.repository, context.tracker_url)
    labels = [month_label(m) for m in stats.months]
    chart = bar_chart_svg(
        labels, stats.series, "Conversations, orientations et demandes de rappel par mois",
        "Diagramme en barres ; les mêmes chiffres sont dans le tableau qui suit. Les mois de "
        "moins de 5 personnes sont marqués « < 5 ».")
    return TEMPLATES.TemplateResponse(request, "statistics.html", {
        "stats": stats, "labels": labels, "chart": chart, "axes": AXES, "hidden": HIDDEN,
        "small": SMALL}, headers={"Cache-Control": "public, max-age=600"})


ROUTES = [Route("/statistiques", statistics_page)]
