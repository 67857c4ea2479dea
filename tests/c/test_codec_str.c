/* test_codec_str.c - the variable-width encodings (DICT, FSST, FRONT, BLOCKS)
 * and the var-width auto policy: round trips over every backend and edge
 * data, get on every index, failing allocations, corrupt stage bytes, and
 * real data when ../shared/data (or BALE_DATA_DIR) is present. */
#include "test_util.h"

#include "../../src/codec/str_internal.h"
#include "../../src/chunk/chunk_internal.h"

#include <stdint.h>
#include <threads.h>

/* ---- data sets -------------------------------------------------------------- */

/* A growable set of byte strings (plain malloc: test memory is not counted). */
typedef struct strset {
    bale_values v;
    size_t cap_data, cap_off;
} strset;

static void ss_init(strset *s, bale_dtype dtype) {
    memset(s, 0, sizeof *s);
    s->v.dtype = dtype;
    s->cap_off = 16;
    s->v.offsets = malloc(s->cap_off * sizeof(uint64_t));
    s->v.offsets[0] = 0;
    s->cap_data = 64;
    s->v.data = malloc(s->cap_data);
}
static void ss_add(strset *s, const void *p, size_t n) {
    if (s->v.count + 2 > s->cap_off) {
        s->cap_off *= 2;
        s->v.offsets = realloc(s->v.offsets, s->cap_off * sizeof(uint64_t));
    }
    while (s->v.data_size + n > s->cap_data) {
        s->cap_data *= 2;
        s->v.data = realloc(s->v.data, s->cap_data);
    }
    if (n) memcpy((uint8_t *)s->v.data + s->v.data_size, p, n);
    s->v.data_size += n;
    s->v.offsets[++s->v.count] = s->v.data_size;
}
static void ss_free(strset *s) {
    free(s->v.data);
    free(s->v.offsets);
    memset(s, 0, sizeof *s);
}

static uint64_t rng_state = 88172645463325252ull;
static uint64_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

enum {
    DS_EMPTY, DS_ONE, DS_EMPTY_STRINGS, DS_NON_ASCII, DS_INVALID_UTF8, DS_ALL_BYTES,
    DS_RANDOM, DS_SORTED, DS_CONSTANT, DS_PREFIXES, DS_LOWCARD, DS_MIXED, DS_COUNT
};
static const char *const ds_names[] = {"empty", "one", "empty-strings", "non-ascii",
                                       "invalid-utf8", "all-bytes", "random", "sorted",
                                       "constant", "prefixes", "lowcard", "mixed"};

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void make_dataset(int which, bale_dtype dtype, strset *s) {
    ss_init(s, dtype);
    rng_state = 88172645463325252ull + (uint64_t)which;
    char buf[600];
    switch (which) {
    case DS_EMPTY: break;
    case DS_ONE: ss_add(s, "hello", 5); break;
    case DS_EMPTY_STRINGS:
        for (int i = 0; i < 40; i++) ss_add(s, "x", (i % 3) == 1);
        break;
    case DS_NON_ASCII: {
        static const char *w[] = {"h\xc3\xa9llo", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
                                  "\xf0\x9f\x98\x80 smile", "na\xc3\xafve caf\xc3\xa9",
                                  "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82"};
        for (int i = 0; i < 100; i++) ss_add(s, w[i % 5], strlen(w[i % 5]));
        break;
    }
    case DS_INVALID_UTF8:
        for (int i = 0; i < 70; i++) {
            size_t n = (size_t)(rnd() % 12);
            for (size_t k = 0; k < n; k++) buf[k] = (char)(0x80 + rnd() % 128);
            ss_add(s, buf, n);
        }
        break;
    case DS_ALL_BYTES:
        for (int i = 0; i < 256; i++) buf[i] = (char)i;
        ss_add(s, buf, 256);
        for (int i = 0; i < 256; i++) ss_add(s, buf + i, 1);
        for (int i = 0; i < 256; i++) buf[i] = (char)(255 - i);
        ss_add(s, buf, 256);
        ss_add(s, "\0\0\0\xff\xff\xff", 6);
        break;
    case DS_RANDOM:
        for (int i = 0; i < 300; i++) {
            size_t n = (size_t)(rnd() % 40);
            for (size_t k = 0; k < n; k++) buf[k] = (char)rnd();
            ss_add(s, buf, n);
        }
        break;
    case DS_SORTED:
    case DS_PREFIXES: {
        enum { N = 500 };
        char *arr[N];
        for (int i = 0; i < N; i++) {
            int n;
            if (which == DS_SORTED)
                n = snprintf(buf, sizeof buf, "%s-%s-%u", i % 7 ? "react" : "eslint",
                             (rnd() & 1) ? "plugin" : "config", (unsigned)(rnd() % 100000));
            else
                n = snprintf(buf, sizeof buf,
                             "https://example.com/a/very/long/common/prefix/that/goes/on/and/on/"
                             "and/on/for/more/than/two/hundred/and/fifty/five/bytes/so/that/"
                             "front/coding/caps/the/shared/prefix/length/at/its/limit/of/255/"
                             "bytes/and/then/some/more/%06u", (unsigned)(rnd() % 1000000));
            arr[i] = malloc((size_t)n + 1);
            memcpy(arr[i], buf, (size_t)n + 1);
        }
        qsort(arr, N, sizeof *arr, cmp_str);
        for (int i = 0; i < N; i++) {
            ss_add(s, arr[i], strlen(arr[i]));
            free(arr[i]);
        }
        break;
    }
    case DS_CONSTANT:
        for (int i = 0; i < 200; i++) ss_add(s, "constant value", 14);
        break;
    case DS_LOWCARD: {
        static const char *w[] = {"ATL", "ORD", "DFW", "LAX", "PHX", "DEN", "IAH", "LAS", "SFO"};
        for (int i = 0; i < 2000; i++) {
            const char *x = w[rnd() % 9];
            ss_add(s, x, strlen(x));
        }
        break;
    }
    case DS_MIXED:
        for (int i = 0; i < 120; i++) {
            size_t n = (size_t)(rnd() % 520);
            for (size_t k = 0; k < n; k++) buf[k] = "abcab\0\xff"[rnd() % 7];
            ss_add(s, buf, n);
        }
        break;
    }
}

static const bale_backend all_backends[] = {BALE_BACKEND_NONE, BALE_BACKEND_LZ4,
                                            BALE_BACKEND_ZSTD, BALE_BACKEND_ZLIB};
static const bale_encoding str_encodings[] = {BALE_ENC_DICT, BALE_ENC_FSST, BALE_ENC_FRONT,
                                              BALE_ENC_BLOCKS, BALE_ENC_PLAIN};

/* Every encoding x backend x data set x dtype, through the chunk API. */
static void test_roundtrip_matrix(void) {
    for (int ds = 0; ds < DS_COUNT; ds++) {
        if (getenv("BALE_TEST_VERBOSE")) printf("  data set %s\n", ds_names[ds]);
        for (int dt = BALE_DTYPE_STR; dt <= BALE_DTYPE_OBJECT; dt++) {
            strset s;
            make_dataset(ds, (bale_dtype)dt, &s);
            for (size_t e = 0; e < sizeof str_encodings / sizeof *str_encodings; e++) {
                ASSERT_TRUE(bale_encoding_supports(str_encodings[e], (bale_dtype)dt));
                for (size_t b = 0; b < 4; b++)
                    tu_roundtrip(&s.v, tu_opts(str_encodings[e], all_backends[b], 0));
            }
            tu_roundtrip(&s.v, bale_codec_opts_auto());
            ss_free(&s);
        }
    }
}

/* A 16 MB value (and a few around it) through every encoding. */
static void test_huge_value(void) {
    strset s;
    ss_init(&s, BALE_DTYPE_BYTES);
    size_t n = (size_t)16 << 20;
    uint8_t *big = malloc(n);
    rng_state = 12345;
    for (size_t i = 0; i < n; i++) big[i] = (uint8_t)("the quick brown fox "[i % 20] ^ (rnd() % 16 == 0));
    ss_add(&s, "a", 1);
    ss_add(&s, big, n);
    ss_add(&s, "", 0);
    for (size_t e = 0; e < sizeof str_encodings / sizeof *str_encodings; e++) {
        tu_roundtrip(&s.v, tu_opts(str_encodings[e], BALE_BACKEND_NONE, 0));
        tu_roundtrip(&s.v, tu_opts(str_encodings[e], BALE_BACKEND_ZSTD, 1));
    }
    tu_roundtrip(&s.v, bale_codec_opts_auto());
    /* A single incompressible 16 MB string under auto. */
    ss_free(&s);
    ss_init(&s, BALE_DTYPE_OBJECT);
    for (size_t i = 0; i < n; i++) big[i] = (uint8_t)rnd();
    ss_add(&s, big, n);
    uint64_t size = tu_roundtrip(&s.v, bale_codec_opts_auto());
    ASSERT_TRUE(size < n + n / 64 + 1024);
    free(big);
    ss_free(&s);
}

/* Stage-level checks through the encoding table: every FSST variant and
 * block size, get() on every index. */
typedef struct variant {
    const char *name;
    bale_encoding enc;
    unsigned fsst_flags; /* for FSST: flags, or ~0u for the table entry */
    unsigned shift;
} variant;

