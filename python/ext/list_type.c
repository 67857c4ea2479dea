/*
 * list_type.c - bale.List: the Python type over bale_list (include/bale_list.h).
 *
 * The object holds one core list and no Python objects (object dtype keeps
 * pickles), so it needs no GC support; iterators hold a strong reference to
 * their list and are GC-tracked (a subclass instance may reference them).
 *
 * dtype: explicit (fixed, values converted strictly, TypeError otherwise) or
 * inferred (dtype=None: "undetermined" while empty, then the first value's
 * type; widened to object, by rebuilding, when a value of another type comes).
 * An inferred list that becomes empty chooses again from its next value.
 *
 * Reentrancy: converting a value (pickling, __index__, iteration) can run
 * arbitrary Python code that changes the list.  Every core call checks its
 * indices and dtype, so such changes give an exception, never a crash, and
 * core calls never run Python code.  Whenever `self->list` is replaced,
 * `self->gen` is bumped so iterators refetch.
 *
 * References: functions returning PyObject * return a new reference unless
 * noted; none steal arguments.
 */
#include "convert.h"

#include "bale_list.h"

#include <math.h>
#include <stdlib.h>

#define LIST_NAME "bale.List"
/* Elements shown at each end by repr when the list is long. */
#define REPR_EDGE 3
#define REPR_FULL_MAX 10
/* Extended-slice deletions up to this many are done one by one. */
#define DEL_ONE_BY_ONE_MAX 64

typedef struct {
    PyObject_HEAD
    bale_list *list;     /* owned; never NULL after tp_new */
    int inferred;        /* dtype=None: chosen from values, may widen */
    int undetermined;    /* inferred and no dtype yet (dtype is None) */
    uint64_t gen;        /* bumped when `list` is replaced */
    bale_codec_opts opts;
    PyObject *codec;     /* strong: the codec argument as given */
    PyObject *weakreflist;
} ListObject;

static PyTypeObject List_Type;
static PyTypeObject ListIter_Type;
#define List_Check(o) PyObject_TypeCheck((o), &List_Type)

/* ---- small helpers ------------------------------------------------------- */

static Py_ssize_t L_len(ListObject *s) { return (Py_ssize_t)bale_list_len(s->list); }

static bale_dtype L_dtype(ListObject *s) {
    return s->undetermined ? (bale_dtype)0 : bale_list_dtype(s->list);
}

/* Installs `nl` as the list's core list (takes it), freeing the old one. */
static void L_install(ListObject *s, bale_list *nl) {
    bale_list *old = s->list;
    s->list = nl;
    s->gen++;
    bale_list_free(old);
}

static int L_set_dtype(ListObject *s, bale_dtype d) {
    if (d == 0) return 0;
    if (bale_list_len(s->list) != 0 && bale_list_dtype(s->list) != d) {
        PyErr_SetString(PyExc_SystemError, "bale: dtype change of a non-empty list");
        return -1;
    }
    if (bale_list_dtype(s->list) != d) {
        bale_err e = bale_list_set_dtype(s->list, d);
        if (e != BALE_OK) {
            bale_ext_error(e);
            return -1;
        }
        s->gen++;
    }
    s->undetermined = 0;
    return 0;
}

static int L_extend(ListObject *s, PyObject *iterable);

/* Appends the buffer's values to the list and empties it.  If code run
 * meanwhile changed the list's dtype (a reentrant append that widened it),
 * the values go through Python objects and the list's own conversion. */
static int flush(ListObject *s, bale_conv_buf *b) {
    if (b->count == 0) return 0;
    bale_values v = bale_conv_buf_values(b);
    if (v.dtype != bale_list_dtype(s->list) || s->undetermined) {
        PyObject *tmp = PyList_New(0);
        int r = tmp ? 0 : -1;
        for (uint64_t i = 0; r == 0 && i < v.count; i++) {
            PyObject *o = bale_conv_to_py(&v, i);
            r = o ? PyList_Append(tmp, o) : -1;
            Py_XDECREF(o);
        }
        bale_conv_buf_reset(b, b->dtype);
        if (r == 0) r = L_extend(s, tmp);
        Py_XDECREF(tmp);
        return r;
    }
    bale_err e = bale_list_append(s->list, &v);
    bale_conv_buf_reset(b, b->dtype);
    if (e != BALE_OK) {
        bale_ext_error(e);
        return -1;
    }
    return 0;
}

/* A cursor reads elements by index, holding the decoded block it last used.
 * It revalidates against the list's version and generation, so it stays
 * correct (index-based, like list) whatever happens to the list. */
typedef struct cursor {
    bale_list_block *blk;
    const bale_values *v;
    uint64_t first, count, version, gen;
} cursor;

static void cursor_done(cursor *c) {
    bale_list_block_release(c->blk);
    c->blk = NULL;
}

/* Borrowed values holding element i (i < len), or NULL with an exception;
 * *pos gets the position in them. */
static const bale_values *cursor_seek(ListObject *s, cursor *c, uint64_t i, uint64_t *pos) {
    if (c->blk == NULL || c->gen != s->gen || c->version != bale_list_version(s->list) ||
        i - c->first >= c->count || i < c->first) {
        cursor_done(c);
        bale_err e = bale_list_block_at(s->list, i, 0, &c->blk, &c->first);
        if (e != BALE_OK) {
            bale_ext_error(e);
            return NULL;
        }
        c->v = bale_list_block_values(c->blk);
        c->count = c->v->count;
        c->version = bale_list_version(s->list);
        c->gen = s->gen;
    }
    *pos = i - c->first;
    return c->v;
}

static inline PyObject *elem_to_py(const bale_values *v, uint64_t j) {
    switch (v->dtype) {
    case BALE_DTYPE_INT: return PyLong_FromLongLong(((const int64_t *)v->data)[j]);
    case BALE_DTYPE_FLOAT: return PyFloat_FromDouble(((const double *)v->data)[j]);
    case BALE_DTYPE_STR: {
        const char *p = (const char *)v->data + v->offsets[j];
        return PyUnicode_DecodeUTF8(p, (Py_ssize_t)(v->offsets[j + 1] - v->offsets[j]),
                                    "surrogatepass");
    }
    default: return bale_conv_to_py(v, j);
    }
}

static PyObject *cursor_get(ListObject *s, cursor *c, uint64_t i) {
    uint64_t pos;
    const bale_values *v = cursor_seek(s, c, i, &pos);
    if (v == NULL) return NULL;
    if (v->dtype == BALE_DTYPE_OBJECT) {
        /* unpickling may change the list: keep the block alive across it */
        bale_list_block *hold = c->blk;
        c->blk = NULL;
        PyObject *r = bale_conv_to_py(v, pos);
        c->blk = hold;
        return r;
    }
    return elem_to_py(v, pos);
}

/* Element i (0 <= i < len). */
static PyObject *L_item(ListObject *s, uint64_t i) {
    bale_values scratch = {0};
    const bale_values *v;
    uint64_t pos;
    bale_err e = bale_list_read(s->list, i, &scratch, &v, &pos);
    if (e != BALE_OK) return bale_ext_error(e);
    PyObject *r;
    if (v->dtype == BALE_DTYPE_OBJECT || v == &scratch) {
        r = bale_conv_to_py(v, pos); /* copies before any code runs */
    } else {
        r = elem_to_py(v, pos);
    }
    bale_values_free(&scratch);
    return r;
}

/* ---- fast reader: iteration and tolist --------------------------------------- */

/* A reader is a cursor specialised for producing Python objects quickly: it
 * holds one decoded block with direct pointers into it (for str, whether the
 * block is all ASCII, checked once per block), and a small direct-mapped cache
 * of the int/str objects it made recently, so that a repeated value (a run in
 * sorted data, or a column with few distinct values) is handed out again
 * instead of allocated (ints and strs are immutable: sharing them is
 * invisible except to `is`, as with CPython's own small-int cache).  The
 * cache switches itself off for a while on blocks where it rarely hits.
 *
 * Making an int, float, str or bytes never runs Python code (those types are
 * not GC-tracked, so allocating them cannot trigger a collection), so the
 * pointers into the block stay valid while an element is made.  Object
 * values are copied out of the block before unpickling runs any code. */
#define RC_BITS 12
#define RC_SLOTS ((size_t)1 << RC_BITS)
#define RC_MIN_LEN 16384 /* lists shorter than this are read without a cache */
#define RC_STR_MAX 64    /* longer strs are not cached (bounds held memory) */
#define RC_COOL_BLOCKS 8 /* blocks read without the cache after a poor one, */
#define RC_COOL_MAX 128  /* doubling while the blocks it tries stay poor */

typedef struct rc_slot {
    PyObject *obj; /* strong reference or NULL */
    /* int: a the value; str: a and b its str_key, n its length (for
     * n <= 16 these are the bytes: a hit reads no object) */
    uint64_t a, b, n;
} rc_slot;

typedef struct reader {
    bale_list_block *blk;
    const bale_values *v;
    uint64_t first, count, version, gen;
    const uint64_t *vptr; /* the list's version counter (valid while gen matches) */
    bale_dtype dtype;
    int ascii; /* str block: every byte < 0x80 */
    const char *data;
    const uint64_t *offs;
    /* value cache */
    int cache_on, cool, cool_len;
    bale_dtype cache_dtype;
    uint64_t misses; /* since the block was fetched */
    rc_slot *slots;  /* RC_SLOTS, or NULL */
    /* A block in id form (BALE_LIST_IDS: a dictionary-coded chunk): element
     * j is dictionary value ids[j] (data and offs describe the dictionary),
     * and each dictionary value is made once, on first use, into dobj
     * (strong references or NULL): a category column costs an incref per
     * element, not a cache probe. */
    const uint64_t *ids; /* NULL unless the block is in id form */
    PyObject **dobj;
    uint64_t dobj_n, dobj_cap;
} reader;

static void rd_cache_clear(reader *r) {
    if (r->slots == NULL) return;
    for (size_t k = 0; k < RC_SLOTS; k++) Py_CLEAR(r->slots[k].obj);
}

static void rd_ids_clear(reader *r) {
    for (uint64_t k = 0; k < r->dobj_n; k++) Py_CLEAR(r->dobj[k]);
    r->dobj_n = 0;
    r->ids = NULL;
}

static void rd_done(reader *r) {
    rd_ids_clear(r);
    PyMem_Free(r->dobj);
    r->dobj = NULL;
    r->dobj_cap = 0;
    bale_list_block_release(r->blk);
    r->blk = NULL;
    r->count = 0;
    rd_cache_clear(r);
    PyMem_Free(r->slots);
    r->slots = NULL;
    r->cache_on = 0;
}


static int all_ascii(const char *p, uint64_t n) {
    uint64_t acc = 0, i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        acc |= w;
    }
    for (; i < n; i++) acc |= (unsigned char)p[i];
    return (acc & 0x8080808080808080ULL) == 0;
}

/* Fetches the block holding element i (i < len).  0, or -1 with an exception. */
static int rd_fetch(ListObject *s, reader *r, uint64_t i) {
    /* the cache pays only if it hits often: rest it after a poor block */
    if (r->cache_on && r->count >= 256) {
        if (r->misses * 8 > r->count * 7) {
            r->cool_len = r->cool_len ? (r->cool_len < RC_COOL_MAX ? 2 * r->cool_len : RC_COOL_MAX)
                                      : RC_COOL_BLOCKS;
            r->cool = r->cool_len;
        } else {
            r->cool_len = 0;
        }
    }
    r->misses = 0;
    rd_ids_clear(r);
    bale_list_block_release(r->blk);
    r->blk = NULL;
    r->count = 0;
    /* Id form for immutable values only: one object stands for many
     * elements, which a mutable (unpickled) value must not.  Not for ints:
     * their value cache already makes each distinct int once and skips
     * runs, and a dictionary pass per block cost more than it saved
     * (flights `distance`, ~1,500 values a block: 9.8 -> 11 ns an element;
     * `origin`, strs: 15.7 -> 11). */
    bale_dtype ldt = bale_list_dtype(s->list);
    int flags = ldt == BALE_DTYPE_OBJECT || ldt == BALE_DTYPE_INT ? 0 : BALE_LIST_IDS;
    bale_err e = bale_list_block_at(s->list, i, flags, &r->blk, &r->first);
    if (e != BALE_OK) {
        bale_ext_error(e);
        return -1;
    }
    const bale_values *v = bale_list_block_values(r->blk);
    r->v = v;
    r->vptr = bale_list_version_ptr(s->list);
    r->version = *r->vptr;
    r->gen = s->gen;
    r->dtype = v->dtype;
    r->count = v->count;
    /* In id form, data and offs describe the dictionary, and element j is
     * its value ids[j] (rd_id). */
    const bale_values *dict, *ids, *src = v;
    if (bale_list_block_ids(r->blk, &dict, &ids)) {
        if (dict->count > r->dobj_cap) {
            PyObject **o = PyMem_Realloc(r->dobj, (size_t)dict->count * sizeof *o);
            if (o == NULL) {
                bale_list_block_release(r->blk);
                r->blk = NULL;
                r->count = 0;
                PyErr_NoMemory();
                return -1;
            }
            r->dobj = o;
            r->dobj_cap = dict->count;
        }
        memset(r->dobj, 0, (size_t)dict->count * sizeof *r->dobj);
        r->dobj_n = dict->count;
        r->ids = ids->data;
        src = dict;
    }
    r->data = src->data;
    r->offs = src->offsets;
    r->ascii = v->dtype == BALE_DTYPE_STR && all_ascii(r->data, src->data_size);
    r->cache_on = 0;
    if ((v->dtype == BALE_DTYPE_INT || (v->dtype == BALE_DTYPE_STR && r->ascii)) &&
        bale_list_len(s->list) >= RC_MIN_LEN) {
        if (r->cool > 0) {
            r->cool--;
            return 0;
        }
        if (r->slots == NULL) {
            r->slots = PyMem_Calloc(RC_SLOTS, sizeof(rc_slot));
            if (r->slots == NULL) return 0; /* run without a cache */
            r->cache_dtype = v->dtype;
        }
        if (r->cache_dtype != v->dtype) {
            rd_cache_clear(r);
            r->cache_dtype = v->dtype;
        }
        r->cache_on = 1;
    }
    return 0;
}

