"""`python -m bot cluster up|down|status [--dir D] [--port-offset N] [--json]`: the command
line over `Cluster`, its settings from the environment with the options on top."""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Mapping
from pathlib import Path

from bot.ops.cluster.cluster import Cluster
from bot.ops.cluster.messages import ClusterError, say
from bot.settings import Settings


def main(
    action: str,
    state_dir: str | None = None,
    port_offset: int | None = None,
    as_json: bool = False,
    environ: Mapping[str, str] | None = None,
) -> int:
    try:
        settings = Settings.from_env(environ)
    except ValueError as exc:  # a malformed number, named
        print(f"[boussole] ERREUR : {exc}", file=sys.stderr)
        return 1
    if state_dir:
        settings = dataclasses.replace(settings, cluster_dir=Path(state_dir))
    if port_offset is not None:
        settings = dataclasses.replace(settings, cluster_port_offset=port_offset)
    cluster = Cluster(settings)
    try:
        if action == "up":
            cluster.up()
        elif action == "down":
            if not cluster.processes:
                say("rien à arrêter (aucun cluster lancé depuis ce dossier)")
            cluster.down()
        else:
            rows = cluster.status()
            if as_json:
                print(json.dumps(rows, ensure_ascii=False, indent=2))
            elif not rows:
                print("Aucun cluster lancé (python -m bot cluster up).")
            else:
                for r in rows:
                    state = "en marche" if r["running"] else "arrêté"
                    health = "santé " + r["detail"] if r["running"] else ""
                    print(
                        f"{r['name']:<8} pid {r['pid']:<8} port {r['port']:<6} {state:<10} {health}"
                    )
                return 0 if all(r["healthy"] for r in rows) else 1
    except ClusterError as exc:
        print(f"[boussole] ERREUR : {exc}", file=sys.stderr)
        return 1
    return 0
