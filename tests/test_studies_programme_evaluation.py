"""The programme-evaluation study end to end: contract, truth recovery, placebo, notebook."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from generated_files import assert_generated_file_matches

from workbench.errors import InputError
from workbench.simulate import write_default_programme
from workbench.studies import get_study
from workbench.studies.programme_evaluation import analyse

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
CODEBOOK = str(DATA / "loyalty_survey.codebook.yaml")


@pytest.fixture(scope="module")
def default_study():
    run = get_study("programme-evaluation").default_runs[0]
    return analyse(str(ROOT / run.data), str(ROOT / run.codebook), **run.params)


def test_results_json_carries_every_contract_key(default_study):
    res = default_study.results()
    json.dumps(res, allow_nan=False)
    assert {
        "outcome", "estimate", "se", "ci_low", "ci_high", "p", "relative_effect", "pretrend_p"
    } <= set(res["did"])  # fmt: skip
    k = next(iter(res["event_study"].values()))
    assert {"estimate", "ci_low", "ci_high"} <= set(k)
    assert set(res["loyalty_matrix"]) == {"true_loyalty", "latent", "spurious", "no_loyalty"}
    for cell in res["loyalty_matrix"].values():
        assert {"members", "share", "revenue_share"} <= set(cell)
    period = next(iter(res["nps"].values()))
    assert {"nps", "ci_low", "ci_high", "n"} <= set(period)


def test_surveyed_loyalty_predicts_purchasing_as_simulated(default_study):
    coef = default_study.attitude_model.coefficients.set_index("term")
    assert coef.loc["loyalty", "estimate"] > 0 and coef.loc["loyalty", "p"] < 0.05


@pytest.fixture(scope="module")
def large_programme(tmp_path_factory):
    """A 20,000-member draw of the documented programme (seed 7): enough power to check that
    the study's interval covers the known effect."""
    folder = tmp_path_factory.mktemp("programme")
    from workbench.simulate import simulate_programme

    sim = simulate_programme(n_members=20_000, seed=7)
    sim.transactions.to_csv(folder / "tx.csv", index=False)
    sim.members.to_csv(folder / "members.csv", index=False)
    return folder, sim.truth


def test_did_interval_covers_the_simulated_effect(large_programme):
    folder, truth = large_programme
    s = analyse(
        str(folder / "tx.csv"), None, launch_date=truth["launch_date"],
        members=str(folder / "members.csv"),
    )  # fmt: skip
    # the default model is the ratio (Poisson) DiD: compare relative effects
    target = truth["expected_did"]["purchases_per_member_month"]["relative_effect"]
    assert s.did.relative_ci_low <= target <= s.did.relative_ci_high, (
        s.did.relative_effect,
        target,
    )
    assert s.did.ci_low > 0
    assert s.did.pretrend_p > 0.05


def test_default_data_interval_covers_the_documented_effect(default_study):
    truth = json.loads((DATA / "programme.truth.json").read_text())
    expected = truth["expected_did"]["purchases_per_member_month"]
    d = default_study.did
    assert d.relative_ci_low <= expected["relative_effect"] <= d.relative_ci_high
    res = default_study.results()["did"]
    assert res["absolute_ci_low"] <= expected["att"] <= res["absolute_ci_high"]


def test_placebo_launch_before_the_real_one_finds_no_effect(large_programme, tmp_path):
    folder, truth = large_programme
    tx = pd.read_csv(folder / "tx.csv")
    pre = tx[tx["date"] < truth["launch_date"]]
    pre.to_csv(tmp_path / "pre.csv", index=False)
    s = analyse(
        str(tmp_path / "pre.csv"), None, launch_date="2024-07-01",
        members=str(folder / "members.csv"), leads=3, lags=3,
    )  # fmt: skip
    assert s.did.ci_low <= 0 <= s.did.ci_high


def test_without_a_comparison_group_the_study_falls_back_to_its_with_the_caveat():
    s = analyse(str(DATA / "programme_transactions.csv"), None, launch_date="2025-01-01")
    assert s.did is None and s.its is not None
    assert any("confounded" in w for w in s.warnings)
    assert s.results()["its"]["caveat"]


def test_a_members_file_without_the_treated_column_is_an_error_not_a_silent_design(tmp_path):
    members = tmp_path / "members.csv"
    pd.read_csv(DATA / "programme_members.csv").drop(columns="treated").to_csv(members, index=False)
    tx = str(DATA / "programme_transactions.csv")
    with pytest.raises(InputError, match="no column 'treated'") as info:
        analyse(tx, None, launch_date="2025-01-01", members=str(members))
    assert "treated_col=''" in info.value.hint and "store" in info.value.hint
    s = analyse(tx, None, launch_date="2025-01-01", members=str(members), treated_col="")
    assert s.did is None and s.its is not None  # asked for: before/after only


def test_a_treated_file_matching_no_member_is_an_error(tmp_path):
    ids = tmp_path / "treated.csv"
    ids.write_text("member_id\nX1\nX2\n", encoding="utf-8")
    with pytest.raises(InputError, match="marks no member"):
        analyse(
            str(DATA / "programme_transactions.csv"),
            None,
            launch_date="2025-01-01",
            treated_file=str(ids),
        )


