"""Smoke tests of bale.List: each operation once, the dtype rules, sharing,
pickling and corrupt pickles, buffers, numeric helpers.  The exhaustive
comparison with list is test_list_stateful.py."""
from __future__ import annotations

import array
import collections.abc
import copy
import gc
import pickle
import sys

import pytest

import bale

List = bale.List


def test_construct_and_index():
    xs = List(range(100_000))
    assert len(xs) == 100_000 and xs.dtype == "int"
    assert xs[0] == 0 and xs[-1] == 99_999 and xs[54_321] == 54_321
    with pytest.raises(IndexError):
        xs[100_000]
    with pytest.raises(IndexError):
        xs[-100_001]
    with pytest.raises(TypeError):
        xs["a"]
    assert list(xs) == list(range(100_000))
    assert list(reversed(xs))[:3] == [99_999, 99_998, 99_997]
    assert xs.tolist() == list(range(100_000))


def test_generator_bounded():
    def gen():
        yield from range(300_000)

    xs = List(gen())
    assert len(xs) == 300_000 and xs[-1] == 299_999 and xs.sum() == sum(range(300_000))
    assert xs.nbytes < xs.raw_nbytes


def test_dtype_inference_and_widening():
    xs = List()
    assert xs.dtype is None and len(xs) == 0
    xs.append(1)
    assert xs.dtype == "int"
    xs.append(2**70)
    assert xs.dtype == "object" and xs[-1] == 2**70 and xs[0] == 1
    ys = List([1, 2, 3])
    ys.append("a")
    assert ys.dtype == "object" and ys.tolist() == [1, 2, 3, "a"]
    assert List([True, 1]).dtype == "object"
    assert List([1.5]).dtype == "float"
    assert List(["x"]).dtype == "str"
    assert List([b"x"]).dtype == "bytes"
    assert List([None]).dtype == "object"
    zs = List([1])
    zs.clear()
    zs.append("s")
    assert zs.dtype == "str"


def test_explicit_dtype_errors():
    xs = List(dtype="int")
    with pytest.raises(TypeError, match="int.*str"):
        xs.append("a")
    with pytest.raises(TypeError):
        xs.append(True)
    with pytest.raises(OverflowError):
        xs.append(2**64)
    f = List([1, 2.5], dtype="float")
    assert f.tolist() == [1.0, 2.5] and type(f[0]) is float
    with pytest.raises(ValueError):
        List(dtype="complex")
    with pytest.raises(TypeError):
        List(["a"], dtype="bytes")
    assert List(dtype=str).dtype == "str"


def test_strings_roundtrip():
    vals = ["", "a", "h\u00e9llo", "\ud800 lone surrogate", "x" * 100_000, "\U0001f600"]
    xs = List(vals * 50)
    assert xs.dtype == "str"
    assert xs.tolist() == vals * 50
    assert xs.count("a") == 50 and xs.index("\U0001f600") == 5
    assert "zz" not in xs and "a" in xs


def test_mutations():
    m = list(range(20_000))
    xs = List(m)
    for op in [
        lambda l: l.insert(5, -1),
        lambda l: l.insert(-3, -2),
        lambda l: l.insert(10**9, -3),
        lambda l: l.__setitem__(7, 77),
        lambda l: l.__delitem__(3),
        lambda l: l.__delitem__(slice(100, 15_000)),
        lambda l: l.__setitem__(slice(2, 5), [9, 9, 9, 9, 9, 9]),
        lambda l: l.__setitem__(slice(None, None, 3), list(range(len(l[::3])))),
        lambda l: l.__delitem__(slice(None, None, -2)),
        lambda l: l.extend(range(5000)),
        lambda l: l.remove(9),
        lambda l: l.reverse(),
        lambda l: l.sort(),
        lambda l: l.sort(reverse=True, key=lambda v: v % 7),
        lambda l: l.pop(),
        lambda l: l.pop(0),
    ]:
        op(m)
        op(xs)
        assert xs.tolist() == m
    with pytest.raises(ValueError, match="extended slice of size"):
        xs[::2] = [1]
    with pytest.raises(ValueError):
        xs.remove(-12345)
    with pytest.raises(IndexError):
        List().pop()


