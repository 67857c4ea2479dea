/*
 * bale_dict.h - public C API of the compressed mapping (bale.Dict's core).
 *
 * A bale_dict maps typed keys (int64, str or bytes) to typed values (any
 * bale_dtype) and remembers insertion order.  Entries live in an append-only
 * log cut into blocks of BALE_DICT_BLOCK entries: every full block is sealed
 * into two immutable chunks (keys, values) plus a deletion bit-vector; the
 * last block (the tail) stays uncompressed and mutable.  A compact
 * open-addressing hash index of 32-bit slots (64-bit past 2^28 positions;
 * fingerprint bits + entry number) finds a key's entry; the key is then checked exactly against the
 * stored one.  See docs/design-dict.md for the layout and the figures.
 *
 * Entries are addressed by their *position* in the log (0 .. end-1); a
 * deleted position stays dead until the log is compacted, which renumbers
 * positions (bale_dict_layout tells when).  Iteration walks positions.
 *
 * Conventions are bale.h's: functions return bale_err and never abort;
 * free accepts NULL.  Scalars handed back by the dict (keys and values of
 * variable-width dtypes) are BORROWED: they stay valid until the next call
 * of any function on the same dict handle.  A dict handle is not
 * thread-safe (lookups fill a decoded-block cache); copies made with
 * bale_dict_copy are independent handles that may be used from other threads
 * only if the caller never touches the same handle from two threads at once.
 * Since 0.1.
 */
#ifndef BALE_DICT_H
#define BALE_DICT_H

#include "bale.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Entries per sealed block of the log. */
#define BALE_DICT_BLOCK 4096

typedef struct bale_dict bale_dict;

/**
 * One typed key or value.  Fill the member that `dtype` selects:
 *  INT: i;  BOOL: i (0 or 1);  FLOAT: f (bit pattern kept);
 *  STR, BYTES, OBJECT: data[0 .. size) (borrowed; STR is UTF-8, not checked).
 */
typedef struct bale_scalar {
    bale_dtype dtype;
    int64_t i;
    double f;
    const void *data;
    uint64_t size;
} bale_scalar;

/**
 * Creates an empty dict.
 * @param key_dtype    BALE_DTYPE_INT, BALE_DTYPE_STR or BALE_DTYPE_BYTES.
 * @param value_dtype  any bale_dtype.
 * @param opts         borrowed; how sealed blocks are encoded; NULL = auto.
 * @param out          on success a new dict (caller owns, bale_dict_free).
 * @return BALE_OK, BALE_NOMEM, BALE_INVALID (bad dtype or NULL out).
 */
BALE_API bale_err bale_dict_create(bale_dtype key_dtype, bale_dtype value_dtype,
                                   const bale_codec_opts *opts, bale_dict **out);

/** Frees a dict and drops its chunk references.  NULL ok. */
BALE_API void bale_dict_free(bale_dict *d);

BALE_API bale_dtype bale_dict_key_dtype(const bale_dict *d);
BALE_API bale_dtype bale_dict_value_dtype(const bale_dict *d);

/**
 * Sets key -> value: replaces the value of an existing key (its position is
 * kept) or appends a new entry.
 * @param key, value  borrowed; their dtypes must match the dict's.
 * @param inserted    NULL or set to 1 if a new entry was added, 0 otherwise.
 * @return BALE_OK, BALE_NOMEM (dict unchanged), BALE_TYPE (dtype mismatch),
 *         BALE_INVALID (bool not 0/1), BALE_RANGE (more than 2^40 - 2 positions,
 *         or an index of more than 2^32 slots: ~3.7e9 live entries).
 */
BALE_API bale_err bale_dict_set(bale_dict *d, const bale_scalar *key,
                                const bale_scalar *value, int *inserted);

/**
 * Looks a key up.
 * @param value  NULL or filled with the value (borrowed, see above).
 * @param pos    NULL or set to the entry's position.
 * @return BALE_OK, BALE_NOTFOUND (also for a key of another dtype),
 *         BALE_NOMEM (decoding a block failed).
 */
BALE_API bale_err bale_dict_get(bale_dict *d, const bale_scalar *key,
                                bale_scalar *value, uint64_t *pos);

