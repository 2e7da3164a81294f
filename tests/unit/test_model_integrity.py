"""A model artifact is trusted by its digest and its structure, never by its name: a
corrupted, rewritten or exploding artifact never reaches a transaction's scoring."""

from __future__ import annotations

import io
import json
import time
from typing import Any

import pytest
from aws_lambda_powertools import Metrics

from cardwatch.domain.digest import text_digest
from cardwatch.domain.engine import model_store
from cardwatch.domain.engine.model import MAX_NODES, TreeModel
from cardwatch.domain.engine.model_pointer import SHIPPED, ModelPointer
from cardwatch.domain.engine.model_store import default_model, model_named, trusted_model
from cardwatch.handlers.config import DetectConfig
from cardwatch.handlers.wiring import detect as wiring
from cardwatch.handlers.wiring import reset


def shipped_artifact() -> dict[str, Any]:
    from importlib import resources  # noqa: PLC0415

    text = resources.files("cardwatch.domain").joinpath("data/model.json").read_text("utf-8")
    artifact: dict[str, Any] = json.loads(text)
    artifact["metadata"]["version"] = "m-test"
    return artifact


def exploding(depth: int) -> dict[str, Any]:
    """A small artifact whose splits both lead to the next node: 2**depth paths."""
    artifact = shipped_artifact()
    nodes = depth + 1
    artifact["trees"] = [
        {
            "feature": [0] * depth + [-1],
            "threshold": [1.0] * nodes,
            "missing_left": [True] * nodes,
            "left": [n + 1 for n in range(depth)] + [-1],
            "right": [n + 1 for n in range(depth)] + [-1],
            "value": [0.0] * nodes,
        }
    ]
    return artifact


