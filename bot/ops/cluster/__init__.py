"""The production shape on one machine: `python -m bot cluster up|down|status`.

On loopback only: PostgreSQL (leads and Rasa's tracker store), Redis (Rasa's lock store and the
per-conversation rate limit), two Rasa replicas behind nginx (round robin), the action server
(several Sanic workers, behind nginx for its time limit) and the web app. Debian's packages are
installed when missing. The state (pids, ports, logs, data) lives in `var/cluster/`; `down`
stops exactly the processes `up` started, checking each pid still runs the expected program.

Ports (with `--port-offset N`, each one + N):

    nginx (public)        8090   /webhooks/… → Rasa replicas, the rest → web app
    Rasa replicas         5105, 5106
    nginx → actions       5150   (internal; the replicas' action endpoint)
    action server         5155
    web app               8005
    PostgreSQL            15433
    Redis                 16379

The modules, one responsibility each:

    cluster     Cluster: which processes, in which order; up, down, status, one at a time
    layout      where it lives and listens: state directory, ports, addresses, child env
    services    each service's command line and configuration files (nginx, Rasa, PostgreSQL)
    processes   one process: spawn, alive (pid + marker), terminate, health; the state file
    packages    the Debian packages: found or installed
    messages    say() and ClusterError, in French
    cli         `python -m bot cluster …`
"""

from bot.ops.cluster.cli import main
from bot.ops.cluster.cluster import Cluster
from bot.ops.cluster.layout import BASE_PORTS, Layout
from bot.ops.cluster.messages import ClusterError, say
from bot.ops.cluster.packages import ensure_packages
from bot.ops.cluster.processes import Process

__all__ = [
    "BASE_PORTS",
    "Cluster",
    "ClusterError",
    "Layout",
    "Process",
    "ensure_packages",
    "main",
    "say",
]
