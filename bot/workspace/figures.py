"""How the programme's orientation is doing: weekly counts, breakdowns, funnel, satisfaction.

Conversations and orientations are read from Rasa's tracker store (distinct conversations, and
`offer` slots set), leads and feedback from the leads database.
"""

from __future__ import annotations

import io
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import select, text

from bot.leads.models import Feedback, Lead
from bot.leads.qualification import QUALIFIED
from bot.leads.repository import LeadRepository
from bot.orientation.catalogue import get_catalogue
from bot.workspace.privacy import tracker_engine


def week_of(moment: datetime) -> str:
    year, week, _ = moment.isocalendar()
    return f"{year}-S{week:02d}"


@dataclass
class Figures:
    weeks: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    by_offer: Counter = field(default_factory=Counter)
    by_phase: Counter = field(default_factory=Counter)
    by_channel: Counter = field(default_factory=Counter)
    by_commune: Counter = field(default_factory=Counter)
    funnel: dict[str, int] = field(default_factory=dict)
    satisfaction: Counter = field(default_factory=Counter)


def compute(
    repository: LeadRepository, organisation_id: str | None, tracker_url: str | None = None
) -> Figures:
    figures = Figures()
    catalogue = get_catalogue()
    conversations, oriented = set(), set()
    try:
        with tracker_engine(tracker_url).connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT sender_id, type_name, timestamp, data FROM events "
                    "WHERE type_name IN ('user', 'slot')"
                )
            )
            for sender, type_name, timestamp, data in rows:
                week = week_of(datetime.fromtimestamp(timestamp, timezone.utc))
                if type_name == "user" and (sender, week) not in conversations:
                    conversations.add((sender, week))
                    figures.weeks[week]["conversations"] += 1
                elif type_name == "slot":
                    event = json.loads(data)
                    if (
                        event.get("name") == "offer"
                        and event.get("value")
                        and (sender, week) not in oriented
                    ):
                        oriented.add((sender, week))
                        figures.weeks[week]["orientations"] += 1
    except Exception:  # noqa: BLE001 - no conversation stored yet
        pass
    query = select(Lead)
    if organisation_id:
        query = query.where(Lead.organisation_id == organisation_id)
    with repository.sessions() as session:
        leads = list(session.scalars(query))
        feedback = list(session.scalars(select(Feedback)))
    for lead in leads:
        week = week_of(lead.created_at)
        figures.weeks[week]["leads"] += 1
        figures.weeks[week]["qualified"] += lead.level == QUALIFIED
        offer = catalogue.offers.get(lead.offer_id or "")
        figures.by_offer[offer.title if offer else "aucune"] += 1
        figures.by_phase[offer.phase_label if offer else "aucune"] += 1
        figures.by_channel[lead.channel] += 1
        figures.by_commune[lead.commune or "inconnue"] += 1
    for item in feedback:
        figures.satisfaction[
            "utile" if item.useful else "pas utile" if item.useful is False else "sans réponse"
        ] += 1
    figures.funnel = {
        "Conversations": len({s for s, _ in conversations}),
        "Orientations": len({s for s, _ in oriented}),
        "Demandes de rappel": len(leads),
        "Prises en charge": sum(lead.status != "nouveau" for lead in leads),
    }
    figures.weeks = dict(sorted(figures.weeks.items()))
    return figures


def weekly_chart_svg(figures: Figures) -> str:
    """Bar chart of the weekly counts, as inline SVG (the same data is given as a table)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    weeks = list(figures.weeks)[-12:]
    series = [
        ("conversations", "Conversations", "#9bb7c4"),
        ("orientations", "Orientations", "#4f8aa3"),
        ("leads", "Demandes", "#00546b"),
        ("qualified", "Qualifiées", "#1d3d47"),
    ]
    fig, ax = plt.subplots(figsize=(8, 3.2), dpi=100)
    width = 0.2
    for i, (key, label, colour) in enumerate(series):
        ax.bar(
            [x + i * width for x in range(len(weeks))],
            [figures.weeks[w][key] for w in weeks],
            width,
            label=label,
            color=colour,
        )
    ax.set_xticks([x + 1.5 * width for x in range(len(weeks))], weeks, fontsize=8)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg")
    plt.close(fig)
    svg = buffer.getvalue()
    return _presentation_attributes(svg[svg.index("<svg") :])


def _presentation_attributes(svg: str) -> str:
    """The SVG's CSS as presentation attributes: the Content-Security-Policy forbids inline
    styles (style="…" and <style>) and the chart would lose its colours."""
    import html
    import re

    def attributes(declarations: str) -> str:
        pairs = (d.split(":", 1) for d in declarations.split(";") if ":" in d)
        return " ".join(
            f'{name.strip()}="{html.escape(value.strip(), quote=True)}"' for name, value in pairs
        )

    svg = re.sub(r'\sstyle="([^"]*)"', lambda m: " " + attributes(html.unescape(m.group(1))), svg)
    sheets = re.findall(r"<style[^>]*>\s*\*\s*\{([^}]*)\}\s*</style>", svg)
    svg = re.sub(r"<style[^>]*>.*?</style>", "", svg, flags=re.S)
    # Rules for every element ("*{…}") become attributes of the root, which they inherit.
    return svg.replace("<svg ", "<svg " + " ".join(attributes(s) for s in sheets) + " ", 1)
