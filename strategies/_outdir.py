"""Result folders that are either absent, a previous finished run, or a complete new run.

A writer (:class:`OutputFolder`) checks the destination before any work starts, takes an exclusive
``fcntl`` lock beside it, writes into a hidden sibling folder (same file system), flushes it, and
moves it into place in one step: a plain ``rename`` when the destination is new or empty, an atomic
``renameat2(RENAME_EXCHANGE)`` swap when it replaces a finished run. A process killed at any moment
therefore leaves the previous state or the complete new one; the hidden leftovers of a killed writer
are removed by the next writer of the same folder.

Readers (:func:`finished_compare_run`) trust a folder only when it is one finished ``compare`` run:
its manifest is present, parseable and complete, and every output it lists has the recorded sha256.

What happens when the destination exists (documented in ``nasbench compare --help``):

* missing, or an empty folder: written;
* a finished run of the same kind: refused, unless ``overwrite`` (``--overwrite``) is given, which
  replaces the whole folder, including files other commands added to it (``validate/``,
  ``leaderboard_weight_sharing.*``) -- files no nasbench command writes are never deleted: the
  folder is refused instead;
* anything else (a file, a folder of other files, a half-written folder of an older version):
  refused, whatever the flags.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import secrets
import shutil
from pathlib import Path

from nasbench.errors import DataIntegrityError, MissingDataError, NasbenchError
from tabular_data.atomic import fsync_dir, fsync_tree, put_in_place
from tabular_data.store import sha256_file

__all__ = [
    "COMPARE_EXTRAS",
    "OutputFolder",
    "amended_run",
    "check_destination",
    "finished_compare_run",
    "folder_lock",
    "is_finished_compare_run",
]

_TMP_TAG = ".nasbench-tmp-"
_OLD_TAG = ".nasbench-old-"
_LOCK_TAG = ".nasbench-lock"
# what other nasbench commands add to a compare run (search --merge-into, validate's default --out);
# --overwrite may delete these with the run, and nothing else
COMPARE_EXTRAS = frozenset({
    "validate", "leaderboard_weight_sharing.md", "leaderboard_weight_sharing.csv",
    "weight_sharing_trajectories.csv", "weight_sharing.json",
})
_MANIFEST_KEYS = ("format", "config", "outputs", "task", "run")
# result folders this process holds locked (folder_lock is re-entrant within a process)
_HELD: set = set()


# ---------------------------------------------------------------- reading a compare run
def finished_compare_run(path, *, what: str = "RUN_DIR") -> dict:
    """The manifest of the finished ``compare`` run in ``path``; raise when it is not one.

    Parameters
    ----------
    path : str or os.PathLike
        Folder written by ``nasbench compare --out`` (or :func:`strategies.compare.write_outputs`).
    what : str
        How the caller names the folder in errors (a CLI flag or argument).

    Returns
    -------
    dict
        The parsed ``manifest.json``.

    Raises
    ------
    MissingDataError
        If ``path`` is not a folder or holds no ``manifest.json``.
    DataIntegrityError
        If the manifest is unreadable or incomplete, or an output it lists is missing or differs
        from its recorded sha256 (a half-written folder, or files of two runs mixed).
    """
    run = Path(path)
    hint = "Create one with `nasbench compare NAME --out DIR`."
    if not run.is_dir():
        raise MissingDataError(f"{what} {run} holds no finished compare run (it is not a folder). {hint}")
    mpath = run / "manifest.json"
    if not mpath.is_file():
        raise MissingDataError(
            f"{what} {run} holds no finished compare run (no manifest.json, which a run writes last). {hint}")
    try:
        manifest = json.loads(mpath.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise DataIntegrityError(f"{what} {run}: manifest.json is unreadable ({_reason(exc)}); "
                                 f"the run is damaged. {hint}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != "nasbench-compare":
        raise DataIntegrityError(f"{what} {run}: manifest.json is not a compare manifest (format "
                                 f"'nasbench-compare' expected). {hint}")
    missing = [k for k in _MANIFEST_KEYS if k not in manifest]
    config, outputs = manifest.get("config"), manifest.get("outputs")
    if missing or not isinstance(config, dict) or not isinstance(outputs, dict) or "benchmark" not in config:
        raise DataIntegrityError(f"{what} {run}: manifest.json lacks {missing or ['config.benchmark']} or has "
                                 f"wrong types; the run is incomplete. {hint}")
    for name, digest in outputs.items():
        f = run / str(name)
        if Path(str(name)).name != str(name) or not f.is_file():
            raise DataIntegrityError(f"{what} {run}: {name}, listed in its manifest, is missing; the run is "
                                     f"incomplete or was edited. {hint}")
        if sha256_file(f) != digest:
            raise DataIntegrityError(f"{what} {run}: {name} differs from the sha256 in its manifest (files of "
                                     f"another run, or edited); this folder is not one finished run. {hint}")
    return manifest


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return " ".join(str(exc).split()) or type(exc).__name__


# ---------------------------------------------------------------- checking a destination
def check_destination(path, *, flag: str = "--out", overwrite: bool = False, is_finished=None,
                      extras=frozenset(), kind: str = "compare run") -> Path:
    """Check, before any work, that ``path`` may receive a new result folder; return it absolute.

    Parameters
    ----------
    path : str or os.PathLike
    flag : str
        How the caller names the destination in errors (``--out``).
    overwrite : bool
        Replace a finished run of this kind.
    is_finished : callable(Path) -> bool or None
        Whether an existing folder is one finished result of this kind (None: never).
    extras : set of str
        Names other nasbench commands add to such a folder; ``overwrite`` may delete them too.
    kind : str
        What the folder holds, for messages.

    Raises
    ------
    NasbenchError
        If ``path`` is a file, lies under a file, cannot be written, or exists and may not be replaced.
    """
    if not isinstance(path, (str, os.PathLike)) or not str(path).strip():
        raise NasbenchError(f"{flag} takes a folder path; got {path!r}.")
    dest = Path(os.path.abspath(Path(path).expanduser()))
    if dest.parent == dest:
        raise NasbenchError(f"{flag} {path} is a file-system root; give a folder for the results.")
    if dest.exists() and not dest.is_dir():
        raise NasbenchError(f"{flag} {path} is a file; expected a folder (new, or empty). Choose another {flag}.")
    ancestor = dest.parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise NasbenchError(f"{flag} {path} lies under {ancestor}, which is a file; choose another {flag}.")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise NasbenchError(f"{flag} {path}: cannot write in {ancestor} (permission denied); choose a folder "
                            "you can write to.")
    if dest.is_dir():
        try:
            names = sorted(n for n in os.listdir(dest) if not _is_leftover(n))
        except OSError as exc:
            raise NasbenchError(f"{flag} {path} cannot be read ({_reason(exc)}); choose another {flag}.") from None
        if names:
            finished = is_finished is not None and is_finished(dest)
            if not finished:
                shown = ", ".join(names[:4]) + (", ..." if len(names) > 4 else "")
                raise NasbenchError(
                    f"{flag} {path} exists and is not one finished {kind} (it holds {shown}); nothing is "
                    f"written over it. Choose a new {flag}, or empty that folder yourself.")
            if not overwrite:
                raise NasbenchError(
                    f"{flag} {path} already holds a finished {kind}; pass --overwrite to replace the whole "
                    f"folder (with what other commands added to it), or choose a new {flag}.")
            foreign = [n for n in names if n not in extras and not _is_output(dest, n)]
            if foreign:
                raise NasbenchError(
                    f"{flag} {path} holds files no nasbench command wrote ({', '.join(foreign[:4])}); --overwrite "
                    f"would delete them. Move them out first, or choose a new {flag}.")
    return dest


def _is_leftover(name: str) -> bool:
    """True for the lock, staging and set-aside names of writers (cleaned by the next writer)."""
    return name.startswith(".") and (_TMP_TAG in name or _OLD_TAG in name or name.endswith(_LOCK_TAG))


def _is_output(dest: Path, name: str) -> bool:
    """True when ``name`` is the manifest of the run in ``dest`` or an output it lists (or skipped)."""
    if name == "manifest.json":
        return True
    try:
        manifest = json.loads((dest / "manifest.json").read_text())
        return name in manifest.get("outputs", {}) or name in manifest.get("skipped", {})
    except (OSError, ValueError, AttributeError, RecursionError):
        return False


def is_finished_compare_run(path) -> bool:
    """True when ``path`` holds one finished compare run (see :func:`finished_compare_run`)."""
    try:
        finished_compare_run(path)
    except NasbenchError:
        return False
    return True


# ---------------------------------------------------------------- locking
@contextlib.contextmanager
def folder_lock(path, *, flag: str = "--out"):
    """Hold an exclusive lock on result folder ``path`` (a ``.NAME.nasbench-lock`` file beside it).

    Refuses at once (no waiting) when another process holds it. The lock is released, and its file
    removed, on exit; the kernel releases it when the process dies, so a killed writer never blocks.
    """
    dest = Path(os.path.abspath(Path(path).expanduser()))
    if dest in _HELD:  # this process holds it already (the CLI locks before the run, then writes)
        yield dest
        return
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise NasbenchError(f"{flag} {path}: cannot create {dest.parent} ({_reason(exc)}); choose a folder you can "
                            "write to.") from None
    lock = dest.parent / f".{dest.name}{_LOCK_TAG}"
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            raise NasbenchError(f"{flag} {path}: cannot write in {dest.parent} ({_reason(exc)}); choose a folder "
                                "you can write to.") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno not in (errno.EWOULDBLOCK, errno.EACCES):
                raise
            holder = _read_pid(lock)
            raise NasbenchError(
                f"{flag} {path} is in use by another nasbench process{f' (pid {holder})' if holder else ''}; "
                f"wait for it to finish, or choose another {flag}.") from None
        # the file may have been unlinked by its previous holder between our open and lock: retry
        try:
            same = os.stat(lock).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    _HELD.add(dest)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield dest
    finally:
        _HELD.discard(dest)
        with contextlib.suppress(OSError):
            os.unlink(lock)
        os.close(fd)


def _read_pid(lock: Path) -> str:
    try:
        return lock.read_text().strip()
    except OSError:
        return ""


# ---------------------------------------------------------------- writing a folder whole
class OutputFolder:
    """Write result folder ``path`` whole: check, lock, stage in a hidden sibling, move into place.

    Use as a context manager; write every file into the yielded staging folder. On a clean exit the
    staging folder replaces ``path`` in one step; on an exception (or a kill) ``path`` is unchanged.

    Parameters
    ----------
    path : str or os.PathLike
    flag, overwrite, is_finished, extras, kind
        As in :func:`check_destination`, which runs first (and again under the lock).
    locked : bool, default False
        True when the caller already holds :func:`folder_lock` on ``path``.

    Examples
    --------
    >>> with OutputFolder(tmp / "run") as stage:                        # doctest: +SKIP
    ...     (stage / "a.txt").write_text("done")
    """

    def __init__(self, path, *, flag: str = "--out", overwrite: bool = False, is_finished=None,
                 extras=frozenset(), kind: str = "compare run", locked: bool = False):
        self._check = dict(flag=flag, overwrite=overwrite, is_finished=is_finished, extras=extras, kind=kind)
        self.dest = check_destination(path, **self._check)
        self._path, self._flag, self._locked = path, flag, locked
        self._stack = contextlib.ExitStack()
        self.stage: Path | None = None

    def __enter__(self) -> Path:
        try:
            if not self._locked:
                self._stack.enter_context(folder_lock(self.dest, flag=self._flag))
            _recover(self.dest)
            check_destination(self._path, **self._check)  # again: it may have changed before we held the lock
            self.stage = self.dest.parent / f".{self.dest.name}{_TMP_TAG}{os.getpid()}-{secrets.token_hex(4)}"
            os.mkdir(self.stage, 0o777)  # the umask applies, as for any folder the user creates
        except OSError as exc:
            self._stack.close()
            raise NasbenchError(f"{self._flag} {self._path}: cannot write there ({_reason(exc)}); choose a "
                                f"folder you can write to.") from None
        except BaseException:
            self._stack.close()
            raise
        return self.stage

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                try:
                    fsync_tree(self.stage)
                    _move_into_place(self.stage, self.dest)
                except OSError as err:
                    raise NasbenchError(f"{self._flag} {self._path}: could not move the results into place "
                                        f"({_reason(err)}); the folder is unchanged.") from None
        finally:
            if self.stage is not None and self.stage.exists():
                shutil.rmtree(self.stage, ignore_errors=True)
            self._stack.close()
        return False


@contextlib.contextmanager
def amended_run(path, *, flag: str = "--merge-into"):
    """Add files to the finished compare run ``path`` whole: yield a staged copy of the run to write
    into; on a clean exit the copy replaces the run in one step (as :class:`OutputFolder` does), so a
    kill leaves the run as it was or with every added file, never some of them.

    The run is locked (re-entrant when the caller holds :func:`folder_lock`) and checked to be one
    finished run first. Files are copied, not linked: rewriting a staged file never touches the run.
    """
    dest = Path(os.path.abspath(Path(path).expanduser()))
    with folder_lock(dest, flag=flag):
        _recover(dest)
        finished_compare_run(dest, what=flag)
        stage = dest.parent / f".{dest.name}{_TMP_TAG}{os.getpid()}-{secrets.token_hex(4)}"
        try:
            try:
                shutil.copytree(dest, stage, symlinks=True)
            except OSError as exc:
                raise NasbenchError(f"{flag} {path}: cannot stage a copy of the run beside it ({_reason(exc)}); "
                                    "free some space or choose a run you can write to.") from None
            yield stage
            try:
                fsync_tree(stage)
                _move_into_place(stage, dest)
            except OSError as err:
                raise NasbenchError(f"{flag} {path}: could not move the amended run into place ({_reason(err)}); "
                                    "the run is unchanged.") from None
        finally:
            if stage.exists():
                shutil.rmtree(stage, ignore_errors=True)


def _recover(dest: Path) -> None:
    """Undo what a killed writer of ``dest`` left (the caller holds the lock).

    ``.NAME.nasbench-old-*`` is the previous run moved aside by the two-rename fallback: put back
    when ``dest`` is missing, else deleted. ``.NAME.nasbench-tmp-*`` is a staging folder never
    moved into place (or the previous run after an exchange): deleted.
    """
    parent, stem = dest.parent, f".{dest.name}"
    for entry in sorted(parent.iterdir()) if parent.is_dir() else ():
        name = entry.name
        if name.startswith(stem + _OLD_TAG) and entry.is_dir():
            if not dest.exists():
                os.rename(entry, dest)
            else:
                shutil.rmtree(entry, ignore_errors=True)
        elif name.startswith(stem + _TMP_TAG) and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)


def _move_into_place(stage: Path, dest: Path) -> None:
    """Replace ``dest`` by the flushed ``stage`` in one step (:func:`tabular_data.atomic.put_in_place`);
    the fallback's set-aside name is one :func:`_recover` knows."""
    put_in_place(stage, dest, aside=dest.parent / f".{dest.name}{_OLD_TAG}{os.getpid()}-{secrets.token_hex(4)}")
    fsync_dir(dest.parent)
