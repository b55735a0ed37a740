"""The next offer of the programme's path after an offer whose help was given (`aide_proposee`):
the next step of the creation path (Idéation → Validation → Modélisation → Création), then the
first offer of the next phase of `PROGRAMME_PATH` (création → consolidation → changement
d'échelle). Nothing after the last phase, nor for the youth programmes (axis 3, outside the
path): no suggestion rather than a guess."""

from __future__ import annotations

from bot.leads.models import Lead
from bot.orientation.catalogue import Catalogue, Offer
from bot.wording import PROGRAMME_PATH


def next_offer(offer_id: str | None, catalogue: Catalogue) -> Offer | None:
    offer = catalogue.offers.get(offer_id or "")
    if offer is None or offer.phase not in PROGRAMME_PATH:
        return None
    if offer.step:
        later = [o for o in catalogue.creation_path() if o.step > offer.step]
        if later:
            return later[0]
    position = PROGRAMME_PATH.index(offer.phase)
    for phase in PROGRAMME_PATH[position + 1 :]:
        offers = catalogue.in_phase(phase)
        if offers:
            return offers[0]
    return None


def suggestion(lead: Lead, catalogue: Catalogue) -> Offer | None:
    """The next step to suggest for this lead: only once the help was given."""
    return next_offer(lead.offer_id, catalogue) if lead.status == "aide_proposee" else None
