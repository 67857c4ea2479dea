/*
 * convert.c - Python values to and from the core's typed values.  Rules in
 * convert.h.  Strings are stored as UTF-8 with surrogatepass, so every str
 * (lone surrogates included) comes back equal.  Object values are pickles
 * (protocol 5); pickle.dumps/loads are looked up once, at first use.
 */
#include "convert.h"

#include <string.h>

static PyObject *pickle_dumps = NULL; /* strong, process lifetime */
static PyObject *pickle_loads = NULL;
static PyObject *pickle_proto = NULL;

static int pickle_ready(void) {
    if (pickle_dumps != NULL) return 0;
    PyObject *mod = PyImport_ImportModule("pickle");
    if (mod == NULL) return -1;
    PyObject *dumps = PyObject_GetAttrString(mod, "dumps");
    PyObject *loads = PyObject_GetAttrString(mod, "loads");
    Py_DECREF(mod);
    if (dumps == NULL || loads == NULL) {
        Py_XDECREF(dumps);
        Py_XDECREF(loads);
        return -1;
    }
    PyObject *proto = PyLong_FromLong(5);
    if (proto == NULL) {
        Py_DECREF(dumps);
        Py_DECREF(loads);
        return -1;
    }
    pickle_dumps = dumps;
    pickle_loads = loads;
    pickle_proto = proto;
    return 0;
}

static const char *const dtype_names[] = {NULL, "int", "float", "bool", "str", "bytes", "object"};

int bale_conv_parse_dtype(PyObject *obj, bale_dtype *out) {
    if (obj == NULL || obj == Py_None) {
        *out = (bale_dtype)0;
        return 0;
    }
    if (PyType_Check(obj)) {
        PyTypeObject *t = (PyTypeObject *)obj;
        bale_dtype d = t == &PyLong_Type      ? BALE_DTYPE_INT
                       : t == &PyFloat_Type   ? BALE_DTYPE_FLOAT
                       : t == &PyBool_Type    ? BALE_DTYPE_BOOL
                       : t == &PyUnicode_Type ? BALE_DTYPE_STR
                       : t == &PyBytes_Type   ? BALE_DTYPE_BYTES
                       : t == &PyBaseObject_Type ? BALE_DTYPE_OBJECT
                                                 : (bale_dtype)0;
        if (d) {
            *out = d;
            return 0;
        }
    } else if (PyUnicode_Check(obj)) {
        const char *s = PyUnicode_AsUTF8(obj);
        if (s == NULL) return -1;
        for (int d = 1; d <= 6; d++)
            if (strcmp(s, dtype_names[d]) == 0) {
                *out = (bale_dtype)d;
                return 0;
            }
    }
    PyErr_Format(PyExc_ValueError,
                 "dtype must be None or one of 'int', 'float', 'bool', 'str', 'bytes', "
                 "'object'; got %R",
                 obj);
    return -1;
}

PyObject *bale_conv_dtype_name(bale_dtype dtype) {
    if (dtype < 1 || dtype > 6) Py_RETURN_NONE;
    return PyUnicode_FromString(dtype_names[dtype]);
}

bale_dtype bale_conv_infer(PyObject *v) {
    if (PyBool_Check(v)) return BALE_DTYPE_BOOL;
    if (PyLong_CheckExact(v)) {
        int overflow;
        (void)PyLong_AsLongLongAndOverflow(v, &overflow);
        return overflow ? BALE_DTYPE_OBJECT : BALE_DTYPE_INT;
    }
    if (PyFloat_CheckExact(v)) return BALE_DTYPE_FLOAT;
    if (PyUnicode_CheckExact(v)) return BALE_DTYPE_STR;
    if (PyBytes_CheckExact(v)) return BALE_DTYPE_BYTES;
    return BALE_DTYPE_OBJECT;
}

bale_dtype bale_conv_widen(bale_dtype a, bale_dtype b) {
    if (a == b) return a;
    if (a == 0) return b;
    if (b == 0) return a;
    return BALE_DTYPE_OBJECT;
}

int bale_conv_type_error(const char *container, bale_dtype dtype, PyObject *v) {
    PyErr_Format(PyExc_TypeError, "%s of dtype '%s' cannot hold a value of type '%s'", container,
                 dtype >= 1 && dtype <= 6 ? dtype_names[dtype] : "?", Py_TYPE(v)->tp_name);
    return -1;
}

/* ---- buffer ------------------------------------------------------------- */

void bale_conv_buf_init(bale_conv_buf *b, bale_dtype dtype) {
    memset(b, 0, sizeof *b);
    b->dtype = dtype;
}

