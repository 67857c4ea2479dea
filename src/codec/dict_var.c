/*
 * dict_var.c - DICT for variable-width dtypes (str, bytes, object): each
 * distinct value once, then one bit-packed code per value.
 *
 * Stage layout (all integers little-endian, varint = unsigned LEB128):
 *
 *   varint k        number of distinct values, 0 iff count == 0,
 *                   k <= count and k <= BALE_DICT_VAR_MAX_DISTINCT
 *   u8     ow       0: every entry has the same length, then varint L;
 *                   1, 2 or 4: k end offsets of ow bytes each follow
 *   ...    ends     (ow != 0) k end offsets into the entry bytes,
 *                   non-decreasing; entry i is bytes[end(i-1) .. end(i))
 *   ...    bytes    the entries back to back (k * L or end(k-1) bytes)
 *   u8     w        code width in bits: 0 (k <= 1), 1, 2, 4, 8 or 16,
 *                   the smallest that holds k - 1
 *   ...    codes    count codes of w bits, packed LSB-first into
 *                   ceil(count * w / 8) bytes; unused high bits zero
 *
 * Widths are powers of two so that codes never straddle a byte in a way a
 * byte-oriented backend can't see: with w = 8 each code is a byte, which
 * zstd's Huffman stage then entropy-codes.  Entries are sorted by their
 * bytes (the table then compresses better under a backend).
 */
#include "str_internal.h"

/* More distinct values than this: BALE_UNSUPPORTED.  Past it codes need
 * more than 16 bits and the table no longer saves much over the values. */
#define BALE_DICT_VAR_MAX_DISTINCT 65536u

/* ---- encode ------------------------------------------------------------- */

static unsigned code_width(uint64_t k) {
    if (k <= 1) return 0;
    unsigned bits = 0;
    while (((uint64_t)1 << bits) < k) bits++;
    unsigned w = 1;
    while (w < bits) w <<= 1;
    return w;
}

