"""Benchmark: time to render the advisors' inbox (first page, and a filtered page) with many
leads. Usage: .venv/bin/python bench/inbox.py [--leads 10000]"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from starlette.testclient import TestClient

from bot.leads.db import make_engine, session_factory, upgrade
from bot.leads.models import Lead
from bot.leads.repository import LeadRepository
from bot.orientation.catalogue import get_catalogue
from bot.settings import Settings
from bot.workspace.advisors import Advisors
from bot.workspace.web.app import create_app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=10000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    url = f"sqlite:///{tmp / 'bench.db'}"
    upgrade(url)
    repo = LeadRepository(session_factory(make_engine(url)))
    Advisors(repo).add("admin@bench.example", "Admin", "sem-ess", "admin", "mot de passe long")
    offers = list(get_catalogue().offers.values())
    rng = random.Random(1)
    now = datetime.now(timezone.utc)
    with repo.sessions() as session:
        for i in range(args.leads):
            offer = rng.choice(offers)
            session.add(
                Lead(
                    reference=f"ESS-2026-{i + 1:05d}",
                    confirmation_key=f"k{i}",
                    conversation_id=f"c{i}",
                    channel=rng.choice(["rest", "telegram", "twilio"]),
                    first_name="Prénom",
                    last_name=f"Nom{i}",
                    email=f"p{i}@example.org",
                    commune=rng.choice(["Firminy", "Saint-Étienne", "Saint-Chamond", "Unieux"]),
                    on_territory=True,
                    offer_id=offer.id,
                    organisation_id=offer.organisation,
                    confidence=0.9,
                    score=rng.randint(30, 100),
                    level=rng.choice(["qualifié", "à compléter", "hors territoire"]),
                    status=rng.choice(["nouveau", "pris_en_charge", "aide_proposee"]),
                    created_at=now - timedelta(hours=rng.randint(0, 24 * 365)),
                    youth=offer.phase == "jeunesse",
                    facts={},
                    alternatives=[],
                )
            )
        session.commit()
    settings = Settings(
        var_dir=tmp / "var",
        secret_key="bench",
        secure_cookies=False,
        tracker_store_url=f"sqlite:///{tmp / 'tracker.db'}",
    )
    client = TestClient(create_app(settings, repository=repo))
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/conseil/connexion").text).group(
        1
    )
    client.post(
        "/conseil/connexion",
        data={"email": "admin@bench.example", "password": "mot de passe long", "csrf": token},
    )
    for label, path in (
        ("first page", "/conseil/"),
        ("filtered (offer + status + text)", "/conseil/?offer=competences&status=nouveau&q=Nom1"),
        ("last page", "/conseil/?page=400"),
    ):
        times = []
        for _ in range(10):
            t0 = time.perf_counter()
            response = client.get(path)
            times.append(time.perf_counter() - t0)
            assert response.status_code == 200
        print(
            f"inbox with {args.leads} leads, {label}: median "
            f"{1000 * statistics.median(times):.0f} ms, max {1000 * max(times):.0f} ms"
        )


if __name__ == "__main__":
    main()
