/* test_codec_int.c - FOR, DELTA, DICT (fixed width), SHUFFLE, XORFLOAT and
 * the numeric auto policy: round trips over every backend and edge data,
 * allocation failures, corrupt stages, and the flights columns if present. */
#include "test_util.h"

#include "../../src/codec/int_internal.h"
#include "../../src/chunk/chunk_internal.h"

#include <unistd.h>

static const bale_backend all_backends[] = {BALE_BACKEND_NONE, BALE_BACKEND_LZ4,
                                            BALE_BACKEND_ZSTD, BALE_BACKEND_ZLIB};
static const bale_encoding num_encodings[] = {BALE_ENC_PLAIN, BALE_ENC_FOR,
                                              BALE_ENC_DELTA, BALE_ENC_DICT,
                                              BALE_ENC_SHUFFLE, BALE_ENC_XORFLOAT,
                                              BALE_ENC_DECIMAL};
#define NBACK (sizeof all_backends / sizeof *all_backends)
#define NENC (sizeof num_encodings / sizeof *num_encodings)

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void) {
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

/* ---- stage-level helpers: every variant, straight through the table ------ */

typedef bale_err (*variant_fn)(const bale_values *, bale__int_variant, bale__buf *);

typedef struct stage_case {
    bale_encoding enc;
    variant_fn fn; /* NULL: the table's encode */
    bale__int_variant var;
} stage_case;

static const stage_case stage_cases[] = {
    {BALE_ENC_FOR, bale__for_encode_variant, BALE__VAR_PACKED},
    {BALE_ENC_FOR, bale__for_encode_variant, BALE__VAR_PLANES},
    {BALE_ENC_DELTA, bale__delta_encode_variant, BALE__VAR_PACKED},
    {BALE_ENC_DELTA, bale__delta_encode_variant, BALE__VAR_PLANES},
    {BALE_ENC_DELTA, bale__delta_encode_variant, BALE__VAR_PATCHED},
    {BALE_ENC_DELTA, bale__delta_encode_variant, BALE__VAR_BLOCKS},
    {BALE_ENC_DICT, bale__dict_fixed_encode_variant, BALE__VAR_PACKED},
    {BALE_ENC_DICT, bale__dict_fixed_encode_variant, BALE__VAR_PLANES},
    {BALE_ENC_DICT, bale__dict_fixed_encode_variant, BALE__VAR_SECTIONS},
    {BALE_ENC_DICT, bale__dict_fixed_encode_variant, BALE__VAR_BLOCKS},
    {BALE_ENC_SHUFFLE, NULL, BALE__VAR_PACKED},
    {BALE_ENC_XORFLOAT, NULL, BALE__VAR_PACKED},
    {BALE_ENC_DECIMAL, NULL, BALE__VAR_PACKED},
};
#define NSTAGE (sizeof stage_cases / sizeof *stage_cases)

static bale_err stage_encode(const stage_case *sc, const bale_values *in, bale__buf *out) {
    if (sc->fn) return sc->fn(in, sc->var, out);
    return bale__encoding_find(sc->enc)->encode(in, out);
}

/* Encodes with one stage variant, decodes and gets every element back. */
static void stage_roundtrip(const stage_case *sc, const bale_values *in) {
    const bale__encoding_impl *impl = bale__encoding_find(sc->enc);
    ASSERT_TRUE(impl != NULL);
    if (!impl->supports(in->dtype)) return;
    bale__buf st = {0};
    bale_err err = stage_encode(sc, in, &st);
    if (err == BALE_UNSUPPORTED && sc->enc == BALE_ENC_DICT) {
        bale__buf_free(&st);
        return;
    }
    ASSERT_OK(err);
    bale_values out;
    ASSERT_OK(impl->decode(in->dtype, in->count, st.data, st.size, in->data_size, &out));
    tu_assert_same(in, &out);
    bale_values_free(&out);
    size_t w = bale_dtype_width(in->dtype);
    uint64_t step = in->count > 200 ? in->count / 97 : 1;
    for (uint64_t i = 0; impl->get && i < in->count; i += step) {
        bale_values one;
        ASSERT_OK(impl->get(in->dtype, in->count, st.data, st.size, i, &one));
        ASSERT_MEM_EQ(one.data, (const uint8_t *)in->data + i * w, w);
        bale_values_free(&one);
    }
    if (impl->get) {
        bale_values one;
        ASSERT_ERR(impl->get(in->dtype, in->count, st.data, st.size, in->count, &one),
                   BALE_RANGE);
    }
    bale__buf_free(&st);
}

/* Every encoding x backend through the chunk API, then every stage variant. */
static void roundtrip_all(const bale_values *in) {
    for (size_t e = 0; e < NENC; e++) {
        if (!bale_encoding_supports(num_encodings[e], in->dtype)) continue;
        for (size_t b = 0; b < NBACK; b++) {
            bale_codec_opts o = tu_opts(num_encodings[e], all_backends[b], 0);
            bale_chunk *c = NULL;
            bale_err err = bale_chunk_encode(in, &o, &c);
            if (num_encodings[e] == BALE_ENC_DICT && err == BALE_UNSUPPORTED) continue;
            ASSERT_OK(err);
            bale_chunk_decref(c);
            tu_roundtrip(in, o);
        }
    }
    tu_roundtrip(in, bale_codec_opts_auto());
    for (size_t s = 0; s < NSTAGE; s++) stage_roundtrip(&stage_cases[s], in);
}

static void test_int_edges(void) {
    static int64_t v[3000];
    bale_values in;
    /* empty, one element, extremes (deltas overflow both ways). */
    in = tu_ints(v, 0);
    roundtrip_all(&in);
    v[0] = -42;
    in = tu_ints(v, 1);
    roundtrip_all(&in);
    int64_t ext[] = {INT64_MIN, INT64_MAX, INT64_MIN, 0, -1, INT64_MAX, 1, INT64_MIN};
    in = tu_ints(ext, 8);
    roundtrip_all(&in);
    int64_t ext2[] = {INT64_MAX, INT64_MAX};
    in = tu_ints(ext2, 2);
    roundtrip_all(&in);
    /* constant, sorted, random, alternating extremes over blocks and tails. */
    size_t sizes[] = {63, 64, 65, 128, 1000, 3000};
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        size_t n = sizes[s];
        for (size_t i = 0; i < n; i++) v[i] = 123456789;
        in = tu_ints(v, n);
        roundtrip_all(&in);
        for (size_t i = 0; i < n; i++) v[i] = (int64_t)(i * 7 + (rnd() % 3)) - 500;
        roundtrip_all(&in);
        for (size_t i = 0; i < n; i++) v[i] = (int64_t)rnd();
        roundtrip_all(&in);
        for (size_t i = 0; i < n; i++) v[i] = i % 2 ? INT64_MAX : INT64_MIN;
        roundtrip_all(&in);
        for (size_t i = 0; i < n; i++) v[i] = (int64_t)(rnd() % 5) - 2; /* few distinct */
        roundtrip_all(&in);
    }
    /* DICT: 600 values 5 times each (frequency ties across the hot/cold
     * split), in a narrow range (array-indexed collect) and spread out
     * (hashed collect, multi-byte radix sort). */
    for (size_t i = 0; i < 3000; i++) v[i] = (int64_t)((i * 7) % 600) - 300;
    in = tu_ints(v, 3000);
    roundtrip_all(&in);
    for (size_t i = 0; i < 3000; i++) v[i] = (int64_t)((i * 7) % 600) * 1000003 - 7;
    roundtrip_all(&in);
}