static const variant variants[] = {
    {"dict", BALE_ENC_DICT, ~0u, 0},
    {"fsst-auto", BALE_ENC_FSST, ~0u, 0},
    {"fsst", BALE_ENC_FSST, 0, 4},
    {"fsst-front", BALE_ENC_FSST, BALE_FSST_FRONT, 4},
    {"fsst-huff", BALE_ENC_FSST, BALE_FSST_HUFF, 4},
    {"fsst-front-huff", BALE_ENC_FSST, BALE_FSST_FRONT | BALE_FSST_HUFF, 4},
    {"fsst-front-huff-1", BALE_ENC_FSST, BALE_FSST_FRONT | BALE_FSST_HUFF, 0},
    {"fsst-huff-1024", BALE_ENC_FSST, BALE_FSST_HUFF, 10},
    {"fsst-front-3", BALE_ENC_FSST, BALE_FSST_FRONT, 3},
    {"front", BALE_ENC_FRONT, ~0u, 0},
    {"blocks", BALE_ENC_BLOCKS, ~0u, 0},
    {"blocks-lz4", BALE_ENC_BLOCKS, 1000, 2},
};
#define NVARIANTS (sizeof variants / sizeof *variants)

static bale_err variant_encode(const variant *va, const bale_values *in, bale__buf *out) {
    if (va->enc == BALE_ENC_FSST && va->fsst_flags != ~0u)
        return bale__fsst_encode_opts(in, va->fsst_flags, va->shift, out);
    if (va->enc == BALE_ENC_BLOCKS && va->fsst_flags == 1000)
        return bale__blocks_encode_opts(in, va->shift, BALE_BACKEND_LZ4, 1, out);
    return bale__encoding_find(va->enc)->encode(in, out);
}

static void check_stage(const variant *va, const bale_values *in) {
    const bale__encoding_impl *impl = bale__encoding_find(va->enc);
    ASSERT_TRUE(impl != NULL && impl->get != NULL);
    bale__buf st = {0};
    ASSERT_OK(variant_encode(va, in, &st));
    bale_values out;
    ASSERT_OK(impl->decode(in->dtype, in->count, st.data, st.size, in->data_size, &out));
    tu_assert_same(in, &out);
    bale_values_free(&out);
    /* A wrong data size is corrupt. */
    ASSERT_ERR(impl->decode(in->dtype, in->count, st.data, st.size, in->data_size + 1, &out),
               BALE_CORRUPT);
    uint64_t step = in->count > 3000 ? in->count / 997 : 1;
    for (uint64_t i = 0; i < in->count; i += step) {
        bale_values one;
        ASSERT_OK(impl->get(in->dtype, in->count, st.data, st.size, i, &one));
        uint64_t len = in->offsets[i + 1] - in->offsets[i];
        ASSERT_U64_EQ(one.count, 1);
        ASSERT_U64_EQ(one.data_size, len);
        ASSERT_U64_EQ(one.offsets[1], len);
        ASSERT_MEM_EQ(one.data, (const uint8_t *)in->data + in->offsets[i], (size_t)len);
        bale_values_free(&one);
    }
    bale_values one;
    ASSERT_ERR(impl->get(in->dtype, in->count, st.data, st.size, in->count, &one), BALE_RANGE);
    bale__buf_free(&st);
}

static void test_stage_every_variant(void) {
    for (int ds = 0; ds < DS_COUNT; ds++) {
        strset s;
        make_dataset(ds, BALE_DTYPE_STR, &s);
        for (size_t k = 0; k < NVARIANTS; k++) check_stage(&variants[k], &s.v);
        ss_free(&s);
    }
}

/* DICT refuses more than its limit of distinct values. */
static void test_dict_too_many(void) {
    strset s;
    ss_init(&s, BALE_DTYPE_STR);
    char buf[32];
    for (int i = 0; i < 70000; i++) ss_add(&s, buf, (size_t)snprintf(buf, sizeof buf, "%d", i));
    bale__buf st = {0};
    ASSERT_ERR(bale__encoding_find(BALE_ENC_DICT)->encode(&s.v, &st), BALE_UNSUPPORTED);
    bale__buf_free(&st);
    bale_chunk *c = NULL;
    bale_codec_opts o = tu_opts(BALE_ENC_DICT, BALE_BACKEND_NONE, 0);
    ASSERT_ERR(bale_chunk_encode(&s.v, &o, &c), BALE_UNSUPPORTED);
    /* Auto still works. */
    tu_roundtrip(&s.v, bale_codec_opts_auto());
    ss_free(&s);
}

/* Every allocation failing, in encode, decode and get of every encoding. */
static void test_every_allocation_failure(void) {
    static const int sets[] = {DS_SORTED, DS_LOWCARD, DS_ALL_BYTES};
    for (size_t d = 0; d < 3; d++) {
        strset s;
        make_dataset(sets[d], BALE_DTYPE_STR, &s);
        if (s.v.count > 300) s.v.count = 300, s.v.data_size = s.v.offsets[300];
        for (size_t k = 0; k < NVARIANTS; k++) {
            const variant *va = &variants[k];
            const bale__encoding_impl *impl = bale__encoding_find(va->enc);
            BALE_TEST_FOR_EACH_FAILURE({
                bale__buf st = {0};
                bale_err err = variant_encode(va, &s.v, &st);
                ASSERT_TRUE(err == BALE_OK || err == BALE_NOMEM);
                if (err == BALE_OK) {
                    bale_values out;
                    err = impl->decode(s.v.dtype, s.v.count, st.data, st.size, s.v.data_size, &out);
                    ASSERT_TRUE(err == BALE_OK || err == BALE_NOMEM);
                    if (err == BALE_OK) {
                        tu_assert_same(&s.v, &out);
                        bale_values_free(&out);
                    }
                    err = impl->get(s.v.dtype, s.v.count, st.data, st.size, s.v.count - 1, &out);
                    ASSERT_TRUE(err == BALE_OK || err == BALE_NOMEM);
                    if (err == BALE_OK) bale_values_free(&out);
                }
                bale__buf_free(&st);
            });
        }
        /* The chunk layer with auto and with each encoding under zstd. */
        for (size_t e = 0; e < 5; e++) {
            bale_codec_opts o = e < 4 ? tu_opts(str_encodings[e], BALE_BACKEND_ZSTD, 0)
                                      : bale_codec_opts_auto();
            BALE_TEST_FOR_EACH_FAILURE({
                bale_chunk *c = NULL;
                bale_err err = bale_chunk_encode(&s.v, &o, &c);
                ASSERT_TRUE(err == BALE_OK || err == BALE_NOMEM);
                if (err == BALE_OK) {
                    bale_values out;
                    err = bale_chunk_decode(c, &out);
                    ASSERT_TRUE(err == BALE_OK || err == BALE_NOMEM);
                    if (err == BALE_OK) bale_values_free(&out);
                    err = bale_chunk_get(c, 7, &out);
                    ASSERT_TRUE(err == BALE_OK || err == BALE_NOMEM);
                    if (err == BALE_OK) bale_values_free(&out);
                }
                bale_chunk_decref(c);
            });
        }
        ss_free(&s);
    }
}

/* Corrupt stage bytes: decode and get must fail cleanly or give well-formed
 * values (never crash, never leak). */
static void try_corrupt(const bale__encoding_impl *impl, const bale_values *in,
                        const uint8_t *p, size_t n) {
    bale_values out;
    /* Copy to an exact-size allocation so that overreads are visible to
     * sanitizers. */
    uint8_t *q = malloc(n ? n : 1);
    if (n) memcpy(q, p, n);
    bale_err err = impl->decode(in->dtype, in->count, q, n, in->data_size, &out);
    if (err == BALE_OK) {
        ASSERT_OK(bale__values_check(&out));
        ASSERT_U64_EQ(out.data_size, in->data_size);
        bale_values_free(&out);
    }
    for (uint64_t i = 0; i < in->count; i += 1 + in->count / 5) {
        err = impl->get(in->dtype, in->count, q, n, i, &out);
        if (err == BALE_OK) bale_values_free(&out);
    }
    free(q);
}

static void test_corrupt_stage(void) {
    static const int sets[] = {DS_SORTED, DS_LOWCARD, DS_ALL_BYTES, DS_EMPTY_STRINGS, DS_ONE};
    for (size_t d = 0; d < 5; d++) {
        strset s;
        make_dataset(sets[d], BALE_DTYPE_BYTES, &s);
        if (s.v.count > 120) s.v.count = 120, s.v.data_size = s.v.offsets[120];
        for (size_t k = 0; k < NVARIANTS; k++) {
            const bale__encoding_impl *impl = bale__encoding_find(variants[k].enc);
            bale__buf st = {0};
            ASSERT_OK(variant_encode(&variants[k], &s.v, &st));
            /* Every truncation must be rejected by a full decode. */
            for (size_t n = 0; n < st.size; n++) {
                bale_values out;
                uint8_t *q = malloc(n ? n : 1);
                if (n) memcpy(q, st.data, n);
                ASSERT_TRUE(impl->decode(s.v.dtype, s.v.count, q, n, s.v.data_size, &out) != BALE_OK);
                free(q);
                try_corrupt(impl, &s.v, st.data, n);
            }
            /* Trailing bytes are corrupt. */
            {
                uint8_t *q = malloc(st.size + 1);
                memcpy(q, st.data, st.size);
                q[st.size] = 0;
                bale_values out;
                ASSERT_TRUE(impl->decode(s.v.dtype, s.v.count, q, st.size + 1, s.v.data_size, &out) != BALE_OK);
                free(q);
            }
            /* Flipped bytes and bits. */
            uint8_t *c = malloc(st.size);
            for (size_t i = 0; i < st.size; i++) {
                for (int f = 0; f < 3; f++) {
                    memcpy(c, st.data, st.size);
                    c[i] ^= f == 0 ? 0xff : f == 1 ? 0x01 : 0x80;
                    try_corrupt(impl, &s.v, c, st.size);
                }
            }
            /* Random garbage of random sizes, and garbage after a valid
             * header. */
            for (int t = 0; t < 200; t++) {
                size_t n = (size_t)(rnd() % (st.size + 16));
                uint8_t *g = malloc(n + 1);
                for (size_t i = 0; i < n; i++) g[i] = (uint8_t)rnd();
                if (t & 1) memcpy(g, st.data, n < 12 ? n : 12);
                try_corrupt(impl, &s.v, g, n);
                free(g);
            }
            free(c);
            bale__buf_free(&st);
        }
        ss_free(&s);
    }
}

