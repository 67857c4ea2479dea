"""Targets, markdown report, charts and JSON validation for bench/run.py.

    python bench/report.py bench/results/<name>.json   # re-render md + charts
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

LABEL = {
    "list": "Python list", "array": "array('q')", "numpy": "numpy", "pyarrow": "pyarrow",
    "pyarrow-dict": "pyarrow dict-encoded", "blosc2": "blosc2", "bale": "bale (default)",
    "bale-zstd19": "bale (zstd:19)", "bale-typed": "bale (typed str->int)",
    "dict": "Python dict", "marisa": "marisa-trie (keys only)", "diskcache": "diskcache (disk)",
}
LIST_ORDER = ["list", "array", "numpy", "pyarrow", "pyarrow-dict", "blosc2", "bale", "bale-zstd19"]
DICT_ORDER = ["dict", "marisa", "diskcache", "bale", "bale-typed", "bale-zstd19"]
DATASETS = ["date", "delay", "distance", "origin", "destination", "npm_sorted", "npm_shuffled", "words"]
INT_SETS = ["date", "delay", "distance"]


CLOCK = "cpu"  # which time the report shows: "cpu" (process CPU time) or "wall"


def set_clock(doc):
    global CLOCK
    CLOCK = doc.get("clock", "wall")


def tm(s, which="median"):
    """A timing summary's median/min/max on the report's clock."""
    if CLOCK == "cpu" and f"cpu_{which}" in s:
        return s[f"cpu_{which}"]
    return s[which]


def index(doc):
    out = {}
    for r in doc["cases"]:
        s = r["spec"]
        out[(s["op"], s["dataset"], s["container"])] = r
    return out


def ok(ix, key):
    r = ix.get(key)
    return r if r and r.get("ok") else None


def _rate(r, field):
    return 1.0 / tm(r[field]) if r and field in r else None


# --------------------------------------------------------------------------- targets

def evaluate(doc) -> list[dict]:
    set_clock(doc)
    ix = index(doc)
    T = []

    def add(tid, text, ds, unit, direction, threshold, values: dict, anchors: dict, note=""):
        """values: variant -> value (bale); anchors: container -> value."""
        d = values.get("bale")
        s = {k: v for k, v in values.items() if k != "bale" and v is not None}
        anchors = {k: v for k, v in anchors.items() if v is not None}
        best = None
        if anchors:
            best = (min if direction == "le" else max)(anchors.items(), key=lambda kv: kv[1])

        def meets(v):
            if v is None or threshold is None:
                return None
            return v <= threshold if direction == "le" else v >= threshold
        met = meets(d)
        met_small = {k: meets(v) for k, v in s.items()}
        T.append({
            "id": tid, "target": text, "dataset": ds, "unit": unit, "direction": direction,
            "threshold": threshold, "value": d, "other_settings": s,
            "met": met, "met_other_settings": met_small,
            "best_anchor": best[0] if best else None, "best_anchor_value": best[1] if best else None,
            "ratio_to_best_anchor": (d / best[1]) if (d is not None and best and best[1]) else None,
            "note": note,
        })

    def bpe(op, ds, c):
        r = ok(ix, (op, ds, c))
        return r["bytes_per_elem"] if r else None

    def med(op, ds, c, field, scale=1.0):
        r = ok(ix, (op, ds, c))
        return tm(r[field]) * scale if r and field in r else None

    anchors_list = ["list", "array", "numpy", "pyarrow", "pyarrow-dict", "blosc2"]
    bale_list = ["bale", "bale-zstd19"]

    # List memory
    for ds in INT_SETS:
        lst = bpe("list", ds, "list")
        add("list.mem.int", "List memory on int columns <= 1/20 of Python list", ds, "B/elem", "le",
            lst / 20 if lst else None, {c: bpe("list", ds, c) for c in bale_list},
            {c: bpe("list", ds, c) for c in anchors_list})
    for ds, div in (("npm_shuffled", 7), ("npm_sorted", 10)):
        lst = bpe("list", ds, "list")
        add("list.mem.str", f"List memory on npm names <= 1/{div} of Python list", ds, "B/elem", "le",
            lst / div if lst else None, {c: bpe("list", ds, c) for c in bale_list},
            {c: bpe("list", ds, c) for c in anchors_list})
    for ds in DATASETS:
        best = [v for v in (bpe("list", ds, "pyarrow"), bpe("list", ds, "pyarrow-dict"), bpe("list", ds, "blosc2"))
                if v is not None]
        add("list.mem.anchor", "List memory <= best of pyarrow/blosc2", ds, "B/elem", "le",
            min(best) if best else None, {c: bpe("list", ds, c) for c in bale_list},
            {c: bpe("list", ds, c) for c in anchors_list})
    # iteration
    for ds in DATASETS:
        lim = 1.5 if ds in INT_SETS else 2.0
        lst = med("list", ds, "list", "iter", 1e9)
        add("list.iter", f"`for x in xs` <= {lim}x Python list", ds, "ns/elem", "le",
            lst * lim if lst else None, {c: med("list", ds, c, "iter", 1e9) for c in bale_list},
            {c: med("list", ds, c, "iter", 1e9) for c in anchors_list})
    # random access
    for ds in DATASETS:
        lim = 500.0 if ds in INT_SETS else 2000.0
        if ds in ("origin", "destination", "words"):
            note = "target stated for 4.5M names / int columns; shown for reference"
        else:
            note = ""
        add("list.getitem", f"random xs[i] mean < {lim / 1000:g} us", ds, "ns", "le", lim,
            {c: med("list", ds, c, "getitem", 1e9) for c in bale_list},
            {c: med("list", ds, c, "getitem", 1e9) for c in anchors_list}, note)
    # streaming
    vals = {c: (lambda r: 1 / tm(r["build"]) / 1e6 if r else None)(ok(ix, ("stream", "distance", c)))
            for c in ["list", "array", "bale", "bale-zstd19"]}
    add("list.stream.rate", "bale.List(generator of ints) >= 5M elem/s", "distance", "M elem/s", "ge", 5.0,
        {c: vals[c] for c in bale_list}, {c: vals[c] for c in ["list", "array"]})
    pk = {c: (lambda r: r["mem"]["peak_over_final"] / 2**20 if r else None)(ok(ix, ("stream", "distance", c)))
          for c in ["list", "array", "bale", "bale-zstd19"]}
    add("list.stream.peak", "streaming build: peak RSS <= 16 MB above final", "distance", "MB", "le", 16.0,
        {c: pk[c] for c in bale_list}, {c: pk[c] for c in ["list", "array"]})
    # to_numpy / sum
    for field, what in (("to_numpy", "to_numpy()"), ("sum", "sum()")):
        for ds in INT_SETS:
            v = {c: (lambda r: 1 / tm(r[field]) / 1e6 if r and field in r else None)(ok(ix, ("list", ds, c)))
                 for c in anchors_list + bale_list}
            add(f"list.{field}", f"{what} >= 500M ints/s", ds, "M/s", "ge", 500.0,
                {c: v[c] for c in bale_list}, {c: v[c] for c in anchors_list})
            if CLOCK == "cpu":
                # bale decodes bulk reads on several threads: CPU time counts
                # them all, so show the wall clock (what a user waits) too
                w = {c: (lambda r: 1 / r[field]["median"] / 1e6 if r and field in r else None)(
                        ok(ix, ("list", ds, c))) for c in anchors_list + bale_list}
                add(f"list.{field}.wall", f"{what} >= 500M ints/s (wall clock)", ds, "M/s", "ge", 500.0,
                    {c: w[c] for c in bale_list}, {c: w[c] for c in anchors_list},
                    note=f"bale on {doc.get('bale_threads', '?')} threads")

    # Dict
    dict_anchors = ["dict", "marisa", "diskcache"]
    bale_dict = ["bale", "bale-typed", "bale-zstd19"]

    def dv(c, fn):
        r = ok(ix, ("dict", "npm_shuffled", c))
        try:
            return fn(r) if r else None
        except (KeyError, TypeError, ZeroDivisionError):
            return None
    mem = {c: dv(c, lambda r: r["bytes_per_elem"]) for c in dict_anchors + bale_dict}
    add("dict.mem", "Dict memory <= 16 B/entry", "npm_shuffled", "B/entry", "le", 16.0,
        {c: mem[c] for c in bale_dict}, {c: mem[c] for c in dict_anchors})
    add("dict.mem.stretch", "Dict memory <= 12 B/entry (stretch)", "npm_shuffled", "B/entry", "le", 12.0,
        {c: mem[c] for c in bale_dict}, {c: mem[c] for c in dict_anchors})
    g = {c: dv(c, lambda r: tm(r["getitem"]) * 1e9) for c in dict_anchors + bale_dict}
    add("dict.getitem", "d[k] with fresh keys mean < 1.5 us", "npm_shuffled", "ns", "le", 1500.0,
        {c: g[c] for c in bale_dict}, {c: g[c] for c in dict_anchors})
    add("dict.getitem.ratio", "d[k] with fresh keys <= 3x Python dict", "npm_shuffled", "ns", "le",
        g["dict"] * 3 if g.get("dict") else None, {c: g[c] for c in bale_dict}, {c: g[c] for c in dict_anchors})
    miss = {c: dv(c, lambda r: tm(r["contains_miss"]) / tm(r["contains_hit"]))
            for c in dict_anchors + bale_dict}
    add("dict.miss", "misses no slower than hits (`k in d`, miss/hit time)", "npm_shuffled", "ratio", "le", 1.0,
        {c: miss[c] for c in bale_dict}, {c: miss[c] for c in dict_anchors})
    b = {c: dv(c, lambda r: tm(r["build"]) * 1e9) for c in dict_anchors + bale_dict}
    add("dict.build", "build by d[k]=v loop <= 3x Python dict", "npm_shuffled", "ns/entry", "le",
        b["dict"] * 3 if b.get("dict") else None, {c: b[c] for c in bale_dict},
        {c: b[c] for c in dict_anchors if c != "marisa"}, "marisa-trie is built in one call (static)")
    pr = {c: dv(c, lambda r: r["mem"]["peak_growth"] / r["mem"]["rss_growth"]) for c in dict_anchors + bale_dict}
    add("dict.peak", "peak RSS while building <= 2x final", "npm_shuffled", "ratio", "le", 2.0,
        {c: pr[c] for c in bale_dict}, {c: pr[c] for c in dict_anchors if c != "diskcache"})
    it = {c: dv(c, lambda r: 1 / tm(r["items"]) / 1e6) for c in dict_anchors + bale_dict}
    add("dict.items", "items() iteration >= 5M items/s", "npm_shuffled", "M items/s", "ge", 5.0,
        {c: it[c] for c in bale_dict}, {c: it[c] for c in dict_anchors})
    return T


# --------------------------------------------------------------------------- markdown

def fmt(v, digits=None):
    if v is None:
        return "-"
    if digits is not None:
        return f"{v:.{digits}f}"
    a = abs(v)
    if a >= 1000:
        return f"{v:,.0f}"
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    if a >= 1:
        return f"{v:.2f}"
    return f"{v:.3f}"


def _mark(m):
    return {True: "**met**", False: "**missed**", None: "n/a"}[m]


def markdown(doc, charts=()) -> str:
    set_clock(doc)
    ix = index(doc)
    m = doc["machine"]
    L = []
    w = L.append
    w(f"# bale benchmark report: {doc['name']}")
    w("")
    w(f"- date (UTC): {doc['date']}; run {'--quick (small slices: targets are stated for the full data)' if doc['quick'] else 'full'}")
    w(f"- machine: {m.get('cpu_model')}, {m.get('cpu_count')} CPUs (affinity {m.get('affinity')}), "
      f"{(m.get('mem_total') or 0) / 2**30:.1f} GiB RAM, {m.get('platform')}")
    w(f"- Python {m.get('python')}; libraries: " + ", ".join(f"{k} {v}" for k, v in doc["libraries"].items() if v))
    w("- data: " + "; ".join(
        f"{k}: {Path(v['path']).name}{' (shipped sample)' if v['shipped_sample'] else ''}"
        f"{'' if v['rows'] is None else ' (%s rows)' % format(v['rows'], ',')}" for k, v in doc["sources"].items()))
    w(f"- method: {doc['method']['memory']}. Times: {doc['method']['time']}. {doc['method']['process']}.")
    w(f"- **clock shown: {'process CPU time' if CLOCK == 'cpu' else 'wall-clock time'}** "
      "(both are in the JSON: median/min/max = wall, cpu_* = CPU)")
    la = [c.get("loadavg_1min") for c in doc["cases"] if c.get("loadavg_1min") is not None]
    if la:
        w(f"- machine load (1-min load average at the end of each case): median {sorted(la)[len(la) // 2]:.1f}, "
          f"max {max(la):.1f}, on {m.get('cpu_count')} CPUs")
    if doc.get("wall_s"):
        w(f"- total wall time: {doc['wall_s'] / 60:.1f} min")
    b = doc.get("bale", {})
    if not b.get("List") or not b.get("Dict"):
        w(f"- **bale.List available: {b.get('List')}, bale.Dict available: {b.get('Dict')}** "
          "(missing types are skipped)")
    w("")

    # targets
    w("## Targets")
    w("")
    w("`value` is bale with default settings; `other settings` shows the other bale variants. "
      "`ratio` = bale (default) / best anchor on the same metric (for rates, higher is better).")
    w("")
    w("| target | dataset | bale (default) | other bale settings | threshold | result | best anchor | ratio |")
    w("|---|---|---|---|---|---|---|---|")
    for t in doc.get("targets", []):
        other = ", ".join(f"{LABEL.get(k, k).replace('bale ', '')}: {fmt(v)}"
                          + ("" if t["met_other_settings"].get(k) is None else
                             (" met" if t["met_other_settings"][k] else " missed"))
                          for k, v in t["other_settings"].items())
        anchor = f"{LABEL.get(t['best_anchor'], t['best_anchor'])} {fmt(t['best_anchor_value'])}" \
            if t["best_anchor"] else "-"
        thr = ("<= " if t["direction"] == "le" else ">= ") + fmt(t["threshold"]) if t["threshold"] is not None else "-"
        res = _mark(t["met"])
        if t["met"] is False and any(t["met_other_settings"].values()):
            res += " (met with other settings)"
        if t.get("note"):
            res += f" ({t['note']})"
        w(f"| {t['target']} | {t['dataset']} | {fmt(t['value'])} {t['unit']} | {other or '-'} | {thr} | {res} | "
          f"{anchor} | {fmt(t['ratio_to_best_anchor'], 2) if t['ratio_to_best_anchor'] is not None else '-'} |")
    w("")

    def list_table(title, fn, unit, note=""):
        conts = [c for c in LIST_ORDER if any(ok(ix, ("list", ds, c)) for ds in DATASETS)]
        w(f"## {title}")
        w("")
        if note:
            w(note)
            w("")
        w(f"Unit: {unit}.")
        w("")
        w("| dataset | n | " + " | ".join(LABEL[c] for c in conts) + " |")
        w("|---|---|" + "---|" * len(conts))
        for ds in DATASETS:
            rs = [ok(ix, ("list", ds, c)) for c in conts]
            n = next((r["n"] for r in rs if r), None)
            if n is None:
                continue
            cells = []
            for r in rs:
                try:
                    cells.append(fn(r) if r else "-")
                except (KeyError, TypeError):
                    cells.append("-")
            w(f"| {ds} | {n:,} | " + " | ".join(cells) + " |")
        w("")

    def tcell(field, scale=1e9):
        def f(r):
            s = r[field]
            return f"{fmt(tm(s, 'median') * scale)} ({fmt(tm(s, 'min') * scale)}-{fmt(tm(s, 'max') * scale)})"
        return f

    def rcell(field):
        def f(r):
            s = r[field]
            return f"{fmt(1 / tm(s, 'median') / 1e6)} ({fmt(1 / tm(s, 'max') / 1e6)}-{fmt(1 / tm(s, 'min') / 1e6)})"
        return f

    list_table("List: memory per element (RSS growth)", lambda r: fmt(r["bytes_per_elem"]), "bytes per element")
    list_table("List: peak RSS while building, over the baseline",
               lambda r: fmt(r["mem"]["peak_growth"] / r["n"]), "bytes per element",
               "Peak reset through /proc/self/clear_refs: "
               + ("yes" if all(c.get("mem", {}).get("peak_reset", True) for c in doc["cases"] if c.get("ok"))
                  else "NOT permitted on this machine: peaks are since process start"))
    list_table("List: container's own accounting", lambda r: fmt(r["self"].get("nbytes", 0) / r["n"])
               if r.get("self", {}).get("nbytes") is not None else "-", "bytes per element (nbytes / n)",
               "bale: `xs.nbytes`; numpy: `nbytes` (StringDType: 16 B handles only); pyarrow: buffer size; "
               "blosc2: compressed bytes; list/array: `sys.getsizeof` (pointer array only).")
    list_table("List: build from an iterator of fresh Python objects", tcell("build"),
               "ns per element, median (min-max)")
    list_table("List: `for x in xs`", tcell("iter"), "ns per element, median (min-max)",
               "Slow containers are timed on a prefix (see `iter_items` in the JSON). numpy and blosc2 yield "
               "numpy scalars; blosc2 is read block by block; pyarrow yields Scalars.")
    list_table("List: random `xs[i]`", tcell("getitem"), "ns per access, median (min-max)",
               "Uniform random indices (fixed seed); pyarrow includes `.as_py()`.")
    list_table("List: `sum()`", rcell("sum"), "M elements/s, median (min-max)")
    list_table("List: `to_numpy()`", rcell("to_numpy"), "M elements/s, median (min-max)",
               "list: `np.array(xs)`; array: `np.frombuffer(..).copy()`; numpy: `.copy()`; "
               "pyarrow: `to_numpy()`; blosc2: `arr[:]`.")

    # stream
    w("## Streaming build from a generator of ints (`distance`)")
    w("")
    w("| container | n | M elem/s median (min-max) | generator alone M/s | B/elem | peak over final (MB) |")
    w("|---|---|---|---|---|---|")
    for c in ["list", "array", "bale", "bale-zstd19"]:
        r = ok(ix, ("stream", "distance", c))
        if not r:
            continue
        w(f"| {LABEL[c]} | {r['n']:,} | {rcell('build')(r)} | {fmt(1 / tm(r['generator_alone']) / 1e6)} | "
          f"{fmt(r['bytes_per_elem'])} | {fmt(r['mem']['peak_over_final'] / 2**20)} |")
    w("")

    # dict
    w("## Dict: npm names -> line number, inserted shuffled")
    w("")
    w("Keys are fresh str objects decoded for each repeat (no cached hash). Times in ns, median (min-max).")
    w("")
    w("| container | n | B/entry (RSS) | own accounting B/entry | peak/final | build d[k]=v loop | bulk build | "
      "d[k] | `k in d` hit | `k in d` miss | items() M/s |")
    w("|---|---|---|---|---|---|---|---|---|---|---|")
    for c in DICT_ORDER:
        r = ok(ix, ("dict", "npm_shuffled", c))
        if not r:
            continue
        selfb = r.get("self", {})
        own = selfb.get("nbytes", selfb.get("disk_bytes"))
        own = fmt(own / r["n"]) + (" (disk)" if "disk_bytes" in selfb else "") if own is not None else "-"
        pf = r["mem"]["peak_growth"] / r["mem"]["rss_growth"] if r["mem"]["rss_growth"] > 0 else None

        def t(f):
            return tcell(f)(r) if f in r else "-"
        w(f"| {LABEL[c]} | {r['n']:,} | {fmt(r['bytes_per_elem'])} | {own} | {fmt(pf)} | {t('build')} | "
          f"{t('build_bulk')} | {t('getitem')} | {t('contains_hit')} | {t('contains_miss')} | {rcell('items')(r)} |")
    w("")
    w("marisa-trie: keys only (lookups return the key id), built in one call; diskcache: "
      "a subset (see n), built in one transaction, items() iterates keys once.")
    w("")

    # failures
    bad = [r for r in doc["cases"] if not r.get("ok")]
    if bad:
        w("## Cases not run")
        w("")
        for r in bad:
            s = r["spec"]
            why = r.get("skipped") or (r.get("error") or "")[:300].replace("\n", " ")
            w(f"- {s['op']}:{s['dataset']}:{s['container']}: {why}")
        w("")
    # checks
    badcheck = [r for r in doc["cases"] if r.get("ok") and (r.get("check") is False or r.get("check_miss") is False
                                                            or r.get("sum_ok") is False)]
    if badcheck:
        w("## Correctness spot checks that FAILED")
        w("")
        for r in badcheck:
            s = r["spec"]
            w(f"- {s['op']}:{s['dataset']}:{s['container']}: check={r.get('check')} "
              f"check_miss={r.get('check_miss')} sum_ok={r.get('sum_ok')}")
        w("")

    # codec bench
    w("## C codec benchmarks")
    w("")
    cb = doc.get("codec_bench", {})
    if not cb.get("ran"):
        w(f"Not run: {cb.get('note', '')}")
    else:
        for prog, r in cb.get("programs", {}).items():
            w(f"### {prog}")
            w("")
            if "stdout" in r:
                w(f"exit {r['exit']}, {r['wall_s']:.1f} s")
                w("")
                w("```")
                w(r["stdout"].rstrip())
                w("```")
            else:
                w(r.get("note", ""))
            w("")
    w("")
    for c in charts:
        w(f"![{Path(c).stem}]({Path(c).name})")
        w("")
    return "\n".join(L) + "\n"


# --------------------------------------------------------------------------- charts

def charts(doc, out: Path, name: str, log=print) -> list[str]:
    set_clock(doc)
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("matplotlib not installed: no charts (pip install matplotlib)")
        return []
    ix = index(doc)
    made = []
    conts = [c for c in LIST_ORDER if any(ok(ix, ("list", ds, c)) for ds in DATASETS)]
    dss = [ds for ds in DATASETS if any(ok(ix, ("list", ds, c)) for c in conts)]
    if conts and dss:
        fig, ax = plt.subplots(figsize=(12, 5.5))
        width = 0.8 / len(conts)
        cmap = plt.get_cmap("tab10")
        for j, c in enumerate(conts):
            xs, ys = [], []
            for i, ds in enumerate(dss):
                r = ok(ix, ("list", ds, c))
                if r and r["bytes_per_elem"] > 0:
                    xs.append(i + (j - (len(conts) - 1) / 2) * width)
                    ys.append(r["bytes_per_elem"])
            ax.bar(xs, ys, width, label=LABEL[c], color=cmap(j),
                   edgecolor="black" if c.startswith("bale") else None, linewidth=1.2 if c.startswith("bale") else 0)
        ax.set_yscale("log")
        ax.set_xticks(range(len(dss)))
        ax.set_xticklabels(dss)
        ax.set_ylabel("bytes per element (RSS growth, log scale)")
        ax.set_title(f"Memory per element by container and dataset ({doc['name']})")
        ax.legend(ncol=4, fontsize=8)
        ax.grid(axis="y", which="both", alpha=0.3)
        fig.tight_layout()
        p = out / f"{name}-memory.png"
        fig.savefig(p, dpi=110)
        plt.close(fig)
        made.append(str(p))

        fig, axes = plt.subplots(2, 4, figsize=(15, 7.5))
        for ax, ds in zip(axes.flat, DATASETS):
            for j, c in enumerate(conts):
                r = ok(ix, ("list", ds, c))
                if not r or r["bytes_per_elem"] <= 0:
                    continue
                x = r["bytes_per_elem"]
                y = tm(r["getitem"]) * 1e9
                ax.scatter([x], [y], color=cmap(j), s=60 if c.startswith("bale") else 30,
                           marker="*" if c.startswith("bale") else "o", label=LABEL[c])
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_title(ds)
            ax.set_xlabel("bytes/elem")
            ax.set_ylabel("random xs[i], ns")
            ax.grid(which="both", alpha=0.3)
        handles, labels = [], []
        for ax in axes.flat:
            for h, lab in zip(*ax.get_legend_handles_labels()):
                if lab not in labels:
                    handles.append(h)
                    labels.append(lab)
        fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=8)
        fig.suptitle(f"Speed vs memory (lower-left is better) ({doc['name']})")
        fig.tight_layout(rect=(0, 0.05, 1, 0.97))
        p = out / f"{name}-speed-vs-memory.png"
        fig.savefig(p, dpi=100)
        plt.close(fig)
        made.append(str(p))

    rows = [(c, ok(ix, ("dict", "npm_shuffled", c))) for c in DICT_ORDER]
    rows = [(c, r) for c, r in rows if r]
    if rows:
        fig, ax = plt.subplots(figsize=(7, 5))
        for j, (c, r) in enumerate(rows):
            ax.scatter([max(r["bytes_per_elem"], 0.01)], [tm(r["getitem"]) * 1e9], s=70,
                       marker="*" if c.startswith("bale") else "o", label=LABEL[c])
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("bytes per entry (RSS growth)")
        ax.set_ylabel("d[k], fresh key, ns")
        ax.set_title("Dict on npm names: speed vs memory")
        ax.legend(fontsize=8)
        ax.grid(which="both", alpha=0.3)
        fig.tight_layout()
        p = out / f"{name}-dict.png"
        fig.savefig(p, dpi=110)
        plt.close(fig)
        made.append(str(p))
    return made


# --------------------------------------------------------------------------- validation (CI)

def validate(doc) -> list[str]:
    """Structure only; no timing is asserted."""
    P = []
    for k in ("schema", "name", "date", "quick", "machine", "libraries", "sources", "cases", "targets"):
        if k not in doc:
            P.append(f"missing key {k}")
    if P:
        return P
    if not doc["cases"]:
        P.append("no cases")
    for r in doc["cases"]:
        s = r.get("spec", {})
        label = f"{s.get('op')}:{s.get('dataset')}:{s.get('container')}"
        if r.get("skipped"):
            continue
        if not r.get("ok"):
            P.append(f"{label} failed: {(r.get('error') or '')[:500]}")
            continue
        for f in ("n", "mem", "bytes_per_elem", "build"):
            if f not in r:
                P.append(f"{label}: missing {f}")
        for f in ("build", "iter", "getitem", "sum", "to_numpy", "getitem", "contains_hit", "contains_miss", "items"):
            if f in r:
                s2 = r[f]
                if not (isinstance(s2, dict) and s2.get("min", -1) >= 0 and s2["min"] <= s2["median"] <= s2["max"]):
                    P.append(f"{label}: bad timing summary {f}: {s2}")
        for f in ("check", "check_miss", "sum_ok"):
            if r.get(f) is False:
                P.append(f"{label}: correctness check {f} failed")
    for t in doc["targets"]:
        if not {"id", "target", "met", "threshold", "value"} <= set(t):
            P.append(f"bad target entry {t}")
    return P


if __name__ == "__main__":
    p = Path(sys.argv[1])
    doc = json.loads(p.read_text())
    doc["targets"] = evaluate(doc)
    ch = charts(doc, p.parent, p.stem)
    (p.parent / f"{p.stem}.md").write_text(markdown(doc, ch))
    p.write_text(json.dumps(doc, indent=1))
    print("rewrote", p.with_suffix(".md"), *ch)
