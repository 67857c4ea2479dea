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
 *       order).  flags 2: the blocked layout (see "DELTA, blocked" below:
 *       samples and bit offsets per block, get decodes one block).  Other
 *       flag values are corrupt.  flags 0/1: get decodes the chunk.
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
#define BALE__DELTA_BLOCKED 2 /* flags value of the blocked layout */
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
    .id = BALE_ENC_FOR, .name = "for", .supports = for_supports, .encode = for_encode,
    .decode = for_decode, .get = for_get,
};

/* ---- DELTA ---------------------------------------------------------------- */


/* Exact cost in bytes of stream plus exceptions at patched width b. */
static uint64_t patch_cost(const uint64_t *d, size_t m, uint64_t ref, unsigned b,
                           uint64_t stop) {
    uint64_t esc = ((uint64_t)1 << b) - 1, cost = (m * (uint64_t)b + 7) / 8;
    for (size_t j = 0; j < m && cost < stop; j++) {
        uint64_t x = d[j] - ref;
        if (x >= esc) cost += bale__varint_size(x - esc);
    }
    return cost;
}

/* Picks the patched width (1..w-1) that makes stream plus exceptions
 * smallest; returns w when patching does not pay.  One pass builds a
 * histogram of the deltas' bit widths, which estimates every width's cost
 * (an escape of a w_x-bit delta costing bale__varint_size(2^(w_x-1))); only the
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
            if (hist[wx]) cost += hist[wx] * bale__varint_size((uint64_t)1 << (wx - 1));
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

static bale_err delta_blocks_encode(const bale_values *in, bale__buf *out);

bale_err bale__delta_encode_variant(const bale_values *in, bale__int_variant var,
                                    bale__buf *out) {
    if (var == BALE__VAR_BLOCKS) return delta_blocks_encode(in, out);
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


/* ---- DELTA, blocked (flags == BALE__DELTA_BLOCKED) ---------------------------
 * [bs:1][flags = 2:1][first:8][ref:8][wv:1][wo:1]
 * [samples: int stream of nb values at width wv][offsets: nb values, width wo]
 * [bit string, MSB-first, to the end of the stage]
 * Values are cut into nb = ceil(count / B) blocks of B = 2^bs values
 * (bs 4..16).  Block b starts with value b*B = first + ref*b*B +
 * unzigzag(sample_b) (mod 2^64) and its code starts at bit offset_b of the
 * bit string.  The B-1 deltas inside a block (a block's first value comes
 * from its sample, not from the delta before it) are coded as
 *   [zz:1][kr:4][kv:6] then items: Rice(run, kr), where run counts the
 *   deltas equal to ref up to the next one that is not, then, unless the run
 *   reached the end of the block, Rice(x - 1, kv) for that delta, x = d - ref
 *   (zz = 0) or zigzag(d - ref) (zz = 1), x != 0.
 * Rice codes as in int_internal.h (with an escape, so any 64-bit x fits).
 * get decodes one block; decode checks that every offset is where the
 * previous block ended and that the bit string ends in the last byte with
 * zero padding. */

/* Nonzero items (deltas other than ref) aimed at per block: B is chosen so
 * that a block holds about this many, bounding the work of get. */
#define BALE_DELTA_BLOCK_ITEMS 32
#define BALE__DELTA_BLOCK_MIN 6
#define BALE__DELTA_BLOCK_MAX 10
#define BALE__DELTA_HEADER_BLOCKED 20

static uint64_t zz64(uint64_t v) { return (v << 1) ^ (uint64_t)((int64_t)v >> 63); }
static uint64_t unzz64(uint64_t z) { return (z >> 1) ^ (0 - (z & 1)); }

/* Majority delta (Boyer-Moore vote): the delta runs are made of. */
static uint64_t majority_delta(const uint64_t *v, size_t n) {
    uint64_t cand = 0, cnt = 0;
    for (size_t i = 1; i < n; i++) {
        uint64_t d = v[i] - v[i - 1];
        if (cnt == 0) cand = d, cnt = 1;
        else cnt += d == cand ? 1 : (uint64_t)-1;
    }
    return cand;
}

