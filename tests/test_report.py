"""Report HTML: every string from data or a codebook is escaped; rendered reports hide code;
numbers, p-values and status markers read right in a browser whatever fonts it has."""

from __future__ import annotations

import json
import pickle
import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from workbench.intake.codebook import Codebook
from workbench.intake.data import SurveyData
from workbench.intake.screening import screen_items
from workbench.presentation.report import (
    PAGE_CSS,
    REPORT_CSS,
    Marker,
    StudyRun,
    apa_p_text,
    check_mark,
    esc,
    findings_html,
    format_p,
    format_r,
    render_html,
    table_html,
    traffic_light,
    update_index,
    warnings_html,
)

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

    from workbench.presentation import report

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


# --------------------------------------------------------------------------- as a browser shows it
# Emoji and dingbats: drawn as empty boxes where no emoji font is installed (stock Debian).
EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf]")
ROOT = Path(__file__).resolve().parents[1]


class _Cells(HTMLParser):
    """The cells of the tables in a page as {(row label, column label): text}."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: dict[tuple[str, str], str] = {}
        self.columns: list[str] = []
        self._row: list[tuple[str, str]] = []
        self._cell: list[str] | None = None
        self._kind = ""

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if tag == "table":
            self.columns = []
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell, self._kind = [], tag
            if "col_heading" in classes:
                self._kind = "column"
            elif "row_heading" in classes:
                self._kind = "row"

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            text = "".join(self._cell).strip()
            if self._kind == "column":
                self.columns.append(text)
            else:
                self._row.append((self._kind, text))
            self._cell = None
        elif tag == "tr":
            label = next((t for k, t in self._row if k == "row"), "")
            values = [t for k, t in self._row if k == "td"]
            for column, value in zip(self.columns, values, strict=False):
                self.cells[(label, column)] = value


def cells(html: str) -> dict[tuple[str, str], str]:
    parser = _Cells()
    parser.feed(html)
    return parser.cells


def visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S | re.I)
    return re.sub(r"<[^>]+>", " ", html)


def assumption_checks() -> pd.DataFrame:
    """Shaped as a study's assumption table: a status word turned into a traffic light."""
    t = pd.DataFrame(
        {
            "check": ["VIF trust", "Residual normality (Shapiro-Wilk p)", "Linearity (RESET p)"],
            "value": [1.214, 0.00242, 0.0009],
            "status": ["green", "amber", "red"],
            "explanation": ["fine", "Shapiro-Wilk p = 0.00242, n = 669", "RESET p = 1.2e-05"],
        }
    )
    t["status"] = pd.Series([traffic_light(s) for s in t["status"]], dtype=object)
    return t.set_index("check")


def test_traffic_lights_are_inline_svg_circles_beside_the_word_not_emoji():
    html = table_html(assumption_checks())
    assert not EMOJI.search(html)
    assert html.count("<svg") == 3 and html.count("<circle") == 3
    assert html.count("aria-hidden='true'") == 3  # the word speaks, the shape is decoration
    c = cells(html)
    assert [c[check, "status"] for check in assumption_checks().index] == ["green", "amber", "red"]
    fills = re.findall(r"<circle[^>]*fill='([^']+)'", html)
    assert len(set(fills)) == 3  # three different colours


def test_markers_stay_plain_words_in_json_text_and_copies():
    table = assumption_checks()
    assert table["status"].tolist() == ["green", "amber", "red"]
    records = json.loads(json.dumps(table.reset_index().to_dict(orient="records")))
    assert [r["status"] for r in records] == ["green", "amber", "red"]
    assert "amber" in table.to_string() and not EMOJI.search(table.to_string())
    copied = pickle.loads(pickle.dumps(table))["status"].iloc[2]
    assert isinstance(copied, Marker) and copied == "red" and "<svg" in copied.__html__()
    used = check_mark("used")
    assert str(used) == "used" and "<path" in used.__html__()
    assert traffic_light("not a status") == "not a status"
    with pytest.raises(ValueError, match="circle, check"):
        Marker("x", "#000", "star")  # type: ignore[arg-type]


def test_rendered_report_keeps_the_svg_markers(monkeypatch, tmp_path):
    shown = _shown_html(assumption_checks(), monkeypatch)
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "report.show(study.assumptions_table())",
            outputs=[nbformat.v4.new_output("display_data", data={"text/html": shown})],
        )
    ]
    nbformat.write(nb, tmp_path / "notebook.ipynb")
    html = render_html(tmp_path / "notebook.ipynb", tmp_path / "report.html").read_text("utf-8")
    assert html.count("<svg") == 3 and html.count("<circle") == 3
    assert not EMOJI.search(html)
    assert re.search(r"</svg>\s*amber</span>", html)


def test_the_package_and_notebooks_hold_no_emoji_or_dingbat_glyphs():
    files = [*sorted((ROOT / "workbench").rglob("*.py")), *sorted(ROOT.glob("notebooks/*.ipynb"))]
    assert files
    found = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in files
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if EMOJI.search(line)
    ]
    assert found == []


