/*
 * policy_str.c - the auto policy for variable-width dtypes (str, bytes,
 * object).  Bounded effort: one pass over a sample of the values, then at
 * most two full trial encodes.  The figures behind every threshold are in
 * docs/design-strings.md.
 *
 *   empty chunk                      -> PLAIN, no backend
 *   few distinct values (sample)     -> DICT + zstd (byte codes, zstd's
 *                                       Huffman codes them near entropy), or
 *                                       against the container's DICT table:
 *                                       Huffman codes in blocks, no backend
 *   long values (documents, pickles) -> PLAIN + zstd (a value is decoded as
 *                                       a whole anyway; zstd sees more context)
 *   otherwise (names, keys, words)   -> FSST (with front coding and Huffman
 *                                       when they pay), no backend, so that
 *                                       one value decodes in ~1 us; or CTX
 *                                       against the container's CTX table
 * and in each case the result is compared with PLAIN without backend (sized
 * without being built), so incompressible data (random bytes) never grows
 * by more than a header.
 */
#include "str_internal.h"

/* Values looked at to estimate the number of distinct ones. */
#define STR_POLICY_SAMPLE 1024u
/* DICT when the sample holds at most 1/this distinct values: below that,
 * codes + table beat FSST (flights `origin`: 229 distinct in 5957 values). */
#define STR_DICT_MAX_DISTINCT_SHARE 4u
/* Mean value length (bytes) from which PLAIN + zstd is chosen: per-value
 * random access saves little when a value is this long, and zstd's window
 * finds repeats across values that FSST's 8-byte symbols cannot. */
#define STR_LONG_VALUE 256u
/* zstd level for DICT codes and long values when the caller gives none.
 * DICT codes: level 3 is as small as 19 on flights `origin` (0.920 vs
 * 0.921 B/value; the stage is byte codes that only zstd's Huffman stage
 * shrinks) at 134 vs 35 MB/s encode (CPU time). */
#define STR_DICT_ZSTD_LEVEL 3
#define STR_LONG_ZSTD_LEVEL 9

/* Distinct values among up to STR_POLICY_SAMPLE evenly spaced ones; stops
 * as soon as they exceed `limit` (then DICT is out anyway: names and keys
 * are decided after ~limit hashes, not the whole sample). */
static uint64_t sample_distinct(const bale_values *in, uint64_t limit, uint64_t *sampled) {
    uint64_t n = in->count < STR_POLICY_SAMPLE ? in->count : STR_POLICY_SAMPLE;
    uint64_t slots[2 * STR_POLICY_SAMPLE];
    memset(slots, 0, sizeof slots);
    const uint8_t *data = in->data;
    uint64_t d = 0;
    *sampled = n;
    for (uint64_t k = 0; k < n && d <= limit; k++) {
        /* Evenly spaced, so sorted or clustered data is sampled fairly. */
        uint64_t i = n == in->count ? k : k * in->count / n;
        uint64_t h = bale__hash64(data + in->offsets[i],
                                  (size_t)(in->offsets[i + 1] - in->offsets[i]), 0) | 1;
        size_t s = (size_t)(h % (2 * STR_POLICY_SAMPLE));
        while (slots[s] != 0 && slots[s] != h) s = (s + 1) % (2 * STR_POLICY_SAMPLE);
        if (slots[s] == 0) {
            slots[s] = h;
            d++;
        }
    }
    return d;
}

/* PLAIN's stage size (no backend): a varint length per value, then the
 * bytes.  Known without building it. */
static uint64_t plain_size(const bale_values *in) {
    uint64_t size = in->data_size;
    for (uint64_t i = 0; i < in->count; i++) {
        uint64_t l = in->offsets[i + 1] - in->offsets[i];
        size += 1;
        while (l >= 0x80) l >>= 7, size++;
    }
    return size;
}

/* Encodes with (enc, backend), against `tab` when the encoding can use it;
 * keeps it in `best` if smaller. */
