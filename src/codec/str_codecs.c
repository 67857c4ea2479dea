/*
 * str_codecs.c - FRONT and BLOCKS, two block-structured encodings for
 * variable-width values (FSST lives in fsst.c).  Both group values in blocks
 * of 2^shift and keep a block index, so a get touches one block.
 *
 * FRONT stage (front coding, good on sorted keys):
 *
 *   u8   shift     log2 values per block, <= BALE_STR_MAX_BLOCK_SHIFT
 *   u8   ow        width of a block end offset, 1..8
 *   ...  ends      ceil(count / 2^shift) end offsets of the blocks in the
 *                  body (ow bytes each), non-decreasing, last = body size
 *   ...  body      per block, per value: [varint p: bytes shared with the
 *                  previous value, absent for the first of a block]
 *                  varint n, then the n bytes that follow the prefix
 *
 * BLOCKS stage (each block compressed alone by lz4 or zstd):
 *
 *   u8   shift     as above
 *   u8   backend   BALE_BACKEND_LZ4 or BALE_BACKEND_ZSTD
 *   u8   ow        as above
 *   ...  ends      as above
 *   ...  body      per block: varint r (bytes of the block once
 *                  decompressed), then the compressed bytes; decompressed,
 *                  a block is the values' varint lengths then their bytes
 *                  (PLAIN's layout for the block's values)
 */
#include "str_internal.h"

/* BLOCKS: a block may not promise more than this many times its stored
 * size (matches the chunk layer's limit on untrusted expansion). */
#define BLOCKS_MAX_EXPANSION 65536u
#define BLOCKS_EXPANSION_SLACK 4096u

static int str_supports(bale_dtype dtype) { return bale__is_var(dtype); }

/* Common header: shift, [backend], ow, ends; returns the body. */
typedef struct blocked_view {
    unsigned shift, backend, ow;
    uint64_t nblocks;
    const uint8_t *ends, *body;
    size_t body_size;
} blocked_view;

static bale_err blocked_parse(uint64_t count, const uint8_t *src, size_t n,
                              int has_backend, int full, blocked_view *v) {
    bale__reader r;
    bale__reader_init(&r, src, n);
    v->shift = bale__reader_u8(&r);
    v->backend = has_backend ? bale__reader_u8(&r) : 0;
    v->ow = bale__reader_u8(&r);
    BALE_RETURN_IF(r.bad || v->shift > BALE_STR_MAX_BLOCK_SHIFT || v->ow < 1 ||
                       v->ow > 8,
                   BALE_CORRUPT);
    BALE_RETURN_IF(has_backend && v->backend != BALE_BACKEND_LZ4 &&
                       v->backend != BALE_BACKEND_ZSTD,
                   BALE_CORRUPT);
    v->nblocks = bale__str_nblocks(count, v->shift);
    BALE_RETURN_IF(v->nblocks > bale__reader_left(&r) / v->ow, BALE_CORRUPT);
    v->ends = bale__reader_take(&r, (size_t)v->nblocks * v->ow);
    v->body = r.p;
    v->body_size = bale__reader_left(&r);
    uint64_t last = v->nblocks ? bale__str_load_uint(v->ends + (v->nblocks - 1) * v->ow, v->ow) : 0;
    BALE_RETURN_IF(last != v->body_size, BALE_CORRUPT);
    if (full) {
        uint64_t prev = 0;
        for (uint64_t b = 0; b < v->nblocks; b++) {
            uint64_t e = bale__str_load_uint(v->ends + b * v->ow, v->ow);
            BALE_RETURN_IF(e < prev, BALE_CORRUPT);
            prev = e;
        }
    }
    return BALE_OK;
}

static bale_err blocked_range(const blocked_view *v, uint64_t blk,
                              const uint8_t **p, const uint8_t **e) {
    uint64_t s = blk ? bale__str_load_uint(v->ends + (blk - 1) * v->ow, v->ow) : 0;
    uint64_t t = bale__str_load_uint(v->ends + blk * v->ow, v->ow);
    BALE_RETURN_IF(s > t || t > v->body_size, BALE_CORRUPT);
    *p = v->body + s;
    *e = v->body + t;
    return BALE_OK;
}

static bale_err put_header(bale__buf *out, unsigned shift, int backend,
                           const uint64_t *bend, uint64_t nblocks, size_t body) {
    unsigned ow = bale__str_offset_width(body);
    BALE_FORWARD_IF_ERROR(bale__buf_put_u8(out, (uint8_t)shift));
    if (backend >= 0) BALE_FORWARD_IF_ERROR(bale__buf_put_u8(out, (uint8_t)backend));
    BALE_FORWARD_IF_ERROR(bale__buf_put_u8(out, (uint8_t)ow));
    BALE_FORWARD_IF_ERROR(bale__buf_reserve(out, (size_t)nblocks * ow + body));
    for (uint64_t b = 0; b < nblocks; b++) (void)bale__str_put_uint(out, bend[b], ow);
    return BALE_OK;
}

