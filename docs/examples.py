"""Run every study once on the shipped data, for the documentation's example reports.

    python docs/examples.py OUT_DIR

Each study's first default run (the one ``make report`` does first; see
``workbench.studies.STUDIES``) goes through ``workbench run`` exactly as a user would type it,
with fewer bootstrap resamples (``--param bootstrap=200``, or ``n_boot=200``) where the study
has that parameter, into ``OUT_DIR/<study>/`` (``report.html``, ``notebook.ipynb``, ``results.json``).
Each run is then exported (``workbench export RUN --to docx`` and ``--to md``, into
``OUT_DIR/<study>/export/``), so that every study's paper-ready export is checked on a fresh
run. ``OUT_DIR/manifest.json`` records each command, its exit status and how long it took; the
documentation build reads it (study pages embed the reports, the results.json page reads the
schema from the runs). A failed run fails this script, and so ``make docs``.

The reports are build products: they live in the docs build folder and are never committed.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from workbench.studies import PROJECT_ROOT, STUDIES, Study

# enough resamples for a readable report; the shipped default (1000) is what `make report` uses
DOCS_BOOTSTRAP = 200


def example_command(spec: Study) -> list[str]:
    """The ``workbench run`` arguments (after ``workbench``) of a study's example report."""
    run = spec.default_runs[0]
    params: dict[str, Any] = dict(run.params)
    for name in ("bootstrap", "n_boot"):  # n_boot: points-programme's ODP bootstrap
        if any(p.name == name for p in spec.params):
            params[name] = DOCS_BOOTSTRAP
    return shlex.split(spec.command(run.data, run.codebook, params))[1:]  # drop 'workbench'


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(argv[0]).resolve()
    workbench = Path(sys.executable).with_name("workbench")
    manifest: dict[str, Any] = {}
    failed = []
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    for name, spec in STUDIES.items():
        args = example_command(spec)
        folder = out / name
        started = time.perf_counter()
        # the project folder, so that the shipped data paths read as in README's examples;
        # WORKBENCH_REPORTS points away from reports/ so reports/index.html is not touched
        env = {**os.environ, "WORKBENCH_REPORTS": str(out / "_reports")}
        proc = subprocess.run(
            [str(workbench), *args, "--out", str(folder)],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - started
        manifest[name] = {
            "command": shlex.join(["workbench", *args]),
            "status": proc.returncode,
            "seconds": round(seconds, 1),
        }
        print(f"{name}: exit {proc.returncode} in {seconds:.0f} s", flush=True)
        if proc.returncode != 0:
            failed.append(name)
            print(proc.stdout + proc.stderr, file=sys.stderr)
            continue
        # the paper-ready export of the same run (issue 20): a Word document and Markdown,
        # so every study's export is exercised on a fresh run of today's code
        for fmt in ("docx", "md"):
            target = folder / "export" / f"paper.{fmt}"
            exp = subprocess.run(
                [str(workbench), "export", str(folder), "--to", fmt, "--out", str(target)],
                cwd=PROJECT_ROOT,
                env=env,
                capture_output=True,
                text=True,
            )
            manifest[name][f"export_{fmt}"] = exp.returncode
            if exp.returncode != 0:
                failed.append(f"{name} (export --to {fmt})")
                print(exp.stdout + exp.stderr, file=sys.stderr)
    shutil.rmtree(out / "_reports", ignore_errors=True)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    if failed:
        print(f"example runs failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
