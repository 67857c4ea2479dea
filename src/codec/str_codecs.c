/* str_codecs.c - STUB: FSST, FRONT, BLOCKS (to be written). */
#include "encodings_internal.h"

static int none_supported(bale_dtype dtype) { (void)dtype; return 0; }
static bale_err stub_encode(const bale_values *in, bale__buf *out) {
    (void)in; (void)out; return BALE_UNSUPPORTED;
}
static bale_err stub_decode(bale_dtype dtype, uint64_t count, const uint8_t *src,
                            size_t n, uint64_t data_size, bale_values *out) {
    (void)dtype; (void)count; (void)src; (void)n; (void)data_size; (void)out; return BALE_UNSUPPORTED;
}
const bale__encoding_impl bale__enc_fsst = {BALE_ENC_FSST, "fsst", none_supported, stub_encode, stub_decode, NULL};
const bale__encoding_impl bale__enc_front = {BALE_ENC_FRONT, "front", none_supported, stub_encode, stub_decode, NULL};
const bale__encoding_impl bale__enc_blocks = {BALE_ENC_BLOCKS, "blocks", none_supported, stub_encode, stub_decode, NULL};
