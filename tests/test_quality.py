"""Orientation quality measured by advisors, coverage and delays, and the public statistics
(issue 14, items 5 to 7), on a known dataset: the numbers, who may see and change what, small
cells hidden, and odd requests answered without a server error."""

from datetime import datetime, timedelta, timezone

import pytest
import yaml
from quality_support import (
    add_advisors,
    add_lead,
    csrf_of,
    login,
    make_repository,
    make_settings,
    move,
    write_tracker,
)
from sqlalchemy import func, select
from starlette.testclient import TestClient

from bot.leads.models import OrientationReview
from bot.workspace import delays, quality
from bot.workspace.advisors import Advisors
from bot.workspace.public_stats import HIDDEN, compute_public, parts
from bot.workspace.web.app import create_app

UTC = timezone.utc
OCT, NOV = datetime(2026, 10, 1, 9, tzinfo=UTC), datetime(2026, 11, 3, 9, tzinfo=UTC)


@pytest.fixture()
def world(tmp_path):
    repository = make_repository(tmp_path)
    add_advisors(repository)
    settings = make_settings(tmp_path)
    refs = {
        "A": add_lead(repository, "c1", "ideation", created=OCT),
        "B": add_lead(
            repository, "c2", "competences", channel="telegram", created=OCT + timedelta(days=4)
        ),
        "C": add_lead(repository, "c3", "competences", created=NOV),
        "D": add_lead(repository, "c4", "creation", channel="telegram", created=NOV),
        "E": add_lead(repository, "c5", "reve-et-realise", created=NOV),
    }
    repository.review_orientation(refs["A"], "claire@sem.example", "ideation")
    for key in "BC":
        repository.review_orientation(
            refs[key],
            "claire@sem.example",
            "partenariats",
            "Cherche des partenaires, pas des compétences",
        )
    repository.review_orientation(refs["D"], "claire@sem.example", "creation")
    repository.review_orientation(refs["E"], "yann@unis-cite.example", "cjs", "Un groupe")
    write_tracker(
        settings,
        [
            ("c2", "bonjour", 1.0),
            (
                "c2",
                "On cherche des bénévoles, appelez-moi au 06 12 34 56 78 ou lea@example.org",
                2.0,
            ),
            ("c3", "/situation_competences", 3.0),
            ("c3", "Nous voulons trouver des partenaires pour notre association", 4.0),
            ("c5", "Je veux créer une coopérative jeunesse cet été avec des amis", 5.0),
        ],
    )
    return create_app(settings, repository=repository), repository, settings, refs


def title(repository, offer_id):
    return repository.catalogue[offer_id].title


def test_figures_count_right_first_time_by_offer_channel_month_and_confusions(world):
    _, repository, _, _ = world
    sem = quality.orientation_quality(repository, "sem-ess")
    assert (sem.overall.reviewed, sem.overall.right, sem.overall.percent) == (4, 2, 50)
    assert {k: (s.reviewed, s.right) for k, s in sem.by_offer.items()} == {
        title(repository, "ideation"): (1, 1),
        title(repository, "competences"): (2, 0),
        title(repository, "creation"): (1, 1),
    }
    assert {k: (s.reviewed, s.right) for k, s in sem.by_channel.items()} == {
        "rest": (2, 1),
        "telegram": (2, 1),
    }
    assert {k: (s.reviewed, s.right) for k, s in sem.by_month.items()} == {
        "2026-10": (2, 1),
        "2026-11": (2, 1),
    }
    assert sem.confusions == [
        (title(repository, "competences"), title(repository, "partenariats"), 2)
    ]
    unis = quality.orientation_quality(repository, "unis-cite")
    assert unis.overall.reviewed == 1 and unis.confusions == [
        (title(repository, "reve-et-realise"), title(repository, "cjs"), 1)
    ]
    assert quality.orientation_quality(repository, None).overall.percent == 40


