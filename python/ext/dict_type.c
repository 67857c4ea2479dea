/*
 * dict_type.c - bale.Dict: a compressed, insertion-ordered, mutable mapping
 * over the C core's bale_dict (include/bale_dict.h), with its live views
 * (keys/values/items) and iterators.
 *
 * Keys are canonicalised before they reach the core, so that lookups follow
 * Python equality for the supported key types:
 *   int keys   int, bool and integral floats within int64 -> int64
 *              (1, 1.0 and True are one key; 1.5 is never found, and
 *              inserting it raises TypeError)
 *   str keys   str only, stored as UTF-8 with surrogatepass
 *   bytes keys bytes only
 * A key of another type is simply not found (after a hash check, so that an
 * unhashable key raises TypeError as with dict); inserting it raises
 * TypeError.  The core hashes the canonical bytes itself (XXH3), never with
 * Python's hash.
 *
 * Values: int, float, bool, str, bytes, or object (pickled).  An inferred
 * value type widens to object when a value of another type arrives (all
 * values are re-encoded once); an explicit one raises TypeError.
 *
 * The object holds no Python references (values are stored encoded), so it
 * needs no GC support.  Any call that may run Python code (pickling, __eq__,
 * __hash__ of foreign keys) happens either before the core is touched or
 * after it is left valid; iterators check the size and a key version.
 *
 * Reference conventions: each function says new or borrowed.
 */
#include "bale_ext.h"

#include "bale_dict.h"

#include <math.h>

/* ---- module state (single-phase init: globals) ------------------------- */
static PyObject *pickle_dumps = NULL; /* strong */
static PyObject *pickle_loads = NULL; /* strong */
static PyObject *pickle_protocol = NULL;

typedef struct {
    PyObject_HEAD
    bale_dict *d;      /* NULL until the key and value types are known */
    bale_dtype kt, vt; /* 0 while unknown */
    int kt_fixed, vt_fixed;
    bale_codec_opts opts;
    uint64_t version;  /* bumped when keys are added or removed */
    PyObject *weakreflist;
} DictObject;

static PyTypeObject Dict_Type;
static PyTypeObject DictIter_Type;
static PyTypeObject DictKeys_Type;
static PyTypeObject DictValues_Type;
static PyTypeObject DictItems_Type;

#define Dict_Check(o) PyObject_TypeCheck((o), &Dict_Type)
static int Dict_check_any(PyObject *o) { return Dict_Check(o) || PyDict_Check(o); }
static PyObject *abc_Set = NULL; /* strong: collections.abc.Set */

enum { KIND_KEYS = 0, KIND_VALUES = 1, KIND_ITEMS = 2 };

/* ---- dtype names ---------------------------------------------------------- */

static int parse_dtype(PyObject *obj, bale_dtype *out, int for_key) {
    *out = 0;
    if (obj == NULL || obj == Py_None) return 0;
    bale_dtype t = 0;
    if (PyType_Check(obj)) {
        if (obj == (PyObject *)&PyLong_Type) t = BALE_DTYPE_INT;
        else if (obj == (PyObject *)&PyFloat_Type) t = BALE_DTYPE_FLOAT;
        else if (obj == (PyObject *)&PyBool_Type) t = BALE_DTYPE_BOOL;
        else if (obj == (PyObject *)&PyUnicode_Type) t = BALE_DTYPE_STR;
        else if (obj == (PyObject *)&PyBytes_Type) t = BALE_DTYPE_BYTES;
        else if (obj == (PyObject *)&PyBaseObject_Type) t = BALE_DTYPE_OBJECT;
    } else if (PyUnicode_Check(obj)) {
        const char *s = PyUnicode_AsUTF8(obj);
        if (s == NULL) return -1;
        for (int i = 1; i <= 6; i++)
            if (strcmp(s, bale_dtype_name((bale_dtype)i)) == 0) t = (bale_dtype)i;
    }
    if (t == 0 || (for_key && t != BALE_DTYPE_INT && t != BALE_DTYPE_STR && t != BALE_DTYPE_BYTES)) {
        PyErr_Format(PyExc_TypeError,
                     for_key ? "key_type must be str, bytes or int (or their names), not %R"
                             : "value_type must be int, float, bool, str, bytes or object "
                               "(or their names), not %R",
                     obj);
        return -1;
    }
    *out = t;
    return 0;
}

/* New reference: the dtype's name or None. */
static PyObject *dtype_name_obj(bale_dtype t) {
    if (t == 0) Py_RETURN_NONE;
    return PyUnicode_FromString(bale_dtype_name(t));
}

/* ---- conversions ------------------------------------------------------------ */

/* UTF-8 of a str with surrogatepass.  Borrowed pointer into `s`, or into
 * *tmp (a new bytes the caller releases).  -1 with an exception set. */
static int str_utf8(PyObject *s, bale_scalar *out, PyObject **tmp) {
    Py_ssize_t n;
    const char *p = PyUnicode_AsUTF8AndSize(s, &n);
    if (p == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_UnicodeEncodeError)) return -1;
        PyErr_Clear();
        *tmp = PyUnicode_AsEncodedString(s, "utf-8", "surrogatepass");
        if (*tmp == NULL) return -1;
        p = PyBytes_AS_STRING(*tmp);
        n = PyBytes_GET_SIZE(*tmp);
    }
    out->dtype = BALE_DTYPE_STR;
    out->data = p;
    out->size = (uint64_t)n;
    return 0;
}

/* The key dtype a new dict infers from its first key, or 0. */
static bale_dtype infer_key(PyObject *k) {
    if (PyUnicode_Check(k)) return BALE_DTYPE_STR;
    if (PyBytes_Check(k)) return BALE_DTYPE_BYTES;
    if (PyLong_Check(k)) return BALE_DTYPE_INT;
    return 0;
}

/* Converts a key to the dict's key dtype `kt`.  Returns 1 (converted), 0 (no
 * key of this dict can equal it; unhashable keys raise instead), -1 error.
 * On insert, "0" becomes a TypeError / OverflowError here. */
static int key_convert(bale_dtype kt, PyObject *k, bale_scalar *out, PyObject **tmp,
                       int insert) {
    memset(out, 0, sizeof *out);
    switch (kt) {
    case BALE_DTYPE_INT:
        out->dtype = BALE_DTYPE_INT;
        if (PyLong_Check(k)) {
            int overflow;
            long long v = PyLong_AsLongLongAndOverflow(k, &overflow);
            if (v == -1 && PyErr_Occurred()) return -1;
            if (!overflow) {
                out->i = v;
                return 1;
            }
            if (insert) {
                PyErr_SetString(PyExc_OverflowError, "bale.Dict int keys must fit in 64 bits");
                return -1;
            }
            return 0;
        }
        if (PyFloat_Check(k)) {
            double f = PyFloat_AS_DOUBLE(k);
            if (f == floor(f) && f >= -9223372036854775808.0 && f < 9223372036854775808.0) {
                out->i = (int64_t)f;
                return 1;
            }
            if (insert) {
                PyErr_Format(PyExc_TypeError,
                             "bale.Dict with int keys cannot hold the non-integral float key %R", k);
                return -1;
            }
            return 0;
        }
        break;
    case BALE_DTYPE_STR:
        if (PyUnicode_Check(k)) return str_utf8(k, out, tmp) < 0 ? -1 : 1;
        break;
    case BALE_DTYPE_BYTES:
        if (PyBytes_Check(k)) {
            out->dtype = BALE_DTYPE_BYTES;
            out->data = PyBytes_AS_STRING(k);
            out->size = (uint64_t)PyBytes_GET_SIZE(k);
            return 1;
        }
        break;
    default:
        break;
    }
    if (insert) {
        if (kt == 0)
            PyErr_Format(PyExc_TypeError, "bale.Dict keys must be str, bytes or int, not %.100s",
                         Py_TYPE(k)->tp_name);
        else
            PyErr_Format(PyExc_TypeError, "bale.Dict with %s keys cannot hold a key of type %.100s",
                         bale_dtype_name(kt), Py_TYPE(k)->tp_name);
        return -1;
    }
    if (PyObject_Hash(k) == -1) return -1; /* unhashable: TypeError like dict */
    return 0;
}