bale_err bale__dict_var_encode(const bale_values *in, bale__buf *out) {
    const uint8_t *data = in->data;
    const uint64_t *off = in->offsets;
    uint64_t count = in->count;
    uint64_t limit = count < BALE_DICT_VAR_MAX_DISTINCT ? count : BALE_DICT_VAR_MAX_DISTINCT;
    /* Open addressing: slot holds 1 + index of the first value with that
     * content (0 = empty); capacity at least twice the distinct bound. */
    size_t cap = 16;
    while (cap < 2 * (limit + 1)) cap <<= 1;
    uint32_t *slots = bale__calloc(cap, sizeof *slots);
    uint32_t *first = bale__malloc((size_t)(limit + 1) * sizeof *first); /* entry -> value index */
    uint32_t *codes = bale__malloc((size_t)(count ? count : 1) * sizeof *codes);
    bale_err err = BALE_NOMEM;
    if (slots == NULL || first == NULL || codes == NULL) goto done;
    uint64_t k = 0;
    for (uint64_t i = 0; i < count; i++) {
        const uint8_t *s = data + off[i];
        size_t len = (size_t)(off[i + 1] - off[i]);
        size_t h = (size_t)bale__hash64(s, len, 0) & (cap - 1);
        for (;;) {
            uint32_t e = slots[h];
            if (e == 0) {
                if (k >= BALE_DICT_VAR_MAX_DISTINCT) {
                    err = BALE_UNSUPPORTED;
                    goto done;
                }
                first[k] = (uint32_t)i;
                slots[h] = (uint32_t)(++k);
                codes[i] = (uint32_t)(k - 1);
                break;
            }
            uint64_t j = first[e - 1];
            size_t jl = (size_t)(off[j + 1] - off[j]);
            if (jl == len && (len == 0 || memcmp(data + off[j], s, len) == 0)) {
                codes[i] = e - 1;
                break;
            }
            h = (h + 1) & (cap - 1);
        }
    }
    /* Entries in byte order: a sorted table compresses better under a
     * backend (shared leading bytes, fewer distinct literals), and codes
     * follow.  `order` is rank -> first-appearance index. */
    if (k > 1) {
        uint32_t *order = bale__malloc((size_t)k * sizeof *order);
        uint32_t *tmp = bale__malloc((size_t)k * sizeof *tmp);
        if (order == NULL || tmp == NULL) {
            bale__free(order);
            bale__free(tmp);
            err = BALE_NOMEM;
            goto done;
        }
        for (uint64_t e = 0; e < k; e++) order[e] = (uint32_t)e;
        /* Bottom-up merge sort (stable, no recursion, no libc callback). */
        for (uint64_t width = 1; width < k; width *= 2) {
            for (uint64_t lo = 0; lo < k; lo += 2 * width) {
                uint64_t mid = lo + width < k ? lo + width : k;
                uint64_t hi = lo + 2 * width < k ? lo + 2 * width : k;
                uint64_t a = lo, b = mid, o = lo;
                while (a < mid && b < hi) {
                    uint64_t x = first[order[a]], y = first[order[b]];
                    uint64_t lx = off[x + 1] - off[x], ly = off[y + 1] - off[y];
                    size_t m = (size_t)(lx < ly ? lx : ly);
                    int c = m ? memcmp(data + off[x], data + off[y], m) : 0;
                    if (c < 0 || (c == 0 && lx <= ly)) tmp[o++] = order[a++];
                    else tmp[o++] = order[b++];
                }
                while (a < mid) tmp[o++] = order[a++];
                while (b < hi) tmp[o++] = order[b++];
            }
            memcpy(order, tmp, (size_t)k * sizeof *order);
        }
        /* tmp becomes first-appearance index -> rank. */
        for (uint64_t r = 0; r < k; r++) tmp[order[r]] = (uint32_t)r;
        for (uint64_t i = 0; i < count; i++) codes[i] = tmp[codes[i]];
        for (uint64_t r = 0; r < k; r++) order[r] = first[order[r]];
        memcpy(first, order, (size_t)k * sizeof *first);
        bale__free(order);
        bale__free(tmp);
    }
    /* Entry lengths: all equal, or end offsets of the smallest width. */
    uint64_t total = 0, same = k ? off[first[0] + 1] - off[first[0]] : 0;
    int all_same = 1;
    for (uint64_t e = 0; e < k; e++) {
        uint64_t l = off[first[e] + 1] - off[first[e]];
        total += l;
        if (l != same) all_same = 0;
    }
    unsigned ow = all_same ? 0 : total <= 0xff ? 1 : total <= 0xffff ? 2 : 4;
    if (total > 0xffffffffu) {
        err = BALE_UNSUPPORTED; /* a dictionary of > 4 GB is no dictionary */
        goto done;
    }
    unsigned w = code_width(k);
    size_t code_bytes = (size_t)((count * w + 7) / 8);
    err = bale__buf_reserve(out, 32 + (size_t)k * ow + (size_t)total + code_bytes);
    if (err != BALE_OK) goto done;
    /* Nothing below can fail: room was reserved. */
    (void)bale__buf_put_varint(out, k);
    (void)bale__buf_put_u8(out, (uint8_t)ow);
    if (ow == 0) {
        (void)bale__buf_put_varint(out, same);
    } else {
        uint64_t end = 0;
        for (uint64_t e = 0; e < k; e++) {
            end += off[first[e] + 1] - off[first[e]];
            (void)bale__str_put_uint(out, end, ow);
        }
    }
    for (uint64_t e = 0; e < k; e++)
        (void)bale__buf_append(out, data + off[first[e]],
                               (size_t)(off[first[e] + 1] - off[first[e]]));
    (void)bale__buf_put_u8(out, (uint8_t)w);
    uint8_t *p = out->data + out->size;
    memset(p, 0, code_bytes);
    if (w == 8) {
        for (uint64_t i = 0; i < count; i++) p[i] = (uint8_t)codes[i];
    } else if (w == 16) {
        for (uint64_t i = 0; i < count; i++) bale__store16(p + 2 * i, (uint16_t)codes[i]);
    } else if (w != 0) {
        for (uint64_t i = 0; i < count; i++) {
            uint64_t bit = i * w;
            p[bit >> 3] |= (uint8_t)(codes[i] << (bit & 7));
        }
    }
    out->size += code_bytes;
    err = BALE_OK;
done:
    bale__free(slots);
    bale__free(first);
    bale__free(codes);
    return err;
}

