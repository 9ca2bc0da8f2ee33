"""Kill-safe, lock-protected replacement of folders in a shared data store.

A folder (a table, a saved model) is written into a hidden sibling ``.NAME.tmp-PID-RANDOM`` and then
put in place in one step, so that at every moment ``NAME`` is either the previous complete folder or
the new complete one:

* where the kernel offers it (Linux 3.15+ on ext4, xfs, btrfs, tmpfs ...), the two folders are
  swapped with ``renameat2(RENAME_EXCHANGE)``: one atomic step, after which the previous folder sits
  under the temporary name and is deleted;
* elsewhere the previous folder is renamed to ``.NAME.old-PID-RANDOM`` before the new one is renamed
  into place; a kill between the two renames is repaired by the next writer, by ``nasbench list`` and
  by :func:`recover`, which put the previous folder back.

Writers of one folder take an exclusive ``fcntl.flock`` on ``.NAME.lock`` beside it (never deleted:
deleting a lock file others may wait on would let two writers in). Leftovers of killed writers are
hidden names; :func:`clean_leftovers` removes those no live writer holds, and :func:`is_leftover`
lets listings ignore them. New folders and files take the permissions the umask allows (a shared
store stays readable by the group when the umask says so), not the 0700 of ``tempfile.mkdtemp``.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import re
import secrets
import shutil
import threading
from pathlib import Path

from nasbench.errors import NasbenchError

__all__ = ["FolderExistsError", "lock", "write_folder", "put_in_place", "recover", "repair", "clean_leftovers",
           "is_leftover", "fsync_file", "fsync_dir", "fsync_tree"]

# Hidden names this module creates, and the two shapes older nasbench versions left behind
# (``NAME.old-PID`` and ``tempfile.mkdtemp(prefix=".NAME.")``, an 8-character random suffix).
_TMP = re.compile(r"^\.(?P<name>.+)\.(?:tmp|old)-\d+-[0-9a-f]+$")
_OLD = re.compile(r"^\.(?P<name>.+)\.old-\d+-[0-9a-f]+$")
_LEGACY_OLD = re.compile(r"^(?P<name>[^.].*)\.old-\d+$")
_LEGACY_TMP = re.compile(r"^\.(?P<name>.+)\.[A-Za-z0-9_]{8}$")
_LOCK_SUFFIX = ".lock"

_held = threading.local()  # lock path -> depth, per thread: re-entrant within one thread only


class FolderExistsError(NasbenchError, FileExistsError):
    """The destination exists and the caller did not ask to overwrite it."""


def _lock_path(directory: Path) -> Path:
    return directory.parent / f".{directory.name}{_LOCK_SUFFIX}"


def _open_lock_file(path: Path) -> int:
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o666)  # the umask decides who may write it
    except PermissionError:
        return os.open(path, os.O_RDONLY)  # created by another user; flock works on a read-only fd


@contextlib.contextmanager
def lock(directory, *, blocking: bool = True):
    """Hold the exclusive writer lock of ``directory`` (a file ``.NAME.lock`` beside it).

    Re-entrant within one thread; other threads and processes wait (or, with ``blocking=False``,
    get ``False`` at once). Yields True when the lock is held.
    """
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    path = str(_lock_path(directory).resolve())
    depth = getattr(_held, "locks", None)
    if depth is None:
        depth = _held.locks = {}
    if depth.get(path, 0) > 0:
        depth[path] += 1
        try:
            yield True
        finally:
            depth[path] -= 1
        return
    fd = _open_lock_file(Path(path))
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        depth[path] = 1
        try:
            yield True
        finally:
            depth[path] = 0
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def fsync_file(path) -> None:
    """Flush a written file to disk (a kill is harmless without it; a power cut is not)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path) -> None:
    """Flush a folder's entries (names created, renamed or deleted) to disk; best effort."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def fsync_tree(root) -> None:
    """Flush every file and folder under ``root`` to disk, so a crash after a move finds whole files."""
    for folder, _, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            if not os.path.islink(path):  # a link's target lies outside the folder written
                fsync_file(path)
        fsync_dir(folder)


def _hidden(directory: Path, kind: str) -> Path:
    return directory.with_name(f".{directory.name}.{kind}-{os.getpid()}-{secrets.token_hex(4)}")


_renameat2 = None


def _exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths atomically (``renameat2(RENAME_EXCHANGE)``); False where unsupported."""
    global _renameat2
    if _renameat2 is None:
        try:
            func = ctypes.CDLL(None, use_errno=True).renameat2
            func.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
            func.restype = ctypes.c_int
            _renameat2 = func
        except (AttributeError, OSError):
            _renameat2 = False
    if _renameat2 is False:
        return False
    at_fdcwd, rename_exchange = -100, 2
    if _renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV):
        return False
    raise OSError(err, os.strerror(err), str(b))


