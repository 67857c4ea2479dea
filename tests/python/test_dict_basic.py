"""Smoke tests for bale.Dict: the dict API, types, views, pickling."""
import collections.abc
import pickle
import random
import sys

import pytest

import bale
from bale import Dict


def test_basic_ops():
    d = Dict()
    assert len(d) == 0 and d.key_type is None
    d["a"] = 1
    d["b"] = 2
    assert d["a"] == 1 and d["b"] == 2
    assert "a" in d and "z" not in d
    assert d.key_type == "str" and d.value_type == "int"
    d["a"] = 10
    assert d["a"] == 10 and len(d) == 2
    del d["a"]
    assert "a" not in d
    with pytest.raises(KeyError):
        d["a"]
    with pytest.raises(KeyError):
        del d["a"]
    assert d.get("a") is None and d.get("a", 5) == 5 and d.get("b") == 2
    assert list(d) == ["b"]


def test_constructor_forms():
    assert Dict({"a": 1}) == {"a": 1}
    assert Dict([("a", 1), ("b", 2)]) == {"a": 1, "b": 2}
    assert Dict(a=1, b=2) == {"a": 1, "b": 2}
    assert Dict({"a": 1}, b=2) == {"a": 1, "b": 2}
    assert Dict((("k%d" % i, i) for i in range(10000)))["k9999"] == 9999
    assert Dict(Dict({1: "x"})) == {1: "x"}
    with pytest.raises(ValueError):
        Dict([("a", 1, 2)])
    with pytest.raises(TypeError):
        Dict([1])


def test_key_types():
    with pytest.raises(TypeError, match="tuple"):
        Dict({(1, 2): 3})
    with pytest.raises(TypeError, match="float"):
        Dict({1.5: 3})
    d = Dict({1: "one"})
    assert d[1.0] == "one" and d[True] == "one"
    d[True] = "uno"
    assert len(d) == 1 and d[1] == "uno"
    assert 1.5 not in d and "1" not in d and b"1" not in d
    with pytest.raises(TypeError):
        d[1.5] = "x"
    with pytest.raises(TypeError):
        d["x"] = "x"
    with pytest.raises(TypeError):
        [] in d
    with pytest.raises(KeyError):
        d[2**70]
    big = Dict({-(2**63): 1, 2**63 - 1: 2})
    assert big[-(2**63)] == 1 and big[2**63 - 1] == 2
    b = Dict({b"k": 1, b"": 2})
    assert b[b"k"] == 1 and b[b""] == 2 and "k" not in b
    s = Dict({"\ud800": 1, "é": 2, "": 3})
    assert s["\ud800"] == 1 and s["é"] == 2 and s[""] == 3
    assert set(s) == {"\ud800", "é", ""}


def test_value_types_and_widening():
    for v in [1, 1.5, True, "s", b"b", None, (1, 2), 2**100]:
        d = Dict({"k": v})
        assert d["k"] == v and type(d["k"]) is type(v)
    d = Dict({"a": 1})
    d["b"] = "two"
    assert d.value_type == "object"
    assert d == {"a": 1, "b": "two"}
    assert type(d["a"]) is int
    d = Dict({"a": True, "b": 1})
    assert type(d["a"]) is bool and type(d["b"]) is int
    e = Dict(value_type=int)
    e["a"] = 1
    with pytest.raises(TypeError):
        e["b"] = "x"
    f = Dict(value_type="float")
    f["x"] = 1
    assert f["x"] == 1.0 and type(f["x"]) is float


def test_large_and_order():
    n = 20000
    keys = ["key-%d" % i for i in range(n)]
    random.Random(1).shuffle(keys)
    d = Dict()
    for i, k in enumerate(keys):
        d[k] = i
    assert len(d) == n
    assert list(d) == keys
    assert list(d.values()) == list(range(n))
    for i in range(0, n, 7):
        assert d[keys[i]] == i
    for i in range(0, n, 3):
        del d[keys[i]]
    ref = {k: i for i, k in enumerate(keys) if i % 3}
    assert d == ref
    assert list(d.items()) == list(ref.items())
    assert list(reversed(d)) == list(reversed(ref))
    d[keys[0]] = -1
    assert list(d)[-1] == keys[0]


def test_methods():
    d = Dict({"a": 1, "b": 2, "c": 3})
    assert d.pop("a") == 1 and d.pop("a", 9) == 9
    with pytest.raises(KeyError):
        d.pop("a")
    assert d.popitem() == ("c", 3)
    assert d.setdefault("b", 7) == 2 and d.setdefault("z", 7) == 7 and d["z"] == 7
    d.update({"q": 1}, r=2)
    d.update([("s", 3)])
    assert d == {"b": 2, "z": 7, "q": 1, "r": 2, "s": 3}
    d.clear()
    assert len(d) == 0 and d == {}
    with pytest.raises(KeyError):
        d.popitem()
    f = Dict.fromkeys(["x", "y"], 0)
    assert f == {"x": 0, "y": 0} and type(f) is Dict
    assert Dict.fromkeys("ab") == {"a": None, "b": None}