/* ========================================================================
 * FRONT
 * ====================================================================== */

static bale_err front_encode(const bale_values *in, bale__buf *out) {
    const unsigned shift = BALE_STR_BLOCK_SHIFT;
    const uint8_t *data = in->data;
    const uint64_t *off = in->offsets;
    uint64_t nblocks = bale__str_nblocks(in->count, shift);
    uint64_t *bend = bale__malloc((size_t)(nblocks + 1) * sizeof *bend);
    bale__buf body = {.tmp = 1};
    bale_err err = BALE_NOMEM;
    if (bend == NULL) goto done;
    for (uint64_t i = 0; i < in->count; i++) {
        uint64_t p = 0, lb = off[i + 1] - off[i];
        if (i & ((1u << shift) - 1)) {
            uint64_t la = off[i] - off[i - 1], m = la < lb ? la : lb;
            const uint8_t *a = data + off[i - 1], *b = data + off[i];
            while (p < m && a[p] == b[p]) p++;
            if ((err = bale__buf_put_varint(&body, p)) != BALE_OK) goto done;
        }
        if ((err = bale__buf_put_varint(&body, lb - p)) != BALE_OK) goto done;
        if ((err = bale__buf_append(&body, data + off[i] + p, (size_t)(lb - p))) != BALE_OK) goto done;
        if (((i + 1) & ((1u << shift) - 1)) == 0 || i + 1 == in->count)
            bend[i >> shift] = body.size;
    }
    if ((err = put_header(out, shift, -1, bend, nblocks, body.size)) != BALE_OK) goto done;
    (void)bale__buf_append(out, body.data, body.size);
done:
    bale__free(bend);
    bale__buf_free(&body);
    return err;
}

/* Decodes values [0, nval) of a block into dst[*pos ..) (capacity cap, or
 * growable through `grow`); ends[j] = end of value j. */
static bale_err front_block(const uint8_t *p, const uint8_t *e, uint64_t nval,
                            uint8_t **dst, uint64_t *pos, uint64_t cap,
                            bale__buf *grow, uint64_t *ends, int exact) {
    int bad = 0;
    uint64_t prev_start = 0, prev_len = 0;
    for (uint64_t j = 0; j < nval; j++) {
        uint64_t pl = j ? bale__str_varint(&p, e, &bad) : 0;
        uint64_t n = bale__str_varint(&p, e, &bad);
        BALE_RETURN_IF(bad || pl > prev_len || n > (uint64_t)(e - p), BALE_CORRUPT);
        uint64_t need = pl + n, start = *pos;
        if (cap - *pos < need) {
            BALE_RETURN_IF(grow == NULL, BALE_CORRUPT);
            grow->size = (size_t)*pos;
            BALE_FORWARD_IF_ERROR(bale__buf_reserve(grow, (size_t)need));
            *dst = grow->data;
            cap = grow->capacity;
        }
        if (pl) memcpy(*dst + start, *dst + prev_start, (size_t)pl);
        if (n) memcpy(*dst + start + pl, p, (size_t)n);
        p += n;
        *pos = start + need;
        ends[j] = *pos;
        prev_start = start;
        prev_len = need;
    }
    BALE_RETURN_IF(exact && p != e, BALE_CORRUPT);
    return BALE_OK;
}

static bale_err front_decode(bale_dtype dtype, uint64_t count, const uint8_t *src,
                             size_t n, uint64_t data_size, bale_values *out) {
    blocked_view v;
    BALE_FORWARD_IF_ERROR(blocked_parse(count, src, n, 0, 1, &v));
    BALE_RETURN_IF(count > n, BALE_CORRUPT); /* a value takes >= 1 byte */
    bale_values vals;
    BALE_FORWARD_IF_ERROR(bale__values_alloc(&vals, dtype, count, data_size));
    uint8_t *dst = vals.data;
    uint64_t pos = 0;
    bale_err err = BALE_OK;
    for (uint64_t b = 0; b < v.nblocks && err == BALE_OK; b++) {
        const uint8_t *p, *e;
        err = blocked_range(&v, b, &p, &e);
        uint64_t lo = b << v.shift, hi = lo + ((uint64_t)1 << v.shift);
        if (hi > count) hi = count;
        if (err == BALE_OK)
            err = front_block(p, e, hi - lo, &dst, &pos, data_size, NULL,
                              vals.offsets + lo + 1, 1);
    }
    if (err == BALE_OK && pos != data_size) err = BALE_CORRUPT;
    if (err != BALE_OK) {
        bale_values_free(&vals);
        return err;
    }
    *out = vals;
    return BALE_OK;
}

