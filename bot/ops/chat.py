"""A terminal conversation with the assistant.

Talks to the running Rasa server over its REST channel when there is one; otherwise starts the
action server and Rasa for the conversation (`bot.ops.servers`), so `python -m bot chat` always
works.
"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

from bot import settings
from bot.ops.servers import post_message, responds


def render(messages: list[dict]) -> tuple[str, list[dict]]:
    """Terminal text for the bot's messages, and the buttons the person can pick by number."""
    lines, buttons = [], []
    for message in messages:
        if message.get("text"):
            lines.append(message["text"])
        for button in message.get("buttons") or ():
            buttons.append(button)
            lines.append(f"  [{len(buttons)}] {button['title']}")
        offer = (message.get("custom") or {}).get("offer")
        if offer:
            lines.append(f"  (offre : {offer['id']})")
    return "\n".join(lines), buttons


def _loop(send) -> int:
    print(
        "Boussole ESS — tapez votre message (un numéro pour choisir un bouton, "
        "« /quitter » pour sortir)."
    )
    buttons: list[dict] = []
    text, buttons = render(send("bonjour"))
    print(f"\n🧭 {text}\n")
    while True:
        try:
            line = input("vous › ")
        except EOFError:
            print()
            return 0
        if line.strip() in ("/quitter", "/quit", "/exit"):
            return 0
        if line.strip().isdigit() and 1 <= int(line) <= len(buttons):
            line = buttons[int(line) - 1]["payload"]
        text, buttons = render(send(line))
        print(f"\n🧭 {text or '…'}\n")


def chat(url: str = settings.RASA_URL, sender: str | None = None) -> int:
    sender = sender or f"terminal-{uuid.uuid4().hex[:8]}"
    if responds(url, timeout=1.0):
        print(f"Connecté au serveur Rasa {url}.")
        return _loop(lambda text: post_message(url, sender, text, timeout=30))
    return _chat_with_local_servers(sender)


def _chat_with_local_servers(sender: str) -> int:
    """No Rasa server answers: the action server and Rasa for this conversation only, on free
    loopback ports, with the project's databases (var/ unless DATABASE_URL says otherwise)."""
    import shutil
    import tempfile

    from bot.ops.servers import LocalServers, Ports

    print("Démarrage du serveur d'actions et chargement du modèle…", file=sys.stderr)
    workdir = Path(tempfile.mkdtemp(prefix="boussole-chat-"))
    servers = LocalServers(workdir, Ports.free())
    try:
        servers.start()
        servers.wait_ready(timeout=300, warm_up=None)
        return _loop(lambda text: servers.say(sender, text))
    finally:
        servers.stop()
        shutil.rmtree(workdir, ignore_errors=True)
