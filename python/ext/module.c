/*
 * module.c - the bale._bale extension module: init, errors, and the
 * module-level functions (codecs, memory, version).
 */
#include "bale_ext.h"

#include <unistd.h>
#if defined(__linux__)
#include <sched.h>
#endif

PyObject *bale_CorruptDataError = NULL;
unsigned bale_ext_nthreads = 1;

/* Threads used by default: the CPUs this process may run on (its affinity
 * mask where the system has one, else the CPUs online), at most this many.
 * (A cgroup CPU quota is not looked at.) */
#define BALE_EXT_DEFAULT_MAX_THREADS 8

static unsigned default_nthreads(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
#if defined(__linux__) && defined(CPU_COUNT)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int k = CPU_COUNT(&set);
        if (k >= 1 && (n < 1 || k < n)) n = k;
    }
#endif
    if (n < 1) return 1;
    return n > BALE_EXT_DEFAULT_MAX_THREADS ? BALE_EXT_DEFAULT_MAX_THREADS : (unsigned)n;
}

PyObject *bale_ext_error(bale_err err) {
    if (PyErr_Occurred()) return NULL;
    switch (err) {
    case BALE_OK:
        PyErr_SetString(PyExc_SystemError, "bale: error reported without a code");
        break;
    case BALE_NOMEM:
        PyErr_NoMemory();
        break;
    case BALE_CORRUPT:
    case BALE_CHECKSUM:
        PyErr_SetString(bale_CorruptDataError, bale_strerror(err));
        break;
    case BALE_RANGE:
        PyErr_SetString(PyExc_IndexError, bale_strerror(err));
        break;
    case BALE_TYPE:
        PyErr_SetString(PyExc_TypeError, bale_strerror(err));
        break;
    case BALE_NOTFOUND:
        PyErr_SetString(PyExc_KeyError, bale_strerror(err));
        break;
    default:
        PyErr_Format(PyExc_ValueError, "bale: %s", bale_strerror(err));
        break;
    }
    return NULL;
}

int bale_ext_parse_codec(PyObject *codec, bale_codec_opts *out) {
    bale_codec_opts o = bale_codec_opts_auto();
    PyObject *name_obj = codec;
    long level = 0;
    if (codec == NULL || codec == Py_None) {
        *out = o;
        return 0;
    }
    if (PyTuple_Check(codec)) {
        if (PyTuple_GET_SIZE(codec) != 2) goto bad;
        name_obj = PyTuple_GET_ITEM(codec, 0);
        level = PyLong_AsLong(PyTuple_GET_ITEM(codec, 1));
        if (level == -1 && PyErr_Occurred()) return -1;
    }
    if (!PyUnicode_Check(name_obj)) goto bad;
    const char *full = PyUnicode_AsUTF8(name_obj);
    if (full == NULL) return -1;
    char buf[64];
    if (strlen(full) >= sizeof buf) goto bad;
    strcpy(buf, full);
    char *colon = strchr(buf, ':');
    if (colon != NULL) {
        if (PyTuple_Check(codec)) goto bad;
        char *end;
        level = strtol(colon + 1, &end, 10);
        if (*end != '\0' || end == colon + 1) goto bad;
        *colon = '\0';
    }
    char *plus = strchr(buf, '+');
    const char *backend_name = buf;
    if (plus != NULL) {
        *plus = '\0';
        if (bale_encoding_parse(buf, &o.encoding) != BALE_OK) goto bad;
        backend_name = plus + 1;
    }
    if (bale_backend_parse(backend_name, &o.backend) != BALE_OK) goto bad;
    if (plus == NULL && o.backend != BALE_BACKEND_AUTO) o.encoding = BALE_ENC_AUTO;
    if (o.backend != BALE_BACKEND_AUTO && level != 0) {
        int lo, hi;
        if (bale_backend_levels(o.backend, &lo, &hi, NULL) != BALE_OK || level < lo ||
            level > hi) {
            PyErr_Format(PyExc_ValueError, "codec %R: level %ld outside %d..%d", codec,
                         level, lo, hi);
            return -1;
        }
    }
    o.level = (int)level;
    *out = o;
    return 0;
bad:
    if (PyUnicode_Check(name_obj)) {
        /* A bare encoding name ("dict") is the likeliest slip: say how. */
        const char *n = PyUnicode_AsUTF8(name_obj);
        bale_encoding e;
        if (n != NULL && bale_encoding_parse(n, &e) == BALE_OK && e != BALE_ENC_AUTO) {
            PyErr_Format(PyExc_ValueError,
                         "codec %R is an encoding: give it a backend, as in '%s+none' or "
                         "'%s+zstd' (backends: bale.codecs())",
                         codec, n, n);
            return -1;
        }
        PyErr_Clear();
    }
    PyErr_Format(PyExc_ValueError,
                 "codec must be 'auto', a backend from bale.codecs() with an optional "
                 "level ('zstd', 'zstd:9', ('zlib', 6)), or an encoding from "
                 "bale.encodings() and a backend ('dict+none', 'for+zstd:3'); got %R",
                 codec);
    return -1;
}

/* codecs() -> dict {name: (min_level, max_level, default_level)}: the
 * backends compiled in.  New reference. */