static inline __attribute__((always_inline)) PyObject *rd_int(reader *r, int64_t x) {
    if (!r->cache_on) return PyLong_FromLongLong(x);
    rc_slot *sl = &r->slots[((uint64_t)x * 0x9E3779B97F4A7C15ULL) >> (64 - RC_BITS)];
    PyObject *o = sl->obj;
    if (o != NULL && sl->a == (uint64_t)x) return Py_NewRef(o);
    PyObject *n = PyLong_FromLongLong(x);
    if (n == NULL) return NULL;
    r->misses++;
    sl->obj = Py_NewRef(n);
    sl->a = (uint64_t)x;
    Py_XDECREF(o);
    return n;
}

static inline PyObject *ascii_new(const char *p, Py_ssize_t n) {
    PyObject *o = PyUnicode_New(n, 127);
    if (o != NULL && n != 0) memcpy(PyUnicode_1BYTE_DATA(o), p, (size_t)n);
    return o;
}

/* Two words from p[0 .. n): for n <= 16 they determine the bytes exactly
 * (with n), for longer strs they are the first and last 8 bytes. */
static inline void str_key(const char *p, Py_ssize_t n, uint64_t *a, uint64_t *b) {
    if (n >= 8) {
        memcpy(a, p, 8);
        memcpy(b, p + n - 8, 8);
    } else if (n >= 4) {
        uint32_t a4, b4;
        memcpy(&a4, p, 4);
        memcpy(&b4, p + n - 4, 4);
        *a = a4;
        *b = b4;
    } else {
        *a = n ? (uint64_t)(unsigned char)p[0] | (uint64_t)(unsigned char)p[n / 2] << 8 |
                     (uint64_t)(unsigned char)p[n - 1] << 16
               : 0;
        *b = 0;
    }
}

static inline __attribute__((always_inline)) PyObject *rd_str(reader *r, uint64_t j) {
    const char *p = r->data + r->offs[j];
    Py_ssize_t n = (Py_ssize_t)(r->offs[j + 1] - r->offs[j]);
    if (!r->ascii) return PyUnicode_DecodeUTF8(p, n, "surrogatepass");
    if (!r->cache_on || n > RC_STR_MAX) return ascii_new(p, n);
    uint64_t a, b;
    str_key(p, n, &a, &b);
    uint64_t h = (a * 0x9E3779B97F4A7C15ULL) ^ ((b + (uint64_t)n) * 0xC2B2AE3D27D4EB4FULL);
    h = (h ^ (h >> 29)) * 0x94D049BB133111EBULL;
    rc_slot *sl = &r->slots[h >> (64 - RC_BITS)];
    PyObject *o = sl->obj;
    if (o != NULL && sl->a == a && sl->b == b && sl->n == (uint64_t)n &&
        (n <= 16 || memcmp(PyUnicode_1BYTE_DATA(o) + 8, p + 8, (size_t)n - 16) == 0))
        return Py_NewRef(o);
    PyObject *x = ascii_new(p, n);
    if (x == NULL) return NULL;
    r->misses++;
    sl->obj = Py_NewRef(x);
    sl->a = a;
    sl->b = b;
    sl->n = (uint64_t)n;
    Py_XDECREF(o);
    return x;
}

/* Value j of r->data: element j of the block, or in id form dictionary
 * value j. */
static inline PyObject *rd_value(reader *r, uint64_t j) {
    switch (r->dtype) {
    case BALE_DTYPE_INT: return rd_int(r, ((const int64_t *)r->data)[j]);
    case BALE_DTYPE_STR: return rd_str(r, j);
    case BALE_DTYPE_FLOAT: return PyFloat_FromDouble(((const double *)r->data)[j]);
    case BALE_DTYPE_BOOL: return PyBool_FromLong(((const uint8_t *)r->data)[j]);
    case BALE_DTYPE_BYTES:
        return PyBytes_FromStringAndSize(r->data + r->offs[j], (Py_ssize_t)(r->offs[j + 1] - r->offs[j]));
    default: return bale_conv_to_py(r->v, j); /* copies the pickle before loading it */
    }
}

/* Dictionary value `id` of a block in id form: made once per block (through
 * the value cache when it is on, so a column's categories are made once).
 * A NaN is made afresh each time: `==` lookups (list.count, `in`) try
 * identity first, so a shared NaN would be found where a list's own NaNs
 * are not; for every other value sharing is invisible except to `is`. */
static inline PyObject *rd_id(reader *r, uint64_t id) {
    PyObject *o = r->dobj[id];
    if (o == NULL) {
        o = rd_value(r, id);
        if (o == NULL) return NULL;
        if (r->dtype == BALE_DTYPE_FLOAT && isnan(((const double *)r->data)[id])) return o;
        r->dobj[id] = o;
    }
    return Py_NewRef(o);
}

/* Element j of the reader's block. */
static inline PyObject *rd_elem(reader *r, uint64_t j) {
    return r->ids ? rd_id(r, r->ids[j]) : rd_value(r, j);
}

/* Whether the reader's block holds element i of the list as it is now. */
static inline int rd_fresh(ListObject *s, const reader *r, uint64_t i) {
    return i - r->first < r->count && r->gen == s->gen && r->version == *r->vptr;
}

/* Element i (i < len). */
static PyObject *rd_get(ListObject *s, reader *r, uint64_t i) {
    if (!rd_fresh(s, r, i) && rd_fetch(s, r, i) < 0) return NULL;
    return rd_elem(r, i - r->first);
}

/* Rebuilds the list as dtype object (values come back with their types). */
static int L_widen(ListObject *s) {
    if (bale_list_dtype(s->list) == BALE_DTYPE_OBJECT) return 0;
    bale_list *nl;
    bale_err e = bale_list_create(BALE_DTYPE_OBJECT, &s->opts, &nl);
    if (e != BALE_OK) {
        bale_ext_error(e);
        return -1;
    }
    bale_conv_buf b;
    bale_conv_buf_init(&b, BALE_DTYPE_OBJECT);
    uint64_t n = bale_list_len(s->list);
    uint64_t i = 0;
    while (i < n) {
        bale_list_block *blk;
        uint64_t first;
        e = bale_list_block_at(s->list, i, 0, &blk, &first);
        if (e != BALE_OK) goto fail;
        const bale_values *v = bale_list_block_values(blk);
        for (uint64_t j = i - first; j < v->count; j++, i++) {
            PyObject *o = bale_conv_to_py(v, j);
            int r = o ? bale_conv_buf_push(&b, o, 1) : -1;
            Py_XDECREF(o);
            if (r < 0) {
                bale_list_block_release(blk);
                goto fail_py;
            }
        }
        bale_list_block_release(blk);
        if (bale_conv_buf_raw(&b) >= BALE_LIST_CHUNK_TARGET || i >= n) {
            bale_values vv = bale_conv_buf_values(&b);
            e = bale_list_append(nl, &vv);
            bale_conv_buf_reset(&b, BALE_DTYPE_OBJECT);
            if (e != BALE_OK) goto fail;
        }
    }
    bale_conv_buf_free(&b);
    L_install(s, nl);
    return 0;
fail:
    bale_ext_error(e);
fail_py:
    bale_conv_buf_free(&b);
    bale_list_free(nl);
    return -1;
}

/* Prepares the list to take `v`: chooses the dtype of an undetermined (or
 * empty inferred) list, or widens an inferred one. */
static int L_prepare(ListObject *s, PyObject *v) {
    if (!s->inferred) return 0;
    bale_dtype want = bale_conv_infer(v);
    if (s->undetermined || bale_list_len(s->list) == 0) return L_set_dtype(s, want);
    bale_dtype cur = bale_list_dtype(s->list);
    if (cur == want || cur == BALE_DTYPE_OBJECT) return 0;
    return L_widen(s);
}

/* Converts one value for the list into `b` (reset first). */
static int L_convert_one(ListObject *s, PyObject *v, bale_conv_buf *b) {
    if (L_prepare(s, v) < 0) return -1;
    bale_conv_buf_reset(b, bale_list_dtype(s->list));
    int r = bale_conv_buf_push(b, v, !s->inferred);
    if (r == 1) {
        if (L_widen(s) < 0) return -1;
        bale_conv_buf_reset(b, BALE_DTYPE_OBJECT);
        r = bale_conv_buf_push(b, v, 1);
    }
    return r < 0 ? -1 : 0;
}

/* ---- extending from anything ------------------------------------------------ */

/* Bulk intake of a 1-d buffer (any stride) of ints, floats or bools.
 * Returns 1 when done, 0 when not applicable (the caller iterates), -1. */
static int extend_buffer(ListObject *s, PyObject *obj) {
    if (!PyObject_CheckBuffer(obj) || PyUnicode_Check(obj)) return 0;
    Py_buffer view;
    if (PyObject_GetBuffer(obj, &view, PyBUF_RECORDS_RO) < 0) {
        PyErr_Clear();
        return 0;
    }
    int done = 0;
    const char *f = view.format ? view.format : "B";
    if (*f == '@' || *f == '=' || *f == '<') f++;
    char code = f[0];
    bale_dtype src = 0;
    int is_signed = 0;
    if (f[0] && !f[1]) {
        if (strchr("bhilqn", code)) src = BALE_DTYPE_INT, is_signed = 1;
        else if (strchr("BHILQN", code)) src = BALE_DTYPE_INT;
        else if (code == 'd' || code == 'f') src = BALE_DTYPE_FLOAT;
        else if (code == '?') src = BALE_DTYPE_BOOL;
    }
    Py_ssize_t isz = view.itemsize;
    if (src == 0 || view.ndim != 1 || isz <= 0 || isz > 8 ||
        (src == BALE_DTYPE_FLOAT && isz != 8 && isz != 4) || (src == BALE_DTYPE_BOOL && isz != 1)) {
        PyBuffer_Release(&view);
        return 0;
    }
    Py_ssize_t n = view.shape ? view.shape[0] : view.len / isz;
    Py_ssize_t stride = view.strides ? view.strides[0] : isz;
    if (n == 0) {
        PyBuffer_Release(&view);
        return 1;
    }
    const unsigned char *p = view.buf;
    /* unsigned 64-bit values beyond int64: let the element path decide */
    if (src == BALE_DTYPE_INT && !is_signed && isz == 8) {
        for (Py_ssize_t i = 0; i < n; i++) {
            uint64_t x;
            memcpy(&x, p + i * stride, 8);
            if (x > (uint64_t)INT64_MAX) {
                PyBuffer_Release(&view);
                return 0;
            }
        }
    }
    if (s->inferred && (s->undetermined || bale_list_len(s->list) == 0)) {
        if (L_set_dtype(s, src) < 0) goto out;
    }
    bale_dtype dst = bale_list_dtype(s->list);
    if (!(dst == src || (dst == BALE_DTYPE_FLOAT && src == BALE_DTYPE_INT && !s->inferred))) {
        PyBuffer_Release(&view);
        return 0;
    }
    size_t w = bale_dtype_width(dst);
    int native = stride == isz && (size_t)isz == w && (dst != BALE_DTYPE_INT || is_signed || isz == 8) &&
                 !(dst == BALE_DTYPE_FLOAT && src == BALE_DTYPE_INT) && dst != BALE_DTYPE_BOOL;
    if (native) {
        bale_values v = {dst, (uint64_t)n, view.buf, NULL, (uint64_t)n * w};
        bale_err e = bale_list_append(s->list, &v);
        if (e != BALE_OK) {
            bale_ext_error(e);
            goto out;
        }
        done = 1;
        goto out;
    }
    /* convert in batches of one chunk */
    {
        const Py_ssize_t batch = (Py_ssize_t)(BALE_LIST_CHUNK_TARGET / w);
        void *tmp = PyMem_Malloc((size_t)batch * w);
        if (tmp == NULL) {
            PyErr_NoMemory();
            goto out;
        }
        for (Py_ssize_t at = 0; at < n; at += batch) {
            Py_ssize_t m = n - at < batch ? n - at : batch;
            for (Py_ssize_t i = 0; i < m; i++) {
                const unsigned char *q = p + (at + i) * stride;
                if (src == BALE_DTYPE_BOOL) {
                    ((uint8_t *)tmp)[i] = *q != 0;
                    continue;
                }
                double d = 0;
                int64_t x = 0;
                if (src == BALE_DTYPE_FLOAT) {
                    if (isz == 8) memcpy(&d, q, 8);
                    else {
                        float fl;
                        memcpy(&fl, q, 4);
                        d = fl;
                    }
                } else {
                    uint64_t u = 0;
                    memcpy(&u, q, (size_t)isz);
                    if (is_signed && isz < 8 && (u >> (isz * 8 - 1)) & 1) u |= ~(uint64_t)0 << (isz * 8);
                    x = (int64_t)u;
                    d = (double)x;
                }
                if (dst == BALE_DTYPE_FLOAT) ((double *)tmp)[i] = d;
                else ((int64_t *)tmp)[i] = x;
            }
            bale_values v = {dst, (uint64_t)m, tmp, NULL, (uint64_t)m * w};
            bale_err e = bale_list_append(s->list, &v);
            if (e != BALE_OK) {
                PyMem_Free(tmp);
                bale_ext_error(e);
                goto out;
            }
        }
        PyMem_Free(tmp);
        done = 1;
    }
out:
    PyBuffer_Release(&view);
    return done ? 1 : -1;
}

