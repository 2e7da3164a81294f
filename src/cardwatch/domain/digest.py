"""The digest that names an artifact's exact text: a model's, a rule document's, an
audit record's before and after."""

from __future__ import annotations

import hashlib

__all__ = ["text_digest"]


def text_digest(text: str) -> str:
    """The SHA-256 of ``text`` (UTF-8), hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
