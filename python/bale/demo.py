"""``python -m bale demo``: the same real data as Python list/dict and as
bale.List/bale.Dict, side by side, then what each of bale's four rules buys.

Runs on the small sample shipped in ``bale/data`` (100,000 npm package names,
200,000 flights), or on the full files with ``--data DIR`` (a folder holding
``npm-names.txt.xz`` and ``flights-3m.csv.xz``).  ``--plot FILE.png`` writes a
chart (needs matplotlib: ``pip install 'bale[plot]'``).

Memory: bale containers are measured with the library's own accounting: the
growth of ``bale.memory()["live"]`` (the bytes the C library holds) from before
the build to after the timed operations, so caches are included; Python containers with theirs: sys.getsizeof of the list or dict
plus that of every element object it holds (CPython's shared singletons, small
ints and 1-character strings, not counted).
"""
from __future__ import annotations

import argparse
import datetime as _dt
import gc
import lzma
import random
import sys
import threading
import time
from array import array
from pathlib import Path

SEED = 20261123
DATA = Path(__file__).resolve().parent / "data"
SAMPLE = {"npm": DATA / "npm-names-100k.txt.xz", "flights": DATA / "flights-200k.csv.xz"}
FULL = {"npm": "npm-names.txt.xz", "flights": "flights-3m.csv.xz"}


# --------------------------------------------------------------------------- output helpers

class Step:
    """Prints progress for steps that take more than a second."""

    def __init__(self, label: str, out=sys.stdout):
        self.label = label
        self.out = out
        self._stop = threading.Event()
        self._shown = False
        self._tty = hasattr(out, "isatty") and out.isatty()

    def _tick(self):
        if self._stop.wait(1.0):
            return
        self._shown = True
        if not self._tty:
            print(f"  {self.label} ...", file=self.out, flush=True)
            return
        while not self._stop.is_set():
            print(f"\r  {self.label} ... {time.perf_counter() - self.t0:.0f} s", end="", file=self.out, flush=True)
            self._stop.wait(0.5)

    def __enter__(self):
        self.t0 = time.perf_counter()
        self._th = threading.Thread(target=self._tick, daemon=True)
        self._th.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._th.join()
        dt = time.perf_counter() - self.t0
        if self._shown:
            pre = "\r" if self._tty else ""
            print(f"{pre}  {self.label}: done in {dt:.1f} s   ", file=self.out, flush=True)
        return False


def mb(n: float) -> str:
    if n >= 10 * 2**20:
        return f"{n / 2**20:,.0f} MB"
    if n >= 2**20:
        return f"{n / 2**20:.1f} MB"
    return f"{n / 2**10:,.0f} kB"


def ns(s: float) -> str:
    v = s * 1e9
    if v >= 10_000:
        return f"{v / 1000:,.0f} us"
    if v >= 1000:
        return f"{v / 1000:.1f} us"
    return f"{v:.0f} ns"


def secs(s: float) -> str:
    return f"{s:.2f} s" if s >= 0.1 else f"{s * 1000:.0f} ms"


def best_of(fn, repeats=3) -> float:
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


# --------------------------------------------------------------------------- data

class Strings:
    """Strings in compact form (one UTF-8 blob + offsets); yields fresh str objects."""

    def __init__(self, strings):
        self.off = array("q", [0])
        parts = []
        pos = 0
        for s in strings:
            b = s.encode("utf-8")
            parts.append(b)
            pos += len(b)
            self.off.append(pos)
        self.blob = b"".join(parts)
        self.n = len(self.off) - 1

    def __len__(self):
        return self.n

    def __iter__(self):
        blob, off = self.blob, self.off
        for i in range(self.n):
            yield blob[off[i]:off[i + 1]].decode("utf-8")

    def fresh(self, indices):
        blob, off = self.blob, self.off
        return [blob[off[i]:off[i + 1]].decode("utf-8") for i in indices]


class Data:
    def __init__(self, names: Strings, lineno: array, distance: array, date: array, origin: Strings, source: str):
        self.names, self.lineno, self.distance, self.date, self.origin = names, lineno, distance, date, origin
        self.source = source


