"""A gradient-boosted tree ensemble, read from a small JSON artifact, scored in pure Python.

``cardwatch train`` fits the trees with scikit-learn and writes the artifact; the
functions only walk the trees (no numpy, no scikit-learn in Lambda). The artifact keeps,
per node, the split feature (-1 for a leaf), threshold, where missing values go, the
children and the node value, so a score can also be explained: each split on the path
moves the score by the change of node value, credited to that split's feature.

For speed the trees are also compiled, once per model, into one Python function of
nested comparisons (one per split), the way model-to-code tools such as m2cgen do. Its
source is written here from numbers only: every feature index and child is read with
``int`` and every threshold and value with ``float``, so an artifact cannot carry code.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

__all__ = ["ARTIFACT_FORMAT", "Push", "TreeModel", "artifact_digest"]

ARTIFACT_FORMAT = "cardwatch-gbt/1"

_Tree = tuple[list[int], list[float], list[bool], list[int], list[int], list[float]]
_Scorer = Callable[[Sequence[float]], float]
#: Deeper trees than this are refused (the compiled function nests one block per level).
MAX_DEPTH = 64
#: More trees, or more nodes in all, than this are refused: what compiling and scoring
#: cost grows with the nodes (the shipped model has 60 trees and 1,740 nodes).
MAX_TREES = 2_000
MAX_NODES = 200_000


def _checked_tree(tree: Mapping[str, Any], width: int) -> _Tree:
    """One tree's arrays, refused unless they make a tree: equal lengths, each split's
    feature within the features, each child after its parent and inside the tree, and
    no node reached twice (two splits sharing a child would make the walk, and the
    compiled function, grow with the number of paths instead of the nodes)."""
    feature = list(map(int, tree["feature"]))
    arrays = (
        feature,
        list(map(float, tree["threshold"])),
        list(map(bool, tree["missing_left"])),
        list(map(int, tree["left"])),
        list(map(int, tree["right"])),
        list(map(float, tree["value"])),
    )
    count = len(feature)
    if count == 0 or any(len(array) != count for array in arrays):
        raise ValueError("a tree's arrays are empty or of different lengths")
    if any(math.isnan(number) for number in arrays[1]) or not all(
        math.isfinite(number) for number in arrays[5]
    ):
        raise ValueError("a tree's threshold is NaN or a value is not finite")
    parents = [0] * count
    for node, index in enumerate(feature):
        if index < 0:
            continue
        if index >= width:
            raise ValueError(f"a split reads feature {index} of {width}")
        for child in (arrays[3][node], arrays[4][node]):
            if not node < child < count:
                raise ValueError(f"node {node} has a child {child} outside the tree after it")
            parents[child] += 1
            if parents[child] > 1:
                raise ValueError(f"node {child} is reached from two splits")
    return arrays


def artifact_digest(artifact: Mapping[str, Any]) -> str:
    """The SHA-256 of an artifact's numbers (features, baseline and trees), hex: what
    names a model whose artifact names no version, and part of a published version."""
    numbers = {key: artifact[key] for key in ("features", "baseline", "trees")}
    return hashlib.sha256(json.dumps(numbers, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class TreeModel:
    features: tuple[str, ...]
    baseline: float
    trees: tuple[_Tree, ...]
    metadata: dict[str, Any]
    #: Names the artifact: its ``metadata.version`` if given, else a digest of its numbers.
    version: str = ""
    _raw_score: _Scorer = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        scorer = _compile(self.baseline, self.trees, len(self.features))
        object.__setattr__(self, "_raw_score", scorer)

    @classmethod
    def from_artifact(cls, artifact: dict[str, Any]) -> TreeModel:
        """The model an artifact holds, refused (ValueError) unless its structure is sound:
        see :func:`_checked_tree`, :data:`MAX_TREES` and :data:`MAX_NODES`."""
        if artifact.get("format") != ARTIFACT_FORMAT:
            raise ValueError(f"not a {ARTIFACT_FORMAT} model artifact")
        features = artifact["features"]
        if not isinstance(features, list) or not all(isinstance(f, str) for f in features):
            raise ValueError("the artifact's features are not a list of names")
        if len(artifact["trees"]) > MAX_TREES:
            raise ValueError(f"more than {MAX_TREES} trees")
        if sum(len(t["feature"]) for t in artifact["trees"]) > MAX_NODES:
            raise ValueError(f"more than {MAX_NODES} nodes")
        trees = tuple(_checked_tree(t, len(features)) for t in artifact["trees"])
        metadata = dict(artifact.get("metadata", {}))
        digest = artifact_digest(artifact)
        return cls(
            tuple(artifact["features"]),
            float(artifact["baseline"]),
            trees,
            metadata,
            str(metadata.get("version") or f"gbt-{digest[:12]}"),
        )

    @classmethod
    def from_json(cls, text: str) -> TreeModel:
        return cls.from_artifact(json.loads(text))

    def raw_score(self, x: Sequence[float]) -> float:
        """The ensemble's log-odds for the feature vector ``x``."""
        return self._raw_score(x)

    def probability(self, x: Sequence[float]) -> float:
        return self.squash(self.raw_score(x))

    @staticmethod
    def squash(raw: float) -> float:
        """The probability of log-odds ``raw`` (how :meth:`probability` reads a score)."""
        if raw < -30:
            return 0.0
        return 1.0 / (1.0 + math.exp(-raw))

    def explain(self, x: Sequence[float]) -> list[Push]:
        """How each feature moved the raw score, by the side of the splits it took.

        Along each tree's path every split moves the score by the change of node value;
        that change is credited to the split's feature and to the side its value took
        (above the threshold, or at or below it). A split the value could not be compared
        with (missing) credits nothing: it says nothing about the transaction.
        """
        pushes: dict[tuple[int, bool], list[float]] = {}
        for feature, threshold, missing_left, left, right, value in self.trees:
            node = 0
            while feature[node] >= 0:
                index = feature[node]
                v = x[index]
                if v != v:
                    node = left[node] if missing_left[node] else right[node]
                    continue
                limit = threshold[node]
                above = v > limit
                child = right[node] if above else left[node]
                entry = pushes.get((index, above))
                if entry is None:
                    pushes[(index, above)] = [value[child] - value[node], limit]
                else:
                    entry[0] += value[child] - value[node]
                    # the tightest bound it passed: the highest below it, the lowest above
                    entry[1] = max(entry[1], limit) if above else min(entry[1], limit)
                node = child
        return [
            Push(self.features[index], above, bound, credit)
            for (index, above), (credit, bound) in pushes.items()
        ]