static bale_err try_pipeline(const bale_values *in, bale_encoding enc,
                             bale_backend backend, int level, const bale_symtab *tab,
                             bale__buf *best, bale__pipeline_result *best_result, int *have) {
    bale__buf trial = {.tmp = 1};
    bale__pipeline_result r;
    bale_err err = bale__pipeline_encode_fixed_tab(in, enc, backend, level, tab, &trial, &r);
    if (err == BALE_UNSUPPORTED) return BALE_OK; /* move on */
    if (err != BALE_OK) {
        bale__buf_free(&trial);
        return err;
    }
    if (!*have || trial.size < best->size) {
        bale__buf_free(best);
        *best = trial;
        *best_result = r;
        *have = 1;
    } else {
        bale__buf_free(&trial);
    }
    return BALE_OK;
}

typedef enum str_choice { STR_PLAIN, STR_DICT, STR_LONG, STR_FSST } str_choice;

/* The family of encoding the policy picks for `in` (before trying it). */
static str_choice choose(const bale_values *in) {
    if (in->count == 0) return STR_PLAIN;
    uint64_t sampled, limit = (in->count < STR_POLICY_SAMPLE ? in->count : STR_POLICY_SAMPLE) /
                                STR_DICT_MAX_DISTINCT_SHARE;
    uint64_t distinct = sample_distinct(in, limit, &sampled);
    if (distinct * STR_DICT_MAX_DISTINCT_SHARE <= sampled) return STR_DICT;
    if (in->data_size >= (uint64_t)STR_LONG_VALUE * in->count) return STR_LONG;
    return STR_FSST;
}

unsigned bale__policy_str_table_kind(const bale_values *in) {
    if (!bale__is_var(in->dtype)) return 0;
    str_choice c = choose(in);
    return c == STR_FSST ? BALE_SYMTAB_KIND_FSST : c == STR_DICT ? BALE_SYMTAB_KIND_DICT : 0;
}

bale_err bale__policy_varwidth(const bale_values *in, int level,
                               const bale_symtab *tab, bale__buf *payload,
                               bale__pipeline_result *result) {
    str_choice c = choose(in);
    if (c == STR_PLAIN)
        return bale__pipeline_encode_fixed(in, BALE_ENC_PLAIN, BALE_BACKEND_NONE, 0,
                                           payload, result);
    bale__buf best = {.tmp = 1};
    bale__pipeline_result best_result = {0};
    int have = 0;
    bale_err err;
    unsigned kind = tab ? bale__symtab_kind(tab) : 0;
    if (c == STR_DICT && kind == BALE_SYMTAB_KIND_DICT) {
        /* The container's DICT table: Huffman codes in blocks, no backend,
         * so that a get decodes one block. */
        err = try_pipeline(in, BALE_ENC_DICT, BALE_BACKEND_NONE, 0, tab, &best, &best_result,
                           &have);
    } else if (c == STR_DICT) {
        err = try_pipeline(in, BALE_ENC_DICT, BALE_BACKEND_ZSTD,
                           level ? level : STR_DICT_ZSTD_LEVEL, NULL, &best, &best_result, &have);
    } else if (c == STR_LONG) {
        err = try_pipeline(in, BALE_ENC_PLAIN, BALE_BACKEND_ZSTD,
                           level ? level : STR_LONG_ZSTD_LEVEL, NULL, &best, &best_result, &have);
    } else if (kind == BALE_SYMTAB_KIND_CTX) {
        /* The container's context model (a container of many such values). */
        err = try_pipeline(in, BALE_ENC_CTX, BALE_BACKEND_NONE, 0, tab, &best, &best_result, &have);
    } else {
        /* With the container's FSST table when it has one. */
        err = try_pipeline(in, BALE_ENC_FSST, BALE_BACKEND_NONE, 0,
                           kind == BALE_SYMTAB_KIND_FSST ? tab : NULL, &best, &best_result, &have);
    }
    /* The fallback: values as they are, built only when smaller. */
    if (err == BALE_OK && (!have || plain_size(in) < best.size))
        err = try_pipeline(in, BALE_ENC_PLAIN, BALE_BACKEND_NONE, 0, NULL, &best, &best_result,
                           &have);
    if (err == BALE_OK && !have) err = BALE_UNSUPPORTED;
    if (err == BALE_OK) err = bale__buf_append(payload, best.data, best.size);
    if (err == BALE_OK) *result = best_result;
    bale__buf_free(&best);
    return err;
}