/* Data whose FOR width is exactly w (and deltas as wide), for w = 0..64. */
static void test_every_width(void) {
    static int64_t v[1100];
    for (unsigned w = 0; w <= 64; w++) {
        uint64_t mask = w == 64 ? ~0ull : (1ull << w) - 1;
        size_t sizes[] = {1, 7, 64, 200, 1100};
        for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
            size_t n = sizes[s];
            int64_t base = w == 64 ? 0 : -(int64_t)(mask / 2);
            for (size_t i = 0; i < n; i++) v[i] = base + (int64_t)(rnd() & mask);
            if (n > 1) {
                v[0] = base;
                v[n - 1] = (int64_t)((uint64_t)base + mask);
            }
            bale_values in = tu_ints(v, n);
            /* Width check on the stage: FOR packs at exactly w bits. */
            if (n > 1) {
                bale__buf st = {0};
                ASSERT_OK(bale__for_encode_variant(&in, BALE__VAR_PACKED, &st));
                ASSERT_EQ(st.data[0], w);
                ASSERT_U64_EQ(st.size, 9 + (n * w + 7) / 8);
                bale__buf_free(&st);
            }
            if (n == 1100 || n == 7) {
                roundtrip_all(&in);
            } else {
                for (size_t sc = 0; sc < NSTAGE; sc++) stage_roundtrip(&stage_cases[sc], &in);
            }
        }
    }
}

static void test_floats(void) {
    static double f[2000];
    uint64_t nan_payload = 0x7ff8000000abcdefull, snan = 0xfff0000000000001ull;
    double special[8];
    memcpy(&special[0], &nan_payload, 8);
    memcpy(&special[1], &snan, 8);
    special[2] = INFINITY;
    special[3] = -INFINITY;
    special[4] = -0.0;
    special[5] = 0.0;
    special[6] = 5e-324;
    special[7] = -1.7976931348623157e308;
    bale_values in = tu_floats(special, 8);
    roundtrip_all(&in);
    in = tu_floats(f, 0);
    roundtrip_all(&in);
    double x = 100.0;
    for (size_t i = 0; i < 2000; i++) {
        x += (double)(rnd() % 1000) / 1000.0 - 0.5;
        f[i] = x;
    }
    in = tu_floats(f, 2000);
    roundtrip_all(&in);
    for (size_t i = 0; i < 2000; i++) f[i] = (double)(rnd() % 10) * 0.25;
    roundtrip_all(&in);
    for (size_t i = 0; i < 2000; i++) f[i] = special[rnd() % 8];
    roundtrip_all(&in);
}

/* A fixed-width stage decodes to `in`, and get of every element (and
 * BALE_RANGE past the end) agrees. */
static void assert_stage_every(const bale__encoding_impl *impl, const bale_values *in,
                               const bale__buf *st) {
    bale_values out;
    ASSERT_OK(impl->decode(in->dtype, in->count, st->data, st->size, in->data_size, &out));
    tu_assert_same(in, &out);
    bale_values_free(&out);
    size_t w = bale_dtype_width(in->dtype);
    for (uint64_t i = 0; i <= in->count; i++) {
        bale_values one;
        bale_err err = impl->get(in->dtype, in->count, st->data, st->size, i, &one);
        if (i == in->count) {
            ASSERT_ERR(err, BALE_RANGE);
            break;
        }
        ASSERT_OK(err);
        ASSERT_MEM_EQ(one.data, (const uint8_t *)in->data + i * w, w);
        bale_values_free(&one);
    }
}

/* DECIMAL: the stage's size shows values coded as ints, exceptions come
 * back bit-exact, get agrees everywhere (stage_roundtrip samples it). */
static size_t decimal_stage(const bale_values *in) {
    const bale__encoding_impl *impl = bale__encoding_find(BALE_ENC_DECIMAL);
    bale__buf st = {0};
    ASSERT_OK(impl->encode(in, &st));
    assert_stage_every(impl, in, &st);
    size_t n = st.size;
    bale__buf_free(&st);
    return n;
}