/* The full decode of a HUFF stage with enough blocks runs two blocks at a
 * time (fsst.c, huff_lanes): block counts around the threshold, empty
 * values, escapes, prefixes longer than 16 and 255 bytes, a huge value in
 * one lane; the result equals the input and the gets (decoded one block at
 * a time), a wrong size or a flipped bit is never accepted silently. */
static void test_full_decode_lanes(void) {
    static const uint64_t counts[] = {100, 112, 113, 127, 128, 129, 144, 500, 3000};
    static const unsigned flags[] = {BALE_FSST_HUFF, BALE_FSST_FRONT | BALE_FSST_HUFF};
    static const unsigned shifts[] = {0, 2, 4};
    const bale__encoding_impl *impl = bale__encoding_find(BALE_ENC_FSST);
    for (size_t ci = 0; ci < sizeof counts / sizeof *counts; ci++) {
        strset s;
        ss_init(&s, BALE_DTYPE_BYTES);
        uint8_t prev[600], cur[6000];
        size_t prev_n = 0;
        for (uint64_t i = 0; i < counts[ci]; i++) {
            size_t n = 0;
            uint64_t r = rnd();
            if (r % 8 != 0) {
                n = prev_n ? (size_t)(rnd() % (prev_n + 1)) : 0;
                memcpy(cur, prev, n);
                size_t tail = (size_t)(rnd() % (r % 5 == 0 ? 300 : 24));
                if (i == counts[ci] / 3 && ci % 2) tail = 5000; /* huge */
                for (size_t k = 0; k < tail; k++) {
                    uint64_t x = rnd();
                    cur[n++] = x % 50 == 0 ? (uint8_t)(x >> 8) : (uint8_t)('a' + x % 7);
                }
            }
            ss_add(&s, cur, n);
            prev_n = n < sizeof prev ? n : sizeof prev;
            memcpy(prev, cur, prev_n);
        }
        for (size_t f = 0; f < 2; f++) {
            for (size_t sh = 0; sh < 3; sh++) {
                bale__buf st = {0};
                ASSERT_OK(bale__fsst_encode_opts(&s.v, flags[f], shifts[sh], &st));
                bale_values out;
                ASSERT_OK(impl->decode(s.v.dtype, s.v.count, st.data, st.size, s.v.data_size, &out));
                tu_assert_same(&s.v, &out);
                bale_values_free(&out);
                ASSERT_ERR(impl->decode(s.v.dtype, s.v.count, st.data, st.size, s.v.data_size + 1, &out),
                           BALE_CORRUPT);
                ASSERT_ERR(impl->decode(s.v.dtype, s.v.count, st.data, st.size, s.v.data_size - 1, &out),
                           BALE_CORRUPT);
                for (uint64_t i = 0; i < s.v.count; i += 1 + s.v.count / 40) {
                    bale_values one;
                    ASSERT_OK(impl->get(s.v.dtype, s.v.count, st.data, st.size, i, &one));
                    uint64_t len = s.v.offsets[i + 1] - s.v.offsets[i];
                    ASSERT_U64_EQ(one.data_size, len);
                    ASSERT_MEM_EQ(one.data, (const uint8_t *)s.v.data + s.v.offsets[i], (size_t)len);
                    bale_values_free(&one);
                }
                /* Flipped bits, mostly in the body (the end of the stage). */
                uint8_t *c = malloc(st.size);
                for (int t = 0; t < 60; t++) {
                    memcpy(c, st.data, st.size);
                    size_t at = t < 40 ? st.size - 1 - (size_t)(rnd() % (st.size < 400 ? st.size : 400))
                                       : (size_t)(rnd() % st.size);
                    c[at] ^= (uint8_t)(1u << (rnd() % 8));
                    try_corrupt(impl, &s.v, c, st.size);
                }
                free(c);
                bale__buf_free(&st);
            }
        }
        ss_free(&s);
    }
}

/* The policy: low cardinality goes to DICT, sorted keys to a random-access
 * encoding without backend, and the result is never much above plain. */
static void test_policy_choices(void) {
    strset s;
    make_dataset(DS_LOWCARD, BALE_DTYPE_STR, &s);
    bale_codec_opts a = bale_codec_opts_auto();
    bale_chunk *c;
    ASSERT_OK(bale_chunk_encode(&s.v, &a, &c));
    ASSERT_EQ(bale_chunk_encoding(c), BALE_ENC_DICT);
    bale_chunk_decref(c);
    ss_free(&s);
    for (int ds = 0; ds < DS_COUNT; ds++) {
        make_dataset(ds, BALE_DTYPE_OBJECT, &s);
        ASSERT_OK(bale_chunk_encode(&s.v, &a, &c));
        bale_codec_opts p = tu_opts(BALE_ENC_PLAIN, BALE_BACKEND_NONE, 0);
        bale_chunk *cp;
        ASSERT_OK(bale_chunk_encode(&s.v, &p, &cp));
        /* Never more than plain plus a little. */
        ASSERT_TRUE(bale_chunk_encoded_size(c) <= bale_chunk_encoded_size(cp) + 64);
        bale_chunk_decref(cp);
        bale_chunk_decref(c);
        ss_free(&s);
    }
    make_dataset(DS_SORTED, BALE_DTYPE_STR, &s);
    ASSERT_OK(bale_chunk_encode(&s.v, &a, &c));
    ASSERT_EQ(bale_chunk_backend(c), BALE_BACKEND_NONE);
    bale_chunk_decref(c);
    ss_free(&s);
}

/* ---- real data ------------------------------------------------------------ */

static int load_lines(const char *file, strset *s, size_t max_lines) {
    const char *dir = getenv("BALE_DATA_DIR");
    char path[1024], cmd[1200];
    const char *dirs[] = {dir, "../shared/data", "../../shared/data", "/work/shared/data"};
    FILE *f = NULL;
    for (size_t i = 0; i < 4 && f == NULL; i++) {
        if (dirs[i] == NULL) continue;
        snprintf(path, sizeof path, "%s/%s", dirs[i], file);
        f = fopen(path, "rb");
    }
    if (f == NULL) return 0;
    fclose(f);
    snprintf(cmd, sizeof cmd, "xz -dc '%s' 2>/dev/null", path);
    FILE *p = popen(cmd, "r");
    if (p == NULL) return 0;
    char line[4096];
    while (s->v.count < max_lines && fgets(line, sizeof line, p)) {
        size_t n = strlen(line);
        if (n && line[n - 1] == '\n') n--;
        ss_add(s, line, n);
    }
    /* Read the rest so xz exits cleanly. */
    while (fgets(line, sizeof line, p)) {}
    pclose(p);
    return s->v.count > 0;
}

static void test_real_data(void) {
    strset all;
    ss_init(&all, BALE_DTYPE_STR);
    if (!load_lines("npm-names.txt.xz", &all, 120000)) {
        printf("skip test_real_data: npm-names.txt.xz not found (set BALE_DATA_DIR)\n");
        ss_free(&all);
        return;
    }
    /* 64 KiB-raw chunks through auto; every value checked. */
    uint64_t enc = 0, i = 0;
    while (i < all.v.count) {
        uint64_t j = i, raw = 0;
        while (j < all.v.count && raw + 8 + (all.v.offsets[j + 1] - all.v.offsets[j]) <= 65536)
            raw += 8 + (all.v.offsets[j + 1] - all.v.offsets[j]), j++;
        bale_values part = {BALE_DTYPE_STR, j - i, all.v.data, NULL, 0};
        uint64_t *offs = malloc((j - i + 1) * sizeof *offs);
        for (uint64_t k = i; k <= j; k++) offs[k - i] = all.v.offsets[k] - all.v.offsets[i];
        part.offsets = offs;
        part.data = (uint8_t *)all.v.data + all.v.offsets[i];
        part.data_size = offs[j - i];
        enc += tu_roundtrip(&part, bale_codec_opts_auto());
        free(offs);
        i = j;
    }
    printf("npm names (first %" PRIu64 ", sorted), auto: %.2f B/element\n", all.v.count,
           (double)enc / (double)all.v.count);
    ASSERT_TRUE((double)enc / (double)all.v.count < 9.0);
    ss_free(&all);
}

/* Values [i, j) of `v` as their own bale_values (offsets copied; caller
 * frees .offsets). */
static bale_values sub_values(const bale_values *v, uint64_t i, uint64_t j) {
    bale_values part = {v->dtype, j - i, (uint8_t *)v->data + v->offsets[i], NULL, 0};
    uint64_t *offs = malloc((j - i + 1) * sizeof *offs);
    for (uint64_t k = i; k <= j; k++) offs[k - i] = v->offsets[k] - v->offsets[i];
    part.offsets = offs;
    part.data_size = offs[j - i];
    return part;
}

