"""The web app's routes, one module per thing a person does there: the public site
(`public`), the widget's chat proxy (`chat`), and, under /conseil, signing in (`auth`), the
inbox (`inbox`), one lead (`leads`), the figures (`figures`) and the review of misunderstood
messages (`misunderstood`). Every /conseil route starts with `Context.require`, every lead
route with `Context.lead_for`, every form with `form_with_csrf` (bot.workspace.web.context)."""
from __future__ import annotations

from bot.workspace.web.routes import auth, chat, figures, inbox, leads, misunderstood, public

ROUTES = (public.ROUTES + chat.ROUTES + auth.ROUTES + inbox.ROUTES + leads.ROUTES
          + figures.ROUTES + misunderstood.ROUTES)