static void test_decimal(void) {
    static double f[4096];
    bale_values in = tu_floats(f, 4096);
    /* prices with two decimals, 0..99.99: 14 bits a value */
    for (size_t i = 0; i < 4096; i++) f[i] = (double)(rnd() % 10000) / 100.0;
    size_t n = decimal_stage(&in);
    ASSERT_TRUE(n <= 5 + 9 + 4096 * 14 / 8 + 1);
    /* a counter stored as floats: k = 0 */
    for (size_t i = 0; i < 4096; i++) f[i] = (double)i - 2000.0;
    ASSERT_TRUE(decimal_stage(&in) <= 5 + 9 + 4096 * 12 / 8 + 1);
    /* exceptions: specials, more digits, beyond 2^53, at the ends too */
    double odd[] = {NAN, INFINITY, -0.0, 0.1 + 0.2, 1e300, 5e-324, 9007199254740993.0};
    for (size_t i = 0; i < 4096; i++)
        f[i] = rnd() % 5 == 0 ? odd[rnd() % 7] : (double)(int64_t)(rnd() % 2001 - 1000) / 8.0;
    f[0] = odd[0];
    f[4095] = odd[2];
    (void)decimal_stage(&in);
    /* all exceptions; one value; none */
    for (size_t i = 0; i < 4096; i++) f[i] = odd[i % 7];
    (void)decimal_stage(&in);
    in = tu_floats(f, 1);
    (void)decimal_stage(&in);
    in = tu_floats(f, 0);
    ASSERT_TRUE(decimal_stage(&in) == 5 + 9);
    /* positions that do not increase, k and nexc out of range: corrupt */
    for (size_t i = 0; i < 8; i++) f[i] = i % 2 ? NAN : 1.5;
    in = tu_floats(f, 8);
    const bale__encoding_impl *impl = bale__encoding_find(BALE_ENC_DECIMAL);
    bale__buf st = {0};
    ASSERT_OK(impl->encode(&in, &st));
    ASSERT_EQ(st.data[0], 1);
    ASSERT_EQ(bale__load32(st.data + 1), 4);
    bale_values out;
    uint8_t keep[4];
    memcpy(keep, st.data + 5 + 4, 4);
    memcpy(st.data + 5 + 4, st.data + 5, 4); /* second position = first */
    ASSERT_ERR(impl->decode(BALE_DTYPE_FLOAT, 8, st.data, st.size, 64, &out), BALE_CORRUPT);
    memcpy(st.data + 5 + 4, keep, 4);
    st.data[0] = 19;
    ASSERT_ERR(impl->decode(BALE_DTYPE_FLOAT, 8, st.data, st.size, 64, &out), BALE_CORRUPT);
    st.data[0] = 1;
    bale__store32(st.data + 1, 9);
    ASSERT_ERR(impl->decode(BALE_DTYPE_FLOAT, 8, st.data, st.size, 64, &out), BALE_CORRUPT);
    bale__store32(st.data + 1, 4);
    ASSERT_OK(impl->decode(BALE_DTYPE_FLOAT, 8, st.data, st.size, 64, &out));
    bale_values_free(&out);
    bale__buf_free(&st);
}

static void test_bools(void) {
    static uint8_t b[1000];
    bale_values in = tu_bools(b, 0);
    roundtrip_all(&in);
    for (size_t n = 1; n <= 1000; n = n * 3 + 1) {
        for (size_t i = 0; i < n; i++) b[i] = rnd() & 1;
        in = tu_bools(b, n);
        roundtrip_all(&in);
        memset(b, 1, n);
        roundtrip_all(&in);
        memset(b, 0, n);
        roundtrip_all(&in);
    }
    /* FOR stage whose values reach 2: corrupt for bools, fine for ints. */
    uint8_t st[9 + 1] = {1, 1, 0, 0, 0, 0, 0, 0, 0, 0x01};
    bale_values out;
    const bale__encoding_impl *f = bale__encoding_find(BALE_ENC_FOR);
    ASSERT_ERR(f->decode(BALE_DTYPE_BOOL, 3, st, sizeof st, 3, &out), BALE_CORRUPT);
    ASSERT_ERR(f->get(BALE_DTYPE_BOOL, 3, st, sizeof st, 0, &out), BALE_CORRUPT);
    ASSERT_OK(f->get(BALE_DTYPE_BOOL, 3, st, sizeof st, 1, &out));
    bale_values_free(&out);
    ASSERT_OK(f->decode(BALE_DTYPE_INT, 3, st, sizeof st, 24, &out));
    ASSERT_EQ(((int64_t *)out.data)[0], 2);
    bale_values_free(&out);
    /* Base 2 with width 0. */
    uint8_t st2[9] = {0, 2, 0, 0, 0, 0, 0, 0, 0};
    ASSERT_ERR(f->decode(BALE_DTYPE_BOOL, 5, st2, sizeof st2, 5, &out), BALE_CORRUPT);
}

static void test_dict_too_many(void) {
    size_t n = BALE_DICT_MAX_DISTINCT + 10;
    int64_t *v = malloc(n * 8);
    for (size_t i = 0; i < n; i++) v[i] = (int64_t)(i * 2654435761u);
    bale_values in = tu_ints(v, n);
    bale_codec_opts o = tu_opts(BALE_ENC_DICT, BALE_BACKEND_NONE, 0);
    bale_chunk *c = NULL;
    ASSERT_ERR(bale_chunk_encode(&in, &o, &c), BALE_UNSUPPORTED);
    ASSERT_TRUE(c == NULL);
    bale__buf st = {0};
    ASSERT_ERR(bale__dict_fixed_encode_variant(&in, BALE__VAR_PLANES, &st), BALE_UNSUPPORTED);
    ASSERT_U64_EQ(st.size, 0);
    bale__buf_free(&st);
    tu_roundtrip(&in, bale_codec_opts_auto());
    /* Exactly at the limit is still a dictionary. */
    in.count = BALE_DICT_MAX_DISTINCT;
    in.data_size = in.count * 8;
    tu_roundtrip(&in, o);
    free(v);
}