/* The value dtype an inferred dict gives v. */
static bale_dtype infer_value(PyObject *v) {
    if (PyBool_Check(v)) return BALE_DTYPE_BOOL;
    if (PyLong_CheckExact(v)) {
        int overflow;
        long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
        (void)x;
        if (x == -1 && PyErr_Occurred()) {
            PyErr_Clear();
            return BALE_DTYPE_OBJECT;
        }
        return overflow ? BALE_DTYPE_OBJECT : BALE_DTYPE_INT;
    }
    if (PyFloat_CheckExact(v)) return BALE_DTYPE_FLOAT;
    if (PyUnicode_CheckExact(v)) return BALE_DTYPE_STR;
    if (PyBytes_CheckExact(v)) return BALE_DTYPE_BYTES;
    return BALE_DTYPE_OBJECT;
}

/* Converts a value to dtype vt.  strict (explicit value_type): int takes int
 * subclasses but bool, float takes float and int, str and bytes take
 * subclasses.  Returns 1 (converted), 0 (does not fit: widen, only when
 * !strict), -1 error.  May run Python code (pickling). */
static int value_convert(bale_dtype vt, PyObject *v, int strict, bale_scalar *out,
                         PyObject **tmp) {
    memset(out, 0, sizeof *out);
    out->dtype = vt;
    if (vt == BALE_DTYPE_OBJECT) {
        *tmp = PyObject_CallFunctionObjArgs(pickle_dumps, v, pickle_protocol, NULL);
        if (*tmp == NULL) return -1;
        if (!PyBytes_Check(*tmp)) {
            PyErr_SetString(PyExc_TypeError, "pickle.dumps did not return bytes");
            return -1;
        }
        out->data = PyBytes_AS_STRING(*tmp);
        out->size = (uint64_t)PyBytes_GET_SIZE(*tmp);
        return 1;
    }
    if (!strict) {
        if (infer_value(v) != vt) return 0;
    } else {
        int ok = 0;
        switch (vt) {
        case BALE_DTYPE_INT: ok = PyLong_Check(v) && !PyBool_Check(v); break;
        case BALE_DTYPE_FLOAT: ok = PyFloat_Check(v) || (PyLong_Check(v) && !PyBool_Check(v)); break;
        case BALE_DTYPE_BOOL: ok = PyBool_Check(v); break;
        case BALE_DTYPE_STR: ok = PyUnicode_Check(v); break;
        case BALE_DTYPE_BYTES: ok = PyBytes_Check(v); break;
        default: break;
        }
        if (!ok) {
            PyErr_Format(PyExc_TypeError, "bale.Dict with %s values cannot hold a value of type %.100s",
                         bale_dtype_name(vt), Py_TYPE(v)->tp_name);
            return -1;
        }
    }
    switch (vt) {
    case BALE_DTYPE_INT: {
        long long x = PyLong_AsLongLong(v);
        if (x == -1 && PyErr_Occurred()) return -1;
        out->i = x;
        return 1;
    }
    case BALE_DTYPE_FLOAT:
        out->f = PyFloat_AsDouble(v);
        if (out->f == -1.0 && PyErr_Occurred()) return -1;
        return 1;
    case BALE_DTYPE_BOOL:
        out->i = v == Py_True;
        return 1;
    case BALE_DTYPE_STR:
        return str_utf8(v, out, tmp) < 0 ? -1 : 1;
    case BALE_DTYPE_BYTES:
        out->data = PyBytes_AS_STRING(v);
        out->size = (uint64_t)PyBytes_GET_SIZE(v);
        return 1;
    default:
        PyErr_SetString(PyExc_SystemError, "bale.Dict: bad value dtype");
        return -1;
    }
}

/* New reference: a key scalar as a Python object.  Runs no Python code. */
static PyObject *key_to_py(const bale_scalar *k) {
    switch (k->dtype) {
    case BALE_DTYPE_INT: return PyLong_FromLongLong(k->i);
    case BALE_DTYPE_STR: return PyUnicode_DecodeUTF8(k->data, (Py_ssize_t)k->size, "surrogatepass");
    default: return PyBytes_FromStringAndSize(k->data, (Py_ssize_t)k->size);
    }
}

/* New reference: a value scalar as a Python object; for object values the
 * pickle bytes (copied; no Python code runs).  value_finish unpickles. */
static PyObject *value_to_py_raw(const bale_scalar *v) {
    switch (v->dtype) {
    case BALE_DTYPE_INT: return PyLong_FromLongLong(v->i);
    case BALE_DTYPE_FLOAT: return PyFloat_FromDouble(v->f);
    case BALE_DTYPE_BOOL: return PyBool_FromLong((long)v->i);
    case BALE_DTYPE_STR: return PyUnicode_DecodeUTF8(v->data, (Py_ssize_t)v->size, "surrogatepass");
    default: return PyBytes_FromStringAndSize(v->data, (Py_ssize_t)v->size);
    }
}
/* Steals raw; new reference.  May run Python code (unpickling). */
static PyObject *value_finish(bale_dtype vt, PyObject *raw) {
    if (raw == NULL || vt != BALE_DTYPE_OBJECT) return raw;
    PyObject *o = PyObject_CallOneArg(pickle_loads, raw);
    Py_DECREF(raw);
    return o;
}
static PyObject *value_to_py(const bale_scalar *v) { return value_finish(v->dtype, value_to_py_raw(v)); }

/* ---- core helpers ---------------------------------------------------------- */

static int ensure_core(DictObject *self) {
    if (self->d != NULL) return 0;
    bale_err err = bale_dict_create(self->kt, self->vt, &self->opts, &self->d);
    if (err != BALE_OK) {
        bale_ext_error(err);
        return -1;
    }
    return 0;
}

static uint64_t dict_len(const DictObject *self) { return self->d ? bale_dict_count(self->d) : 0; }

/* Re-encodes every value as object (pickled).  -1 with an exception set;
 * the dict is unchanged on failure. */
static int widen_to_object(DictObject *self) {
    if (self->d == NULL) {
        self->vt = BALE_DTYPE_OBJECT;
        return 0;
    }
    bale_dict *nd = NULL;
    bale_err err = bale_dict_create(self->kt, BALE_DTYPE_OBJECT, &self->opts, &nd);
    if (err != BALE_OK) {
        bale_ext_error(err);
        return -1;
    }
    uint64_t pos = 0;
    bale_dict *old = self->d;
    while (bale_dict_next(old, pos, &pos) == BALE_OK) {
        bale_scalar k, v;
        err = bale_dict_entry(old, pos, &k, &v);
        if (err != BALE_OK) goto fail_err;
        PyObject *val = value_to_py(&v); /* no Python code for non-object */
        if (val == NULL) goto fail;
        PyObject *tmp = NULL;
        bale_scalar nv;
        /* Pickling ints, floats, str, bytes runs no user code; k stays valid. */
        int r = value_convert(BALE_DTYPE_OBJECT, val, 1, &nv, &tmp);
        Py_DECREF(val);
        if (r < 0) {
            Py_XDECREF(tmp);
            goto fail;
        }
        /* k is borrowed from `old`, nv from tmp: fine for set into nd. */
        err = bale_dict_set(nd, &k, &nv, NULL);
        Py_XDECREF(tmp);
        if (err != BALE_OK) goto fail_err;
        pos++;
    }
    self->d = nd;
    self->vt = BALE_DTYPE_OBJECT;
    bale_dict_free(old);
    return 0;
fail_err:
    bale_ext_error(err);
fail:
    bale_dict_free(nd);
    return -1;
}