static PyObject *bale_codecs(PyObject *self, PyObject *unused) {
    (void)self;
    (void)unused;
    static const bale_backend all[] = {BALE_BACKEND_NONE, BALE_BACKEND_LZ4,
                                       BALE_BACKEND_ZSTD, BALE_BACKEND_ZLIB};
    PyObject *d = PyDict_New();
    if (d == NULL) return NULL;
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) {
        int lo, hi, def;
        if (bale_backend_levels(all[i], &lo, &hi, &def) != BALE_OK) continue;
        PyObject *levels = Py_BuildValue("(iii)", lo, hi, def);
        if (levels == NULL || PyDict_SetItemString(d, bale_backend_name(all[i]), levels) < 0) {
            Py_XDECREF(levels);
            Py_DECREF(d);
            return NULL;
        }
        Py_DECREF(levels);
    }
    return d;
}

/* encodings() -> tuple of value-encoding names.  New reference. */
static PyObject *bale_encodings(PyObject *self, PyObject *unused) {
    (void)self;
    (void)unused;
    PyObject *names = PyList_New(0);
    if (names == NULL) return NULL;
    for (int id = 0; id < 255; id++) {
        const char *name = bale_encoding_name((bale_encoding)id);
        if (name == NULL) continue;
        PyObject *s = PyUnicode_FromString(name);
        if (s == NULL || PyList_Append(names, s) < 0) {
            Py_XDECREF(s);
            Py_DECREF(names);
            return NULL;
        }
        Py_DECREF(s);
    }
    PyObject *t = PyList_AsTuple(names);
    Py_DECREF(names);
    return t;
}

/* memory() -> dict {"live": bytes, "peak": bytes}.  New reference. */
static PyObject *bale_memory(PyObject *self, PyObject *unused) {
    (void)self;
    (void)unused;
    return Py_BuildValue("{sLsL}", "live", (long long)bale_memory_live(), "peak",
                         (long long)bale_memory_peak());
}

static PyObject *bale_reset_peak(PyObject *self, PyObject *unused) {
    (void)self;
    (void)unused;
    bale_memory_reset_peak();
    Py_RETURN_NONE;
}

/* set_num_threads(n) -> int: sets the threads of bulk reads, returns the
 * previous number.  n = 0 restores the default. */
static PyObject *bale_set_num_threads(PyObject *self, PyObject *arg) {
    (void)self;
    long n = PyLong_AsLong(arg);
    if (n == -1 && PyErr_Occurred()) return NULL;
    if (n < 0 || n > BALE_EXT_MAX_THREADS) {
        PyErr_Format(PyExc_ValueError, "set_num_threads: n must be 0 (the default) to %d, not %ld",
                     BALE_EXT_MAX_THREADS, n);
        return NULL;
    }
    unsigned old = bale_ext_nthreads;
    bale_ext_nthreads = n == 0 ? default_nthreads() : (unsigned)n;
    return PyLong_FromUnsignedLong(old);
}

static PyObject *bale_get_num_threads(PyObject *self, PyObject *unused) {
    (void)self;
    (void)unused;
    return PyLong_FromUnsignedLong(bale_ext_nthreads);
}

static PyMethodDef module_methods[] = {
    {"set_num_threads", bale_set_num_threads, METH_O,
     "set_num_threads(n) -> int\n\nThreads that bulk reads (List.to_numpy, sum, min, max) decode "
     "chunks on; 0 restores the default (the CPUs this process may run on, at most 8).  "
     "Returns the previous number."},
    {"get_num_threads", bale_get_num_threads, METH_NOARGS,
     "get_num_threads() -> int\n\nThreads that bulk reads decode chunks on."},
    {"codecs", bale_codecs, METH_NOARGS,
     "codecs() -> dict\n\nBackends compiled in: name -> (min_level, max_level, default_level)."},
    {"encodings", bale_encodings, METH_NOARGS,
     "encodings() -> tuple\n\nValue encodings compiled in (filters applied before a backend)."},
    {"memory", bale_memory, METH_NOARGS,
     "memory() -> dict\n\nBytes the library holds now ('live') and at most so far ('peak')."},
    {"reset_peak", bale_reset_peak, METH_NOARGS,
     "reset_peak()\n\nSets the peak figure of memory() to the live one."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef bale_module = {
    PyModuleDef_HEAD_INIT, "bale._bale",
    "C core of bale: compressed, chunked lists and dicts.", -1, module_methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__bale(void);
PyMODINIT_FUNC PyInit__bale(void) {
    PyObject *m = PyModule_Create(&bale_module);
    if (m == NULL) return NULL;
    bale_ext_nthreads = default_nthreads();
    if (PyModule_AddStringConstant(m, "__version__", bale_version_string()) < 0) goto fail;
    if (bale_CorruptDataError == NULL) {
        bale_CorruptDataError = PyErr_NewExceptionWithDoc(
            "bale.CorruptDataError",
            "Bytes given to bale (a pickle, a file) are not a valid encoding.",
            PyExc_ValueError, NULL);
        if (bale_CorruptDataError == NULL) goto fail;
    }
    Py_INCREF(bale_CorruptDataError);
    if (PyModule_AddObject(m, "CorruptDataError", bale_CorruptDataError) < 0) {
        Py_DECREF(bale_CorruptDataError);
        goto fail;
    }
    if (bale_ext_list_init(m) < 0 || bale_ext_dict_init(m) < 0) goto fail;
    return m;
fail:
    Py_DECREF(m);
    return NULL;
}