def _full_trees(artifact: dict[str, Any]) -> None:
    """Under the trees' limit, over the nodes': complete trees of depth 7."""
    nodes = 255
    full = {
        "feature": [0] * 127 + [-1] * 128,
        "threshold": [1.0] * nodes,
        "missing_left": [True] * nodes,
        "left": [2 * n + 1 if n < 127 else -1 for n in range(nodes)],
        "right": [2 * n + 2 if n < 127 else -1 for n in range(nodes)],
        "value": [0.0] * nodes,
    }
    artifact["trees"] = [full] * (MAX_NODES // nodes + 1)


def _first_split(tree: dict[str, Any]) -> int:
    return next(n for n, f in enumerate(tree["feature"]) if f >= 0)


def _last_split(tree: dict[str, Any]) -> int:
    return [n for n, f in enumerate(tree["feature"]) if f >= 0][-1]


#: change -> what it does to the shipped artifact (its first tree: ``t``)
_BREAKS: dict[str, Any] = {
    "child past the tree": lambda a, t: t["right"].__setitem__(
        _first_split(t), len(t["feature"]) + 5
    ),
    "child before its parent": lambda a, t: t["left"].__setitem__(_last_split(t), 0),
    "feature past the features": lambda a, t: t["feature"].__setitem__(0, len(a["features"]) + 3),
    "arrays of different lengths": lambda a, t: t["value"].pop(),
    "features in another order": lambda a, t: a.__setitem__("features", a["features"][::-1]),
    "NaN value": lambda a, t: t["value"].__setitem__(0, float("nan")),
    "infinite value": lambda a, t: t["value"].__setitem__(-1, float("inf")),
    "trees missing": lambda a, t: a.pop("trees"),
    "too many nodes": lambda a, t: _full_trees(a),
}


def broken(change: str) -> str:
    if change == "not JSON":
        return "{not json"
    artifact = shipped_artifact()
    if change == "infinite feature index":
        return json.dumps(artifact).replace('"feature": [', '"feature": [Infinity, ', 1)
    _BREAKS[change](artifact, artifact["trees"][0])
    return json.dumps(artifact)


@pytest.mark.parametrize(
    "change",
    [
        "child past the tree",
        "child before its parent",
        "feature past the features",
        "arrays of different lengths",
        "features in another order",
        "NaN value",
        "trees missing",
        "too many nodes",
        "infinite value",
        "infinite feature index",
        "not JSON",
    ],
)
def test_a_broken_artifact_is_refused_as_a_value_error_naming_why(change: str) -> None:
    with pytest.raises(ValueError, match=r".") as refused:
        trusted_model(broken(change))
    assert str(refused.value)
    if change == "too many nodes":
        assert "nodes" in str(refused.value)


@pytest.mark.parametrize("depth", [16, 40])
def test_an_exploding_artifact_is_refused_at_once(depth: int) -> None:
    started = time.perf_counter()
    with pytest.raises(ValueError, match="reached from two splits"):
        TreeModel.from_artifact(exploding(depth))
    assert time.perf_counter() - started < 0.5


def test_a_rewritten_artifact_is_refused_by_its_digest() -> None:
    text = json.dumps(shipped_artifact())
    store = {"m-test": text}
    assert model_named("m-test", store.__getitem__, text_digest(text)).version == "m-test"
    rewritten = json.loads(text)
    rewritten["baseline"] += 1.0
    store["m-rewritten"] = json.dumps(rewritten | {"metadata": {"version": "m-rewritten"}})
    with pytest.raises(ValueError, match="SHA-256"):
        model_named("m-rewritten", store.__getitem__, text_digest(text))
    with pytest.raises(ValueError, match="no digest"):
        model_named("m-test", store.__getitem__, None)
    assert model_named(SHIPPED, store.__getitem__, None) is default_model()


def test_the_pointer_keeps_each_named_versions_digest_through_its_moves() -> None:
    one, two = "a" * 64, "b" * 64
    pointer = ModelPointer().shadow("m-1", "shadow", "t1", one)
    pointer = pointer.promote("m-1", "promote", "t2")
    assert pointer.digest("m-1") == one
    pointer = pointer.promote("m-2", "promote", "t3", two)
    back = ModelPointer.from_json(pointer.to_json()).rollback("t4")
    assert (back.champion, back.digest("m-1"), back.digest("m-2")) == ("m-1", one, two)
    with pytest.raises(ValueError, match="digests"):
        ModelPointer.from_json(json.dumps({"champion": "m-1", "digests": {"m-1": "nope"}}))


class _Reader:
    def __init__(self, value: str) -> None:
        self.value = value

    def text(self, name: str, max_age: int = 0) -> str:
        return self.value


class _S3:
    def __init__(self, objects: dict[str, str]) -> None:
        self.objects = objects

    def get_object(self, Bucket: str, Key: str) -> dict[str, Any]:  # noqa: N803
        return {"Body": io.BytesIO(self.objects[Key].encode())}


@pytest.mark.parametrize(
    "case", ["child past the tree", "exploding", "rewritten", "no digest", "features"]
)
def test_detect_keeps_the_last_good_model_on_any_failure_and_counts_it(
    monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    good = json.dumps(shipped_artifact())
    bad = {
        "child past the tree": broken("child past the tree"),
        "exploding": json.dumps(exploding(40)),
        "rewritten": good.replace('"baseline":', '"baseline": 0.5, "_":'),
        "no digest": good,
        "features": broken("features in another order"),
    }[case]
    digest = None if case == "no digest" else text_digest(good if case == "rewritten" else bad)
    pointer = ModelPointer().promote("m-test", "test", "t", digest)
    monkeypatch.setattr(model_store, "_parsed", {})  # no model verified in this process yet
    monkeypatch.setattr(wiring, "parameters", lambda: _Reader(pointer.to_json()))
    monkeypatch.setattr(wiring, "client", lambda name: _S3({"models/m-test.json": bad}))
    reset()  # a cold start: no model read in this process yet
    config = DetectConfig("t", "p", "q", "r", model_bucket="b", model_parameter="m")
    metrics = Metrics(namespace="cardwatch-test", service="detect")
    metrics.clear_metrics()
    champion, challenger = wiring.models_in_force(config, metrics)
    assert champion is default_model() and challenger is None
    assert metrics.metric_set["ModelLoadFailed"]["Value"] == [1.0]


def test_a_challenger_that_cannot_be_trusted_leaves_the_champion_scoring(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    good = json.dumps(shipped_artifact())
    bad = broken("child past the tree").replace('"m-test"', '"m-bad"')
    pointer = ModelPointer().promote("m-test", "test", "t", text_digest(good))
    pointer = pointer.shadow("m-bad", "shadow", "t", text_digest(bad))
    objects = {"models/m-test.json": good, "models/m-bad.json": bad}
    monkeypatch.setattr(model_store, "_parsed", {})
    monkeypatch.setattr(wiring, "parameters", lambda: _Reader(pointer.to_json()))
    monkeypatch.setattr(wiring, "client", lambda name: _S3(objects))
    config = DetectConfig("t", "p", "q", "r", model_bucket="b", model_parameter="m")
    metrics = Metrics(namespace="cardwatch-test", service="detect")
    metrics.clear_metrics()
    champion, challenger = wiring.models_in_force(config, metrics)
    assert champion.version == "m-test" and challenger is None
    assert metrics.metric_set["ModelLoadFailed"]["Value"] == [1.0]
