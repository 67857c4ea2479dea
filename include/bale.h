/*
 * bale.h - public C API of libbale.
 *
 * libbale keeps large sequences of typed values in immutable, refcounted,
 * compressed chunks.  This header is the whole public surface: everything
 * else under src/ is machinery (names with the internal prefix `bale__`).
 *
 * Conventions, for every function below:
 *  - Functions that can fail return a `bale_err`: BALE_OK (0) or a negative
 *    code; `bale_strerror` names it.  No function aborts, on bad input or on
 *    a failed allocation.  On failure, output parameters are left untouched
 *    unless stated otherwise, and nothing is leaked.
 *  - Opaque handles come in create/free (or incref/decref) pairs; every
 *    free/decref accepts NULL.
 *  - Every allocation goes through the hooks set by `bale_set_allocator`.
 *  - "Caller owns" means the caller must release the result with the named
 *    function; "borrowed" means the result lives as long as its owner.
 *
 * Byte layouts are documented in docs/format.md.
 */
#ifndef BALE_H
#define BALE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BALE_VERSION_MAJOR 0
#define BALE_VERSION_MINOR 1
#define BALE_VERSION_PATCH 0
#define BALE_VERSION_NUMBER \
    (BALE_VERSION_MAJOR * 10000 + BALE_VERSION_MINOR * 100 + BALE_VERSION_PATCH)
#define BALE_VERSION_STRING "0.1.0"

#if defined(_WIN32) && defined(BALE_SHARED_BUILD)
#  define BALE_API __declspec(dllexport)
#elif defined(__GNUC__)
#  define BALE_API __attribute__((visibility("default")))
#else
#  define BALE_API
#endif

/** @return BALE_VERSION_NUMBER of the library actually linked.  Since 0.1. */
BALE_API unsigned bale_version_number(void);
/** @return BALE_VERSION_STRING of the library linked (static storage). */
BALE_API const char *bale_version_string(void);

/* ------------------------------------------------------------------------
 * Errors.  One X-macro table gives the codes (stable numbers) and messages.
 * ---------------------------------------------------------------------- */
#define BALE_ERRNO_MAP(X)                                                      \
    X(OK, 0, "success")                                                        \
    X(NOMEM, -1, "out of memory")                                              \
    X(INVALID, -2, "invalid argument")                                         \
    X(CORRUPT, -3, "corrupt data")                                             \
    X(RANGE, -4, "index or size out of range")                                 \
    X(UNSUPPORTED, -5, "unsupported codec, dtype or format version")           \
    X(TYPE, -6, "value of the wrong type")                                     \
    X(CHECKSUM, -7, "checksum mismatch")                                       \
    X(BUSY, -8, "operation not allowed in the current state")                  \
    X(NOTFOUND, -9, "not found")

typedef enum bale_err {
#define BALE__ERR_ENUM(name, code, msg) BALE_##name = code,
    BALE_ERRNO_MAP(BALE__ERR_ENUM)
#undef BALE__ERR_ENUM
} bale_err;

/** @return a static, human-readable message for `err`; never NULL, also for
 *  unknown codes. */
BALE_API const char *bale_strerror(bale_err err);
/** @return the symbolic name of `err` ("BALE_NOMEM", ...), static storage. */
BALE_API const char *bale_errname(bale_err err);

/* ------------------------------------------------------------------------
 * Allocator hooks and accounting.
 *
 * Every byte libbale allocates goes through one struct of hooks, so the
 * library can count exactly what it holds and tests can fail any allocation.
 * ---------------------------------------------------------------------- */
typedef struct bale_allocator {
    /* Return NULL on failure; libbale never asks for 0 bytes. */
    void *(*malloc_fn)(void *ctx, size_t size);
    /* Like realloc(3); on failure return NULL and leave `ptr` valid. */
    void *(*realloc_fn)(void *ctx, void *ptr, size_t size);
    void (*free_fn)(void *ctx, void *ptr);
    void *ctx;
} bale_allocator;

