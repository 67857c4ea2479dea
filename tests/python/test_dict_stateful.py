"""Stateful tests: random sequences of every dict operation on a bale.Dict and
a Python dict side by side, for each key type and several value types.

After every step, for every (bale.Dict, dict) pair: the items in iteration
order, len, bool, reversed(), and the live views taken when the pair was made
(keys(), values(), items()) must match.  Copies, unions, fromkeys and
unpickled dicts become new pairs, so writes to one side of a copy must never
show on the other.

Lookups also use keys of other types (never found, as in dict) and, for int
keys, the equal float and bool (1.0 and True find 1).  Where dict's answer
depends on object identity (NaN values in ==, in items()) the machine does not
ask bale to reproduce it: see "identity".

Knobs (environment): BALE_HYPO_EXAMPLES (default 12), BALE_HYPO_STEPS
(default 40), BALE_HYPO_NOSHRINK=1.
"""
from __future__ import annotations

import collections.abc
import copy as copymod
import math
import os
import pickle
import random
import struct
import sys

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

import bale

Dict = getattr(bale, "Dict", None)
pytestmark = pytest.mark.skipif(Dict is None, reason="bale.Dict is not in this build yet")

EXAMPLES = int(os.environ.get("BALE_HYPO_EXAMPLES", "12"))
STEPS = int(os.environ.get("BALE_HYPO_STEPS", "40"))
PHASES = [p for p in Phase if not (p == Phase.shrink and os.environ.get("BALE_HYPO_NOSHRINK"))]
MAX_TOTAL = 20_000
MAX_PAIRS = 4
I64_MIN, I64_MAX = -(2**63), 2**63 - 1


# ---------------------------------------------------------------------------
# comparison helpers


