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
    BALE__VAR_SECTIONS = 3 /* DICT only: PLANES, each section zstd'd alone */
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

/* Dictionary limit: above this many distinct values DICT is unsupported. */
#define BALE_DICT_MAX_DISTINCT 65536

#endif