/* Cost in bits of one block's items for the parameters. */
static uint64_t dblock_cost(const uint64_t *v, size_t s, size_t t, uint64_t ref, int zz,
                            unsigned kr, unsigned kv) {
    uint64_t bits = 0, run = 0;
    for (size_t j = s + 1; j < t; j++) {
        uint64_t x = v[j] - v[j - 1] - ref;
        if (x == 0) {
            run++;
            continue;
        }
        if (zz) x = zz64(x);
        bits += bale__rice_bits(run, kr) + bale__rice_bits(x - 1, kv);
        run = 0;
    }
    if (run) bits += bale__rice_bits(run, kr);
    return bits;
}

/* k around log2 of a mean: the candidates tried. */
static unsigned k_guess(uint64_t sum, uint64_t cnt) {
    uint64_t mean = cnt ? sum / cnt : 0;
    unsigned k = bale__bit_width(mean);
    return k > 63 ? 63 : k;
}

static bale_err delta_blocks_encode(const bale_values *in, bale__buf *out) {
    const uint64_t *v = (const uint64_t *)in->data;
    size_t n = (size_t)in->count;
    uint64_t ref = majority_delta(v, n), first = n ? v[0] : 0, items = 0;
    for (size_t i = 1; i < n; i++) items += v[i] - v[i - 1] != ref;
    unsigned bs = BALE__DELTA_BLOCK_MAX;
    while (bs > BALE__DELTA_BLOCK_MIN &&
           items * ((uint64_t)1 << bs) > (uint64_t)BALE_DELTA_BLOCK_ITEMS * (n ? n : 1))
        bs--;
    size_t B = (size_t)1 << bs, nb = (n + B - 1) >> bs;
    uint64_t *dir = bale__malloc((nb ? nb : 1) * 2 * sizeof *dir);
    BALE_RETURN_IF(dir == NULL, BALE_NOMEM);
    uint64_t *samp = dir, *offs = dir + nb;
    bale__buf bits = {.tmp = 1};
    bale__bitw w = {&bits, 0, 0, BALE_OK};
    uint64_t vmax = 0, pos = 0;
    for (size_t b = 0; b < nb; b++) {
        size_t s = b * B, t = s + B < n ? s + B : n;
        samp[b] = zz64(v[s] - first - ref * (uint64_t)s);
        vmax |= samp[b];
        offs[b] = pos;
        /* Means of runs and of the values (both signs), for the Rice k. */
        uint64_t rs = 0, rn = 0, run = 0, xs[2] = {0, 0}, xn = 0;
        for (size_t j = s + 1; j < t; j++) {
            uint64_t x = v[j] - v[j - 1] - ref;
            if (x == 0) {
                run++;
                continue;
            }
            rs += run, rn++, run = 0, xn++;
            /* Clamped so that the sums cannot wrap (a guess only). */
            uint64_t z = zz64(x) - 1, cap = (uint64_t)1 << 40;
            xs[0] += x - 1 < cap ? x - 1 : cap;
            xs[1] += z < cap ? z : cap;
        }
        if (run) rs += run, rn++;
        unsigned gr = k_guess(rs, rn), best_kr = 0, best_kv = 0, best_zz = 0;
        uint64_t best = UINT64_MAX;
        for (unsigned zz = 0; zz < 2; zz++) {
            unsigned gv = k_guess(xs[zz], xn);
            for (unsigned kr = gr > 2 ? gr - 2 : 0; kr <= gr + 1 && kr <= 15; kr++)
                for (unsigned kv = gv > 2 ? gv - 2 : 0; kv <= gv + 1 && kv <= 63; kv++) {
                    uint64_t c = dblock_cost(v, s, t, ref, (int)zz, kr, kv);
                    if (c < best) best = c, best_kr = kr, best_kv = kv, best_zz = zz;
                }
        }
        bale__bitw_put(&w, best_zz << 10 | best_kr << 6 | best_kv, 11);
        pos += 11;
        run = 0;
        for (size_t j = s + 1; j < t; j++) {
            uint64_t x = v[j] - v[j - 1] - ref;
            if (x == 0) {
                run++;
                continue;
            }
            if (best_zz) x = zz64(x);
            bale__rice_put(&w, run, best_kr);
            bale__rice_put(&w, x - 1, best_kv);
            pos += bale__rice_bits(run, best_kr) + bale__rice_bits(x - 1, best_kv);
            run = 0;
        }
        if (run) {
            bale__rice_put(&w, run, best_kr);
            pos += bale__rice_bits(run, best_kr);
        }
    }
    bale_err err = bale__bitw_flush(&w);
    size_t before = out->size;
    unsigned wv = bale__bit_width(vmax), wo = bale__bit_width(pos);
    if (err == BALE_OK) err = bale__buf_put_u8(out, (uint8_t)bs);
    if (err == BALE_OK) err = bale__buf_put_u8(out, BALE__DELTA_BLOCKED);
    if (err == BALE_OK) err = put_u64(out, first);
    if (err == BALE_OK) err = put_u64(out, ref);
    if (err == BALE_OK) err = bale__buf_put_u8(out, (uint8_t)wv);
    if (err == BALE_OK) err = bale__buf_put_u8(out, (uint8_t)wo);
    if (err == BALE_OK) err = bale__stream_put(out, samp, nb, 0, wv);
    if (err == BALE_OK) err = bale__stream_put(out, offs, nb, 0, wo);
    if (err == BALE_OK && bits.size) err = bale__buf_append(out, bits.data, bits.size);
    if (err != BALE_OK) out->size = before;
    bale__buf_free(&bits);
    bale__free(dir);
    return err;
}

