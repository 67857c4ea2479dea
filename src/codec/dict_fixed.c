/*
 * dict_fixed.c - the DICT encoding for fixed-width dtypes (int, float, bool):
 * the distinct values once, then a code per value.  Four stage layouts,
 * chosen by the first byte (integers little-endian):
 *
 *   mode 0, "packed" (the default; smallest without a backend, O(1) get):
 *     [0:1][nd:varint][nd values, width bytes each, ascending][L:1][codes]
 *     codes: an int stream (int_internal.h) of count codes, each < nd.
 *
 *   mode 1, "planes" (for a backend's entropy coder; what auto uses):
 *     [1:1][nhot:varint][ncold:varint][hot values][cold values]
 *     [count bytes A][one byte per escaped value: cold index, low byte]
 *     The nhot most frequent values are "hot"; the ncold others "cold", in
 *     K = ceil(ncold / 256) classes of 256.  Each set is stored ascending
 *     (signed order) as a zigzag varint then varint gaps, far cheaper than
 *     8 bytes a value.  A[i] < nhot names a hot value; A[i] >= 256 - K is
 *     an escape of class c = A[i] - (256 - K): the cold value of index
 *     256 * c + the next cold byte.  nhot <= 256 - K.  A byte per value,
 *     skewed by frequency, is what zstd's Huffman stage codes close to the
 *     order-0 entropy; the class rides in A so only a near-uniform low
 *     byte is left apart.  get() decodes the chunk: O(n).
 *
 *   mode 2, "sections": a mode 1 stage cut into sections (dictionary; A;
 *     each plane of the cold stream), each compressed by zstd on its own:
 *     [2:1][nsec:1] then per section [raw:varint][stored:varint][bytes],
 *     bytes being zstd (magicless, as the backend writes it) unless
 *     stored == raw, then the raw bytes.  The sections joined must form a
 *     mode 1 stage.  Why: zstd codes all literals of a block (128 KiB, so
 *     the whole stage) with one Huffman table, and mixing the skewed code
 *     bytes with the near-uniform cold bytes costs about 0.1 B a value on
 *     flights `distance`; separate sections each get their own table.
 *
 *   mode 3, "blocks" (auto's choice without a backend, for random access):
 *     mode 1's hot values and escape classes, each value's symbol coded with
 *     a canonical Huffman code (lengths <= 12) and an escape's low byte
 *     inline, in blocks of 2^bs values with bit offsets; hot keys bit-packed
 *     in code order and cold keys Elias-Fano coded, so get reads one value of
 *     each in O(1) and decodes at most one block of codes.  Byte layout:
 *     the "mode 3" section below and docs/format.md.
 *
 * Values are compared as bit patterns, so NaN payloads and -0.0 are kept.
 * More than BALE_DICT_MAX_DISTINCT distinct values gives BALE_UNSUPPORTED.
 */
#include "int_internal.h"

#include <stdlib.h>

#define BALE__DICT_MAX_HOT 255u
/* Codes decoded per step through a small stack buffer. */
#define BALE__DICT_STEP 256

typedef struct dict_entry {
    uint64_t key;  /* value with the top bit flipped: signed order as unsigned */
    uint32_t freq; /* occurrences */
    uint32_t code; /* assigned code */
} dict_entry;

#define BALE__SIGN ((uint64_t)1 << 63)

static uint64_t load_value(const bale_values *in, size_t i) {
    if (in->dtype == BALE_DTYPE_BOOL) return ((const uint8_t *)in->data)[i];
    return ((const uint64_t *)in->data)[i];
}

/* Sorts entries by key: insertion sort when few, else an LSD radix sort on
 * key - min over just the bytes the key range needs (dictionary sizes of a
 * few thousand sort in microseconds; qsort's callbacks dominated encode). */
static bale_err sort_by_key(dict_entry *e, size_t n) {
    if (n < 64) {
        for (size_t i = 1; i < n; i++) {
            dict_entry x = e[i];
            size_t j = i;
            while (j > 0 && e[j - 1].key > x.key) {
                e[j] = e[j - 1];
                j--;
            }
            e[j] = x;
        }
        return BALE_OK;
    }
    uint64_t mn = e[0].key, mx = e[0].key;
    for (size_t i = 1; i < n; i++) {
        mn = e[i].key < mn ? e[i].key : mn;
        mx = e[i].key > mx ? e[i].key : mx;
    }
    unsigned passes = (bale__bit_width(mx - mn) + 7) / 8;
    if (passes == 0) return BALE_OK;
    dict_entry *tmp = bale__malloc(n * sizeof *tmp);
    BALE_RETURN_IF(tmp == NULL, BALE_NOMEM);
    dict_entry *a = e, *b = tmp;
    for (unsigned p = 0; p < passes; p++) {
        size_t cnt[256] = {0};
        unsigned sh = 8 * p;
        for (size_t i = 0; i < n; i++) cnt[(uint8_t)((a[i].key - mn) >> sh)]++;
        size_t sum = 0;
        for (unsigned k = 0; k < 256; k++) {
            size_t c = cnt[k];
            cnt[k] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++) b[cnt[(uint8_t)((a[i].key - mn) >> sh)]++] = a[i];
        dict_entry *t = a;
        a = b;
        b = t;
    }
    if (a != e) memcpy(e, a, n * sizeof *e);
    bale__free(tmp);
    return BALE_OK;
}

/* Reorders entries (sorted by key) so that the `nhot` most frequent come
 * first (ties: smaller key), each part still ascending by key.  Same order
 * as sorting by (freq desc, key asc), then each part by key. */
static bale_err split_hot(dict_entry *e, size_t nd, size_t nhot) {
    if (nhot >= nd) return BALE_OK;
    /* Frequency threshold f: fewer than nhot entries above it. */
    uint32_t maxf = 0;
    for (size_t i = 0; i < nd; i++) maxf = e[i].freq > maxf ? e[i].freq : maxf;
    uint32_t *hist = bale__calloc((size_t)maxf + 2, sizeof *hist);
    dict_entry *tmp = bale__malloc(nd * sizeof *tmp);
    if (hist == NULL || tmp == NULL) {
        bale__free(hist);
        bale__free(tmp);
        return BALE_NOMEM;
    }
    for (size_t i = 0; i < nd; i++) hist[e[i].freq]++;
    size_t above = 0;
    uint32_t f = maxf;
    while (above + hist[f] < nhot) above += hist[f--];
    size_t ties = nhot - above; /* entries of frequency f taken, by key */
    size_t h = 0, c = nhot;
    for (size_t i = 0; i < nd; i++) {
        int hot = e[i].freq > f || (e[i].freq == f && ties > 0 && (ties--, 1));
        tmp[hot ? h++ : c++] = e[i];
    }
    memcpy(e, tmp, nd * sizeof *e);
    bale__free(hist);
    bale__free(tmp);
    return BALE_OK;
}

/* The distinct values of `in` (entries), and for each value the index of
 * its entry (idx).  Caller frees both.  BALE_UNSUPPORTED past the limit. */
/* collect() for keys in [kmin, kmin + range). */
static bale_err collect_direct(const bale_values *in, uint64_t kmin, size_t range,
                               size_t cap_entries, dict_entry **entries, size_t *nd,
                               uint32_t **idx) {
    size_t n = (size_t)in->count;
    if (cap_entries > range) cap_entries = range;
    uint32_t *slots = bale__calloc(range, sizeof(uint32_t));
    dict_entry *e = bale__malloc((cap_entries ? cap_entries : 1) * sizeof *e);
    uint32_t *ix = bale__malloc((n ? n : 1) * sizeof *ix);
    bale_err err = BALE_OK;
    size_t count = 0;
    if (slots == NULL || e == NULL || ix == NULL) {
        err = BALE_NOMEM;
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t key = load_value(in, i) ^ BALE__SIGN;
        uint32_t s = slots[key - kmin];
        if (s == 0) {
            if (count == BALE_DICT_MAX_DISTINCT) {
                err = BALE_UNSUPPORTED;
                goto fail;
            }
            e[count].key = key;
            e[count].freq = 0;
            e[count].code = 0;
            s = slots[key - kmin] = (uint32_t)++count;
        }
        e[s - 1].freq++;
        ix[i] = s - 1;
    }
    bale__free(slots);
    *entries = e;
    *nd = count;
    *idx = ix;
    return BALE_OK;
fail:
    bale__free(slots);
    bale__free(e);
    bale__free(ix);
    return err;
}

