"""Where an operator command acts: the local stack (the file ``cardwatch up`` wrote) or
a deployment (``--target``, with the caller's credentials)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cardwatch.adapters.clients import AWS_ERRORS, emulator_session, session
from cardwatch.blueprint import Blueprint, Target, blueprint_for

__all__ = ["CommandError", "CommandTarget", "command_target", "guarded"]


class CommandError(Exception):
    """One line for the operator; exit 2."""


@dataclass(frozen=True, slots=True)
class CommandTarget:
    blueprint: Blueprint
    session: Any
    endpoint: str | None  # the emulator's, in local mode
    state: dict[str, Any]  # local mode's state file (empty for a deployment)

    def client(self, service: str) -> Any:
        return self.session.client(service, endpoint_url=self.endpoint)


def command_target(args: argparse.Namespace) -> CommandTarget:
    if args.target is None:
        state_file: Path = args.state
        if not state_file.exists():
            raise CommandError(f"{state_file} not found: start the stack with `cardwatch up`")
        try:
            state = json.loads(state_file.read_text())
            region, endpoint = state["region"], state["aws_endpoint"]
        except (ValueError, KeyError):
            raise CommandError(f"{state_file} is not a state file `cardwatch up` wrote") from None
        blueprint = blueprint_for("local", state.get("environment_suffix", "local"))
        return CommandTarget(blueprint, emulator_session(region), endpoint, state)
    blueprint = blueprint_for(Target(args.target), args.environment_suffix)
    return CommandTarget(blueprint, session(blueprint.region), None, {})


def guarded(
    command: str,
    run: Callable[[argparse.Namespace], int],
    args: argparse.Namespace,
    *refusals: type[Exception],
) -> int:
    """``run(args)``, with a command's documented exits instead of a traceback: 2 and one
    line for a user's mistake (a :class:`CommandError` or one of ``refusals``), 3 when
    AWS refused the call."""
    mistakes: tuple[type[Exception], ...] = (CommandError, *refusals)
    try:
        return run(args)
    except mistakes as error:
        print(f"cardwatch {command}: {error}", file=sys.stderr)
        return 2
    except AWS_ERRORS as error:
        print(f"cardwatch {command}: AWS said: {error}", file=sys.stderr)
        return 3
