"""report.html: a self-contained page of a comparison, looked at in a real headless browser."""

from __future__ import annotations

import os
import shutil
import subprocess

import numpy as np
import pytest

from strategies.compare import CompareConfig, run_compare, write_outputs
from strategies.report_html import _markdown_to_html


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    pytest.importorskip("matplotlib")
    out = tmp_path_factory.mktemp("html") / "run"
    result = run_compare(CompareConfig(benchmark="nb201/digits", strategies=("random_search", "regularized_evolution",
                                                                             "local_search"),
                                       n_seeds=4, max_evals=30), n_jobs=1)
    write_outputs(result, out)
    return out


def test_report_is_self_contained_and_listed_in_the_manifest(run_dir):
    import json

    page = (run_dir / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 3 and "<table>" in page and "Friedman test" in page
    assert "http://" not in page and "https://" not in page and "<script" not in page
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert "report.html" in manifest["outputs"] and "<h2>config</h2>" in page and "<h2>task</h2>" in page
    # each plot says what it shows: the regret curves why they can rise
    assert "<figcaption><b>regret_vs_evals.png</b>: Each curve: the regret of test_acc of the incumbent" in page
    assert "so a curve can rise" in page and "<th>rank</th><th>strategy</th>" in page


def test_markdown_text_is_escaped():
    text = "## t\n\n| # | arch |\n|---|---|\n| 1 | <b>x</b>~0 |\n\n- a < b"
    out = _markdown_to_html(text)
    assert "&lt;b&gt;x&lt;/b&gt;" in out and "<li>a &lt; b</li>" in out and out.count("<td>") == 2


def _chromium():
    found = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if found is None:
        reason = "headless chromium is not installed (Debian: apt-get install chromium)"
        if os.environ.get("NASBENCH_REQUIRE_CHROMIUM") == "1":
            pytest.fail(reason + "; NASBENCH_REQUIRE_CHROMIUM=1 forbids skipping")
        pytest.skip(reason)
    return found


def test_report_renders_in_headless_chromium(run_dir, tmp_path):
    from matplotlib.image import imread

    shot = tmp_path / "report.png"
    cmd = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
           f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1200,2400", f"--screenshot={shot}",
           (run_dir / "report.html").as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and shot.is_file(), proc.stderr[-2000:]
    pixels = imread(shot)
    assert pixels.shape[0] == 2400 and pixels.shape[1] == 1200
    # a page with text, tables and plots, not a blank or error page: many distinct grey levels
    grey = np.round(pixels[..., :3].mean(axis=2) * 255)
    assert np.unique(grey).size > 50 and grey.std() > 10