/* self[key] = value.  0 or -1. */
static int dict_setitem(DictObject *self, PyObject *key, PyObject *value) {
    for (int attempt = 0; attempt < 4; attempt++) {
        if (self->kt == 0) {
            bale_dtype t = infer_key(key);
            if (t == 0) {
                PyErr_Format(PyExc_TypeError, "bale.Dict keys must be str, bytes or int, not %.100s",
                             Py_TYPE(key)->tp_name);
                return -1;
            }
            self->kt = t;
        }
        if (self->vt == 0) self->vt = infer_value(value);
        bale_dtype vt = self->vt;
        PyObject *vtmp = NULL, *ktmp = NULL;
        bale_scalar v, k;
        int r = value_convert(vt, value, self->vt_fixed, &v, &vtmp); /* may run code */
        if (r < 0) goto fail;
        if (r == 0) {
            if (widen_to_object(self) < 0) goto fail;
            continue;
        }
        if (self->vt != vt) { /* user code in pickling changed us: retry */
            Py_XDECREF(vtmp);
            continue;
        }
        if (key_convert(self->kt, key, &k, &ktmp, 1) < 0) goto fail;
        if (ensure_core(self) < 0) goto fail_k;
        int inserted = 0;
        bale_err err = bale_dict_set(self->d, &k, &v, &inserted);
        Py_XDECREF(vtmp);
        Py_XDECREF(ktmp);
        if (err != BALE_OK) {
            bale_ext_error(err);
            return -1;
        }
        if (inserted) self->version++;
        return 0;
    fail_k:
        Py_XDECREF(ktmp);
    fail:
        Py_XDECREF(vtmp);
        return -1;
    }
    PyErr_SetString(PyExc_RuntimeError, "bale.Dict changed while a value was being stored");
    return -1;
}

/* Looks key up.  Returns 1 found (*out set, unless out is NULL: borrowed
 * scalar, valid until the next core call), 0 missing, -1 error. */
static int dict_lookup(DictObject *self, PyObject *key, bale_scalar *out) {
    if (self->d == NULL) {
        if (PyObject_Hash(key) == -1) return -1;
        return 0;
    }
    PyObject *tmp = NULL;
    bale_scalar k;
    int r = key_convert(self->kt, key, &k, &tmp, 0);
    if (r <= 0) return r;
    bale_err err = bale_dict_get(self->d, &k, out, NULL);
    Py_XDECREF(tmp);
    if (err == BALE_NOTFOUND) return 0;
    if (err != BALE_OK) {
        bale_ext_error(err);
        return -1;
    }
    return 1;
}

/* Deletes key.  1 deleted, 0 missing, -1 error. */
static int dict_delkey(DictObject *self, PyObject *key) {
    if (self->d == NULL) {
        if (PyObject_Hash(key) == -1) return -1;
        return 0;
    }
    PyObject *tmp = NULL;
    bale_scalar k;
    int r = key_convert(self->kt, key, &k, &tmp, 0);
    if (r <= 0) return r;
    bale_err err = bale_dict_delete(self->d, &k);
    Py_XDECREF(tmp);
    if (err == BALE_NOTFOUND) return 0;
    if (err != BALE_OK) {
        bale_ext_error(err);
        return -1;
    }
    self->version++;
    return 1;
}

static void set_key_error(PyObject *key) {
    PyObject *t = PyTuple_Pack(1, key);
    if (t) {
        PyErr_SetObject(PyExc_KeyError, t);
        Py_DECREF(t);
    }
}

/* Merges `src` (bale.Dict, mapping, or iterable of pairs) into self. */
static int dict_update_from(DictObject *self, PyObject *src) {
    if (Dict_Check(src)) {
        DictObject *o = (DictObject *)src;
        if (o->d == NULL) return 0;
        uint64_t pos = 0;
        /* Read each entry into Python objects first (the core may be self). */
        for (;;) {
            if (o->d == NULL || bale_dict_next(o->d, pos, &pos) != BALE_OK) break;
            bale_scalar k, v;
            bale_err err = bale_dict_entry(o->d, pos, &k, &v);
            if (err != BALE_OK) {
                bale_ext_error(err);
                return -1;
            }
            PyObject *ko = key_to_py(&k);
            PyObject *vo = ko ? value_to_py_raw(&v) : NULL;
            vo = value_finish(v.dtype, vo);
            if (vo == NULL) {
                Py_XDECREF(ko);
                return -1;
            }
            int r = dict_setitem(self, ko, vo);
            Py_DECREF(ko);
            Py_DECREF(vo);
            if (r < 0) return -1;
            pos++;
        }
        return 0;
    }
    if (PyDict_Check(src)) {
        Py_ssize_t i = 0, n = PyDict_Size(src);
        PyObject *k, *v;
        while (PyDict_Next(src, &i, &k, &v)) {
            Py_INCREF(k);
            Py_INCREF(v);
            int r = dict_setitem(self, k, v);
            Py_DECREF(k);
            Py_DECREF(v);
            if (r < 0) return -1;
            if (PyDict_Size(src) != n) {
                PyErr_SetString(PyExc_RuntimeError, "dictionary changed size during iteration");
                return -1;
            }
        }
        return 0;
    }
    int has_keys = PyObject_HasAttrString(src, "keys");
    if (has_keys) {
        PyObject *keys = PyMapping_Keys(src);
        if (keys == NULL) return -1;
        PyObject *it = PyObject_GetIter(keys);
        Py_DECREF(keys);
        if (it == NULL) return -1;
        PyObject *k;
        while ((k = PyIter_Next(it)) != NULL) {
            PyObject *v = PyObject_GetItem(src, k);
            int r = v ? dict_setitem(self, k, v) : -1;
            Py_DECREF(k);
            Py_XDECREF(v);
            if (r < 0) {
                Py_DECREF(it);
                return -1;
            }
        }
        Py_DECREF(it);
        return PyErr_Occurred() ? -1 : 0;
    }
    PyObject *it = PyObject_GetIter(src);
    if (it == NULL) return -1;
    PyObject *item;
    Py_ssize_t idx = 0;
    while ((item = PyIter_Next(it)) != NULL) {
        PyObject *fast = PySequence_Fast(item, "");
        if (fast == NULL) {
            if (PyErr_ExceptionMatches(PyExc_TypeError)) {
                PyErr_Clear();
                PyErr_Format(PyExc_TypeError,
                             "cannot convert dictionary update sequence element #%zd to a sequence",
                             idx);
            }
            Py_DECREF(item);
            Py_DECREF(it);
            return -1;
        }
        Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
        if (n != 2) {
            PyErr_Format(PyExc_ValueError,
                         "dictionary update sequence element #%zd has length %zd; 2 is required", idx, n);
            Py_DECREF(fast);
            Py_DECREF(item);
            Py_DECREF(it);
            return -1;
        }
        PyObject *k = PySequence_Fast_GET_ITEM(fast, 0), *v = PySequence_Fast_GET_ITEM(fast, 1);
        Py_INCREF(k);
        Py_INCREF(v);
        Py_DECREF(fast);
        int r = dict_setitem(self, k, v);
        Py_DECREF(k);
        Py_DECREF(v);
        Py_DECREF(item);
        if (r < 0) {
            Py_DECREF(it);
            return -1;
        }
        idx++;
    }
    Py_DECREF(it);
    return PyErr_Occurred() ? -1 : 0;
}

static int dict_update_kwargs(DictObject *self, PyObject *kwargs) {
    if (kwargs == NULL) return 0;
    Py_ssize_t i = 0;
    PyObject *k, *v;
    while (PyDict_Next(kwargs, &i, &k, &v)) {
        Py_INCREF(k);
        Py_INCREF(v);
        int r = dict_setitem(self, k, v);
        Py_DECREF(k);
        Py_DECREF(v);
        if (r < 0) return -1;
    }
    return 0;
}

/* ---- type slots -------------------------------------------------------------- */

static PyObject *Dict_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
    (void)args;
    (void)kwds;
    DictObject *self = (DictObject *)type->tp_alloc(type, 0);
    if (self == NULL) return NULL;
    self->opts = bale_codec_opts_auto();
    return (PyObject *)self;
}

