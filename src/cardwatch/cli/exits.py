"""One exit-code table for the whole ``cardwatch`` command, and the one place a
command's failure becomes a line on standard error and its code (never a traceback
for a user's mistake, a stopped stack, a refusal or a missing install)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from cardwatch.adapters.clients import AWS_ERRORS, AWS_UNREACHABLE
from cardwatch.local.stack_state import NoLocalStack
from cardwatch.simulation import DataError

__all__ = [
    "EXIT_CODES",
    "EXIT_EPILOG",
    "CommandError",
    "NotInstalled",
    "Unreachable",
    "classified",
    "run_command",
]

#: Every command's exit codes.
EXIT_CODES = {
    0: "ok",
    1: "the work found problems",
    2: "bad arguments or input (or a part of cardwatch not installed)",
    3: "no stack or deployment reachable",
    4: "AWS refused",
}
#: ... as every ``--help`` ends.
EXIT_EPILOG = "exit codes:\n" + "\n".join(f"  {code}  {text}" for code, text in EXIT_CODES.items())

#: Which install brings a module the light install lacks.
_EXTRA_OF = {
    "sklearn": "ops",
    "scipy": "ops",
    "threadpoolctl": "ops",
    "duckdb": "ops",
    "joblib": "ops",
    "cdktf": "infra",
    "cdktf_cdktf_provider_aws": "infra",
    "constructs": "infra",
    "pulumi": "infra",
    "pulumi_aws": "infra",
    "rich": "local",
    "moto": "local",
    "httpx": "local",
    "uvicorn": "local",
    "starlette": "local",
    "flask": "local",
    "numpy": "local",
}


class CommandError(Exception):
    """A user's mistake, said in one line: exit 2."""


class Unreachable(Exception):
    """No stack or deployment answers (not running, no network, no credentials): exit 3."""


class NotInstalled(Exception):
    """The command needs a part of cardwatch this install lacks: exit 2."""

    def __init__(self, module: str, needs: str | None = None) -> None:
        extra = needs or _EXTRA_OF.get(module, "ops")
        super().__init__(
            f"needs cardwatch's {extra!r} install ({module} is missing): run `make install`, "
            f"or `pip install 'cardwatch[{extra}]'`"
        )


def run_command(
    command: str, run: Callable[[argparse.Namespace], int], args: argparse.Namespace
) -> int:
    """``run(args)``, its failures said in one line with :data:`EXIT_CODES`' code."""
    try:
        return run(args)
    except KeyboardInterrupt:
        print(f"cardwatch {command}: interrupted", file=sys.stderr)
        return 130
    except ModuleNotFoundError as error:  # what the command needs, not only this module
        top = (error.name or "").partition(".")[0]
        if top not in _EXTRA_OF:
            raise  # cardwatch's own module missing is a bug, not a user's install
        print(
            f"cardwatch {command}: {NotInstalled(top, getattr(args, 'needs', None))}",
            file=sys.stderr,
        )
        return 2
    except Exception as error:
        said = classified(error)
        if said is None:
            raise  # not a user's, the stack's or AWS's: a bug, with its traceback
        code, line = said
        print(f"cardwatch {command}: {line}", file=sys.stderr)
        return code


def _os_line(error: OSError) -> str:
    return f"{error.strerror or error}" + (f": {error.filename}" if error.filename else "")


#: In order, what each kind of failure exits with, and its line.
_KINDS: tuple[tuple[tuple[type[Exception], ...], int, Callable[[Any], str]], ...] = (
    ((CommandError, NotInstalled, DataError), 2, str),
    ((UnicodeDecodeError,), 2, lambda _error: "an input file is not UTF-8 text"),
    ((NoLocalStack, Unreachable), 3, str),
    ((ConnectionError,), 3, lambda error: f"no answer: {error}"),  # a stack gone mid-command
    ((OSError,), 2, _os_line),  # a missing, unreadable or directory input file
    (AWS_UNREACHABLE, 3, "no AWS answer: {}".format),
    (AWS_ERRORS, 4, "AWS said: {}".format),
)


def classified(error: Exception) -> tuple[int, str] | None:
    """The exit code and line for ``error``; None for an error that is cardwatch's own."""
    if isinstance(error, ModuleNotFoundError):
        top = (error.name or "").partition(".")[0]
        return (2, str(NotInstalled(top))) if top in _EXTRA_OF else None
    for kinds, code, line in _KINDS:
        if isinstance(error, kinds):
            return code, line(error)
    return None
