"""A stand-in for `python -m rasa …` and `python -m rasa_sdk …` for tests of bot.ops.servers:
answers any GET, echoes REST messages, and forks a child that ignores SIGTERM (as a stuck
worker would), writing both pids to $FAKE_PIDS so a test can check that none is left.

Usage (as LocalServers' launcher): python tests/fake_server.py MODULE … --port N …
"""

import json
import os
import signal
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self._answer(b"ok")

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self._answer(
            json.dumps([{"recipient_id": body["sender"], "text": body["message"]}]).encode()
        )

    def _answer(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def main() -> None:
    port = int(sys.argv[sys.argv.index("--port") + 1])
    child = os.fork()
    if child == 0:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        while True:
            time.sleep(1)
    with open(os.environ["FAKE_PIDS"], "a") as pids:
        pids.write(f"{os.getpid()} {child}\n")
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    main()
