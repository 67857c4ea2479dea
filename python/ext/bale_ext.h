/*
 * bale_ext.h - shared declarations of the CPython binding (bale._bale).
 *
 * The binding converts Python values to the core's typed values and back and
 * knows nothing of codecs.  It uses only the public CPython C API.  Types are
 * static PyTypeObjects readied at module init; the module uses single-phase
 * init (one instance per process), so module-level globals are its state.
 *
 * Reference conventions: every function says whether it returns a new or a
 * borrowed reference, and whether it steals its arguments.
 */
#ifndef BALE_EXT_H
#define BALE_EXT_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "bale.h"

/* bale.CorruptDataError (subclass of ValueError); borrowed, set at init. */
extern PyObject *bale_CorruptDataError;

/* Sets the Python exception matching `err` and returns NULL:
 * NOMEM -> MemoryError, CORRUPT/CHECKSUM -> CorruptDataError,
 * RANGE -> IndexError, TYPE -> TypeError, NOTFOUND -> KeyError,
 * others -> ValueError.  Does not replace an exception already set. */
PyObject *bale_ext_error(bale_err err);

/* Parses a codec argument: "auto", a name from bale.codecs() ("zstd"),
 * "name:level" ("zstd:19"), or a (name, level) tuple; also encodings given
 * as "encoding+backend" ("dict+zstd", "fsst+none").  0 / -1 with an
 * exception set. */
int bale_ext_parse_codec(PyObject *codec, bale_codec_opts *out);

/* Threads bulk reads (to_numpy, sum, min, max) may use: set by
 * bale.set_num_threads, default the CPUs online (at most 8).  >= 1. */
extern unsigned bale_ext_nthreads;
/* bale.set_num_threads accepts at most this many. */
#define BALE_EXT_MAX_THREADS 64

/* Area hooks, called once from module init; return 0 or -1 with an
 * exception set.  Each adds its types to the module. */
int bale_ext_list_init(PyObject *module); /* list_type.c */
int bale_ext_dict_init(PyObject *module); /* dict_type.c */

#endif