@dataclass(frozen=True, slots=True)
class Push:
    """What the splits on one side of one feature did to a score."""

    feature: str
    above: bool  # the value was above the splits' thresholds (else at or below them)
    bound: float  # the tightest threshold passed: value > bound, or value <= bound
    credit: float  # the change of log-odds (positive: towards fraud)


def _literal(number: float) -> str:
    number = float(number)
    if math.isnan(number):
        raise ValueError("a model threshold or value is NaN")
    if math.isinf(number):
        return "INF" if number > 0 else "-INF"
    return repr(number)


def _emit_tree(tree: _Tree, width: int, lines: list[str]) -> None:
    feature, threshold, missing_left, left, right, value = tree
    pending = [(0, 1)]  # (node, depth); children are emitted depth first, left before right
    while pending:
        node, depth = pending.pop()
        pad = "    " * depth
        if depth > MAX_DEPTH:
            raise ValueError(f"a tree is deeper than {MAX_DEPTH} levels")
        if node < 0:  # the "else:" between a left and a right subtree
            lines.append(f"{pad[4:]}else:")
            continue
        if feature[node] < 0:
            lines.append(f"{pad}total += {_literal(value[node])}")
            continue
        index = int(feature[node])
        if index >= width:
            raise ValueError(f"a split reads feature {index} of {width}")
        x, limit = f"x{index}", _literal(threshold[node])
        # A NaN fails every comparison: "not x > t" sends it left, "x <= t" right.
        test = f"not {x} > {limit}" if missing_left[node] else f"{x} <= {limit}"
        lines.append(f"{pad}if {test}:")
        pending += [(int(right[node]), depth + 1), (-1, depth + 1), (int(left[node]), depth + 1)]


def _compile(baseline: float, trees: Sequence[_Tree], width: int) -> _Scorer:
    lines = ["def raw_score(x):", f"    total = {_literal(baseline)}"]
    if width:  # every feature in a local first: reading a local is cheaper than x[i]
        lines.append(f"    {', '.join(f'x{i}' for i in range(width))}, = x")
    for tree in trees:
        _emit_tree(tree, width, lines)
    lines.append("    return total")
    namespace: dict[str, Any] = {"__builtins__": {}, "INF": math.inf}
    code = compile("\n".join(lines), "<cardwatch-gbt>", "exec")
    exec(code, namespace)  # noqa: S102 - source made of numeric literals only (see above)
    return cast(_Scorer, namespace["raw_score"])
