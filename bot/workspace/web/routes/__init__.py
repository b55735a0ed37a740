"""The web app's routes, one module per thing a person does there: the public site
(`public`), the widget's chat proxy (`chat`), and, under /conseil, signing in (`auth`), the
inbox (`inbox`), one lead (`leads`), the figures (`figures`), the review of misunderstood
messages (`misunderstood`), the advisors' orientation verdicts and next steps (`quality`);
public again: the satisfaction survey (`satisfaction`), « ne plus recevoir ces messages »
(`contact_stop`) and the statistics (`statistics`).
Every /conseil route starts with `Context.require`, every lead route with `Context.lead_for`,
every form with `form_with_csrf` (bot.workspace.web.context); the survey's forms carry a
signed field instead (no session there, see `satisfaction`, `contact_stop`)."""

from __future__ import annotations

from bot.workspace.web.routes import (
    auth,
    chat,
    contact_stop,
    figures,
    inbox,
    leads,
    misunderstood,
    public,
    quality,
    satisfaction,
    statistics,
)

ROUTES = (
    public.ROUTES
    + chat.ROUTES
    + auth.ROUTES
    + inbox.ROUTES
    + leads.ROUTES
    + figures.ROUTES
    + misunderstood.ROUTES
    + satisfaction.ROUTES
    + contact_stop.ROUTES
    + quality.ROUTES
    + statistics.ROUTES
)
