/*
 * codec_internal.h - value encodings and backends, the two stages of a chunk's
 * pipeline.
 *
 *   values --encoding--> stage bytes --backend--> payload bytes
 *
 * An *encoding* (filters for one family of dtypes: FOR bit-packing, delta,
 * dictionary, FSST, ...) turns typed values into a self-delimiting byte
 * string, the "stage".  A *backend* (none, lz4, zstd, zlib) compresses the
 * stage.  The chunk layer (src/chunk) frames the result with a header; see
 * docs/format.md for the bytes.
 *
 * Contract for every decoder here: its input is untrusted.  It reads only
 * src[0 .. n), checks every length and offset before use, returns
 * BALE_CORRUPT for anything malformed (including trailing bytes it did not
 * consume), and never writes outside the buffers it allocated.  It must not
 * allocate more than a bounded multiple of what `count` and the chunk's
 * validated raw size allow (the chunk layer bounds both).
 */
#ifndef BALE_CODEC_INTERNAL_H
#define BALE_CODEC_INTERNAL_H

#include "../common/common_internal.h"

/* ---- backends ------------------------------------------------------------
 * bale__backend_compress appends the compressed form of src[0..n) to `out`.
 * bale__backend_decompress fills exactly dst[0..dst_size) from src[0..n);
 * any other outcome (short, long or malformed input) is BALE_CORRUPT. */
bale_err bale__backend_compress(bale_backend backend, int level,
                                const uint8_t *src, size_t n, bale__buf *out);
bale_err bale__backend_decompress(bale_backend backend, const uint8_t *src,
                                  size_t n, uint8_t *dst, size_t dst_size);
/* Whether the backend was compiled in. */
int bale__backend_available(bale_backend backend);

/* ---- encodings -----------------------------------------------------------
 * One table entry per encoding id (bale_encoding).  `supports` says which
 * dtypes it holds.  `encode` appends the stage bytes for `in` to `out`, or
 * returns BALE_UNSUPPORTED when this data cannot use the encoding (say, a
 * dictionary with too many distinct values) so that the auto policy moves on.
 * `decode` allocates `out` (through the hooks) and fills all `count` values;
 * `data_size` is the validated size of the decoded value bytes (count * width
 * for fixed-width dtypes, the total of all value bytes for variable-width
 * ones), which the decoder must produce exactly and may allocate up front.
 * `get` (may be NULL) decodes element `index` alone into `out`, which it
 * allocates as a one-element bale_values. */
typedef struct bale__encoding_impl {
    bale_encoding id;
    const char *name;
    int (*supports)(bale_dtype dtype);
    bale_err (*encode)(const bale_values *in, bale__buf *out);
    bale_err (*decode)(bale_dtype dtype, uint64_t count, const uint8_t *src,
                       size_t n, uint64_t data_size, bale_values *out);
    bale_err (*get)(bale_dtype dtype, uint64_t count, const uint8_t *src,
                    size_t n, uint64_t index, bale_values *out);
} bale__encoding_impl;

/* NULL for ids not compiled in or unknown. */
const bale__encoding_impl *bale__encoding_find(bale_encoding id);

/* ---- helpers for building bale_values ------------------------------------
 * bale__values_alloc allocates buffers for `count` values of a fixed-width
 * dtype, or (var-width) count+1 offsets and `data_size` data bytes.
 * Overflow and allocation failure give BALE_NOMEM; nothing is leaked. */
bale_err bale__values_alloc(bale_values *out, bale_dtype dtype, uint64_t count,
                            uint64_t data_size);
/* Checks the bale_values invariants (see bale.h): BALE_OK or BALE_INVALID. */
bale_err bale__values_check(const bale_values *v);
static inline int bale__is_var_width(bale_dtype d) { return bale_dtype_width(d) == 0; }
/* Decoded byte size used for accounting and ratios (bale_chunk_raw_size). */
uint64_t bale__values_raw_size(const bale_values *v);
/* Builds a one-element bale_values from element `i` of `v` (copies). */
bale_err bale__values_take_one(const bale_values *v, uint64_t i,
                               bale_values *out);

/* ---- pipeline --------------------------------------------------------------
 * Encodes `in` per `opts` (auto or fixed), appending the payload (backend
 * output) to `payload`.  Reports the choice and the stage size.  The auto
 * policy lives in policy.c; its thresholds are named constants there. */
typedef struct bale__pipeline_result {
    bale_encoding encoding;
    bale_backend backend;
    uint64_t stage_size;
} bale__pipeline_result;

bale_err bale__pipeline_encode(const bale_values *in,
                               const bale_codec_opts *opts, bale__buf *payload,
                               bale__pipeline_result *result);

/* Encodes with one fixed encoding and backend (no search). */
bale_err bale__pipeline_encode_fixed(const bale_values *in,
                                     bale_encoding encoding,
                                     bale_backend backend, int level,
                                     bale__buf *payload,
                                     bale__pipeline_result *result);

/* The auto policy: chooses the pipeline for `in` (policy.c). */
bale_err bale__policy_encode(const bale_values *in, int level,
                             bale__buf *payload,
                             bale__pipeline_result *result);

#endif /* BALE_CODEC_INTERNAL_H */
