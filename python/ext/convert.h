/*
 * convert.h - Python values to and from the core's typed values.
 *
 * Shared by the container types (list_type.c, dict_type.c).  Memory here is
 * the binding's (PyMem), not the core's: a bale_conv_buf is a staging area
 * that the caller hands to the core (which copies what it keeps).
 *
 * dtype rules (docs/design-list.md):
 *  - explicit dtype ("strict"): int takes int and int subclasses except bool
 *    (and objects with __index__, such as numpy integers), raising
 *    OverflowError beyond 64 bits; float takes float, its subclasses, and
 *    int (converted; OverflowError if too large); bool takes only True and
 *    False; str takes str (and subclasses, stored as str); bytes takes
 *    bytes (and subclasses); object takes anything picklable.  Any other
 *    value raises TypeError naming both types.
 *  - inferred dtype ("loose"): a value keeps the dtype only if it is of the
 *    dtype's exact type (an int within 64 bits for int); otherwise the push
 *    reports "does not fit" and the container widens to object, so values
 *    come back with their own types.
 */
#ifndef BALE_CONVERT_H
#define BALE_CONVERT_H

#include "bale_ext.h"

/* Parses a dtype argument: None -> *out = 0 (infer); "int", "float", "bool",
 * "str", "bytes", "object" or the types int, float, bool, str, bytes, object.
 * Returns 0, or -1 with ValueError/TypeError set. */
int bale_conv_parse_dtype(PyObject *obj, bale_dtype *out);

/* New reference: the dtype's name as a str, or None for 0. */
PyObject *bale_conv_dtype_name(bale_dtype dtype);

/* The dtype an inferred container gives `v`: exact bool, int within 64 bits,
 * float, str, bytes; anything else (subclasses, big ints, None, ...) is
 * object.  Never fails. */
bale_dtype bale_conv_infer(PyObject *v);

/* The dtype holding values of both a and b: a when equal, the other when
 * one is 0 (undetermined), else object. */
bale_dtype bale_conv_widen(bale_dtype a, bale_dtype b);

/* A growable run of typed values (the binding's memory). */
typedef struct bale_conv_buf {
    bale_dtype dtype;
    uint64_t count;
    char *data;
    size_t data_size, data_cap;
    uint64_t *offsets; /* var-width: count+1 entries */
    size_t off_cap;
} bale_conv_buf;

void bale_conv_buf_init(bale_conv_buf *b, bale_dtype dtype);
/* Empties the buffer, keeping its memory; sets the dtype. */
void bale_conv_buf_reset(bale_conv_buf *b, bale_dtype dtype);
void bale_conv_buf_free(bale_conv_buf *b);
/* Raw bytes held (bale_chunk_raw_size's rule). */
uint64_t bale_conv_buf_raw(const bale_conv_buf *b);
/* A borrowed view of the values (valid until the next change). */
bale_values bale_conv_buf_values(const bale_conv_buf *b);
/* A borrowed one-element view of element i. */
bale_values bale_conv_buf_one(const bale_conv_buf *b, uint64_t i, uint64_t *off_storage);

/* Appends `v` converted to b->dtype.  strict: the rules for an explicit
 * dtype.  Returns 0 on success; 1 when !strict and v does not fit the dtype
 * (nothing set: the caller widens); -1 with an exception set. */
int bale_conv_buf_push(bale_conv_buf *b, PyObject *v, int strict);
/* Appends element i of `v` (same dtype) as raw bytes.  0 or -1 (MemoryError). */
int bale_conv_buf_push_raw(bale_conv_buf *b, const bale_values *v, uint64_t i);

/* New reference: element i of v as a Python object (int, float, bool, str
 * decoded as UTF-8 with surrogatepass, bytes, or the unpickled object). */
PyObject *bale_conv_to_py(const bale_values *v, uint64_t i);

/* The message for a value that an explicit dtype refuses: sets TypeError
 * "<container> of dtype 'int' cannot hold a value of type 'str'"; returns -1. */
int bale_conv_type_error(const char *container, bale_dtype dtype, PyObject *v);

#endif
