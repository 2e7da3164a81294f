"""The model that ships inside the package (``domain/data/model.json``)."""

from __future__ import annotations

from functools import cache
from importlib import resources

from cardwatch.domain.model import TreeModel

__all__ = ["default_model"]


@cache
def default_model() -> TreeModel:
    """Fitted by ``make model`` on simulated history; ``cardwatch train`` makes your own."""
    text = resources.files("cardwatch.domain").joinpath("data/model.json").read_text("utf-8")
    return TreeModel.from_json(text)
