"""The models detect can score with: the one that ships inside the package
(``domain/data/model.json``) and the ones a registry published, by version.

A published model is loaded only when it can be trusted to score: its artifact's text
has the digest the pointer holds for it, its structure is sound
(:meth:`~cardwatch.domain.engine.model.TreeModel.from_artifact`), it reads the engine's
features in the engine's order, and it scores a probe set (:func:`probe`) with finite
probabilities. Each failure is a ``ValueError`` naming it; detect keeps the last good
model, and the commands refuse to move the pointer."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from functools import cache
from importlib import resources

from cardwatch.domain.digest import text_digest
from cardwatch.domain.engine.features import FEATURES
from cardwatch.domain.engine.model import TreeModel
from cardwatch.domain.engine.model_pointer import SHIPPED

__all__ = ["default_model", "is_shipped", "model_named", "probe", "trusted_model"]

#: How many feature vectors :func:`probe` scores.
PROBES = 64


@cache
def default_model() -> TreeModel:
    """Fitted by ``make model`` on simulated history; ``cardwatch train`` makes your own."""
    text = resources.files("cardwatch.domain").joinpath("data/model.json").read_text("utf-8")
    return TreeModel.from_json(text)


def is_shipped(version: str) -> bool:
    """Whether ``version`` names the model in the package (by either of its names)."""
    return version in {SHIPPED, default_model().version}


def trusted_model(text: str, digest: str | None = None) -> TreeModel:
    """The model in an artifact's ``text``, refused (``ValueError``, naming why) unless its
    text has ``digest`` (when given), its structure is sound, it reads the engine's
    features and it passes :func:`probe`."""
    if digest is not None and text_digest(text) != digest:
        raise ValueError("the artifact's SHA-256 is not the one the pointer holds")
    try:
        model = TreeModel.from_json(text)
    except (KeyError, TypeError, AttributeError, RecursionError, OverflowError) as error:
        raise ValueError(f"not a model artifact ({type(error).__name__}: {error})") from None
    if model.features != FEATURES:
        raise ValueError("fitted on other features than the engine's (or in another order)")
    probe(model)
    return model


def probe(model: TreeModel) -> None:
    """Score a fixed probe set: all missing, all zero, each feature alone very high, and
    random vectors. Every score must be a finite probability and every explanation
    readable; anything else (an exception, NaN) is a ``ValueError``."""
    rng = random.Random(20261205)  # noqa: S311 - a fixed probe set, not a secret
    width = len(model.features)
    vectors: list[list[float]] = [[math.nan] * width, [0.0] * width]
    vectors += [[1e9 if i == j else 0.0 for i in range(width)] for j in range(width)]
    while len(vectors) < PROBES:
        vectors.append([rng.choice((math.nan, rng.uniform(-1e3, 1e6))) for _ in range(width)])
    try:
        for x in vectors:
            score = model.probability(x)
            if not 0.0 <= score <= 1.0:
                raise ValueError(f"scored {score!r}, not a probability")
        model.explain(vectors[-1])
    except ValueError:
        raise
    except Exception as error:
        raise ValueError(f"failed to score the probe set ({type(error).__name__})") from None


def model_named(
    version: str, artifact: Callable[[str], str], digest: str | None = None
) -> TreeModel:
    """The model published as ``version`` with the artifact digest ``digest`` (``artifact``
    reads its text, once per version and digest), trusted as :func:`trusted_model` says,
    or the shipped one under its own names. A published version the pointer holds no
    digest for is refused: re-promote it to record one."""
    if is_shipped(version):
        return default_model()
    if digest is None:
        raise ValueError(f"the pointer holds no digest for {version}: promote it again")
    model = _parsed.get((version, digest))
    if model is None:
        model = trusted_model(artifact(version), digest)
        if model.version != version:
            raise ValueError(f"the artifact published as {version} names itself {model.version}")
        while len(_parsed) >= _KEPT:
            del _parsed[next(iter(_parsed))]
        _parsed[(version, digest)] = model
    return model


#: champion, challenger and a few earlier ones, per process (oldest forgotten first)
_KEPT = 8
_parsed: dict[tuple[str, str], TreeModel] = {}
