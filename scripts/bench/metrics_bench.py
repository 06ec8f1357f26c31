"""import → MRR → movements → KPIs → cohorts: revlens against DuckDB SQL and pandas.

Semantics shared by all three (DESIGN.md, invoices without service periods, monthly
interval): a customer's MRR in a month is the sum of its charges dated in that month
(refunds never move MRR); movements compare each customer's month with the one before;
cohorts group customers by their first month with MRR; logo retention at offset k is the
share of the cohort with MRR k months later, revenue retention its MRR over the MRR at 0.
Money is summed in integer cents everywhere, so totals must match exactly.
"""

import argparse
import csv
import io
import os
import shutil
import sys

from benchlib import cache_file, run

DUCKDB = r"""
import duckdb, sys, time
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
t0 = time.perf_counter()
con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [sys.argv[1]])
t1 = time.perf_counter()
con.execute('''CREATE TABLE cm AS
  SELECT customer_id, CAST(date_trunc('month', date) AS DATE) AS month,
         CAST(SUM(CAST(round(amount * 100) AS BIGINT)) AS BIGINT) AS cents
  FROM t WHERE type = 'charge' GROUP BY ALL''')
con.execute('''CREATE TABLE mv AS
  WITH x AS (
    SELECT *, lag(month) OVER w AS prev_month, lag(cents) OVER w AS prev_cents,
              lead(month) OVER w AS next_month, row_number() OVER w AS n
    FROM cm WINDOW w AS (PARTITION BY customer_id ORDER BY month)),
  last AS (SELECT max(month) AS m FROM cm),
  rows AS (
    SELECT month, cents AS mrr, 1 AS customers,
      CASE WHEN n = 1 THEN cents ELSE 0 END AS new,
      CASE WHEN n > 1 AND prev_month < month - INTERVAL 1 MONTH THEN cents ELSE 0 END AS reactivation,
      CASE WHEN prev_month = month - INTERVAL 1 MONTH AND cents > prev_cents THEN cents - prev_cents ELSE 0 END AS expansion,
      CASE WHEN prev_month = month - INTERVAL 1 MONTH AND cents < prev_cents THEN prev_cents - cents ELSE 0 END AS contraction,
      0 AS churn
    FROM x
    UNION ALL
    SELECT CAST(month + INTERVAL 1 MONTH AS DATE), 0, 0, 0, 0, 0, 0, cents
    FROM x, last
    WHERE (next_month IS NULL OR next_month > month + INTERVAL 1 MONTH) AND month < last.m)
  SELECT month, CAST(sum(mrr) AS BIGINT) AS mrr, CAST(sum(customers) AS BIGINT) AS customers,
         CAST(sum(new) AS BIGINT) AS new, CAST(sum(expansion) AS BIGINT) AS expansion,
         CAST(sum(contraction) AS BIGINT) AS contraction, CAST(sum(churn) AS BIGINT) AS churn,
         CAST(sum(reactivation) AS BIGINT) AS reactivation
  FROM rows GROUP BY month ORDER BY month''')
t2 = time.perf_counter()
con.execute('''CREATE TABLE kpi AS
  SELECT month, mrr / customers AS arpa,
         churn_logos / lag(customers) OVER (ORDER BY month) AS logo_churn_rate
  FROM (SELECT m.*, (SELECT count(*) FROM cm a WHERE a.month = m.month - INTERVAL 1 MONTH
          AND NOT EXISTS (SELECT 1 FROM cm b WHERE b.customer_id = a.customer_id AND b.month = m.month))
          AS churn_logos FROM mv m)''')
t3 = time.perf_counter()
con.execute('''CREATE TABLE cohorts AS
  WITH first AS (SELECT customer_id, min(month) AS cohort FROM cm GROUP BY ALL)
  SELECT cohort, datediff('month', cohort, month) AS k, count(*) AS logos, sum(cents) AS cents
  FROM cm JOIN first USING (customer_id) GROUP BY ALL''')
t4 = time.perf_counter()
mrr, new, churn = con.execute("SELECT sum(mrr), sum(new), sum(churn) FROM mv").fetchone()
size = con.execute("SELECT sum(logos) FROM cohorts WHERE k = 0").fetchone()[0]
print(f"{t1-t0} {t2-t1} {t3-t2} {t4-t3} {int(mrr)} {int(new)} {int(churn)} {int(size)}")
"""