static bale_err collect(const bale_values *in, dict_entry **entries, size_t *nd,
                        uint32_t **idx) {
    size_t n = (size_t)in->count;
    size_t cap_entries = n < BALE_DICT_MAX_DISTINCT ? n : BALE_DICT_MAX_DISTINCT;
    /* Narrow key range (small ints, bools): index an array by key - min
     * instead of hashing; it is smaller than the hash table, too. */
    uint64_t kmin = UINT64_MAX, kmax = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t key = load_value(in, i) ^ BALE__SIGN;
        kmin = key < kmin ? key : kmin;
        kmax = key > kmax ? key : kmax;
    }
    if (n > 0 && kmax - kmin < 2 * (uint64_t)n + 1024)
        return collect_direct(in, kmin, (size_t)(kmax - kmin) + 1, cap_entries, entries, nd, idx);
    unsigned bits = 4;
    while (((size_t)1 << bits) < 2 * cap_entries + 2) bits++;
    size_t slots_n = (size_t)1 << bits, mask = slots_n - 1;
    uint32_t *slots = bale__calloc(slots_n, sizeof(uint32_t));
    dict_entry *e = bale__malloc((cap_entries ? cap_entries : 1) * sizeof *e);
    uint32_t *ix = bale__malloc((n ? n : 1) * sizeof *ix);
    bale_err err = BALE_OK;
    size_t count = 0;
    if (slots == NULL || e == NULL || ix == NULL) {
        err = BALE_NOMEM;
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t key = load_value(in, i) ^ BALE__SIGN;
        size_t h = (size_t)((key * 0x9E3779B97F4A7C15ull) >> (64 - bits));
        for (;;) {
            uint32_t s = slots[h];
            if (s == 0) {
                if (count == BALE_DICT_MAX_DISTINCT) {
                    err = BALE_UNSUPPORTED;
                    goto fail;
                }
                e[count].key = key;
                e[count].freq = 1;
                e[count].code = 0;
                slots[h] = (uint32_t)++count;
                ix[i] = (uint32_t)(count - 1);
                break;
            }
            if (e[s - 1].key == key) {
                e[s - 1].freq++;
                ix[i] = s - 1;
                break;
            }
            h = (h + 1) & mask;
        }
    }
    bale__free(slots);
    *entries = e;
    *nd = count;
    *idx = ix;
    return BALE_OK;
fail:
    bale__free(slots);
    bale__free(e);
    bale__free(ix);
    return err;
}

static uint64_t zigzag(uint64_t v) { return (v << 1) ^ (uint64_t)((int64_t)v >> 63); }
static uint64_t unzigzag(uint64_t z) { return (z >> 1) ^ (0 - (z & 1)); }

/* Appends entries (sorted by key) as a zigzag varint then varint gaps. */
static bale_err put_sorted(bale__buf *out, const dict_entry *e, size_t k) {
    for (size_t i = 0; i < k; i++) {
        uint64_t v = e[i].key ^ BALE__SIGN;
        uint64_t x = i == 0 ? zigzag(v) : e[i].key - e[i - 1].key;
        BALE_FORWARD_IF_ERROR(bale__buf_put_varint(out, x));
    }
    return BALE_OK;
}

static bale_err encode_packed(const bale_values *in, dict_entry *e, size_t nd,
                              const uint32_t *ix, bale__buf *out) {
    size_t n = (size_t)in->count, width = bale_dtype_width(in->dtype);
    /* Codes in value order: keep each entry's old position to remap. */
    uint32_t *pos = bale__malloc((nd ? nd : 1) * sizeof *pos);
    uint64_t *codes = bale__malloc((n ? n : 1) * sizeof *codes);
    bale_err err = BALE_NOMEM;
    if (pos == NULL || codes == NULL) goto done;
    for (size_t i = 0; i < nd; i++) e[i].code = (uint32_t)i;
    if ((err = sort_by_key(e, nd)) != BALE_OK) goto done;
    for (size_t i = 0; i < nd; i++) pos[e[i].code] = (uint32_t)i;
    for (size_t i = 0; i < n; i++) codes[i] = pos[ix[i]];
    err = bale__buf_put_u8(out, 0);
    if (err == BALE_OK) err = bale__buf_put_varint(out, nd);
    for (size_t i = 0; i < nd && err == BALE_OK; i++) {
        uint8_t b[8];
        bale__store64(b, e[i].key ^ BALE__SIGN);
        err = bale__buf_append(out, b, width);
    }
    unsigned layout = bale__bit_width(nd > 1 ? nd - 1 : 0);
    if (err == BALE_OK) err = bale__buf_put_u8(out, (uint8_t)layout);
    if (err == BALE_OK) err = bale__stream_put(out, codes, n, 0, layout);
done:
    bale__free(pos);
    bale__free(codes);
    return err;
}

/* Section boundaries of a mode 1 stage, for mode 2. */
#define BALE__DICT_MAX_SECTIONS 12
typedef struct cuts {
    size_t at[BALE__DICT_MAX_SECTIONS];
    size_t n;
} cuts;

/* Escape classes needed for nd values: the smallest K with
 * nd - (256 - K) <= 256 * K (K = 0 when all fit as hot codes). */
static size_t escape_classes(size_t nd) {
    size_t k = 0;
    while (nd > 256 - k + 256 * k) k++;
    return nd <= BALE__DICT_MAX_HOT + 1 ? 0 : k;
}

static bale_err encode_planes(const bale_values *in, dict_entry *e, size_t nd,
                              const uint32_t *ix, bale__buf *out, cuts *cut) {
    size_t n = (size_t)in->count;
    size_t k = escape_classes(nd), nhot = nd - (k ? nd - (256 - k) : 0), ncold = nd - nhot;
    uint32_t *pos = bale__malloc((nd ? nd : 1) * sizeof *pos);
    bale_err err = BALE_NOMEM;
    if (pos == NULL) goto done;
    for (size_t i = 0; i < nd; i++) e[i].code = (uint32_t)i;
    /* Hot = most frequent; each set ascending by value. */
    if ((err = sort_by_key(e, nd)) != BALE_OK) goto done;
    if ((err = split_hot(e, nd, nhot)) != BALE_OK) goto done;
    for (size_t i = 0; i < nd; i++) pos[e[i].code] = (uint32_t)i;
    err = bale__buf_put_u8(out, 1);
    if (err == BALE_OK) err = bale__buf_put_varint(out, nhot);
    if (err == BALE_OK) err = bale__buf_put_varint(out, ncold);
    if (err == BALE_OK) err = put_sorted(out, e, nhot);
    if (err == BALE_OK) err = put_sorted(out, e + nhot, ncold);
    if (err == BALE_OK) err = bale__buf_reserve(out, 2 * n);
    if (err != BALE_OK) goto done;
    size_t nesc = 0, start = cut->at[0];
    cut->n = 0;
    cut->at[cut->n++] = out->size - start; /* A */
    uint8_t *a = out->data + out->size;
    /* Branch-free: escapes are frequent and unpredictable on wide data.
     * a[n + nesc] is written on every value (room for 2n was reserved) and
     * kept only for escapes. */
    const uint32_t hot = (uint32_t)nhot, first_class = (uint32_t)(256 - k);
    for (size_t i = 0; i < n; i++) {
        uint32_t c = pos[ix[i]], cc = c - hot, cold = c >= hot;
        a[i] = (uint8_t)(cold ? first_class + (cc >> 8) : c);
        a[n + nesc] = (uint8_t)cc; /* cold bytes after A, compacted */
        nesc += cold;
    }
    out->size += n;
    cut->at[cut->n++] = out->size - start; /* cold low bytes */
    out->size += nesc;
done:
    bale__free(pos);
    return err;
}

/* Mode 2 from a mode 1 stage and its cuts. */
static bale_err put_sections(bale__buf *out, const bale__buf *st, const cuts *cut) {
    size_t bounds[BALE__DICT_MAX_SECTIONS + 2], nb = 0;
    bounds[nb++] = 0;
    for (size_t i = 0; i < cut->n; i++)
        if (cut->at[i] > bounds[nb - 1] && cut->at[i] < st->size) bounds[nb++] = cut->at[i];
    bounds[nb++] = st->size;
    BALE_FORWARD_IF_ERROR(bale__buf_put_u8(out, 2));
    BALE_FORWARD_IF_ERROR(bale__buf_put_u8(out, (uint8_t)(nb - 1)));
    bale__buf z = {.tmp = 1};
    bale_err err = BALE_OK;
    for (size_t i = 0; i + 1 < nb && err == BALE_OK; i++) {
        const uint8_t *p = st->data + bounds[i];
        size_t raw = bounds[i + 1] - bounds[i];
        z.size = 0;
        err = bale__backend_compress(BALE_BACKEND_ZSTD, 0, p, raw, &z);
        if (err != BALE_OK) break;
        int stored = z.size >= raw;
        err = bale__buf_put_varint(out, raw);
        if (err == BALE_OK) err = bale__buf_put_varint(out, stored ? raw : z.size);
        if (err == BALE_OK) err = bale__buf_append(out, stored ? p : z.data, stored ? raw : z.size);
    }
    bale__buf_free(&z);
    return err;
}

