/*
 * bale_list.h - public C API of the typed chunked sequence (bale_list).
 *
 * A bale_list is a sequence of values of one dtype kept as a table of
 * segments.  Each segment is a sealed chunk (immutable, refcounted, maybe
 * shared with other lists), a decoded block (refcounted, written in place
 * only while the list is its sole owner), or both (a cached decode).  The
 * last segment is the tail that appends fill; a segment is sealed when it
 * reaches BALE_LIST_CHUNK_TARGET raw bytes.  Layout, cache and copy-on-write
 * rules: docs/design-list.md.
 *
 * Conventions are bale.h's: functions return bale_err and never abort; free
 * accepts NULL; output parameters are untouched on failure unless stated.
 * A bale_list is not thread-safe: one thread at a time (chunks and blocks
 * shared between lists may be used from several threads, their refcounts
 * are atomic for chunks; blocks are per-thread, see design-list.md).
 * Indices are 0-based and never negative (the binding maps Python's).
 */
#ifndef BALE_LIST_H
#define BALE_LIST_H

#include "bale.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Raw (decoded) bytes a segment holds before it is sealed into a chunk.
 * Segments hold at most twice this (or a single larger element). */
#define BALE_LIST_CHUNK_TARGET ((uint64_t)64 * 1024)
/* A segment below this many raw bytes is merged with a neighbour when a
 * deletion or replacement leaves it so. */
#define BALE_LIST_MERGE_BELOW (BALE_LIST_CHUNK_TARGET / 4)
/* Bytes of decoded blocks the list keeps as a cache of sealed chunks, and
 * separately of blocks with changes not yet sealed (beyond the tail). */
#define BALE_LIST_CACHE_BYTES ((uint64_t)512 * 1024)
#define BALE_LIST_OPEN_BYTES ((uint64_t)512 * 1024)

typedef struct bale_list bale_list;
/* A decoded run of values, refcounted; handed out read-only for iteration. */
typedef struct bale_list_block bale_list_block;

/**
 * Creates an empty list.
 * @param opts  borrowed, copied; NULL means bale_codec_opts_auto().
 * @param out   on success a new list (caller owns; bale_list_free).
 * @return BALE_OK, BALE_NOMEM, BALE_INVALID (unknown dtype).
 */
BALE_API bale_err bale_list_create(bale_dtype dtype, const bale_codec_opts *opts,
                                   bale_list **out);
/** Releases the list and its references to chunks and blocks.  NULL ok. */
BALE_API void bale_list_free(bale_list *list);

BALE_API bale_dtype bale_list_dtype(const bale_list *list);
BALE_API bale_codec_opts bale_list_codec(const bale_list *list);
BALE_API uint64_t bale_list_len(const bale_list *list);
/** Changes the dtype of an empty list.  @return BALE_OK, BALE_BUSY if not
 *  empty, BALE_INVALID. */
BALE_API bale_err bale_list_set_dtype(bale_list *list, bale_dtype dtype);
/** A counter bumped by every change of contents (for iterators). */
BALE_API uint64_t bale_list_version(const bale_list *list);
/** Where that counter lives: borrowed, valid until the list is freed, and
 *  read-only.  An iterator that reads it per element needs no call. */
BALE_API const uint64_t *bale_list_version_ptr(const bale_list *list);

/**
 * Appends all values of `run` (borrowed; dtype must be the list's).
 * @return BALE_OK, BALE_TYPE (dtype differs), BALE_INVALID (malformed run),
 *         BALE_NOMEM.  On BALE_NOMEM a prefix of the run (maybe empty) has
 *         been appended and the list is valid.
 */
BALE_API bale_err bale_list_append(bale_list *list, const bale_values *run);

/**
 * Appends elements [start, stop) of `src` to `dst` (src may equal dst only
 * if the range is taken before: use bale_list_copy).  Segments of src that
 * the range covers whole are shared (no decode, no copy) when they are big
 * enough; the rest are copied.
 * @return BALE_OK, BALE_RANGE, BALE_TYPE, BALE_NOMEM (dst valid, holding a
 *         prefix of the range appended).
 */
BALE_API bale_err bale_list_extend_list(bale_list *dst, bale_list *src,
                                        uint64_t start, uint64_t stop);

/**
 * Copies element `index` into `out` (caller owns the buffers: release with
 * bale_values_free).  @return BALE_OK, BALE_RANGE, BALE_NOMEM, BALE_CORRUPT.
 */
