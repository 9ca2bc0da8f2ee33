"""The new-device workflow and the latency reports, on the stored NB201 latency tables.

``plan`` (which archs to measure) -> measure them on the device -> :func:`adapt_device` (predict every
arch, optionally stored as a ``predicted`` device) -> query ``latency_ms@NAME``. The reports
(:func:`family_report`, :func:`device_report`) run the evaluations of :mod:`surrogates.latency` on the
stored tables. Arrays and dicts come back; ``nasbench latency`` prints them.
"""

from __future__ import annotations

import hashlib

import numpy as np

from nasbench.checks import check_int
from nasbench.errors import UnknownNameError

__all__ = ["nb201_cells", "complete_devices", "device_families", "fit_prior", "plan_archs", "adapt_device",
           "fit_on_device", "store_measured", "check_exclude", "family_report", "device_report", "LIKE_KINDS"]

# What a user knows about a new device without measuring it: its kind. The family-holdout report's
# "like" variant passes the other families of the held-out family's kind as --device-like. Phones and
# the Raspberry Pi run ARM CPU cores (TFLite or similar), so a board is "like" the phones.
LIKE_KINDS = {"pascal": "gpu", "turing": "gpu", "xeon": "server cpu", "snapdragon835": "arm cpu",
              "samsung_a50": "arm cpu", "samsung_s7": "arm cpu", "pixel3": "arm cpu", "raspi4": "arm cpu",
              "eyeriss": "accelerator", "fpga": "accelerator"}


def nb201_cells():
    """(ops int64 (15625, 6), edges, meaningful bool (15625,)): NB201 cells and which have a live path."""
    from nasbench.spaces.nb201 import EDGES, ops_table
    from surrogates.latency.features import degenerate_mask

    ops = ops_table().astype(np.int64)
    return ops, EDGES, ~degenerate_mask(ops, EDGES)


def complete_devices(tables, exclude=()) -> list[str]:
    """Devices with a value for every arch (the HELP ones, and complete measured/predicted ones)."""
    return [d for d in tables.devices if tables.info(d).n_archs == tables.n_archs and d not in exclude]


def device_families(tables, devices) -> list[str]:
    """Hardware family of each device (:data:`surrogates.latency.holdout.HELP_FAMILIES`; others their own)."""
    from surrogates.latency.holdout import family_of

    return [family_of(d, tables.info(d).kind)[0] for d in devices]


def fit_prior(tables, exclude=(), like=None):
    """The hierarchical prior fit on the complete devices not excluded.

    Returns
    -------
    (model, devices, like_families)
        The fitted :class:`~surrogates.latency.HierarchicalLatencyModel`, the devices it learned
        from, and the families of the ``like`` devices (None without ``like``).
    """
    from surrogates.latency.prior import HierarchicalLatencyModel

    unknown = [d for d in list(exclude) + list(like or []) if d not in tables.devices]
    if unknown:
        raise UnknownNameError(f"--exclude/--device-like name unknown devices {unknown}; expected among "
                               f"{list(tables.devices)}.")
    devices = complete_devices(tables, exclude=set(exclude))
    if len(devices) < 2:
        raise UnknownNameError("fewer than 2 complete latency devices are left to learn from; exclude fewer devices.")
    families = device_families(tables, devices)
    like_families = None
    if like:
        missing = [d for d in like if d not in devices]
        if missing:
            raise UnknownNameError(f"--device-like devices {missing} are excluded or incomplete; name devices the "
                                   "prior learns from.")
        like_families = sorted({families[devices.index(d)] for d in like})
    ops, edges, meaningful = nb201_cells()
    known, _ = tables.matrix(devices)
    model = HierarchicalLatencyModel(5, edges).fit(ops, known, families, meaningful)
    return model, devices, like_families


def plan_archs(tables, n: int, *, like=None, exclude=(), measured=None) -> dict:
    """The ``n`` NB201 archs to measure next on a new device (greedy I-optimal design under the prior).

    Parameters
    ----------
    measured : int array, optional
        NB201 indices already measured: they inform the design and are not chosen again.

    Returns
    -------
    dict with ``archs`` (NB201 indices in the order chosen), ``arch_strings``, ``n``, ``criterion``,
    ``prior_devices``, ``device_like_families`` and ``already_measured``.
    """
    from nasbench.spaces import get_space

    model, devices, like_families = fit_prior(tables, exclude, like)
    ops, _, meaningful = nb201_cells()
    candidates = np.flatnonzero(meaningful)
    taken = None if measured is None else np.flatnonzero(np.isin(candidates, measured))
    n_free = candidates.size - (0 if taken is None else taken.size)
    n = check_int("--n", n, 1, n_free, error=UnknownNameError,
                  hint=f"{n_free} archs are not yet measured; ask for at most that many.")
    chosen = candidates[model.plan(ops[candidates], n, measured=taken, like=like_families)]
    space = get_space("nb201")
    return {"archs": [int(i) for i in chosen], "arch_strings": [space.from_index(int(i)).string for i in chosen],
            "n": int(n), "criterion": "greedy I-optimal: largest cut in the summed relative predictive "
            "variance of the non-degenerate archs under the hierarchical prior, leaving out the fastest tenth "
            "by the prior mean",
            "prior_devices": list(devices), "device_like_families": like_families,
            "already_measured": 0 if taken is None else int(taken.size)}


