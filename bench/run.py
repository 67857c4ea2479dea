"""The bale benchmark suite.

    python bench/run.py [--quick] [--data DIR] [--name NAME] [--out DIR] [--check]

Every case runs in a fresh subprocess (bench/case.py), sequentially.  Results go
to bench/results/<name>.json, a markdown report <name>.md and PNG charts.
See bench/README.md for the method.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import common as C  # noqa: E402

INT_SETS = ["date", "delay", "distance"]
STR_SETS = ["npm_sorted", "npm_shuffled", "words"]
CODE_SETS = ["origin", "destination"]

LIST_CONTAINERS = {
    "int": ["list", "array", "numpy", "pyarrow", "blosc2", "bale", "bale-zstd19"],
    "str": ["list", "numpy", "pyarrow", "blosc2", "bale", "bale-zstd19"],
    "code": ["list", "numpy", "pyarrow", "pyarrow-dict", "blosc2", "bale", "bale-zstd19"],
}
STREAM_CONTAINERS = ["list", "array", "bale", "bale-zstd19"]
DICT_CONTAINERS = ["dict", "bale", "bale-typed", "bale-zstd19", "marisa", "diskcache"]


def have_module(name: str) -> bool:
    import importlib.util
    return importlib.util.find_spec(name) is not None


def bale_status() -> dict:
    try:
        import bale
        return {"List": hasattr(bale, "List"), "Dict": hasattr(bale, "Dict"), "version": bale.__version__,
                "codecs": list(bale.codecs())}
    except Exception as e:  # noqa: BLE001
        return {"List": False, "Dict": False, "error": repr(e)}


def plan(quick: bool, only: list[str] | None) -> list[dict]:
    b = bale_status()
    mods = {"numpy": have_module("numpy"), "pyarrow": have_module("pyarrow"), "blosc2": have_module("blosc2"),
            "marisa": have_module("marisa_trie"), "diskcache": have_module("diskcache")}

    def available(cont: str, is_dict=False) -> str | None:
        if cont.startswith("bale"):
            if not b.get("Dict" if is_dict else "List"):
                return "bale.%s not available in this build" % ("Dict" if is_dict else "List")
            return None
        key = cont.split("-")[0]
        if key in mods and not mods[key]:
            return f"{key} not installed"
        return None

    p = {
        "repeats": 3 if quick else 5,
        "build_repeats": 1 if quick else 3,
        "budget": 0.1 if quick else 2.0,
        "k": 20_000 if quick else 200_000,
    }
    cases = []
    # zstd:19 builds are slow by design: run that setting where a memory target is stated
    # (int columns, npm names), build it once, and skip the bulk dict build.
    light = dict(build_repeats=1, light=True)
    for group, sets in (("int", INT_SETS), ("str", STR_SETS), ("code", CODE_SETS)):
        for ds in sets:
            if quick and ds == "destination":
                continue  # same shape as origin; saves time in --quick
            for cont in LIST_CONTAINERS[group]:
                if cont == "bale-zstd19" and ds in ("words", "origin", "destination") and not quick:
                    continue
                extra = light if cont == "bale-zstd19" else {}
                cases.append(dict(p, op="list", dataset=ds, container=cont, skip=available(cont), **extra))
    for cont in STREAM_CONTAINERS:
        extra = light if cont == "bale-zstd19" else {}
        cases.append(dict(p, op="stream", dataset="distance", container=cont, skip=available(cont), **extra))
    for cont in DICT_CONTAINERS:
        extra = light if cont == "bale-zstd19" else {}
        c = dict(p, op="dict", dataset="npm_shuffled", container=cont, skip=available(cont, True), **extra)
        if cont == "diskcache":
            c["limit"] = 20_000 if quick else 100_000
            c["k"] = 2_000 if quick else 20_000
        cases.append(c)
    if only:
        cases = [c for c in cases if any(o in (c["op"], c["dataset"], c["container"],
                                               f'{c["op"]}:{c["dataset"]}:{c["container"]}') for o in only)]
    return cases


# The full bench_codec_str (every pipeline on 4.5M names twice, flights
# strings, words) takes 5-8 minutes on the 2-core machine.
CODEC_TIMEOUT_S = 1200


def run_case(case: dict, cache: Path, timeout: float) -> dict:
    spec = {k: v for k, v in case.items() if k != "skip"}
    spec["cache"] = str(cache)
    try:
        r = subprocess.run([sys.executable, str(HERE / "case.py"), json.dumps(spec)],
                           capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": f"timeout after {timeout:.0f} s", "spec": spec}
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("{")]
    if r.returncode != 0 or not lines:
        return {"ok": False, "error": f"exit {r.returncode}: {r.stderr.strip()[-2000:]}", "spec": spec}
    return json.loads(lines[-1])


def codec_bench(repo: Path, quick: bool, log, data_dir: Path | None = None) -> dict:
    """Build and run the C codec benchmarks (bench_codec_int, bench_codec_str) if present."""
    out = {"ran": False}
    src = repo / "bench" / "meson.build"
    if "bench_codec" not in src.read_text():
        out["note"] = "no C codec benchmarks defined in bench/meson.build yet"
        return out
    bdir = repo / "build-bench"
    try:
        if not (bdir / "build.ninja").exists():
            subprocess.run(["meson", "setup", str(bdir), "-Dbench=true", "-Dpython=false",
                            "-Dtests=false", "-Dbuildtype=release", "-Db_ndebug=true"], cwd=repo, check=True,
                           capture_output=True, text=True, timeout=300)
        r = subprocess.run(["ninja", "-C", str(bdir)], cwd=repo, capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            out["note"] = "build failed: " + (r.stdout + r.stderr)[-1500:]
            return out
    except (subprocess.SubprocessError, FileNotFoundError) as e:
        out["note"] = f"build failed: {e}"
        return out
    out["ran"] = True
    out["programs"] = {}
    for prog in ("bench_codec_int", "bench_codec_str"):
        exe = bdir / "bench" / prog
        if not exe.exists():
            out["programs"][prog] = {"note": "not built"}
            continue
        log(f"  running {prog}")
        t = time.perf_counter()
        try:
            args = [str(exe)] + ([str(data_dir)] if data_dir else [])
            if quick and prog == "bench_codec_str":
                args.append("100000")
            r = subprocess.run(args, cwd=repo, capture_output=True, text=True, timeout=CODEC_TIMEOUT_S if not quick else 60)
            out["programs"][prog] = {"exit": r.returncode, "stdout": r.stdout[-20000:], "stderr": r.stderr[-2000:],
                                     "wall_s": time.perf_counter() - t}
        except subprocess.TimeoutExpired:
            out["programs"][prog] = {"note": "timeout"}
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small slices; < 2 minutes; works without the data dir")
    ap.add_argument("--data", type=Path, default=None,
                    help="data dir (default: $BALE_DATA_DIR or ../shared/data from the repo root)")
    ap.add_argument("--name", default=None, help="result name (default quick-<date> or full-<date>)")
    ap.add_argument("--out", type=Path, default=HERE / "results", help="results dir")
    ap.add_argument("--only", nargs="*", help="run only cases matching op/dataset/container names")
    ap.add_argument("--no-codec", action="store_true", help="skip the C codec benchmarks")
    ap.add_argument("--codec", action="store_true", help="run the C codec benchmarks with --quick too")
    ap.add_argument("--no-plots", action="store_true")
    ap.add_argument("--check", action="store_true",
                    help="CI mode: --quick into bench/results/tmp, validate the JSON, assert no timing")
    ap.add_argument("--clock", choices=["cpu", "wall", "auto"], default="auto",
                    help="time shown in the report: process CPU time or wall time; auto = cpu when the machine "
                         "was loaded (1-min load average above the CPU count during the run), else wall")
    ap.add_argument("--timeout", type=float, default=None, help="per-case timeout in seconds")
    a = ap.parse_args(argv)
    if a.check:
        a.quick = True
        a.no_codec = True
        a.no_plots = True
        if a.out == HERE / "results":
            a.out = HERE / "results" / "tmp"
        a.name = a.name or "check"

    t0 = time.perf_counter()
    log = lambda s: print(s, flush=True)  # noqa: E731
    data_dir = a.data if a.data is not None else C.default_data_dir()
    sources = C.resolve_sources(data_dir, a.quick)
    now = dt.datetime.now(dt.timezone.utc)
    name = a.name or f"{'quick' if a.quick else 'full'}-{now:%Y%m%d-%H%M}"
    a.out.mkdir(parents=True, exist_ok=True)
    desc = []
    for k, v in sources.items():
        d = f"{k}={Path(v['path']).name}"
        if v["shipped_sample"]:
            d += " (shipped sample)"
        if v["rows"] is not None:
            d += f" ({v['rows']:,} rows)"
        desc.append(d)
    log(f"bale bench: {'quick' if a.quick else 'full'} run '{name}', data " + ", ".join(desc))
    log("preparing compact inputs (cached)...")
    cache = C.prepare(sources, log=log)

    cases = plan(a.quick, a.only)
    timeout = a.timeout or (120 if a.quick else 900)
    results = []
    for i, case in enumerate(cases, 1):
        label = f'{case["op"]}:{case["dataset"]}:{case["container"]}'
        if case["skip"]:
            log(f"[{i}/{len(cases)}] {label}: skipped ({case['skip']})")
            results.append({"ok": False, "skipped": case["skip"],
                            "spec": {k: v for k, v in case.items() if k != "skip"}})
            continue
        t = time.perf_counter()
        r = run_case(case, cache, timeout)
        results.append(r)
        if r.get("ok"):
            log(f"[{i}/{len(cases)}] {label}: {r['bytes_per_elem']:.2f} B/elem, {time.perf_counter() - t:.1f} s")
        else:
            log(f"[{i}/{len(cases)}] {label}: FAILED {r.get('error', '')[:300]}")

    if a.quick and not a.codec:
        a.no_codec = True
    codec = {"ran": False, "note": "skipped (--no-codec, or --quick without --codec)"} if a.no_codec else codec_bench(
        C.REPO, a.quick, log, data_dir if (data_dir and data_dir.exists()) else None)
    doc = {
        "schema": 1,
        "name": name,
        "date": now.isoformat(timespec="seconds"),
        "quick": a.quick,
        "machine": C.machine_info(),
        "libraries": C.library_versions(),
        "bale": bale_status(),
        "sources": sources,
        "method": {
            "memory": "RSS growth over a baseline taken after the compact input is loaded "
                      "(gc.collect() + malloc_trim(0) before each reading); peak = VmHWM after "
                      "reset via /proc/self/clear_refs",
            "time": "median of repeats, with min and max, per element; wall-clock (perf_counter) and "
                    "process CPU time (process_time) both recorded",
            "process": "one fresh subprocess per case, cases run sequentially",
        },
        "cases": results,
        "codec_bench": codec,
        "wall_s": None,
    }
    clock = a.clock
    if clock == "auto":
        la = [r.get("loadavg_1min", 0) for r in results if r.get("ok")]
        busy = la and sorted(la)[len(la) // 2] > (os.cpu_count() or 1)
        clock = "cpu" if busy else "wall"
    doc["clock"] = clock
    try:
        import bale
        doc["bale_threads"] = bale.get_num_threads()  # bulk reads (to_numpy, sum) use these
    except (ImportError, AttributeError):
        pass
    import report
    doc["targets"] = report.evaluate(doc)
    doc["wall_s"] = time.perf_counter() - t0
    jpath = a.out / f"{name}.json"
    jpath.write_text(json.dumps(doc, indent=1))
    charts = [] if a.no_plots else report.charts(doc, a.out, name, log)
    md = report.markdown(doc, charts)
    (a.out / f"{name}.md").write_text(md)
    log(f"wrote {jpath}, {a.out / (name + '.md')}" + "".join(f", {c}" for c in charts))
    log(f"total {doc['wall_s']:.0f} s")
    if a.check:
        problems = report.validate(json.loads(jpath.read_text()))
        if problems:
            log("CHECK FAILED:\n  " + "\n  ".join(problems))
            return 1
        log("check ok: JSON well-formed, every available case ran")
    return 0


if __name__ == "__main__":
    sys.exit(main())
