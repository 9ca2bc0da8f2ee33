"""Where independent pieces of work run: in this process, in a local process pool, or on Ray.

An :class:`Executor` has one job: ``map(fn, tasks)`` calls ``fn(task)`` for every task and returns the
results **in task order**, whatever order they finished in. The work itself must not depend on where
it runs (each task carries its own seeds), so every executor gives the same results for the same
tasks; ``tests/executors`` checks this for compare-like tasks, local against Ray.

* :class:`LocalExecutor`: serially in this process (``n_jobs=1``), or in a pool of ``n_jobs`` spawned
  processes (``n_jobs > 1``).
* :class:`RayExecutor`: as Ray tasks (optional extra: ``pip install "nasbench[distributed]"``), on a
  local Ray instance started for the executor, or on an existing cluster given by ``address``
  (``"auto"`` or ``"ray://host:10001"``). Training jobs ask for one GPU each when the cluster has
  GPUs (``gpus_per_task="auto"``).

``fn`` must be a module-level function (pickled by reference) and every task picklable.

Examples
--------
>>> with make_executor("local") as ex:
...     ex.map(abs, [-2, 1, -3])
[2, 1, 3]
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import os

from nasbench.checks import check_int, check_number, is_number
from nasbench.errors import (
    NasbenchError,
    OptionalDependencyError,
    UnknownNameError,
    choices_text,
    install_hint,
)

__all__ = [
    "EXECUTORS",
    "Executor",
    "LocalExecutor",
    "RayExecutor",
    "cuda_available",
    "make_executor",
    "require_ray",
]

EXECUTORS = ("local", "ray")
# environment variables forwarded to Ray workers, so they read the same data store as the driver
_FORWARDED_ENV = ("NASBENCH_DATA", "NASBENCH_SHARED_DATA", "NUMBA_DISABLE_JIT", "OMP_NUM_THREADS")


def require_ray():
    """Return the ``ray`` module, or raise OptionalDependencyError naming the ``distributed`` extra."""
    try:
        import ray
    except ImportError as exc:
        raise OptionalDependencyError(
            f"--executor ray needs Ray, but `import ray` failed ({exc}). Install the extra with: "
            f"{install_hint('distributed')} (or `pip install ray`); or use --executor local."
        ) from exc
    return ray


def cuda_available() -> bool:
    """Whether torch is installed here and sees a CUDA device (False without torch; never raises)."""
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        return False
    import torch

    return bool(torch.cuda.is_available())


def _star(fn, args):
    """``fn(*args)``: lets :meth:`Executor.starmap` reuse :meth:`Executor.map`."""
    return fn(*args)


def _apply(fn, task):
    """What a Ray task runs: ``fn(task)`` (a plain function, so ``fn`` may be any picklable callable)."""
    return fn(task)


class Executor(ABC):
    """Runs ``fn`` over a list of tasks and returns the results in task order.

    Subclasses implement :meth:`map`; :meth:`close` releases what the executor started. Executors are
    context managers.
    """

    name = "executor"

    @abstractmethod
    def map(self, fn, tasks) -> list:
        """Return ``[fn(t) for t in tasks]``, computed wherever this executor runs work.

        Parameters
        ----------
        fn : callable
            A module-level function of one argument.
        tasks : iterable
            Picklable task descriptions.

        Returns
        -------
        list
            One result per task, in the order of ``tasks``.
        """

    def starmap(self, fn, arg_tuples) -> list:
        """Return ``[fn(*args) for args in arg_tuples]``, computed by :meth:`map` (same order)."""
        import functools

        return self.map(functools.partial(_star, fn), [tuple(a) for a in arg_tuples])

    def describe(self) -> dict:
        """JSON-serialisable description for manifests (never part of any result)."""
        return {"executor": self.name}

    def close(self) -> None:
        """Release resources this executor started (idempotent)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def _check_n_jobs(n_jobs) -> int:
    return check_int("n_jobs", n_jobs, 1, hint="Pass for example n_jobs=2.")


class LocalExecutor(Executor):
    """Run tasks in this process (``n_jobs=1``) or in ``n_jobs`` spawned worker processes.

    Parameters
    ----------
    n_jobs : int, default 1
        Processes; 1 runs serially in this process, which is the reference the others must match.
    """

    name = "local"

    def __init__(self, n_jobs: int = 1):
        self.n_jobs = _check_n_jobs(n_jobs)

    def map(self, fn, tasks) -> list:
        tasks = list(tasks)
        if self.n_jobs == 1 or len(tasks) <= 1:
            return [fn(t) for t in tasks]
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # spawn, not fork: workers start clean (no copied numba/torch thread pools or locks)
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(self.n_jobs, len(tasks)), mp_context=ctx) as pool:
            return list(pool.map(fn, tasks))

    def describe(self) -> dict:
        return {"executor": self.name, "n_jobs": self.n_jobs}


