"""A security group rule on the emulator reads back its description, whatever its peer.

AWS keeps a rule's description beside its peer: a CIDR's, a security group's, a prefix
list's (``PrefixListIds: [{"PrefixListId", "Description"}]``). moto keeps only a CIDR's,
so a rule to a gateway endpoint's prefix list reads back with none, and every
``terraform plan`` after an apply wants to set it again. Kept here, for every peer.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any

__all__ = ["TARGETS", "install"]

#: What the patch replaces or relies on in moto (checked before it installs).
TARGETS = (
    "moto.ec2.models.security_groups.SecurityGroupRule.__init__(prefix_list_id,source_group)",
    "moto.ec2.models.security_groups.SecurityGroupRule.description",
)
_installed = False


def install() -> None:
    """Make moto's security group rules keep a prefix list's or a group's description."""
    global _installed  # noqa: PLW0603 (one patch per process)
    if _installed:
        return
    from moto.ec2.models.security_groups import SecurityGroupRule  # noqa: PLC0415

    original_init = SecurityGroupRule.__init__
    original_description = SecurityGroupRule.description
    signature = inspect.signature(original_init)

    @functools.wraps(original_init)  # the fence reads the parameters through it
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:  # noqa: N807
        original_init(self, *args, **kwargs)
        given = signature.bind(self, *args, **kwargs).arguments
        peers = (given.get("prefix_list_id"), given.get("source_group"))
        self._peer_description = next(
            (p["Description"] for p in peers if p and p.get("Description")), None
        )

    def description(self: Any) -> str | None:
        own: str | None = original_description.fget(self)  # type: ignore[attr-defined]
        return own or getattr(self, "_peer_description", None)

    SecurityGroupRule.__init__ = __init__  # type: ignore[method-assign]
    SecurityGroupRule.description = property(description)  # type: ignore[method-assign,assignment]
    _installed = True
