"""Command line: `python -m bot <command>` (orient, evaluate, chat, train, check, web, cluster…)."""

from __future__ import annotations

import argparse
import json
import sys
import time

from bot import settings
from bot.orientation.catalogue import CatalogueError, get_catalogue


def _print_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")


def cmd_orient(args) -> int:
    from bot.orientation.orient import Orienter

    get_catalogue()  # fail fast, before the model loads, on a broken catalogue
    orienter = Orienter()
    if args.jsonl is None:
        _print_json(orienter.orient(" ".join(args.text)))
        return 0
    source = sys.stdin if args.jsonl == "-" else open(args.jsonl, encoding="utf-8")
    count, started = 0, time.perf_counter()
    with source:
        for number, line in enumerate(source, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                text = row["text"] if isinstance(row, dict) else None
            except json.JSONDecodeError:
                text = None
            if not isinstance(text, str):
                result = orienter.orient("")
                result["explanation"] = (
                    f"ligne {number} : objet JSON avec un champ « text » attendu"
                )
                _print_json(result)
            else:
                _print_json(orienter.orient(text))
            count += 1
    elapsed = time.perf_counter() - started
    if args.stats:
        print(
            f"{count} textes en {elapsed:.2f} s : {count / elapsed:.1f} textes/s", file=sys.stderr
        )
    return 0


def cmd_evaluate(args) -> int:
    from bot.orientation.evaluate import blind_set, evaluate, format_report
    from bot.orientation.orient import Orienter

    orienter = Orienter()
    if args.file:
        reports = {args.file: evaluate(args.file, orienter)}
    else:
        reports = {
            "Jeu de développement (tests/data/orient_dev.jsonl)": evaluate(
                settings.DEV_SET, orienter
            ),
            "Jeu aveugle (tests/data/blind/)": evaluate(orienter=orienter, rows=blind_set()),
        }
    if args.json:
        _print_json(reports)
    else:
        print(
            "\n\n".join(
                format_report(r, show_errors=args.errors, title=t) for t, r in reports.items()
            )
        )
    return 0


def cmd_train(args) -> int:
    from bot.ops.train import train

    return train(force=args.force)


def cmd_check(args) -> int:
    catalogue = get_catalogue(args.file)
    from bot.orientation.questions import load_questions
    from bot.orientation.territory import get_territory

    load_questions()
    print(
        f"Catalogue valide : {len(catalogue.offers)} offres, "
        f"{len(catalogue.organisations)} organisations ; "
        f"territoire : {len(get_territory().communes)} communes."
    )
    return 0


def cmd_lookups(args) -> int:
    from bot.orientation import lookups

    if args.write:
        lookups.write()
        print(f"écrit : {lookups.LOOKUPS_FILE}")
    else:
        sys.stdout.write(lookups.render())
    return 0


def _repository():
    """The leads database of the environment's settings, migrated."""
    from bot.leads.service import get_repository

    return get_repository()


def cmd_leads(args) -> int:
    from bot.leads import export
    from bot.leads.service import get_outbox

    repository = _repository()
    if args.action == "flush":
        outbox = get_outbox()
        written = outbox.drain(repository)
        print(
            f"{written} demande(s) en attente enregistrée(s) ; "
            f"{len(outbox.pending())} toujours en attente."
        )
        return 0
    leads = repository.list(text=args.search)
    if args.action == "list":
        print(export.to_table(leads) if leads else "Aucune demande pour l'instant.")
    elif args.format == "csv":
        sys.stdout.buffer.write(export.to_csv(leads).encode("utf-8"))
    else:
        sys.stdout.write(export.to_jsonl(leads))
    return 0


def parse_duration(text: str):
    import re
    from datetime import timedelta

    match = re.fullmatch(r"(\d+)\s*([dwy]|j)", text.strip().lower())
    if not match:
        raise argparse.ArgumentTypeError("durée attendue comme 365d, 52w ou 1y")
    n, unit = int(match.group(1)), match.group(2)
    return timedelta(days=n * {"d": 1, "j": 1, "w": 7, "y": 365}[unit])


def cmd_purge(args) -> int:
    from bot.leads.service import get_settings
    from bot.workspace.privacy import purge_tracker_events

    removed = _repository().purge(args.older_than)
    events = purge_tracker_events(args.older_than.total_seconds(), url=get_settings().trackers_url)
    print(
        f"{removed} demande(s) et {events} événement(s) de conversation supprimés "
        f"(plus anciens que {args.older_than.days} jours)."
    )
    return 0


def parse_moment(text: str):
    """--now: an ISO date-time, Paris time unless it gives its offset; a date alone is 10:00
    that day (within the loop's sending hours)."""
    from datetime import datetime

    from bot.followup.calendar import PARIS

    text = text.strip()
    try:
        moment = datetime.fromisoformat(text + ("T10:00" if len(text) == 10 else ""))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"« {text} » n'est pas une date ISO (2026-04-07 ou 2026-04-07T10:00)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=PARIS)


def cmd_follow_up(args) -> int:
    from datetime import datetime, timezone

    from bot.followup.run import run
    from bot.leads.service import get_settings

    repository = _repository()
    if args.action == "withdraw":
        if not args.reference:
            print("Erreur : donnez la référence de la demande (ESS-…).", file=sys.stderr)
            return 2
        try:
            repository.withdraw_contact(args.reference, args.now or datetime.now(timezone.utc))
        except KeyError:
            print(f"Erreur : aucune demande {args.reference}.", file=sys.stderr)
            return 2
        print(f"{args.reference} : plus aucun message de suivi ne sera envoyé.")
        return 0
    report = run(repository, get_settings(), args.now, args.dry_run)
    for line in report.lines:
        print(line + ("\n" if args.dry_run else ""))
    print(report.summary(args.dry_run))
    return 1 if report.failed else 0


def _read_password(confirm: bool = True) -> str:
    if sys.stdin.isatty():
        import getpass

        password = getpass.getpass("Mot de passe (10 caractères au moins) : ")
        if confirm and getpass.getpass("Encore une fois : ") != password:
            raise SystemExit("Les deux mots de passe diffèrent.")
        return password
    return sys.stdin.readline().rstrip("\n")


def cmd_advisors(args) -> int:
    from bot.workspace.advisors import AccountError, Advisors

    advisors = Advisors(_repository())
    try:
        if args.action == "add":
            ask = (lambda label: input(label)) if sys.stdin.isatty() else (lambda label: "")
            email = args.email or ask("Adresse e-mail : ")
            name = args.name or ask("Nom : ")
            org = args.org or ask("Organisation (sem-ess, unis-cite, pepite-beelys) : ")
            account = advisors.add(email, name, org, args.role, _read_password())
            print(f"Compte créé : {account.email} ({account.role}, {account.organisation_id}).")
        elif args.action == "list":
            for a in advisors.list():
                state = "actif" if a.active else "désactivé"
                print(f"{a.email:<40} {a.name:<25} {a.role:<11} {a.organisation_id:<15} {state}")
        elif args.action == "disable":
            advisors.disable(args.email)
            print(f"Compte désactivé : {args.email}")
        else:
            advisors.reset_password(args.email, _read_password())
            print(f"Mot de passe changé : {args.email}")
    except AccountError as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_web(args) -> int:
    import uvicorn

    from bot.settings import Settings
    from bot.workspace.advisors import Advisors
    from bot.workspace.web.app import create_app

    config = Settings.from_env()
    json_logs = False
    from bot.ops.logs import configure, json_logs_wanted

    if json_logs_wanted():
        configure("web")
        json_logs = True
    if not any(a.role == "admin" for a in Advisors(_repository()).list()):
        print(
            "Aucun compte administrateur : créez-en un avec\n"
            "  .venv/bin/python -m bot advisors add --email E --name N --org sem-ess "
            "--role admin",
            file=sys.stderr,
        )
    # JSON logs (production): no access log from uvicorn — its lines carry query strings, where
    # a search for a name would end up; nginx logs paths without them.
    # X-Forwarded-For is read from the proxies of BOUSSOLE_TRUSTED_PROXIES only (none by
    # default), by uvicorn and by the app alike.
    uvicorn.run(
        create_app(config),
        host=args.host,
        port=args.port,
        log_level="warning",
        proxy_headers=bool(config.trusted_proxies),
        forwarded_allow_ips=config.trusted_proxies or None,
        timeout_graceful_shutdown=20,
        **({"log_config": None, "access_log": False} if json_logs else {}),
    )
    return 0


def cmd_cluster(args) -> int:
    from bot.ops import cluster

    return cluster.main(args.action, args.dir, args.port_offset, args.json)


def cmd_deploy(args) -> int:
    from pathlib import Path

    from bot.ops import deploy
    from bot.settings import Settings

    try:
        endpoints, credentials = deploy.write(Path(args.out), Settings.from_env())
    except (deploy.DeployError, ValueError) as exc:  # ValueError: a malformed number, named
        print(f"Erreur de configuration : {exc}", file=sys.stderr)
        return 2
    print(f"écrit : {endpoints} et {credentials}")
    return 0


def cmd_serve(args) -> int:
    from bot.ops.servers import serve

    return serve(args.rasa_port, args.actions_port, args.web_port, args.host)


def cmd_chat(args) -> int:
    from bot.ops.chat import chat

    return chat(args.url, args.sender)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="Boussole ESS — assistant d'orientation ESS"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("orient", help="orienter un texte (JSON sur la sortie)")
    p.add_argument("text", nargs="*", help="le texte à orienter")
    p.add_argument(
        "--jsonl", metavar="FICHIER", help='lire des lignes {"text": …} (« - » : entrée standard)'
    )
    p.add_argument("--stats", action="store_true", help="débit sur la sortie d'erreur")
    p.set_defaults(func=cmd_orient)

    p = sub.add_parser(
        "evaluate", help="qualité d'orientation : jeu de développement et jeu aveugle"
    )
    p.add_argument("--file", help="un seul jeu (JSONL) au lieu des deux")
    p.add_argument("--json", action="store_true")
    p.add_argument("--errors", action="store_true", help="lister les messages mal orientés")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("train", help="entraîner le modèle si les données ont changé")
    p.add_argument("--force", action="store_true")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("check", help="valider le catalogue, les questions et le territoire")
    p.add_argument("--file", default=None, help="fichier d'offres (défaut : data/offers.yml)")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("lookups", help="régénérer data/nlu/lookups.yml (communes, formes…)")
    p.add_argument("--write", action="store_true")
    p.set_defaults(func=cmd_lookups)

    p = sub.add_parser("leads", help="demandes de rappel : lister, exporter, vider la file")
    p.add_argument("action", choices=["list", "export", "flush"])
    p.add_argument("--format", choices=["csv", "jsonl"], default="csv")
    p.add_argument("--search", default=None, help="texte à chercher (nom, commune, référence…)")
    p.set_defaults(func=cmd_leads)

    p = sub.add_parser("purge", help="supprimer les demandes et conversations anciennes")
    p.add_argument(
        "--older-than", type=parse_duration, required=True, metavar="DURÉE", help="par exemple 365d"
    )
    p.set_defaults(func=cmd_purge)

    p = sub.add_parser(
        "follow-up",
        help="suivi après la conversation : messages aux personnes, "
        "rappels aux conseiller·ères (toutes les 15 minutes)",
    )
    p.add_argument(
        "action",
        choices=["run", "withdraw"],
        help="run : envoyer ce qui est dû ; withdraw : ne plus contacter une personne",
    )
    p.add_argument("reference", nargs="?", help="withdraw : la référence de la demande")
    p.add_argument(
        "--now",
        type=parse_moment,
        default=None,
        metavar="DATE-ISO",
        help="l'heure à prendre pour maintenant, heure de Paris sauf décalage "
        "donné ; une date seule : 10 h ce jour-là (essais, rattrapage)",
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="afficher ce qui serait envoyé, sans rien envoyer ni enregistrer",
    )
    p.set_defaults(func=cmd_follow_up)

    p = sub.add_parser("advisors", help="comptes des conseiller·ères")
    p.add_argument("action", choices=["add", "list", "disable", "reset-password"])
    p.add_argument("--email")
    p.add_argument("--name")
    p.add_argument("--org")
    p.add_argument("--role", choices=["admin", "conseiller"], default="conseiller")
    p.set_defaults(func=cmd_advisors)

    p = sub.add_parser("web", help="l'espace conseil (application web)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--host", default="127.0.0.1")
    p.set_defaults(func=cmd_web)

    p = sub.add_parser(
        "cluster",
        help="le déploiement de production sur cette machine "
        "(PostgreSQL, Redis, nginx, 2 répliques Rasa…)",
    )
    p.add_argument("action", choices=["up", "down", "status"])
    p.add_argument("--dir", default=None, help="dossier d'état (défaut : var/cluster)")
    p.add_argument(
        "--port-offset",
        type=int,
        default=None,
        help="décaler tous les ports (deux clusters sur une machine)",
    )
    p.add_argument("--json", action="store_true", help="status en JSON")
    p.set_defaults(func=cmd_cluster)

    p = sub.add_parser(
        "deploy",
        help="écrire endpoints.yml et credentials.yml de production depuis l'environnement",
    )
    p.add_argument("--out", required=True, help="dossier où les écrire (ex. /run/boussole)")
    p.set_defaults(func=cmd_deploy)

    p = sub.add_parser("chat", help="discuter avec l'assistant dans le terminal")
    p.add_argument("--url", default=settings.RASA_URL)
    p.add_argument("--sender", default=None)
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser(
        "serve",
        help="l'assistant en local : serveur d'actions, Rasa et espace "
        "conseil (ce que lance scripts/run.sh)",
    )
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="adresse d'écoute de Rasa et de l'espace conseil (le serveur d'actions "
        "reste sur 127.0.0.1)",
    )
    p.add_argument("--rasa-port", type=int, default=5005)
    p.add_argument("--actions-port", type=int, default=5055)
    p.add_argument("--web-port", type=int, default=8000)
    p.set_defaults(func=cmd_serve)

    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except CatalogueError as exc:
        print(f"Erreur dans le catalogue : {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
