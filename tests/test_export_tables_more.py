"""Three rows of the APA export tables: a regression's overall *F* test, the confidence
interval of a moderation's interaction and the *SE* and *p* of the event-study estimates.

The values come from R: the regression of loyalty on satisfaction, competence and
likeability in Hair et al.'s corp_rep data (tests/reference/export_tables_more.R: ``lm()``,
``summary(m)$fstatistic``), the moderation of satisfaction by likeability in the same data
(tests/reference/r_mediation.R: ``confint()`` of the product term) and the event study of
tests/reference/r_evaluation.R (``lm()`` with ``sandwich::vcovCL``), whose panel goes through
:func:`workbench.behaviour.evaluation.event_study` (tests/test_evaluation.py checks it against
R). Each value is put into a fixed run's results.json (tests/fixtures/export) under the key
the export reads; the tables must show it as APA 7 prints it (the formatters of
:mod:`workbench.presentation.apa`), within half a unit of its last printed digit of R's
number, and in Chinese with the labels of workbench/locale/zh/export.po. A run without the
keys keeps its table as before (nothing is recomputed). The last tests run the studies
(`workbench run`, then `workbench export RUN --to md`) and check that the results.json they
write today carries the three values and that the Markdown export prints them.
"""

from __future__ import annotations

import copy
import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT, english_left, run_main

from workbench import i18n
from workbench.behaviour.evaluation import event_study
from workbench.presentation.apa import (
    MINUS,
    MISSING,
    format_ci,
    format_df,
    format_number,
    format_p,
    format_stat,
    p_text,
    plain,
    stat_text,
    symbol,
)
from workbench.presentation.export import Table, export_run
from workbench.presentation.export_tables import build_tables
from workbench.presentation.plots import has_cjk

FIXTURES = ROOT / "tests" / "fixtures" / "export"
REFERENCE = ROOT / "tests" / "reference"


def fixture(study: str) -> dict:
    return json.loads((FIXTURES / f"{study}.json").read_text(encoding="utf-8"))


def reference(name: str) -> dict:
    return json.loads((REFERENCE / f"{name}.json").read_text(encoding="utf-8"))


def table_of(results: dict, key: str, lang: str = "en") -> Table:
    with i18n.language(lang):
        return next(t for t in build_tables(results) if t.key == key)


def agrees(cell: str, value: float) -> bool:
    """The cell shows ``value`` rounded to the cell's own number of decimals."""
    text = plain(cell).replace(MINUS, "-").replace(",", "")
    decimals = len(text.split(".")[1]) if "." in text else 0
    return abs(float(text) - value) <= 0.5 * 10**-decimals + 1e-12


def export_md(results: dict, folder: Path, lang: str = "en") -> str:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.json").write_text(json.dumps(results), encoding="utf-8")
    path = export_run(folder, to="md", out=folder / "paper.md", lang=lang, figures=False)
    return path.read_text(encoding="utf-8")


# ----------------------------------------------------------------------------- regression F test
@pytest.fixture(scope="module")
def regression_run() -> dict:
    """A loyalty-drivers run whose model block is R's OLS fit (listwise, n = 336)."""
    ols = reference("export_tables_more")["ols"]
    results = fixture("loyalty-drivers")
    results["model"] = {
        "kind": "ols",
        "outcome": "loyalty",
        **{k: ols[k] for k in ("n", "r2", "adj_r2", "coefficients", "f_test")},
    }
    results["missing"] = {"treatment": "listwise"}
    return results


def apa_f_test(test: dict) -> str:
    """``*F*(df1, df2) = F, *p* ...`` from the APA formatters."""
    df = f"{format_df(test['df1'])}, {format_df(test['df2'])}"
    return f"{stat_text('F', format_stat(test['F'], 'F'), df)}, {p_text(test['p'])}"


