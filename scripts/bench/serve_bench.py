"""Times the app's dashboard through `revlens serve` on a large dataset (issue: a filter
change to the updated dashboard < 200 ms at 1M rows).

Usage: serve_bench.py REVLENS_BIN TRANSACTIONS_CSV WORK_DIR
Imports the transactions and a customers file (segment and country per customer, made
here), then times `revenue_dashboard` calls over HTTP: the first (the model is built),
the same again, each filter change, and a date-range change. Each figure is the median
of 5 calls after the first unless it says "first"."""

import csv
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request

SEGMENTS = ["SMB", "Mid-market", "Enterprise"]
COUNTRIES = ["US", "DE", "FR", "GB", "JP"]


def customers_file(transactions, out):
    if os.path.exists(out):
        return
    ids = set()
    with open(transactions, newline="") as f:
        for row in csv.DictReader(f):
            ids.add(row["customer_id"])
    with open(out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["customer_id", "segment", "country"])
        for i, cid in enumerate(sorted(ids)):
            w.writerow([cid, SEGMENTS[i % 3], COUNTRIES[i % 5]])


class Server:
    def __init__(self, binary, home, ui_dir):
        self.proc = subprocess.Popen(
            [binary, "serve", "--port", "0", "--home", home, "--ui-dir", ui_dir],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if "http://" not in line:
            sys.exit(f"revlens serve did not start: {line}{self.proc.stderr.read()}")
        self.base = line.split("http://")[1].split("/")[0]

    def call(self, command, args):
        request = urllib.request.Request(
            f"http://{self.base}/api/call/{command}", data=json.dumps(args).encode(),
            headers={"content-type": "application/json", "x-revlens": "1"})
        start = time.perf_counter()
        with urllib.request.urlopen(request, timeout=600) as response:
            body = json.load(response)
        return time.perf_counter() - start, body

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def main():
    binary, transactions, work = sys.argv[1:4]
    customers = os.path.join(work, "bench-customers.csv")
    customers_file(transactions, customers)
    home = os.path.join(work, "serve-home")
    subprocess.run(["rm", "-rf", home], check=True)
    ui_dir = os.path.join(work, "empty-ui")
    os.makedirs(ui_dir, exist_ok=True)
    open(os.path.join(ui_dir, "index.html"), "w").write("<!doctype html>")
    server = Server(binary, home, ui_dir)
    try:
        _, ws = server.call("create_workspace", {"name": "Bench"})
        ws = ws["id"]
        t, _ = server.call("import_file", {"workspace": ws, "path": transactions, "kind": "transactions", "job": "t"})
        print(f"import transactions: {t:.2f} s")
        t, _ = server.call("import_file", {"workspace": ws, "path": customers, "kind": "customers", "job": "c"})
        print(f"import customers:    {t:.2f} s")

        def dashboard(filters):
            return server.call("revenue_dashboard", {"workspace": ws, "filters": filters})

        first, body = dashboard({})
        months = body["months"]
        print(f"dashboard, first (model built):        {first * 1000:8.0f} ms")

        def timed(label, filters):
            first, _ = dashboard(filters)
            again = statistics.median(dashboard(filters)[0] for _ in range(5))
            print(f"{label:<40} {first * 1000:8.0f} ms first, {again * 1000:6.0f} ms again")
            return first

        changes = [
            timed("dashboard, no filter", {}),
            timed("filter change: segment=Enterprise", {"segment": "Enterprise"}),
            timed("filter change: segment=SMB, country=DE", {"segment": "SMB", "country": "DE"}),
            timed("filter change: last 12 months", {"from": months[-12], "to": months[-1]}),
            timed("filter change: segment=SMB, 12 months", {"segment": "SMB", "from": months[-12]}),
        ]
        worst = max(changes[1:])
        print(f"slowest filter change: {worst * 1000:.0f} ms (target < 200 ms)")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