/* Appends every value of `iterable` (any iterable; bale.Lists share chunks;
 * buffers are taken in bulk).  On error, values before the failing one stay
 * appended, as with list.extend. */
static int L_extend(ListObject *s, PyObject *iterable) {
    if (List_Check(iterable)) {
        ListObject *o = (ListObject *)iterable;
        bale_dtype od = L_dtype(o);
        if (od == 0 || bale_list_len(o->list) == 0) return 0;
        if (s->inferred && (s->undetermined || bale_list_len(s->list) == 0)) {
            if (L_set_dtype(s, od) < 0) return -1;
        }
        if (bale_list_dtype(s->list) == od) { /* typed values are exact: share */
            bale_err e;
            if (o == s) {
                bale_list *snap;
                e = bale_list_copy(s->list, &snap);
                if (e == BALE_OK) {
                    e = bale_list_extend_list(s->list, snap, 0, bale_list_len(snap));
                    bale_list_free(snap);
                }
            } else {
                e = bale_list_extend_list(s->list, o->list, 0, bale_list_len(o->list));
            }
            if (e != BALE_OK) {
                bale_ext_error(e);
                return -1;
            }
            return 0;
        }
        if (s->inferred && bale_list_dtype(s->list) != od && L_widen(s) < 0) return -1;
        /* else: element by element below (conversion or TypeError) */
    } else {
        int r = extend_buffer(s, iterable);
        if (r != 0) return r < 0 ? -1 : 0;
    }
    PyObject *it = PyObject_GetIter(iterable);
    if (it == NULL) return -1;
    bale_conv_buf b;
    bale_conv_buf_init(&b, bale_list_dtype(s->list));
    int rc = 0;
    PyObject *item;
    while ((item = PyIter_Next(it)) != NULL) {
        if (b.count == 0 && s->inferred && (s->undetermined || bale_list_len(s->list) == 0)) {
            if (L_set_dtype(s, bale_conv_infer(item)) < 0) {
                Py_DECREF(item);
                rc = -1;
                break;
            }
        }
        if (b.count == 0) bale_conv_buf_reset(&b, bale_list_dtype(s->list));
        int r = bale_conv_buf_push(&b, item, !s->inferred);
        if (r == 1) {
            if (flush(s, &b) < 0 || L_widen(s) < 0) {
                Py_DECREF(item);
                rc = -1;
                break;
            }
            bale_conv_buf_reset(&b, BALE_DTYPE_OBJECT);
            r = bale_conv_buf_push(&b, item, 1);
        }
        Py_DECREF(item);
        if (r < 0) {
            rc = -1;
            break;
        }
        if (bale_conv_buf_raw(&b) >= BALE_LIST_CHUNK_TARGET && flush(s, &b) < 0) {
            rc = -1;
            break;
        }
    }
    Py_DECREF(it);
    if (rc == 0 && PyErr_Occurred()) rc = -1;
    if (rc < 0) {
        /* keep what was converted, as list.extend does, then report */
        PyObject *et, *ev, *tb;
        PyErr_Fetch(&et, &ev, &tb);
        (void)flush(s, &b);
        PyErr_Clear();
        PyErr_Restore(et, ev, tb);
    } else {
        rc = flush(s, &b);
    }
    bale_conv_buf_free(&b);
    return rc;
}

/* Converts all items of a sequence into `b` for this list (widening the
 * list first when a value needs it).  0 or -1. */
static int L_convert_seq(ListObject *s, PyObject *seq, bale_conv_buf *b) {
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    for (int attempt = 0; attempt < 2; attempt++) {
        if (n > 0 && s->inferred && (s->undetermined || bale_list_len(s->list) == 0)) {
            bale_dtype d = 0;
            for (Py_ssize_t i = 0; i < n; i++)
                d = bale_conv_widen(d, bale_conv_infer(PySequence_Fast_GET_ITEM(seq, i)));
            if (L_set_dtype(s, d) < 0) return -1;
        }
        bale_conv_buf_reset(b, bale_list_dtype(s->list));
        int widen = 0;
        for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
            PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
            Py_INCREF(item);
            int r = bale_conv_buf_push(b, item, !s->inferred);
            Py_DECREF(item);
            if (r < 0) return -1;
            if (r == 1) {
                widen = 1;
                break;
            }
        }
        if (!widen) return 0;
        if (L_widen(s) < 0) return -1;
    }
    PyErr_SetString(PyExc_SystemError, "bale: conversion did not settle");
    return -1;
}

/* ---- construction ----------------------------------------------------------- */

static PyObject *L_wrap(PyTypeObject *type, bale_list *core, int inferred, int undetermined,
                        bale_codec_opts opts, PyObject *codec) {
    ListObject *o = (ListObject *)type->tp_alloc(type, 0);
    if (o == NULL) {
        bale_list_free(core);
        return NULL;
    }
    o->list = core;
    o->inferred = inferred;
    o->undetermined = undetermined;
    o->opts = opts;
    Py_INCREF(codec);
    o->codec = codec;
    return (PyObject *)o;
}

/* A new bale.List of the same dtype settings as s holding `core` (taken). */
static PyObject *L_like(ListObject *s, bale_list *core) {
    int und = s->undetermined && bale_list_len(core) == 0;
    return L_wrap(&List_Type, core, s->inferred, und, s->opts, s->codec);
}

static PyObject *L_empty_like(ListObject *s) {
    bale_list *core;
    bale_err e = bale_list_create(bale_list_dtype(s->list), &s->opts, &core);
    if (e != BALE_OK) return bale_ext_error(e);
    return L_like(s, core);
}

static PyObject *L_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
    (void)args;
    (void)kwds;
    bale_codec_opts opts = bale_codec_opts_auto();
    bale_list *core;
    bale_err e = bale_list_create(BALE_DTYPE_INT, &opts, &core);
    if (e != BALE_OK) return bale_ext_error(e);
    PyObject *codec = PyUnicode_FromString("auto");
    if (codec == NULL) {
        bale_list_free(core);
        return NULL;
    }
    PyObject *o = L_wrap(type, core, 1, 1, opts, codec);
    Py_DECREF(codec);
    return o;
}

static int L_init(ListObject *s, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"iterable", "dtype", "codec", NULL};
    PyObject *iterable = NULL, *dtype_obj = Py_None, *codec = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|OO$O:List", kwlist, &iterable, &dtype_obj, &codec))
        return -1;
    bale_dtype dtype;
    if (bale_conv_parse_dtype(dtype_obj, &dtype) < 0) return -1;
    bale_codec_opts opts;
    PyObject *codec_name = codec;
    if (codec == NULL) {
        opts = bale_codec_opts_auto();
    } else {
        if (PyUnicode_Check(codec) && PyUnicode_CompareWithASCIIString(codec, "auto") == 0) {
            opts = bale_codec_opts_auto();
        } else if (bale_ext_parse_codec(codec, &opts) < 0) {
            return -1;
        }
    }
    bale_list *core;
    bale_err e = bale_list_create(dtype ? dtype : BALE_DTYPE_INT, &opts, &core);
    if (e != BALE_OK) {
        bale_ext_error(e);
        return -1;
    }
    L_install(s, core);
    s->inferred = dtype == 0;
    s->undetermined = dtype == 0;
    if (dtype == 0 && iterable != NULL && List_Check(iterable)) {
        /* List(other_bale_list) keeps the other's dtype and its inference */
        ListObject *o = (ListObject *)iterable;
        if (!o->undetermined && L_set_dtype(s, bale_list_dtype(o->list)) < 0) return -1;
        s->inferred = o->inferred;
    }
    s->opts = opts;
    if (codec_name != NULL) {
        Py_INCREF(codec_name);
        Py_SETREF(s->codec, codec_name);
    }
    if (iterable != NULL && L_extend(s, iterable) < 0) return -1;
    return 0;
}

static void L_dealloc(ListObject *s) {
    if (s->weakreflist != NULL) PyObject_ClearWeakRefs((PyObject *)s);
    bale_list_free(s->list);
    s->list = NULL;
    Py_XDECREF(s->codec);
    Py_TYPE(s)->tp_free((PyObject *)s);
}

/* ---- sequence protocol ------------------------------------------------------- */

static Py_ssize_t L_length(ListObject *s) { return L_len(s); }

static PyObject *L_sq_item(ListObject *s, Py_ssize_t i) {
    if (i < 0 || i >= L_len(s)) {
        PyErr_SetString(PyExc_IndexError, "list index out of range");
        return NULL;
    }
    return L_item(s, (uint64_t)i);
}

/* Slice [start, start+step*n) as a new list. */
static PyObject *L_slice(ListObject *s, Py_ssize_t start, Py_ssize_t step, Py_ssize_t n) {
    bale_list *core;
    bale_err e;
    if (step == 1 || n <= 1) {
        if (n <= 0) start = 0, n = 0;
        e = bale_list_slice(s->list, (uint64_t)start, (uint64_t)(start + n), &core);
        if (e != BALE_OK) return bale_ext_error(e);
        return L_like(s, core);
    }
    e = bale_list_create(bale_list_dtype(s->list), &s->opts, &core);
    if (e != BALE_OK) return bale_ext_error(e);
    bale_conv_buf b;
    bale_conv_buf_init(&b, bale_list_dtype(s->list));
    cursor c = {0};
    for (Py_ssize_t k = 0; k < n; k++) {
        uint64_t pos;
        const bale_values *v = cursor_seek(s, &c, (uint64_t)(start + k * step), &pos);
        if (v == NULL || bale_conv_buf_push_raw(&b, v, pos) < 0) goto fail;
        if (bale_conv_buf_raw(&b) >= BALE_LIST_CHUNK_TARGET || k == n - 1) {
            bale_values vv = bale_conv_buf_values(&b);
            e = bale_list_append(core, &vv);
            bale_conv_buf_reset(&b, b.dtype);
            if (e != BALE_OK) {
                bale_ext_error(e);
                goto fail;
            }
        }
    }
    cursor_done(&c);
    bale_conv_buf_free(&b);
    return L_like(s, core);
fail:
    cursor_done(&c);
    bale_conv_buf_free(&b);
    bale_list_free(core);
    return NULL;
}

static PyObject *L_subscript(ListObject *s, PyObject *key) {
    if (PyIndex_Check(key)) {
        Py_ssize_t i = PyNumber_AsSsize_t(key, PyExc_IndexError);
        if (i == -1 && PyErr_Occurred()) return NULL;
        if (i < 0) i += L_len(s);
        return L_sq_item(s, i);
    }
    if (PySlice_Check(key)) {
        Py_ssize_t start, stop, step;
        if (PySlice_Unpack(key, &start, &stop, &step) < 0) return NULL;
        Py_ssize_t n = PySlice_AdjustIndices(L_len(s), &start, &stop, step);
        return L_slice(s, start, step, n);
    }
    PyErr_Format(PyExc_TypeError, "list indices must be integers or slices, not %.200s",
                 Py_TYPE(key)->tp_name);
    return NULL;
}

static int L_set_item(ListObject *s, Py_ssize_t i, PyObject *value) {
    bale_conv_buf b;
    bale_conv_buf_init(&b, bale_list_dtype(s->list));
    if (L_convert_one(s, value, &b) < 0) {
        bale_conv_buf_free(&b);
        return -1;
    }
    int rc = 0;
    if (i < 0 || i >= L_len(s)) {
        PyErr_SetString(PyExc_IndexError, "list assignment index out of range");
        rc = -1;
    } else {
        bale_values v = bale_conv_buf_values(&b);
        bale_err e = bale_list_set(s->list, (uint64_t)i, &v);
        if (e != BALE_OK) rc = (bale_ext_error(e), -1);
    }
    bale_conv_buf_free(&b);
    return rc;
}

static int L_del_range(ListObject *s, uint64_t a, uint64_t b) {
    bale_err e = bale_list_delete(s->list, a, b);
    if (e != BALE_OK) {
        bale_ext_error(e);
        return -1;
    }
    return 0;
}

