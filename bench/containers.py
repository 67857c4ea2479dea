"""Adapters: how each container is built, iterated, indexed and sized.

Every list-like container is built from the same stream of fresh Python objects
(decoded from the compact input), using that container's natural constructor for
an iterator.  ``get`` returns the element as the user would read it.
"""
from __future__ import annotations

import sys
from array import array

BLOSC_CHUNK = 65536      # items per chunk
BLOSC_BLOCK = 8192       # items per block (64 KiB of int64): the unit of random access


def _blosc2():
    import blosc2
    blosc2.set_nthreads(1)  # one core, like the other containers
    return blosc2


def _np():
    import numpy as np
    return np


# --------------------------------------------------------------------------- blosc2 strings

class BloscStrings:
    """Strings in python-blosc2: the UTF-8 blob in an SChunk (64 KiB blocks, zstd)
    plus the int64 offsets in a compressed NDArray; random access and iteration
    decompress only what they need."""

    def __init__(self, strings, n, clevel=5):
        blosc2 = _blosc2()
        np = _np()
        offs = np.empty(n + 1, dtype=np.int64)
        offs[0] = 0
        self.sc = blosc2.SChunk(chunksize=1 << 20, cparams=dict(
            codec=blosc2.Codec.ZSTD, clevel=clevel, typesize=1, blocksize=1 << 16))
        buf = bytearray()
        pos = 0
        for i, s in enumerate(strings):
            b = s.encode("utf-8")
            buf += b
            pos += len(b)
            offs[i + 1] = pos
            if len(buf) >= 1 << 20:
                self.sc.append_data(bytes(buf[:1 << 20]))
                del buf[:1 << 20]
        self._tail = bytes(buf)  # last partial chunk (uncompressed, < 1 MiB)
        self._tail_start = pos - len(buf)
        self.offsets = blosc2.asarray(offs, chunks=(BLOSC_CHUNK,), blocks=(BLOSC_BLOCK,), cparams=dict(
            codec=blosc2.Codec.ZSTD, clevel=clevel, filters=[blosc2.Filter.SHUFFLE, blosc2.Filter.BYTEDELTA]))
        self.n = n

    def __len__(self):
        return self.n

    def _bytes(self, a, b):
        ts = self._tail_start
        if a >= ts:
            return self._tail[a - ts:b - ts]
        if b <= ts:
            return self.sc.get_slice(a, b)
        return self.sc.get_slice(a, ts) + self._tail[:b - ts]

    def __getitem__(self, i):
        o = self.offsets[i:i + 2]
        return self._bytes(int(o[0]), int(o[1])).decode("utf-8")

    def __iter__(self):
        for s in range(0, self.n, BLOSC_BLOCK):
            e = min(self.n, s + BLOSC_BLOCK)
            offs = self.offsets[s:e + 1].tolist()
            data = self._bytes(offs[0], offs[-1])
            base = offs[0]
            a = 0
            for o in offs[1:]:
                yield data[a:o - base].decode("utf-8")
                a = o - base

    @property
    def nbytes(self):
        return self.sc.cbytes + len(self._tail) + self.offsets.schunk.cbytes


# --------------------------------------------------------------------------- list-like

def build_list(container: str, kind: str, dataset: str, gen, n: int):
    np = _np()
    if container == "list":
        return list(gen)
    if container == "array":
        return array("q", gen)
    if container == "numpy":
        if kind == "int":
            return np.fromiter(gen, dtype=np.int64, count=n)
        from numpy.dtypes import StringDType
        return np.fromiter(gen, dtype=StringDType(), count=n)
    if container == "pyarrow":
        import pyarrow as pa
        return pa.array(gen, type=pa.int64() if kind == "int" else pa.string(), size=n)
    if container == "pyarrow-dict":
        import pyarrow as pa
        return pa.array(gen, type=pa.string(), size=n).dictionary_encode()
    if container == "blosc2":
        blosc2 = _blosc2()
        if kind == "str":
            return BloscStrings(gen, n)
        flt = blosc2.Filter.SHUFFLE if dataset == "date" else blosc2.Filter.BITSHUFFLE
        tmp = np.fromiter(gen, dtype=np.int64, count=n)
        return blosc2.asarray(tmp, chunks=(BLOSC_CHUNK,), blocks=(BLOSC_BLOCK,), cparams=dict(
            codec=blosc2.Codec.ZSTD, clevel=9, filters=[flt]))
    if container == "bale":
        import bale
        return bale.List(gen)
    if container == "bale-zstd19":
        import bale
        return bale.List(gen, dtype=kind, codec="zstd:19")
    raise ValueError(container)


def warmup(container: str, kind: str, dataset: str, is_dict: bool = False, tmpdir=None,
           sample=None) -> None:
    """Import the container's module and build a small one, so that one-time
    costs are not counted as the container's memory: imports, allocator
    pools, code pages, and per-thread codec state (bale's cached compression
    contexts).  `sample`, a slice of the dataset itself, takes the codec paths
    the real data takes; without it a synthetic sample is used."""
    if sample is None:
        sample = [f"warm{i}" for i in range(2000)] if kind == "str" or is_dict else list(range(2000))
    if is_dict:
        if container == "diskcache":
            import diskcache  # noqa: F401
            return
        obj = build_dict_loop(container, iter(sample), iter(range(len(sample))), tmpdir)
    else:
        obj = build_list(container, kind, dataset, iter(sample), len(sample))
        list_iterate(container)(obj, 100)
        list_getter(container)(obj, [1, 2, 3])
        if kind == "int":
            for f in (list_sum(container), list_to_numpy(container)):
                if f is not None:
                    f(obj)
    del obj


