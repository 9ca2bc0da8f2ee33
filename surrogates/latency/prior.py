"""A hierarchical Bayesian latency model: a prior over per-feature costs learned from known devices.

Every known device ``d`` gets weights ``w_d`` over :func:`~surrogates.latency.features.cell_features`
(relative least squares on its latencies divided by their median). A new device's weights are then
``w = c * (m + delta)``: ``c`` its unknown speed, ``m`` a prior mean (the family-weighted mean of the
known devices, or the mean of one known family), ``delta ~ N(0, tau^2 Sigma)`` with ``Sigma`` the
family-weighted spread of the known devices' weights (plus a diagonal floor, so a device may differ
in directions no known device shows). Measurements carry relative noise ``sigma``, Student-t with
:data:`NU` degrees of freedom (heavy tails: an arch no linear cost model explains is down-weighted,
not fit), and, where the device rounds (whole-millisecond phones), the rounding variance
``resolution^2 / 12``.

:meth:`HierarchicalLatencyModel.adapt` fits ``tau`` and ``sigma`` by marginal likelihood on the
measured archs alone and averages the posteriors of the prior means (one per known family, and the
global one) and of the diagonal floors (:data:`FLOORS`: 10 % or 100 % of each feature's spread) by
their marginal likelihoods (Bayesian model averaging): a new phone that behaves like a known one is
pulled towards it, and a device unlike any known one gets room to differ.
:meth:`~HierarchicalLatencyModel.plan` chooses the archs to measure by greedy I-optimal design:
each step takes the arch whose measurement most reduces the summed relative predictive variance over
the candidate archs under the prior (all but the fastest tenth, :data:`PLAN_SKIP_FASTEST`).
"""

from __future__ import annotations

import numpy as np

from nasbench.checks import check_int, check_number
from nasbench.errors import DataIntegrityError, InvalidArchError
from surrogates.latency.additive import NotFittedError, check_target
from surrogates.latency.checks import check_latency_column, state_array, state_edges, state_error, state_number
from surrogates.latency.features import CELL_FEATURES_VERSION, cell_features, check_ops

__all__ = ["HierarchicalLatencyModel", "TAUS", "SIGMAS", "FLOORS", "NU", "PLAN_SKIP_FASTEST"]

TAUS = (0.25, 0.5, 1.0, 2.0, 4.0)  # prior spread multipliers tried by marginal likelihood
SIGMAS = (0.01, 0.03, 0.1)  # relative measurement noise levels tried by marginal likelihood
_FLOOR = 0.1  # diagonal floor of Sigma (cov_), relative to each feature's own spread across devices
# Floors tried by marginal likelihood when adapting: a device unlike every known one (HW-NAS-Bench's
# Raspberry Pi 4) needs room in directions the known devices barely vary in.
FLOORS = (_FLOOR, 1.0)
# plan() leaves out the fastest tenth of the candidates (by the prior mean). Relative units make their
# predictive variance the largest, so an I-optimal design measures them first, yet they are the
# near-empty cells whose latency is fixed overhead and compiler effects the linear cost model does not
# describe. Planning on random halves of HELP's candidates (11 halves, 20 archs, --device-like), the
# share within +-10 % rose on raspi4 0.39 -> 0.53, samsung_s7 0.64 -> 0.70 and held elsewhere (+-0.02).
PLAN_SKIP_FASTEST = 0.1
# Measurement noise is Student-t with NU degrees of freedom (the robust default of Lange, Little and Taylor,
# 1989), fit by ROBUST_STEPS reweighting steps: a few archs that no linear cost model of the cell explains
# (compiler effects, a slow run) no longer pull the whole fit (HW-NAS-Bench's Pixel 3 from 50 planned archs:
# 59.5 % within +-10 % with normal noise, 75.9 % with Student-t).
NU = 4.0
ROBUST_STEPS = 5