typedef struct dblocks {
    unsigned bs, wv, wo;
    uint64_t first, ref, nb, nbits;
    const uint8_t *samp, *offs, *bits;
    size_t size; /* bytes of the bit string */
} dblocks;

static bale_err dblocks_parse(uint64_t count, const uint8_t *src, size_t n, dblocks *d) {
    BALE_RETURN_IF(n < BALE__DELTA_HEADER_BLOCKED || src[1] != BALE__DELTA_BLOCKED, BALE_CORRUPT);
    d->bs = src[0];
    d->first = bale__load64(src + 2);
    d->ref = bale__load64(src + 10);
    d->wv = src[18];
    d->wo = src[19];
    BALE_RETURN_IF(d->bs < 4 || d->bs > 16 || d->wv > 64 || d->wo > 64, BALE_CORRUPT);
    d->nb = (count >> d->bs) + ((count & (((uint64_t)1 << d->bs) - 1)) != 0);
    uint64_t sb, ob, left = n - BALE__DELTA_HEADER_BLOCKED;
    BALE_RETURN_IF(!bale__stream_size(d->wv, d->nb, &sb) || !bale__stream_size(d->wo, d->nb, &ob) ||
                       sb > left || ob > left - sb,
                   BALE_CORRUPT);
    d->samp = src + BALE__DELTA_HEADER_BLOCKED;
    d->offs = d->samp + sb;
    d->bits = d->offs + ob;
    d->size = (size_t)(left - sb - ob);
    BALE_RETURN_IF(d->size > UINT64_MAX / 8, BALE_CORRUPT);
    d->nbits = (uint64_t)d->size * 8;
    return BALE_OK;
}

/* Decodes values [s, s + len) of block b into o (o[0] = value s), or, when
 * o is NULL, only value s + want into *one.  *pos: the bit position, in and
 * out.  BALE_CORRUPT when the block's code is malformed. */
