"""Plain helpers shared by the tests (fixtures live in conftest.py)."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import re
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import nbformat

from workbench.runner import cli
from workbench.studies import Param, Study

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"


def sha256(path: Path) -> str:
    """SHA-256 of a file's bytes: inputs must never change."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def run_main(argv: list[str]) -> tuple[int, str, str]:
    """``workbench ARGV`` in this process: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(argv)
    return code, out.getvalue(), err.getvalue()


def all_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def tiny_study(tmp_path: Path, name: str, cells: list[str]) -> Study:
    """A throw-away study whose notebook has a `parameters` cell and then ``cells``."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "language": "python",
        "display_name": "Python 3",
    }
    params = nbformat.v4.new_code_cell(
        'label = "tiny"\ndata = ""\ncodebook = ""\noutput_dir = ""\ncommand = ""'
    )
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {name}"), params]
    nb.cells += [nbformat.v4.new_code_cell(src) for src in cells]
    path = tmp_path / f"{name}.ipynb"
    nbformat.write(nb, path)
    return Study(
        name=name,
        title=f"Tiny {name}",
        description="test study",
        notebook=str(path),
        params=(Param("label", "str", "tiny", "a label"),),
        codebook_use="not used",
    )


WRITE_RESULTS = (
    "import json, pathlib\n"
    "pathlib.Path(output_dir, 'results.json').write_text(json.dumps("
    "{'study': 'tiny-ok', 'label': label, 'data_file': data, 'started': '2026-01-01T00:00:00'}))\n"
    "print('tiny study ran')"
)


# ---------------------------------------------------------------- PLS-SEM models of corp_rep
#: The measurement of the antecedents of loyalty (CUSL) in Hair et al.'s (2022) extended
#: corporate-reputation model: quality, performance, social responsibility and attractiveness
#: (formative) and competence, likeability and satisfaction (reflective).
CORP_REP_ANTECEDENTS = """
QUAL <~ qual_1 + qual_2 + qual_3 + qual_4 + qual_5 + qual_6 + qual_7 + qual_8
PERF <~ perf_1 + perf_2 + perf_3 + perf_4 + perf_5
CSOR <~ csor_1 + csor_2 + csor_3 + csor_4 + csor_5
ATTR <~ attr_1 + attr_2 + attr_3
COMP =~ comp_1 + comp_2 + comp_3
LIKE =~ like_1 + like_2 + like_3
CUSA =~ cusa
"""
#: The extended corporate-reputation model (8 constructs, 31 items; Hair et al. 2022, ch. 5).
CORP_REP_EXTENDED = (
    CORP_REP_ANTECEDENTS
    + """CUSL =~ cusl_1 + cusl_2 + cusl_3
COMP + LIKE ~ QUAL + PERF + CSOR + ATTR
CUSA ~ COMP + LIKE
CUSL ~ COMP + LIKE + CUSA
"""
)


# Holzinger & Swineford's three-factor model (lavaan's example), used by the CFA/SEM tests
HS_CONSTRUCTS = {
    "visual": ["x1", "x2", "x3"],
    "textual": ["x4", "x5", "x6"],
    "speed": ["x7", "x8", "x9"],
}
# lavaan fitMeasures() name -> our fit key
LAVAAN_FIT_KEYS = {
    "chisq": "chi2",
    "df": "df",
    "pvalue": "p",
    "cfi": "cfi",
    "tli": "tli",
    "rmsea": "rmsea",
    "rmsea.ci.lower": "rmsea_ci_low",
    "rmsea.ci.upper": "rmsea_ci_high",
    "rmsea.pvalue": "rmsea_p",
    "srmr": "srmr",
    "aic": "aic",
    "bic": "bic",
    "bic2": "bic2",
    "logl": "logl",
    "unrestricted.logl": "logl_h1",
    "npar": "npar",
    "ntotal": "n",
    "baseline.chisq": "baseline_chi2",
    "baseline.df": "baseline_df",
}


