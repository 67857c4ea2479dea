/* test_core.c - allocator accounting, errors, chunk framing and validation. */
#include "test_util.h"

#include "../../src/common/common_internal.h"

static void test_version_and_errors(void) {
    ASSERT_EQ(bale_version_number(), BALE_VERSION_NUMBER);
    ASSERT_TRUE(strcmp(bale_version_string(), BALE_VERSION_STRING) == 0);
    ASSERT_TRUE(strcmp(bale_strerror(BALE_NOMEM), "out of memory") == 0);
    ASSERT_TRUE(strcmp(bale_errname(BALE_CORRUPT), "BALE_CORRUPT") == 0);
    ASSERT_TRUE(strcmp(bale_strerror((bale_err)-999), "unknown error") == 0);
    bale_backend b;
    ASSERT_OK(bale_backend_parse("zstd", &b));
    ASSERT_EQ(b, BALE_BACKEND_ZSTD);
    ASSERT_ERR(bale_backend_parse("brotli", &b), BALE_UNSUPPORTED);
    bale_encoding e;
    ASSERT_OK(bale_encoding_parse("plain", &e));
    ASSERT_EQ(e, BALE_ENC_PLAIN);
    int lo, hi, d;
    ASSERT_OK(bale_backend_levels(BALE_BACKEND_ZSTD, &lo, &hi, &d));
    ASSERT_TRUE(lo == 1 && hi >= 19 && d == 3);
}

static void test_allocator_accounting(void) {
    int64_t live = bale_memory_live();
    int64_t v[4] = {1, 2, 3, 4};
    bale_values in = tu_ints(v, 4);
    bale_codec_opts o = tu_opts(BALE_ENC_PLAIN, BALE_BACKEND_NONE, 0);
    bale_chunk *c;
    ASSERT_OK(bale_chunk_encode(&in, &o, &c));
    ASSERT_TRUE(bale_memory_live() >= live + (int64_t)bale_chunk_nbytes(c));
    ASSERT_TRUE(bale_memory_peak() >= bale_memory_live());
    /* Hooks can't change while memory is live. */
    ASSERT_ERR(bale_set_allocator(NULL), BALE_BUSY);
    bale_chunk_decref(c);
    ASSERT_EQ(bale_memory_live(), live);
    bale_allocator bad = {NULL, NULL, NULL, NULL};
    ASSERT_ERR(bale_set_allocator(&bad), BALE_INVALID);
}

static void test_refcount(void) {
    int64_t v[3] = {7, 8, 9};
    bale_values in = tu_ints(v, 3);
    bale_chunk *c;
    ASSERT_OK(bale_chunk_encode(&in, NULL, &c));
    ASSERT_EQ(bale_chunk_refcount(c), 1);
    ASSERT_TRUE(bale_chunk_incref(c) == c);
    ASSERT_EQ(bale_chunk_refcount(c), 2);
    bale_chunk_decref(c);
    ASSERT_EQ(bale_chunk_refcount(c), 1);
    bale_chunk_decref(c);
    bale_chunk_decref(NULL);
}

static void test_plain_every_backend(void) {
    static const bale_backend backends[] = {BALE_BACKEND_NONE, BALE_BACKEND_LZ4,
                                            BALE_BACKEND_ZSTD, BALE_BACKEND_ZLIB};
    int64_t ints[1000];
    double fl[5] = {0.0, -0.0, NAN, INFINITY, -1e300};
    uint8_t bools[7] = {0, 1, 1, 0, 1, 0, 0};
    for (int i = 0; i < 1000; i++) ints[i] = (int64_t)i * i - 5000;
    ints[0] = INT64_MIN;
    ints[1] = INT64_MAX;
    const char *strs[] = {"", "a", "h\xc3\xa9llo", "\xff\xfe invalid utf-8", ""};
    for (size_t b = 0; b < 4; b++) {
        int lo, hi, d;
        ASSERT_OK(bale_backend_levels(backends[b], &lo, &hi, &d));
        for (int level = lo; level <= hi; level += (hi - lo) / 2 + 1) {
            bale_codec_opts o = tu_opts(BALE_ENC_PLAIN, backends[b], level);
            bale_values v = tu_ints(ints, 1000);
            tu_roundtrip(&v, o);
            v = tu_ints(ints, 0);
            tu_roundtrip(&v, o);
            v = tu_floats(fl, 5);
            tu_roundtrip(&v, o);
            v = tu_bools(bools, 7);
            tu_roundtrip(&v, o);
            for (int dt = BALE_DTYPE_STR; dt <= BALE_DTYPE_OBJECT; dt++) {
                v = tu_strs((bale_dtype)dt, strs, 5);
                tu_roundtrip(&v, o);
                tu_free(&v);
                v = tu_strs((bale_dtype)dt, strs, 0);
                tu_roundtrip(&v, o);
                tu_free(&v);
            }
        }
    }
}

