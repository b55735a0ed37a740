"""The offer catalogue: the 18 offers of data/offers.yml, and clear errors on a broken file."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.orientation.catalogue import PHASES, CatalogueError, load_catalogue

ROOT = Path(__file__).resolve().parent.parent
# The 18 offers of the programme (data/offers.yml) and their phase: ids stay stable once used.
STABLE_OFFERS = {
    "ideation": "creation",
    "validation": "creation",
    "modelisation": "creation",
    "creation": "creation",
    "reprise-cooperative": "creation",
    "societe-commerciale-ess": "creation",
    "competences": "consolidation",
    "partenariats": "consolidation",
    "forme-juridique": "consolidation",
    "achats-responsables": "consolidation",
    "diversification": "changement-echelle",
    "duplication": "changement-echelle",
    "fertilisation": "changement-echelle",
    "cooperation": "changement-echelle",
    "mutualisation": "changement-echelle",
    "cjs": "jeunesse",
    "reve-et-realise": "jeunesse",
    "beelys": "jeunesse",
}


def test_catalogue_has_the_18_offers_of_the_spec_with_their_phase(catalogue):
    assert {o.id: o.phase for o in catalogue.offers.values()} == STABLE_OFFERS


def test_every_offer_is_complete_and_handled_by_a_known_organisation(catalogue):
    for offer in catalogue.offers.values():
        assert offer.title and offer.summary and offer.description and offer.audience
        assert offer.why.startswith("Parce que") and offer.why_tu.startswith("Parce que")
        assert len(offer.benefits) >= 2 and len(offer.signals) >= 2
        assert offer.organisation in catalogue.organisations


def test_no_invented_contact_details(catalogue):
    for org in catalogue.organisations.values():
        assert (org.email, org.phone) == ("", "")


def test_creation_path_is_ideation_to_creation(catalogue):
    assert [o.id for o in catalogue.creation_path()] == [
        "ideation",
        "validation",
        "modelisation",
        "creation",
    ]


def _broken(tmp_path, mutate) -> Path:
    data = yaml.safe_load((ROOT / "data/offers.yml").read_text(encoding="utf-8"))
    mutate(data)
    path = tmp_path / "offers.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "mutate, offer, field, words",
    [
        (lambda d: d["offers"][2].update(phase="lancement"), "modelisation", "phase", "inconnue"),
        (lambda d: d["offers"][3].update(id="ideation"), "ideation", "id", "double"),
        (lambda d: d["offers"][4].pop("title"), "reprise-cooperative", "title", "manquant"),
        (
            lambda d: d["offers"][5].update(benefits=[]),
            "societe-commerciale-ess",
            "benefits",
            "vide",
        ),
        (
            lambda d: d["offers"][6].update(organisation="inconnue"),
            "competences",
            "organisation",
            "inconnue",
        ),
        (lambda d: d["offers"][16].update(axis=1), "reve-et-realise", "axis", "incohérent"),
    ],
)
def test_a_mistake_is_reported_with_file_line_offer_and_field(
    tmp_path, mutate, offer, field, words
):
    path = _broken(tmp_path, mutate)
    with pytest.raises(CatalogueError) as err:
        load_catalogue(path)
    message = str(err.value)
    assert str(path) in message and err.value.line and f":{err.value.line}:" in message
    assert f"« {offer} »" in message and f"« {field} »" in message and words in message
    assert "\n" not in message


def test_invalid_yaml_gives_the_line(tmp_path):
    path = tmp_path / "offers.yml"
    path.write_text("offers:\n  - id: x\n    title: [unclosed\n", encoding="utf-8")
    with pytest.raises(CatalogueError) as err:
        load_catalogue(path)
    assert "YAML invalide" in str(err.value) and err.value.line


def test_cli_reports_a_broken_catalogue_in_one_line(tmp_path):
    path = _broken(tmp_path, lambda d: d["offers"][0].update(phase="nulle-part"))
    run = subprocess.run(
        [sys.executable, "-m", "bot", "check", "--file", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert run.returncode == 2
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "ideation" in lines[0] and "phase" in lines[0]


def test_orient_refuses_to_start_on_a_broken_catalogue(tmp_path):
    path = _broken(tmp_path, lambda d: d["offers"][1].pop("why"))
    run = subprocess.run(
        [sys.executable, "-m", "bot", "orient", "bonjour"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"BOUSSOLE_OFFERS": str(path), "PATH": "/usr/bin:/bin"},
    )
    assert run.returncode == 2 and run.stdout == ""
    assert "validation" in run.stderr and "why" in run.stderr


def test_phases_are_the_programme_ones():
    assert set(PHASES) == {"creation", "consolidation", "changement-echelle", "jeunesse"}
