"""How ``nasbench validate`` trains and times the picks: :class:`ValidateConfig` and its defaults."""

from __future__ import annotations

import dataclasses

from nasbench.checks import check_int, is_int, is_number
from nasbench.errors import NasbenchError, UnknownNameError, choices_text

__all__ = ["DATASETS", "SPACES", "DARTS_GENERATION_SEEDS", "NB201_CIFAR_NETWORK", "ValidateConfig",
           "default_latency_device"]

DATASETS = ("digits", "cifar10")
#: Search spaces whose networks validate builds: NB201 cells, DARTS genotypes.
SPACES = ("nb201", "darts")
#: Training seeds of darts/digits' two-seed parts (``nasbench.training.darts_generate.uniform_jobs``): the
#: surrogate of ``darts/digits@surrogate`` learns each arch's mean over these runs.
DARTS_GENERATION_SEEDS = (0, 1)
#: ``(C, N, input_shape)`` of NB201's CIFAR network, the one the latency tables (HELP) describe.
NB201_CIFAR_NETWORK = (16, 5, (3, 32, 32))


@dataclasses.dataclass(frozen=True)
class ValidateConfig:
    """How the picks are trained and timed.

    Parameters
    ----------
    dataset : {"digits", "cifar10"}
    space : {"nb201", "darts"}, default "nb201"
        Which networks are built: NB201 cells (:func:`nasbench.training.model.build_network`) or
        DARTS genotypes (:func:`nasbench.training.darts_model.build_darts_network`); the picks must
        be archs of this space.
    data_dir : str or None
        Folder with the CIFAR-10 python batches (``dataset="cifar10"`` only; nothing is downloaded).
    epochs : int, default 10
    C, N : int or None
        Network size; None means C=8, N=1 (DARTS: C=16, N=1) on digits and C=16, N=5 on CIFAR-10.
    split : (int, int, int) or None
        Digits train / valid / test sizes (``split_seed=0``); None: the
        :func:`~nasbench.training.data.load_digits` default 1000 / 500 / 297. The test images are
        the same 297 either way.
    n_seeds : int, default 1
        Training seeds per arch; measured accuracy is their mean.
    seed : int, default 0
        Root seed; training seed ``s`` of every arch is ``s`` spawned from it (unused with ``train_seeds``).
    train_seeds : tuple of int or None
        The training seeds themselves (distinct ints >= 0), instead of seeds spawned from ``seed``;
        ``n_seeds`` becomes their number (another ``n_seeds`` than the default 1 is refused). Retraining with a benchmark's own seeds measures the very
        runs it was made of (:meth:`darts_digits_setup`).
    batch_size : int, default 64
    lr : float, default 0.1
    bn_recalibration : int, default 256
        BatchNorm statistics recomputed from this many training images before each evaluation (see
        :class:`~nasbench.training.trainer.TrainConfig`); 0 keeps NB201's moving averages.
    warmup_steps : int, default 0
        Linear learning-rate warm-up steps before the cosine schedule.
    grad_clip : float, default 0.0
        Gradient-norm clip (0: none).
    device : str, default "auto"
    latency_repeats : int, default 30
        Timed batch-1 passes of the network whose latency is compared (median reported); 0 skips latency.
    latency_device : str or None
        Device of the latency table that gives the predicted latency (None:
        :func:`default_latency_device`).
    latency_where : {"driver", "task"}, default "driver"
        ``"driver"`` times every arch serially in this process after all training jobs finished,
        so concurrent training never inflates the figures; ``"task"`` times it inside each
        training job, on the worker's device (for a Ray cluster whose GPUs are the device of interest).
    """

    dataset: str = "digits"
    space: str = "nb201"
    data_dir: str | None = None
    epochs: int = 10
    C: int | None = None
    N: int | None = None
    split: tuple[int, int, int] | None = None
    n_seeds: int = 1
    seed: int = 0
    train_seeds: tuple[int, ...] | None = None
    batch_size: int = 64
    lr: float = 0.1
    bn_recalibration: int = 256
    warmup_steps: int = 0
    grad_clip: float = 0.0
    device: str = "auto"
    latency_repeats: int = 30
    latency_device: str | None = None
    latency_where: str = "driver"

    def __post_init__(self):
        if self.latency_where not in ("driver", "task"):
            raise UnknownNameError(
                f"latency_where must be 'driver' or 'task'; got {self.latency_where!r}."
            )
        if self.space not in SPACES:
            raise UnknownNameError(f"unknown space {self.space!r}; validate trains networks of {choices_text(SPACES)}.")
        if self.dataset not in DATASETS:
            raise UnknownNameError(f"unknown dataset {self.dataset!r}; expected one of {choices_text(DATASETS)}.")
        if self.dataset == "cifar10" and not self.data_dir:
            raise NasbenchError(
                "dataset 'cifar10' needs data_dir: the folder with data_batch_1..5 and test_batch "
                "(cifar-10-batches-py); nasbench does not download it. Pass --data-dir DIR, or use --dataset digits."
            )
        for name, low in (("epochs", 1), ("n_seeds", 1), ("seed", 0), ("batch_size", 2), ("bn_recalibration", 0),
                          ("warmup_steps", 0), ("latency_repeats", 0)):
            object.__setattr__(self, name, check_int(f"ValidateConfig.{name}", getattr(self, name), low))
        for name in ("C", "N"):
            v = getattr(self, name)
            if v is not None and (not is_int(v) or v < 1):
                raise NasbenchError(f"ValidateConfig.{name} must be None or an int >= 1; got {v!r}.")
        if not is_number(self.grad_clip) or not self.grad_clip >= 0:
            raise NasbenchError(f"ValidateConfig.grad_clip must be a number >= 0 (0: no clipping); got {self.grad_clip!r}.")
        if self.split is not None:
            if self.dataset != "digits":
                raise NasbenchError(f"ValidateConfig.split applies to digits only; got it with dataset {self.dataset!r}.")
            split = tuple(self.split)
            if len(split) != 3 or any(not is_int(v) or v < 1 for v in split):
                raise NasbenchError(f"ValidateConfig.split must be three ints >= 1 (train, valid, test); got {self.split!r}.")
            object.__setattr__(self, "split", split)  # a list from JSON becomes the tuple it stands for
        if self.train_seeds is not None:
            self._set_train_seeds()

    def _set_train_seeds(self) -> None:
        """Check ``train_seeds`` (a list from JSON becomes a tuple) and make ``n_seeds`` their number."""
        seeds = self.train_seeds
        if isinstance(seeds, (str, bytes)) or not hasattr(seeds, "__len__") or not len(seeds) or any(
                not is_int(s) or s < 0 for s in seeds) or len(set(seeds)) != len(seeds):
            raise NasbenchError(f"ValidateConfig.train_seeds must be None or distinct ints >= 0 (at least one); "
                                f"got {seeds!r}. Pass for example train_seeds=(0, 1).")
        if self.n_seeds not in (1, len(seeds)):  # 1 is the default: it stands for "not given"
            raise NasbenchError(f"ValidateConfig.n_seeds is {self.n_seeds} but train_seeds lists {len(seeds)} seeds "
                                f"{tuple(seeds)}; give one of the two.")
        object.__setattr__(self, "train_seeds", tuple(int(s) for s in seeds))
        object.__setattr__(self, "n_seeds", len(seeds))

    @classmethod
    def digits_table_setup(cls, **overrides) -> "ValidateConfig":
        """The training setup that made ``nb201/digits``: split, network, schedule (overridable).

        Validating picks of an ``nb201/digits`` run under this setup retrains them as the table
        did, with fresh seeds, so predicted and measured accuracies share one scale.
        """
        from nasbench.training.recipes import DIGITS_SPLIT, DIGITS_TRAIN_KWARGS

        fields = {f.name for f in dataclasses.fields(cls)}
        setup = {k: v for k, v in DIGITS_TRAIN_KWARGS.items() if k in fields}
        setup.update(dataset="digits", split=DIGITS_SPLIT)
        setup.update(overrides)
        return cls(**setup)

    @classmethod
    def darts_digits_setup(cls, recipe: dict | None = None, **overrides) -> "ValidateConfig":
        """The recipe that made ``darts/digits``: DARTS networks, split, schedule and seeds (overridable).

        A pick is retrained as the surrogate's data was made, with the training seeds
        :data:`DARTS_GENERATION_SEEDS`, so its measured accuracy (the mean over those seeds) is the
        quantity the surrogate predicts. Give ``n_seeds`` or ``seed`` (and no ``train_seeds``) to train
        with seeds spawned from ``seed`` instead.

        Parameters
        ----------
        recipe : dict or None
            The recipe the surrogate's models record (``provenance.recipe``:
            ``train_kwargs``, ``split``, ``split_seed``; :func:`strategies.validate.surrogate_recipe`);
            a field it leaves out is the trainer's default, as in the generation. None: the recipe of
            this version, :data:`~nasbench.training.recipes.DARTS_TRAIN_KWARGS` and
            :data:`~nasbench.training.recipes.DARTS_SPLIT`.
        **overrides
            ValidateConfig fields.

        Raises
        ------
        NasbenchError
            If the recipe sets a training field validate does not carry to another value than the
            trainer's default, or another split seed than 0 (validate would train differently).
        """
        from nasbench.training.recipes import DARTS_SPLIT, DARTS_TRAIN_KWARGS
        from nasbench.training.trainer import TrainConfig

        if recipe is None:
            recipe = {"train_kwargs": DARTS_TRAIN_KWARGS, "split": DARTS_SPLIT, "split_seed": 0}
        fields = {f.name for f in dataclasses.fields(cls)}
        trainer = TrainConfig()
        kwargs = {**{k: getattr(trainer, k) for k in fields if hasattr(trainer, k)}, **recipe["train_kwargs"]}
        lost = {k: v for k, v in kwargs.items() if k not in fields and getattr(trainer, k, None) != v}
        if lost or recipe.get("split_seed", 0) != 0:
            raise NasbenchError(f"the recipe sets {lost or {'split_seed': recipe.get('split_seed')}}, which validate "
                                "does not carry (it trains with the trainer's defaults and split seed 0); retrain "
                                "with nasbench.training.trainer.train_arch instead.")
        setup = {k: v for k, v in kwargs.items() if k in fields and k not in ("device", "latency_repeats")}
        setup.update(dataset="digits", space="darts", split=tuple(recipe["split"]))
        if "n_seeds" not in overrides and "seed" not in overrides:
            setup["train_seeds"] = DARTS_GENERATION_SEEDS
        setup.update(overrides)
        return cls(**setup)

    @property
    def network(self) -> tuple[int, int]:
        """``(C, N)`` of the trained network."""
        small = self.dataset == "digits"
        return (self.C or (8 if small and self.space == "nb201" else 16), self.N or (1 if small else 5))

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def default_latency_device(cuda: bool) -> str:
    """Latency-table device used for the predicted latency: a server CPU, or a batch-1 GPU with CUDA."""
    return "titan_rtx_1" if cuda else "gold_6240"
