"""The points-programme report in Chinese: whole zh and zh-Hant reports leave no English sentence.

The registry's default run (the simulated programme: ledger, transactions and members file, a
reward threshold, 12-month expiry) with a small ODP bootstrap and tier rules, through the
notebook in ``zh`` and ``zh-Hant``. Findings and warnings are written in English by the
computations (the points layer included) and matched against the catalogue's messages with
placeholders; the check for English is tests/test_i18n.py's (a run of three English words
outside names and codes).
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from helpers import (
    ROOT,
    catalogue_messages,
    check_chinese_report,
    check_taiwanese_terms,
    code_spans,
    findings_of,
    read_report,
    run_reports,
    translated_markdown_cells,
)

from workbench import i18n
from workbench.presentation.plots import has_cjk
from workbench.studies import get_study, points_programme

TIER_RULES = ["basic=0", "silver=1000", "gold=3000", "platinum=6000"]


@pytest.fixture(scope="module")
def chinese_runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("i18n-points")
    run = get_study("points-programme").default_runs[0]
    params = {
        **run.params,
        "transactions": str(ROOT / run.params["transactions"]),
        "members": str(ROOT / run.params["members"]),
        "tier_rules": TIER_RULES,
        "n_boot": 100,
    }
    job = {"data": str(ROOT / run.data), "params": params}
    return run_reports("points-programme", {"zh": job, "zh-Hant": job}, tmp)


@pytest.mark.parametrize("lang", ["zh", "zh-Hant"])
def test_a_chinese_points_report_leaves_no_english_sentence(chinese_runs, lang):
    page, results = check_chinese_report(chinese_runs[lang], lang, "points-programme", plots=4)
    findings = findings_of(page)
    # finance and marketing findings, the behaviour layer's interpretations among them
    assert len(findings) >= 8 and all(has_cjk(f) for f in findings)
    assert results["warnings"] and all(has_cjk(w) for w in results["warnings"])


def test_the_zh_points_report_speaks_of_breakage_liability_and_behaviour(chinese_runs):
    page = (chinese_runs["zh"] / "report.html").read_text(encoding="utf-8")
    findings = " ".join(findings_of(page))
    for term in (
        "财务：",
        "营销：",
        "最终兑换率",
        "沉淀率",
        "链梯法",
        "合同负债",
        "接近奖励",
        "流失",
    ):
        assert term in findings, term
    for term in ("同期群", "进展因子", "事件研究", "固定效应", "标准误", "自助法", "前导期"):
        assert term in page, term
    # the quarter of the period is a word of the sentence, not the English adjective
    assert "按季度划分的兑换三角形" in findings and "quarterly" not in page


def test_the_zh_hant_points_report_uses_taiwanese_research_terms(chinese_runs):
    page, _ = read_report(chinese_runs["zh-Hant"])
    check_taiwanese_terms(page, ("主要發現", "拔靴法", "信賴區間", "固定效果", "標準誤"))


def test_results_json_keeps_its_english_keys_in_a_chinese_run(chinese_runs):
    res = json.loads((chinese_runs["zh"] / "results.json").read_text(encoding="utf-8"))
    assert {"ledger", "redemption", "liability", "goal_gradient", "tiers"} <= set(res)
    assert res["redemption"]["method"].startswith("chain-ladder")
    assert 0 < res["redemption"]["ultimate_rate"] < 1


def test_report_tables_translate_headers_and_method_rows_but_not_data():
    frame = pd.DataFrame(
        {"ultimate_rate": [0.67, 0.66], "breakage": [0.33, 0.34]},
        index=pd.Index(
            [
                "chain ladder (ODP bootstrap interval)",
                "survival: share redeemed within 366 days (Aalen-Johansen)",
            ],
            name="method",
        ),
    )
    assert points_programme.for_report(frame, index_values=True) is frame  # English
    with i18n.language("zh"):
        shown = points_programme.for_report(frame, index_values=True)
        tiers = points_programme.for_report(
            pd.DataFrame({"issued": [10, 20]}, index=pd.Index(["gold", "silver"], name="tier"))
        )
    assert list(shown.columns) == ["最终兑换率", "沉淀率"]
    assert list(shown.index) == [
        "链梯法（ODP 自助法区间）",
        "生存分析：366 天内兑换的比例（Aalen-Johansen）",
    ]
    assert list(tiers.index) == ["gold", "silver"]  # tier names are data
    assert frame.index[0] == "chain ladder (ODP bootstrap interval)"  # not modified


def test_every_report_markdown_cell_of_the_points_notebook_is_catalogued():
    cells = translated_markdown_cells("points-programme")
    assert len(cells) >= 10
    for source, out in cells:
        assert code_spans(source) <= code_spans(out)


def test_the_catalogue_of_the_points_study_has_no_untranslated_or_broken_message():
    assert len(catalogue_messages("points-programme")) > 100
