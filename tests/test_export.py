"""`workbench export`: APA tables (Word, Markdown, LaTeX, HTML), paragraphs, references, figures.

The fixed runs are tests/fixtures/export/<study>.json: real runs' results.json (see the
README there). Word files are opened with python-docx and their tables checked cell by cell;
Markdown and LaTeX are compared with expected text; every number of a table is checked
against results.json (within half a unit of its last printed digit), so the export neither
recomputes nor garbles a value. One test runs a real study end to end through the command
line, so the export follows the results.json the studies write today.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import warnings
from pathlib import Path

import pytest

from tests.helpers import run_main
from workbench import i18n
from workbench.errors import InputError
from workbench.presentation import export
from workbench.presentation.apa import MINUS, SYMBOLS, plain
from workbench.presentation.export import (
    Table,
    build_document,
    compare_tables,
    export_run,
    load_run,
    load_runs,
    table_latex,
    table_markdown,
    to_latex,
    to_markdown,
)
from workbench.presentation.export_tables import BUILDERS, build_tables

FIXTURES = Path(__file__).parent / "fixtures" / "export"
STUDIES = sorted(p.stem for p in FIXTURES.glob("*.json"))


def results_of(study: str) -> dict:
    return json.loads((FIXTURES / f"{study}.json").read_text(encoding="utf-8"))


def make_run(folder: Path, results: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.json").write_text(json.dumps(results, ensure_ascii=False), "utf-8")
    return folder


@pytest.fixture
def run_of(tmp_path: Path):
    def make(study: str, name: str | None = None) -> Path:
        return make_run(tmp_path / (name or study), results_of(study))

    return make


def table(study: str, key: str) -> tuple[Table, int]:
    tables = build_tables(results_of(study))
    found = [t for t in tables if t.key == key]
    assert found, f"{study} has no table {key}: {[t.key for t in tables]}"
    return found[0], tables.index(found[0]) + 1


def number(cell: str) -> float | None:
    """A printed number back as a float (APA minus, no leading zero, thousands comma)."""
    text = plain(cell).replace(MINUS, "-").replace(",", "").strip("%")
    try:
        return float(text)
    except ValueError:
        return None


def agrees(cell: str, value: float) -> bool:
    """The cell shows ``value`` rounded to the cell's own number of decimals."""
    shown = number(cell)
    if shown is None:
        return False
    decimals = len(plain(cell).split(".")[1].rstrip("%")) if "." in cell else 0
    return abs(shown - value) <= 0.5 * 10**-decimals + 1e-12


# ----------------------------------------------------------------------------- reading runs
def test_a_folder_without_results_json_is_refused(tmp_path):
    with pytest.raises(InputError, match="not a finished run folder") as info:
        load_run(tmp_path)
    assert "workbench run" in (info.value.hint or "")
    code, _, err = run_main(["export", str(tmp_path)])
    assert code == 2
    assert "not a finished run folder" in err and "Traceback" not in err


def test_a_results_json_that_is_not_json_is_refused(tmp_path):
    (tmp_path / "results.json").write_text("{not json", encoding="utf-8")
    code, _, err = run_main(["export", str(tmp_path), "--to", "md"])
    assert code == 2
    assert "results.json cannot be read" in err


def test_an_unknown_study_is_refused_naming_the_known_ones(tmp_path):
    results = results_of("pls-sem") | {"study": "tea-leaves"}
    make_run(tmp_path, results)
    code, _, err = run_main(["export", str(tmp_path), "--to", "md"])
    assert code == 2
    assert "unknown study 'tea-leaves'" in err
    for study in BUILDERS:
        assert study in err


@pytest.mark.parametrize("version", ["99.0.0", None, "unknown"])
def test_a_results_json_of_an_unknown_version_is_refused(tmp_path, version):
    results = results_of("pls-sem")
    results["versions"]["loyalty-workbench"] = version
    make_run(tmp_path, results)
    with pytest.raises(InputError, match="cannot read"):
        load_run(tmp_path)


def test_a_results_json_lacking_a_table_key_names_it(tmp_path):
    results = results_of("factor-analysis")
    del results["efa"]
    make_run(tmp_path, results)
    code, _, err = run_main(["export", str(tmp_path), "--to", "md", "--no-figures"])
    assert code == 2
    assert "lacks 'efa'" in err and "run the study again" in err


def test_an_unknown_language_is_refused_naming_the_known_ones(run_of):
    code, _, err = run_main(["export", str(run_of("pls-sem")), "--lang", "fr"])
    assert code == 2
    assert "Unknown report language 'fr'" in err and "zh-Hant" in err