/**
 * Removes a key.
 * @return BALE_OK, BALE_NOTFOUND, BALE_NOMEM (dict unchanged).
 */
BALE_API bale_err bale_dict_delete(bale_dict *d, const bale_scalar *key);

/**
 * Removes the last live entry (LIFO) and hands it back.
 * @param key, value  NULL or filled (borrowed, see above).
 * @return BALE_OK, BALE_NOTFOUND (empty), BALE_NOMEM (dict unchanged).
 */
BALE_API bale_err bale_dict_popitem(bale_dict *d, bale_scalar *key,
                                    bale_scalar *value);

/** Removes every entry (keeps dtypes and codec options).
 *  @return BALE_OK, BALE_NOMEM (only when the body is shared with a copy;
 *          dict unchanged). */
BALE_API bale_err bale_dict_clear(bale_dict *d);

/** Number of live entries. */
BALE_API uint64_t bale_dict_count(const bale_dict *d);
/** One past the last position (live or dead). */
BALE_API uint64_t bale_dict_end(const bale_dict *d);
/** A number that changes whenever positions are renumbered (compaction,
 *  clear); iteration by position is valid while it stays the same. */
BALE_API uint64_t bale_dict_layout(const bale_dict *d);

/**
 * The first live position >= start (bale_dict_next) or the last live
 * position < before (bale_dict_prev).
 * @return BALE_OK with *pos set, or BALE_NOTFOUND when there is none.
 */
BALE_API bale_err bale_dict_next(const bale_dict *d, uint64_t start, uint64_t *pos);
BALE_API bale_err bale_dict_prev(const bale_dict *d, uint64_t before, uint64_t *pos);

/**
 * Reads the entry at `pos`.
 * @param key, value  NULL or filled (borrowed, see above).
 * @return BALE_OK, BALE_RANGE (pos >= end), BALE_NOTFOUND (dead position),
 *         BALE_NOMEM.
 */
BALE_API bale_err bale_dict_entry(bale_dict *d, uint64_t pos, bale_scalar *key,
                                  bale_scalar *value);

/**
 * Makes a copy in O(1): both handles share one body, which the first
 * mutation of either copies (copy-on-write; sealed chunks stay shared).
 * @param out  on success a new dict (caller owns, bale_dict_free).
 * @return BALE_OK, BALE_NOMEM.
 */
BALE_API bale_err bale_dict_copy(const bale_dict *d, bale_dict **out);

/** Bytes the dict holds: chunks, index, tail, bit-vectors, caches. */
BALE_API uint64_t bale_dict_nbytes(const bale_dict *d);
/** Bytes the live and dead entries would take decoded (bale_chunk_raw_size
 *  summed over keys and values). */
BALE_API uint64_t bale_dict_raw_nbytes(const bale_dict *d);

/**
 * Serializes the dict: header, then each block's chunks and deletion bits.
 * Call with buf == NULL to learn the size, then with a buffer of that size.
 * @param needed  set to the number of bytes the form takes.
 * @return BALE_OK, BALE_NOMEM, BALE_RANGE (cap too small; *needed set).
 */
BALE_API bale_err bale_dict_serialize(bale_dict *d, void *buf, size_t cap,
                                      size_t *needed);

/**
 * Rebuilds a dict from untrusted bytes made by bale_dict_serialize: every
 * size, chunk, dtype and count is checked; duplicate keys are corruption.
 * Never crashes, whatever the input.
 * @param out  on success a new dict (caller owns).
 * @return BALE_OK, BALE_CORRUPT, BALE_CHECKSUM, BALE_UNSUPPORTED, BALE_NOMEM.
 */
BALE_API bale_err bale_dict_deserialize(const void *bytes, size_t size,
                                        bale_dict **out);

/**
 * Checks every invariant (index <-> live entries, counts, bit-vectors, block
 * sizes); for tests.  O(n).
 * @return BALE_OK or BALE_CORRUPT (or BALE_NOMEM while decoding).
 */
BALE_API bale_err bale_dict_verify(bale_dict *d);

#ifdef __cplusplus
}
#endif
#endif /* BALE_DICT_H */
