"""What an operator can get wrong, caught at start: two bot processes on one database (every
outbox item would go out twice), a `.env` others can read (it holds the bot's token), files
with residents' words readable by every user of the machine."""

from __future__ import annotations

import fcntl
import os
import stat
from pathlib import Path
from typing import IO


class AlreadyRunning(Exception):
    """Another process delivers from this database."""


def private_umask() -> None:
    """New files (the database, its WAL, exports) are readable by the owner only."""
    os.umask(0o077)


def hold_database(database: Path) -> IO[str]:
    """An exclusive lock next to the database, held as long as the returned file is open (the
    kernel releases it when the process dies, even by SIGKILL)."""
    database.parent.mkdir(parents=True, exist_ok=True)
    handle = open(f"{database}.lock", "a", encoding="utf-8")  # noqa: SIM115 – held open
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        handle.close()
        raise AlreadyRunning(
            f"another Quartierslotse process is using {database} (lock {database}.lock); "
            "two processes on one database would send every answer twice. Stop the other one "
            "first."
        ) from exc
    return handle


def env_file_warning(path: Path) -> str | None:
    """A warning if the .env (with the bot token) can be read by others."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        return (
            f"warning: {path} holds the bot token and can be read by other users of this "
            f"machine; run: chmod 600 {path}"
        )
    return None
