"""A small PyTorch MLP ensemble surrogate with scikit-learn-style fit/predict, served in numpy.

:class:`MLPSurrogate` trains ``n_members`` fully connected ReLU networks on standardised features
and targets (mean squared error, AdamW, mini-batches, cosine learning-rate decay). The members
differ only in their initial weights and batch order, both drawn from one private
``torch.Generator`` per member (the global torch and numpy RNGs are never touched), so a seed
gives the same weights on every run on CPU. The mean prediction is the members' average; a seeded
:meth:`~MLPSurrogate.sample` returns a random member's prediction plus ``noise_std`` Gaussian
noise, like :class:`surrogates.BaggedXGBSurrogate`.

torch is needed to fit and to load a saved model (``torch.load(..., weights_only=True)`` of plain
tensors); the weights are then exported to numpy arrays and predictions are computed in numpy
(float64), so serving never calls torch. :meth:`~MLPSurrogate.predict_torch` runs torch's own
forward for checking.
"""

from __future__ import annotations

import hashlib
import io
import math

import numpy as np

from nasbench.checks import check_int, check_number, is_int
from nasbench.errors import DataIntegrityError
from nasbench.rng import as_generator, child_seed
from surrogates.fit import SurrogateConfigError
from surrogates.xgb import NotFittedError, _check_Xy, check_is_fitted

__all__ = ["DEFAULT_MLP_PARAMS", "MLP_FILE", "MLP_KIND", "MLP_VERSION", "MLPSurrogate"]

# Chosen on nb201/cifar10 test_acc@200, 10% of archs for training (split seed 0), "iso" encoding,
# one member: held-out Kendall tau 0.878 (128-wide layers: 0.856-0.868; a third 256 layer: 0.862;
# 100 epochs at lr 3e-3: 0.877 in 1.7x the time).
DEFAULT_MLP_PARAMS = {
    "hidden": [256, 256],
    "epochs": 60,
    "batch_size": 128,
    "learning_rate": 5e-3,
    "weight_decay": 1e-4,
}

MLP_KIND = "mlp_ensemble"
MLP_FILE = "mlp_ensemble.pt"
MLP_VERSION = 1


def require_torch():
    """Return ``torch``, or raise OptionalDependencyError naming ``pip install "nasbench[train]"``."""
    from nasbench.training._deps import require_torch as _require

    return _require()


def _check_params(params: dict) -> dict:
    unknown = sorted(set(params) - set(DEFAULT_MLP_PARAMS))
    if unknown:
        raise ValueError(f"unknown MLP parameters {unknown}; expected some of {sorted(DEFAULT_MLP_PARAMS)}")
    p = {**DEFAULT_MLP_PARAMS, **params}
    hidden = p["hidden"]
    if (not isinstance(hidden, (list, tuple)) or not 1 <= len(hidden) <= 4
            or not all(is_int(h) and 1 <= h <= 4096 for h in hidden)):
        raise SurrogateConfigError(f"hidden must be a list of 1 to 4 layer widths, each an int in [1, 4096]; got {hidden!r}")
    for key in ("epochs", "batch_size"):
        check_int(key, p[key], 1, error=SurrogateConfigError)
    for key, low_ok in (("learning_rate", False), ("weight_decay", True)):
        check_number(key, p[key], 0, low_open=not low_ok, error=SurrogateConfigError)
    return {"hidden": [int(h) for h in hidden], "epochs": int(p["epochs"]), "batch_size": int(p["batch_size"]),
            "learning_rate": float(p["learning_rate"]), "weight_decay": float(p["weight_decay"])}


def _build_net(torch, n_in: int, hidden, generator=None):
    """``nn.Sequential`` of Linear/ReLU layers; initialised from ``generator`` (PyTorch's default
    uniform bounds) without drawing from torch's global RNG: layers are created on the meta device."""
    nn = torch.nn
    layers, width = [], n_in
    for h in list(hidden) + [1]:
        layers += [nn.Linear(width, h, device="meta"), nn.ReLU()]
        width = h
    net = nn.Sequential(*layers[:-1]).to_empty(device="cpu")
    if generator is not None:
        with torch.no_grad():
            for layer in net:
                if isinstance(layer, nn.Linear):
                    bound = 1.0 / math.sqrt(layer.in_features)
                    layer.weight.uniform_(-bound, bound, generator=generator)
                    layer.bias.uniform_(-bound, bound, generator=generator)
    return net


def _member_seed(seed: int, k: int) -> int:
    child = child_seed(int(seed), k)
    return int(child.generate_state(1, np.uint64)[0] >> np.uint64(1))