static bale_err encode_blocks(const bale_values *in, dict_entry *e, size_t nd,
                              const uint32_t *ix, bale__buf *out);

bale_err bale__dict_fixed_encode_variant(const bale_values *in,
                                         bale__int_variant var, bale__buf *out) {
    dict_entry *e;
    size_t nd;
    uint32_t *ix;
    BALE_FORWARD_IF_ERROR(collect(in, &e, &nd, &ix));
    size_t before = out->size;
    cuts cut = {{before}, 1};
    bale_err err;
    if (var == BALE__VAR_PLANES) {
        err = encode_planes(in, e, nd, ix, out, &cut);
    } else if (var == BALE__VAR_SECTIONS) {
        bale__buf st = {.tmp = 1};
        cut.at[0] = 0;
        err = encode_planes(in, e, nd, ix, &st, &cut);
        if (err == BALE_OK) err = put_sections(out, &st, &cut);
        bale__buf_free(&st);
    } else if (var == BALE__VAR_BLOCKS) {
        err = encode_blocks(in, e, nd, ix, out);
    } else {
        err = encode_packed(in, e, nd, ix, out);
    }
    if (err != BALE_OK) out->size = before;
    bale__free(e);
    bale__free(ix);
    return err;
}

bale_err bale__dict_fixed_encode(const bale_values *in, bale__buf *out) {
    return bale__dict_fixed_encode_variant(in, BALE__VAR_PACKED, out);
}

/* ---- decoding ------------------------------------------------------------ */

static void store_value(bale_values *v, uint64_t i, uint64_t x) {
    if (v->dtype == BALE_DTYPE_BOOL)
        ((uint8_t *)v->data)[i] = (uint8_t)x;
    else
        ((uint64_t *)v->data)[i] = x;
}

/* Mode 0 header: the dictionary (borrowed, at *vals) and the code stream. */
typedef struct packed_view {
    uint64_t nd;
    const uint8_t *vals;
    size_t width;
    unsigned layout;
    const uint8_t *codes;
} packed_view;

static bale_err parse_packed(bale_dtype dtype, uint64_t count, const uint8_t *src,
                             size_t n, packed_view *pv) {
    bale__reader r;
    bale__reader_init(&r, src + 1, n - 1);
    pv->width = bale_dtype_width(dtype);
    pv->nd = bale__reader_varint(&r);
    BALE_RETURN_IF(r.bad || pv->nd > count || (count > 0 && pv->nd == 0) ||
                       pv->nd > bale__reader_left(&r) / pv->width,
                   BALE_CORRUPT);
    pv->vals = bale__reader_take(&r, (size_t)pv->nd * pv->width);
    pv->layout = bale__reader_u8(&r);
    BALE_RETURN_IF(r.bad, BALE_CORRUPT);
    uint64_t bytes;
    BALE_RETURN_IF(!bale__stream_size(pv->layout, count, &bytes) ||
                       bytes != bale__reader_left(&r),
                   BALE_CORRUPT);
    pv->codes = r.p;
    if (dtype == BALE_DTYPE_BOOL)
        for (uint64_t i = 0; i < pv->nd; i++) BALE_RETURN_IF(pv->vals[i] > 1, BALE_CORRUPT);
    return BALE_OK;
}

static uint64_t packed_value(const packed_view *pv, uint64_t code) {
    if (pv->width == 1) return pv->vals[code];
    return bale__load64(pv->vals + 8 * code);
}

static bale_err decode_packed(bale_dtype dtype, uint64_t count, const uint8_t *src,
                              size_t n, bale_values *out) {
    packed_view pv;
    BALE_FORWARD_IF_ERROR(parse_packed(dtype, count, src, n, &pv));
    bale_values v;
    BALE_FORWARD_IF_ERROR(bale__values_alloc(&v, dtype, count, 0));
    uint64_t tmp[BALE__DICT_STEP];
    for (uint64_t i = 0; i < count; i += BALE__DICT_STEP) {
        size_t k = (size_t)(count - i < BALE__DICT_STEP ? count - i : BALE__DICT_STEP);
        bale__stream_get(pv.codes, count, pv.layout, i, k, 0, tmp);
        for (size_t j = 0; j < k; j++) {
            if (tmp[j] >= pv.nd) {
                bale_values_free(&v);
                return BALE_CORRUPT;
            }
            store_value(&v, i + j, packed_value(&pv, tmp[j]));
        }
    }
    *out = v;
    return BALE_OK;
}

/* Mode 0 as a dictionary and codes (bale__dict_fixed_decode_ids). */
static bale_err decode_packed_ids(bale_dtype dtype, uint64_t count, const uint8_t *src, size_t n,
                                  bale_values *dict, bale_values *ids) {
    packed_view pv;
    BALE_FORWARD_IF_ERROR(parse_packed(dtype, count, src, n, &pv));
    bale_values dv, iv;
    BALE_FORWARD_IF_ERROR(bale__values_alloc(&dv, dtype, pv.nd, 0));
    bale_err err = bale__values_alloc(&iv, BALE_DTYPE_INT, count, 0);
    if (err != BALE_OK) {
        bale_values_free(&dv);
        return err;
    }
    for (uint64_t c = 0; c < pv.nd; c++) store_value(&dv, c, packed_value(&pv, c));
    uint64_t *o = iv.data;
    for (uint64_t i = 0; i < count; i += BALE__DICT_STEP) {
        size_t k = (size_t)(count - i < BALE__DICT_STEP ? count - i : BALE__DICT_STEP);
        bale__stream_get(pv.codes, count, pv.layout, i, k, 0, o + i);
        for (size_t j = 0; j < k; j++) {
            if (o[i + j] >= pv.nd) {
                bale_values_free(&dv);
                bale_values_free(&iv);
                return BALE_CORRUPT;
            }
        }
    }
    *dict = dv;
    *ids = iv;
    return BALE_OK;
}

/* Reads k sorted values (zigzag varint then gaps) into d. */
static void read_sorted(bale__reader *r, uint64_t *d, uint64_t k) {
    uint64_t prev = 0;
    for (uint64_t i = 0; i < k; i++) {
        uint64_t x = bale__reader_varint(r);
        d[i] = prev = i == 0 ? unzigzag(x) : prev + x;
    }
}

static bale_err decode_planes(bale_dtype dtype, uint64_t count, const uint8_t *src,
                              size_t n, bale_values *out) {
    bale__reader r;
    bale__reader_init(&r, src + 1, n - 1);
    uint64_t nhot = bale__reader_varint(&r), ncold = bale__reader_varint(&r);
    uint64_t k = (ncold + 255) / 256, first_class = 256 - k;
    /* Each value takes a varint byte at least: bounds the allocation. */
    BALE_RETURN_IF(r.bad || ncold > count || nhot > 256 || nhot + ncold > bale__reader_left(&r) ||
                       k > 256 || nhot > first_class,
                   BALE_CORRUPT);
    uint64_t nd = nhot + ncold;
    uint64_t *dict = bale__malloc((size_t)(nd ? nd : 1) * 8);
    BALE_RETURN_IF(dict == NULL, BALE_NOMEM);
    bale_values v = {0};
    bale_err err = BALE_CORRUPT;
    read_sorted(&r, dict, nhot);
    read_sorted(&r, dict + nhot, ncold);
    const uint8_t *a = bale__reader_take(&r, (size_t)count);
    if (r.bad) goto done;
    if (dtype == BALE_DTYPE_BOOL)
        for (uint64_t i = 0; i < nd; i++)
            if (dict[i] > 1) goto done;
    /* The cold bytes: one per escaped value, exactly what is left. */
    const uint8_t *lo = r.p;
    uint64_t left = bale__reader_left(&r), j = 0;
    err = bale__values_alloc(&v, dtype, count, 0);
    if (err != BALE_OK) goto done;
    err = BALE_CORRUPT;
    for (uint64_t i = 0; i < count; i++) {
        uint64_t c = a[i];
        if (c >= first_class) {
            if (j == left) goto done;
            c = nhot + ((c - first_class) << 8 | lo[j++]);
            if (c >= nd) goto done;
        } else if (c >= nhot) {
            goto done;
        }
        store_value(&v, i, dict[c]);
    }
    if (j != left) goto done;
    *out = v;
    v.data = NULL;
    err = BALE_OK;
done:
    bale_values_free(&v);
    bale__free(dict);
    return err;
}

