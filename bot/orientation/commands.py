"""Commands (erase my data, start over, a human, "not this") are read only from messages that
are nothing but a command.

A statistical intent classifier happily reads "nous voulons effacer nos dettes et relancer la
coopérative" or "je voudrais recommencer à zéro la comptabilité" as a command. A command changes
the course of a conversation — and erasing or restarting destroys something — so it is accepted
only when the message is short, the reading is sure, and every word of it belongs to the way
people say that command. Anything else is read as what it most likely is besides a command
(usually a project). Destructive commands are then confirmed explicitly (`is_explicit_yes`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from typing import Any

from bot.orientation.territory import normalise

DESTRUCTIVE = frozenset({"delete_my_data", "restart"})
COMMAND_INTENTS = DESTRUCTIVE | {"ask_human", "not_this"}
MAX_COMMAND_WORDS = 14
MIN_CONFIDENCE = {"delete_my_data": 0.5, "restart": 0.5, "ask_human": 0.5, "not_this": 0.5}

# Words that may surround any command ("je voudrais…, s'il vous plaît").
_FRAME = set(
    """
je j tu il on nous vous me m moi te t se s le la les l un une des de du d a au aux à et ou
mon ma mes ton ta tes votre vos notre nos ce c cet cette ces ca ça cela que qu qui quoi est
sont suis es etre être veux veut voudrais voudrait voulons voulez souhaite souhaiterais souhaitons
aimerais aimerait peux peut pouvez pouvons pourrais pourriez pourrait faut faudrait possible
svp stp plait plaît merci bien sur sûr oui non ok alors bon bah ben euh hein please en y pas ne
n plus tout toute tous toutes rien fait faire vouloir bonjour salut hello coucou jveux jveu
jvoudrais jpeux jpeu jpe est-ce esque svp svp. deja déjà maintenant encore stp. si
""".split()
)

# The words of each command: at least one trigger, everything else from its vocabulary.
_TRIGGERS = {
    "delete_my_data": """supprimer supprime supprimez supprimes suppression supression supprimé
        supprimée supprimees supprimées effacer efface effacez effaces effaciez effacement
        effacé effacée effacées oublier oubliez oublie oubli retirer retire retirez retrait
        rgpd gdpr delete erase gardiez gardez garder conserviez conservez conserver""",
    "restart": """recommencer recommence recommencons recommençons recomencer recommencez
        reprendre reprend reprenons reprenez repartir repart repartons redemarrer redémarrer
        redemarre redémarre reinitialiser réinitialiser reinitialise réinitialise reset restart
        refaire refait refais rejouer zero zéro menu depart départ retour revenir remettre
        nouvelle start over debut début""",
    "ask_human": """conseiller conseillere conseillère conseillé conseillers conseilleres
        humain humaine humains personne quelqu quelqu'un qqn qqun agent operateur opérateur
        rappeler rappelez rappelle rappelé rappelée appeler appelle appel telephone téléphone
        rdv rendez-vous rendez chargé chargée mission vrai vraie reel réel reelle réelle
        physique transferer transférer contact contacter relation entretenir échanger
        echanger discuter parler rappelée rappelé rendez-vous""",
    "not_this": """pas ca ça sa autre autres trompé trompe trompée trompés mauvais mauvaise
        mal rien voir côté cote colle correspond corespond convient concerne adapté adapte
        compris proposition offre programme réponse reponse orientation plaque demandé
        demande cherche recherche situation cas""",
}
_VOCABULARY = {
    "delete_my_data": """données donnees donées donnee donnée infos info informations
        information personnelles personnel perso conversation historique coordonnées
        coordonnees numéro numero téléphone telephone tel email e-mail mail adresse nom fiche
        dossier demande base consentement droit droits l'oubli oubli concernant sur dit écrit
        ecrit sais savez gardiez gardez garder conformément conformement demande demander
        exercer data my all everything tout ce que j'ai comment soient soit votre gardiez
        garder gardez conserver conservez conserviez changé change changer d'avis avis
        plus""",
    "restart": """conversation discussion debut début commencement depart départ zero zéro
        nouvelle nouveau tout retour revenir questionnaire over start du depuis trompé trompe
        trompée on""",
    "ask_human": """un une à a au avec humain talk to human au téléphone svp ess métropole
        metropole service pas machine robot marre du avoir passez passer mettez mettre
        préfère prefere préférerais être etre par prendre ya y quelqu'un est-ce est ce que
        en relation contact faire ai j'en marre réelle reelle""",
    "not_this": """ce c'est n'est c cest ma mon ça du tout me pour moi ya y a il que j'ai
        jai bon bonne bons du tout dans mon cas non plus proposez propose proposer vous
        vraiment complètement completement chose choses projet m'as t'as as êtes etes d'offre
        avec moi""",
}
_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")