static void assert_every_get(const bale_chunk *c, const bale_values *want) {
    for (uint64_t i = 0; i < want->count; i++) {
        bale_values one;
        ASSERT_OK(bale_chunk_get(c, i, &one));
        uint64_t n = want->offsets[i + 1] - want->offsets[i];
        ASSERT_U64_EQ(one.data_size, n);
        ASSERT_TRUE(memcmp(one.data, (const uint8_t *)want->data + want->offsets[i], (size_t)n) == 0);
        bale_values_free(&one);
    }
}

/* Every single-byte change and every truncation of a table's bytes is
 * refused (checksum, or a field), never a crash. */
static void assert_table_bytes_checked(const uint8_t *tb, size_t tsize) {
    uint8_t *tc = malloc(tsize);
    for (size_t i = 0; i < tsize; i++) {
        memcpy(tc, tb, tsize);
        tc[i] ^= 0x41;
        bale_symtab *x = NULL;
        ASSERT_TRUE(bale_symtab_from_bytes(tc, tsize, &x) != BALE_OK);
        ASSERT_TRUE(bale_symtab_from_bytes(tb, i, &x) != BALE_OK);
    }
    free(tc);
}

typedef bale_err (*tab_decode_fn)(const bale_symtab *tab, bale_dtype dtype, uint64_t count,
                                  const uint8_t *src, size_t n, uint64_t data_size,
                                  bale_values *out);
typedef bale_err (*tab_get_fn)(const bale_symtab *tab, bale_dtype dtype, uint64_t count,
                               const uint8_t *src, size_t n, uint64_t index, bale_values *out);

/* Corrupt stages of `want` against `t`, straight into the decoder and get
 * (a chunk's checksum would stop them first): two flips of each byte (every
 * byte of the first `dense`, then every `step`th), gets of every
 * `get_step`th value, every truncation.  An error or values of the right
 * size, never a crash or an overrun. */
static void assert_stages_checked(const bale_symtab *t, const bale_values *want, const bale__buf *st,
                                  tab_decode_fn decode, tab_get_fn get, size_t dense, size_t step,
                                  uint64_t get_step) {
    uint8_t *sc = malloc(st->size);
    for (size_t i = 0; i < st->size; i += i < dense ? 1 : step) {
        for (int flip = 0; flip < 2; flip++) {
            memcpy(sc, st->data, st->size);
            sc[i] ^= flip ? 0xff : 0x10;
            bale_values v;
            bale_err err = decode(t, want->dtype, want->count, sc, st->size, want->data_size, &v);
            ASSERT_TRUE(err == BALE_OK || err == BALE_CORRUPT);
            if (err == BALE_OK) {
                ASSERT_U64_EQ(v.data_size, want->data_size);
                bale_values_free(&v);
            }
            for (uint64_t k = 0; k < want->count; k += get_step) {
                err = get(t, want->dtype, want->count, sc, st->size, k, &v);
                ASSERT_TRUE(err == BALE_OK || err == BALE_CORRUPT);
                if (err == BALE_OK) bale_values_free(&v);
            }
        }
        bale_values v;
        ASSERT_ERR(decode(t, want->dtype, want->count, st->data, i, want->data_size, &v), BALE_CORRUPT);
    }
    free(sc);
}

/* Package-like names: words joined by '-', some scoped, a few odd bytes. */
static void make_names(strset *s, int n, uint64_t salt) {
    static const char *const words[] = {"react", "vue", "node", "js", "utils", "plugin", "core",
                                        "cli", "api", "babel", "loader", "types", "config", "web"};
    ss_init(s, BALE_DTYPE_STR);
    for (int i = 0; i < n; i++) {
        char buf[96];
        int m = 0;
        uint64_t x = rnd() ^ salt;
        if (x % 5 == 0) m += snprintf(buf + m, sizeof buf - (size_t)m, "@%s/", words[x / 7 % 14]);
        for (int w = 0; w < 1 + (int)(x / 3 % 3); w++)
            m += snprintf(buf + m, sizeof buf - (size_t)m, "%s%s", w ? "-" : "", words[rnd() % 14]);
        if (x % 11 == 0) buf[m++] = (char)(0x80 + x % 100); /* bytes no context has seen */
        if (x % 97 == 0) m = 0;                             /* the empty string */
        ss_add(s, buf, (size_t)m);
    }
}

/* CTX tables (kind 3): asked for by codec, trained on a container's first
 * chunk; round trip, gets, loading with the table only, corrupt tables and
 * stages, every allocation failure. */
static void test_ctx_table(void) {
    strset a, b;
    make_names(&a, 3000, 0);
    make_names(&b, 2000, 12345);
    bale_codec_opts ctx = {BALE_ENC_CTX, BALE_BACKEND_NONE, 0};
    bale_symtab *t = NULL;
    bale_chunk *c, *d;
    /* alone (no container) there is no model: refused */
    ASSERT_ERR(bale_chunk_encode(&a.v, &ctx, &c), BALE_UNSUPPORTED);
    /* too little to train on: encoded as auto would */
    bale_values head = sub_values(&a.v, 0, 20);
    ASSERT_OK(bale_chunk_encode_shared(&head, &ctx, &t, &c));
    ASSERT_TRUE(t == NULL && bale_chunk_encoding(c) != BALE_ENC_CTX);
    bale_chunk_decref(c);
    free(head.offsets);
    ASSERT_OK(bale_chunk_encode_shared(&a.v, &ctx, &t, &c));
    size_t tsize;
    const uint8_t *tb = bale_symtab_bytes(t, &tsize);
    ASSERT_TRUE(t != NULL && tb[5] == BALE_SYMTAB_KIND_CTX && bale_chunk_symtab(c) == t);
    ASSERT_EQ(bale_chunk_encoding(c), BALE_ENC_CTX);
    bale_symtab *first = bale_symtab_incref(t);
    /* other data: the same table, or one retrained on it too */
    ASSERT_OK(bale_chunk_encode_shared(&b.v, &ctx, &t, &d));
    ASSERT_TRUE(bale_chunk_symtab(d) == t && bale_chunk_symtab(c) == first);
    bale_symtab_decref(first);
    tb = bale_symtab_bytes(t, &tsize);
    bale_values out;
    const bale_values *want[2] = {&a.v, &b.v};
    bale_chunk *got[2] = {c, d};
    for (int k = 0; k < 2; k++) {
        ASSERT_OK(bale_chunk_decode(got[k], &out));
        tu_assert_same(want[k], &out);
        bale_values_free(&out);
        assert_every_get(got[k], want[k]);
    }
    /* smaller than FSST on the same values */
    bale_chunk *f;
    ASSERT_OK(bale_chunk_encode(&b.v, NULL, &f));
    ASSERT_TRUE(bale_chunk_encoded_size(d) < bale_chunk_encoded_size(f));
    bale_chunk_decref(f);
    /* loading: with its table only */
    size_t n;
    const uint8_t *db = bale_chunk_bytes(d, &n);
    bale_chunk *back;
    ASSERT_ERR(bale_chunk_from_bytes(db, n, &back), BALE_CORRUPT);
    bale_symtab *t2;
    ASSERT_OK(bale_symtab_from_bytes(tb, tsize, &t2));
    ASSERT_OK(bale_chunk_from_bytes_with(db, n, t2, &back));
    assert_every_get(back, &b.v);
    bale_chunk_decref(back);
    bale_symtab_decref(t2);
    assert_table_bytes_checked(tb, tsize);
    bale__buf st = {0};
    ASSERT_OK(bale__ctab_encode(&b.v, t, &st));
    assert_stages_checked(t, &b.v, &st, bale__ctab_decode, bale__ctab_get, 64, 7, 97);
    bale__buf_free(&st);
    /* every allocation failing in turn: training, encoding, loading, get */
    BALE_TEST_FOR_EACH_FAILURE({
        bale_symtab *ft = NULL;
        bale_chunk *fc = NULL;
        bale_err err = bale_chunk_encode_shared(&a.v, &ctx, &ft, &fc);
        ASSERT_TRUE(err == BALE_OK || err == BALE_NOMEM);
        if (err == BALE_OK) {
            bale_values o2;
            err = bale_chunk_get(fc, 5, &o2);
            ASSERT_TRUE(err == BALE_OK || err == BALE_NOMEM);
            if (err == BALE_OK) bale_values_free(&o2);
            size_t m;
            const void *b2 = bale_chunk_bytes(fc, &m);
            if (ft != NULL) {
                err = bale_chunk_validate_with(b2, m, ft);
                ASSERT_TRUE(err == BALE_OK || err == BALE_NOMEM);
            }
        }
        bale_chunk_decref(fc);
        bale_symtab_decref(ft);
    });
    bale_chunk_decref(c);
    bale_chunk_decref(d);
    bale_symtab_decref(t);
    ss_free(&a);
    ss_free(&b);
}

/* CTX full decode takes blocks two at a time, the second into spare room:
 * every count of blocks (odd, even, a partial last one), blocks too large
 * for the room on the stack, and a data size one off either way (the
 * second block then overruns what is left, or the end is short). */
