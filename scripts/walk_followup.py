"""The follow-up loop walked through on the real servers, with screenshots.

A person asks to be called back in the chat (REST channel, the trained model); an advisor takes
the lead in charge in the workspace (Chromium); `bot follow-up run` tells the person; the lead
is closed; a run dated 11 days later sends the survey link; the person answers on a phone; the
advisor corrects the orientation; the figures and /statistiques change; the person stops the
messages from the link at the foot of one. Mails go to a local SMTP server (aiosmtpd) and are
printed; screenshots are written to the folder given (default: a new temporary folder).

    .venv/bin/python scripts/walk_followup.py [--shots FOLDER]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy
from pathlib import Path

from aiosmtpd.controller import Controller
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.ops.servers import LocalServers, Ports, free_port  # noqa: E402

PASSWORD = "correct horse battery"
CONVERSATION = [
    "bonjour",
    "on voudrait reprendre la boîte de notre patron en SCOP",
    "/request_callback",
    "Léa Martin, lea.martin@example.org, Firminy",
    "Menuiserie Dupont",
    "Reprendre la menuiserie avec six collègues quand le patron part à la retraite",
    "oui",
    "/confirm",
]


class Mailbox:
    def __init__(self):
        self.mails = []
        self.shown = 0

    async def handle_DATA(self, server, session, envelope):
        self.mails.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    @staticmethod
    def body(mail) -> str:
        return mail.get_body(preferencelist=("plain",)).get_content()

    def show_new(self) -> list:
        new = self.mails[self.shown :]
        for mail in new:
            text = self.body(mail).strip().replace("\n", "\n      ")
            print(f"   ✉ à {mail['To']} — « {mail['Subject']} »\n      {text[:900]}")
        self.shown = len(self.mails)
        return new


def one_line(text: str, limit: int) -> str:
    return " ".join(text.split())[:limit]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shots", type=Path, default=None)
    args = parser.parse_args()
    shots = args.shots or Path(tempfile.mkdtemp(prefix="walk-shots-"))
    shots.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="walk-"))
    mailbox = Mailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    ports = Ports.free(web=True)
    web = f"http://127.0.0.1:{ports.web}"
    env = {
        "BOUSSOLE_SMTP_HOST": "127.0.0.1",
        "BOUSSOLE_SMTP_PORT": str(smtp.port),
        "BOUSSOLE_SMTP_STARTTLS": "0",
        "BOUSSOLE_SECRET_KEY": "walk-secret-key-walk-secret-key",
        "BOUSSOLE_PUBLIC_URL": web,
        "BOUSSOLE_WORKSPACE_URL": web + "/conseil",
        "BOUSSOLE_COOKIE_SECURE": "0",
    }
    servers = LocalServers.isolated(work, ports, env=env)
    cli_env = dict(
        os.environ,
        **env,
        DATABASE_URL=f"sqlite:///{work / 'leads.db'}",
        TRACKER_STORE_URL=f"sqlite:///{work / 'tracker.db'}",
        BOUSSOLE_OUTBOX=str(work / "outbox"),
    )

    def cli(*command: str, stdin: str = "") -> str:
        done = subprocess.run(
            [sys.executable, "-m", "bot", *command],
            env=cli_env,
            cwd=ROOT,
            input=stdin,
            capture_output=True,
            text=True,
        )
        return (done.stdout + done.stderr).strip().replace("\n", " | ")

    servers.start()
    try:
        print(f"serveurs prêts en {servers.wait_ready(timeout=300):.0f} s")
        print("1. LA CONVERSATION")
        for text in CONVERSATION:
            answer = " / ".join(m.get("text", "") for m in servers.say("walk-lea", text))
            print(f"   personne : {text}\n   Boussole : {answer[:300]}")
        reference = re.search(r"ESS-\d{4}-\d{4}", answer).group()
        print(
            cli(
                *("advisors", "add", "--email", "claire@sem.example", "--name", "Claire Fabre"),
                *("--org", "sem-ess", "--role", "admin"),
                stdin=f"{PASSWORD}\n{PASSWORD}\n",
            )
        )
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--no-sandbox"]
            )
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.goto(web + "/conseil/connexion")
            page.get_by_label("Adresse e-mail").fill("claire@sem.example")
            page.get_by_label("Mot de passe").fill(PASSWORD)
            page.get_by_role("button", name="Se connecter").click()
            page.screenshot(path=str(shots / "1-inbox.png"), full_page=True)
            lead = f"{web}/conseil/demandes/{reference}"

            def change_status(value: str, comment: str) -> None:
                page.goto(lead)
                page.select_option("#status", value)
                page.fill("#comment", comment)
                page.get_by_role("button", name="Changer le statut").click()

            print(f"2. PRISE EN CHARGE de {reference}")
            change_status("pris_en_charge", "Appel prévu jeudi")
            page.screenshot(path=str(shots / "2-lead-taken.png"), full_page=True)
            # The runs are dated: the loop writes to nobody outside 8 h – 20 h (Paris time), and
            # a date alone means 10 h that day.
            tomorrow = (datetime.now(timezone.utc) + timedelta(days=1)).strftime("%Y-%m-%d")
            taken = cli("follow-up", "run", "--now", tomorrow)
            print(f"   follow-up run --now {tomorrow} :", taken)
            mailbox.show_new()
            print("   second run, same moment  :", cli("follow-up", "run", "--now", tomorrow))
            mailbox.show_new()
            print("3. CLÔTURE : aide proposée")
            change_status("aide_proposee", "Accompagnement SCOP proposé avec l'URSCOP")
            later = (datetime.now(timezone.utc) + timedelta(days=11)).strftime("%Y-%m-%d")
            print(f"   follow-up run --now {later} :", cli("follow-up", "run", "--now", later))
            survey_mail = mailbox.show_new()[-1]
            body = Mailbox.body(survey_mail)
            link = re.search(r"https?://\S+/satisfaction/\S+", body).group()
            stop_link = re.search(r"https?://\S+/ne-plus-me-contacter/\S+", body).group()
            print("4. LE QUESTIONNAIRE :", link[:80], "…")
            phone = browser.new_page(viewport={"width": 390, "height": 844})
            phone.goto(link)
            phone.screenshot(path=str(shots / "3-survey.png"), full_page=True)
            phone.check("#contacted-oui")
            phone.check("#helpful-oui")
            phone.fill("#comment", "Très bon contact, merci !")
            phone.get_by_role("button", name=re.compile("Envoyer")).click()
            phone.screenshot(path=str(shots / "4-survey-thanks.png"), full_page=True)
            print("   réponse :", one_line(phone.locator("main").inner_text(), 300))
            phone.goto(link)
            print(
                "   le même lien une 2e fois :", one_line(phone.locator("main").inner_text(), 160)
            )
            print("5. LA CORRECTION DE L'ORIENTATION")
            page.goto(lead)
            page.check("#verdict-corrigee")
            page.select_option("#right_offer", "forme-juridique")
            page.fill(
                "#reason",
                "Ils ont déjà repris : c'est le passage en SCOP de la société qu'il leur faut",
            )
            page.get_by_role("button", name="Enregistrer l'avis sur l'orientation").click()
            page.screenshot(path=str(shots / "5-lead-reviewed.png"), full_page=True)
            print("   page de la demande :", one_line(page.locator("main").inner_text(), 1200))
            print("6. LES CHIFFRES")
            page.goto(web + "/conseil/chiffres")
            page.screenshot(path=str(shots / "6-figures.png"), full_page=True)
            print("   ", one_line(page.locator("main").inner_text(), 2500))
            page.goto(web + "/statistiques")
            page.screenshot(path=str(shots / "7-statistiques.png"), full_page=True)
            print("   /statistiques :", one_line(page.locator("main").inner_text(), 1200))
            print("7. NE PLUS RECEVOIR CES MESSAGES :", stop_link[:80], "…")
            phone.goto(stop_link)
            phone.screenshot(path=str(shots / "8-stop.png"), full_page=True)
            phone.get_by_role("button", name="Je ne veux plus recevoir ces messages").click()
            phone.screenshot(path=str(shots / "9-stopped.png"), full_page=True)
            print("   page :", one_line(phone.locator("main").inner_text(), 300))
            page.goto(lead)
            print("   fiche :", one_line(page.locator("#suivi-personne").inner_text(), 200))
            browser.close()
        print(f"captures d'écran : {shots}")
    finally:
        servers.stop()
        smtp.stop()


if __name__ == "__main__":
    main()
