"""The learned latency model: the additive model plus a ridge correction over op interactions."""

from __future__ import annotations

import numpy as np

from nasbench.errors import InvalidArchError
from surrogates.latency._ridge import fit_ridge_gcv
from surrogates.latency.additive import AdditiveLatencyModel, NotFittedError, check_target
from surrogates.latency.checks import state_array, state_edges, state_error, state_number
from surrogates.latency.features import check_ops, live_edges, one_hot, pairwise

__all__ = ["InteractionLatencyModel"]


class InteractionLatencyModel:
    """Additive per-(edge, op) costs, then a ridge model of what they miss.

    Stage 1 is :class:`~surrogates.latency.additive.AdditiveLatencyModel`. Stage 2 regresses its
    residuals on (a) the one-hot encoding restricted to *live* edges, those on an input-to-output
    path (a compiler that prunes dead code or folds constants does not run the others), and (b) every
    pair of (edge, op) choices on two different edges (interactions such as a convolution feeding
    another). The stage-2 penalty is chosen by generalised cross-validation, so with too few archs
    the correction shrinks towards zero and the model falls back to the additive one.

    Parameters
    ----------
    n_ops : int
    edges : sequence of (source, target)
        The cell's edges in the column order of ``ops`` (node 0 input, last node output).
    none_op : int, default 0
        The op index that cuts an edge; also the additive model's reference op.

    Attributes
    ----------
    additive_ : AdditiveLatencyModel
    coef_ : ndarray of shape (n_features,)
    intercept_ : float
    alpha_ : float
    """

    kind = "interaction"

    def __init__(self, n_ops: int, edges, none_op: int = 0):
        self.n_ops = n_ops
        self.edges = edges
        self.none_op = none_op

    def _design(self, ops) -> np.ndarray:
        x = one_hot(ops, self.n_ops)
        live = np.repeat(live_edges(ops, self.edges, self.none_op), self.n_ops, axis=1)
        return np.hstack([x * live, pairwise(x, self.n_ops)])

    def fit(self, ops, y) -> InteractionLatencyModel:
        """Fit on ``ops`` (int array of shape (n_archs, n_edges)) and latencies ``y`` (ms, shape (n_archs,))."""
        edges = [tuple(int(v) for v in e) for e in self.edges]
        if not edges or any(len(e) != 2 or e[0] >= e[1] for e in edges):
            raise InvalidArchError(f"edges must be (source, target) pairs with source < target; got {self.edges!r}.")
        additive = AdditiveLatencyModel(self.n_ops, reference_op=self.none_op).fit(ops, y)
        ops = check_ops(ops, self.n_ops, len(edges))
        y = check_target(y, ops.shape[0])
        self.edges = edges
        residual = y - additive.predict(ops)
        w, b, alpha = fit_ridge_gcv(self._design(ops), residual)
        self.additive_, self.coef_, self.intercept_, self.alpha_ = additive, w, b, alpha
        return self

    def predict(self, ops) -> np.ndarray:
        """Predicted latency (ms), float64 of shape (n_archs,)."""
        if not hasattr(self, "coef_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit(ops, y) first.")
        ops = check_ops(ops, self.n_ops, len(self.edges))
        n_edges, k = ops.shape[1], self.n_ops
        d = n_edges * k
        live = live_edges(ops, self.edges, self.none_op)
        cols = np.arange(n_edges) * k + ops  # (n, n_edges): the one-hot column of each edge's op
        out = self.additive_.predict(ops) + self.intercept_
        out += (self.coef_[:d][cols] * live).sum(axis=1)
        # pairwise terms without building the (n, n_pairs) design: gather each pair's coefficient
        rows_, cols_ = np.triu_indices(d, 1)
        keep = rows_ // k != cols_ // k
        weights = np.zeros((d, d))
        weights[rows_[keep], cols_[keep]] = self.coef_[d:]
        for e1 in range(n_edges):
            for e2 in range(e1 + 1, n_edges):
                out += weights[cols[:, e1], cols[:, e2]]
        return out

    def get_state(self) -> tuple[dict, dict]:
        if not hasattr(self, "coef_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit(ops, y) first.")
        params, arrays = self.additive_.get_state()
        return ({"n_ops": self.n_ops, "edges": [list(e) for e in self.edges], "none_op": self.none_op,
                 "intercept_": self.intercept_, "alpha_": self.alpha_, "additive": params},
                {"coef_": self.coef_, "additive.op_costs_": arrays["op_costs_"]})

    @classmethod
    def from_state(cls, params: dict, arrays: dict) -> InteractionLatencyModel:
        """Rebuild a saved model; every field is validated first (DataIntegrityError otherwise)."""
        n_ops = state_number(params, "n_ops", low=2, high=256, integer=True)
        edges = state_edges(params, 256)
        model = cls(n_ops=n_ops, edges=edges,
                    none_op=state_number(params, "none_op", low=0, high=n_ops - 1, integer=True))
        additive = params.get("additive")
        model.additive_ = AdditiveLatencyModel.from_state(additive if isinstance(additive, dict) else {}, arrays,
                                                          key="additive.op_costs_")
        if model.additive_.op_costs_.shape != (len(edges), n_ops) or model.additive_.n_ops != n_ops:
            raise state_error("additive.op_costs_", f"shape ({len(edges)}, {n_ops})", model.additive_.op_costs_.shape)
        d = len(edges) * n_ops
        n_pairs = d * (d - 1) // 2 - len(edges) * n_ops * (n_ops - 1) // 2  # pairs on two different edges
        model.coef_ = state_array(arrays, "coef_", (d + n_pairs,))
        model.intercept_ = float(state_number(params, "intercept_"))
        model.alpha_ = float(state_number(params, "alpha_", low=0))
        return model
