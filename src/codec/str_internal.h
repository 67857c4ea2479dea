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

/* ---- shared tables (bale_symtab, fsst.c) -----------------------------------
 * Serialized as in docs/format.md: u32 magic, u8 version, u8 kind, u8 flags,
 * u8 shift, u64 id (XXH3-64 of the bytes from BALE_SYMTAB_HASHED_FROM on),
 * u32 fit, then the kind's body. */
#define BALE_SYMTAB_MAGIC 0x744c4142u /* "BALt" */
#define BALE_SYMTAB_VERSION 1
#define BALE_SYMTAB_KIND_FSST 1 /* FSST symbols and a Huffman code over them */
#define BALE_SYMTAB_KIND_DICT 2 /* distinct values and a Huffman code over them */
#define BALE_SYMTAB_KIND_CTX 3  /* Huffman codes per context of two bytes */
#define BALE_SYMTAB_HASHED_FROM 16
unsigned bale__symtab_kind(const bale_symtab *tab);
/* Serializing a table: the common header into `out` (emptied; the shift is
 * written as 0 when it is the kind's default, the id as 0), then the kind's
 * body, then _finish computes and writes the id. */
bale_err bale__symtab_bytes_start(bale__buf *out, unsigned kind, unsigned flags, unsigned shift,
                                  unsigned default_shift, uint32_t fit);
void bale__symtab_bytes_finish(bale__buf *out);
/* How many retrains led to this table (kept in memory only, 0 when loaded):
 * containers bound how often they replace a table. */
unsigned bale__symtab_generation(const bale_symtab *tab);
void bale__symtab_set_generation(bale_symtab *tab, unsigned g);
/* Counts one more chunk encoded against the table (in memory only); the
 * count with this one. */
unsigned bale__symtab_count_use(bale_symtab *tab);
/* Sets that count (a table made in place of another takes over its count). */
void bale__symtab_set_uses(bale_symtab *tab, unsigned n);

/* Canonical Huffman code lengths (none above maxlen <= 11) for A <= 513
 * symbols with frequencies `freq` (0 = unused: length 0), and the canonical
 * codes of such lengths (fsst.c). */
bale_err bale__huff_lengths(const uint64_t *freq, unsigned A, unsigned maxlen, uint8_t *len);
void bale__huff_codes(const uint8_t *len, unsigned A, uint32_t *codes);

/* ---- DICT tables (kind 2, dict_tab.c) ---------------------------------------
 * The distinct values of a column with few of them, shared by its chunks,
 * and a Huffman code over them plus an escape (for values the table lacks).
 * DICT stages of str/bytes/object values encoded against one hold no
 * dictionary, only codes in blocks of 1 << shift values, so a get decodes
 * one block (docs/design-strings.md, "DICT against a shared DICT table"). */
#define BALE_DTAB_MAX_VALUES 512u /* + the escape: within bale__huff_lengths */
#define BALE_DTAB_MAX_LEN 11u     /* longest code, bits */
#define BALE_DTAB_BLOCK_SHIFT 9   /* 512 values a block unless trained otherwise */
typedef struct bale__dtab bale__dtab;
/* Parses the kind's body from `r` (all of what is left); BALE_CORRUPT. */
bale_err bale__dtab_parse(bale__reader *r, bale__dtab **out);
void bale__dtab_free(bale__dtab *d); /* NULL ok */
uint64_t bale__dtab_nbytes(const bale__dtab *d);
const bale__dtab *bale__symtab_dtab(const bale_symtab *tab);
/* Trains a DICT table on `in` (str/bytes/object): BALE_UNSUPPORTED when it
 * holds more than BALE_DTAB_MAX_VALUES distinct values.  `shift` 0: the
 * default block size. */
bale_err bale__dtab_train(const bale_values *in, unsigned shift, bale_symtab **out);
/* A table for `in` that also keeps every value of `base` (a DICT table),
 * with its shift: for a chunk that needed escapes. */
bale_err bale__dtab_retrain(const bale_values *in, const bale_symtab *base, bale_symtab **out);
/* Distinct escaped values of a (trusted) DICT stage against a table; 0 for
 * any other stage. */
uint64_t bale__dtab_stage_escapes(const uint8_t *src, size_t n);
/* The DICT stage against a DICT table, and its decode and get (the same
 * contracts as an encoding's); whether a DICT stage references a table. */
bale_err bale__dtab_encode(const bale_values *in, const bale_symtab *tab, bale__buf *out);
bale_err bale__dtab_decode(const bale_symtab *tab, bale_dtype dtype, uint64_t count,
                           const uint8_t *src, size_t n, uint64_t data_size, bale_values *out);
bale_err bale__dtab_get(const bale_symtab *tab, bale_dtype dtype, uint64_t count,
                        const uint8_t *src, size_t n, uint64_t index, bale_values *out);
int bale__dtab_stage_uses_tab(bale_dtype dtype, uint64_t count, const uint8_t *src, size_t n);
/* The stage as a dictionary (the table's values, then the stage's escapes)
 * and each value's index in it (dtype int): bale_chunk_decode_ids. */
bale_err bale__dtab_decode_ids(const bale_symtab *tab, bale_dtype dtype, uint64_t count,
                               const uint8_t *src, size_t n, bale_values *dict,
                               bale_values *ids);