def load(data_dir: Path | None) -> Data:
    if data_dir is None:
        paths, source = SAMPLE, "the sample shipped with bale (100,000 npm names, 200,000 flights)"
    else:
        paths = {k: Path(data_dir) / v for k, v in FULL.items()}
        for p in paths.values():
            if not p.exists():
                raise SystemExit(f"{p} not found (--data expects a folder with {', '.join(FULL.values())})")
        source = f"the full files in {data_dir}"
    with Step("reading npm names"):
        with lzma.open(paths["npm"], "rt", encoding="utf-8", newline="\n") as f:
            names = f.read().split("\n")
        if names and names[-1] == "":
            names.pop()
        # the value of each name is its line number; insert in shuffled order (fixed seed)
        order = list(range(len(names)))
        random.Random(SEED).shuffle(order)
        shuffled = Strings(names[i] for i in order)
        lineno = array("q", order)
        del names, order
    with Step("reading flights"):
        distance, date = array("q"), array("q")
        origins = []
        epoch = _dt.date(1970, 1, 1).toordinal()
        days: dict[str, int] = {}
        with lzma.open(paths["flights"], "rt", encoding="ascii") as f:
            header = f.readline().strip().split(",")
            i_date, i_dist, i_orig = header.index("date"), header.index("distance"), header.index("origin")
            for line in f:
                cols = line.split(",")
                d = cols[i_date]
                day = days.get(d[:10])
                if day is None:
                    day = days[d[:10]] = (_dt.date.fromisoformat(d[:10]).toordinal() - epoch) * 1440
                date.append(day + int(d[11:13]) * 60 + int(d[14:16]))
                distance.append(int(cols[i_dist]))
                origins.append(cols[i_orig])
        origin = Strings(origins)
        del origins
    return Data(shuffled, lineno, distance, date, origin, source)


# --------------------------------------------------------------------------- measurements

def deep_sizeof(container) -> int:
    """Bytes held by a Python list or dict and its element objects, from the
    objects' own accounting (sys.getsizeof).  CPython's shared singletons
    (small ints -5..256, strings of length 0 or 1) are not counted."""
    getsizeof = sys.getsizeof
    total = getsizeof(container)
    items = container.items() if isinstance(container, dict) else ((x,) for x in container)
    for tup in items:
        for x in tup:
            if type(x) is int:
                if -5 <= x <= 256:
                    continue
            elif type(x) is str and len(x) <= 1:
                continue
            total += getsizeof(x)
    return total


def timed_build(build):
    gc.collect()
    t = time.perf_counter()
    obj = build()
    return obj, time.perf_counter() - t


def measure_list(label, make_iter, bale_mod, n, dtype, rnd: random.Random, k: int, codec="auto"):
    """Python list vs bale.List on the same fresh objects."""
    row = {"label": label, "n": n}
    idx = [rnd.randrange(n) for _ in range(k)]
    with Step(f"{label}: Python list"):
        py, row["py_build"] = timed_build(lambda: list(make_iter()))
        row["py_mem"] = deep_sizeof(py)
        row["py_iter"] = best_of(lambda: _loop(py)) / n
        row["py_get"] = per_access(py, idx)
    if bale_mod is None or not hasattr(bale_mod, "List"):
        row["bale"] = None
        del py
        return row, None
    with Step(f"{label}: bale.List"):
        live0 = bale_mod.memory()["live"]
        xs, row["bale_build"] = timed_build(lambda: bale_mod.List(make_iter(), dtype, codec=codec))
        row["bale_raw"] = getattr(xs, "raw_nbytes", None)
        row["bale_iter"] = best_of(lambda: _loop(xs)) / n
        row["bale_get"] = per_access(xs, idx)
        # what the C library holds for this list, after use (caches included)
        row["bale_mem"] = bale_mod.memory()["live"] - live0
        row["bale_nbytes"] = xs.nbytes
        sample = idx[:200]
        row["same"] = [xs[i] for i in sample] == [py[i] for i in sample] and len(xs) == len(py)
    del py
    return row, xs


def _loop(xs):
    for _ in xs:
        pass


def _get(xs, idx):
    for i in idx:
        xs[i]


def per_access(xs, idx, budget=0.4) -> float:
    """Best-of-3 time per xs[i], on as many of idx as fit in the time budget."""
    m = min(len(idx), 200)
    t = time.perf_counter()
    _get(xs, idx[:m])
    per = max((time.perf_counter() - t) / m, 1e-9)
    m = int(min(len(idx), max(m, budget / per)))
    return best_of(lambda: _get(xs, idx[:m])) / m