/* Deletes the extended slice start, start+step, ... (n elements). */
static int L_del_extended(ListObject *s, Py_ssize_t start, Py_ssize_t step, Py_ssize_t n) {
    if (n <= 0) return 0;
    if (step < 0) {
        start = start + step * (n - 1);
        step = -step;
    }
    if (step == 1) return L_del_range(s, (uint64_t)start, (uint64_t)(start + n));
    if (n <= DEL_ONE_BY_ONE_MAX) {
        for (Py_ssize_t k = n - 1; k >= 0; k--) {
            uint64_t i = (uint64_t)(start + k * step);
            if (L_del_range(s, i, i + 1) < 0) return -1;
        }
        return 0;
    }
    /* rebuild: copy the kept elements, one decoded block at a time */
    bale_list *core;
    bale_err e = bale_list_create(bale_list_dtype(s->list), &s->opts, &core);
    if (e != BALE_OK) {
        bale_ext_error(e);
        return -1;
    }
    bale_conv_buf b;
    bale_conv_buf_init(&b, bale_list_dtype(s->list));
    cursor c = {0};
    uint64_t len = bale_list_len(s->list);
    uint64_t next_del = (uint64_t)start, deleted = 0;
    for (uint64_t i = 0; i < len; i++) {
        if (i == next_del && deleted < (uint64_t)n) {
            deleted++;
            next_del += (uint64_t)step;
            continue;
        }
        uint64_t pos;
        const bale_values *v = cursor_seek(s, &c, i, &pos);
        if (v == NULL || bale_conv_buf_push_raw(&b, v, pos) < 0) goto fail;
        if (bale_conv_buf_raw(&b) >= BALE_LIST_CHUNK_TARGET) {
            bale_values vv = bale_conv_buf_values(&b);
            e = bale_list_append(core, &vv);
            bale_conv_buf_reset(&b, b.dtype);
            if (e != BALE_OK) goto fail_core;
        }
    }
    {
        bale_values vv = bale_conv_buf_values(&b);
        e = vv.count ? bale_list_append(core, &vv) : BALE_OK;
        if (e != BALE_OK) goto fail_core;
    }
    cursor_done(&c);
    bale_conv_buf_free(&b);
    L_install(s, core);
    return 0;
fail_core:
    bale_ext_error(e);
fail:
    cursor_done(&c);
    bale_conv_buf_free(&b);
    bale_list_free(core);
    return -1;
}

/* Values of `value` converted for this list (for slice assignment). */
static int L_values_from(ListObject *s, PyObject *value, const char *msg, bale_conv_buf *b,
                         Py_ssize_t *n) {
    if (List_Check(value)) {
        ListObject *o = (ListObject *)value;
        bale_dtype od = L_dtype(o);
        if (od != 0 && s->inferred && (s->undetermined || bale_list_len(s->list) == 0) &&
            L_set_dtype(s, od) < 0)
            return -1;
        if (od == 0 || (od == bale_list_dtype(s->list) && !s->undetermined)) {
            bale_conv_buf_reset(b, bale_list_dtype(s->list));
            cursor c = {0};
            uint64_t len = bale_list_len(o->list);
            for (uint64_t i = 0; i < len; i++) {
                uint64_t pos;
                const bale_values *v = cursor_seek(o, &c, i, &pos);
                if (v == NULL || bale_conv_buf_push_raw(b, v, pos) < 0) {
                    cursor_done(&c);
                    return -1;
                }
            }
            cursor_done(&c);
            *n = (Py_ssize_t)b->count;
            return 0;
        }
    }
    PyObject *seq = PySequence_Fast(value, msg);
    if (seq == NULL) return -1;
    int r = L_convert_seq(s, seq, b);
    *n = PySequence_Fast_GET_SIZE(seq);
    Py_DECREF(seq);
    return r;
}

static int L_ass_subscript(ListObject *s, PyObject *key, PyObject *value) {
    if (PyIndex_Check(key)) {
        Py_ssize_t i = PyNumber_AsSsize_t(key, PyExc_IndexError);
        if (i == -1 && PyErr_Occurred()) return -1;
        if (i < 0) i += L_len(s);
        if (value != NULL) return L_set_item(s, i, value);
        if (i < 0 || i >= L_len(s)) {
            PyErr_SetString(PyExc_IndexError, "list assignment index out of range");
            return -1;
        }
        return L_del_range(s, (uint64_t)i, (uint64_t)i + 1);
    }
    if (!PySlice_Check(key)) {
        PyErr_Format(PyExc_TypeError, "list indices must be integers or slices, not %.200s",
                     Py_TYPE(key)->tp_name);
        return -1;
    }
    Py_ssize_t start, stop, step;
    if (PySlice_Unpack(key, &start, &stop, &step) < 0) return -1;
    if (value == NULL) {
        Py_ssize_t n = PySlice_AdjustIndices(L_len(s), &start, &stop, step);
        return L_del_extended(s, start, step, n);
    }
    bale_conv_buf b;
    bale_conv_buf_init(&b, bale_list_dtype(s->list));
    Py_ssize_t nv;
    int rc = -1;
    if (L_values_from(s, value, step == 1 ? "can only assign an iterable"
                                          : "must assign iterable to extended slice",
                      &b, &nv) < 0)
        goto out;
    /* indices after conversion: it may have run code that changed the list */
    Py_ssize_t n = PySlice_AdjustIndices(L_len(s), &start, &stop, step);
    if (step == 1) {
        if (stop < start) stop = start;
        bale_values v = bale_conv_buf_values(&b);
        bale_err e = bale_list_replace(s->list, (uint64_t)start, (uint64_t)stop, &v);
        if (e != BALE_OK) {
            bale_ext_error(e);
            goto out;
        }
        rc = 0;
        goto out;
    }
    if (nv != n) {
        PyErr_Format(PyExc_ValueError, "attempt to assign sequence of size %zd to extended slice of size %zd",
                     nv, n);
        goto out;
    }
    for (Py_ssize_t k = 0; k < n; k++) {
        uint64_t offs[2];
        bale_values one = bale_conv_buf_one(&b, (uint64_t)k, offs);
        bale_err e = bale_list_set(s->list, (uint64_t)(start + k * step), &one);
        if (e != BALE_OK) {
            bale_ext_error(e);
            goto out;
        }
    }
    rc = 0;
out:
    bale_conv_buf_free(&b);
    return rc;
}

/* ---- search ------------------------------------------------------------------- */

/* An index argument as for list.index: clamped on overflow.  1 or 0. */
static int slice_index(PyObject *o, Py_ssize_t *out) {
    if (!PyIndex_Check(o)) {
        PyErr_SetString(PyExc_TypeError,
                        "slice indices must be integers or have an __index__ method");
        return 0;
    }
    Py_ssize_t x = PyNumber_AsSsize_t(o, NULL);
    if (x == -1 && PyErr_Occurred()) return 0;
    *out = x;
    return 1;
}

/* Decides how to look for `v`: 1 = typed key in *b (core search), 0 = no
 * element can equal it, 2 = compare Python objects one by one, -1 error. */
static int search_key(ListObject *s, PyObject *v, bale_conv_buf *b) {
    bale_dtype d = L_dtype(s);
    if (d == 0 || d == BALE_DTYPE_OBJECT) return 2;
    bale_conv_buf_reset(b, d);
    int is_int = PyLong_CheckExact(v) || PyBool_Check(v);
    int is_float = PyFloat_CheckExact(v);
    if (!is_int && !is_float && !PyUnicode_CheckExact(v) && !PyBytes_CheckExact(v) && v != Py_None)
        return 2;
    switch (d) {
    case BALE_DTYPE_INT:
    case BALE_DTYPE_BOOL: {
        long long x;
        if (is_int) {
            int overflow;
            x = PyLong_AsLongLongAndOverflow(v, &overflow);
            if (overflow) return 0;
            if (x == -1 && PyErr_Occurred()) return -1;
        } else if (is_float) {
            double f = PyFloat_AS_DOUBLE(v);
            if (!(f == floor(f)) || f < -9.2233720368547758e18 || f >= 9.2233720368547758e18) return 0;
            x = (long long)f;
        } else {
            return 0;
        }
        if (d == BALE_DTYPE_BOOL) {
            if (x != 0 && x != 1) return 0;
            return bale_conv_buf_push(b, x ? Py_True : Py_False, 1) < 0 ? -1 : 1;
        }
        int64_t y = (int64_t)x;
        bale_values one = {BALE_DTYPE_INT, 1, &y, NULL, 8};
        return bale_conv_buf_push_raw(b, &one, 0) < 0 ? -1 : 1;
    }
    case BALE_DTYPE_FLOAT: {
        double f;
        if (is_float) {
            f = PyFloat_AS_DOUBLE(v);
        } else if (is_int) {
            int overflow;
            long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
            if (overflow) return 2;
            if (x == -1 && PyErr_Occurred()) return -1;
            f = (double)x;
            if ((long long)f != x || f >= 9.2233720368547758e18) return 2;
        } else {
            return 0;
        }
        bale_values one = {BALE_DTYPE_FLOAT, 1, &f, NULL, 8};
        return bale_conv_buf_push_raw(b, &one, 0) < 0 ? -1 : 1;
    }
    case BALE_DTYPE_STR:
        if (!PyUnicode_CheckExact(v)) return 0;
        return bale_conv_buf_push(b, v, 1) < 0 ? -1 : 1;
    case BALE_DTYPE_BYTES:
        if (!PyBytes_CheckExact(v)) return 0;
        return bale_conv_buf_push(b, v, 1) < 0 ? -1 : 1;
    default: return 2;
    }
}

/* Index of the first element in [start, stop) equal to v, -1 if none, -2 on
 * error.  count_out: when non-NULL, counts all instead. */
static Py_ssize_t L_search(ListObject *s, PyObject *v, Py_ssize_t start, Py_ssize_t stop,
                           Py_ssize_t *count_out) {
    bale_conv_buf b;
    bale_conv_buf_init(&b, 0);
    Py_ssize_t result = -1;
    Py_ssize_t cnt = 0;
    int how = search_key(s, v, &b);
    if (how < 0) {
        result = -2;
    } else if (how == 1) {
        bale_values one = bale_conv_buf_values(&b);
        bale_err e;
        if (count_out) {
            uint64_t c = 0;
            e = bale_list_count(s->list, &one, (uint64_t)start, (uint64_t)stop, &c);
            cnt = (Py_ssize_t)c;
        } else {
            uint64_t at = 0;
            e = bale_list_find(s->list, &one, (uint64_t)start, (uint64_t)stop, &at);
            if (e == BALE_NOTFOUND) e = BALE_OK;
            else if (e == BALE_OK) result = (Py_ssize_t)at;
        }
        if (e != BALE_OK) {
            bale_ext_error(e);
            result = -2;
        }
    } else if (how == 2) {
        cursor c = {0};
        for (Py_ssize_t i = start; i < stop && i < L_len(s); i++) {
            PyObject *item = cursor_get(s, &c, (uint64_t)i);
            if (item == NULL) {
                result = -2;
                break;
            }
            int eq = PyObject_RichCompareBool(item, v, Py_EQ);
            Py_DECREF(item);
            if (eq < 0) {
                result = -2;
                break;
            }
            if (eq) {
                cnt++;
                if (!count_out) {
                    result = i;
                    break;
                }
            }
        }
        cursor_done(&c);
    }
    bale_conv_buf_free(&b);
    if (count_out) *count_out = cnt;
    return result;
}

static int L_contains(ListObject *s, PyObject *v) {
    Py_ssize_t r = L_search(s, v, 0, L_len(s), NULL);
    return r == -2 ? -1 : r >= 0;
}

static PyObject *L_index(ListObject *s, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs < 1 || nargs > 3) {
        PyErr_Format(PyExc_TypeError, "index expected at least 1 argument, got %zd", nargs);
        return NULL;
    }
    Py_ssize_t start = 0, stop = PY_SSIZE_T_MAX;
    if (nargs > 1 && !slice_index(args[1], &start)) return NULL;
    if (nargs > 2 && !slice_index(args[2], &stop)) return NULL;
    Py_ssize_t n = L_len(s);
    if (start < 0) {
        start += n;
        if (start < 0) start = 0;
    }
    if (stop < 0) {
        stop += n;
        if (stop < 0) stop = 0;
    }
    if (stop > n) stop = n;
    if (start > stop) start = stop;
    Py_ssize_t r = L_search(s, args[0], start, stop, NULL);
    if (r == -2) return NULL;
    if (r < 0) {
        PyErr_Format(PyExc_ValueError, "%R is not in list", args[0]);
        return NULL;
    }
    return PyLong_FromSsize_t(r);
}

static PyObject *L_count(ListObject *s, PyObject *v) {
    Py_ssize_t cnt;
    if (L_search(s, v, 0, L_len(s), &cnt) == -2) return NULL;
    return PyLong_FromSsize_t(cnt);
}

/* ---- mutation methods ---------------------------------------------------------- */

static PyObject *L_append(ListObject *s, PyObject *v) {
    bale_conv_buf b;
    bale_conv_buf_init(&b, bale_list_dtype(s->list));
    if (L_convert_one(s, v, &b) < 0) {
        bale_conv_buf_free(&b);
        return NULL;
    }
    bale_values vv = bale_conv_buf_values(&b);
    bale_err e = bale_list_append(s->list, &vv);
    bale_conv_buf_free(&b);
    if (e != BALE_OK) return bale_ext_error(e);
    Py_RETURN_NONE;
}

static PyObject *L_extend_m(ListObject *s, PyObject *it) {
    if (L_extend(s, it) < 0) return NULL;
    Py_RETURN_NONE;
}

static PyObject *L_insert(ListObject *s, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2) {
        PyErr_Format(PyExc_TypeError, "insert expected 2 arguments, got %zd", nargs);
        return NULL;
    }
    Py_ssize_t i = PyNumber_AsSsize_t(args[0], PyExc_OverflowError);
    if (i == -1 && PyErr_Occurred()) return NULL;
    bale_conv_buf b;
    bale_conv_buf_init(&b, bale_list_dtype(s->list));
    if (L_convert_one(s, args[1], &b) < 0) {
        bale_conv_buf_free(&b);
        return NULL;
    }
    Py_ssize_t n = L_len(s);
    if (i < 0) {
        i += n;
        if (i < 0) i = 0;
    }
    if (i > n) i = n;
    bale_values vv = bale_conv_buf_values(&b);
    bale_err e = (Py_ssize_t)i == n ? bale_list_append(s->list, &vv)
                                    : bale_list_insert(s->list, (uint64_t)i, &vv);
    bale_conv_buf_free(&b);
    if (e != BALE_OK) return bale_ext_error(e);
    Py_RETURN_NONE;
}