# ----------------------------------------------------------------------------- golden text
def test_markdown_cfa_fit_table_of_the_factor_analysis_run():
    t, n = table("factor-analysis", "cfa_fit")
    assert table_markdown(t, n) == (
        "**Table 4**\n\n"
        "*Fit of the Confirmatory Factor Analysis*\n\n"
        "| Model | χ² | *df* | *p* | CFI | TLI | RMSEA | RMSEA 90% CI | SRMR |\n"
        "|:---|:---:|:---:|:---:|:---:|:---:|:---:|:---:|:---:|\n"
        "| 13-factor CFA | 924.72 | 824 | .008 | .994 | .993 | .012 | \\[.007, .016\\] | .023 |\n"
        "\n"
        "*Note.* Estimator: maximum likelihood (ML). CFI = comparative fit index; TLI = "
        "Tucker-Lewis index; RMSEA = root mean square error of approximation; SRMR = "
        "standardized root mean square residual. *N* = 800."
    )


def test_markdown_regression_table_of_the_loyalty_drivers_run():
    t, n = table("loyalty-drivers", "regression")
    assert table_markdown(t, n) == (
        "**Table 1**\n\n"
        "*Regression of Loyalty on Its Drivers*\n\n"
        "| Predictor | *b* | *SE* | 95% CI | β | *p* |\n"
        "|:---|:---:|:---:|:---:|:---:|:---:|\n"
        "| Intercept | 1.19 | 0.21 | \\[0.79, 1.60\\] |  | < .001 |\n"
        "| trust | 0.24 | 0.04 | \\[0.17, 0.31\\] | .22 | < .001 |\n"
        "| satisfaction | 0.28 | 0.03 | \\[0.22, 0.34\\] | .29 | < .001 |\n"
        "| belonging | 0.07 | 0.03 | \\[0.01, 0.13\\] | .08 | .020 |\n"
        "| value | 0.19 | 0.03 | \\[0.12, 0.25\\] | .19 | < .001 |\n"
        "\n"
        "*Note.* *N* = 800. *R*² = .29, adjusted *R*² = .29. *b* = unstandardized "
        "coefficient; CI = confidence interval of *b*; β = standardized coefficient. Model: "
        "ordinary least squares. Estimates pooled over 20 multiply imputed data sets (Rubin's "
        "rules; Barnard-Rubin degrees of freedom)."
    )


def test_latex_path_table_of_the_pls_sem_run_uses_booktabs():
    t, n = table("pls-sem", "pls_paths")
    assert table_latex(t, n) == "\n".join(
        [
            r"\begin{table}[htbp]",
            r"\raggedright",
            r"\textbf{Table 4}\par",
            r"\textit{Structural Model: Path Coefficients}\par\smallskip",
            r"\begin{tabular}{lcccccc}",
            r"\toprule",
            r"Path & $\beta$ & \textit{SE} & \textit{t} & \textit{p} & 95\% CI & "
            r"\textit{f}\textsuperscript{2} \\",
            r"\midrule",
            r"competence $\rightarrow$ satisfaction & .16 & 0.07 & 2.46 & .014 & [.03, .30] "
            r"& 0.02 \\",
            r"likeability $\rightarrow$ satisfaction & .42 & 0.06 & 7.20 & \textless{} .001 & "
            r"[.31, .54] & 0.15 \\",
            r"competence $\rightarrow$ loyalty & .01 & 0.05 & 0.17 & .863 & [$-$.09, .11] & "
            r"0.00 \\",
            r"likeability $\rightarrow$ loyalty & .34 & 0.06 & 6.18 & \textless{} .001 & "
            r"[.23, .45] & 0.14 \\",
            r"satisfaction $\rightarrow$ loyalty & .50 & 0.04 & 12.03 & \textless{} .001 & "
            r"[.42, .58] & 0.40 \\",
            r"\bottomrule",
            r"\end{tabular}",
            r"\par\smallskip",
            r"{\small \textit{Note.} Standardized path coefficients; \textit{SE}, \textit{t}, "
            r"\textit{p} and the confidence intervals from 5,000 bootstrap resamples (seed "
            r"2026). \textit{R}\textsuperscript{2} (adjusted \textit{R}\textsuperscript{2}): "
            r"satisfaction = .29 (.29); loyalty = .56 (.56). SRMR = .045. \textit{N} = 344.\par}",
            r"\end{table}",
        ]
    )


# ----------------------------------------------------------------------------- numbers = results.json
def test_regression_cells_agree_with_results_json():
    r = results_of("loyalty-drivers")
    t, _ = table("loyalty-drivers", "regression")
    for row, (term, c) in zip(t.rows, r["model"]["coefficients"].items(), strict=True):
        assert agrees(row[1], c["estimate"]) and agrees(row[2], c["se"])
        low, high = row[3].strip("[]").split(", ")
        assert agrees(low, c["ci_low"]) and agrees(high, c["ci_high"])
        if term != "Intercept":
            assert agrees(row[4], c["std_beta"])
            assert not row[4].startswith("0")  # β has no leading zero


