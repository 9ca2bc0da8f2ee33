"""Chunked, resumable, kill-safe jobs: the build folder and worker pool of ``nasbench generate``
(:mod:`nasbench.training.generate`) and ``nasbench zc compute`` (:mod:`nasbench.training.proxies_job`).

A job numbers its items (NB201 isomorphism classes, or positions in a DARTS arch list) ``0 .. n - 1``
and cuts them into chunks of ``chunk_size`` consecutive items. Its build folder holds

* ``config.json``: ``{"job": <the job's dict>}`` (indent 1, sorted keys), written once, atomically,
  on the first start; a restart must ask for the same job (:func:`prepare_build`);
* ``chunk-KKKKK.npz``: one finished chunk of plain numeric arrays, written to a hidden temporary
  name, flushed and renamed into place (:func:`write_chunk`), so a chunk file is complete or absent.

:func:`run_chunks` works through the pending chunks in this process or in ``spawn``-ed worker
processes (one torch thread each); SIGINT or SIGTERM stops it and loses at most the chunks in
flight, and running the same command again continues. Workers stop on their own when the parent
dies. Nothing here imports torch until a job runs.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import signal
from pathlib import Path

import numpy as np

from nasbench.errors import DataIntegrityError, MissingDataError, NasbenchError
from nasbench.timing import Stopwatch

__all__ = ["ChunkedJob", "chunk_path", "pending_chunks", "write_chunk", "read_chunk", "prepare_build",
           "read_job_dict", "run_chunks"]


class ChunkedJob:
    """Chunk arithmetic of a job with ``classes`` (int64 ids, in order) and ``chunk_size``."""

    @property
    def n_chunks(self) -> int:
        """Number of chunk files of the job."""
        return -(-len(self.classes) // self.chunk_size)

    def chunk_classes(self, k: int) -> np.ndarray:
        """Ids of chunk ``k``, int64 of shape (<= chunk_size,)."""
        return self.classes[k * self.chunk_size:(k + 1) * self.chunk_size]


def chunk_path(build, k: int) -> Path:
    """Path of chunk ``k``'s file in ``build``: ``chunk-KKKKK.npz``."""
    return Path(build) / f"chunk-{k:05d}.npz"


def pending_chunks(build, job: ChunkedJob) -> list[int]:
    """Chunk numbers of ``job`` whose file does not exist in ``build`` yet, in order."""
    return [k for k in range(job.n_chunks) if not chunk_path(build, k).exists()]


def write_chunk(build, k: int, arrays: dict) -> Path:
    """Write chunk ``k`` (``np.savez_compressed`` of ``arrays``) kill-safely; returns its path."""
    path = chunk_path(build, k)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as fh:
        np.savez_compressed(fh, **arrays)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return path


def read_chunk(path, keys=None, *, command: str) -> dict:
    """The arrays ``keys`` (None: all) of one chunk file: plain numeric arrays only, no pickles.

    Raises
    ------
    DataIntegrityError
        If the file is not a readable zip of numeric arrays with those keys; the message says to
        delete it and run ``command`` again.
    """
    try:
        with np.load(path, allow_pickle=False) as z:
            out = {key: z[key] for key in (z.files if keys is None else keys)}
    except Exception as exc:  # noqa: BLE001 - object arrays, a bad zip, a missing key: the same user error
        reason = " ".join(str(exc).split())[:160] or type(exc).__name__
        raise DataIntegrityError(f"{path}: expected a chunk of plain numeric arrays as `{command}` writes; got one "
                                 f"that fails ({reason}). Delete it and run `{command}` again.") from None
    bad = [key for key, a in out.items() if a.dtype.kind not in "biuf"]
    if bad:
        raise DataIntegrityError(f"{path}: expected numeric arrays; {bad[0]} is {out[bad[0]].dtype}. Delete the chunk "
                                 f"and run `{command}` again.")
    return out


def _read_config(path: Path, command: str) -> dict:
    try:
        stored = json.loads(path.read_text())
    except (OSError, ValueError, RecursionError) as exc:
        raise DataIntegrityError(f"{path} is not a readable build config ({' '.join(str(exc).split())[:160]}); "
                                 f"expected the JSON `{command}` writes. Restore it or use another --build.") from None
    if not isinstance(stored, dict) or not isinstance(stored.get("job"), dict):
        raise DataIntegrityError(f"{path}: expected {{\"job\": {{...}}}} as `{command}` writes it; got "
                                 f"{type(stored).__name__}. Restore it or use another --build.")
    return stored


