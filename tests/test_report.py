"""Report HTML: every string from data or a codebook is escaped; rendered reports hide code."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from workbench.codebook import Codebook
from workbench.data import SurveyData
from workbench.report import (
    StudyRun,
    esc,
    findings_html,
    render_html,
    table_html,
    update_index,
    warnings_html,
)
from workbench.screening import screen_items

SCRIPT = "<script>alert(1)</script>"
QUOTES = "\"&'"
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"


def assert_safe(html: str) -> None:
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert QUOTES not in html  # '&' is always escaped, so the raw sequence cannot survive
    assert ESCAPED_SCRIPT in html


@pytest.fixture
def hostile_survey() -> SurveyData:
    item_a, item_b = f"A1{SCRIPT}", f"A2{QUOTES}"
    cb = Codebook.from_dict(
        {
            "title": f"Survey {SCRIPT}",
            "scale": {"min": 1, "max": 5},
            "constructs": {
                SCRIPT: {"items": [item_a, item_b], "label": f"{SCRIPT} {QUOTES}"},
                f"single{QUOTES}": ["<img src=x onerror=alert(1)>"],
            },
            "labels": {item_a: f"{SCRIPT} 满意度", item_b: QUOTES},
        }
    )
    frame = pd.DataFrame(
        {
            item_a: [1.0, 2.0, 3.0, 4.0, 5.0],
            item_b: [2.0, 2.0, 3.0, 5.0, 4.0],
            "<img src=x onerror=alert(1)>": [3.0, 3.0, 3.0, 3.0, 3.0],
        }
    )
    return SurveyData(
        frame=frame, raw=frame, codebook=cb, path="s.csv", sha256="0", warnings=cb.warnings
    )


def test_esc_escapes_tags_ampersands_and_both_quotes():
    assert esc(SCRIPT) == ESCAPED_SCRIPT
    assert esc(QUOTES) == "&quot;&amp;&#x27;"
    assert esc(3.5) == "3.5"


def test_table_html_escapes_index_columns_and_cells(hostile_survey):
    result = screen_items(hostile_survey)
    html = table_html(result.items)
    assert_safe(html)
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "满意度" in html

    frame = pd.DataFrame({SCRIPT: [QUOTES, 1.23456]}, index=[SCRIPT, "ok"])
    html = table_html(frame, digits=2)
    assert_safe(html)
    assert "1.23" in html and "1.2346" not in html


def test_findings_html_escapes_every_finding():
    html = findings_html([f"Construct {SCRIPT} has alpha 0.81", f"Item {QUOTES} is weak"])
    assert_safe(html)
    assert "Key findings" in html
    assert html.count("<li>") == 2


def test_warnings_html_escapes_codebook_warnings(hostile_survey):
    warnings = screen_items(hostile_survey).warnings
    assert any("single item" in w for w in warnings)  # from the hostile single-item construct
    assert any("is constant" in w for w in warnings)
    html = warnings_html(warnings)
    assert "<img src=x" not in html and "<script>alert" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert f"Warnings ({len(warnings)})" in html
    assert "none" in warnings_html([])


def test_study_run_header_escapes_title_files_command_and_parameters(tmp_path):
    run = StudyRun(
        study="factor-analysis",
        title=f"Title {SCRIPT}",
        parameters={f"p{SCRIPT}": QUOTES, "drivers": [SCRIPT, "价值"]},
        data_file=f"/data/{SCRIPT}{QUOTES}.csv",
        codebook_file=f"/data/{SCRIPT}.yaml",
        output_dir=tmp_path,
        command=f"workbench run x --data '{SCRIPT}'",
        data_sha256="ab" * 32,
    )
    html = run.header_html()
    assert_safe(html)
    assert "价值" in html
    assert "ab" * 32 in html
    for part in ("Data file", "SHA-256", "Codebook", "Run date", "Re-run with", "Packages"):
        assert part in html


def test_update_index_escapes_hostile_results(tmp_path):
    reports = tmp_path / "reports"
    folder = reports / "study" / "run'><img src=x onerror=alert(1)>"
    folder.mkdir(parents=True)
    (folder / "results.json").write_text(
        json.dumps(
            {
                "study": SCRIPT,
                "data_file": f"/data/{SCRIPT[:-9]}{QUOTES}.csv",
                "started": f"2026-11-22T10:00:00{SCRIPT}",
                "n_used": SCRIPT,
                "headline": {SCRIPT: QUOTES, "alpha range": "0.70–0.90"},
                "warnings": [SCRIPT],
            }
        ),
        encoding="utf-8",
    )
    index = update_index(reports)
    html = index.read_text(encoding="utf-8")
    assert_safe(html)
    assert "run&#x27;&gt;&lt;img src=x" in html
    assert "alpha range: 0.70–0.90" in html
    assert "1 run(s)" in html


def test_update_index_lists_runs_newest_first_and_skips_broken_json(tmp_path):
    for name, started in [("old", "2026-01-01T09:00:00"), ("new", "2026-06-01T09:00:00")]:
        folder = tmp_path / "s" / name
        folder.mkdir(parents=True)
        (folder / "results.json").write_text(
            json.dumps({"study": f"study-{name}", "started": started, "data_file": "d.csv"})
        )
    broken = tmp_path / "s" / "broken"
    broken.mkdir()
    (broken / "results.json").write_text("{not json")
    html = update_index(tmp_path).read_text(encoding="utf-8")
    assert "2 run(s)" in html
    assert html.index("study-new") < html.index("study-old")
    assert "href='s/new/report.html'" in html


# --------------------------------------------------------------------------- render_html
@pytest.fixture
def executed_notebook(tmp_path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Report title\n\nNarrative text for managers."),
        nbformat.v4.new_code_cell(
            "secret_code_marker = 1\nprint('visible stdout')",
            execution_count=1,
            outputs=[
                nbformat.v4.new_output("stream", name="stdout", text="visible stdout\n"),
                nbformat.v4.new_output("stream", name="stderr", text="STDERR_NOISE_MARKER\n"),
            ],
        ),
        nbformat.v4.new_code_cell(
            "display(HTML(findings))",
            execution_count=2,
            outputs=[
                nbformat.v4.new_output(
                    "display_data",
                    data={"text/html": findings_html(["Alpha is 0.85 for 信任"])},
                )
            ],
        ),
    ]
    path = tmp_path / "notebook.ipynb"
    nbformat.write(nb, path)
    return path


def test_render_html_hides_code_and_stderr_and_loads_nothing_external(executed_notebook, tmp_path):
    before = executed_notebook.read_bytes()
    out = render_html(executed_notebook, tmp_path / "report.html", title="Demo")
    html = out.read_text(encoding="utf-8")
    assert "Narrative text for managers." in html
    assert "visible stdout" in html
    assert "Alpha is 0.85 for 信任" in html
    assert "secret_code_marker" not in html
    assert "display(HTML" not in html
    assert "STDERR_NOISE_MARKER" not in html
    assert not re.search(r"<script[^>]*\bsrc=[\"']?https?://", html, re.I)
    assert not re.search(r"<link[^>]*\bhref=[\"']?https?://[^>]*stylesheet", html, re.I)
    assert executed_notebook.read_bytes() == before  # the executed notebook keeps everything


# --------------------------------------------------------------------------- show
def _shown_html(obj, monkeypatch, **kwargs) -> str:
    import IPython.display

    from workbench import report

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda o: shown.append(o.data))
    report.show(obj, **kwargs)
    return "".join(shown)


def test_show_caps_long_tables_and_says_how_many_rows_there_are(monkeypatch):
    frame = pd.DataFrame({"respondent": range(5_000), "value": 1.0})
    html = _shown_html(frame, monkeypatch, max_rows=50)
    assert html.count("<tr") == 51  # header row + 50 rows
    assert "Showing the first 50 of 5,000 rows" in html
    short = _shown_html(frame.head(20), monkeypatch, max_rows=50)
    assert short.count("<tr") == 21 and "Showing the first" not in short
