"""What the engine can decide, and why: light enough for the functions that only read
decisions (notify, the alerts) to import without the engine."""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["Decision", "Reason"]


class Decision(enum.StrEnum):
    APPROVE = "approve"
    REVIEW = "review"
    BLOCK = "block"


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    detail: str
    source: str  # "rule:<id>" or "model"
    #: for a model reason: the feature behind it and its value
    feature: str | None = None
    value: float | None = None