class MLPSurrogate:
    """An ensemble of small MLPs; the members' spread is the noise model.

    Parameters
    ----------
    params : dict, optional
        ``hidden`` (list of layer widths), ``epochs``, ``batch_size``, ``learning_rate`` (AdamW, decayed
        to 0 by a cosine schedule), ``weight_decay``; missing keys take :data:`DEFAULT_MLP_PARAMS`.
    n_members : int
        Networks in the ensemble (>= 1); the mean prediction is their average.
    noise_std : float
        Standard deviation of the Gaussian noise added to a sampled prediction (target unit).
    seed : int
        Root seed: member ``k``'s initial weights and batch order come from its own child seed.
    n_threads : int
        torch intra-op threads while fitting (restored afterwards).

    Attributes
    ----------
    weights_ : list of list of (ndarray, ndarray)
        Per member, per layer: weight float32 (n_out, n_in) and bias float32 (n_out,), as trained.
    x_mean_, x_scale_ : ndarray of float64, shape (n_features,)
        Feature standardisation (a constant feature gets scale 1).
    y_mean_, y_scale_ : float
        Target standardisation (target unit).
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).random((200, 3)); y = 3 * X[:, 0] + X[:, 1]
    >>> model = MLPSurrogate({"epochs": 20}, n_members=2).fit(X, y)      # doctest: +SKIP
    >>> model.predict(X[:2]).shape                                        # doctest: +SKIP
    (2,)
    """

    #: rows per zero-padded block of the numpy forward (see :meth:`predict_members`)
    BLOCK = 16

    def __init__(self, params: dict | None = None, n_members: int = 5, noise_std: float = 0.0, seed: int = 0,
                 n_threads: int = 1):
        self.params = params
        self.n_members = n_members
        self.noise_std = noise_std
        self.seed = seed
        self.n_threads = n_threads

    def full_params(self) -> dict:
        """The validated hyperparameters, defaults filled in."""
        if self.params is not None and not isinstance(self.params, dict):
            raise ValueError(f"params must be a dict of MLP settings or None; got {type(self.params).__name__}")
        return _check_params(self.params or {})

    def _check_settings(self) -> dict:
        params = self.full_params()
        for key, low in (("n_members", 1), ("n_threads", 1)):
            check_int(key, getattr(self, key), low, error=SurrogateConfigError)
        check_int("seed", self.seed, 0, error=SurrogateConfigError)
        check_number("noise_std", self.noise_std, 0, error=SurrogateConfigError)
        return params

    def fit(self, X, y) -> MLPSurrogate:
        """Fit every member on ``X`` (n_samples, n_features) and finite ``y`` (n_samples,); returns self."""
        params = self._check_settings()
        X, y = _check_Xy(X, y)
        if not np.isfinite(X).all():
            raise ValueError("X must be finite for an MLP surrogate (it has NaN or infinite features); use the "
                             "XGBoost surrogate, which handles missing features, or another encoding")
        if X.shape[0] < 2:
            raise ValueError(f"an MLP surrogate needs at least 2 training rows; got {X.shape[0]}")
        torch = require_torch()
        X64 = X.astype(np.float64)
        x_mean = X64.mean(axis=0)
        x_scale = X64.std(axis=0)
        x_scale[x_scale == 0] = 1.0
        y_mean, y_scale = float(y.mean()), float(y.std())
        y_scale = y_scale if y_scale > 0 else 1.0
        Xt = torch.from_numpy(((X64 - x_mean) / x_scale).astype(np.float32))
        yt = torch.from_numpy(((y - y_mean) / y_scale).astype(np.float32))
        threads = torch.get_num_threads()
        torch.set_num_threads(int(self.n_threads))
        try:
            weights = [self._fit_member(torch, Xt, yt, params, _member_seed(self.seed, k))
                       for k in range(int(self.n_members))]
        finally:
            torch.set_num_threads(threads)
        self._set_state(weights, x_mean, x_scale, y_mean, y_scale)
        return self

    @staticmethod
    def _fit_member(torch, Xt, yt, params: dict, seed: int):
        gen = torch.Generator().manual_seed(seed)
        net = _build_net(torch, Xt.shape[1], params["hidden"], gen)
        n, bs, epochs = Xt.shape[0], min(params["batch_size"], Xt.shape[0]), params["epochs"]
        steps_per_epoch = -(-n // bs)
        opt = torch.optim.AdamW(net.parameters(), lr=params["learning_rate"], weight_decay=params["weight_decay"],
                                foreach=True)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs * steps_per_epoch)
        for _ in range(epochs):
            perm = torch.randperm(n, generator=gen)
            for start in range(0, n, bs):
                rows = perm[start:start + bs]
                opt.zero_grad(set_to_none=True)
                loss = torch.mean((net(Xt[rows]).squeeze(1) - yt[rows]) ** 2)
                loss.backward()
                opt.step()
                sched.step()
        linears = [m for m in net if isinstance(m, torch.nn.Linear)]
        return [(m.weight.detach().numpy().copy(), m.bias.detach().numpy().copy()) for m in linears]

    def _set_state(self, weights, x_mean, x_scale, y_mean, y_scale) -> None:
        self.weights_ = [[(np.asarray(w, np.float32), np.asarray(b, np.float32)) for w, b in member]
                         for member in weights]
        self._weights64 = [[(w.astype(np.float64), b.astype(np.float64)) for w, b in member]
                           for member in self.weights_]
        self.x_mean_ = np.asarray(x_mean, dtype=np.float64)
        self.x_scale_ = np.asarray(x_scale, dtype=np.float64)
        self.y_mean_, self.y_scale_ = float(y_mean), float(y_scale)
        self.n_features_in_ = int(self.x_mean_.shape[0])

    def _check_X(self, X) -> np.ndarray:
        check_is_fitted(self, "weights_")
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise ValueError(f"X must have shape (n, {self.n_features_in_}); got {X.shape}")
        return X

    def predict_members(self, X) -> np.ndarray:
        """Every member's predictions (numpy, float64): shape (n_members, n), target unit.

        Rows go through the network in zero-padded blocks of :attr:`BLOCK` rows, so every row meets
        the same matrix shapes and a row's prediction does not depend on the other rows of the batch
        (BLAS rounds a product's edge rows differently).
        """
        X = self._check_X(X)
        n, block = X.shape[0], self.BLOCK
        Z = np.zeros((-(-n // block) * block, X.shape[1]))
        Z[:n] = (X - self.x_mean_) / self.x_scale_
        out = np.empty((len(self._weights64), Z.shape[0]))
        for start in range(0, Z.shape[0], block):
            rows = Z[start:start + block]
            for k, layers in enumerate(self._weights64):
                h = rows
                for i, (w, b) in enumerate(layers):
                    h = h @ w.T + b
                    if i < len(layers) - 1:
                        np.maximum(h, 0.0, out=h)
                out[k, start:start + block] = h[:, 0]
        return out[:, :n] * self.y_scale_ + self.y_mean_

    def predict(self, X) -> np.ndarray:
        """Mean of the members' predictions for ``X`` (n, n_features): float64 of shape (n,)."""
        return self.predict_members(X).mean(axis=0)

    def sample(self, X, seed=None) -> np.ndarray:
        """One plausible outcome per row: a uniformly drawn member's prediction plus ``noise_std``
        Gaussian noise. Same ``seed`` -> same values. float64 of shape (n,)."""
        X = self._check_X(X)
        if len(self.weights_) < 2:
            raise NotFittedError(
                "this MLP ensemble has one member, so it has no spread to sample from; re-fit with "
                "n_members >= 2 or query with seed=None for the mean prediction."
            )
        rng = as_generator(seed)
        members = rng.integers(0, len(self.weights_), X.shape[0])
        noise = rng.standard_normal(X.shape[0]) * float(self.noise_std)
        return self.predict_members(X)[members, np.arange(X.shape[0])] + noise

    def predict_torch(self, X) -> np.ndarray:
        """The mean prediction computed by torch's own forward in float32 (for checking), float64 (n,)."""
        X = self._check_X(X)
        torch = require_torch()
        Z = torch.from_numpy(((X - self.x_mean_) / self.x_scale_).astype(np.float32))
        preds = []
        with torch.no_grad():
            for sd in self.state_dicts():
                hidden = [sd[f"{2 * i}.weight"].shape[0] for i in range(len(sd) // 2 - 1)]
                net = _build_net(torch, self.n_features_in_, hidden)
                net.load_state_dict(sd)
                preds.append(net(Z)[:, 0].double().numpy())
        return np.mean(preds, axis=0) * self.y_scale_ + self.y_mean_

    def state_dicts(self) -> list:
        """Each member's ``nn.Sequential`` state_dict (float32 tensors copied from :attr:`weights_`)."""
        check_is_fitted(self, "weights_")
        torch = require_torch()
        return [{f"{2 * i}.{name}": torch.from_numpy(a.copy()) for i, (w, b) in enumerate(member)
                 for name, a in (("weight", w), ("bias", b))} for member in self.weights_]

    # -- saving: torch's own format, plain tensors only -------------------------------------------

    def to_bytes(self) -> bytes:
        """The fitted ensemble as ``torch.save`` bytes of a dict of tensors (no Python objects)."""
        torch = require_torch()
        doc = {"members": self.state_dicts(),
               "x_mean": torch.from_numpy(self.x_mean_.copy()), "x_scale": torch.from_numpy(self.x_scale_.copy()),
               "y_mean_scale": torch.tensor([self.y_mean_, self.y_scale_], dtype=torch.float64)}
        buf = io.BytesIO()
        torch.save(doc, buf)
        return buf.getvalue()

    def model_info(self, file_sha256: str) -> dict:
        """The ``model`` entry of ``metadata.json`` for this ensemble."""
        torch = require_torch()
        return {"kind": MLP_KIND, "version": MLP_VERSION, "params": self.full_params(),
                "n_members": int(self.n_members), "noise_std": float(self.noise_std), "seed": int(self.seed),
                "n_features": int(self.n_features_in_), "torch_version": torch.__version__,
                "files": [{"name": MLP_FILE, "sha256": file_sha256}]}

    @classmethod
    def from_bytes(cls, blob: bytes, info: dict, where: str = "model") -> MLPSurrogate:
        """Rebuild a saved ensemble: ``torch.load(weights_only=True)``, then weights to numpy."""
        version = info.get("version")
        if not is_int(version) or version > MLP_VERSION:
            raise DataIntegrityError(
                f"{where}: MLP surrogate version {version!r} is newer than this nasbench reads ({MLP_VERSION}); "
                "upgrade nasbench or re-fit the model."
            )
        if hashlib.sha256(blob).hexdigest() != info["files"][0]["sha256"]:
            raise DataIntegrityError(f"{where}: {MLP_FILE} does not match its sha256 in metadata.json; re-fit it.")
        torch = require_torch()
        try:
            doc = torch.load(io.BytesIO(blob), weights_only=True, map_location="cpu")
            weights = [[(sd[f"{2 * i}.weight"].numpy(), sd[f"{2 * i}.bias"].numpy()) for i in range(len(sd) // 2)]
                       for sd in doc["members"]]
            y_mean, y_scale = (float(v) for v in doc["y_mean_scale"])
            x_mean, x_scale = doc["x_mean"].numpy(), doc["x_scale"].numpy()
        except Exception as exc:  # noqa: BLE001 - any unreadable file is the same user error
            reason = " ".join(str(exc).split())  # one line: the CLI prints errors as one line
            raise DataIntegrityError(f"{where}: cannot read {MLP_FILE} ({reason}); re-fit the surrogate.") from None
        if len(weights) != info["n_members"] or x_mean.shape != (info["n_features"],):
            raise DataIntegrityError(
                f"{where}: {MLP_FILE} does not match metadata.json (members or features); re-fit it.")
        _check_state(weights, x_mean, x_scale, y_mean, y_scale, where)
        from surrogates.io import check_noise_std

        noise_std = check_noise_std(info.get("noise_std"), abs(y_mean) + 10.0 * y_scale, where)
        model = cls(params=info["params"], n_members=info["n_members"], noise_std=noise_std, seed=info["seed"])
        model._set_state(weights, x_mean, x_scale, y_mean, y_scale)
        return model


def _check_state(weights, x_mean, x_scale, y_mean, y_scale, where) -> None:
    """Every member a chain of finite float32 layers n_features -> h1 -> ... -> 1, finite scalers."""
    def bad(what):
        return DataIntegrityError(f"{where}: {MLP_FILE} holds {what}; expected finite weights of layers "
                                  f"n_features -> hidden -> 1 and positive scales. Re-fit the surrogate.")

    if x_mean.ndim != 1 or x_scale.shape != x_mean.shape or not np.all(np.isfinite(x_mean)) \
            or not np.all(np.isfinite(x_scale)) or np.any(x_scale <= 0):
        raise bad(f"feature scalers of shapes {x_mean.shape} and {x_scale.shape} with non-finite or <= 0 values")
    if not (math.isfinite(y_mean) and math.isfinite(y_scale) and y_scale > 0):
        raise bad(f"target scaler (mean {y_mean}, scale {y_scale})")
    for k, member in enumerate(weights):
        if not 2 <= len(member) <= 5:
            raise bad(f"member {k} with {len(member)} layers")
        width = x_mean.shape[0]
        for i, (w, b) in enumerate(member):
            last = i == len(member) - 1
            if w.ndim != 2 or w.shape[1] != width or b.shape != (w.shape[0],) or not 1 <= w.shape[0] <= 4096 \
                    or (last and w.shape[0] != 1):
                raise bad(f"member {k} layer {i} of shape {tuple(w.shape)} (bias {tuple(b.shape)}) after width {width}")
            if not (np.all(np.isfinite(w)) and np.all(np.isfinite(b))):
                raise bad(f"non-finite weights in member {k} layer {i}")
            width = w.shape[0]

