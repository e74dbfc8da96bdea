"""``report.html``: the whole run of ``boostfocal compare`` in one self-contained page.

One file that opens in any browser, offline, and prints: the styles are in the page, the
figures are embedded as ``data:`` URIs (the PNGs of the run folder), and nothing is
loaded from anywhere. It holds the recommendation in the terminal's words (and the saved
model with the Python that loads it), the summary table with the terminal's marks, the
per-fold differences against logistic, the figures, the rounds each fit used (with early
stopping), what was run (data, settings, versions, the exact command line) and the
statistics in plain words. Built with :class:`string.Template` and :func:`html.escape`.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

import pandas as pd

#: The figures, in the page's order, with their captions.
FIGURES = {
    "ap_differences.png": "Average precision of every entry minus the logistic entry's, fold "
                          "by fold (dots), with the mean and its corrected 95% interval. "
                          "Marked * as in the table: beyond noise after the correction for "
                          "testing every entry.",
    "pr_curves.png": "Precision-recall curves from the out-of-fold predictions (every row "
                     "once, first repeat). The legend's AP is the table's: the mean over "
                     "folds.",
    "ap_vs_gamma.png": "Mean average precision against gamma (error bars: one standard "
                       "deviation over folds), with the baselines as horizontal lines.",
    "reliability.png": "Reliability: predicted probability against the observed frequency, "
                       "in log-odds bins with their 95% intervals; the lower panel gives "
                       "the rows in each bin. Wide intervals in sparse bins are noise, not "
                       "bias.",
}

STATISTICS = """\
<p>Every entry is trained and scored on the same folds: stratified ${k}-fold
cross-validation, repeated ${r} times with the rows shuffled anew (${n} folds in all).
For each entry the table compares its average precision (AP) with the logistic
entry's on the same folds.</p>
<ul>
<li><b>Why not a plain standard error?</b> The folds' training sets overlap, so the
folds are not independent samples: the plain standard error of the mean difference
would shrink with every repeat although the data stay the same, and would call noise a
difference. The corrected standard error, sd(d)&nbsp;&times;&nbsp;&radic;(1/${n} +
n<sub>test</sub>/n<sub>train</sub>), adds a term for the overlap that no number of repeats
removes (Nadeau &amp; Bengio 2003; for repeated cross-validation Bouckaert &amp; Frank
2004). The difference divided by it is compared with Student's t with ${df} degrees of
freedom.</li>
<li><b>Many entries at once.</b> Testing ${m} entries against logistic at the 5% level
each would find about one false difference in every two runs. The p-values are
adjusted together (Holm 1979): a run where no entry truly differs marks any entry
<code>*</code> in at most 5% of runs.</li>
<li><b>The best gamma is the best of many.</b> The entry with the highest mean AP is
partly there by luck, so its lead is optimistic. Focal loss is recommended only when a
focal entry beats the logistic objective after the correction; then the simplest such
entry (smallest gamma, then alpha=None) within noise of the best of them is
recommended.</li>
</ul>
<p class="small">References: C. Nadeau and Y. Bengio, "Inference for the Generalization
Error", Machine Learning 52 (2003) 239-281. R. R. Bouckaert and E. Frank, "Evaluating the
Replicability of Significance Tests for Comparing Learning Algorithms", PAKDD 2004,
LNCS 3056, 3-12. S. Holm, "A Simple Sequentially Rejective Multiple Test Procedure",
Scandinavian Journal of Statistics 6 (1979) 65-70.</p>
"""

PAGE = Template("""\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>boostfocal compare: $title</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
       max-width: 72rem; margin: 1.5rem auto; padding: 0 1rem; color: #222;
       line-height: 1.4; }
h1 { font-size: 1.45rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.15rem; border-bottom: 1px solid #ccc; padding-bottom: 0.15rem;
     margin-top: 1.6rem; }