/* Mode 2: joins the sections into a mode 1 stage and decodes that. */
static bale_err decode_sections(bale_dtype dtype, uint64_t count, const uint8_t *src,
                                size_t n, bale_values *out) {
    bale__reader r;
    bale__reader_init(&r, src + 1, n - 1);
    unsigned nsec = bale__reader_u8(&r);
    BALE_RETURN_IF(r.bad || nsec == 0 || nsec > BALE__DICT_MAX_SECTIONS + 1 ||
                       count > UINT64_MAX / 32,
                   BALE_CORRUPT);
    /* A mode 1 stage holds at most 23 + 10 * (count + 255) bytes of header
     * and dictionary, count bytes of A, 1 + 8 * count of cold codes. */
    uint64_t limit = 19 * count + 4096, total = 0;
    bale__reader scan = r;
    for (unsigned i = 0; i < nsec; i++) {
        uint64_t raw = bale__reader_varint(&scan), stored = bale__reader_varint(&scan);
        BALE_RETURN_IF(scan.bad || raw > limit - total || stored > bale__reader_left(&scan),
                       BALE_CORRUPT);
        total += raw;
        scan.p += stored;
    }
    BALE_RETURN_IF(bale__reader_left(&scan) != 0 || total == 0, BALE_CORRUPT);
    uint8_t *st = bale__malloc((size_t)total);
    BALE_RETURN_IF(st == NULL, BALE_NOMEM);
    bale_err err = BALE_OK;
    size_t at = 0;
    for (unsigned i = 0; i < nsec && err == BALE_OK; i++) {
        uint64_t raw = bale__reader_varint(&r), stored = bale__reader_varint(&r);
        const uint8_t *p = bale__reader_take(&r, (size_t)stored);
        if (stored == raw) {
            if (raw) memcpy(st + at, p, (size_t)raw);
        } else {
            err = bale__backend_decompress(BALE_BACKEND_ZSTD, p, (size_t)stored, st + at,
                                           (size_t)raw);
        }
        at += (size_t)raw;
    }
    if (err == BALE_OK) err = st[0] == 1 ? decode_planes(dtype, count, st, at, out) : BALE_CORRUPT;
    bale__free(st);
    return err;
}

/* ---- mode 3, "blocks": Huffman-coded codes with random access -------------
 * [3][bs][L][hw][lw][wo][nhot:2][ncold:4][hn:4][slope:4][hbase:8][cbase:8]
 * [nh_1 .. nh_L: 2 bytes each][K bytes: each escape class's code length]
 * [hot keys - hbase: nhot, bit-packed at width hw]
 * [cold low: ncold, width lw][cold high: ceil(hn/8) bytes]
 * [offsets: nb values, width wo][codes: MSB-first bit string to the end]
 * (fixed-size header fields, so get parses it without varints).  A key is a
 * value's bits with the sign bit flipped (signed order as unsigned).
 * Symbols are mode 1's: nhot hot values and K = ceil(ncold / 256) escape
 * classes.  They get a canonical Huffman code of lengths <= L <= 12: nh_l hot
 * symbols have length l, class c has the length in its byte; codes are
 * assigned in order of length, within a length hot symbols first (hot index
 * order), then the classes of that length in class order.  Hot keys are
 * stored in that order, so hot symbol h is (hbase + hot[h]) ^ sign with no
 * table to build.  Cold keys (ascending) are Elias-Fano coded: cold i =
 * (cbase + ((select1(high, i) - i) << lw | low[i])) ^ sign, high an LSB-first
 * bit vector of hn bits holding exactly ncold ones.  Per value: its symbol's
 * code, then for an escape of class c the low byte j of cold index 256 c + j.
 * Values are cut into nb = ceil(count / 2^bs) blocks; block b's codes start
 * at bit b * slope + unzigzag(offsets[b]) (block 0 at 0, each block ends
 * exactly where the next starts, the last in the last byte, zero padding).
 * L = 0 only when there is one symbol (coded with no bits).  get decodes at
 * most one block's codes; decode runs 4 or 8 blocks in lockstep through a
 * 2^L-entry table (compact when escapes are rare, see blk_step).  Why
 * Huffman rather than mode 2's zstd sections: a block can start anywhere,
 * and it costs only ~0.05 B a value on flights (design-numeric.md). */
#define BALE__HUF_MAXLEN 12
#define BALE__DICT_BLOCK_SHIFT 5 /* 32 values a block */
#define BALE__DICT_BLOCKS_HEADER 36
/* Blocks decoded in lockstep by decode (independent bit positions); twice
 * as many with the compact table. */
#define BALE__DICT_STREAMS 4
#define BALE__DICT_BS_MIN 4
#define BALE__DICT_BS_MAX 10

/* Huffman code lengths for nsym symbols of frequency f (> 0), at most
 * BALE__HUF_MAXLEN: plain Huffman (two queues over the symbols sorted by
 * frequency); when too deep, frequencies are halved and it is rebuilt. */
static bale_err huff_lengths(const uint64_t *freq, size_t nsym, uint8_t *len) {
    if (nsym <= 1) {
        if (nsym) len[0] = 0;
        return BALE_OK;
    }
    size_t m = nsym, nn = 2 * m - 1;
    uint64_t *f = bale__malloc(nn * sizeof *f);
    uint32_t *order = bale__malloc(m * sizeof *order);
    uint32_t *parent = bale__malloc(nn * sizeof *parent);
    uint64_t *sf = bale__malloc(m * sizeof *sf);
    if (f == NULL || order == NULL || parent == NULL || sf == NULL) {
        bale__free(f);
        bale__free(order);
        bale__free(parent);
        bale__free(sf);
        return BALE_NOMEM;
    }
    for (size_t i = 0; i < m; i++) sf[i] = freq[i] ? freq[i] : 1;
    for (;;) {
        /* Insertion sort of symbol ids by frequency (nsym <= 4096+256). */
        for (size_t i = 0; i < m; i++) {
            uint32_t x = (uint32_t)i;
            size_t j = i;
            while (j > 0 && sf[order[j - 1]] > sf[x]) {
                order[j] = order[j - 1];
                j--;
            }
            order[j] = x;
        }
        for (size_t i = 0; i < m; i++) f[i] = sf[order[i]]; /* leaves 0..m-1 */
        size_t lq = 0, iq = m, in = m;                       /* queue heads, next node */
        while (in < nn) {
            size_t pick[2];
            for (int t = 0; t < 2; t++) {
                if (lq < m && (iq >= in || f[lq] <= f[iq])) pick[t] = lq++;
                else pick[t] = iq++;
            }
            f[in] = f[pick[0]] + f[pick[1]];
            parent[pick[0]] = parent[pick[1]] = (uint32_t)in;
            in++;
        }
        /* Depths: internal nodes were made in order, the root last. */
        f[nn - 1] = 0;
        unsigned maxd = 0;
        for (size_t i = nn - 1; i-- > 0;) {
            f[i] = f[parent[i]] + 1;
            if (i < m && f[i] > maxd) maxd = (unsigned)f[i];
        }
        if (maxd <= BALE__HUF_MAXLEN) {
            for (size_t i = 0; i < m; i++) len[order[i]] = (uint8_t)f[i];
            break;
        }
        for (size_t i = 0; i < m; i++) sf[i] = sf[i] / 2 + 1;
    }
    bale__free(f);
    bale__free(order);
    bale__free(parent);
    bale__free(sf);
    return BALE_OK;
}

/* The canonical code of a mode 3 stage (or of the encoder). */
typedef struct huf {
    unsigned L;
    uint32_t nh[BALE__HUF_MAXLEN + 1], ne[BALE__HUF_MAXLEN + 1];
    uint32_t first[BALE__HUF_MAXLEN + 1]; /* first code of each length */
    uint32_t hb[BALE__HUF_MAXLEN + 1]; /* hot symbols of shorter codes */
    const uint8_t *elen; /* code length of each escape class */
    uint32_t k;          /* escape classes */
} huf;

/* Fills first/hb/eb from L, nh, ne; 0 when the code is over-full. */
static int huf_build(huf *h) {
    uint64_t code = 0, hb = 0;
    for (unsigned l = 1; l <= h->L; l++) {
        uint64_t cnt = (uint64_t)h->nh[l] + h->ne[l];
        if (code + cnt > ((uint64_t)1 << l)) return 0;
        h->first[l] = (uint32_t)code;
        h->hb[l] = (uint32_t)hb;
        hb += h->nh[l];
        code = (code + cnt) << 1;
    }
    return 1;
}

/* Decodes one symbol from the peeked bits x (MSB first): its length and
 * whether it is an escape; the hot index or class in *sym.  0 if no code
 * matches (incomplete code). */
