"""Local stand-in for CloudWatch Logs: each function's output goes to its own file.

Powertools writes log lines through a stream handler and metrics (EMF) through
``print``. While a function runs on a thread, whatever it writes to standard output
lands in ``<directory>/<function name>.log``, and each invocation's lines are handed to
``ship`` (local mode sends them to the function's log group in the emulator's CloudWatch
Logs); everything else still reaches the real standard output.
"""

from __future__ import annotations

import io
import json
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from cardwatch.local.runtime.aws_records import function_error

__all__ = ["FunctionLogs", "Shipper"]

#: receives a function's name and one invocation's lines, each with its epoch milliseconds
Shipper = Callable[[str, list[tuple[int, str]]], None]


class _Invocation(io.TextIOBase):
    """What one invocation writes: into the function's file, and kept line by line."""

    def __init__(self, file: TextIO) -> None:
        self._file = file
        self._partial = ""
        self.lines: list[tuple[int, str]] = []

    def write(self, text: str) -> int:
        self._file.write(text)
        *whole, self._partial = (self._partial + text).split("\n")
        if whole:
            now = time.time_ns() // 1_000_000
            self.lines += [(now, line) for line in whole if line]
        return len(text)

    def flush(self) -> None:
        self._file.flush()

    def finish(self) -> list[tuple[int, str]]:
        if self._partial:
            self.lines.append((time.time_ns() // 1_000_000, self._partial))
            self._partial = ""
        return self.lines


class _Router(io.TextIOBase):
    def __init__(self, fallback: TextIO, logs: FunctionLogs) -> None:
        self.fallback = fallback
        self._logs = logs

    def write(self, text: str) -> int:
        target = self._logs.current()
        return (target or self.fallback).write(text)

    def flush(self) -> None:
        (self._logs.current() or self.fallback).flush()


class FunctionLogs:
    """Routes what a function writes while it runs into its own log file."""

    def __init__(self, directory: Path, ship: Shipper | None = None) -> None:
        self.directory = directory
        self._ship = ship
        directory.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._files: dict[str, TextIO] = {}
        self._lock = threading.Lock()
        self._loggers: tuple[logging.Logger, ...] = ()
        self._router: _Router | None = None

    def current(self) -> _Invocation | None:
        return getattr(self._local, "file", None)

    def path(self, function_name: str) -> Path:
        return self.directory / f"{function_name}.log"

    def install(self, *loggers: logging.Logger) -> None:
        """Send standard output, and the given loggers' stream handlers, through the router."""
        self._router = _Router(sys.stdout, self)
        self._loggers = loggers
        self._route()
        logging.getLogger("werkzeug").setLevel(logging.ERROR)

    def _route(self) -> None:
        """Point standard output and the loggers' stream handlers at the router again:
        a handler made after :meth:`install` (a new execution environment's logger) holds
        the standard output of its moment, and a host such as pytest swaps standard
        output back and forth. Checked at every invocation (a few comparisons)."""
        router = self._router
        if router is None:
            return
        if sys.stdout is not router:
            router.fallback = sys.stdout
            sys.stdout = router
        for logger in self._loggers:
            for handler in logger.handlers:
                if isinstance(handler, logging.StreamHandler) and handler.stream is not router:
                    handler.setStream(router)

    def close(self) -> None:
        """Give standard output and the loggers' handlers a live stream again: the
        router's fallback is the standard output of the last invocation's moment, which a
        host (pytest's capture of one test) may have closed since."""
        router = self._router
        if router is not None:
            fallback = router.fallback
            live = sys.__stdout__ if fallback.closed else fallback
            if sys.stdout is router:
                sys.stdout = live
            for logger in self._loggers:
                for handler in logger.handlers:
                    if isinstance(handler, logging.StreamHandler) and handler.stream is router:
                        handler.stream = sys.stdout  # not setStream: it flushes the old one
        self._router = None
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
        self._route()
        output = _Invocation(file)
        self._local.file = output
        try:
            yield
        except Exception as error:
            # what Lambda's runtime writes to the log group for an unhandled error
            record = function_error(error)
            with self._lock:
                output.write(f"[ERROR] {type(error).__name__}: {error}\n")
                output.write(json.dumps(record) + "\n")
            raise
        finally:
            self._local.file = None
            if self._ship is not None:
                self._ship(function_name, output.finish())