static void test_ctx_decode_lanes(void) {
    static const int counts[] = {1, 2, 7, 8, 9, 16, 17, 23, 24, 25, 600};
    static const unsigned shifts[] = {1, 3, 7};
    strset train;
    make_names(&train, 3000, 99);
    for (size_t sh = 0; sh < sizeof shifts / sizeof *shifts; sh++) {
        bale_symtab *t;
        ASSERT_OK(bale__ctab_train(&train.v, shifts[sh], &t));
        for (size_t ci = 0; ci < sizeof counts / sizeof *counts; ci++) {
            strset s;
            make_names(&s, counts[ci], 7 * ci + sh);
            if (ci % 3 == 1) { /* a long value: its block needs heap room */
                char big[3000];
                for (size_t k = 0; k < sizeof big; k++) big[k] = (char)('a' + k % 23);
                ss_add(&s, big, sizeof big);
            }
            bale__buf st = {0};
            ASSERT_OK(bale__ctab_encode(&s.v, t, &st));
            bale_values out;
            ASSERT_OK(bale__ctab_decode(t, s.v.dtype, s.v.count, st.data, st.size, s.v.data_size, &out));
            tu_assert_same(&s.v, &out);
            bale_values_free(&out);
            ASSERT_ERR(bale__ctab_decode(t, s.v.dtype, s.v.count, st.data, st.size, s.v.data_size + 1, &out),
                       BALE_CORRUPT);
            if (s.v.data_size > 0)
                ASSERT_ERR(bale__ctab_decode(t, s.v.dtype, s.v.count, st.data, st.size, s.v.data_size - 1, &out),
                           BALE_CORRUPT);
            bale__buf_free(&st);
            ss_free(&s);
        }
        bale_symtab_decref(t);
    }
    ss_free(&train);
}

/* Shared tables: chunks encoded against one decode and get with it, need
 * it to load, reject another, and survive corrupt table bytes. */
static void test_shared_table(void) {
    strset s, other;
    make_dataset(DS_SORTED, BALE_DTYPE_STR, &s);
    make_dataset(DS_PREFIXES, BALE_DTYPE_STR, &other);
    bale_symtab *tab, *tab2;
    ASSERT_OK(bale_symtab_train(&s.v, &tab));
    ASSERT_OK(bale_symtab_train(&other.v, &tab2));
    ASSERT_TRUE(bale_symtab_id(tab) != bale_symtab_id(tab2));
    bale_codec_opts autoo = bale_codec_opts_auto();
    bale_chunk *c, *self;
    ASSERT_OK(bale_chunk_encode_with(&s.v, &autoo, tab, &c));
    ASSERT_OK(bale_chunk_encode(&s.v, &autoo, &self));
    ASSERT_TRUE(bale_chunk_symtab(c) == tab);
    ASSERT_TRUE(bale_chunk_symtab(self) == NULL);
    /* Without its own table the chunk is smaller. */
    ASSERT_TRUE(bale_chunk_encoded_size(c) < bale_chunk_encoded_size(self));
    bale_values out;
    ASSERT_OK(bale_chunk_decode(c, &out));
    tu_assert_same(&s.v, &out);
    bale_values_free(&out);
    assert_every_get(c, &s.v);

    /* Loading: the table is required and checked by id. */
    size_t n, tn;
    const void *bytes = bale_chunk_bytes(c, &n);
    ASSERT_ERR(bale_chunk_validate(bytes, n), BALE_CORRUPT);
    ASSERT_ERR(bale_chunk_validate_with(bytes, n, tab2), BALE_CORRUPT);
    ASSERT_OK(bale_chunk_validate_with(bytes, n, tab));
    /* A self-contained chunk loads with or without a table. */
    size_t sn;
    const void *sbytes = bale_chunk_bytes(self, &sn);
    bale_chunk *sl;
    ASSERT_OK(bale_chunk_from_bytes_with(sbytes, sn, tab2, &sl));
    ASSERT_TRUE(bale_chunk_symtab(sl) == NULL);
    bale_chunk_decref(sl);
    const void *tb = bale_symtab_bytes(tab, &tn);
    bale_symtab *back;
    ASSERT_OK(bale_symtab_from_bytes(tb, tn, &back));
    ASSERT_U64_EQ(bale_symtab_id(back), bale_symtab_id(tab));
    bale_chunk *loaded;
    ASSERT_OK(bale_chunk_from_bytes_with(bytes, n, back, &loaded));
    bale_symtab_decref(back); /* the chunk holds its own reference */
    ASSERT_OK(bale_chunk_decode(loaded, &out));
    tu_assert_same(&s.v, &out);
    bale_values_free(&out);
    assert_every_get(loaded, &s.v);
    bale_chunk_decref(loaded);

    /* Corrupt table bytes: every truncation and a flip of each bit of the
     * first 64 bytes and of sampled later ones fail cleanly, or load a table
     * the chunk then rejects or decodes (never a crash). */
    uint8_t *q = malloc(tn);
    for (size_t k = 0; k < tn; k++) {
        memcpy(q, tb, k);
        ASSERT_TRUE(bale_symtab_from_bytes(q, k, &back) != BALE_OK);
    }
    for (size_t k = 0; k < tn; k += k < 64 ? 1 : 7) {
        for (int bit = 0; bit < 8; bit++) {
            memcpy(q, tb, tn);
            q[k] ^= (uint8_t)(1u << bit);
            if (bale_symtab_from_bytes(q, tn, &back) == BALE_OK) {
                (void)bale_chunk_validate_with(bytes, n, back);
                bale_symtab_decref(back);
            }
        }
    }
    free(q);

    /* A container's way: chunk after chunk with bale_chunk_encode_shared. */
    bale_symtab *ct = NULL;
    for (uint64_t i = 0; i < s.v.count; i += 250) {
        uint64_t j = i + 250 < s.v.count ? i + 250 : s.v.count;
        bale_values part = sub_values(&s.v, i, j);
        bale_chunk *pc;
        ASSERT_OK(bale_chunk_encode_shared(&part, NULL, &ct, &pc));
        ASSERT_OK(bale_chunk_decode(pc, &out));
        tu_assert_same(&part, &out);
        bale_values_free(&out);
        assert_every_get(pc, &part);
        bale_chunk_decref(pc);
        free(part.offsets);
    }
    ASSERT_TRUE(ct != NULL);
    bale_symtab_decref(ct);
    /* Low-cardinality strings train a DICT table instead (test_dict_table),
     * and a chunk of them is encoded on its own against an FSST table. */
    strset low;
    make_dataset(DS_LOWCARD, BALE_DTYPE_STR, &low);
    ct = NULL;
    bale_chunk *lc;
    ASSERT_OK(bale_chunk_encode_shared(&s.v, NULL, &ct, &lc));
    bale_chunk_decref(lc);
    ASSERT_TRUE(ct != NULL && ((const uint8_t *)bale_symtab_bytes(ct, NULL))[5] == 1);
    ASSERT_OK(bale_chunk_encode_shared(&low.v, NULL, &ct, &lc));
    ASSERT_TRUE(bale_chunk_symtab(lc) == NULL);
    ASSERT_OK(bale_chunk_decode(lc, &out));
    tu_assert_same(&low.v, &out);
    bale_values_free(&out);
    bale_chunk_decref(lc);
    bale_symtab_decref(ct);
    ss_free(&low);

    /* Every allocation failing in turn: training and shared encoding. */
    BALE_TEST_FOR_EACH_FAILURE({
        bale_symtab *t = NULL;
        bale_chunk *pc = NULL;
        bale_err err = bale_chunk_encode_shared(&s.v, NULL, &t, &pc);
        ASSERT_TRUE(err == BALE_OK || err == BALE_NOMEM);
        if (err == BALE_OK) {
            bale_values o2;
            err = bale_chunk_get(pc, 3, &o2);
            ASSERT_TRUE(err == BALE_OK || err == BALE_NOMEM);
            if (err == BALE_OK) bale_values_free(&o2);
            size_t m;
            const void *b2 = bale_chunk_bytes(pc, &m);
            err = bale_chunk_validate_with(b2, m, t);
            ASSERT_TRUE(err == BALE_OK || err == BALE_NOMEM);
        }
        bale_chunk_decref(pc);
        bale_symtab_decref(t);
    });

    bale_chunk_decref(c);
    bale_chunk_decref(self);
    bale_symtab_decref(tab);
    bale_symtab_decref(tab2);
    ss_free(&s);
    ss_free(&other);
}

/* Low-cardinality strings: the first chunk trains a DICT table (kind 2);
 * chunks against it hold Huffman codes in blocks, with escapes for values the
 * table lacks; they decode and get exactly, are smaller than DICT + zstd,
 * load only with their table, and corrupt stages and tables are refused
 * without a crash. */