# ---------------------------------------------------------------- Chinese reports (i18n tests)
# The checks every study's tests/test_i18n_<study>.py shares. The English-run check itself
# (a run of three English words outside names and codes) is tests/test_i18n.py's; it is
# imported where it is used, as test_i18n imports this module.
def run_reports(study: str, jobs: Mapping[Any, Mapping[str, Any]], folder: Path) -> dict[Any, Path]:
    """Run ``study`` once per job, all at the same time; the run folders by job key.

    A job's key is its report language (``"zh"``) or a tuple ending in it
    (``("default", "zh-Hant")``); the run goes into ``folder/<key>`` (a tuple's parts joined
    by ``-``). Its value holds the other keyword arguments of
    :func:`workbench.runner.engine.run_study` (``data``, ``codebook``, ``params``). The index
    of the reports root is not refreshed.
    """
    from workbench.runner.engine import run_study

    def one(key: Any) -> Path:
        parts = key if isinstance(key, tuple) else (key,)
        out = folder / "-".join(str(p) for p in parts)
        return run_study(study, out=str(out), lang=parts[-1], refresh_index=False, **jobs[key])

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return dict(zip(jobs, pool.map(one, jobs), strict=True))


def read_report(folder: Path) -> tuple[str, dict[str, Any]]:
    """A run folder's ``report.html`` and its parsed ``results.json``."""
    page = (folder / "report.html").read_text(encoding="utf-8")
    return page, json.loads((folder / "results.json").read_text(encoding="utf-8"))


def run_names(study: str, results: Mapping[str, Any]) -> set[str]:
    """Names from the data and the parameters of a run: not sentences to translate."""
    from workbench.studies import STUDIES

    return {str(k) for k in results["parameters"]} | set(STUDIES[study].defaults)


def codebook_labels(data: Path, codebook: Path, *, unlabelled_items: bool = True) -> list[str]:
    """The construct labels and item wording of a codebook (data, not text to translate),
    longest first, so that they can be taken out of a report before its English is checked.

    ``unlabelled_items``: an item without wording counts with its name (the PLS-SEM and
    experience reports name items); otherwise only the wording the codebook gives, of any
    column, is taken.
    """
    from workbench.intake.data import load_survey

    cb = load_survey(data, codebook).codebook
    texts = {cb.label(c) for c in cb.constructs}
    if unlabelled_items:
        texts |= {cb.label(i) for c in cb.constructs.values() for i in c.items}
    else:
        texts |= set(cb.labels.values())
    return sorted((t for t in texts if t), key=len, reverse=True)


def check_chinese_report(
    folder: Path, lang: str, study: str, *, labels: Iterable[str] = (), plots: int = 0
) -> tuple[str, dict[str, Any]]:
    """The checks every Chinese report of a study passes; its page and results for more.

    The run was made in ``lang`` (results.json and its command say so), the page declares
    the language and has its key-findings heading in Chinese, at least ``plots`` plotly
    figures, and no run of three English words outside the run's names and ``labels``
    (codebook wording, :func:`codebook_labels`).
    """
    from test_i18n import _english_runs, _visible_text

    from workbench import i18n

    page, results = read_report(folder)
    assert results["lang"] == lang and results["command"].endswith(f"--lang {lang}")
    assert f"<html lang='{i18n.HTML_LANG[lang]}'>" in page
    assert ("主要发现" if lang == "zh" else "主要發現") in page
    assert "Key findings" not in page and page.count("Plotly.newPlot") >= plots
    text = _visible_text(page)
    for label in labels:
        text = text.replace(label, "\n")
    left = _english_runs(text, run_names(study, results))
    assert not left, left[:10]
    return page, results


def findings_of(page: str) -> list[str]:
    """The items of a report page's key-findings box."""
    box = re.search(r"(?s)<div class='wb-findings'>(.*?)</div>", page)
    return re.findall(r"(?s)<li>(.*?)</li>", box.group(1)) if box else []


