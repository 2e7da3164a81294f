"""The genuine sample a training set draws: the same rows in every engine and at every run.

A training set keeps every fraud and a share of the genuine, each drawn genuine standing
for ``1 / share`` of them. Which genuine are drawn is decided by the transaction id alone
(the first 32 bits of its MD5, read as a fraction of 2**32), so the SQL that builds the
set where the log is and the Python that builds it from a log in memory draw the same
rows, and a rerun draws what the last run drew.
"""

from __future__ import annotations

import hashlib

__all__ = ["genuine_draw", "is_drawn"]


def genuine_draw(transaction_id: str) -> float:
    """Where a transaction falls in [0, 1) for the genuine sample."""
    digest = hashlib.md5(transaction_id.encode()).hexdigest()  # noqa: S324 - a draw, not a secret
    return int(digest[:8], 16) / 2**32


def is_drawn(transaction_id: str, genuine_share: float) -> bool:
    """Whether a genuine transaction is in a sample of ``genuine_share``."""
    return genuine_draw(transaction_id) < genuine_share