def test_a_survey_whose_ids_match_no_member_is_named_not_a_constant_outcome(tmp_path):
    survey = pd.read_csv(DATA / "loyalty_survey.csv")
    survey["respondent_id"] = "S" + survey["respondent_id"].astype(str)
    path = tmp_path / "survey.csv"
    survey.to_csv(path, index=False)
    with pytest.raises(InputError, match="None of the survey's 800 member ids appears"):
        analyse(
            str(DATA / "programme_transactions.csv"),
            str(DATA / "loyalty_survey.codebook.yaml"),
            launch_date="2025-01-01",
            members=str(DATA / "programme_members.csv"),
            survey=str(path),
        )


def test_the_committed_programme_files_are_what_the_simulator_writes(tmp_path):
    write_default_programme(tmp_path)
    for name in ("programme_members.csv", "programme_nps.csv"):
        assert_generated_file_matches(DATA / name, tmp_path / name)


def test_notebook_runs_end_to_end(tmp_path, monkeypatch):
    from workbench.runner import cli

    monkeypatch.setenv("WORKBENCH_REPORTS", str(tmp_path / "reports"))
    out = tmp_path / "run"
    code = cli.main([
        "run", "programme-evaluation", "--data", str(DATA / "programme_transactions.csv"),
        "--codebook", CODEBOOK, "--param", "launch_date=2025-01-01",
        "--param", f"members={DATA / 'programme_members.csv'}",
        "--param", f"survey={DATA / 'loyalty_survey.csv'}",
        "--param", f"nps_file={DATA / 'programme_nps.csv'}", "--out", str(out),
    ])  # fmt: skip
    assert code == 0
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["study"] == "programme-evaluation" and results["did"]["estimate"]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Key findings" in html and html.count("Plotly.newPlot") >= 2
    # no emoji: they are drawn as empty boxes where no emoji font is installed
    assert not [c for c in html if "\U0001f300" <= c <= "\U0001faff" or "\u2600" <= c <= "\u27bf"]


def test_report_tables_print_counts_as_integers_and_p_values_apa_style(default_study):
    import html as html_text
    import re

    from workbench.presentation.report import table_html

    d = default_study.did

    def cell(html: str, row: str, column: int = 0) -> str:
        found = re.search(rf">{re.escape(row)}</th>((?:\s*<td[^>]*>[^<]*</td>)+)", html)
        assert found, row
        return html_text.unescape(re.findall(r"<td[^>]*>([^<]*)</td>", found.group(1))[column])

    did = table_html(default_study.did_table())
    assert cell(did, "member-periods").replace(",", "") == str(d.n)
    assert cell(did, "members (clusters)").replace(",", "") == str(d.clusters)
    for row in ("p", "pre-trend test p"):
        assert re.fullmatch(r"< \.001|\.\d{3}|1\.000", cell(did, row)), row
    horizons = table_html(default_study.horizon_table())
    k_to = [cell(horizons, h, 1) for h in default_study.horizon_table().index]
    assert all(re.fullmatch(r"\d*", k) for k in k_to), k_to  # 3, not 3.000
    assert not any(re.search(r"\bp = 0\.|p = [\d.]+e-", f) for f in default_study.findings)
    res = default_study.results()["did"]
    assert isinstance(res["n"], int) and isinstance(res["p"], float)  # results.json stays numeric


def test_a_blank_treated_cell_names_the_members_file_and_row():
    from workbench.studies.programme_evaluation import _as_flag

    values = pd.Series(["yes", "0", None, "maybe"], index=["a", "b", "c", "d"])
    with pytest.raises(InputError, match="2 value\\(s\\) do not \\(the first is empty\\)") as info:
        _as_flag(values, "treated", "members.csv")
    err = info.value
    assert (err.file, err.column, err.row, err.value) == ("members.csv", "treated", 3, None)
    assert "'nan'" not in err.message
    assert _as_flag(pd.Series(["Yes", "1.0", "false"]), "t").tolist() == [True, True, False]


def test_a_treated_column_and_a_treated_file_together_are_refused_as_two_sources(tmp_path):
    ids = tmp_path / "treated.csv"
    ids.write_text("member_id\n1\n2\n", encoding="utf-8")
    with pytest.raises(InputError, match="Two sources say who was exposed") as info:
        analyse(
            str(DATA / "programme_transactions.csv"),
            None,
            launch_date="2025-01-01",
            members=str(DATA / "programme_members.csv"),
            treated_file=str(ids),
        )
    assert "treated_col=''" in info.value.hint


def test_nps_answers_that_never_reach_promoter_range_are_flagged(tmp_path):
    nps = pd.read_csv(DATA / "programme_nps.csv")
    nps["recommend"] = (nps["recommend"] / 2).round().clip(0, 5)
    path = tmp_path / "nps.csv"
    nps.to_csv(path, index=False)
    s = analyse(
        str(DATA / "programme_transactions.csv"),
        None,
        launch_date="2025-01-01",
        members=str(DATA / "programme_members.csv"),
        nps_file=str(path),
        refunds="net",
    )
    assert any("go no higher than 5" in w for w in s.warnings)
