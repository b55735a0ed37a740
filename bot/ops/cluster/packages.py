"""The Debian packages the cluster runs on (PostgreSQL, Redis, nginx): how we know each one is
installed, and installing the missing ones without letting Debian start its own services."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from bot.ops.cluster.messages import ClusterError, say

NGINX = Path("/usr/sbin/nginx")


def postgres_bin() -> Path | None:
    """The bin/ directory of the newest PostgreSQL installed, None when there is none."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/postgres"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    return found[-1].parent if found else None


def nginx_bin() -> str:
    return str(NGINX) if NGINX.exists() else "nginx"


def redis_bin() -> str:
    return shutil.which("redis-server") or "redis-server"


PACKAGES = {  # package → how we know it is there
    "postgresql": lambda: postgres_bin() is not None,
    "redis-server": lambda: shutil.which("redis-server") is not None,
    "nginx": lambda: NGINX.exists() or shutil.which("nginx") is not None,
}


def missing_packages(names=tuple(PACKAGES)) -> list[str]:
    return [n for n in names if not PACKAGES[n]()]


def ensure_packages(names=tuple(PACKAGES)) -> None:
    """Installs (as root, with apt-get) those of `names` that are missing; ClusterError when
    that is impossible or fails."""
    missing = missing_packages(names)
    if not missing:
        return
    for name in missing:
        say(f"{name} absent : installation du paquet Debian « {name} »…")
    if os.geteuid() != 0:
        raise ClusterError(
            f"il faut être root pour installer {', '.join(missing)} "
            f"(apt-get install {' '.join(missing)}), ou les installer soi-même."
        )
    # Debian's maintainer scripts would start the packages' default services (nginx on port 80,
    # a PostgreSQL cluster on 5432, Redis on 6379): a policy-rc.d forbids it during the install.
    policy = Path("/usr/sbin/policy-rc.d")
    created = not policy.exists()
    if created:
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)
    try:
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        for command in (
            ["apt-get", "update", "-qq"],
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
        ):
            done = subprocess.run(
                command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
            )
            if done.returncode != 0:
                raise ClusterError(f"échec de « {' '.join(command)} » :\n{done.stdout[-2000:]}")
    finally:
        if created:
            policy.unlink(missing_ok=True)
    still = missing_packages(missing)
    if still:
        raise ClusterError(f"paquets toujours introuvables après installation : {still}")
    say(f"installé : {', '.join(missing)}")