/* Pops the reserved keywords out of a copy of kwds.  New reference or NULL. */
static int Dict_init(DictObject *self, PyObject *args, PyObject *kwds) {
    PyObject *src = NULL;
    if (!PyArg_ParseTuple(args, "|O:Dict", &src)) return -1;
    PyObject *kt = NULL, *vt = NULL, *codec = NULL, *rest = NULL;
    if (kwds != NULL) {
        rest = PyDict_Copy(kwds);
        if (rest == NULL) return -1;
        kt = PyDict_GetItemString(rest, "key_type");
        vt = PyDict_GetItemString(rest, "value_type");
        codec = PyDict_GetItemString(rest, "codec");
        Py_XINCREF(kt);
        Py_XINCREF(vt);
        Py_XINCREF(codec);
        if ((kt && PyDict_DelItemString(rest, "key_type") < 0) ||
            (vt && PyDict_DelItemString(rest, "value_type") < 0) ||
            (codec && PyDict_DelItemString(rest, "codec") < 0))
            goto fail;
    }
    if (self->d != NULL) { /* __init__ called again: start afresh */
        bale_dict_free(self->d);
        self->d = NULL;
        self->version++;
    }
    bale_dtype k = 0, v = 0;
    if (parse_dtype(kt, &k, 1) < 0 || parse_dtype(vt, &v, 0) < 0) goto fail;
    self->kt = k;
    self->vt = v;
    self->kt_fixed = k != 0;
    self->vt_fixed = v != 0;
    if (codec != NULL && bale_ext_parse_codec(codec, &self->opts) < 0) goto fail;
    if (src != NULL && dict_update_from(self, src) < 0) goto fail;
    if (rest != NULL && dict_update_kwargs(self, rest) < 0) goto fail;
    Py_XDECREF(kt);
    Py_XDECREF(vt);
    Py_XDECREF(codec);
    Py_XDECREF(rest);
    return 0;
fail:
    Py_XDECREF(kt);
    Py_XDECREF(vt);
    Py_XDECREF(codec);
    Py_XDECREF(rest);
    return -1;
}

static void Dict_dealloc(DictObject *self) {
    if (self->weakreflist != NULL) PyObject_ClearWeakRefs((PyObject *)self);
    bale_dict_free(self->d);
    self->d = NULL;
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static Py_ssize_t Dict_len(DictObject *self) { return (Py_ssize_t)dict_len(self); }

static PyObject *Dict_subscript(DictObject *self, PyObject *key) {
    bale_scalar v;
    int r = dict_lookup(self, key, &v);
    if (r < 0) return NULL;
    if (r == 0) {
        if (Py_TYPE(self) != &Dict_Type) {
            /* subclasses may define __missing__ */
            PyObject *missing = PyObject_GetAttrString((PyObject *)self, "__missing__");
            if (missing != NULL) {
                PyObject *res = PyObject_CallOneArg(missing, key);
                Py_DECREF(missing);
                return res;
            }
            PyErr_Clear();
        }
        set_key_error(key);
        return NULL;
    }
    return value_to_py(&v);
}

static int Dict_ass_subscript(DictObject *self, PyObject *key, PyObject *value) {
    if (value != NULL) return dict_setitem(self, key, value);
    int r = dict_delkey(self, key);
    if (r == 0) set_key_error(key);
    return r > 0 ? 0 : -1;
}

static int Dict_contains(DictObject *self, PyObject *key) {
    return dict_lookup(self, key, NULL); /* no value decoded */
}

/* ---- iterators --------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    DictObject *dict; /* strong, NULL when exhausted */
    uint64_t pos;     /* next position (forward) or one past it (reverse) */
    uint64_t len, version;
    uint64_t yielded; /* items handed out so far, for __length_hint__ */
    int kind, reverse;
} DictIterObject;

static PyObject *iter_new(DictObject *dict, int kind, int reverse) {
    DictIterObject *it = PyObject_New(DictIterObject, &DictIter_Type);
    if (it == NULL) return NULL;
    Py_INCREF(dict);
    it->dict = dict;
    it->kind = kind;
    it->reverse = reverse;
    it->len = dict_len(dict);
    it->yielded = 0;
    it->version = dict->version;
    it->pos = reverse ? (dict->d ? bale_dict_end(dict->d) : 0) : 0;
    return (PyObject *)it;
}

static void DictIter_dealloc(DictIterObject *it) {
    Py_XDECREF(it->dict);
    PyObject_Free(it);
}

/* New reference: the pair or element at a live position. */
static PyObject *entry_to_py(DictObject *d, uint64_t pos, int kind) {
    bale_scalar k, v;
    bale_err err = bale_dict_entry(d->d, pos, kind == KIND_VALUES ? NULL : &k,
                                   kind == KIND_KEYS ? NULL : &v);
    if (err != BALE_OK) return bale_ext_error(err);
    if (kind == KIND_KEYS) return key_to_py(&k);
    if (kind == KIND_VALUES) return value_to_py(&v);
    PyObject *ko = key_to_py(&k);
    if (ko == NULL) return NULL;
    PyObject *vo = value_to_py(&v);
    if (vo == NULL) {
        Py_DECREF(ko);
        return NULL;
    }
    PyObject *t = PyTuple_New(2);
    if (t == NULL) {
        Py_DECREF(ko);
        Py_DECREF(vo);
        return NULL;
    }
    PyTuple_SET_ITEM(t, 0, ko);
    PyTuple_SET_ITEM(t, 1, vo);
    return t;
}

static PyObject *DictIter_next(DictIterObject *it) {
    DictObject *d = it->dict;
    if (d == NULL) return NULL;
    if (dict_len(d) != it->len) {
        PyErr_SetString(PyExc_RuntimeError, "dictionary changed size during iteration");
        it->len = (uint64_t)-1;
        return NULL;
    }
    if (d->version != it->version) {
        PyErr_SetString(PyExc_RuntimeError, "dictionary keys changed during iteration");
        return NULL;
    }
    uint64_t pos;
    bale_err err = d->d == NULL ? BALE_NOTFOUND
                   : it->reverse ? bale_dict_prev(d->d, it->pos, &pos)
                                 : bale_dict_next(d->d, it->pos, &pos);
    if (err != BALE_OK) {
        it->dict = NULL;
        Py_DECREF(d);
        return NULL;
    }
    it->pos = it->reverse ? pos : pos + 1;
    it->yielded++;
    return entry_to_py(d, pos, it->kind);
}

static PyObject *DictIter_length_hint(DictIterObject *it, PyObject *unused) {
    (void)unused;
    if (it->dict == NULL || dict_len(it->dict) != it->len || it->yielded >= it->len)
        return PyLong_FromLong(0);
    return PyLong_FromUnsignedLongLong(it->len - it->yielded);
}

static PyMethodDef DictIter_methods[] = {
    {"__length_hint__", (PyCFunction)DictIter_length_hint, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject DictIter_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "bale._bale.DictIterator",
    .tp_basicsize = sizeof(DictIterObject),
    .tp_dealloc = (destructor)DictIter_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = (iternextfunc)DictIter_next,
    .tp_methods = DictIter_methods,
};

static PyObject *Dict_iter(DictObject *self) { return iter_new(self, KIND_KEYS, 0); }

/* ---- views ------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    DictObject *dict; /* strong */
} DictViewObject;

static PyObject *view_new(DictObject *dict, PyTypeObject *type) {
    DictViewObject *v = PyObject_New(DictViewObject, type);
    if (v == NULL) return NULL;
    Py_INCREF(dict);
    v->dict = dict;
    return (PyObject *)v;
}

static void DictView_dealloc(DictViewObject *v) {
    Py_DECREF(v->dict);
    PyObject_Free(v);
}

static Py_ssize_t DictView_len(DictViewObject *v) { return Dict_len(v->dict); }

static int view_kind(PyObject *v) {
    if (Py_TYPE(v) == &DictKeys_Type) return KIND_KEYS;
    if (Py_TYPE(v) == &DictValues_Type) return KIND_VALUES;
    return KIND_ITEMS;
}

