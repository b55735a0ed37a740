"""What the cluster tells the person running it: progress lines on stderr and `ClusterError`,
both in French. Every other module of the package reports through these two."""

from __future__ import annotations

import sys


def say(text: str) -> None:
    print(f"[boussole] {text}", file=sys.stderr, flush=True)


class ClusterError(Exception):
    """Something the person must know, in French."""