static int huf_decode1(const huf *h, uint64_t x, unsigned *len, int *esc, uint32_t *sym) {
    for (unsigned l = 1; l <= h->L; l++) {
        uint32_t r = (uint32_t)(x >> (64 - l)) - h->first[l];
        if (r < h->nh[l] + h->ne[l]) {
            *len = l;
            *esc = r >= h->nh[l];
            if (!*esc) {
                *sym = h->hb[l] + r;
                return 1;
            }
            r -= h->nh[l]; /* the r-th class of length l */
            for (uint32_t c = 0; c < h->k; c++)
                if (h->elen[c] == l && r-- == 0) {
                    *sym = c;
                    return 1;
                }
            return 0;
        }
    }
    return 0;
}

/* Elias-Fano low width for n keys spanning `range`. */
static unsigned ef_low_width(uint64_t range, uint64_t n) {
    if (n == 0 || range / n == 0) return 0;
    unsigned lw = bale__bit_width(range / n) - 1;
    return lw > 63 ? 63 : lw;
}

static bale_err encode_blocks(const bale_values *in, dict_entry *e, size_t nd,
                              const uint32_t *ix, bale__buf *out) {
    size_t n = (size_t)in->count;
    size_t k = escape_classes(nd), nhot = nd - (k ? nd - (256 - k) : 0), ncold = nd - nhot;
    size_t nsym = nhot + k, B = (size_t)1 << BALE__DICT_BLOCK_SHIFT, nb = (n + B - 1) / B;
    uint32_t *pos = bale__malloc((nd ? nd : 1) * sizeof *pos);
    uint64_t *freq = bale__calloc(nsym ? nsym : 1, sizeof *freq);
    uint8_t *len = bale__malloc(nsym ? nsym : 1);
    uint32_t *code = bale__malloc((nsym ? nsym : 1) * sizeof *code);
    uint64_t *tmp = bale__malloc((nd ? nd : 1) * sizeof *tmp);
    uint64_t *offs = bale__malloc((nb ? nb : 1) * sizeof *offs);
    bale__buf bits = {.tmp = 1};
    bale_err err = BALE_NOMEM;
    if (pos == NULL || freq == NULL || len == NULL || code == NULL || tmp == NULL || offs == NULL)
        goto done;
    for (size_t i = 0; i < nd; i++) e[i].code = (uint32_t)i;
    if ((err = sort_by_key(e, nd)) != BALE_OK) goto done;
    if ((err = split_hot(e, nd, nhot)) != BALE_OK) goto done;
    for (size_t i = 0; i < nd; i++) pos[e[i].code] = (uint32_t)i;
    /* Symbols: hot 0..nhot-1 (entries), then the classes. */
    for (size_t i = 0; i < nhot; i++) freq[i] = e[i].freq;
    for (size_t i = nhot; i < nd; i++) freq[nhot + ((i - nhot) >> 8)] += e[i].freq;
    if ((err = huff_lengths(freq, nsym, len)) != BALE_OK) goto done;
    huf h;
    memset(&h, 0, sizeof h);
    for (size_t s = 0; s < nsym; s++) {
        if (len[s] > h.L) h.L = len[s];
        if (s < nhot) h.nh[len[s]]++;
        else h.ne[len[s]]++;
    }
    if (!huf_build(&h)) { /* cannot happen: Huffman lengths are complete */
        err = BALE_INVALID;
        goto done;
    }
    /* Canonical codes, and the hot entries' canonical rank (in e[].code). */
    uint32_t nexth[BALE__HUF_MAXLEN + 1], nexte[BALE__HUF_MAXLEN + 1];
    for (unsigned l = 0; l <= h.L; l++) nexth[l] = 0, nexte[l] = 0;
    for (size_t s = 0; s < nsym; s++) {
        unsigned l = len[s];
        if (s < nhot) {
            code[s] = h.first[l] + nexth[l];
            e[s].code = h.hb[l] + nexth[l]++;
        } else {
            code[s] = h.first[l] + h.nh[l] + nexte[l]++;
        }
    }
    /* The code bits, block by block. */
    bale__bitw w = {&bits, 0, 0, BALE_OK};
    uint64_t at = 0;
    for (size_t i = 0; i < n; i++) {
        if (i % B == 0) offs[i / B] = at;
        uint32_t c = pos[ix[i]];
        if (c < nhot) {
            bale__bitw_put(&w, code[c], len[c]);
            at += len[c];
        } else {
            size_t s = nhot + ((c - nhot) >> 8);
            bale__bitw_put(&w, (uint64_t)code[s] << 8 | ((c - nhot) & 255), len[s] + 8u);
            at += len[s] + 8u;
        }
    }
    if ((err = bale__bitw_flush(&w)) != BALE_OK) goto done;
    /* Hot keys in canonical order, FOR bit-packed; cold keys Elias-Fano;
     * offsets relative to b * slope. */
    uint64_t hmin = 0, hmax = 0;
    for (size_t i = 0; i < nhot; i++) {
        hmin = i == 0 || e[i].key < hmin ? e[i].key : hmin;
        hmax = i == 0 || e[i].key > hmax ? e[i].key : hmax;
    }
    unsigned hw = bale__bit_width(hmax - hmin);
    uint64_t cbase = ncold ? e[nhot].key : 0, range = ncold ? e[nd - 1].key - cbase : 0;
    unsigned lw = ef_low_width(range, ncold);
    uint64_t hn = ncold ? (range >> lw) + ncold : 0, slope = nb ? at / nb : 0, omax = 0;
    for (size_t b = 0; b < nb; b++) omax |= offs[b] = zigzag(offs[b] - b * slope);
    unsigned wo = bale__bit_width(omax);
    if (hn > UINT32_MAX || slope > UINT32_MAX) { /* cannot happen: ncold <= 65536, n < 2^32 */
        err = BALE_UNSUPPORTED;
        goto done;
    }
    uint8_t hdr[BALE__DICT_BLOCKS_HEADER];
    hdr[0] = 3;
    hdr[1] = BALE__DICT_BLOCK_SHIFT;
    hdr[2] = (uint8_t)h.L;
    hdr[3] = (uint8_t)hw;
    hdr[4] = (uint8_t)lw;
    hdr[5] = (uint8_t)wo;
    bale__store16(hdr + 6, (uint16_t)nhot);
    bale__store32(hdr + 8, (uint32_t)ncold);
    bale__store32(hdr + 12, (uint32_t)hn);
    bale__store32(hdr + 16, (uint32_t)slope);
    bale__store64(hdr + 20, hmin);
    bale__store64(hdr + 28, cbase);
    err = bale__buf_append(out, hdr, sizeof hdr);
    for (unsigned l = 1; l <= h.L && err == BALE_OK; l++) {
        uint8_t b2[2];
        bale__store16(b2, (uint16_t)h.nh[l]);
        err = bale__buf_append(out, b2, 2);
    }
    if (err == BALE_OK && h.L > 0) err = bale__buf_append(out, len + nhot, k);
    for (size_t i = 0; i < nhot; i++) tmp[e[i].code] = e[i].key;
    if (err == BALE_OK) err = bale__stream_put(out, tmp, nhot, hmin, hw);
    for (size_t i = 0; i < ncold; i++) tmp[i] = (e[nhot + i].key - cbase) & (((uint64_t)1 << lw) - 1);
    if (err == BALE_OK) err = bale__stream_put(out, tmp, ncold, 0, lw);
    if (err == BALE_OK) err = bale__buf_reserve(out, (size_t)((hn + 7) / 8));
    if (err == BALE_OK) {
        uint8_t *hi = out->data + out->size;
        memset(hi, 0, (size_t)((hn + 7) / 8));
        for (size_t i = 0; i < ncold; i++) {
            uint64_t p = ((e[nhot + i].key - cbase) >> lw) + i;
            hi[p >> 3] |= (uint8_t)(1u << (p & 7));
        }
        out->size += (size_t)((hn + 7) / 8);
    }
    if (err == BALE_OK) err = bale__stream_put(out, offs, nb, 0, wo);
    if (err == BALE_OK && bits.size) err = bale__buf_append(out, bits.data, bits.size);
done:
    bale__buf_free(&bits);
    bale__free(pos);
    bale__free(freq);
    bale__free(len);
    bale__free(code);
    bale__free(tmp);
    bale__free(offs);
    return err;
}

/* A parsed mode 3 stage (pointers into it). */
typedef struct dblk {
    unsigned bs, hw, lw, wo;
    uint64_t nhot, ncold, k, nb, hn, slope, hbase, cbase, nbits;
    huf h;
    const uint8_t *hot, *low, *high, *offs, *bits;
    size_t size; /* bytes of the code bit string */
} dblk;

