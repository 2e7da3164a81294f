"""A gradient-boosted tree ensemble, read from a small JSON artifact, scored in pure Python.

``cardwatch train`` fits the trees with scikit-learn and writes the artifact; the
functions only walk the trees (no numpy, no scikit-learn in Lambda). The artifact keeps,
per node, the split feature (-1 for a leaf), threshold, where missing values go, the
children and the node value, so a score can also be explained: each split on the path
moves the score by the change of node value, credited to that split's feature.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ARTIFACT_FORMAT", "TreeModel"]

ARTIFACT_FORMAT = "cardwatch-gbt/1"

_Tree = tuple[list[int], list[float], list[bool], list[int], list[int], list[float]]


@dataclass(frozen=True, slots=True)
class TreeModel:
    features: tuple[str, ...]
    baseline: float
    trees: tuple[_Tree, ...]
    metadata: dict[str, Any]
    #: Per tree, one tuple per node: the layout the scoring loop reads fastest.
    _flat: tuple[tuple[tuple[int, float, bool, int, int, float], ...], ...] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        flat = tuple(tuple(zip(*tree, strict=True)) for tree in self.trees)
        object.__setattr__(self, "_flat", flat)

    @classmethod
    def from_artifact(cls, artifact: dict[str, Any]) -> TreeModel:
        if artifact.get("format") != ARTIFACT_FORMAT:
            raise ValueError(f"not a {ARTIFACT_FORMAT} model artifact")
        trees = tuple(
            (
                list(map(int, t["feature"])),
                list(map(float, t["threshold"])),
                list(map(bool, t["missing_left"])),
                list(map(int, t["left"])),
                list(map(int, t["right"])),
                list(map(float, t["value"])),
            )
            for t in artifact["trees"]
        )
        return cls(
            tuple(artifact["features"]),
            float(artifact["baseline"]),
            trees,
            dict(artifact.get("metadata", {})),
        )

    @classmethod
    def from_json(cls, text: str) -> TreeModel:
        return cls.from_artifact(json.loads(text))

    def raw_score(self, x: list[float]) -> float:
        total = self.baseline
        for nodes in self._flat:
            split, threshold, missing_left, left, right, value = nodes[0]
            while split >= 0:
                v = x[split]
                if v <= threshold:
                    node = left
                elif v > threshold:
                    node = right
                else:  # NaN: the side the training data's missing values took
                    node = left if missing_left else right
                split, threshold, missing_left, left, right, value = nodes[node]
            total += value
        return total

    def probability(self, x: list[float]) -> float:
        raw = self.raw_score(x)
        if raw < -30:
            return 0.0
        return 1.0 / (1.0 + math.exp(-raw))

    def contributions(self, x: list[float]) -> dict[str, float]:
        """How much each feature moved the raw score (positive: towards fraud)."""
        credit = dict.fromkeys(self.features, 0.0)
        for feature, threshold, missing_left, left, right, value in self.trees:
            node = 0
            while feature[node] >= 0:
                v = x[feature[node]]
                go_left = missing_left[node] if v != v else v <= threshold[node]
                child = left[node] if go_left else right[node]
                credit[self.features[feature[node]]] += value[child] - value[node]
                node = child
        return credit