static PyObject *L_pop(ListObject *s, PyObject *const *args, Py_ssize_t nargs) {
    Py_ssize_t i = -1;
    if (nargs > 1) {
        PyErr_Format(PyExc_TypeError, "pop expected at most 1 argument, got %zd", nargs);
        return NULL;
    }
    if (nargs == 1) {
        i = PyNumber_AsSsize_t(args[0], PyExc_OverflowError);
        if (i == -1 && PyErr_Occurred()) return NULL;
    }
    Py_ssize_t n = L_len(s);
    if (n == 0) {
        PyErr_SetString(PyExc_IndexError, "pop from empty list");
        return NULL;
    }
    if (i < 0) i += n;
    if (i < 0 || i >= n) {
        PyErr_SetString(PyExc_IndexError, "pop index out of range");
        return NULL;
    }
    PyObject *item = L_item(s, (uint64_t)i);
    if (item == NULL) return NULL;
    if ((uint64_t)i >= bale_list_len(s->list) || L_del_range(s, (uint64_t)i, (uint64_t)i + 1) < 0) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_IndexError, "pop index out of range");
        Py_DECREF(item);
        return NULL;
    }
    return item;
}

static PyObject *L_remove(ListObject *s, PyObject *v) {
    Py_ssize_t r = L_search(s, v, 0, L_len(s), NULL);
    if (r == -2) return NULL;
    if (r < 0) {
        PyErr_SetString(PyExc_ValueError, "list.remove(x): x not in list");
        return NULL;
    }
    if (L_del_range(s, (uint64_t)r, (uint64_t)r + 1) < 0) return NULL;
    Py_RETURN_NONE;
}

static PyObject *L_clear(ListObject *s, PyObject *unused) {
    (void)unused;
    bale_list *core;
    bale_err e = bale_list_create(bale_list_dtype(s->list), &s->opts, &core);
    if (e != BALE_OK) return bale_ext_error(e);
    L_install(s, core);
    Py_RETURN_NONE;
}

static PyObject *L_copy(ListObject *s, PyObject *unused) {
    (void)unused;
    bale_list *core;
    bale_err e = bale_list_copy(s->list, &core);
    if (e != BALE_OK) return bale_ext_error(e);
    return L_like(s, core);
}

static PyObject *L_deepcopy(ListObject *s, PyObject *memo) {
    (void)memo; /* values are immutable typed data or pickles: a copy is deep */
    return L_copy(s, NULL);
}

static PyObject *L_reverse(ListObject *s, PyObject *unused) {
    (void)unused;
    bale_err e = bale_list_reverse(s->list);
    if (e != BALE_OK) return bale_ext_error(e);
    Py_RETURN_NONE;
}

static PyObject *L_tolist(ListObject *s, PyObject *unused) {
    (void)unused;
    Py_ssize_t n = L_len(s);
    int prealloc = bale_list_dtype(s->list) != BALE_DTYPE_OBJECT;
    PyObject *out = PyList_New(prealloc ? n : 0);
    if (out == NULL) return NULL;
    reader r = {0};
    if (prealloc) { /* making these values runs no Python code: the list stays */
        PyObject **items = ((PyListObject *)out)->ob_item;
        for (Py_ssize_t i = 0; i < n;) {
            if (rd_fetch(s, &r, (uint64_t)i) < 0) goto fail;
            Py_ssize_t end = (Py_ssize_t)(r.first + r.count);
            if (end > n) end = n;
            for (uint64_t j = (uint64_t)i - r.first; i < end; i++, j++) {
                PyObject *x = rd_elem(&r, j);
                if (x == NULL) goto fail;
                items[i] = x;
            }
        }
    } else {
        for (Py_ssize_t i = 0; i < L_len(s); i++) {
            PyObject *x = rd_get(s, &r, (uint64_t)i);
            if (x == NULL) goto fail;
            int rc = PyList_Append(out, x);
            Py_DECREF(x);
            if (rc < 0) goto fail;
        }
    }
    rd_done(&r);
    return out;
fail:
    rd_done(&r);
    Py_DECREF(out);
    return NULL;
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Rebuilds the list from a Python list of values that fit `dtype`. */
static int L_rebuild(ListObject *s, PyObject *lst, bale_dtype dtype) {
    bale_list *core;
    bale_err e = bale_list_create(dtype, &s->opts, &core);
    if (e != BALE_OK) {
        bale_ext_error(e);
        return -1;
    }
    bale_conv_buf b;
    bale_conv_buf_init(&b, dtype);
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(lst); i++) {
        PyObject *x = PyList_GET_ITEM(lst, i);
        Py_INCREF(x);
        int r = bale_conv_buf_push(&b, x, 1);
        Py_DECREF(x);
        if (r < 0) goto fail;
        if (bale_conv_buf_raw(&b) >= BALE_LIST_CHUNK_TARGET || i == PyList_GET_SIZE(lst) - 1) {
            bale_values v = bale_conv_buf_values(&b);
            e = bale_list_append(core, &v);
            bale_conv_buf_reset(&b, b.dtype);
            if (e != BALE_OK) {
                bale_ext_error(e);
                goto fail;
            }
        }
    }
    bale_conv_buf_free(&b);
    L_install(s, core);
    return 0;
fail:
    bale_conv_buf_free(&b);
    bale_list_free(core);
    return -1;
}

static PyObject *L_sort(ListObject *s, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"key", "reverse", NULL};
    PyObject *key = Py_None;
    int reverse = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|$Op:sort", kwlist, &key, &reverse)) return NULL;
    uint64_t n = bale_list_len(s->list);
    if (key == Py_None && bale_list_dtype(s->list) == BALE_DTYPE_INT && n > 1) {
        /* equal ints are indistinguishable: any sort is stable */
        int64_t *a = PyMem_Malloc((size_t)n * 8);
        if (a == NULL) return PyErr_NoMemory();
        cursor c = {0};
        uint64_t i = 0;
        while (i < n) {
            uint64_t pos;
            const bale_values *v = cursor_seek(s, &c, i, &pos);
            if (v == NULL) {
                cursor_done(&c);
                PyMem_Free(a);
                return NULL;
            }
            uint64_t m = v->count - pos;
            memcpy(a + i, (const int64_t *)v->data + pos, (size_t)m * 8);
            i += m;
        }
        cursor_done(&c);
        qsort(a, (size_t)n, 8, cmp_i64);
        if (reverse)
            for (uint64_t k = 0; k < n / 2; k++) {
                int64_t t = a[k];
                a[k] = a[n - 1 - k];
                a[n - 1 - k] = t;
            }
        bale_list *core;
        bale_err e = bale_list_create(BALE_DTYPE_INT, &s->opts, &core);
        if (e == BALE_OK) {
            bale_values v = {BALE_DTYPE_INT, n, a, NULL, n * 8};
            e = bale_list_append(core, &v);
            if (e != BALE_OK) bale_list_free(core);
        }
        PyMem_Free(a);
        if (e != BALE_OK) return bale_ext_error(e);
        L_install(s, core);
        Py_RETURN_NONE;
    }
    /* As list.sort: the values move to a Python list and the list looks
     * empty while keys and comparisons run; changes made meanwhile are
     * discarded and reported with ValueError. */
    PyObject *lst = L_tolist(s, NULL);
    if (lst == NULL) return NULL;
    bale_dtype dtype = bale_list_dtype(s->list);
    int undetermined = s->undetermined;
    bale_list *empty_core;
    bale_err e = bale_list_create(dtype, &s->opts, &empty_core);
    if (e != BALE_OK) {
        Py_DECREF(lst);
        return bale_ext_error(e);
    }
    L_install(s, empty_core);
    PyObject *sort = PyObject_GetAttrString(lst, "sort");
    PyObject *kw = sort ? Py_BuildValue("{sOsO}", "key", key, "reverse", reverse ? Py_True : Py_False) : NULL;
    PyObject *empty = kw ? PyTuple_New(0) : NULL;
    PyObject *r = empty ? PyObject_Call(sort, empty, kw) : NULL;
    Py_XDECREF(sort);
    Py_XDECREF(kw);
    Py_XDECREF(empty);
    int modified = bale_list_len(s->list) != 0;
    /* the values go back whatever happened (sorted, or as they were) */
    PyObject *et, *ev, *tb;
    PyErr_Fetch(&et, &ev, &tb);
    int rc = L_rebuild(s, lst, dtype);
    if (et != NULL) {
        if (rc < 0) PyErr_Clear(); /* report the sort's own error */
        PyErr_Restore(et, ev, tb);
    }
    s->undetermined = undetermined && PyList_GET_SIZE(lst) == 0;
    Py_DECREF(lst);
    if (r == NULL || rc < 0) {
        Py_XDECREF(r);
        return NULL;
    }
    Py_DECREF(r);
    if (modified) {
        PyErr_SetString(PyExc_ValueError, "list modified during sort");
        return NULL;
    }
    Py_RETURN_NONE;
}

/* ---- operators ------------------------------------------------------------------ */

static PyObject *L_concat(ListObject *a, PyObject *b) {
    if (!List_Check(b) && !PyList_Check(b)) {
        PyErr_Format(PyExc_TypeError, "can only concatenate bale.List or list (not \"%.200s\") to bale.List",
                     Py_TYPE(b)->tp_name);
        return NULL;
    }
    PyObject *r = L_copy(a, NULL);
    if (r == NULL) return NULL;
    if (L_extend((ListObject *)r, b) < 0) {
        Py_DECREF(r);
        return NULL;
    }
    return r;
}

static PyObject *L_inplace_concat(ListObject *a, PyObject *b) {
    if (L_extend(a, b) < 0) return NULL;
    Py_INCREF(a);
    return (PyObject *)a;
}

static int repeat_into(bale_list *dst, bale_list *src, Py_ssize_t times) {
    uint64_t n = bale_list_len(src);
    for (Py_ssize_t k = 0; k < times; k++) {
        bale_err e = bale_list_extend_list(dst, src, 0, n);
        if (e != BALE_OK) {
            bale_ext_error(e);
            return -1;
        }
    }
    return 0;
}

static PyObject *L_repeat(ListObject *a, Py_ssize_t n) {
    Py_ssize_t len = L_len(a);
    if (n <= 0 || len == 0) return L_empty_like(a);
    if (len > PY_SSIZE_T_MAX / n) return PyErr_NoMemory();
    PyObject *r = L_copy(a, NULL);
    if (r == NULL) return NULL;
    if (repeat_into(((ListObject *)r)->list, a->list, n - 1) < 0) {
        Py_DECREF(r);
        return NULL;
    }
    return r;
}

static PyObject *L_inplace_repeat(ListObject *a, Py_ssize_t n) {
    Py_ssize_t len = L_len(a);
    if (n <= 0) {
        PyObject *r = L_clear(a, NULL);
        if (r == NULL) return NULL;
        Py_DECREF(r);
    } else if (n > 1 && len > 0) {
        if (len > PY_SSIZE_T_MAX / n) return PyErr_NoMemory();
        bale_list *snap;
        bale_err e = bale_list_copy(a->list, &snap);
        if (e != BALE_OK) return bale_ext_error(e);
        int r = repeat_into(a->list, snap, n - 1);
        bale_list_free(snap);
        if (r < 0) return NULL;
    }
    Py_INCREF(a);
    return (PyObject *)a;
}

static Py_ssize_t other_len(PyObject *o) {
    return List_Check(o) ? L_len((ListObject *)o) : PyList_GET_SIZE(o);
}

static PyObject *other_item(PyObject *o, cursor *c, Py_ssize_t i) {
    if (List_Check(o)) return cursor_get((ListObject *)o, c, (uint64_t)i);
    PyObject *x = PyList_GET_ITEM(o, i);
    Py_INCREF(x);
    return x;
}

/* Typed fast path for == between two bale.Lists of one non-object dtype:
 * 1 equal, 0 different, -1 error, 2 not applicable. */
static int typed_equal(ListObject *a, ListObject *b) {
    bale_dtype d = L_dtype(a);
    if (d == 0 || d != L_dtype(b) || d == BALE_DTYPE_OBJECT) return 2;
    uint64_t n = bale_list_len(a->list);
    if (n != bale_list_len(b->list)) return 0;
    cursor ca = {0}, cb = {0};
    int result = 1;
    for (uint64_t i = 0; i < n && result == 1;) {
        uint64_t pa, pb;
        const bale_values *va = cursor_seek(a, &ca, i, &pa);
        const bale_values *vb = va ? cursor_seek(b, &cb, i, &pb) : NULL;
        if (vb == NULL) {
            result = -1;
            break;
        }
        uint64_t m = va->count - pa < vb->count - pb ? va->count - pa : vb->count - pb;
        if (d == BALE_DTYPE_FLOAT) {
            const double *x = (const double *)va->data + pa, *y = (const double *)vb->data + pb;
            for (uint64_t k = 0; k < m; k++)
                if (!(x[k] == y[k])) {
                    result = 0;
                    break;
                }
        } else if (bale_dtype_width(d)) {
            size_t w = bale_dtype_width(d);
            if (m != 0 &&
                memcmp((const char *)va->data + pa * w, (const char *)vb->data + pb * w, (size_t)m * w) != 0)
                result = 0;
        } else {
            for (uint64_t k = 0; k < m; k++) {
                uint64_t la = va->offsets[pa + k + 1] - va->offsets[pa + k];
                uint64_t lb = vb->offsets[pb + k + 1] - vb->offsets[pb + k];
                if (la != lb || (la != 0 && memcmp((const char *)va->data + va->offsets[pa + k],
                                       (const char *)vb->data + vb->offsets[pb + k], (size_t)la) != 0)) {
                    result = 0;
                    break;
                }
            }
        }
        i += m;
    }
    cursor_done(&ca);
    cursor_done(&cb);
    return result;
}

