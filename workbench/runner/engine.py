"""The run engine: validate, claim a run folder, execute a study notebook, render its report.

:func:`run_study` is what ``workbench run`` does; :func:`run_defaults` is ``workbench
report``. The command line (:mod:`workbench.runner.cli`) and batch runs
(:mod:`workbench.runner.batch`) call it; it knows nothing of argparse.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import Any

from workbench import i18n
from workbench.errors import InputError, StudyFailed, WorkbenchError
from workbench.studies import PROJECT_ROOT, STUDIES, Study, get_study, project_path


def reports_root() -> Path:
    """Where runs go: ``$WORKBENCH_REPORTS`` or ``reports/`` in the project.

    Raises :class:`InputError` when ``WORKBENCH_REPORTS`` names a file."""
    env = os.environ.get("WORKBENCH_REPORTS")
    root = Path(env) if env else PROJECT_ROOT / "reports"
    if root.exists() and not root.is_dir():
        raise InputError(
            f"The reports folder {'set by WORKBENCH_REPORTS ' if env else ''}is a file.",
            file=str(root),
            hint="Point WORKBENCH_REPORTS at a folder (or unset it to use reports/)."
            if env
            else "Move the file named 'reports' out of the project.",
        )
    return root


def in_reports_root(folder: Path) -> bool:
    """Whether a run folder lies under :func:`reports_root` (and so belongs in its index)."""
    return folder.resolve().is_relative_to(reports_root().resolve())


def preflight(
    study: Study, data: str, codebook: str | None, params: dict[str, Any] | None = None
) -> int:
    """Check the inputs before starting a kernel, so bad input fails fast and clearly.

    The study's :attr:`~workbench.studies.Study.codebook_use` decides whether a
    codebook must, may or must not be given; then the study's own check runs (or
    the survey is loaded, with its codebook when there is one). Returns the
    number of rows read.
    """
    from workbench.intake.data import load_survey, read_table

    _check_codebook_use(study, codebook)
    if study.preflight:
        import importlib

        module, _, name = study.preflight.partition(":")
        return getattr(importlib.import_module(module), name)(data, codebook, params or {})
    if study.codebook_use == "not used":
        return len(read_table(data).frame)
    return load_survey(data, codebook or None, sheet=(params or {}).get("sheet") or None).n


def _check_codebook_use(study: Study, codebook: str | None) -> None:
    """A codebook is required, optional or not used by a study: reject the wrong case."""
    why = f" ({study.codebook_why})" if study.codebook_why else ""
    if study.codebook_use == "required" and not codebook:
        raise InputError(
            f"Study '{study.name}' needs a codebook{why}.",
            hint="Pass --codebook FILE (see README.md for the format). `workbench list` says "
            "which studies run without one.",
        )
    if study.codebook_use == "not used" and codebook:
        raise InputError(
            f"Study '{study.name}' does not use a codebook{why}, but one was given.",
            file=codebook,
            hint="Leave out --codebook.",
        )


# Written into a run folder when it is claimed and removed when the report is complete: a run
# that was interrupted, killed or failed keeps it, and the index never links such a folder.
INCOMPLETE = "INCOMPLETE.txt"
_INCOMPLETE_TEXT = (
    "This run did not finish (it failed, was interrupted, or is still running).\n"
    "Its files may be partial; the reports index does not list it. Delete the folder when it "
    "is no longer needed.\n"
)


def claim_folder(base: Path, out: str | Path | None, *, what: str = "report") -> Path:
    """Claim a new output folder atomically and mark it incomplete.

    ``out`` (when given) must be absent or an empty folder; otherwise ``base`` is created, or
    ``base-2``, ``base-3``, ... when a run started in the same second already took it. The claim
    is an exclusive create of :data:`INCOMPLETE` inside the folder, so of two runs started
    together with the same ``--out`` exactly one proceeds; the other stops with an
    :class:`InputError` and the first run's files are untouched.
    """

    def taken(path: Path) -> InputError:
        return InputError(
            f"The output folder exists and is not empty; an earlier {what} is never overwritten.",
            file=str(path),
            hint="Choose a new --out folder, or leave --out out to get a dated folder.",
        )

    def mark(path: Path) -> bool:
        try:
            with open(path / INCOMPLETE, "x", encoding="utf-8") as f:
                f.write(_INCOMPLETE_TEXT)
        except FileExistsError:
            return False
        return True

    if out:
        # absolute, so that no tool down the line reads a name like '-' as stdout
        path = Path(out).absolute()
        try:
            path.mkdir(parents=True)
        except FileExistsError:
            if not path.is_dir():
                raise InputError(
                    "--out names an existing file, not a folder.",
                    file=str(path),
                    hint="Give a new folder name for the run.",
                ) from None
            if any(path.iterdir()):
                raise taken(path) from None
        if not mark(path):  # another run claimed the same empty folder a moment earlier
            raise taken(path)
        return path
    base.parent.mkdir(parents=True, exist_ok=True)
    path, k = base, 1
    while True:  # mkdir is atomic: two runs started in the same second get distinct folders
        try:
            path.mkdir()
        except FileExistsError:
            k += 1
            path = base.with_name(f"{base.name}-{k}")
            continue
        mark(path)
        return path


def mark_complete(folder: Path) -> None:
    """Remove the :data:`INCOMPLETE` marker once every file of the run is written."""
    (Path(folder) / INCOMPLETE).unlink(missing_ok=True)


def new_run_dir(study: str, data_sha256: str, out: str | None) -> Path:
    """The run folder: ``--out`` if given (must be absent or empty), else a new dated one."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return claim_folder(reports_root() / study / f"{stamp}-{data_sha256[:8]}", out)


