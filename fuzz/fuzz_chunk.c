/*
 * fuzz_chunk.c - untrusted bytes as a chunk: bale_chunk_validate,
 * bale_chunk_from_bytes, then, for what passes, decode, get and re-encode.
 *
 * Promises checked for every input: no crash or out-of-bounds access; the
 * validator and from_bytes agree; a validated chunk decodes, to exactly the
 * count, dtype and raw size its header gives; every single-element get agrees
 * with the full decode, and so does a decode to a dictionary and ids; an
 * index past the end is BALE_RANGE; the decoded
 * values re-encode (same encoding and backend, and now and then auto) to
 * chunks that decode to the same values; nothing leaks.
 */
#include "fuzz.h"

static void check_get(const bale_chunk *c, const bale_values *all, uint64_t i) {
    bale_values one;
    memset(&one, 0, sizeof one);
    bale_err err = bale_chunk_get(c, i, &one);
    FUZZ_CHECK(err == BALE_OK);
    FUZZ_CHECK(fuzz_element_equal(all, i, &one));
    bale_values_free(&one);
}

static void check_reencode(const bale_values *all, const bale_codec_opts *opts) {
    bale_chunk *again = NULL;
    if (bale_chunk_encode(all, opts, &again) != BALE_OK) return; /* may refuse */
    bale_values back;
    fuzz_check_reencoded(again, all, NULL, &back);
    bale_values_free(&back);
    bale_chunk_decref(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    int64_t before = fuzz_live_before();
    bale_err valid = bale_chunk_validate(data, size);
    bale_chunk *c = NULL;
    bale_err made = bale_chunk_from_bytes(data, size, &c);
    FUZZ_CHECK(valid == made);
    if (made != BALE_OK) {
        FUZZ_CHECK(c == NULL);
        fuzz_check_no_leak(before);
        return 0;
    }
    size_t n;
    const void *bytes = bale_chunk_bytes(c, &n);
    FUZZ_CHECK(n == size && memcmp(bytes, data, size) == 0);
    FUZZ_CHECK(bale_chunk_encoded_size(c) == size);

    bale_values all;
    memset(&all, 0, sizeof all);
    FUZZ_CHECK(bale_chunk_decode(c, &all) == BALE_OK);
    uint64_t count = bale_chunk_count(c);
    FUZZ_CHECK(all.count == count);
    FUZZ_CHECK(all.dtype == bale_chunk_dtype(c));
    size_t width = bale_dtype_width(all.dtype);
    FUZZ_CHECK(bale_chunk_raw_size(c) ==
               (width ? count * width : all.data_size + 8 * count));

    if (count > 0) {
        check_get(c, &all, 0);
        check_get(c, &all, count / 2);
        check_get(c, &all, count - 1);
        /* One more index, taken from the input so the fuzzer can steer it. */
        check_get(c, &all, (uint64_t)data[size - 1] * 7919u % count);
    }
    bale_values none;
    memset(&none, 0, sizeof none);
    FUZZ_CHECK(bale_chunk_get(c, count, &none) == BALE_RANGE);
    fuzz_check_ids(c, &all);

    bale_codec_opts same = {bale_chunk_encoding(c), bale_chunk_backend(c), 0};
    check_reencode(&all, &same);
    /* The auto policy tries many pipelines: on one input in eight only, so
     * that the fuzzer spends its time in the decoders. */
    if (count <= 4096 && size % 8 == 0) {
        bale_codec_opts automatic = bale_codec_opts_auto();
        check_reencode(&all, &automatic);
    }

    bale_values_free(&all);
    bale_chunk_decref(c);
    fuzz_check_no_leak(before);
    return 0;
}
