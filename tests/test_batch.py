"""Batch runs: `workbench batch` splitting by a column or a parameter grid, on Dask.

Notebook runs are the slow part, so there is one real batch (split by channel on a
small survey, on a `distributed.LocalCluster` passed as `--scheduler`): two groups
run, one group fails inside its notebook for lack of respondents and one group,
named `<b>x</b>`, fails too; two serial `run_study` runs of the same split files
check the batch's numbers. Everything else fails before a kernel starts.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest
from helpers import run_main, sha256

from workbench.errors import InputError
from workbench.runner import batch, engine
from workbench.runner.batch import expand_grid, run_batch, slugify, split_by

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
CODEBOOK = DATA / "loyalty_survey.codebook.yaml"
# listwise: the small 'offline' segment must fail for too few complete respondents
FAST = ["--param", "pa_iterations=10", "--param", "cfa=false", "--param", "missing=listwise"]
FAST_PARAMS = {"pa_iterations": 10, "cfa": False, "missing": "listwise"}


def batch_args(data: Path) -> list[str]:
    return ["batch", "factor-analysis", "--data", str(data), "--codebook", str(CODEBOOK)]


@pytest.fixture(scope="module")
def small_data(tmp_path_factory) -> Path:
    """The first 300 respondents, plus two whose channel is `<b>x</b>`."""
    lines = (DATA / "loyalty_survey.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    col = header.index("channel")
    extra = []
    for line in lines[301:303]:
        cells = line.split(",")
        cells[col] = "<b>x</b>"
        extra.append(",".join(cells))
    path = tmp_path_factory.mktemp("data") / "small.csv"
    path.write_text("\n".join(lines[:301] + extra) + "\n", encoding="utf-8")
    return path


# =========================================================================== inputs
def test_split_by_writes_one_file_per_value_and_leaves_the_input_unchanged(tmp_path, small_data):
    before = sha256(small_data)
    files = split_by(small_data, "channel", tmp_path / "parts")
    assert list(files) == ["both", "offline", "online", "<b>x</b>"]
    assert files["<b>x</b>"].name == "b-x-b.csv"
    assert all(p.parent == tmp_path / "parts" for p in files.values())
    parts = {v: pd.read_csv(p, dtype=str, keep_default_na=False) for v, p in files.items()}
    assert sum(len(f) for f in parts.values()) == 302
    for value, frame in parts.items():
        assert set(frame["channel"]) == {value}
    assert [len(parts[v]) for v in ("both", "online", "offline")] == [127, 101, 72]
    assert sha256(small_data) == before
    # cells are written back as read: an empty answer stays empty, "5" stays "5"
    original = pd.read_csv(small_data, dtype=str, keep_default_na=False)
    joined = pd.concat(parts.values()).set_index("respondent_id").loc[original["respondent_id"]]
    assert (joined.reset_index().to_numpy() == original.to_numpy()).all()


def test_split_by_a_missing_column_is_an_input_error(tmp_path, small_data):
    with pytest.raises(InputError, match="no column 'region'"):
        split_by(small_data, "region", tmp_path / "parts")


def test_slugify_keeps_folder_names_safe():
    assert slugify("<b>x</b>") == "b-x-b"
    assert slugify("../../etc") == "etc"
    assert slugify("上海 浦东") == "上海-浦东"
    assert slugify("") == "value"


def test_expand_grid_mapping_is_a_cartesian_product():
    sets = expand_grid({"n_factors": [3, 4], "rotation": ["oblimin", "promax"], "seed": 1})
    assert sets == [
        {"n_factors": 3, "rotation": "oblimin", "seed": 1},
        {"n_factors": 3, "rotation": "promax", "seed": 1},
        {"n_factors": 4, "rotation": "oblimin", "seed": 1},
        {"n_factors": 4, "rotation": "promax", "seed": 1},
    ]


def test_expand_grid_list_form_is_taken_as_is():
    assert expand_grid([{"n_factors": 3}, {"method": "ml", "cfa": False}]) == [
        {"n_factors": 3},
        {"method": "ml", "cfa": False},
    ]


@pytest.mark.parametrize("spec", [[], {}, {"n_factors": []}, ["n_factors=3"], "x"])
def test_expand_grid_rejects_empty_or_malformed_grids(spec):
    with pytest.raises(InputError):
        expand_grid(spec)


def test_invalid_parameter_set_exits_2_before_any_run(tmp_path, reports, small_data):
    grid = tmp_path / "grid.yml"
    grid.write_text("- {n_factors: 3}\n- {n_factors: 0}\n- {rotaton: promax}\n", encoding="utf-8")
    code, _, err = run_main([*batch_args(small_data), "--grid", str(grid)])
    assert code == 2
    assert "2 of 3 parameter set(s)" in err
    assert "set 2 (n_factors=0)" in err and "set 3 (rotaton=promax)" in err
    assert "Did you mean 'rotation'" in err
    assert "Traceback" not in err
    assert not reports.exists() or not any(reports.rglob("*"))


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["factor-analysis", "--by", "region"], "no column 'region'"),
        (["factor-analyses", "--by", "channel"], "Did you mean 'factor-analysis'"),
        (["factor-analysis", "--grid", "EMPTY"], "The grid is empty"),
        (["factor-analysis", "--grid", "MISSING"], "Grid file not found"),
    ],
)
def test_bad_batch_input_exits_2(tmp_path, reports, small_data, args, expected):
    empty = tmp_path / "empty.yml"
    empty.write_text("[]\n", encoding="utf-8")
    args = [{"EMPTY": str(empty), "MISSING": str(tmp_path / "no.yml")}.get(a, a) for a in args]
    code, _, err = run_main(
        ["batch", *args, "--data", str(small_data), "--codebook", str(CODEBOOK)]
    )
    assert code == 2
    assert expected in err
    assert "Traceback" not in err
    assert not reports.exists() or not any(reports.rglob("*"))


def test_by_and_grid_together_are_refused(small_data):
    with pytest.raises(InputError, match="exactly one"):
        run_batch("factor-analysis", data=small_data, codebook=CODEBOOK, by="channel", grid=[{}])


def test_non_empty_out_is_never_overwritten(tmp_path, reports, small_data):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("x", encoding="utf-8")
    code, _, err = run_main([*batch_args(small_data), "--by", "channel", "--out", str(out)])
    assert code == 2
    assert "never overwritten" in err
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


# =========================================================================== a real batch
@pytest.fixture(scope="module")
def batch_run(small_data, tmp_path_factory):
    """`workbench batch factor-analysis --by channel` on a LocalCluster given as --scheduler."""
    import logging

    from distributed import LocalCluster

    root = tmp_path_factory.mktemp("batch") / "reports"
    before = sha256(small_data)
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        pytest.MonkeyPatch.context() as mp,
    ):
        mp.setenv("WORKBENCH_REPORTS", str(root))
        code, out, err = run_main(
            [
                *batch_args(small_data),
                "--by",
                "channel",
                *FAST,
                "--scheduler",
                cluster.scheduler_address,
            ]
        )
    folders = list((root / "factor-analysis").glob("batch-*"))
    assert len(folders) == 1, (out, err)
    folder = folders[0]
    return {
        "root": root,
        "code": code,
        "stdout": out,
        "folder": folder,
        "before": before,
        "batch": json.loads((folder / "batch.json").read_text(encoding="utf-8")),
        "html": (folder / "index.html").read_text(encoding="utf-8"),
    }


def test_batch_runs_every_value_into_its_own_folder(batch_run, small_data):
    runs = {r["name"]: r for r in batch_run["batch"]["runs"]}
    assert list(runs) == ["both", "offline", "online", "b-x-b"]
    assert runs["b-x-b"]["by_value"] == "<b>x</b>"
    for name in ("both", "online"):
        assert runs[name]["status"] == "ok"
        assert (batch_run["folder"] / name / "report.html").exists()
        assert (batch_run["folder"] / name / "results.json").exists()
    assert sha256(small_data) == batch_run["before"]


def test_failed_runs_do_not_stop_the_others_and_exit_1(batch_run):
    assert batch_run["code"] == 1
    runs = {r["name"]: r for r in batch_run["batch"]["runs"]}
    assert runs["offline"]["status"] == "failed"
    assert "factor analysis needs at least" in runs["offline"]["error"]
    assert runs["b-x-b"]["status"] == "failed"
    assert "2 ok, 2 failed" in batch_run["stdout"]
    html = batch_run["html"]
    assert "factor analysis needs at least" in html
    assert html.count(">failed<") == 2


def test_batch_index_compares_headline_figures_and_links_reports(batch_run):
    html = batch_run["html"]
    runs = {r["name"]: r for r in batch_run["batch"]["runs"]}
    for key, value in runs["both"]["headline"].items():
        assert f"<th>{key}</th>" in html
        assert f"<td>{value}</td>" in html
    assert "href='both/report.html'" in html
    assert "href='online/report.html'" in html
    assert "href='batch.json'" in html
    main_index = (batch_run["root"] / "index.html").read_text(encoding="utf-8")
    assert main_index.count("report.html") >= 2


def test_batch_index_escapes_by_values(batch_run):
    html = batch_run["html"]
    assert "<b>x</b>" not in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html


def test_batch_equals_the_serial_runs(batch_run, tmp_path):
    """The Dask batch gives the numbers `run_study` gives on the same split files."""
    folder = batch_run["folder"]
    for name in ("both", "online"):
        serial = engine.run_study(
            "factor-analysis",
            data=str(folder / "_data" / f"{name}.csv"),
            codebook=str(CODEBOOK),
            params=FAST_PARAMS,
            out=str(tmp_path / name),
            refresh_index=False,
        )
        a = json.loads((folder / name / "results.json").read_text(encoding="utf-8"))
        b = json.loads((serial / "results.json").read_text(encoding="utf-8"))
        assert a["n_used"] == b["n_used"]
        assert a["headline"] == b["headline"]
        assert a["parameters"] == b["parameters"]
        assert set(a["reliability"]) == set(b["reliability"])
        for construct, values in a["reliability"].items():
            for key in ("alpha", "omega_total", "n"):
                x, y = values[key], b["reliability"][construct][key]
                assert (x is None and y is None) or math.isclose(x, y, rel_tol=1e-12), key


def test_batch_result_frame_and_summary(tmp_path, reports, small_data):
    """The Python API on a batch whose runs fail before a kernel starts (a text answer)."""
    lines = small_data.read_text(encoding="utf-8").splitlines()
    col = lines[0].split(",").index("ED1")
    rows = []
    for line in (lines[1], lines[-1]):
        cells = line.split(",")
        cells[col] = "n/a"
        rows.append(",".join(cells))
    tiny = tmp_path / "tiny.csv"
    tiny.write_text("\n".join([lines[0], *rows]) + "\n", encoding="utf-8")
    result = run_batch(
        "factor-analysis",
        data=tiny,
        codebook=CODEBOOK,
        by="channel",
        params=FAST_PARAMS,
        jobs=1,
    )
    assert not result.ok
    frame = result.to_frame()
    assert list(frame["by_value"]) == ["both", "<b>x</b>"]
    assert set(frame["status"]) == {"failed"}
    assert frame["error"].str.contains("ED1").all()
    assert "0 ok, 2 failed" in result.summary()
    assert result.folder.parent == reports / "factor-analysis"
    assert (reports / "index.html").exists()


def test_grid_batch_names_runs_by_their_parameters(tmp_path, reports, small_data):
    """A grid batch through the command line; its runs fail before a kernel (a text answer)."""
    lines = small_data.read_text(encoding="utf-8").splitlines()
    col = lines[0].split(",").index("ED1")
    cells = lines[1].split(",")
    cells[col] = "n/a"
    tiny = tmp_path / "tiny.csv"
    tiny.write_text("\n".join([lines[0], ",".join(cells)]) + "\n", encoding="utf-8")
    grid = tmp_path / "grid.yml"
    grid.write_text("- {n_factors: 3}\n- {n_factors: 4, rotation: promax}\n", encoding="utf-8")
    code, _, err = run_main(
        [*batch_args(tiny), "--grid", str(grid), *FAST, "--jobs", "1", "--out", str(tmp_path / "b")]
    )
    assert code == 1, err
    record = json.loads((tmp_path / "b" / "batch.json").read_text(encoding="utf-8"))
    assert [r["name"] for r in record["runs"]] == ["1-n_factors-3", "2-n_factors-4-rotation-promax"]
    assert record["runs"][1]["params"] == {"n_factors": 4, "rotation": "promax"}
    assert record["parameters"] == FAST_PARAMS
    html = (tmp_path / "b" / "index.html").read_text(encoding="utf-8")
    assert "<td>n_factors=4, rotation=promax</td>" in html
    assert "ED1" in html
    assert not reports.exists()  # --out outside reports/: the main index is left alone


@pytest.mark.parametrize("address", ["not a url", "tcp://127.0.0.1:1"])
def test_a_scheduler_that_cannot_be_reached_is_one_line_with_exit_2(small_data, reports, address):
    code, _, err = run_main([*batch_args(small_data), "--by", "channel", "--scheduler", address])
    assert code == 2 and "Could not connect to the Dask scheduler" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("how", "expected"),
    [
        (["--grid", "GRID"], "The grid has 3 parameter sets: the batch would start 3 runs"),
        (["--by", "channel"], "Column 'channel' has"),
    ],
)
def test_a_batch_larger_than_max_runs_is_refused_before_anything_runs(
    tmp_path, reports, small_data, how, expected
):
    grid = tmp_path / "grid.yml"
    grid.write_text("n_factors: [2, 3, 4]\n", encoding="utf-8")
    how = [str(grid) if a == "GRID" else a for a in how]
    code, _, err = run_main([*batch_args(small_data), *how, "--max-runs", "1"])
    assert code == 2
    assert expected in err and "more than the limit of 1" in err
    assert "--max-runs" in err and "Traceback" not in err
    assert not reports.exists() or not any(reports.rglob("*"))


def test_the_default_limit_refuses_an_id_column_as_by(tmp_path, reports, small_data):
    code, _, err = run_main([*batch_args(small_data), "--by", "respondent_id"])
    assert code == 2
    assert f"limit of {batch.MAX_RUNS}" in err and "an id column" in err


def test_split_by_a_labelled_stata_column_names_the_runs_by_their_labels(tmp_path):
    import pyreadstat

    frame = pd.DataFrame({"tier": [1.0, 2.0, 1.0], "TR1": [5.0, 6.0, 7.0]})
    path = tmp_path / "s.dta"
    pyreadstat.write_dta(frame, path, variable_value_labels={"tier": {1: "gold", 2: "basic"}})
    files = split_by(path, "tier", tmp_path / "out")
    assert list(files) == ["gold", "basic"]
    assert pd.read_csv(files["gold"])["TR1"].tolist() == [5.0, 7.0]
