/*
 * chunk_internal.h - the in-memory chunk and its header layout.
 *
 * A chunk is one allocation: this struct, then the serialized bytes (a
 * header of 16 to 52 bytes, then the payload), so that bale_chunk_bytes is a
 * pointer into the chunk and never moves.  The header layout is
 * docs/format.md's (format version 2):
 *
 *   off  size   field
 *     0     4   magic "BALc"
 *     4     1   format version (BALE_CHUNK_FORMAT_VERSION)
 *     5     1   dtype (bale_dtype)
 *     6     1   encoding (bale_encoding)
 *     7     1   backend (bale_backend)
 *     8  varint count: number of values
 *     .  varint raw size: bytes of the values decoded (bale__values_raw_size)
 *     .  varint stage size: bytes the encoding produced (backend input);
 *               only with a backend: without, the stage is the payload
 *     .  varint payload size: bytes stored after the header (backend output)
 *     .     4   checksum: the low 32 bits of XXH3-64 of the payload, seeded
 *               with XXH3-64 of the header bytes before it (so the header is
 *               covered too)
 *     .     -   payload
 *
 * Varints are LEB128 (7 bits a byte, low first) in their shortest form.
 * All integers little-endian.  Chunks are immutable once made; only the
 * refcount changes, atomically.
 */
#ifndef BALE_CHUNK_INTERNAL_H
#define BALE_CHUNK_INTERNAL_H

#include "../codec/codec_internal.h"

#include <stdatomic.h>

#define BALE_CHUNK_MAGIC 0x634c4142u /* "BALc" read little-endian */
#define BALE_CHUNK_FORMAT_VERSION 2
/* Header bytes: 8 fixed, three varints of 1 to 10 bytes (four with a
 * backend: the stage size), a 4-byte checksum. */
#define BALE_CHUNK_HEADER_MIN 15
#define BALE_CHUNK_HEADER_MAX 52

/* Limits a valid chunk respects; validation rejects anything beyond them so
 * that untrusted bytes cannot make the decoder allocate without bound.
 * A fuzzing build lowers them to keep the fuzzer within its memory limit. */
#ifdef BALE_FUZZING
#  define BALE_CHUNK_MAX_COUNT ((uint64_t)1 << 20)
#  define BALE_CHUNK_MAX_RAW ((uint64_t)1 << 26)
#else
#  define BALE_CHUNK_MAX_COUNT ((uint64_t)1 << 32)
#  define BALE_CHUNK_MAX_RAW ((uint64_t)1 << 40)
#endif
/* Untrusted bytes may not promise more decoded bytes than this multiple of
 * what they store (plus a slack): a corrupt header cannot make the decoder
 * allocate gigabytes from a few bytes.  The encoder stores values that would
 * compress beyond it plain (containers cut chunks far smaller anyway). */
#define BALE_CHUNK_MAX_EXPANSION ((uint64_t)1 << 16)
#define BALE_CHUNK_EXPANSION_SLACK ((uint64_t)1 << 20)

struct bale__fsst_dec; /* src/codec/str_internal.h */

struct bale_chunk {
    _Atomic int64_t refcount;
    bale_symtab *symtab; /* owned reference to the shared table the stage
                            uses, or NULL (self-contained) */
    /* The decoder of a self-contained FSST stage, built on the first get and
     * kept (owned) until the chunk is freed; NULL until then.  Published
     * once with a compare-exchange (a thread that loses frees its own), never
     * changed after: the chunk's bytes stay immutable.  Counted in
     * bale_chunk_nbytes. */
    _Atomic(struct bale__fsst_dec *) fsst_dec;
    uint64_t size;   /* bytes of bytes[]: header + payload */
    uint8_t bytes[]; /* serialized chunk: header, then payload */
};

/* Parsed header fields. */
typedef struct bale__chunk_header {
    bale_dtype dtype;
    bale_encoding encoding;
    bale_backend backend;
    uint64_t count;
    uint64_t raw_size;
    uint64_t stage_size;
    uint64_t payload_size;
    uint32_t checksum;
    size_t header_size; /* bytes before the payload */
} bale__chunk_header;

