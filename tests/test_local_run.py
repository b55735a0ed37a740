"""`scripts/run.sh` as a person runs it: everything on loopback only, no CORS wildcard on Rasa,
and the demo page's widget answered through the same-origin proxy."""

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from loopback import free_port

pytestmark = pytest.mark.server
ROOT = Path(__file__).resolve().parent.parent


def listening_addresses(port: int) -> set[str]:
    """Addresses listening on `port`, read from the kernel (/proc/net/tcp and tcp6)."""
    found = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state != "0A" or int(hex_port, 16) != port:  # 0A: LISTEN
                continue
            if width == 8:
                found.add(".".join(str(int(address[i : i + 2], 16)) for i in (6, 4, 2, 0)))
            else:
                found.add(
                    "::"
                    if set(address) == {"0"}
                    else "::1"
                    if address == "0" * 24 + "01000000"
                    else address
                )
    return found


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    ports = {"RASA_PORT": free_port(), "ACTIONS_PORT": free_port(), "WEB_PORT": free_port()}
    # The action server's port is fixed in endpoints.yml: run on a copy of it.
    tmp = tmp_path_factory.mktemp("run")
    env = {k: v for k, v in os.environ.items() if k != "BOUSSOLE_HOST"}
    env.update(
        {k: str(v) for k, v in ports.items()},
        DATABASE_URL=f"sqlite:///{tmp / 'l.db'}",
        TRACKER_STORE_URL=f"sqlite:///{tmp / 't.db'}",
    )
    log = (tmp / "run.log").open("w")
    proc = subprocess.Popen(
        ["bash", "scripts/run.sh"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 300
        while "Ouvrez" not in (tmp / "run.log").read_text():
            assert proc.poll() is None, (tmp / "run.log").read_text()[-3000:]
            assert time.monotonic() < deadline, (tmp / "run.log").read_text()[-3000:]
            time.sleep(1)
        yield ports
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def test_every_server_listens_on_loopback_only(local_run):
    for name, port in local_run.items():
        addresses = listening_addresses(port)
        assert addresses and addresses <= {"127.0.0.1", "::1"}, (name, addresses)


def test_rasa_allows_no_other_origin(local_run):
    url = f"http://127.0.0.1:{local_run['RASA_PORT']}/webhooks/rest/webhook"
    answer = httpx.post(
        url,
        json={"sender": "cors", "message": "bonjour"},
        headers={"Origin": "https://evil.example"},
        timeout=60,
    )
    assert "access-control-allow-origin" not in {k.lower() for k in answer.headers}


def test_the_demo_widget_is_answered_through_the_same_origin_proxy(local_run):
    web = f"http://127.0.0.1:{local_run['WEB_PORT']}"
    assert 'src="/widget.js"' in httpx.get(f"{web}/", timeout=10).text
    answer = httpx.post(
        f"{web}/chat", json={"sender": "widget-local", "message": "bonjour"}, timeout=60
    )
    assert answer.status_code == 200 and "Boussole ESS" in answer.json()[0]["text"]
