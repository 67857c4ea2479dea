/* policy_numeric.c - STUB auto policy: plain values then zstd. */
#include "encodings_internal.h"

bale_err bale__policy_numeric(const bale_values *in, int level,
                              bale__buf *payload,
                              bale__pipeline_result *result) {
    return bale__pipeline_encode_fixed(in, BALE_ENC_PLAIN, BALE_BACKEND_ZSTD,
                                       level, payload, result);
}
