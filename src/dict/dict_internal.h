/*
 * dict_internal.h - the in-memory layout of a bale_dict.
 *
 * A dict is a handle (bale_dict: caches and scratch, never shared) over a
 * body (dict_body: the data, shared by O(1) copies and copied on the first
 * write of a sharer).  The body is an append-only log of entries:
 *
 *   position p = block * BALE_DICT_BLOCK + i
 *
 *   blocks[0 .. nblocks)   sealed: a keys chunk + a values chunk of exactly
 *                          BALE_DICT_BLOCK entries, and a deletion bit-vector
 *                          (NULL while no entry of the block is deleted)
 *   tail                   the last, unsealed block: tail_n < BLOCK entries
 *                          in plain growable buffers, its own deletion bits
 *
 * The index is open addressing with linear probing over `cap` slots of 32
 * bits (`wide` = 0) or, once the log outgrows them, 64 bits (`wide` = 1):
 *
 *   slot = 0                      empty
 *   slot = all ones               tombstone (a deleted key was here)
 *   slot = (p + 1) << fpbits | fp entry at position p; fp = low fpbits bits
 *                                 of the key's 64-bit hash
 *
 * A key's home slot is ((hash >> 32) * cap) >> 32, so cap need not be a power
 * of two (the index grows by DICT_GROW, not by doubling), and it is at most
 * DICT_MAX_CAP.  Fingerprints make a probe decode a stored key only about
 * once in 2^fpbits non-matching slots; a matching fingerprint is always
 * confirmed by comparing the key itself.  32-bit slots keep the index at
 * 4.6-7 B per entry: fpbits shrinks as the log grows ((p + 1) must fit in
 * 32 - fpbits bits, fpbits >= DICT_MIN_FPBITS), and a log of more than
 * 2^28 - 2 positions moves to 64-bit slots with DICT_WIDE_FPBITS.
 */
#ifndef BALE_DICT_INTERNAL_H
#define BALE_DICT_INTERNAL_H

#include "bale_dict.h"
#include "../codec/codec_internal.h"

#include <stdatomic.h>

#define DICT_BLOCK ((uint64_t)BALE_DICT_BLOCK)
#define DICT_BITS_WORDS (BALE_DICT_BLOCK / 64)
/* Index load limit (live + tombstones) / cap, as a fraction of 1024. */
#define DICT_MAX_LOAD_1024 880
/* A rebuild sizes the index for live * DICT_GROW_1024 / 1024 entries at the
 * load limit: the next rebuild comes after ~50% more inserts. */
#define DICT_GROW_1024 1536
/* Smallest index. */
#define DICT_MIN_CAP 16
/* Fingerprint bits of 32-bit slots: at most DICT_MAX_FPBITS, at least
 * DICT_MIN_FPBITS, which sets the largest log they index: 2^(32-4) - 2. */
#define DICT_MAX_FPBITS 16
#define DICT_MIN_FPBITS 4
/* Fingerprint bits of 64-bit slots, which index 2^(64-24) - 2 positions. */
#define DICT_WIDE_FPBITS 24
/* Largest index (home slots are computed in 64 bits from 32 of the hash). */
#define DICT_MAX_CAP ((uint64_t)1 << 32)
/* Largest log: what 64-bit slots index. */
#define DICT_MAX_POS (((uint64_t)1 << (64 - DICT_WIDE_FPBITS)) - 2)
#define DICT_SLOT_EMPTY 0u
/* Decoded blocks the handle keeps for chunks without cheap random access. */
#define DICT_CACHE_WAYS 4
#define DICT_HASH_SEED 0x62616c6564696374ull /* "baledict" */

/* Values replaced in a sealed block wait here (uncompressed) until
 * DICT_PATCH_MAX of them, or DICT_PATCH_BYTES of replaced bytes, have
 * gathered; then the block's values chunk is re-encoded once.  So a loop of
 * d[k] += 1 costs O(1) amortised per update, not a block re-encode each. */
#define DICT_PATCH_MAX 64
#define DICT_PATCH_BYTES 65536
typedef struct dict_patch {
    uint32_t n;
    uint16_t idx[DICT_PATCH_MAX];  /* entry index within the block */
    uint64_t val[DICT_PATCH_MAX];  /* fixed width: value bits; var: offset in bytes */
    uint64_t len[DICT_PATCH_MAX];  /* var width: byte length */
    bale__buf bytes;               /* var width: replaced values, append-only */
} dict_patch;

typedef struct dict_block {
    bale_chunk *keys;  /* BALE_DICT_BLOCK keys, owned reference */
    bale_chunk *vals;  /* BALE_DICT_BLOCK values, owned reference */
    uint64_t *dead;    /* DICT_BITS_WORDS words, or NULL when ndead == 0 */
    dict_patch *patch; /* replaced values not yet in `vals`, or NULL */
    uint32_t ndead;
} dict_block;

typedef struct dict_body {
    _Atomic int64_t refs; /* handles sharing this body */
    bale_dtype kt, vt;
    bale_codec_opts opts;
    /* Shared string tables new key / value chunks are encoded against
     * (owned references, NULL until trained; see bale_chunk_encode_shared). */
    bale_symtab *tabs[2];
    dict_block *blocks;
    uint64_t nblocks, cap_blocks;
    /* tail: fixed-width columns hold tail_n * width bytes; var-width ones
     * hold the bytes plus an offsets buffer of tail_n + 1 uint64 (first 0) */
    bale__buf tk, tv, tko, tvo;
    uint32_t tail_n, tail_ndead;
    uint64_t tail_dead[DICT_BITS_WORDS];
    uint64_t live;   /* live entries */
    uint64_t dead;   /* dead positions (sealed + tail) */
    uint64_t layout; /* bumped when positions are renumbered */
    /* index */
    void *slots;    /* cap slots of uint32_t, or of uint64_t when wide */
    uint64_t cap, used, tombs;
    unsigned fpbits;
    int wide;       /* 64-bit slots */
    int keep_wide;  /* rebuilds keep 64-bit slots (bale__dict_test_wide) */
    int relearn_tried; /* relearn_values ran (once per body: a churn of
                          popitem and inserts around its block count must
                          not re-run it) */
} dict_body;

typedef struct dict_cache_way {
    bale_chunk *chunk; /* owned reference, NULL if the way is empty */
    bale_values vals;  /* decoded */
} dict_cache_way;

struct bale_dict {
    dict_body *b;
    dict_cache_way cache[DICT_CACHE_WAYS];
    unsigned cache_next;
    bale__buf ks, vs; /* scratch behind borrowed keys / values */
    bale__buf cs;     /* scratch for stored keys compared in lookups */
};

/* For tests: rebuilds d's index with 64-bit slots, which its later
 * rebuilds (and copies) keep, so that small dicts exercise the index of
 * dicts past 2^28 positions.  BALE_OK or BALE_NOMEM (d unchanged). */
bale_err bale__dict_test_wide(bale_dict *d);

#endif