def test_efa_loadings_and_communalities_agree_and_salient_loadings_are_bold():
    r = results_of("factor-analysis")
    t, _ = table("factor-analysis", "efa_loadings")
    factors = t.columns[1:-1]
    assert len(t.rows) == len(r["efa"]["loadings"]) == 44
    for row in t.rows:
        loadings = r["efa"]["loadings"][row[0]]
        for f, cell in zip(factors, row[1:-1], strict=True):
            assert agrees(cell, loadings[f])
            assert cell.startswith("**") == (abs(loadings[f]) >= 0.40)
        assert agrees(row[-1], r["efa"]["communalities"][row[0]])
    # every item loads saliently on exactly one factor in this clean structure
    assert all(sum(c.startswith("**") for c in row[1:-1]) == 1 for row in t.rows)


def test_factor_correlations_show_the_lower_triangle():
    r = results_of("factor-analysis")
    t, _ = table("factor-analysis", "factor_correlations")
    phi = r["efa"]["factor_correlations"]
    for i, row in enumerate(t.rows):
        for j, cell in enumerate(row[1:]):
            if j < i:
                assert agrees(cell, phi[row[0]][t.columns[1 + j]])
            else:
                assert cell in ("", "\u2014")


@pytest.mark.parametrize("study", STUDIES)
def test_every_study_builds_tables_whose_rows_fit_their_header(study):
    tables = build_tables(results_of(study))
    assert tables
    for t in tables:
        assert t.rows, t.key
        assert all(len(row) in (1, len(t.columns)) for row in t.rows)
        assert t.title and t.note


def test_pls_reliability_and_htmt_agree_with_results_json():
    r = results_of("pls-sem")
    t, _ = table("pls-sem", "pls_reliability")
    for row in t.rows:
        rel = r["reliability"][row[0]]
        for cell, key in zip(row[1:], ("alpha", "rho_a", "rho_c", "ave"), strict=True):
            assert agrees(cell, rel[key])
    t, _ = table("pls-sem", "pls_htmt")
    assert len(t.rows) == 6  # 4 constructs: 6 pairs


def test_mediation_table_reads_each_paths_test():
    r = results_of("loyalty-drivers")["mediation"]
    t, _ = table("loyalty-drivers", "mediation")
    a = r["paths"]["a[satisfaction]"]
    assert agrees(t.rows[0][1], a["estimate"]) and t.rows[0][4] == "< .001"
    low, high = t.rows[-1][3].strip("[]").split(", ")
    assert agrees(low, r["indirect_ci_low"]) and agrees(high, r["indirect_ci_high"])


# ----------------------------------------------------------------------------- Word
def test_word_tables_are_real_apa_tables(run_of, tmp_path):
    import docx
    from docx.oxml.ns import qn

    path = export_run(
        run_of("loyalty-drivers"), to="docx", out=tmp_path / "out" / "p.docx", figures=False
    )
    doc = docx.Document(str(path))
    expected = build_tables(results_of("loyalty-drivers"))
    assert len(doc.tables) == len(expected)
    reg = doc.tables[0]
    assert len(reg.rows) == 1 + len(expected[0].rows) and len(reg.columns) == 6
    assert [c.text for c in reg.rows[0].cells] == ["Predictor", "b", "SE", "95% CI", "β", "p"]
    assert [c.text for c in reg.rows[2].cells] == [
        "trust",
        "0.24",
        "0.04",
        "[0.17, 0.31]",
        ".22",
        "< .001",
    ]
    # italic statistic symbols in the header, upright Greek
    runs = {r.text: r.italic for c in reg.rows[0].cells for p in c.paragraphs for r in p.runs}
    assert runs["b"] and runs["SE"] and runs["p"] and not runs["β"]
    # number bold above, title italic, note below
    texts = [p.text for p in doc.paragraphs]
    i = texts.index("Table 1")
    assert all(r.bold for r in doc.paragraphs[i].runs)
    assert doc.paragraphs[i + 1].text == "Regression of Loyalty on Its Drivers"
    assert all(r.italic for r in doc.paragraphs[i + 1].runs)
    assert any(t.startswith("Note. N = 800. R² = .29") for t in texts)
    # horizontal rules only: no table borders, top+bottom rule on the header, bottom rule
    borders = reg._tbl.tblPr.find(qn("w:tblBorders"))
    assert {b.get(qn("w:val")) for b in borders} == {"nil"}

    def edges(cell):
        found = cell._tc.tcPr.find(qn("w:tcBorders"))
        return set() if found is None else {e.tag.split("}")[1] for e in found}

    assert edges(reg.rows[0].cells[2]) == {"top", "bottom"}
    assert edges(reg.rows[-1].cells[0]) == {"bottom"}
    assert edges(reg.rows[2].cells[0]) == set()
    # the tables stay editable: change a cell and save again
    reg.rows[2].cells[1].text = "edited"
    doc.save(str(tmp_path / "edited.docx"))
    assert docx.Document(str(tmp_path / "edited.docx")).tables[0].rows[2].cells[1].text == "edited"


