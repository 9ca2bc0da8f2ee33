"""Latency models: predict a device's inference latency (ms) from an architecture encoding.

* :class:`AdditiveLatencyModel`: the sum of per-operation, per-position costs plus a constant, fit by
  least squares (the lookup-table model of nn-Meter / HW-NAS-Bench style predictors).
* :class:`InteractionLatencyModel`: the additive model plus a ridge-regularised correction over
  pairwise op interactions and over which edges actually reach the output, its strength chosen by
  generalised cross-validation.
* :class:`CrossDeviceLatencyModel`: learns a low-rank basis of latency over many known devices and
  adapts to a new device from a handful of measured archs.
* :class:`HierarchicalLatencyModel`: a Bayesian linear model over features that carry across hardware,
  with a prior learned from the known devices (one prior mean per hardware family, averaged by
  marginal likelihood), measurement noise and rounding in the fit, and an experimental design
  (:meth:`~HierarchicalLatencyModel.plan`) that chooses which archs to measure.

Like the rest of :mod:`surrogates`, these know arrays (op-index matrices), not search spaces.
Models save to JSON (``to_dict`` / ``from_dict``), never pickles.
"""

from surrogates.latency.adapt import CrossDeviceLatencyModel
from surrogates.latency.additive import AdditiveLatencyModel
from surrogates.latency.evaluate import latency_scores
from surrogates.latency.features import degenerate_mask, edge_reach, live_edges, one_hot, pairwise
from surrogates.latency.interaction import InteractionLatencyModel
from surrogates.latency.prior import HierarchicalLatencyModel
from surrogates.latency.io import load_latency_model, save_latency_model

__all__ = [
    "AdditiveLatencyModel",
    "InteractionLatencyModel",
    "CrossDeviceLatencyModel",
    "HierarchicalLatencyModel",
    "latency_scores",
    "one_hot",
    "edge_reach",
    "live_edges",
    "degenerate_mask",
    "pairwise",
    "save_latency_model",
    "load_latency_model",
]
