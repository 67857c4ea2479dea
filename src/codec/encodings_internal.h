/*
 * encodings_internal.h - the encoding implementations, one per file, and the
 * hooks that let the dictionary encoding and the auto policy split work
 * between fixed-width (numeric) and variable-width (string) code.
 */
#ifndef BALE_ENCODINGS_INTERNAL_H
#define BALE_ENCODINGS_INTERNAL_H

#include "codec_internal.h"

extern const bale__encoding_impl bale__enc_plain;    /* plain.c */
extern const bale__encoding_impl bale__enc_for;      /* int_codecs.c */
extern const bale__encoding_impl bale__enc_delta;    /* int_codecs.c */
extern const bale__encoding_impl bale__enc_shuffle;  /* int_codecs.c */
extern const bale__encoding_impl bale__enc_xorfloat; /* int_codecs.c */
extern const bale__encoding_impl bale__enc_dict;     /* dict.c */
extern const bale__encoding_impl bale__enc_fsst;     /* str_codecs.c */
extern const bale__encoding_impl bale__enc_front;    /* str_codecs.c */
extern const bale__encoding_impl bale__enc_blocks;   /* str_codecs.c */
extern const bale__encoding_impl bale__enc_ctx;      /* ctx_tab.c */
extern const bale__encoding_impl bale__enc_decimal;  /* decimal.c */
extern const bale__tab_ops bale__fsst_tab_ops;       /* fsst.c */
extern const bale__tab_ops bale__dict_tab_ops;       /* dict.c (tables: dict_tab.c) */
extern const bale__tab_ops bale__ctx_tab_ops;        /* ctx_tab.c */

/* Dictionary encoding, split by width (dict.c dispatches). */
bale_err bale__dict_fixed_encode(const bale_values *in, bale__buf *out);
bale_err bale__dict_fixed_decode(bale_dtype dtype, uint64_t count,
                                 const uint8_t *src, size_t n, uint64_t data_size, bale_values *out);
/* Modes 0 and 3 as a dictionary and each value's index in it (dtype int);
 * BALE_UNSUPPORTED for modes 1 and 2. */
bale_err bale__dict_fixed_decode_ids(bale_dtype dtype, uint64_t count, const uint8_t *src,
                                     size_t n, bale_values *dict, bale_values *ids);
bale_err bale__dict_fixed_get(bale_dtype dtype, uint64_t count,
                              const uint8_t *src, size_t n, uint64_t index,
                              bale_values *out);
bale_err bale__dict_var_encode(const bale_values *in, bale__buf *out);
bale_err bale__dict_var_decode(bale_dtype dtype, uint64_t count,
                               const uint8_t *src, size_t n, uint64_t data_size, bale_values *out);
bale_err bale__dict_var_get(bale_dtype dtype, uint64_t count,
                            const uint8_t *src, size_t n, uint64_t index,
                            bale_values *out);

/* The auto policy per family (policy_numeric.c, policy_str.c).  Same
 * contract as bale__policy_encode. */
bale_err bale__policy_numeric(const bale_values *in, int level, unsigned policy,
                              bale__buf *payload,
                              bale__pipeline_result *result);
bale_err bale__policy_varwidth(const bale_values *in, int level,
                               const bale_symtab *tab, bale__buf *payload,
                               bale__pipeline_result *result);

static inline int bale__is_fixed(bale_dtype d) { return bale_dtype_width(d) != 0; }
static inline int bale__is_var(bale_dtype d) {
    return d == BALE_DTYPE_STR || d == BALE_DTYPE_BYTES || d == BALE_DTYPE_OBJECT;
}

#endif
