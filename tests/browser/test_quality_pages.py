"""The quality loop in a real browser (Debian's Chromium, axe-core WCAG 2.0/2.1 A and AA): the
person's satisfaction survey and « ne plus recevoir ces messages » on a phone, the advisor's
correction of an orientation, and the public statistics — under the Content-Security-Policy,
without a horizontal scroll at 390 px."""

from datetime import datetime, timedelta, timezone

import pytest
from quality_support import (
    PASSWORD,
    add_advisors,
    add_lead,
    close,
    make_repository,
    make_settings,
    move,
    write_tracker,
)

from bot.followup.tokens import satisfaction_url, stop_url
from bot.workspace.web.app import create_app

from .support import assert_accessible, serve
from .test_workspace import assert_no_csp_violation, watched_page

PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("quality")
    repository = make_repository(tmp)
    add_advisors(repository)
    settings = make_settings(tmp)
    start = datetime(2026, 10, 1, 9, tzinfo=timezone.utc)
    closed = add_lead(repository, "c1", "ideation", created=start, register="tu")
    close(repository, closed, "aide_proposee")
    for i in range(6):
        ref = add_lead(repository, f"s{i}", "competences", created=start + timedelta(hours=i))
        move(repository, ref, ("pris_en_charge", start + timedelta(hours=i + 30)))
    write_tracker(
        settings,
        [
            (f"s{i}", "Nous cherchons des bénévoles pour notre association", start.timestamp() + i)
            for i in range(7)
        ],
        [(f"s{i}", "competences", start.timestamp() + i + 0.5) for i in range(7)],
    )
    with serve(create_app(settings, repository=repository)) as url:
        yield url, repository, settings, closed


def test_a_person_answers_the_survey_on_a_phone(site, browser):
    url, repository, settings, closed = site
    page = watched_page(browser, viewport=PHONE)
    link = satisfaction_url(closed, settings).replace(settings.public_url, url)
    response = page.goto(link)
    assert response.status == 200
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_accessible(page)
    page.get_by_role("group", name="As-tu été contacté·e ?").get_by_label("Oui").check()
    page.get_by_role("group", name="Cela t’a-t-il aidé·e ?").get_by_label("Pas encore").check()
    page.get_by_label("Un commentaire ? (facultatif)").fill("Très bon accueil")
    page.get_by_role("button", name="Envoyer mes réponses").click()
    assert page.get_by_role("status").inner_text().startswith("Tes réponses sont enregistrées")
    assert_accessible(page)
    page.get_by_role("button", name="Je veux être accompagné·e pour l’étape suivante").click()
    assert (
        "ta demande pour l’étape suivante est enregistrée"
        in page.get_by_role("status").inner_text()
    )
    assert repository.quality(closed).answer.comment == "Très bon accueil"
    assert len(repository.quality(closed).next_steps) == 1
    page.goto(link)  # the link again: already answered, said plainly
    assert "déjà répondu" in page.get_by_role("status").inner_text()
    assert_accessible(page)
    page.goto(f"{url}/satisfaction/pas-un-vrai-lien")
    assert page.get_by_role("alert").inner_text().startswith("Ce lien de questionnaire")
    assert_accessible(page)
    assert_no_csp_violation(page)


def test_an_advisor_corrects_an_orientation_and_the_figures_change(site, browser):
    url, repository, _, _ = site
    page = watched_page(browser)
    page.goto(f"{url}/conseil/connexion")
    page.get_by_label("Adresse e-mail").fill("claire@sem.example")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.goto(f"{url}/conseil/demandes/ESS-2026-0002")
    assert_accessible(page)
    page.get_by_label("La bonne orientation était…").check()
    page.get_by_label("Bonne orientation", exact=True).select_option("partenariats")
    page.get_by_label("Pourquoi (obligatoire pour une correction)").fill(
        "Elle cherche des partenaires, pas des compétences"
    )
    page.get_by_role("button", name="Enregistrer l'avis sur l'orientation").click()
    assert "Orientation corrigée" in page.content()
    assert_accessible(page)
    page.goto(f"{url}/conseil/chiffres")
    assert "<strong>0 %</strong> des demandes relues" in page.content()
    assert "Contacté·e : oui" in page.content()
    assert_accessible(page)
    assert_no_csp_violation(page)
    assert repository.quality("ESS-2026-0002").review.right_offer_id == "partenariats"


def test_public_statistics_are_readable_on_a_phone(site, browser):
    url, _, _, _ = site
    page = watched_page(browser, viewport=PHONE)
    assert page.goto(f"{url}/statistiques").status == 200
    assert page.locator("svg[role=img] rect").count() > 0
    assert page.get_by_role("table").count() == 3
    assert "moins de 5" in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_accessible(page)
    assert_no_csp_violation(page)


def test_a_person_stops_the_messages_on_a_phone(site, browser):
    url, repository, settings, closed = site
    page = watched_page(browser, viewport=PHONE)
    assert page.goto(stop_url(closed, settings).replace(settings.public_url, url)).status == 200
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_accessible(page)
    assert repository.get(closed).contact_withdrawn_at is None  # opening the link is not enough
    page.get_by_role("button", name="Je ne veux plus recevoir ces messages").click()
    assert "Tu ne recevras plus de message" in page.get_by_role("status").inner_text()
    assert repository.get(closed).contact_withdrawn_at is not None
    assert_accessible(page)
    assert_no_csp_violation(page)