static PyObject *DictView_iter(DictViewObject *v) { return iter_new(v->dict, view_kind((PyObject *)v), 0); }

static PyObject *DictView_reversed(DictViewObject *v, PyObject *unused) {
    (void)unused;
    return iter_new(v->dict, view_kind((PyObject *)v), 1);
}

static int DictKeys_contains(DictViewObject *v, PyObject *key) { return Dict_contains(v->dict, key); }

static int DictItems_contains(DictViewObject *v, PyObject *item) {
    if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2) return 0;
    bale_scalar val;
    int r = dict_lookup(v->dict, PyTuple_GET_ITEM(item, 0), &val);
    if (r <= 0) return r;
    PyObject *have = value_to_py(&val);
    if (have == NULL) return -1;
    PyObject *want = PyTuple_GET_ITEM(item, 1);
    Py_INCREF(want);
    r = PyObject_RichCompareBool(have, want, Py_EQ);
    Py_DECREF(have);
    Py_DECREF(want);
    return r;
}

static int DictValues_contains(DictViewObject *v, PyObject *x) {
    PyObject *it = DictView_iter(v);
    if (it == NULL) return -1;
    PyObject *item;
    int r = 0;
    while (r == 0 && (item = PyIter_Next(it)) != NULL) {
        r = PyObject_RichCompareBool(item, x, Py_EQ);
        Py_DECREF(item);
    }
    Py_DECREF(it);
    if (r == 0 && PyErr_Occurred()) return -1;
    return r;
}

static int is_setlike_view(PyObject *o) {
    return Py_TYPE(o) == &DictKeys_Type || Py_TYPE(o) == &DictItems_Type;
}

/* set(a) <op>= b, dict_keys style: a may be the view or any iterable.  New ref. */
static PyObject *view_setop(PyObject *a, PyObject *b, const char *method) {
    if (!is_setlike_view(a) && !is_setlike_view(b)) Py_RETURN_NOTIMPLEMENTED;
    /* dict views answer NotImplemented when the other side is not iterable */
    PyObject *probe = PyObject_GetIter(is_setlike_view(a) ? b : a);
    if (probe == NULL) {
        PyErr_Clear();
        Py_RETURN_NOTIMPLEMENTED;
    }
    Py_DECREF(probe);
    PyObject *res = PySet_New(a);
    if (res == NULL) return NULL;
    PyObject *r = PyObject_CallMethod(res, method, "O", b);
    if (r == NULL) {
        Py_DECREF(res);
        return NULL;
    }
    Py_DECREF(r);
    return res;
}

static PyObject *DictView_and(PyObject *a, PyObject *b) {
    /* & is symmetric: start from the view so that the result holds its items */
    if (!is_setlike_view(a) && is_setlike_view(b)) return view_setop(b, a, "intersection_update");
    return view_setop(a, b, "intersection_update");
}
static PyObject *DictView_or(PyObject *a, PyObject *b) { return view_setop(a, b, "update"); }
static PyObject *DictView_sub(PyObject *a, PyObject *b) { return view_setop(a, b, "difference_update"); }
static PyObject *DictView_xor(PyObject *a, PyObject *b) {
    return view_setop(a, b, "symmetric_difference_update");
}

static PyObject *DictView_isdisjoint(DictViewObject *v, PyObject *other) {
    PyObject *it = PyObject_GetIter(other);
    if (it == NULL) return NULL;
    PyObject *item;
    while ((item = PyIter_Next(it)) != NULL) {
        int r = PySequence_Contains((PyObject *)v, item);
        Py_DECREF(item);
        if (r != 0) {
            Py_DECREF(it);
            if (r < 0) return NULL;
            Py_RETURN_FALSE;
        }
    }
    Py_DECREF(it);
    if (PyErr_Occurred()) return NULL;
    Py_RETURN_TRUE;
}

static PyObject *DictView_richcompare(PyObject *a, PyObject *b, int op) {
    /* like dict_keys: compares with sets and set-like views only */
    if (!PyAnySet_Check(b) && !is_setlike_view(b)) {
        int r = PyObject_IsInstance(b, abc_Set);
        if (r < 0) return NULL;
        if (r == 0) Py_RETURN_NOTIMPLEMENTED;
    }
    PyObject *sa = PySet_New(a);
    if (sa == NULL) return NULL;
    PyObject *sb = PyAnySet_Check(b) ? (Py_INCREF(b), b) : PySet_New(b);
    if (sb == NULL) {
        Py_DECREF(sa);
        return NULL;
    }
    PyObject *r = PyObject_RichCompare(sa, sb, op);
    Py_DECREF(sa);
    Py_DECREF(sb);
    return r;
}

static PyObject *DictView_repr(DictViewObject *v) {
    const char *name = Py_TYPE(v)->tp_name;
    const char *dot = strrchr(name, '.');
    name = dot ? dot + 1 : name;
    int rc = Py_ReprEnter((PyObject *)v);
    if (rc != 0) return rc > 0 ? PyUnicode_FromString("...") : NULL;
    PyObject *seq = PySequence_List((PyObject *)v);
    PyObject *res = seq ? PyUnicode_FromFormat("%s(%R)", name, seq) : NULL;
    Py_XDECREF(seq);
    Py_ReprLeave((PyObject *)v);
    return res;
}

static PyObject *DictView_mapping(DictViewObject *v, void *closure) {
    (void)closure;
    return PyDictProxy_New((PyObject *)v->dict);
}