/* bale_chunk_decode_ids: DICT chunks of fixed-width values without a
 * backend give their dictionary and ids; with one (decompressing twice, for
 * the caller's fallback) and other stages say unsupported. */
static void test_decode_ids(void) {
    int64_t ints[3000];
    for (int i = 0; i < 3000; i++) ints[i] = (int64_t)(i * 7919 % 13) * 1000003 - 5;
    double fl[6] = {0.0, -0.0, NAN, 2.5, -0.0, NAN};
    uint8_t bools[7] = {0, 1, 1, 0, 1, 0, 0};
    bale_values sets[3] = {tu_ints(ints, 3000), tu_floats(fl, 6), tu_bools(bools, 7)};
    static const bale_backend backends[] = {BALE_BACKEND_NONE, BALE_BACKEND_ZSTD};
    for (int k = 0; k < 3; k++) {
        for (int b = 0; b < 2; b++) {
            bale_chunk *c;
            bale_codec_opts o = tu_opts(BALE_ENC_DICT, backends[b], 0);
            ASSERT_OK(bale_chunk_encode(&sets[k], &o, &c));
            ASSERT_EQ(tu_check_ids(c, &sets[k]), backends[b] == BALE_BACKEND_NONE);
            bale_chunk_decref(c);
        }
        bale_chunk *c;
        bale_codec_opts o = tu_opts(BALE_ENC_PLAIN, BALE_BACKEND_NONE, 0);
        ASSERT_OK(bale_chunk_encode(&sets[k], &o, &c));
        ASSERT_TRUE(!tu_check_ids(c, &sets[k]));
        bale_chunk_decref(c);
    }
    bale_values dict, ids;
    ASSERT_ERR(bale_chunk_decode_ids(NULL, &dict, &ids), BALE_INVALID);
}

static void test_invalid_values(void) {
    uint8_t bools[2] = {0, 2};
    bale_values v = tu_bools(bools, 2);
    bale_chunk *c = NULL;
    ASSERT_ERR(bale_chunk_encode(&v, NULL, &c), BALE_INVALID);
    uint64_t offs[3] = {0, 5, 3};
    bale_values s = {BALE_DTYPE_STR, 2, "abcde", offs, 3};
    ASSERT_ERR(bale_chunk_encode(&s, NULL, &c), BALE_INVALID);
    bale_values bad_dtype = {(bale_dtype)42, 0, NULL, NULL, 0};
    ASSERT_ERR(bale_chunk_encode(&bad_dtype, NULL, &c), BALE_INVALID);
    ASSERT_TRUE(c == NULL);
    bale_codec_opts o = tu_opts((bale_encoding)200, BALE_BACKEND_NONE, 0);
    int64_t one = 1;
    bale_values i1 = tu_ints(&one, 1);
    ASSERT_ERR(bale_chunk_encode(&i1, &o, &c), BALE_UNSUPPORTED);
}

/* Every single-byte change to a chunk must be caught: by the checksum, or by
 * the header checks. */
