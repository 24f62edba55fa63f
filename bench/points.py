"""Bench of the points-programme core: 400,000 members, ~10 million ledger rows (issue 19).

Usage: ``python bench/points.py [PARQUET_PATH]`` (default: a temporary file). Generates a
ledger with DuckDB (not timed): 7.3 million earn rows of 400,000 members over 2022-2024; a
third of the earnings are redeemed after an exponential delay (mean 90 days) unless it
reaches the 365-day expiry, a tenth of the rest expire at 365 days (each outflow pays for its
own earning, so balances never go negative). Then times

- ``load``: :func:`read_points_ledger` (reading the Parquet file and every check, the
  per-day balance check included);
- ``kpis``: :func:`ledger_kpis` by month;
- ``triangle``: :func:`redemption_triangle` by quarter (FIFO allocation in DuckDB);
- ``chain_ladder``: :func:`chain_ladder` with 1,000 ODP bootstrap resamples;

and prints one JSON line with the seconds (wall, and CPU seconds of all threads for the
aggregations: on a shared machine the wall time also counts waiting), the rows and members,
and this process's peak
resident memory (VmHWM, which counts DuckDB's native buffers). Target (issue 19): KPIs +
triangle + chain ladder under 30 s and 4 GB on 2 cores.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workbench.behaviour.breakage import chain_ladder, redemption_triangle
from workbench.behaviour.points import ledger_kpis, read_points_ledger

N_MEMBERS = 400_000
N_EARN = 7_300_000


def write_ledger(path: str) -> None:
    con = duckdb.connect()
    con.execute("SELECT setseed(0.19)")
    con.execute(
        f"""CREATE TABLE earn AS SELECT
          'P' || lpad(CAST(CAST(floor({N_MEMBERS} * random()) AS BIGINT) AS VARCHAR), 7, '0')
            AS member_id,
          DATE '2022-01-01' + CAST(floor(random() * 1095) AS INTEGER) AS date,
          10.0 * (1 + floor(random() * 50)) AS points,
          random() AS u, CAST(floor(-ln(1 - random()) * 90) AS INTEGER) AS delay
        FROM range({N_EARN})"""
    )
    con.execute(
        f"""COPY (
          SELECT member_id, date, 'earn' AS type, points FROM earn
          UNION ALL
          SELECT member_id, date + delay, 'redeem', points FROM earn
            WHERE u < 0.33 AND delay < 365 AND date + delay <= DATE '2024-12-31'
          UNION ALL
          SELECT member_id, date + 365, 'expire', points FROM earn
            WHERE (u >= 0.33 AND u < 0.43 OR u < 0.33 AND delay >= 365)
              AND date + 365 <= DATE '2024-12-31'
        ) TO '{path}' (FORMAT parquet)"""
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = sys.argv[1] if len(sys.argv) > 1 else str(Path(tmp) / "ledger10m.parquet")
        write_ledger(path)
        t0 = time.perf_counter()
        led = read_points_ledger(path)
        t1, c1 = time.perf_counter(), time.process_time()
        ledger_kpis(led, period="month")
        t2 = time.perf_counter()
        tri = redemption_triangle(led, period="quarter")
        t3 = time.perf_counter()
        res = chain_ladder(tri, n_boot=1000)
        t4, c4 = time.perf_counter(), time.process_time()
        with open("/proc/self/status") as fh:
            peak_kb = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM"))
        print(
            json.dumps(
                {
                    "load_s": t1 - t0,
                    "kpis_s": t2 - t1,
                    "triangle_s": t3 - t2,
                    "chain_ladder_s": t4 - t3,
                    "aggregations_s": t4 - t1,
                    "aggregations_cpu_s": c4 - c1,
                    "peak_mb": peak_kb / 1024,
                    "rows": led.n_rows,
                    "members": led.n_members,
                    "ultimate_rate": res.ultimate_rate,
                }
            )
        )


def points_case(tmp: Path) -> dict:
    """The bench row for bench/run.py: this script in a child process (so that its peak
    memory counts DuckDB's native buffers)."""
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), str(tmp / "ledger10m.parquet")],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    row = {
        "case": "points ledger KPIs + FIFO triangle + chain ladder (1,000 ODP resamples), "
        "10M rows / 400,000 members (DuckDB)",
        "target": "< 30 s on 2 cores, < 4 GB peak",
        "median_s": None,
        "peak_mb": None,
    }
    if out.returncode != 0:
        print(out.stderr[-2000:], file=sys.stderr)
        return row
    res = json.loads(out.stdout.strip().splitlines()[-1])
    row.update(median_s=res["aggregations_s"], peak_mb=res["peak_mb"], load_s=res["load_s"])
    print(
        f"{row['case']}: ours {res['aggregations_s']:.3g} s; peak {res['peak_mb']:.3g} MB "
        f"(reading and checks: {res['load_s']:.1f} s more)",
        flush=True,
    )
    return row


if __name__ == "__main__":
    main()