PANDAS = r"""
import pandas as pd, sys, time
t0 = time.perf_counter()
t = pd.read_csv(sys.argv[1], dtype={"customer_id": str, "invoice_id": str}, parse_dates=["date"])
t1 = time.perf_counter()
t = t[t["type"] == "charge"]
t["cents"] = (t["amount"] * 100).round().astype("int64")
t["month"] = t["date"].dt.to_period("M")
cm = t.groupby(["customer_id", "month"], sort=True)["cents"].sum().reset_index()
g = cm.groupby("customer_id", sort=False)
cm["prev_month"] = g["month"].shift()
cm["prev_cents"] = g["cents"].shift()
cm["next_month"] = g["month"].shift(-1)
first = cm["prev_month"].isna()
step = ~first & (cm["prev_month"] == cm["month"] - 1)
cm["new"] = cm["cents"].where(first, 0)
cm["reactivation"] = cm["cents"].where(~first & ~step, 0)
diff = (cm["cents"] - cm["prev_cents"]).where(step, 0).fillna(0)
cm["expansion"] = diff.clip(lower=0)
cm["contraction"] = (-diff).clip(lower=0)
last = cm["month"].max()
gone = (cm["next_month"].isna() | (cm["next_month"] != cm["month"] + 1)) & (cm["month"] < last)
churn = cm[gone].assign(month=lambda d: d["month"] + 1).groupby("month")["cents"].sum()
mv = cm.groupby("month").agg(mrr=("cents", "sum"), customers=("cents", "size"), new=("new", "sum"),
                             expansion=("expansion", "sum"), contraction=("contraction", "sum"),
                             reactivation=("reactivation", "sum"))
mv["churn"] = churn.reindex(mv.index, fill_value=0)
t2 = time.perf_counter()
mv["arpa"] = mv["mrr"] / mv["customers"]
t3 = time.perf_counter()
cm["cohort"] = cm.groupby("customer_id")["month"].transform("min")
cm["k"] = (cm["month"] - cm["cohort"]).apply(lambda d: d.n)
cohorts = cm.groupby(["cohort", "k"]).agg(logos=("cents", "size"), cents=("cents", "sum"))
t4 = time.perf_counter()
size = int(cohorts.xs(0, level="k")["logos"].sum())
print(f"{t1-t0} {t2-t1} {t3-t2} {t4-t3} {int(mv['mrr'].sum())} {int(mv['new'].sum())} {int(mv['churn'].sum())} {size}")
"""


def cents(text):
    units, _, frac = text.partition(".")
    sign = -1 if units.startswith("-") else 1
    return sign * (abs(int(units)) * 100 + int((frac + "00")[:2]))


def ours(revlens, csv_path, work):
    home = os.path.join(work, "metrics-home")
    shutil.rmtree(home, ignore_errors=True)
    base = [revlens, "--home", home]
    data = ["--dataset", "bench", "--kind", "transactions", "--format", "csv"]
    steps = {}
    steps["import"], _, peak_import = run(base + ["import", csv_path, "--kind", "transactions", "--name", "bench"])
    steps["mrr + movements"], mrr_csv, peak_mrr = run(base + ["metrics", "mrr"] + data)
    steps["kpis"], _, peak_kpis = run(base + ["metrics", "kpis"] + data)
    steps["cohorts"], cohort_csv, peak_cohorts = run(base + ["metrics", "cohorts"] + data)
    # Warm recompute: a parameter the cache has not seen, on the imported dataset.
    warm, _, _ = run(base + ["metrics", "mrr"] + data + ["--gross-margin", "80"])
    rows = list(csv.DictReader(io.StringIO(mrr_csv)))
    totals = (
        sum(cents(r["mrr"]) for r in rows),
        sum(cents(r["new"]) for r in rows),
        sum(cents(r["churn"]) for r in rows),
        sum(int(r["size"]) for r in csv.DictReader(io.StringIO(cohort_csv))),
    )
    return steps, max(peak_import, peak_mrr, peak_kpis, peak_cohorts), warm, totals


def peer(code, csv_path):
    wall, out, peak = run([sys.executable, "-c", code, csv_path])
    parts = out.strip().splitlines()[-1].split()
    names = ["import", "mrr + movements", "kpis", "cohorts"]
    steps = dict(zip(names, (float(p) for p in parts[:4])))
    return steps, peak, tuple(int(p) for p in parts[4:])


def main():
    args = argparse.ArgumentParser()
    args.add_argument("--revlens", required=True)
    args.add_argument("--csv", required=True)
    args.add_argument("--work", required=True)
    a = args.parse_args()

    cache_file(a.csv)
    results = {}
    steps, peak, warm, totals = ours(a.revlens, a.csv, a.work)
    results["revlens"] = (steps, peak, totals)
    for name, code in (("duckdb", DUCKDB), ("pandas", PANDAS)):
        results[name] = peer(code, a.csv)

    print(f"\nfile: {a.csv} ({os.path.getsize(a.csv) / 1e6:,.1f} MB)")
    names = ["import", "mrr + movements", "kpis", "cohorts"]
    print(f"{'step':<18}" + "".join(f"{n:>12}" for n in results))
    for step in names:
        print(f"{step:<18}" + "".join(f"{r[0][step]:>11.2f}s" for r in results.values()))
    total = {n: sum(r[0].values()) for n, r in results.items()}
    print(f"{'end to end':<18}" + "".join(f"{total[n]:>11.2f}s" for n in results))
    print(f"{'peak memory':<18}" + "".join(f"{r[1]:>10.0f}MB" for r in results.values()))
    print(f"{'× DuckDB':<18}" + "".join(f"{total[n] / total['duckdb']:>12.2f}" for n in results))
    print(f"\nwarm recompute of the MRR table on the imported dataset: {warm:.2f}s (target < 0.3 s)")
    print(f"targets: end to end ≤ 0.8× DuckDB (now {total['revlens'] / total['duckdb']:.2f}×), "
          f"peak memory ≤ DuckDB's (now {results['revlens'][1]:.0f} MB vs {results['duckdb'][1]:.0f} MB)")

    ok = all(r[2] == results["revlens"][2] for r in results.values())
    print("totals (MRR, new, churn in cents; cohort sizes): "
          + ", ".join(f"{n} {r[2]}" for n, r in results.items()))
    if not ok:
        sys.exit("totals differ between the implementations")
    print("totals agree")


if __name__ == "__main__":
    main()
