"""What anyone may open without an account: the demo page with the widget, the public offer
pages (the links sent on messaging apps), the widget's script and style sheets, the health check."""

from __future__ import annotations

from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from bot.orientation.catalogue import PHASES, get_catalogue
from bot.wording import path_line
from bot.workspace.web.context import TEMPLATES

STATIC = Path(__file__).resolve().parent.parent / "static"
STYLESHEETS = ("conseil.css", "public.css")


class WholeFile(FileResponse):
    """A static file without Range support: nothing here needs it, and range parsing was a
    denial-of-service vector (CVE-2025-62727)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.headers["accept-ranges"] = "none"

    async def __call__(self, scope, receive, send):
        headers = [(k, v) for k, v in scope.get("headers", []) if k not in (b"range", b"if-range")]
        await super().__call__(dict(scope, headers=headers), receive, send)


async def home(request: Request) -> Response:
    return TEMPLATES.TemplateResponse(request, "demo.html", {})


async def offers_page(request: Request) -> Response:
    """Public pages of the offers: the link sent with an offer on messaging apps."""
    catalogue = get_catalogue()
    offer_id = request.path_params.get("offer_id")
    if offer_id is None:
        return TEMPLATES.TemplateResponse(
            request, "offer.html", {"offer": None, "catalogue": catalogue, "phases": PHASES}
        )
    if offer_id not in catalogue:
        raise HTTPException(404, "Cet accompagnement n’existe pas ou plus.")
    offer = catalogue[offer_id]
    return TEMPLATES.TemplateResponse(
        request,
        "offer.html",
        {
            "offer": offer,
            "path": path_line(offer),
            "organisation": catalogue.organisations[offer.organisation],
        },
    )


async def widget(request: Request) -> Response:
    return WholeFile(
        STATIC / "widget.js",
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=300"},
    )


async def stylesheet(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in STYLESHEETS:
        raise HTTPException(404, "Cette page n’existe pas.")
    return WholeFile(
        STATIC / name,
        media_type="text/css; charset=utf-8",
        headers={"Cache-Control": "public, max-age=300"},
    )


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


ROUTES = [
    Route("/", home),
    Route("/widget.js", widget),
    Route("/static/{name}", stylesheet),
    Route("/offres", offers_page),
    Route("/offres/{offer_id}", offers_page),
    Route("/sante", health),
]
