"""Parse many YAML files at once: a large directory's service files are shared with a second
process, which parses its part while this one reads the rest and the vocabulary.

Parsing 10,000 small service files is most of the time to load such a directory, and each file
is independent of the others.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from .sideprocess import SideProcess
from .yamlread import read_yaml

SHARED_FROM = 2000  # fewer files are parsed here alone: starting a process costs ~0.1 s
WORKER_SHARE = 2 / 3  # this process also reads the vocabulary meanwhile
FAILED = "\0unreadable"  # a file that could not be read there; read again to report why


def parse_files(paths: Sequence[str]) -> list[Any]:
    documents: list[Any] = []
    for path in paths:
        try:
            documents.append(read_yaml(Path(path)))
        except Exception:  # reported by the caller, which reads the file again
            documents.append(FAILED)
    return documents


class BulkReader:
    """Start it with the files, do other work, then take `documents()`."""

    def __init__(self, paths: Sequence[Path]) -> None:
        self._paths = list(paths)
        self._split = len(self._paths)
        self._shared: SideProcess[list[Any]] | None = None
        if len(self._paths) >= SHARED_FROM:
            self._split -= int(len(self._paths) * WORKER_SHARE)
            self._shared = SideProcess(parse_files, [str(p) for p in self._paths[self._split :]])

    def documents(self, read: Callable[[Path], Any]) -> Iterator[tuple[Path, Any]]:
        """(path, document) for every file in order; `read` parses this process's part, and
        again any file the second process could not (so that the caller reports why)."""
        for path in self._paths[: self._split]:
            yield path, read(path)
        shared = self._shared.result() if self._shared is not None else []
        for path, document in zip(self._paths[self._split :], shared, strict=True):
            yield path, read(path) if isinstance(document, str) and document == FAILED else document
