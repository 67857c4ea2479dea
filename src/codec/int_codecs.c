/* int_codecs.c - STUB: FOR, DELTA, SHUFFLE, XORFLOAT (to be written). */
#include "encodings_internal.h"

static int none_supported(bale_dtype dtype) { (void)dtype; return 0; }
static bale_err stub_encode(const bale_values *in, bale__buf *out) {
    (void)in; (void)out; return BALE_UNSUPPORTED;
}
static bale_err stub_decode(bale_dtype dtype, uint64_t count, const uint8_t *src,
                            size_t n, uint64_t data_size, bale_values *out) {
    (void)dtype; (void)count; (void)src; (void)n; (void)data_size; (void)out; return BALE_UNSUPPORTED;
}
const bale__encoding_impl bale__enc_for = {BALE_ENC_FOR, "for", none_supported, stub_encode, stub_decode, NULL};
const bale__encoding_impl bale__enc_delta = {BALE_ENC_DELTA, "delta", none_supported, stub_encode, stub_decode, NULL};
const bale__encoding_impl bale__enc_shuffle = {BALE_ENC_SHUFFLE, "shuffle", none_supported, stub_encode, stub_decode, NULL};
const bale__encoding_impl bale__enc_xorfloat = {BALE_ENC_XORFLOAT, "xorfloat", none_supported, stub_encode, stub_decode, NULL};
