"""bale: large Python lists and dicts in a fraction of the memory.

Values live in immutable, refcounted, compressed chunks; copies and slices
share them; containers stream from any iterator; memory is released when the
last reference goes.  See README.md and docs/design.md.
"""
from __future__ import annotations

from ._bale import (
    CorruptDataError,
    __version__,
    codecs,
    encodings,
    get_num_threads,
    memory,
    reset_peak,
    set_num_threads,
)

__all__ = ["CorruptDataError", "__version__", "codecs", "encodings", "get_num_threads", "memory",
           "reset_peak", "set_num_threads"]

# bale.Dict (python/ext/dict_type.c): a compressed MutableMapping.
import collections.abc as _abc

from ._bale import Dict

__all__ += ["Dict"]
_abc.MutableMapping.register(Dict)

# bale.List (python/ext/list_type.c): a compressed MutableSequence.
from ._bale import List

__all__ += ["List"]
_abc.MutableSequence.register(List)