def test_figures_page_shows_quality_satisfaction_coverage_and_delays(world):
    app, repository, _, refs = world
    repository.record_satisfaction(refs["A"], True, False, "Merci")
    page = login(app, "claire@sem.example").get("/conseil/chiffres")
    assert page.status_code == 200
    assert "<strong>50 %</strong> des demandes relues" in page.text
    assert "orientations-corrigees.yml" in page.text
    assert '<th scope="row">Aidé·e : non</th><td>1</td>' in page.text
    assert "Chaque offre a au moins un compte actif" in page.text  # Claire's organisation
    admin = login(app, "admin@sem.example").get("/conseil/chiffres").text
    assert "<strong>40 %</strong>" in admin
    beelys = title(repository, "beelys")
    assert beelys in admin.split("Couverture")[1]  # PEPITE Beelys has no account


def test_uncovered_offers_follow_active_accounts(world):
    _, repository, _, _ = world
    offers = {o.id for o in delays.uncovered_offers(repository, None)}
    assert offers == {"beelys"}
    assert delays.uncovered_offers(repository, "sem-ess") == []
    Advisors(repository).disable("yann@unis-cite.example")
    assert {o.id for o in delays.uncovered_offers(repository, None)} == {
        "beelys",
        "reve-et-realise",
    }


def test_median_delays_come_from_the_status_history(world):
    _, repository, _, refs = world
    move(
        repository,
        refs["A"],
        ("pris_en_charge", OCT + timedelta(hours=24)),
        ("aide_proposee", OCT + timedelta(days=5)),
    )
    b = OCT + timedelta(days=4)
    move(
        repository,
        refs["B"],
        ("pris_en_charge", b + timedelta(hours=72)),
        ("injoignable", b + timedelta(days=4)),
        ("pris_en_charge", b + timedelta(days=5)),
        ("pas_pour_nous", b + timedelta(days=10)),
    )
    move(repository, refs["C"], ("pris_en_charge", NOV + timedelta(hours=12)))
    [sem] = delays.delays_by_organisation(repository, "sem-ess")
    assert (sem.taken, sem.closed) == (3, 2)
    assert sem.to_taken == timedelta(hours=24) and sem.to_closed == timedelta(days=7.5)
    assert (delays.duration(sem.to_taken), delays.duration(sem.to_closed)) == ("24 h", "7,5 jours")
    assert [d.organisation for d in delays.delays_by_organisation(repository, None)] == [
        "Service Économie sociale et solidaire de Saint-Étienne Métropole"
    ]


def test_corrected_first_messages_export_as_scrubbed_nlu_examples_per_organisation(world):
    app, _, _, _ = world
    claire = login(app, "claire@sem.example")
    response = claire.get("/conseil/incompris/orientations-corrigees.yml")
    assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
    data = yaml.safe_load(response.text)
    assert data["nlu"] == [
        {
            "intent": "situation_partenariats",
            "examples": "- On cherche des bénévoles, appelez-moi au [téléphone] ou [e-mail]\n"
            "- Nous voulons trouver des partenaires pour notre association\n",
        }
    ]
    assert "coopérative jeunesse" not in response.text  # Unis-Cité's lead
    yann = yaml.safe_load(
        login(app, "yann@unis-cite.example")
        .get("/conseil/incompris/orientations-corrigees.yml")
        .text
    )
    assert [item["intent"] for item in yann["nlu"]] == ["situation_cjs"]
    assert "orientations-corrigees.yml" in claire.get("/conseil/incompris").text
    anonymous = TestClient(app).get(
        "/conseil/incompris/orientations-corrigees.yml", follow_redirects=False
    )
    assert anonymous.status_code == 303


def reviews(repository):
    with repository.sessions() as session:
        return session.scalar(select(func.count()).select_from(OrientationReview))