/* ---- decode ------------------------------------------------------------- */

typedef struct dict_view {
    uint64_t k;
    unsigned ow;        /* 0: fixed length `flen` */
    uint64_t flen;
    const uint8_t *ends; /* k * ow bytes when ow != 0 */
    const uint8_t *bytes;
    unsigned w;
    const uint8_t *codes;
    const uint8_t *end;  /* src + n */
} dict_view;

/* Parses and checks everything but the code values themselves.  `full`
 * also checks that the end offsets never decrease (O(k)); a get checks only
 * the entry it reads. */
static bale_err dict_parse(uint64_t count, const uint8_t *src, size_t n,
                           int full, dict_view *d) {
    bale__reader r;
    bale__reader_init(&r, src, n);
    d->k = bale__reader_varint(&r);
    d->ow = bale__reader_u8(&r);
    BALE_RETURN_IF(r.bad || d->k > count || d->k > BALE_DICT_VAR_MAX_DISTINCT ||
                       (d->k == 0) != (count == 0),
                   BALE_CORRUPT);
    uint64_t total;
    if (d->ow == 0) {
        d->flen = bale__reader_varint(&r);
        BALE_RETURN_IF(r.bad || d->flen > bale__reader_left(&r), BALE_CORRUPT);
        total = d->flen * d->k; /* k <= 65536 and flen < n: no overflow */
        d->ends = NULL;
    } else {
        BALE_RETURN_IF(d->ow != 1 && d->ow != 2 && d->ow != 4, BALE_CORRUPT);
        d->ends = bale__reader_take(&r, (size_t)d->k * d->ow);
        BALE_RETURN_IF(d->ends == NULL, BALE_CORRUPT);
        uint64_t prev = 0;
        for (uint64_t e = full ? 0 : d->k; e < d->k; e++) {
            uint64_t end = bale__str_load_uint(d->ends + e * d->ow, d->ow);
            BALE_RETURN_IF(end < prev, BALE_CORRUPT);
            prev = end;
        }
        total = d->k ? bale__str_load_uint(d->ends + (d->k - 1) * d->ow, d->ow) : 0;
    }
    BALE_RETURN_IF(total > bale__reader_left(&r), BALE_CORRUPT);
    d->bytes = bale__reader_take(&r, (size_t)total);
    d->w = bale__reader_u8(&r);
    BALE_RETURN_IF(r.bad || d->w != code_width(d->k), BALE_CORRUPT);
    size_t code_bytes = (size_t)((count * d->w + 7) / 8); /* count <= 2^32 */
    BALE_RETURN_IF(code_bytes != bale__reader_left(&r), BALE_CORRUPT);
    d->codes = r.p;
    d->end = src + n;
    /* Padding bits after the last code must be zero (one encoding per data). */
    unsigned used = (unsigned)((count * d->w) & 7);
    if (used) BALE_RETURN_IF(d->codes[code_bytes - 1] >> used, BALE_CORRUPT);
    return BALE_OK;
}

static inline uint32_t dict_code(const dict_view *d, uint64_t i) {
    switch (d->w) {
    case 0: return 0;
    case 8: return d->codes[i];
    case 16: return bale__load16(d->codes + 2 * i);
    default: {
        uint64_t bit = i * d->w;
        return (uint32_t)(d->codes[bit >> 3] >> (bit & 7)) & ((1u << d->w) - 1);
    }
    }
}