def test_the_regression_note_gives_r2_and_the_overall_f_test_as_apa_prints_them(
    regression_run, tmp_path
):
    ref = regression_run["model"]["f_test"]
    note = table_of(regression_run, "regression").note
    f_test = apa_f_test(ref)
    r2 = format_stat(regression_run["model"]["r2"], "R2")
    adj = format_stat(regression_run["model"]["adj_r2"], "R2")
    # APA 7: italic F with its two df, two decimals, p without a leading zero (< .001)
    assert f"{symbol('R2')} = {r2}, adjusted {symbol('R2')} = {adj}, {f_test}." in note
    shown = re.search(r"\*F\*\((\d+), (\d+)\) = ([\d,]+\.\d\d), \*p\* < \.001", note)
    assert shown, note
    assert (int(shown[1]), int(shown[2])) == (ref["df1"], ref["df2"]) == (3, 332)
    assert agrees(shown[3], ref["F"])
    assert f"{f_test}." in export_md(regression_run, tmp_path / "en")


def test_a_pooled_f_test_prints_its_fractional_denominator_df(regression_run):
    # the pooled Wald test over imputations (Li, Raghunathan & Rubin, 1991) has a real df2
    results = copy.deepcopy(regression_run)
    results["model"]["f_test"] = {"F": 12.3456, "df1": 4, "df2": 795.334, "p": 0.0123}
    note = table_of(results, "regression").note
    assert "*F*(4, 795.33) = 12.35, *p* = .012." in note


def test_a_run_without_the_f_test_keeps_its_note():
    results = fixture("loyalty-drivers")
    assert "f_test" not in results["model"]
    assert "*F*(" not in table_of(results, "regression").note


@pytest.mark.parametrize("lang", ["zh", "zh-Hant"])
def test_the_chinese_regression_note_keeps_the_f_test_after_a_chinese_comma(regression_run, lang):
    note = table_of(regression_run, "regression", lang).note
    assert f"，{apa_f_test(regression_run['model']['f_test'])}。" in note and has_cjk(note)
    assert not english_left([plain(note)], {"Intercept"}), note


# ----------------------------------------------------------------------------- moderation CI
@pytest.fixture(scope="module")
def moderation_run() -> dict:
    """A loyalty-drivers run whose moderation block is R's (PROCESS model 1, n = 336)."""
    ref = reference("r_mediation")["moderation"]
    results = fixture("loyalty-drivers-moderation")
    results["moderation"] = {
        "moderator": "likeability",
        "x": "satisfaction",
        "y": "loyalty",
        "interaction": ref["coefficients"]["x_w"],
        "simple_slopes": ref["simple_slopes"],
        "n": ref["n"],
    }
    return results


def test_the_moderation_table_gives_the_interactions_confidence_interval(moderation_run, tmp_path):
    ref = reference("r_mediation")["moderation"]["coefficients"]["x_w"]
    table = table_of(moderation_run, "moderation")
    label, b, se, ci, p = table.rows[0]
    assert "interaction" in label
    assert ci == format_ci(ref["ci_low"], ref["ci_high"])
    # APA 7: both bounds in brackets, two decimals, the true minus sign
    bounds = re.fullmatch(r"\[(−\d\.\d\d), (−\d\.\d\d)\]", ci)
    assert bounds, ci
    assert agrees(bounds[1], ref["ci_low"]) and agrees(bounds[2], ref["ci_high"])
    assert (b, se, p) == (format_stat(ref["estimate"], "b"), format_stat(ref["se"], "se"), "< .001")
    assert p == format_p(ref["p"])
    assert f"| {ci} |".replace("[", "\\[").replace("]", "\\]") in export_md(
        moderation_run, tmp_path
    )
    with i18n.language("zh"):
        zh = next(t for t in build_tables(moderation_run) if t.key == "moderation")
    assert zh.rows[0][3] == ci and has_cjk(zh.rows[0][0])


def test_an_interaction_without_its_interval_shows_a_dash_not_a_recomputed_one():
    # what the study writes today: estimate, se, t and p of the product term only
    interaction = fixture("loyalty-drivers-moderation")["moderation"]["interaction"]
    assert "ci_low" not in interaction
    row = table_of(fixture("loyalty-drivers-moderation"), "moderation").rows[0]
    assert row[3] == MISSING and row[1] != MISSING