/* Encode and decode (and get) with every allocation failing in turn. */
static void test_allocation_failures(void) {
    static int64_t v[3000];
    for (size_t i = 0; i < 3000; i++) v[i] = (int64_t)(i / 3) * 5 + (int64_t)(rnd() % 4);
    v[100] = 1 << 20; /* an exception for patched deltas */
    bale_values ins[2] = {tu_ints(v, 3000), tu_ints(v, 0)};
    static double f[500];
    for (size_t i = 0; i < 500; i++) f[i] = (double)(rnd() % 50);
    bale_values fin = tu_floats(f, 500);
    for (int k = 0; k < 3; k++) {
        const bale_values *in = k < 2 ? &ins[k] : &fin;
        for (size_t e = 0; e < NENC + 1; e++) {
            bale_encoding enc = e < NENC ? num_encodings[e] : BALE_ENC_AUTO;
            if (enc != BALE_ENC_AUTO && !bale_encoding_supports(enc, in->dtype)) continue;
            for (size_t b = 0; b < 3; b++) {
                bale_codec_opts o = enc == BALE_ENC_AUTO ? bale_codec_opts_auto()
                                                         : tu_opts(enc, all_backends[b], 0);
                if (enc == BALE_ENC_AUTO && b > 0) continue;
                BALE_TEST_FOR_EACH_FAILURE({
                    bale_chunk *c = NULL;
                    bale_err err = bale_chunk_encode(in, &o, &c);
                    ASSERT_TRUE(err == BALE_OK || err == BALE_NOMEM);
                    if (err == BALE_OK) {
                        bale_values out;
                        err = bale_chunk_decode(c, &out);
                        ASSERT_TRUE(err == BALE_OK || err == BALE_NOMEM);
                        if (err == BALE_OK) {
                            tu_assert_same(in, &out);
                            bale_values_free(&out);
                        }
                        if (in->count) {
                            err = bale_chunk_get(c, in->count - 1, &out);
                            ASSERT_TRUE(err == BALE_OK || err == BALE_NOMEM);
                            if (err == BALE_OK) bale_values_free(&out);
                        }
                    }
                    bale_chunk_decref(c);
                });
            }
        }
        /* Stage variants straight through encode and decode. */
        for (size_t s = 0; s < NSTAGE; s++) {
            const stage_case *sc = &stage_cases[s];
            const bale__encoding_impl *impl = bale__encoding_find(sc->enc);
            if (!impl->supports(in->dtype)) continue;
            BALE_TEST_FOR_EACH_FAILURE({
                bale__buf st = {0};
                bale_err err = stage_encode(sc, in, &st);
                ASSERT_TRUE(err == BALE_OK || err == BALE_NOMEM);
                if (err == BALE_OK) {
                    bale_values out;
                    err = impl->decode(in->dtype, in->count, st.data, st.size,
                                       in->data_size, &out);
                    ASSERT_TRUE(err == BALE_OK || err == BALE_NOMEM);
                    if (err == BALE_OK) {
                        tu_assert_same(in, &out);
                        bale_values_free(&out);
                    }
                }
                bale__buf_free(&st);
            });
        }
    }
}

/* Decodes bytes that may be anything: must not crash or leak. */
static void decode_any(const bale__encoding_impl *impl, bale_dtype dtype,
                       uint64_t count, const uint8_t *p, size_t n) {
    bale_values out;
    bale_err err = impl->decode(dtype, count, p, n, count * bale_dtype_width(dtype), &out);
    if (err == BALE_OK) {
        ASSERT_U64_EQ(out.count, count);
        if (dtype == BALE_DTYPE_BOOL)
            for (uint64_t i = 0; i < count; i++) ASSERT_TRUE(((uint8_t *)out.data)[i] <= 1);
        bale_values_free(&out);
    } else {
        ASSERT_TRUE(err == BALE_CORRUPT);
    }
    if (impl->get && count) {
        err = impl->get(dtype, count, p, n, rnd() % count, &out);
        if (err == BALE_OK)
            bale_values_free(&out);
        else
            ASSERT_TRUE(err == BALE_CORRUPT);
    }
}

static void corrupt_stage(const bale__encoding_impl *impl, bale_dtype dtype,
                          uint64_t count, const uint8_t *st, size_t n) {
    /* Exact copies so ASan sees any read past the end. */
    for (size_t len = 0; len <= n + 1; len++) {
        uint8_t *p = malloc(len ? len : 1);
        memcpy(p, st, len <= n ? len : n);
        if (len > n) p[n] = 0;
        decode_any(impl, dtype, count, p, len);
        if (len == n + 1) {
            bale_values out;
            ASSERT_TRUE(impl->decode(dtype, count, p, len, count * bale_dtype_width(dtype),
                                     &out) != BALE_OK);
        }
        free(p);
    }
    uint8_t *p = malloc(n ? n : 1);
    for (size_t i = 0; i < n; i++) {
        static const uint8_t flips[] = {0x01, 0x80, 0xff};
        for (size_t f = 0; f < 3; f++) {
            memcpy(p, st, n);
            p[i] ^= flips[f];
            decode_any(impl, dtype, count, p, n);
        }
    }
    for (int t = 0; t < 200; t++) {
        size_t len = (size_t)(rnd() % (n + 16));
        uint8_t *q = malloc(len ? len : 1);
        for (size_t i = 0; i < len; i++) q[i] = (uint8_t)rnd();
        if (len) q[0] = (uint8_t)(rnd() % 3); /* plausible mode/layout bytes */
        decode_any(impl, dtype, count, q, len);
        /* Wrong counts against a valid stage. */
        decode_any(impl, dtype, rnd() % (count + 3), st, n);
        free(q);
    }
    free(p);
}