static inline void dict_entry(const dict_view *d, uint32_t c, uint64_t *start,
                              uint64_t *len) {
    if (d->ow == 0) {
        *start = c * d->flen;
        *len = d->flen;
    } else {
        uint64_t s = c ? bale__str_load_uint(d->ends + (c - 1) * d->ow, d->ow) : 0;
        *start = s;
        *len = bale__str_load_uint(d->ends + (uint64_t)c * d->ow, d->ow) - s;
    }
}

bale_err bale__dict_var_decode(bale_dtype dtype, uint64_t count,
                               const uint8_t *src, size_t n, uint64_t data_size,
                               bale_values *out) {
    dict_view d;
    BALE_FORWARD_IF_ERROR(dict_parse(count, src, n, 1, &d));
    /* Check every code and the total before allocating anything: the codes
     * are at least 0 bits each, so count is bounded by the chunk layer. */
    uint64_t total = 0;
    for (uint64_t i = 0; i < count; i++) {
        uint32_t c = dict_code(&d, i);
        BALE_RETURN_IF(c >= d.k, BALE_CORRUPT);
        uint64_t s, l;
        dict_entry(&d, c, &s, &l);
        total += l;
    }
    BALE_RETURN_IF(total != data_size, BALE_CORRUPT);
    bale_values v;
    BALE_FORWARD_IF_ERROR(bale__values_alloc(&v, dtype, count, data_size));
    uint8_t *dst = v.data;
    uint64_t pos = 0;
    if (d.ow == 0 && d.flen <= 8 && data_size >= 8 && d.end - d.bytes >= 8) {
        /* Short fixed-length entries (codes, tickers): 8-byte stores while
         * they fit, exact copies for the tail. */
        uint64_t i = 0;
        /* Entries whose 8-byte read would pass the end of the stage take the
         * exact path. */
        uint64_t safe = (uint64_t)(d.end - d.bytes) - 8;
        for (; i < count && pos + 8 <= data_size; i++) {
            uint64_t s = (uint64_t)dict_code(&d, i) * d.flen;
            if (BALE_UNLIKELY(s > safe)) break;
            memcpy(dst + pos, d.bytes + s, 8);
            pos += d.flen;
            v.offsets[i + 1] = pos;
        }
        for (; i < count; i++) {
            memcpy(dst + pos, d.bytes + (uint64_t)dict_code(&d, i) * d.flen, (size_t)d.flen);
            pos += d.flen;
            v.offsets[i + 1] = pos;
        }
    } else {
        for (uint64_t i = 0; i < count; i++) {
            uint64_t s, l;
            dict_entry(&d, dict_code(&d, i), &s, &l);
            if (l) memcpy(dst + pos, d.bytes + s, (size_t)l);
            pos += l;
            v.offsets[i + 1] = pos;
        }
    }
    *out = v;
    return BALE_OK;
}

bale_err bale__dict_var_get(bale_dtype dtype, uint64_t count, const uint8_t *src,
                            size_t n, uint64_t index, bale_values *out) {
    BALE_RETURN_IF(index >= count, BALE_RANGE);
    dict_view d;
    BALE_FORWARD_IF_ERROR(dict_parse(count, src, n, 0, &d));
    uint32_t c = dict_code(&d, index);
    BALE_RETURN_IF(c >= d.k, BALE_CORRUPT);
    uint64_t s, l;
    dict_entry(&d, c, &s, &l);
    /* Ends were not checked in order: check this entry's (l wrapped if the
     * end is below the start). */
    uint64_t total = d.ow ? bale__str_load_uint(d.ends + (d.k - 1) * d.ow, d.ow) : 0;
    BALE_RETURN_IF(d.ow && (s > total || l > total - s), BALE_CORRUPT);
    BALE_FORWARD_IF_ERROR(bale__values_alloc(out, dtype, 1, l));
    if (l) memcpy(out->data, d.bytes + s, (size_t)l);
    out->offsets[1] = l;
    return BALE_OK;
}
