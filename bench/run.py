"""Benchmarks: our time against R in the same run, and against a floor.

Usage: ``make bench`` (or ``.venv/bin/python bench/run.py [--repeat N]``).

Each case runs once to warm up, then ``--repeat`` times; we record the median
wall time and the peak memory traced by ``tracemalloc`` (numpy reports its
buffers to it). Where ``Rscript`` with psych is installed, the same case runs
in R within this run (R reports its own median over the same number of
repeats) and the table shows R time / our time. Results go to
``bench/results.json`` and a readable table on stdout and in
``bench/results.md``.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workbench.measurement import factors  # noqa: E402
from workbench.measurement.polychoric import polychoric_matrix  # noqa: E402
from workbench.measurement.scales import cronbach_alpha, item_total_statistics  # noqa: E402
from workbench.sem.model import fit_cfa  # noqa: E402

BFI_ITEMS = [f"{t}{i}" for t in "ACENO" for i in range(1, 6)]


def bfi_items(complete: bool = True) -> pd.DataFrame:
    data = pd.read_csv(ROOT / "data" / "bfi.csv")[BFI_ITEMS]
    return data.dropna() if complete else data


def likert_sample(n: int, p: int, *, seed: int = 1, factors_k: int = 5) -> pd.DataFrame:
    """n x p 5-point responses from a k-factor model (seeded)."""
    rng = np.random.default_rng(seed)
    load = np.zeros((p, factors_k))
    load[np.arange(p), np.arange(p) % factors_k] = rng.uniform(0.5, 0.8, p)
    f = rng.standard_normal((n, factors_k))
    x = f @ load.T + rng.standard_normal((n, p)) * np.sqrt(1 - (load**2).sum(1))
    cuts = np.array([-1.5, -0.5, 0.5, 1.5])
    return pd.DataFrame(
        np.searchsorted(cuts, x).astype(float) + 1, columns=[f"x{j + 1}" for j in range(p)]
    )


def _times(fn: Callable[[], object], repeat: int) -> list[float]:
    """Wall times of ``repeat`` calls after one warm-up call."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def measure(fn: Callable[[], object], repeat: int) -> dict[str, float]:
    times = _times(fn, repeat)
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"median_s": statistics.median(times), "min_s": min(times), "peak_mb": peak / 2**20}


def wall_time(fn: Callable[[], object], repeat: int) -> float:
    """Median wall time of a command-like call (after a warm-up), no memory tracing."""
    return statistics.median(_times(fn, repeat))


def r_time(code: str, repeat: int, csv: Path | None = None) -> float | None:
    """Median seconds of an R expression (after a warm-up), or None without R."""
    if shutil.which("Rscript") is None:
        return None
    script = f"""
suppressMessages(library(psych))
x <- {"read.csv('" + str(csv) + "')" if csv else "NULL"}
f <- function() {{ {code} }}
invisible(f())
t <- replicate({repeat}, system.time(f())[["elapsed"]])
cat(median(t))
"""
    with tempfile.NamedTemporaryFile("w", suffix=".R", delete=False) as fh:
        fh.write(script)
    out = subprocess.run(["Rscript", fh.name], capture_output=True, text=True, timeout=1800)
    if out.returncode != 0:
        print(out.stderr, file=sys.stderr)
        return None
    return float(out.stdout.strip().split()[-1])