/* DELTA blocked (BALE__VAR_BLOCKS) and packed (whose get adds the deltas
 * before the element, in steps of 256, or multiplies a constant one): decode
 * and get of every element, over block boundaries, sizes picking several
 * block sizes, wrapping deltas. */
static void delta_check(const bale_values *in, bale__int_variant var) {
    const bale__encoding_impl *impl = bale__encoding_find(BALE_ENC_DELTA);
    bale__buf st = {0};
    ASSERT_OK(bale__delta_encode_variant(in, var, &st));
    if (var == BALE__VAR_BLOCKS) ASSERT_TRUE(st.size >= 20 && st.data[1] == 2);
    assert_stage_every(impl, in, &st);
    bale_values out;
    /* One byte more or less is corrupt for decode. */
    if (var == BALE__VAR_BLOCKS && st.size > 20)
        ASSERT_TRUE(impl->decode(in->dtype, in->count, st.data, st.size - 1, in->data_size,
                                 &out) != BALE_OK);
    bale__buf_free(&st);
}

static void blocks_check(const bale_values *in) {
    delta_check(in, BALE__VAR_BLOCKS);
    delta_check(in, BALE__VAR_PACKED);
}

/* The auto policy prefers an O(1) get (PLAIN, FOR packed) to a backend that
 * saves less than 1/4: random floats in [0, 1) (zstd saves ~12% on their
 * exponent bytes) stay plain; a float counter (zstd: ~14x) keeps zstd. */
static void test_policy_cheap_get(void) {
    static double f[8192];
    for (size_t i = 0; i < 8192; i++) f[i] = (double)(rnd() >> 11) / 9007199254740992.0;
    bale_values in = {BALE_DTYPE_FLOAT, 8192, f, NULL, 8192 * 8};
    bale_codec_opts o = bale_codec_opts_auto();
    bale_chunk *c = NULL;
    ASSERT_OK(bale_chunk_encode(&in, &o, &c));
    ASSERT_EQ(bale_chunk_backend(c), BALE_BACKEND_NONE);
    ASSERT_EQ(bale_chunk_encoding(c), BALE_ENC_PLAIN);
    bale_chunk_decref(c);
    tu_roundtrip(&in, o);
    for (size_t i = 0; i < 8192; i++) f[i] = (double)i;
    ASSERT_OK(bale_chunk_encode(&in, &o, &c));
    ASSERT_TRUE(bale_chunk_backend(c) != BALE_BACKEND_NONE);
    bale_chunk_decref(c);
    tu_roundtrip(&in, o);
    /* Jittered timestamps (ms, one a second): DELTA packed (a get sums up to
     * 8191 deltas) gives way to DELTA blocked, ~16% larger. */
    static int64_t t[8192];
    for (size_t i = 0; i < 8192; i++)
        t[i] = 1700000000000 + (int64_t)i * 1000 + (int64_t)(rnd() % 1000);
    bale_values ts = tu_ints(t, 8192);
    ASSERT_OK(bale_chunk_encode(&ts, &o, &c));
    ASSERT_EQ(bale_chunk_backend(c), BALE_BACKEND_NONE);
    ASSERT_EQ(bale_chunk_encoding(c), BALE_ENC_DELTA);
    const uint8_t *st;
    size_t sn;
    uint8_t *owned;
    ASSERT_OK(bale__chunk_stage(c, &st, &sn, &owned));
    ASSERT_TRUE(owned == NULL && sn >= 2 && st[1] == 2);
    bale_chunk_decref(c);
    tu_roundtrip(&ts, o);
}

static void test_delta_blocks(void) {
    static int64_t v[20000];
    bale_values in = tu_ints(v, 0);
    blocks_check(&in);
    v[0] = INT64_MIN;
    in = tu_ints(v, 1);
    blocks_check(&in);
    int64_t ext[] = {INT64_MIN, INT64_MAX, INT64_MIN, 0, -1, INT64_MAX, 1, INT64_MIN};
    in = tu_ints(ext, 8);
    blocks_check(&in);
    size_t sizes[] = {2, 63, 64, 65, 1000, 1025, 8192, 20000};
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        size_t n = sizes[s];
        in = tu_ints(v, n);
        for (size_t i = 0; i < n; i++) v[i] = INT64_MAX; /* constant */
        blocks_check(&in);
        for (size_t i = 0; i < n; i++) v[i] = (int64_t)rnd(); /* random */
        blocks_check(&in);
        for (size_t i = 0; i < n; i++) v[i] = i % 2 ? INT64_MAX : INT64_MIN; /* wrapping */
        blocks_check(&in);
        /* sorted with repeats (timestamps), a counter, nearly sorted */
        int64_t t = INT64_MAX - 5000;
        for (size_t i = 0; i < n; i++) v[i] = t += rnd() % 8 == 0 ? (int64_t)(rnd() % 3) : 0;
        blocks_check(&in);
        for (size_t i = 0; i < n; i++) v[i] = (int64_t)i - 7;
        blocks_check(&in);
        for (size_t i = 0; i < n; i++)
            v[i] = (int64_t)(i / 5) + (rnd() % 50 == 0 ? -(int64_t)(rnd() % 1000) : 0);
        blocks_check(&in);
        /* rare huge deltas among small ones: Rice escapes */
        for (size_t i = 0; i < n; i++)
            v[i] = (int64_t)(i * 3) + (rnd() % 97 == 0 ? (int64_t)(rnd() >> 1) : 0);
        blocks_check(&in);
    }
    /* Truncations and bit flips of a multi-block stage: error or values,
     * never a crash (corrupt_stage also runs the table's cases). */
    for (size_t i = 0; i < 2000; i++) v[i] = (int64_t)(i / 3) + (int64_t)(rnd() % 3);
    in = tu_ints(v, 2000);
    bale__buf st = {0};
    ASSERT_OK(bale__delta_encode_variant(&in, BALE__VAR_BLOCKS, &st));
    const bale__encoding_impl *impl = bale__encoding_find(BALE_ENC_DELTA);
    uint8_t *p = malloc(st.size);
    for (size_t i = 0; i < st.size; i++) {
        for (unsigned bit = 0; bit < 8; bit++) {
            memcpy(p, st.data, st.size);
            p[i] ^= (uint8_t)(1u << bit);
            decode_any(impl, BALE_DTYPE_INT, 2000, p, st.size);
        }
        decode_any(impl, BALE_DTYPE_INT, 2000, st.data, i); /* truncated */
    }
    free(p);
    bale__buf_free(&st);
}

