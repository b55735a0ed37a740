"""Serving things on loopback for tests: free ports and a Starlette app in a thread."""

import threading
import time
from contextlib import contextmanager

from bot.ops.servers import free_port  # noqa: F401  (the tests import it from here)


@contextmanager
def serve(app):
    """Run a Starlette app with uvicorn in a thread on a free loopback port; yield its URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
