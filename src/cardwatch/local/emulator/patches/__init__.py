"""Where the emulator differs from AWS, the local side is fixed: every patch, installed
once per process, by whatever runs moto (local mode's server, the apply test, the
integration tier's in-process moto).

- :mod:`~cardwatch.local.emulator.patches.dynamodb`: atomic requests, all-or-nothing
  transactions, streams of transactional writes, consumed capacity by item size;
- :mod:`~cardwatch.local.emulator.patches.dynamodb_export`: exports to S3 as AWS writes
  them (manifests, names, incremental exports);
- :mod:`~cardwatch.local.emulator.patches.athena`: UNLOAD run by DuckDB over the Glue
  tables' files, Parquet out, FAILED with Athena's reason;
- :mod:`~cardwatch.local.emulator.patches.xray`: X-Ray's resource policies;
- :mod:`~cardwatch.local.emulator.patches.awslambda`: Lambda's account settings;
- :mod:`~cardwatch.local.emulator.patches.lambda_invoke`: an invocation of a function
  run by the local runtime (through its invoke bridge), answered as Lambda answers it;
- :mod:`~cardwatch.local.emulator.patches.messaging`: SNS attributes and SQS redrive
  policies read back as AWS writes them;
- :mod:`~cardwatch.local.emulator.patches.s3`: a bucket policy's TLS-only condition;
- :mod:`~cardwatch.local.emulator.patches.account`: API Gateway's account reset, and
  AWS's managed policies in every account;
- :mod:`~cardwatch.local.emulator.patches.ec2`: a security group rule's description,
  whatever its peer;
- :mod:`~cardwatch.local.emulator.patches.speed` (the emulator's process only): moto's
  per-request costs that have nothing to do with AWS.

The patches are fenced. Each replaces members of moto that moto does not publish, so
each names them (its ``TARGETS``: a dotted path, with the parameters it relies on in
brackets) and all were written for one moto version, :data:`WRITTEN_FOR`. Installing
on another version checks every target first and refuses, naming the patch and the
member, when one is gone or no longer takes the parameter the patch reads; on a version
whose targets all hold it installs and logs the difference. ``tests/integration/
test_moto_patches.py`` shows raw moto's behaviour beside each patch's, so an upgrade
that makes a patch unnecessary says which.
"""

from __future__ import annotations

import importlib
import inspect
import logging
from importlib import metadata
from types import ModuleType
from typing import Any

from cardwatch.local.emulator.patches import (
    account,
    athena,
    awslambda,
    dynamodb,
    dynamodb_export,
    ec2,
    lambda_invoke,
    messaging,
    s3,
    speed,
    xray,
)

__all__ = ["PATCHES", "WRITTEN_FOR", "PatchesOutdated", "broken_targets", "check", "install"]

#: The moto release every patch was written and tested against (pyproject pins it).
WRITTEN_FOR = "5.2.5"
#: Every patch by name, speed's included (the emulator's server installs it itself).
PATCHES: dict[str, ModuleType] = {
    "dynamodb": dynamodb,
    "dynamodb_export": dynamodb_export,
    "athena": athena,
    "xray": xray,
    "awslambda": awslambda,
    "lambda_invoke": lambda_invoke,
    "messaging": messaging,
    "s3": s3,
    "account": account,
    "ec2": ec2,
    "speed": speed,
}
_logger = logging.getLogger(__name__)
_checked = False


class PatchesOutdated(RuntimeError):
    """The installed moto lacks a member a patch replaces: the message names both."""


def _resolve(path: str) -> Any:
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            found = getattr(found, name)
        return found
    raise ImportError(path)


def _problem(target: str) -> str | None:
    path, _, wanted = target.partition("(")
    try:
        member = _resolve(path)
    except (ImportError, AttributeError):
        return f"{path} is gone"
    if wanted:
        member = getattr(member, "fget", member)  # a property's getter
        parameters = inspect.signature(member).parameters
        missing = [p for p in wanted.rstrip(")").split(",") if p.strip() not in parameters]
        if missing:
            return f"{path} no longer takes {', '.join(m.strip() for m in missing)}"
    return None


def broken_targets() -> dict[str, list[str]]:
    """Patch name -> what it replaces that the installed moto no longer has."""
    broken: dict[str, list[str]] = {}
    for name, patch in PATCHES.items():
        problems = [p for p in map(_problem, patch.TARGETS) if p]
        if problems:
            broken[name] = problems
    return broken


def check(version: str | None = None) -> None:
    """Refuse a moto whose members a patch relies on are gone (see the module)."""
    version = version or metadata.version("moto")
    if version == WRITTEN_FOR:
        return
    broken = broken_targets()
    if broken:
        named = "; ".join(f"patch {name}: {', '.join(why)}" for name, why in broken.items())
        raise PatchesOutdated(
            f"moto {version} is installed, the emulator's patches were written for moto "
            f"{WRITTEN_FOR} and would break: {named}"
        )
    _logger.warning(
        "moto %s is installed, the emulator's patches were written for %s; every member "
        "they replace is there (tests/integration/test_moto_patches.py says which "
        "patches are still needed)",
        version,
        WRITTEN_FOR,
    )


def install() -> None:
    """Check moto's version, then install every fidelity patch (each once per process)."""
    global _checked  # noqa: PLW0603 (one check per process)
    if not _checked:
        check()
        _checked = True
    dynamodb.install()
    dynamodb_export.install()
    account.install()
    ec2.install()
    athena.install()
    xray.install()
    awslambda.install()
    lambda_invoke.install()
    messaging.install()
    s3.install()
