"""Parameters are checked (type, range, date) before any kernel starts; numbers in any spelling."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import run_main

from workbench.errors import InputError
from workbench.studies import STUDIES, parse_param_args


def validate(study: str, *pairs: str) -> dict:
    return STUDIES[study].validate(parse_param_args(list(pairs)))


@pytest.mark.parametrize(
    ("study", "pair", "expected"),
    [
        ("loyalty-drivers", "bootstrap=1000000000", "between 100 and 100000"),
        ("loyalty-drivers", "bootstrap=1e9", "a whole number"),
        ("factor-analysis", "ci=1.5", "between 0.5 and 0.999"),
        ("factor-analysis", "ci=.inf", "a finite number"),
        ("member-analytics", "discount_rate=1e9", "between 0 and 1"),
        ("member-analytics", "discount_rate=1.0e9", "between 0 and 1"),
        ("programme-evaluation", "launch_date=2025-13-45", "a real date"),
        ("programme-evaluation", "launch_date=infinity", "a real date"),
        ("factor-analysis", "pa_iterations=10000000", "between 10 and 10000"),
    ],
)
def test_out_of_range_values_are_refused_naming_the_parameter(study, pair, expected):
    with pytest.raises(InputError, match=expected) as info:
        validate(study, pair)
    assert f"Parameter '{pair.split('=')[0]}'" in info.value.problem


@pytest.mark.parametrize("spelling", ["0.02", "2e-2", "2.0E-2", ".02"])
def test_a_number_is_accepted_in_any_usual_spelling(spelling):
    assert validate("member-analytics", f"discount_rate={spelling}")["discount_rate"] == 0.02


def test_a_valid_date_is_kept_as_iso_text():
    assert validate("programme-evaluation", "launch_date=2025-01-01")["launch_date"] == "2025-01-01"


@pytest.mark.parametrize("word", ["ON", "off", "yes", "NO"])
def test_yaml_1_1_words_in_lists_stay_names(word):
    assert validate("loyalty-drivers", f"drivers=[{word}, value]")["drivers"] == [word, "value"]


def test_an_out_of_range_parameter_stops_the_command_with_exit_2(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_REPORTS", str(tmp_path / "reports"))
    code, _, err = run_main(
        ["run", "factor-analysis", "--data", "data/bfi.csv", "--param", "ci=1.5"]
    )
    assert code == 2 and "between 0.5 and 0.999" in err and "Traceback" not in err
    assert not (tmp_path / "reports").exists()  # nothing was started or written


def test_a_multi_sheet_workbook_runs_with_the_sheet_named(tmp_path, monkeypatch):
    import pandas as pd

    monkeypatch.setenv("WORKBENCH_REPORTS", str(tmp_path / "reports"))
    survey = pd.read_csv("data/loyalty_survey.csv").head(300)
    book = tmp_path / "survey.xlsx"
    with pd.ExcelWriter(book) as writer:
        pd.DataFrame({"about": ["wave 1"]}).to_excel(writer, sheet_name="README", index=False)
        survey.to_excel(writer, sheet_name="answers", index=False)
    argv = ["run", "loyalty-drivers", "--data", str(book)]
    argv += ["--codebook", "data/loyalty_survey.codebook.yaml", "--param", "bootstrap=100"]
    code, _, err = run_main(argv)
    assert code == 2 and "'README', 'answers'" in err and "--param sheet=NAME" in err
    code, _, err = run_main([*argv, "--param", "sheet=answers", "--out", str(tmp_path / "r")])
    assert code == 0, err
    assert (tmp_path / "r" / "report.html").exists()


def test_a_relative_file_parameter_is_the_callers_file_not_the_projects(tmp_path, monkeypatch):
    """The kernel runs in the project folder; `data/loyalty_members.csv` given from another
    folder must be that folder's file."""
    import pandas as pd

    from workbench.runner import engine

    (tmp_path / "data").mkdir()
    members = pd.read_csv("data/loyalty_members.csv")
    members["tier"] = "platinum"
    members.to_csv(tmp_path / "data" / "loyalty_members.csv", index=False)
    seen = {}

    def record(notebook, out, parameters):
        seen.update(parameters)
        raise KeyboardInterrupt  # stop before any work: the parameters are what matter

    monkeypatch.setattr(engine, "execute_notebook", record)
    monkeypatch.setenv("WORKBENCH_REPORTS", str(tmp_path / "reports"))
    data = str(Path("data/loyalty_transactions.csv").resolve())
    monkeypatch.chdir(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        engine.run_study(
            "member-analytics",
            data=data,
            params={
                "members": "data/loyalty_members.csv",
                "order_col": "order_id",
                "refunds": "net",
            },
        )
    assert seen["members"] == str(tmp_path / "data" / "loyalty_members.csv")


def test_a_file_parameter_that_does_not_exist_is_named_before_any_kernel(
    tmp_path, reports, monkeypatch
):
    from helpers import DATA

    monkeypatch.chdir(tmp_path)
    code, _, err = run_main(
        ["run", "factor-analysis", "--data", str(DATA / "bfi.csv"),
         "--codebook", str(DATA / "bfi.codebook.yaml"), "--param", "replication=nope.json"]
    )  # fmt: skip
    assert code == 2 and "--param replication was not found" in err
    assert str(tmp_path / "nope.json") in err and "Traceback" not in err
    assert not reports.exists() or not any(reports.rglob("*"))