static PyGetSetDef DictView_getset[] = {
    {"mapping", (getter)DictView_mapping, NULL, "The mapping this view refers to (read-only).", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyNumberMethods DictView_as_number = {
    .nb_subtract = DictView_sub,
    .nb_and = DictView_and,
    .nb_xor = DictView_xor,
    .nb_or = DictView_or,
};

static PyMethodDef DictSetView_methods[] = {
    {"isdisjoint", (PyCFunction)DictView_isdisjoint, METH_O,
     "Return True if the view and the given iterable have a null intersection."},
    {"__reversed__", (PyCFunction)DictView_reversed, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};
static PyMethodDef DictValues_methods[] = {
    {"__reversed__", (PyCFunction)DictView_reversed, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PySequenceMethods DictKeys_as_sequence = {
    .sq_length = (lenfunc)DictView_len,
    .sq_contains = (objobjproc)DictKeys_contains,
};
static PySequenceMethods DictItems_as_sequence = {
    .sq_length = (lenfunc)DictView_len,
    .sq_contains = (objobjproc)DictItems_contains,
};
static PySequenceMethods DictValues_as_sequence = {
    .sq_length = (lenfunc)DictView_len,
    .sq_contains = (objobjproc)DictValues_contains,
};

#define VIEW_TYPE(var, pyname, seq, num, methods, cmp)                         \
    static PyTypeObject var = {                                                \
        PyVarObject_HEAD_INIT(NULL, 0)                                         \
        .tp_name = pyname,                                                     \
        .tp_basicsize = sizeof(DictViewObject),                                \
        .tp_dealloc = (destructor)DictView_dealloc,                            \
        .tp_repr = (reprfunc)DictView_repr,                                    \
        .tp_as_number = num,                                                   \
        .tp_as_sequence = seq,                                                 \
        .tp_hash = PyObject_HashNotImplemented,                                \
        .tp_flags = Py_TPFLAGS_DEFAULT,                                        \
        .tp_richcompare = cmp,                                                 \
        .tp_iter = (getiterfunc)DictView_iter,                                 \
        .tp_methods = methods,                                                 \
        .tp_getset = DictView_getset,                                          \
    }

VIEW_TYPE(DictKeys_Type, "bale._bale.Dict_keys", &DictKeys_as_sequence, &DictView_as_number,
          DictSetView_methods, DictView_richcompare);
VIEW_TYPE(DictItems_Type, "bale._bale.Dict_items", &DictItems_as_sequence, &DictView_as_number,
          DictSetView_methods, DictView_richcompare);
VIEW_TYPE(DictValues_Type, "bale._bale.Dict_values", &DictValues_as_sequence, NULL,
          DictValues_methods, NULL);

/* ---- methods ----------------------------------------------------------------- */

static PyObject *Dict_keys(DictObject *self, PyObject *unused) {
    (void)unused;
    return view_new(self, &DictKeys_Type);
}
static PyObject *Dict_values(DictObject *self, PyObject *unused) {
    (void)unused;
    return view_new(self, &DictValues_Type);
}
static PyObject *Dict_items(DictObject *self, PyObject *unused) {
    (void)unused;
    return view_new(self, &DictItems_Type);
}
static PyObject *Dict_reversed(DictObject *self, PyObject *unused) {
    (void)unused;
    return iter_new(self, KIND_KEYS, 1);
}

static PyObject *Dict_get(DictObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs < 1 || nargs > 2) {
        PyErr_Format(PyExc_TypeError, "get expected 1 or 2 arguments, got %zd", nargs);
        return NULL;
    }
    bale_scalar v;
    int r = dict_lookup(self, args[0], &v);
    if (r < 0) return NULL;
    if (r == 0) {
        PyObject *dflt = nargs > 1 ? args[1] : Py_None;
        Py_INCREF(dflt);
        return dflt;
    }
    return value_to_py(&v);
}

static PyObject *Dict_pop(DictObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs < 1 || nargs > 2) {
        PyErr_Format(PyExc_TypeError, "pop expected 1 or 2 arguments, got %zd", nargs);
        return NULL;
    }
    PyObject *key = args[0];
    bale_scalar v;
    int r = dict_lookup(self, key, &v);
    if (r < 0) return NULL;
    if (r == 0) {
        if (nargs > 1) {
            Py_INCREF(args[1]);
            return args[1];
        }
        set_key_error(key);
        return NULL;
    }
    bale_dtype vt = v.dtype;
    PyObject *raw = value_to_py_raw(&v); /* copies; no Python code */
    if (raw == NULL) return NULL;
    r = dict_delkey(self, key);
    if (r <= 0) {
        Py_DECREF(raw);
        if (r == 0) set_key_error(key);
        return NULL;
    }
    return value_finish(vt, raw);
}

static PyObject *Dict_popitem(DictObject *self, PyObject *unused) {
    (void)unused;
    if (dict_len(self) == 0) {
        PyErr_SetString(PyExc_KeyError, "popitem(): dictionary is empty");
        return NULL;
    }
    bale_scalar k, v;
    bale_err err = bale_dict_popitem(self->d, &k, &v);
    if (err != BALE_OK) return bale_ext_error(err);
    self->version++;
    PyObject *ko = key_to_py(&k);
    PyObject *vo = ko ? value_to_py_raw(&v) : NULL;
    if (vo == NULL) {
        Py_XDECREF(ko);
        return NULL;
    }
    vo = value_finish(v.dtype, vo);
    if (vo == NULL) {
        Py_DECREF(ko);
        return NULL;
    }
    PyObject *t = PyTuple_Pack(2, ko, vo);
    Py_DECREF(ko);
    Py_DECREF(vo);
    return t;
}

static PyObject *Dict_setdefault(DictObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs < 1 || nargs > 2) {
        PyErr_Format(PyExc_TypeError, "setdefault expected 1 or 2 arguments, got %zd", nargs);
        return NULL;
    }
    PyObject *dflt = nargs > 1 ? args[1] : Py_None;
    bale_scalar v;
    int r = dict_lookup(self, args[0], &v);
    if (r < 0) return NULL;
    if (r > 0) return value_to_py(&v);
    if (dict_setitem(self, args[0], dflt) < 0) return NULL;
    Py_INCREF(dflt);
    return dflt;
}

static PyObject *Dict_update(DictObject *self, PyObject *args, PyObject *kwds) {
    PyObject *src = NULL;
    if (!PyArg_UnpackTuple(args, "update", 0, 1, &src)) return NULL;
    if (src != NULL && dict_update_from(self, src) < 0) return NULL;
    if (dict_update_kwargs(self, kwds) < 0) return NULL;
    Py_RETURN_NONE;
}

static PyObject *Dict_clear(DictObject *self, PyObject *unused) {
    (void)unused;
    if (self->d != NULL) {
        bale_err err = bale_dict_clear(self->d);
        if (err != BALE_OK) return bale_ext_error(err);
        self->version++;
    }
    Py_RETURN_NONE;
}

/* New reference: a bale.Dict sharing self's data (O(1), copy-on-write). */
static PyObject *dict_copy_as(DictObject *self, PyTypeObject *type) {
    DictObject *c = (DictObject *)Dict_new(type, NULL, NULL);
    if (c == NULL) return NULL;
    c->kt = self->kt;
    c->vt = self->vt;
    c->kt_fixed = self->kt_fixed;
    c->vt_fixed = self->vt_fixed;
    c->opts = self->opts;
    if (self->d != NULL) {
        bale_err err = bale_dict_copy(self->d, &c->d);
        if (err != BALE_OK) {
            Py_DECREF(c);
            return bale_ext_error(err);
        }
    }
    return (PyObject *)c;
}

static PyObject *Dict_copy(DictObject *self, PyObject *unused) {
    (void)unused;
    return dict_copy_as(self, &Dict_Type);
}

static PyObject *Dict_fromkeys(PyObject *cls, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs < 1 || nargs > 2) {
        PyErr_Format(PyExc_TypeError, "fromkeys expected 1 or 2 arguments, got %zd", nargs);
        return NULL;
    }
    PyObject *value = nargs > 1 ? args[1] : Py_None;
    PyObject *d = PyObject_CallNoArgs(cls);
    if (d == NULL) return NULL;
    PyObject *it = PyObject_GetIter(args[0]);
    if (it == NULL) {
        Py_DECREF(d);
        return NULL;
    }
    int exact = Py_TYPE(d) == &Dict_Type;
    PyObject *k;
    while ((k = PyIter_Next(it)) != NULL) {
        int r = exact ? dict_setitem((DictObject *)d, k, value) : PyObject_SetItem(d, k, value);
        Py_DECREF(k);
        if (r < 0) break;
    }
    Py_DECREF(it);
    if (PyErr_Occurred()) {
        Py_DECREF(d);
        return NULL;
    }
    return d;
}

static PyObject *Dict_sizeof(DictObject *self, PyObject *unused) {
    (void)unused;
    uint64_t n = (uint64_t)Py_TYPE(self)->tp_basicsize + (self->d ? bale_dict_nbytes(self->d) : 0);
    return PyLong_FromUnsignedLongLong(n);
}

static PyObject *Dict_reduce(DictObject *self, PyObject *unused) {
    (void)unused;
    PyObject *data;
    if (self->d != NULL) {
        size_t need = 0;
        bale_err err = bale_dict_serialize(self->d, NULL, 0, &need);
        if (err != BALE_OK) return bale_ext_error(err);
        data = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)need);
        if (data == NULL) return NULL;
        size_t got;
        err = bale_dict_serialize(self->d, PyBytes_AS_STRING(data), need, &got);
        if (err != BALE_OK || got != need) {
            Py_DECREF(data);
            return bale_ext_error(err != BALE_OK ? err : BALE_INVALID);
        }
    } else {
        data = Py_None;
        Py_INCREF(data);
    }
    PyObject *kt = dtype_name_obj(self->kt_fixed ? self->kt : 0);
    PyObject *vt = dtype_name_obj(self->vt_fixed ? self->vt : 0);
    PyObject *kti = dtype_name_obj(self->kt);
    PyObject *vti = dtype_name_obj(self->vt);
    PyObject *res = NULL;
    if (kt && vt && kti && vti)
        res = Py_BuildValue("O()(iOOOOO)", (PyObject *)Py_TYPE(self), 1, kt, vt, kti, vti, data);
    Py_XDECREF(kt);
    Py_XDECREF(vt);
    Py_XDECREF(kti);
    Py_XDECREF(vti);
    Py_DECREF(data);
    return res;
}