BALE_API bale_err bale_list_get(bale_list *list, uint64_t index, bale_values *out);

/**
 * Reads element `index` without copying where possible.  On success `*vals`
 * points either into the list's cache (borrowed, valid until the next call
 * on this list other than bale_list_read for the same chunk... treat it as
 * valid until the next call on the list) or to `scratch`, which the call
 * filled; `*pos` is the element's position within *vals.  The caller must
 * call bale_values_free(scratch) afterwards in both cases (no-op when not
 * filled).  `scratch` must be zeroed on entry.
 * @return BALE_OK, BALE_RANGE, BALE_NOMEM, BALE_CORRUPT.
 */
BALE_API bale_err bale_list_read(bale_list *list, uint64_t index, bale_values *scratch,
                                 const bale_values **vals, uint64_t *pos);

/**
 * Replaces element `index` with the one value of `one` (borrowed, count 1).
 * @return BALE_OK, BALE_RANGE, BALE_TYPE, BALE_INVALID, BALE_NOMEM (list
 *         unchanged).
 */
BALE_API bale_err bale_list_set(bale_list *list, uint64_t index, const bale_values *one);

/**
 * Inserts the values of `run` (borrowed) before `index` (index == len
 * appends).  @return BALE_OK, BALE_RANGE, BALE_TYPE, BALE_INVALID, BALE_NOMEM
 * (list unchanged).
 */
BALE_API bale_err bale_list_insert(bale_list *list, uint64_t index, const bale_values *run);

/**
 * Deletes elements [start, stop).  @return BALE_OK, BALE_RANGE (stop > len or
 * start > stop), BALE_NOMEM (list unchanged).
 */
BALE_API bale_err bale_list_delete(bale_list *list, uint64_t start, uint64_t stop);

/**
 * Replaces elements [start, stop) with the values of `run` (borrowed; NULL
 * means none).  Touches only the segments at both ends of the range; whole
 * segments inside it are dropped without being decoded.
 * @return as bale_list_insert; the list is unchanged on failure.
 */
BALE_API bale_err bale_list_replace(bale_list *list, uint64_t start, uint64_t stop,
                                    const bale_values *run);

/**
 * A new list with the same values, sharing every chunk and block (copy on
 * write; O(number of segments)).  `list` is not changed in content, but its
 * blocks become shared (its next write to them copies).
 * @param out  on success a new list (caller owns).  @return BALE_OK, BALE_NOMEM.
 */
BALE_API bale_err bale_list_copy(bale_list *list, bale_list **out);

/**
 * A new list holding elements [start, stop), sharing the segments the range
 * covers whole.  @param out  caller owns.  @return BALE_OK, BALE_RANGE, BALE_NOMEM.
 */
BALE_API bale_err bale_list_slice(bale_list *list, uint64_t start, uint64_t stop,
                                  bale_list **out);

/** Reverses the list in place (rebuilds it).  @return BALE_OK, BALE_NOMEM
 *  (list unchanged). */
BALE_API bale_err bale_list_reverse(bale_list *list);

/** Seals every segment that holds unsealed changes, tail included, and
 *  drops cached blocks.  @return BALE_OK, BALE_NOMEM (list valid; some
 *  segments may stay open). */
BALE_API bale_err bale_list_seal(bale_list *list);

/* ---- chunks: for serialization ------------------------------------------- */

/** Number of segments. */
BALE_API uint64_t bale_list_nsegments(const bale_list *list);
/**
 * The sealed chunk of segment `k` (borrowed: valid until the list changes),
 * sealing the segment first if needed.  @return BALE_OK, BALE_RANGE, BALE_NOMEM.
 */
BALE_API bale_err bale_list_segment_chunk(bale_list *list, uint64_t k, bale_chunk **out);
/**
 * Appends the values of `chunk` as a new segment sharing it (the list takes
 * a new reference; the caller keeps its own).
 * @return BALE_OK, BALE_TYPE (dtype differs), BALE_NOMEM.
 */
BALE_API bale_err bale_list_append_chunk(bale_list *list, bale_chunk *chunk);

/* ---- iteration ----------------------------------------------------------- */

/** Flags for bale_list_block_at. */
#define BALE_LIST_CACHE 1 /* keep the decoded block in the list's cache */
/* A block whose chunk is dictionary-coded may come in id form: its
 * dictionary and one index per value (bale_list_block_ids), for callers that
 * make one object per distinct value.  Not with BALE_LIST_CACHE. */