def test_copy_is_independent():
    d = Dict({"k%d" % i: i for i in range(10000)})
    c = d.copy()
    c["k1"] = -1
    del c["k2"]
    assert d["k1"] == 1 and "k2" in d
    assert c["k1"] == -1 and "k2" not in c
    d.clear()
    assert len(c) == 9999


def test_eq_or():
    a = Dict({"a": 1, "b": 2})
    assert a == {"b": 2, "a": 1} and {"a": 1, "b": 2} == a
    assert a == Dict({"b": 2, "a": 1})
    assert a != {"a": 1} and a != {"a": 1, "b": 3} and a != [1]
    assert (a | {"c": 3}) == {"a": 1, "b": 2, "c": 3}
    assert isinstance(a | {"c": 3}, Dict)
    assert ({"c": 3} | a) == {"c": 3, "a": 1, "b": 2}
    a |= {"d": 4}
    a |= [("e", 5)]
    assert a == {"a": 1, "b": 2, "d": 4, "e": 5}
    with pytest.raises(TypeError):
        a | [1]


def test_views():
    d = Dict({"a": 1, "b": 2, "c": 3})
    k, v, it = d.keys(), d.values(), d.items()
    d["d"] = 4
    assert len(k) == 4 and list(v) == [1, 2, 3, 4]
    assert k & {"a", "x"} == {"a"} and {"a", "x"} & k == {"a"}
    assert k | {"x"} == {"a", "b", "c", "d", "x"}
    assert k - {"a"} == {"b", "c", "d"} and {"a", "z"} - k == {"z"}
    assert k ^ {"a", "z"} == {"b", "c", "d", "z"}
    assert k.isdisjoint({"x"}) and not k.isdisjoint(["a"])
    assert ("a", 1) in it and ("a", 2) not in it and ("zz", 1) not in it
    assert it & {("a", 1), ("b", 0)} == {("a", 1)}
    assert k == {"a", "b", "c", "d"} and k == dict.fromkeys("abcd").keys()
    assert 4 in v and 5 not in v
    assert list(reversed(k)) == ["d", "c", "b", "a"]
    assert list(reversed(it))[0] == ("d", 4)
    assert isinstance(k, collections.abc.KeysView)
    assert isinstance(it, collections.abc.ItemsView)
    assert isinstance(v, collections.abc.ValuesView)


def test_mutation_during_iteration():
    d = Dict({"a": 1, "b": 2})
    with pytest.raises(RuntimeError):
        for k in d:
            d["new"] = 1
    d = Dict({"a": 1, "b": 2})
    with pytest.raises(RuntimeError):
        for k in d.items():
            del d["b"]


def test_repr_and_sizes():
    # Like a non-empty one: length, types ("?" until known) and ratio.
    assert repr(Dict()) == "bale.Dict({}, len=0, types=?->?, ratio=0.00)"
    assert repr(Dict(key_type="str", value_type="int")) == "bale.Dict({}, len=0, types=str->int, ratio=0.00)"
    d = Dict({"k%d" % i: i for i in range(100)})
    r = repr(d)
    assert r.startswith("bale.Dict({'k0': 0") and "len=100" in r and "str->int" in r and "..." in r
    assert d.nbytes > 0 and d.raw_nbytes > 0
    assert sys.getsizeof(d) >= d.nbytes


def test_abc_and_generic():
    assert isinstance(Dict(), collections.abc.MutableMapping)
    assert Dict[str, int] is not None
    with pytest.raises(TypeError):
        hash(Dict())


def test_pickle():
    for d in [Dict(), Dict({"a": 1}), Dict({i: str(i) for i in range(10000)}),
              Dict({b"x": (1, 2)}), Dict(key_type=int, value_type=float)]:
        for i in list(d)[::3]:
            del d[i]
        e = pickle.loads(pickle.dumps(d))
        assert e == d and list(e) == list(d)
        assert e.key_type == d.key_type and e.value_type == d.value_type


def test_pickle_corrupt():
    d = Dict({"k%d" % i: i for i in range(5000)})
    state = d.__reduce__()[2]
    data = state[-1]
    rnd = random.Random(5)
    for _ in range(300):
        b = bytearray(data)
        i = rnd.randrange(len(b))
        b[i] ^= 1 << rnd.randrange(8)
        e = Dict()
        try:
            e.__setstate__(state[:-1] + (bytes(b),))
        except bale.CorruptDataError:
            continue
        assert len(e) == len(d)
    for n in [0, 1, 10, 40, len(data) // 2, len(data) - 1]:
        with pytest.raises(bale.CorruptDataError):
            Dict().__setstate__(state[:-1] + (data[:n],))
    with pytest.raises(bale.CorruptDataError):
        Dict().__setstate__("junk")