def read_job_dict(build, *, command: str) -> dict:
    """The job dict stored in ``build/config.json``.

    Raises
    ------
    MissingDataError
        If there is no ``config.json`` (the job was never started there).
    DataIntegrityError
        If it is not the JSON a job writes.
    """
    path = Path(build) / "config.json"
    if not path.exists():
        raise MissingDataError(f"no config.json in {build}: start the job there with `{command} --build {build}`.")
    return _read_config(path, command)["job"]


def prepare_build(build, job_dict: dict, *, command: str) -> None:
    """Create ``build`` with ``config.json`` for ``job_dict``, or check that the stored job is the same;
    then delete the temporary files of killed writers.

    Raises
    ------
    NasbenchError
        If the folder was started with another job (resuming it would mix two jobs' chunks).
    """
    build = Path(build)
    path = build / "config.json"
    if path.exists():
        stored = _read_config(path, command)
        if stored["job"] != job_dict:
            raise NasbenchError(
                f"the build folder {build} was started with other settings (another job):\n  stored {stored['job']}\n"
                f"  asked  {job_dict}\nRun with the stored settings to resume, or use another --build."
            )
    else:
        build.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".config.json.tmp-{os.getpid()}")  # per process: two starts never share it
        with open(tmp, "w") as fh:
            fh.write(json.dumps({"job": job_dict}, indent=1, sort_keys=True))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    for stale in glob.glob(str(build / ".chunk-*.tmp-*")) + glob.glob(str(build / ".config.json.tmp-*")):
        os.remove(stale)


# ---- running the chunks ------------------------------------------------------------------------

_WORKER: dict = {}


def _timed(work, context, k: int) -> tuple[int, float, float]:
    clock = Stopwatch()
    work(context, k)
    return k, clock.wall_s, clock.cpu_s


def _worker_init(setup, setup_args: tuple, parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides; it terminates us
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    import torch

    torch.set_num_threads(1)
    _WORKER.update(parent=parent, context=setup(*setup_args))


def _worker_run(task) -> tuple[int, float, float]:
    work, k = task
    if os.getppid() != _WORKER["parent"]:  # the parent died: stop rather than work unobserved
        os._exit(1)
    return _timed(work, _WORKER["context"], k)


@contextlib.contextmanager
def _one_torch_thread():
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def run_chunks(todo, *, setup, setup_args: tuple, work, workers: int, on_done, log=print) -> bool:
    """Do ``work`` for every chunk number in ``todo``; True when SIGINT or SIGTERM stopped it.

    Parameters
    ----------
    todo : list of int
        Pending chunk numbers.
    setup : callable
        ``setup(*setup_args) -> context``, run once per process (e.g. load the data); a module-level
        function, so that ``spawn``-ed workers can import it.
    setup_args : tuple
        Picklable arguments of ``setup`` (e.g. the job's dict and the build folder).
    work : callable
        ``work(context, k)`` computes chunk ``k`` and writes its file; module-level, like ``setup``.
    workers : int
        Worker processes (one torch thread each); 0 works in this process (also one torch thread).
    on_done : callable
        ``on_done(k, wall_s, cpu_s)`` after each finished chunk, in this process.
    log : callable
        Receives the line said on an interrupt.

    Returns
    -------
    bool
        ``interrupted``: finished chunks are kept either way; the SIGTERM handler is restored.
    """

    def on_term(signum, frame):
        raise KeyboardInterrupt

    old_term = signal.signal(signal.SIGTERM, on_term)
    try:
        if workers == 0:
            with _one_torch_thread():
                context = setup(*setup_args)
                for k in todo:
                    on_done(*_timed(work, context, k))
        elif todo:
            import multiprocessing as mp

            ctx = mp.get_context("spawn")  # no torch state inherited from the parent
            pool = ctx.Pool(workers, initializer=_worker_init, initargs=(setup, setup_args, os.getpid()))
            try:
                for k, wall, cpu in pool.imap_unordered(_worker_run, [(work, k) for k in todo]):
                    on_done(k, wall, cpu)
                pool.close()
            except BaseException:
                pool.terminate()
                raise
            finally:
                pool.join()
    except KeyboardInterrupt:
        log("interrupted: finished chunks are kept; run the same command to continue")
        return True
    finally:
        signal.signal(signal.SIGTERM, old_term)
    return False