static bale_err dblock_run(const dblocks *d, uint64_t b, uint64_t len, uint64_t *pos,
                           uint64_t *o, uint64_t want, uint64_t *one) {
    uint64_t s = b << d->bs, ref = d->ref;
    uint64_t v = d->first + ref * s + unzz64(bale__stream_get1(d->samp, d->nb, d->wv, b));
    const uint8_t *bits = d->bits;
    uint64_t size = d->size;
    uint64_t hdr = bale__bits_read(bits, size, pos, 11);
    unsigned zz = (unsigned)(hdr >> 10), kr = (unsigned)(hdr >> 6) & 15, kv = (unsigned)hdr & 63;
    uint64_t at = 0; /* index in the block of the value v */
    if (o) o[0] = v;
    else if (want == 0) goto found;
    while (at + 1 < len) {
        uint64_t run = bale__rice_get(bits, size, pos, kr);
        BALE_RETURN_IF(run > len - 1 - at, BALE_CORRUPT);
        if (o) {
            for (uint64_t j = 0; j < run; j++) o[at + 1 + j] = v += ref;
        } else if (want <= at + run) {
            v += ref * (want - at);
            goto found;
        } else {
            v += ref * run;
        }
        at += run;
        if (at + 1 == len) break;
        uint64_t x = bale__rice_get(bits, size, pos, kv) + 1;
        BALE_RETURN_IF(x == 0, BALE_CORRUPT);
        v += ref + (zz ? unzz64(x) : x);
        at++;
        if (o) o[at] = v;
        else if (at == want) goto found;
    }
    BALE_RETURN_IF(*pos > d->nbits || o == NULL, BALE_CORRUPT);
    return BALE_OK;
found:
    BALE_RETURN_IF(*pos > d->nbits, BALE_CORRUPT);
    *one = v;
    return BALE_OK;
}

static bale_err delta_blocks_decode(bale_dtype dtype, uint64_t count, const uint8_t *src,
                                    size_t n, bale_values *out) {
    dblocks d;
    BALE_FORWARD_IF_ERROR(dblocks_parse(count, src, n, &d));
    bale_values v;
    BALE_FORWARD_IF_ERROR(bale__values_alloc(&v, dtype, count, 0));
    uint64_t *o = v.data, pos = 0, B = (uint64_t)1 << d.bs;
    bale_err err = BALE_OK;
    for (uint64_t b = 0; b < d.nb && err == BALE_OK; b++) {
        uint64_t s = b << d.bs, len = count - s < B ? count - s : B;
        if (bale__stream_get1(d.offs, d.nb, d.wo, b) != pos) err = BALE_CORRUPT;
        else err = dblock_run(&d, b, len, &pos, o + s, 0, NULL);
    }
    /* The bit string ends in its last byte, padded with zeros. */
    if (err == BALE_OK && (pos + 7) / 8 != d.size) err = BALE_CORRUPT;
    if (err == BALE_OK && (pos & 7) && (d.bits[d.size - 1] & (0xFFu >> (pos & 7))))
        err = BALE_CORRUPT;
    if (err != BALE_OK) {
        bale_values_free(&v);
        return err;
    }
    *out = v;
    return BALE_OK;
}

static bale_err delta_blocks_get(bale_dtype dtype, uint64_t count, const uint8_t *src,
                                 size_t n, uint64_t index, bale_values *out) {
    dblocks d;
    BALE_FORWARD_IF_ERROR(dblocks_parse(count, src, n, &d));
    uint64_t b = index >> d.bs, s = b << d.bs, B = (uint64_t)1 << d.bs;
    uint64_t len = count - s < B ? count - s : B, x;
    uint64_t pos = bale__stream_get1(d.offs, d.nb, d.wo, b);
    BALE_RETURN_IF(pos > d.nbits, BALE_CORRUPT);
    BALE_FORWARD_IF_ERROR(dblock_run(&d, b, len, &pos, NULL, index - s, &x));
    BALE_FORWARD_IF_ERROR(bale__values_alloc(out, dtype, 1, 0));
    bale__store64(out->data, x);
    return BALE_OK;
}

static bale_err delta_encode(const bale_values *in, bale__buf *out) {
    return bale__delta_encode_variant(in, BALE__VAR_PACKED, out);
}

/* The header of a packed or patched (not blocked) DELTA stage, checked
 * against n: its layout, flags, first value, ref, and the bytes of the
 * packed deltas. */
typedef struct delta_head {
    unsigned layout, flags;
    uint64_t first, ref, m, bytes;
    size_t left; /* bytes after the header */
} delta_head;

