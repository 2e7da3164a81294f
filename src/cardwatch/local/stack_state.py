"""The running local stack's state file (``.cardwatch/local.json``), and whether the
stack that wrote it is alive.

``cardwatch up`` writes the file when its stack is ready and removes it when it stops.
The file names the process that wrote it and a token of that start; the stack's API
answers ``GET /health`` with the same token. A command that acts on the local stack
reads the file through :func:`live_state`, which believes it only when that process
runs and that API answers with that token: a file left by a stack that was killed, or
an address some other program now answers, is "no local stack running" in one line,
never a connection error from deep inside a command.

Only this standard library is used: ``cardwatch env`` works in the lightest install.
"""

from __future__ import annotations

import json
import os
import secrets
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_STATE",
    "NoLocalStack",
    "forget_state",
    "live_state",
    "new_token",
    "read_state",
    "write_state",
]

#: Where ``cardwatch up`` writes its state, and every command reads it.
DEFAULT_STATE = Path(".cardwatch/local.json")
_START_IT = "start it with `make up`, or `cardwatch up`"


class NoLocalStack(Exception):
    """No local stack answers: said in one line (``cardwatch`` exits 3)."""

    def __init__(self, why: str) -> None:
        super().__init__(f"no local stack running ({why}; {_START_IT})")


def new_token() -> str:
    """A token for one start of a stack."""
    return secrets.token_hex(8)


def write_state(path: Path, state: dict[str, Any], token: str) -> None:
    """Write ``state`` with who wrote it (this process, the start's ``token``, when),
    whole or not at all: a reader never sees half a file."""
    document = state | {
        "pid": os.getpid(),
        "stack_token": token,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(json.dumps(document, indent=2) + "\n")
    partial.replace(path)


def forget_state(path: Path, token: str) -> None:
    """Remove the file if this start wrote it (a later start's file is left alone)."""
    try:
        if json.loads(path.read_text()).get("stack_token") == token:
            path.unlink()
    except (OSError, ValueError, AttributeError):
        pass  # gone already, or not ours to remove


def read_state(path: Path) -> dict[str, Any]:
    """The file's state, without asking whether its stack runs."""
    try:
        state = json.loads(path.read_text())
    except FileNotFoundError:
        raise NoLocalStack(f"{path} not found") from None
    except (OSError, ValueError):
        raise NoLocalStack(f"{path} is not a state file `cardwatch up` wrote") from None
    if not isinstance(state, dict) or not {"api_url", "aws_endpoint", "region"} <= state.keys():
        raise NoLocalStack(f"{path} is not a state file `cardwatch up` wrote")
    return state


def _running(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def live_state(path: Path = DEFAULT_STATE, timeout: float = 5.0) -> dict[str, Any]:
    """The state of the stack that wrote ``path``, once that stack is seen alive: its
    process runs and its API answers with its token. Else :class:`NoLocalStack`."""
    state = read_state(path)
    if not _running(state.get("pid")):
        raise NoLocalStack(f"the stack that wrote {path} has stopped")
    url = f"{str(state['api_url']).rstrip('/')}/health"
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: no proxy
    try:
        with direct.open(url, timeout=timeout) as answer:
            health = json.loads(answer.read())
    except TimeoutError:
        raise NoLocalStack(
            f"its API at {state['api_url']} did not answer within {timeout:g} s: busy, or stuck"
        ) from None
    except (OSError, ValueError):  # refused, or not JSON
        raise NoLocalStack(f"no answer from its API at {state['api_url']}") from None
    if not isinstance(health, dict) or health.get("stack") != state.get("stack_token"):
        raise NoLocalStack(f"another program answers at {state['api_url']}")
    return state