def _adapters(tables, model_name, exclude, like, rank, resolution, n_measured):
    """(fit(rows, y), predict(fitted, rows), label, devices) of one adaptation model."""
    ops, _, _ = nb201_cells()
    if model_name == "hierarchical":
        if n_measured < 3:
            raise UnknownNameError(f"--measurements needs at least 3 distinct archs; got {n_measured}.")
        prior, devices, like_families = fit_prior(tables, exclude, like)
        return (lambda rows, y: prior.adapt(ops[rows], y, resolution_ms=resolution, like=like_families),
                lambda fitted, rows: fitted.predict(ops[rows]),
                f"hierarchical ({len(devices)} known devices, resolution {resolution:g} ms)", devices)
    from surrogates.latency import CrossDeviceLatencyModel

    devices = complete_devices(tables, exclude=set(exclude))
    known, _ = tables.matrix(devices)
    basis = CrossDeviceLatencyModel(rank=rank).fit(known)
    return (lambda rows, y: basis.adapt(rows, y), lambda fitted, rows: fitted.predict(rows),
            f"cross_device rank {rank}", devices)


def check_exclude(tables, exclude) -> None:
    """Refuse ``exclude`` naming an unknown device, or leaving no complete device to learn from."""
    unknown = [d for d in exclude if d not in tables.devices]
    if unknown:
        raise UnknownNameError(f"--exclude names unknown devices {unknown}; expected among {list(tables.devices)}.")
    if not complete_devices(tables, exclude=set(exclude)):
        raise UnknownNameError("no complete latency device is left to learn from; exclude fewer devices.")


def adapt_device(tables, indices, y, *, model: str = "hierarchical", like=None, exclude=(), rank: int = 4,
                 resolution_ms: float | None = None) -> dict:
    """Predict every NB201 arch's latency (ms) on a new device from ``y`` measured on ``indices``.

    Parameters
    ----------
    indices : int array of shape (n,)
        NB201 indices of the measured archs (distinct).
    y : float array of shape (n,)
        Their latencies (ms).
    model : {"hierarchical", "cross_device"}
    resolution_ms : float, optional
        Reading resolution; default 1 when every value is a whole number (phones), else 0.

    Returns
    -------
    dict with ``prediction`` (float64 of shape (15625,), clipped below at the smallest measured
    value), ``raw`` (before clipping), ``model`` (the fitted model), ``leave_one_out`` (the
    :func:`~surrogates.latency.latency_scores` of leave-one-out over the measured archs), ``label``,
    ``devices`` (learned from) and ``resolution_ms``.
    """
    from surrogates.latency import latency_scores
    from surrogates.latency.checks import check_latency_column

    check_exclude(tables, exclude)
    resolution = resolution_ms
    if resolution is None:  # whole-millisecond readings (phones) carry rounding noise
        resolution = 1.0 if np.all(y == np.round(y)) else 0.0
    if not resolution >= 0:
        raise UnknownNameError(f"--resolution-ms must be >= 0; got {resolution}.")
    fit, predict, label, devices = _adapters(tables, model, exclude, like, rank, resolution, y.shape[0])
    ops, _, meaningful = nb201_cells()
    loo = np.empty(y.shape[0])  # an honest estimate from the measurements alone
    for i in range(y.shape[0]):
        keep = np.arange(y.shape[0]) != i
        loo[i] = predict(fit(indices[keep], y[keep]), indices[i:i + 1])[0]
    fitted = fit(indices, y)
    raw = predict(fitted, np.arange(ops.shape[0]))
    # A linear model can go below zero for the fastest (degenerate) cells; as the simulator's cost
    # estimate does, clip below at the smallest measured value (the caller reports how many).
    prediction = np.maximum(raw, float(y.min()))
    check_latency_column(prediction, what="the latencies predicted from the measurements",
                         allow_nan=False)  # a wild extrapolation is refused, not stored
    return {"prediction": prediction, "raw": raw, "model": fitted, "label": label, "devices": devices,
            "resolution_ms": resolution, "leave_one_out": latency_scores(y, loo, meaningful[indices])}


