/*
 * plain.c - the PLAIN encoding: values as they are.
 *
 * Fixed width: count * width bytes, little-endian.
 * Variable width: count LEB128 lengths, then the bytes of all values.
 */
#include "encodings_internal.h"

static int plain_supports(bale_dtype dtype) { return bale_dtype_name(dtype) != NULL; }

static bale_err plain_encode(const bale_values *in, bale__buf *out) {
    if (bale__is_fixed(in->dtype))
        return bale__buf_append(out, in->data, (size_t)in->data_size);
    for (uint64_t i = 0; i < in->count; i++)
        BALE_FORWARD_IF_ERROR(
            bale__buf_put_varint(out, in->offsets[i + 1] - in->offsets[i]));
    return bale__buf_append(out, in->data, (size_t)in->data_size);
}

/* Reads the lengths and checks they add up to exactly the bytes left. */
static bale_err read_lengths(bale__reader *r, uint64_t count, uint64_t *offsets) {
    uint64_t total = 0;
    offsets[0] = 0;
    for (uint64_t i = 0; i < count; i++) {
        uint64_t len = bale__reader_varint(r);
        BALE_RETURN_IF(r->bad || len > bale__reader_left(r) ||
                           total + len > (uint64_t)(r->end - r->p),
                       BALE_CORRUPT);
        total += len;
        offsets[i + 1] = total;
    }
    BALE_RETURN_IF(total != bale__reader_left(r), BALE_CORRUPT);
    return BALE_OK;
}

static bale_err plain_decode(bale_dtype dtype, uint64_t count, const uint8_t *src,
                             size_t n, uint64_t data_size, bale_values *out) {
    if (bale__is_fixed(dtype)) {
        (void)data_size;
        size_t width = bale_dtype_width(dtype);
        BALE_RETURN_IF(count > n / width || count * width != n, BALE_CORRUPT);
        bale_values v;
        BALE_FORWARD_IF_ERROR(bale__values_alloc(&v, dtype, count, 0));
        if (n) memcpy(v.data, src, n);
        if (dtype == BALE_DTYPE_BOOL) {
            for (size_t i = 0; i < n; i++) {
                if (src[i] > 1) {
                    bale_values_free(&v);
                    return BALE_CORRUPT;
                }
            }
        }
        *out = v;
        return BALE_OK;
    }
    /* Each length takes at least one byte: bounds count before allocating. */
    BALE_RETURN_IF(count > n || data_size > n, BALE_CORRUPT);
    bale_values v;
    BALE_FORWARD_IF_ERROR(bale__values_alloc(&v, dtype, count, data_size));
    bale__reader r;
    bale__reader_init(&r, src, n);
    bale_err err = read_lengths(&r, count, v.offsets);
    if (err == BALE_OK && bale__reader_left(&r) != data_size) err = BALE_CORRUPT;
    if (err == BALE_OK && data_size) memcpy(v.data, r.p, (size_t)data_size);
    if (err != BALE_OK) {
        bale_values_free(&v);
        return err;
    }
    *out = v;
    return BALE_OK;
}

static bale_err plain_get(bale_dtype dtype, uint64_t count, const uint8_t *src,
                          size_t n, uint64_t index, bale_values *out) {
    BALE_RETURN_IF(index >= count, BALE_RANGE);
    if (bale__is_fixed(dtype)) {
        size_t width = bale_dtype_width(dtype);
        BALE_RETURN_IF(count > n / width || count * width != n, BALE_CORRUPT);
        BALE_FORWARD_IF_ERROR(bale__values_alloc(out, dtype, 1, 0));
        memcpy(out->data, src + index * width, width);
        return BALE_OK;
    }
    /* Skip the lengths before `index`, summing them. */
    bale__reader r;
    bale__reader_init(&r, src, n);
    uint64_t skip = 0, len = 0;
    for (uint64_t i = 0; i < count; i++) {
        uint64_t l = bale__reader_varint(&r);
        BALE_RETURN_IF(r.bad, BALE_CORRUPT);
        if (i < index) skip += l;
        if (i == index) len = l;
    }
    BALE_RETURN_IF(skip > bale__reader_left(&r) || len > bale__reader_left(&r) - skip,
                   BALE_CORRUPT);
    BALE_FORWARD_IF_ERROR(bale__values_alloc(out, dtype, 1, len));
    if (len) memcpy(out->data, r.p + skip, (size_t)len);
    out->offsets[1] = len;
    return BALE_OK;
}

const bale__encoding_impl bale__enc_plain = {
    BALE_ENC_PLAIN, "plain", plain_supports, plain_encode, plain_decode, plain_get,
};
