"""Round trips of real data through bale.List and bale.Dict, compared with
list and dict: the npm package names (the first 200,000 in file order, plus a
random sample of the rest) and the columns of the flights table.

The data live outside the repository, in ../shared/data from the repository
root (or where BALE_DATA_DIR points).  Without them these tests skip.
BALE_REALDATA_FULL=1 uses every row instead of a sample."""
from __future__ import annotations

import lzma
import os
import pickle
import random
from pathlib import Path

import pytest

import bale

List = getattr(bale, "List", None)
Dict = getattr(bale, "Dict", None)

REPO = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("BALE_DATA_DIR") or os.environ.get("BALE_SHARED_DATA")
            or (REPO / ".." / "shared" / "data")).resolve()
FULL = bool(os.environ.get("BALE_REALDATA_FULL"))
SEED = 20011


def data_file(name):
    p = DATA / name
    if not p.exists():
        pytest.skip(f"real data not available: {p} is missing (set BALE_DATA_DIR to the folder "
                    f"holding {name}); these tests only run where ../shared/data exists")
    return p


@pytest.fixture(scope="module")
def npm_names():
    path = data_file("npm-names.txt.xz")
    head, rest = [], []
    r = random.Random(SEED)
    with lzma.open(path, "rt", encoding="utf-8") as f:
        for i, line in enumerate(f):
            name = line.rstrip("\n")
            if i < 200_000:
                head.append(name)
            elif FULL or r.random() < 0.03:
                rest.append(name)
    assert len(head) == 200_000
    return head, rest


@pytest.fixture(scope="module")
def flights():
    path = data_file("flights-3m.csv.xz")
    cols = {"date": [], "delay": [], "distance": [], "origin": [], "destination": []}
    r = random.Random(SEED)
    with lzma.open(path, "rt", encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split(",")
        assert header == list(cols)
        for i, line in enumerate(f):
            if not (FULL or i < 300_000 or r.random() < 0.05):
                continue
            date, delay, distance, origin, dest = line.rstrip("\n").split(",")
            cols["date"].append(date)
            cols["delay"].append(int(delay))
            cols["distance"].append(int(distance))
            cols["origin"].append(origin)
            cols["destination"].append(dest)
    return cols


needs_list = pytest.mark.skipif(List is None, reason="bale.List is not in this build yet")
needs_dict = pytest.mark.skipif(Dict is None, reason="bale.Dict is not in this build yet")


def check_list(xs, want, r):
    assert len(xs) == len(want)
    assert xs.tolist() == want
    assert list(xs) == want
    for i in [r.randrange(len(want)) for _ in range(2000)] + [0, len(want) - 1]:
        assert xs[i] == want[i]
        assert xs[i - len(want)] == want[i]
    assert xs[1000:1100] == want[1000:1100]
    assert xs[::997] == want[::997]
    assert list(reversed(xs))[:50] == want[::-1][:50]


@needs_list
def test_npm_names_list(npm_names):
    head, rest = npm_names
    r = random.Random(SEED)
    for names in (head, rest, head[:50_000] + rest):
        xs = List(names)
        assert xs.dtype == "str"
        check_list(xs, names, r)
        assert xs.nbytes < xs.raw_nbytes
        ys = pickle.loads(pickle.dumps(xs, protocol=5))
        assert ys == names
        # a shuffled copy, then sorted back
        sh = list(names)
        r.shuffle(sh)
        zs = List(iter(sh), dtype="str")
        check_list(zs, sh, r)
        zs.sort()
        assert zs.tolist() == sorted(sh)
        probe = [names[r.randrange(len(names))] for _ in range(50)]
        for p in probe[:10]:
            assert xs.index(p) == names.index(p)
            assert xs.count(p) == names.count(p)
        assert ("\x00not a package" in xs) is False


@needs_list
def test_npm_names_list_edits(npm_names):
    head, _ = npm_names
    r = random.Random(SEED + 1)
    xs = List(head)
    want = list(head)
    for _ in range(300):
        op = r.randrange(5)
        i = r.randrange(len(want))
        if op == 0:
            xs.insert(i, want[-i])
            want.insert(i, want[-i])
        elif op == 1:
            assert xs.pop(i) == want.pop(i)
        elif op == 2:
            xs[i] = want[i] + "-x"
            want[i] = want[i] + "-x"
        elif op == 3:
            del xs[i:i + 50]
            del want[i:i + 50]
        else:
            xs[i:i + 3] = ["a", "b"]
            want[i:i + 3] = ["a", "b"]
    assert xs.tolist() == want


@needs_dict
def test_npm_names_dict(npm_names):
    head, rest = npm_names
    names = head + rest
    order = list(range(len(names)))
    random.Random(SEED).shuffle(order)
    want = {}
    d = Dict()
    for i in order:  # inserted in shuffled order, as real dictionaries are built
        want[names[i]] = i
        d[names[i]] = i
    assert d.key_type == "str" and d.value_type == "int"
    assert len(d) == len(want)
    assert list(d.items()) == list(want.items())
    r = random.Random(SEED + 2)
    for _ in range(20000):
        k = names[r.randrange(len(names))]
        assert d[k] == want[k]
        assert "~" + k not in d
    for k in [names[r.randrange(len(names))] for _ in range(2000)]:
        if k in want:
            assert d.pop(k) == want.pop(k)
    assert d == want
    assert d.nbytes < d.raw_nbytes * 2
    e = pickle.loads(pickle.dumps(d, protocol=5))
    assert list(e.items()) == list(want.items())
    f = Dict((n, i) for i, n in enumerate(names))
    assert f == {n: i for i, n in enumerate(names)}


@needs_list
@pytest.mark.parametrize("column", ["date", "delay", "distance", "origin", "destination"])
def test_flights_columns_list(flights, column):
    want = flights[column]
    r = random.Random(SEED)
    xs = List(want)
    assert xs.dtype == ("int" if column in ("delay", "distance") else "str")
    check_list(xs, want, r)
    assert xs.nbytes < xs.raw_nbytes
    ys = pickle.loads(pickle.dumps(xs, protocol=5))
    assert ys == want
    gen = List((v for v in want))
    assert gen == xs
    if xs.dtype == "int":
        np = pytest.importorskip("numpy")
        assert (xs.to_numpy() == np.array(want, dtype=np.int64)).all()
        zs = List(want)
        zs.sort()
        assert zs.tolist() == sorted(want)
    for v in {want[r.randrange(len(want))] for _ in range(5)}:
        assert xs.count(v) == want.count(v)
        assert xs.index(v) == want.index(v)


@needs_dict
def test_flights_dict(flights):
    # route -> distance (most routes repeat: many overwrites), and
    # row number -> delay (int keys)
    want_routes = {}
    d = Dict(key_type="str", value_type="int")
    for o, t, dist in zip(flights["origin"], flights["destination"], flights["distance"]):
        k = o + "-" + t
        want_routes[k] = dist
        d[k] = dist
    assert list(d.items()) == list(want_routes.items())
    rows = Dict(zip(range(0, 3 * len(flights["delay"]), 3), flights["delay"]))
    want_rows = dict(zip(range(0, 3 * len(flights["delay"]), 3), flights["delay"]))
    assert rows.key_type == "int"
    assert len(rows) == len(want_rows)
    r = random.Random(SEED)
    for _ in range(20000):
        k = 3 * r.randrange(len(want_rows))
        assert rows[k] == want_rows[k]
        assert rows.get(k + 1) is None
        assert rows[float(k)] == want_rows[k]
    assert list(rows.items()) == list(want_rows.items())
    assert pickle.loads(pickle.dumps(rows)) == want_rows
