"""Learning-curve model: whole curves from architecture features.

Curves of many archs share their shape, so a few components describe them: the model centres the
training curves (n, T), keeps the top ``n_components`` right singular vectors (principal
components of the curves), and fits one XGBoost regressor per component score. A prediction is
``mean_curve + scores @ components``: a curve of T values per arch, smooth by construction.
Saved as xgboost JSON files plus ``curve.json`` (mean curve, components); no pickles.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from nasbench.errors import DataIntegrityError, MissingDataError
from surrogates.forest import compile_models
from surrogates.xgb import XGBSurrogate, _check_Xy, check_is_fitted

__all__ = ["CurveModel", "CURVE_FORMAT", "CURVE_FORMAT_VERSION"]

CURVE_FORMAT = "nasbench-curve-model"
CURVE_FORMAT_VERSION = 1


class CurveModel:
    """Predict a learning curve (T values) per arch from features.

    Parameters
    ----------
    n_components : int
        Principal components of the curves that are modelled (the rest is dropped).
    params : dict, optional
        XGBoost hyperparameters of each component's regressor.
    seed : int

    Attributes
    ----------
    mean_ : ndarray of float64, shape (T,)
    components_ : ndarray of float64, shape (n_components, T)
    explained_ : float
        Share of the training curves' variance the kept components explain.
    models_ : list of XGBSurrogate
    """

    def __init__(self, n_components: int = 6, params: dict | None = None, seed: int = 0):
        self.n_components = n_components
        self.params = params
        self.seed = seed

    def fit(self, X, curves) -> CurveModel:
        """Fit on features ``X`` (n, d) and finite curves (n, T); returns self."""
        curves = np.asarray(curves, dtype=np.float64)
        if curves.ndim != 2 or not np.isfinite(curves).all():
            raise ValueError(f"curves must be a finite 2-D array (n_archs, n_epochs); got shape {curves.shape}")
        X, _ = _check_Xy(X, curves[:, 0])
        k = int(self.n_components)
        if not 1 <= k <= min(curves.shape):
            raise ValueError(f"n_components must be in [1, {min(curves.shape)}]; got {self.n_components!r}")
        self.mean_ = curves.mean(axis=0)
        _, sing, vt = np.linalg.svd(curves - self.mean_, full_matrices=False)
        self.components_ = vt[:k]
        self.explained_ = float((sing[:k] ** 2).sum() / max((sing**2).sum(), 1e-300))
        scores = (curves - self.mean_) @ self.components_.T
        seeds = np.random.SeedSequence(int(self.seed)).generate_state(k)
        self.models_ = [XGBSurrogate(self.params, seed=int(s % (2**31 - 1))).fit(X, scores[:, j])
                        for j, s in enumerate(seeds)]
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X) -> np.ndarray:
        """Predicted curves, float64 of shape (n, T)."""
        check_is_fitted(self, "models_")
        scores = np.stack([m.predict(X) for m in self.models_], axis=1)
        return self.mean_ + scores @ self.components_

    def save(self, directory, metadata: dict | None = None) -> Path:
        check_is_fitted(self, "models_")
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        files = []
        for j, m in enumerate(self.models_):
            name = f"component_{j}.json"
            (directory / name).write_bytes(m.booster_json_)
            files.append({"name": name, "sha256": hashlib.sha256(m.booster_json_).hexdigest()})
        doc = {"format": CURVE_FORMAT, "format_version": CURVE_FORMAT_VERSION, "n_features": self.n_features_in_,
               "params": self.params, "seed": int(self.seed), "explained_variance": self.explained_,
               "mean": self.mean_.tolist(), "components": self.components_.tolist(), "files": files,
               **(metadata or {})}
        (directory / "curve.json").write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        return directory

    @classmethod
    def load(cls, directory) -> tuple[CurveModel, dict]:
        directory = Path(directory)
        path = directory / "curve.json"
        if not path.is_file():
            raise MissingDataError(f"no learning-curve model at {directory} (curve.json not found).")
        doc = json.loads(path.read_text(encoding="utf-8"))
        if doc.get("format") != CURVE_FORMAT or not isinstance(doc.get("format_version"), int) \
                or doc["format_version"] > CURVE_FORMAT_VERSION:
            raise DataIntegrityError(
                f"{path} has format {doc.get('format')!r} version {doc.get('format_version')!r}; this nasbench "
                f"reads {CURVE_FORMAT!r} up to version {CURVE_FORMAT_VERSION}. Upgrade nasbench or re-fit."
            )
        model = cls(n_components=len(doc["components"]), params=doc["params"], seed=doc["seed"])
        model.mean_ = np.asarray(doc["mean"], dtype=np.float64)
        model.components_ = np.asarray(doc["components"], dtype=np.float64)
        model.explained_ = doc["explained_variance"]
        model.n_features_in_ = doc["n_features"]
        model.models_ = []
        for entry in doc["files"]:
            blob = (directory / entry["name"]).read_bytes()
            if hashlib.sha256(blob).hexdigest() != entry["sha256"]:
                raise DataIntegrityError(f"{directory / entry['name']} does not match its sha256; re-fit the model.")
            m = XGBSurrogate(doc["params"])
            m.booster_json_, m.n_features_in_ = blob, doc["n_features"]
            m.forest_ = compile_models([blob], doc["n_features"])
            model.models_.append(m)
        return model, doc
