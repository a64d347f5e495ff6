"""Reports: a summary for the terminal, and Markdown plus one self-contained HTML file people can read.

The HTML has real tables with 95% intervals, the grader fingerprint as a list, the accounting (fallbacks,
latency, tokens, cost), per-slice tables, the cued-against-inline comparison, the side-by-side table when
several runs are given, and plots, including each headline metric across the run history. Every piece of text
from a record (answers, rubric-derived ids, grader strings) is escaped; the page loads nothing from outside.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any

from evals import compare, plots, tables
from evals.record import RunRecord
from evals.tables import Table

CSS = ("body{font-family:system-ui,sans-serif;max-width:64rem;margin:auto;padding:1rem;color:#1d1d1f}"
       "table{border-collapse:collapse;margin:.5rem 0 1.2rem;font-size:.9rem}"
       "th,td{border:1px solid #d0d7de;padding:.3rem .55rem;text-align:left;vertical-align:top}"
       "th{background:#f6f8fa}caption{text-align:left;font-weight:600;padding:.3rem 0}"
       ".invalid{background:#ffebe9;border:1px solid #cf222e;padding:.6rem;border-radius:4px}"
       "dl.fp{display:grid;grid-template-columns:max-content 1fr;gap:.15rem .8rem;font-size:.85rem}"
       "dl.fp dt{font-weight:600}dl.fp dd{margin:0;font-family:ui-monospace,monospace;word-break:break-all}"
       "figure{display:inline-block;margin:.4rem}img{max-width:100%}.note{color:#57606a;font-size:.85rem}")


def summary_table(rec: RunRecord) -> str:
    """What `evals run` prints: the headline line, then the tables as Markdown."""
    m = rec.metrics
    head = (f"{rec.dataset['name']}: {rec.dataset['n']} items, grader {rec.grader.get('kind')} "
            f"({rec.grader.get('model') or rec.grader.get('version', '')}), {m['speed']['seconds']} s, "
            f"{m['speed']['answers_per_s']} answers/s")
    if not rec.valid:
        head += f"\nINVALID RUN: {rec.invalid_reason}"
    parts = [head]
    for t in tables.run_tables(rec):
        if t.title != "Largest disagreements":
            parts.append(tables.markdown(t))
    return "\n\n".join(parts)


def _esc(s: Any) -> str:
    return html.escape(str(s), quote=True)


def html_table(t: Table) -> str:
    head = "".join(f"<th scope=col>{_esc(h)}</th>" for h in t.header)
    body = "".join("<tr>" + "".join(f"<td>{_esc(c)}</td>" for c in row) + "</tr>" for row in t.rows)
    note = f"<p class=note>{_esc(t.note)}</p>" if t.note else ""
    return f"<table><caption>{_esc(t.title)}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{note}"


def _fingerprint_html(fp: dict[str, Any]) -> str:
    items = "".join(f"<dt>{_esc(k)}</dt><dd>{_esc(v)}</dd>" for k, v in tables.fingerprint_items(fp))
    return f"<dl class=fp>{items}</dl>"


def _figure(name: str, png: bytes) -> str:
    return (f'<figure><img alt="{_esc(name)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'
            f"<figcaption>{_esc(name)}</figcaption></figure>")


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name).strip("_")


def write_report(recs: list[RunRecord], hist: list[dict[str, Any]], out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    stem = recs[0].run_id if len(recs) == 1 else f"{recs[0].run_id}-vs-{len(recs) - 1}"
    figs = [("confusion", plots.confusion(recs[0])), ("scatter", plots.scatter(recs[0])),
            ("kappa per competency", plots.kappa_bars(recs[0])), ("side by side", plots.side_by_side(recs)),
            *plots.history_plots(hist)]
    figs_made = [(n, p) for n, p in figs if p]
    title = f"Grader evaluation: {recs[0].dataset['name']}"
    md = [f"# {title}", ""]
    body = [f"<h1>{_esc(title)}</h1>"]
    if len(recs) > 1:
        cmp_table = Table("Side by side", [""] + [compare.column_name(r) for r in recs],
                          [[label, *cells] for label, cells in compare.rows(recs)])
        md += [tables.markdown(cmp_table), ""]
        body += ["<h2>Side by side</h2>", html_table(cmp_table)]
    for r in recs:
        md += [f"## Run {r.run_id}", ""]
        body.append(f"<section><h2>Run {_esc(r.run_id)}</h2>")
        if not r.valid:
            md += [f"**INVALID RUN:** {r.invalid_reason}", ""]
            body.append(f"<p class=invalid><strong>Invalid run.</strong> {_esc(r.invalid_reason)}</p>")
        body.append(f"<p>{_esc(r.dataset['name'])}: {_esc(r.dataset['n'])} items, {_esc(r.mode)} rubrics, "
                    f"created {_esc(r.created_at)}</p><h3>Grader fingerprint</h3>" + _fingerprint_html(r.grader))
        md += ["Grader fingerprint:", ""] + [f"- {k}: `{v}`" for k, v in tables.fingerprint_items(r.grader)] + [""]
        for t in tables.run_tables(r):
            md += [tables.markdown(t), ""]
            body.append(html_table(t))
        body.append("</section>")
    if figs_made:
        body.append("<h2>Plots</h2>")
    for name, png in figs_made:
        path = out / f"{stem}-{_slug(name)}.png"
        path.write_bytes(png)
        md += [f"![{name}]({path.name})", ""]
        body.append(_figure(name, png))
    md_path, html_path = out / f"{stem}.md", out / f"{stem}.html"
    md_path.write_text("\n".join(md) + "\n", encoding="utf-8")
    html_path.write_text("<!doctype html><html lang=en><meta charset=utf-8>"
                         "<meta http-equiv=Content-Security-Policy content=\"default-src 'none'; img-src data:; "
                         "style-src 'unsafe-inline'\"><title>casewise eval report</title>"
                         f"<style>{CSS}</style>" + "".join(body) + "</html>\n", encoding="utf-8")
    return md_path, html_path