def report_languages(spec: Study) -> tuple[str, ...]:
    """The languages a study's report can be written in: English, and those the study
    notebook's metadata lists (``"workbench": {"languages": ["en", "zh", "zh-Hant"]}``).

    A notebook lists a language once its text is catalogued and it sets the run's
    language (:func:`workbench.i18n.set_language_from`) before anything is computed.
    """
    import json

    try:
        nb = json.loads(spec.notebook_path.read_text(encoding="utf-8"))
        listed = ((nb.get("metadata") or {}).get("workbench") or {}).get("languages") or []
    except (OSError, ValueError, AttributeError):
        listed = []
    return tuple(x for x in i18n.LANGUAGES if x == i18n.DEFAULT_LANGUAGE or x in listed)


def report_language(spec: Study, lang: str | None) -> str:
    """The checked language of a run: ``lang``, else ``$WORKBENCH_LANG``, else English.

    Raises :class:`InputError` for an unknown code, or when ``lang`` asks for a language
    the study's report is not written in yet (:func:`report_languages`); a language from
    ``$WORKBENCH_LANG`` is a preference, and such a study runs in English.
    """
    code = i18n.check_language(lang if lang else os.environ.get("WORKBENCH_LANG") or None)
    available = report_languages(spec)
    if code not in available and not lang:
        return i18n.DEFAULT_LANGUAGE
    if code not in available:
        others = [s.name for s in STUDIES.values() if code in report_languages(s)]
        raise InputError(
            f"The report of study '{spec.name}' is not written in '{code}' yet "
            f"(available: {', '.join(available)}).",
            hint="Leave out --lang for an English report"
            + (f"; studies with '{code}' reports: {', '.join(others)}." if others else "."),
        )
    return code