static PyObject *L_richcompare(PyObject *a, PyObject *b, int op) {
    if (!List_Check(a) || !(List_Check(b) || PyList_Check(b))) Py_RETURN_NOTIMPLEMENTED;
    ListObject *s = (ListObject *)a;
    if ((op == Py_EQ || op == Py_NE) && L_len(s) != other_len(b)) {
        if (op == Py_EQ) Py_RETURN_FALSE;
        Py_RETURN_TRUE;
    }
    if ((op == Py_EQ || op == Py_NE) && List_Check(b)) {
        int r = typed_equal(s, (ListObject *)b);
        if (r < 0) return NULL;
        if (r != 2) {
            if ((r == 1) == (op == Py_EQ)) Py_RETURN_TRUE;
            Py_RETURN_FALSE;
        }
    }
    cursor ca = {0}, cb = {0};
    PyObject *x = NULL, *y = NULL, *result = NULL;
    Py_ssize_t i;
    for (i = 0; i < L_len(s) && i < other_len(b); i++) {
        x = cursor_get(s, &ca, (uint64_t)i);
        if (x == NULL) goto done;
        if (i >= other_len(b)) break;
        y = other_item(b, &cb, i);
        if (y == NULL) goto done;
        int k = PyObject_RichCompareBool(x, y, Py_EQ);
        if (k < 0) goto done;
        if (!k) break;
        Py_CLEAR(x);
        Py_CLEAR(y);
    }
    if (x == NULL || y == NULL) {
        Py_ssize_t la = L_len(s), lb = other_len(b);
        Py_CLEAR(x);
        cursor_done(&ca);
        cursor_done(&cb);
        Py_RETURN_RICHCOMPARE(la, lb, op);
    }
    if (op == Py_EQ) result = Py_NewRef(Py_False);
    else if (op == Py_NE) result = Py_NewRef(Py_True);
    else result = PyObject_RichCompare(x, y, op);
done:
    Py_XDECREF(x);
    Py_XDECREF(y);
    cursor_done(&ca);
    cursor_done(&cb);
    return result;
}

/* ---- numeric ------------------------------------------------------------------- */

static PyObject *call_builtin(const char *name, PyObject *arg) {
    PyObject *builtins = PyEval_GetBuiltins(); /* borrowed */
    PyObject *fn = builtins ? PyDict_GetItemString(builtins, name) : NULL;
    if (fn == NULL) {
        PyErr_Format(PyExc_SystemError, "builtin %s not found", name);
        return NULL;
    }
    return PyObject_CallOneArg(fn, arg);
}

__extension__ typedef __int128 bale_i128;

/* Calls fn(ctx, values, from, to) for every block of the list, in order. */
typedef int (*block_fn)(void *ctx, const bale_values *v);
static int for_each_block(ListObject *s, block_fn fn, void *ctx) {
    uint64_t n = bale_list_len(s->list), i = 0;
    while (i < n) {
        bale_list_block *blk;
        uint64_t first;
        bale_err e = bale_list_block_at(s->list, i, 0, &blk, &first);
        if (e != BALE_OK) {
            bale_ext_error(e);
            return -1;
        }
        const bale_values *v = bale_list_block_values(blk);
        int r = fn(ctx, v);
        i = first + v->count;
        bale_list_block_release(blk);
        if (r < 0) return -1;
    }
    return 0;
}

/* Bulk reads of numeric lists decode chunks on bale_ext_nthreads threads
 * with the GIL released.  They visit an O(segments) copy of the list, so
 * other Python threads may write the list meanwhile (the copy keeps what it
 * shares alive; writers copy shared blocks first).  Lists with fewer
 * segments than this are read on the calling thread alone, where starting
 * threads would cost more than it saves. */
#define PAR_MIN_SEGMENTS 8
/* Per-worker accumulators are this far apart (no false sharing). */
#define PAR_STRIDE 64
#define PAR_MAX_WORKERS BALE_EXT_MAX_THREADS

typedef struct par_ctx {
    block_fn fn;
    char *slots; /* worker w's context at slots + w * PAR_STRIDE */
} par_ctx;

static bale_err par_block(void *ctx, unsigned worker, uint64_t seg, uint64_t first,
                          const bale_values *v) {
    (void)seg;
    (void)first;
    par_ctx *p = ctx;
    return p->fn(p->slots + (size_t)worker * PAR_STRIDE, v) < 0 ? BALE_INVALID : BALE_OK;
}

/* Visits a snapshot of s with `visit` on up to bale_ext_nthreads threads,
 * GIL released; *nthreads gets the number asked for.  0 or -1. */
static int visit_snapshot(ListObject *s, bale_list_visit_fn visit, void *ctx, unsigned *nthreads) {
    bale_list *snap;
    bale_err e = bale_list_copy(s->list, &snap);
    if (e != BALE_OK) {
        bale_ext_error(e);
        return -1;
    }
    unsigned nt = bale_list_nsegments(snap) >= PAR_MIN_SEGMENTS ? bale_ext_nthreads : 1;
    if (nthreads) *nthreads = nt;
    Py_BEGIN_ALLOW_THREADS
    e = bale_list_visit(snap, nt, visit, ctx);
    Py_END_ALLOW_THREADS
    bale_list_free(snap);
    if (e != BALE_OK) {
        bale_ext_error(e);
        return -1;
    }
    return 0;
}

/* fn over every block on several threads, each worker with its own context
 * at slots + w * PAR_STRIDE (w < *nthreads), each a copy of `init` (`size`
 * bytes) to start with, for the caller to combine.  For order-free
 * reductions only. */
static int for_each_block_parallel(ListObject *s, block_fn fn, const void *init, size_t size,
                                   char *slots, unsigned *nthreads) {
    for (unsigned w = 0; w < PAR_MAX_WORKERS; w++) memcpy(slots + w * PAR_STRIDE, init, size);
    par_ctx p = {fn, slots};
    return visit_snapshot(s, par_block, &p, nthreads);
}

typedef struct sum_ctx {
    bale_i128 isum;
    double f, c;
} sum_ctx;

static int sum_block(void *ctx, const bale_values *v) {
    sum_ctx *sc = ctx;
    if (v->dtype == BALE_DTYPE_INT) {
        /* exact: x = hi * 2^32 + lo with hi = x >> 32 (floor), lo = the low 32
         * bits; both sums fit 64 bits over 2^31 values, and the loop
         * vectorises (a 128-bit add per value does not) */
        const int64_t *x = v->data;
        for (uint64_t at = 0; at < v->count;) {
            uint64_t m = v->count - at < ((uint64_t)1 << 31) ? v->count - at : (uint64_t)1 << 31;
            int64_t hi = 0;
            uint64_t lo = 0;
            for (uint64_t i = at; i < at + m; i++) {
                hi += x[i] >> 32;
                lo += (uint32_t)x[i];
            }
            sc->isum += (bale_i128)hi * ((bale_i128)1 << 32) + (bale_i128)lo;
            at += m;
        }
    } else if (v->dtype == BALE_DTYPE_BOOL) {
        const uint8_t *x = v->data;
        uint64_t cnt = 0;
        for (uint64_t i = 0; i < v->count; i++) cnt += x[i];
        sc->isum += cnt;
    } else {
        const double *x = v->data;
        double f = sc->f, c = sc->c;
        for (uint64_t i = 0; i < v->count; i++) {
#if PY_VERSION_HEX >= 0x030C0000
            /* builtin sum's compensated (Neumaier) summation since 3.12 */
            double t = f + x[i];
            if (fabs(f) >= fabs(x[i])) c += (f - t) + x[i];
            else c += (x[i] - t) + f;
            f = t;
#else
            f += x[i];
#endif
        }
        sc->f = f;
        sc->c = c;
    }
    return 0;
}

static PyObject *i128_to_py(bale_i128 v) {
    if (v >= INT64_MIN && v <= INT64_MAX) return PyLong_FromLongLong((long long)v);
    int neg = v < 0;
    unsigned __int128 u = neg ? (unsigned __int128)(-(v + 1)) + 1 : (unsigned __int128)v;
    PyObject *hi = PyLong_FromUnsignedLongLong((unsigned long long)(u >> 64));
    PyObject *lo = PyLong_FromUnsignedLongLong((unsigned long long)u);
    PyObject *sh = PyLong_FromLong(64);
    PyObject *t = hi && sh ? PyNumber_Lshift(hi, sh) : NULL;
    PyObject *r = t && lo ? PyNumber_Or(t, lo) : NULL;
    Py_XDECREF(hi);
    Py_XDECREF(lo);
    Py_XDECREF(sh);
    Py_XDECREF(t);
    if (r && neg) {
        PyObject *nr = PyNumber_Negative(r);
        Py_DECREF(r);
        r = nr;
    }
    return r;
}

static int is_numeric(bale_dtype d) {
    return d == BALE_DTYPE_INT || d == BALE_DTYPE_FLOAT || d == BALE_DTYPE_BOOL;
}

static PyObject *L_sum(ListObject *s, PyObject *unused) {
    (void)unused;
    bale_dtype d = L_dtype(s);
    if (L_len(s) == 0) return PyLong_FromLong(0);
    if (!is_numeric(d)) return call_builtin("sum", (PyObject *)s);
    sum_ctx sc = {0, 0.0, 0.0};
    if (d == BALE_DTYPE_FLOAT) {
        /* sequential: a compensated float sum depends on the order */
        if (for_each_block(s, sum_block, &sc) < 0) return NULL;
    } else {
        _Static_assert(sizeof(sum_ctx) <= PAR_STRIDE, "sum_ctx fits a slot");
        _Alignas(PAR_STRIDE) char slots[PAR_MAX_WORKERS * PAR_STRIDE];
        unsigned nt;
        if (for_each_block_parallel(s, sum_block, &sc, sizeof sc, slots, &nt) < 0) return NULL;
        for (unsigned w = 0; w < nt; w++) {
            sum_ctx part;
            memcpy(&part, slots + w * PAR_STRIDE, sizeof part);
            sc.isum += part.isum;
        }
    }
    if (d == BALE_DTYPE_FLOAT) {
        double f = sc.f;
#if PY_VERSION_HEX >= 0x030C0000
        if (sc.c != 0.0 && isfinite(sc.c)) f += sc.c;
#endif
        return PyFloat_FromDouble(f);
    }
    return i128_to_py(sc.isum);
}

typedef struct minmax_ctx {
    int want_max, have;
    int64_t i;
    double f;
} minmax_ctx;

/* Keeps the first extreme value, as builtin min/max: a value replaces the
 * current one only if it compares strictly beyond it (so a leading NaN
 * stays, as in the builtin).  Branch-free selects in tight loops per dtype. */
static int minmax_block(void *ctx, const bale_values *v) {
    minmax_ctx *m = ctx;
    uint64_t n = v->count, k = 0;
    if (n == 0) return 0;
    if (v->dtype == BALE_DTYPE_FLOAT) {
        const double *x = v->data;
        double cur = m->have ? m->f : x[k++];
        if (m->want_max)
            for (; k < n; k++) cur = x[k] > cur ? x[k] : cur;
        else
            for (; k < n; k++) cur = x[k] < cur ? x[k] : cur;
        m->f = cur;
    } else if (v->dtype == BALE_DTYPE_INT) {
        const int64_t *x = v->data;
        int64_t cur = m->have ? m->i : x[k++];
        if (m->want_max)
            for (; k < n; k++) cur = x[k] > cur ? x[k] : cur;
        else
            for (; k < n; k++) cur = x[k] < cur ? x[k] : cur;
        m->i = cur;
    } else {
        const uint8_t *x = v->data;
        uint8_t cur = m->have ? (uint8_t)m->i : x[k++];
        if (m->want_max)
            for (; k < n; k++) cur = x[k] > cur ? x[k] : cur;
        else
            for (; k < n; k++) cur = x[k] < cur ? x[k] : cur;
        m->i = cur;
    }
    m->have = 1;
    return 0;
}

static PyObject *L_minmax(ListObject *s, int want_max) {
    bale_dtype d = L_dtype(s);
    if (L_len(s) == 0) {
        PyErr_Format(PyExc_ValueError, "%s() arg is an empty sequence", want_max ? "max" : "min");
        return NULL;
    }
    if (!is_numeric(d)) return call_builtin(want_max ? "max" : "min", (PyObject *)s);
    minmax_ctx m = {want_max, 0, 0, 0.0};
    if (d == BALE_DTYPE_FLOAT) {
        /* sequential: which NaN or signed zero wins depends on the order */
        if (for_each_block(s, minmax_block, &m) < 0) return NULL;
    } else {
        _Static_assert(sizeof(minmax_ctx) <= PAR_STRIDE, "minmax_ctx fits a slot");
        _Alignas(PAR_STRIDE) char slots[PAR_MAX_WORKERS * PAR_STRIDE];
        unsigned nt;
        if (for_each_block_parallel(s, minmax_block, &m, sizeof m, slots, &nt) < 0) return NULL;
        for (unsigned w = 0; w < nt; w++) {
            minmax_ctx part;
            memcpy(&part, slots + w * PAR_STRIDE, sizeof part);
            if (!part.have) continue;
            if (!m.have || (want_max ? part.i > m.i : part.i < m.i)) m.i = part.i;
            m.have = 1;
        }
    }
    if (d == BALE_DTYPE_FLOAT) return PyFloat_FromDouble(m.f);
    if (d == BALE_DTYPE_BOOL) return PyBool_FromLong((long)m.i);
    return PyLong_FromLongLong(m.i);
}

