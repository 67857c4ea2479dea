/* dict_var.c - STUB: dictionary encoding for var-width dtypes. */
#include "encodings_internal.h"

bale_err bale__dict_var_encode(const bale_values *in, bale__buf *out) {
    (void)in; (void)out; return BALE_UNSUPPORTED;
}
bale_err bale__dict_var_decode(bale_dtype dtype, uint64_t count,
                                 const uint8_t *src, size_t n, uint64_t data_size, bale_values *out) {
    (void)dtype; (void)count; (void)src; (void)n; (void)data_size; (void)out; return BALE_UNSUPPORTED;
}
bale_err bale__dict_var_get(bale_dtype dtype, uint64_t count,
                              const uint8_t *src, size_t n, uint64_t index,
                              bale_values *out) {
    (void)dtype; (void)count; (void)src; (void)n; (void)index; (void)out; return BALE_UNSUPPORTED;
}