static PyObject *corrupt(const char *what) {
    PyErr_Format(bale_CorruptDataError, "bale.Dict pickle: %s", what);
    return NULL;
}

static PyObject *Dict_setstate(DictObject *self, PyObject *state) {
    int version;
    PyObject *kt, *vt, *kti, *vti, *data;
    if (!PyTuple_Check(state) || !PyArg_ParseTuple(state, "iOOOOO", &version, &kt, &vt, &kti, &vti, &data)) {
        PyErr_Clear();
        return corrupt("bad state");
    }
    if (version != 1) return corrupt("unknown version");
    bale_dtype k = 0, v = 0, ki = 0, vi = 0;
    if (parse_dtype(kt, &k, 1) < 0 || parse_dtype(vt, &v, 0) < 0 || parse_dtype(kti, &ki, 1) < 0 ||
        parse_dtype(vti, &vi, 0) < 0) {
        PyErr_Clear();
        return corrupt("bad types");
    }
    if ((k && k != ki) || (v && v != vi)) return corrupt("inconsistent types");
    bale_dict *nd = NULL;
    if (data != Py_None) {
        if (!PyBytes_Check(data)) return corrupt("data is not bytes");
        bale_err err = bale_dict_deserialize(PyBytes_AS_STRING(data), (size_t)PyBytes_GET_SIZE(data), &nd);
        if (err == BALE_NOMEM) return PyErr_NoMemory();
        if (err != BALE_OK) return corrupt(bale_strerror(err));
        if (bale_dict_key_dtype(nd) != ki || bale_dict_value_dtype(nd) != vi) {
            bale_dict_free(nd);
            return corrupt("types do not match the data");
        }
    }
    bale_dict *old = self->d;
    self->d = nd;
    self->kt = ki;
    self->vt = vi;
    self->kt_fixed = k != 0;
    self->vt_fixed = v != 0;
    self->version++;
    bale_dict_free(old);
    Py_RETURN_NONE;
}

static PyObject *Dict_get_nbytes(DictObject *self, void *c) {
    (void)c;
    return PyLong_FromUnsignedLongLong(self->d ? bale_dict_nbytes(self->d) : 0);
}
static PyObject *Dict_get_raw_nbytes(DictObject *self, void *c) {
    (void)c;
    return PyLong_FromUnsignedLongLong(self->d ? bale_dict_raw_nbytes(self->d) : 0);
}
static PyObject *Dict_get_key_type(DictObject *self, void *c) {
    (void)c;
    return dtype_name_obj(self->kt);
}
static PyObject *Dict_get_value_type(DictObject *self, void *c) {
    (void)c;
    return dtype_name_obj(self->vt);
}

/* ---- comparison, |, repr ----------------------------------------------------- */

/* 1 equal, 0 not, -1 error.  self is a bale.Dict; other a dict or bale.Dict. */
static int dict_equal(DictObject *self, PyObject *other) {
    Py_ssize_t olen = PyObject_Length(other);
    if (olen < 0) return -1;
    if ((uint64_t)olen != dict_len(self)) return 0;
    if (self->d == NULL) return 1;
    uint64_t pos = 0, version = self->version, len = dict_len(self);
    while (self->d != NULL && bale_dict_next(self->d, pos, &pos) == BALE_OK) {
        bale_scalar k, v;
        bale_err err = bale_dict_entry(self->d, pos, &k, &v);
        if (err != BALE_OK) {
            bale_ext_error(err);
            return -1;
        }
        PyObject *ko = key_to_py(&k);
        if (ko == NULL) return -1;
        PyObject *vraw = value_to_py_raw(&v);
        PyObject *vo = value_finish(v.dtype, vraw);
        if (vo == NULL) {
            Py_DECREF(ko);
            return -1;
        }
        PyObject *ov;
        if (PyDict_Check(other)) {
            ov = PyDict_GetItemWithError(other, ko);
            Py_XINCREF(ov);
        } else {
            ov = PyObject_GetItem(other, ko);
            if (ov == NULL && PyErr_ExceptionMatches(PyExc_KeyError)) PyErr_Clear();
        }
        Py_DECREF(ko);
        if (ov == NULL) {
            Py_DECREF(vo);
            return PyErr_Occurred() ? -1 : 0;
        }
        int r = PyObject_RichCompareBool(vo, ov, Py_EQ);
        Py_DECREF(vo);
        Py_DECREF(ov);
        if (r <= 0) return r;
        if (self->version != version || dict_len(self) != len) {
            PyErr_SetString(PyExc_RuntimeError, "dictionary changed during comparison");
            return -1;
        }
        pos++;
    }
    return 1;
}

static PyObject *Dict_richcompare(PyObject *a, PyObject *b, int op) {
    if ((op != Py_EQ && op != Py_NE) || !Dict_check_any(b)) Py_RETURN_NOTIMPLEMENTED;
    int r = dict_equal((DictObject *)a, b);
    if (r < 0) return NULL;
    if (op == Py_NE) r = !r;
    return PyBool_FromLong(r);
}

static PyObject *Dict_or(PyObject *a, PyObject *b) {
    if (!Dict_check_any(a) || !Dict_check_any(b)) Py_RETURN_NOTIMPLEMENTED;
    PyObject *res;
    if (Dict_Check(a)) {
        res = dict_copy_as((DictObject *)a, &Dict_Type);
    } else {
        res = Dict_new(&Dict_Type, NULL, NULL);
        if (res != NULL) {
            DictObject *bd = (DictObject *)b;
            DictObject *r = (DictObject *)res;
            /* The result holds b's keys, so it takes b's key type even when
             * b inferred it: `{10.0: x} | Dict({1: y})` then stores 10 as an
             * int key, as b[10.0] = x would, instead of failing to infer a
             * key type from a float. */
            r->kt = bd->kt;
            r->vt = bd->vt_fixed ? bd->vt : 0;
            r->kt_fixed = bd->kt_fixed;
            r->vt_fixed = bd->vt_fixed;
            r->opts = bd->opts;
            if (dict_update_from(r, a) < 0) {
                Py_DECREF(res);
                return NULL;
            }
        }
    }
    if (res == NULL) return NULL;
    if (dict_update_from((DictObject *)res, b) < 0) {
        Py_DECREF(res);
        return NULL;
    }
    return res;
}

static PyObject *Dict_ior(PyObject *a, PyObject *b) {
    if (dict_update_from((DictObject *)a, b) < 0) return NULL;
    Py_INCREF(a);
    return a;
}

#define REPR_ITEMS 8

static PyObject *Dict_repr(DictObject *self) {
    const char *name = Py_TYPE(self) == &Dict_Type ? "bale.Dict" : Py_TYPE(self)->tp_name;
    uint64_t n = dict_len(self);
    int rc = Py_ReprEnter((PyObject *)self);
    if (rc != 0) return rc > 0 ? PyUnicode_FromFormat("%s({...})", name) : NULL;
    PyObject *parts = PyList_New(0);
    PyObject *res = NULL;
    if (parts == NULL) goto done;
    uint64_t pos = 0, shown = 0;
    while (self->d != NULL && shown < REPR_ITEMS && bale_dict_next(self->d, pos, &pos) == BALE_OK) {
        PyObject *item = entry_to_py(self, pos, KIND_ITEMS);
        if (item == NULL) goto done;
        PyObject *s = PyUnicode_FromFormat("%R: %R", PyTuple_GET_ITEM(item, 0), PyTuple_GET_ITEM(item, 1));
        Py_DECREF(item);
        if (s == NULL || PyList_Append(parts, s) < 0) {
            Py_XDECREF(s);
            goto done;
        }
        Py_DECREF(s);
        shown++;
        pos++;
        if (self->d == NULL) break;
    }
    if (n > shown) {
        PyObject *s = PyUnicode_FromString("...");
        if (s == NULL || PyList_Append(parts, s) < 0) {
            Py_XDECREF(s);
            goto done;
        }
        Py_DECREF(s);
    }
    PyObject *sep = PyUnicode_FromString(", ");
    if (sep == NULL) goto done;
    PyObject *body = PyUnicode_Join(sep, parts);
    Py_DECREF(sep);
    if (body == NULL) goto done;
    {
        /* Types not yet known (empty and untyped) show as "?". */
        const char *kt = bale_dtype_name(self->kt), *vt = bale_dtype_name(self->vt);
        uint64_t nb = self->d ? bale_dict_nbytes(self->d) : 0;
        uint64_t raw = self->d ? bale_dict_raw_nbytes(self->d) : 0;
        char ratio[32];
        snprintf(ratio, sizeof ratio, "%.2f", nb ? (double)raw / (double)nb : 0.0);
        res = PyUnicode_FromFormat("%s({%U}, len=%llu, types=%s->%s, ratio=%s)", name, body,
                                   (unsigned long long)n, kt ? kt : "?", vt ? vt : "?", ratio);
    }
    Py_DECREF(body);
done:
    Py_XDECREF(parts);
    Py_ReprLeave((PyObject *)self);
    return res;
}