/* ---- CTX tables (kind 3, ctx_tab.c) ----------------------------------------
 * An order-2 context model of a column's strings: a Huffman code over the
 * next byte (or the end of the value) for each context of two bytes seen
 * often enough, and an order-0 code for the rest.  CTX stages (encoding
 * BALE_ENC_CTX) hold only codes, in blocks of 1 << shift values, so a get
 * decodes the values of one block up to its own (docs/design-strings.md,
 * "CTX tables"). */
#define BALE_CTAB_MAX_LEN 11u     /* longest code, bits */
#define BALE_CTAB_MAX_CTX 4096u   /* context tables at most */
#define BALE_CTAB_BLOCK_SHIFT 3   /* 8 values a block unless trained otherwise */
typedef struct bale__ctab bale__ctab;
/* Parses the kind's body from `r` (all of what is left); BALE_CORRUPT. */
bale_err bale__ctab_parse(bale__reader *r, bale__ctab **out);
void bale__ctab_free(bale__ctab *c); /* NULL ok */
uint64_t bale__ctab_nbytes(const bale__ctab *c);
const bale__ctab *bale__symtab_ctab(const bale_symtab *tab);
/* Trains a CTX table on `in` (str/bytes/object; at most its first MiB of
 * value bytes).  `shift` 0: the default block size. */
bale_err bale__ctab_train(const bale_values *in, unsigned shift, bale_symtab **out);
/* A table for `in` that starts from what `base` (a CTX table) learnt (its
 * weights and code lengths), with its shift. */
bale_err bale__ctab_retrain(const bale_values *in, const bale_symtab *base, bale_symtab **out);
/* The CTX stage against a table, and its decode and get (the contracts of
 * an encoding's). */
bale_err bale__ctab_encode(const bale_values *in, const bale_symtab *tab, bale__buf *out);
bale_err bale__ctab_decode(const bale_symtab *tab, bale_dtype dtype, uint64_t count,
                           const uint8_t *src, size_t n, uint64_t data_size, bale_values *out);
bale_err bale__ctab_get(const bale_symtab *tab, bale_dtype dtype, uint64_t count,
                        const uint8_t *src, size_t n, uint64_t index, bale_values *out);

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

/* ---- bit writer, MSB first (FSST and DICT-table Huffman codes) ------------
 * Appends to `out`; callers reserve the body up front, so the check in put
 * is only a safety net.  len <= 32 per put. */
typedef struct bale__bitw {
    bale__buf *out;
    uint64_t acc;
    unsigned n; /* pending bits in acc, < 8 between calls */
} bale__bitw;

static inline bale_err bale__bitw_put(bale__bitw *b, uint32_t code, unsigned len) {
    b->acc = b->acc << len | code;
    b->n += len;
    while (b->n >= 8) {
        b->n -= 8;
        bale__buf *o = b->out;
        if (BALE_UNLIKELY(o->size == o->capacity)) BALE_FORWARD_IF_ERROR(bale__buf_reserve(o, 1));
        o->data[o->size++] = (uint8_t)(b->acc >> b->n);
    }
    return BALE_OK;
}
/* Pads the last byte with zero bits. */
static inline bale_err bale__bitw_flush(bale__bitw *b) {
    if (b->n) BALE_FORWARD_IF_ERROR(bale__buf_put_u8(b->out, (uint8_t)(b->acc << (8 - b->n))));
    b->n = 0;
    b->acc = 0;
    return BALE_OK;
}

/* ---- bit reader, MSB first (DICT-table and CTX-table codes) ---------------
 * Reads [p, end) MSB first; past the end it reads zero bits, and `used`
 * tells the caller whether it went past. */
typedef struct bale__bitr {
    const uint8_t *p, *end;
    uint64_t buf; /* next bits at the top */
    unsigned n;   /* valid bits in buf */
    uint64_t used, avail; /* bits consumed; bits in the block */
} bale__bitr;

static inline void bale__bitr_init(bale__bitr *b, const uint8_t *p, const uint8_t *end) {
    b->p = p;
    b->end = end;
    b->buf = 0;
    b->n = 0;
    b->used = 0;
    b->avail = (uint64_t)(end - p) * 8;
}
static inline void bale__bitr_refill(bale__bitr *b) {
    if (BALE_LIKELY(b->end - b->p >= 8)) {
        /* Whole bytes up to 56..63 valid bits; the bits of the next byte
         * that also land in buf are the ones a later refill ORs in again. */
        uint64_t w;
        memcpy(&w, b->p, 8);
        b->buf |= __builtin_bswap64(w) >> b->n;
        b->p += (63 - b->n) >> 3;
        b->n |= 56;
        return;
    }
    while (b->n <= 56) {
        uint64_t x = b->p < b->end ? *b->p++ : 0;
        b->buf |= x << (56 - b->n);
        b->n += 8;
    }
}
static inline uint32_t bale__bitr_take(bale__bitr *b, unsigned len) { /* len 1..32, after a refill */
    uint32_t v = (uint32_t)(b->buf >> (64 - len));
    b->buf <<= len;
    b->n -= len;
    b->used += len;
    return v;
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