class RayExecutor(Executor):
    """Run tasks as Ray tasks, on a local Ray instance or an existing cluster.

    Parameters
    ----------
    address : str or None, default None
        None starts a local Ray instance (shut down by :meth:`close`); ``"auto"`` or
        ``"ray://HOST:PORT"`` connects to a running cluster (left running by :meth:`close`). When
        Ray is already initialised in this process, that instance is used as it is.
    num_cpus : int or None, default None
        CPUs of a local instance (None: Ray's default, all of this machine's); ignored with ``address``.
    cpus_per_task : float, default 1
        CPUs each task reserves.
    gpus_per_task : float or "auto", default 0
        GPUs each task reserves. ``"auto"`` asks for one GPU per task when the cluster has GPUs
        (Ray then sets ``CUDA_VISIBLE_DEVICES`` for the task), else none: use it for training jobs.
    forward_env : bool, default True
        Pass this process's ``NASBENCH_DATA`` (and a few other variables) to the workers, so
        they read the same data store.

    Raises
    ------
    OptionalDependencyError
        If Ray is not installed.
    """

    name = "ray"

    def __init__(self, address: str | None = None, *, num_cpus: int | None = None, cpus_per_task: float = 1,
                 gpus_per_task=0, forward_env: bool = True):
        if num_cpus is not None:
            _check_n_jobs(num_cpus)
        check_number("cpus_per_task", cpus_per_task, 0, low_open=True, finite=False)
        if gpus_per_task != "auto" and not (is_number(gpus_per_task) and gpus_per_task >= 0):
            raise NasbenchError(f"gpus_per_task must be 'auto' or a number >= 0; got {gpus_per_task!r}.")
        self.ray = require_ray()
        self.address = address
        self.num_cpus = num_cpus
        self.cpus_per_task = cpus_per_task
        self.gpus_per_task = gpus_per_task
        self._started = False
        if not self.ray.is_initialized():
            kwargs = {"include_dashboard": False, "log_to_driver": True}
            if forward_env:
                env = {k: os.environ[k] for k in _FORWARDED_ENV if k in os.environ}
                if env:
                    kwargs["runtime_env"] = {"env_vars": env}
            if address is None:
                kwargs["num_cpus"] = num_cpus
            else:
                kwargs["address"] = address
            try:
                self.ray.init(**kwargs)
            except ConnectionError as exc:
                raise NasbenchError(
                    f"could not connect to the Ray cluster at address={address!r} ({exc}). Start it with "
                    "`ray start --head`, pass its address (e.g. ray://HOST:10001), or leave out --address "
                    "for a local instance."
                ) from None
            self._started = True

    def _n_gpus(self) -> float:
        if self.gpus_per_task == "auto":
            return 1.0 if self.ray.cluster_resources().get("GPU", 0) > 0 else 0.0
        return float(self.gpus_per_task)

    def map(self, fn, tasks) -> list:
        tasks = list(tasks)
        if not tasks:
            return []
        remote = self.ray.remote(_apply).options(num_cpus=self.cpus_per_task, num_gpus=self._n_gpus(),
                                                 max_retries=0)
        fn_ref = self.ray.put(fn)  # shipped once, not once per task
        refs = [remote.remote(fn_ref, t) for t in tasks]
        return self.ray.get(refs)  # in the order of refs, i.e. of tasks

    def describe(self) -> dict:
        return {"executor": self.name, "address": self.address, "num_cpus": self.num_cpus,
                "cpus_per_task": self.cpus_per_task, "gpus_per_task": self.gpus_per_task}

    def close(self) -> None:
        if self._started and self.ray.is_initialized():
            self.ray.shutdown()
        self._started = False


def make_executor(name: str = "local", *, n_jobs: int = 1, address: str | None = None,
                  num_cpus: int | None = None, gpus_per_task=0) -> Executor:
    """Build an executor by name.

    Parameters
    ----------
    name : {"local", "ray"}
    n_jobs : int, default 1
        Processes of the local executor; with ``"ray"``, the CPUs of a local Ray instance when
        ``num_cpus`` is None and ``n_jobs > 1``.
    address : str or None
        Ray cluster address (``"ray"`` only); None starts a local instance.
    num_cpus : int or None
        CPUs of a local Ray instance.
    gpus_per_task : float or "auto", default 0
        GPUs per Ray task (``"auto"``: one when the cluster has GPUs).

    Raises
    ------
    UnknownNameError
        If ``name`` is not an executor.
    NasbenchError
        If ``address`` is given for the local executor.
    """
    if name == "local":
        if address is not None:
            raise NasbenchError(
                f"address={address!r} applies to the Ray executor only; got executor 'local'. "
                "Pass --executor ray with --address, or drop --address."
            )
        return LocalExecutor(n_jobs)
    if name == "ray":
        if num_cpus is None and n_jobs > 1 and address is None:
            num_cpus = n_jobs
        return RayExecutor(address, num_cpus=num_cpus, gpus_per_task=gpus_per_task)
    raise UnknownNameError(f"unknown executor {name!r}; expected one of {choices_text(EXECUTORS)}.")
