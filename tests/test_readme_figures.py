"""README figures agree with what perf/readme_figures.py measures now (issue: figures that cannot go stale)."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

from tests.conftest import data_root_env

ROOT = Path(__file__).resolve().parent.parent


def _load_script():
    spec = importlib.util.spec_from_file_location("readme_figures", ROOT / "perf" / "readme_figures.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


figures = _load_script()
BLOCKS = {block.name: block for block in figures.BLOCKS}


def test_readme_and_script_name_the_same_blocks_once_each():
    in_readme = figures.readme_blocks(figures.README.read_text())
    assert set(in_readme) == set(BLOCKS)


def test_two_blocks_of_one_name_are_refused():
    text = "<!-- figures: a -->\nx\n<!-- /figures -->\n<!-- figures: a -->\ny\n<!-- /figures -->\n"
    with pytest.raises(ValueError, match="two blocks named 'a'"):
        figures.readme_blocks(text)


def test_write_replaces_only_the_named_bodies():
    text = "intro\n<!-- figures: a -->\nold a\n<!-- /figures -->\nmid\n<!-- figures: b -->\nold b\n<!-- /figures -->\n"
    new = figures.write_blocks(text, {"a": "new a 1.5\n"})
    assert figures.readme_blocks(new) == {"a": "new a 1.5\n", "b": "old b\n"}
    assert new.startswith("intro\n") and "\nmid\n" in new


def test_timing_blocks_compare_prose_and_exact_blocks_compare_everything():
    timing = figures.Block("t", "timing", dict, "took {s} s")
    exact = figures.Block("e", "exact", dict, "took {s} s")
    assert figures.agrees(timing, "took 1.5 s\n", "took 2.25 s\n")
    assert not figures.agrees(timing, "took 1.5 s\n", "lasted 1.5 s\n")
    assert not figures.agrees(exact, "took 1.5 s\n", "took 2.25 s\n")


def test_a_wrapped_bullet_keeps_its_continuation_lines_indented():
    bullet = figures.Block("b", "exact", dict, "* " + "word " * 40)
    lines = bullet.render({}).splitlines()
    assert len(lines) > 1 and lines[0].startswith("* ") and all(line.startswith("  word") for line in lines[1:])
    assert max(map(len, lines)) <= figures.WIDTH


def test_unknown_block_name_is_a_clear_error():
    with pytest.raises(SystemExit, match="no such block; known: main_job"):
        figures.selected(["nope"])


def _check(name: str) -> None:
    block = BLOCKS[name]
    body = figures.readme_blocks(figures.README.read_text())[name]
    rendered = block.render(block.measure())
    assert figures.agrees(block, body, rendered), (
        f"README block {name!r} is stale; run `python perf/readme_figures.py --write --only {name}`\n"
        f"README:   {body}\nmeasured: {rendered}")


@pytest.mark.parametrize("name", [b.name for b in figures.BLOCKS if b.in_ci and not b.needs])
def test_embedded_figures_agree_with_the_readme(name):
    _check(name)


@pytest.mark.parametrize("name", [b.name for b in figures.BLOCKS
                                  if b.in_ci and b.needs and all(n.startswith("nb201/") for n in b.needs)])
def test_nb201_figures_agree_with_the_readme(name, nb201_data_root):
    assert os.environ["NASBENCH_DATA"] == str(nb201_data_root)
    _check(name)


@pytest.fixture(scope="module")
def more_data_root(nb201_data_root, shared_data, tmp_path_factory):
    """A store of this module's own: the session's nb201 tables (linked) plus transnas-micro, as NASBENCH_DATA."""
    from tabular_data.importers.transnas_micro import import_transnas_micro

    root = tmp_path_factory.mktemp("readme_figures_data")
    (root / "nb201").symlink_to(nb201_data_root / "nb201", target_is_directory=True)
    import_transnas_micro(shared_data, root, log=lambda line: None)
    with data_root_env(root):
        yield root


@pytest.mark.parametrize("name", [b.name for b in figures.BLOCKS
                                  if b.in_ci and b.needs and not all(n.startswith("nb201/") for n in b.needs)])
def test_other_figures_agree_with_the_readme(name, more_data_root):
    if missing := figures.missing_benchmarks(BLOCKS[name]):
        pytest.skip(f"{', '.join(missing)} not loadable here (graph/*: pip install '.[graph]')")
    _check(name)


def test_blocks_left_out_of_ci_say_how_long_they_take():
    slow = [b for b in figures.BLOCKS if not b.in_ci]
    assert all("min" in b.about for b in slow), [b.name for b in slow]