void bale_conv_buf_reset(bale_conv_buf *b, bale_dtype dtype) {
    b->dtype = dtype;
    b->count = 0;
    b->data_size = 0;
    if (b->offsets) b->offsets[0] = 0;
}

void bale_conv_buf_free(bale_conv_buf *b) {
    PyMem_Free(b->data);
    PyMem_Free(b->offsets);
    memset(b, 0, sizeof *b);
}

uint64_t bale_conv_buf_raw(const bale_conv_buf *b) {
    size_t w = bale_dtype_width(b->dtype);
    return w ? b->count * w : b->data_size + 8 * b->count;
}

bale_values bale_conv_buf_values(const bale_conv_buf *b) {
    static uint64_t zero = 0;
    bale_values v;
    v.dtype = b->dtype;
    v.count = b->count;
    v.data = b->data;
    v.data_size = b->data_size;
    v.offsets = bale_dtype_width(b->dtype) ? NULL : (b->offsets ? b->offsets : &zero);
    return v;
}

bale_values bale_conv_buf_one(const bale_conv_buf *b, uint64_t i, uint64_t *off_storage) {
    bale_values v;
    v.dtype = b->dtype;
    v.count = 1;
    size_t w = bale_dtype_width(b->dtype);
    if (w) {
        v.data = b->data + i * w;
        v.data_size = w;
        v.offsets = NULL;
    } else {
        v.data = b->data + b->offsets[i];
        v.data_size = b->offsets[i + 1] - b->offsets[i];
        off_storage[0] = 0;
        off_storage[1] = v.data_size;
        v.offsets = off_storage;
    }
    return v;
}