# ----------------------------------------------------------------------------- event study SE, p
@pytest.fixture(scope="module")
def event_run() -> dict:
    """A programme-evaluation run whose event study is that of R's panel (leads and lags 4)."""
    ref = reference("r_evaluation")
    panel = pd.DataFrame(ref["data"]).rename(columns={"y": "purchases"})
    panel["period"] = pd.to_datetime(panel["period"])
    ids = panel["member_id"].unique()
    treated = pd.Series(np.isin(ids, ref["treated"]), index=ids)
    es = event_study(
        panel,
        outcome="frequency",
        treated=treated,
        launch_date=ref["launch_date"],
        leads=4,
        lags=4,
    )
    rows = es.table.set_index("k")[["estimate", "se", "ci_low", "ci_high", "p"]]
    results = fixture("programme-evaluation")
    results["event_study"] = {
        str(int(k)): {c: None if math.isnan(v) else float(v) for c, v in row.items()}
        for k, row in rows.iterrows()
    }
    return results


def test_the_event_study_table_gives_each_estimates_se_and_p(event_run, tmp_path):
    ref = reference("r_evaluation")["event"]
    table = table_of(event_run, "event_study")
    assert table.columns[1:] == [symbol("b"), symbol("SE"), table.columns[3], symbol("p")]
    rows = {plain(r[0]).replace(MINUS, "-"): r for r in table.rows}
    assert list(rows) == ["-4", "-3", "-2", "-1", "0", "1", "2", "3", "4"]
    for k, se, p in zip(ref["k"], ref["se"], ref["p"], strict=True):
        _, _, se_cell, _, p_cell = rows[str(k)]
        # three decimals as the estimates; p as APA 7 prints it (no leading zero, < .001)
        assert se_cell == format_number(se, 3) and agrees(se_cell, se)
        assert p_cell == format_p(p)
    assert rows["4"][4] == "< .001" and re.fullmatch(r"\.\d{3}", rows["0"][4])
    assert rows["-1"][2:] == [MISSING, MISSING, MISSING]  # the reference period
    assert table.note.endswith("Standard errors clustered by member.")
    md = export_md(event_run, tmp_path)
    assert f"| {symbol('b')} | {symbol('SE')} |" in md


@pytest.mark.parametrize(
    ("lang", "sentence"), [("zh", "标准误按会员聚类。"), ("zh-Hant", "標準誤按會員群聚。")]
)
def test_the_chinese_event_study_note_says_how_the_errors_are_clustered(event_run, lang, sentence):
    en = table_of(event_run, "event_study")
    table = table_of(event_run, "event_study", lang)
    assert table.note.endswith(sentence)
    assert table.rows == en.rows and table.columns[2] == symbol("SE")


def test_an_event_study_without_se_and_p_keeps_its_three_columns():
    table = table_of(fixture("programme-evaluation"), "event_study")
    assert len(table.columns) == 3 and symbol("SE") not in table.columns
    assert "clustered" not in table.note


# ----------------------------------------------------------------------------- real runs
# The three values as the studies write them: results.json of `workbench run` (the
# notebook, as a user runs it), exported with `workbench export RUN --to md`.
DATA = ROOT / "data"


def workbench_run(study: str, out: Path, *args: str) -> dict:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WORKBENCH_REPORTS", str(out.parent / "reports"))
        code, _, err = run_main(["run", study, *args, "--out", str(out)])
        assert code == 0, err
        code, _, err = run_main(["export", str(out), "--to", "md"])
        assert code == 0, err
    return json.loads((out / "results.json").read_text(encoding="utf-8"))