/* DICT blocked (mode 3): decode and get of every element, one and many
 * blocks, escapes of several classes, every dtype; then malformed stages. */
static void dict_blocks_check(const bale_values *in) {
    const bale__encoding_impl *impl = bale__encoding_find(BALE_ENC_DICT);
    bale__buf st = {0};
    ASSERT_OK(bale__dict_fixed_encode_variant(in, BALE__VAR_BLOCKS, &st));
    ASSERT_TRUE(st.size >= 36 && st.data[0] == 3);
    bale_values out;
    ASSERT_OK(impl->decode(in->dtype, in->count, st.data, st.size, in->data_size, &out));
    tu_assert_same(in, &out);
    bale_values_free(&out);
    size_t w = bale_dtype_width(in->dtype);
    for (uint64_t i = 0; i < in->count; i++) {
        bale_values one;
        ASSERT_OK(impl->get(in->dtype, in->count, st.data, st.size, i, &one));
        ASSERT_MEM_EQ(one.data, (const uint8_t *)in->data + i * w, w);
        bale_values_free(&one);
    }
    bale_values one;
    ASSERT_ERR(impl->get(in->dtype, in->count, st.data, st.size, in->count, &one), BALE_RANGE);
    /* As a dictionary and ids: the same values. */
    bale_values dict, ids;
    ASSERT_OK(bale__dict_fixed_decode_ids(in->dtype, in->count, st.data, st.size, &dict, &ids));
    ASSERT_U64_EQ(ids.count, in->count);
    for (uint64_t i = 0; i < in->count; i++) {
        uint64_t id = ((const uint64_t *)ids.data)[i];
        ASSERT_TRUE(id < dict.count);
        ASSERT_MEM_EQ((const uint8_t *)dict.data + id * w, (const uint8_t *)in->data + i * w, w);
    }
    bale_values_free(&dict);
    bale_values_free(&ids);
    ASSERT_TRUE(bale__dict_fixed_decode_ids(in->dtype, in->count, st.data, st.size - 1, &dict,
                                            &ids) != BALE_OK);
    /* A byte less or more is corrupt for decode. */
    ASSERT_TRUE(impl->decode(in->dtype, in->count, st.data, st.size - 1, in->data_size, &out) !=
                BALE_OK);
    uint8_t *p = malloc(st.size + 1);
    memcpy(p, st.data, st.size);
    p[st.size] = 0;
    ASSERT_TRUE(impl->decode(in->dtype, in->count, p, st.size + 1, in->data_size, &out) != BALE_OK);
    free(p);
    bale__buf_free(&st);
}

static void test_dict_blocks(void) {
    static int64_t v[20000];
    bale_values in = tu_ints(v, 0);
    dict_blocks_check(&in);
    v[0] = INT64_MIN;
    in = tu_ints(v, 1);
    dict_blocks_check(&in);
    int64_t ext[] = {INT64_MIN, INT64_MAX, INT64_MIN, 0, -1, INT64_MAX, 1, INT64_MIN};
    in = tu_ints(ext, 8);
    dict_blocks_check(&in);
    size_t sizes[] = {2, 31, 32, 33, 1000, 8192, 20000};
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        size_t n = sizes[s];
        in = tu_ints(v, n);
        for (size_t i = 0; i < n; i++) v[i] = INT64_MAX; /* constant: no code bits */
        dict_blocks_check(&in);
        for (size_t i = 0; i < n; i++) v[i] = i % 2 ? INT64_MAX : INT64_MIN;
        dict_blocks_check(&in);
        /* skewed small values (delay-like), long codes included */
        for (size_t i = 0; i < n; i++) {
            uint64_t r = rnd();
            v[i] = (int64_t)(__builtin_ctzll(r | (1ull << 40)) * 3) - 5 + (int64_t)(r >> 60);
        }
        dict_blocks_check(&in);
        /* many distinct values, repeated (escape classes) */
        for (size_t i = 0; i < n; i++) v[i] = (int64_t)(rnd() % 3000) * 7 - 9000;
        dict_blocks_check(&in);
        for (size_t i = 0; i < n; i++) v[i] = (int64_t)(rnd() % 600) * 1000003 + INT64_MIN / 2;
        dict_blocks_check(&in);
        /* all distinct, wide (Elias-Fano with a wide low part) */
        for (size_t i = 0; i < n; i++) v[i] = (int64_t)rnd();
        if (n <= BALE_DICT_MAX_DISTINCT) dict_blocks_check(&in);
    }
    static double f[3000];
    for (size_t i = 0; i < 3000; i++) f[i] = (double)(rnd() % 700) * 0.5 - 3.25;
    f[7] = -0.0;
    in = tu_floats(f, 3000);
    dict_blocks_check(&in);
    static uint8_t b[1000];
    for (size_t i = 0; i < 1000; i++) b[i] = rnd() % 5 == 0;
    in = tu_bools(b, 1000);
    dict_blocks_check(&in);
    /* Every bit flipped and every truncation of a multi-block stage with
     * escapes: an error or values, never a crash (ASan). */
    for (size_t i = 0; i < 700; i++) v[i] = (int64_t)(rnd() % 400) * 3;
    in = tu_ints(v, 700);
    bale__buf st = {0};
    ASSERT_OK(bale__dict_fixed_encode_variant(&in, BALE__VAR_BLOCKS, &st));
    const bale__encoding_impl *impl = bale__encoding_find(BALE_ENC_DICT);
    uint8_t *p = malloc(st.size);
    for (size_t i = 0; i < st.size; i++) {
        for (unsigned bit = 0; bit < 8; bit++) {
            memcpy(p, st.data, st.size);
            p[i] ^= (uint8_t)(1u << bit);
            decode_any(impl, BALE_DTYPE_INT, 700, p, st.size);
        }
        uint8_t *q = malloc(i ? i : 1);
        memcpy(q, st.data, i);
        decode_any(impl, BALE_DTYPE_INT, 700, q, i); /* truncated, exact size for ASan */
        free(q);
    }
    /* Specific malformations are rejected before any code is read. */
    bale_values out;
    memcpy(p, st.data, st.size);
    p[1] = 3; /* block shift below the minimum */
    ASSERT_ERR(impl->decode(BALE_DTYPE_INT, 700, p, st.size, 5600, &out), BALE_CORRUPT);
    memcpy(p, st.data, st.size);
    p[2] = 13; /* code lengths above 12 */
    ASSERT_ERR(impl->decode(BALE_DTYPE_INT, 700, p, st.size, 5600, &out), BALE_CORRUPT);
    memcpy(p, st.data, st.size);
    p[36] = 0xff; /* over-full code (Kraft sum > 1) */
    p[37] = 0x0f;
    ASSERT_ERR(impl->decode(BALE_DTYPE_INT, 700, p, st.size, 5600, &out), BALE_CORRUPT);
    ASSERT_ERR(impl->get(BALE_DTYPE_INT, 700, p, st.size, 3, &out), BALE_CORRUPT);
    memcpy(p, st.data, st.size);
    p[36 + 2 * p[2]] = 0; /* escape class with no code length */
    ASSERT_ERR(impl->decode(BALE_DTYPE_INT, 700, p, st.size, 5600, &out), BALE_CORRUPT);
    memcpy(p, st.data, st.size);
    p[8] ^= 0x40; /* cold count no longer matches the Elias-Fano bits */
    ASSERT_ERR(impl->decode(BALE_DTYPE_INT, 700, p, st.size, 5600, &out), BALE_CORRUPT);
    memcpy(p, st.data, st.size);
    p[16] ^= 1; /* slope: every block offset moves */
    ASSERT_ERR(impl->decode(BALE_DTYPE_INT, 700, p, st.size, 5600, &out), BALE_CORRUPT);
    free(p);
    bale__buf_free(&st);
}

