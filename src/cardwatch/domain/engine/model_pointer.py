"""Which model detect scores with: the champion, a challenger scored in shadow, and the
champions before them (for a rollback).

The models themselves are immutable artifacts, each under its own version; the
*pointer* (one small document) names which of them are in force. Publishing a model
never changes what detect scores with; moving the pointer does, and detect reads the
pointer with a short cache, as it reads the rules: no redeploy.

The pointer names each model by its version *and* the SHA-256 of its artifact's text:
a version is written once, but a bucket can be written by anyone its policy lets, so
detect and the retrain function load an artifact only when its digest is the one the
pointer holds (an artifact rewritten under the same name is refused, and the last good
model stays in force).

The model that ships in the package (:func:`cardwatch.domain.engine.model_store.default_model`)
is the champion until a pointer names another, and a rollback can return to it.
"""

from __future__ import annotations

import json
import re
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
_DIGEST = re.compile(r"[0-9a-f]{64}")


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
    #: each named version's artifact digest (:func:`~cardwatch.domain.digest.text_digest`);
    #: the shipped model has none (the package is what was deployed)
    digests: dict[str, str] = field(default_factory=dict)

    def digest(self, version: str) -> str | None:
        """The digest the pointer holds for ``version`` (None: none)."""
        return self.digests.get(version)

    def _kept(self, *named: str | None, added: dict[str, str | None]) -> dict[str, str]:
        digests = self.digests | {v: d for v, d in added.items() if d is not None}
        return {v: digests[v] for v in dict.fromkeys(named) if v is not None and v in digests}

    # -- moves ---------------------------------------------------------------------
    def promote(
        self, version: str, reason: str, at: str, digest: str | None = None
    ) -> ModelPointer:
        """``version`` (whose artifact has ``digest``) becomes the champion; the champion
        before it is remembered."""
        if version == self.champion:
            raise PointerError(f"{version} is already the champion")
        earlier = (self.champion, *(v for v in self.earlier if v not in {self.champion, version}))
        earlier = earlier[:MAX_EARLIER]
        challenger = None if self.challenger == version else self.challenger
        return replace(
            self,
            champion=version,
            challenger=challenger,
            earlier=earlier,
            reason=reason,
            changed_at=at,
            digests=self._kept(version, challenger, *earlier, added={version: digest}),
        )

    def shadow(
        self, version: str | None, reason: str, at: str, digest: str | None = None
    ) -> ModelPointer:
        """``version`` is scored in shadow beside the champion (``None``: no challenger)."""
        if version is not None and version == self.champion:
            raise PointerError(f"{version} is the champion; it cannot challenge itself")
        added = {} if version is None else {version: digest}
        digests = self._kept(self.champion, version, *self.earlier, added=added)
        return replace(self, challenger=version, reason=reason, changed_at=at, digests=digests)

    def rollback(self, at: str, to: str | None = None, digest: str | None = None) -> ModelPointer:
        """Back to ``to`` (default: the champion before this one, whose digest the pointer
        kept)."""
        target = to if to is not None else (self.earlier[0] if self.earlier else None)
        if target is None:
            raise PointerError("no earlier champion to roll back to")
        known = digest or self.digest(target)
        return self.promote(target, f"rolled back from {self.champion}", at, known)

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
                "digests": self.digests,
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
        digests = document.get("digests") or {}
        if not isinstance(digests, dict) or not all(
            isinstance(v, str) and isinstance(d, str) and _DIGEST.fullmatch(d)
            for v, d in digests.items()
        ):
            raise PointerError("the model pointer's digests are not SHA-256 digests by version")
        return cls(
            champion,
            challenger,
            tuple(earlier),
            str(document.get("reason", _SHIPPED_REASON)),
            str(document.get("changed_at", "")),
            dict(document.get("last_training") or {}),
            dict(digests),
        )


def valid_version(version: str) -> bool:
    """A version name: ASCII letters, digits, ``-``, ``_`` and ``.``, at most 100
    characters (it becomes part of an object key)."""
    return 0 < len(version) <= 100 and all(
        c.isascii() and (c.isalnum() or c in "-_.") for c in version
    )
