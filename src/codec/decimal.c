/*
 * decimal.c - DECIMAL (float): doubles that are decimals with few digits
 * (prices, measurements, counters stored as floats) kept as the integers
 * x * 10^k, bit-packed by FOR, with O(1) get.
 *
 * The idea is ALP's (Afroozeh and Boncz, "ALP: Adaptive Lossless
 * floating-Point Compression", SIGMOD 2024), written here from that
 * description in its simplest form: one exponent per chunk, no second
 * factor, exceptions stored raw.  A value x is coded as the integer
 * v = round(x * 10^k) when (double)v / 10^k gives back exactly x's bits and
 * |v| <= 2^53; every other value (NaN, infinities, -0.0, more digits than
 * k, too large) is an exception kept as its 64-bit pattern.
 *
 * Stage (little-endian):
 *   u8    k        the exponent, 0..BALE__DECIMAL_MAX_K
 *   u32   nexc     exceptions, <= count
 *   u32 x nexc     their positions, strictly increasing, < count
 *   u64 x nexc     their bit patterns
 *   ...            a FOR stage (int_codecs.c) of count integers: v for
 *                  the coded values, anything at an exception's position
 *                  (the encoder repeats a coded neighbour's v)
 * The FOR stage ends the stage exactly (its size follows from its header).
 *
 * Decoding computes (double)v / 10^k, the expression the encoder checked
 * (IEEE-754 division is correctly rounded, so every conforming machine
 * gives the same bits); get finds an exception by binary search.
 */
#include "int_internal.h"

#define BALE__DECIMAL_MAX_K 18
/* Values the exponent is chosen on: spread over the chunk. */
#define BALE__DECIMAL_SAMPLE 64
#define BALE__DECIMAL_HEADER 5

static const double dec_pow10[BALE__DECIMAL_MAX_K + 1] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,
    1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18,
};

static int decimal_supports(bale_dtype d) { return d == BALE_DTYPE_FLOAT; }

static double bits_double(uint64_t b) {
    double x;
    memcpy(&x, &b, 8);
    return x;
}
static uint64_t double_bits(double x) {
    uint64_t b;
    memcpy(&b, &x, 8);
    return b;
}

/* The integer coding x at exponent k: 1 with *v, or 0 (an exception). */
static int code(uint64_t xb, unsigned k, int64_t *v) {
    double x = bits_double(xb), y = x * dec_pow10[k];
    if (!(y > -9007199254740992.0 && y < 9007199254740992.0)) return 0; /* 2^53; NaN */
    int64_t r = (int64_t)(y < 0 ? y - 0.5 : y + 0.5);
    if (double_bits((double)r / dec_pow10[k]) != xb) return 0;
    *v = r;
    return 1;
}

/* The exponent that codes most of a sample of `in` (the smallest on a tie)
 * and how many of the sample it codes, out of *n. */
static unsigned pick_k(const bale_values *in, unsigned *hits, unsigned *n) {
    const uint64_t *x = in->data;
    uint64_t count = in->count;
    unsigned m = count < BALE__DECIMAL_SAMPLE ? (unsigned)count : BALE__DECIMAL_SAMPLE;
    unsigned best = 0, best_hits = 0;
    for (unsigned k = 0; k <= BALE__DECIMAL_MAX_K && best_hits < m; k++) {
        unsigned h = 0;
        for (unsigned j = 0; j < m; j++) {
            int64_t v;
            h += (unsigned)code(x[(uint64_t)j * count / m], k, &v);
        }
        if (h > best_hits) best_hits = h, best = k;
    }
    *hits = best_hits;
    *n = m;
    return best;
}

int bale__decimal_worth(const bale_values *in) {
    unsigned hits, n;
    (void)pick_k(in, &hits, &n);
    return n > 0 && hits * 8 >= n * 7; /* 7 in 8 coded */
}

static bale_err decimal_encode(const bale_values *in, bale__buf *out) {
    uint64_t count = in->count;
    BALE_RETURN_IF(count > UINT32_MAX, BALE_INVALID);
    unsigned hits, m;
    unsigned k = pick_k(in, &hits, &m);
    const uint64_t *x = in->data;
    bale_values ints = {BALE_DTYPE_INT, count, NULL, NULL, count * 8};
    uint64_t *v = count ? bale__malloc((size_t)count * 8) : NULL;
    BALE_RETURN_IF(count && v == NULL, BALE_NOMEM);
    ints.data = v;
    /* Coded values go to v; exceptions to `pos` and `raw`, leaving in v a
     * coded neighbour's value (so that they do not widen the FOR range). */
    bale__buf pos = {0}, raw = {0};
    bale_err err = BALE_OK;
    uint32_t nexc = 0;
    int64_t fill = 0;
    int have = 0;
    for (uint64_t i = 0; i < count && err == BALE_OK; i++) {
        int64_t c;
        if (code(x[i], k, &c)) {
            v[i] = (uint64_t)c;
            if (!have) {
                /* exceptions before the first coded value take its v */
                for (uint64_t j = 0; j < i; j++) v[j] = (uint64_t)c;
                have = 1;
            }
            fill = c;
            continue;
        }
        v[i] = (uint64_t)fill;
        uint8_t b[8];
        bale__store32(b, (uint32_t)i);
        err = bale__buf_append(&pos, b, 4);
        bale__store64(b, x[i]);
        if (err == BALE_OK) err = bale__buf_append(&raw, b, 8);
        nexc++;
    }
    size_t before = out->size;
    uint8_t h[BALE__DECIMAL_HEADER];
    h[0] = (uint8_t)k;
    bale__store32(h + 1, nexc);
    if (err == BALE_OK) err = bale__buf_append(out, h, sizeof h);
    if (err == BALE_OK && pos.size) err = bale__buf_append(out, pos.data, pos.size);
    if (err == BALE_OK && raw.size) err = bale__buf_append(out, raw.data, raw.size);
    if (err == BALE_OK) err = bale__for_encode_variant(&ints, BALE__VAR_PACKED, out);
    if (err != BALE_OK) out->size = before;
    bale__buf_free(&pos);
    bale__buf_free(&raw);
    bale__free(v);
    return err;
}

