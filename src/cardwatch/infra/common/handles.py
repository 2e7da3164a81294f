"""What both renderers' contexts share: each resource's values by its
:class:`~cardwatch.blueprint.Handle`, registered by the part that creates it."""

from __future__ import annotations

from typing import Any

from cardwatch.blueprint import Handle

__all__ = ["Registered"]


class Registered:
    """Lookups over ``arns`` (a handle's ARNs, for grants) and ``urls`` (its URL, ARN or
    id, for an environment): asking before the resource exists names the handle."""

    arns: dict[Handle, list[Any]]
    urls: dict[Handle, Any]

    def arn_of(self, handle: Handle) -> list[Any]:
        if handle not in self.arns:
            raise LookupError(f"{handle}: asked for before the part that makes it")
        return self.arns[handle]

    def output_of(self, handle: Handle) -> Any:
        if handle not in self.urls:
            raise LookupError(f"{handle}: asked for before the part that makes it")
        return self.urls[handle]
