"""The models detect can score with: the one that ships inside the package
(``domain/data/model.json``) and the ones a registry published, by version."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib import resources

from cardwatch.domain.engine.model import TreeModel
from cardwatch.domain.engine.model_pointer import SHIPPED

__all__ = ["default_model", "is_shipped", "model_named"]


@cache
def default_model() -> TreeModel:
    """Fitted by ``make model`` on simulated history; ``cardwatch train`` makes your own."""
    text = resources.files("cardwatch.domain").joinpath("data/model.json").read_text("utf-8")
    return TreeModel.from_json(text)


def is_shipped(version: str) -> bool:
    """Whether ``version`` names the model in the package (by either of its names)."""
    return version in {SHIPPED, default_model().version}


def model_named(version: str, artifact: Callable[[str], str]) -> TreeModel:
    """The model published as ``version`` (``artifact`` reads its text, once per version:
    a version is never rewritten), or the shipped one under its own names."""
    if is_shipped(version):
        return default_model()
    model = _parsed.get(version)
    if model is None:
        model = TreeModel.from_json(artifact(version))
        if model.version != version:
            raise ValueError(f"the artifact published as {version} names itself {model.version}")
        while len(_parsed) >= _KEPT:
            del _parsed[next(iter(_parsed))]
        _parsed[version] = model
    return model


#: champion, challenger and a few earlier ones, per process (oldest forgotten first)
_KEPT = 8
_parsed: dict[str, TreeModel] = {}
