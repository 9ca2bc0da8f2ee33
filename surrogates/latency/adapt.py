"""Few-shot latency prediction for a new device from a low-rank basis learned on known devices."""

from __future__ import annotations

import numpy as np

from nasbench.checks import check_int, check_number
from nasbench.errors import InvalidArchError
from surrogates.latency.additive import NotFittedError, check_target
from surrogates.latency.checks import check_latency_column, merge_duplicates, state_array, state_error, state_number

__all__ = ["CrossDeviceLatencyModel"]


class CrossDeviceLatencyModel:
    """Latency on a new device as a linear function of a few latency "factors" shared by all devices.

    :meth:`fit` takes the latency table of the known devices (every arch, several devices), scales each
    device by its median latency, and keeps the top ``rank`` principal components over archs: a few
    numbers per arch that summarise how it runs on hardware in general (the role of HELP's device
    embeddings, here as a closed-form basis). :meth:`adapt` fits ``latency = b + factors @ w`` on the
    handful of archs measured on the new device (ridge with penalty ``alpha`` relative to the factors'
    scale); :meth:`predict` then gives every arch of the table.

    Parameters
    ----------
    rank : int, default 4
        Factors kept; with n measured archs at most ``n - 2`` are used.
    alpha : float, default 1e-3
        Ridge penalty on ``w``, relative to the mean squared factor value.

    Attributes
    ----------
    factors_ : ndarray of shape (n_archs, rank)
        Principal-component scores of every arch (arch = row of the known-device table).
    explained_ : ndarray of shape (rank,)
        Share of the scaled latency variance each factor explains.
    coef_, intercept_ : set by :meth:`adapt`.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> base = rng.uniform(1, 2, size=(200, 1))
    >>> known = base * np.array([[1.0, 2.0, 3.0]])          # three devices, one underlying factor
    >>> model = CrossDeviceLatencyModel(rank=1).fit(known)
    >>> measured = np.arange(10)
    >>> model = model.adapt(measured, 5.0 * base[measured, 0])
    >>> bool(np.allclose(model.predict(np.arange(200)), 5.0 * base[:, 0]))
    True
    """

    kind = "cross_device"

    def __init__(self, rank: int = 4, alpha: float = 1e-3):
        self.rank = rank
        self.alpha = alpha

    def fit(self, known) -> CrossDeviceLatencyModel:
        """Learn the basis from ``known``, latencies (ms) of shape (n_archs, n_devices), no NaN."""
        self.rank = check_int("rank", self.rank, 1, error=InvalidArchError)
        check_number("alpha", self.alpha, 0, finite=False, error=InvalidArchError)
        known = np.asarray(known, dtype=np.float64)
        if known.ndim != 2 or known.shape[1] < 1 or known.shape[0] <= self.rank:
            raise InvalidArchError(
                f"known must have shape (n_archs, n_devices) with n_archs > rank={self.rank}; got {known.shape}."
            )
        if not np.all(np.isfinite(known)) or np.any(known <= 0):
            raise InvalidArchError("known latencies must be finite and positive for every arch and device.")
        scaled = known / np.median(known, axis=0)
        centred = scaled - scaled.mean(axis=0)
        u, s, _ = np.linalg.svd(centred, full_matrices=False)
        rank = min(self.rank, s.shape[0])
        self.factors_ = u[:, :rank] * s[:rank]
        self.explained_ = s[:rank] ** 2 / float(np.sum(s ** 2))
        self.n_archs_ = known.shape[0]
        return self

    def _rows(self, archs) -> np.ndarray:
        archs = np.asarray(archs)
        if archs.ndim != 1 or archs.dtype.kind not in "iu":
            raise InvalidArchError(f"archs must be a 1-D integer array of table rows; got {archs.dtype} {archs.shape}.")
        if archs.size and (archs.min() < 0 or archs.max() >= self.n_archs_):
            raise InvalidArchError(f"arch rows must be in [0, {self.n_archs_ - 1}]; got {archs.min()}..{archs.max()}.")
        return archs.astype(np.int64)

    def adapt(self, archs, y) -> CrossDeviceLatencyModel:
        """Fit the new device from latencies ``y`` (ms, shape (n,)) of the table rows ``archs`` (shape (n,)).

        Latencies must be finite and within :data:`surrogates.latency.checks.LATENCY_RANGE_MS`; an arch
        given twice must carry the same latency (it then counts once), else the call is refused.
        """
        if not hasattr(self, "factors_"):
            raise NotFittedError("fit(known) the cross-device basis before adapt().")
        archs = self._rows(archs)
        y = check_latency_column(check_target(y, archs.shape[0]), what="measured latencies", allow_nan=False)
        archs, y = merge_duplicates(archs, y)  # repeated archs must agree; each counts once
        if archs.shape[0] < 3:
            raise InvalidArchError(f"adapting needs at least 3 distinct measured archs; got {archs.shape[0]}.")
        k = min(self.factors_.shape[1], np.unique(archs).shape[0] - 2)
        f = self.factors_[archs, :k]
        f_mean, y_mean = f.mean(axis=0), float(y.mean())
        fc = f - f_mean
        penalty = self.alpha * float(np.mean(self.factors_[:, :k] ** 2)) * archs.shape[0]
        w = np.linalg.solve(fc.T @ fc + penalty * np.eye(k), fc.T @ (y - y_mean))
        self.coef_ = np.zeros(self.factors_.shape[1])
        self.coef_[:k] = w
        self.intercept_ = y_mean - float(f_mean @ w)
        self.n_measured_ = archs.shape[0]
        return self

    def predict(self, archs) -> np.ndarray:
        """Predicted latency (ms) on the adapted device of table rows ``archs``: float64 of shape (n,)."""
        if not hasattr(self, "coef_"):
            raise NotFittedError("adapt(archs, y) to a device before predict().")
        return self.factors_[self._rows(archs)] @ self.coef_ + self.intercept_

    def get_state(self) -> tuple[dict, dict]:
        if not hasattr(self, "coef_"):
            raise NotFittedError("adapt(archs, y) to a device before saving.")
        return ({"rank": self.rank, "alpha": self.alpha, "intercept_": self.intercept_,
                 "n_measured_": self.n_measured_},
                {"factors_": self.factors_, "explained_": self.explained_, "coef_": self.coef_})

    @classmethod
    def from_state(cls, params: dict, arrays: dict) -> CrossDeviceLatencyModel:
        """Rebuild a saved model; every field is validated first (DataIntegrityError otherwise)."""
        rank = state_number(params, "rank", low=1, high=4096, integer=True)
        model = cls(rank=rank, alpha=state_number(params, "alpha", low=0))
        model.factors_ = state_array(arrays, "factors_", (None, None))
        k = model.factors_.shape[1]
        if k > rank:
            raise state_error("factors_", f"at most rank={rank} columns", k)
        model.explained_ = state_array(arrays, "explained_", (k,))
        model.coef_ = state_array(arrays, "coef_", (k,))
        model.intercept_ = float(state_number(params, "intercept_"))
        model.n_measured_ = state_number(params, "n_measured_", low=3, high=2**62, integer=True)
        model.n_archs_ = model.factors_.shape[0]
        return model
