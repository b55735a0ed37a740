"""Files written whole: a reader sees the old content or the new, never half of either."""

from __future__ import annotations

import os
from pathlib import Path


def atomic_write(path: Path, text: str, mode: int = 0o666) -> None:
    """Write `text` (UTF-8) to `path` through a temporary file renamed over it, after fsync.

    `mode` applies when the file is created (minus the umask): 0o600 for secrets."""
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