static void test_dict_table(void) {
    /* 5000 codes of 200 kinds, skewed like airports in a flights column */
    strset low;
    ss_init(&low, BALE_DTYPE_STR);
    for (int i = 0; i < 5000; i++) {
        char code[8];
        uint64_t x = rnd() % 1000;
        int m = snprintf(code, sizeof code, "K%03u", (unsigned)(x * x / 5000));
        ss_add(&low, code, (size_t)m);
    }
    bale_symtab *t = NULL;
    bale_chunk *c;
    /* a chunk of less than half a List chunk trains no table (it would not
     * pay for its memory) */
    bale_values head = sub_values(&low.v, 0, 1000);
    ASSERT_OK(bale_chunk_encode_shared(&head, NULL, &t, &c));
    ASSERT_TRUE(t == NULL && bale_chunk_symtab(c) == NULL);
    bale_chunk_decref(c);
    free(head.offsets);
    ASSERT_OK(bale_chunk_encode_shared(&low.v, NULL, &t, &c));
    size_t tsize;
    const uint8_t *tb = bale_symtab_bytes(t, &tsize);
    ASSERT_TRUE(t != NULL && tb[5] == BALE_SYMTAB_KIND_DICT && bale_chunk_symtab(c) == t);
    ASSERT_EQ(bale_chunk_encoding(c), BALE_ENC_DICT);
    ASSERT_EQ(bale_chunk_backend(c), BALE_BACKEND_NONE);
    bale_values out;
    ASSERT_OK(bale_chunk_decode(c, &out));
    tu_assert_same(&low.v, &out);
    bale_values_free(&out);
    assert_every_get(c, &low.v);
    ASSERT_TRUE(tu_check_ids(c, &low.v)); /* the table's values, then the chunk's ids */
    /* smaller than the chunk's own dictionary + zstd */
    bale_chunk *self;
    ASSERT_OK(bale_chunk_encode(&low.v, NULL, &self));
    ASSERT_EQ(bale_chunk_encoding(self), BALE_ENC_DICT);
    ASSERT_TRUE(bale_chunk_encoded_size(c) < bale_chunk_encoded_size(self));
    bale_chunk_decref(self);
    /* A List's table has blocks of BALE_DTAB_BLOCK_SHIFT; a container read
     * one value at a time (a Dict's values) gets shorter ones, and every
     * value still gets back exactly. */
    ASSERT_U64_EQ(bale__symtab_shift(t), BALE_DTAB_BLOCK_SHIFT);
    {
        bale_symtab *ta = NULL;
        bale_chunk *ca;
        ASSERT_OK(bale__chunk_encode_shared_shift(&low.v, NULL, 0, BALE__SHARED_ACCESS, &ta, &ca));
        ASSERT_TRUE(ta != NULL && bale__symtab_kind(ta) == BALE_SYMTAB_KIND_DICT);
        ASSERT_TRUE(bale__symtab_shift(ta) < BALE_DTAB_BLOCK_SHIFT);
        assert_every_get(ca, &low.v);
        ASSERT_TRUE(bale_chunk_encoded_size(ca) > bale_chunk_encoded_size(c)); /* more blocks */
        bale_chunk_decref(ca);
        bale_symtab_decref(ta);
    }

    /* A chunk with values the table lacks (escapes, one repeated), and the
     * empty string. */
    strset more;
    ss_init(&more, BALE_DTYPE_STR);
    for (uint64_t i = 0; i < 3000; i++) {
        const char *x = i % 97 == 5 ? "NEW-AIRPORT" : i % 301 == 7 ? "" : i % 89 == 3 ? "JFK" : NULL;
        if (x) ss_add(&more, x, strlen(x));
        else {
            uint64_t k = i % low.v.count;
            ss_add(&more, (const char *)low.v.data + low.v.offsets[k],
                   (size_t)(low.v.offsets[k + 1] - low.v.offsets[k]));
        }
    }

    bale_chunk *e;
    ASSERT_OK(bale_chunk_encode_shared(&more.v, NULL, &t, &e));
    ASSERT_TRUE(bale_chunk_symtab(e) == t);
    tb = bale_symtab_bytes(t, &tsize);
    ASSERT_OK(bale_chunk_decode(e, &out));
    tu_assert_same(&more.v, &out);
    bale_values_free(&out);
    assert_every_get(e, &more.v);
    ASSERT_TRUE(tu_check_ids(e, &more.v)); /* escapes too */
    /* One escaped value (its code carries no index bits: the fast paths of
     * bale__dtab_decode_ids), in blocks two at a time and alone. */
    strset one;
    ss_init(&one, BALE_DTYPE_STR);
    for (uint64_t i = 0; i < 2000; i++) {
        uint64_t k = (i * 7) % low.v.count;
        if (i % 50 == 9) ss_add(&one, "ONLY-NEW", 8);
        else
            ss_add(&one, (const char *)low.v.data + low.v.offsets[k],
                   (size_t)(low.v.offsets[k + 1] - low.v.offsets[k]));
    }
    bale_chunk *e1;
    bale_symtab *t1 = bale_symtab_incref(t);
    ASSERT_OK(bale_chunk_encode_shared(&one.v, NULL, &t1, &e1));
    ASSERT_TRUE(bale_chunk_symtab(e1) == t1);
    ASSERT_TRUE(tu_check_ids(e1, &one.v));
    bale_chunk_decref(e1);
    bale_symtab_decref(t1);
    ss_free(&one);

    /* Loading: with its table only. */
    size_t n;
    const uint8_t *b = bale_chunk_bytes(e, &n);
    bale_chunk *back;
    ASSERT_ERR(bale_chunk_from_bytes(b, n, &back), BALE_CORRUPT);
    ASSERT_OK(bale_chunk_from_bytes_with(b, n, t, &back));
    assert_every_get(back, &more.v);
    bale_chunk_decref(back);
    strset names;
    make_dataset(DS_SORTED, BALE_DTYPE_STR, &names);
    bale_symtab *fsst_tab;
    ASSERT_OK(bale_symtab_train(&names.v, &fsst_tab));
    ASSERT_ERR(bale_chunk_validate_with(b, n, fsst_tab), BALE_CORRUPT);
    bale_symtab_decref(fsst_tab);
    ss_free(&names);
    bale_symtab *t2;
    ASSERT_OK(bale_symtab_from_bytes(tb, tsize, &t2));
    ASSERT_U64_EQ(bale_symtab_id(t2), bale_symtab_id(t));
    ASSERT_OK(bale_chunk_validate_with(b, n, t2));
    ASSERT_TRUE(bale_symtab_nbytes(t2) > tsize);
    bale_symtab_decref(t2);

    assert_table_bytes_checked(tb, tsize);
    bale__buf st = {0};
    ASSERT_OK(bale__dtab_encode(&more.v, t, &st));
    ASSERT_TRUE(bale__dtab_stage_escapes(st.data, st.size) > 0); /* "NEW-AIRPORT" at least */
    assert_stages_checked(t, &more.v, &st, bale__dtab_decode, bale__dtab_get, SIZE_MAX, 1, 211);
    {
        /* The last block ends in the body's last byte: a byte more, even of
         * zero bits, is corrupt; so is a set bit in the last byte's padding
         * (when it has any), and a block index claiming more bits. */
        uint8_t *longer = malloc(st.size + 1);
        memcpy(longer, st.data, st.size);
        longer[st.size] = 0;
        bale_values v;
        ASSERT_ERR(bale__dtab_decode(t, more.v.dtype, more.v.count, longer, st.size + 1,
                                     more.v.data_size, &v),
                   BALE_CORRUPT);
        ASSERT_OK(bale__dtab_decode(t, more.v.dtype, more.v.count, st.data, st.size,
                                    more.v.data_size, &v));
        bale_values_free(&v);
        /* A bit of the last byte flipped: a padding bit (corrupt) or a
         * code's (other values, or corrupt); never the same values. */
        int corrupt = 0;
        for (unsigned k = 0; k < 8; k++) {
            memcpy(longer, st.data, st.size);
            longer[st.size - 1] ^= (uint8_t)(1u << k);
            bale_err err = bale__dtab_decode(t, more.v.dtype, more.v.count, longer, st.size,
                                             more.v.data_size, &v);
            if (err == BALE_OK) {
                ASSERT_TRUE(v.data_size != more.v.data_size ||
                            memcmp(v.offsets, more.v.offsets,
                                   (more.v.count + 1) * sizeof *v.offsets) ||
                            memcmp(v.data, more.v.data, (size_t)v.data_size));
                bale_values_free(&v);
            } else {
                ASSERT_ERR(err, BALE_CORRUPT);
                corrupt++;
            }
        }
        ASSERT_TRUE(corrupt > 0); /* this stage's last byte has padding */
        free(longer);
    }
    bale__buf_free(&st);

    /* Eight or more new values in a chunk: a retrained table that has them
     * and keeps the old ones (the first chunk's values code without
     * escapes against it). */
    strset grown;
    ss_init(&grown, BALE_DTYPE_STR);
    for (int i = 0; i < 5000; i++) {
        char code[8];
        int m = i % 3 ? snprintf(code, sizeof code, "K%03u", (unsigned)(i % 150))
                      : snprintf(code, sizeof code, "N%02u", (unsigned)(i % 40));
        ss_add(&grown, code, (size_t)m);
    }
    bale_symtab *old_tab = bale_symtab_incref(t);
    bale_chunk *g;
    ASSERT_OK(bale_chunk_encode_shared(&grown.v, NULL, &t, &g));
    ASSERT_TRUE(t != old_tab && bale_chunk_symtab(g) == t);
    ASSERT_OK(bale_chunk_decode(g, &out));
    tu_assert_same(&grown.v, &out);
    bale_values_free(&out);
    assert_every_get(g, &grown.v);
    ASSERT_OK(bale_chunk_decode(e, &out)); /* older chunks keep their table */
    tu_assert_same(&more.v, &out);
    bale_values_free(&out);
    bale__buf gst = {0};
    ASSERT_OK(bale__dtab_encode(&low.v, t, &gst));
    ASSERT_U64_EQ(bale__dtab_stage_escapes(gst.data, gst.size), 0);
    bale__buf_free(&gst);
    bale_symtab_decref(old_tab);
    bale_chunk_decref(g);

    /* Every allocation failing in turn: training, encoding, loading. */
    BALE_TEST_FOR_EACH_FAILURE({
        bale_symtab *ft = NULL;
        bale_chunk *fc = NULL;
        bale_err err = bale_chunk_encode_shared(&low.v, NULL, &ft, &fc);
        ASSERT_TRUE(err == BALE_OK || err == BALE_NOMEM);
        if (err == BALE_OK) {
            bale_chunk *f2 = NULL;
            err = bale_chunk_encode_shared(&more.v, NULL, &ft, &f2);
            ASSERT_TRUE(err == BALE_OK || err == BALE_NOMEM);
            if (err == BALE_OK) {
                bale_values o2;
                err = bale_chunk_get(f2, 5, &o2);
                ASSERT_TRUE(err == BALE_OK || err == BALE_NOMEM);
                if (err == BALE_OK) bale_values_free(&o2);
                size_t m;
                const void *b2 = bale_chunk_bytes(f2, &m);
                if (ft != NULL) {
                    err = bale_chunk_validate_with(b2, m, ft);
                    ASSERT_TRUE(err == BALE_OK || err == BALE_NOMEM);
                }
                bale_chunk *f3 = NULL; /* a retrain */
                err = bale_chunk_encode_shared(&grown.v, NULL, &ft, &f3);
                ASSERT_TRUE(err == BALE_OK || err == BALE_NOMEM);
                if (err == BALE_OK) {
                    err = bale_chunk_decode(f3, &o2);
                    ASSERT_TRUE(err == BALE_OK || err == BALE_NOMEM);
                    if (err == BALE_OK) bale_values_free(&o2);
                }
                bale_chunk_decref(f3);
            }
            bale_chunk_decref(f2);
        }
        bale_chunk_decref(fc);
        bale_symtab_decref(ft);
    });

    /* A column whose every chunk brings new categories: at most 3 retrains,
     * so at most 4 tables however long it runs. */
    {
        bale_symtab *dt = NULL, *prev = NULL;
        size_t nseen = 0; /* tables the column had (a new one is never at the
                             address of the one it replaces: that one lives
                             until the new one is made) */
        for (int k = 0; k < 40; k++) {
            strset ch;
            ss_init(&ch, BALE_DTYPE_STR);
            for (int i = 0; i < 4000; i++) {
                char code[12];
                int m = snprintf(code, sizeof code, "G%02d-%02u", k, (unsigned)(rnd() % 20));
                ss_add(&ch, code, (size_t)m);
            }
            bale_chunk *cc;
            ASSERT_OK(bale_chunk_encode_shared(&ch.v, NULL, &dt, &cc));
            ASSERT_OK(bale_chunk_decode(cc, &out));
            tu_assert_same(&ch.v, &out);
            bale_values_free(&out);
            if (dt != prev) nseen++;
            prev = dt;
            bale_chunk_decref(cc);
            ss_free(&ch);
        }
        ASSERT_TRUE(nseen >= 1 && nseen <= 4);
        bale_symtab_decref(dt);
    }
    /* An empty run with a DICT table encodes as without one. */
    {
        bale_values none = {BALE_DTYPE_STR, 0, NULL, NULL, 0};
        uint64_t zero = 0;
        none.offsets = &zero;
        bale_codec_opts dict = tu_opts(BALE_ENC_DICT, BALE_BACKEND_NONE, 0);
        bale_chunk *ec;
        ASSERT_OK(bale_chunk_encode_with(&none, &dict, t, &ec));
        ASSERT_TRUE(bale_chunk_symtab(ec) == NULL && bale_chunk_count(ec) == 0);
        bale_chunk_decref(ec);
    }

    /* More distinct values than a table holds: the chunk goes on its own. */
    strset many;
    ss_init(&many, BALE_DTYPE_STR);
    char buf[16];
    for (int i = 0; i < 8000; i++) {
        int m = snprintf(buf, sizeof buf, "v%d", i % 1500);
        ss_add(&many, buf, (size_t)m);
    }

    bale_symtab *mt;
    ASSERT_ERR(bale__dtab_train(&many.v, 0, &mt), BALE_UNSUPPORTED);
    ss_free(&many);

    bale_chunk_decref(c);
    bale_chunk_decref(e);
    bale_symtab_decref(t);
    ss_free(&grown);
    ss_free(&more);
    ss_free(&low);
}

