"""`boostfocal compare`'s report.html: one self-contained page with the whole run."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
import textwrap
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from boostfocal.compare.cli import main

pytest.importorskip("xgboost")

FIGURES = {"ap_differences.png", "pr_curves.png", "ap_vs_gamma.png", "reliability.png"}
ARGV = ["--folds", "2", "--repeats", "2", "--gammas", "0,2", "--n-estimators", "20"]


class _Page(HTMLParser):
    """Every tag with its attributes, and the text, of an HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in ("meta", "img", "br", "link", "input"):
            self.open.append(tag)

    def handle_endtag(self, tag):
        assert self.open and self.open[-1] == tag, (tag, self.open[-5:])
        self.open.pop()

    def handle_data(self, data):
        self.text.append(data)


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    assert page.open == []  # every element closed, in order
    return page


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    """One small run on a CSV with a text column; returns its run folder."""
    d = tmp_path_factory.mktemp("report")
    rng = np.random.default_rng(0)
    n = 600
    x = rng.normal(size=(n, 2))
    city = rng.choice(["paris", "lyon", "nice"], n)
    z = x[:, 0] + 0.8 * (city == "nice") + 0.5 * rng.normal(size=n)
    pd.DataFrame({"x1": x[:, 0], "x2": x[:, 1], "city": city,
                  "churn": np.where(z > 1.4, "yes", "no")}).to_csv(d / "churn <&> data.csv",
                                                                   index=False)
    code = main(["compare", str(d / "churn <&> data.csv"), "--target", "churn", "--out",
                 str(d / "out"), *ARGV])
    assert code == 0
    return d / "out" / "run-001"


def test_the_report_is_self_contained(run):
    page = _parse(run / "report.html")
    images = [attrs for tag, attrs in page.tags if tag == "img"]
    assert len(images) == len(FIGURES)
    shown = {attrs["alt"] for attrs in images}
    assert shown == FIGURES
    for attrs in images:
        prefix = "data:image/png;base64,"
        assert attrs["src"].startswith(prefix)
        png = base64.b64decode(attrs["src"][len(prefix):], validate=True)
        assert png == (run / attrs["alt"]).read_bytes()  # the run's own figure
    # nothing that a browser would fetch: no scripts, stylesheets, frames or remote URLs
    for tag, attrs in page.tags:
        assert tag not in ("script", "link", "iframe", "object", "embed")
        for name in ("src", "href", "data", "poster", "srcset"):
            value = attrs.get(name)
            assert value is None or value.startswith("data:"), (tag, name, value)
    html = (run / "report.html").read_text(encoding="utf-8")
    assert "url(" not in html and "@import" not in html and "http" not in html


def test_the_report_holds_every_entry_and_the_recommendation(run):
    page = _parse(run / "report.html")
    text = " ".join(" ".join(page.text).split())
    doc = json.loads((run / "results.json").read_text())
    summary = pd.read_csv(run / "summary.csv")
    cells = [chunk.strip() for chunk in page.text]
    for row in summary.itertuples():
        assert row.entry in cells
        assert row.ap_diff_shown in cells  # with the terminal's * marks
    assert doc["recommendation"] in text
    assert doc["recommendation"].startswith("Recommendation:")
    assert "reference" in cells
    # what was run: data, rows, classes, settings, versions, the exact command line
    assert "churn <&> data.csv" in text and "600 rows x 3 features" in text
    assert "'no': " in text and "(positive class 'yes')" in text
    assert "2-fold CV x 2 repeats, stratified, seed 0" in text
    assert "boostfocal 0.1.0" in text and "xgboost " in text and "scikit-learn " in text
    command = next(t for t in page.text if t.startswith("boostfocal compare "))
    assert command.endswith(" ".join(ARGV)) and "'" in command  # the file name is quoted
    assert "Holm" in text and "Bouckaert" in text and "Nadeau" in text


def test_json_names_the_report(tmp_path, capsys, run):
    data = next(run.parent.parent.glob("*.csv"))
    code = main(["compare", str(data), "--target", "churn", "--out", str(tmp_path),
                 "--json", *ARGV])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    assert doc["report"] == str(tmp_path / "run-001" / "report.html")
    assert doc["report"] in doc["files"]
    assert json.loads((tmp_path / "run-001" / "results.json").read_text())["report"] == \
        "report.html"


def test_without_matplotlib_the_report_says_so(run, tmp_path):
    data = next(run.parent.parent.glob("*.csv"))
    code = f"""
        import sys
        sys.modules["matplotlib"] = None  # as if it were not installed
        from boostfocal.compare.cli import main
        sys.exit(main(["compare", {str(data)!r}, "--target", "churn",
                       "--out", {str(tmp_path)!r}, *{ARGV!r}]))
    """
    res = subprocess.run([sys.executable, "-c", textwrap.dedent(code)],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    page = _parse(tmp_path / "run-001" / "report.html")
    assert not [tag for tag, _ in page.tags if tag == "img"]
    assert "Figures skipped: matplotlib is not installed" in " ".join(page.text)


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.mark.skipif(_chromium() is None,
                    reason="no Chromium here (Debian: apt-get install chromium); the "
                           "parse checks above still run")
def test_the_report_renders_and_prints_in_headless_chromium(run, tmp_path):
    """Offline (every request to a network host fails), the page renders with its figures
    loaded, and prints to PDF."""
    base = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu",
            "--host-resolver-rules=MAP * ~NOTFOUND", f"--user-data-dir={tmp_path / 'prof'}"]
    url = (run / "report.html").as_uri()
    dom = subprocess.run([*base, "--virtual-time-budget=5000", "--dump-dom", url],
                         capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr
    assert "Recommendation:" in dom.stdout and "data:image/png;base64," in dom.stdout
    shot = tmp_path / "shot.png"
    subprocess.run([*base, "--window-size=1100,2400", f"--screenshot={shot}", url],
                   capture_output=True, timeout=120, check=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000
    pdf = tmp_path / "report.pdf"
    subprocess.run([*base, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", url],
                   capture_output=True, timeout=120, check=True)
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 100_000
