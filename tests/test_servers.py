"""The local-servers harness (bot.ops.servers) itself, on stand-in servers: it waits until they
answer, talks over REST, and stop() leaves no process of its own behind and every port free."""

import sys
import time
from pathlib import Path

import pytest

from bot.ops.servers import LocalServers, Ports, ServerError, port_in_use

FAKE = Path(__file__).resolve().parent / "fake_server.py"


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_stop_ends_every_process_it_started_and_frees_the_ports(tmp_path):
    ports = Ports.free()
    pids_file = tmp_path / "pids"
    servers = LocalServers.isolated(
        tmp_path, ports, launcher=[sys.executable, str(FAKE)], env={"FAKE_PIDS": str(pids_file)}
    )
    with servers:
        assert servers.say("moi", "bonjour") == [{"recipient_id": "moi", "text": "bonjour"}]
        pids = [int(p) for p in pids_file.read_text().split()]
        assert len(pids) == 4 and all(alive(p) for p in pids)  # two servers, two children
        assert port_in_use(ports.rasa) and port_in_use(ports.actions)
    deadline = time.monotonic() + 5  # a killed orphan is reaped by init, not by us
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in pids if alive(p)]  # even the child that ignores SIGTERM
    assert not port_in_use(ports.rasa) and not port_in_use(ports.actions)
    assert servers.processes == {}
    servers.stop()  # twice is harmless


def test_a_server_that_stops_is_reported_with_its_log(tmp_path):
    servers = LocalServers.isolated(
        tmp_path, Ports.free(), launcher=[sys.executable, "-c", "print('boom'); exit(3)"]
    )
    with pytest.raises(ServerError, match=r"(?s)actions stopped \(exit 3\).*boom"):
        with servers:
            pass
    assert servers.processes == {}


def test_exchange_gives_refusals_with_their_status_instead_of_raising():
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from bot.ops.servers import exchange

    answers = {
        "calm": (200, b'[{"text": "bonjour"}]'),
        "flood": (429, json.dumps([{"text": "trop"}]).encode()),
        "down": (502, b"<html>Bad Gateway</html>"),
    }

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            status, text = answers[body["sender"]]
            self.send_response(status)
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        assert exchange(url, "calm", "salut") == (200, [{"text": "bonjour"}])
        assert exchange(url, "flood", "salut") == (429, [{"text": "trop"}])
        assert exchange(url, "down", "salut") == (502, [{"text": "<html>Bad Gateway</html>"}])
    finally:
        server.shutdown()
        server.server_close()