static void test_validate_rejects_corruption(void) {
    const char *strs[] = {"alpha", "beta", "gamma", "delta"};
    bale_values v = tu_strs(BALE_DTYPE_STR, strs, 4);
    bale_codec_opts o = tu_opts(BALE_ENC_PLAIN, BALE_BACKEND_LZ4, 1);
    bale_chunk *c;
    ASSERT_OK(bale_chunk_encode(&v, &o, &c));
    size_t size;
    const uint8_t *bytes = bale_chunk_bytes(c, &size);
    uint8_t *copy = malloc(size);
    for (size_t i = 0; i < size; i++) {
        for (int bit = 0; bit < 8; bit++) {
            memcpy(copy, bytes, size);
            copy[i] ^= (uint8_t)(1u << bit);
            bale_err err = bale_chunk_validate(copy, size);
            ASSERT_TRUE(err != BALE_OK);
            bale_chunk *c2 = NULL;
            ASSERT_TRUE(bale_chunk_from_bytes(copy, size, &c2) != BALE_OK);
            ASSERT_TRUE(c2 == NULL);
        }
    }
    /* Truncations and a longer buffer. */
    for (size_t n = 0; n < size; n++) ASSERT_TRUE(bale_chunk_validate(bytes, n) != BALE_OK);
    uint8_t *longer = calloc(1, size + 1);
    memcpy(longer, bytes, size);
    ASSERT_ERR(bale_chunk_validate(longer, size + 1), BALE_CORRUPT);
    /* A newer format version is unsupported, not corrupt; so is version 1
     * (a fixed 48-byte header, development builds only). */
    memcpy(copy, bytes, size);
    copy[4] = 3;
    ASSERT_ERR(bale_chunk_validate(copy, size), BALE_UNSUPPORTED);
    copy[4] = 1;
    ASSERT_ERR(bale_chunk_validate(copy, size), BALE_UNSUPPORTED);
    ASSERT_ERR(bale_chunk_validate(NULL, 0), BALE_CORRUPT);
    free(longer);
    free(copy);
    bale_chunk_decref(c);
    tu_free(&v);
}

/* Rebuilds a chunk's bytes from its payload with the count written as a
 * varint of `count_bytes` bytes (1: the shortest form) and a correct
 * checksum (docs/format.md); returns the size. */
static size_t rewrite_header(const uint8_t *chunk, size_t size, int count_bytes, uint8_t *out) {
    size_t pos = 8, at[5];
    int fields = chunk[7] == BALE_BACKEND_NONE ? 3 : 4; /* the stage size with a backend */
    for (int f = 0; f < fields; f++) {
        at[f] = pos;
        while (chunk[pos++] & 0x80) {
        }
    }
    at[fields] = pos;
    at[4] = pos;
    size_t payload = size - (pos + 4), n = 8;
    memcpy(out, chunk, 8);
    ASSERT_TRUE(at[1] - at[0] == 1); /* a small count */
    for (int k = 0; k < count_bytes; k++)
        out[n++] = (uint8_t)(k == 0 ? chunk[at[0]] : 0) | (k + 1 < count_bytes ? 0x80 : 0);
    memcpy(out + n, chunk + at[1], at[4] - at[1]);
    n += at[4] - at[1];
    uint64_t seed = bale__hash64(out, n, 0);
    uint32_t sum = (uint32_t)bale__hash64(chunk + pos + 4, payload, seed);
    for (int k = 0; k < 4; k++) out[n++] = (uint8_t)(sum >> (8 * k));
    memcpy(out + n, chunk + pos + 4, payload);
    return n + payload;
}

/* The header of format version 2: 8 fixed bytes, three varints in their
 * shortest form (four with a backend), a 4-byte checksum. */