static bale_err parse_blocks(uint64_t count, const uint8_t *src, size_t n, dblk *d) {
    BALE_RETURN_IF(n < BALE__DICT_BLOCKS_HEADER, BALE_CORRUPT);
    memset(d, 0, sizeof *d);
    d->bs = src[1];
    d->h.L = src[2];
    d->hw = src[3];
    d->lw = src[4];
    d->wo = src[5];
    d->nhot = bale__load16(src + 6);
    d->ncold = bale__load32(src + 8);
    d->hn = bale__load32(src + 12);
    d->slope = bale__load32(src + 16);
    d->hbase = bale__load64(src + 20);
    d->cbase = bale__load64(src + 28);
    BALE_RETURN_IF(d->bs < BALE__DICT_BS_MIN || d->bs > BALE__DICT_BS_MAX ||
                       d->h.L > BALE__HUF_MAXLEN || d->hw > 64 || d->lw > 63 || d->wo > 64 ||
                       d->nhot > count || d->ncold > count || d->hn < d->ncold ||
                       d->ncold > BALE_DICT_MAX_DISTINCT,
                   BALE_CORRUPT);
    d->k = (d->ncold + 255) / 256;
    uint64_t nsym = d->nhot + d->k, sh = 0;
    BALE_RETURN_IF((count == 0) != (nsym == 0) || (d->h.L == 0 && nsym > 1), BALE_CORRUPT);
    bale__reader r;
    bale__reader_init(&r, src + BALE__DICT_BLOCKS_HEADER, n - BALE__DICT_BLOCKS_HEADER);
    const uint8_t *nh = bale__reader_take(&r, 2 * (size_t)d->h.L);
    d->h.k = (uint32_t)d->k;
    d->h.elen = bale__reader_take(&r, d->h.L ? (size_t)d->k : 0);
    BALE_RETURN_IF(r.bad, BALE_CORRUPT);
    for (unsigned l = 1; l <= d->h.L; l++) {
        d->h.nh[l] = bale__load16(nh + 2 * (l - 1));
        sh += d->h.nh[l];
    }
    for (uint64_t c = 0; d->h.L && c < d->k; c++) {
        unsigned l = d->h.elen[c];
        BALE_RETURN_IF(l == 0 || l > d->h.L, BALE_CORRUPT);
        d->h.ne[l]++;
    }
    BALE_RETURN_IF(d->h.L > 0 && (sh != d->nhot || !huf_build(&d->h)), BALE_CORRUPT);
    d->nb = (count >> d->bs) + ((count & (((uint64_t)1 << d->bs) - 1)) != 0);
    uint64_t hb, lb, ob, left = bale__reader_left(&r);
    BALE_RETURN_IF(!bale__stream_size(d->hw, d->nhot, &hb) ||
                       !bale__stream_size(d->lw, d->ncold, &lb) ||
                       !bale__stream_size(d->wo, d->nb, &ob) ||
                       hb > left || lb > left - hb || (d->hn + 7) / 8 > left - hb - lb ||
                       ob > left - hb - lb - (d->hn + 7) / 8,
                   BALE_CORRUPT);
    d->hot = r.p;
    d->low = d->hot + hb;
    d->high = d->low + lb;
    d->offs = d->high + (d->hn + 7) / 8;
    d->bits = d->offs + ob;
    d->size = (size_t)(left - hb - lb - (d->hn + 7) / 8 - ob);
    BALE_RETURN_IF(d->size > UINT64_MAX / 8, BALE_CORRUPT);
    d->nbits = (uint64_t)d->size * 8;
    return BALE_OK;
}

/* Bit offset of block b's codes (unchecked). */
static uint64_t blk_offset(const dblk *d, uint64_t b) {
    return b * d->slope + unzigzag(bale__stream_get1(d->offs, d->nb, d->wo, b));
}

/* 64 bits of the high bit vector from byte `at` (LSB-first, zeros past it). */
static uint64_t ef_word(const dblk *d, size_t at) {
    size_t nbytes = (size_t)((d->hn + 7) / 8);
    if (at + 8 <= nbytes) return bale__load64(d->high + at);
    uint64_t w = 0;
    for (size_t i = 0; at + i < nbytes; i++) w |= (uint64_t)d->high[at + i] << (8 * i);
    return w;
}

/* Ones in w.  __builtin_popcountll is a libgcc call without -mpopcnt
 * (the baseline x86-64 build); this is a dozen inline operations. */
static inline unsigned popcount64(uint64_t w) {
    w -= (w >> 1) & 0x5555555555555555ull;
    w = (w & 0x3333333333333333ull) + ((w >> 2) & 0x3333333333333333ull);
    w = (w + (w >> 4)) & 0x0F0F0F0F0F0F0F0Full;
    return (unsigned)((w * 0x0101010101010101ull) >> 56);
}

/* Cold value i (< ncold) by select on the high bits; 0 if malformed. */
static int ef_get(const dblk *d, uint64_t i, uint64_t *value) {
    size_t nbytes = (size_t)((d->hn + 7) / 8);
    uint64_t seen = 0;
    for (size_t at = 0; at < nbytes; at += 8) {
        uint64_t w = ef_word(d, at);
        unsigned c = popcount64(w);
        if (seen + c > i) {
            for (uint64_t t = i - seen; t > 0; t--) w &= w - 1;
            uint64_t p = (uint64_t)at * 8 + (unsigned)__builtin_ctzll(w);
            if (p >= d->hn) return 0;
            uint64_t low = bale__stream_get1(d->low, d->ncold, d->lw, i);
            *value = (d->cbase + ((p - i) << d->lw | low)) ^ BALE__SIGN;
            return 1;
        }
        seen += c;
    }
    return 0;
}

/* Decode table entry, general form (32 bits): bits 0..19 an index base,
 * 20..25 a shift s, 26..31 the bits the value takes (its code, plus 8 for
 * an escape's low byte).  The value is vals[(base + ((x >> s) & 255)) mod
 * 2^20] for the peeked bits x: an escape has s = 56 - length (the low byte
 * after its code) and base = its class's first cold index; a hot symbol of
 * code c has s = 64 - length (the last 8 bits of its own code, known when the
 * table is built) and base = index - (c & 255), so the same arithmetic
 * serves both without a branch or mask.  An invalid code has an index past
 * the values (flagged by the same compare as a cold index past ncold). */
#define BLK_SHIFT(e) (((e) >> 20) & 63)
#define BLK_ADV(e) ((e) >> 26)
/* Compact form (16 bits), used when escapes are rare and there are at most
 * 256 hot symbols: the hot index (or escape class) in the low byte, the code
 * length in bits 8..12, escape and invalid flags in bits 13 and 14.  Its step
 * has no escape arithmetic on the common path (a predictable branch
 * instead): on `delay` about 14 instructions a value instead of 22. */
#define BLK16_ESC 0x2000u
#define BLK16_BAD 0x4000u
/* Escapes are rare when their codes cover at most 1/2^BALE__DICT_RARE_ESC
 * of the code space (their share of values, about): then the branch on the
 * escape costs less than computing it for every value. */
#define BALE__DICT_RARE_ESC 6

static inline __attribute__((always_inline)) uint64_t
blk_step(const void *tabv, unsigned sh, const uint64_t *vals, uint64_t nhot, uint64_t lim,
         const uint8_t *bits, uint64_t size, uint64_t *pos, uint32_t *bad, const int inside,
         const int compact) {
    /* inside: the caller proved 8 bytes readable at *pos / 8. */
    uint64_t x = inside ? __builtin_bswap64(bale__load64(bits + (*pos >> 3))) << (*pos & 7)
                        : bale__bits_peek(bits, size, *pos);
    if (compact) {
        unsigned e = ((const uint16_t *)tabv)[(x >> 1) >> sh];
        if (__builtin_expect((e & (BLK16_ESC | BLK16_BAD)) != 0, 0)) {
            unsigned len = (e >> 8) & 31;
            uint64_t j = nhot + 256 * (uint64_t)(e & 0xFF) + ((x << len) >> 56);
            *bad |= (e & BLK16_BAD) != 0 || j >= lim;
            *pos += len + 8;
            return vals[j < lim ? j : 0]; /* j may pass nvals without classes */
        }
        *pos += e >> 8;
        return vals[e & 0xFF];
    }
    uint32_t e = ((const uint32_t *)tabv)[(x >> 1) >> sh];
    uint64_t j = (e + ((x >> BLK_SHIFT(e)) & 255)) & 0xFFFFF;
    *bad |= (uint32_t)(j >= lim);
    *pos += BLK_ADV(e);
    return vals[j];
}

/* Decodes all blocks into o; returns the final bit position, or UINT64_MAX
 * when a block is malformed (offset, code or cold index). */
