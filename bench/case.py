"""One benchmark case, run in a fresh process: ``python bench/case.py '<json>'``.

The JSON names the op ("list", "dict" or "stream"), the container, the dataset,
the cache dir of compact inputs and the sizes; the result is printed as one JSON
line on stdout.  Memory is RSS growth over a baseline taken after the compact
input is loaded (after gc.collect() and malloc_trim(0)); peak is VmHWM after a
reset through /proc/self/clear_refs (when the kernel refuses, the peak since
process start is reported and flagged).
"""
from __future__ import annotations

import gc
import itertools
import json
import shutil
import sys
import tempfile
import time
from array import array
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common as C  # noqa: E402
import containers as K  # noqa: E402

# Values of the dataset itself that warm a container up before its memory
# baseline (see containers.warmup): several 64 KiB chunks' worth.
WARMUP_VALUES = 50_000


def adaptive(fn, full: int, budget: float, repeats: int, probe: int = 20000):
    """Time fn(m) on m <= full items, repeats times; m shrinks so the total stays
    within `budget` seconds.  Returns (summary per item, m)."""
    m = min(full, 50)
    while True:
        t = C.now()
        fn(m)
        el = C.since(t)
        if m >= min(full, probe) or el > budget / 10:
            break
        m = min(full, m * 8)
    per = max(el / max(m, 1), 1e-9)
    m = int(min(full, max(50, budget / repeats / per)))
    samples = C.timed(lambda: fn(m), repeats)
    return C.summary(samples, per=m), m


