"""Where an operator command acts: the local stack (the file ``cardwatch up`` wrote) or
a deployment (``--target``, with the caller's credentials)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cardwatch.adapters.clients import emulator_session, session
from cardwatch.blueprint import Blueprint, Target, blueprint_for
from cardwatch.cli.exits import CommandError
from cardwatch.local.stack_state import DEFAULT_STATE, live_state

__all__ = [
    "CommandError",
    "CommandTarget",
    "add_state_argument",
    "add_target_arguments",
    "command_target",
    "guarded",
    "suffix",
]


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    """Where an operator command acts: the local stack, or a deployment (--target)."""
    add_state_argument(parser)
    parser.add_argument(
        "--target",
        choices=[Target.CDKTF.value, Target.PULUMI.value],
        help="act on a deployment (with your AWS credentials) instead of the local stack",
    )
    parser.add_argument(
        "--environment-suffix",
        type=suffix,
        default="dev",
        help="with --target: the deployment's environment suffix (default dev)",
    )


def suffix(text: str) -> str:
    """An environment suffix as names take it (letters, digits, hyphens)."""
    if not text or len(text) > 20 or not text.replace("-", "").isalnum() or not text.isascii():
        raise argparse.ArgumentTypeError("letters, digits and hyphens only, at most 20")
    return text


def add_state_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--state",
        type=Path,
        default=DEFAULT_STATE,
        help=f"the local stack's state file, which `cardwatch up` writes (default {DEFAULT_STATE})",
    )


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
        state = live_state(args.state)  # NoLocalStack unless its stack answers
        region, endpoint = state["region"], state["aws_endpoint"]
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
    """``run(args)``, with ``refusals`` (a command's own kinds of bad input) said as a
    user's mistake; every other failure is the CLI's table's (:mod:`cardwatch.cli.exits`)."""
    try:
        return run(args)
    except refusals as error:
        raise CommandError(str(error)) from None
