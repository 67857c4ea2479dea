/*
 * str_internal.h - helpers shared by the variable-width (str/bytes/object)
 * encodings: FSST (fsst.c), FRONT and BLOCKS (str_codecs.c), DICT's
 * variable-width half (dict_var.c) and the auto policy (policy_str.c).
 * Stage layouts are in docs/design-strings.md.
 */
#ifndef BALE_STR_INTERNAL_H
#define BALE_STR_INTERNAL_H

#include "encodings_internal.h"

/* Strings per block in FSST, FRONT and BLOCKS: a get decodes at most one
 * block, so this trades random-access cost against per-block overhead (one
 * offset of 1-8 bytes, and for FRONT the first string stored whole). */
#define BALE_STR_BLOCK_SHIFT 4
#define BALE_STR_MAX_BLOCK_SHIFT 10

/* FSST stage flags (first byte of the stage). */
#define BALE_FSST_FRONT 1u /* front coding within each block */
#define BALE_FSST_HUFF 2u  /* codes entropy-coded with a canonical Huffman code */
#define BALE_FSST_ALL_FLAGS 3u
/* Stage flag: the symbols and Huffman code are a shared table's (a u64
 * table id follows the shift byte instead of the table). */
#define BALE_FSST_SHARED 4u
/* Let the encoder pick the flags from the data (what the table entry does). */
#define BALE_FSST_AUTO 0x100u

/* FSST encoding with explicit flags (BALE_FSST_* or BALE_FSST_AUTO) and
 * block size 1 << block_shift.  Same contract as an encoding's encode. */
bale_err bale__fsst_encode_opts(const bale_values *in, unsigned flags,
                                unsigned block_shift, bale__buf *out);

/* ---- FSST decoders cached on chunks ----------------------------------------
 * The decoder of a self-contained FSST stage: its parsed symbols and a
 * Huffman lookup table.  A get needs it and building it costs more than the
 * decode of one value, so the chunk layer builds it once per chunk, on the
 * first get, and keeps it until the chunk is freed (src/chunk/chunk.c). */
typedef struct bale__fsst_dec bale__fsst_dec;
/* Builds the decoder of a trusted (validated) stage of `count` values.
 * BALE_UNSUPPORTED for a stage that references a shared table (the table
 * holds its decoder); BALE_CORRUPT, BALE_NOMEM. */
bale_err bale__fsst_dec_new(uint64_t count, const uint8_t *src, size_t n, bale__fsst_dec **out);
void bale__fsst_dec_free(bale__fsst_dec *d);
/* Bytes the decoder holds (with the allocator's prefix); 0 for NULL. */
uint64_t bale__fsst_dec_nbytes(const bale__fsst_dec *d);
/* An FSST get (same contract as the encoding's get) with `dec` from
 * bale__fsst_dec_new on this same stage, or NULL (then it is built here),
 * against `tab` when the stage references a shared table (else NULL). */
bale_err bale__fsst_get_with(const bale__fsst_dec *dec, const bale_symtab *tab, bale_dtype dtype,
                             uint64_t count, const uint8_t *src, size_t n, uint64_t index,
                             bale_values *out);

/* BLOCKS encoding with an explicit block size and backend (LZ4 or ZSTD) and
 * level. */
bale_err bale__blocks_encode_opts(const bale_values *in, unsigned block_shift,
                                  bale_backend backend, int level,
                                  bale__buf *out);

/* ---- block index: `nblocks` end offsets of `width` bytes each ------------ */
static inline unsigned bale__str_offset_width(uint64_t max) {
    unsigned w = 1;
    while (w < 8 && (max >> (8 * w)) != 0) w++;
    return w;
}
static inline uint64_t bale__str_load_uint(const uint8_t *p, unsigned width) {
    uint64_t v = 0;
    memcpy(&v, p, width);
    return v;
}
static inline bale_err bale__str_put_uint(bale__buf *b, uint64_t v, unsigned width) {
    return bale__buf_append(b, &v, width);
}

/* Reads a varint from [*p, end); sets *bad on overrun or overlong input. */
static inline uint64_t bale__str_varint(const uint8_t **p, const uint8_t *end,
                                        int *bad) {
    const uint8_t *q = *p;
    if (BALE_LIKELY(q < end && q[0] < 0x80)) {
        *p = q + 1;
        return q[0];
    }
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (q >= end) break;
        uint8_t b = *q++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *p = q;
            return v;
        }
    }
    *bad = 1;
    *p = end;
    return 0;
}

/* Number of blocks for `count` values, 1 << shift per block. */
static inline uint64_t bale__str_nblocks(uint64_t count, unsigned shift) {
    return (count + ((uint64_t)1 << shift) - 1) >> shift;
}

#endif /* BALE_STR_INTERNAL_H */
