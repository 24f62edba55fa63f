"""The command line: ``workbench run``, ``workbench list`` and ``workbench report``.

::

    workbench run STUDY --data FILE [--codebook FILE] [--param KEY=VALUE ...] [--out DIR]
                        [--lang en|zh|zh-Hant]
    workbench list
    workbench report [--lang ...] # every study's default runs on the shipped data

Exit status: 0 on success, 2 for bad input (the message names the file, column,
row and what to do; no traceback), 1 when a study notebook fails (the message
names the failing cell; the partial notebook is kept in the run folder).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any

from workbench.errors import InputError, StudyFailed, WorkbenchError
from workbench.i18n import LANGUAGES
from workbench.runner.engine import (
    INCOMPLETE,
    in_reports_root,
    report_language,
    reports_root,
    run_defaults,
    run_study,
)
from workbench.studies import STUDIES, parse_param_args


def list_studies() -> str:
    lines = []
    for spec in STUDIES.values():
        lines.append(f"{spec.name}: {spec.title}")
        lines.append(f"  {spec.description}")
        lines.append(f"  notebook: notebooks/{spec.notebook}")
        lines.append(f"  {spec.codebook_text}")
        codebook_arg = {"required": " --codebook FILE", "optional": " [--codebook FILE]"}
        lines.append(
            "  usage: workbench run "
            + spec.name
            + " --data FILE"
            + codebook_arg.get(spec.codebook_use, "")
            + " [--param KEY=VALUE ...] [--out DIR]"
        )
        lines.append("  parameters:")
        for p in spec.params:
            lines.append(f"    {p.name} ({p.type_text}, default {p.default_text}): {p.help}")
        lines.append("")
    return "\n".join(lines)


LANG_HELP = (
    "language of the report: en (English, the default), zh (Simplified Chinese) or zh-Hant "
    "(Traditional Chinese); default $WORKBENCH_LANG, else en"
)


def _add_lang(parser: argparse.ArgumentParser, **kwargs: Any) -> None:
    parser.add_argument(
        "--lang", metavar="|".join(LANGUAGES), help=kwargs.pop("help", LANG_HELP), **kwargs
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="workbench", description="Run loyalty-workbench studies and render their reports."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a study on a data file")
    run.add_argument("study", help="study name (see `workbench list`)")
    run.add_argument("--data", required=True, help="data file (CSV, XLSX, SAV, DTA, Parquet)")
    run.add_argument("--codebook", help="YAML codebook describing the survey")
    run.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="study parameter; VALUE is YAML (n_factors=5, drivers=[trust, value])",
    )
    run.add_argument("--out", help="run folder (must not exist or be empty)")
    _add_lang(run)
    batch = sub.add_parser(
        "batch",
        help="run a study once per value of a column or per parameter set, in parallel",
        description="Runs go into reports/<study>/batch-<date-time>/<run>/ (or --out) with an "
        "index.html comparing their headline figures. Exit 1 if any run failed.",
    )
    batch.add_argument("study", help="study name (see `workbench list`)")
    batch.add_argument("--data", required=True, help="data file (CSV, XLSX, SAV, DTA, Parquet)")
    batch.add_argument("--codebook", help="YAML codebook describing the survey")
    how = batch.add_mutually_exclusive_group(required=True)
    how.add_argument("--by", metavar="COLUMN", help="one run per value of this column")
    how.add_argument(
        "--grid",
        metavar="FILE",
        help="YAML list of parameter mappings, or mapping of name -> list of values "
        "(cartesian product): one run per parameter set",
    )
    batch.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="parameter for every run (a grid entry overrides it); VALUE is YAML",
    )
    batch.add_argument("--out", help="batch folder (must not exist or be empty)")
    _add_lang(batch, help=LANG_HELP + " (for every run)")
    batch.add_argument(
        "--jobs", type=int, help="local worker processes (default: min(2, cpu count))"
    )
    batch.add_argument(
        "--scheduler", metavar="ADDRESS", help="Dask distributed scheduler to run on"
    )
    batch.add_argument(
        "--max-runs",
        type=int,
        default=None,
        metavar="N",
        help="refuse a batch of more than N runs (default 100), so that a grid or a "
        "column with many values is not started by mistake",
    )
    from workbench.runner.export_command import add_export_parser

    add_export_parser(sub)
    sub.add_parser("list", help="list studies, their parameters, defaults and meaning")
    report = sub.add_parser("report", help="run every study on the shipped default data")
    _add_lang(
        report,
        action="append",
        help="render the default runs in this language (repeat for several; default: en and "
        "zh, each study in those its report is written in)",
    )
    return parser


def _os_error_message(exc: OSError) -> str:
    """One line for a file-system problem: what failed, on which path, what to do."""
    import errno

    where = f" '{exc.filename}'" if exc.filename else ""
    if not where:  # e.g. a full disk while a notebook or report was written
        try:
            from workbench.runner.engine import reports_root

            where = f" (while writing under '{reports_root()}' or the --out folder)"
        except Exception:  # the reports root itself is the problem: nothing more to name
            where = ""
    reason = exc.strerror or str(exc)
    hints = {
        errno.ENOSPC: "Free some disk space (or choose --out on another disk) and run again.",
        errno.EDQUOT: "Free some disk space (or choose --out on another disk) and run again.",
        errno.EACCES: "Choose a folder you can write to (--out, or WORKBENCH_REPORTS).",
        errno.EPERM: "Choose a folder you can write to (--out, or WORKBENCH_REPORTS).",
        errno.EROFS: "The folder is on a read-only file system: choose another with --out.",
        errno.ENOENT: "Check the path.",
    }
    hint = hints.get(exc.errno or -1, "Check the path and the disk, then run again.")
    return f"{reason}{where}.\n  What to do: {hint}"


@contextlib.contextmanager
def _environment(name: str, value: str | None) -> Iterator[None]:
    """Set an environment variable (for worker processes started meanwhile), then restore it."""
    if value is None:
        yield
        return
    before = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Treat SIGTERM like Ctrl-C while a command runs, so it ends through the same clean path."""
    import signal
    import threading

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status.

    0 done; 1 a study notebook failed (the message names the cell); 2 bad input or a problem
    with the environment (a file, folder, disk or memory), in one line naming it; 130
    interrupted (Ctrl-C or SIGTERM), the unfinished run folder marked incomplete.
    """
    args = build_parser().parse_args(argv)
    with _sigterm_as_interrupt():
        return _main(args)


def _main(args: argparse.Namespace) -> int:
    try:
        if args.command == "export":
            from workbench.runner.export_command import run_export

            return run_export(args)
        if args.command == "list":
            print(list_studies())
        elif args.command == "report":
            run_defaults(langs=tuple(args.lang) if args.lang else None)
        elif args.command == "batch":
            from workbench.runner.batch import run_batch
            from workbench.studies import get_study

            lang = report_language(get_study(args.study), args.lang) if args.lang else None
            if lang and lang != "en" and args.scheduler:
                raise InputError(
                    "--lang is passed to batch runs through the environment of local workers; "
                    "a remote Dask cluster's workers do not see it.",
                    hint="Set WORKBENCH_LANG in the workers' environment instead, or leave out "
                    "--scheduler.",
                )
            with _environment("WORKBENCH_LANG", lang):
                result = run_batch(
                    args.study,
                    data=args.data,
                    codebook=args.codebook,
                    by=args.by,
                    grid=args.grid,
                    params=parse_param_args(args.param),
                    out=args.out,
                    jobs=args.jobs,
                    scheduler=args.scheduler,
                    max_runs=args.max_runs,
                )
            print(result.summary())
            print(f"index:   {result.folder / 'index.html'}")
            return 0 if result.ok else 1
        else:
            run_dir = run_study(
                args.study,
                data=args.data,
                codebook=args.codebook,
                params=parse_param_args(args.param),
                out=args.out,
                lang=args.lang,
            )
            print(f"report:  {run_dir / 'report.html'}")
            print(f"results: {run_dir / 'results.json'}")
            if in_reports_root(run_dir):
                print(f"index:   {reports_root() / 'index.html'}")
    except InputError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    except StudyFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except WorkbenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(
            f"interrupted: nothing more was written; an unfinished run folder keeps "
            f"{INCOMPLETE} and is not listed in the index.",
            file=sys.stderr,
        )
        return 130
    except MemoryError:
        print(
            "error: the machine ran out of memory.\n  What to do: close other programs, use "
            "fewer bootstrap resamples or batch jobs, or run on a larger machine.",
            file=sys.stderr,
        )
        return 2
    except BrokenPipeError:  # the reader of our output went away (e.g. `workbench list | head`)
        sys.stderr = open(os.devnull, "w")
        return 0
    except OSError as exc:
        print(f"error: {_os_error_message(exc)}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
