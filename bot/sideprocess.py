"""Run one function of this package in a second interpreter while this one works on.

Building the index is pure Python and holds one core; the machine has more. The second process
is a fresh interpreter running this module (`python -m bot.sideprocess`), which imports only the
module of the function it runs: forking is unsafe in the bot (`/reload` builds in a thread), and
multiprocessing's "spawn" would import the bot's main module again. The function's name and
arguments go in pickled, its result comes back pickled. Whenever the second process cannot
start or fails, `result()` runs the function here: the caller gets the same result either way,
only later.
"""

from __future__ import annotations

import importlib
import os
import pickle
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

from .gcpause import gc_paused

T = TypeVar("T")

# The second process finds this package where this one did, installed or not.
_SEARCH_PATH = os.pathsep.join(
    [str(Path(__file__).resolve().parent.parent), *filter(None, [os.environ.get("PYTHONPATH")])]
)


class SideProcess(Generic[T]):
    """`SideProcess(function, *args)` starts it; do other work, then take `result()`.
    `function` is a module-level function of this package; its arguments and result must
    pickle."""

    def __init__(self, function: Callable[..., T], *args: Any) -> None:
        self._function = function
        self._args = args
        self._process: subprocess.Popen[bytes] | None = None
        payload = pickle.dumps(
            (function.__module__, function.__qualname__, args), protocol=pickle.HIGHEST_PROTOCOL
        )
        try:
            # From a file, not a pipe: the child reads its input only once its imports are
            # done, and a pipe would hold this process up until then.
            with tempfile.TemporaryFile() as stdin:
                stdin.write(payload)
                stdin.seek(0)
                self._process = subprocess.Popen(
                    [sys.executable, "-m", "bot.sideprocess"],
                    stdin=stdin,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    env={**os.environ, "PYTHONPATH": _SEARCH_PATH},
                )
        except OSError:
            self._process = None  # this process runs it

    def result(self) -> T:
        if self._process is not None:
            process, self._process = self._process, None
            try:
                assert process.stdout is not None
                output = process.stdout.read()
                process.wait()
                if process.returncode == 0:
                    # Millions of objects come back at once: unpickled under the cyclic
                    # collector they take ten times as long (0.6 s against 0.05 s).
                    with gc_paused():
                        return pickle.loads(output)  # type: ignore[no-any-return]
            except Exception:  # cut short or killed: this process runs it
                pass
        return self._function(*self._args)


def _serve() -> None:
    module, name, args = pickle.loads(sys.stdin.buffer.read())
    function = getattr(importlib.import_module(module), name)
    with gc_paused():  # as in this process: the build allocates millions of objects that live on
        result = function(*args)
    sys.stdout.buffer.write(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))


if __name__ == "__main__":
    _serve()