def loyalty_run(out: Path, missing: str) -> tuple[dict, str]:
    results = workbench_run(
        "loyalty-drivers", out,
        "--data", str(DATA / "loyalty_survey.csv"),
        "--codebook", str(DATA / "loyalty_survey.codebook.yaml"),
        "--param", "drivers=[trust, satisfaction, value]", "--param", "x=value",
        "--param", "moderator=satisfaction", "--param", f"missing={missing}",
        "--param", "bootstrap=100",
    )  # fmt: skip
    return results, (out / "export" / "paper.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def listwise_run(tmp_path_factory) -> tuple[dict, str]:
    return loyalty_run(tmp_path_factory.mktemp("listwise") / "run", "listwise")


@pytest.fixture(scope="module")
def mi_run(tmp_path_factory) -> tuple[dict, str]:
    """The default treatment: multiple imputation, pooled."""
    return loyalty_run(tmp_path_factory.mktemp("mi") / "run", "mi")


def test_a_real_run_writes_the_overall_f_test_and_the_export_prints_it(listwise_run):
    results, md = listwise_run
    model = results["model"]
    f_test = model["f_test"]
    assert f_test["vcov"] == "classical" and (f_test["df1"], f_test["df2"]) == (3, model["n"] - 4)
    # the classical F of R2: (R2 / k) / ((1 - R2) / (n - k - 1)), as summary(lm)$fstatistic
    r2 = model["r2"]
    assert f_test["F"] == pytest.approx((r2 / 3) / ((1 - r2) / f_test["df2"]), rel=1e-10)
    assert f"{apa_f_test(f_test)}." in md


def test_a_pooled_run_writes_the_d1_f_test_and_its_note_prints_it(mi_run):
    results, md = mi_run
    assert results["missing"]["treatment"] == "mi"
    test = results["model"]["f_test"]  # D1 over the imputations (tests/test_regression_f_test)
    assert test["pooling"] == "D1" and test["df1"] == 3 and test["df2"] > 0
    note = next(line for line in md.splitlines() if "adjusted *R*²" in line)
    assert f"{apa_f_test(test)} (D1, pooled over the multiple imputations)." in note


@pytest.mark.parametrize("which", ["listwise_run", "mi_run"])
def test_a_real_run_writes_the_interactions_interval_and_the_export_prints_it(request, which):
    results, md = request.getfixturevalue(which)
    inter = results["moderation"]["interaction"]
    assert inter["ci_low"] < inter["estimate"] < inter["ci_high"]
    # the interval is the X·W coefficient's t interval (pooled: with Barnard-Rubin df)
    assert (inter["ci_high"] - inter["estimate"]) == pytest.approx(
        inter["estimate"] - inter["ci_low"], rel=1e-9
    )
    assert 1.95 * inter["se"] < inter["ci_high"] - inter["estimate"] < 1.98 * inter["se"]
    ci = format_ci(inter["ci_low"], inter["ci_high"])
    row = next(line for line in md.splitlines() if "(interaction) |" in line)
    assert f"| {ci} |".replace("[", "\\[").replace("]", "\\]") in row


def test_a_real_programme_run_writes_each_periods_se_and_p_and_the_export_prints_them(
    tmp_path,
):
    results = workbench_run(
        "programme-evaluation", tmp_path / "run",
        "--data", str(DATA / "programme_transactions.csv"),
        "--param", "launch_date=2025-01-01",
        "--param", f"members={DATA / 'programme_members.csv'}",
    )  # fmt: skip
    md = (tmp_path / "run" / "export" / "paper.md").read_text(encoding="utf-8")
    event = results["event_study"]
    assert event["-1"]["se"] is None and event["-1"]["p"] is None  # the reference period
    lines = {line.split(" | ")[0].lstrip("| "): line for line in md.splitlines()}
    for k, v in event.items():
        if k == "-1":
            continue
        assert 0 < v["se"] and 0 <= v["p"] <= 1
        cells = lines[k.replace("-", MINUS)].strip("| ").split(" | ")
        assert cells[2] == format_number(v["se"], 3) and cells[4] == format_p(v["p"]), k
    assert "Standard errors clustered by member." in md


def test_a_pooled_or_robust_f_test_says_which_test_it_is_in_english_and_chinese():
    from workbench import i18n
    from workbench.presentation.export_tables import _f_test_text

    base = {"F": 12.3456, "df1": 3, "df2": 120, "p": 0.0001}
    assert _f_test_text(base) == apa_f_test(base)
    hc3 = _f_test_text({**base, "vcov": "HC3"})
    assert hc3 == f"{apa_f_test(base)} (Wald test with HC3 standard errors)"
    both = _f_test_text({**base, "vcov": "HC3", "pooling": "D1"})
    assert both.endswith("(D1, pooled over the multiple imputations; Wald test with HC3 "
                         "standard errors)")  # fmt: skip
    with i18n.language("zh"):
        zh = _f_test_text({**base, "vcov": "classical", "pooling": "D1"})
    assert zh.endswith("（D1，基于多重插补合并）") and "pooled" not in zh