def list_getter(container: str):
    """fn(obj, indices) that reads every index; the loop is what is timed."""
    if container in ("pyarrow", "pyarrow-dict"):
        def get(obj, idx):
            for i in idx:
                obj[i].as_py()
        return get

    def get(obj, idx):
        for i in idx:
            obj[i]
    return get


def list_iterate(container: str):
    """fn(obj, m) that visits the first m elements as Python-level objects."""
    if container == "blosc2":
        def it(obj, m):
            if isinstance(obj, BloscStrings):
                for k, x in enumerate(obj):
                    if k >= m:
                        break
                return
            for s in range(0, m, BLOSC_BLOCK):
                for x in obj[s:min(m, s + BLOSC_BLOCK)]:
                    pass
        return it
    if container in ("pyarrow", "pyarrow-dict"):
        def it(obj, m):
            for x in (obj if m >= len(obj) else obj.slice(0, m)):
                pass
        return it

    def it(obj, m):
        if m >= len(obj):
            for x in obj:
                pass
        else:
            for x in obj[:m]:
                pass
    return it


def list_sum(container: str):
    if container in ("list", "array"):
        return sum
    if container in ("numpy", "blosc2", "bale", "bale-zstd19"):
        return lambda obj: obj.sum()
    if container == "pyarrow":
        import pyarrow.compute as pc
        return lambda obj: pc.sum(obj).as_py()
    return None


def list_to_numpy(container: str):
    np = _np()
    if container == "list":
        return lambda obj: np.array(obj, dtype=np.int64)
    if container == "array":
        return lambda obj: np.frombuffer(obj, dtype=np.int64).copy()
    if container == "numpy":
        return lambda obj: obj.copy()
    if container == "pyarrow":
        return lambda obj: obj.to_numpy(zero_copy_only=False).copy()  # an owned array, like the others
    if container == "blosc2":
        return lambda obj: obj[:]
    if container in ("bale", "bale-zstd19"):
        return lambda obj: obj.to_numpy()
    return None


def self_reported(container: str, obj) -> dict:
    """What the container says it holds (not used for the headline figures)."""
    try:
        if container in ("bale", "bale-zstd19"):
            out = {"nbytes": obj.nbytes}
            if hasattr(obj, "raw_nbytes"):
                out["raw_nbytes"] = obj.raw_nbytes
            return out
        if container in ("numpy",):
            return {"nbytes": int(obj.nbytes)}
        if container in ("pyarrow", "pyarrow-dict"):
            return {"nbytes": int(obj.get_total_buffer_size())}
        if container == "blosc2":
            if isinstance(obj, BloscStrings):
                return {"nbytes": int(obj.nbytes)}
            return {"nbytes": int(obj.schunk.cbytes)}
        if container == "array":
            return {"nbytes": sys.getsizeof(obj)}
        if container == "list":
            return {"nbytes": sys.getsizeof(obj)}  # the pointer array only
    except Exception as e:  # pragma: no cover - informational
        return {"error": repr(e)}
    return {}


# --------------------------------------------------------------------------- dict-like

def build_dict_loop(container: str, keys, vals, tmpdir=None):
    if container == "dict":
        d = {}
        for k, v in zip(keys, vals):
            d[k] = v
        return d
    if container in ("bale", "bale-typed", "bale-zstd19"):
        import bale
        if container == "bale":
            d = bale.Dict()
        elif container == "bale-typed":
            d = bale.Dict(key_type="str", value_type="int")
        else:
            d = bale.Dict(key_type="str", value_type="int", codec="zstd:19")
        for k, v in zip(keys, vals):
            d[k] = v
        return d
    if container == "marisa":
        import marisa_trie
        return marisa_trie.Trie(keys)  # static: keys only, built in one call
    if container == "diskcache":
        import diskcache
        d = diskcache.Cache(tmpdir)
        with d.transact():
            for k, v in zip(keys, vals):
                d[k] = v
        return d
    raise ValueError(container)


def build_dict_bulk(container: str, keys, vals):
    if container == "dict":
        return dict(zip(keys, vals))
    if container in ("bale", "bale-typed", "bale-zstd19"):
        import bale
        kw = {}
        if container != "bale":
            kw = dict(key_type="str", value_type="int")
        if container == "bale-zstd19":
            kw["codec"] = "zstd:19"
        return bale.Dict(zip(keys, vals), **kw)
    return None


def dict_self_reported(container: str, obj) -> dict:
    try:
        if container.startswith("bale"):
            return {"nbytes": obj.nbytes}
        if container == "marisa":
            return {"nbytes": len(obj.tobytes())}
        if container == "diskcache":
            return {"disk_bytes": obj.volume()}
        if container == "dict":
            return {"nbytes": sys.getsizeof(obj)}  # the table only
    except Exception as e:  # pragma: no cover
        return {"error": repr(e)}
    return {}