/**
 * Installs allocator hooks for the whole process; NULL restores the C
 * library's malloc/realloc/free.  The hooks must be replaced only while the
 * library holds no memory (bale_memory_live() == 0), since a block must be
 * freed by the allocator that made it.
 * @return BALE_OK, BALE_BUSY if memory is live, BALE_INVALID if a hook is NULL.
 */
BALE_API bale_err bale_set_allocator(const bale_allocator *alloc);

/** Bytes the library holds now (requested sizes, exact, all threads). */
BALE_API int64_t bale_memory_live(void);
/** Highest value bale_memory_live() has reached since the last reset. */
BALE_API int64_t bale_memory_peak(void);
/** Sets the peak to the current live figure. */
BALE_API void bale_memory_reset_peak(void);
/** Frees the compression contexts the calling thread caches (they are
 *  created on first use and counted in bale_memory_live).  Safe to call at
 *  any time; the next encode or decode makes them again. */
BALE_API void bale_thread_cleanup(void);

/* ------------------------------------------------------------------------
 * Element types.
 * ---------------------------------------------------------------------- */
typedef enum bale_dtype {
    BALE_DTYPE_INT = 1,    /* int64_t */
    BALE_DTYPE_FLOAT = 2,  /* double, bit patterns kept (NaN payloads, -0.0) */
    BALE_DTYPE_BOOL = 3,   /* uint8_t, 0 or 1 */
    BALE_DTYPE_STR = 4,    /* UTF-8 bytes (not checked by the core) */
    BALE_DTYPE_BYTES = 5,  /* arbitrary bytes */
    BALE_DTYPE_OBJECT = 6  /* opaque serialized values (pickles), as bytes */
} bale_dtype;

/** @return "int", "float", "bool", "str", "bytes", "object", or NULL. */
BALE_API const char *bale_dtype_name(bale_dtype dtype);
/** @return 8, 8, 1 for the fixed-width dtypes and 0 for variable-width ones. */
BALE_API size_t bale_dtype_width(bale_dtype dtype);

/**
 * A run of values, not owned by this struct unless a function says so.
 *
 * Fixed-width dtypes: `data` holds `count` elements of bale_dtype_width bytes
 * (native byte order); `offsets` is NULL.
 * Variable-width dtypes: element i is data[offsets[i] .. offsets[i+1]);
 * `offsets` has count+1 entries, offsets[0] == 0, non-decreasing, and
 * offsets[count] == data_size.
 */
typedef struct bale_values {
    bale_dtype dtype;
    uint64_t count;
    void *data;
    uint64_t *offsets;
    uint64_t data_size; /* bytes used in data (count * width for fixed) */
} bale_values;

/** Releases the buffers of a bale_values filled by the library (data and
 *  offsets) and zeroes it.  Accepts NULL and zeroed structs. */
BALE_API void bale_values_free(bale_values *values);

/* ------------------------------------------------------------------------
 * Codecs.
 *
 * A chunk is encoded by a pipeline: one value encoding (filters for the
 * dtype) then one backend (a general-purpose compressor).  `BALE_ENC_AUTO`
 * and `BALE_BACKEND_AUTO` let the encoder try candidates on the data.
 * ---------------------------------------------------------------------- */
typedef enum bale_backend {
    BALE_BACKEND_AUTO = 0xff,
    BALE_BACKEND_NONE = 0,
    BALE_BACKEND_LZ4 = 1,
    BALE_BACKEND_ZSTD = 2,
    BALE_BACKEND_ZLIB = 3
} bale_backend;

/* Value encodings.  The numbers are stored in chunks: never reuse one. */
#define BALE_ENCODING_MAP(X)                                                   \
    X(PLAIN, 0, "plain")             /* any dtype: values as laid out */       \
    X(FOR, 1, "for")                 /* ints: zigzag/frame-of-ref bit-pack */  \
    X(DELTA, 2, "delta")             /* ints: delta, then FOR bit-pack */      \
    X(DICT, 3, "dict")               /* any dtype: distinct values + codes */  \
    X(SHUFFLE, 4, "shuffle")         /* fixed width: byte planes */            \
    X(FSST, 5, "fsst")               /* str/bytes: symbol table, per-value */  \
    X(FRONT, 6, "front")             /* str/bytes: front coding in blocks */   \
    X(XORFLOAT, 7, "xorfloat")       /* float: xor with previous, shuffle */   \
    X(BLOCKS, 8, "blocks")           /* str/bytes: small compressed blocks */  \
    X(CTX, 9, "ctx")                 /* str/bytes: order-2 context Huffman,    \
                                        against a container's shared table */ \
    X(DECIMAL, 10, "decimal")        /* float: x * 10^k as ints, FOR-packed */