.small, .note { font-size: 0.85rem; color: #555; }
.verdict { border-left: 4px solid #2b6cb0; background: #f3f7fb; padding: 0.6rem 0.9rem; }
.wide { overflow-x: auto; }
table { border-collapse: collapse; font-size: 0.8rem; margin: 0.4rem 0; }
th, td { padding: 0.16rem 0.4rem; border-bottom: 1px solid #e3e3e3; text-align: right;
         white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
tr.reference td { font-weight: 600; }
tr.beyond td:nth-child(3) { font-weight: 600; color: #8a1c1c; }
table.kv th { text-align: left; color: #555; font-weight: normal; }
table.kv td { text-align: left; white-space: normal; }
pre { background: #f6f6f6; padding: 0.5rem 0.7rem; overflow-x: auto; font-size: 0.82rem;
      white-space: pre-wrap; word-break: break-all; }
figure { margin: 1rem 0; page-break-inside: avoid; break-inside: avoid; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.85rem; color: #555; max-width: 44rem; }
@media print {
  body { max-width: none; margin: 0; font-size: 10pt; }
  table { font-size: 7pt; }
  .wide { overflow: visible; }
  h2 { page-break-after: avoid; break-after: avoid; }
  table, pre, .verdict { page-break-inside: avoid; break-inside: avoid; }
}
</style>
</head>
<body>
<h1>boostfocal compare: $title</h1>
<p class="small">$subtitle</p>
<h2>Recommendation</h2>
<div class="verdict">$verdict</div>
$model
<h2>Summary</h2>
$table
<p class="note">$table_note</p>
$differences
$figures
$rounds
<h2>What was run</h2>
$run
<h2>The statistics, in plain words</h2>
$statistics
</body>
</html>
""")


@dataclass
class Page:
    """What goes into the report (text as the terminal shows it)."""

    title: str
    subtitle: str
    verdict_lines: list[str]
    table: list[list[str]]
    table_note: str
    run: list[tuple[str, str]]
    statistics: dict[str, int]
    model: dict | None = None
    rounds: pd.DataFrame | None = None
    figure_notes: list[str] = field(default_factory=list)


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _table(rows: list[list[str]], marks: bool = True) -> str:
    """An HTML table of text cells; ``marks``: the summary's reference and ``*`` rows."""
    header, *body = rows
    head = "".join(f"<th>{_e(c)}</th>" for c in header)
    out = ['<div class="wide"><table>', f"<thead><tr>{head}</tr></thead>", "<tbody>"]
    for row in body:
        cls = "" if not marks else ("reference" if row[2] == "reference"
                                    else "beyond" if row[2].endswith("*") else "")
        attr = f' class="{cls}"' if cls else ""
        out.append(f"<tr{attr}>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>")
    out.append("</tbody></table></div>")
    return "\n".join(out)


def _figure(folder: Path, name: str) -> str:
    data = base64.b64encode((folder / name).read_bytes()).decode("ascii")
    return (f'<figure><img alt="{_e(name)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{_e(FIGURES[name])}</figcaption></figure>")


def _model(model: dict | None) -> str:
    if model is None:
        return ""
    code = "\n".join(model["load"])
    classes = ", ".join(f"{i}: {c!r}" for i, c in enumerate(model["classes"]))
    features = ", ".join(model["features"])
    onnx = (f" and <code>{_e(model['onnx_file'])}</code> (ONNX)"
            if model.get("onnx_file") else "")
    notes = "".join(f"<p class=\"note\">Note: {_e(n)}.</p>" for n in model.get("notes", []))
    return (f"<h2>The recommended model</h2><p>{_e(model['entry'])}, fitted on all rows "
            f"({model['n_estimators']} rounds) and saved in this run folder as "
            f"<code>{_e(model['file'])}</code> ({_e(model['estimator'])}){onnx}. "
            f"Load it and predict:</p><pre>{_e(code)}</pre>"
            f"<p class=\"note\">X: a pandas DataFrame with the columns {_e(features)} "
            "(text columns as pandas <code>category</code>). Classes of the probability "
            f"columns: {_e(classes)}.</p>{notes}")


def _rounds(rounds: pd.DataFrame | None) -> str:
    if rounds is None:
        return ""
    header = ["entry", *(str(c) for c in rounds.columns)]
    rows = [[str(name), *(str(v) for v in row)] for name, row in rounds.iterrows()]
    return "<h2>Rounds each fit used (early stopping)</h2>" + _table([header, *rows], False)


def _kv(pairs: list[tuple[str, str]]) -> str:
    cells = []
    for key, value in pairs:
        shown = (f"<pre>{_e(value)}</pre>" if key == "command line"
                 else _e(value).replace("\n", "<br>"))
        cells.append(f"<tr><th>{_e(key)}</th><td>{shown}</td></tr>")
    return '<table class="kv">' + "".join(cells) + "</table>"


def render(page: Page, folder: Path, figures: list[str]) -> str:
    """The report's HTML, figures read from ``folder`` and embedded."""
    shown = [name for name in FIGURES if name in figures]
    differences = _figure(folder, shown[0]) if shown[:1] == ["ap_differences.png"] else ""
    rest = [name for name in shown if name != "ap_differences.png"]
    figures_html = ("<h2>Figures</h2>" + "".join(_figure(folder, n) for n in rest)
                    if rest else "")
    figures_html += "".join(f'<p class="note">{_e(n)}</p>' for n in page.figure_notes)
    s = page.statistics
    statistics = Template(STATISTICS).substitute(
        k=s["folds"], r=s["repeats"], n=s["folds"] * s["repeats"],
        df=s["folds"] * s["repeats"] - 1, m=s["tests"])
    return PAGE.substitute(
        title=_e(page.title), subtitle=_e(page.subtitle),
        verdict="".join(f"<p>{_e(line)}</p>" for line in page.verdict_lines),
        model=_model(page.model), table=_table(page.table), table_note=_e(page.table_note),
        differences=differences, figures=figures_html, rounds=_rounds(page.rounds),
        run=_kv(page.run), statistics=statistics)


def write_report(folder: Path, page: Page, figures: list[str]) -> str:
    """Write ``report.html`` into the run's (temporary) folder; returns its name."""
    with open(folder / "report.html", "x", encoding="utf-8") as fh:
        fh.write(render(page, folder, figures))
    return "report.html"
