/*
 * dict.c - the DICT encoding: distinct values once, then a code per value.
 * The fixed-width half is in dict_fixed.c, the variable-width half in
 * dict_var.c; this file joins them into one encoding id.
 */
#include "encodings_internal.h"

static int dict_supports(bale_dtype dtype) { return bale_dtype_name(dtype) != NULL; }

static bale_err dict_encode(const bale_values *in, bale__buf *out) {
    return bale__is_fixed(in->dtype) ? bale__dict_fixed_encode(in, out)
                                     : bale__dict_var_encode(in, out);
}

static bale_err dict_decode(bale_dtype dtype, uint64_t count, const uint8_t *src,
                            size_t n, uint64_t data_size, bale_values *out) {
    return bale__is_fixed(dtype) ? bale__dict_fixed_decode(dtype, count, src, n, data_size, out)
                                 : bale__dict_var_decode(dtype, count, src, n, data_size, out);
}

static bale_err dict_get(bale_dtype dtype, uint64_t count, const uint8_t *src,
                         size_t n, uint64_t index, bale_values *out) {
    return bale__is_fixed(dtype)
               ? bale__dict_fixed_get(dtype, count, src, n, index, out)
               : bale__dict_var_get(dtype, count, src, n, index, out);
}

const bale__encoding_impl bale__enc_dict = {
    BALE_ENC_DICT, "dict", dict_supports, dict_encode, dict_decode, dict_get,
};
