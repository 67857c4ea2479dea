/*
 * dict_fixed.c - the DICT encoding for fixed-width dtypes (int, float, bool):
 * the distinct values once, then a code per value.  Two stage layouts,
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
    bale__buf z = {0};
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
        bale__buf st = {0};
        cut.at[0] = 0;
        err = encode_planes(in, e, nd, ix, &st, &cut);
        if (err == BALE_OK) err = put_sections(out, &st, &cut);
        bale__buf_free(&st);
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

bale_err bale__dict_fixed_decode(bale_dtype dtype, uint64_t count,
                                 const uint8_t *src, size_t n, uint64_t data_size,
                                 bale_values *out) {
    (void)data_size;
    BALE_RETURN_IF(n < 1 || src[0] > 2, BALE_CORRUPT);
    if (src[0] == 2) return decode_sections(dtype, count, src, n, out);
    return src[0] == 0 ? decode_packed(dtype, count, src, n, out)
                       : decode_planes(dtype, count, src, n, out);
}

bale_err bale__dict_fixed_get(bale_dtype dtype, uint64_t count,
                              const uint8_t *src, size_t n, uint64_t index,
                              bale_values *out) {
    BALE_RETURN_IF(index >= count, BALE_RANGE);
    BALE_RETURN_IF(n < 1 || src[0] > 2, BALE_CORRUPT);
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