def test_format_p_is_apa_style_and_format_r_drops_the_leading_zero():
    assert [format_p(p) for p in (0.0, 0.00049, 0.001, 0.0132, 0.5, 1.0)] == [
        "p < .001", "p < .001", "p = .001", "p = .013", "p = .500", "p = 1.000",
    ]  # fmt: skip
    assert format_p(0.0132, prefix=False) == ".013" and format_p(1e-9, prefix=False) == "< .001"
    assert format_p(float("nan")) == "p = n/a" and format_p(None, prefix=False) == ""
    assert (format_r(0.456), format_r(-0.05), format_r(0.3, digits=3)) == (".46", "-.05", ".300")


def test_p_values_in_findings_warnings_and_table_text_are_rewritten_apa_style():
    findings = findings_html(["Across tiers (F(3, 649) = 0.94, p = 0.509); RESET p = 0.000"])
    warnings = warnings_html(["The leads are jointly significant (p = 3.1e-07)."])
    assert "p = .509" in findings and "p &lt; .001" in findings
    assert "p &lt; .001" in warnings
    for html in (findings, warnings, table_html(assumption_checks())):
        assert not re.search(r"\bp = 0\.|\bp = [\d.]+e-", visible_text(html))
    assert apa_p_text("p < .05 means the items correlate") == "p < .05 means the items correlate"
    assert apa_p_text("group = 0.3; p = 7") == "group = 0.3; p = 7"  # not p-values


def test_p_value_columns_and_rows_print_apa_style_in_tables():
    coefficients = pd.DataFrame(
        {"estimate": [1.257, 0.065], "p": [1e-12, 0.0581], "delta_p": [0.5, np.nan]},
        index=pd.Index(["Intercept", "belonging"], name="term"),
    )
    c = cells(table_html(coefficients))
    assert (c["Intercept", "p"], c["belonging", "p"]) == ("< .001", ".058")
    assert (c["Intercept", "delta_p"], c["belonging", "delta_p"]) == (".500", "")
    assert c["Intercept", "estimate"] == "1.257"
    fit = pd.DataFrame({"value": {"chi2": 12.3, "p": 0.0004, "pre-trend test p": 0.931}})
    c = cells(table_html(fit))
    assert (c["p", "value"], c["pre-trend test p", "value"]) == ("< .001", ".931")


def test_counts_print_as_integers_and_estimates_with_sensible_digits():
    did = pd.DataFrame(
        {
            "value": {
                "estimate": 0.18512,
                "se (clustered by member)": 0.0541,
                "treated post-launch mean": 0.8723,
                "member-periods": 60896.0,
                "members (clusters)": 4150.0,
                "aic": 47423.456,
            }
        }
    )
    c = cells(table_html(did))
    assert c["member-periods", "value"] == "60,896"
    assert c["members (clusters)", "value"] == "4150"
    assert (c["estimate", "value"], c["aic", "value"]) == ("0.185", "47,423")
    horizons = pd.DataFrame(
        {"k_from": [0, 4, 13], "k_to": [3.0, 12.0, np.nan], "n_k": [4, 8, 0]},
        index=["short", "medium", "long"],
    )
    c = cells(table_html(horizons))
    assert [c[h, "k_to"] for h in horizons.index] == ["3", "12", ""]
    whole = pd.DataFrame({"cohort_size": [120.0, np.nan, 98.0], "share": [0.5, 0.25, 0.125]})
    c = cells(table_html(whole))
    assert (c["0", "cohort_size"], c["0", "share"]) == ("120", "0.500")
    money = pd.DataFrame({"revenue": [729534.34, 3474.4], "chi2": [812.77, 1.097]})
    c = cells(table_html(money))
    assert (c["0", "revenue"], c["1", "revenue"]) == ("729,534.3", "3,474.4")  # one column
    assert (c["0", "chi2"], c["1", "chi2"]) == ("812.770", "1.097")  # decimals line up
    assert cells(table_html(pd.DataFrame({"year": [2024, 2025]})))["0", "year"] == "2024"
    assert "60896.000" not in table_html(did) and "4150.000" not in table_html(did)


def test_every_table_scrolls_sideways_inside_its_own_box(monkeypatch):
    wide = pd.DataFrame(np.arange(60.0).reshape(2, 30), columns=[f"column_{i}" for i in range(30)])
    html = _shown_html(wide, monkeypatch)
    assert re.match(r"<div class='wb-table-scroll'>(.*)</table>\s*</div>", html, re.S)
    rule = re.search(r"\.wb-table-scroll\{([^}]*)\}", REPORT_CSS)
    assert rule and "overflow-x:auto" in rule.group(1)
    assert re.search(r"td\.wb-num[^{]*\{white-space:nowrap\}", REPORT_CSS)
    assert ".wb-output" in PAGE_CSS  # the rendered page adds nothing that would undo it
    items = pd.DataFrame(
        {"label": ["I trust the brand to keep its promises / 我相信该品牌会信守承诺"]}
    )
    assert "wb-long" in table_html(items)  # wide enough to read; the box scrolls instead
    assert "wb-long" not in table_html(pd.DataFrame({"role": ["driver"]}))
