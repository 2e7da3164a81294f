"""Local stand-in for CloudWatch Logs: each function's output goes to its own file.

Powertools writes log lines through a stream handler and metrics (EMF) through
``print``. While a function runs on a thread, whatever it writes to standard output
lands in ``<directory>/<function name>.log``, as it would in the function's log group;
everything else still reaches the real standard output.
"""

from __future__ import annotations

import io
import json
import logging
import sys
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

__all__ = ["FunctionLogs"]


class _Router(io.TextIOBase):
    def __init__(self, fallback: TextIO, logs: FunctionLogs) -> None:
        self._fallback = fallback
        self._logs = logs

    def write(self, text: str) -> int:
        target = self._logs.current()
        return (target or self._fallback).write(text)

    def flush(self) -> None:
        (self._logs.current() or self._fallback).flush()


class FunctionLogs:
    """Routes what a function writes while it runs into its own log file."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._files: dict[str, TextIO] = {}
        self._lock = threading.Lock()
        self._saved_stdout: TextIO | None = None

    def current(self) -> TextIO | None:
        return getattr(self._local, "file", None)

    def path(self, function_name: str) -> Path:
        return self.directory / f"{function_name}.log"

    def install(self, *loggers: logging.Logger) -> None:
        """Send standard output, and the given loggers' stream handlers, through the router."""
        self._saved_stdout = sys.stdout
        router = _Router(sys.stdout, self)
        sys.stdout = router
        for logger in loggers:
            for handler in logger.handlers:
                if isinstance(handler, logging.StreamHandler):
                    handler.setStream(router)
        logging.getLogger("werkzeug").setLevel(logging.ERROR)

    def close(self) -> None:
        if self._saved_stdout is not None:
            sys.stdout = self._saved_stdout
        for file in self._files.values():
            file.close()

    @contextmanager
    def running(self, function_name: str) -> Iterator[None]:
        with self._lock:
            file = self._files.get(function_name)
            if file is None:
                file = self._files[function_name] = self.path(function_name).open(
                    "a", encoding="utf-8", buffering=1
                )
        self._local.file = file
        try:
            yield
        except Exception as error:
            # what Lambda's runtime writes to the log group for an unhandled error
            record = {
                "errorMessage": str(error),
                "errorType": type(error).__name__,
                "stackTrace": traceback.format_tb(error.__traceback__),
            }
            with self._lock:
                file.write(f"[ERROR] {type(error).__name__}: {error}\n")
                file.write(json.dumps(record) + "\n")
            raise
        finally:
            self._local.file = None
