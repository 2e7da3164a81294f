"""Which model detect scores with: the champion, a challenger scored in shadow, and the
champions before them (for a rollback).

The models themselves are immutable artifacts, each under its own version; the
*pointer* (one small document) names which of them are in force. Publishing a model
never changes what detect scores with; moving the pointer does, and detect reads the
pointer with a short cache, as it reads the rules: no redeploy.

The model that ships in the package (:func:`cardwatch.domain.engine.model_store.default_model`)
is the champion until a pointer names another, and a rollback can return to it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

__all__ = [
    "ARTIFACT_PREFIX",
    "MAX_EARLIER",
    "SHIPPED",
    "ModelPointer",
    "PointerError",
    "VersionTaken",
    "valid_version",
]

#: Where a registry keeps the artifacts: ``models/<version>.json``.
ARTIFACT_PREFIX = "models/"

#: The pointer's name for the model in the package.
SHIPPED = "shipped"
#: Earlier champions the pointer remembers (a rollback names any of them, or any
#: published version).
MAX_EARLIER = 20


_SHIPPED_REASON = "the model in the package"


class PointerError(ValueError):
    """A pointer document that cannot be read, or a move that is not allowed."""


class VersionTaken(ValueError):
    """A model version was published before with another artifact: a version is written
    once (the same artifact again is a retry, and changes nothing)."""


@dataclass(frozen=True, slots=True)
class ModelPointer:
    champion: str = SHIPPED
    challenger: str | None = None
    #: earlier champions, the most recent first
    earlier: tuple[str, ...] = ()
    #: why the pointer last moved, and when (ISO 8601)
    reason: str = _SHIPPED_REASON
    changed_at: str = ""
    #: the last retraining's verdict, as its report gives it (shown by ``model status``)
    last_training: dict[str, Any] = field(default_factory=dict)

    # -- moves ---------------------------------------------------------------------
    def promote(self, version: str, reason: str, at: str) -> ModelPointer:
        """``version`` becomes the champion; the champion before it is remembered."""
        if version == self.champion:
            raise PointerError(f"{version} is already the champion")
        earlier = (self.champion, *(v for v in self.earlier if v not in {self.champion, version}))
        challenger = None if self.challenger == version else self.challenger
        return replace(
            self,
            champion=version,
            challenger=challenger,
            earlier=earlier[:MAX_EARLIER],
            reason=reason,
            changed_at=at,
        )

    def shadow(self, version: str | None, reason: str, at: str) -> ModelPointer:
        """``version`` is scored in shadow beside the champion (``None``: no challenger)."""
        if version is not None and version == self.champion:
            raise PointerError(f"{version} is the champion; it cannot challenge itself")
        return replace(self, challenger=version, reason=reason, changed_at=at)

    def rollback(self, at: str, to: str | None = None) -> ModelPointer:
        """Back to ``to`` (default: the champion before this one)."""
        target = to if to is not None else (self.earlier[0] if self.earlier else None)
        if target is None:
            raise PointerError("no earlier champion to roll back to")
        return self.promote(target, f"rolled back from {self.champion}", at)

    def trained(self, report: dict[str, Any]) -> ModelPointer:
        return replace(self, last_training=dict(report))

    # -- the document ----------------------------------------------------------------
    def to_json(self) -> str:
        return json.dumps(
            {
                "champion": self.champion,
                "challenger": self.challenger,
                "earlier": list(self.earlier),
                "reason": self.reason,
                "changed_at": self.changed_at,
                "last_training": self.last_training,
            },
            sort_keys=True,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> ModelPointer:
        """The pointer a document names; an empty document (``{}``) is the shipped model."""
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            raise PointerError(f"the model pointer is not JSON: {error.msg}") from None
        if not isinstance(document, dict):
            raise PointerError("the model pointer is not a JSON object")
        champion = document.get("champion") or SHIPPED
        challenger = document.get("challenger") or None
        earlier = document.get("earlier") or []
        names = [champion, *([challenger] if challenger else []), *earlier]
        if not all(isinstance(name, str) and valid_version(name) for name in names):
            raise PointerError("the model pointer names a version that is not a version name")
        return cls(
            champion,
            challenger,
            tuple(earlier),
            str(document.get("reason", _SHIPPED_REASON)),
            str(document.get("changed_at", "")),
            dict(document.get("last_training") or {}),
        )


def valid_version(version: str) -> bool:
    """A version name: ASCII letters, digits, ``-``, ``_`` and ``.``, at most 100
    characters (it becomes part of an object key)."""
    return 0 < len(version) <= 100 and all(
        c.isascii() and (c.isalnum() or c in "-_.") for c in version
    )
