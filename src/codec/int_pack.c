/*
 * int_pack.c - the int streams of int_internal.h: bit-packing at every width
 * 0..64 and byte planes, with block decoders specialised per width.
 *
 * Decode speed is the point: a run of 64 values at width w is exactly w
 * little-endian 64-bit words, so unpack_block() for a constant w compiles to
 * straight-line shifts and masks (fully unrolled, one instantiation per
 * width through the switch in unpack_blocks()).  Values outside whole blocks
 * (the tail, or a range not starting on a block) go through get_bits(), which
 * reads byte by byte within the stream and is slow but bounded.
 */
#include "int_internal.h"

int bale__stream_size(unsigned layout, uint64_t n, uint64_t *bytes) {
    if (layout <= 64) {
        if (n > UINT64_MAX / 64) return 0;
        *bytes = (n * layout + 7) / 8;
        return 1;
    }
    if (layout > BALE__LAYOUT_PLANES && layout <= BALE__LAYOUT_PLANES + 8) {
        uint64_t k = layout - BALE__LAYOUT_PLANES;
        if (n > UINT64_MAX / 8) return 0;
        *bytes = n * k;
        return 1;
    }
    return 0;
}

/* ---- encoding ------------------------------------------------------------ */

static void pack_bits(uint8_t *dst, const uint64_t *v, size_t n, uint64_t base,
                      unsigned w) {
    if (w == 0) return;
    const uint64_t mask = w == 64 ? ~(uint64_t)0 : ((uint64_t)1 << w) - 1;
    uint64_t acc = 0;
    unsigned fill = 0; /* bits used in acc */
    uint8_t *p = dst;
    for (size_t i = 0; i < n; i++) {
        uint64_t x = (v[i] - base) & mask;
        acc |= x << fill;
        if (fill + w >= 64) {
            bale__store64(p, acc);
            p += 8;
            unsigned used = 64 - fill; /* bits of x written */
            acc = used == 64 ? 0 : x >> used;
            fill = fill + w - 64;
        } else {
            fill += w;
        }
    }
    /* Remaining bits, whole bytes only. */
    for (unsigned b = 0; b < fill; b += 8) {
        *p++ = (uint8_t)acc;
        acc >>= 8;
    }
}

static void put_planes(uint8_t *dst, const uint64_t *v, size_t n, uint64_t base,
                       unsigned k) {
    for (unsigned b = 0; b < k; b++) {
        uint8_t *plane = dst + (size_t)b * n;
        for (size_t i = 0; i < n; i++) plane[i] = (uint8_t)((v[i] - base) >> (8 * b));
    }
}

bale_err bale__stream_put(bale__buf *out, const uint64_t *v, size_t n,
                          uint64_t base, unsigned layout) {
    uint64_t bytes;
    BALE_RETURN_IF(!bale__stream_size(layout, n, &bytes) || bytes > SIZE_MAX,
                   BALE_INVALID);
    BALE_FORWARD_IF_ERROR(bale__buf_reserve(out, (size_t)bytes));
    uint8_t *dst = out->data + out->size;
    if (layout <= 64)
        pack_bits(dst, v, n, base, layout);
    else
        put_planes(dst, v, n, base, layout - BALE__LAYOUT_PLANES);
    out->size += (size_t)bytes;
    return BALE_OK;
}

/* ---- decoding ------------------------------------------------------------ */

/* Bits [bit, bit + w) of a stream of `size` bytes, reading only inside it. */
static uint64_t get_bits(const uint8_t *src, uint64_t size, uint64_t bit,
                         unsigned w) {
    if (w == 0) return 0;
    uint64_t byte = bit >> 3;
    unsigned sh = (unsigned)(bit & 7);
    uint8_t tmp[16] = {0};
    uint64_t need = (sh + w + 7) / 8; /* <= 9 */
    uint64_t have = byte < size ? size - byte : 0;
    memcpy(tmp, src + (have ? byte : 0), (size_t)(need < have ? need : have));
    uint64_t v = bale__load64(tmp) >> sh;
    if (sh) v |= (uint64_t)tmp[8] << (64 - sh);
    return w == 64 ? v : v & (((uint64_t)1 << w) - 1);
}

/* One block of 64 values at constant width w (1..63) from 8*w bytes. */
static inline __attribute__((always_inline)) void
unpack_block(const uint8_t *in, uint64_t *out, const unsigned w, uint64_t base) {
    const uint64_t mask = ((uint64_t)1 << w) - 1;
#pragma GCC unroll 64
    for (unsigned i = 0; i < 64; i++) {
        const unsigned bit = i * w, word = bit >> 6, sh = bit & 63;
        uint64_t v = bale__load64(in + 8 * word) >> sh;
        if (sh != 0 && sh + w > 64) v |= bale__load64(in + 8 * word + 8) << (64 - sh);
        out[i] = (v & mask) + base;
    }
}

