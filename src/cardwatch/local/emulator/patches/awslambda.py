"""Lambda's account settings on the emulator, which moto's Lambda lacks.

``cardwatch preflight`` reads an account's concurrency quota with GetAccountSettings
before a deploy. moto enforces a quota on reserved concurrency when
``MOTO_LAMBDA_CONCURRENCY_QUOTA`` is set, but cannot answer the call; this adds it on
the local side, from the same quota (AWS's default, 1,000, when unset) and the functions
the emulator holds: the unreserved share is the quota less every reservation, as AWS
reports it.
"""

from __future__ import annotations

import json
import os
from typing import Any

__all__ = ["DEFAULT_QUOTA", "TARGETS", "install"]

#: What the patch replaces or relies on in moto (checked before it installs).
TARGETS = (
    "moto.awslambda.urls.url_paths",
    "moto.awslambda.responses.LambdaResponse.dispatch",
)

#: A new account's concurrent executions per region.
DEFAULT_QUOTA = 1000
_installed = False


def _get_account_settings(self: Any) -> tuple[int, dict[str, str], str]:
    quota = int(os.environ.get("MOTO_LAMBDA_CONCURRENCY_QUOTA", DEFAULT_QUOTA))
    functions = list(self.backend.list_functions())
    reserved = sum(int(f.reserved_concurrency or 0) for f in functions)
    settings = {
        "AccountLimit": {
            "TotalCodeSize": 80 * 1024**3,
            "CodeSizeUnzipped": 250 * 1024**2,
            "CodeSizeZipped": 50 * 1024**2,
            "ConcurrentExecutions": quota,
            "UnreservedConcurrentExecutions": quota - reserved,
        },
        "AccountUsage": {"TotalCodeSize": 0, "FunctionCount": len(functions)},
    }
    return 200, {}, json.dumps(settings)


def install() -> None:
    """Teach moto's Lambda GetAccountSettings (before its server starts)."""
    global _installed  # noqa: PLW0603 (one patch per process)
    if _installed:
        return
    from moto.awslambda import urls  # noqa: PLC0415 - only local mode and the tests need moto
    from moto.awslambda.responses import LambdaResponse  # noqa: PLC0415

    urls.url_paths[r"{0}/(?P<api_version>[^/]+)/account-settings/?$"] = LambdaResponse.dispatch
    LambdaResponse.get_account_settings = _get_account_settings  # type: ignore[attr-defined]
    _installed = True