/* A self-contained FSST chunk builds its decoder on the first get and keeps
 * it: counted in nbytes once, bounded, the same answers as the full decode,
 * also when several threads race to build it. */
typedef struct get_job {
    const bale_chunk *c;
    const bale_values *want;
    int bad;
} get_job;

static int get_job_run(void *arg) {
    get_job *j = arg;
    for (uint64_t i = 0; i < j->want->count; i++) {
        bale_values one;
        uint64_t k = (i * 7919u) % j->want->count;
        if (bale_chunk_get(j->c, k, &one) != BALE_OK) {
            j->bad = 1;
            continue;
        }
        uint64_t n = j->want->offsets[k + 1] - j->want->offsets[k];
        if (one.data_size != n ||
            memcmp(one.data, (const uint8_t *)j->want->data + j->want->offsets[k], (size_t)n) != 0)
            j->bad = 1;
        bale_values_free(&one);
    }
    return 0;
}

static void test_get_cache(void) {
    static const int sets[] = {DS_SORTED, DS_RANDOM, DS_ALL_BYTES, DS_PREFIXES};
    static const unsigned flags[] = {BALE_FSST_FRONT | BALE_FSST_HUFF, BALE_FSST_HUFF, 0,
                                     BALE_FSST_FRONT};
    for (size_t d = 0; d < sizeof sets / sizeof *sets; d++) {
        strset s;
        make_dataset(sets[d], BALE_DTYPE_STR, &s);
        bale_codec_opts o = tu_opts(BALE_ENC_FSST, BALE_BACKEND_NONE, 0);
        bale_chunk *c;
        ASSERT_OK(bale_chunk_encode(&s.v, &o, &c));
        uint64_t n0 = bale_chunk_nbytes(c);
        assert_every_get(c, &s.v);
        uint64_t n1 = bale_chunk_nbytes(c);
        ASSERT_TRUE(n1 > n0 && n1 - n0 < 8192);
        assert_every_get(c, &s.v);
        ASSERT_U64_EQ(bale_chunk_nbytes(c), n1);
        bale_chunk_decref(c);
        /* Each flag combination at the stage level, gets through the
         * cache against the full decode. */
        for (size_t f = 0; f < sizeof flags / sizeof *flags; f++) {
            bale__buf st = {0};
            ASSERT_OK(bale__fsst_encode_opts(&s.v, flags[f], BALE_STR_BLOCK_SHIFT, &st));
            bale__fsst_dec *dec;
            ASSERT_OK(bale__fsst_dec_new(s.v.count, st.data, st.size, &dec));
            ASSERT_TRUE(bale__fsst_dec_nbytes(dec) > 0);
            for (uint64_t i = 0; i < s.v.count; i++) {
                bale_values one;
                ASSERT_OK(bale__fsst_get_with(dec, NULL, BALE_DTYPE_STR, s.v.count, st.data, st.size,
                                              i, &one));
                uint64_t n = s.v.offsets[i + 1] - s.v.offsets[i];
                ASSERT_U64_EQ(one.data_size, n);
                ASSERT_MEM_EQ(one.data, (const uint8_t *)s.v.data + s.v.offsets[i], (size_t)n);
                bale_values_free(&one);
            }
            bale__fsst_dec_free(dec);
            bale__buf_free(&st);
        }
        /* Threads racing for the first get of a fresh chunk. */
        if (s.v.count > 0) {
            ASSERT_OK(bale_chunk_encode(&s.v, &o, &c));
            enum { T = 4 };
            thrd_t th[T];
            get_job jobs[T];
            for (int t = 0; t < T; t++) {
                jobs[t] = (get_job){c, &s.v, 0};
                ASSERT_TRUE(thrd_create(&th[t], get_job_run, &jobs[t]) == thrd_success);
            }
            for (int t = 0; t < T; t++) {
                thrd_join(th[t], NULL);
                ASSERT_TRUE(!jobs[t].bad);
            }
            bale_chunk_decref(c);
        }
        ss_free(&s);
    }
    /* A failing allocation while building the cache: the get still answers
     * (or reports NOMEM), and nothing leaks. */
    strset s;
    make_dataset(DS_SORTED, BALE_DTYPE_STR, &s);
    bale_codec_opts o = tu_opts(BALE_ENC_FSST, BALE_BACKEND_NONE, 0);
    bale_chunk *c;
    ASSERT_OK(bale_chunk_encode(&s.v, &o, &c));
    BALE_TEST_FOR_EACH_FAILURE({
        bale_chunk *fresh;
        size_t n;
        const void *b = bale_chunk_bytes(c, &n);
        bale_err err = bale_chunk_from_bytes(b, n, &fresh);
        ASSERT_TRUE(err == BALE_OK || err == BALE_NOMEM);
        if (err == BALE_OK) {
            bale_values one;
            err = bale_chunk_get(fresh, 5, &one);
            ASSERT_TRUE(err == BALE_OK || err == BALE_NOMEM);
            if (err == BALE_OK) bale_values_free(&one);
            bale_chunk_decref(fresh);
        }
    });
    bale_chunk_decref(c);
    ss_free(&s);
}

/* A table trained for smaller blocks: its chunks use them (more block
 * offsets, same values), its bytes keep the shift (byte 7), and
 * out-of-range shifts are refused. */
