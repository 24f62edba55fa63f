"""Starting the notebook kernel: IPC sockets, a generous timeout, one clear retry."""

from __future__ import annotations

from pathlib import Path

import nbformat
import papermill
import pytest

from workbench.errors import StudyFailed
from workbench.runner import engine


@pytest.fixture
def notebook(tmp_path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "P"}
    params = nbformat.v4.new_code_cell('label = ""')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("import os\nprint('ran', label, os.getpid())")]
    path = tmp_path / "tiny.ipynb"
    nbformat.write(nb, path)
    return path


def outputs(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    return "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))


def test_a_kernel_runs_the_notebook_over_private_ipc_sockets(notebook, tmp_path, capfd):
    out = tmp_path / "out.ipynb"
    engine.execute_notebook(notebook, out, {"label": "x"})
    assert "ran x" in outputs(out)
    # the TCP transport makes ipykernel warn about unencrypted ports; IPC does not
    assert "running over TCP" not in capfd.readouterr().err


def test_the_kernel_connection_uses_ipc_in_the_given_folder(tmp_path):
    config = engine._kernel_config(str(tmp_path))
    assert config.KernelManager.transport == "ipc"
    assert Path(config.KernelManager.ip).parent == tmp_path


@pytest.mark.parametrize(
    "failure",
    [
        RuntimeError("Kernel died before replying to kernel_info"),
        TimeoutError("Kernel didn't respond in 180 seconds"),
    ],
)
def test_a_kernel_that_fails_to_start_is_started_once_more(
    notebook, tmp_path, monkeypatch, capsys, failure
):
    real = papermill.execute_notebook
    calls = []

    def flaky(*args, **kwargs):
        calls.append(kwargs["start_timeout"])
        if len(calls) == 1:
            raise failure
        return real(*args, **kwargs)

    monkeypatch.setattr(papermill, "execute_notebook", flaky)
    out = tmp_path / "out.ipynb"
    engine.execute_notebook(notebook, out, {"label": "again"})
    assert calls == [engine.KERNEL_START_TIMEOUT] * 2 and engine.KERNEL_START_TIMEOUT >= 120
    assert "ran again" in outputs(out)
    assert "did not start" in capsys.readouterr().err


def test_a_kernel_that_fails_twice_gives_a_clear_message(notebook, tmp_path, monkeypatch):
    def dead(*args, **kwargs):
        raise RuntimeError("Kernel died before replying to kernel_info")

    monkeypatch.setattr(papermill, "execute_notebook", dead)
    with pytest.raises(StudyFailed, match=r"could not be started twice.*Nothing was analysed"):
        engine.execute_notebook(notebook, tmp_path / "out.ipynb", {"label": "x"})


def test_other_errors_are_not_retried(notebook, tmp_path, monkeypatch):
    calls = []

    def broken(*args, **kwargs):
        calls.append(1)
        raise RuntimeError("something else went wrong")

    monkeypatch.setattr(papermill, "execute_notebook", broken)
    with pytest.raises(RuntimeError, match="something else"):
        engine.execute_notebook(notebook, tmp_path / "out.ipynb", {"label": "x"})
    assert calls == [1]