def cases(repeat: int, tmp: Path) -> list[dict]:
    out = []
    bfi = bfi_items()
    bfi_csv = tmp / "bfi.csv"
    bfi.to_csv(bfi_csv, index=False)
    hs = pd.read_csv(ROOT / "data" / "holzinger_swineford_1939.csv")[
        [f"x{i}" for i in range(1, 10)]
    ]
    hs_csv = tmp / "hs.csv"
    hs.to_csv(hs_csv, index=False)

    def add(name, target, fn, r_code=None, r_csv=None, floor=None, r_repeat=None):
        ours = measure(fn, repeat)
        row = {"case": name, "target": target, **ours}
        if r_code is not None:
            r = r_time(r_code, r_repeat or repeat, r_csv)
            row["r_median_s"] = r
            row["r_over_ours"] = None if r is None else r / ours["median_s"]
        if floor is not None:
            fl = measure(floor, repeat)
            row["floor_s"] = fl["median_s"]
            row["ours_over_floor"] = ours["median_s"] / fl["median_s"]
        print(_line(row), flush=True)
        out.append(row)

    add(
        "three-factor CFA, Holzinger-Swineford",
        "within 2x of lavaan cfa",
        lambda: fit_cfa(
            hs,
            {
                "visual": ["x1", "x2", "x3"],
                "textual": ["x4", "x5", "x6"],
                "speed": ["x7", "x8", "x9"],
            },
        ),
        "suppressMessages(library(lavaan)); cfa('visual =~ x1 + x2 + x3\\n textual =~ x4 + x5 + "
        "x6\\n speed =~ x7 + x8 + x9', data=x)",
        hs_csv,
    )
    add(
        "EFA 5 factors minres/oblimin, bfi",
        "not slower than psych fa",
        lambda: factors.efa(bfi, 5, method="minres", rotation="oblimin"),
        "fa(x, 5, fm='minres', rotate='oblimin', warnings=FALSE)",
        bfi_csv,
    )
    add(
        "parallel analysis 100 iterations, bfi",
        ">= 20x faster than psych fa.parallel",
        lambda: factors.parallel_analysis(bfi, n_iter=100, seed=1),
        "fa.parallel(x, n.iter=100, plot=FALSE, fa='both')",
        bfi_csv,
        r_repeat=3,
    )
    big = likert_sample(200_000, 40)
    big_csv = tmp / "big.csv"
    big.to_csv(big_csv, index=False)
    add(
        "EFA 5 factors, 200,000 x 40 Likert",
        ">= 5x faster than psych fa; <= 3x floor; < 2 GB",
        lambda: factors.efa(big, 5, method="minres", rotation="oblimin"),
        "fa(x, 5, fm='minres', rotate='oblimin', warnings=FALSE)",
        big_csv,
        floor=lambda: np.corrcoef(big.to_numpy(), rowvar=False),
        r_repeat=3,
    )
    alpha10 = big.iloc[:, :10]
    alpha_csv = tmp / "alpha.csv"
    alpha10.to_csv(alpha_csv, index=False)
    add(
        "Cronbach's alpha + item statistics, 200,000 x 10",
        ">= 10x faster than psych alpha",
        lambda: (cronbach_alpha(alpha10), item_total_statistics(alpha10)),
        "alpha(x, warnings=FALSE)",
        alpha_csv,
        r_repeat=3,
    )
    add(
        "polychoric correlations, 25 bfi items (complete cases)",
        "faster than psych polychoric",
        lambda: polychoric_matrix(bfi),
        "polychoric(x)",
        bfi_csv,
        r_repeat=3,
    )
    from workbench.drivers.regression import relative_importance

    ri_data = likert_sample(5_000, 9, seed=3, factors_k=3).astype(float)
    ri_drivers = [f"x{j}" for j in range(2, 10)]
    add(
        "relative importance, 8 drivers, 2,000 resamples, n = 5,000",
        "< 10 s",
        lambda: relative_importance(ri_data, "x1", ri_drivers, bootstrap=2000, seed=1),
    )
    from workbench.intake.data import load_survey
    from workbench.sem.bootstrap import bootstrap_sem, indirect_effects_syntax
    from workbench.sem.experience import default_structural_paths, full_model

    survey = load_survey(
        ROOT / "data/loyalty_survey.csv", ROOT / "data/loyalty_survey.codebook.yaml"
    )
    syntax, _ = indirect_effects_syntax(
        full_model(survey.codebook, default_structural_paths(survey.codebook))
    )
    sem_items = [c for c in survey.frame.columns if c in survey.codebook.items]
    sem_csv = tmp / "sem.csv"
    survey.frame[sem_items].to_csv(sem_csv, index=False)
    lavaan = syntax.replace("\n", "\\n").replace("'", "\\'")
    add(
        "experience-economy SEM, 1,000 bootstrap resamples",
        "not slower than lavaan",
        lambda: bootstrap_sem(survey.frame[sem_items], syntax, n_boot=1000, seed=1),
        "suppressMessages(library(lavaan)); "
        f"sem('{lavaan}', data=x, se='bootstrap', bootstrap=1000)",
        sem_csv,
        r_repeat=1,
    )
    return out


