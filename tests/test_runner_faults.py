"""The runner under faults: atomic run folders, incomplete runs, unreadable results, OS errors,
interrupts. Each case: one line on stderr, the right exit status, no traceback, no lost report."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from helpers import WRITE_RESULTS, all_files, run_main, sha256, tiny_study

import workbench.studies as studies
from workbench.errors import InputError
from workbench.presentation.report import update_index
from workbench.runner import engine


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    study = tiny_study(tmp_path, "tiny-ok", [WRITE_RESULTS])
    monkeypatch.setitem(studies.STUDIES, study.name, study)
    data = tmp_path / "d.csv"
    data.write_text("a,b\n1,2\n", encoding="utf-8")
    return ["run", "tiny-ok", "--data", str(data)]


def listed(reports_dir: Path) -> str:
    return (reports_dir / "index.html").read_text(encoding="utf-8")


# ------------------------------------------------------------------ atomic run folders
def test_of_many_runs_claiming_one_empty_out_folder_exactly_one_proceeds(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def claim() -> None:
        barrier.wait()
        try:
            engine.claim_folder(tmp_path / "unused", str(out))
            outcomes.append("claimed")
        except InputError as exc:
            outcomes.append(exc.message)

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("claimed") == 1
    assert all("never overwritten" in o for o in outcomes if o != "claimed")


def test_a_second_run_into_the_same_out_folder_leaves_the_first_report_untouched(
    tiny, tmp_path, reports
):
    out = tmp_path / "run"
    code, _, err = run_main([*tiny, "--out", str(out)])
    assert code == 0, err
    first = {p: sha256(p) for p in all_files(out)}
    assert not (out / engine.INCOMPLETE).exists()  # complete: the marker is gone
    code, _, err = run_main([*tiny, "--param", "label=second", "--out", str(out)])
    assert code == 2 and "never overwritten" in err and "Traceback" not in err
    assert {p: sha256(p) for p in all_files(out)} == first


# ------------------------------------------------------------------ interrupted runs
def test_an_interrupted_run_exits_130_and_leaves_a_folder_marked_incomplete(
    tiny, reports, monkeypatch
):
    def interrupted(*args, **kwargs):
        Path(args[1]).write_text("{}", encoding="utf-8")  # a partial notebook
        raise KeyboardInterrupt

    monkeypatch.setattr(engine, "execute_notebook", interrupted)
    code, _, err = run_main(tiny)
    assert code == 130 and "interrupted" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    (folder,) = [p for p in (reports / "tiny-ok").iterdir()]
    assert "did not finish" in (folder / engine.INCOMPLETE).read_text(encoding="utf-8")


def test_sigterm_ends_a_real_run_with_130_and_the_index_never_links_it(tmp_path):
    """A real `workbench run` process terminated while its kernel works."""
    reports_dir = tmp_path / "reports"
    data = Path(__file__).parents[1] / "data" / "loyalty_survey.csv"
    env = {**os.environ, "WORKBENCH_REPORTS": str(reports_dir)}
    argv = [
        sys.executable,
        "-m",
        "workbench.runner.cli",
        "run",
        "loyalty-drivers",
        "--data",
        str(data),
    ]
    argv += ["--codebook", str(data.with_name("loyalty_survey.codebook.yaml"))]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not list(reports_dir.rglob("notebook.ipynb")) and not list(
        reports_dir.rglob(engine.INCOMPLETE)
    ):
        assert time.monotonic() < deadline and proc.poll() is None, "the run never started"
        time.sleep(0.2)
    time.sleep(1.0)  # the kernel is starting or running cells
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    text = err.decode()
    assert proc.returncode == 130, text
    assert "Traceback" not in text and "interrupted" in text
    (marker,) = list(reports_dir.rglob(engine.INCOMPLETE))
    update_index(reports_dir)
    assert marker.parent.name not in listed(reports_dir)


# ------------------------------------------------------------------ the index
def test_the_index_skips_and_names_results_files_it_cannot_read(tiny, reports, tmp_path):
    code, _, err = run_main(tiny)
    assert code == 0, err
    bad = reports / "elsewhere"
    bad.mkdir()
    (bad / "results.json").write_text("[1, 2, 3]", encoding="utf-8")
    (reports / "odd").mkdir()
    (reports / "odd" / "results.json").write_bytes(b"\xff\xfe not json")
    code, _, err = run_main(tiny)  # a later run still refreshes the index
    assert code == 0, err
    page = listed(reports)
    assert "2 run(s)" in page
    assert "elsewhere/results.json" in page and "odd/results.json" in page


def test_the_index_does_not_link_an_incomplete_run(tiny, reports):
    code, _, err = run_main(tiny)
    assert code == 0, err
    (folder,) = [p.parent for p in reports.rglob("results.json")]
    (folder / engine.INCOMPLETE).write_text("x", encoding="utf-8")
    update_index(reports)
    assert folder.name not in listed(reports) and "0 run(s)" in listed(reports)


# ------------------------------------------------------------------ the environment
@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (errno.ENOSPC, "Free some disk space"),
        (errno.EACCES, "Choose a folder you can write to"),
        (errno.EROFS, "read-only file system"),
    ],
)
def test_file_system_errors_are_one_line_with_exit_2(tiny, reports, monkeypatch, code, expected):
    def fail(*args, **kwargs):
        raise OSError(code, os.strerror(code), str(reports / "x"))

    monkeypatch.setattr(engine, "execute_notebook", fail)
    status, _, err = run_main(tiny)
    assert status == 2 and "Traceback" not in err
    assert expected in err and str(reports / "x") in err


def test_an_out_folder_below_a_file_is_refused_with_exit_2(tiny, tmp_path, reports):
    blocker = tmp_path / "file.txt"
    blocker.write_text("x", encoding="utf-8")
    status, _, err = run_main([*tiny, "--out", str(blocker / "run")])
    assert status == 2 and "Traceback" not in err and str(blocker) in err


def test_running_out_of_memory_is_one_line_with_exit_2(tiny, reports, monkeypatch):
    def fail(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(engine, "execute_notebook", fail)
    status, _, err = run_main(tiny)
    assert status == 2 and "ran out of memory" in err and "Traceback" not in err


def test_the_results_of_a_finished_run_are_valid_json(tiny, reports):
    code, _, err = run_main(tiny)
    assert code == 0, err
    (path,) = list(reports.rglob("results.json"))
    assert json.loads(path.read_text(encoding="utf-8"))["label"] == "tiny"


def test_an_out_folder_named_dash_is_a_folder_not_stdout(tiny, tmp_path, reports, monkeypatch):
    """Papermill reads an output path '-' as standard output; ours is always absolute."""
    monkeypatch.chdir(tmp_path)
    code, out, err = run_main([*tiny, "--out=-"])
    assert code == 0, err
    assert (tmp_path / "-" / "report.html").is_file()
    assert '"cells"' not in out  # the notebook was not printed