static bale_err front_get(bale_dtype dtype, uint64_t count, const uint8_t *src,
                          size_t n, uint64_t index, bale_values *out) {
    BALE_RETURN_IF(index >= count, BALE_RANGE);
    blocked_view v;
    BALE_FORWARD_IF_ERROR(blocked_parse(count, src, n, 0, 0, &v));
    uint64_t blk = index >> v.shift, nval = index - (blk << v.shift) + 1;
    const uint8_t *p, *e;
    BALE_FORWARD_IF_ERROR(blocked_range(&v, blk, &p, &e));
    uint64_t ends[(1u << BALE_STR_MAX_BLOCK_SHIFT) + 1];
    bale__buf scratch = {0};
    uint8_t *dst = NULL;
    uint64_t pos = 0;
    bale_err err = front_block(p, e, nval, &dst, &pos, 0, &scratch, ends, 0);
    if (err == BALE_OK) {
        uint64_t s = nval > 1 ? ends[nval - 2] : 0, l = ends[nval - 1] - s;
        err = bale__values_alloc(out, dtype, 1, l);
        if (err == BALE_OK) {
            if (l) memcpy(out->data, dst + s, (size_t)l);
            out->offsets[1] = l;
        }
    }
    bale__buf_free(&scratch);
    return err;
}

const bale__encoding_impl bale__enc_front = {
    BALE_ENC_FRONT, "front", str_supports, front_encode, front_decode, front_get,
};

/* ========================================================================
 * BLOCKS
 * ====================================================================== */

/* Default: zstd at a high level on blocks of 2^5 values; a block of ~600
 * bytes decompresses in well under a microsecond. */
#define BLOCKS_DEFAULT_SHIFT 5
#define BLOCKS_DEFAULT_LEVEL 19
/* Blocks larger than this (long values) drop to a fast level: zstd -19 runs
 * at a few MB/s, fine for 600-byte blocks, not for a 16 MB value. */
#define BLOCKS_HIGH_LEVEL_MAX_RAW ((size_t)256 << 10)
#define BLOCKS_LARGE_LEVEL 3

bale_err bale__blocks_encode_opts(const bale_values *in, unsigned shift,
                                  bale_backend backend, int level, bale__buf *out) {
    BALE_RETURN_IF(shift > BALE_STR_MAX_BLOCK_SHIFT ||
                       (backend != BALE_BACKEND_LZ4 && backend != BALE_BACKEND_ZSTD),
                   BALE_INVALID);
    const uint8_t *data = in->data;
    const uint64_t *off = in->offsets;
    uint64_t nblocks = bale__str_nblocks(in->count, shift);
    uint64_t *bend = bale__malloc((size_t)(nblocks + 1) * sizeof *bend);
    bale__buf body = {.tmp = 1}, raw = {.tmp = 1};
    bale_err err = BALE_NOMEM;
    if (bend == NULL) goto done;
    for (uint64_t b = 0; b < nblocks; b++) {
        uint64_t lo = b << shift, hi = lo + ((uint64_t)1 << shift);
        if (hi > in->count) hi = in->count;
        raw.size = 0;
        for (uint64_t i = lo; i < hi; i++)
            if ((err = bale__buf_put_varint(&raw, off[i + 1] - off[i])) != BALE_OK) goto done;
        if ((err = bale__buf_append(&raw, data + off[lo], (size_t)(off[hi] - off[lo]))) != BALE_OK)
            goto done;
        if ((err = bale__buf_put_varint(&body, raw.size)) != BALE_OK) goto done;
        int lv = level > BLOCKS_LARGE_LEVEL && raw.size > BLOCKS_HIGH_LEVEL_MAX_RAW ? BLOCKS_LARGE_LEVEL : level;
        if ((err = bale__backend_compress(backend, lv, raw.data, raw.size, &body)) != BALE_OK)
            goto done;
        bend[b] = body.size;
    }
    if ((err = put_header(out, shift, backend, bend, nblocks, body.size)) != BALE_OK) goto done;
    (void)bale__buf_append(out, body.data, body.size);
done:
    bale__free(bend);
    bale__buf_free(&body);
    bale__buf_free(&raw);
    return err;
}

static bale_err blocks_encode(const bale_values *in, bale__buf *out) {
    return bale__blocks_encode_opts(in, BLOCKS_DEFAULT_SHIFT, BALE_BACKEND_ZSTD,
                                    BLOCKS_DEFAULT_LEVEL, out);
}

/* Decompresses block `blk` into a new buffer (caller frees); `max_raw`
 * bounds its size. */
