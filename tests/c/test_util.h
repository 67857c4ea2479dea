/* test_util.h - helpers shared by the C tests: building values, round trips. */
#ifndef BALE_TEST_UTIL_H
#define BALE_TEST_UTIL_H

#include "bale_test.h"

/* Values over caller-owned arrays (no allocation). */
static inline bale_values tu_ints(const int64_t *v, uint64_t n) {
    bale_values x = {BALE_DTYPE_INT, n, (void *)(uintptr_t)v, NULL, n * 8};
    return x;
}
static inline bale_values tu_floats(const double *v, uint64_t n) {
    bale_values x = {BALE_DTYPE_FLOAT, n, (void *)(uintptr_t)v, NULL, n * 8};
    return x;
}
static inline bale_values tu_bools(const uint8_t *v, uint64_t n) {
    bale_values x = {BALE_DTYPE_BOOL, n, (void *)(uintptr_t)v, NULL, n};
    return x;
}

/* Builds str values from a NULL-free array of C strings; free with tu_free. */
static inline bale_values tu_strs(bale_dtype dtype, const char *const *s, uint64_t n) {
    bale_values x = {dtype, n, NULL, NULL, 0};
    x.offsets = malloc((n + 1) * sizeof(uint64_t));
    uint64_t total = 0;
    x.offsets[0] = 0;
    for (uint64_t i = 0; i < n; i++) x.offsets[i + 1] = total += strlen(s[i]);
    x.data = malloc(total ? total : 1);
    for (uint64_t i = 0; i < n; i++) memcpy((char *)x.data + x.offsets[i], s[i], x.offsets[i + 1] - x.offsets[i]);
    x.data_size = total;
    return x;
}
static inline void tu_free(bale_values *x) {
    free(x->data);
    free(x->offsets);
    memset(x, 0, sizeof *x);
}

/* Asserts a and b hold the same values (bit patterns for floats). */
static inline void tu_assert_same(const bale_values *a, const bale_values *b) {
    ASSERT_EQ(a->dtype, b->dtype);
    ASSERT_U64_EQ(a->count, b->count);
    ASSERT_U64_EQ(a->data_size, b->data_size);
    ASSERT_MEM_EQ(a->data, b->data, (size_t)a->data_size);
    if (bale_dtype_width(a->dtype) == 0)
        ASSERT_MEM_EQ(a->offsets, b->offsets, (size_t)(a->count + 1) * 8);
}

/* When the chunk decodes to a dictionary and ids (bale_chunk_decode_ids),
 * checks that they give `want`'s values, bytes for bytes, and returns 1;
 * returns 0 when it does not (BALE_UNSUPPORTED). */
static inline int tu_check_ids(const bale_chunk *c, const bale_values *want) {
    bale_values dict, ids;
    bale_err err = bale_chunk_decode_ids(c, &dict, &ids);
    if (err == BALE_UNSUPPORTED) return 0;
    ASSERT_OK(err);
    ASSERT_EQ(dict.dtype, want->dtype);
    ASSERT_EQ(ids.dtype, BALE_DTYPE_INT);
    ASSERT_U64_EQ(ids.count, want->count);
    size_t w = bale_dtype_width(want->dtype);
    for (uint64_t i = 0; i < want->count; i++) {
        uint64_t id = ((const uint64_t *)ids.data)[i];
        ASSERT_TRUE(id < dict.count);
        if (w) {
            ASSERT_MEM_EQ((const char *)dict.data + id * w, (const char *)want->data + i * w, w);
        } else {
            uint64_t len = want->offsets[i + 1] - want->offsets[i];
            ASSERT_U64_EQ(dict.offsets[id + 1] - dict.offsets[id], len);
            ASSERT_MEM_EQ((const char *)dict.data + dict.offsets[id],
                          (const char *)want->data + want->offsets[i], (size_t)len);
        }
    }
    bale_values_free(&dict);
    bale_values_free(&ids);
    return 1;
}

/* Encodes with `opts`, checks validate/from_bytes, decodes, compares every
 * value whole and one at a time.  Returns the encoded size. */
static inline uint64_t tu_roundtrip(const bale_values *in, bale_codec_opts opts) {
    bale_chunk *c = NULL;
    ASSERT_OK(bale_chunk_encode(in, &opts, &c));
    ASSERT_U64_EQ(bale_chunk_count(c), in->count);
    size_t size;
    const void *bytes = bale_chunk_bytes(c, &size);
    ASSERT_OK(bale_chunk_validate(bytes, size));
    bale_chunk *c2 = NULL;
    ASSERT_OK(bale_chunk_from_bytes(bytes, size, &c2));
    bale_values out;
    ASSERT_OK(bale_chunk_decode(c2, &out));
    tu_assert_same(in, &out);
    bale_values_free(&out);
    (void)tu_check_ids(c2, in);
    uint64_t step = in->count > 64 ? in->count / 61 : 1;
    for (uint64_t i = 0; i < in->count; i += step) {
        bale_values one;
        ASSERT_OK(bale_chunk_get(c, i, &one));
        bale_values want = {0};
        size_t w = bale_dtype_width(in->dtype);
        ASSERT_U64_EQ(one.count, 1);
        if (w) {
            ASSERT_MEM_EQ(one.data, (const char *)in->data + i * w, w);
        } else {
            uint64_t len = in->offsets[i + 1] - in->offsets[i];
            ASSERT_U64_EQ(one.data_size, len);
            ASSERT_MEM_EQ(one.data, (const char *)in->data + in->offsets[i], (size_t)len);
        }
        (void)want;
        bale_values_free(&one);
    }
    bale_values one;
    ASSERT_ERR(bale_chunk_get(c, in->count, &one), BALE_RANGE);
    uint64_t enc = bale_chunk_encoded_size(c);
    bale_chunk_decref(c2);
    bale_chunk_decref(c);
    return enc;
}

static inline bale_codec_opts tu_opts(bale_encoding e, bale_backend b, int level) {
    bale_codec_opts o = {e, b, level};
    return o;
}

#endif