static bale_err delta_head_parse(uint64_t count, const uint8_t *src, size_t n, delta_head *h) {
    BALE_RETURN_IF(n < BALE__DELTA_HEADER, BALE_CORRUPT);
    h->layout = src[0];
    h->flags = src[1];
    h->first = bale__load64(src + 2);
    h->ref = bale__load64(src + 10);
    h->m = count ? count - 1 : 0;
    BALE_RETURN_IF(h->flags > 1 || !bale__stream_size(h->layout, h->m, &h->bytes), BALE_CORRUPT);
    BALE_RETURN_IF(h->flags && (h->layout == 0 || h->layout >= 64), BALE_CORRUPT);
    h->left = n - BALE__DELTA_HEADER;
    BALE_RETURN_IF(h->flags && count > 0 ? h->bytes > h->left : h->bytes != h->left, BALE_CORRUPT);
    return BALE_OK;
}

static bale_err delta_decode(bale_dtype dtype, uint64_t count, const uint8_t *src,
                             size_t n, uint64_t data_size, bale_values *out) {
    (void)data_size;
    BALE_RETURN_IF(n < BALE__DELTA_HEADER, BALE_CORRUPT);
    if (src[1] == BALE__DELTA_BLOCKED) return delta_blocks_decode(dtype, count, src, n, out);
    delta_head h;
    BALE_FORWARD_IF_ERROR(delta_head_parse(count, src, n, &h));
    unsigned layout = h.layout, flags = h.flags;
    uint64_t first = h.first, ref = h.ref, m = h.m, bytes = h.bytes;
    size_t left = h.left;
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

/* Values summed per bale__stream_get call in a packed DELTA get. */
#define BALE__DELTA_GET_STEP 256

/* Blocked stages answer get from one block.  A packed stage adds the deltas
 * before `index` (a run of equal deltas, layout 0, in O(1): a counter, such
 * as the values of d[k] = len(d), costs no decode); a patched one decodes
 * the chunk (the chunk layer's fallback, done here since get is not NULL). */
static bale_err delta_get(bale_dtype dtype, uint64_t count, const uint8_t *src, size_t n,
                          uint64_t index, bale_values *out) {
    BALE_RETURN_IF(index >= count, BALE_RANGE);
    BALE_RETURN_IF(n < BALE__DELTA_HEADER, BALE_CORRUPT);
    if (src[1] == BALE__DELTA_BLOCKED) return delta_blocks_get(dtype, count, src, n, index, out);
    delta_head h;
    BALE_FORWARD_IF_ERROR(delta_head_parse(count, src, n, &h));
    if (!h.flags) {
        uint64_t x = h.first; /* value i is first + the i deltas before it, mod 2^64 */
        if (h.layout == 0) {
            x += index * h.ref;
        } else {
            uint64_t tmp[BALE__DELTA_GET_STEP];
            for (uint64_t i = 0; i < index; i += BALE__DELTA_GET_STEP) {
                size_t k = (size_t)(index - i < BALE__DELTA_GET_STEP ? index - i
                                                                     : BALE__DELTA_GET_STEP);
                bale__stream_get(src + BALE__DELTA_HEADER, h.m, h.layout, i, k, h.ref, tmp);
                for (size_t j = 0; j < k; j++) x += tmp[j];
            }
        }
        BALE_FORWARD_IF_ERROR(bale__values_alloc(out, dtype, 1, 0));
        bale__store64(out->data, x);
        return BALE_OK;
    }
    bale_values all;
    BALE_FORWARD_IF_ERROR(delta_decode(dtype, count, src, n, count * 8, &all));
    bale_err err = bale__values_take_one(&all, index, out);
    bale_values_free(&all);
    return err;
}

const bale__encoding_impl bale__enc_delta = {
    .id = BALE_ENC_DELTA, .name = "delta", .supports = delta_supports,
    .encode = delta_encode, .decode = delta_decode, .get = delta_get,
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
    .id = BALE_ENC_SHUFFLE, .name = "shuffle", .supports = shuffle_supports,
    .encode = shuffle_encode, .decode = shuffle_decode, .get = shuffle_get,
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
    .id = BALE_ENC_XORFLOAT, .name = "xorfloat", .supports = xorfloat_supports,
    .encode = xorfloat_encode, .decode = xorfloat_decode, .get = NULL,
};
