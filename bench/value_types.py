"""Random access by value type: ``python bench/value_types.py [--n N]``.

The suite's Dict case maps names to their line numbers (random ints) and its
List cases hold ints and strings; this script covers the other value types a
user stores, side by side with Python's dict and list in one process:

* ``bale.Dict`` of N names (npm names shuffled, or made-up names without the
  data folder) -> values of each kind: ``d[k]`` with fresh key objects (best
  of 3 passes over 20,000 random keys) and ``nbytes`` per entry;
* ``bale.List`` of N values of each kind: random ``xs[i]`` and ``nbytes`` per
  element right after building.

Figures are printed as a markdown table; nothing is asserted.  Times are CPU
bound and single-threaded; run it on a quiet machine.
"""
from __future__ import annotations

import argparse
import lzma
import os
import random
import time
from pathlib import Path

import bale

KINDS = {
    "int counter": lambda i, r: i,
    "int random": lambda i, r: r.randrange(1 << 40),
    "int timestamp (ms, jittered)": lambda i, r: 1_700_000_000_000 + i * 1000 + r.randrange(1000),
    "float random": lambda i, r: r.random(),
    "float price (2 decimals)": lambda i, r: round(r.random() * 100, 2),
    "float counter": lambda i, r: float(i),
    "bool": lambda i, r: i % 3 == 0,
    "str (12 chars)": lambda i, r: "v%010d" % r.randrange(10**10),
    "object (tuple)": lambda i, r: (i, "x"),
}


def names(n: int, data: Path) -> list[str]:
    path = data / "npm-names.txt.xz"
    if path.exists():
        with lzma.open(path, "rt") as f:
            out = f.read().split("\n")[:-1]
        random.Random(42).shuffle(out)
        return out[:n]
    r = random.Random(42)
    return ["pkg-%s-%d" % ("".join(r.choice("abcdefghij") for _ in range(8)), i) for i in range(n)]


def best_per_op(fn, items, repeats=3) -> float:
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn(items)
        best = min(best, (time.perf_counter() - t) / len(items))
    return best * 1e9


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--data", default=os.environ.get("BALE_DATA_DIR",
                                                     str(Path(__file__).resolve().parents[1].parent / "shared" / "data")))
    a = ap.parse_args()
    keys = names(a.n, Path(a.data))
    n = len(keys)
    probe_keys = [(k + ".")[:-1] for k in random.Random(1).sample(keys, 20_000)]  # fresh str objects
    ri = random.Random(2)
    probe_idx = [ri.randrange(n) for _ in range(20_000)]

    def get_all(obj):
        return lambda ks: [obj[k] for k in ks]

    print(f"# value types, n = {n:,}, bale {bale.__version__}\n")
    print("| values | Dict d[k] ns | dict d[k] ns | Dict B/entry | List xs[i] ns | list xs[i] ns | List B/elem |")
    print("|---|---|---|---|---|---|---|")
    for name, f in KINDS.items():
        r = random.Random(3)
        vals = [f(i, r) for i in range(n)]
        d = bale.Dict(zip(keys, vals))
        pd = dict(zip(keys, vals))
        dict_b = d.nbytes / n
        xs = bale.List(vals)
        list_b = xs.nbytes / n
        row = (name, best_per_op(get_all(d), probe_keys), best_per_op(get_all(pd), probe_keys), dict_b,
               best_per_op(get_all(xs), probe_idx), best_per_op(get_all(vals), probe_idx), list_b)
        print("| %s | %.0f | %.0f | %.2f | %.0f | %.0f | %.2f |" % row, flush=True)
        del d, pd, xs, vals


if __name__ == "__main__":
    main()
