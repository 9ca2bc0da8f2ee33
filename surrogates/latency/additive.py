"""The additive latency model: a constant plus one cost per (edge, op), fit by least squares."""

from __future__ import annotations

import numpy as np

from nasbench.checks import check_int
from nasbench.errors import InvalidArchError, NotFittedError
from surrogates.latency._ridge import fit_ridge_gcv
from surrogates.latency.checks import state_array, state_number
from surrogates.latency.features import check_ops, one_hot

__all__ = ["AdditiveLatencyModel", "NotFittedError", "check_target"]


def check_target(y, n: int) -> np.ndarray:
    """Validate latencies: finite, positive, one per arch."""
    y = np.asarray(y, dtype=np.float64)
    if y.shape != (n,):
        raise InvalidArchError(f"latencies must have shape ({n},), one per arch; got {y.shape}.")
    if not np.all(np.isfinite(y)) or np.any(y <= 0):
        raise InvalidArchError("latencies must be finite and positive (ms); got NaN, inf or a value <= 0.")
    return y


class AdditiveLatencyModel:
    """Latency (ms) = intercept + sum over edges of cost[edge, op on that edge].

    The cost of ``reference_op`` is 0 on every edge (the model is otherwise not identifiable). With
    fewer archs than costs, the fit is ridge-regularised, the penalty chosen by generalised
    cross-validation (it goes to plain least squares when the data determine every cost).

    Parameters
    ----------
    n_ops : int
        Number of operations (NB201: 5).
    reference_op : int, default 0
        The op whose cost is fixed at 0 (NB201: ``none``).

    Attributes
    ----------
    op_costs_ : ndarray of shape (n_edges, n_ops)
        Cost in ms of each op on each edge, relative to ``reference_op``.
    intercept_ : float
        Latency in ms of the cell with ``reference_op`` on every edge (the network skeleton).
    alpha_ : float
        The ridge penalty chosen.

    Examples
    --------
    >>> import numpy as np
    >>> ops = np.array([[0, 1], [1, 0], [1, 1], [0, 0]])
    >>> model = AdditiveLatencyModel(n_ops=2).fit(ops, np.array([3.0, 2.0, 4.0, 1.0]))
    >>> np.round(model.predict(np.array([[1, 1]])), 6)
    array([4.])
    """

    kind = "additive"

    def __init__(self, n_ops: int, reference_op: int = 0):
        self.n_ops = n_ops
        self.reference_op = reference_op

    def _design(self, ops) -> np.ndarray:
        x = one_hot(ops, self.n_ops)
        keep = np.arange(x.shape[1]) % self.n_ops != self.reference_op
        return x[:, keep]

    def fit(self, ops, y) -> AdditiveLatencyModel:
        """Fit on ``ops`` (int array of shape (n_archs, n_edges)) and latencies ``y`` (ms, shape (n_archs,))."""
        self.n_ops = check_int("n_ops", self.n_ops, 2, error=InvalidArchError)
        if not 0 <= self.reference_op < self.n_ops:
            raise InvalidArchError(f"reference_op must be in [0, {self.n_ops - 1}]; got {self.reference_op!r}.")
        ops = check_ops(ops, self.n_ops)
        if ops.shape[0] < 2:
            raise InvalidArchError(f"fitting needs at least 2 archs; got {ops.shape[0]}.")
        y = check_target(y, ops.shape[0])
        w, b, alpha = fit_ridge_gcv(self._design(ops), y)
        costs = np.zeros((ops.shape[1], self.n_ops))
        costs[:, [o for o in range(self.n_ops) if o != self.reference_op]] = w.reshape(ops.shape[1], self.n_ops - 1)
        self.op_costs_, self.intercept_, self.alpha_ = costs, b, alpha
        self.n_edges_ = ops.shape[1]
        return self

    def predict(self, ops) -> np.ndarray:
        """Predicted latency (ms), float64 of shape (n_archs,)."""
        if not hasattr(self, "op_costs_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit(ops, y) first.")
        ops = check_ops(ops, self.n_ops, self.n_edges_)
        return self.intercept_ + self.op_costs_[np.arange(self.n_edges_)[None, :], ops].sum(axis=1)

    def get_state(self) -> tuple[dict, dict]:
        """(JSON-able params and scalars, named arrays) for :func:`surrogates.latency.io.save_latency_model`."""
        self.predict(np.zeros((0, getattr(self, "n_edges_", 1)), dtype=np.int64))  # raises if not fitted
        return ({"n_ops": self.n_ops, "reference_op": self.reference_op, "intercept_": self.intercept_,
                 "alpha_": self.alpha_}, {"op_costs_": self.op_costs_})

    @classmethod
    def from_state(cls, params: dict, arrays: dict, *, key: str = "op_costs_") -> AdditiveLatencyModel:
        """Rebuild a saved model; every field is validated first (DataIntegrityError otherwise)."""
        n_ops = state_number(params, "n_ops", low=2, high=256, integer=True)
        model = cls(n_ops=n_ops, reference_op=state_number(params, "reference_op", low=0, high=n_ops - 1,
                                                           integer=True))
        model.op_costs_ = state_array(arrays, key, (None, n_ops))
        model.intercept_ = float(state_number(params, "intercept_"))
        model.alpha_ = float(state_number(params, "alpha_", low=0))
        model.n_edges_ = model.op_costs_.shape[0]
        return model