typedef enum bale_encoding {
#define BALE__ENC_ENUM(name, code, str) BALE_ENC_##name = code,
    BALE_ENCODING_MAP(BALE__ENC_ENUM)
#undef BALE__ENC_ENUM
    BALE_ENC_AUTO = 0xff
} bale_encoding;

/** @return the name of a backend ("none", "lz4", "zstd", "zlib", "auto") or
 *  NULL if unknown. */
BALE_API const char *bale_backend_name(bale_backend backend);
/** @return the name of an encoding ("plain", "for", ...) or NULL. */
BALE_API const char *bale_encoding_name(bale_encoding encoding);
/** Parses a backend name; @return BALE_OK or BALE_UNSUPPORTED. */
BALE_API bale_err bale_backend_parse(const char *name, bale_backend *out);
/** Parses an encoding name; @return BALE_OK or BALE_UNSUPPORTED. */
BALE_API bale_err bale_encoding_parse(const char *name, bale_encoding *out);
/** Levels a backend accepts: [*min, *max] and its default.
 *  @return BALE_OK or BALE_UNSUPPORTED. */
BALE_API bale_err bale_backend_levels(bale_backend backend, int *min, int *max,
                                      int *dflt);
/** Whether an encoding can hold values of a dtype. */
BALE_API int bale_encoding_supports(bale_encoding encoding, bale_dtype dtype);

typedef struct bale_symtab bale_symtab;

/** How to encode a chunk.  Zero-initialise, then set what you need:
 *  a zeroed struct means "plain values, no backend". Use
 *  bale_codec_opts_auto() for the automatic policy. */
typedef struct bale_codec_opts {
    bale_encoding encoding;  /* or BALE_ENC_AUTO */
    bale_backend backend;    /* or BALE_BACKEND_AUTO */
    int level;               /* backend level; 0 = backend default */
} bale_codec_opts;

/** @return options for the automatic policy (auto encoding and backend). */
BALE_API bale_codec_opts bale_codec_opts_auto(void);

/* ------------------------------------------------------------------------
 * Shared string tables.
 *
 * A container of strings trains one table on its first chunk and encodes
 * its later chunks against it, so a chunk no longer stores a table of its
 * own and a single-element get needs no table parsing.  Two kinds: an FSST
 * symbol table with its Huffman code (names, keys: ~0.5 B per short string
 * saved), and, for columns of few distinct values, a DICT table of the
 * values with a Huffman code over them (chunks hold only codes, in blocks).
 * A table is immutable and refcounted; every chunk that uses one holds a
 * reference.  Byte layout: docs/format.md.
 * ---------------------------------------------------------------------- */

/**
 * Trains an FSST table on `sample` (str/bytes/object values; what the table
 * will encode should look like it).  (DICT tables are trained by
 * bale_chunk_encode_shared.)
 * @param out  on success a new table, refcount 1 (caller owns; release with
 *             bale_symtab_decref).
 * @return BALE_OK, BALE_NOMEM, BALE_INVALID (malformed or fixed-width values).
 */
BALE_API bale_err bale_symtab_train(const bale_values *sample, bale_symtab **out);
/**
 * Checks untrusted bytes as a table (layout, every length, the Huffman code,
 * the id) and builds it.  @param out  new table, refcount 1 (caller owns).
 * @return BALE_OK, BALE_CORRUPT, BALE_UNSUPPORTED (newer version), BALE_NOMEM.
 */
BALE_API bale_err bale_symtab_from_bytes(const void *bytes, size_t size,
                                         bale_symtab **out);