/* A parsed stage: exceptions and the FOR stage after them. */
typedef struct dview {
    unsigned k;
    uint32_t nexc;
    const uint8_t *pos, *raw, *ints;
    size_t ints_size;
} dview;

static bale_err parse(uint64_t count, const uint8_t *src, size_t n, dview *d) {
    BALE_RETURN_IF(n < BALE__DECIMAL_HEADER, BALE_CORRUPT);
    d->k = src[0];
    d->nexc = bale__load32(src + 1);
    BALE_RETURN_IF(d->k > BALE__DECIMAL_MAX_K || d->nexc > count, BALE_CORRUPT);
    size_t exc = (size_t)d->nexc * 12;
    BALE_RETURN_IF(exc > n - BALE__DECIMAL_HEADER, BALE_CORRUPT);
    d->pos = src + BALE__DECIMAL_HEADER;
    d->raw = d->pos + (size_t)d->nexc * 4;
    d->ints = d->raw + (size_t)d->nexc * 8;
    d->ints_size = n - BALE__DECIMAL_HEADER - exc;
    return BALE_OK;
}

static bale_err decimal_decode(bale_dtype dtype, uint64_t count, const uint8_t *src,
                               size_t n, uint64_t data_size, bale_values *out) {
    (void)data_size;
    dview d;
    BALE_FORWARD_IF_ERROR(parse(count, src, n, &d));
    /* Positions strictly increase and stay below count. */
    for (uint32_t j = 0; j < d.nexc; j++) {
        uint32_t p = bale__load32(d.pos + (size_t)j * 4);
        BALE_RETURN_IF(p >= count || (j > 0 && p <= bale__load32(d.pos + (size_t)(j - 1) * 4)),
                       BALE_CORRUPT);
    }
    bale_values v;
    BALE_FORWARD_IF_ERROR(
        bale__enc_for.decode(BALE_DTYPE_INT, count, d.ints, d.ints_size, count * 8, &v));
    v.dtype = dtype;
    uint64_t *w = v.data;
    double scale = dec_pow10[d.k];
    for (uint64_t i = 0; i < count; i++) w[i] = double_bits((double)(int64_t)w[i] / scale);
    for (uint32_t j = 0; j < d.nexc; j++)
        w[bale__load32(d.pos + (size_t)j * 4)] = bale__load64(d.raw + (size_t)j * 8);
    *out = v;
    return BALE_OK;
}

static bale_err decimal_get(bale_dtype dtype, uint64_t count, const uint8_t *src, size_t n,
                            uint64_t index, bale_values *out) {
    BALE_RETURN_IF(index >= count, BALE_RANGE);
    dview d;
    BALE_FORWARD_IF_ERROR(parse(count, src, n, &d));
    uint32_t lo = 0, hi = d.nexc; /* the first position >= index */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (bale__load32(d.pos + (size_t)mid * 4) < index) lo = mid + 1;
        else hi = mid;
    }
    if (lo < d.nexc && bale__load32(d.pos + (size_t)lo * 4) == index) {
        BALE_FORWARD_IF_ERROR(bale__values_alloc(out, dtype, 1, 0));
        bale__store64(out->data, bale__load64(d.raw + (size_t)lo * 8));
        return BALE_OK;
    }
    BALE_FORWARD_IF_ERROR(bale__enc_for.get(BALE_DTYPE_INT, count, d.ints, d.ints_size, index, out));
    out->dtype = dtype;
    int64_t v = (int64_t)bale__load64(out->data);
    bale__store64(out->data, double_bits((double)v / dec_pow10[d.k]));
    return BALE_OK;
}

const bale__encoding_impl bale__enc_decimal = {
    .id = BALE_ENC_DECIMAL, .name = "decimal", .supports = decimal_supports,
    .encode = decimal_encode, .decode = decimal_decode, .get = decimal_get,
};