def extra_repeats(first: float, wanted: int, cap: float = 12.0) -> int:
    """How many more builds to time: wanted-1, fewer when one build is slow."""
    return max(0, min(wanted - 1, int(cap // max(first, 1e-9))))


def measure_build(build, baseline: int):
    """Build once, measuring time, RSS growth and peak; returns (obj, info)."""
    peak_reset = C.reset_peak()
    t = C.now()
    obj = build()
    dt = C.since(t)
    pk = C.peak()
    C.trim()
    final = C.rss()
    return obj, {
        "time_s": dt,
        "rss_growth": final - baseline,
        "peak_growth": pk - baseline,
        "peak_over_final": pk - final,
        "peak_reset": peak_reset,
    }


def run_list(spec):
    cache = Path(spec["cache"])
    ds, cont = spec["dataset"], spec["container"]
    kind = C.DATASETS[ds][0]
    col = C.load(cache, ds)
    n = len(col)
    if kind == "int":
        q = array("q", col.tobytes())  # the compact input the stream is read from
        del col

        def gen():
            return iter(q)
    else:
        def gen():
            return col.iter()
    import numpy as np
    rng = np.random.default_rng(C.SEED + 1)
    idx = rng.integers(0, n, size=spec["k"]).tolist()
    # Warm up on the data's own first values (several chunks' worth), built
    # from a separate list that is gone before the baseline.
    sample = list(itertools.islice(gen(), WARMUP_VALUES))
    K.warmup(cont, kind, ds, sample=sample)
    del sample
    C.trim()
    baseline = C.rss()

    obj, mem = measure_build(lambda: K.build_list(cont, kind, ds, gen(), n), baseline)
    res = {"n": n, "mem": mem, "bytes_per_elem": mem["rss_growth"] / n,
           "self": K.self_reported(cont, obj)}
    assert len(obj) == n, (len(obj), n)

    builds = [mem["time_s"]]
    for _ in range(extra_repeats(mem["time_s"], spec["build_repeats"])):
        t = C.now()
        extra = K.build_list(cont, kind, ds, gen(), n)
        builds.append(C.since(t))
        del extra
        C.trim()
    res["build"] = C.summary(builds, per=n)

    it = K.list_iterate(cont)
    res["iter"], res["iter_items"] = adaptive(lambda m: it(obj, m), n, spec["budget"], spec["repeats"])

    get = K.list_getter(cont)
    res["getitem"], res["getitem_items"] = adaptive(lambda m: get(obj, idx[:m]), len(idx), spec["budget"],
                                                    spec["repeats"], probe=2000)
    # correctness spot check against the input
    if kind == "str":
        sample = idx[:50]
        got = [obj[i].as_py() if cont.startswith("pyarrow") else obj[i] for i in sample]
        want = [col.get(i) for i in sample]
        res["check"] = [str(g) for g in got] == want
    else:
        sample = idx[:50]
        got = [int(obj[i].as_py() if cont.startswith("pyarrow") else obj[i]) for i in sample]
        res["check"] = got == [q[i] for i in sample]

    if kind == "int":
        fs = K.list_sum(cont)
        if fs is not None:
            expect = sum(q)
            got = fs(obj)
            res["sum_ok"] = int(got) == expect
            res["sum"] = C.summary(C.timed(lambda: fs(obj), spec["repeats"]), per=n)
        fn = K.list_to_numpy(cont)
        if fn is not None:
            res["to_numpy"] = C.summary(C.timed(lambda: fn(obj), spec["repeats"]), per=n)
    return res


def run_stream(spec):
    """Build from a generator of ints: rate, and peak RSS above the final."""
    cache = Path(spec["cache"])
    cont = spec["container"]
    col = C.load(cache, spec["dataset"])
    q = array("q", col.tobytes())
    del col
    n = len(q)

    def gen():
        return (x for x in q)
    K.warmup(cont, "int", spec["dataset"])
    C.trim()
    baseline = C.rss()
    obj, mem = measure_build(lambda: K.build_list(cont, "int", spec["dataset"], gen(), n), baseline)
    times = [mem["time_s"]]
    del obj
    C.trim()
    for _ in range(extra_repeats(mem["time_s"], spec["build_repeats"])):
        t = C.now()
        obj = K.build_list(cont, "int", spec["dataset"], gen(), n)
        times.append(C.since(t))
        del obj
        C.trim()
    # the generator alone, for reference
    def consume():
        for _ in gen():
            pass
    gt = C.timed(consume, 1)
    return {"n": n, "mem": mem, "bytes_per_elem": mem["rss_growth"] / n,
            "build": C.summary(times, per=n), "generator_alone": C.summary(gt, per=n)}


def run_dict(spec):
    cache = Path(spec["cache"])
    cont = spec["container"]
    col = C.load(cache, "npm_shuffled")
    import numpy as np
    lineno = np.load(cache / "npm_shuffled.lineno.npy")
    n = min(len(col), spec.get("limit") or len(col))
    vals = array("q", lineno[:n].tobytes())
    del lineno
    rng = np.random.default_rng(C.SEED + 2)
    k = min(spec["k"], n)
    hit_idx = rng.integers(0, n, size=k)
    tmpdir = tempfile.mkdtemp(prefix="bale-bench-") if cont == "diskcache" else None
    K.warmup(cont, "str", "npm_shuffled", is_dict=True)
    C.trim()
    baseline = C.rss()
    try:
        obj, mem = measure_build(lambda: K.build_dict_loop(cont, col.iter(0, n), iter(vals), tmpdir), baseline)
        res = {"n": n, "mem": mem, "bytes_per_elem": mem["rss_growth"] / n,
               "self": K.dict_self_reported(cont, obj)}
        builds = [mem["time_s"]]
        if cont != "diskcache":
            for _ in range(extra_repeats(mem["time_s"], spec["build_repeats"])):
                t = C.now()
                extra = K.build_dict_loop(cont, col.iter(0, n), iter(vals), tmpdir)
                builds.append(C.since(t))
                del extra
                C.trim()
        res["build"] = C.summary(builds, per=n)
        bulk = []
        for _ in range(1 + extra_repeats(mem["time_s"], spec["build_repeats"])
                       if (cont.startswith("bale") or cont == "dict") and not spec.get("light") else 0):
            t = C.now()
            extra = K.build_dict_bulk(cont, col.iter(0, n), iter(vals))
            bulk.append(C.since(t))
            del extra
            C.trim()
        if bulk:
            res["build_bulk"] = C.summary(bulk, per=n)

        # lookups with fresh key objects (new str each repeat: no cached hash)
        def timed_fresh(op, miss=False):
            probe = col.fresh(hit_idx[:min(k, 500)])
            if miss:
                probe = [s + "\x01" for s in probe]
            t = C.now()
            op(probe)
            per = max((C.since(t)) / len(probe), 1e-9)
            kk = int(min(k, max(500, spec["budget"] / spec["repeats"] / per)))
            samples = []
            for r in range(spec["repeats"]):
                keys = col.fresh(hit_idx[:kk])
                if miss:
                    keys = [s + "\x01" for s in keys]
                gc.collect()
                t = C.now()
                op(keys)
                samples.append(C.since(t))
                del keys
            return C.summary(samples, per=kk)

        def getk(keys):
            for s in keys:
                obj[s]

        def contains(keys):
            for s in keys:
                s in obj  # noqa: B015
        res["lookup_k"] = k
        res["getitem"] = timed_fresh(getk)
        res["contains_hit"] = timed_fresh(contains)
        res["contains_miss"] = timed_fresh(contains, miss=True)
        # correctness: values match line numbers (trie: ids round-trip)
        ks = col.fresh(hit_idx[:50])
        if cont == "marisa":
            res["check"] = all(obj.restore_key(obj[s]) == s for s in ks)
        else:
            res["check"] = [obj[s] for s in ks] == [vals[int(i)] for i in hit_idx[:50]]
        res["check_miss"] = all((s + "\x01") not in obj for s in ks)

        if cont == "marisa":
            def items():
                for kv in obj.iteritems():
                    pass
        elif cont == "diskcache":
            def items():
                for kk in obj.iterkeys():
                    pass
        else:
            def items():
                for kk, vv in obj.items():
                    pass
        if cont == "diskcache":
            res["items"] = C.summary(C.timed(items, 1), per=n)
        else:
            res["items"] = C.summary(C.timed(items, spec["repeats"]), per=n)
        if cont == "diskcache":
            obj.close()
    finally:
        if tmpdir:
            shutil.rmtree(tmpdir, ignore_errors=True)
    return res


def main(argv):
    spec = json.loads(argv[1])
    t = C.now()
    try:
        fn = {"list": run_list, "dict": run_dict, "stream": run_stream}[spec["op"]]
        res = fn(spec)
        res["ok"] = True
    except Exception as e:  # report, do not crash the suite
        import traceback
        res = {"ok": False, "error": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc()}
    res["wall_s"] = C.since(t)
    try:
        import os
        res["loadavg_1min"] = os.getloadavg()[0]
    except OSError:
        pass
    res["spec"] = {k: v for k, v in spec.items() if k != "cache"}
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