def same_value(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    return a == b


def check_same_values(got, want, what):
    got = list(got)
    if len(got) != len(want):
        raise AssertionError(f"{what}: {len(got)} values, expected {len(want)}")
    if got and all(type(x) is float for x in want) and all(type(x) is float for x in got):
        n = len(want)
        if struct.pack(f"<{n}d", *got) == struct.pack(f"<{n}d", *want):
            return
    elif got == want and [type(x) for x in got] == [type(x) for x in want] and \
            not any(isinstance(x, (float, tuple)) for x in want):
        return
    for i, (g, w) in enumerate(zip(got, want)):
        if not same_value(g, w):
            raise AssertionError(f"{what}: value {i}: got {g!r}, expected {w!r}")


def check_same_keys(got, want, what):
    got = list(got)
    if got != want:  # == semantics: for int keys, True == 1
        for i, (g, w) in enumerate(zip(got, want)):
            if g != w:
                raise AssertionError(f"{what}: key {i}: got {g!r}, expected {w!r} (order or content)")
        raise AssertionError(f"{what}: {len(got)} keys, expected {len(want)}")


def has_nan(vals):
    for x in vals:
        if isinstance(x, float) and math.isnan(x):
            return True
        if isinstance(x, tuple) and has_nan(x):
            return True
    return False


def outcome(fn):
    try:
        return ("ok", fn())
    except Exception as e:  # noqa: BLE001
        return ("err", e)


def both(fb, fm, what, compare=True):
    rm = outcome(fm)
    rb = outcome(fb)
    if rm[0] == "err":
        if rb[0] != "err":
            raise AssertionError(f"{what}: dict raised {rm[1]!r}, bale.Dict returned {rb[1]!r}")
        if not isinstance(rb[1], type(rm[1])):
            raise AssertionError(f"{what}: dict raised {rm[1]!r}, bale.Dict raised {rb[1]!r}")
        return None
    if rb[0] == "err":
        raise AssertionError(f"{what}: dict returned {rm[1]!r}, bale.Dict raised {rb[1]!r}") from rb[1]
    if compare:
        b, m = rb[1], rm[1]
        if isinstance(m, tuple) and len(m) == 2 and isinstance(b, tuple):  # an item
            assert b[0] == m[0] and same_value(b[1], m[1]), f"{what}: got {b!r}, expected {m!r}"
        elif not same_value(b, m):
            raise AssertionError(f"{what}: bale.Dict returned {b!r}, dict returned {m!r}")
    return rb[1], rm[1]


# ---------------------------------------------------------------------------
# strategies

KEYS = {
    "str": st.one_of(st.text(st.characters(blacklist_categories=("Cs",)), max_size=12),
                     st.sampled_from(["", "a", "b", "é", "日本", "🎉", "a\x00", "key-1", "x" * 100])),
    "bytes": st.one_of(st.binary(max_size=12), st.sampled_from([b"", b"a", b"\x00", b"\xff\xfe", b"k" * 90])),
    "int": st.one_of(st.integers(I64_MIN, I64_MAX), st.integers(-10, 10),
                     st.sampled_from([0, 1, -1, I64_MIN, I64_MAX, 2**32, 2**53 + 1])),
}
FOREIGN = st.one_of(st.integers(-5, 5), st.text(max_size=3), st.binary(max_size=3), st.none(),
                    st.floats(allow_nan=False), st.tuples(st.integers()), st.booleans(),
                    st.integers(2**64, 2**70), st.just(1.5), st.just(math.nan))
VALUES = {
    "int": st.one_of(st.integers(I64_MIN, I64_MAX), st.integers(-5, 5), st.sampled_from([I64_MIN, I64_MAX])),
    "float": st.one_of(st.floats(), st.sampled_from([0.0, -0.0, math.nan, math.inf, -math.inf, 1.5])),
    "bool": st.booleans(),
    "str": st.one_of(st.text(st.characters(blacklist_categories=("Cs",)), max_size=16), st.just("")),
    "bytes": st.binary(max_size=16),
    "object": st.one_of(st.none(), st.integers(-(2**100), 2**100), st.text(max_size=6), st.booleans(),
                        st.floats(allow_nan=False), st.lists(st.integers(), max_size=3).map(tuple),
                        st.binary(max_size=4)),
    None: st.one_of(st.integers(-5, 5), st.integers(-5, 5), st.integers(-5, 5), st.text(max_size=4),
                    st.none(), st.floats(allow_nan=False), st.integers(2**64, 2**65)),
}


def big_items(kt, vt, seed, n):
    r = random.Random(seed)
    keys = []
    # mostly new keys; some batches overlap earlier ones (overwrites of
    # entries already sealed in blocks), and ~8% repeat within the batch
    base = 0 if r.random() < 0.2 else r.randrange(1, 2**40)
    for i in range(n):
        j = base + (r.randrange(n * 2) if r.random() < 0.08 else i)
        if kt == "str":
            keys.append("k%d-%s" % (j, "é" if j % 3 == 0 else ""))
        elif kt == "bytes":
            keys.append(b"k%d" % j)
        else:
            keys.append(j * 7919 - n if j % 5 else -(2**62) + j % 2**40)
    vals = []
    for i in range(n):
        if vt in ("int", None):
            vals.append(r.randrange(-1000, 1000) if i % 3 else i)
        elif vt == "float":
            vals.append(r.choice([0.5 * i, -0.0, math.inf, r.random()]))
        elif vt == "bool":
            vals.append(r.random() < 0.3)
        elif vt == "str":
            vals.append(r.choice(["", "v", "välue", "日本語"]) + str(i % 50))
        elif vt == "bytes":
            vals.append(b"v%d" % (i % 77))
        else:
            vals.append(r.choice([None, i, (i, i), "s", 2**80 + i]))
    return list(zip(keys, vals))


# ---------------------------------------------------------------------------
# the machine


def make_dict_machine(kt, vt):
    keys = KEYS[kt]
    values = VALUES[vt]
    vt_arg = vt  # None: inferred

    def new_dict(*args, **kw):
        return Dict(*args, key_type=kt, value_type=vt_arg, **kw)

    class DictMachine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.pairs = []  # [bale.Dict, dict, (keys view, values view, items view)]

        def add_pair(self, b, m, slot=0, explicit=True):
            # explicit: made with value_type given (True), inferred (False),
            # or not known (None: e.g. the result of dict | bale.Dict)
            entry = [b, m, (b.keys(), b.values(), b.items()), explicit if vt_arg is not None else False]
            if len(self.pairs) < MAX_PAIRS:
                self.pairs.append(entry)
            else:
                self.pairs[slot % len(self.pairs)] = entry

        def pair(self, i):
            p = self.pairs[i % len(self.pairs)]
            return p[0], p[1]

        def explicit(self, i):
            return self.pairs[i % len(self.pairs)][3]

        def compatible(self, i, m2):
            """Whether pair i can take the values of model m2 (pairs made by
            fromkeys may hold other value types than the machine's)."""
            if self.explicit(i) is False or vt_arg in ("object", None):
                return True
            return all(type(v).__name__ == vt_arg for v in m2.values())

        def total(self):
            return sum(len(p[1]) for p in self.pairs)

        def key(self, m, fresh, existing, variant):
            """A key: new, existing, or (int keys) an equal float/bool."""
            if existing is not None and m:
                k = list(m)[existing % len(m)]
            else:
                k = fresh
            if kt == "int" and variant and type(k) is int:
                if variant == 1 and float(k) == k:
                    return float(k)
                if variant == 2 and k in (0, 1):
                    return bool(k)
            return k

        # -- setup ---------------------------------------------------------
        @initialize(init=st.lists(st.tuples(keys, values), max_size=20),
                    how=st.sampled_from(["pairs", "dict", "gen", "empty", "kwargs", "update"]))
        def start(self, init, how):
            m = dict(init)
            if how == "pairs":
                b = new_dict(init)
            elif how == "dict":
                b = new_dict(m)
            elif how == "gen":
                b = new_dict((kv for kv in init))
            elif how == "kwargs" and kt == "str":
                m = {k: v for k, v in m.items() if k.isidentifier()}
                b = new_dict(**m)
            else:
                b = new_dict()
                b.update(m)
                if how == "empty":
                    b.clear()
                    m = {}
            self.add_pair(b, m)

        # -- invariants ----------------------------------------------------
        @invariant()
        def contents_match(self):
            for n, (b, m, (kv, vv, iv), explicit) in enumerate(self.pairs):
                assert len(b) == len(m), f"pair {n}: len {len(b)} != {len(m)}"
                assert bool(b) == bool(m)
                check_same_keys(iter(b), list(m), f"pair {n} keys")
                check_same_values(b.values(), list(m.values()), f"pair {n} values")
                items = list(b.items())
                assert [k for k, _ in items] == list(m), f"pair {n}: items() keys differ from iter()"
                check_same_values([v for _, v in items], list(m.values()), f"pair {n} items() values")
                # the views taken when the pair was made are live
                assert len(kv) == len(vv) == len(iv) == len(m)
                check_same_keys(kv, list(m), f"pair {n} live keys view")
                check_same_values(vv, list(m.values()), f"pair {n} live values view")
                assert [k for k, _ in iv] == list(m), f"pair {n}: live items view keys differ"
                if explicit:
                    assert b.value_type == vt_arg or not m, (b.value_type, vt_arg)
                else:
                    kinds = {type(v) for v in m.values()}
                    big = any(type(v) is int and not I64_MIN <= v <= I64_MAX for v in m.values())
                    if len(kinds) > 1 or big or kinds == {type(None)}:
                        assert b.value_type == "object", (kinds, b.value_type)
                    elif kinds:
                        (t,) = kinds
                        assert b.value_type in (t.__name__, "object"), (kinds, b.value_type)

        # -- writes --------------------------------------------------------
        @rule(i=st.integers(0, 9), k=keys, v=values, existing=st.none() | st.integers(0, 10**6),
              variant=st.sampled_from([0, 0, 1, 2]))
        def setitem(self, i, k, v, existing, variant):
            b, m = self.pair(i)
            key = self.key(m, k, existing, variant if existing is not None else 0)

            def fb():
                b[key] = v

            def fm():
                m[key] = v

            both(fb, fm, f"[{key!r}] = {v!r}")

        @rule(i=st.integers(0, 9), k=keys | FOREIGN, existing=st.none() | st.integers(0, 10**6),
              variant=st.sampled_from([0, 0, 1, 2]))
        def delitem(self, i, k, existing, variant):
            b, m = self.pair(i)
            key = self.key(m, k, existing, variant)

            def fb():
                del b[key]

            def fm():
                del m[key]

            both(fb, fm, f"del [{key!r}]")

        @rule(i=st.integers(0, 9), k=keys | FOREIGN, existing=st.none() | st.integers(0, 10**6),
              variant=st.sampled_from([0, 0, 1, 2]), dflt=st.none() | values, use_default=st.booleans())
        def pop(self, i, k, existing, variant, dflt, use_default):
            b, m = self.pair(i)
            key = self.key(m, k, existing, variant)
            if use_default:
                both(lambda: b.pop(key, dflt), lambda: m.pop(key, dflt), f"pop({key!r}, default)")
            else:
                both(lambda: b.pop(key), lambda: m.pop(key), f"pop({key!r})")

        @rule(i=st.integers(0, 9))
        def popitem(self, i):
            b, m = self.pair(i)
            both(b.popitem, m.popitem, "popitem")

        @rule(i=st.integers(0, 9), k=keys, existing=st.none() | st.integers(0, 10**6),
              v=values, with_default=st.booleans(), variant=st.sampled_from([0, 0, 1, 2]))
        def setdefault(self, i, k, existing, v, with_default, variant):
            b, m = self.pair(i)
            key = self.key(m, k, existing, variant if existing is not None else 0)
            if with_default:
                both(lambda: b.setdefault(key, v), lambda: m.setdefault(key, v), f"setdefault({key!r}, v)")
            elif key in m or vt_arg in ("object", None) or self.explicit(i) is False:
                both(lambda: b.setdefault(key), lambda: m.setdefault(key), f"setdefault({key!r})")
            elif self.explicit(i):
                # dict would store None; an explicit value type cannot
                with pytest.raises(TypeError):
                    b.setdefault(key)
            else:  # not known whether the value type is fixed: either answer
                r = outcome(lambda: b.setdefault(key))
                if r[0] == "err":
                    assert isinstance(r[1], TypeError), r
                else:
                    m.setdefault(key)

        @rule(i=st.integers(0, 9), j=st.integers(0, 9), items=st.lists(st.tuples(keys, values), max_size=10),
              how=st.sampled_from(["dict", "pairs", "gen", "bale", "kwargs", "dict+kwargs", "other pair", "self"]))
        def update(self, i, j, items, how):
            b, m = self.pair(i)
            if how == "dict":
                both(lambda: b.update(dict(items)), lambda: m.update(dict(items)), "update(dict)")
            elif how == "pairs":
                both(lambda: b.update(items), lambda: m.update(items), "update(pairs)")
            elif how == "gen":
                both(lambda: b.update(kv for kv in items), lambda: m.update(items), "update(gen)")
            elif how == "bale":
                src = new_dict(items)
                both(lambda: b.update(src), lambda: m.update(items), "update(bale.Dict)")
            elif how in ("kwargs", "dict+kwargs") and kt == "str":
                kw = {k: v for k, v in items if k.isidentifier()}
                if how == "kwargs":
                    both(lambda: b.update(**kw), lambda: m.update(**kw), "update(**kw)")
                else:
                    both(lambda: b.update(dict(items[:2]), **kw), lambda: m.update(dict(items[:2]), **kw),
                         "update(d, **kw)")
            elif how == "other pair":
                b2, m2 = self.pair(j)
                if not self.compatible(i, m2):
                    return
                snap = dict(m2)
                both(lambda: b.update(b2), lambda: m.update(snap), "update(other bale.Dict)")
            elif how == "self":
                both(lambda: b.update(b), lambda: m.update(m), "update(self)")

        @precondition(lambda self: self.total() < MAX_TOTAL - 5000)
        @rule(i=st.integers(0, 9), seed=st.integers(0, 2**32), n=st.integers(1000, 5000),
              how=st.sampled_from(["update", "setitem", "construct", "ior"]))
        def update_big(self, i, seed, n, how):
            items = big_items(kt, vt, seed, n)
            b, m = self.pair(i)
            if how == "update":
                both(lambda: b.update(items), lambda: m.update(items), "update(big)")
            elif how == "setitem":
                for k, v in items:
                    b[k] = v
                    m[k] = v
            elif how == "ior":
                orig = b

                def fb():
                    nonlocal b
                    b |= dict(items)
                    return None

                both(fb, lambda: m.update(items), "|= big")
                assert b is orig
            else:
                self.add_pair(new_dict(x for x in items), dict(items), i + 1)

        @rule(i=st.integers(0, 9))
        def clear(self, i):
            b, m = self.pair(i)
            both(b.clear, m.clear, "clear")

        # -- reads ---------------------------------------------------------
        @rule(i=st.integers(0, 9), k=keys | FOREIGN, existing=st.none() | st.integers(0, 10**6),
              variant=st.sampled_from([0, 0, 1, 2]), dflt=values)
        def lookups(self, i, k, existing, variant, dflt):
            b, m = self.pair(i)
            key = self.key(m, k, existing, variant)
            both(lambda: b[key], lambda: m[key], f"[{key!r}]")
            both(lambda: key in b, lambda: key in m, f"{key!r} in")
            both(lambda: key not in b, lambda: key not in m, f"{key!r} not in")
            both(lambda: b.get(key), lambda: m.get(key), f"get({key!r})")
            both(lambda: b.get(key, dflt), lambda: m.get(key, dflt), f"get({key!r}, d)")
            both(lambda: key in b.keys(), lambda: key in m.keys(), f"{key!r} in keys()")
            if key in m and not has_nan([m[key]]):
                both(lambda: (key, m[key]) in b.items(), lambda: (key, m[key]) in m.items(), "in items()")
            if not (key in m and has_nan([m[key]]) and has_nan([dflt])):  # identity decides for dict
                both(lambda: (key, dflt) in b.items(), lambda: (key, dflt) in m.items(), "(k, v) in items()")

        @rule(i=st.integers(0, 9))
        def orders(self, i):
            b, m = self.pair(i)
            check_same_keys(reversed(b), list(reversed(m)), "reversed()")
            check_same_keys(reversed(b.keys()), list(reversed(m.keys())), "reversed(keys())")
            check_same_values(reversed(b.values()), list(reversed(m.values())), "reversed(values())")
            assert list(reversed(b.items())) == list(reversed(m.items())) or has_nan(m.values())
            import operator
            it = iter(b)
            assert operator.length_hint(it) == len(m)

        @rule(i=st.integers(0, 9), other=st.lists(keys | FOREIGN.filter(lambda x: x == x), max_size=8),
              take=st.integers(0, 5))
        def key_set_ops(self, i, other, take):
            b, m = self.pair(i)
            other = set(other) | set(list(m)[:take])
            kb, km = b.keys(), m.keys()
            for name, fb, fm in [
                ("&", lambda: kb & other, lambda: km & other),
                ("|", lambda: kb | other, lambda: km | other),
                ("-", lambda: kb - other, lambda: km - other),
                ("^", lambda: kb ^ other, lambda: km ^ other),
                ("r&", lambda: other & kb, lambda: other & km),
                ("r-", lambda: other - kb, lambda: other - km),
                ("isdisjoint", lambda: kb.isdisjoint(other), lambda: km.isdisjoint(other)),
                ("==", lambda: kb == set(m), lambda: km == set(m)),
                ("<=", lambda: kb <= (other | set(m)), lambda: km <= (other | set(m))),
                ("<", lambda: kb < other, lambda: km < other),
                (">=", lambda: kb >= other, lambda: km >= other),
            ]:
                r = both(fb, fm, f"keys() {name} set", compare=False)
                if r is not None:
                    assert r[0] == r[1], f"keys() {name}: {r[0]!r} != {r[1]!r}"
            if not has_nan(m.values()):
                items_other = set(list(m.items())[:take]) | {(k, None) for k in other}
                ib, im = b.items(), m.items()
                for name, fb, fm in [
                    ("&", lambda: ib & items_other, lambda: im & items_other),
                    ("-", lambda: ib - items_other, lambda: im - items_other),
                    ("|", lambda: ib | items_other, lambda: im | items_other),
                    ("^", lambda: ib ^ items_other, lambda: im ^ items_other),
                    ("==", lambda: ib == set(m.items()), lambda: im == set(m.items())),
                    ("isdisjoint", lambda: ib.isdisjoint(items_other), lambda: im.isdisjoint(items_other)),
                ]:
                    r = both(fb, fm, f"items() {name} set", compare=False)
                    if r is not None:
                        assert r[0] == r[1], f"items() {name}: {r[0]!r} != {r[1]!r}"

        @rule(i=st.integers(0, 9), k=keys, v=values, when=st.integers(0, 3),
              change=st.sampled_from(["add", "del", "clear", "popitem", "update"]))
        def mutate_while_iterating(self, i, k, v, when, change):
            b, m = self.pair(i)
            for view_b, view_m in ((b, m), (b.keys(), m.keys()), (b.values(), m.values()), (b.items(), m.items())):
                if len(m) <= when:
                    return
                it_b, it_m = iter(view_b), iter(view_m)
                for _ in range(when + 1):
                    next(it_b), next(it_m)
                before = len(m)
                if change == "add":
                    if k in m:
                        return
                    m[k] = v
                    b[k] = v
                elif change == "del":
                    key = next(iter(m))
                    del m[key]
                    del b[key]
                elif change == "clear":
                    m.clear()
                    b.clear()
                elif change == "popitem":
                    m.popitem()
                    b.popitem()
                else:
                    if k in m:
                        return
                    m.update({k: v})
                    b.update({k: v})
                if len(m) != before:
                    with pytest.raises(RuntimeError):
                        next(it_m)
                    with pytest.raises(RuntimeError):
                        next(it_b)

        @precondition(lambda self: any(not has_nan(p[1].values()) for p in self.pairs))
        @rule(i=st.integers(0, 9), j=st.integers(0, 9), how=st.sampled_from(["dict", "bale", "tweak", "reorder"]),
              k=keys, v=values)
        def equality(self, i, j, how, k, v):
            b, m = self.pair(i)
            b2, m2 = self.pair(j)
            if has_nan(m.values()) or has_nan(m2.values()):
                return  # identity
            if how == "dict":
                other, mo = dict(m2), m2
            elif how == "bale":
                other, mo = b2, m2
            elif how == "reorder":
                mo = dict(reversed(list(m.items())))
                other = mo
            else:
                mo = dict(m)
                mo[k] = v
                other = mo
            if has_nan(mo.values()):
                return
            both(lambda: b == other, lambda: m == mo, "==")
            both(lambda: b != other, lambda: m != mo, "!=")
            both(lambda: other == b, lambda: mo == m, "== (reflected)")
            both(lambda: other != b, lambda: mo != m, "!= (reflected)")
            assert (b == list(m.items())) is False
            assert b == b

        @rule(i=st.integers(0, 9), j=st.integers(0, 9), how=st.sampled_from(["dict", "bale", "rdict"]))
        def union(self, i, j, how):
            b, m = self.pair(i)
            b2, m2 = self.pair(j)
            if self.total() + len(m) + len(m2) > MAX_TOTAL:
                return
            if not (self.compatible(i, m2) and self.compatible(j, m)):
                return
            if how == "dict":
                r = both(lambda: b | dict(m2), lambda: m | m2, "| dict", compare=False)
            elif how == "bale":
                r = both(lambda: b | b2, lambda: m | m2, "| bale.Dict", compare=False)
            else:
                r = both(lambda: dict(m2) | b, lambda: m2 | m, "dict | bale.Dict", compare=False)
            if r is not None:
                rb, rm = r
                assert isinstance(rb, (Dict, dict))
                if isinstance(rb, Dict):
                    self.add_pair(rb, rm, j + 1, explicit=self.explicit(i) if how != "rdict" else None)
                else:
                    check_same_keys(list(rb), list(rm), "dict | bale.Dict keys")

        @rule(i=st.integers(0, 9), j=st.integers(0, 9), how=st.sampled_from(["dict", "bale", "pairs"]))
        def ior(self, i, j, how):
            b, m = self.pair(i)
            b2, m2 = self.pair(j)
            if self.total() + len(m2) > MAX_TOTAL or not self.compatible(i, m2):
                return
            src = {"dict": lambda: dict(m2), "bale": lambda: b2, "pairs": lambda: list(m2.items())}[how]()
            snap = dict(m2)
            orig = b

            def fb():
                nonlocal b
                b |= src

            def fm():
                m.update(snap)

            both(fb, fm, f"|= {how}")
            assert b is orig

        # -- copies --------------------------------------------------------
        @rule(i=st.integers(0, 9), how=st.sampled_from(["copy", "copy.copy", "deepcopy", "Dict()", "pickle"]))
        def copy(self, i, how):
            b, m = self.pair(i)
            if how == "Dict()" and vt_arg not in ("object", None) and \
                    not all(type(v).__name__ == vt_arg for v in m.values()):
                return
            if how == "pickle":
                nb = pickle.loads(pickle.dumps(b, protocol=pickle.HIGHEST_PROTOCOL))
            else:
                nb = {"copy": lambda: b.copy(), "copy.copy": lambda: copymod.copy(b),
                      "deepcopy": lambda: copymod.deepcopy(b), "Dict()": lambda: new_dict(b)}[how]()
            assert type(nb) is Dict and nb is not b
            if m:
                assert nb.key_type == b.key_type
                if how != "Dict()":
                    assert nb.value_type == b.value_type, (how, nb.value_type, b.value_type)
                elif vt_arg is not None:
                    assert nb.value_type == vt_arg, (how, nb.value_type)
            self.add_pair(nb, dict(m), i + 1, explicit=True if how == "Dict()" else self.explicit(i))

        @rule(i=st.integers(0, 9), ks=st.lists(keys, max_size=20), v=values, with_value=st.booleans())
        def fromkeys(self, i, ks, v, with_value):
            if with_value:
                nb, nm = Dict.fromkeys(ks, v), dict.fromkeys(ks, v)
            else:
                nb, nm = Dict.fromkeys(ks), dict.fromkeys(ks)
            assert type(nb) is Dict
            check_same_keys(nb, list(nm), "fromkeys keys")
            check_same_values(nb.values(), list(nm.values()), "fromkeys values")
            if with_value and ks and vt_arg not in ("object", None):
                assert nb.key_type == kt and nb.value_type == vt_arg, (nb.key_type, nb.value_type)
                self.add_pair(nb, nm, i, explicit=False)

        @precondition(lambda self: len(self.pairs) > 1)
        @rule(i=st.integers(0, 9))
        def drop(self, i):
            del self.pairs[i % len(self.pairs)]

        @rule(i=st.integers(0, 9))
        def sizes_and_repr(self, i):
            b, m = self.pair(i)
            assert isinstance(b.nbytes, int) and b.nbytes >= 0
            assert isinstance(b.raw_nbytes, int) and b.raw_nbytes >= 0
            assert sys.getsizeof(b) >= b.nbytes
            r = repr(b)
            assert isinstance(r, str)
            if m:  # the empty repr is checked in test_dict_semantics
                assert f"len={len(m)}" in r or str(len(m)) in r, r[:200]
            assert isinstance(b, collections.abc.MutableMapping)

        def teardown(self):
            self.pairs.clear()

    DictMachine.__name__ = f"DictMachine_{kt}_{vt}"
    return DictMachine


COMBOS = [
    ("str", "int"), ("str", "float"), ("str", "bool"), ("str", "str"), ("str", "bytes"), ("str", "object"),
    ("str", None),
    ("int", "int"), ("int", "str"), ("int", "float"), ("int", "object"),
    ("bytes", "bytes"), ("bytes", "int"),
]


@pytest.mark.parametrize("kt, vt", COMBOS, ids=[f"{k}-{v}" for k, v in COMBOS])
def test_dict_matches_python_dict(kt, vt):
    run_state_machine_as_test(
        make_dict_machine(kt, vt),
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            derandomize=False,
            suppress_health_check=list(HealthCheck),
            print_blob=True,
            phases=PHASES,
        ),
    )
