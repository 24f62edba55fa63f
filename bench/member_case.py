"""Child process of bench/run.py: KPIs + cohorts + RFM on 10 million transactions.

Usage: python bench/member_case.py PARQUET_PATH. Generates the file with DuckDB (not timed),
times loading and the aggregations, and prints one JSON line with the seconds and this
process's own peak resident memory (VmHWM, which counts DuckDB's native buffers).
"""

import json
import sys
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workbench.behaviour.transactions import (
    cohort_retention,
    kpi_panel,
    load_transactions,
    rfm_scores,
    rfm_segment_summary,
    rfm_segments,
)

path = sys.argv[1]
duckdb.sql(
    "COPY (SELECT 'M' || lpad(CAST(CAST(floor(1000000 * pow(random(), 1.3)) AS BIGINT) "
    "AS VARCHAR), 7, '0') AS member_id, DATE '2022-01-01' + CAST(floor(random() * 1095) "
    "AS INTEGER) AS date, round(5 + random() * 95, 2) AS amount FROM range(10000000) t(i)) "
    f"TO '{path}' (FORMAT parquet)"
)
t0 = time.perf_counter()
tx = load_transactions(path)
t1 = time.perf_counter()
kpi_panel(tx)
cohort_retention(tx)
rfm_segment_summary(rfm_segments(rfm_scores(tx)))
t2 = time.perf_counter()
with open("/proc/self/status") as fh:
    peak_kb = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM"))
print(
    json.dumps(
        {
            "load_s": t1 - t0,
            "aggregations_s": t2 - t1,
            "peak_mb": peak_kb / 1024,
            "members": tx.n_members,
            "rows": tx.n_rows,
        }
    )
)
