/*
 * pipeline.c - runs an encoding then a backend over a run of values.
 * Fixed choices go straight through; auto choices go to the policy
 * (policy.c, and per family policy_numeric.c / policy_str.c).
 */
#include "str_internal.h"

/* The encoding's stage for `in`, against `tab` when it is set. */
static bale_err stage_encode(const bale__encoding_impl *impl, const bale_values *in,
                             const bale_symtab *tab, bale__buf *out) {
    if (tab != NULL) return bale__encoding_tab_ops(impl->id)->encode_tab(in, tab, out);
    return impl->encode(in, out);
}

bale_err bale__pipeline_encode_fixed(const bale_values *in,
                                     bale_encoding encoding,
                                     bale_backend backend, int level,
                                     bale__buf *payload,
                                     bale__pipeline_result *result) {
    return bale__pipeline_encode_fixed_tab(in, encoding, backend, level, NULL, payload, result);
}

bale_err bale__pipeline_encode_fixed_tab(const bale_values *in,
                                         bale_encoding encoding,
                                         bale_backend backend, int level,
                                         const bale_symtab *tab,
                                         bale__buf *payload,
                                         bale__pipeline_result *result) {
    const bale__encoding_impl *impl = bale__encoding_find(encoding);
    BALE_RETURN_IF(impl == NULL || !bale__backend_available(backend),
                   BALE_UNSUPPORTED);
    BALE_RETURN_IF(!impl->supports(in->dtype), BALE_UNSUPPORTED);
    /* A table goes only to the encoding of its kind (FSST or DICT), and
     * only for the variable-width values tables are made of (and not for
     * none of them); the others encode on their own. */
    const bale__tab_ops *tops = bale__encoding_tab_ops(encoding);
    if (tab != NULL && (tops == NULL || tops->kind != bale__symtab_kind(tab) ||
                        !bale__is_var(in->dtype) || in->count == 0))
        tab = NULL;
    bale_err err;
    if (backend == BALE_BACKEND_NONE) {
        size_t before = payload->size;
        err = stage_encode(impl, in, tab, payload);
        if (err != BALE_OK) {
            payload->size = before;
            return err;
        }
        result->stage_size = payload->size - before;
    } else {
        bale__buf stage = {.tmp = 1};
        err = stage_encode(impl, in, tab, &stage);
        if (err == BALE_OK) {
            size_t before = payload->size;
            err = bale__backend_compress(backend, level, stage.data, stage.size,
                                         payload);
            if (err != BALE_OK) payload->size = before;
        }
        result->stage_size = stage.size;
        bale__buf_free(&stage);
        if (err != BALE_OK) return err;
    }
    result->encoding = encoding;
    result->backend = backend;
    result->symtab = tab;
    return BALE_OK;
}

bale_err bale__pipeline_encode(const bale_values *in,
                               const bale_codec_opts *opts, const bale_symtab *tab,
                               unsigned policy, bale__buf *payload,
                               bale__pipeline_result *result) {
    if (opts->encoding != BALE_ENC_AUTO && opts->backend != BALE_BACKEND_AUTO)
        return bale__pipeline_encode_fixed_tab(in, opts->encoding, opts->backend,
                                               opts->level, tab, payload, result);
    if (opts->encoding == BALE_ENC_AUTO && opts->backend == BALE_BACKEND_AUTO)
        return bale__policy_encode(in, opts->level, tab, policy, payload, result);
    /* One half fixed: try the other half's candidates, keep the smallest. */
    static const bale_backend backends[] = {BALE_BACKEND_NONE, BALE_BACKEND_LZ4,
                                            BALE_BACKEND_ZSTD};
    static const bale_encoding encodings[] = {
        BALE_ENC_PLAIN, BALE_ENC_FOR,   BALE_ENC_DELTA, BALE_ENC_DICT,
        BALE_ENC_SHUFFLE, BALE_ENC_XORFLOAT, BALE_ENC_FSST, BALE_ENC_FRONT,
        BALE_ENC_BLOCKS};
    size_t ncand = opts->encoding == BALE_ENC_AUTO ? sizeof encodings / sizeof *encodings
                                                   : sizeof backends / sizeof *backends;
    bale__buf best = {.tmp = 1}, trial = {.tmp = 1};
    bale__pipeline_result best_result = {0}, r;
    int have = 0;
    bale_err err = BALE_UNSUPPORTED;
    for (size_t i = 0; i < ncand; i++) {
        bale_encoding e = opts->encoding == BALE_ENC_AUTO ? encodings[i] : opts->encoding;
        bale_backend b = opts->backend == BALE_BACKEND_AUTO ? backends[i] : opts->backend;
        trial.size = 0;
        bale_err e2 = bale__pipeline_encode_fixed_tab(in, e, b, opts->level, tab,
                                                      &trial, &r);
        if (e2 == BALE_UNSUPPORTED) continue;
        if (e2 != BALE_OK) {
            err = e2;
            goto done;
        }
        if (!have || trial.size < best.size) {
            bale__buf tmp = best;
            best = trial;
            trial = tmp;
            best_result = r;
            have = 1;
        }
    }
    if (have) {
        err = bale__buf_append(payload, best.data, best.size);
        if (err == BALE_OK) *result = best_result;
    }
done:
    bale__buf_free(&best);
    bale__buf_free(&trial);
    return err;
}
