"""Every study through `workbench run` on 200,000 simulated respondents.

Usage: ``.venv/bin/python bench/large_samples.py [--n 200000] [--only STUDY ...]``
(also part of ``make bench``).

The survey, its members' transactions and a programme log come from
:mod:`workbench.simulate` (seeded), written as CSV as a user would bring them.
Each study runs once through the command line, as a user runs it; we record
the wall time, the peak resident memory of the run (the command and its
notebook kernel: ``ru_maxrss`` of the waited-for process tree), the size of
the report, and that the run succeeded.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CODEBOOK = ROOT / "data" / "loyalty_survey.codebook.yaml"
TARGET = "runs to completion; peak < 24 GB (the machine); respondent-level plots sampled"


def make_data(folder: Path, n: int, seed: int = 7) -> dict[str, Path | int]:
    """Simulate and write the survey, transactions and programme files."""
    from workbench.simulate import (
        simulate_loyalty_survey,
        simulate_programme,
        simulate_transactions,
    )

    folder.mkdir(parents=True, exist_ok=True)
    survey = simulate_loyalty_survey(n, seed=seed).data
    tx = simulate_transactions(survey, n_members=n, seed=seed)
    prog = simulate_programme(survey, n_members=n, seed=seed)
    frames = {
        "survey": survey,
        "transactions": tx.transactions,
        "members": tx.members,
        "tiers": tx.tier_history,
        "programme": prog.transactions,
        "programme_members": prog.members,
        "nps": prog.nps,
    }
    files: dict[str, Path | int] = {}
    for name, frame in frames.items():
        files[name] = folder / f"{name}.csv"
        frame.to_csv(files[name], index=False)
    files["n_transactions"] = len(tx.transactions)
    files["n_programme_transactions"] = len(prog.transactions)
    return files


def commands(files: dict[str, Path | int]) -> dict[str, list[str]]:
    """The `workbench run` arguments of each study (as the default runs, on the big files)."""
    cb = ["--codebook", str(CODEBOOK)]
    return {
        "factor-analysis": ["--data", str(files["survey"]), *cb],
        "loyalty-drivers": [
            "--data",
            str(files["survey"]),
            *cb,
            "--param",
            "outcome=loyalty",
            "--param",
            "drivers=[trust, satisfaction, belonging, value]",
            "--param",
            "by=tier",
            "--param",
            "mediator=[satisfaction]",
            "--param",
            "x=value",
        ],
        "experience-economy": [
            "--data",
            str(files["survey"]),
            *cb,
            "--param",
            "group=channel",
            "--param",
            "channels=[online_experience, offline_experience]",
        ],
        "member-analytics": [
            "--data",
            str(files["transactions"]),
            "--param",
            "order_col=order_id",
            "--param",
            "channel_col=channel",
            "--param",
            "points_earned_col=points_earned",
            "--param",
            "points_redeemed_col=points_redeemed",
            "--param",
            f"members={files['members']}",
            "--param",
            f"tier_history={files['tiers']}",
            "--param",
            "refunds=net",
        ],
        "programme-evaluation": [
            "--data",
            str(files["programme"]),
            *cb,
            "--param",
            "launch_date=2025-01-01",
            "--param",
            f"members={files['programme_members']}",
            "--param",
            f"survey={files['survey']}",
            "--param",
            f"nps_file={files['nps']}",
            "--param",
            "refunds=net",
        ],
    }


# A small launcher: it runs the command and reports the peak RSS of its process tree
# (``RUSAGE_CHILDREN``: the command and the notebook kernel it waited for). Launching
# from this small process keeps the bench process's own memory out of the figure
# (a child forked from a large process inherits its resident-set high-water mark).
_LAUNCHER = (
    "import resource, subprocess, sys; code = subprocess.call(sys.argv[2:]); "
    "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)); "
    "sys.exit(code)"
)


def run_measured(argv: list[str], log: Path) -> tuple[float, float, int]:
    """Wall seconds, peak RSS in MB (process tree) and exit status of a command."""
    peak_file = log.with_suffix(".peak")
    start = time.perf_counter()
    with log.open("wb") as out:
        code = subprocess.call(
            [sys.executable, "-c", _LAUNCHER, str(peak_file), *argv],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
    wall = time.perf_counter() - start
    return wall, int(peak_file.read_text()) / 1024, code


def large_sample_cases(tmp: Path, n: int = 200_000, only: list[str] | None = None) -> list[dict]:
    start = time.perf_counter()
    files = make_data(tmp / "large", n)
    print(f"simulated {n:,} respondents in {time.perf_counter() - start:.0f} s", flush=True)
    workbench = str(Path(sys.executable).parent / "workbench")
    rows = []
    for study, args in commands(files).items():
        if only and study not in only:
            continue
        out = tmp / "large" / f"run-{study}"
        wall, peak, code = run_measured(
            [workbench, "run", study, *args, "--out", str(out)], tmp / "large" / f"{study}.log"
        )
        who = {
            "member-analytics": f"{n:,} members, {files['n_transactions']:,} transactions",
            "programme-evaluation": f"{n:,} members and respondents, "
            f"{files['n_programme_transactions']:,} transactions",
        }.get(study, f"{n:,} respondents")
        row = {
            "case": f"{study} through `workbench run`, {who}",
            "target": TARGET,
            "median_s": wall,
            "peak_mb": peak,
            "exit": code,
        }
        report = out / "report.html"
        if code == 0 and report.exists():
            row["report_mb"] = report.stat().st_size / 2**20
            results = json.loads((out / "results.json").read_text(encoding="utf-8"))
            row["n_used"] = results.get("n_used")
        else:
            log = (tmp / "large" / f"{study}.log").read_text(errors="replace")
            row["error"] = log[-1500:]
            print(log[-1500:], file=sys.stderr)
        print(
            f"{row['case']}: {wall:.1f} s, peak {peak:,.0f} MB, exit {code}"
            + (f", report {row['report_mb']:.1f} MB" if "report_mb" in row else ""),
            flush=True,
        )
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--only", nargs="*", help="study names (default: all five)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        rows = large_sample_cases(Path(tmp), args.n, args.only)
    return 0 if all(r["exit"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