def test_copy_shares_and_is_independent():
    xs = List(range(200_000))
    live = bale.memory()["live"]
    ys = xs.copy()
    assert bale.memory()["live"] - live < 64 * 1024
    zs = xs[8192:200_000]
    assert bale.memory()["live"] - live < 256 * 1024
    ys[0] = -1
    zs.append(5)
    assert xs[0] == 0 and ys[0] == -1 and zs[-1] == 5 and len(xs) == 200_000
    assert copy.copy(xs) == xs and copy.deepcopy(xs) == xs


def test_operators_and_compare():
    xs = List([1, 2, 3])
    assert xs + [4] == [1, 2, 3, 4]
    assert xs + List([4]) == List([1, 2, 3, 4])
    assert xs * 2 == [1, 2, 3, 1, 2, 3] and 0 * xs == []
    xs += (5, 6)
    xs *= 2
    assert xs == [1, 2, 3, 5, 6] * 2
    assert List([1, 2]) < [1, 3] and List([1, 2]) <= List([1, 2]) and not (List([2]) < [1, 5])
    assert List([1, 2]) != [1, 2.5] and [1, 2] == List([1, 2])
    with pytest.raises(TypeError):
        xs + (1,)
    with pytest.raises(TypeError):
        hash(xs)


def test_abc_generic_repr():
    xs = List(range(100))
    assert isinstance(xs, collections.abc.MutableSequence)
    assert List[int] is not None
    r = repr(xs)
    assert r.startswith("bale.List([0, 1, 2, ..., 97, 98, 99], len=100, dtype='int', ratio=")
    assert repr(List()) .startswith("bale.List([], len=0, dtype=None")
    assert sys.getsizeof(xs) >= xs.nbytes > 0
    assert xs.raw_nbytes == 800
    assert xs.codec == "auto"
    it = iter(xs)
    next(it)
    assert it.__length_hint__() == 99


def test_codec_argument():
    xs = List(range(1000), codec="zstd:19")
    assert xs.codec == "zstd:19" and xs.tolist() == list(range(1000))
    with pytest.raises(ValueError, match=r"bale\.encodings\(\) and a backend"):
        List(codec="nope")
    # an encoding alone: the message says how to name a backend with it
    with pytest.raises(ValueError, match=r"'dict' is an encoding: give it a backend, as in 'dict\+none'"):
        List(codec="dict")
    assert List(["a", "b"] * 10, codec="dict+none").tolist() == ["a", "b"] * 10


@pytest.mark.parametrize(
    "vals",
    [list(range(70_000)), [x / 3 for x in range(30_000)], [True, False] * 40_000,
     ["s%d" % i for i in range(20_000)], [b"b%d" % i for i in range(20_000)],
     [(1, "a"), None, {"k": [1]}] * 100, []],
)
def test_pickle_roundtrip(vals):
    xs = List(vals)
    ys = pickle.loads(pickle.dumps(xs))
    assert type(ys) is List and ys.dtype == xs.dtype and ys.tolist() == vals


def test_category_list_relearns_its_table():
    """A str list of few distinct values re-encodes its first eight chunks
    against a table learnt from all of them (bale__chunks_relearn): it ends
    smaller than the same list built while a copy shared its first chunks
    (which stops the relearn), holds the same values, and pickles and
    slices as any list."""
    import random
    rng = random.Random(5)
    per_chunk = 5461  # "Knnn": 4 bytes + 8 raw each, 64 KiB

    def value(i):
        x = rng.randrange(1000)
        idx = x * x // 5000  # 0..199, low ones common
        return "K%03d" % (idx if i < per_chunk else (idx + 5) % 200)

    vals = [value(i) for i in range(12 * per_chunk)]
    xs = List(iter(vals), dtype="str")
    ys = List(iter(vals[: 4 * per_chunk]), dtype="str")
    keep = ys.copy()  # shares ys's first chunks
    ys.extend(iter(vals[4 * per_chunk:]))
    del keep
    gc.collect()
    assert xs.nbytes < ys.nbytes
    assert xs == vals and ys == vals
    zs = pickle.loads(pickle.dumps(xs))
    assert zs == vals and zs.dtype == "str"
    assert xs[100:50_000:7] == vals[100:50_000:7]
    xs[3] = "new"
    vals[3] = "new"
    assert xs == vals