def run_study(
    study: Study | str,
    *,
    data: str,
    codebook: str | None = None,
    params: dict[str, Any] | None = None,
    out: str | None = None,
    refresh_index: bool = True,
    lang: str | None = None,
) -> Path:
    """Validate, execute the study notebook with papermill, render its report.

    ``lang`` is the report's language (``en``, ``zh``, ``zh-Hant``; default
    ``$WORKBENCH_LANG``, else ``en``): it goes to the notebook as its ``lang``
    parameter, into ``results.json`` (``lang``) and into the re-run command.

    Returns the run folder holding ``report.html``, ``notebook.ipynb`` and
    ``results.json``. Raises :class:`InputError` for bad input (nothing runs)
    and :class:`StudyFailed` when a notebook cell fails.
    """
    import papermill as pm

    from workbench.intake.data import file_sha256
    from workbench.presentation.report import render_html, update_index

    spec = get_study(study) if isinstance(study, str) else study
    lang = report_language(spec, lang)
    values = spec.validate(params or {})
    # File parameters are read by a kernel running in the project folder: a relative path that
    # exists here (the caller's folder) must reach it as that file, never as the project's
    # file of the same name.
    values = {
        name: (
            str(Path(value).resolve())
            if spec.param(name).kind == "path" and value and Path(value).exists()
            else value
        )
        for name, value in values.items()
    }
    for name, value in values.items():
        if spec.param(name).kind == "path" and value and not project_path(value).exists():
            raise InputError(
                f"The file given as --param {name} was not found.",
                file=str(Path(value).absolute()),
                hint=f"{name}: {spec.param(name).help}. Check the path (relative paths are read "
                "from the folder the command runs in).",
            )
    data_path = str(Path(data).resolve()) if Path(data).exists() else data
    codebook_path = (
        str(Path(codebook).resolve()) if codebook and Path(codebook).exists() else codebook
    )
    preflight(spec, data_path, codebook_path, values)
    if not spec.notebook_path.exists():
        raise WorkbenchError(f"Notebook {spec.notebook_path} of study '{spec.name}' is missing.")

    run_dir = new_run_dir(spec.name, file_sha256(data_path), out)
    notebook_out = run_dir / "notebook.ipynb"
    command = spec.command(data, codebook, values)
    if lang != i18n.DEFAULT_LANGUAGE:
        command += f" --lang {lang}"
    parameters = {
        **values,
        "data": data_path,
        "codebook": codebook_path or "",
        "output_dir": str(run_dir.resolve()),
        "command": command,
    }
    if len(report_languages(spec)) > 1:  # only a notebook that reads `lang` gets one
        parameters["lang"] = lang
    try:
        execute_notebook(spec.notebook_path, notebook_out, parameters)
    except pm.PapermillExecutionError as exc:
        if exc.ename == "InputError":
            # bad input found inside the notebook: same exit status and message as preflight
            raise InputError(
                f"{exc.evalue}\n  (The partially executed notebook is kept at {notebook_out}.)"
            ) from exc
        cell, first_line = _failing_cell(notebook_out, exc.cell_index)
        raise StudyFailed(
            f"Study '{spec.name}' failed in cell {cell} (execution count {exc.exec_count}) of "
            f"the kept notebook (`{first_line}`): {exc.ename}: {exc.evalue}\n"
            f"  The partially executed notebook is kept at {notebook_out}"
        ) from exc
    if not (run_dir / "results.json").exists():
        raise StudyFailed(
            f"Study '{spec.name}' finished without writing results.json; see {notebook_out}"
        )
    render_html(notebook_out, run_dir / "report.html", title=spec.title)
    mark_complete(run_dir)
    if refresh_index and in_reports_root(run_dir):
        update_index(reports_root())
    return run_dir


# A kernel on a busy machine can take long to import numpy, pandas and friends: wait generously.
KERNEL_START_TIMEOUT = 180  # seconds
_KERNEL_START_FAILURES = ("Kernel died before replying to kernel_info", "Kernel didn't respond")


def _kernel_config(socket_dir: str) -> Any:
    """Kernel connection settings: IPC sockets in a private folder where the OS allows it.

    With the default TCP transport the client picks free ports and the kernel binds them a
    moment later; kernels started at the same time (batch runs, ``make report``, a busy
    machine) can race for a port, and the loser dies before replying to ``kernel_info``.
    Unix-domain sockets in a folder of this run's own cannot collide (and are not readable
    by other users, unlike an unencrypted TCP port).
    """
    from traitlets.config import Config

    if os.name != "posix":
        return Config()
    return Config({"KernelManager": {"transport": "ipc", "ip": str(Path(socket_dir) / "k")}})