def test_an_advisor_confirms_or_corrects_with_csrf_and_within_their_organisation(tmp_path):
    repository = make_repository(tmp_path)
    add_advisors(repository)
    app = create_app(make_settings(tmp_path), repository=repository)
    ref = add_lead(repository, "c1", "competences")
    other = add_lead(repository, "c2", "reve-et-realise")
    claire = login(app, "claire@sem.example")
    path = f"/conseil/demandes/{ref}"
    token = csrf_of(claire, path)
    assert "La bonne orientation était…" in claire.get(path).text
    assert (
        TestClient(app)
        .post(f"{path}/orientation", data={"verdict": "bonne"}, follow_redirects=False)
        .status_code
        == 303
    )  # to the login
    assert (
        claire.post(f"{path}/orientation", data={"verdict": "bonne", "csrf": "nope"}).status_code
        == 403
    )
    assert (
        claire.post(
            f"/conseil/demandes/{other}/orientation", data={"verdict": "bonne", "csrf": token}
        ).status_code
        == 404
    )
    for data in (
        {"verdict": "corrigee", "right_offer": "partenariats"},  # no reason
        {"verdict": "corrigee", "right_offer": "n'existe pas", "reason": "x"},
        {"verdict": "corrigee", "right_offer": "é" * 5000, "reason": "x"},
        {"verdict": "\x00"},
        {},
    ):
        response = claire.post(f"{path}/orientation", data={**data, "csrf": token})
        assert response.status_code == 400, data
    assert reviews(repository) == 0
    ok = claire.post(
        f"{path}/orientation", data={"verdict": "bonne", "csrf": token}, follow_redirects=False
    )
    assert ok.status_code == 303
    assert "Orientation confirmée" in claire.get(path).text
    claire.post(
        f"{path}/orientation",
        data={
            "verdict": "corrigee",
            "csrf": token,
            "right_offer": "partenariats",
            "reason": "<i>Partenaires</i> recherchés",
        },
    )
    page = claire.get(path).text
    assert "la bonne était <strong>" + title(repository, "partenariats") in page
    assert "&lt;i&gt;Partenaires&lt;/i&gt;" in page
    review = repository.quality(ref).review
    assert (reviews(repository), review.oriented_offer_id, review.right_offer_id) == (
        1,
        "competences",
        "partenariats",
    )


def test_odd_addresses_give_clear_answers_not_server_errors(world):
    app, _, _, refs = world
    claire = login(app, "claire@sem.example")
    for path in (
        "/conseil/demandes/%00/orientation",
        "/conseil/demandes/ESS-9999-9999/orientation",
        f"/conseil/demandes/{refs['A']}/etape-suivante",
    ):
        response = claire.post(path, data={"csrf": csrf_of(claire, "/conseil/")})
        assert response.status_code in (400, 404), path
    for path in (
        "/conseil/chiffres?x=%00",
        "/statistiques?mois=<script>&page=-1",
        "/satisfaction/",
        "/satisfaction/%20",
    ):
        assert claire.get(path).status_code in (200, 404), path


def test_parts_of_a_published_total_hide_small_cells_and_what_would_reveal_them():
    assert parts({"a": 6, "b": 7}, 13) == {"a": "6", "b": "7"}
    # One hidden part could be worked out from the total: the next smallest is hidden too.
    assert parts({"a": 2, "b": 6, "c": 9}, 17) == {"a": HIDDEN, "b": HIDDEN, "c": "9"}
    assert parts({"a": 0, "b": 3, "c": 9}, 12) == {"a": HIDDEN, "b": HIDDEN, "c": "9"}
    assert parts({"a": 1, "b": 3}, 4) == {"a": HIDDEN, "b": HIDDEN}