static PyObject *L_min(ListObject *s, PyObject *unused) {
    (void)unused;
    return L_minmax(s, 0);
}
static PyObject *L_max(ListObject *s, PyObject *unused) {
    (void)unused;
    return L_minmax(s, 1);
}

typedef struct copy_ctx {
    char *dst;
    size_t width;
    uint64_t cap; /* bytes at dst */
} copy_ctx;

/* Copies a segment's values to their place in the array (any worker). */
static bale_err copy_seg(void *ctx, unsigned worker, uint64_t seg, uint64_t first,
                         const bale_values *v) {
    (void)worker;
    (void)seg;
    copy_ctx *c = ctx;
    uint64_t at = first * c->width;
    if (at > c->cap || v->data_size > c->cap - at) return BALE_CORRUPT; /* cannot happen */
    memcpy(c->dst + at, v->data, (size_t)v->data_size);
    return BALE_OK;
}

static PyObject *L_to_numpy(ListObject *s, PyObject *unused) {
    (void)unused;
    bale_dtype d = L_dtype(s);
    if (d == 0 && L_len(s) == 0) d = BALE_DTYPE_FLOAT;
    if (!is_numeric(d)) {
        PyErr_Format(PyExc_TypeError,
                     "to_numpy() needs dtype 'int', 'float' or 'bool'; this list has dtype '%s'",
                     bale_dtype_name(d));
        return NULL;
    }
    PyObject *np = PyImport_ImportModule("numpy");
    if (np == NULL) {
        if (PyErr_ExceptionMatches(PyExc_ImportError)) {
            PyErr_Clear();
            PyErr_SetString(PyExc_ImportError,
                            "bale.List.to_numpy() needs numpy, which is not installed "
                            "(pip install numpy)");
        }
        return NULL;
    }
    const char *npd = d == BALE_DTYPE_INT ? "int64" : d == BALE_DTYPE_FLOAT ? "float64" : "bool";
    PyObject *arr = PyObject_CallMethod(np, "empty", "ns", L_len(s), npd);
    Py_DECREF(np);
    if (arr == NULL) return NULL;
    Py_buffer view;
    if (PyObject_GetBuffer(arr, &view, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS) < 0) {
        Py_DECREF(arr);
        return NULL;
    }
    copy_ctx c = {view.buf, bale_dtype_width(d), (uint64_t)view.len};
    int r;
    if (L_dtype(s) != d || (uint64_t)view.len != L_len(s) * c.width) {
        /* code that importing numpy or numpy.empty ran (a finalizer, another
         * thread) changed the list */
        PyErr_SetString(PyExc_RuntimeError, "bale.List changed during to_numpy()");
        r = -1;
    } else {
        r = visit_snapshot(s, copy_seg, &c, NULL); /* a snapshot: writes from now on are not seen */
    }
    PyBuffer_Release(&view);
    if (r < 0) {
        Py_DECREF(arr);
        return NULL;
    }
    return arr;
}

/* ---- pickling ------------------------------------------------------------------- */

static PyObject *L_reduce(ListObject *s, PyObject *unused) {
    (void)unused;
    PyObject *chunks = PyList_New(0);
    if (chunks == NULL) return NULL;
    const bale_symtab *last_tab = NULL;
    PyObject *last_tab_bytes = NULL;
    uint64_t nseg = bale_list_nsegments(s->list);
    for (uint64_t k = 0; k < nseg; k++) {
        bale_chunk *c;
        bale_err e = bale_list_segment_chunk(s->list, k, &c);
        if (e != BALE_OK) {
            Py_XDECREF(last_tab_bytes);
            Py_DECREF(chunks);
            return bale_ext_error(e);
        }
        size_t size;
        const void *bytes = bale_chunk_bytes(c, &size);
        PyObject *b = PyBytes_FromStringAndSize(bytes, (Py_ssize_t)size);
        /* A chunk that uses a shared table is pickled as (table, chunk); one
         * bytes object per table, so that pickle's memo stores it once. */
        const bale_symtab *tab = bale_chunk_symtab(c);
        if (b != NULL && tab != NULL) {
            if (tab != last_tab) {
                size_t tsize;
                const void *tbytes = bale_symtab_bytes(tab, &tsize);
                Py_XDECREF(last_tab_bytes);
                last_tab_bytes = PyBytes_FromStringAndSize(tbytes, (Py_ssize_t)tsize);
                last_tab = tab;
            }
            PyObject *pair = last_tab_bytes ? PyTuple_Pack(2, last_tab_bytes, b) : NULL;
            Py_DECREF(b);
            b = pair;
        }
        if (b == NULL || PyList_Append(chunks, b) < 0) {
            Py_XDECREF(b);
            Py_XDECREF(last_tab_bytes);
            Py_DECREF(chunks);
            return NULL;
        }
        Py_DECREF(b);
    }
    Py_XDECREF(last_tab_bytes);
    PyObject *ctor = PyObject_GetAttrString((PyObject *)Py_TYPE(s), "_from_chunks");
    PyObject *dname = bale_conv_dtype_name(L_dtype(s));
    PyObject *state = NULL;
    if (Py_TYPE(s) != &List_Type) {
        state = PyObject_GetAttrString((PyObject *)s, "__dict__");
        if (state == NULL) PyErr_Clear();
    }
    PyObject *r = NULL;
    if (ctor && dname) {
        if (state)
            r = Py_BuildValue("O(OOOO)O", ctor, dname, s->codec, s->inferred ? Py_True : Py_False,
                              chunks, state);
        else
            r = Py_BuildValue("O(OOOO)", ctor, dname, s->codec, s->inferred ? Py_True : Py_False,
                              chunks);
    }
    Py_XDECREF(ctor);
    Py_XDECREF(dname);
    Py_XDECREF(state);
    Py_DECREF(chunks);
    return r;
}

/* _chunks() -> [(count, encoding, backend, encoded bytes, raw bytes)]: for
 * tests and tuning (seals open segments first). */
static PyObject *L_chunks_info(ListObject *s, PyObject *unused) {
    (void)unused;
    PyObject *out = PyList_New(0);
    if (out == NULL) return NULL;
    uint64_t nseg = bale_list_nsegments(s->list);
    for (uint64_t k = 0; k < nseg; k++) {
        bale_chunk *c;
        bale_err e = bale_list_segment_chunk(s->list, k, &c);
        if (e != BALE_OK) {
            Py_DECREF(out);
            return bale_ext_error(e);
        }
        const char *enc = bale_encoding_name(bale_chunk_encoding(c));
        const char *bk = bale_backend_name(bale_chunk_backend(c));
        PyObject *t = Py_BuildValue("(KssKK)", (unsigned long long)bale_chunk_count(c), enc ? enc : "?",
                                    bk ? bk : "?", (unsigned long long)bale_chunk_encoded_size(c),
                                    (unsigned long long)bale_chunk_raw_size(c));
        if (t == NULL || PyList_Append(out, t) < 0) {
            Py_XDECREF(t);
            Py_DECREF(out);
            return NULL;
        }
        Py_DECREF(t);
    }
    return out;
}

/* _from_chunks(dtype, codec, inferred, chunks): the unpickler.  Every chunk is
 * validated; anything wrong raises CorruptDataError. */
static PyObject *L_from_chunks(PyObject *cls, PyObject *args) {
    PyObject *dtype_obj, *codec, *chunks;
    int inferred;
    if (!PyArg_ParseTuple(args, "OOpO:_from_chunks", &dtype_obj, &codec, &inferred, &chunks))
        return NULL;
    bale_dtype d;
    if (bale_conv_parse_dtype(dtype_obj, &d) < 0) return NULL;
    bale_codec_opts opts = bale_codec_opts_auto();
    if (!(PyUnicode_Check(codec) && PyUnicode_CompareWithASCIIString(codec, "auto") == 0) &&
        bale_ext_parse_codec(codec, &opts) < 0)
        return NULL;
    PyObject *seq = PySequence_Fast(chunks, "chunks must be a sequence of bytes");
    if (seq == NULL) return NULL;
    if (d == 0 && PySequence_Fast_GET_SIZE(seq) > 0) {
        Py_DECREF(seq);
        PyErr_SetString(bale_CorruptDataError, "bale.List pickle: chunks without a dtype");
        return NULL;
    }
    bale_list *core;
    bale_err e = bale_list_create(d ? d : BALE_DTYPE_INT, &opts, &core);
    if (e != BALE_OK) {
        Py_DECREF(seq);
        return bale_ext_error(e);
    }
    /* Items are chunk bytes, or (table bytes, chunk bytes) for a chunk
     * that uses a shared table; the last table is kept for the next item
     * that carries the same bytes object. */
    PyObject *tab_obj = NULL;
    bale_symtab *tab = NULL;
    Py_ssize_t i;
    for (i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
        const bale_symtab *use = NULL;
        if (PyTuple_Check(item)) {
            e = BALE_CORRUPT;
            if (PyTuple_GET_SIZE(item) != 2) goto bad_chunk;
            PyObject *tb = PyTuple_GET_ITEM(item, 0);
            if (tb != tab_obj) {
                Py_buffer tview;
                if (PyObject_GetBuffer(tb, &tview, PyBUF_SIMPLE) < 0) goto fail;
                bale_symtab_decref(tab);
                tab = NULL;
                tab_obj = NULL;
                e = bale_symtab_from_bytes(tview.buf, (size_t)tview.len, &tab);
                PyBuffer_Release(&tview);
                if (e != BALE_OK) goto bad_chunk;
                tab_obj = tb;
            }
            use = tab;
            item = PyTuple_GET_ITEM(item, 1);
        }
        Py_buffer view;
        if (PyObject_GetBuffer(item, &view, PyBUF_SIMPLE) < 0) goto fail;
        bale_chunk *c = NULL;
        e = bale_chunk_from_bytes_with(view.buf, (size_t)view.len, use, &c);
        PyBuffer_Release(&view);
        if (e == BALE_OK) {
            e = bale_list_append_chunk(core, c);
            bale_chunk_decref(c);
        }
        if (e != BALE_OK) goto bad_chunk;
    }
    bale_symtab_decref(tab);
    Py_DECREF(seq);
    if (!PyType_Check(cls) || !PyType_IsSubtype((PyTypeObject *)cls, &List_Type)) {
        bale_list_free(core);
        PyErr_SetString(PyExc_TypeError, "_from_chunks needs a bale.List type");
        return NULL;
    }
    return L_wrap((PyTypeObject *)cls, core, inferred || d == 0, d == 0, opts, codec);
bad_chunk:
    if (e == BALE_NOMEM)
        PyErr_NoMemory();
    else
        PyErr_Format(bale_CorruptDataError, "bale.List pickle: chunk %zd: %s", i,
                     e == BALE_TYPE ? "dtype differs from the list's" : bale_strerror(e));
fail:
    bale_symtab_decref(tab);
    bale_list_free(core);
    Py_DECREF(seq);
    return NULL;
}

/* ---- repr and properties -------------------------------------------------------- */

static PyObject *L_repr(ListObject *s) {
    Py_ssize_t n = L_len(s);
    PyObject *parts = PyList_New(0);
    if (parts == NULL) return NULL;
    PyObject *r = NULL, *body = NULL, *sep = NULL, *dname = NULL;
    char *ratio = NULL;
    cursor c = {0};
    int trunc = n > REPR_FULL_MAX;
    for (Py_ssize_t i = 0; i < n && i < L_len(s); i++) {
        if (trunc && i == REPR_EDGE) {
            PyObject *dots = PyUnicode_FromString("...");
            if (dots == NULL || PyList_Append(parts, dots) < 0) {
                Py_XDECREF(dots);
                goto done;
            }
            Py_DECREF(dots);
            i = n - REPR_EDGE;
        }
        PyObject *x = cursor_get(s, &c, (uint64_t)i);
        if (x == NULL) goto done;
        PyObject *xr = PyObject_Repr(x);
        Py_DECREF(x);
        if (xr == NULL || PyList_Append(parts, xr) < 0) {
            Py_XDECREF(xr);
            goto done;
        }
        Py_DECREF(xr);
    }
    sep = PyUnicode_FromString(", ");
    if (sep == NULL) goto done;
    body = PyUnicode_Join(sep, parts);
    if (body == NULL) goto done;
    dname = bale_conv_dtype_name(L_dtype(s));
    if (dname == NULL) goto done;
    uint64_t nb = bale_list_nbytes(s->list), raw = bale_list_raw_nbytes(s->list);
    ratio = PyOS_double_to_string(nb ? (double)raw / (double)nb : 1.0, 'f', 1, 0, NULL);
    if (ratio == NULL) goto done;
    r = PyUnicode_FromFormat("%s([%U], len=%zd, dtype=%R, ratio=%sx)", Py_TYPE(s)->tp_name, body,
                             n, dname, ratio);
done:
    cursor_done(&c);
    PyMem_Free(ratio);
    Py_XDECREF(parts);
    Py_XDECREF(sep);
    Py_XDECREF(body);
    Py_XDECREF(dname);
    return r;
}

