/*
 * int_codecs.c - the FOR, DELTA, SHUFFLE and XORFLOAT encodings.
 *
 * Stage layouts (all integers little-endian; "stream" is an int stream of
 * int_internal.h: layout byte L chooses bit-packing at width L or k byte
 * planes; the stream's size follows from L and its value count):
 *
 *   FOR (int, bool)     [L:1][base:8][stream of count values]
 *       value i = base + stream[i] (mod 2^64).  base is the minimum, so the
 *       width is that of max - min: frame of reference subsumes zigzag.
 *       get(i) is O(1).  Bool decode rejects any value other than 0 or 1.
 *
 *   DELTA (int)         [L:1][flags:1][first:8][ref:8][stream of m][exc...]
 *       m = count - 1 (0 when count is 0).  d_j = ref + x_j (mod 2^64) and
 *       value 0 = first, value j+1 = value j + d_j (mod 2^64), so deltas
 *       that overflow int64 still round-trip.  ref is the smallest delta.
 *       flags bit 0 ("patched"): L is a width 1..63 narrower than the
 *       deltas need; x_j == 2^L - 1 is an escape, and the real x_j is
 *       2^L - 1 + the next LEB128 varint after the stream (exceptions in
 *       order).  Other flag bits must be 0.  No samples are stored: get is
 *       NULL (the chunk layer decodes the chunk), because a sample every
 *       128 values would cost 0.0625 B a value, more than half the budget
 *       of a sorted timestamp column.
 *
 *   SHUFFLE (int, float) the 8 byte planes of the values (8 * count bytes).
 *       get(i) is O(1).
 *
 *   XORFLOAT (float)    the 8 byte planes of x_i XOR x_(i-1) (x_-1 = 0),
 *       bit patterns as stored, so NaN payloads and -0.0 survive.
 */
#include "int_internal.h"

/* DELTA's patched layout tries exception-free widths up to this many bits
 * below the full delta width (beyond, the stream is no longer narrow). */
#define BALE_DELTA_PATCH_MAX_WIDTH 16
#define BALE__DELTA_HEADER 18
#define BALE__FOR_HEADER 9

static int for_supports(bale_dtype d) { return d == BALE_DTYPE_INT || d == BALE_DTYPE_BOOL; }
static int delta_supports(bale_dtype d) { return d == BALE_DTYPE_INT; }
static int shuffle_supports(bale_dtype d) { return d == BALE_DTYPE_INT || d == BALE_DTYPE_FLOAT; }
static int xorfloat_supports(bale_dtype d) { return d == BALE_DTYPE_FLOAT; }

static unsigned layout_for(unsigned width, bale__int_variant var) {
    if (var == BALE__VAR_PLANES && width > 0)
        return BALE__LAYOUT_PLANES + (width + 7) / 8;
    return width;
}

/* 8-byte values of `in` as uint64 (borrowed), or a widened copy of bools in
 * *owned (caller frees). */
static bale_err values_u64(const bale_values *in, const uint64_t **v, uint64_t **owned) {
    *owned = NULL;
    if (in->dtype != BALE_DTYPE_BOOL) {
        *v = (const uint64_t *)in->data;
        return BALE_OK;
    }
    size_t bytes;
    BALE_RETURN_IF(!bale__mul_ok((size_t)in->count, 8, &bytes), BALE_NOMEM);
    uint64_t *w = bale__malloc(bytes);
    BALE_RETURN_IF(w == NULL, BALE_NOMEM);
    const uint8_t *b = in->data;
    for (uint64_t i = 0; i < in->count; i++) w[i] = b[i];
    *v = w;
    *owned = w;
    return BALE_OK;
}

static bale_err put_u64(bale__buf *out, uint64_t v) {
    uint8_t b[8];
    bale__store64(b, v);
    return bale__buf_append(out, b, 8);
}

/* ---- FOR ------------------------------------------------------------------ */

bale_err bale__for_encode_variant(const bale_values *in, bale__int_variant var,
                                  bale__buf *out) {
    const uint64_t *v;
    uint64_t *owned;
    BALE_FORWARD_IF_ERROR(values_u64(in, &v, &owned));
    size_t n = (size_t)in->count;
    int64_t mn = 0, mx = 0;
    if (n) mn = mx = (int64_t)v[0];
    for (size_t i = 1; i < n; i++) {
        int64_t x = (int64_t)v[i];
        mn = x < mn ? x : mn;
        mx = x > mx ? x : mx;
    }
    unsigned layout = layout_for(bale__bit_width((uint64_t)mx - (uint64_t)mn), var);
    size_t before = out->size;
    bale_err err = bale__buf_put_u8(out, (uint8_t)layout);
    if (err == BALE_OK) err = put_u64(out, (uint64_t)mn);
    if (err == BALE_OK) err = bale__stream_put(out, v, n, (uint64_t)mn, layout);
    if (err != BALE_OK) out->size = before;
    bale__free(owned);
    return err;
}