def test_pickle_corrupt():
    xs = List(range(10_000))
    ctor, (dtype, codec, inferred, chunks) = xs.__reduce__()
    bad = bytearray(chunks[0])
    bad[len(bad) // 2] ^= 0x40
    with pytest.raises(bale.CorruptDataError):
        ctor(dtype, codec, inferred, [bytes(bad)] + chunks[1:])
    for cut in (0, 1, 10, 47, 48, len(chunks[0]) - 1):
        with pytest.raises(bale.CorruptDataError):
            ctor(dtype, codec, inferred, [chunks[0][:cut]])
    with pytest.raises(bale.CorruptDataError):
        ctor("str", codec, False, chunks)  # chunks of another dtype


def test_buffers_and_numpy():
    a = array.array("q", range(100_000))
    xs = List(a)
    assert xs.dtype == "int" and xs[99_999] == 99_999
    d = List(array.array("d", [0.5, 1.5]))
    assert d.dtype == "float" and d.tolist() == [0.5, 1.5]
    assert List(array.array("i", [-1, 2])).tolist() == [-1, 2]
    np = pytest.importorskip("numpy")
    n = np.arange(1_000_000, dtype=np.int64)
    xs = List(n)
    assert xs.sum() == int(n.sum()) and xs.min() == 0 and xs.max() == 999_999
    out = xs.to_numpy()
    assert out.dtype == np.int64 and (out == n).all()
    b = List(np.array([True, False, True]))
    assert b.dtype == "bool" and b.to_numpy().tolist() == [True, False, True]
    f = List(np.linspace(0, 1, 1001))
    assert f.to_numpy().dtype == np.float64 and abs(f.sum() - 500.5) < 1e-9
    with pytest.raises(TypeError):
        List(["a"]).to_numpy()
    fl = List(dtype="float")
    fl.extend(np.arange(3, dtype=np.int32))
    assert fl.tolist() == [0.0, 1.0, 2.0]


def test_numeric_helpers_match_builtins():
    vals = [3, -7, 2**62, 2**62, 5]
    xs = List(vals)
    assert xs.sum() == sum(vals) and xs.min() == min(vals) and xs.max() == max(vals)
    fs = [0.1] * 10 + [1e100, 1.0, -1e100]
    assert List(fs).sum() == sum(fs)
    assert List([True, True, False]).sum() == 2
    assert List(["b", "a"]).min() == "a"
    with pytest.raises(ValueError):
        List(dtype="int").max()


def test_mutation_during_iteration():
    xs = List(range(10))
    out = []
    for x in xs:
        out.append(x)
        if x == 3:
            del xs[0:2]
    assert out == [0, 1, 2, 3, 6, 7, 8, 9]


def test_memory_released():
    gc.collect()
    before = bale.memory()["live"]
    xs = List(range(500_000))
    ys = xs[::2]
    zs = xs.copy()
    del xs, ys, zs
    gc.collect()
    assert bale.memory()["live"] <= before


class _Evil:
    """Pickling it (object dtype) changes the list being written."""

    target = None

    def __reduce__(self):
        t = _Evil.target
        t.clear()
        t.extend(range(5))
        t.append("s")
        return (int, (7,))


def _mutating_load():
    _Evil.target[:] = [1, 2, 3]
    return 42


class _EvilLoad:
    def __reduce__(self):
        return (_mutating_load, ())


def test_reentrant_changes_do_not_crash():
    xs = List([1, "a", None])
    _Evil.target = xs
    xs.append(_Evil())
    xs[1] = _Evil()
    xs.insert(0, _Evil())
    xs[0:2] = [_Evil(), _Evil()]
    assert xs.dtype == "object" and 7 in xs
    for make in range(6):
        ys = List([_EvilLoad(), 1, "x"] * 3000)
        _Evil.target = ys
        try:
            [lambda: list(ys), lambda: ys.tolist(), lambda: repr(ys), lambda: ys.pop(3),
             lambda: ys.count(42), lambda: ys.sort(key=str)][make]()
        except IndexError:
            pass
    zs = List(range(10))

    def gen():
        for i in range(100_000):
            if i == 50_000:
                zs.append("z")
            yield i

    zs.extend(gen())
    assert zs.dtype == "object" and len(zs) == 100_011 and zs[-1] == 99_999