static inline __attribute__((always_inline)) void
unpack_blocks_w(const uint8_t *in, uint64_t *out, size_t nblocks, const unsigned w,
                uint64_t base) {
    for (size_t b = 0; b < nblocks; b++)
        unpack_block(in + (size_t)8 * w * b, out + 64 * b, w, base);
}

/* nblocks whole blocks of 64 values at width w, starting at `in`. */
static void unpack_blocks(const uint8_t *in, uint64_t *out, size_t nblocks,
                          unsigned w, uint64_t base) {
    switch (w) {
    case 0:
        for (size_t i = 0; i < 64 * nblocks; i++) out[i] = base;
        return;
    case 64:
        for (size_t i = 0; i < 64 * nblocks; i++) out[i] = bale__load64(in + 8 * i) + base;
        return;
#define BALE__UNPACK_CASE(W)                                                   \
    case W:                                                                    \
        unpack_blocks_w(in, out, nblocks, W, base);                            \
        return;
#define BALE__UNPACK_CASES8(B)                                                 \
    BALE__UNPACK_CASE(B + 0) BALE__UNPACK_CASE(B + 1) BALE__UNPACK_CASE(B + 2) \
    BALE__UNPACK_CASE(B + 3) BALE__UNPACK_CASE(B + 4) BALE__UNPACK_CASE(B + 5) \
    BALE__UNPACK_CASE(B + 6) BALE__UNPACK_CASE(B + 7)
        BALE__UNPACK_CASE(1) BALE__UNPACK_CASE(2) BALE__UNPACK_CASE(3)
        BALE__UNPACK_CASE(4) BALE__UNPACK_CASE(5) BALE__UNPACK_CASE(6)
        BALE__UNPACK_CASE(7)
        BALE__UNPACK_CASES8(8) BALE__UNPACK_CASES8(16) BALE__UNPACK_CASES8(24)
        BALE__UNPACK_CASES8(32) BALE__UNPACK_CASES8(40) BALE__UNPACK_CASES8(48)
        BALE__UNPACK_CASES8(56)
#undef BALE__UNPACK_CASES8
#undef BALE__UNPACK_CASE
    default:
        assert(0);
    }
}

static inline __attribute__((always_inline)) void
planes_k(const uint8_t *src, uint64_t n, uint64_t first, size_t k, uint64_t base,
         uint64_t *out, const unsigned nb) {
    const uint8_t *p = src + first;
    for (size_t i = 0; i < k; i++) {
        uint64_t v = 0;
        for (unsigned b = 0; b < nb; b++) v |= (uint64_t)p[(size_t)b * n + i] << (8 * b);
        out[i] = v + base;
    }
}

void bale__stream_get(const uint8_t *src, uint64_t n, unsigned layout,
                      uint64_t first, size_t k, uint64_t base, uint64_t *out) {
    assert(first <= n && k <= n - first);
    if (layout > 64) {
        switch (layout - BALE__LAYOUT_PLANES) {
        case 1: planes_k(src, n, first, k, base, out, 1); return;
        case 2: planes_k(src, n, first, k, base, out, 2); return;
        case 3: planes_k(src, n, first, k, base, out, 3); return;
        case 4: planes_k(src, n, first, k, base, out, 4); return;
        case 5: planes_k(src, n, first, k, base, out, 5); return;
        case 6: planes_k(src, n, first, k, base, out, 6); return;
        case 7: planes_k(src, n, first, k, base, out, 7); return;
        default: planes_k(src, n, first, k, base, out, 8); return;
        }
    }
    unsigned w = layout;
    uint64_t size = (n * w + 7) / 8;
    size_t i = 0;
    /* Up to the next block boundary, one at a time. */
    while (i < k && (first + i) % 64 != 0) {
        out[i] = get_bits(src, size, (first + i) * w, w) + base;
        i++;
    }
    /* Whole blocks (first + i is a multiple of 64 here, or i == k). */
    size_t nblocks = (k - i) / 64;
    if (nblocks) {
        unpack_blocks(src + (size_t)((first + i) / 64) * 8 * w, out + i, nblocks, w, base);
        i += nblocks * 64;
    }
    for (; i < k; i++) out[i] = get_bits(src, size, (first + i) * w, w) + base;
}

uint64_t bale__stream_get1(const uint8_t *src, uint64_t n, unsigned layout,
                           uint64_t index) {
    uint64_t v;
    if (layout > 64) {
        planes_k(src, n, index, 1, 0, &v, layout - BALE__LAYOUT_PLANES);
        return v;
    }
    return get_bits(src, (n * layout + 7) / 8, index * layout, layout);
}