static bale_err for_encode(const bale_values *in, bale__buf *out) {
    return bale__for_encode_variant(in, BALE__VAR_PACKED, out);
}

/* Checks the FOR header; sets the layout and base. */
static bale_err for_header(uint64_t count, const uint8_t *src, size_t n,
                           unsigned *layout, uint64_t *base) {
    uint64_t bytes;
    BALE_RETURN_IF(n < BALE__FOR_HEADER, BALE_CORRUPT);
    *layout = src[0];
    *base = bale__load64(src + 1);
    BALE_RETURN_IF(!bale__stream_size(*layout, count, &bytes) ||
                       bytes != n - BALE__FOR_HEADER,
                   BALE_CORRUPT);
    return BALE_OK;
}

/* Values per step when decoding bools through a small buffer. */
#define BALE__BOOL_STEP 256

static bale_err for_decode(bale_dtype dtype, uint64_t count, const uint8_t *src,
                           size_t n, uint64_t data_size, bale_values *out) {
    (void)data_size;
    unsigned layout;
    uint64_t base;
    BALE_FORWARD_IF_ERROR(for_header(count, src, n, &layout, &base));
    const uint8_t *s = src + BALE__FOR_HEADER;
    bale_values v;
    BALE_FORWARD_IF_ERROR(bale__values_alloc(&v, dtype, count, 0));
    if (dtype != BALE_DTYPE_BOOL) {
        bale__stream_get(s, count, layout, 0, (size_t)count, base, (uint64_t *)v.data);
        *out = v;
        return BALE_OK;
    }
    uint64_t tmp[BALE__BOOL_STEP];
    uint8_t *b = v.data;
    for (uint64_t i = 0; i < count; i += BALE__BOOL_STEP) {
        size_t k = (size_t)(count - i < BALE__BOOL_STEP ? count - i : BALE__BOOL_STEP);
        bale__stream_get(s, count, layout, i, k, base, tmp);
        for (size_t j = 0; j < k; j++) {
            if (tmp[j] > 1) {
                bale_values_free(&v);
                return BALE_CORRUPT;
            }
            b[i + j] = (uint8_t)tmp[j];
        }
    }
    *out = v;
    return BALE_OK;
}

static bale_err for_get(bale_dtype dtype, uint64_t count, const uint8_t *src,
                        size_t n, uint64_t index, bale_values *out) {
    BALE_RETURN_IF(index >= count, BALE_RANGE);
    unsigned layout;
    uint64_t base;
    BALE_FORWARD_IF_ERROR(for_header(count, src, n, &layout, &base));
    uint64_t x = bale__stream_get1(src + BALE__FOR_HEADER, count, layout, index) + base;
    if (dtype == BALE_DTYPE_BOOL) BALE_RETURN_IF(x > 1, BALE_CORRUPT);
    BALE_FORWARD_IF_ERROR(bale__values_alloc(out, dtype, 1, 0));
    if (dtype == BALE_DTYPE_BOOL)
        *(uint8_t *)out->data = (uint8_t)x;
    else
        bale__store64(out->data, x);
    return BALE_OK;
}

const bale__encoding_impl bale__enc_for = {
    BALE_ENC_FOR, "for", for_supports, for_encode, for_decode, for_get,
};

/* ---- DELTA ---------------------------------------------------------------- */

static unsigned varint_len(uint64_t x) { return x ? (bale__bit_width(x) + 6) / 7 : 1; }

/* Exact cost in bytes of stream plus exceptions at patched width b. */
static uint64_t patch_cost(const uint64_t *d, size_t m, uint64_t ref, unsigned b,
                           uint64_t stop) {
    uint64_t esc = ((uint64_t)1 << b) - 1, cost = (m * (uint64_t)b + 7) / 8;
    for (size_t j = 0; j < m && cost < stop; j++) {
        uint64_t x = d[j] - ref;
        if (x >= esc) cost += varint_len(x - esc);
    }
    return cost;
}

/* Picks the patched width (1..w-1) that makes stream plus exceptions
 * smallest; returns w when patching does not pay.  One pass builds a
 * histogram of the deltas' bit widths, which estimates every width's cost
 * (an escape of a w_x-bit delta costing varint_len(2^(w_x-1))); only the
 * best estimate and its two neighbours are then costed exactly. */
