"""Runs each importer as a child process and reports time, throughput and peak memory.

Peak memory is the child's maximum resident set size (os.wait4), so every tool is
measured the same way. DuckDB and pandas report the time of their read alone (without
interpreter start-up); RevLens's time is its whole process: parse, validate, hash, copy
the original, write Parquet, commit.
"""

import argparse
import json
import os
import shutil
import sys

from benchlib import cache_file, run

PEERS = {
    "duckdb read_csv": (
        "import duckdb, sys, time\n"
        "con = duckdb.connect()\n"
        "con.execute('SET enable_progress_bar = false')\n"
        "t = time.perf_counter()\n"
        "con.execute(\"CREATE TABLE t AS SELECT * FROM read_csv(?)\", [sys.argv[1]])\n"
        "n = con.execute('SELECT count(*) FROM t').fetchone()[0]\n"
        "print(time.perf_counter() - t, n)\n"
    ),
    "pandas read_csv": (
        "import pandas, sys, time\n"
        "t = time.perf_counter()\n"
        "df = pandas.read_csv(sys.argv[1], dtype={'customer_id': str, 'invoice_id': str})\n"
        "print(time.perf_counter() - t, len(df))\n"
    ),
}


def main():
    args = argparse.ArgumentParser()
    args.add_argument("--revlens", required=True)
    args.add_argument("--csv", required=True)
    args.add_argument("--rows", type=int, required=True)
    args.add_argument("--work", required=True)
    args.add_argument("--repeat", type=int, default=1)
    a = args.parse_args()
    size_mb = os.path.getsize(a.csv) / 1e6
    cache_file(a.csv)
    results = {}

    for _ in range(a.repeat):
        home = os.path.join(a.work, "revlens-home")
        shutil.rmtree(home, ignore_errors=True)
        wall, out, peak = run([a.revlens, "--home", home, "import", a.csv, "--kind", "transactions", "--format", "json"])
        rows = json.loads(out)["rows"]
        if rows != a.rows:
            sys.exit(f"revlens imported {rows} rows, expected {a.rows}")
        best = results.get("revlens import")
        if best is None or wall < best[0]:
            results["revlens import"] = (wall, peak)
        for name, code in PEERS.items():
            _, out, peak = run([sys.executable, "-c", code, a.csv])
            seconds, rows = out.strip().splitlines()[-1].split()
            if int(rows) != a.rows:
                sys.exit(f"{name} read {rows} rows, expected {a.rows}")
            best = results.get(name)
            if best is None or float(seconds) < best[0]:
                results[name] = (float(seconds), peak)

    duck = results["duckdb read_csv"][0]
    print(f"\nfile: {a.rows:,} rows, {size_mb:,.1f} MB ({a.csv}); best of {a.repeat}")
    print(f"{'tool':<18}{'seconds':>9}{'MB/s':>9}{'rows/s':>13}{'peak MB':>10}{'× DuckDB':>10}")
    for name, (seconds, peak) in results.items():
        print(
            f"{name:<18}{seconds:>9.2f}{size_mb / seconds:>9.1f}{a.rows / seconds:>13,.0f}"
            f"{peak:>10.0f}{seconds / duck:>10.2f}"
        )
    ours, peak = results["revlens import"]
    print(f"\ntargets: import ≤ 1.2× DuckDB's time (now {ours / duck:.2f}×); "
          f"peak memory ≤ file size (now {peak:.0f} MB of {size_mb:.0f} MB)")


if __name__ == "__main__":
    main()
