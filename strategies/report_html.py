"""``report.html``: one self-contained page of a comparison (no network, no scripts).

It holds the leaderboard and statistics (the text of ``leaderboard.md``), every plot inline (PNG as
base64), and the provenance a reader needs to trust the numbers: the config, the task (metrics,
fidelities, noise, cost model), the benchmark's checksums, library versions and strategy parameters.
It is written before ``manifest.json`` from the same facts, and carries no timestamp, so the same
config gives the same bytes.
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path

__all__ = ["render_report"]

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border: 1px solid #bbb; padding: 0.3em 0.6em; text-align: right; }
th { background: #f0f0f0; } td:nth-child(2) { text-align: left; }
img { max-width: 100%; border: 1px solid #ddd; margin: 0.5em 0; }
figcaption { font-size: 0.85em; color: #444; max-width: 900px; }
pre { background: #f7f7f7; padding: 0.8em; overflow-x: auto; font-size: 0.8em; }
"""


def _markdown_to_html(text: str) -> str:
    """The subset of Markdown that ``leaderboard.md`` uses: a ``##`` title, pipe tables, ``-`` items and
    paragraphs; every piece of text is escaped (arch strings hold ``|`` and ``<``)."""
    out, table, items = [], [], []

    def flush():
        if table:
            head, body = table[0], [r for r in table[2:]]
            out.append("<table><tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in head) + "</tr>"
                       + "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in body)
                       + "</table>")
            table.clear()
        if items:
            out.append("<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>")
            items.clear()

    for line in text.splitlines():
        if line.startswith("|"):
            table.append(_cells(line))
            continue
        if line.startswith("- "):
            items.append(line[2:])
            continue
        flush()
        if line.startswith("## "):
            out.append(f"<h1>{html.escape(line[3:])}</h1>")
        elif line.strip():
            out.append(f"<p>{html.escape(line)}</p>")
    flush()
    return "\n".join(out)


def _cells(line: str) -> list[str]:
    """The cells of one Markdown table row, with ``\\|`` and ``\\\\`` unescaped
    (:func:`strategies.leaderboard.escape_cell` wrote them)."""
    cells, cell, chars = [], [], iter(line.strip())
    for ch in chars:
        if ch == "\\":
            cell.append(next(chars, "\\"))
        elif ch == "|":
            cells.append("".join(cell).strip())
            cell = []
        else:
            cell.append(ch)
    cells.append("".join(cell).strip())
    return cells[1:-1]  # the text before the first and after the last pipe


def render_report(markdown: str, figures: list, folder: Path, facts: dict) -> bytes:
    """The page as UTF-8 bytes.

    Parameters
    ----------
    markdown : str
        The text of ``leaderboard.md``.
    figures : list of (str, str)
        ``(file name, caption)`` of each PNG in ``folder`` to inline, in order.
    folder : Path
        Where the PNGs were written.
    facts : dict
        JSON-serialisable provenance (config, task, benchmark checksums, versions, strategies).
    """
    images = []
    for name, caption in figures:
        data = base64.b64encode((Path(folder) / name).read_bytes()).decode("ascii")
        images.append(f'<figure><img alt="{html.escape(name)}" src="data:image/png;base64,{data}">'
                      f"<figcaption><b>{html.escape(name)}</b>: {html.escape(caption)}</figcaption></figure>")
    provenance = "".join(
        f"<h2>{html.escape(key)}</h2><pre>{html.escape(json.dumps(value, indent=1, sort_keys=True, default=str))}</pre>"
        for key, value in facts.items())
    page = (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>nasbench compare: {html.escape(str(facts.get('config', {}).get('benchmark', '')))}</title>"
        f"<style>{_STYLE}</style></head><body>\n"
        f"{_markdown_to_html(markdown)}\n"
        + ("<h2>Plots</h2>\n" + "\n".join(images) + "\n" if images else "")
        + provenance + "\n<p>Written by nasbench compare; manifest.json lists every file with its sha256.</p>"
        "</body></html>\n"
    )
    return page.encode("utf-8")
