"""Install hints name the command that fits how nasbench was installed (index, local clone, editable)."""

from __future__ import annotations

import json

import pytest

from nasbench import errors


class FakeDist:
    """A distribution record with the given metadata files (None: absent)."""

    def __init__(self, files: dict):
        self.files = files

    def read_text(self, name):
        return self.files.get(name)


def _installed(monkeypatch, *dists):
    monkeypatch.setattr(errors.metadata, "distributions", lambda name: list(dists))


def _direct(url, editable=None):
    info = {"url": url}
    if editable is not None:
        info["dir_info"] = {"editable": editable}
    return json.dumps(info)


def test_index_install_names_the_published_extra(monkeypatch):
    _installed(monkeypatch, FakeDist({"INSTALLER": "pip\n"}))
    assert errors.install_hint("surrogate") == 'pip install "nasbench[surrogate]"'


def test_editable_clone_names_the_clone_and_keeps_it_editable(monkeypatch):
    _installed(monkeypatch, FakeDist({"INSTALLER": "pip", "direct_url.json": _direct("file:///home/me/nas%20bench", True)}))
    assert errors.install_hint("report") == 'pip install -e "/home/me/nas bench[report]"'


def test_local_clone_installed_plainly_names_the_clone_without_e(monkeypatch):
    _installed(monkeypatch, FakeDist({"INSTALLER": "pip", "direct_url.json": _direct("file:///src/nasbench")}))
    assert errors.install_hint("graph") == 'pip install "/src/nasbench[graph]"'


@pytest.mark.parametrize("extra", ["train", "dev"])
def test_torch_extras_install_the_cpu_build_first(monkeypatch, extra):
    _installed(monkeypatch, FakeDist({"INSTALLER": "pip"}))
    assert errors.install_hint(extra) == f'pip install torch==2.13.0 && pip install "nasbench[{extra}]"'


def test_a_build_egg_info_is_not_taken_for_an_install(monkeypatch):
    # a stray nasbench.egg-info (no INSTALLER file) in the working directory comes first
    _installed(monkeypatch, FakeDist({}), FakeDist({"INSTALLER": "pip", "direct_url.json": _direct("file:///c", True)}))
    assert errors.install_hint("report") == 'pip install -e "/c[report]"'


def test_running_from_a_checkout_without_install_suggests_installing_it_editable(monkeypatch):
    _installed(monkeypatch)
    repo = errors.Path(errors.__file__).resolve().parent.parent
    assert errors.install_hint("report") == f'pip install -e "{repo}[report]"'


def test_vcs_install_reinstalls_from_the_same_url(monkeypatch):
    direct = json.dumps({"url": "https://github.com/x/nasbench", "vcs_info": {"vcs": "git", "commit_id": "abc"}})
    _installed(monkeypatch, FakeDist({"INSTALLER": "pip", "direct_url.json": direct}))
    assert errors.install_hint("report") == 'pip install "nasbench[report] @ git+https://github.com/x/nasbench"'