class HierarchicalLatencyModel:
    """Few-shot latency of a new device under a prior learned from known devices.

    Parameters
    ----------
    n_ops : int
    edges : sequence of (source, target)
    none_op : int, default 0

    Attributes
    ----------
    device_coef_ : ndarray of shape (n_devices, n_features)
        Weights of each known device, in units of its median latency.
    components_ : ndarray of shape (n_components, n_features)
        Prior means: row 0 the family-weighted mean, then one row per known family.
    component_names_ : list of str
    cov_ : ndarray of shape (n_features, n_features)
        Prior covariance ``Sigma`` of the weights (in units of the device's speed).
    coef_ : ndarray of shape (n_features,)
        After :meth:`adapt`: the posterior-mean weights (ms) of the new device.
    weights_ : ndarray of shape (n_components,)
        After :meth:`adapt`: posterior probability of each prior mean.
    """

    kind = "hierarchical"

    def __init__(self, n_ops: int, edges, none_op: int = 0):
        self.n_ops = n_ops
        self.edges = edges
        self.none_op = none_op

    def features(self, ops) -> np.ndarray:
        """:func:`cell_features` of ``ops``: float64 of shape (n_archs, n_features)."""
        return cell_features(ops, self.edges, self.n_ops, self.none_op)

    def fit(self, ops, known, families, meaningful=None, *, device_coef=None) -> HierarchicalLatencyModel:
        """Learn the prior from ``known`` latencies (ms) of shape (n_archs, n_devices) on ``ops``.

        Parameters
        ----------
        ops : int array of shape (n_archs, n_edges)
        known : float array of shape (n_archs, n_devices)
            Finite and positive where ``meaningful``.
        families : sequence of str, length n_devices
            Hardware family of each device: devices of one family share one family's weight in the prior.
        meaningful : bool array of shape (n_archs,), optional
            Archs the device weights are fit on (default all); leave out cells a compiler removes.
        device_coef : float array of shape (n_devices, n_features), optional
            The devices' weights from an earlier fit (``device_coef_``), to skip refitting them in
            leave-one-family-out loops.
        """
        ops = check_ops(ops, self.n_ops, len(self.edges))
        known = np.asarray(known, dtype=np.float64)
        if known.ndim != 2 or known.shape[0] != ops.shape[0] or known.shape[1] < 1:
            raise InvalidArchError(f"known must have shape ({ops.shape[0]}, n_devices); got {known.shape}.")
        families = [str(f) for f in families]
        if len(families) != known.shape[1]:
            raise InvalidArchError(f"families must name each of the {known.shape[1]} devices; got {len(families)}.")
        mask = np.ones(ops.shape[0], dtype=bool) if meaningful is None else np.asarray(meaningful, dtype=bool)
        x = self.features(ops[mask])
        if x.shape[0] < x.shape[1]:
            raise InvalidArchError(f"fitting the prior needs at least {x.shape[1]} archs; got {x.shape[0]}.")
        y = known[mask]
        if not np.all(np.isfinite(y)) or np.any(y <= 0):
            raise InvalidArchError("known latencies must be finite and positive for every meaningful arch and device.")
        if device_coef is not None:
            coef = np.asarray(device_coef, dtype=np.float64)
            if coef.shape != (known.shape[1], x.shape[1]) or not np.all(np.isfinite(coef)):
                raise InvalidArchError(f"device_coef must be finite of shape {(known.shape[1], x.shape[1])}; got "
                                       f"{coef.shape}.")
        else:
            coef = self._device_weights(x, y)
        self._set_prior(coef, families)
        self.edges = [tuple(int(v) for v in e) for e in self.edges]
        return self

    @staticmethod
    def _device_weights(x, y) -> np.ndarray:
        """Relative least-squares weights of each column of ``y`` (n, n_devices) on ``x`` (n, p), in median units."""
        coef = np.empty((y.shape[1], x.shape[1]))
        eye = 1e-6 * np.eye(x.shape[1])
        for j in range(y.shape[1]):
            yn = y[:, j] / np.median(y[:, j])
            a = x / yn[:, None]  # relative least squares: each arch's error counted relative to its latency
            coef[j] = np.linalg.solve(a.T @ a + eye, a.T @ np.ones(yn.shape[0]))
        return coef

    def _set_prior(self, coef, families) -> None:
        names = sorted(set(families))
        share = np.array([1.0 / families.count(f) for f in families]) / len(names)
        mean = share @ coef
        spread = coef - mean
        cov = (spread * share[:, None]).T @ spread
        cov += _FLOOR * np.diag(np.diag(cov)) + 1e-9 * np.eye(cov.shape[0])
        self.device_coef_, self.cov_ = coef, cov
        self.components_ = np.vstack([mean] + [coef[[f == name for f in families]].mean(axis=0) for name in names])
        self.component_names_ = ["all"] + names

    def _check_fitted(self, what: str = "fit(ops, known, families) first") -> None:
        if not hasattr(self, "cov_"):
            raise NotFittedError(f"this {type(self).__name__} has no prior yet; {what}.")

    def _components(self, like) -> list[int]:
        if like is None:
            return list(range(len(self.component_names_)))
        unknown = [f for f in like if f not in self.component_names_[1:]]
        if unknown or not like:
            raise InvalidArchError(f"unknown families {unknown}; expected among {self.component_names_[1:]}.")
        return [self.component_names_.index(f) for f in like]

    def adapt(self, ops, y, *, resolution_ms: float = 0.0, like=None) -> HierarchicalLatencyModel:
        """Posterior of a new device from latencies ``y`` (ms, shape (n,)) of the archs ``ops`` (n, n_edges).

        Parameters
        ----------
        resolution_ms : float
            The device's reading resolution (1.0 for whole milliseconds; 0 when finer than noise).
        like : sequence of str, optional
            Known families the device resembles: only their prior means are averaged over.
        """
        self._check_fitted()
        ops = check_ops(ops, self.n_ops, len(self.edges))
        y = check_latency_column(check_target(y, ops.shape[0]), what="measured latencies", allow_nan=False)
        if ops.shape[0] < 3:
            raise InvalidArchError(f"adapting needs at least 3 measured archs; got {ops.shape[0]}.")
        resolution_ms = check_number("resolution_ms", resolution_ms, 0, error=InvalidArchError)
        x = self.features(ops)
        rounding = resolution_ms ** 2 / 12.0
        comps = self._components(like)
        spread = (np.diag(self.cov_) - 1e-9) / (1.0 + _FLOOR)  # each feature's own spread across devices
        priors = []  # (Sigma with each floor, x Sigma x^T): the same for every reweighting step
        for floor in FLOORS:
            cov = self.cov_ + np.diag((floor - _FLOOR) * spread)
            priors.append((cov, x @ cov @ x.T))
        self._average(x, y, np.ones(y.shape[0]), rounding, comps, SIGMAS, priors)
        sigma = self.sigma_
        for _ in range(ROBUST_STEPS):
            # Student-t noise as a scale mixture of normals: each measurement's noise variance is divided
            # by its expected precision 1 / (1 + e^2 / nu) given its standardised residual e. sigma stays
            # at the Gaussian pass's choice: re-choosing it on reweighted data can spiral (a few
            # down-weighted archs make a larger sigma likely, which down-weights more).
            e = (y - x @ self.coef_) / np.sqrt((sigma * y) ** 2 + rounding)
            self._average(x, y, 1.0 / (1.0 + e ** 2 / NU), rounding, comps, (sigma,), priors)
        self.n_measured_ = int(y.shape[0])
        return self

    def _average(self, x, y, precision, rounding, comps, sigmas, priors) -> None:
        """Posterior-mean weights averaged over prior means and floors by marginal likelihood (sets coef_ ...).

        ``precision`` (shape (n,), in (0, 1]) divides each measurement's noise variance; ``priors`` holds
        one ``(Sigma, x Sigma x^T)`` per floor of :data:`FLOORS`.
        """
        fits = []  # (component, (log_ml, coef, tau, sigma)) for every floor: averaged jointly below
        for cov, k0 in priors:
            # whiten the noise of each sigma once: every prior mean and tau then costs O(n^2)
            spectra = []
            for sigma in sigmas:
                noise = np.sqrt(((sigma * y) ** 2 + rounding) / precision)
                vals, vecs = np.linalg.eigh(k0 / np.outer(noise, noise))
                spectra.append((sigma, noise, np.clip(vals, 0.0, None), vecs))
            fits += [(c, self._fit_component(x, y, spectra, self.components_[c], cov)) for c in comps]
        log_ml = np.array([f[1][0] for f in fits])
        weights = np.exp(log_ml - log_ml.max())
        weights /= weights.sum()
        self.coef_ = sum(w * f[1][1] for w, f in zip(weights, fits))
        self.weights_ = np.zeros(len(self.component_names_))
        np.add.at(self.weights_, [c for c, _ in fits], weights)
        best = fits[int(np.argmax(weights))][1]
        self.tau_, self.sigma_ = best[2], best[3]

    def _fit_component(self, x, y, spectra, mean, cov):
        """(log marginal likelihood, posterior-mean weights, tau, sigma) of one prior mean, best over the grid.

        ``spectra`` holds, per sigma, the noise and the eigen-decomposition of ``x cov x^T`` whitened by it.
        """
        m = x @ mean
        scale = float(np.sum(m / y) / np.sum((m / y) ** 2))  # relative least squares of y on c * m
        scale = scale if scale > 0 else float(np.median(y / m))
        resid = y - scale * m
        best = None
        for sigma, noise, vals, vecs in spectra:
            r = vecs.T @ (resid / noise)
            log_det_noise = float(np.sum(np.log(noise)))
            for tau in TAUS:
                d = (scale * tau) ** 2 * vals + 1.0
                log_ml = -0.5 * float(np.sum(r ** 2 / d)) - 0.5 * float(np.sum(np.log(d))) - log_det_noise
                if best is None or log_ml > best[0]:
                    best = (log_ml, tau, sigma, noise, vecs, r / d)
        log_ml, tau, sigma, noise, vecs, r_d = best
        alpha = (vecs @ r_d) / noise  # (K + R)^-1 (y - scale * m)
        coef = scale * mean + (scale * tau) ** 2 * (cov @ (x.T @ alpha))
        return log_ml, coef, tau, sigma

    def predict(self, ops) -> np.ndarray:
        """Predicted latency (ms) of the adapted device: float64 of shape (n_archs,)."""
        if not hasattr(self, "coef_"):
            raise NotFittedError("adapt(ops, y) to a device before predict().")
        return self.features(ops) @ self.coef_

    def plan(self, ops, n: int, *, measured=None, like=None, sigma: float = 0.03) -> np.ndarray:
        """Rows of ``ops`` to measure next: greedy I-optimal design under the prior, over all candidates but
        the fastest :data:`PLAN_SKIP_FASTEST` by the prior mean (when enough others remain).

        Parameters
        ----------
        ops : int array of shape (n_candidates, n_edges)
            Candidate archs (leave out cells whose latency is meaningless, e.g. ones a compiler removes).
        n : int
            How many to choose.
        measured : int array, optional
            Rows of ``ops`` already measured: they inform the design and are not chosen again.
        like : sequence of str, optional
            Known families the device resembles: the prior mean is theirs.
        sigma : float
            Relative measurement noise assumed.

        Returns
        -------
        ndarray of int64, shape (n,): candidate rows in the order chosen.
        """
        self._check_fitted()
        x = self.features(ops)
        measured = np.zeros(0, dtype=np.int64) if measured is None else np.asarray(measured)
        if measured.ndim != 1 or (measured.size and (measured.dtype.kind not in "iu" or measured.min() < 0
                                                     or measured.max() >= x.shape[0]
                                                     or np.unique(measured).size < measured.size)):
            raise InvalidArchError(f"measured must be distinct rows of ops, integers in [0, {x.shape[0] - 1}]; got "
                                   f"{np.array2string(measured, threshold=6)}.")
        measured = measured.astype(np.int64)
        n = check_int("n", n, 1, x.shape[0] - measured.size, error=InvalidArchError,
                      hint="The upper bound counts the candidates not yet measured.")
        idx = self._components(like)
        mean = self.components_[idx].mean(axis=0)
        m = x @ mean
        if np.any(m <= 0):  # the prior mean must predict a positive latency for a relative design
            m = np.maximum(m, np.quantile(m[m > 0], 0.01))
        rows = self._design_rows(m, n, measured)
        return rows[self._greedy(x[rows] / m[rows, None], n, np.searchsorted(rows, measured), sigma)]

    @staticmethod
    def _design_rows(m, n: int, measured) -> np.ndarray:
        """Sorted candidate rows the design may use: all but the fastest :data:`PLAN_SKIP_FASTEST` by the prior
        mean ``m`` (shape (n_candidates,)), keeping the ``measured`` rows and at least ``n`` others."""
        skip = min(int(PLAN_SKIP_FASTEST * m.shape[0]), m.shape[0] - n - measured.size)
        fastest = np.argsort(m, kind="stable")[:max(skip, 0)]
        keep = np.ones(m.shape[0], dtype=bool)
        keep[fastest] = False
        keep[measured] = True
        return np.flatnonzero(keep)

    def _greedy(self, xs, n: int, measured, sigma: float) -> np.ndarray:
        """The greedy I-optimal design over relative features ``xs`` (n_candidates, p): rows in the order chosen."""
        target = xs.T @ xs / xs.shape[0]
        # Keep u = xs @ cov and v = u @ target up to date with rank-one updates: O(n p) per step.
        from scipy.linalg.blas import dger  # in-place rank-one updates: no (n, p) temporaries per step

        cov = self.cov_.copy()
        u = np.asfortranarray(xs @ cov)
        v = np.asfortranarray(u @ target)
        taken = np.zeros(xs.shape[0], dtype=bool)
        chosen = []
        for i in list(measured.tolist()) + [None] * n:
            if i is None:
                gain = np.einsum("ij,ij->i", v, u) / (np.einsum("ij,ij->i", u, xs) + sigma ** 2)
                gain[taken] = -np.inf
                i = int(np.argmax(gain))
                chosen.append(i)
            taken[i] = True
            c = cov @ xs[i]
            den = float(xs[i] @ c) + sigma ** 2
            xc = xs @ c
            cov -= np.outer(c, c) / den
            u = dger(-1.0 / den, xc, c, a=u, overwrite_a=True)
            v = dger(-1.0 / den, xc, target @ c, a=v, overwrite_a=True)
        return np.array(chosen, dtype=np.int64)

    def get_state(self) -> tuple[dict, dict]:
        if not hasattr(self, "coef_"):
            raise NotFittedError("adapt(ops, y) to a device before saving.")
        return ({"n_ops": self.n_ops, "edges": [list(e) for e in self.edges], "none_op": self.none_op,
                 "features_version": CELL_FEATURES_VERSION,
                 "component_names_": list(self.component_names_), "tau_": self.tau_, "sigma_": self.sigma_,
                 "n_measured_": self.n_measured_},
                {"coef_": self.coef_, "components_": self.components_, "cov_": self.cov_, "weights_": self.weights_,
                 "device_coef_": self.device_coef_})

    @classmethod
    def from_state(cls, params: dict, arrays: dict) -> HierarchicalLatencyModel:
        """Rebuild a saved model; every field is validated first (DataIntegrityError otherwise)."""
        if params.get("features_version") != CELL_FEATURES_VERSION:
            raise DataIntegrityError(
                f"saved latency model: its weights are over cell features version {params.get('features_version')!r}"
                f"; this nasbench uses version {CELL_FEATURES_VERSION}. Adapt the device again (nasbench latency "
                "adapt) and save the new model.")
        n_ops = state_number(params, "n_ops", low=2, high=256, integer=True)
        edges = state_edges(params, 64)
        names = params.get("component_names_")
        if not isinstance(names, list) or not names or not all(isinstance(v, str) for v in names):
            raise state_error("component_names_", "a non-empty list of str", names)
        model = cls(n_ops, [tuple(e) for e in edges], none_op=state_number(params, "none_op", low=0,
                                                                           high=n_ops - 1, integer=True))
        p = model.features(np.zeros((1, len(edges)), dtype=np.int64)).shape[1]
        model.coef_ = state_array(arrays, "coef_", (p,))
        model.components_ = state_array(arrays, "components_", (len(names), p))
        model.cov_ = state_array(arrays, "cov_", (p, p))
        model.weights_ = state_array(arrays, "weights_", (len(names),))
        model.device_coef_ = state_array(arrays, "device_coef_", (None, p))
        model.component_names_ = names
        model.tau_ = float(state_number(params, "tau_", low=0))
        model.sigma_ = float(state_number(params, "sigma_", low=0))
        model.n_measured_ = state_number(params, "n_measured_", low=3, high=2**62, integer=True)
        return model