static unsigned patch_width(const uint64_t *d, size_t m, uint64_t ref, unsigned w) {
    unsigned best = w;
    uint64_t best_cost = (m * (uint64_t)w + 7) / 8;
    unsigned top = w - 1 < BALE_DELTA_PATCH_MAX_WIDTH ? w - 1 : BALE_DELTA_PATCH_MAX_WIDTH;
    if (w <= 1 || m == 0) return w;
    uint64_t hist[65] = {0};
    for (size_t j = 0; j < m; j++) hist[bale__bit_width(d[j] - ref)]++;
    unsigned guess = 0;
    uint64_t guess_cost = UINT64_MAX;
    for (unsigned b = 1; b <= top; b++) {
        uint64_t cost = (m * (uint64_t)b + 7) / 8;
        for (unsigned wx = b + 1; wx <= 64; wx++)
            if (hist[wx]) cost += hist[wx] * varint_len((uint64_t)1 << (wx - 1));
        if (cost < guess_cost) guess_cost = cost, guess = b;
    }
    for (unsigned b = guess > 1 ? guess - 1 : 1; b <= guess + 1 && b <= top; b++) {
        uint64_t cost = patch_cost(d, m, ref, b, best_cost);
        if (cost < best_cost) {
            best_cost = cost;
            best = b;
        }
    }
    return best;
}

bale_err bale__delta_encode_variant(const bale_values *in, bale__int_variant var,
                                    bale__buf *out) {
    const uint64_t *v = (const uint64_t *)in->data;
    size_t n = (size_t)in->count, m = n ? n - 1 : 0;
    uint64_t *d = NULL;
    if (m) {
        size_t bytes;
        BALE_RETURN_IF(!bale__mul_ok(m, 8, &bytes), BALE_NOMEM);
        d = bale__malloc(bytes);
        BALE_RETURN_IF(d == NULL, BALE_NOMEM);
    }
    int64_t mn = 0, mx = 0;
    for (size_t j = 0; j < m; j++) {
        d[j] = v[j + 1] - v[j];
        int64_t x = (int64_t)d[j];
        if (j == 0 || x < mn) mn = x;
        if (j == 0 || x > mx) mx = x;
    }
    unsigned w = bale__bit_width((uint64_t)mx - (uint64_t)mn);
    unsigned layout = layout_for(w, var), flags = 0;
    uint64_t ref = (uint64_t)mn;
    if (var == BALE__VAR_PATCHED) {
        layout = patch_width(d, m, ref, w);
        flags = layout < w;
    }
    size_t before = out->size;
    bale_err err = bale__buf_put_u8(out, (uint8_t)layout);
    if (err == BALE_OK) err = bale__buf_put_u8(out, (uint8_t)flags);
    if (err == BALE_OK) err = put_u64(out, n ? v[0] : 0);
    if (err == BALE_OK) err = put_u64(out, ref);
    if (err == BALE_OK && !flags) err = bale__stream_put(out, d, m, ref, layout);
    if (err == BALE_OK && flags) {
        /* Clamp to the escape, pack, then the exceptions in order. */
        uint64_t esc = ((uint64_t)1 << layout) - 1;
        for (size_t j = 0; j < m; j++) {
            uint64_t x = d[j] - ref;
            d[j] = x < esc ? x : esc;
        }
        err = bale__stream_put(out, d, m, 0, layout);
        for (size_t j = 0; j < m && err == BALE_OK; j++) {
            if (d[j] != esc) continue;
            err = bale__buf_put_varint(out, v[j + 1] - v[j] - ref - esc);
        }
    }
    if (err != BALE_OK) out->size = before;
    bale__free(d);
    return err;
}

static bale_err delta_encode(const bale_values *in, bale__buf *out) {
    return bale__delta_encode_variant(in, BALE__VAR_PACKED, out);
}

