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

/* Encodings that can encode against a shared table (bale_symtab) have these
 * too: the same contracts as encode/decode/get, with the table the chunk
 * references; their plain decode/get reject a stage that needs a table.
 * `uses_tab` says whether an (untrusted) stage references one.  FSST takes
 * tables of symbols (kind 1), DICT on variable-width values tables of
 * values (kind 2, dict_tab.c). */
typedef struct bale__tab_ops {
    unsigned kind; /* of the tables it takes (str_internal.h: BALE_SYMTAB_KIND_*) */
    bale_err (*encode_tab)(const bale_values *in, const bale_symtab *tab, bale__buf *out);
    bale_err (*decode_tab)(const bale_symtab *tab, bale_dtype dtype, uint64_t count,
                           const uint8_t *src, size_t n, uint64_t data_size,
                           bale_values *out);
    bale_err (*get_tab)(const bale_symtab *tab, bale_dtype dtype, uint64_t count,
                        const uint8_t *src, size_t n, uint64_t index, bale_values *out);
    int (*uses_tab)(bale_dtype dtype, uint64_t count, const uint8_t *src, size_t n);
} bale__tab_ops;

/* The shared-table operations of an encoding, or NULL if it has none. */
const bale__tab_ops *bale__encoding_tab_ops(bale_encoding id);

/* A DICT stage (against `tab`, or self-contained when NULL) as a dictionary
 * and one index into it per value (dtype int), where its layout stores
 * them so (dict.c): bale_chunk_decode_ids.  BALE_UNSUPPORTED otherwise. */
bale_err bale__dict_decode_ids(const bale_symtab *tab, bale_dtype dtype, uint64_t count,
                               const uint8_t *src, size_t n, bale_values *dict,
                               bale_values *ids);

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
    const bale_symtab *symtab; /* the shared table the stage uses, or NULL */
} bale__pipeline_result;

/* What a caller asks of the auto policy (`policy` below), 0 or:
 * BALE__POLICY_ACCESS: numeric values are read one at a time, at random (a
 * Dict's values and int keys), so only pipelines whose get decodes at most
 * one block are tried: no backend, no stage that a get decodes whole. */
#define BALE__POLICY_ACCESS 1u

bale_err bale__pipeline_encode(const bale_values *in,
                               const bale_codec_opts *opts, const bale_symtab *tab,
                               unsigned policy, bale__buf *payload,
                               bale__pipeline_result *result);

/* Encodes with one fixed encoding and backend (no search). */
bale_err bale__pipeline_encode_fixed(const bale_values *in,
                                     bale_encoding encoding,
                                     bale_backend backend, int level,
                                     bale__buf *payload,
                                     bale__pipeline_result *result);
/* The same, against `tab` (may be NULL) when the encoding can use a shared
 * table. */
bale_err bale__pipeline_encode_fixed_tab(const bale_values *in,
                                         bale_encoding encoding,
                                         bale_backend backend, int level,
                                         const bale_symtab *tab,
                                         bale__buf *payload,
                                         bale__pipeline_result *result);

/* The auto policy: chooses the pipeline for `in` (policy.c). */
bale_err bale__policy_encode(const bale_values *in, int level,
                             const bale_symtab *tab, unsigned policy, bale__buf *payload,
                             bale__pipeline_result *result);

/* The kind of shared table worth training for a column like `in`
 * (policy_str.c): BALE_SYMTAB_KIND_FSST where the policy picks FSST,
 * BALE_SYMTAB_KIND_DICT where it picks DICT (few distinct values), 0 for
 * none (long values, fixed-width dtypes, empty runs). */
unsigned bale__policy_str_table_kind(const bale_values *in);

/* ---- shared tables (fsst.c) ------------------------------------------------
 * Stage bits per 1024 value bytes the table achieved on the data it was
 * trained on; a chunk that needs clearly more is a reason to retrain. */
uint32_t bale__symtab_fit(const bale_symtab *tab);
/* The FSST stage flags (str_internal.h) chunks encoded against it use. */
unsigned bale__symtab_flags(const bale_symtab *tab);
/* log2 of the values per random-access block in the stages encoded against
 * it (str_internal.h: BALE_STR_BLOCK_SHIFT unless trained otherwise). */
unsigned bale__symtab_shift(const bale_symtab *tab);
/* bale_symtab_train for stages of blocks of 1 << `shift` values (1 ..
 * BALE_STR_MAX_BLOCK_SHIFT, else BALE_INVALID): smaller blocks make a
 * single-value get decode fewer values, at one block offset per block. */
bale_err bale__symtab_train_shift(const bale_values *in, unsigned shift, bale_symtab **out);

#endif /* BALE_CODEC_INTERNAL_H */
