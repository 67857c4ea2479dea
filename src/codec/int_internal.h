/*
 * int_internal.h - shared machinery of the integer and float encodings
 * (int_pack.c, int_codecs.c, dict_fixed.c) and the hooks the numeric auto
 * policy (policy_numeric.c) uses to pick a layout.  Formats: int_codecs.c's
 * opening comment and docs/design-numeric.md.
 *
 * An "int stream" is n unsigned 64-bit values stored in one of two layouts,
 * named by one layout byte L:
 *   L = 0..64       bit-packed at width L: a continuous little-endian bit
 *                   string, value i at bits [i*L, i*L + L), ceil(n*L/8) bytes.
 *                   Every run of 64 values starts on a byte (8*L bytes each),
 *                   which the block decoder relies on.
 *   L = 0x81..0x88  byte planes, k = L - 0x80 bytes a value: plane 0 holds
 *                   the low byte of every value, then plane 1, ...; n*k bytes.
 *                   Byte-aligned symbols let a backend's entropy coder (zstd's
 *                   Huffman literals) see the value distribution.
 */
#ifndef BALE_INT_INTERNAL_H
#define BALE_INT_INTERNAL_H

#include "encodings_internal.h"

#define BALE__LAYOUT_PLANES 0x80u /* L = BALE__LAYOUT_PLANES + k bytes */

/* Bits needed for v (0 for v == 0). */
static inline unsigned bale__bit_width(uint64_t v) {
    return v ? 64u - (unsigned)__builtin_clzll(v) : 0u;
}

/* Sets *bytes to the size of a stream of n values in layout L and returns
 * 1; returns 0 when L names no layout or the size overflows. */
int bale__stream_size(unsigned layout, uint64_t n, uint64_t *bytes);

/* Appends n values (v[i] - base, wrapping) in layout L.  Values must fit. */
bale_err bale__stream_put(bale__buf *out, const uint64_t *v, size_t n,
                          uint64_t base, unsigned layout);

/* Decodes values [first, first + k) of a stream of n values in layout L that
 * occupies exactly bale__stream_size bytes at src, adding `base` (wrapping)
 * to each.  The caller has checked the size and the range. */
void bale__stream_get(const uint8_t *src, uint64_t n, unsigned layout,
                      uint64_t first, size_t k, uint64_t base, uint64_t *out);

/* Same for one value. */
uint64_t bale__stream_get1(const uint8_t *src, uint64_t n, unsigned layout,
                           uint64_t index);

/* ---- variants the policy picks (the table entries use the defaults) ------ */
typedef enum bale__int_variant {
    BALE__VAR_PACKED = 0,  /* bit-packed: smallest without a backend, O(1) get */
    BALE__VAR_PLANES = 1,  /* byte planes: feeds a backend's entropy coder */
    BALE__VAR_PATCHED = 2, /* DELTA only: narrow packing plus exceptions */
    BALE__VAR_SECTIONS = 3, /* DICT only: PLANES, each section zstd'd alone */
    /* Random access without a backend (get decodes one block):
     * DELTA: runs of the common delta and Rice codes, blocks with samples;
     * DICT: PLANES' code bytes Huffman-coded, blocks with bit offsets. */
    BALE__VAR_BLOCKS = 4
} bale__int_variant;

bale_err bale__for_encode_variant(const bale_values *in, bale__int_variant var,
                                  bale__buf *out);
bale_err bale__delta_encode_variant(const bale_values *in,
                                    bale__int_variant var, bale__buf *out);
/* DICT for fixed widths: PACKED (values + bit-packed codes, O(1) get),
 * PLANES (frequency split, byte codes for a backend's entropy coder) or
 * SECTIONS (PLANES with each section compressed by zstd on its own, so each
 * gets its own Huffman table; meant for backend none). */
bale_err bale__dict_fixed_encode_variant(const bale_values *in,
                                         bale__int_variant var, bale__buf *out);

/* ---- MSB-first bit strings (DELTA blocks, DICT Huffman blocks) ----------
 * Bit i of a string is bit 7 - i % 8 of byte i / 8.  The writer appends to
 * a bale__buf; the reader never reads outside [src, src + size) and sees
 * zeros past the end (callers check the final position against the size). */
typedef struct bale__bitw {
    bale__buf *out;
    uint64_t acc;  /* pending bits, the oldest at bit 63 */
    unsigned fill; /* pending bit count, < 8 between calls */
    bale_err err;
} bale__bitw;

