"""Batch runs: one study run per value of a column, or per parameter set.

::

    workbench batch STUDY --data FILE [--codebook FILE] (--by COLUMN | --grid params.yml)
                    [--param KEY=VALUE ...] [--out DIR] [--jobs N] [--scheduler ADDRESS]

Every run of a batch is an ordinary :func:`workbench.runner.engine.run_study` run with its
own folder inside the batch folder (``reports/<study>/batch-<date-time>/<run>/``).
The runs go in parallel on Dask: locally on a
``distributed.LocalCluster`` with one single-threaded worker process per job,
or, given ``--scheduler ADDRESS``, on an existing Dask distributed cluster
(the workers must have ``workbench`` installed and see the same file paths).
A failed run does not stop the others; the batch index ``index.html`` shows
it with its error, and ``batch.json`` holds the same rows as data.

Parameter grids (``--grid params.yml``) are written in one of two forms:

* a list of parameter mappings, one run each::

      - {n_factors: 3}
      - {n_factors: 4, rotation: promax}

* a mapping of parameter name to a list of values, expanded as the cartesian
  product (the first name varies slowest); a value that is not a list is held
  fixed, so a list-valued parameter needs a list of lists
  (``drivers: [[trust, value], [trust]]``)::

      n_factors: [3, 4]
      rotation: [oblimin, promax]      # four runs

``--param`` values apply to every run; a grid entry overrides them. Every
parameter set is validated before any run starts.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from workbench.errors import InputError, WorkbenchError

BATCH_COLUMNS = ("name", "by_value", "params", "status", "n_used", "headline", "error", "run_dir")


@dataclasses.dataclass(frozen=True)
class BatchResult:
    """The outcome of a batch.

    Attributes
    ----------
    folder
        The batch folder, holding one folder per run, ``index.html`` and ``batch.json``.
    study
        The study's name.
    by
        The column the data was split by, or ``None`` for a parameter grid.
    runs
        One dict per run, in the batch's order, with the keys ``name`` (folder
        name), ``by_value`` (the original value; ``None`` for a grid),
        ``params`` (the run's own parameters: the grid entry, or ``{}``),
        ``status`` (``"ok"`` or ``"failed"``), ``n_used``, ``headline`` (the
        ``headline`` mapping of its results.json), ``error`` (message or
        ``None``) and ``run_dir``.
    warnings
        Notes about the batch itself (e.g. rows left out for a missing by-value).
    """

    folder: Path
    study: str
    by: str | None
    runs: list[dict[str, Any]]
    warnings: tuple[str, ...] = ()

    @property
    def n_failed(self) -> int:
        return sum(r["status"] != "ok" for r in self.runs)

    @property
    def ok(self) -> bool:
        return self.n_failed == 0

    def to_frame(self) -> pd.DataFrame:
        """One row per run: the :attr:`runs` keys, with each headline figure as its own column
        (``headline`` itself dropped)."""
        rows = []
        for r in self.runs:
            row = {k: r.get(k) for k in BATCH_COLUMNS if k != "headline"}
            row.update(r.get("headline") or {})
            rows.append(row)
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        return {
            "study": self.study,
            "by": self.by,
            "folder": str(self.folder),
            "runs": self.runs,
            "warnings": list(self.warnings),
        }

    def summary(self) -> str:
        lines = [
            f"Batch of {len(self.runs)} '{self.study}' run(s) in {self.folder}: "
            f"{len(self.runs) - self.n_failed} ok, {self.n_failed} failed."
        ]
        for r in self.runs:
            first = (r.get("error") or "").strip().splitlines()
            lines.append(
                f"  {r['name']}: {r['status']}" + (f" - {first[0]}" if r["status"] != "ok" else "")
            )
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return batch_table_html(self)


# --------------------------------------------------------------------------- inputs
def slugify(value: Any, *, max_length: int = 60) -> str:
    """A folder-safe name for a value: word characters, ``-`` and ``.`` only.

    >>> slugify("<b>x</b>"), slugify("North / East"), slugify("上海"), slugify("..")
    ('b-x-b', 'north-east', '上海', 'value')
    """
    text = re.sub(r"[^\w.-]+", "-", str(value).strip().lower())
    text = text.strip("._-")[:max_length].strip("._-")
    return text or "value"


def _unique(name: str, taken: set[str]) -> str:
    out, k = name, 1
    while out in taken:
        k += 1
        out = f"{name}-{k}"
    taken.add(out)
    return out


def split_by(path: str | Path, column: str, folder: str | Path) -> dict[str, Path]:
    """Split a data file into one CSV file per value of ``column``, inside ``folder``.

    The input file is only read. CSV input is split as text, so every cell is
    written back exactly as it was read (no number reformatting); other formats
    are read with :func:`workbench.intake.data.read_table` and written as UTF-8 CSV.
    Rows with an empty ``column`` go to no file.

    Returns
    -------
    dict
        The original value (as text; its value label for SPSS and Stata files) -> the file
        holding its rows, in order of first appearance. File names are :func:`slugify`-ed.

    Raises
    ------
    InputError
        The file cannot be read or has no column ``column``.
    """
    from workbench.intake.data import NA_VALUES, read_table

    table = read_table(path)  # checks the file and finds its encoding
    if column not in table.frame.columns:
        raise InputError(
            f"The data file has no column '{column}' to split the batch by.",
            file=str(path),
            column=column,
            hint="Columns: " + ", ".join(map(str, table.frame.columns)) + ".",
        )
    if table.encoding is not None:  # CSV: keep the cells as text
        from workbench.intake.data import csv_delimiter

        text = Path(path).read_bytes().decode(table.encoding)
        import io

        frame = pd.read_csv(
            io.StringIO(text),
            dtype=str,
            sep=csv_delimiter(text, Path(path)),
            keep_default_na=False,
            na_values=NA_VALUES,
        )
        frame.columns = [str(c).strip() for c in frame.columns]
    else:
        frame = table.frame
    # SPSS/Stata value labels name the groups (1 -> 'gold'): runs are named by the label
    labels = dict(table.value_labels.get(column) or {}) if table.encoding is None else {}
    key = frame[column].map(
        lambda v: None if pd.isna(v) or str(v).strip() == "" else str(labels.get(v, v))
    )
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    taken: set[str] = set()
    for value in key.dropna().unique():
        target = folder / f"{_unique(slugify(value), taken)}.csv"
        frame[key == value].to_csv(target, index=False, encoding="utf-8")
        out[value] = target
    return out


def expand_grid(spec: Any) -> list[dict[str, Any]]:
    """The parameter sets of a grid: a list of mappings, or a mapping of lists.

    A mapping is expanded as the cartesian product of its lists (the first
    name varies slowest); a value that is not a list is held fixed.

    >>> expand_grid({"n_factors": [3, 4], "rotation": ["oblimin", "promax"]})[1]
    {'n_factors': 3, 'rotation': 'promax'}
    >>> expand_grid([{"n_factors": 3}, {"method": "ml"}])
    [{'n_factors': 3}, {'method': 'ml'}]

    Raises
    ------
    InputError
        An empty grid, an empty list of values, or an entry that is not a mapping.
    """
    hint = (
        "Write a YAML list of parameter mappings (- {n_factors: 3}) or a mapping of "
        "parameter names to lists of values (n_factors: [3, 4])."
    )
    if isinstance(spec, Mapping) and not spec:
        raise InputError("The grid is empty: there is nothing to run.", hint=hint)
    if isinstance(spec, Mapping):
        names = [str(k) for k in spec]
        values = [v if isinstance(v, list) else [v] for v in spec.values()]
        for name, vals in zip(names, values, strict=True):
            if not vals:
                raise InputError(f"The grid lists no values for '{name}'.", hint=hint)
        sets = [dict(zip(names, combo, strict=True)) for combo in itertools.product(*values)]
    elif isinstance(spec, list):
        sets = []
        for i, entry in enumerate(spec, start=1):
            if entry is None:
                entry = {}
            if not isinstance(entry, Mapping):
                raise InputError(
                    f"Entry {i} of the grid is not a mapping of parameters: {entry!r}.", hint=hint
                )
            sets.append({str(k): v for k, v in entry.items()})
    else:
        if spec is None:
            raise InputError("The grid file is empty: there is nothing to run.", hint=hint)
        raise InputError(f"The grid must be a list or a mapping, not {spec!r}.", hint=hint)
    if not sets:
        raise InputError("The grid is empty: there is nothing to run.", hint=hint)
    return sets


def load_grid(path: str | Path) -> list[dict[str, Any]]:
    """Read a YAML grid file and :func:`expand_grid` it."""
    from workbench.safeyaml import load_yaml_file

    path = Path(path)
    if not path.is_file():
        raise InputError("Grid file not found.", file=str(path), hint="Check the --grid path.")
    spec = load_yaml_file(path)  # strict: duplicate keys and YAML 1.1 surprises refused
    try:
        return expand_grid(spec)
    except InputError as exc:
        raise InputError(exc.problem, file=str(path), hint=exc.hint) from exc


def _params_text(params: Mapping[str, Any]) -> str:
    return ", ".join(
        f"{k}={v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)}"
        for k, v in params.items()
    )


def new_batch_dir(study: str, out: str | Path | None) -> Path:
    """``--out`` (absent or empty) or a new ``reports/<study>/batch-<date-time>`` folder."""
    from workbench.runner.engine import claim_folder, reports_root

    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return claim_folder(reports_root() / study / f"batch-{stamp}", out, what="batch")


# --------------------------------------------------------------------------- one task
def run_task(task: dict[str, Any]) -> dict[str, Any]:
    """Run one study run of a batch and return its small summary dict (never raises).

    Called in a Dask worker; ``task`` holds ``name``, ``study``, ``data``,
    ``codebook``, ``params`` (the full set), ``out``, ``by_value`` and ``own``
    (the run's own parameters, shown in the index).
    """
    from workbench.runner.engine import run_study

    row: dict[str, Any] = {
        "name": task["name"],
        "by_value": task.get("by_value"),
        "params": task.get("own") or {},
        "status": "failed",
        "n_used": None,
        "headline": {},
        "error": None,
        "run_dir": task["out"],
    }
    try:
        run_dir = run_study(
            task["study"],
            data=task["data"],
            codebook=task.get("codebook"),
            params=task["params"],
            out=task["out"],
            refresh_index=False,
        )
        res = json.loads((Path(run_dir) / "results.json").read_text(encoding="utf-8"))
        row.update(
            status="ok",
            n_used=res.get("n_used"),
            headline=res.get("headline") or {},
            run_dir=str(run_dir),
        )
    except InputError as exc:
        row["error"] = exc.message
    except WorkbenchError as exc:
        row["error"] = str(exc)
    except Exception as exc:  # a batch reports every failure and goes on
        row["error"] = f"{type(exc).__name__}: {exc}"
    return row


# --------------------------------------------------------------------------- the batch
def run_batch(
    study: str,
    *,
    data: str | Path,
    codebook: str | Path | None = None,
    by: str | None = None,
    grid: str | Path | list | Mapping | None = None,
    params: Mapping[str, Any] | None = None,
    out: str | Path | None = None,
    jobs: int | None = None,
    scheduler: str | None = None,
    max_runs: int | None = None,
) -> BatchResult:
    """Run a study once per value of ``by`` or once per parameter set of ``grid``.

    Parameters
    ----------
    study
        Study name (see ``workbench list``).
    data, codebook
        The data file (split by ``by``, never modified) and its codebook.
    by
        Column whose values each get a run on their rows.
    grid
        A YAML grid file, or an already-parsed grid (see :func:`expand_grid`).
        Exactly one of ``by`` and ``grid`` is given.
    params
        Parameters for every run (a grid entry overrides them).
    out
        The batch folder (absent or empty); default ``reports/<study>/batch-<date-time>``.
    jobs
        Local worker processes (default: ``min(2, cpu count)``); ignored with ``scheduler``.
    scheduler
        Address of a Dask distributed scheduler (e.g. ``tcp://10.0.0.5:8786``) to run on.
    max_runs
        The most runs the batch may start (default :data:`MAX_RUNS`). A larger grid, or a
        ``by`` column with more distinct values, is refused before anything runs: each run
        is a notebook kernel, so a mistyped grid or an id column given as ``by`` would
        otherwise occupy the machine for hours.

    Returns
    -------
    BatchResult
        Failed runs are included with their error; check :attr:`BatchResult.ok`.

    Raises
    ------
    InputError
        Bad input to the batch itself: unknown study, both or neither of
        ``by``/``grid``, a missing column, an empty grid, an invalid parameter
        set (all sets are checked and every bad one is named), or more runs than
        ``max_runs``. Nothing runs.
    """
    from workbench.presentation.report import update_index
    from workbench.runner.engine import in_reports_root, mark_complete, reports_root
    from workbench.studies import get_study

    spec = get_study(study)
    if (by is None) == (grid is None):
        raise InputError(
            "A batch needs exactly one of --by COLUMN and --grid FILE.",
            hint="Use --by to run once per value of a column, --grid for one run per "
            "parameter set.",
        )
    base = dict(params or {})
    if jobs is not None and jobs < 1:
        raise InputError(
            f"--jobs must be at least 1, not {jobs}.",
            hint="Leave it out for min(2, the machine's cores).",
        )
    limit = MAX_RUNS if max_runs is None else max_runs
    if limit < 1:
        raise InputError(f"--max-runs must be at least 1, not {limit}.")
    if grid is not None:
        sets = load_grid(grid) if isinstance(grid, (str, os.PathLike)) else expand_grid(grid)
        _check_run_count(len(sets), limit, "The grid has {n} parameter sets", grid)
        bad = []
        for i, own in enumerate(sets, start=1):
            try:
                spec.validate({**base, **own})
            except InputError as exc:
                bad.append(f"set {i} ({_params_text(own) or 'defaults'}): {exc.message}")
        if bad:
            raise InputError(
                f"{len(bad)} of {len(sets)} parameter set(s) of the grid are invalid; "
                "nothing was run.\n  " + "\n  ".join(bad),
                file=str(grid) if isinstance(grid, (str, os.PathLike)) else None,
            )
    else:
        spec.validate(base)
        from workbench.intake.data import read_table

        frame = read_table(data).frame  # fail on a missing column before making a folder
        if by not in frame.columns:
            raise InputError(
                f"The data file has no column '{by}' to split the batch by.",
                file=str(data),
                column=by,
                hint="Columns: " + ", ".join(map(str, frame.columns)) + ".",
            )
        n_missing = int(frame[by].isna().sum() + (frame[by].astype(str).str.strip() == "").sum())
        n_values = frame[by].map(lambda v: None if pd.isna(v) or not str(v).strip() else v)
        _check_run_count(int(n_values.nunique()), limit, f"Column '{by}' has {{n}} values", data)
        del frame

    folder = new_batch_dir(spec.name, out)
    started = _now()
    warnings: list[str] = []
    data_abs = str(Path(data).resolve())
    codebook_abs = str(Path(codebook).resolve()) if codebook else None
    tasks: list[dict[str, Any]] = []
    taken = {"_data"}
    if by is not None:
        files = split_by(data_abs, by, folder / "_data")
        if not files:
            raise InputError(f"Column '{by}' has no values to split by.", file=str(data), column=by)
        if n_missing:
            warnings.append(f"{n_missing} row(s) with no '{by}' value are in no run.")
        for value, path in files.items():
            name = _unique(path.stem, taken)
            tasks.append(
                _task(spec.name, str(path), codebook_abs, base, {}, folder / name, name, value)
            )
    else:
        width = len(str(len(sets)))
        for i, own in enumerate(sets, start=1):
            label = slugify(_params_text(own), max_length=50) if own else "defaults"
            name = _unique(f"{i:0{width}d}-{label}", taken)
            tasks.append(
                _task(spec.name, data_abs, codebook_abs, {**base, **own}, own, folder / name, name)
            )

    runs = _execute(tasks, jobs=jobs, scheduler=scheduler)
    result = BatchResult(folder=folder, study=spec.name, by=by, runs=runs, warnings=tuple(warnings))
    record = {
        **result.to_dict(),
        "data_file": data_abs,
        "codebook": codebook_abs,
        "parameters": base,
        "grid": str(grid) if isinstance(grid, (str, os.PathLike)) else grid,
        "scheduler": scheduler,
        "started": started,
        "finished": _now(),
    }
    from workbench.results import jsonable

    (folder / "batch.json").write_text(
        json.dumps(jsonable(record), indent=2, ensure_ascii=False), encoding="utf-8"
    )
    (folder / "index.html").write_text(batch_page(result, record), encoding="utf-8")
    mark_complete(folder)
    if in_reports_root(folder):
        update_index(reports_root())
    return result


#: The most runs a batch starts unless ``--max-runs`` allows more.
MAX_RUNS = 100


def _check_run_count(n: int, limit: int, what: str, file: Any) -> None:
    """Refuse a batch larger than ``limit`` runs before any folder or kernel exists."""
    if n > limit:
        raise InputError(
            f"{what.format(n=n)}: "
            f"the batch would start {n} runs, more than the limit of "
            f"{limit}; nothing was run.",
            file=str(file) if isinstance(file, (str, os.PathLike)) else None,
            hint="Check the grid or the column (an id column gives one run per respondent); "
            f"to run them all on purpose, pass --max-runs {n}.",
        )


def _task(
    study: str,
    data: str,
    codebook: str | None,
    params: dict[str, Any],
    own: dict[str, Any],
    out: Path,
    name: str,
    by_value: str | None = None,
) -> dict[str, Any]:
    return {
        "study": study,
        "data": data,
        "codebook": codebook,
        "params": params,
        "own": own,
        "out": str(out.resolve()),
        "name": name,
        "by_value": by_value,
    }


def _execute(
    tasks: list[dict[str, Any]], *, jobs: int | None, scheduler: str | None
) -> list[dict[str, Any]]:
    """Run the tasks on Dask (a given scheduler, or a local cluster); rows in task order."""
    import logging

    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler:
        try:  # a bad address or a peer that is not a Dask scheduler must not hang or trace
            client = Client(scheduler, timeout="30s")
        # (a non-Dask peer can make the protocol decoder ask for absurd memory)
        except (ValueError, OSError, TimeoutError, MemoryError) as exc:
            why = (
                "the peer does not answer in Dask's protocol"
                if isinstance(exc, (MemoryError, ValueError))
                else str(exc) or type(exc).__name__
            )
            raise InputError(
                f"Could not connect to the Dask scheduler at {scheduler!r}: {why}.",
                hint="Check the address (e.g. tcp://host:8786) and that the scheduler runs, "
                "or leave out --scheduler to run on this machine's cores.",
            ) from None
    else:
        jobs = max(1, jobs or min(2, os.cpu_count() or 1))
        cluster = LocalCluster(
            n_workers=min(jobs, len(tasks)),
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
        client = Client(cluster)
    rows: dict[str, dict[str, Any]] = {}
    try:
        futures = client.map(run_task, tasks, pure=False, key=[f"wb-{t['name']}" for t in tasks])
        by_key = {f.key: t for f, t in zip(futures, tasks, strict=True)}
        for future in as_completed(futures):
            task = by_key[future.key]
            try:
                row = future.result()
            except Exception as exc:  # the worker died or could not import workbench
                row = {
                    "name": task["name"],
                    "by_value": task["by_value"],
                    "params": task["own"],
                    "status": "failed",
                    "n_used": None,
                    "headline": {},
                    "error": f"{type(exc).__name__}: {exc}",
                    "run_dir": task["out"],
                }
            rows[task["name"]] = row
            print(f"  {row['name']}: {row['status']}", flush=True)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return [rows[t["name"]] for t in tasks]


def _now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


# --------------------------------------------------------------------------- HTML
def batch_table_html(result: BatchResult, *, folder: Path | None = None) -> str:
    """The runs side by side as an HTML table; every value is escaped."""
    from workbench.presentation.report import esc, format_value

    keys: list[str] = []
    for r in result.runs:
        keys += [k for k in (r.get("headline") or {}) if k not in keys]
    what = esc(result.by) if result.by else "Parameters"
    head = (
        f"<tr><th>Run</th><th>{what}</th><th>Status</th><th>n used</th>"
        + "".join(f"<th>{esc(k)}</th>" for k in keys)
        + "<th>Error</th><th>Report</th></tr>"
    )
    rows = []
    for r in result.runs:
        setting = (
            r["by_value"] if result.by else (_params_text(r.get("params") or {}) or "defaults")
        )
        link = ""
        run_dir = Path(r["run_dir"]) if r.get("run_dir") else None
        kept = "report.html" if r["status"] == "ok" else "notebook.ipynb"
        if run_dir is not None and (r["status"] == "ok" or (run_dir / kept).exists()):
            target = run_dir / kept
            if folder is not None:
                target = Path(os.path.relpath(target, folder))
            text = "report" if r["status"] == "ok" else "partial notebook"
            link = f"<a href='{esc(target.as_posix())}'>{text}</a>"
        status = "ok" if r["status"] == "ok" else "<strong style='color:#b00'>failed</strong>"
        heads = r.get("headline") or {}
        error = esc(r.get("error") or "")
        rows.append(
            "<tr>"
            f"<td>{esc(r['name'])}</td><td>{esc(setting)}</td><td>{status}</td>"
            f"<td>{esc('' if r.get('n_used') is None else r['n_used'])}</td>"
            + "".join(f"<td>{esc(format_value(heads[k])) if k in heads else ''}</td>" for k in keys)
            + f"<td><pre style='white-space:pre-wrap;margin:0'>{error}</pre></td><td>{link}</td>"
            "</tr>"
        )
    return "<table class='wb-table'>" + head + "".join(rows) + "</table>"


def batch_page(result: BatchResult, record: Mapping[str, Any]) -> str:
    """The batch's ``index.html``."""
    from workbench.presentation.report import REPORT_CSS, esc

    split = (
        f"one run per value of <code>{esc(result.by)}</code>"
        if result.by
        else "one run per parameter set"
    )
    fixed = _params_text(record.get("parameters") or {})
    notes = "".join(f"<li>{esc(w)}</li>" for w in result.warnings)
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{esc(result.study)} batch</title>"
        + REPORT_CSS
        + "<style>body{font-family:system-ui,'Noto Sans CJK SC',sans-serif;margin:2em}"
        "table.wb-table td,table.wb-table th{text-align:left;vertical-align:top}</style>"
        "</head><body>"
        f"<h1>Batch: {esc(result.study)}</h1>"
        f"<p>{len(result.runs)} run(s), {split}; {len(result.runs) - result.n_failed} ok, "
        f"{result.n_failed} failed.</p>"
        "<table class='wb-meta'>"
        f"<tr><td>Data</td><td><code>{esc(record.get('data_file', ''))}</code></td></tr>"
        f"<tr><td>Codebook</td><td><code>{esc(record.get('codebook') or '')}</code></td></tr>"
        f"<tr><td>Parameters for every run</td><td>{esc(fixed or 'defaults')}</td></tr>"
        f"<tr><td>Started / finished</td><td>{esc(record.get('started', ''))} / "
        f"{esc(record.get('finished', ''))}</td></tr>"
        "</table>"
        + (f"<div class='wb-warnings'><ul>{notes}</ul></div>" if notes else "")
        + batch_table_html(result, folder=result.folder)
        + "<p><a href='batch.json'>batch.json</a></p></body></html>"
    )