#define BALE_LIST_IDS 2

/**
 * The decoded block holding element `index`: `*out` is a new reference
 * (release with bale_list_block_release), read-only, which stays valid and
 * unchanged whatever happens to the list afterwards; `*first` is the list
 * index of its element 0 (at the time of the call).
 * @return BALE_OK, BALE_RANGE, BALE_NOMEM, BALE_CORRUPT.
 */
BALE_API bale_err bale_list_block_at(bale_list *list, uint64_t index, int flags,
                                     bale_list_block **out, uint64_t *first);
/** The values of a block (borrowed from the block).  For a block in id form
 * only dtype and count are set (data and offsets are NULL). */
BALE_API const bale_values *bale_list_block_values(const bale_list_block *block);
/** For a block in id form (BALE_LIST_IDS): sets *dict and *ids (borrowed
 * from the block; value i is element ids->data[i] of *dict, ids of dtype
 * int) and returns 1; else returns 0. */
BALE_API int bale_list_block_ids(const bale_list_block *block, const bale_values **dict,
                                 const bale_values **ids);
/** Drops a reference to a block.  NULL ok. */
BALE_API void bale_list_block_release(bale_list_block *block);

/* ---- search -------------------------------------------------------------- */

/**
 * Counts elements in [start, stop) equal to the one value of `one`
 * (floats compare as numbers: -0.0 == 0.0, NaN equals nothing; other dtypes
 * compare bytes).  @return BALE_OK, BALE_RANGE, BALE_TYPE, BALE_NOMEM.
 */
BALE_API bale_err bale_list_count(bale_list *list, const bale_values *one, uint64_t start,
                                  uint64_t stop, uint64_t *count);
/**
 * First index in [start, stop) whose element equals `one` (as
 * bale_list_count).  @return BALE_OK, BALE_NOTFOUND, BALE_RANGE, BALE_TYPE,
 * BALE_NOMEM.
 */
BALE_API bale_err bale_list_find(bale_list *list, const bale_values *one, uint64_t start,
                                 uint64_t stop, uint64_t *index);

/* ---- bulk reads from several threads ------------------------------------ */

/**
 * Called once per segment by bale_list_visit: `values` (borrowed, read-only,
 * valid during the call) are the elements [first, first + values->count) of
 * the list, held by segment `seg`.  `worker` (0 .. nthreads-1) names the
 * calling thread, so a caller can keep one accumulator per worker without
 * locks.  Return BALE_OK to go on; any other code stops the visit and is
 * what bale_list_visit returns.
 */
typedef bale_err (*bale_list_visit_fn)(void *ctx, unsigned worker, uint64_t seg,
                                       uint64_t first, const bale_values *values);

/**
 * Calls `fn` for every segment of the list, in no particular order, from up
 * to `nthreads` threads (the calling thread is worker 0; 0 or 1 means the
 * calling thread alone; fewer are used when thread creation fails or the
 * list has few segments).  Sealed segments are decoded by the worker that
 * takes them, so decoding runs in parallel.
 *
 * The list is only read, through state that other threads never write
 * (segment table, immutable chunks, blocks), but it must not change during
 * the call: to visit while other code may write it, visit a bale_list_copy
 * (O(segments), shares everything).
 * @return BALE_OK, BALE_NOMEM, BALE_CORRUPT, or the first code `fn` returned
 *         that was not BALE_OK.
 */
BALE_API bale_err bale_list_visit(const bale_list *list, unsigned nthreads,
                                  bale_list_visit_fn fn, void *ctx);

/* ---- accounting and checks ---------------------------------------------- */

/**
 * Bytes the list owns now: its struct and table, decoded blocks, and chunks;
 * a chunk or block shared by n owners counts 1/n of its bytes to each.
 */
BALE_API uint64_t bale_list_nbytes(const bale_list *list);
/** Bytes the values take decoded (sum of bale_chunk_raw_size's rule). */
BALE_API uint64_t bale_list_raw_nbytes(const bale_list *list);
/**
 * Checks every invariant of the list (segment counts and starts, raw sizes,
 * dtype, cache accounting, chunk/block agreement by decoding): for tests.
 * @return BALE_OK or BALE_CORRUPT (with a message on stderr in debug builds).
 */
BALE_API bale_err bale_list_verify(const bale_list *list);

#ifdef __cplusplus
}
#endif
#endif /* BALE_LIST_H */
