"""The production shape on this machine, started once for these tests and stopped after them:
PostgreSQL, Redis, nginx, two Rasa replicas, the action server (two workers) and the web app
(`bot.ops.cluster.Cluster`, given its settings here). Talking to it: `tests/cluster/client.py`.

Ports are shifted by 1000 from `python -m bot cluster up`'s (BOUSSOLE_TEST_CLUSTER_OFFSET), and
the state lives in a temporary directory, so a cluster someone started by hand is left alone.
The tests skip, saying why, only when PostgreSQL, Redis or nginx can neither be found nor
installed.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
from pathlib import Path

import pytest

from bot.ops.cluster import Cluster, ClusterError, ensure_packages
from bot.ops.servers import port_in_use
from bot.settings import Settings
from tests.cluster.client import Client

PORT_OFFSET = int(os.environ.get("BOUSSOLE_TEST_CLUSTER_OFFSET", "1000"))
ACTION_TIMEOUT = 3.0  # seconds before a slow action gets the polite answer
RATE_LIMIT = "15/30"  # messages per conversation per window of seconds
NAMES = ["postgres", "redis", "actions", "web", "rasa-1", "rasa-2", "nginx"]


@pytest.fixture(scope="package")
def cluster():
    try:
        ensure_packages()
    except ClusterError as exc:
        pytest.skip(f"PostgreSQL, Redis ou nginx indisponible et non installable : {exc}")
    # Not under pytest's own tmp dir (mode 700): PostgreSQL runs as user postgres.
    state = Path(tempfile.mkdtemp(prefix="boussole-cluster-"))
    state.chmod(0o755)
    cluster = Cluster(
        Settings(
            cluster_dir=state,
            cluster_port_offset=PORT_OFFSET,
            action_timeout=ACTION_TIMEOUT,
            rate_limit=RATE_LIMIT,
        )
    )
    taken = {name: port for name, port in cluster.ports.items() if port_in_use(port)}
    if taken:
        shutil.rmtree(state, ignore_errors=True)
        pytest.fail(
            f"ports already taken {taken}: set BOUSSOLE_TEST_CLUSTER_OFFSET to another "
            f"offset than {PORT_OFFSET}"
        )
    try:
        cluster.up()
        yield cluster
    finally:
        _restore_signals(cluster)
        cluster.down(quiet=True)
        shutil.rmtree(state, ignore_errors=True)


@pytest.fixture(scope="package")
def client(cluster):
    client = Client(cluster)
    yield client
    client.close()


@pytest.fixture
def healthy(cluster):
    """Each test starts with every process up: what an earlier fault test broke is restarted."""
    _restore_signals(cluster)
    for name in NAMES:
        if name not in cluster.processes or not cluster.processes[name].alive():
            cluster.processes.pop(name, None)
            cluster.start(name)
    cluster.wait_healthy([n for n in NAMES if n != "postgres"], 300)
    return cluster


def _restore_signals(cluster: Cluster) -> None:
    """A test may have frozen a process group (SIGSTOP): let it go on."""
    for process in cluster.processes.values():
        if process.name != "postgres":
            try:
                os.killpg(process.pid, signal.SIGCONT)
            except (ProcessLookupError, PermissionError):
                pass