static PyMethodDef Dict_methods[] = {
    {"keys", (PyCFunction)Dict_keys, METH_NOARGS, "D.keys() -> a live set-like view of D's keys"},
    {"values", (PyCFunction)Dict_values, METH_NOARGS, "D.values() -> a live view of D's values"},
    {"items", (PyCFunction)Dict_items, METH_NOARGS, "D.items() -> a live set-like view of D's items"},
    {"get", (PyCFunction)(void (*)(void))Dict_get, METH_FASTCALL,
     "D.get(k[, d]) -> D[k] if k in D, else d (default None)"},
    {"pop", (PyCFunction)(void (*)(void))Dict_pop, METH_FASTCALL,
     "D.pop(k[, d]) -> remove k and return its value, else d, else KeyError"},
    {"popitem", (PyCFunction)Dict_popitem, METH_NOARGS,
     "D.popitem() -> remove and return the last inserted (key, value) pair (LIFO)"},
    {"setdefault", (PyCFunction)(void (*)(void))Dict_setdefault, METH_FASTCALL,
     "D.setdefault(k[, d]) -> D.get(k, d), also set D[k] = d if k not in D"},
    {"update", (PyCFunction)(void (*)(void))Dict_update, METH_VARARGS | METH_KEYWORDS,
     "D.update([E, ]**F): from a mapping, an iterable of pairs, and keywords"},
    {"clear", (PyCFunction)Dict_clear, METH_NOARGS, "D.clear(): remove all items"},
    {"copy", (PyCFunction)Dict_copy, METH_NOARGS, "D.copy() -> a copy in O(1) (copy-on-write)"},
    {"fromkeys", (PyCFunction)(void (*)(void))Dict_fromkeys, METH_FASTCALL | METH_CLASS,
     "Dict.fromkeys(iterable, value=None) -> a new Dict"},
    {"__reversed__", (PyCFunction)Dict_reversed, METH_NOARGS, "Keys in reverse insertion order."},
    {"__sizeof__", (PyCFunction)Dict_sizeof, METH_NOARGS, "Bytes owned, compressed data included."},
    {"__reduce__", (PyCFunction)Dict_reduce, METH_NOARGS, NULL},
    {"__setstate__", (PyCFunction)Dict_setstate, METH_O, NULL},
    {"__class_getitem__", (PyCFunction)Py_GenericAlias, METH_O | METH_CLASS,
     "See PEP 585"},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef Dict_getset[] = {
    {"nbytes", (getter)Dict_get_nbytes, NULL, "Bytes held: compressed blocks, index, tail.", NULL},
    {"raw_nbytes", (getter)Dict_get_raw_nbytes, NULL, "Bytes the keys and values take decoded.", NULL},
    {"key_type", (getter)Dict_get_key_type, NULL, "'int', 'str', 'bytes' or None (not yet known).", NULL},
    {"value_type", (getter)Dict_get_value_type, NULL, "The values' dtype name or None.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMappingMethods Dict_as_mapping = {
    .mp_length = (lenfunc)Dict_len,
    .mp_subscript = (binaryfunc)Dict_subscript,
    .mp_ass_subscript = (objobjargproc)Dict_ass_subscript,
};
static PySequenceMethods Dict_as_sequence = {
    .sq_contains = (objobjproc)Dict_contains,
};
static PyNumberMethods Dict_as_number = {
    .nb_or = Dict_or,
    .nb_inplace_or = Dict_ior,
};

PyDoc_STRVAR(Dict_doc,
             "Dict(mapping_or_iterable=(), /, *, key_type=None, value_type=None, codec='auto', **kwargs)\n"
             "\n"
             "A mutable mapping kept in compressed blocks, with dict's API and\n"
             "insertion order.  Keys are str, bytes or int (1, 1.0 and True are one\n"
             "key); values int, float, bool, str, bytes or any picklable object.\n"
             "Types are inferred from the first item when not given; mixed values\n"
             "widen the value type to object.");

static PyTypeObject Dict_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "bale.Dict",
    .tp_basicsize = sizeof(DictObject),
    .tp_dealloc = (destructor)Dict_dealloc,
    .tp_repr = (reprfunc)Dict_repr,
    .tp_as_number = &Dict_as_number,
    .tp_as_sequence = &Dict_as_sequence,
    .tp_as_mapping = &Dict_as_mapping,
    .tp_hash = PyObject_HashNotImplemented,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = Dict_doc,
    .tp_richcompare = Dict_richcompare,
    .tp_weaklistoffset = offsetof(DictObject, weakreflist),
    .tp_iter = (getiterfunc)Dict_iter,
    .tp_methods = Dict_methods,
    .tp_getset = Dict_getset,
    .tp_init = (initproc)Dict_init,
    .tp_new = Dict_new,
};

int bale_ext_dict_init(PyObject *module) {
    PyObject *pickle = PyImport_ImportModule("pickle");
    if (pickle == NULL) return -1;
    pickle_dumps = PyObject_GetAttrString(pickle, "dumps");
    pickle_loads = PyObject_GetAttrString(pickle, "loads");
    pickle_protocol = PyObject_GetAttrString(pickle, "HIGHEST_PROTOCOL");
    Py_DECREF(pickle);
    if (pickle_dumps == NULL || pickle_loads == NULL || pickle_protocol == NULL) return -1;
    PyTypeObject *types[] = {&Dict_Type, &DictIter_Type, &DictKeys_Type, &DictValues_Type, &DictItems_Type};
    for (size_t i = 0; i < sizeof types / sizeof *types; i++)
        if (PyType_Ready(types[i]) < 0) return -1;
    Py_INCREF(&Dict_Type);
    if (PyModule_AddObject(module, "Dict", (PyObject *)&Dict_Type) < 0) {
        Py_DECREF(&Dict_Type);
        return -1;
    }
    /* Register the views with collections.abc, as dict's are. */
    PyObject *abc = PyImport_ImportModule("collections.abc");
    if (abc == NULL) return -1;
    abc_Set = PyObject_GetAttrString(abc, "Set");
    if (abc_Set == NULL) {
        Py_DECREF(abc);
        return -1;
    }
    static const char *names[3] = {"KeysView", "ValuesView", "ItemsView"};
    PyTypeObject *vt[3] = {&DictKeys_Type, &DictValues_Type, &DictItems_Type};
    for (int i = 0; i < 3; i++) {
        PyObject *cls = PyObject_GetAttrString(abc, names[i]);
        PyObject *r = cls ? PyObject_CallMethod(cls, "register", "O", (PyObject *)vt[i]) : NULL;
        Py_XDECREF(cls);
        if (r == NULL) {
            Py_DECREF(abc);
            return -1;
        }
        Py_DECREF(r);
    }
    Py_DECREF(abc);
    return 0;
}
