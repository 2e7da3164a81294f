"""The compiled tree scorer walks every tree as the artifact describes it, NaN included."""

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cardwatch.domain.engine.model import TreeModel

WIDTH = 4
values = st.floats(-5, 5, allow_nan=False)
inputs = st.lists(st.one_of(values, st.just(math.nan)), min_size=WIDTH, max_size=WIDTH)


@st.composite
def trees(draw: st.DrawFn) -> dict[str, list[Any]]:
    """A random binary tree in the artifact's node-array layout (node 0 is the root)."""
    tree: dict[str, list[Any]] = {
        key: [] for key in ("feature", "threshold", "missing_left", "left", "right", "value")
    }

    def grow(level: int) -> int:
        node = len(tree["feature"])
        for column in tree.values():
            column.append(0)
        tree["value"][node] = draw(values)
        if level < 5 and draw(st.booleans()):
            tree["feature"][node] = draw(st.integers(0, WIDTH - 1))
            tree["threshold"][node] = draw(st.one_of(values, st.just(math.inf)))
            tree["missing_left"][node] = int(draw(st.booleans()))
            tree["left"][node] = grow(level + 1)
            tree["right"][node] = grow(level + 1)
        else:
            tree["feature"][node] = -1
        return node

    grow(0)
    return tree


def walk(artifact: dict[str, Any], x: list[float]) -> float:
    """The reference reading of the artifact: one node at a time."""
    total = artifact["baseline"]
    for tree in artifact["trees"]:
        node = 0
        while tree["feature"][node] >= 0:
            v = x[tree["feature"][node]]
            if math.isnan(v):
                go_left = bool(tree["missing_left"][node])
            else:
                go_left = v <= tree["threshold"][node]
            node = tree["left"][node] if go_left else tree["right"][node]
        total += tree["value"][node]
    return total


def artifact_of(forest: list[dict[str, list[Any]]], baseline: float = 0.25) -> dict[str, Any]:
    return {
        "format": "cardwatch-gbt/1",
        "features": [f"f{i}" for i in range(WIDTH)],
        "baseline": baseline,
        "trees": forest,
    }


@settings(max_examples=200, deadline=None)
@given(forest=st.lists(trees(), min_size=1, max_size=6), x=inputs)
def test_the_compiled_scorer_matches_a_node_by_node_walk(
    forest: list[dict[str, list[Any]]], x: list[float]
) -> None:
    artifact = artifact_of(forest)
    assert TreeModel.from_artifact(artifact).raw_score(x) == pytest.approx(walk(artifact, x))


def stump(**changes: Any) -> dict[str, Any]:
    tree: dict[str, Any] = {
        "feature": [0, -1, -1],
        "threshold": [1.0, 0.0, 0.0],
        "missing_left": [1, 0, 0],
        "left": [1, 0, 0],
        "right": [2, 0, 0],
        "value": [0.0, -1.0, 1.0],
    }
    tree.update(changes)
    return artifact_of([tree])


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"threshold": ["__import__('os').system('id')", 0.0, 0.0]}, "could not convert"),
        ({"value": [0.0, "1; import os", 1.0]}, "could not convert"),
        ({"feature": ["0]; import os; x[0", -1, -1]}, "invalid literal"),
        ({"threshold": [math.nan, 0.0, 0.0]}, "NaN"),
        ({"feature": [WIDTH, -1, -1]}, "reads feature"),
        # a split that leads back to itself: refused as a tree, before any walk
        ({"feature": [0, 0, -1], "left": [1, 1, 0]}, "outside the tree after it"),
    ],
)
def test_an_artifact_that_is_not_numbers_or_not_a_tree_is_refused(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        TreeModel.from_artifact(stump(**changes))