/* bale_chunk_encode_shared, where a table trained here (when `*tab` is
 * NULL) gets blocks of 1 << `shift` values (bale__symtab_train_shift; 0:
 * the default).  A retrained table keeps the shift of the one it replaces.
 * `flags`: BALE__SHARED_NO_CTX keeps the auto policy from switching the
 * container to a CTX table (slower gets: a Dict's lookups decode keys and
 * values, and must stay fast); codec "ctx" still uses one. */
#define BALE__SHARED_NO_CTX 1u
/* `flags`: BALE__SHARED_ACCESS asks the auto policy for numeric pipelines
 * whose get decodes at most one block (BALE__POLICY_ACCESS): a Dict's values
 * and int keys are read one at a time, at random. */
#define BALE__SHARED_ACCESS 2u
bale_err bale__chunk_encode_shared_shift(const bale_values *values, const bale_codec_opts *opts,
                                         unsigned shift, unsigned flags, bale_symtab **tab,
                                         bale_chunk **out);

/* A container's first table is trained on its first chunk alone; a table
 * trained on its first BALE__RELEARN_CHUNKS chunks codes the rest better
 * (flights `origin`: 0.8014 -> 0.7985 B/value; trained on 2, 4, 16 chunks:
 * 0.8010, 0.7993, 0.7982; on the whole column: 0.7986).
 *
 * bale__chunks_relearn trains a table of *tab's kind on the values of
 * chunks[0..n) (a container's first chunks, which it holds alone, encoded
 * against *tab or tables it replaced), re-encodes them against it, and
 * when table and chunks take fewer bytes (bale_symtab_nbytes and
 * bale_chunk_encoded_size; chunks[0] left out of the sum: the first table
 * was trained on it, and codes it better than it will code the chunks to
 * come), replaces each chunks[i] and *tab, releasing the old references,
 * and sets *done to 1.  Flights `destination`: the table grows by 56
 * bytes, chunk 0 by 31, chunks 1-7 shrink by 79, and the List of 3M values
 * by 1% (0.834 -> 0.826 B/value).  Otherwise, and on any error,
 * nothing changes and *done is 0.  `opts` and `flags` as the container
 * gives bale__chunk_encode_shared_shift.  Only DICT tables are relearnt:
 * FSST training samples 16 KiB of values however many it is given (npm
 * names: 6.9286 -> 6.9288 B/name), and CTX tables learn by retrains;
 * nor when the chunks hold more distinct values than a DICT table can.
 * @return BALE_OK, BALE_NOMEM, BALE_CORRUPT (a chunk failed to decode),
 *         BALE_INVALID. */
#define BALE__RELEARN_CHUNKS 8u
bale_err bale__chunks_relearn(bale_chunk **chunks, size_t n, const bale_codec_opts *opts,
                              unsigned flags, bale_symtab **tab, int *done);

/* The bytes of a header with these fields (checksum included). */
size_t bale__chunk_header_size(bale_backend backend, uint64_t count, uint64_t raw, uint64_t stage,
                               uint64_t payload);

/* Parses and checks the header fields of untrusted bytes (not the payload
 * and not the checksum).  BALE_OK, BALE_CORRUPT, BALE_UNSUPPORTED. */
bale_err bale__chunk_parse_header(const uint8_t *bytes, size_t size,
                                  bale__chunk_header *h);

/* The stage bytes of a trusted chunk: a pointer into the chunk when the
 * backend is none (*owned = NULL), else a decompressed copy that the caller
 * frees with bale__free(*owned). */
bale_err bale__chunk_stage(const bale_chunk *chunk, const uint8_t **stage,
                           size_t *stage_size, uint8_t **owned);

/* Shared tables counted once among many chunks (a container's nbytes): a
 * container has a few (retrains are bounded); past 64 a table may count
 * twice.  Zero-initialise. */
typedef struct bale__table_set {
    const bale_symtab *seen[64];
    unsigned n;
} bale__table_set;
/* The bytes of `t` (bale_symtab_nbytes) the first time the set sees it,
 * else 0; 0 for NULL. */
uint64_t bale__table_set_add(bale__table_set *set, const bale_symtab *t);

#endif