def fit_on_device(tables, device: str, n_train: int, *, model: str = "additive", seed: int = 0) -> dict:
    """Fit a per-device model on ``n_train`` random archs of ``device``; score it on the device's other archs.

    Returns
    -------
    dict with ``model`` (fitted), ``train`` (NB201 indices), ``train_archs_sha256`` and ``scores``.
    """
    from nasbench.rng import as_generator
    from surrogates.latency import AdditiveLatencyModel, InteractionLatencyModel, latency_scores

    y_all = np.asarray(tables.column(device))
    ops, edges, meaningful = nb201_cells()
    have = np.flatnonzero(~np.isnan(y_all))
    if not 2 <= n_train < have.size:
        raise UnknownNameError(f"--n-train must be in [2, {have.size - 1}] for {device} ({have.size} archs); "
                               f"got {n_train}.")
    train = np.sort(as_generator(seed).choice(have, size=n_train, replace=False))
    test = np.setdiff1d(have, train)
    fitted = AdditiveLatencyModel(5) if model == "additive" else InteractionLatencyModel(5, edges)
    fitted.fit(ops[train], y_all[train])
    return {"model": fitted, "train": train, "edges": edges,
            "train_archs_sha256": hashlib.sha256(train.astype("<i8").tobytes()).hexdigest(),
            "scores": latency_scores(y_all[test], fitted.predict(ops[test]), meaningful[test])}


def store_measured(name: str, indices, median_ms, provenance: dict, *, device: str, batch_size: int,
                   replace: bool = False):
    """Store measured medians as device ``name`` of the ``measured`` table, added to earlier ones unless ``replace``.

    Returns
    -------
    (directory, n_archs) : where it was stored and how many archs the device now covers.
    """
    from nasbench.benchmarks.latency import load_latency, save_device
    from nasbench.errors import MissingDataError

    try:
        tables = load_latency("nb201")
        earlier = name in tables.devices and tables.info(name).source == "measured"
    except MissingDataError:  # no latency table stored yet: this is the first
        tables, earlier = None, False
    values = np.full(15625, np.nan)
    if earlier and not replace:
        values = np.array(tables.column(name))
    values[np.asarray(indices)] = median_ms
    directory = save_device(name, values, source="measured", kind="gpu" if device == "cuda" else "cpu",
                            batch_size=batch_size, about=f"measured here with PyTorch ({provenance['device_name']})",
                            provenance=provenance, replace=earlier)
    return directory, int(np.sum(~np.isnan(values)))


def family_report(tables, *, shots, models, n_repeats: int = 3, seed: int = 0, like: bool = True,
                  learnable: bool = False, replans: int = 0, progress=None) -> dict:
    """:func:`surrogates.latency.holdout.family_holdout` on every complete device of the tables.

    ``like`` adds the plan-and-adapt run a user who knows the device's kind would do
    (``--device-like`` the other families of its :data:`LIKE_KINDS` kind). ``learnable`` adds the
    :func:`~surrogates.latency.ceilings.learnable_ceiling` of every edge device (minutes; xgboost).
    ``replans`` plans again on that many random halves of the candidates (``family_holdout``).

    Returns
    -------
    dict: the holdout result plus ``families`` (device -> family), ``groups`` (device -> edge/server),
    ``n_meaningful`` and ``n_degenerate``.
    """
    from surrogates.latency.holdout import family_holdout, family_of

    devices = complete_devices(tables)
    table, _ = tables.matrix(devices)
    ops, edges, meaningful = nb201_cells()
    families = device_families(tables, devices)
    groups = {d: family_of(d, tables.info(d).kind)[1] for d in devices}
    result = family_holdout(ops, table, devices, families, meaningful, edges=edges, n_ops=5,
                            resolutions=[tables.info(d).resolution_ms or 0.0 for d in devices], shots=shots,
                            models=models, n_repeats=n_repeats, seed=seed, progress=progress,
                            kinds={f: LIKE_KINDS.get(f, f) for f in families} if like else None,
                            learnable=[d for d in devices if groups[d] == "edge"] if learnable else (),
                            replans=replans)
    return {**result, "families": dict(zip(devices, families)), "groups": groups,
            "n_meaningful": int(meaningful.sum()), "n_degenerate": int((~meaningful).sum())}


def device_report(tables, *, sizes, shots, models, n_repeats: int = 3, seed: int = 0) -> dict:
    """Per-device models by training size, and leave-one-device-out / -hardware-out adaptation."""
    from surrogates.latency.report import adaptation_report, surrogate_report

    devices = complete_devices(tables)
    table, _ = tables.matrix(devices)
    ops, edges, meaningful = nb201_cells()
    sur = surrogate_report(ops, table, devices, meaningful, n_ops=5, edges=edges, sizes=sizes, models=models,
                           n_repeats=n_repeats, seed=seed)
    ada = adaptation_report(table, devices, meaningful, families=device_families(tables, devices), shots=shots,
                            n_repeats=n_repeats, seed=seed)
    return {"surrogates": sur, "adaptation": ada, "devices": devices, "n_meaningful": int(meaningful.sum()),
            "n_degenerate": int((~meaningful).sum()), "n_archs": int(table.shape[0])}