static int reserve(bale_conv_buf *b, size_t bytes) {
    if (b->data_size + bytes > b->data_cap) {
        size_t cap = b->data_cap < 256 ? 256 : b->data_cap;
        while (cap < b->data_size + bytes) cap *= 2;
        char *p = PyMem_Realloc(b->data, cap);
        if (p == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        b->data = p;
        b->data_cap = cap;
    }
    if (!bale_dtype_width(b->dtype) && b->count + 2 > b->off_cap) {
        size_t cap = b->off_cap < 64 ? 64 : b->off_cap * 2;
        uint64_t *p = PyMem_Realloc(b->offsets, cap * sizeof(uint64_t));
        if (p == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        if (b->offsets == NULL) p[0] = 0;
        b->offsets = p;
        b->off_cap = cap;
    }
    return 0;
}

static int push_fixed(bale_conv_buf *b, const void *p, size_t w) {
    if (reserve(b, w) < 0) return -1;
    memcpy(b->data + b->data_size, p, w);
    b->data_size += w;
    b->count++;
    return 0;
}

static int push_var(bale_conv_buf *b, const char *p, size_t n) {
    if (reserve(b, n) < 0) return -1;
    if (n) memcpy(b->data + b->data_size, p, n);
    b->data_size += n;
    b->count++;
    b->offsets[b->count] = b->data_size;
    return 0;
}

static int push_str(bale_conv_buf *b, PyObject *v) {
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(v, &n);
    if (s != NULL) return push_var(b, s, (size_t)n);
    if (!PyErr_ExceptionMatches(PyExc_UnicodeEncodeError)) return -1;
    PyErr_Clear();
    PyObject *enc = PyUnicode_AsEncodedString(v, "utf-8", "surrogatepass");
    if (enc == NULL) return -1;
    int r = push_var(b, PyBytes_AS_STRING(enc), (size_t)PyBytes_GET_SIZE(enc));
    Py_DECREF(enc);
    return r;
}

int bale_conv_buf_push(bale_conv_buf *b, PyObject *v, int strict) {
    switch (b->dtype) {
    case BALE_DTYPE_INT: {
        long long x;
        if (PyLong_CheckExact(v)) {
            int overflow;
            x = PyLong_AsLongLongAndOverflow(v, &overflow);
            if (overflow) {
                if (!strict) return 1;
                PyErr_SetString(PyExc_OverflowError, "int too large for dtype 'int' (64-bit)");
                return -1;
            }
            if (x == -1 && PyErr_Occurred()) return -1;
        } else {
            if (!strict) return 1;
            if (PyBool_Check(v) || PyFloat_Check(v) || !PyIndex_Check(v))
                return bale_conv_type_error("bale.List", b->dtype, v);
            PyObject *i = PyNumber_Index(v);
            if (i == NULL) return -1;
            int overflow;
            x = PyLong_AsLongLongAndOverflow(i, &overflow);
            Py_DECREF(i);
            if (overflow) {
                PyErr_SetString(PyExc_OverflowError, "int too large for dtype 'int' (64-bit)");
                return -1;
            }
            if (x == -1 && PyErr_Occurred()) return -1;
        }
        int64_t y = (int64_t)x;
        return push_fixed(b, &y, 8);
    }
    case BALE_DTYPE_FLOAT: {
        double d;
        if (PyFloat_CheckExact(v)) {
            d = PyFloat_AS_DOUBLE(v);
        } else {
            if (!strict) return 1;
            if (PyFloat_Check(v)) {
                d = PyFloat_AS_DOUBLE(v);
            } else if (PyLong_Check(v) && !PyBool_Check(v)) {
                d = PyLong_AsDouble(v);
                if (d == -1.0 && PyErr_Occurred()) return -1;
            } else {
                return bale_conv_type_error("bale.List", b->dtype, v);
            }
        }
        return push_fixed(b, &d, 8);
    }
    case BALE_DTYPE_BOOL: {
        if (!PyBool_Check(v)) {
            if (!strict) return 1;
            return bale_conv_type_error("bale.List", b->dtype, v);
        }
        uint8_t x = v == Py_True;
        return push_fixed(b, &x, 1);
    }
    case BALE_DTYPE_STR:
        if (!PyUnicode_CheckExact(v)) {
            if (!strict) return 1;
            if (!PyUnicode_Check(v)) return bale_conv_type_error("bale.List", b->dtype, v);
        }
        return push_str(b, v);
    case BALE_DTYPE_BYTES:
        if (!PyBytes_CheckExact(v)) {
            if (!strict) return 1;
            if (!PyBytes_Check(v)) return bale_conv_type_error("bale.List", b->dtype, v);
        }
        return push_var(b, PyBytes_AS_STRING(v), (size_t)PyBytes_GET_SIZE(v));
    case BALE_DTYPE_OBJECT: {
        if (pickle_ready() < 0) return -1;
        PyObject *p = PyObject_CallFunctionObjArgs(pickle_dumps, v, pickle_proto, NULL);
        if (p == NULL) return -1;
        if (!PyBytes_Check(p)) {
            Py_DECREF(p);
            PyErr_SetString(PyExc_TypeError, "pickle.dumps did not return bytes");
            return -1;
        }
        int r = push_var(b, PyBytes_AS_STRING(p), (size_t)PyBytes_GET_SIZE(p));
        Py_DECREF(p);
        return r;
    }
    }
    PyErr_SetString(PyExc_SystemError, "bale: unknown dtype");
    return -1;
}

int bale_conv_buf_push_raw(bale_conv_buf *b, const bale_values *v, uint64_t i) {
    size_t w = bale_dtype_width(v->dtype);
    if (w) return push_fixed(b, (const char *)v->data + i * w, w);
    return push_var(b, (const char *)v->data + v->offsets[i], (size_t)(v->offsets[i + 1] - v->offsets[i]));
}

PyObject *bale_conv_to_py(const bale_values *v, uint64_t i) {
    switch (v->dtype) {
    case BALE_DTYPE_INT: return PyLong_FromLongLong(((const int64_t *)v->data)[i]);
    case BALE_DTYPE_FLOAT: return PyFloat_FromDouble(((const double *)v->data)[i]);
    case BALE_DTYPE_BOOL: return PyBool_FromLong(((const uint8_t *)v->data)[i]);
    default: break;
    }
    const char *p = (const char *)v->data + v->offsets[i];
    Py_ssize_t n = (Py_ssize_t)(v->offsets[i + 1] - v->offsets[i]);
    switch (v->dtype) {
    case BALE_DTYPE_STR: return PyUnicode_DecodeUTF8(p, n, "surrogatepass");
    case BALE_DTYPE_BYTES: return PyBytes_FromStringAndSize(p, n);
    case BALE_DTYPE_OBJECT: {
        /* a copy first: unpickling (and the first import of pickle) runs
         * arbitrary code, which may change the container whose memory `p`
         * points into */
        PyObject *bytes = PyBytes_FromStringAndSize(p, n);
        if (bytes == NULL) return NULL;
        if (pickle_ready() < 0) {
            Py_DECREF(bytes);
            return NULL;
        }
        PyObject *r = PyObject_CallOneArg(pickle_loads, bytes);
        Py_DECREF(bytes);
        return r;
    }
    default: break;
    }
    PyErr_SetString(PyExc_SystemError, "bale: unknown dtype");
    return NULL;
}
