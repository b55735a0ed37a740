"""A terminal conversation with the assistant.

Talks to the running Rasa server over its REST channel when there is one; otherwise starts the
action server and loads the model in this process, so `python -m bot chat` always works.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

from bot import settings

ACTION_URL = "http://localhost:5055/health"


def _get(url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def post_message(url: str, sender: str, text: str, timeout: float = 30.0) -> list[dict]:
    body = json.dumps({"sender": sender, "message": text}).encode()
    request = urllib.request.Request(f"{url}/webhooks/rest/webhook", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read().decode() or "[]")


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
    print("Boussole ESS — tapez votre message (un numéro pour choisir un bouton, "
          "« /quitter » pour sortir).")
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
    if _get(url):
        print(f"Connecté au serveur Rasa {url}.")
        return _loop(lambda text: post_message(url, sender, text))
    return _chat_in_process(sender)


def _chat_in_process(sender: str) -> int:
    from bot.orientation.nlu import NLU

    action_server = None
    if not _get(ACTION_URL):
        print("Démarrage du serveur d'actions…", file=sys.stderr)
        action_server = subprocess.Popen(
            [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", "5055"],
            cwd=settings.ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env=dict(os.environ, SANIC_HOST="127.0.0.1"))
        for _ in range(120):
            if _get(ACTION_URL):
                break
            time.sleep(0.5)
    print("Chargement du modèle…", file=sys.stderr)
    nlu = NLU()
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
    from rasa.utils.endpoints import read_endpoint_config

    agent = nlu.agent
    agent.action_endpoint = read_endpoint_config(str(settings.ROOT / "endpoints.yml"),
                                                 "action_endpoint")
    agent.processor.action_endpoint = agent.action_endpoint

    def send(text: str) -> list[dict]:
        output = CollectingOutputChannel()
        message = UserMessage(text, output, sender)
        nlu._loop.run_until_complete(agent.handle_message(message))
        return output.messages

    try:
        return _loop(send)
    finally:
        if action_server:
            action_server.terminate()