/** The table's serialized bytes: borrowed, valid while the table lives. */
BALE_API const void *bale_symtab_bytes(const bale_symtab *tab, size_t *size);
/** The 64-bit id that chunks encoded against this table record. */
BALE_API uint64_t bale_symtab_id(const bale_symtab *tab);
/** Bytes the table holds in memory (serialized form and decoder state). */
BALE_API uint64_t bale_symtab_nbytes(const bale_symtab *tab);
/** Adds a reference (atomic).  @return tab. */
BALE_API bale_symtab *bale_symtab_incref(bale_symtab *tab);
/** Drops a reference (atomic); frees with the last.  NULL ok. */
BALE_API void bale_symtab_decref(bale_symtab *tab);

/* ------------------------------------------------------------------------
 * Chunks: immutable, refcounted, self-describing blocks of encoded values.
 * The byte layout is in docs/format.md.
 * ---------------------------------------------------------------------- */
typedef struct bale_chunk bale_chunk;

/**
 * Encodes `values` into a new sealed chunk.
 * @param values  borrowed; must be well-formed (see bale_values).
 * @param opts    borrowed; NULL means bale_codec_opts_auto().
 * @param out     on success, a new chunk with refcount 1 (caller owns; release
 *                with bale_chunk_decref).
 * @return BALE_OK, BALE_NOMEM, BALE_INVALID (malformed values or options),
 *         BALE_UNSUPPORTED (encoding cannot hold the dtype).
 */
BALE_API bale_err bale_chunk_encode(const bale_values *values,
                                    const bale_codec_opts *opts,
                                    bale_chunk **out);

/**
 * Decodes all values of a chunk into freshly allocated buffers.
 * @param out  on success, filled; caller owns, release with bale_values_free.
 * @return BALE_OK, BALE_NOMEM, or BALE_CORRUPT (only for chunks loaded from
 *         bytes that passed validation yet decode wrongly: never expected).
 */
BALE_API bale_err bale_chunk_decode(const bale_chunk *chunk, bale_values *out);

/**
 * Decodes a dictionary-coded chunk as its dictionary and one index into it
 * per value: value i is element ids[i] of `dict` (the same bytes
 * bale_chunk_decode gives).  Cheaper than bale_chunk_decode when a caller
 * makes one object per distinct value (an iterator: one str per category).
 * Supported: DICT stages without a backend, against a shared DICT table
 * (str, bytes, object) or self-contained for int, float and bool.  The
 * dictionary may hold values the chunk does not use, and (for untrusted
 * bytes) the same value twice.
 * @param dict  on success, the dictionary's values, of the chunk's dtype;
 *              caller owns, release with bale_values_free.
 * @param ids   on success, dtype int, count values in [0, dict->count);
 *              caller owns, release with bale_values_free.
 * @return BALE_OK; BALE_UNSUPPORTED when the chunk's stage does not store
 *         its values this way (decode it instead); BALE_NOMEM; BALE_CORRUPT
 *         as bale_chunk_decode.
 */
BALE_API bale_err bale_chunk_decode_ids(const bale_chunk *chunk, bale_values *dict,
                                        bale_values *ids);

/**
 * Decodes element `index` of a chunk into `out` without decoding the whole
 * chunk where the encoding allows it (FOR, DELTA with samples, FSST, DICT,
 * PLAIN without backend); otherwise decodes the chunk.
 * Fixed-width dtypes: `out->data` gets one element (caller owns the buffers
 * in `out`, release with bale_values_free).
 * @return BALE_OK, BALE_NOMEM, BALE_RANGE.
 */
BALE_API bale_err bale_chunk_get(const bale_chunk *chunk, uint64_t index,
                                 bale_values *out);

/**
 * Checks untrusted bytes as a chunk: header fields, every size and offset,
 * the payload checksum, and a trial decode with bounds checks.  Reads only
 * bytes[0 .. size).  Never crashes, whatever the input.
 * @return BALE_OK, BALE_CORRUPT, BALE_CHECKSUM, BALE_UNSUPPORTED (newer format
 *         version or unknown codec), BALE_NOMEM.
 */
BALE_API bale_err bale_chunk_validate(const void *bytes, size_t size);

/**
 * Validates `bytes` (as bale_chunk_validate) and copies them into a new chunk.
 * @param out  on success, new chunk with refcount 1 (caller owns).
 * @return as bale_chunk_validate.
 */
