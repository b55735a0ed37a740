"""The embedded default on two Rasa worker processes (what `python -m bot serve` starts on a
two-core machine): conversations keep their state whichever worker takes a turn, and both
workers take turns."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.ops.servers import LocalServers, Ports


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100


def _workers(rasa_pid: int) -> list[int]:
    children = Path(f"/proc/{rasa_pid}/task/{rasa_pid}/children").read_text().split()
    return [int(pid) for pid in children]


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory):
    servers = LocalServers.isolated(
        tmp_path_factory.mktemp("workers"), Ports.free(), rasa_workers=2
    )
    with servers:
        yield servers


def _conversation(servers: LocalServers, sender: str) -> list[str]:
    answers = []
    for text in (
        "bonjour",
        "Avec mes collègues on veut reprendre la menuiserie de notre patron "
        "qui part à la retraite, en coopérative",
        "oui",
    ):
        answers.append(" ".join(m.get("text", "") for m in servers.say(sender, text)))
    return answers


def test_conversations_keep_their_state_across_two_workers_and_both_work(two_workers):
    workers = _workers(two_workers.processes["rasa"].pid)
    assert len(workers) == 2
    before = [_cpu_seconds(pid) for pid in workers]
    with ThreadPoolExecutor(8) as pool:
        conversations = list(pool.map(lambda n: _conversation(two_workers, f"p{n}"), range(16)))
    for greeting, proposal, accepted in conversations:
        assert greeting.startswith("Bonjour")
        assert "Reprise d'entreprise en coopérative" in proposal
        # "oui" accepts the proposal made in the previous turn, whichever worker made it
        assert accepted.startswith("Très bien"), accepted
    used = [_cpu_seconds(pid) - start for pid, start in zip(workers, before, strict=True)]
    assert min(used) > 0.2, used  # both workers answered turns, not just one