/* DICT mode 3 decode builds one of two tables (dict_fixed.c): compact when
 * escapes are rare (at most 1/64 of the code space, <= 256 hot symbols),
 * general otherwise.  Both must decode every value and reject every
 * malformation: bit flips, truncations, and an incomplete code (a hot
 * symbol moved to a longer length keeps the header consistent but leaves
 * invalid codes). */
static int dict_blocks_compact(const uint8_t *st) {
    unsigned L = st[2];
    uint64_t nhot = bale__load16(st + 6), ncold = bale__load32(st + 8), k = (ncold + 255) / 256;
    uint64_t space = 0;
    for (uint64_t c = 0; L && c < k; c++) space += (uint64_t)1 << (L - st[36 + 2 * L + c]);
    return L > 0 && nhot <= 256 && k <= 256 && space <= ((uint64_t)1 << L) >> 6;
}

static void dict_paths_check(const int64_t *v, size_t n, int want_compact) {
    bale_values in = tu_ints(v, n);
    dict_blocks_check(&in);
    bale__buf st = {0};
    ASSERT_OK(bale__dict_fixed_encode_variant(&in, BALE__VAR_BLOCKS, &st));
    ASSERT_EQ(dict_blocks_compact(st.data), want_compact);
    const bale__encoding_impl *impl = bale__encoding_find(BALE_ENC_DICT);
    uint8_t *p = malloc(st.size);
    bale_values out;
    /* Bit flips past the header (codes, offsets, dictionary). */
    for (size_t i = 36; i < st.size; i++) {
        memcpy(p, st.data, st.size);
        p[i] ^= (uint8_t)(1u << (rnd() % 8));
        decode_any(impl, BALE_DTYPE_INT, n, p, st.size);
    }
    for (size_t i = 0; i < st.size; i += 7) {
        uint8_t *q = malloc(i ? i : 1);
        memcpy(q, st.data, i);
        decode_any(impl, BALE_DTYPE_INT, n, q, i); /* truncated, exact size for ASan */
        free(q);
    }
    unsigned L = st.data[2], moved = 0;
    for (unsigned l = 1; l < L; l++) {
        memcpy(p, st.data, st.size);
        uint16_t a = bale__load16(p + 36 + 2 * (l - 1)), b = bale__load16(p + 36 + 2 * l);
        if (a == 0) continue;
        bale__store16(p + 36 + 2 * (l - 1), (uint16_t)(a - 1));
        bale__store16(p + 36 + 2 * l, (uint16_t)(b + 1));
        ASSERT_ERR(impl->decode(BALE_DTYPE_INT, n, p, st.size, n * 8, &out), BALE_CORRUPT);
        decode_any(impl, BALE_DTYPE_INT, n, p, st.size);
        moved++;
    }
    ASSERT_TRUE(moved > 0);
    free(p);
    bale__buf_free(&st);
}

