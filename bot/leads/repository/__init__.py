"""Reading and writing leads: `LeadRepository`, the one entry point, composed of one mixin per
aggregate over a shared session factory.

- `base`: the session factory, the catalogue, a lead by its reference;
- `leads`: writing a confirmed lead exactly once, status changes, reading leads;
- `notes`: advisors' notes and assignment;
- `misunderstood`: messages kept for review;
- `feedback`: « C'était utile ? » answers;
- `quality`: satisfaction answers, advisors' orientation reviews, the next step's lead;
- `followups`: the follow-up loop's messages, the « sans suite » flag, reply addresses;
- `retention`: erasure (a person's, an advisor's), the erasure log, purge.

Why mixins rather than one attribute per aggregate with delegating methods: every caller
(actions, the web app, notifications, figures, tests) holds one `LeadRepository` and calls its
methods and `sessions()` directly; the mixins keep exactly that surface with no second copy
of each signature to keep in step, and each mixin still reads on its own, since it relies on
nothing but `RepositoryBase` (`sessions`, `catalogue`, `_lead`). The method names of the
mixins do not overlap.
"""

from __future__ import annotations

from sqlalchemy.orm import sessionmaker

from bot.leads.db import get_engine, session_factory
from bot.leads.repository.base import RepositoryBase
from bot.leads.repository.feedback import FeedbackStore
from bot.leads.repository.followups import FollowUpStore
from bot.leads.repository.leads import (
    ASSISTANT,
    LEAD_FIELDS,
    LeadStore,
    Saved,
    confirmation_key,
    reference_of,
)
from bot.leads.repository.misunderstood import MisunderstoodStore
from bot.leads.repository.notes import NoteStore
from bot.leads.repository.quality import QualityStore
from bot.leads.repository.retention import Retention
from bot.orientation.catalogue import Catalogue, get_catalogue
from bot.settings import Settings

__all__ = [
    "ASSISTANT",
    "LEAD_FIELDS",
    "LeadRepository",
    "Saved",
    "confirmation_key",
    "reference_of",
]


class LeadRepository(
    LeadStore, NoteStore, MisunderstoodStore, FeedbackStore, QualityStore, FollowUpStore, Retention
):
    """All of the leads database. Without `sessions`, the database of `settings` (by default
    the environment's: `Settings.from_env()`)."""

    def __init__(
        self,
        sessions: sessionmaker | None = None,
        catalogue: Catalogue | None = None,
        *,
        settings: Settings | None = None,
    ):
        if sessions is None:
            url = (settings or Settings.from_env()).leads_database_url
            sessions = session_factory(get_engine(url))
        RepositoryBase.__init__(self, sessions, catalogue or get_catalogue())