BALE_API bale_err bale_chunk_from_bytes(const void *bytes, size_t size,
                                        bale_chunk **out);

/**
 * Encodes `values` for a container that shares one string table among its
 * chunks.  `*tab` is the container's current table (NULL at first; the
 * container owns that reference).  For str/bytes/object values that FSST
 * suits, an FSST table is trained when there is none, and for values with
 * few distinct ones (at least 32 KiB raw) a DICT table; a table is retrained
 * when the current one fits these values clearly worse than the data it was
 * trained on (a DICT table: when they hold 8 or more values it lacks, at
 * most 3 times); the new table replaces `*tab` (the old reference is
 * dropped; chunks that use it keep it alive).  Values unlike the table's
 * kind, and other values, encode as bale_chunk_encode.
 * @return as bale_chunk_encode; on failure `*tab` is unchanged.
 */
BALE_API bale_err bale_chunk_encode_shared(const bale_values *values,
                                           const bale_codec_opts *opts,
                                           bale_symtab **tab, bale_chunk **out);

/** The shared table the chunk was encoded against (borrowed), or NULL when
 *  the chunk is self-contained. */
BALE_API const bale_symtab *bale_chunk_symtab(const bale_chunk *chunk);

/**
 * As bale_chunk_validate / bale_chunk_from_bytes, for a chunk that may
 * reference a shared table: `tab` (borrowed, may be NULL) must be the table
 * it was encoded against (checked by id); a chunk that needs a table and is
 * not given the right one is BALE_CORRUPT.  The new chunk holds a reference
 * to `tab` when it uses it.
 */
BALE_API bale_err bale_chunk_validate_with(const void *bytes, size_t size,
                                           const bale_symtab *tab);
BALE_API bale_err bale_chunk_from_bytes_with(const void *bytes, size_t size,
                                             const bale_symtab *tab,
                                             bale_chunk **out);

/**
 * As bale_chunk_encode, against a shared string table: `tab` (borrowed, may
 * be NULL) is used when the values are str/bytes/object and the pipeline is
 * FSST (an FSST table) or DICT (a DICT table); the chunk then holds a
 * reference to it instead of a table of its own.
 */
BALE_API bale_err bale_chunk_encode_with(const bale_values *values,
                                         const bale_codec_opts *opts,
                                         const bale_symtab *tab, bale_chunk **out);

/** The chunk's serialized bytes (header + payload): borrowed, valid while the
 *  chunk lives, never moves. */
BALE_API const void *bale_chunk_bytes(const bale_chunk *chunk, size_t *size);

/** Adds a reference (atomic).  @return chunk. */
BALE_API bale_chunk *bale_chunk_incref(bale_chunk *chunk);
/** Drops a reference (atomic); frees the chunk with the last one.  NULL ok. */
BALE_API void bale_chunk_decref(bale_chunk *chunk);
/** Current reference count (for tests and copy-on-write decisions). */
BALE_API int64_t bale_chunk_refcount(const bale_chunk *chunk);

BALE_API bale_dtype bale_chunk_dtype(const bale_chunk *chunk);
BALE_API uint64_t bale_chunk_count(const bale_chunk *chunk);
/** Bytes the values take decoded (count * width, or data bytes + 8 per
 *  offset for variable-width dtypes). */
BALE_API uint64_t bale_chunk_raw_size(const bale_chunk *chunk);
/** Bytes of the serialized chunk (header + payload). */
BALE_API uint64_t bale_chunk_encoded_size(const bale_chunk *chunk);
/** Bytes the chunk holds in memory: serialized bytes + struct + the decoder
 *  an FSST chunk with its own table caches on its first get (about 3.6 KB;
 *  so this grows, once, when a get first touches such a chunk). */
BALE_API uint64_t bale_chunk_nbytes(const bale_chunk *chunk);
BALE_API bale_encoding bale_chunk_encoding(const bale_chunk *chunk);
BALE_API bale_backend bale_chunk_backend(const bale_chunk *chunk);

#ifdef __cplusplus
}
#endif
#endif /* BALE_H */