def _fmt(v, unit=""):
    return "" if v is None else f"{v:.3g}{unit}"


def _line(row: dict) -> str:
    parts = [
        f"{row['case']}: ours {_fmt(row['median_s'], ' s')}",
        f"peak {_fmt(row['peak_mb'], ' MB')}",
    ]
    if "r_median_s" in row:
        parts.append(
            f"R {_fmt(row['r_median_s'], ' s')} (R/ours {_fmt(row['r_over_ours'])}x)"
            if row["r_median_s"] is not None
            else "R not installed"
        )
    if "floor_s" in row:
        parts.append(
            f"floor {_fmt(row['floor_s'], ' s')} (ours/floor {_fmt(row['ours_over_floor'])}x)"
        )
    return "; ".join(parts)


def notebook_as_script(notebook: Path, output_dir: Path) -> str:
    """The code cells of an executed study notebook (papermill's injected parameters
    included) as one Python script that writes to ``output_dir`` instead of the run
    folder: the same calls, made directly in Python."""
    import nbformat

    nb = nbformat.read(str(notebook), as_version=4)
    code = "\n\n".join(c.source for c in nb.cells if c.cell_type == "code")
    return code.replace(str(notebook.parent.resolve()), str(output_dir))


def runner_cases(tmp: Path, repeat: int) -> list[dict]:
    """`workbench run` overhead and `make report` (installed) wall time.

    Overhead = the wall time of the `workbench run` command minus that of a plain
    ``python`` command running the same notebook code as a script (both fresh
    processes, so imports count on both sides); peer = papermill then nbconvert
    as separate commands on a trivial notebook.
    """
    import nbformat

    data = ROOT / "data" / "customer_sat.csv"
    codebook = ROOT / "data" / "customer_sat.codebook.yaml"
    bin_dir = Path(sys.executable).parent
    runs = iter(range(1000))
    last: dict[str, Path] = {}

    def through_runner():
        out = tmp / f"run{next(runs)}"
        subprocess.run(
            [
                str(bin_dir / "workbench"),
                "run",
                "factor-analysis",
                "--data",
                str(data),
                "--codebook",
                str(codebook),
                "--param",
                "pa_iterations=20",
                "--out",
                str(out),
            ],
            check=True,
            capture_output=True,
            cwd=ROOT,
        )
        last["run"] = out

    ours = wall_time(through_runner, repeat)
    script = tmp / "direct.py"
    direct_out = tmp / "direct_out"
    script.write_text(notebook_as_script(last["run"] / "notebook.ipynb", direct_out))

    def direct():
        direct_out.mkdir(exist_ok=True)
        for f in direct_out.iterdir():
            f.unlink()
        subprocess.run([sys.executable, str(script)], check=True, capture_output=True, cwd=ROOT)

    base = wall_time(direct, repeat)
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("print(x)"),
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    trivial = tmp / "trivial.ipynb"
    nbformat.write(nb, trivial)

    def peer():
        subprocess.run(
            [str(bin_dir / "papermill"), str(trivial), str(tmp / "t_out.ipynb")],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [
                str(bin_dir / "jupyter-nbconvert"),
                "--to",
                "html",
                "--no-input",
                str(tmp / "t_out.ipynb"),
            ],
            check=True,
            capture_output=True,
        )

    peer_s = wall_time(peer, repeat)
    rows = [
        {
            "case": "`workbench run` overhead (run minus direct calls), factor-analysis",
            "target": "< 3 s (peer: papermill + nbconvert commands)",
            "median_s": ours - base,
            "peak_mb": None,
            "floor_s": peer_s,
            "ours_over_floor": (ours - base) / peer_s,
            "run_s": ours,
            "direct_s": base,
        }
    ]
    print(
        _line(rows[0]), f"(run {ours:.2f} s, direct {base:.2f} s, peer {peer_s:.2f} s)", flush=True
    )
    env = dict(__import__("os").environ, WORKBENCH_REPORTS=str(tmp / "make_report"))
    start = time.perf_counter()
    subprocess.run([str(bin_dir / "workbench"), "report"], check=True, capture_output=True, env=env)
    rows.append(
        {
            "case": "`make report` on the default data (installed)",
            "target": "< 90 s on 2 cores",
            "median_s": time.perf_counter() - start,
            "peak_mb": None,
        }
    )
    print(_line(rows[1]), flush=True)
    return rows


