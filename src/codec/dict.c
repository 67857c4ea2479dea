/*
 * dict.c - the DICT encoding: distinct values once, then a code per value.
 * The fixed-width half is in dict_fixed.c, the variable-width half in
 * dict_var.c; this file joins them into one encoding id.
 */
#include "str_internal.h"

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

/* Against a DICT table (kind 2): variable-width values only (dict_tab.c). */
static bale_err dict_encode_tab(const bale_values *in, const bale_symtab *tab, bale__buf *out) {
    return bale__dtab_encode(in, tab, out);
}

static bale_err dict_decode_tab(const bale_symtab *tab, bale_dtype dtype, uint64_t count,
                                const uint8_t *src, size_t n, uint64_t data_size,
                                bale_values *out) {
    BALE_RETURN_IF(bale__is_fixed(dtype), BALE_CORRUPT);
    return bale__dtab_decode(tab, dtype, count, src, n, data_size, out);
}

static bale_err dict_get_tab(const bale_symtab *tab, bale_dtype dtype, uint64_t count,
                             const uint8_t *src, size_t n, uint64_t index, bale_values *out) {
    BALE_RETURN_IF(bale__is_fixed(dtype), BALE_CORRUPT);
    return bale__dtab_get(tab, dtype, count, src, n, index, out);
}

const bale__tab_ops bale__dict_tab_ops = {
    BALE_SYMTAB_KIND_DICT, dict_encode_tab, dict_decode_tab, dict_get_tab,
    bale__dtab_stage_uses_tab,
};

bale_err bale__dict_decode_ids(const bale_symtab *tab, bale_dtype dtype, uint64_t count,
                               const uint8_t *src, size_t n, bale_values *dict,
                               bale_values *ids) {
    if (tab != NULL) {
        BALE_RETURN_IF(bale__is_fixed(dtype), BALE_CORRUPT);
        return bale__dtab_decode_ids(tab, dtype, count, src, n, dict, ids);
    }
    if (bale__is_fixed(dtype)) return bale__dict_fixed_decode_ids(dtype, count, src, n, dict, ids);
    return BALE_UNSUPPORTED; /* self-contained variable-width stages: decode */
}
