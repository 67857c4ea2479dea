#!/usr/bin/env python3
"""Runs every test of a meson build directory under valgrind memcheck.

    valgrind_tests.py BUILDDIR [--budget SECONDS] [--jobs N] [NAME...]

Each test executable (from `meson introspect --tests`, all suites, or only
the NAMEs given) runs under memcheck with --exit-on-first-error, so the first
invalid access or use of an uninitialised value ends it with an error at
once, and leaks (definite and indirect) fail it at exit.  A test that needs
more than the budget under valgrind (about 30x slower than native) is
stopped and reported as "partial": memcheck found nothing in the part it
ran, but its leak check did not run.  Exit status 1 if any test failed.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import subprocess
import sys
import time

VALGRIND = [
    "valgrind", "--quiet", "--error-exitcode=1", "--exit-on-first-error=yes",
    "--leak-check=full", "--errors-for-leak-kinds=definite,indirect",
    "--show-leak-kinds=definite,indirect",
]


def run(test: dict, budget: float, logdir: str) -> tuple[str, str, float, str]:
    name = test["name"]
    log = os.path.join(logdir, f"valgrind-{name}.log")
    env = dict(os.environ)
    env.update(test.get("env") or {})
    t0 = time.monotonic()
    with open(log, "w") as out:
        try:
            proc = subprocess.run(
                VALGRIND + test["cmd"], cwd=test.get("workdir") or None, env=env,
                stdout=out, stderr=subprocess.STDOUT, timeout=budget,
                stdin=subprocess.DEVNULL,
            )
            status = "ok" if proc.returncode == 0 else f"FAIL (exit {proc.returncode})"
        except subprocess.TimeoutExpired:
            status = f"partial (stopped after {budget:.0f}s, no error so far)"
    return name, status, time.monotonic() - t0, log


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("builddir")
    ap.add_argument("names", nargs="*")
    ap.add_argument("--budget", type=float, default=float(os.environ.get("BALE_VALGRIND_BUDGET", 120)))
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()

    meson = os.path.join(os.path.dirname(sys.executable), "meson")
    if not os.path.exists(meson):
        meson = "meson"
    tests = json.loads(subprocess.check_output([meson, "introspect", "--tests", args.builddir]))
    if args.names:
        tests = [t for t in tests if t["name"] in args.names]
    logdir = os.path.join(args.builddir, "meson-logs")
    failed = 0
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        futures = [pool.submit(run, t, args.budget, logdir) for t in tests]
        for f in concurrent.futures.as_completed(futures):
            name, status, secs, log = f.result()
            print(f"    valgrind {name:<16} {status:<12} {secs:6.1f}s", flush=True)
            if status.startswith("FAIL"):
                failed += 1
                with open(log) as fh:
                    lines = fh.read().splitlines()
                print("\n".join("        " + s for s in lines[-40:]), flush=True)
    print(f"    valgrind: {len(tests) - failed} of {len(tests)} tests without errors")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
