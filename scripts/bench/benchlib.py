"""What the bench scripts share: running a child process and measuring it."""

import os
import subprocess
import sys
import time


def cache_file(path):
    """Reads the file once, so that every tool finds it in the page cache: otherwise the one
    timed first (RevLens) pays for reading it from disk after anything evicted it."""
    with open(path, "rb") as f:
        while f.read(1 << 24):
            pass


def run(argv):
    """Runs argv; returns (wall seconds, stdout, peak RSS of the child in MB)."""
    start = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = child.stdout.read()
    err = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(argv[:3])} failed: {err.decode(errors='replace')}")
    return wall, out.decode(), usage.ru_maxrss / 1024