def measure_dict(d: Data, bale_mod, rnd: random.Random, k: int):
    names, vals = d.names, d.lineno
    n = len(names)
    row = {"label": f"dict: npm name -> line number ({n:,}, inserted shuffled)", "n": n}
    hits = [rnd.randrange(n) for _ in range(k)]

    def build_py():
        out = {}
        for key, v in zip(names, vals):
            out[key] = v
        return out

    def lookups(m, miss=False, budget=0.4):
        probe = names.fresh(hits[:200])
        t = time.perf_counter()
        for s in probe:
            s in m  # noqa: B015
        per = max((time.perf_counter() - t) / len(probe), 1e-9)
        kk = int(min(k, max(200, budget / per)))
        keys = names.fresh(hits[kk:2 * kk] if 2 * kk <= k else hits[:kk])  # fresh str objects: no cached hash
        if miss:
            keys = [s + "\x01" for s in keys]
        t = time.perf_counter()
        if miss:
            for s in keys:
                s in m  # noqa: B015
        else:
            for s in keys:
                m[s]
        return (time.perf_counter() - t) / len(keys)

    with Step("dict: Python dict"):
        py, row["py_build"] = timed_build(build_py)
        row["py_mem"] = deep_sizeof(py)
        row["py_get"] = min(lookups(py) for _ in range(3))
        row["py_miss"] = min(lookups(py, True) for _ in range(3))
        row["py_iter"] = best_of(lambda: _loop_items(py)) / n
    if bale_mod is None or not hasattr(bale_mod, "Dict"):
        row["bale"] = None
        return row, None

    def build_bale():
        out = bale_mod.Dict()
        for key, v in zip(names, vals):
            out[key] = v
        return out
    with Step("dict: bale.Dict"):
        live0 = bale_mod.memory()["live"]
        bd, row["bale_build"] = timed_build(build_bale)
        row["bale_get"] = min(lookups(bd) for _ in range(3))
        row["bale_miss"] = min(lookups(bd, True) for _ in range(3))
        row["bale_iter"] = best_of(lambda: _loop_items(bd)) / n
        row["bale_mem"] = bale_mod.memory()["live"] - live0
        row["bale_nbytes"] = bd.nbytes
        sample = names.fresh(hits[:200])
        row["same"] = all(bd[s] == py[s] for s in sample) and len(bd) == len(py)
    del py
    return row, bd


def _loop_items(m):
    for _k, _v in m.items():
        pass


# --------------------------------------------------------------------------- report

def ratio(a, b, smaller_is_better=True):
    if not a or not b:
        return "-"
    r = b / a if smaller_is_better else a / b
    return f"{r:.1f}x smaller" if r >= 1 else f"{1 / r:.1f}x larger"


def slower(py, bl):
    if not py or not bl:
        return "-"
    r = bl / py
    return f"{r:.2f}x" + (" (faster)" if r < 1 else "")


def print_table(rows, out=sys.stdout):
    W = (44, 14, 14, 18)
    line = "-" * (sum(W) + 3)

    def p(*cells):
        print(f"{cells[0]:<{W[0]}} {cells[1]:>{W[1]}} {cells[2]:>{W[2]}}  {cells[3]:<{W[3]}}", file=out)
    print(line, file=out)
    for r in rows:
        is_dict = r["label"].startswith("dict")
        p(r["label"][:W[0]], "Python " + ("dict" if is_dict else "list"), "bale." + ("Dict" if is_dict else "List"),
          "bale vs Python")
        if r.get("bale", True) is None:
            p("  memory", mb(r["py_mem"]), "not available", "")
            p("  build", secs(r["py_build"]), "not available", "")
            print(line, file=out)
            continue
        p("  memory", mb(r["py_mem"]), mb(r["bale_mem"]), ratio(r["bale_mem"], r["py_mem"]))
        p("  memory per element", f"{r['py_mem'] / r['n']:.1f} B", f"{r['bale_mem'] / r['n']:.2f} B", "")
        p("  build" + (" (d[k] = v loop)" if is_dict else " (from a generator)"), secs(r["py_build"]),
          secs(r["bale_build"]), slower(r["py_build"], r["bale_build"]) + " time")
        if is_dict:
            p("  iterate items(), per item", ns(r["py_iter"]), ns(r["bale_iter"]), slower(r["py_iter"], r["bale_iter"]))
            p("  lookup d[k] (fresh key)", ns(r["py_get"]), ns(r["bale_get"]), slower(r["py_get"], r["bale_get"]))
            p("  miss (k in d, absent key)", ns(r["py_miss"]), ns(r["bale_miss"]), slower(r["py_miss"], r["bale_miss"]))
        else:
            p("  iterate (for x in xs), per element", ns(r["py_iter"]), ns(r["bale_iter"]),
              slower(r["py_iter"], r["bale_iter"]))
            p("  random access xs[i]", ns(r["py_get"]), ns(r["bale_get"]), slower(r["py_get"], r["bale_get"]))
        if not r.get("same", True):
            p("  !! contents differ from the Python container", "", "", "")
        print(line, file=out)