def _words(text: str) -> list[str]:
    return _WORD.findall(normalise(text or "").replace("’", "'"))


def _folded(words: Iterable[str]) -> frozenset[str]:
    return frozenset(w for chunk in words for w in _words(chunk))


_FRAME_WORDS = _folded(_FRAME)
_TRIGGER_WORDS = {k: _folded(v.split()) for k, v in _TRIGGERS.items()}
_COMMAND_WORDS = {
    k: _TRIGGER_WORDS[k] | _folded(_VOCABULARY[k].split()) | _FRAME_WORDS for k in _TRIGGERS
}


def _known(word: str, vocabulary: frozenset[str]) -> bool:
    """In the vocabulary, or one typo away from a word of it ("supression", "recomencer")."""
    if word in vocabulary:
        return True
    for part in word.split("'"):
        if (
            part
            and part not in vocabulary
            and not (
                len(part) >= 5 and difflib.get_close_matches(part, vocabulary, n=1, cutoff=0.84)
            )
        ):
            return False
    return True


def is_command_message(intent: str, text: str, confidence: float) -> bool:
    """True when `text` is nothing but the command `intent`, read with enough confidence."""
    if intent not in COMMAND_INTENTS:
        return True
    if text.strip().startswith("/"):  # a button's payload: explicit by construction
        return True
    words = _words(text)
    if not words or len(words) > MAX_COMMAND_WORDS or confidence < MIN_CONFIDENCE[intent]:
        return False
    if not any(_known(w, _TRIGGER_WORDS[intent]) for w in words):
        return False
    return all(_known(w, _COMMAND_WORDS[intent]) for w in words)


def without_unsure_commands(parse: Mapping[str, Any]) -> dict[str, Any] | None:
    """The parse with a command that is not really one replaced by the next best reading.

    Returns None when the parse is kept as it is.
    """
    intent = (parse.get("intent") or {}).get("name")
    confidence = float((parse.get("intent") or {}).get("confidence") or 0.0)
    if intent is None or is_command_message(intent, parse.get("text") or "", confidence):
        return None
    ranking = [
        r
        for r in parse.get("intent_ranking") or []
        if r.get("name") not in COMMAND_INTENTS
        or is_command_message(
            r.get("name"), parse.get("text") or "", float(r.get("confidence") or 0.0)
        )
    ]
    best = ranking[0] if ranking else {"name": "out_of_scope", "confidence": 0.0}
    return {
        **parse,
        "intent": {"name": best.get("name"), "confidence": best.get("confidence")},
        "intent_ranking": ranking,
    }


_YES = re.compile(
    r"^(?:(?:oui|ouais|yes|ok|okay|d accord|je confirme|confirmer|confirme|vas y|allez y"
    r"|absolument|tout a fait|bien sur|c est ca|exactement|effectivement)"
    r"(?: (?:oui|ok|je confirme|vas y|allez y|merci|svp|stp|s il vous plait|s il te plait"
    r"|tout|efface|effacer|effacez|efface tout|effacer tout|effacez tout|tout effacer"
    r"|supprime|supprimer|supprimez|tout supprimer|supprimez tout|supprime tout"
    r"|recommence|recommencer|recommencez|on recommence|c est sur|je suis sur|je suis sure"
    r"|mes donnees|mes donnees et la conversation|la conversation|de zero|a zero))*"
    r"|tout effacer|effacer|effacez|efface tout|effacez tout|supprimer|supprimez"
    r"|recommencer|on recommence|recommence)$"
)


def is_explicit_yes(text: str) -> bool:
    """An unambiguous yes to "shall I erase / start over?": a button or a short plain yes.

    "Oui mais…", a description of a project, or anything unclear is not a yes.
    """
    raw = (text or "").strip()
    if raw == "/affirm":
        return True
    norm = " ".join(_words(raw.replace("'", " ").replace("-", " ")))
    norm = norm.replace("'", " ")
    return bool(_YES.match(norm))
