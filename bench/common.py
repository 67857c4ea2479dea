"""Shared helpers for the bale benchmark suite: data loading, RSS, timing.

The inputs are loaded once by ``run.py`` from the xz text files, converted to a
compact form (numpy arrays: strings as one UTF-8 blob plus int64 offsets, ints as
int64) and cached as ``.npy`` files; every case then loads that compact form in
its own fresh process before taking the memory baseline.
"""
from __future__ import annotations

import ctypes
import gc
import hashlib
import io
import json
import lzma
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SAMPLE_DIR = REPO / "python" / "bale" / "data"
SEED = 20261123

FULL_FILES = {"npm": "npm-names.txt.xz", "flights": "flights-3m.csv.xz", "words": "words.txt.xz"}
SAMPLE_FILES = {"npm": "npm-names-100k.txt.xz", "flights": "flights-200k.csv.xz", "words": "words.txt.xz"}

# dataset name -> (kind, source); kind "str" or "int"
DATASETS = {
    "npm_sorted": ("str", "npm"),
    "npm_shuffled": ("str", "npm"),
    "words": ("str", "words"),
    "date": ("int", "flights"),
    "delay": ("int", "flights"),
    "distance": ("int", "flights"),
    "origin": ("str", "flights"),
    "destination": ("str", "flights"),
}

QUICK_ROWS = {"npm": 100_000, "flights": 200_000, "words": 100_000}


def default_data_dir() -> Path:
    env = os.environ.get("BALE_DATA_DIR")
    if env:
        return Path(env)
    return (REPO / ".." / "shared" / "data").resolve()


def resolve_sources(data_dir: Path | None, quick: bool) -> dict:
    """Which file feeds each source, and how many rows to take."""
    out = {}
    for src in FULL_FILES:
        full = data_dir / FULL_FILES[src] if data_dir else None
        if full is not None and full.exists():
            out[src] = {"path": str(full), "rows": QUICK_ROWS[src] if quick else None, "shipped_sample": False}
        elif quick:
            out[src] = {"path": str(SAMPLE_DIR / SAMPLE_FILES[src]), "rows": None, "shipped_sample": True}
        else:
            raise SystemExit(f"data file {full} not found; pass --data DIR, set BALE_DATA_DIR, or use --quick "
                             "(which falls back to the sample shipped in python/bale/data)")
    return out


# --------------------------------------------------------------------------- compact inputs

def _lines(path: str) -> list[str]:
    with lzma.open(path, "rt", encoding="utf-8", newline="\n") as f:
        text = f.read()
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _sample_sorted(lines: list[str], rows: int | None) -> list[str]:
    """A random sample (fixed seed) kept in file order, so 'sorted' stays sorted."""
    if rows is None or rows >= len(lines):
        return lines
    import numpy as np
    rng = np.random.default_rng(SEED)
    idx = np.sort(rng.choice(len(lines), size=rows, replace=False))
    return [lines[i] for i in idx]


def _str_compact(strings: list[str]):
    import numpy as np
    encoded = [s.encode("utf-8") for s in strings]
    lens = np.fromiter((len(b) for b in encoded), dtype=np.int64, count=len(encoded))
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum(lens, out=offsets[1:])
    blob = np.frombuffer(b"".join(encoded), dtype=np.uint8).copy()
    return blob, offsets


def prepare(sources: dict, cache_root: Path | None = None, log=print) -> Path:
    """Convert the sources into cached .npy files; returns the cache dir."""
    import numpy as np
    key = hashlib.sha1(json.dumps(
        {k: (v["path"], os.path.getmtime(v["path"]), v["rows"]) for k, v in sources.items()},
        sort_keys=True).encode()).hexdigest()[:12]
    root = cache_root or Path(tempfile.gettempdir()) / "bale-bench-cache"
    cache = root / key
    if (cache / "done").exists():
        return cache
    cache.mkdir(parents=True, exist_ok=True)

    t = time.perf_counter()
    names = _sample_sorted(_lines(sources["npm"]["path"]), sources["npm"]["rows"])
    blob, off = _str_compact(names)
    np.save(cache / "npm_sorted.blob.npy", blob)
    np.save(cache / "npm_sorted.off.npy", off)
    perm = np.random.default_rng(SEED).permutation(len(names))
    shuffled = [names[i] for i in perm]
    blob, off = _str_compact(shuffled)
    np.save(cache / "npm_shuffled.blob.npy", blob)
    np.save(cache / "npm_shuffled.off.npy", off)
    # value of each shuffled name = its line number in the sorted file
    np.save(cache / "npm_shuffled.lineno.npy", perm.astype(np.int64))
    del names, shuffled
    log(f"  npm names prepared in {time.perf_counter() - t:.1f} s")

    t = time.perf_counter()
    words = _lines(sources["words"]["path"])
    rows = sources["words"]["rows"]
    if rows is not None:
        words = words[:rows]
    blob, off = _str_compact(words)
    np.save(cache / "words.blob.npy", blob)
    np.save(cache / "words.off.npy", off)
    log(f"  words prepared in {time.perf_counter() - t:.1f} s")

    t = time.perf_counter()
    rows = sources["flights"]["rows"]
    with lzma.open(sources["flights"]["path"], "rt", encoding="ascii") as f:
        header = f.readline().strip().split(",")
        assert header == ["date", "delay", "distance", "origin", "destination"], header
        import itertools
        lines = list(itertools.islice(f, rows)) if rows else f.readlines()
    cols = list(zip(*(ln.rstrip("\n").split(",") for ln in lines)))
    del lines
    date = np.array([d[:16] for d in cols[0]], dtype="datetime64[m]").astype(np.int64)
    np.save(cache / "date.npy", date)
    np.save(cache / "delay.npy", np.array(cols[1], dtype=np.int64))
    np.save(cache / "distance.npy", np.array(cols[2], dtype=np.int64))
    for name, col in (("origin", cols[3]), ("destination", cols[4])):
        blob, off = _str_compact(list(col))
        np.save(cache / f"{name}.blob.npy", blob)
        np.save(cache / f"{name}.off.npy", off)
    log(f"  flights prepared in {time.perf_counter() - t:.1f} s")
    (cache / "done").write_text("ok")
    return cache


