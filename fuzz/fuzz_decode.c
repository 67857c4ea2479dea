/*
 * fuzz_decode.c - every value encoding's decoder, called directly.
 *
 * The chunk layer stands between untrusted bytes and the decoders; this
 * target goes around it so that the fuzzer spends its time inside them.  It
 * carves the parameters the chunk header would give from the first bytes:
 *
 *   off size field
 *     0    1 encoding id (bale_encoding)
 *     1    1 dtype (bale_dtype)
 *     2    4 count, little-endian
 *     6    4 data size (variable-width dtypes; count * width otherwise)
 *    10    4 index for get (taken modulo count)
 *    14    - the stage bytes the decoder reads
 *
 * and calls the encoding's decode and get on the rest, with exactly the
 * preconditions that bale__chunk_parse_header guarantees (a supported dtype,
 * count and raw size within the limits and the expansion bound).  Checked:
 * no crash or out-of-bounds access, no leak; a successful decode has the
 * count, dtype and size asked for and well-formed offsets; when the decode
 * succeeds, get(index) succeeds and agrees with it.  get also runs on bytes
 * that do not decode: the codec contract (codec_internal.h) holds every
 * decoder to untrusted input.
 */
#include "fuzz.h"

#include "../src/chunk/chunk_internal.h"
#include "../src/codec/encodings_internal.h"

#define CARVE_SIZE 14

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < CARVE_SIZE) return 0;
    const bale__encoding_impl *impl = bale__encoding_find((bale_encoding)data[0]);
    bale_dtype dtype = (bale_dtype)data[1];
    if (impl == NULL || bale_dtype_name(dtype) == NULL || !impl->supports(dtype))
        return 0;
    uint64_t count = bale__load32(data + 2);
    uint64_t var_size = bale__load32(data + 6);
    uint64_t index = bale__load32(data + 10);
    const uint8_t *src = data + CARVE_SIZE;
    size_t n = size - CARVE_SIZE;

    size_t width = bale_dtype_width(dtype);
    uint64_t data_size = width ? count * width : var_size;
    uint64_t raw = width ? data_size : var_size + 8 * count;
    uint64_t allowed = (uint64_t)n * BALE_CHUNK_MAX_EXPANSION + BALE_CHUNK_EXPANSION_SLACK;
    if (count > BALE_CHUNK_MAX_COUNT || raw > BALE_CHUNK_MAX_RAW || raw > allowed)
        return 0;

    int64_t before = fuzz_live_before();
    /* A copy of exactly n bytes, so reads past the stage are caught. */
    uint8_t *stage = malloc(n ? n : 1);
    if (stage == NULL) return 0;
    if (n) memcpy(stage, src, n);

    bale_values all;
    memset(&all, 0, sizeof all);
    bale_err err = impl->decode(dtype, count, stage, n, data_size, &all);
    if (err == BALE_OK) {
        FUZZ_CHECK(all.dtype == dtype);
        FUZZ_CHECK(all.count == count);
        FUZZ_CHECK(all.data_size == data_size);
        FUZZ_CHECK(bale__values_check(&all) == BALE_OK);
    }
    if (impl->get != NULL && count > 0) {
        uint64_t i = index % count;
        bale_values one;
        memset(&one, 0, sizeof one);
        bale_err gerr = impl->get(dtype, count, stage, n, i, &one);
        if (err == BALE_OK) {
            FUZZ_CHECK(gerr == BALE_OK);
            FUZZ_CHECK(fuzz_element_equal(&all, i, &one));
        }
        if (gerr == BALE_OK) bale_values_free(&one);
    }
    if (err == BALE_OK) bale_values_free(&all);
    free(stage);
    fuzz_check_no_leak(before);
    return 0;
}