static inline __attribute__((always_inline)) uint64_t
blk_decode_all(const dblk *d, uint64_t count, const void *tab, const uint64_t *vals,
               uint64_t *o, const int compact) {
    uint64_t B = (uint64_t)1 << d->bs, at = 0, lim = d->nhot + d->ncold, nhot = d->nhot;
    unsigned sh = 63 - d->h.L;
    uint32_t bad = 0;
    /* Blocks in lockstep: the compact step is short enough for 8. */
    const unsigned S = compact ? 2 * BALE__DICT_STREAMS : BALE__DICT_STREAMS;
    for (uint64_t b = 0; b < d->nb;) {
        uint64_t s = b << d->bs, p0 = blk_offset(d, b);
        if (p0 != at) return UINT64_MAX;
        if (b + S <= d->nb && count - s >= S * B) {
            /* Several blocks at once: independent bit positions, more ILP. */
            uint64_t p[2 * BALE__DICT_STREAMS], q[2 * BALE__DICT_STREAMS];
            p[0] = q[0] = p0;
            for (unsigned k = 1; k < S; k++) {
                p[k] = q[k] = blk_offset(d, b + k);
                if (p[k] > d->nbits) return UINT64_MAX;
            }
            uint64_t *ob = o + s;
            /* A step moves at most 20 bits: B steps from the furthest start
             * plus the 8-byte read stay inside, or every read is checked. */
            uint64_t far = p[0];
            for (unsigned k = 1; k < S; k++) far = p[k] > far ? p[k] : far;
            if (far + 20 * B + 64 <= d->nbits) {
                for (uint64_t j = 0; j < B; j++) {
#pragma GCC unroll 8
                    for (unsigned k = 0; k < S; k++)
                        ob[k * B + j] = blk_step(tab, sh, vals, nhot, lim, d->bits, d->size,
                                                 &p[k], &bad, 1, compact);
                }
            } else {
                for (uint64_t j = 0; j < B; j++) {
#pragma GCC unroll 8
                    for (unsigned k = 0; k < S; k++)
                        ob[k * B + j] = blk_step(tab, sh, vals, nhot, lim, d->bits, d->size,
                                                 &p[k], &bad, 0, compact);
                }
            }
            for (unsigned k = 0; k + 1 < S; k++)
                if (p[k] != q[k + 1]) return UINT64_MAX;
            at = p[S - 1];
            b += S;
        } else {
            uint64_t len = count - s < B ? count - s : B;
            for (uint64_t j = 0; j < len; j++)
                o[s + j] = blk_step(tab, sh, vals, nhot, lim, d->bits, d->size, &p0, &bad, 0,
                                    compact);
            at = p0;
            b++;
        }
        if (bad || at > d->nbits) return UINT64_MAX;
    }
    return at;
}

static uint64_t blk_decode_general(const dblk *d, uint64_t count, const uint32_t *tab,
                                   const uint64_t *vals, uint64_t *o) {
    return blk_decode_all(d, count, tab, vals, o, 0);
}

static uint64_t blk_decode_compact(const dblk *d, uint64_t count, const uint16_t *tab,
                                   const uint64_t *vals, uint64_t *o) {
    return blk_decode_all(d, count, tab, vals, o, 1);
}

/* Fills the 2^L-entry decode table in the compact (tab16) or general form
 * (tab32; invalid codes get index `bad`, past the values). */
static void blk_table(const dblk *d, uint32_t *tab32, uint16_t *tab16, uint32_t bad) {
    unsigned L = d->h.L;
    size_t ntab = (size_t)1 << L;
    if (tab16) {
        for (size_t t = 0; t < ntab; t++) tab16[t] = BLK16_BAD;
    } else {
        for (size_t t = 0; t < ntab; t++) tab32[t] = 63u << 20 | bad;
    }
    if (L == 0) { /* one symbol, no bits (general form only): the peek past
                   * an empty bit string is 0 */
        tab32[0] = d->nhot ? 63u << 20 : 8u << 26 | 56u << 20 | (uint32_t)d->nhot;
        return;
    }
    uint32_t erank[BALE__HUF_MAXLEN + 1] = {0};
    for (uint32_t l = 1; l <= L; l++) { /* hot symbols */
        size_t span = (size_t)1 << (L - l);
        for (uint32_t r = 0; r < d->h.nh[l]; r++) {
            uint32_t code = d->h.first[l] + r, h = d->h.hb[l] + r;
            size_t at = (size_t)code * span;
            if (tab16) {
                uint16_t e = (uint16_t)(l << 8 | h);
                for (size_t s = 0; s < span; s++) tab16[at + s] = e;
            } else {
                uint32_t e = l << 26 | (64 - l) << 20 | ((h - (code & 255)) & 0xFFFFF);
                for (size_t s = 0; s < span; s++) tab32[at + s] = e;
            }
        }
    }
    for (uint32_t c = 0; c < d->h.k; c++) { /* escape classes */
        uint32_t l = d->h.elen[c];
        size_t span = (size_t)1 << (L - l);
        size_t at = (size_t)(d->h.first[l] + d->h.nh[l] + erank[l]++) * span;
        if (tab16) {
            uint16_t e = (uint16_t)(BLK16_ESC | l << 8 | c);
            for (size_t s = 0; s < span; s++) tab16[at + s] = e;
        } else {
            uint32_t e = (l + 8) << 26 | (56 - l) << 20 | (uint32_t)(d->nhot + 256 * (uint64_t)c);
            for (size_t s = 0; s < span; s++) tab32[at + s] = e;
        }
    }
}

/* Mode 3.  With `dict` NULL: the values into *out.  Else the dictionary
 * (hot values, then cold) into *dict and each value's index in it into
 * *out (dtype int): the same decode, through a table of indices in place
 * of the values. */
static bale_err decode_blocks(bale_dtype dtype, uint64_t count, const uint8_t *src,
                              size_t n, bale_values *out, bale_values *dict) {
    dblk d;
    BALE_FORWARD_IF_ERROR(parse_blocks(count, src, n, &d));
    bale_values v = {0};
    if (count == 0) {
        BALE_RETURN_IF(d.size != 0 || d.hn != 0, BALE_CORRUPT);
        if (dict != NULL) {
            BALE_FORWARD_IF_ERROR(bale__values_alloc(dict, dtype, 0, 0));
            dtype = BALE_DTYPE_INT;
        }
        bale_err e = bale__values_alloc(&v, dtype, 0, 0);
        if (e != BALE_OK && dict != NULL) bale_values_free(dict);
        BALE_FORWARD_IF_ERROR(e);
        *out = v;
        return BALE_OK;
    }
    /* Compact table when escapes are rare (share of the code space of the
     * escape classes, each 2^(L - length) entries) and hot indices fit a
     * byte. */
    uint64_t esc_space = 0;
    for (uint32_t c = 0; c < d.h.k && d.h.L > 0; c++) esc_space += (uint64_t)1 << (d.h.L - d.h.elen[c]);
    int compact = d.h.L > 0 && d.nhot <= 256 && d.k <= 256 &&
                  esc_space <= ((uint64_t)1 << d.h.L) >> BALE__DICT_RARE_ESC;
    size_t nvals = (size_t)(d.nhot + 256 * d.k), ntab = (size_t)1 << d.h.L;
    uint64_t *vals = bale__calloc(nvals + 2, sizeof *vals); /* + 2: invalid codes */
    void *tab = bale__malloc(ntab * (compact ? sizeof(uint16_t) : sizeof(uint32_t)));
    uint64_t *o = NULL;
    bale_err err = BALE_NOMEM;
    if (vals == NULL || tab == NULL) goto done;
    err = BALE_CORRUPT;
    /* The dictionary: hot keys, then the cold keys (Elias-Fano). */
    bale__stream_get(d.hot, d.nhot, d.hw, 0, (size_t)d.nhot, d.hbase, vals);
    for (uint64_t i = 0; i < d.nhot; i++) vals[i] ^= BALE__SIGN;
    uint64_t *cold = vals + d.nhot, i = 0;
    bale__stream_get(d.low, d.ncold, d.lw, 0, (size_t)d.ncold, 0, cold);
    for (size_t at = 0; at < (d.hn + 7) / 8; at += 8) {
        for (uint64_t w = ef_word(&d, at); w; w &= w - 1) {
            uint64_t p = (uint64_t)at * 8 + (unsigned)__builtin_ctzll(w);
            if (p >= d.hn || i == d.ncold) goto done;
            cold[i] = (d.cbase + ((p - i) << d.lw | cold[i])) ^ BALE__SIGN;
            i++;
        }
    }
    if (i != d.ncold) goto done;
    if (dtype == BALE_DTYPE_BOOL)
        for (size_t j = 0; j < nvals; j++)
            if (vals[j] > 1) goto done;
    blk_table(&d, compact ? NULL : tab, compact ? tab : NULL, (uint32_t)nvals);
    if (dict != NULL) {
        /* The dictionary out, and indices in place of its values. */
        err = bale__values_alloc(dict, dtype, d.nhot + d.ncold, 0);
        if (err != BALE_OK) goto done;
        for (uint64_t j = 0; j < d.nhot + d.ncold; j++) store_value(dict, j, vals[j]);
        for (size_t j = 0; j < nvals + 2; j++) vals[j] = j;
        dtype = BALE_DTYPE_INT;
        err = BALE_CORRUPT;
    }
    if (dtype == BALE_DTYPE_BOOL) {
        o = bale__malloc((size_t)count * 8);
        if (o == NULL) {
            err = BALE_NOMEM;
            goto done;
        }
    } else {
        err = bale__values_alloc(&v, dtype, count, 0);
        if (err != BALE_OK) goto done;
        err = BALE_CORRUPT;
        o = v.data;
    }
    uint64_t at = compact ? blk_decode_compact(&d, count, tab, vals, o)
                          : blk_decode_general(&d, count, tab, vals, o);
    if (at == UINT64_MAX) goto done;
    /* The bit string ends in its last byte, padded with zeros. */
    if ((at + 7) / 8 != d.size) goto done;
    if ((at & 7) && (d.bits[d.size - 1] & (0xFFu >> (at & 7)))) goto done;
    if (dtype == BALE_DTYPE_BOOL) {
        err = bale__values_alloc(&v, dtype, count, 0);
        if (err != BALE_OK) goto done;
        for (uint64_t j = 0; j < count; j++) ((uint8_t *)v.data)[j] = (uint8_t)o[j];
    }
    *out = v;
    v.data = NULL;
    err = BALE_OK;
done:
    if (dtype == BALE_DTYPE_BOOL) bale__free(o);
    bale_values_free(&v);
    if (err != BALE_OK && dict != NULL) bale_values_free(dict);
    bale__free(vals);
    bale__free(tab);
    return err;
}

