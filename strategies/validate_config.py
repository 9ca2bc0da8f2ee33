"""How ``nasbench validate`` trains and times the picks: :class:`ValidateConfig` and its defaults."""

from __future__ import annotations

import dataclasses

from nasbench.checks import check_int, is_int, is_number
from nasbench.errors import NasbenchError, UnknownNameError, choices_text

__all__ = ["DATASETS", "NB201_CIFAR_NETWORK", "ValidateConfig", "default_latency_device"]

DATASETS = ("digits", "cifar10")
#: ``(C, N, input_shape)`` of NB201's CIFAR network, the one the latency tables (HELP) describe.
NB201_CIFAR_NETWORK = (16, 5, (3, 32, 32))


@dataclasses.dataclass(frozen=True)
class ValidateConfig:
    """How the picks are trained and timed.

    Parameters
    ----------
    dataset : {"digits", "cifar10"}
    data_dir : str or None
        Folder with the CIFAR-10 python batches (``dataset="cifar10"`` only; nothing is downloaded).
    epochs : int, default 10
    C, N : int or None
        Network size; None means C=8, N=1 on digits and NB201's C=16, N=5 on CIFAR-10.
    split : (int, int, int) or None
        Digits train / valid / test sizes (``split_seed=0``); None: the
        :func:`~nasbench.training.data.load_digits` default 1000 / 500 / 297. The test images are
        the same 297 either way.
    n_seeds : int, default 1
        Training seeds per arch; measured accuracy is their mean.
    seed : int, default 0
        Root seed; training seed ``s`` of every arch is ``s`` spawned from it.
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
    data_dir: str | None = None
    epochs: int = 10
    C: int | None = None
    N: int | None = None
    split: tuple[int, int, int] | None = None
    n_seeds: int = 1
    seed: int = 0
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

    @property
    def network(self) -> tuple[int, int]:
        """``(C, N)`` of the trained network."""
        small = self.dataset == "digits"
        return (self.C or (8 if small else 16), self.N or (1 if small else 5))

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def default_latency_device(cuda: bool) -> str:
    """Latency-table device used for the predicted latency: a server CPU, or a batch-1 GPU with CUDA."""
    return "titan_rtx_1" if cuda else "gold_6240"