def execute_notebook(notebook: Path, notebook_out: Path, parameters: dict[str, Any]) -> None:
    """Run a study notebook with papermill, starting its kernel robustly.

    A kernel that fails to start (died before replying, or silent for
    :data:`KERNEL_START_TIMEOUT` seconds) is started once more, saying so on stderr; no cell
    has run at that point, so the retry repeats nothing. A second failure raises
    :class:`StudyFailed` saying what happened. Errors inside cells propagate unchanged.
    """
    import logging
    import tempfile

    import papermill as pm

    # `lang` is a runner parameter that a notebook reads from its namespace, not a literal of
    # its parameters cell (that cell holds the study's parameters): papermill's note that the
    # cell lacks it says nothing useful to the user.
    papermill_log = logging.getLogger("papermill")
    if not any(isinstance(f, _RunnerParameterNote) for f in papermill_log.filters):
        papermill_log.addFilter(_RunnerParameterNote())
    for attempt in (1, 2):
        with tempfile.TemporaryDirectory(prefix="wbk-") as sockets:
            try:
                pm.execute_notebook(
                    str(notebook),
                    str(notebook_out),
                    parameters=parameters,
                    cwd=str(PROJECT_ROOT),
                    progress_bar=False,
                    kernel_name="python3",
                    report_mode=False,
                    request_save_on_cell_execute=False,  # one write at the end, not per cell
                    shutdown_kernel="immediate",  # results are written; no graceful wait
                    start_timeout=KERNEL_START_TIMEOUT,
                    config=_kernel_config(sockets),
                )
                return
            except (RuntimeError, TimeoutError) as exc:
                if not any(text in str(exc) for text in _KERNEL_START_FAILURES):
                    raise
                if attempt == 2:
                    raise StudyFailed(
                        f"The notebook kernel for {notebook.name} could not be started twice "
                        f"({exc}). Nothing was analysed. This usually means the machine is "
                        "overloaded or short of memory: try again when it is less busy, or "
                        "run fewer jobs at once (workbench batch --jobs)."
                    ) from exc
                print(
                    f"note: the notebook kernel did not start ({exc}); starting it once more.",
                    file=sys.stderr,
                    flush=True,
                )


class _RunnerParameterNote:
    """A logging filter dropping papermill's 'Passed unknown parameter: lang'."""

    def filter(self, record: Any) -> bool:
        return record.getMessage() != "Passed unknown parameter: lang"


def _failing_cell(notebook: Path, fallback_index: int) -> tuple[int, str]:
    """1-based number and first source line of the cell holding the error output.

    papermill inserts banner cells into the kept notebook, so its own cell
    index does not point into that file; we look for the error output instead.
    """
    import nbformat

    try:
        nb = nbformat.read(str(notebook), as_version=4)
    except Exception:  # the partial notebook could not be read: fall back
        return fallback_index + 1, ""
    for number, cell in enumerate(nb.cells, start=1):
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return number, (cell.source.strip().splitlines() or [""])[0][:80]
    return fallback_index + 1, ""


# the languages `workbench report` renders the default runs in (each study in those its
# report is written in, see report_languages)
REPORT_LANGUAGES = ("en", "zh")


def run_defaults(jobs: int | None = None, langs: tuple[str, ...] | None = None) -> list[Path]:
    """Run every study's default runs on the shipped data (what ``make report`` does).

    Each default run is rendered in every language of ``langs`` (default
    ``REPORT_LANGUAGES``: English and Simplified Chinese) that the study's report
    is written in (:func:`report_languages`); a study not yet translated runs in English
    only. Runs go ``jobs`` at a time (default: two, or one on a single core); each is its
    own kernel process. The index, in both languages, is written once at the end.
    """
    from concurrent.futures import ThreadPoolExecutor

    from workbench.presentation.report import update_index

    jobs = jobs or min(2, os.cpu_count() or 1)
    wanted = [i18n.check_language(x) for x in (langs or REPORT_LANGUAGES)]
    todo = []
    for spec in STUDIES.values():
        available = report_languages(spec)
        codes = [x for x in wanted if x in available] or [i18n.DEFAULT_LANGUAGE]
        todo += [(spec, default, code) for default in spec.default_runs for code in codes]

    def one(item: tuple[Study, Any, str]) -> Path:
        spec, default, lang = item
        data = str(PROJECT_ROOT / default.data)
        codebook = str(PROJECT_ROOT / default.codebook) if default.codebook else None
        print(f"running {spec.name} ({lang}) on {default.data} ...", flush=True)
        run_dir = run_study(
            spec,
            data=data,
            codebook=codebook,
            params=default.params,
            refresh_index=False,
            lang=lang,
        )
        print(f"  done: {run_dir / 'report.html'}", flush=True)
        return run_dir

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        runs = list(pool.map(one, todo))
    index = update_index(reports_root())
    print(f"index: {index}")
    return runs