static void test_chunk_header_layout(void) {
    const char *strs[] = {"alpha", "beta", "gamma", "delta"};
    bale_values v = tu_strs(BALE_DTYPE_STR, strs, 4);
    bale_chunk *c;
    bale_codec_opts o = tu_opts(BALE_ENC_PLAIN, BALE_BACKEND_NONE, 0);
    ASSERT_OK(bale_chunk_encode(&v, &o, &c));
    size_t size;
    const uint8_t *b = bale_chunk_bytes(c, &size);
    ASSERT_TRUE(memcmp(b, "BALc\x02", 5) == 0);
    ASSERT_EQ(b[5], BALE_DTYPE_STR);
    ASSERT_EQ(b[8], 4);                   /* count */
    ASSERT_EQ(b[9], 19 + 8 * 4);          /* raw: value bytes and offsets */
    ASSERT_EQ((size_t)b[10], size - 15); /* payload; no stage size without a backend */
    uint8_t *copy = malloc(size + 16);
    /* The rebuild is faithful ... */
    ASSERT_EQ(rewrite_header(b, size, 1, copy), size);
    ASSERT_TRUE(memcmp(copy, b, size) == 0);
    /* ... and a longer form of the same count, though its checksum is
     * right, is corrupt: one chunk has one byte string. */
    size_t n2 = rewrite_header(b, size, 2, copy);
    ASSERT_EQ(n2, size + 1);
    ASSERT_ERR(bale_chunk_validate(copy, n2), BALE_CORRUPT);
    free(copy);
    bale_chunk_decref(c);
    /* With a backend the stage size follows the raw size. */
    o = tu_opts(BALE_ENC_PLAIN, BALE_BACKEND_ZSTD, 1);
    ASSERT_OK(bale_chunk_encode(&v, &o, &c));
    b = bale_chunk_bytes(c, &size);
    ASSERT_EQ(b[7], BALE_BACKEND_ZSTD);
    ASSERT_EQ(b[9], 19 + 8 * 4);
    ASSERT_TRUE(b[10] >= 19);            /* the stage size, zstd's input */
    ASSERT_EQ((size_t)b[11], size - 16); /* payload, after a 16-byte header */
    copy = malloc(size + 16);
    ASSERT_EQ(rewrite_header(b, size, 1, copy), size);
    ASSERT_TRUE(memcmp(copy, b, size) == 0);
    free(copy);
    bale_chunk_decref(c);
    tu_free(&v);
}

static void test_every_allocation_failure(void) {
    int64_t ints[5000];
    for (int i = 0; i < 5000; i++) ints[i] = i * 3;
    const char *strs[] = {"x", "yy", "zzz"};
    bale_values sv = tu_strs(BALE_DTYPE_STR, strs, 3);
    static const bale_backend backends[] = {BALE_BACKEND_NONE, BALE_BACKEND_LZ4,
                                            BALE_BACKEND_ZSTD, BALE_BACKEND_ZLIB};
    for (size_t b = 0; b < 4; b++) {
        bale_codec_opts o = tu_opts(BALE_ENC_PLAIN, backends[b], 0);
        for (int which = 0; which < 2; which++) {
            bale_values in = which ? sv : tu_ints(ints, 5000);
            BALE_TEST_FOR_EACH_FAILURE({
                bale_chunk *c = NULL;
                bale_err err = bale_chunk_encode(&in, &o, &c);
                ASSERT_TRUE(err == BALE_OK || err == BALE_NOMEM);
                if (err == BALE_OK) {
                    size_t size;
                    const void *bytes = bale_chunk_bytes(c, &size);
                    bale_values out;
                    err = bale_chunk_decode(c, &out);
                    ASSERT_TRUE(err == BALE_OK || err == BALE_NOMEM);
                    if (err == BALE_OK) {
                        tu_assert_same(&in, &out);
                        bale_values_free(&out);
                    }
                    err = bale_chunk_validate(bytes, size);
                    ASSERT_TRUE(err == BALE_OK || err == BALE_NOMEM);
                    bale_chunk *c2 = NULL;
                    err = bale_chunk_from_bytes(bytes, size, &c2);
                    ASSERT_TRUE(err == BALE_OK || err == BALE_NOMEM);
                    bale_chunk_decref(c2);
                    err = bale_chunk_get(c, 2, &out);
                    ASSERT_TRUE(err == BALE_OK || err == BALE_NOMEM);
                    if (err == BALE_OK) bale_values_free(&out);
                }
                bale_chunk_decref(c);
            });
        }
    }
    tu_free(&sv);
}