def put_in_place(tmp, directory, *, aside=None) -> None:
    """Make the complete folder ``tmp`` the content of ``directory`` in one step; the caller holds
    the folder's lock and has flushed ``tmp`` (:func:`fsync_tree`).

    A new ``directory`` is a plain rename. An existing one is swapped with ``tmp`` atomically
    (``renameat2(RENAME_EXCHANGE)``) and then deleted from under the temporary name. Where the
    kernel cannot swap, the existing folder is first renamed to ``aside`` (default
    ``.NAME.old-PID-RANDOM``) and deleted after ``tmp`` is renamed into place; a kill between the
    two renames leaves ``directory`` missing and ``aside`` complete, which the caller's recovery
    (:func:`recover` for the default name) puts back.

    Parameters
    ----------
    tmp : path
        A complete folder on the same file system as ``directory`` (a hidden sibling).
    directory : path
    aside : path or None
        Where the fallback sets the previous folder aside; None uses this module's hidden name.
    """
    tmp, directory = Path(tmp), Path(directory)
    if not os.path.lexists(directory):
        os.rename(tmp, directory)
        return
    if _exchange(tmp, directory):
        shutil.rmtree(tmp, ignore_errors=True)  # tmp now holds the previous folder
        return
    old = _hidden(directory, "old") if aside is None else Path(aside)
    os.rename(directory, old)
    os.rename(tmp, directory)  # a kill before this line is repaired by recovery
    shutil.rmtree(old, ignore_errors=True)


def _leftovers(directory: Path) -> list[Path]:
    parent, name = directory.parent, directory.name
    out = []
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return out
    for entry in entries:
        for pattern in (_TMP, _LEGACY_OLD, _LEGACY_TMP):
            match = pattern.match(entry.name)
            if match and match.group("name") == name and entry.is_dir(follow_symlinks=False):
                out.append(Path(entry.path))
                break
    return sorted(out)


def recover(directory) -> None:
    """Repair what a killed writer of ``directory`` left; the caller holds :func:`lock`.

    When ``directory`` is missing but a previous version was set aside (a kill between the two
    renames), that version is put back. Every other leftover of ``directory`` is deleted.
    """
    directory = Path(directory)
    leftovers = _leftovers(directory)
    if not os.path.lexists(directory):
        previous = [p for p in leftovers if (_OLD.match(p.name) or _LEGACY_OLD.match(p.name))
                    and ((p / "manifest.json").is_file() or (p / "metadata.json").is_file())]
        if previous:
            os.rename(previous[0], directory)
            leftovers.remove(previous[0])
    for path in leftovers:
        shutil.rmtree(path, ignore_errors=True)


def repair(directory) -> None:
    """Put back ``directory`` when a killed writer left it set aside (missing, with a previous version
    beside it), so readers need not wait for the next writer; best effort, and a no-op unless such a
    leftover exists (nothing is created in a store that has none). A live writer's lock is respected."""
    directory = Path(directory)
    if os.path.lexists(directory) or not any(_OLD.match(p.name) or _LEGACY_OLD.match(p.name)
                                             for p in _leftovers(directory)):
        return
    try:
        with lock(directory, blocking=False) as held:
            if held:
                recover(directory)
    except OSError:
        pass  # a store this user cannot write: the owner's next command repairs it


def is_leftover(name: str) -> bool:
    """True for the names of temporary, set-aside and lock entries this module (or an older
    nasbench) creates beside a folder; listings skip them."""
    return name.startswith(".") or bool(_LEGACY_OLD.match(name))


def clean_leftovers(parent) -> None:
    """Recover and delete the leftovers of killed writers in ``parent`` that no live writer holds.

    Best effort: a folder of another user that cannot be removed is left alone.
    """
    parent = Path(parent)
    try:
        names = [e.name for e in os.scandir(parent) if e.is_dir(follow_symlinks=False)]
    except OSError:
        return
    targets = set()
    for name in names:
        for pattern in (_TMP, _LEGACY_OLD, _LEGACY_TMP):
            match = pattern.match(name)
            if match:
                targets.add(match.group("name"))
                break
    for name in sorted(targets):
        try:
            with lock(parent / name, blocking=False) as held:
                if held:
                    recover(parent / name)
        except OSError:
            continue


def write_folder(directory, fill, *, overwrite: bool = True, what: str = "folder",
                 flag: str = "overwrite=True") -> Path:
    """Write ``directory`` kill-safely: ``fill(tmp)`` writes the content into a fresh temporary folder,
    which then replaces ``directory`` in one step.

    Parameters
    ----------
    directory : path
    fill : callable
        ``fill(tmp: Path)`` writes every file; an exception leaves ``directory`` as it was.
    overwrite : bool
        When False and ``directory`` exists, raise :class:`FolderExistsError` (checked again under
        the lock, after ``fill``, so two writers cannot both create it).
    what, flag : str
        Words for the error message: what the folder is, and how to ask for overwriting.

    Returns
    -------
    Path
        ``directory``.
    """
    directory = Path(directory)

    def refuse():
        raise FolderExistsError(
            f"{what} {directory} already exists and is kept: expected a new destination, got an existing one; "
            f"choose another destination or pass {flag} to replace it."
        )

    with lock(directory):
        recover(directory)
        if not overwrite and os.path.lexists(directory):
            refuse()
        tmp = _hidden(directory, "tmp")
        os.mkdir(tmp, 0o777)  # the umask applies, unlike tempfile.mkdtemp's 0700
        try:
            fill(tmp)
            fsync_tree(tmp)
            if not overwrite and os.path.lexists(directory):
                refuse()
            put_in_place(tmp, directory)
            fsync_dir(directory.parent)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return directory
