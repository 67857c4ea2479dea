/* hash.c - the one hash function of libbale: XXH3 (libxxhash, inlined). */
#include "common_internal.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

uint64_t bale__hash64(const void *p, size_t n, uint64_t seed) {
    return XXH3_64bits_withSeed(p, n, seed);
}