static bale_err blocks_inflate(const blocked_view *v, uint64_t blk, uint64_t max_raw,
                               uint8_t **raw, size_t *raw_size) {
    const uint8_t *p, *e;
    BALE_FORWARD_IF_ERROR(blocked_range(v, blk, &p, &e));
    int bad = 0;
    uint64_t r = bale__str_varint(&p, e, &bad);
    uint64_t stored = (uint64_t)(e - p);
    BALE_RETURN_IF(bad || r > max_raw ||
                       r > stored * BLOCKS_MAX_EXPANSION + BLOCKS_EXPANSION_SLACK,
                   BALE_CORRUPT);
    uint8_t *buf = bale__malloc((size_t)r);
    BALE_RETURN_IF(buf == NULL, BALE_NOMEM);
    bale_err err = bale__backend_decompress((bale_backend)v->backend, p, (size_t)stored,
                                            buf, (size_t)r);
    if (err != BALE_OK) {
        bale__free(buf);
        return err;
    }
    *raw = buf;
    *raw_size = (size_t)r;
    return BALE_OK;
}

static bale_err blocks_decode(bale_dtype dtype, uint64_t count, const uint8_t *src,
                              size_t n, uint64_t data_size, bale_values *out) {
    blocked_view v;
    BALE_FORWARD_IF_ERROR(blocked_parse(count, src, n, 1, 1, &v));
    BALE_RETURN_IF(v.nblocks > n, BALE_CORRUPT); /* >= 1 byte per block */
    bale_values vals;
    BALE_FORWARD_IF_ERROR(bale__values_alloc(&vals, dtype, count, data_size));
    uint8_t *dst = vals.data;
    uint64_t pos = 0;
    bale_err err = BALE_OK;
    for (uint64_t b = 0; b < v.nblocks && err == BALE_OK; b++) {
        uint64_t lo = b << v.shift, hi = lo + ((uint64_t)1 << v.shift);
        if (hi > count) hi = count;
        uint8_t *raw = NULL;
        size_t rn = 0;
        /* A block holds its values' bytes plus at most 10 bytes of length
         * each. */
        err = blocks_inflate(&v, b, data_size - pos + 10 * (hi - lo), &raw, &rn);
        if (err != BALE_OK) break;
        const uint8_t *q = raw, *qe = raw + rn;
        int bad = 0;
        uint64_t sum = 0;
        for (uint64_t i = lo; i < hi; i++) {
            uint64_t l = bale__str_varint(&q, qe, &bad);
            if (bad || l > data_size - pos - sum) {
                err = BALE_CORRUPT;
                break;
            }
            sum += l;
            vals.offsets[i + 1] = pos + sum;
        }
        if (err == BALE_OK && sum != (uint64_t)(qe - q)) err = BALE_CORRUPT;
        if (err == BALE_OK && sum) memcpy(dst + pos, q, (size_t)sum);
        pos += sum;
        bale__free(raw);
    }
    if (err == BALE_OK && pos != data_size) err = BALE_CORRUPT;
    if (err != BALE_OK) {
        bale_values_free(&vals);
        return err;
    }
    *out = vals;
    return BALE_OK;
}

static bale_err blocks_get(bale_dtype dtype, uint64_t count, const uint8_t *src,
                           size_t n, uint64_t index, bale_values *out) {
    BALE_RETURN_IF(index >= count, BALE_RANGE);
    blocked_view v;
    BALE_FORWARD_IF_ERROR(blocked_parse(count, src, n, 1, 0, &v));
    uint64_t blk = index >> v.shift, lo = blk << v.shift, hi = lo + ((uint64_t)1 << v.shift);
    if (hi > count) hi = count;
    uint8_t *raw;
    size_t rn;
    BALE_FORWARD_IF_ERROR(blocks_inflate(&v, blk, UINT64_MAX, &raw, &rn));
    const uint8_t *q = raw, *qe = raw + rn;
    int bad = 0;
    uint64_t skip = 0, len = 0, sum = 0;
    for (uint64_t i = lo; i < hi && !bad; i++) {
        uint64_t l = bale__str_varint(&q, qe, &bad);
        if (i < index) skip += l;
        if (i == index) len = l;
        if (l > rn) bad = 1;
        sum += l;
    }
    bale_err err = BALE_OK;
    if (bad || sum != (uint64_t)(qe - q)) err = BALE_CORRUPT;
    if (err == BALE_OK) err = bale__values_alloc(out, dtype, 1, len);
    if (err == BALE_OK) {
        if (len) memcpy(out->data, q + skip, (size_t)len);
        out->offsets[1] = len;
    }
    bale__free(raw);
    return err;
}

const bale__encoding_impl bale__enc_blocks = {
    BALE_ENC_BLOCKS, "blocks", str_supports, blocks_encode, blocks_decode, blocks_get,
};