static void test_scratch_arena(void) {
    int64_t live = bale_memory_live();
    /* outside a scope: a heap block, counted exactly */
    uint8_t *h = bale__tmp_malloc(100);
    ASSERT_TRUE(h != NULL);
    ASSERT_EQ(bale_memory_live(), live + 100);
    bale__free(h);
    ASSERT_EQ(bale_memory_live(), live);

    bale__scratch_enter();
    uint8_t *a = bale__tmp_malloc(1000);
    ASSERT_TRUE(a != NULL && ((uintptr_t)a & 15) == 0);
    memset(a, 0xAB, 1000);
    int64_t after_a = bale_memory_live();
    uint8_t *b = bale__tmp_calloc(10, 100);
    ASSERT_TRUE(b != NULL && ((uintptr_t)b & 15) == 0);
    for (int i = 0; i < 1000; i++) ASSERT_EQ(b[i], 0);
    if (BALE__SCRATCH_ON) {
        ASSERT_TRUE(after_a > live + 1000); /* one arena block ... */
        ASSERT_EQ(bale_memory_live(), after_a); /* ... that b shares */
        ASSERT_TRUE(bale__realloc(b, 5000) == b); /* the latest grows in place */
    }
    uint8_t *a2 = bale__realloc(a, 2000); /* an earlier one moves, bytes kept */
    ASSERT_TRUE(a2 != NULL);
    for (int i = 0; i < 1000; i++) ASSERT_EQ(a2[i], 0xAB);
    bale__free(a2);
    uint8_t *big = bale__tmp_malloc((size_t)1 << 20); /* a block of its own */
    ASSERT_TRUE(big != NULL);
    big[((size_t)1 << 20) - 1] = 1;
    bale__scratch_enter(); /* nested: nothing is freed at its leave */
    uint8_t *inner = bale__tmp_malloc(10);
    ASSERT_TRUE(inner != NULL);
    bale__scratch_leave();
    ASSERT_TRUE(bale_memory_live() >= live + ((int64_t)1 << 20));
    inner[9] = 1; /* still there */
    bale__free(inner);
    /* a scratch buffer detaches into an exact heap block that outlives it */
    bale__buf buf = {.tmp = 1};
    ASSERT_OK(bale__buf_append(&buf, "hello", 5));
    size_t n = 0;
    uint8_t *kept = bale__buf_detach(&buf, &n);
    ASSERT_TRUE(kept != NULL && n == 5);
    bale__free(big);
    bale__free(b);
    bale__scratch_leave();
    ASSERT_EQ(bale_memory_live(), live + 5);
    ASSERT_TRUE(memcmp(kept, "hello", 5) == 0);
    bale__free(kept);
    ASSERT_EQ(bale_memory_live(), live);

    /* a failed arena block is a NULL, and leaves nothing behind */
    BALE_TEST_FOR_EACH_FAILURE({
        bale__scratch_enter();
        void *p = bale__tmp_malloc(64);
        void *q = p ? bale__tmp_malloc((size_t)1 << 19) : NULL;
        if (q != NULL) memset(q, 1, (size_t)1 << 19);
        bale__free(q); /* as callers must: without an arena they are heap blocks */
        bale__free(p);
        bale__scratch_leave();
        ASSERT_TRUE(q != NULL || bale__test_failures > bale__before); /* NULL only when made to fail */
    });
}

BALE_TEST_MAIN(BALE_TEST(test_version_and_errors), BALE_TEST(test_scratch_arena), BALE_TEST(test_allocator_accounting),
               BALE_TEST(test_refcount), BALE_TEST(test_plain_every_backend),
               BALE_TEST(test_invalid_values), BALE_TEST(test_validate_rejects_corruption),
               BALE_TEST(test_chunk_header_layout), BALE_TEST(test_decode_ids),
               BALE_TEST(test_every_allocation_failure))
