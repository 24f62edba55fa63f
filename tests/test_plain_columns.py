"""Runs without a codebook: studies whose parameters can name plain columns.

`--codebook` is required only where the method needs constructs (factor-analysis,
experience-economy), optional where parameters may name columns instead
(loyalty-drivers; programme-evaluation's survey part) and rejected where no survey is
read (member-analytics). The data are observed scores simulated here with a seed; two
notebook runs (loyalty-drivers with every role a plain column, programme-evaluation
with a plain survey) check the report and results.json end to end, everything else
stops before a kernel starts.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import run_main

from workbench.errors import InputError
from workbench.intake.codebook import NO_CODEBOOK_NOTE
from workbench.intake.data import load_survey
from workbench.presentation.report import COMMON_RESULT_KEYS, esc
from workbench.runner import cli, engine
from workbench.studies import STUDIES, get_study
from workbench.studies import loyalty_drivers as ld
from workbench.studies import programme_evaluation as pe

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
CODEBOOK = DATA / "loyalty_survey.codebook.yaml"
PROGRAMME = {
    "launch_date": "2025-01-01",
    "members": str(DATA / "programme_members.csv"),
    "refunds": "net",
}


def simulate_scores(n: int = 160, seed: int = 11) -> pd.DataFrame:
    """Observed scores as in Hayes' PROCESS examples: x1 works on y partly through m,
    w moderates x1, seg is a two-level segment, note is a text column."""
    rng = np.random.default_rng(seed)
    x1, x2, w = rng.normal(size=(3, n))
    m = 0.6 * x1 + rng.normal(size=n)
    y = 0.3 * x1 + 0.3 * x2 + 0.5 * m + 0.3 * x1 * w + rng.normal(size=n)
    return pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "y": y.round(4),
            "x1": x1.round(4),
            "x2": x2.round(4),
            "m": m.round(4),
            "w": w.round(4),
            "seg": rng.choice(["north", "south"], size=n),
            "note": rng.choice(["ok", "late"], size=n),
        }
    )


@pytest.fixture(scope="module")
def plain(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("plain") / "plain.csv"
    simulate_scores().to_csv(path, index=False)
    return path


def nothing_written(reports: Path) -> bool:
    return not reports.exists() or not any(reports.rglob("*"))


# =========================================================================== the registry
def test_list_says_whether_each_study_requires_allows_or_ignores_a_codebook(capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    blocks = {b.strip().split(":", 1)[0]: b for b in out.split("\n\n") if b.strip()}
    expected = {
        "factor-analysis": ("required", " --codebook FILE "),
        "loyalty-drivers": ("optional", " [--codebook FILE] "),
        "experience-economy": ("required", " --codebook FILE "),
        "member-analytics": ("not used", " --data FILE [--param"),
        "programme-evaluation": ("optional", " [--codebook FILE] "),
        "pls-sem": ("optional", " [--codebook FILE] "),
        "segmentation": ("optional", " [--codebook FILE] "),
        "points-programme": ("not used", " --data FILE [--param"),
    }
    assert set(expected) == set(STUDIES)
    for name, (use, usage) in expected.items():
        assert STUDIES[name].codebook_use == use
        lines = blocks[name].splitlines()
        assert any(line.strip().startswith(f"codebook: {use} (") for line in lines), name
        assert usage in next(line for line in lines if "usage:" in line), name


def test_load_survey_without_a_codebook_keeps_every_column_as_read(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("a,b,c\n1,99,x\n2,-9,y\n", encoding="utf-8")
    survey = load_survey(path)
    assert not survey.codebook.given and survey.codebook.items == ()
    assert survey.items.shape == (2, 0)
    assert survey.frame["b"].tolist() == [99, -9]  # no missing codes without a codebook
    assert survey.frame["c"].tolist() == ["x", "y"]
    assert load_survey(path, "").frame.equals(survey.frame)  # what `workbench run` passes


# =========================================================================== loyalty-drivers
@pytest.fixture(scope="module")
def drivers_run(plain, tmp_path_factory):
    """One notebook run with outcome, drivers, mediator, moderator, x and by all columns."""
    tmp = tmp_path_factory.mktemp("drivers")
    out = tmp / "run"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WORKBENCH_REPORTS", str(tmp / "reports"))
        code, _, err = run_main(
            ["run", "loyalty-drivers", "--data", str(plain),
             "--param", "outcome=y", "--param", "drivers=[x1, x2]",
             "--param", "mediator=[m]", "--param", "moderator=w", "--param", "x=x1",
             "--param", "by=seg", "--param", "bootstrap=100", "--out", str(out)]
        )  # fmt: skip
    assert code == 0, err
    return out


def test_loyalty_drivers_runs_on_plain_columns_and_keeps_the_contract_keys(drivers_run):
    res = json.loads((drivers_run / "results.json").read_text(encoding="utf-8"))
    assert set(COMMON_RESULT_KEYS) <= set(res)
    assert res["codebook_file"] is None
    assert "--codebook" not in res["command"]
    model = res["model"]
    assert model["kind"] == "ols" and model["outcome"] == "y"
    assert {"n", "r2", "adj_r2", "coefficients"} <= set(model)
    assert {"estimate", "se", "p", "ci_low", "ci_high", "std_beta"} <= set(
        model["coefficients"]["x1"]
    )
    for driver in ("x1", "x2"):
        assert {
            "lmg", "lmg_ci_low", "lmg_ci_high", "relative_weight", "rw_ci_low", "rw_ci_high",
            "rank_first_share",
        } <= set(res["relative_importance"][driver])  # fmt: skip
    assert {
        "mediator", "a", "b", "c_prime", "c_total", "indirect", "indirect_ci_low",
        "indirect_ci_high",
    } <= set(res["mediation"])  # fmt: skip
    assert res["mediation"]["mediator"] == "m" and res["mediation"]["indirect_ci_low"] > 0
    assert {"moderator", "interaction", "simple_slopes", "jn_bounds"} <= set(res["moderation"])
    assert res["segments"]["by"] == "seg"
    assert set(res["scoring"]["variables"].values()) == {"column as in the data"}
    assert res["ipa"] is None  # no response scale without a codebook
    assert res["warnings"][0] == NO_CODEBOOK_NOTE


def test_plain_column_report_renders_and_says_once_that_no_codebook_was_given(drivers_run):
    html = (drivers_run / "report.html").read_text(encoding="utf-8")
    assert "Key findings" in html and "strongest lever" in html
    assert html.count(esc(NO_CODEBOOK_NOTE)) == 1
    assert "no codebook was given, so it is left out" in html  # the IPA says why it is absent
    assert "Codebook</td>" not in html  # the header names no codebook
    assert html.count("Plotly.newPlot") >= 3  # importance, residuals, slopes, segments
    assert "Traceback" not in html and "class='wb-error'" not in html


def test_the_minimal_plain_command_passes_preflight_and_runs(plain):
    spec = get_study("loyalty-drivers")
    params = spec.validate(cli.parse_param_args(["outcome=y", "drivers=[x1, x2]"]))
    assert engine.preflight(spec, str(plain), None, params) == 160
    s = ld.analyse(load_survey(plain), **{**params, "bootstrap": 100})
    assert s.drivers == ("x1", "x2") and s.model.n == 160
    assert s.results()["relative_importance"]["x1"]["lmg"] > 0


def test_plain_columns_give_the_same_model_with_or_without_a_codebook(plain, tmp_path):
    # a codebook describing other columns changes nothing for variables named as columns
    frame = pd.read_csv(plain)
    rng = np.random.default_rng(3)
    frame[["A1", "A2"]] = rng.integers(1, 8, size=(len(frame), 2))
    data = tmp_path / "with_items.csv"
    frame.to_csv(data, index=False)
    codebook = tmp_path / "cb.yaml"
    codebook.write_text("scale: {min: 1, max: 7}\nconstructs: {a: [A1, A2]}\n", encoding="utf-8")
    kwargs = {"outcome": "y", "drivers": ["x1", "x2"], "bootstrap": 100}
    plain_fit = ld.analyse(load_survey(data), **kwargs)
    coded_fit = ld.analyse(load_survey(data, codebook), **kwargs)
    pd.testing.assert_frame_equal(plain_fit.model.coefficients, coded_fit.model.coefficients)
    assert NO_CODEBOOK_NOTE in plain_fit.warnings
    assert NO_CODEBOOK_NOTE not in coded_fit.warnings


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            ["outcome=y", "drivers=[x1, x9]"],
            ["'x9' is not a column of the data", "no codebook was given", "Did you mean",
             "Columns: id, y, x1, x2, m, w, seg, note"],
        ),
        (
            ["outcome=loyalty", "drivers=[x1]"],
            ["'loyalty' is not a column of the data", "Columns: id, y, x1"],
        ),
        (
            ["outcome=y", "drivers=[x1, note]"],
            ["The driver 'note' is not numeric", "no codebook was given", "column 'note'",
             "data row 1", "as `by` or `moderator` (or in `controls`"],
        ),
        (
            ["outcome=y", "drivers=[x1]", "mediator=[seg]"],
            ["The mediator 'seg' is not numeric"],
        ),
        (
            ["outcome=y", "drivers=[x1]", "moderator=w", "x=x7"],
            ["'x7' is not a column of the data"],
        ),
        (
            ["outcome=y", "drivers=[x1]", "controls=[note]", "by=seg"],
            ["The control 'note' is not numeric", "take numeric controls only"],
        ),
        (
            ["outcome=y"],
            ["No drivers: without a codebook, name the driver columns",
             "Numeric columns: id, x1, x2, m, w"],
        ),
    ],
    ids=["unknown-driver", "default-outcome", "text-driver", "text-mediator", "unknown-x",
         "text-control-with-segments", "no-drivers"],
)  # fmt: skip
def test_bad_plain_column_exits_2_before_any_run_and_says_what_to_do(
    plain, reports, params, expected
):
    argv = ["run", "loyalty-drivers", "--data", str(plain)]
    for pair in params:
        argv += ["--param", pair]
    code, _, err = run_main(argv)
    assert code == 2
    for text in expected:
        assert text in err
    assert str(plain) in err and "What to do" in err
    assert "Traceback" not in err
    assert nothing_written(reports)


def test_categorical_columns_are_fine_as_segment_moderator_and_driver_model_control(plain):
    survey = load_survey(plain)
    kwargs = {"outcome": "y", "drivers": ["x1", "x2"], "bootstrap": 100}
    s = ld.analyse(survey, **kwargs, moderator="seg", by="seg")
    assert s.moderation is not None and s.segments is not None
    s = ld.analyse(survey, **kwargs, controls=["note"])
    assert any(t.startswith("note[T.") for t in s.model.coefficients["term"])


def test_unknown_name_with_a_codebook_lists_constructs_and_other_columns():
    survey = load_survey(DATA / "loyalty_survey.csv", CODEBOOK)
    with pytest.raises(InputError, match="neither a construct") as info:
        ld.score_variables(survey, ["valeu"])
    hint = info.value.message
    assert "Did you mean 'value'" in hint
    assert "Constructs: education" in hint and "Other columns: respondent_id, tier" in hint


# =========================================================================== construct studies
@pytest.mark.parametrize("study", ["factor-analysis", "experience-economy"])
def test_studies_that_need_constructs_still_require_a_codebook(plain, reports, study):
    code, _, err = run_main(["run", study, "--data", str(plain)])
    assert code == 2
    assert f"Study '{study}' needs a codebook (" in err
    assert "--codebook FILE" in err and "Traceback" not in err
    assert nothing_written(reports)


def test_construct_studies_refuse_a_survey_loaded_without_a_codebook(plain):
    from workbench.studies import experience_economy, factor_analysis

    survey = load_survey(plain)
    for analyse, name in (
        (factor_analysis.analyse, "factor-analysis"),
        (experience_economy.analyse, "experience-economy"),
    ):
        with pytest.raises(InputError, match=f"Study '{name}' needs a codebook"):
            analyse(survey)


# =========================================================================== no survey read
def test_member_analytics_rejects_a_codebook_it_would_not_use(reports):
    code, _, err = run_main(
        ["run", "member-analytics", "--data", str(DATA / "cdnow_transactions.csv"),
         "--codebook", str(CODEBOOK)]
    )  # fmt: skip
    assert code == 2
    assert "does not use a codebook" in err and "Leave out --codebook" in err
    assert str(CODEBOOK) in err and "Traceback" not in err
    assert nothing_written(reports)


# =========================================================================== programme-evaluation
@pytest.fixture(scope="module")
def plain_survey(tmp_path_factory) -> Path:
    """The loyalty survey reduced to observed scores: member id, the loyalty score the
    codebook gives (mean of its items once missing codes are removed) and the tier."""
    from workbench.measurement.scales import score_scales

    survey = load_survey(DATA / "loyalty_survey.csv", CODEBOOK)
    loyalty = score_scales(survey.frame, {"loyalty": ["RI1", "RI2", "RI3"]})["loyalty"]
    path = tmp_path_factory.mktemp("survey") / "survey_scores.csv"
    pd.DataFrame(
        {
            "member_id": survey.frame["respondent_id"],
            "loyalty": loyalty,
            "tier": survey.frame["tier"],
        }
    ).to_csv(path, index=False)
    return path


def test_programme_survey_without_a_codebook_uses_its_loyalty_column_as_it_is(plain_survey):
    data = str(DATA / "programme_transactions.csv")
    s = pe.analyse(data, None, survey=str(plain_survey), **PROGRAMME)
    with_codebook = pe.analyse(
        data, str(CODEBOOK), survey=str(DATA / "loyalty_survey.csv"), **PROGRAMME
    )
    res = s.results()
    assert set(res["loyalty_matrix"]) == {"true_loyalty", "latent", "spurious", "no_loyalty"}
    # the same attitude scores (mean of the loyalty items) give the same matrix
    assert res["loyalty_matrix"] == with_codebook.results()["loyalty_matrix"]
    assert res["attitude_model"] is None  # no constructs to model
    assert with_codebook.results()["attitude_model"] is not None
    assert any(w.startswith(NO_CODEBOOK_NOTE.removesuffix(".")) for w in s.warnings)
    assert res["did"]["estimate"] == with_codebook.results()["did"]["estimate"]


def test_programme_plain_survey_runs_end_to_end(plain_survey, tmp_path, reports):
    out = tmp_path / "run"
    argv = ["run", "programme-evaluation", "--data", str(DATA / "programme_transactions.csv"),
            "--param", f"survey={plain_survey}", "--out", str(out)]  # fmt: skip
    for key, value in PROGRAMME.items():
        argv += ["--param", f"{key}={value}"]
    code, _, err = run_main(argv)
    assert code == 0, err
    res = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert set(COMMON_RESULT_KEYS) <= set(res)
    assert res["codebook_file"] is None and res["loyalty_matrix"] and res["did"]["estimate"]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Key findings" in html and "Dick &amp; Basu" in html
    assert "the survey&#x27;s &#x27;loyalty&#x27; column is the attitude score" in html
    assert "Traceback" not in html


@pytest.mark.parametrize(
    ("codebook", "params", "expected"),
    [
        (True, [], "A codebook was given but no survey"),
        (False, ["loyalty_construct=RI"], "'RI' is not a column of the survey"),
        (False, ["loyalty_construct=tier"], "attitude column 'tier' is not numeric"),
    ],
    ids=["codebook-without-survey", "unknown-column", "text-column"],
)
def test_bad_programme_survey_input_exits_2_before_any_run(
    plain_survey, reports, codebook, params, expected
):
    argv = ["run", "programme-evaluation", "--data", str(DATA / "programme_transactions.csv"),
            "--param", "launch_date=2025-01-01", "--param", "refunds=net"]  # fmt: skip
    if codebook:
        argv += ["--codebook", str(CODEBOOK)]
    else:
        argv += ["--param", f"survey={plain_survey}"]
    for pair in params:
        argv += ["--param", pair]
    code, _, err = run_main(argv)
    assert code == 2
    assert expected in err and "What to do" in err and "Traceback" not in err
    assert nothing_written(reports)


def test_plain_survey_without_a_member_id_column_is_a_clear_error(plain_survey, tmp_path):
    survey = tmp_path / "no_id.csv"
    pd.read_csv(plain_survey).rename(columns={"member_id": "respondent"}).to_csv(
        survey, index=False
    )
    with pytest.raises(InputError, match="no member id column 'member_id'") as info:
        pe.survey_scores(str(survey), None, "loyalty")
    assert "Columns: respondent, loyalty, tier" in info.value.message