def table_texts(tables: Iterable[Any]) -> list[str]:
    """Every header, row label and cell of the tables a report shows (None: no table)."""
    import pandas as pd

    texts: list[str] = []
    for table in tables:
        if isinstance(table, pd.DataFrame):
            texts += [str(c) for c in table.columns] + [str(i) for i in table.index]
            texts += [str(v) for v in table.astype(str).to_numpy().ravel()]
    return texts


def english_left(texts: Iterable[str], names: set[str]) -> dict[str, list[str]]:
    """The texts that keep a run of three English words outside ``names``, with the runs."""
    from test_i18n import _english_runs

    return {text: _english_runs(text, names) for text in texts if _english_runs(text, names)}


def code_spans(markdown: str) -> set[str]:
    """The inline code spans (`` `name` ``) of a markdown text."""
    return set(re.findall(r"`[^`]+`", markdown))


def translated_markdown_cells(study: str, lang: str = "zh") -> list[tuple[str, str]]:
    """(English, translation) of each markdown cell a study's report shows.

    Checks that the study offers its report in English, Simplified and Traditional Chinese
    and that every such cell of its notebook is in the catalogue (translated, with Chinese
    text).
    """
    import nbformat

    from workbench import i18n
    from workbench.presentation.plots import has_cjk
    from workbench.runner.engine import report_languages
    from workbench.studies import get_study

    spec = get_study(study)
    assert report_languages(spec) == ("en", "zh", "zh-Hant")
    nb = nbformat.read(spec.notebook_path, as_version=4)
    cells = []
    for c in nb.cells:
        if c.cell_type == "markdown" and "remove-in-report" not in c.metadata.get("tags", []):
            out = i18n.markdown(c.source, f"notebook:{spec.notebook_path.stem}", lang=lang)
            assert out != c.source and has_cjk(out), c.source[:60]
            cells.append((c.source, out))
    return cells


def catalogue_messages(study: str) -> list[Any]:
    """The messages of a study's Chinese catalogue (``workbench/locale/zh/<study>.po``),
    each checked to be translated, not fuzzy, and to keep the English placeholders."""
    from babel.messages.pofile import read_po

    from workbench import i18n

    path = ROOT / "workbench" / "locale" / "zh" / f"{study}.po"
    with path.open("rb") as f:
        messages = [m for m in read_po(f, locale="zh_Hans_CN") if m.id]
    for m in messages:
        assert m.string and not m.fuzzy, m.id
        assert i18n.placeholders(m.string) == i18n.placeholders(m.id), m.id
    return messages


def check_taiwanese_terms(page: str, terms: Iterable[str]) -> None:
    """A zh-Hant page uses ``terms`` (Taiwanese research usage, glossary.csv) and not the
    mainland forms of bootstrap and confidence interval (自助法, 置信区间)."""
    for term in terms:
        assert term in page, term
    assert "自助法" not in page and "置信区间" not in page


def compare_group_estimates(ours: Any, theirs: Any, groups: list[str], tol: float) -> None:
    """A multi-group parameter table against lavaan's ``parameterEstimates()`` (1-based
    ``group``): the same rows; estimates and the free parameters' SEs within ``tol`` relative
    to max(1, |value|); lavaan's SE of 0 for a fixed or implied value is our NaN."""
    import numpy as np

    theirs = theirs.assign(group=[groups[g - 1] for g in theirs["group"]])
    m = ours.merge(theirs, on=["group", "lhs", "op", "rhs"], how="outer", indicator=True)
    assert (m["_merge"] == "both").all(), m.loc[m["_merge"] != "both", ["group", "lhs", "op"]]
    assert len(m) == len(theirs)
    scale = np.maximum(1.0, m["est"].abs())
    assert np.all(np.abs(m["estimate"] - m["est"]) <= tol * scale)
    assert (m["free"] == (m["se_y"] > 0)).all()
    free = m[m["free"]]
    scale = np.maximum(1.0, free["se_y"].abs())
    assert np.all(np.abs(free["se_x"] - free["se_y"]) <= tol * scale)
    assert m.loc[~m["free"], "se_x"].isna().all()