def rules(bale_mod, d: Data, lists: dict, lists_mem: dict, others=(), py_mem=None, out=sys.stdout):
    if bale_mod is None or not hasattr(bale_mod, "List"):
        print("\nThe four rules: bale.List not available in this build.", file=out)
        return {}
    P = lambda *a: print(*a, file=out)  # noqa: E731
    res = {}
    mem = bale_mod.memory
    P("\nWhat each rule bought (bale.memory()['live'] = bytes the C library holds):")
    # 1. sharing
    xs = lists.get("names")
    if xs is not None:
        live0 = mem()["live"]
        ys = xs.copy()
        g_copy = mem()["live"] - live0
        zs = xs[len(xs) // 4: 3 * len(xs) // 4]
        g_slice = mem()["live"] - live0 - g_copy
        res["sharing"] = {"copy": g_copy, "slice": g_slice, "held": lists_mem.get("names")}
        held = lists_mem.get("names") or xs.nbytes
        full_slice = held * len(zs) / max(len(xs), 1)

        def verdict(g, full):
            return "shared" if g < 0.2 * full else "NOT shared in this build: copied"
        P(f"  sharing:     names.copy() -> live +{mb(g_copy)} ({verdict(g_copy, held)}); "
          f"names[n//4:3*n//4] ({len(zs):,} elements) -> live +{mb(g_slice)} ({verdict(g_slice, full_slice)}); "
          f"the names hold {mb(held)}")
        del ys, zs
    # 2. streaming
    bale_mod.reset_peak()
    live0 = mem()["live"]
    t = time.perf_counter()
    n_stream = len(d.distance)
    s = bale_mod.List((x for x in d.distance), "int")
    dt = time.perf_counter() - t
    m = mem()
    # final: the list's own bytes (live bytes may also fall meanwhile, as
    # other containers' decoded-block caches are dropped)
    res["streaming"] = {"n": n_stream, "peak": m["peak"] - live0, "final": s.nbytes, "rate": n_stream / dt}
    P(f"  streaming:   bale.List(generator of {n_stream:,} ints) at {n_stream / dt / 1e6:.1f}M/s: "
      f"peak {mb(m['peak'] - live0)} for a final {mb(s.nbytes)} "
      f"(list(generator) holds {mb((py_mem or {}).get('distance') or n_stream * 36)} at the end)")
    del s
    # 3. release
    gc.collect()
    before = mem()["live"]
    keep = {k: v for k, v in lists.items() if k != "names"}
    names_held = lists_mem.get("names") or 0
    lists.pop("names", None)
    del xs
    gc.collect()
    after = mem()["live"]
    res["release"] = {"before": before, "after": after, "names_held": names_held}
    P(f"  release:     del names  -> live {mb(before)} -> {mb(after)} (the names held {mb(names_held)}; "
      f"the rest is the other lists and the dict, still alive)")
    # 4. compression
    parts = []
    for key, v in keep.items():
        raw = getattr(v, "raw_nbytes", None)
        if raw:
            parts.append(f"{key} {v.nbytes / len(v):.2f} B/elem (nbytes) vs {raw / len(v):.1f} raw")
    res["compression"] = parts
    P("  compression: " + "; ".join(parts))
    return res


def plot(rows, path: str, out=sys.stdout) -> int:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"--plot needs matplotlib, which is not installed: pip install 'bale[plot]' (or matplotlib). "
              f"{path} not written.", file=out)
        return 2
    rows = [r for r in rows if r.get("bale", True) is not None]
    labels = [r["label"].split(" (")[0] for r in rows]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 4.5))
    x = range(len(rows))
    a1.bar([i - 0.2 for i in x], [r["py_mem"] / r["n"] for r in rows], 0.4, label="Python")
    a1.bar([i + 0.2 for i in x], [r["bale_mem"] / r["n"] for r in rows], 0.4, label="bale")
    a1.set_yscale("log")
    a1.set_ylabel("bytes per element (log)")
    a1.set_title("Memory")
    a2.bar([i - 0.2 for i in x], [r["py_get"] * 1e9 for r in rows], 0.4, label="Python")
    a2.bar([i + 0.2 for i in x], [r["bale_get"] * 1e9 for r in rows], 0.4, label="bale")
    a2.set_yscale("log")
    a2.set_ylabel("ns per random access / lookup (log)")
    a2.set_title("Random access")
    for a in (a1, a2):
        a.set_xticks(list(x))
        a.set_xticklabels(labels, rotation=15, fontsize=8)
        a.legend()
        a.grid(axis="y", which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"chart written to {path}", file=out)
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bale demo", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=None,
                    help="folder with npm-names.txt.xz and flights-3m.csv.xz (default: the shipped sample)")
    ap.add_argument("--plot", metavar="FILE.png", default=None, help="write a chart (needs matplotlib)")
    ap.add_argument("--lookups", type=int, default=100_000, help="random accesses / lookups per measurement")
    a = ap.parse_args(argv)

    if a.plot:
        import importlib.util
        if importlib.util.find_spec("matplotlib") is None:
            print(f"--plot needs matplotlib, which is not installed: pip install 'bale[plot]' (or matplotlib); "
                  f"or run without --plot.")
            return 2
    try:
        import bale
    except ImportError as e:  # pragma: no cover
        print(f"cannot import bale: {e}")
        return 1
    t0 = time.perf_counter()
    print(f"bale {bale.__version__} demo on {sys.implementation.name} {sys.version.split()[0]}; "
          f"codecs: {', '.join(bale.codecs())}")
    have_list, have_dict = hasattr(bale, "List"), hasattr(bale, "Dict")
    if not (have_list and have_dict):
        print(f"note: bale.List {'available' if have_list else 'not available'}, "
              f"bale.Dict {'available' if have_dict else 'not available'} in this build")
    d = load(a.data)
    print(f"data: {d.source}")
    print("memory: bale = growth of bale.memory()['live'] (bytes the C library holds) over build and use; "
          "Python = sys.getsizeof of the container + each element object it holds")
    print("times: best of 3; build and iteration produce fresh Python objects from a compact copy of the data\n")
    rnd = random.Random(SEED)
    k = a.lookups
    rows, lists = [], {}
    specs = [
        ("names", f"npm names, shuffled ({len(d.names):,} str)", lambda: iter(d.names), len(d.names), "str"),
        ("distance", f"flight distance ({len(d.distance):,} int)", lambda: iter(d.distance), len(d.distance), "int"),
        ("date", f"flight time, minutes ({len(d.date):,} int)", lambda: iter(d.date), len(d.date), "int"),
        ("origin", f"flight origin ({len(d.origin):,} str)", lambda: iter(d.origin), len(d.origin), "str"),
    ]
    for key, label, it, n, dt in specs:
        row, xs = measure_list(label, it, bale, n, dt, rnd, k)
        row["key"] = key
        rows.append(row)
        if xs is not None:
            lists[key] = xs
    drow, bd = measure_dict(d, bale, rnd, k)
    rows.append(drow)
    print()
    print_table(rows)
    rules(bale, d, lists, {r["key"]: r.get("bale_mem") for r in rows if "key" in r}, others=[bd],
          py_mem={r["key"]: r.get("py_mem") for r in rows if "key" in r})
    del bd
    rc = 0
    if a.plot:
        rc = plot(rows, a.plot)
    print(f"\ndone in {time.perf_counter() - t0:.1f} s")
    return rc


if __name__ == "__main__":
    sys.exit(main())
