"""tabular_data.atomic: the one folder swap that tables, models and result folders share."""

import os

import pytest

from tabular_data import atomic


def _folder(path, text):
    path.mkdir()
    (path / "a.txt").write_text(text)
    return path


def test_put_in_place_renames_a_new_folder_and_swaps_an_existing_one(tmp_path):
    dest = tmp_path / "dest"
    atomic.put_in_place(_folder(tmp_path / ".dest.tmp-1", "one"), dest)
    assert (dest / "a.txt").read_text() == "one"
    atomic.put_in_place(_folder(tmp_path / ".dest.tmp-2", "two"), dest)
    assert (dest / "a.txt").read_text() == "two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dest"]  # the previous folder is gone


def test_without_an_atomic_swap_the_previous_folder_goes_to_the_given_aside_name(tmp_path, monkeypatch):
    dest = _folder(tmp_path / "dest", "old")
    monkeypatch.setattr(atomic, "_exchange", lambda a, b: False)
    renames, real = [], os.rename
    monkeypatch.setattr(atomic.os, "rename", lambda a, b: (renames.append((str(a), str(b))), real(a, b))[1])
    aside = tmp_path / ".dest.caller-old-1"
    atomic.put_in_place(_folder(tmp_path / ".dest.tmp-1", "new"), dest, aside=aside)
    assert renames == [(str(dest), str(aside)), (str(tmp_path / ".dest.tmp-1"), str(dest))]
    assert (dest / "a.txt").read_text() == "new" and not aside.exists()


def test_a_kill_between_the_fallback_renames_is_repaired_by_recover(tmp_path, monkeypatch):
    dest = _folder(tmp_path / "dest", "old")
    (dest / "manifest.json").write_text("{}")
    monkeypatch.setattr(atomic, "_exchange", lambda a, b: False)
    real, calls = os.rename, []

    def rename(a, b):
        calls.append(a)
        if len(calls) == 2:
            raise KeyboardInterrupt  # stands for the kill after the previous folder was set aside
        return real(a, b)

    monkeypatch.setattr(atomic.os, "rename", rename)
    with pytest.raises(KeyboardInterrupt):
        atomic.put_in_place(_folder(tmp_path / ".dest.tmp-1-ab", "new"), dest)
    assert not dest.exists()
    monkeypatch.setattr(atomic.os, "rename", real)
    atomic.recover(dest)
    assert (dest / "a.txt").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dest"]


def test_fsync_tree_flushes_nested_files_and_skips_links(tmp_path):
    root = _folder(tmp_path / "root", "x")
    (root / "sub").mkdir()
    (root / "sub" / "b.txt").write_text("y")
    (root / "link").symlink_to(tmp_path / "missing")  # a dangling link must not make it fail
    atomic.fsync_tree(root)
    atomic.fsync_dir(tmp_path / "no-such-folder")  # best effort: nothing to flush, no error