/* Appends the low n bits of x (n <= 64), most significant first. */
static inline void bale__bitw_put(bale__bitw *w, uint64_t x, unsigned n) {
    if (n > 32) {
        bale__bitw_put(w, x >> 32, n - 32);
        n = 32;
        x &= 0xFFFFFFFFu;
    }
    if (n == 0) return;
    x &= ((uint64_t)1 << n) - 1;
    w->acc |= x << (64 - n - w->fill);
    w->fill += n;
    while (w->fill >= 8) {
        if (w->err == BALE_OK) w->err = bale__buf_put_u8(w->out, (uint8_t)(w->acc >> 56));
        w->acc <<= 8;
        w->fill -= 8;
    }
}

/* Pads the last byte with zero bits. */
static inline bale_err bale__bitw_flush(bale__bitw *w) {
    if (w->fill) bale__bitw_put(w, 0, 8 - w->fill);
    return w->err;
}

/* 64 bits from bit `pos` (at least 57 of them real; zeros past the end). */
static inline uint64_t bale__bits_peek(const uint8_t *src, uint64_t size, uint64_t pos) {
    uint64_t byte = pos >> 3, x = 0;
    if (byte + 8 <= size) {
        x = __builtin_bswap64(bale__load64(src + byte));
    } else {
        for (unsigned i = 0; i < 8; i++)
            x = x << 8 | (byte + i < size ? src[byte + i] : 0u);
    }
    return x << (pos & 7);
}

/* Reads n bits (n <= 64) at *pos and advances it. */
static inline uint64_t bale__bits_read(const uint8_t *src, uint64_t size, uint64_t *pos,
                                       unsigned n) {
    uint64_t x = 0;
    if (n > 32) {
        x = bale__bits_peek(src, size, *pos) >> 32;
        *pos += 32;
        n -= 32;
    }
    if (n == 0) return x;
    uint64_t y = bale__bits_peek(src, size, *pos) >> (64 - n);
    *pos += n;
    return x << n | y;
}

/* Rice codes with an escape: q = x >> k below BALE__RICE_ESC is q one bits,
 * a zero bit and the k low bits of x; otherwise BALE__RICE_ESC one bits,
 * 6 bits of (bit width of x) - 1 and x at that width.  At most 94 bits. */
#define BALE__RICE_ESC 24u

static inline uint64_t bale__rice_bits(uint64_t x, unsigned k) {
    uint64_t q = x >> k;
    if (q < BALE__RICE_ESC) return q + 1 + k;
    return BALE__RICE_ESC + 6 + bale__bit_width(x);
}

static inline void bale__rice_put(bale__bitw *w, uint64_t x, unsigned k) {
    uint64_t q = x >> k;
    if (q < BALE__RICE_ESC) {
        bale__bitw_put(w, (((uint64_t)1 << q) - 1) << 1, (unsigned)q + 1);
        bale__bitw_put(w, x, k);
        return;
    }
    unsigned nb = bale__bit_width(x);
    bale__bitw_put(w, ((uint64_t)1 << BALE__RICE_ESC) - 1, BALE__RICE_ESC);
    bale__bitw_put(w, nb - 1, 6);
    bale__bitw_put(w, x, nb);
}

static inline uint64_t bale__rice_get(const uint8_t *src, uint64_t size, uint64_t *pos,
                                      unsigned k) {
    uint64_t w = bale__bits_peek(src, size, *pos);
    unsigned q = (unsigned)__builtin_clzll(~w | 1); /* leading ones, < 64 */
    if (q < BALE__RICE_ESC) {
        if (q + 1 + k <= 57) { /* all in the window peeked */
            uint64_t low = k ? (w << (q + 1)) >> (64 - k) : 0;
            *pos += q + 1 + k;
            return (uint64_t)q << k | low;
        }
        *pos += q + 1;
        return (uint64_t)q << k | bale__bits_read(src, size, pos, k);
    }
    *pos += BALE__RICE_ESC;
    unsigned nb = (unsigned)bale__bits_read(src, size, pos, 6) + 1;
    return bale__bits_read(src, size, pos, nb);
}

/* Dictionary limit: above this many distinct values DICT is unsupported. */
#define BALE_DICT_MAX_DISTINCT 65536

/* Whether DECIMAL (decimal.c) codes 7 in 8 of a sample of these floats. */
int bale__decimal_worth(const bale_values *in);

#endif
