"""The Métropole's 53 communes: recognise a commune in free text and decide the territory.

People write "st etienne", "Saint-Etienne", "42000", "Le Chambon", "sainté", with or without
accents and hyphens. Territory is decided by commune, never by postal code alone: five postal
codes also cover communes outside the Métropole (see `data/territory.yml`).
"""

from __future__ import annotations

import csv
import difflib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from bot import settings
from bot.orientation.text import fold_accents


@dataclass(frozen=True)
class Commune:
    insee: str
    name: str
    postal_codes: tuple[str, ...]


@dataclass(frozen=True)
class CommuneMatch:
    """What a text says about the commune.

    - `commune` set: one commune of the Métropole was recognised (on territory);
    - `candidates` with several communes: the text (usually a postal code) fits several of them;
      `shared_postal_code` tells that communes outside the Métropole share that code too;
    - nothing recognised: `commune` None and no candidates — the place is not on the territory
      (or not a place at all).
    """

    text: str
    commune: Commune | None = None
    candidates: tuple[Commune, ...] = ()
    postal_code: str | None = None
    shared_postal_code: bool = False

    @property
    def on_territory(self) -> bool | None:
        """True if on the territory, False if not, None when a question must decide it."""
        if self.commune is not None and not self.shared_postal_code:
            return True
        if self.candidates or self.shared_postal_code:
            return None
        return False

    @property
    def ambiguous(self) -> bool:
        return self.on_territory is None


def normalise(text: str) -> str:
    """Lower case, no accents, no punctuation, "st"/"ste" spelt out: the form used to compare."""
    text = fold_accents(text.lower())
    text = re.sub(r"[^a-z0-9]+", " ", text)
    words = [{"st": "saint", "ste": "sainte"}.get(w, w) for w in text.split()]
    return " ".join(words)


_ARTICLES = ("le ", "la ", "l ", "les ")


@dataclass
class Territory:
    communes: dict[str, Commune]  # by INSEE code
    shared_postal_codes: frozenset[str]
    names: dict[str, str] = field(default_factory=dict)  # normalised name or alias → INSEE
    by_postal_code: dict[str, list[Commune]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for commune in self.communes.values():
            for code in commune.postal_codes:
                self.by_postal_code.setdefault(code, []).append(commune)
            full = normalise(commune.name)
            self.names.setdefault(full, commune.insee)
            for article in _ARTICLES:
                if full.startswith(article):
                    self.names.setdefault(full[len(article) :], commune.insee)

    def get(self, insee: str) -> Commune:
        return self.communes[insee]

    def match(self, text: str, strict: bool = False) -> CommuneMatch:
        """Recognise a commune in a short answer or a whole sentence.

        `strict` accepts only whole names, aliases and postal codes (for scanning a long
        message); otherwise a short answer may also be a name's start or a near miss.
        """
        norm = normalise(text or "")
        if not norm:
            return CommuneMatch(text=text)
        words = norm.split()
        # 1. Names and aliases, longest run of words first, anywhere in the text.
        for size in range(min(6, len(words)), 0, -1):
            for start in range(len(words) - size + 1):
                chunk = " ".join(words[start : start + size])
                if chunk in self.names:
                    insee = self.names[chunk]
                    if insee is None:
                        continue
                    return CommuneMatch(text=text, commune=self.communes[insee])
        # 2. A postal code.
        codes = re.findall(r"\b(\d{5})\b", norm)
        for code in codes:
            found = self.by_postal_code.get(code)
            if found:
                shared = code in self.shared_postal_codes
                if len(found) == 1 and not shared:
                    return CommuneMatch(text=text, commune=found[0], postal_code=code)
                return CommuneMatch(
                    text=text, candidates=tuple(found), postal_code=code, shared_postal_code=shared
                )
        # 3. A short answer that starts a commune's name ("saint genest", "andrezieux") or is
        #    close to one (typos: "firmini", "st chamon").
        if (
            not strict
            and len(words) <= 5
            and not codes
            and len(norm) >= 4
            and norm not in ("saint", "sainte", "saint e")
        ):
            prefixed = {
                insee for name, insee in self.names.items() if insee and name.startswith(norm + " ")
            }
            if len(prefixed) == 1:
                return CommuneMatch(text=text, commune=self.communes[prefixed.pop()])
            if len(prefixed) > 1:
                return CommuneMatch(
                    text=text,
                    candidates=tuple(
                        sorted((self.communes[i] for i in prefixed), key=lambda c: c.name)
                    ),
                )
            close = difflib.get_close_matches(
                norm, [n for n, i in self.names.items() if i], n=1, cutoff=0.85
            )
            if close:
                return CommuneMatch(text=text, commune=self.communes[self.names[close[0]]])
        return CommuneMatch(text=text)


def load_territory(path: Path | str | None = None) -> Territory:
    path = Path(path or settings.TERRITORY_FILE)
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    communes: dict[str, Commune] = {}
    csv_path = path.parent / config["communes_file"]
    with csv_path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            communes[row["insee"]] = Commune(
                insee=row["insee"],
                name=row["commune"],
                postal_codes=tuple(row["postal_codes"].split()),
            )
    territory = Territory(
        communes=communes, shared_postal_codes=frozenset(config.get("shared_postal_codes", ()))
    )
    for alias, insee in (config.get("aliases") or {}).items():
        if insee is not None and insee not in communes:
            raise ValueError(f"{path}: alias « {alias} » : code INSEE inconnu « {insee} »")
        territory.names[normalise(alias)] = insee
    return territory


@lru_cache(maxsize=1)
def get_territory() -> Territory:
    return load_territory()


def match_commune(text: str, strict: bool = False) -> CommuneMatch:
    return get_territory().match(text, strict)