static void test_dict_blocks_paths(void) {
    static int64_t v[3000];
    /* compact: delay-like hot values, 1 in 150 one of 400 rare values */
    for (size_t i = 0; i < 3000; i++) {
        uint64_t r = rnd();
        v[i] = rnd() % 150 == 0 ? 100000 + (int64_t)(rnd() % 400)
                                : (int64_t)(__builtin_ctzll(r | (1ull << 40)) * 3) - 5 +
                                      (int64_t)(r >> 59);
    }
    dict_paths_check(v, 3000, 1);
    /* compact without escapes */
    for (size_t i = 0; i < 3000; i++) v[i] = (int64_t)(__builtin_ctzll(rnd() | (1ull << 20)));
    dict_paths_check(v, 3000, 1);
    /* general: distance-like, escapes frequent */
    for (size_t i = 0; i < 3000; i++) v[i] = (int64_t)(rnd() % 900) * 3 + 50;
    dict_paths_check(v, 3000, 0);
}

static void test_corrupt_stages(void) {
    static int64_t v[300];
    for (size_t i = 0; i < 300; i++) v[i] = (int64_t)(i * 3 + rnd() % 3);
    v[50] = 1000000;
    v[51] = -7;
    bale_values ints = tu_ints(v, 300);
    static double f[100];
    for (size_t i = 0; i < 100; i++) f[i] = (double)(rnd() % 7) / 3.0;
    bale_values fl = tu_floats(f, 100);
    static uint8_t b[77];
    for (size_t i = 0; i < 77; i++) b[i] = rnd() & 1;
    bale_values bo = tu_bools(b, 77);
    const bale_values *all[] = {&ints, &fl, &bo};
    for (size_t k = 0; k < 3; k++) {
        for (size_t s = 0; s < NSTAGE; s++) {
            const stage_case *sc = &stage_cases[s];
            const bale__encoding_impl *impl = bale__encoding_find(sc->enc);
            if (!impl->supports(all[k]->dtype)) continue;
            bale__buf st = {0};
            ASSERT_OK(stage_encode(sc, all[k], &st));
            corrupt_stage(impl, all[k]->dtype, all[k]->count, st.data, st.size);
            bale__buf_free(&st);
        }
    }
}

/* ---- the flights columns ---------------------------------------------------- */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* Loads date (minutes since the epoch), delay and distance; returns rows. */
static size_t load_flights(const char *dir, int64_t **cols) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "xz -dc '%s/flights-3m.csv.xz'", dir);
    FILE *fp = popen(cmd, "r");
    if (fp == NULL) return 0;
    size_t cap = 1 << 20, n = 0;
    for (int c = 0; c < 3; c++) cols[c] = malloc(cap * 8);
    char line[256];
    if (fgets(line, sizeof line, fp) == NULL) { pclose(fp); return 0; }
    while (fgets(line, sizeof line, fp)) {
        int y, mo, d, h, mi;
        long delay, dist;
        if (sscanf(line, "%d-%d-%dT%d:%d", &y, &mo, &d, &h, &mi) != 5) continue;
        char *p = strchr(line, ',');
        if (p == NULL || sscanf(p + 1, "%ld,%ld", &delay, &dist) != 2) continue;
        if (n == cap) {
            cap *= 2;
            for (int c = 0; c < 3; c++) cols[c] = realloc(cols[c], cap * 8);
        }
        cols[0][n] = (days_from_civil(y, (unsigned)mo, (unsigned)d) * 24 + h) * 60 + mi;
        cols[1][n] = delay;
        cols[2][n] = dist;
        n++;
    }
    pclose(fp);
    return n;
}

static void test_flights(void) {
    const char *dir = getenv("BALE_DATA_DIR");
    char path[4096];
    if (dir == NULL) dir = "/work/shared/data";
    snprintf(path, sizeof path, "%s/flights-3m.csv.xz", dir);
    if (access(path, R_OK) != 0) {
        printf("skip test_flights: %s not found (set BALE_DATA_DIR)\n", path);
        return;
    }
    int64_t *cols[3];
    size_t rows = load_flights(dir, cols);
    ASSERT_TRUE(rows > 1000000);
    static const char *names[] = {"date", "delay", "distance"};
    static const double targets[] = {0.10, 0.90, 1.35};
    for (int c = 0; c < 3; c++) {
        uint64_t total = 0;
        for (size_t i = 0; i < rows; i += 8192) {
            size_t k = rows - i < 8192 ? rows - i : 8192;
            bale_values in = tu_ints(cols[c] + i, k);
            bale_chunk *ch;
            ASSERT_OK(bale_chunk_encode(&in, NULL, &ch));
            total += bale_chunk_encoded_size(ch); /* header included */
            /* Every chunk answers get from one block (DELTA blocked, DICT
             * mode 3): no backend pass per get. */
            ASSERT_EQ(bale_chunk_backend(ch), BALE_BACKEND_NONE);
            if (i % (8192 * 50) == 0) {
                bale_values out;
                ASSERT_OK(bale_chunk_decode(ch, &out));
                tu_assert_same(&in, &out);
                bale_values_free(&out);
                for (size_t j = 0; j < k; j += 61) {
                    bale_values one;
                    ASSERT_OK(bale_chunk_get(ch, j, &one));
                    ASSERT_MEM_EQ(one.data, cols[c] + i + j, 8);
                    bale_values_free(&one);
                }
            }
            bale_chunk_decref(ch);
        }
        double bpe = (double)total / (double)rows;
        printf("flights %-8s auto: %.4f B/element (target %.2f)\n", names[c], bpe, targets[c]);
        ASSERT_TRUE(bpe <= targets[c]);
    }
    for (int c = 0; c < 3; c++) free(cols[c]);
}

BALE_TEST_MAIN(BALE_TEST(test_int_edges), BALE_TEST(test_every_width),
               BALE_TEST(test_floats), BALE_TEST(test_bools),
               BALE_TEST(test_dict_too_many), BALE_TEST(test_allocation_failures),
               BALE_TEST(test_corrupt_stages), BALE_TEST(test_delta_blocks), BALE_TEST(test_policy_cheap_get), BALE_TEST(test_decimal), BALE_TEST(test_dict_blocks), BALE_TEST(test_dict_blocks_paths),
               BALE_TEST(test_flights))