def member_case(tmp: Path) -> dict:
    """KPIs + cohorts + RFM on 10M transactions / ~1M members, in a child process."""
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "member_case.py"), str(tmp / "tx10m.parquet")],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    row = {
        "case": "KPIs + cohorts + RFM, 10M transactions / 1M members (DuckDB)",
        "target": "< 30 s on 2 cores, < 4 GB peak",
        "median_s": None,
        "peak_mb": None,
    }
    if out.returncode != 0:
        print(out.stderr[-2000:], file=sys.stderr)
        return row
    res = json.loads(out.stdout.strip().splitlines()[-1])
    row.update(median_s=res["aggregations_s"], peak_mb=res["peak_mb"], load_s=res["load_s"])
    print(_line(row), f"(loading and checks: {res['load_s']:.1f} s more)", flush=True)
    return row


def table(rows: list[dict]) -> str:
    lines = [
        "| case | ours (median s) | peak MB | R (median s) | R / ours | floor s | ours / floor | target |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        lines.append(
            f"| {r['case']} | {_fmt(r['median_s'])} | {_fmt(r['peak_mb'])} | "
            f"{_fmt(r.get('r_median_s')) or ('no R' if 'r_median_s' in r else '')} | "
            f"{_fmt(r.get('r_over_ours'))} | {_fmt(r.get('floor_s'))} | "
            f"{_fmt(r.get('ours_over_floor'))} | {r['target']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="only the in-process cases (skip the runner, 10M-transaction and 200k-study cases)",
    )
    args = parser.parse_args(argv)
    r_available = shutil.which("Rscript") is not None
    print("R:", "found" if r_available else "not installed: ratios against R are skipped")
    with tempfile.TemporaryDirectory() as tmp:
        rows = cases(args.repeat, Path(tmp))
        from pls import pls_cases  # PLS-SEM (bench/pls.py)

        rows.extend(pls_cases(args.repeat, measure, on_row=lambda r: print(_line(r), flush=True)))
        from ordinal import ordinal_cases  # WLSMV ordinal CFA (bench/ordinal.py)

        rows.extend(
            ordinal_cases(
                args.repeat,
                measure,
                r_time,
                Path(tmp),
                on_row=lambda r: print(_line(r), flush=True),
            )
        )
        from segmentation import segmentation_cases  # LPA + k-means (bench/segmentation.py)

        rows.extend(
            segmentation_cases(
                args.repeat,
                measure,
                r_time=r_time,
                quick=args.quick,
                on_row=lambda r: print(_line(r), flush=True),
            )
        )
        from imputation import imputation_cases  # chained equations (bench/imputation.py)

        rows.extend(
            imputation_cases(args.repeat, measure, on_row=lambda r: print(_line(r), flush=True))
        )
        from missing import missing_cases  # multiple imputation (bench/missing.py)

        rows.extend(
            missing_cases(args.repeat, measure, on_row=lambda r: print(_line(r), flush=True))
        )
        if not args.quick:
            from points import points_case  # points ledger (bench/points.py)

            rows.append(points_case(Path(tmp)))
            rows.extend(runner_cases(Path(tmp), min(args.repeat, 3)))
            rows.append(member_case(Path(tmp)))
            from large_samples import large_sample_cases

            rows.extend(large_sample_cases(Path(tmp)))
    meta = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "r_available": r_available,
        "repeat": args.repeat,
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    (ROOT / "bench" / "results.json").write_text(
        json.dumps({"meta": meta, "cases": rows}, indent=2), encoding="utf-8"
    )
    md = table(rows)
    (ROOT / "bench" / "results.md").write_text(md + "\n", encoding="utf-8")
    print()
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
