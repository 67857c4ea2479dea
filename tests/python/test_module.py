"""Tests of the module-level surface of bale: version, codecs(), encodings(),
memory(), reset_peak(), CorruptDataError, and how a ``codec=`` argument is
parsed (through bale.List, when it exists)."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

import bale

BACKENDS = {"none", "lz4", "zstd", "zlib"}
ENCODINGS = {"plain", "for", "delta", "dict", "shuffle", "fsst", "front", "xorfloat", "blocks", "ctx",
             "decimal"}


def test_version():
    assert isinstance(bale.__version__, str)
    assert re.fullmatch(r"\d+\.\d+\.\d+", bale.__version__)
    from importlib.metadata import version

    assert version("bale") == bale.__version__


def test_all_exports_exist():
    for name in bale.__all__:
        assert hasattr(bale, name), name


def test_codecs():
    codecs = bale.codecs()
    assert isinstance(codecs, dict)
    assert set(codecs) == BACKENDS
    for name, levels in codecs.items():
        assert isinstance(levels, tuple) and len(levels) == 3, name
        lo, hi, default = levels
        assert all(isinstance(x, int) for x in levels)
        assert lo <= default <= hi, name
    assert codecs["none"] == (0, 0, 0)
    assert codecs["zlib"] == (1, 9, 6)
    assert codecs["zstd"][1] >= 19
    # A fresh dict each call: the caller may change it.
    codecs["zstd"] = None
    assert bale.codecs()["zstd"] is not None


def test_encodings():
    names = bale.encodings()
    assert isinstance(names, tuple)
    assert len(set(names)) == len(names)
    assert set(names) == ENCODINGS
    assert names[0] == "plain"


def test_memory():
    m = bale.memory()
    assert set(m) >= {"live", "peak"}
    assert isinstance(m["live"], int) and isinstance(m["peak"], int)
    assert 0 <= m["live"] <= m["peak"]


def test_reset_peak():
    assert bale.reset_peak() is None
    m = bale.memory()
    assert m["peak"] == m["live"] or m["peak"] >= m["live"]
    bale.reset_peak()
    after = bale.memory()
    assert after["peak"] >= after["live"]


def test_functions_take_no_arguments():
    for fn in (bale.codecs, bale.encodings, bale.memory, bale.reset_peak):
        with pytest.raises(TypeError):
            fn(1)


def test_corrupt_data_error():
    err = bale.CorruptDataError
    assert issubclass(err, ValueError)
    assert err.__module__ == "bale"
    assert err.__name__ == "CorruptDataError"
    assert err.__doc__
    with pytest.raises(ValueError):
        raise err("bad bytes")
    assert bale.CorruptDataError is bale._bale.CorruptDataError


def test_docstrings():
    for fn in (bale.codecs, bale.encodings, bale.memory, bale.reset_peak):
        assert fn.__doc__ and fn.__name__ in fn.__doc__


def test_main_module_runs():
    out = subprocess.run(
        [sys.executable, "-c", "import bale.__main__"],
        capture_output=True, text=True, timeout=60,
    )
    assert out.returncode == 0, out.stderr


@pytest.mark.skipif(getattr(bale, "Dict", None) is None, reason="bale.Dict not built yet")
def test_demo_runs_on_the_bundled_sample():
    # The README's main job: the side-by-side tables, then what each rule
    # bought, with sizes that make sense (no negative "final").
    out = subprocess.run(
        [sys.executable, "-m", "bale", "demo", "--lookups", "2000"],
        capture_output=True, text=True, timeout=600,
    )
    assert out.returncode == 0, out.stderr
    text = out.stdout
    for part in ("bale.List", "bale.Dict", "What each rule bought", "sharing:", "streaming:",
                 "release:", "compression:"):
        assert part in text, part
    line = next(ln for ln in text.splitlines() if "streaming:" in ln)
    assert "final -" not in line and "peak -" not in line, line


# ---- the codec= argument ---------------------------------------------------
List = getattr(bale, "List", None)
needs_list = pytest.mark.skipif(List is None, reason="bale.List not built yet")

GOOD_CODECS = [
    None, "auto", "none", "lz4", "zstd", "zlib", "zstd:1", "zstd:19", "zlib:9",
    ("zstd", 3), ("lz4", 1), "plain+none", "plain+zstd", "dict+lz4", "for+zstd:5",
    "auto+zstd",
]
BAD_CODECS = [
    "", "gzip", "zstd:", "zstd:x", "zstd:3:4", "zlib:10", "zlib:0x", ("zstd",),
    ("zstd", 3, 4), ("zstd:3", 3), 3, b"zstd", "nosuch+zstd", "plain+", "+zstd",
    "x" * 200,
]


@needs_list
@pytest.mark.parametrize("codec", GOOD_CODECS, ids=repr)
def test_codec_accepted(codec):
    xs = List([1, 2, 3] * 100, codec=codec) if codec is not None else List([1, 2, 3] * 100)
    assert list(xs) == [1, 2, 3] * 100


@needs_list
@pytest.mark.parametrize("codec", BAD_CODECS, ids=repr)
def test_codec_rejected(codec):
    with pytest.raises((ValueError, TypeError)):
        List([1, 2, 3], codec=codec)


@needs_list
def test_codec_level_out_of_range_names_the_range():
    with pytest.raises(ValueError, match=r"1\.\.9"):
        List([1], codec=("zlib", 12))
