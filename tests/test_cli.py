"""The study runner: `workbench run` / `workbench list`, run folders, reports, bad input.

Notebook executions are the slow part, so there are few: one real factor-analysis
run on 300 respondents (shared by several tests), two runs and one failure of a
tiny throw-away study, and one factor-analysis run that stops for lack of data.
Everything else fails before a kernel starts.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import re
from pathlib import Path

import nbformat
import pytest
from helpers import WRITE_RESULTS, all_files, run_main, sha256, tiny_study

import workbench.studies as studies
from workbench.presentation.report import COMMON_RESULT_KEYS
from workbench.runner import cli, engine
from workbench.studies import RUNNER_PARAMS, STUDIES, Study

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
CODEBOOK = DATA / "loyalty_survey.codebook.yaml"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


N_SMALL = 300  # the study's CFA needs more complete rows (180 here) than free parameters (166)


@pytest.fixture(scope="module")
def small_data(tmp_path_factory) -> Path:
    """The first 300 respondents of the shipped loyalty survey."""
    lines = (DATA / "loyalty_survey.csv").read_text(encoding="utf-8").splitlines()
    path = tmp_path_factory.mktemp("data") / "small.csv"
    path.write_text("\n".join(lines[: N_SMALL + 1]) + "\n", encoding="utf-8")
    return path


# =========================================================================== a real run
@pytest.fixture(scope="module")
def fa_run(small_data, tmp_path_factory):
    """One real `workbench run factor-analysis` with default parameters."""
    root = tmp_path_factory.mktemp("fa") / "reports"
    before = sha256(small_data), sha256(CODEBOOK)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WORKBENCH_REPORTS", str(root))
        code, out, err = run_main(
            ["run", "factor-analysis", "--data", str(small_data), "--codebook", str(CODEBOOK)]
        )
    assert code == 0, err
    folders = [p.parent for p in root.rglob("results.json")]
    assert len(folders) == 1
    return {
        "root": root,
        "dir": folders[0],
        "stdout": out,
        "inputs_before": before,
        "results": json.loads((folders[0] / "results.json").read_text(encoding="utf-8")),
        "html": (folders[0] / "report.html").read_text(encoding="utf-8"),
    }


def test_run_writes_report_notebook_and_results_into_a_dated_folder(fa_run, small_data):
    run_dir = fa_run["dir"]
    assert {p.name for p in run_dir.iterdir()} >= {"report.html", "notebook.ipynb", "results.json"}
    assert run_dir.parent == fa_run["root"] / "factor-analysis"
    stamp, digest = run_dir.name.rsplit("-", 1)
    dt.datetime.strptime(stamp, "%Y%m%d-%H%M%S")
    assert digest == sha256(small_data)[:8]
    assert str(run_dir / "report.html") in fa_run["stdout"]


def test_run_leaves_the_input_files_unchanged(fa_run, small_data):
    assert (sha256(small_data), sha256(CODEBOOK)) == fa_run["inputs_before"]


def test_results_json_has_every_common_key(fa_run, small_data):
    res = fa_run["results"]
    missing_keys = [k for k in COMMON_RESULT_KEYS if k not in res]
    assert not missing_keys
    assert set(COMMON_RESULT_KEYS) >= {
        "study",
        "parameters",
        "data_file",
        "data_sha256",
        "n_used",
        "missing",
        "warnings",
        "versions",
        "started",
        "finished",
    }
    assert res["study"] == "factor-analysis"
    assert res["parameters"] == STUDIES["factor-analysis"].defaults
    assert Path(res["data_file"]).resolve() == small_data.resolve()
    assert res["data_sha256"] == sha256(small_data)
    assert isinstance(res["n_used"], int) and 0 < res["n_used"] <= N_SMALL
    assert res["missing"]["treatment"] == "fiml"  # the default: every respondent with an answer
    assert res["missing"]["n_total"] == N_SMALL
    assert isinstance(res["warnings"], list) and all(isinstance(w, str) for w in res["warnings"])
    assert {"python", "pandas", "numpy", "papermill"} <= set(res["versions"])
    started = dt.datetime.fromisoformat(res["started"])
    finished = dt.datetime.fromisoformat(res["finished"])
    assert started <= finished
    assert "reliability" in res and "screening" in res  # the study's own keys


def test_report_html_has_header_findings_and_no_code(fa_run, small_data):
    html = fa_run["html"]
    assert "Key findings" in html
    assert f"{N_SMALL} respondents answered 44 items measuring 13 constructs" in html
    assert sha256(small_data) in html  # provenance header
    assert "workbench run factor-analysis" in html  # the re-run command
    assert "教育体验" in html  # Chinese labels pass through
    for code in ("load_survey(", "factor_analysis.analyse", "report.show(", "run.header()"):
        assert code not in html


def test_report_html_embeds_plotly_and_loads_nothing_external(fa_run):
    html = fa_run["html"]
    assert re.search(r"plotly\.js v\d+\.\d+", html), "plotly.js is not embedded"
    assert html.count("Plotly.newPlot") >= 2  # distribution and reliability figures
    assert not re.search(r"<script[^>]*\bsrc=[\"']?https?://", html, re.I)
    assert "image/png" in html or "data:image/png;base64" in html  # the static heatmap


def test_executed_notebook_keeps_code_and_records_parameters(fa_run, small_data):
    nb = nbformat.read(fa_run["dir"] / "notebook.ipynb", as_version=4)
    params = nb.metadata["papermill"]["parameters"]
    assert params["missing"] == "fiml" and params["seed"] == 2026
    assert Path(params["data"]).resolve() == small_data.resolve()
    sources = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "load_survey(" in sources
    assert not [c for c in nb.cells if c.cell_type == "code" and c.execution_count is None]


def test_index_lists_the_run(fa_run):
    index = (fa_run["root"] / "index.html").read_text(encoding="utf-8")
    rel = fa_run["dir"].relative_to(fa_run["root"]).as_posix()
    assert f"href='{rel}/report.html'" in index
    assert "factor-analysis" in index
    assert "small.csv" in index
    assert "1 run(s)" in index


# =========================================================================== tiny studies
def test_running_twice_gives_two_folders_and_never_overwrites(
    tmp_path, reports, monkeypatch, small_data
):
    study = tiny_study(tmp_path, "tiny-ok", [WRITE_RESULTS])
    monkeypatch.setitem(studies.STUDIES, study.name, study)
    argv = ["run", "tiny-ok", "--data", str(small_data)]

    code, _, err = run_main([*argv, "--param", "label=first"])
    assert code == 0, err
    (first,) = [p.parent for p in reports.rglob("results.json")]
    first_files = {p: sha256(p) for p in all_files(first)}

    code, _, err = run_main([*argv, "--param", "label=second"])
    assert code == 0, err
    folders = sorted(p.parent for p in reports.rglob("results.json"))
    assert len(folders) == 2 and first in folders
    (second,) = [f for f in folders if f != first]
    assert {p: sha256(p) for p in all_files(first)} == first_files  # untouched
    assert json.loads((first / "results.json").read_text())["label"] == "first"
    assert json.loads((second / "results.json").read_text())["label"] == "second"
    assert {p.name for p in second.iterdir()} >= {"report.html", "notebook.ipynb"}
    assert "2 run(s)" in (reports / "index.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def failed_run(tmp_path_factory, small_data):
    """A tiny study whose third code cell raises, run once with --out."""
    tmp = tmp_path_factory.mktemp("fail")
    study = tiny_study(
        tmp,
        "tiny-fail",
        [
            "print('before the failure')",
            "raise ValueError('boom from the tiny study')",
            "print('never reached')",
        ],
    )
    out = tmp / "run"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WORKBENCH_REPORTS", str(tmp / "reports"))
        mp.setitem(studies.STUDIES, study.name, study)
        code, _, err = run_main(["run", "tiny-fail", "--data", str(small_data), "--out", str(out)])
    return code, err, out


def test_failing_notebook_exits_1_names_the_cell_and_keeps_the_partial_notebook(failed_run):
    code, err, out = failed_run
    assert code == 1
    assert "Traceback" not in err
    assert "ValueError: boom from the tiny study" in err
    match = re.search(r"failed in cell \d+ \(execution count (\d+)\)", err)
    assert match, err
    kept = out / "notebook.ipynb"
    assert str(kept) in err
    nb = nbformat.read(kept, as_version=4)
    (failing,) = [c for c in nb.cells if c.get("execution_count") == int(match.group(1))]
    assert "raise ValueError" in failing.source
    assert any(o.get("ename") == "ValueError" for o in failing.outputs)
    outputs = json.dumps([c.get("outputs", []) for c in nb.cells])
    assert "before the failure" in outputs
    assert "never reached" not in outputs
    assert not (out / "results.json").exists()


def test_failing_cell_number_points_into_the_kept_notebook(failed_run):
    _, err, out = failed_run
    number = int(re.search(r"failed in cell (\d+)", err).group(1))
    nb = nbformat.read(out / "notebook.ipynb", as_version=4)
    assert "raise ValueError" in nb.cells[number - 1].source


def test_too_few_respondents_stop_the_run_with_a_clear_message(tmp_path, reports):
    lines = (DATA / "loyalty_survey.csv").read_text(encoding="utf-8").splitlines()
    data = tmp_path / "two.csv"
    data.write_text("\n".join(lines[:3]) + "\n", encoding="utf-8")
    before = sha256(data)
    code, _, err = run_main(
        ["run", "factor-analysis", "--data", str(data), "--codebook", str(CODEBOOK)]
    )
    assert code == 2
    assert "Only 2 usable respondent(s) remain" in err
    assert "needs at least 10" in err
    assert str(data) in err
    assert "What to do" in err
    assert "Traceback" not in err
    assert sha256(data) == before


def test_input_error_inside_the_notebook_exits_2(tmp_path, reports, monkeypatch, small_data):
    import papermill as pm

    def fail(*args, **kwargs):
        raise pm.PapermillExecutionError(
            3, 2, "study = analyse(survey)", "InputError", "Only 2 usable respondent(s)", []
        )

    monkeypatch.setattr(pm, "execute_notebook", fail)
    code, _, err = run_main(
        ["run", "factor-analysis", "--data", str(small_data), "--codebook", str(CODEBOOK)]
    )
    assert "Only 2 usable respondent(s)" in err
    assert code == 2


# =========================================================================== fails fast
def test_existing_non_empty_out_is_never_overwritten(tmp_path, reports, small_data):
    out = tmp_path / "earlier"
    out.mkdir()
    (out / "report.html").write_text("earlier report", encoding="utf-8")
    code, _, err = run_main(
        ["run", "factor-analysis", "--data", str(small_data), "--codebook", str(CODEBOOK),
         "--out", str(out)]
    )  # fmt: skip
    assert code == 2
    assert "exists and is not empty" in err
    assert str(out) in err
    assert [p.name for p in out.iterdir()] == ["report.html"]
    assert (out / "report.html").read_text(encoding="utf-8") == "earlier report"


def test_new_run_dir_never_reuses_a_folder(tmp_path, reports):
    first = engine.new_run_dir("s", "ab" * 32, None)
    second = engine.new_run_dir("s", "ab" * 32, None)
    assert first != second and first.is_dir() and second.is_dir()
    assert first.parent == second.parent == reports / "s"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert engine.new_run_dir("s", "ab" * 32, str(empty)) == empty  # an empty --out is fine


def test_unknown_parameter_lists_the_accepted_ones_before_any_run(reports, small_data):
    code, _, err = run_main(
        ["run", "factor-analysis", "--data", str(small_data), "--codebook", str(CODEBOOK),
         "--param", "n_factor=5"]
    )  # fmt: skip
    assert code == 2
    assert "Unknown parameter 'n_factor'" in err
    for param in STUDIES["factor-analysis"].params:
        assert param.name in err
    assert "workbench list" in err
    assert "Traceback" not in err
    assert not reports.exists() or not any(reports.rglob("*"))


def test_close_parameter_name_is_suggested(reports, small_data):
    code, _, err = run_main(
        ["run", "factor-analysis", "--data", str(small_data), "--codebook", str(CODEBOOK),
         "--param", "sed=1"]
    )  # fmt: skip
    assert code == 2
    assert "Did you mean 'seed'?" in err


@pytest.mark.parametrize(
    ("pair", "expected"),
    [
        ("ci=abc", "must be a number, not 'abc'"),
        ("missing=mean", "cannot honour missing=mean: item-mean replacement"),
        ("seed=1.5", "must be a whole number, not 1.5"),
        ("straightline_min_items=1", "must be at least 2"),
        ("ci", "is not of the form KEY=VALUE"),
        ("ci=[0.9", "not valid YAML"),
    ],
)
def test_wrong_parameter_type_exits_2_before_any_run(reports, small_data, pair, expected):
    code, _, err = run_main(
        ["run", "factor-analysis", "--data", str(small_data), "--codebook", str(CODEBOOK),
         "--param", pair]
    )  # fmt: skip
    assert code == 2
    assert expected in err
    assert "Traceback" not in err
    assert not reports.exists() or not any(reports.rglob("*"))


def test_parameters_are_parsed_as_yaml():
    spec = STUDIES["factor-analysis"]
    values = spec.validate(cli.parse_param_args(["ci=0.9", "missing=pairwise", "seed=7"]))
    assert values == {**spec.defaults, "ci": 0.9, "missing": "pairwise", "seed": 7}


def test_bad_data_exits_2_with_a_message_and_no_traceback(tmp_path, reports, small_data):
    lines = small_data.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[5].split(",")
    cells[header.index("SA2")] = "n/a"
    lines[5] = ",".join(cells)
    data = tmp_path / "bad.csv"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = sha256(data)

    code, _, err = run_main(
        ["run", "factor-analysis", "--data", str(data), "--codebook", str(CODEBOOK)]
    )
    assert code == 2
    assert err.startswith("error: Non-numeric value")
    assert "column 'SA2'" in err and "data row 5" in err and "value 'n/a'" in err
    assert str(data.resolve()) in err
    assert "Traceback" not in err
    assert sha256(data) == before
    assert not reports.exists() or not any(reports.rglob("*"))


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--data", "nowhere.csv", "--codebook", str(CODEBOOK)], "Data file not found"),
        (["--data", str(DATA / "loyalty_survey.csv")], "needs a codebook"),
        (["--data", str(DATA / "bfi.csv"), "--codebook", str(CODEBOOK)], "is not in the data"),
        (
            ["--data", str(DATA / "loyalty_survey.csv"), "--codebook", "nowhere.yaml"],
            "Codebook file not found",
        ),
    ],
    ids=["data-not-found", "no-codebook", "codebook-mismatch", "codebook-not-found"],
)
def test_bad_input_files_exit_2(reports, args, expected):
    code, _, err = run_main(["run", "factor-analysis", *args])
    assert code == 2
    assert expected in err
    assert "Traceback" not in err


def test_unknown_study_suggests_the_closest(reports, small_data):
    code, _, err = run_main(["run", "factor-analysys", "--data", str(small_data)])
    assert code == 2
    assert "Unknown study 'factor-analysys'" in err
    assert "Did you mean 'factor-analysis'?" in err


def test_list_prints_every_study_and_parameter(capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    sections = {}
    for block in out.split("\n\n"):
        if block.strip():
            sections[block.strip().split(":", 1)[0]] = block
    for spec in STUDIES.values():
        assert spec.name in sections
        section = sections[spec.name]
        assert spec.title in section
        for p in spec.params:
            line = next(
                line for line in section.splitlines() if line.strip().startswith(p.name + " ")
            )
            assert p.default_text in line
            assert p.help in line


# =========================================================================== notebooks
def notebook_study(path: Path) -> Study:
    matches = [s for s in STUDIES.values() if s.notebook_path.resolve() == path.resolve()]
    assert len(matches) == 1, f"{path.name} belongs to no registered study"
    return matches[0]


def test_every_study_has_its_notebook():
    for spec in STUDIES.values():
        assert spec.notebook_path.exists(), spec.name
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_parameters_cell_matches_the_registry(path):
    spec = notebook_study(path)
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell must be tagged `parameters`"
    assert tagged[0].cell_type == "code"
    values = {}
    for node in ast.parse(tagged[0].source).body:
        assert isinstance(node, ast.Assign), f"not an assignment: {ast.unparse(node)}"
        assert len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
        values[node.targets[0].id] = ast.literal_eval(node.value)  # literals only
    assert set(values) == {p.name for p in spec.params} | set(RUNNER_PARAMS)
    for p in spec.params:
        assert values[p.name] == p.default, p.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_no_def_or_class(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        source = "\n".join(
            line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!"))
        )
        for node in ast.walk(ast.parse(source)):
            assert not isinstance(
                node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
            ), f"{path.name}: move `{ast.unparse(node)[:60]}` into the workbench package"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name} has outputs"
            assert cell.execution_count is None, f"{path.name} has execution counts"


def test_a_parameter_given_twice_is_refused_not_overwritten():
    from workbench.errors import InputError
    from workbench.studies import parse_param_args

    with pytest.raises(InputError, match="'n_factors' is given twice"):
        parse_param_args(["n_factors=3", "n_factors=4"])