class StrColumn:
    """Strings in compact form: one UTF-8 blob (bytes) and int64 offsets."""

    def __init__(self, blob: bytes, offsets):
        self.blob = blob
        self.offsets = offsets
        self.n = len(offsets) - 1

    def __len__(self):
        return self.n

    def get(self, i: int) -> str:
        o = self.offsets
        return self.blob[int(o[i]):int(o[i + 1])].decode("utf-8")

    def iter(self, start: int = 0, stop: int | None = None):
        """Fresh str objects, decoded from the blob in batches of offsets."""
        blob = self.blob
        stop = self.n if stop is None else stop
        step = 65536
        for s in range(start, stop, step):
            e = min(stop, s + step)
            offs = self.offsets[s:e + 1].tolist()
            a = offs[0]
            for b in offs[1:]:
                yield blob[a:b].decode("utf-8")
                a = b

    def fresh(self, indices) -> list[str]:
        o = self.offsets
        blob = self.blob
        starts = o[indices].tolist()
        ends = o[indices + 1].tolist()
        return [blob[a:b].decode("utf-8") for a, b in zip(starts, ends)]


def load(cache: Path, dataset: str):
    """Load a dataset's compact form: numpy int64 array or StrColumn."""
    import numpy as np
    kind, _ = DATASETS[dataset]
    if kind == "int":
        return np.load(cache / f"{dataset}.npy")
    blob = np.load(cache / f"{dataset}.blob.npy").tobytes()
    off = np.load(cache / f"{dataset}.off.npy")
    return StrColumn(blob, off)


# --------------------------------------------------------------------------- memory

_libc = None


def trim() -> None:
    """gc.collect() then malloc_trim(0), so RSS reflects what is really held."""
    global _libc
    gc.collect()
    pa = sys.modules.get("pyarrow")
    if pa is not None:
        try:
            pa.default_memory_pool().release_unused()
        except Exception:  # noqa: BLE001
            pass
    try:
        if _libc is None:
            _libc = ctypes.CDLL("libc.so.6")
        _libc.malloc_trim(0)
    except (OSError, AttributeError):
        pass


def status() -> dict:
    out = {}
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    k, v = line.split(":")
                    out[k] = int(v.split()[0]) * 1024
    except OSError:
        import resource
        ru = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        out = {"VmRSS": ru, "VmHWM": ru}
    return out


def rss() -> int:
    return status()["VmRSS"]


def reset_peak() -> bool:
    """Reset VmHWM to the current RSS; False when the kernel does not allow it."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak() -> int:
    return status()["VmHWM"]


# --------------------------------------------------------------------------- timing

class Sample(float):
    """A wall-clock duration (the float value) that also carries the process CPU
    time of the same interval (.cpu)."""

    def __new__(cls, wall: float, cpu: float):
        o = float.__new__(cls, wall)
        o.cpu = cpu
        return o


def now() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def since(t0: tuple[float, float]) -> Sample:
    return Sample(time.perf_counter() - t0[0], time.process_time() - t0[1])


def timed(fn, repeats: int) -> list[Sample]:
    out = []
    for _ in range(repeats):
        t = now()
        fn()
        out.append(since(t))
    return out


def _stats(xs):
    s = sorted(xs)
    n = len(s)
    med = s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2
    return med, s[0], s[-1]


def summary(samples: list, per: int = 1) -> dict:
    """median/min/max of wall time and (cpu_*) of process CPU time, divided by
    `per` (e.g. per element)."""
    med, lo, hi = _stats([float(x) / per for x in samples])
    out = {"median": med, "min": lo, "max": hi, "repeats": len(samples), "per": per}
    if all(hasattr(x, "cpu") for x in samples):
        med, lo, hi = _stats([x.cpu / per for x in samples])
        out.update(cpu_median=med, cpu_min=lo, cpu_max=hi)
    return out


def machine_info() -> dict:
    import platform
    cpu = None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = None
    try:
        with open("/proc/meminfo") as f:
            mem = int(f.readline().split()[1]) * 1024
    except OSError:
        pass
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_model": cpu or platform.processor(),
        "cpu_count": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "mem_total": mem,
        "python": sys.version.split()[0],
        "python_impl": platform.python_implementation(),
    }


def library_versions() -> dict:
    import importlib.metadata as md
    out = {}
    for dist in ("bale", "numpy", "pyarrow", "blosc2", "marisa-trie", "diskcache", "matplotlib"):
        try:
            out[dist] = md.version(dist)
        except md.PackageNotFoundError:
            out[dist] = None
    return out
