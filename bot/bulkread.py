"""Parse many YAML files at once: a large directory's service files are shared with a second
process, which parses its part while this one reads the rest and the vocabulary.

Parsing 10,000 small service files is most of the time to load such a directory, and each file
is independent of the others. The second process is a fresh interpreter running this module
(`python -m bot.bulkread`), which imports nothing but the YAML reader: forking is unsafe in the
bot (`/reload` runs in a thread), and multiprocessing's "spawn" would import the bot's main
module again, which takes longer than the parsing it saves.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from .yamlread import read_yaml

SHARED_FROM = 2000  # fewer files are parsed here alone: starting a process costs ~0.1 s
WORKER_SHARE = 2 / 3  # this process also reads the vocabulary meanwhile
FAILED = "\0unreadable"  # a file the second process could not read; read again to report why
# The second process finds this package where this one did, installed or not.
_SEARCH_PATH = os.pathsep.join(
    [str(Path(__file__).resolve().parent.parent), *filter(None, [os.environ.get("PYTHONPATH")])]
)


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
        self._process: subprocess.Popen[bytes] | None = None
        if len(self._paths) >= SHARED_FROM:
            self._split -= int(len(self._paths) * WORKER_SHARE)
            try:
                self._process = subprocess.Popen(
                    [sys.executable, "-m", "bot.bulkread"],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    env={**os.environ, "PYTHONPATH": _SEARCH_PATH},
                )
                assert self._process.stdin is not None
                names = "\n".join(str(p) for p in self._paths[self._split :])
                self._process.stdin.write(names.encode("utf-8"))
                self._process.stdin.close()
            except OSError:
                self._process = None  # this process reads them all

    def documents(self, read: Callable[[Path], Any]) -> Iterator[tuple[Path, Any]]:
        """(path, document) for every file in order; `read` parses this process's part, and
        again any file the second process could not (so that the caller reports why)."""
        for path in self._paths[: self._split]:
            yield path, read(path)
        shared = self._shared()
        for path, document in zip(self._paths[self._split :], shared, strict=False):
            yield path, read(path) if isinstance(document, str) and document == FAILED else document
        for path in self._paths[self._split + len(shared) :]:  # the second process failed
            yield path, read(path)

    def _shared(self) -> list[Any]:
        if self._process is None:
            return []
        assert self._process.stdout is not None
        try:
            output = self._process.stdout.read()
            self._process.wait()
            documents = pickle.loads(output) if self._process.returncode == 0 else []
        except Exception:  # cut short or killed: this process reads the files
            return []
        return documents if isinstance(documents, list) else []


if __name__ == "__main__":
    # The second process: file names on stdin, the parsed documents pickled to stdout.
    files = sys.stdin.buffer.read().decode("utf-8").split("\n")
    sys.stdout.buffer.write(pickle.dumps(parse_files(files), protocol=pickle.HIGHEST_PROTOCOL))