static bale_err delta_decode(bale_dtype dtype, uint64_t count, const uint8_t *src,
                             size_t n, uint64_t data_size, bale_values *out) {
    (void)data_size;
    BALE_RETURN_IF(n < BALE__DELTA_HEADER, BALE_CORRUPT);
    unsigned layout = src[0], flags = src[1];
    uint64_t first = bale__load64(src + 2), ref = bale__load64(src + 10);
    uint64_t m = count ? count - 1 : 0, bytes;
    BALE_RETURN_IF(flags > 1 || !bale__stream_size(layout, m, &bytes), BALE_CORRUPT);
    BALE_RETURN_IF(flags && (layout == 0 || layout >= 64), BALE_CORRUPT);
    size_t left = n - BALE__DELTA_HEADER;
    BALE_RETURN_IF(flags && count > 0 ? bytes > left : bytes != left, BALE_CORRUPT);
    bale_values v;
    BALE_FORWARD_IF_ERROR(bale__values_alloc(&v, dtype, count, 0));
    uint64_t *o = v.data;
    if (count == 0) {
        *out = v;
        return BALE_OK;
    }
    const uint8_t *s = src + BALE__DELTA_HEADER;
    o[0] = first;
    if (!flags) {
        bale__stream_get(s, m, layout, 0, (size_t)m, ref, o + 1);
        uint64_t acc = first;
        for (uint64_t i = 1; i < count; i++) o[i] = acc += o[i];
        *out = v;
        return BALE_OK;
    }
    bale__stream_get(s, m, layout, 0, (size_t)m, 0, o + 1);
    bale__reader r;
    bale__reader_init(&r, s + bytes, (size_t)(left - bytes));
    uint64_t esc = ((uint64_t)1 << layout) - 1, acc = first;
    for (uint64_t i = 1; i < count; i++) {
        uint64_t x = o[i];
        if (x == esc) x += bale__reader_varint(&r);
        o[i] = acc += x + ref;
    }
    if (r.bad || bale__reader_left(&r) != 0) {
        bale_values_free(&v);
        return BALE_CORRUPT;
    }
    *out = v;
    return BALE_OK;
}

const bale__encoding_impl bale__enc_delta = {
    BALE_ENC_DELTA, "delta", delta_supports, delta_encode, delta_decode, NULL,
};

/* ---- SHUFFLE and XORFLOAT ------------------------------------------------- */

#define BALE__PLANES8 (BALE__LAYOUT_PLANES + 8)

static bale_err shuffle_encode(const bale_values *in, bale__buf *out) {
    return bale__stream_put(out, (const uint64_t *)in->data, (size_t)in->count, 0,
                            BALE__PLANES8);
}

static bale_err shuffle_decode(bale_dtype dtype, uint64_t count, const uint8_t *src,
                               size_t n, uint64_t data_size, bale_values *out) {
    (void)data_size;
    BALE_RETURN_IF(count > n / 8 || count * 8 != n, BALE_CORRUPT);
    bale_values v;
    BALE_FORWARD_IF_ERROR(bale__values_alloc(&v, dtype, count, 0));
    bale__stream_get(src, count, BALE__PLANES8, 0, (size_t)count, 0, v.data);
    *out = v;
    return BALE_OK;
}

static bale_err shuffle_get(bale_dtype dtype, uint64_t count, const uint8_t *src,
                            size_t n, uint64_t index, bale_values *out) {
    BALE_RETURN_IF(index >= count, BALE_RANGE);
    BALE_RETURN_IF(count > n / 8 || count * 8 != n, BALE_CORRUPT);
    BALE_FORWARD_IF_ERROR(bale__values_alloc(out, dtype, 1, 0));
    bale__store64(out->data, bale__stream_get1(src, count, BALE__PLANES8, index));
    return BALE_OK;
}

const bale__encoding_impl bale__enc_shuffle = {
    BALE_ENC_SHUFFLE, "shuffle", shuffle_supports, shuffle_encode, shuffle_decode,
    shuffle_get,
};

static bale_err xorfloat_encode(const bale_values *in, bale__buf *out) {
    size_t n = (size_t)in->count, bytes;
    BALE_RETURN_IF(!bale__mul_ok(n, 8, &bytes), BALE_NOMEM);
    BALE_FORWARD_IF_ERROR(bale__buf_reserve(out, bytes));
    const uint64_t *v = in->data;
    uint8_t *dst = out->data + out->size;
    uint64_t prev = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t x = v[i] ^ prev;
        prev = v[i];
        for (unsigned b = 0; b < 8; b++) dst[(size_t)b * n + i] = (uint8_t)(x >> (8 * b));
    }
    out->size += bytes;
    return BALE_OK;
}

static bale_err xorfloat_decode(bale_dtype dtype, uint64_t count, const uint8_t *src,
                                size_t n, uint64_t data_size, bale_values *out) {
    BALE_FORWARD_IF_ERROR(shuffle_decode(dtype, count, src, n, data_size, out));
    uint64_t *o = out->data, prev = 0;
    for (uint64_t i = 0; i < count; i++) o[i] = prev ^= o[i];
    return BALE_OK;
}

const bale__encoding_impl bale__enc_xorfloat = {
    BALE_ENC_XORFLOAT, "xorfloat", xorfloat_supports, xorfloat_encode,
    xorfloat_decode, NULL,
};
