"""The factor-analysis report in Chinese (issue 20): whole zh and zh-Hant reports on small data.

Two notebook runs: Simplified Chinese on 300 respondents of the loyalty survey with the
default treatment (FIML, ML CFA), and Traditional Chinese on 300 respondents of the bfi data
with the ordinal CFA (WLSMV, listwise) and the replication table against R psych. A report
fails when a run of three English words is left outside names, codes and numbers (the check
of tests/test_i18n.py); the codebook's item wording and construct labels are data, not text
to translate, and are taken out first. The English report keeps its wording: the study's own
tests (tests/test_studies_factor_analysis.py) run in English and pin its sentences.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import (
    DATA,
    check_chinese_report,
    codebook_labels,
    run_reports,
    translated_markdown_cells,
)

from workbench import i18n
from workbench.presentation.plots import has_cjk

STUDY = "factor-analysis"
RUNS = {
    "zh": ("loyalty_survey", 300, {"pa_iterations": 20}),
    "zh-Hant": (
        "bfi",
        300,
        {
            "estimator": "wlsmv",
            "missing": "listwise",
            "pa_iterations": 20,
            "replication": str(DATA / "bfi.psych_reference.json"),
        },
    ),
}


def _head(name: str, rows: int, folder: Path) -> tuple[Path, Path]:
    """The first ``rows`` respondents of a shipped survey, and its codebook."""
    lines = (DATA / f"{name}.csv").read_text(encoding="utf-8").splitlines()
    path = folder / f"{name}_{rows}.csv"
    path.write_text("\n".join(lines[: rows + 1]) + "\n", encoding="utf-8")
    return path, DATA / f"{name}.codebook.yaml"


@pytest.fixture(scope="module")
def chinese_runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("i18n_fa")
    jobs = {}
    for lang, (name, rows, params) in RUNS.items():
        data, codebook = _head(name, rows, tmp)
        jobs[lang] = {"data": str(data), "codebook": str(codebook), "params": params}
    return run_reports(STUDY, jobs, tmp)


@pytest.mark.parametrize("lang", list(RUNS))
def test_a_chinese_factor_analysis_report_leaves_no_english_sentence(chinese_runs, lang):
    name = RUNS[lang][0]
    # the codebook's item wording and construct labels
    labels = codebook_labels(
        DATA / f"{name}.csv", DATA / f"{name}.codebook.yaml", unlabelled_items=False
    )
    _, results = check_chinese_report(chinese_runs[lang], lang, STUDY, labels=labels)
    # warnings are written in the report's language (the bfi run has two: listwise deletion,
    # empty cells of the polychoric tables); results.json keys stay English
    assert len(results["warnings"]) >= (2 if lang == "zh-Hant" else 0)
    assert all(has_cjk(w) for w in results["warnings"])
    assert results["missing"]["treatment"] == RUNS[lang][2].get("missing", "fiml")


def test_the_chinese_reports_use_the_glossary_terms(chinese_runs):
    zh = (chinese_runs["zh"] / "report.html").read_text(encoding="utf-8")
    for term in (
        "探索性因子分析",
        "验证性因子分析",
        "克隆巴赫α",
        "平均方差萃取量",
        "组合信度",
        "区分效度",
    ):
        assert term in zh, term
    assert "異質-單質比率" in (chinese_runs["zh-Hant"] / "report.html").read_text(encoding="utf-8")
    hant = (chinese_runs["zh-Hant"] / "report.html").read_text(encoding="utf-8")
    # Taiwanese research usage: 因素分析 and 信賴區間, never the character-by-character forms
    assert "驗證性因素分析" in hant and "因子分析" not in hant and "置信區間" not in hant


def test_every_report_markdown_cell_of_the_notebook_is_catalogued():
    assert len(translated_markdown_cells(STUDY)) == 16


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        (  # workbench.intake.missingness: the recommendation, matched in parts
            "20 of 1000 answers (2.0%) are missing, and 15 of 100 respondents (15.0%) miss at "
            "least one item. Little's test does not reject MCAR (d² = 12.34, df = 10, p = .262); "
            "this does not prove the answers are missing completely at random (the test has "
            "little power when few answers are missing, and no test can detect missingness that "
            "depends on the missing answers themselves). Listwise deletion costs those 15 "
            "respondents (15.0%) and much of the power: FIML (CFA/SEM), pairwise or EM "
            "correlations (EFA, reliability) and multiple imputation (regression models) keep "
            "them.",
            "1000 个作答中有 20 个（2.0%）缺失，100 名受访者中有 15 名（15.0%）至少缺答一个题项。"
            "Little 检验未拒绝完全随机缺失（MCAR）假设（d² = 12.34, df = 10, p = .262）",
        ),
        (  # workbench.sem.ordinal_stats
            "3 item pair(s) have empty cells in their contingency table (e.g. A1 x A2); with few "
            "answers in some categories the correlations and their standard errors are less "
            "stable.",
            "3 对题项的列联表中存在空单元格（例如 A1 x A2）；某些类别作答较少时，相关及其标准误较不稳定。",
        ),
        (  # workbench.measurement.factors
            "Two factors correlate 0.86 (> .80): they may not be distinct; consider fewer factors.",
            "有两个因子的相关为 0.86（> .80）：它们可能无法区分；请考虑减少因子数。",
        ),
    ],
)
def test_messages_of_the_statistics_layers_are_translated_for_the_report(english, chinese):
    assert i18n.translate(english, lang="zh").startswith(chinese)
    assert i18n.translate(english, lang="en") == english