static void test_table_block_shift(void) {
    strset s;
    make_dataset(DS_RANDOM, BALE_DTYPE_STR, &s);
    bale_symtab *t16, *t8, *back;
    ASSERT_ERR(bale__symtab_train_shift(&s.v, 0, &t8), BALE_INVALID);
    ASSERT_ERR(bale__symtab_train_shift(&s.v, BALE_STR_MAX_BLOCK_SHIFT + 1, &t8), BALE_INVALID);
    ASSERT_OK(bale_symtab_train(&s.v, &t16));
    ASSERT_OK(bale__symtab_train_shift(&s.v, 3, &t8));
    ASSERT_U64_EQ(bale__symtab_shift(t16), BALE_STR_BLOCK_SHIFT);
    ASSERT_U64_EQ(bale__symtab_shift(t8), 3);
    bale_codec_opts fsst = tu_opts(BALE_ENC_FSST, BALE_BACKEND_NONE, 0);
    bale_chunk *c16, *c8;
    ASSERT_OK(bale_chunk_encode_with(&s.v, &fsst, t16, &c16));
    ASSERT_OK(bale_chunk_encode_with(&s.v, &fsst, t8, &c8));
    /* Twice the blocks: more offsets, nothing else. */
    ASSERT_TRUE(bale_chunk_encoded_size(c8) > bale_chunk_encoded_size(c16));
    bale_values out;
    ASSERT_OK(bale_chunk_decode(c8, &out));
    tu_assert_same(&s.v, &out);
    bale_values_free(&out);
    assert_every_get(c8, &s.v);

    /* The bytes: the default is written as 0, a shift as itself. */
    size_t n16, n8;
    const uint8_t *b16 = bale_symtab_bytes(t16, &n16), *b8 = bale_symtab_bytes(t8, &n8);
    ASSERT_U64_EQ(b16[7], 0);
    ASSERT_U64_EQ(b8[7], 3);
    ASSERT_OK(bale_symtab_from_bytes(b8, n8, &back));
    ASSERT_U64_EQ(bale__symtab_shift(back), 3);
    bale_symtab_decref(back);
    uint8_t *q = malloc(n8);
    memcpy(q, b8, n8);
    q[7] = BALE_STR_MAX_BLOCK_SHIFT + 1;
    ASSERT_ERR(bale_symtab_from_bytes(q, n8, &back), BALE_CORRUPT);
    free(q);

    /* A container's way: the table trained there has the shift asked for. */
    strset sorted;
    make_dataset(DS_SORTED, BALE_DTYPE_STR, &sorted);
    bale_symtab *ct = NULL;
    bale_chunk *pc;
    ASSERT_OK(bale__chunk_encode_shared_shift(&sorted.v, NULL, 3, 0, &ct, &pc));
    ASSERT_TRUE(ct != NULL && bale__symtab_shift(ct) == 3);
    bale_chunk_decref(pc);
    bale_symtab_decref(ct);

    bale_chunk_decref(c16);
    bale_chunk_decref(c8);
    bale_symtab_decref(t16);
    bale_symtab_decref(t8);
    ss_free(&s);
    ss_free(&sorted);
}

/* Eight chunks of one column encoded as a container does, of `kind`:
 * RL_SKEWED, categories whose skew after the first chunk is the reverse of
 * the first's; RL_WORDS, made-up words (FSST); RL_MANY, 100 categories a
 * chunk, each chunk its own (800 in all, more than a DICT table holds).
 * cs[k] hold the values ss[k]. */
enum { RL_N = 8 };
enum { RL_SKEWED, RL_WORDS, RL_MANY };
static void relearn_column(int kind, strset *ss, bale_chunk **cs, bale_symtab **tab) {
    *tab = NULL;
    for (int k = 0; k < RL_N; k++) {
        ss_init(&ss[k], BALE_DTYPE_STR);
        for (int i = 0; i < 5000; i++) {
            char v[24];
            int m;
            if (kind == RL_WORDS) {
                m = (int)(4 + rnd() % 12);
                for (int j = 0; j < m; j++) v[j] = (char)('a' + rnd() % 7 + (j % 3) * 6);
            } else if (kind == RL_MANY) {
                m = snprintf(v, sizeof v, "C%d-%03u", k, (unsigned)(rnd() % 100));
            } else {
                uint64_t x = rnd() % 1000, idx = x * x / 5000; /* 0..199, low ones common */
                m = snprintf(v, sizeof v, "K%03u", (unsigned)(k ? 199 - idx : idx));
            }
            ss_add(&ss[k], v, (size_t)m);
        }
        ASSERT_OK(bale_chunk_encode_shared(&ss[k].v, NULL, tab, &cs[k]));
    }
}

/* bale__chunks_relearn on a column it must leave alone: nothing changes;
 * then frees the column. */
static void assert_relearn_keeps(strset *ss, bale_chunk **cs, bale_symtab *tab) {
    bale_chunk *was[RL_N];
    memcpy(was, cs, sizeof was);
    bale_symtab *same = tab;
    int done = -1;
    ASSERT_OK(bale__chunks_relearn(cs, RL_N, NULL, 0, &tab, &done));
    ASSERT_TRUE(done == 0 && tab == same);
    for (int k = 0; k < RL_N; k++) {
        ASSERT_TRUE(cs[k] == was[k]);
        bale_chunk_decref(cs[k]);
        ss_free(&ss[k]);
    }
    bale_symtab_decref(tab);
}

/* bale__chunks_relearn: a DICT table trained on all the chunks replaces the
 * first chunk's when that makes chunks plus table smaller; other kinds and
 * failed allocations leave everything as it was. */
static void test_relearn(void) {
    strset ss[RL_N];
    bale_chunk *cs[RL_N], *was[RL_N];
    bale_symtab *tab;
    relearn_column(RL_SKEWED, ss, cs, &tab);
    ASSERT_TRUE(tab != NULL && bale__symtab_kind(tab) == BALE_SYMTAB_KIND_DICT);
    uint64_t before = bale_symtab_nbytes(tab);
    for (int k = 0; k < RL_N; k++) before += bale_chunk_encoded_size(cs[k]);

    /* Every allocation failing in turn: BALE_NOMEM changes nothing. */
    BALE_TEST_FOR_EACH_FAILURE({
        bale_chunk *fc[RL_N];
        for (int k = 0; k < RL_N; k++) fc[k] = bale_chunk_incref(cs[k]);
        bale_symtab *ft = bale_symtab_incref(tab);
        int done = -1;
        bale_err err = bale__chunks_relearn(fc, RL_N, NULL, 0, &ft, &done);
        ASSERT_TRUE(err == BALE_OK || err == BALE_NOMEM);
        if (err != BALE_OK) {
            ASSERT_TRUE(done == 0 && ft == tab);
            for (int k = 0; k < RL_N; k++) ASSERT_TRUE(fc[k] == cs[k]);
        } else {
            ASSERT_TRUE(done == 1 && ft != tab);
        }
        for (int k = 0; k < RL_N; k++) bale_chunk_decref(fc[k]);
        bale_symtab_decref(ft);
    });

    memcpy(was, cs, sizeof cs);
    int done = 0;
    bale_symtab *first = bale_symtab_incref(tab);
    ASSERT_OK(bale__chunks_relearn(cs, RL_N, NULL, 0, &tab, &done));
    ASSERT_TRUE(done == 1 && tab != first && bale__symtab_kind(tab) == BALE_SYMTAB_KIND_DICT);
    uint64_t after = bale_symtab_nbytes(tab);
    for (int k = 0; k < RL_N; k++) {
        ASSERT_TRUE(cs[k] != was[k] && bale_chunk_symtab(cs[k]) == tab);
        after += bale_chunk_encoded_size(cs[k]);
        bale_values out;
        ASSERT_OK(bale_chunk_decode(cs[k], &out));
        tu_assert_same(&ss[k].v, &out);
        bale_values_free(&out);
        assert_every_get(cs[k], &ss[k].v);
    }
    ASSERT_TRUE(after < before);
    /* the next chunk of the column codes against the learnt table, smaller
     * than against the first one */
    bale_chunk *next, *old_next;
    ASSERT_OK(bale_chunk_encode_shared(&ss[1].v, NULL, &tab, &next));
    ASSERT_OK(bale_chunk_encode_with(&ss[1].v, NULL, first, &old_next));
    ASSERT_TRUE(bale_chunk_symtab(next) == tab && bale_chunk_symtab(old_next) == first);
    ASSERT_TRUE(bale_chunk_encoded_size(next) < bale_chunk_encoded_size(old_next));
    bale_chunk_decref(next);
    bale_chunk_decref(old_next);
    bale_symtab_decref(first);
    /* fewer than two chunks: nothing to learn from */
    bale_symtab *same = tab;
    ASSERT_OK(bale__chunks_relearn(cs, 1, NULL, 0, &tab, &done));
    ASSERT_TRUE(done == 0 && tab == same);
    ASSERT_ERR(bale__chunks_relearn(cs, RL_N, NULL, 0, &tab, NULL), BALE_INVALID);
    for (int k = 0; k < RL_N; k++) {
        bale_chunk_decref(cs[k]);
        ss_free(&ss[k]);
    }
    bale_symtab_decref(tab);

    /* More distinct values than a DICT table holds: kept as they are. */
    relearn_column(RL_MANY, ss, cs, &tab);
    ASSERT_TRUE(tab != NULL && bale__symtab_kind(tab) == BALE_SYMTAB_KIND_DICT);
    assert_relearn_keeps(ss, cs, tab);

    /* An FSST table is left alone. */
    relearn_column(RL_WORDS, ss, cs, &tab);
    ASSERT_TRUE(tab != NULL && bale__symtab_kind(tab) == BALE_SYMTAB_KIND_FSST);
    assert_relearn_keeps(ss, cs, tab);
}

BALE_TEST_MAIN(BALE_TEST(test_get_cache), BALE_TEST(test_shared_table), BALE_TEST(test_dict_table), BALE_TEST(test_relearn), BALE_TEST(test_ctx_table), BALE_TEST(test_table_block_shift), BALE_TEST(test_roundtrip_matrix), BALE_TEST(test_huge_value),
               BALE_TEST(test_stage_every_variant), BALE_TEST(test_dict_too_many),
               BALE_TEST(test_every_allocation_failure), BALE_TEST(test_corrupt_stage),
               BALE_TEST(test_full_decode_lanes), BALE_TEST(test_ctx_decode_lanes),
               BALE_TEST(test_policy_choices), BALE_TEST(test_real_data))
