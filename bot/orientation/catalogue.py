"""The offer catalogue (`data/offers.yml`): load, validate, look up.

The catalogue is edited by the Métropole without touching code, so every mistake must come back
as one line naming the file, the line, the offer and the field — never a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot import settings

# Phases of the programme's path, in the order a project goes through them.
PHASES: dict[str, str] = {
    "creation": "Création",
    "consolidation": "Consolidation et pérennisation",
    "changement-echelle": "Changement d'échelle",
    "jeunesse": "Entrepreneuriat social et jeunesse",
}
AXES: dict[int, str] = {
    1: "Favoriser l'émergence et l'accompagnement des projets d'entrepreneuriat en ESS",
    2: "Accompagner et consolider le développement des entreprises ESS",
    3: "Sensibiliser et promouvoir l'ESS",
}
# The expected axis of each phase: the programme's three axes (data/offers.yml).
PHASE_AXIS = {"creation": 1, "consolidation": 2, "changement-echelle": 2, "jeunesse": 3}

OFFER_TEXT_FIELDS = ("title", "summary", "description", "audience", "why", "why_tu")
OFFER_LIST_FIELDS = ("benefits", "signals")
ORGANISATION_FIELDS = ("id", "name")


class CatalogueError(ValueError):
    """A mistake in the catalogue file, with where it is."""

    def __init__(
        self,
        path: Path,
        line: int | None,
        message: str,
        offer: str | None = None,
        field: str | None = None,
    ):
        self.path, self.line, self.offer, self.field = path, line, offer, field
        where = f"{path}" + (f":{line}" if line else "")
        what = ", ".join(
            p
            for p in (f"offre « {offer} »" if offer else "", f"champ « {field} »" if field else "")
            if p
        )
        super().__init__(f"{where}: {what + ' : ' if what else ''}{message}")


@dataclass(frozen=True)
class Organisation:
    id: str
    name: str
    email: str = ""
    phone: str = ""
    website: str = ""


@dataclass(frozen=True)
class Offer:
    id: str
    title: str
    phase: str
    axis: int
    summary: str
    description: str
    audience: str
    benefits: tuple[str, ...]
    signals: tuple[str, ...]
    why: str
    why_tu: str
    organisation: str
    step: int | None = None  # position in the creation path, for its four steps only

    @property
    def phase_label(self) -> str:
        return PHASES[self.phase]


@dataclass(frozen=True)
class Catalogue:
    offers: dict[str, Offer]
    organisations: dict[str, Organisation]

    def __getitem__(self, offer_id: str) -> Offer:
        return self.offers[offer_id]

    def __contains__(self, offer_id: object) -> bool:
        return offer_id in self.offers

    def in_phase(self, phase: str) -> list[Offer]:
        return [o for o in self.offers.values() if o.phase == phase]

    def creation_path(self) -> list[Offer]:
        """Idéation → Validation → Modélisation → Création: the offers that carry a step."""
        return sorted((o for o in self.offers.values() if o.step), key=lambda o: o.step)


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that remembers the line of every mapping, for error messages."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    mapping["__lines__"] = {
        k.value: k.start_mark.line + 1 for k, _ in node.value if isinstance(k, yaml.ScalarNode)
    }
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _line(item: dict, field: str | None = None) -> int | None:
    if field and field in item.get("__lines__", {}):
        return item["__lines__"][field]
    return item.get("__line__")


def load_catalogue(path: Path | str | None = None) -> Catalogue:
    """Read and validate a catalogue file; raise CatalogueError naming the first mistake."""
    path = Path(path or settings.OFFERS_FILE)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)
    except FileNotFoundError:
        raise CatalogueError(path, None, "fichier introuvable") from None
    except UnicodeDecodeError:
        raise CatalogueError(path, None, "le fichier n'est pas en UTF-8") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise CatalogueError(
            path, mark.line + 1 if mark else None, f"YAML invalide ({problem})"
        ) from None
    if not isinstance(raw, dict):
        raise CatalogueError(path, 1, "le fichier doit contenir « organisations » et « offers »")

    organisations = _load_organisations(path, raw)
    offers: dict[str, Offer] = {}
    items = raw.get("offers")
    if not isinstance(items, list) or not items:
        raise CatalogueError(path, _line(raw, "offers"), "liste « offers » absente ou vide")
    for item in items:
        offer = _load_offer(path, item, organisations)
        if offer.id in offers:
            raise CatalogueError(path, _line(item, "id"), "identifiant en double", offer.id, "id")
        offers[offer.id] = offer
    return Catalogue(offers=offers, organisations=organisations)


def _load_organisations(path: Path, raw: dict) -> dict[str, Organisation]:
    items = raw.get("organisations")
    if not isinstance(items, list) or not items:
        raise CatalogueError(
            path, _line(raw, "organisations"), "liste « organisations » absente ou vide"
        )
    result: dict[str, Organisation] = {}
    for item in items:
        if not isinstance(item, dict):
            raise CatalogueError(path, None, "chaque organisation doit être un objet")
        for field in ORGANISATION_FIELDS:
            if not isinstance(item.get(field), str) or not item[field].strip():
                raise CatalogueError(
                    path,
                    _line(item, field),
                    "valeur manquante ou vide",
                    None,
                    f"organisations.{field}",
                )
        org_id = item["id"].strip()
        if org_id in result:
            raise CatalogueError(
                path,
                _line(item, "id"),
                f"organisation « {org_id} » en double",
                None,
                "organisations.id",
            )
        result[org_id] = Organisation(
            id=org_id,
            name=item["name"].strip(),
            **{k: str(item.get(k) or "").strip() for k in ("email", "phone", "website")},
        )
    return result


def _load_offer(path: Path, item: Any, organisations: dict[str, Organisation]) -> Offer:
    if not isinstance(item, dict):
        raise CatalogueError(path, None, "chaque offre doit être un objet (clé: valeur)")
    offer_id = item.get("id")
    if not isinstance(offer_id, str) or not offer_id.strip():
        raise CatalogueError(path, _line(item), "identifiant manquant", None, "id")
    offer_id = offer_id.strip()

    def err(field: str, message: str) -> CatalogueError:
        return CatalogueError(path, _line(item, field), message, offer_id, field)

    for field in OFFER_TEXT_FIELDS:
        value = item.get(field)
        if not isinstance(value, str) or not value.strip():
            raise err(field, "texte manquant ou vide")
    for field in OFFER_LIST_FIELDS:
        value = item.get(field)
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(v, str) and v.strip() for v in value)
        ):
            raise err(field, "liste de textes manquante ou vide")
    phase = item.get("phase")
    if phase not in PHASES:
        raise err("phase", f"phase inconnue « {phase} » (attendu : {', '.join(PHASES)})")
    axis = item.get("axis")
    if axis != PHASE_AXIS[phase]:
        raise err(
            "axis",
            f"axe « {axis} » incohérent avec la phase « {phase} » (attendu : {PHASE_AXIS[phase]})",
        )
    step = item.get("step")
    if step is not None and (not isinstance(step, int) or phase != "creation" or step < 1):
        raise err("step", "étape invalide (entier ≥ 1, pour la phase création seulement)")
    org = item.get("organisation", "sem-ess")
    if org not in organisations:
        raise err("organisation", f"organisation inconnue « {org} »")
    return Offer(
        id=offer_id,
        phase=phase,
        axis=axis,
        organisation=org,
        step=step,
        benefits=tuple(v.strip() for v in item["benefits"]),
        signals=tuple(v.strip() for v in item["signals"]),
        **{f: " ".join(item[f].split()) for f in OFFER_TEXT_FIELDS},
    )


@lru_cache(maxsize=4)
def _cached(path: str) -> Catalogue:
    return load_catalogue(path)


def get_catalogue(path: Path | str | None = None) -> Catalogue:
    """The catalogue, loaded once per process."""
    return _cached(str(path or settings.OFFERS_FILE))