static PyObject *L_get_dtype(ListObject *s, void *closure) {
    (void)closure;
    return bale_conv_dtype_name(L_dtype(s));
}
static PyObject *L_get_codec(ListObject *s, void *closure) {
    (void)closure;
    return Py_NewRef(s->codec);
}
static PyObject *L_get_nbytes(ListObject *s, void *closure) {
    (void)closure;
    return PyLong_FromUnsignedLongLong(bale_list_nbytes(s->list));
}
static PyObject *L_get_raw_nbytes(ListObject *s, void *closure) {
    (void)closure;
    return PyLong_FromUnsignedLongLong(bale_list_raw_nbytes(s->list));
}
static PyObject *L_sizeof(ListObject *s, PyObject *unused) {
    (void)unused;
    return PyLong_FromUnsignedLongLong((unsigned long long)Py_TYPE(s)->tp_basicsize +
                                       bale_list_nbytes(s->list));
}

/* ---- iterator ------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    ListObject *seq; /* strong; NULL once exhausted */
    Py_ssize_t index;
    int reversed;
    reader r;
    /* Elements of the reader's block made ahead (see it_make_ahead): objs[j]
     * is a strong reference to element r.first + j, or NULL once handed out.
     * objs_n is r.count while they are in use, else 0. */
    PyObject **objs;
    uint64_t objs_n, objs_cap;
} ListIter;

static PyObject *L_make_iter(ListObject *s, int reversed) {
    ListIter *it = PyObject_GC_New(ListIter, &ListIter_Type);
    if (it == NULL) return NULL;
    Py_INCREF(s);
    it->seq = s;
    it->reversed = reversed;
    it->index = reversed ? L_len(s) - 1 : 0;
    memset(&it->r, 0, sizeof it->r);
    it->objs = NULL;
    it->objs_n = it->objs_cap = 0;
    PyObject_GC_Track(it);
    return (PyObject *)it;
}

static PyObject *L_iter(ListObject *s) { return L_make_iter(s, 0); }
static PyObject *L_reversed(ListObject *s, PyObject *unused) {
    (void)unused;
    return L_make_iter(s, 1);
}

/* Drops the elements made ahead and not handed out. */
static void it_drop_ahead(ListIter *it) {
    for (uint64_t j = 0; j < it->objs_n; j++) Py_XDECREF(it->objs[j]);
    it->objs_n = 0;
}

/* Makes every element of the reader's fresh block at once when it is in id
 * form (an incref each), and every int when the value cache is on.  One pass over the block keeps the per-element call small, and an
 * int equal to the one before it (sorted columns hold long runs) costs one
 * compare.  (Measured on strs this was slower than making them one at a
 * time: their cache probe is larger.)  On failure it makes nothing, and the
 * per-element path takes over. */
static void it_make_ahead(ListIter *it) {
    reader *r = &it->r;
    if (!r->ids && (!r->cache_on || r->dtype != BALE_DTYPE_INT)) return;
    if (r->count > it->objs_cap) {
        PyObject **o = PyMem_Realloc(it->objs, (size_t)r->count * sizeof *o);
        if (o == NULL) return;
        it->objs = o;
        it->objs_cap = r->count;
    }
    uint64_t j = 0;
    if (r->ids) { /* a block in id form: an incref per element */
        for (; j < r->count; j++) {
            PyObject *o = rd_id(r, r->ids[j]);
            if (o == NULL) break;
            it->objs[j] = o;
        }
    } else {
        const int64_t *d = (const int64_t *)r->data;
        PyObject *prev = NULL;
        for (; j < r->count; j++) {
            PyObject *o = j > 0 && d[j] == d[j - 1] ? Py_NewRef(prev) : rd_int(r, d[j]);
            if (o == NULL) break;
            it->objs[j] = prev = o;
        }
    }
    if (j < r->count) { /* out of memory: make them one at a time instead */
        PyErr_Clear();
        it->objs_n = j;
        it_drop_ahead(it);
        return;
    }
    it->objs_n = r->count;
}

static void LI_dealloc(ListIter *it) {
    PyObject_GC_UnTrack(it);
    it_drop_ahead(it);
    PyMem_Free(it->objs);
    rd_done(&it->r);
    Py_XDECREF(it->seq);
    PyObject_GC_Del(it);
}

/* The reader's cache and the elements made ahead are ints and strs, which
 * hold no references. */
static int LI_traverse(ListIter *it, visitproc visit, void *arg) {
    Py_VISIT(it->seq);
    return 0;
}

/* Index-based, as list's iterator: element `index` of the list as it is now.
 * The per-element cost is one compare of the block range and of the list's
 * version; any change of the list makes the next call refetch by index.
 * LI_next is the path of an element made ahead, kept small so that it needs
 * few registers; everything else is LI_next_slow. */
static __attribute__((noinline)) PyObject *LI_next_slow(ListIter *it) {
    ListObject *s = it->seq;
    if (s == NULL) return NULL;
    reader *r = &it->r;
    Py_ssize_t i = it->index;
    if (!rd_fresh(s, r, (uint64_t)i)) {
        it_drop_ahead(it);
        if (i < 0 || (uint64_t)i >= bale_list_len(s->list)) {
            it->seq = NULL;
            rd_done(r);
            Py_DECREF(s);
            return NULL;
        }
        if (rd_fetch(s, r, (uint64_t)i) < 0) return NULL;
        /* only on entering a block: after a change of the list mid-block
         * (a loop that appends as it goes), the rest of it goes one by one,
         * so making ahead costs at most one block's pass per block */
        if ((uint64_t)i - r->first == (it->reversed ? r->count - 1 : 0)) it_make_ahead(it);
    }
    uint64_t j = (uint64_t)i - r->first;
    PyObject *x;
    if (j < it->objs_n && it->objs[j] != NULL) {
        x = it->objs[j];
        it->objs[j] = NULL;
    } else {
        x = r->ids                       ? rd_id(r, r->ids[j])
            : r->dtype == BALE_DTYPE_INT ? rd_int(r, ((const int64_t *)r->data)[j])
            : r->dtype == BALE_DTYPE_STR ? rd_str(r, j)
                                         : rd_elem(r, j);
    }
    if (x != NULL) it->index = it->reversed ? i - 1 : i + 1;
    return x;
}

static PyObject *LI_next(ListIter *it) {
    ListObject *s = it->seq;
    uint64_t i = (uint64_t)it->index;
    if (s != NULL && it->objs_n != 0 && rd_fresh(s, &it->r, i)) {
        PyObject **p = &it->objs[i - it->r.first];
        PyObject *x = *p;
        if (x != NULL) {
            *p = NULL;
            it->index += it->reversed ? -1 : 1;
            return x;
        }
    }
    return LI_next_slow(it);
}

static PyObject *LI_length_hint(ListIter *it, PyObject *unused) {
    (void)unused;
    Py_ssize_t n = 0;
    if (it->seq != NULL) {
        Py_ssize_t len = L_len(it->seq);
        if (it->reversed) n = it->index < len ? it->index + 1 : 0;
        else n = len - it->index;
        if (n < 0) n = 0;
    }
    return PyLong_FromSsize_t(n);
}

static PyMethodDef LI_methods[] = {
    {"__length_hint__", (PyCFunction)LI_length_hint, METH_NOARGS, "Elements left (a hint)."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject ListIter_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "bale._bale.ListIterator",
    .tp_basicsize = sizeof(ListIter),
    .tp_dealloc = (destructor)LI_dealloc,
    .tp_getattro = PyObject_GenericGetAttr,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_traverse = (traverseproc)LI_traverse,
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = (iternextfunc)LI_next,
    .tp_methods = LI_methods,
};

/* ---- the type ------------------------------------------------------------------- */

static PyMethodDef L_methods[] = {
    {"append", (PyCFunction)L_append, METH_O, "append(value)\n\nAppends a value."},
    {"extend", (PyCFunction)L_extend_m, METH_O,
     "extend(iterable)\n\nAppends every value of an iterable, consumed a chunk at a time."},
    {"insert", (PyCFunction)(void (*)(void))L_insert, METH_FASTCALL,
     "insert(index, value)\n\nInserts a value before index."},
    {"pop", (PyCFunction)(void (*)(void))L_pop, METH_FASTCALL,
     "pop(index=-1)\n\nRemoves and returns the value at index."},
    {"remove", (PyCFunction)L_remove, METH_O, "remove(value)\n\nRemoves the first equal value."},
    {"index", (PyCFunction)(void (*)(void))L_index, METH_FASTCALL,
     "index(value, start=0, stop=sys.maxsize)\n\nFirst index of an equal value."},
    {"count", (PyCFunction)L_count, METH_O, "count(value)\n\nNumber of equal values."},
    {"clear", (PyCFunction)L_clear, METH_NOARGS, "clear()\n\nRemoves every value."},
    {"copy", (PyCFunction)L_copy, METH_NOARGS,
     "copy()\n\nA copy sharing every chunk (copy on write): O(number of chunks)."},
    {"__copy__", (PyCFunction)L_copy, METH_NOARGS, NULL},
    {"__deepcopy__", (PyCFunction)L_deepcopy, METH_O, NULL},
    {"reverse", (PyCFunction)L_reverse, METH_NOARGS, "reverse()\n\nReverses in place."},
    {"sort", (PyCFunction)(void (*)(void))L_sort, METH_VARARGS | METH_KEYWORDS,
     "sort(*, key=None, reverse=False)\n\nSorts in place, stably."},
    {"tolist", (PyCFunction)L_tolist, METH_NOARGS, "tolist()\n\nA Python list of the values."},
    {"to_numpy", (PyCFunction)L_to_numpy, METH_NOARGS,
     "to_numpy()\n\nA numpy array of the values (numeric dtypes), without a Python object per value."},
    {"sum", (PyCFunction)L_sum, METH_NOARGS, "sum()\n\nSum of the values (as builtin sum())."},
    {"min", (PyCFunction)L_min, METH_NOARGS, "min()\n\nSmallest value (as builtin min())."},
    {"max", (PyCFunction)L_max, METH_NOARGS, "max()\n\nLargest value (as builtin max())."},
    {"__reversed__", (PyCFunction)L_reversed, METH_NOARGS, NULL},
    {"__reduce__", (PyCFunction)L_reduce, METH_NOARGS, NULL},
    {"__sizeof__", (PyCFunction)L_sizeof, METH_NOARGS, NULL},
    {"_from_chunks", (PyCFunction)L_from_chunks, METH_VARARGS | METH_CLASS,
     "_from_chunks(dtype, codec, inferred, chunks)\n\nThe unpickler: validates every chunk."},
    {"_chunks", (PyCFunction)L_chunks_info, METH_NOARGS,
     "_chunks()\n\n[(count, encoding, backend, encoded_bytes, raw_bytes)] per chunk (seals first)."},
    {"__class_getitem__", Py_GenericAlias, METH_O | METH_CLASS, "See PEP 585."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef L_getset[] = {
    {"dtype", (getter)L_get_dtype, NULL, "Element type: 'int', 'float', 'bool', 'str', 'bytes', 'object', or None.", NULL},
    {"codec", (getter)L_get_codec, NULL, "The codec argument the list was made with.", NULL},
    {"nbytes", (getter)L_get_nbytes, NULL, "Bytes the list owns now (shared chunks split among their owners).", NULL},
    {"raw_nbytes", (getter)L_get_raw_nbytes, NULL, "Bytes the values take uncompressed.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PySequenceMethods L_as_sequence = {
    .sq_length = (lenfunc)L_length,
    .sq_concat = (binaryfunc)L_concat,
    .sq_repeat = (ssizeargfunc)L_repeat,
    .sq_item = (ssizeargfunc)L_sq_item,
    .sq_contains = (objobjproc)L_contains,
    .sq_inplace_concat = (binaryfunc)L_inplace_concat,
    .sq_inplace_repeat = (ssizeargfunc)L_inplace_repeat,
};

static PyMappingMethods L_as_mapping = {
    .mp_length = (lenfunc)L_length,
    .mp_subscript = (binaryfunc)L_subscript,
    .mp_ass_subscript = (objobjargproc)L_ass_subscript,
};

PyDoc_STRVAR(L_doc,
             "List(iterable=(), dtype=None, *, codec='auto')\n\n"
             "A list of values of one dtype kept in compressed, shared chunks.\n"
             "dtype is 'int', 'float', 'bool', 'str', 'bytes', 'object' or None (inferred\n"
             "from the values, widening to 'object' for mixed values).");

static PyTypeObject List_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "bale.List",
    .tp_basicsize = sizeof(ListObject),
    .tp_dealloc = (destructor)L_dealloc,
    .tp_repr = (reprfunc)L_repr,
    .tp_as_sequence = &L_as_sequence,
    .tp_as_mapping = &L_as_mapping,
    .tp_hash = PyObject_HashNotImplemented,
    .tp_getattro = PyObject_GenericGetAttr,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_SEQUENCE,
    .tp_doc = L_doc,
    .tp_richcompare = L_richcompare,
    .tp_weaklistoffset = offsetof(ListObject, weakreflist),
    .tp_iter = (getiterfunc)L_iter,
    .tp_methods = L_methods,
    .tp_getset = L_getset,
    .tp_init = (initproc)L_init,
    .tp_new = L_new,
};

int bale_ext_list_init(PyObject *module) {
    if (PyType_Ready(&List_Type) < 0 || PyType_Ready(&ListIter_Type) < 0) return -1;
    Py_INCREF(&List_Type);
    if (PyModule_AddObject(module, "List", (PyObject *)&List_Type) < 0) {
        Py_DECREF(&List_Type);
        return -1;
    }
    return 0;
}
