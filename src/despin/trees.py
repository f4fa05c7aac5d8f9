"""A gradient-boosted tree ensemble evaluated with numpy: the word-evidence model at run time.

The ensemble is fitted at build time with scikit-learn's ``HistGradientBoostingClassifier`` and
exported to flat node arrays (:func:`despin.training.word_evidence.export_trees`). Evaluating it here
instead of importing scikit-learn keeps a cold ``despin detect`` fast: ``import sklearn.ensemble``
alone costs about 1.1 s of CPU, and one batch of a page's words through these arrays costs well
under a millisecond.

All trees advance one level per step over a (rows x trees) matrix of node indices, so a page's
words are scored in ``depth`` vectorised steps. Missing values (NaN: a word the decoder did not
search has no search features) follow each node's learned default direction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from despin.errors import ModelError

# Rows evaluated at once: a page's words fit in one chunk; a training table goes chunk by chunk.
CHUNK_ROWS = 4096
_FIELDS = ("feature", "threshold", "left", "right", "value", "leaf", "missing_left")
_DTYPES: dict[str, type] = {
    "feature": np.int64,
    "threshold": np.float64,
    "left": np.int64,
    "right": np.int64,
    "value": np.float64,
    "leaf": bool,
    "missing_left": bool,
}


@dataclass(frozen=True)
class TreeEnsemble:
    """Binary-classification trees over a fixed feature layout.

    All trees' nodes are stored in one set of arrays; ``roots[t]`` is tree t's first node. A leaf's
    ``left`` and ``right`` point to itself, so a row that reached a leaf stays there.

    Args:
        n_features: the width of a row.
        baseline: the raw score before any tree.
        roots: the first node of each tree.
        feature, threshold, left, right, value, leaf, missing_left: per node.
        depth: the deepest tree's depth (steps to evaluate).

    Example:
        >>> def node(threshold, left, right, value, leaf):
        ...     return {"feature": 0, "threshold": threshold, "left": left, "right": right, "value": value,
        ...             "leaf": leaf, "missing_left": True}
        >>> stump = TreeEnsemble.from_nodes(1, 0.0, [[node(0.5, 1, 2, 0.0, False), node(0, 1, 1, -2.0, True),
        ...                                           node(0, 2, 2, 2.0, True)]])
        >>> stump.decision(np.array([[0.0], [1.0], [np.nan]])).tolist()
        [-2.0, 2.0, -2.0]
    """

    n_features: int
    baseline: float
    roots: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray
    leaf: np.ndarray
    missing_left: np.ndarray
    depth: int

    @classmethod
    def from_nodes(cls, n_features: int, baseline: float, trees: Sequence[Sequence[Mapping[str, Any]]]) -> TreeEnsemble:
        """Build from each tree's nodes (indices local to the tree; node 0 is the root)."""
        cols: dict[str, list[Any]] = {f: [] for f in _FIELDS}
        roots: list[int] = []
        depth = 0
        for nodes in trees:
            base = len(cols["feature"])
            roots.append(base)
            for node in nodes:
                for f in _FIELDS:
                    v = node[f]
                    cols[f].append(v + base if f in ("left", "right") else v)
            depth = max(depth, _depth(nodes))
        return cls._from_columns(n_features, baseline, roots, cols, depth)

    @classmethod
    def _from_columns(
        cls, n_features: int, baseline: float, roots: Any, cols: Mapping[str, Any], depth: int
    ) -> TreeEnsemble:
        """The ensemble of flat node columns (lists or arrays), each cast to its dtype."""
        arrays: dict[str, Any] = {f: np.asarray(cols[f], dtype=_DTYPES[f]) for f in _FIELDS}
        return cls(
            n_features=int(n_features),
            baseline=float(baseline),
            roots=np.asarray(roots, dtype=np.int64),
            depth=int(depth),
            **arrays,
        )

    def decision(self, x: np.ndarray) -> np.ndarray:
        """The raw score (log-odds) of each row of ``x``."""
        if x.ndim != 2 or x.shape[1] != self.n_features:
            raise ModelError(f"tree ensemble takes rows of {self.n_features} features, got shape {x.shape}")
        if not len(x):
            return np.zeros(0)
        if len(x) > CHUNK_ROWS:  # bounds the (rows x trees) matrices
            return np.concatenate([self.decision(x[i : i + CHUNK_ROWS]) for i in range(0, len(x), CHUNK_ROWS)])
        nodes = np.broadcast_to(self.roots, (len(x), len(self.roots))).copy()
        rows = np.arange(len(x))[:, None]
        for _ in range(self.depth):
            feat = self.feature[nodes]
            vals = x[rows, feat]
            go_left = np.where(np.isnan(vals), self.missing_left[nodes], vals <= self.threshold[nodes])
            nodes = np.where(go_left, self.left[nodes], self.right[nodes])
        return np.asarray(self.baseline + self.value[nodes].sum(axis=1), dtype=np.float64)

    def probability(self, x: np.ndarray) -> np.ndarray:
        z = np.clip(self.decision(x), -50.0, 50.0)
        return np.asarray(1.0 / (1.0 + np.exp(-z)), dtype=np.float64)

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_features": self.n_features,
            "baseline": self.baseline,
            "depth": self.depth,
            "roots": self.roots.tolist(),
            **{f: getattr(self, f).tolist() for f in _FIELDS},
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TreeEnsemble:
        try:
            return cls._from_columns(d["n_features"], d["baseline"], d["roots"], d, d["depth"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"tree ensemble is malformed: {exc}") from None


def _depth(nodes: Sequence[Mapping[str, Any]]) -> int:
    """The number of steps from the root to the deepest leaf."""
    best = 0
    stack = [(0, 0)]
    while stack:
        i, d = stack.pop()
        node = nodes[i]
        if node["leaf"]:
            best = max(best, d)
            continue
        stack.append((int(node["left"]), d + 1))
        stack.append((int(node["right"]), d + 1))
    return best