def test_word_section_rows_span_the_table(run_of, tmp_path):
    import docx

    path = export_run(run_of("pls-sem"), to="docx", out=tmp_path / "p.docx", figures=False)
    measurement = docx.Document(str(path)).tables[0]
    first = measurement.rows[1].cells
    assert len({id(c._tc) for c in first}) == 1  # one merged cell
    assert first[0].text == "satisfaction"


# ----------------------------------------------------------------------------- documents
@pytest.mark.parametrize("study", STUDIES)
def test_each_study_exports_to_every_format(study, run_of, tmp_path):
    run = run_of(study)
    for fmt in ("md", "tex", "html", "docx"):
        path = export_run(run, to=fmt, out=tmp_path / fmt / f"paper.{fmt}", figures=False)
        assert path.stat().st_size > 1000
        bib = (path.parent / "references.bib").read_text(encoding="utf-8")
        assert bib.count("@") >= 1
    md = (tmp_path / "md" / "paper.md").read_text(encoding="utf-8")
    assert "## Method" in md and "## Results" in md and "## References" in md
    html = (tmp_path / "html" / "paper.html").read_text(encoding="utf-8")
    assert html.count("<table class='apa'>") == len(build_tables(results_of(study)))


def test_methods_paragraph_names_sample_missing_data_estimator_and_versions():
    doc = build_document([load_run_from_fixture("factor-analysis")])
    methods = " ".join(plain(p) for p in doc.methods)
    r = results_of("factor-analysis")
    assert "800 of 800 respondents" in methods
    assert "full-information maximum likelihood (FIML)" in methods
    assert "maximum likelihood (ML) estimation" in methods
    assert f"loyalty-workbench {r['versions']['loyalty-workbench']}" in methods
    assert f"statsmodels {r['versions']['statsmodels']}" in methods
    results = " ".join(plain(p) for p in doc.results)
    assert "χ²(824) = 924.72, p = .008, CFI = .994" in results
    assert "fitted the data well" in results


def test_references_cited_in_the_paragraphs_are_listed_and_in_the_bibtex(run_of, tmp_path):
    path = export_run(run_of("pls-sem"), to="md", out=tmp_path / "paper.md", figures=False)
    md = path.read_text(encoding="utf-8")
    bib = (tmp_path / "references.bib").read_text(encoding="utf-8")
    methods = md.split("## Results")[0]
    for author, year, key in (
        ("Hair", "2022", "hair2022"),
        ("Henseler", "2015", "henseler2015"),
        ("Shmueli", "2019", "shmueli2019"),
    ):
        assert author in methods and year in methods
        assert re.search(rf"^{author}, .*\({year}\)", md, re.M)
        assert f"{{{key}," in bib
    # APA orders the reference list by author
    refs = md.split("## References")[1].strip().split("\n\n")
    assert refs == sorted(refs)


