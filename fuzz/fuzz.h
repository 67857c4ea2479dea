/*
 * fuzz.h - what every fuzz target shares.
 *
 * A target defines LLVMFuzzerTestOneInput (libFuzzer's entry point) and is
 * linked either with libFuzzer (clang, scripts/fuzz) or with replay.c, a plain
 * main() that feeds it every file of a corpus directory (the regression test
 * that `meson test --suite fuzz` runs with any compiler).
 *
 * Targets link a copy of the core built with BALE_FUZZING: lower size limits
 * (so the fuzzer stays within its memory limit) and no payload checksum (so
 * mutated bytes reach the decoders behind it).
 *
 * A target aborts (FUZZ_CHECK) when the library breaks a promise it makes for
 * every input: no crash, no leak of accounted bytes, a decoded chunk that
 * agrees with its header, single-element reads that agree with full decodes.
 */
#ifndef BALE_FUZZ_H
#define BALE_FUZZ_H

#include "bale.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__,       \
                    __LINE__, #cond);                                          \
            abort();                                                           \
        }                                                                      \
    } while (0)

/* Whether two decoded runs hold the same values (bit patterns for floats). */
static inline int fuzz_values_equal(const bale_values *a, const bale_values *b) {
    if (a->dtype != b->dtype || a->count != b->count ||
        a->data_size != b->data_size)
        return 0;
    if (a->data_size != 0 && memcmp(a->data, b->data, (size_t)a->data_size) != 0)
        return 0;
    if ((a->offsets == NULL) != (b->offsets == NULL)) return 0;
    if (a->offsets != NULL &&
        memcmp(a->offsets, b->offsets, (size_t)(a->count + 1) * sizeof(uint64_t)) != 0)
        return 0;
    return 1;
}

/* Whether `one` (a one-element run from a get) equals element i of `all`. */
static inline int fuzz_element_equal(const bale_values *all, uint64_t i,
                                     const bale_values *one) {
    if (one->dtype != all->dtype || one->count != 1) return 0;
    size_t width = bale_dtype_width(all->dtype);
    if (width != 0)
        return one->data_size == width &&
               memcmp(one->data, (const uint8_t *)all->data + i * width, width) == 0;
    uint64_t len = all->offsets[i + 1] - all->offsets[i];
    if (one->offsets == NULL || one->offsets[0] != 0 || one->offsets[1] != len ||
        one->data_size != len)
        return 0;
    return len == 0 ||
           memcmp(one->data, (const uint8_t *)all->data + all->offsets[i], (size_t)len) == 0;
}

/* bale_chunk_decode_ids of a valid chunk: unsupported, or a dictionary and
 * ids that give exactly its values `all`. */
static inline void fuzz_check_ids(const bale_chunk *c, const bale_values *all) {
    bale_values dict, ids;
    memset(&dict, 0, sizeof dict);
    memset(&ids, 0, sizeof ids);
    bale_err err = bale_chunk_decode_ids(c, &dict, &ids);
    FUZZ_CHECK(err == BALE_OK || err == BALE_UNSUPPORTED);
    if (err != BALE_OK) return;
    FUZZ_CHECK(dict.dtype == all->dtype && ids.dtype == BALE_DTYPE_INT && ids.count == all->count);
    size_t width = bale_dtype_width(all->dtype);
    for (uint64_t i = 0; i < all->count; i++) {
        uint64_t id = ((const uint64_t *)ids.data)[i];
        FUZZ_CHECK(id < dict.count);
        if (width) {
            FUZZ_CHECK(memcmp((const uint8_t *)dict.data + id * width,
                              (const uint8_t *)all->data + i * width, width) == 0);
        } else {
            uint64_t len = all->offsets[i + 1] - all->offsets[i];
            FUZZ_CHECK(dict.offsets[id + 1] - dict.offsets[id] == len);
            FUZZ_CHECK(len == 0 || memcmp((const uint8_t *)dict.data + dict.offsets[id],
                                          (const uint8_t *)all->data + all->offsets[i],
                                          (size_t)len) == 0);
        }
    }
    bale_values_free(&dict);
    bale_values_free(&ids);
}

/* Checks a chunk encoded from `all` (against `tab`, or NULL for a
 * self-contained one): it decodes back to `all` and its bytes validate.  The
 * decoded values stay in *back (caller frees with bale_values_free). */
static inline void fuzz_check_reencoded(const bale_chunk *again, const bale_values *all,
                                        const bale_symtab *tab, bale_values *back) {
    memset(back, 0, sizeof *back);
    FUZZ_CHECK(bale_chunk_decode(again, back) == BALE_OK);
    FUZZ_CHECK(fuzz_values_equal(all, back));
    size_t n;
    const void *bytes = bale_chunk_bytes(again, &n);
    FUZZ_CHECK(bale_chunk_validate_with(bytes, n, tab) == BALE_OK);
}

/* Leak check around one input: the library's accounted live bytes must be
 * the same after as before.  The compression contexts each thread caches are
 * counted too and appear on first use, so when the figure moved, the check
 * drops them (bale_thread_cleanup) and then asks for zero.  Dropping them
 * only then keeps the fuzzer fast: making a zstd context costs far more than
 * a small input. */
static inline int64_t fuzz_live_before(void) { return bale_memory_live(); }
static inline void fuzz_check_no_leak(int64_t before) {
    if (bale_memory_live() == before) return;
    bale_thread_cleanup();
    FUZZ_CHECK(bale_memory_live() == 0);
}

#endif