def test_public_statistics_by_month_with_small_cells_hidden(tmp_path):
    repository = make_repository(tmp_path)
    settings = make_settings(tmp_path)
    refs = [
        add_lead(repository, f"o{i}", "competences", created=OCT + timedelta(hours=i))
        for i in range(6)
    ]
    refs += [add_lead(repository, f"n{i}", "competences", created=NOV) for i in range(3)]
    for i, ref in enumerate(refs[:5]):
        move(repository, ref, ("pris_en_charge", OCT + timedelta(hours=i + 24)))
    for i, ref in enumerate(refs[:5] + refs[6:]):
        repository.record_satisfaction(
            ref, i % 2 == 0, i % 2 == 1, "Léa Martin, 0612345678", now=OCT + timedelta(days=20)
        )
    oct_ts, nov_ts = OCT.timestamp(), NOV.timestamp()
    offers = [("competences", 6), ("partenariats", 5), ("ideation", 1)]
    people = [(f"s{o}{i}", o, oct_ts + i) for o, n in offers for i in range(n)]
    write_tracker(
        settings,
        [(s, "bonjour", t) for s, _, t in people] + [("late", "bonjour", nov_ts)],
        [(s, o, t + 0.5) for s, o, t in people],
    )
    stats = compute_public(
        repository, settings.trackers_url, now=datetime(2026, 11, 30, tzinfo=UTC)
    )
    assert stats.months == ["2026-10", "2026-11"]
    october, november = stats.rows
    assert october == {
        "month": "2026-10",
        "conversations": "12",
        "orientations": "12",
        "callbacks": "6",
        "wait": "24 h",
        "answers": "8",
        "contacted": HIDDEN,
        "helped": HIDDEN,
    }  # 4 and 4 of 8: hidden
    assert november["callbacks"] == HIDDEN and november["conversations"] == HIDDEN
    assert november["wait"] == HIDDEN
    assert stats.by_axis[0] == {1: HIDDEN, 2: "11", 3: HIDDEN}
    cells = {t: c[0] for t, c in stats.by_offer.items()}
    assert cells[title(repository, "competences")] == "6"
    assert cells[title(repository, "partenariats")] == "5"
    assert cells[title(repository, "ideation")] == HIDDEN
    assert stats.series["Demandes de rappel"] == [6, None]

    page = TestClient(create_app(settings, repository=repository)).get("/statistiques")
    assert page.status_code == 200 and 'lang="fr"' in page.text
    assert "<svg" in page.text and '<title id="graphique-titre">' in page.text
    assert "moins de 5" in page.text and "oct. 2026" in page.text
    assert "Martin" not in page.text and "0612345678" not in page.text
    assert "set-cookie" not in page.headers


def test_public_statistics_without_any_data_say_so(tmp_path):
    app = create_app(make_settings(tmp_path), repository=make_repository(tmp_path))
    page = TestClient(app).get("/statistiques")
    assert page.status_code == 200 and "Pas encore de chiffres à publier" in page.text


@pytest.fixture(params=["sqlite", "postgresql"])
def any_repository(request, tmp_path):
    """The repository's quality methods on SQLite and on the PostgreSQL of scripts/test.sh."""
    from conftest import empty_postgres

    from bot.leads.db import make_engine, session_factory, upgrade
    from bot.leads.repository import LeadRepository

    if request.param == "sqlite":
        return make_repository(tmp_path)
    url = empty_postgres()
    upgrade(url)
    return LeadRepository(session_factory(make_engine(url)))


def test_one_answer_one_review_one_next_step_and_erasure_takes_them(any_repository):
    repository = any_repository
    ref = add_lead(repository, "c1", "modelisation")
    assert repository.record_satisfaction(ref, True, True, "Bien")
    assert not repository.record_satisfaction(ref, False, False, "Encore")
    repository.review_orientation(ref, "claire@sem.example", "modelisation")
    repository.review_orientation(ref, "claire@sem.example", "validation", "Trop tôt")
    with pytest.raises(ValueError):
        repository.review_orientation(ref, "claire@sem.example", "inconnue")
    first = repository.create_next_step(ref, "creation")
    assert first[1] and repository.create_next_step(ref, "creation") == (first[0], False)
    quality_of = repository.quality(ref)
    assert (quality_of.answer.comment, quality_of.review.right_offer_id) == ("Bien", "validation")
    assert quality_of.next_steps == [first[0]] and repository.quality(first[0]).previous == ref
    assert reviews(repository) == 1
    repository.erase_lead(ref)
    assert reviews(repository) == 0
    assert repository.quality(first[0]).previous is None  # the next step stays, unlinked