static bale_err get_blocks(bale_dtype dtype, uint64_t count, const uint8_t *src, size_t n,
                           uint64_t index, bale_values *out) {
    dblk d;
    BALE_FORWARD_IF_ERROR(parse_blocks(count, src, n, &d));
    uint64_t b = index >> d.bs, j = index & (((uint64_t)1 << d.bs) - 1);
    /* The lines get will touch, fetched in parallel before the dependent
     * reads (offset -> codes -> value): the block's codes near their
     * predicted place, and the hot values. */
    uint64_t guess = (b * d.slope) >> 3, from = guess > 48 ? guess - 48 : 0;
    for (uint64_t at = from; at < guess + 112 && at < d.size; at += 64)
        __builtin_prefetch(d.bits + at);
    size_t hot_bytes = (size_t)((d.nhot * d.hw + 7) / 8);
    for (size_t at = 0; at < hot_bytes && at < 512; at += 64) __builtin_prefetch(d.hot + at);
    /* and the start of the cold keys' high bits, which an escape scans. */
    size_t high_bytes = (size_t)((d.hn + 7) / 8);
    for (size_t at = 0; at < high_bytes && at < 256; at += 64) __builtin_prefetch(d.high + at);
    uint64_t pos = blk_offset(&d, b), x;
    BALE_RETURN_IF(pos > d.nbits, BALE_CORRUPT);
    unsigned len = 0;
    int esc = d.nhot == 0;
    uint32_t sym = 0;
    if (d.h.L == 0) {
        pos += esc ? 8 * j : 0;
        x = bale__bits_peek(d.bits, d.size, pos);
    } else {
        /* Skip j codes without building a table: in the top 16 bits y of a
         * canonical code of length l, c2 = #{l' < L : y >= lim[l']} = l - 1
         * (lim[l']: the end of the codes of length <= l') and c1 = #{l' :
         * y >= hlim[l']} = l - 1 + escape (hlim[l']: the end of the hot
         * codes of length l'), so the code takes 1 + 8 c1 - 7 c2 bits with
         * its low byte: independent compares, no dependent load.  Several
         * codes per 64-bit peek (at least 57 bits valid, a code with its
         * low byte is at most 20).  A malformed code only misplaces the
         * bounded reads; the final code is decoded with checks. */
        uint32_t lim[BALE__HUF_MAXLEN], hlim[BALE__HUF_MAXLEN];
        for (unsigned l = 1; l <= BALE__HUF_MAXLEN; l++) {
            if (l < d.h.L) lim[l - 1] = (d.h.first[l] + d.h.nh[l] + d.h.ne[l]) << (16 - l);
            else lim[l - 1] = 1u << 16;
            hlim[l - 1] = l <= d.h.L ? (d.h.first[l] + d.h.nh[l]) << (16 - l) : 1u << 16;
        }
        for (uint64_t t = 0; t < j;) {
            x = bale__bits_peek(d.bits, d.size, pos);
            unsigned used = 0;
            do {
                uint32_t y = (uint32_t)((x << used) >> 48), c1 = 0, c2 = 0;
#pragma GCC unroll 12
                for (unsigned i = 0; i < BALE__HUF_MAXLEN; i++) {
                    c2 += y >= lim[i];
                    c1 += y >= hlim[i];
                }
                used += 1 + 8 * c1 - 7 * c2;
                t++;
            } while (t < j && used <= 57 - (BALE__HUF_MAXLEN + 8));
            pos += used;
        }
        x = bale__bits_peek(d.bits, d.size, pos);
        BALE_RETURN_IF(!huf_decode1(&d.h, x, &len, &esc, &sym), BALE_CORRUPT);
    }
    uint64_t value;
    if (!esc) {
        BALE_RETURN_IF(sym >= d.nhot, BALE_CORRUPT);
        value = (d.hbase + bale__stream_get1(d.hot, d.nhot, d.hw, sym)) ^ BALE__SIGN;
    } else {
        uint64_t ci = (uint64_t)sym << 8 | ((x << len) >> 56);
        BALE_RETURN_IF(ci >= d.ncold || !ef_get(&d, ci, &value), BALE_CORRUPT);
    }
    BALE_RETURN_IF(pos + len + (esc ? 8u : 0u) > d.nbits, BALE_CORRUPT);
    BALE_RETURN_IF(dtype == BALE_DTYPE_BOOL && value > 1, BALE_CORRUPT);
    BALE_FORWARD_IF_ERROR(bale__values_alloc(out, dtype, 1, 0));
    store_value(out, 0, value);
    return BALE_OK;
}

bale_err bale__dict_fixed_decode(bale_dtype dtype, uint64_t count,
                                 const uint8_t *src, size_t n, uint64_t data_size,
                                 bale_values *out) {
    (void)data_size;
    BALE_RETURN_IF(n < 1 || src[0] > 3, BALE_CORRUPT);
    if (src[0] == 3) return decode_blocks(dtype, count, src, n, out, NULL);
    if (src[0] == 2) return decode_sections(dtype, count, src, n, out);
    return src[0] == 0 ? decode_packed(dtype, count, src, n, out)
                       : decode_planes(dtype, count, src, n, out);
}

bale_err bale__dict_fixed_decode_ids(bale_dtype dtype, uint64_t count, const uint8_t *src,
                                     size_t n, bale_values *dict, bale_values *ids) {
    BALE_RETURN_IF(n < 1 || src[0] > 3, BALE_CORRUPT);
    if (src[0] == 3) {
        memset(dict, 0, sizeof *dict);
        return decode_blocks(dtype, count, src, n, ids, dict);
    }
    if (src[0] == 0) return decode_packed_ids(dtype, count, src, n, dict, ids);
    return BALE_UNSUPPORTED; /* modes 1 and 2 are read through a backend */
}

bale_err bale__dict_fixed_get(bale_dtype dtype, uint64_t count,
                              const uint8_t *src, size_t n, uint64_t index,
                              bale_values *out) {
    BALE_RETURN_IF(index >= count, BALE_RANGE);
    BALE_RETURN_IF(n < 1 || src[0] > 3, BALE_CORRUPT);
    if (src[0] == 3) return get_blocks(dtype, count, src, n, index, out);
    if (src[0] != 0) {
        bale_values all;
        BALE_FORWARD_IF_ERROR(bale__dict_fixed_decode(dtype, count, src, n, 0, &all));
        bale_err err = bale__values_take_one(&all, index, out);
        bale_values_free(&all);
        return err;
    }
    packed_view pv;
    BALE_FORWARD_IF_ERROR(parse_packed(dtype, count, src, n, &pv));
    uint64_t c = bale__stream_get1(pv.codes, count, pv.layout, index);
    BALE_RETURN_IF(c >= pv.nd, BALE_CORRUPT);
    BALE_FORWARD_IF_ERROR(bale__values_alloc(out, dtype, 1, 0));
    store_value(out, 0, packed_value(&pv, c));
    return BALE_OK;
}