def test_latex_document_compiles_where_a_tex_engine_exists(run_of, tmp_path):
    engine = shutil.which("xelatex") or shutil.which("lualatex") or shutil.which("pdflatex")
    path = export_run(
        run_of("factor-analysis"), to="tex", out=tmp_path / "paper.tex", figures=False
    )
    source = path.read_text(encoding="utf-8")
    assert source.count(r"\begin{tabular}") == len(build_tables(results_of("factor-analysis")))
    assert r"\usepackage{booktabs}" in source and r"\end{document}" in source
    if engine is None:
        pytest.skip("no TeX engine (xelatex, lualatex or pdflatex) installed: not compiled")
    done = subprocess.run(
        [engine, "-interaction=nonstopmode", "-halt-on-error", path.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-2000:]


# ----------------------------------------------------------------------------- batches
def test_a_batch_folder_exports_one_document_with_the_runs_side_by_side(tmp_path):
    batch = tmp_path / "batch"
    make_run(batch / "01-basic", results_of("loyalty-drivers"))
    other = results_of("loyalty-drivers")
    other["model"]["coefficients"]["trust"]["std_beta"] = 0.31
    make_run(batch / "02-gold", other)
    (batch / "batch.json").write_text("{}", encoding="utf-8")
    (batch / "03-failed").mkdir()  # a failed run has no results.json
    with pytest.warns(UserWarning, match="03-failed"):
        runs = load_runs(batch)
    assert [r.name for r in runs] == ["01-basic", "02-gold"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code, out, _ = run_main(["export", str(batch), "--to", "md"])
    assert code == 0 and "document:" in out
    md = (batch / "export" / "paper.md").read_text(encoding="utf-8")
    assert "Regression of Loyalty on Its Drivers: 2 Runs Side by Side" in md
    assert "| Predictor | 01-basic | 02-gold |" in md
    assert "| trust | .22 | .31 |" in md


def test_one_row_tables_are_transposed_when_compared():
    fit = table("factor-analysis", "cfa_fit")[0]
    other = Table(
        key=fit.key,
        title=fit.title,
        columns=fit.columns,
        rows=[[fit.rows[0][0], "1.00", *fit.rows[0][2:]]],
        compare="transpose",
    )
    (t,) = compare_tables([[fit], [other]], ["a", "b"])
    assert t.columns[1:] == ["a", "b"]
    assert [row[0] for row in t.rows] == fit.columns[1:]
    assert t.rows[0][1:] == ["924.72", "1.00"]


# ----------------------------------------------------------------------------- figures
def test_figures_are_png_at_300_dpi_and_svg_with_chinese_labels(run_of, tmp_path):
    from PIL import Image

    from workbench.presentation.plots import cjk_font

    results = results_of("pls-sem")
    # Chinese construct names, as a codebook may give them
    for key in list(results["paths"]):
        new = key.replace("satisfaction", "满意度").replace("loyalty", "忠诚度")
        results["paths"][new] = results["paths"].pop(key)
    run = make_run(tmp_path / "zh-run", results)
    if cjk_font() is None:
        pytest.skip("no CJK font installed (e.g. Debian's fonts-noto-cjk): glyphs not checked")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns of every glyph a font lacks
        doc = build_document([load_run(run)], figures_dir=tmp_path / "figures")
    (fig,) = doc.figures
    with Image.open(fig.png) as image:
        assert round(image.info["dpi"][0]) == 300
    svg = fig.svg.read_text(encoding="utf-8")
    assert "满意度" in svg and svg.startswith("<?xml")


def test_a_document_links_its_figures(run_of, tmp_path):
    path = export_run(run_of("loyalty-drivers"), to="md", out=tmp_path / "paper.md")
    md = path.read_text(encoding="utf-8")
    assert "![" in md and "(figures/importance.png)" in md
    assert (tmp_path / "figures" / "importance.svg").is_file()
    html = export_run(run_of("loyalty-drivers", "again"), to="html", out=tmp_path / "p.html")
    assert "<img src='figures/importance.svg'" in html.read_text(encoding="utf-8")


# ----------------------------------------------------------------------------- end to end
@pytest.fixture(scope="module")
def live_pls_run(tmp_path_factory):
    """A real pls-sem run on the shipped data (small bootstrap), through the command line."""
    out = tmp_path_factory.mktemp("live") / "pls"
    code, _, err = run_main(
        [
            "run",
            "pls-sem",
            "--data",
            "data/corp_rep.csv",
            "--codebook",
            "data/corp_rep.codebook.yaml",
            "--param",
            "paths=satisfaction ~ competence + likeability; "
            "loyalty ~ competence + likeability + satisfaction",
            "--param",
            "bootstrap=200",
            "--param",
            "predict_repeats=1",
            "--out",
            str(out),
        ]
    )
    assert code == 0, err
    return out


def test_a_fresh_run_exports_to_word_from_the_command_line(live_pls_run):
    import docx

    code, out, err = run_main(["export", str(live_pls_run), "--to", "docx"])
    assert code == 0, err
    path = live_pls_run / "export" / "paper.docx"
    assert f"document:   {path}" in out
    doc = docx.Document(str(path))
    results = json.loads((live_pls_run / "results.json").read_text(encoding="utf-8"))
    paths = next(t for t in doc.tables if t.rows[0].cells[0].text == "Path")
    assert len(paths.rows) == 1 + len(results["paths"])
    first = next(iter(results["paths"].values()))
    assert agrees(paths.rows[1].cells[1].text, first["estimate"])
    assert (live_pls_run / "export" / "figures" / "paths.png").is_file()


def test_word_renders_with_chinese_text_in_libreoffice(run_of, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    gs = shutil.which("gs")
    if soffice is None or gs is None:
        pytest.skip("LibreOffice (libreoffice-writer) or Ghostscript not installed: not rendered")
    results = results_of("pls-sem")
    results["reliability"]["满意度"] = results["reliability"].pop("satisfaction")
    path = export_run(
        make_run(tmp_path / "run", results), to="docx", out=tmp_path / "p.docx", figures=False
    )
    done = subprocess.run(
        [soffice, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
        capture_output=True,
        text=True,
        timeout=180,
    )
    pdf = tmp_path / "p.pdf"
    assert pdf.is_file(), done.stderr
    text = subprocess.run(
        [gs, "-q", "-sDEVICE=txtwrite", "-o", "-", str(pdf)],
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    # the glyphs were embedded with their Unicode mapping: the text comes back from the PDF
    assert "满意度" in text
    assert "Reliability and Convergent Validity" in text


def load_run_from_fixture(study: str) -> export.Run:
    return export.Run(FIXTURES, results_of(study))


def test_latex_and_markdown_documents_hold_every_table():
    doc = build_document([load_run_from_fixture("experience-economy")])
    md, tex = to_markdown(doc), to_latex(doc)
    for i, t in enumerate(doc.tables, 1):
        assert f"**Table {i}**" in md and rf"\textbf{{Table {i}}}" in tex
        assert plain(t.title) in md


def test_moderation_table_gives_the_interaction_and_the_simple_slopes():
    r = results_of("loyalty-drivers-moderation")["moderation"]
    t, _ = table("loyalty-drivers-moderation", "moderation")
    assert plain(t.rows[0][0]) == "value × belonging (interaction)"
    assert agrees(t.rows[0][1], r["interaction"]["estimate"]) and t.rows[0][4] == ".306"
    assert [plain(row[0]) for row in t.rows[1:]] == [
        f"Slope of value at belonging: {level}" for level in r["simple_slopes"]
    ]
    for row, slope in zip(t.rows[1:], r["simple_slopes"].values(), strict=True):
        assert agrees(row[1], slope["estimate"]) and agrees(row[2], slope["se"])


def _first_author(apa_entry: str) -> str:
    """The first author's surname, or a group author (``IFRS Foundation. (2014).``)."""
    return re.split(r",|\. \(", plain(apa_entry))[0]


@pytest.mark.parametrize("study", STUDIES)
def test_the_reference_list_holds_exactly_the_works_cited(study):
    doc = build_document([load_run_from_fixture(study)])
    cited_text = " ".join(plain(p) for p in doc.methods + doc.results)
    for ref in doc.references:
        surname = _first_author(ref.apa)
        year = re.search(r"\((\d{4})\)", ref.apa).group(1)
        assert surname in cited_text and year in cited_text, ref.key
    listed = {
        (_first_author(r.apa).split()[0], re.search(r"\((\d{4})\)", r.apa).group(1))
        for r in doc.references
    }
    checked = 0
    for part in re.findall(r"[(;]\s*([^();]*?\d{4})(?=[);])", cited_text):
        found = re.match(r"([A-Z][^\s,]+)\b.*?(\d{4})$", part.strip())
        if found:
            assert (found.group(1), found.group(2)) in listed, part
            checked += 1
    assert checked >= len(doc.references)


def test_without_a_cjk_font_figures_are_drawn_with_a_warning(monkeypatch, tmp_path):
    from workbench.presentation import export_figures, plots

    monkeypatch.setattr(plots, "cjk_font", lambda: None)
    with pytest.warns(UserWarning, match="No font with Chinese characters"):
        figures = export_figures.draw_figures(results_of("loyalty-drivers"), tmp_path)
    assert [f.png.name for f in figures] == ["importance.png"]
    assert figures[0].png.is_file() and figures[0].svg.is_file()


# ----------------------------------------------------------------------------- points-programme
def test_points_ledger_and_redemption_tables_agree_with_results_json():
    r = results_of("points-programme")
    ledger, _ = table("points-programme", "points_ledger")
    assert [row[0] for row in ledger.rows] == list(r["ledger"])
    for row, period in zip(ledger.rows, r["ledger"].values(), strict=True):
        keys = ("issued", "redeemed", "expired", "outstanding", "members", "active_redeemers")
        for cell, key in zip(row[1:], keys, strict=True):
            assert agrees(cell, period[key]), (cell, key)
    red, _ = table("points-programme", "points_redemption")
    rate, breakage = red.rows[0], red.rows[1]
    assert agrees(rate[1], 100 * r["redemption"]["ultimate_rate"])
    assert agrees(breakage[1], 100 * r["redemption"]["breakage"])
    # breakage = 1 - rate, so its interval is the rate's interval turned round
    low, high = (number(x) for x in rate[2].strip("[]").split(", "))
    b_low, b_high = (number(x) for x in breakage[2].strip("[]").split(", "))
    assert b_low == pytest.approx(100 - high, abs=0.11) and b_high == pytest.approx(
        100 - low, abs=0.11
    )
    # expiry lengths whose share cannot be identified from the data are left out
    shown = [row[0] for row in red.rows if "expiry" in row[0]]
    identified = [k for k, v in r["redemption"]["by_expiry"].items() if v["identified"]]
    assert shown == [f"Share redeemed with expiry after {k} months" for k in identified]


def test_points_liability_table_rolls_forward_as_ifrs_15_does():
    """Closing = opening + allocated - recognised + change in estimate, on the printed cells."""
    t, _ = table("points-programme", "points_liability")
    r = results_of("points-programme")["liability"]
    assert len(t.rows) == len(r)
    previous_closing = None
    for row in t.rows:
        opening, allocated, recognised, change, closing, revenue = (number(c) for c in row[1:])
        # each printed value is rounded to 0.01: the identity holds within the sum of roundings
        assert closing == pytest.approx(opening + allocated - recognised + change, abs=0.021)
        assert revenue == pytest.approx(recognised - change, abs=0.011)
        if previous_closing is not None:
            assert opening == previous_closing
        previous_closing = closing
    assert agrees(t.rows[-1][5], list(r.values())[-1]["closing"])


def test_goal_gradient_and_redemption_effect_tables_read_the_run():
    r = results_of("points-programme")
    gg, _ = table("points-programme", "goal_gradient")
    assert agrees(gg.rows[0][1], r["goal_gradient"]["slope"])
    assert agrees(gg.rows[0][2], r["goal_gradient"]["se"]) and gg.rows[0][4] == "< .001"
    assert agrees(gg.rows[1][1], 100 * r["goal_gradient"]["pct_change"])
    effect, _ = table("points-programme", "redemption_effect")
    periods = r["redemption_effect"]
    assert [number(row[0]) for row in effect.rows] == [float(k) for k in periods]
    reference = next(row for row in effect.rows if number(row[0]) == -1)
    assert reference[2:5] == ["\u2014", "\u2014", "\u2014"]  # the reference period: no SE, CI, p
    for row, v in zip(effect.rows, periods.values(), strict=True):
        assert agrees(row[1], v["estimate"]) and agrees(row[5], v["n"])
    assert "χ²(2) = 306.22" in effect.note and "member and period fixed effects" in effect.note


def test_points_programme_paragraphs_report_breakage_and_cite_the_methods():
    doc = build_document([load_run_from_fixture("points-programme")])
    results = " ".join(plain(p) for p in doc.results)
    assert "an estimated 66.8% will be redeemed (95% CI [65.8%, 68.2%]), a breakage of 33.2%" in (
        results
    )
    assert "the pre-trend test (χ²(2) = 306.22, p < .001) warns" in results
    assert [r.key for r in doc.references] == [
        "angrist2009",
        "england2002",
        "ifrs2014",
        "kivetz2006",
        "mack1993",
    ]


# ----------------------------------------------------------------------------- Chinese
CJK = re.compile(r"[\u3400-\u9fff]")
# a run of three or more English words (letters, apostrophes, hyphens), as in a sentence
ENGLISH_RUN = re.compile(r"[A-Za-z][A-Za-z'\-]*(?:[ ,;:/&]+[A-Za-z][A-Za-z'\-]*){2,}")
# a parenthetical citation: (Hu & Bentler, 1999), （Kivetz, Urminsky, & Zheng, 2006）
CITATION = re.compile(r"（[^（）]*\d{4}[^（）]*）|\([^()]*\d{4}[^()]*\)")


def strings_in(value) -> set[str]:
    """Every key and text value of a results.json: names from the data and the parameters."""
    if isinstance(value, dict):
        return {str(k) for k in value} | set().union(*(strings_in(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(strings_in(v) for v in value)) if value else set()
    return {value} if isinstance(value, str) else set()


def english_sentences(markdown: str, names: set[str]) -> list[str]:
    """Runs of 3+ English words left in a Chinese document, outside the reference list,
    citations and the names the data and parameters gave (variables, segments, files)."""
    body = re.split(r"^## (?:参考文献|參考文獻)$", markdown, flags=re.M)[0]
    body = CITATION.sub("", body)
    for name in sorted(names, key=len, reverse=True):
        if len(name) > 2:
            body = body.replace(name, "")
    return ENGLISH_RUN.findall(body)


@pytest.mark.parametrize("lang", ["zh", "zh-Hant"])
@pytest.mark.parametrize("study", STUDIES)
def test_a_chinese_document_leaves_no_english_sentence(study, lang):
    results = results_of(study)
    with i18n.language(lang):
        md = to_markdown(build_document([load_run_from_fixture(study)]))
    left = english_sentences(md, strings_in(results))
    assert not left, left[:10]
    assert (
        "## 研究方法" in md
    )  # the same characters in Simplified and Traditional and "**表1**" in md and "\n注：" in md
    assert "*Note.*" not in md and "Table 1" not in md
    # the check itself is not blind: an English sentence of the English document is found
    english = to_markdown(build_document([load_run_from_fixture(study)]))
    assert english_sentences(english, strings_in(results))


@pytest.mark.parametrize("study", STUDIES)
def test_chinese_tables_keep_every_number_and_symbol_of_the_english_ones(study):
    en = build_tables(results_of(study))
    with i18n.language("zh"):
        zh = build_tables(results_of(study))
    assert [t.key for t in zh] == [t.key for t in en]
    for t_en, t_zh in zip(en, zh, strict=True):
        assert CJK.search(t_zh.title) and CJK.search(t_zh.note), t_zh.key
        assert len(t_zh.columns) == len(t_en.columns) and len(t_zh.rows) == len(t_en.rows)
        for c_en, c_zh in zip(t_en.columns, t_zh.columns, strict=True):
            if c_en in SYMBOLS.values() or re.fullmatch(r"[A-Z]{2,5}", c_en):  # *b*, β, CFI
                assert c_zh == c_en
        for r_en, r_zh in zip(t_en.rows, t_zh.rows, strict=True):
            for c_en, c_zh in zip(r_en, r_zh, strict=True):
                if number(c_en) is not None or c_en.startswith(("[", "<", ".")):
                    assert c_zh == c_en, (t_zh.key, c_en, c_zh)


def test_traditional_chinese_uses_taiwanese_research_terms():
    with i18n.language("zh-Hant"):
        t = next(t for t in build_tables(results_of("loyalty-drivers")) if t.key == "regression")
    assert "信賴區間" in t.columns[3] and "迴歸" in t.title  # not 置信區間, 回歸


def test_chinese_word_document_has_chinese_headers_and_an_east_asian_font(run_of, tmp_path):
    import docx
    from docx.oxml.ns import qn

    path = export_run(
        run_of("loyalty-drivers"), to="docx", out=tmp_path / "p.docx", lang="zh", figures=False
    )
    doc = docx.Document(str(path))
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == "忠诚度驱动因素研究结果"
    assert "研究方法" in texts and "研究结果" in texts and "参考文献" in texts
    assert "表1" in texts and "Loyalty 对各驱动因素的回归分析" in texts
    # Chinese titles are upright (no CJK italics); APA's English titles are italic
    title = next(p for p in doc.paragraphs if p.text == "Loyalty 对各驱动因素的回归分析")
    assert not any(run.italic for run in title.runs)
    assert any(t.startswith("注：*N* = 800。") or t.startswith("注：N = 800。") for t in texts)
    reg = doc.tables[0]
    assert [c.text for c in reg.rows[0].cells] == ["预测变量", "b", "SE", "95% 置信区间", "β", "p"]
    assert reg.rows[1].cells[0].text == "截距"
    # statistic symbols stay Latin and italic
    b_run = reg.rows[0].cells[1].paragraphs[0].runs[0]
    assert b_run.text == "b" and b_run.italic
    # the styles name an East Asian font, and the font table gives Word its stand-in
    for name in ("Normal", "Heading 1", "Heading 2"):
        fonts = doc.styles[name].element.rPr.find(qn("w:rFonts"))
        assert fonts.get(qn("w:eastAsia")) == "Noto Serif CJK SC", name
        assert fonts.get(qn("w:eastAsiaTheme")) is None
    table_xml = next(
        p.blob for p in doc.part.package.iter_parts() if str(p.partname) == "/word/fontTable.xml"
    ).decode("utf-8")
    assert 'w:name="Noto Serif CJK SC"' in table_xml and 'w:val="SimSun"' in table_xml


def test_chinese_word_renders_in_libreoffice_with_its_chinese_text(run_of, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    gs = shutil.which("gs")
    if soffice is None or gs is None:
        pytest.skip("LibreOffice (libreoffice-writer) or Ghostscript not installed: not rendered")
    path = export_run(
        run_of("points-programme"), to="docx", out=tmp_path / "zh.docx", lang="zh", figures=False
    )
    done = subprocess.run(
        [soffice, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
        capture_output=True,
        text=True,
        timeout=180,
    )
    pdf = tmp_path / "zh.pdf"
    assert pdf.is_file(), done.stderr
    text = subprocess.run(
        [gs, "-q", "-sDEVICE=txtwrite", "-o", "-", str(pdf)],
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    # the Chinese glyphs were drawn from a CJK font and come back as text from the PDF
    flat = re.sub(r"\s+", "", text)
    for words in ("积分项目研究结果", "研究方法", "表1", "各期积分的发放、兑换与过期", "期末余额"):
        assert words in flat, words
    assert "Mack,T.(1993)" in flat  # the reference list stays as published
    # the glyphs come from an embedded CJK font (a missing glyph would fall back to a box
    # in a font without Chinese), and the first page rendered as an image carries ink
    assert re.search(rb"/BaseFont\s*/[A-Z]{6}\+[A-Za-z]*CJK", pdf.read_bytes())
    png = tmp_path / "zh-page1.png"
    subprocess.run(
        [gs, "-q", "-sDEVICE=pnggray", "-r60", "-dFirstPage=1", "-dLastPage=1", "-o", str(png),
         str(pdf)],
        check=True,
        timeout=120,
    )  # fmt: skip
    from PIL import Image

    with Image.open(png) as page:
        dark = sum(page.convert("L").point(lambda v: v < 128 and 255).histogram()[255:])
        assert dark > 0.005 * page.width * page.height


def test_export_command_writes_chinese_and_says_so_in_chinese(run_of, tmp_path):
    out = tmp_path / "zh.md"
    code, stdout, _ = run_main(
        [
            "export",
            str(run_of("points-programme")),
            "--to",
            "md",
            "--out",
            str(out),
            "--lang",
            "zh-TW",
        ]
    )
    assert code == 0 and stdout.startswith("文稿：")
    md = out.read_text(encoding="utf-8")
    assert md.startswith("# 積分專案研究結果") and "**表1**" in md  # 项目: 專案 in Taiwan
