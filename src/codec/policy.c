/*
 * policy.c - the auto policy's entry point: numeric dtypes go to
 * policy_numeric.c, variable-width ones to policy_str.c.
 */
#include "encodings_internal.h"

bale_err bale__policy_encode(const bale_values *in, int level,
                             const bale_symtab *tab, unsigned policy, bale__buf *payload,
                             bale__pipeline_result *result) {
    if (bale__is_fixed(in->dtype))
        return bale__policy_numeric(in, level, policy, payload, result);
    return bale__policy_varwidth(in, level, tab, payload, result);
}
