/*
 * dict_tab.c - DICT tables (shared tables of kind 2) and the DICT stages of
 * variable-width values (str, bytes, object) encoded against one.
 *
 * A column with few distinct values (airport codes, categories) pays for its
 * dictionary in every self-contained chunk and, coded through zstd, for a
 * chunk decompress on every uncached get.  A DICT table holds the column's
 * distinct values once, with a Huffman code over them; a stage against it
 * holds only the codes, in blocks, so a get decodes one block.
 *
 * Table body, after the common header (docs/format.md):
 *   varint k            distinct values, 1..BALE_DTAB_MAX_VALUES
 *   varint len x k      their lengths
 *   ...    bytes        the values back to back, all distinct
 *   u8     hlen x (k+1) code length of each value, then of the escape, each
 *                       1..BALE_DTAB_MAX_LEN, Kraft sum <= 1 (canonical code)
 *
 * Stage (all integers little-endian; a self-contained DICT stage of values
 * starts with its k >= 1 when count > 0, so a 0 marks this form):
 *   varint 0            the stage references a DICT table
 *   u8     shift        log2 of the values per block, 1..10
 *   u32    id           the low 32 bits of the table's id (the chunk holds
 *                       its table: this catches a stage paired with another)
 *   varint nesc         values the table lacks (escapes), 0..count
 *   varint len x nesc, then their bytes
 *   when there are two blocks or more, the bits of each but the last:
 *   varint base         the fewest bits of those blocks
 *   u8     w            bits of each block's excess over base, 0..16
 *   ...    excesses     nblocks - 1 of them, w bits each, MSB-first, zero
 *                       bits padding the last byte (7-8 bits a block on
 *                       flights `origin`, where a byte size and padding
 *                       each block to a byte took about 12)
 *   ...    body         the blocks back to back, MSB-first, each value's
 *                       code; an escape's code is followed by its index in
 *                       eb bits (eb = bits of nesc - 1, 0 when nesc <= 1);
 *                       the last block ends in the body's last byte, zero
 *                       bits padding it
 */
#include "str_internal.h"

#define DTAB_TBITS BALE_DTAB_MAX_LEN /* decode table: one lookup per code */

struct bale__dtab {
    uint32_t k;
    uint32_t cap;    /* encode hash slots, a power of two */
    uint32_t *ends;  /* k end offsets into bytes */
    uint8_t *bytes;  /* the values back to back */
    uint16_t *slots; /* 1 + value, 0 = empty; by bale__hash64 of the bytes */
    uint16_t *counts; /* k: times each value was seen in training (all
                       * halved when one would pass 65535), for a retrain;
                       * only in a table trained in this process (NULL in
                       * one read from bytes) */
    uint64_t nbytes;  /* requested bytes of the allocations */
    uint8_t hlen[BALE_DTAB_MAX_VALUES + 1];
    uint16_t hcode[BALE_DTAB_MAX_VALUES + 1]; /* codes have at most 11 bits */
    uint16_t table[1u << DTAB_TBITS]; /* code length << 10 | symbol; 0: none */
};

static inline uint64_t value_start(const bale__dtab *d, uint32_t s) { return s ? d->ends[s - 1] : 0; }

/* The table's symbol for p[0..n), or -1. */
static int64_t dtab_find(const bale__dtab *d, const uint8_t *p, size_t n) {
    for (uint32_t h = (uint32_t)bale__hash64(p, n, 0) & (d->cap - 1);; h = (h + 1) & (d->cap - 1)) {
        uint32_t e = d->slots[h];
        if (e == 0) return -1;
        uint64_t s = value_start(d, e - 1);
        if (d->ends[e - 1] - s == n && (n == 0 || memcmp(d->bytes + s, p, n) == 0)) return e - 1;
    }
}

void bale__dtab_free(bale__dtab *d) {
    if (d == NULL) return;
    bale__free(d->ends);
    bale__free(d->bytes);
    bale__free(d->slots);
    bale__free(d->counts);
    bale__free(d);
}

uint64_t bale__dtab_nbytes(const bale__dtab *d) { return d ? d->nbytes : 0; }

bale_err bale__dtab_parse(bale__reader *r, bale__dtab **out) {
    uint64_t k = bale__reader_varint(r);
    BALE_RETURN_IF(r->bad || k == 0 || k > BALE_DTAB_MAX_VALUES, BALE_CORRUPT);
    bale__dtab *d = bale__calloc(1, sizeof *d);
    BALE_RETURN_IF(d == NULL, BALE_NOMEM);
    bale_err err = BALE_NOMEM;
    d->k = (uint32_t)k;
    d->cap = 16;
    while (d->cap < 2 * k) d->cap <<= 1;
    d->ends = bale__malloc((size_t)k * sizeof *d->ends);
    d->slots = bale__calloc(d->cap, sizeof *d->slots);
    if (d->ends == NULL || d->slots == NULL) goto fail;
    err = BALE_CORRUPT;
    uint64_t total = 0;
    for (uint64_t e = 0; e < k; e++) {
        uint64_t len = bale__reader_varint(r);
        if (r->bad || len > bale__reader_left(r) || total + len > bale__reader_left(r)) goto fail;
        total += len;
        d->ends[e] = (uint32_t)total; /* total <= what is left of the bytes */
    }
    if (total > UINT32_MAX) goto fail;
    const uint8_t *bytes = bale__reader_take(r, (size_t)total);
    const uint8_t *hl = bale__reader_take(r, (size_t)k + 1);
    if (bytes == NULL || hl == NULL || bale__reader_left(r) != 0) goto fail;
    uint64_t kraft = 0;
    for (uint64_t s = 0; s <= k; s++) {
        if (hl[s] == 0 || hl[s] > BALE_DTAB_MAX_LEN) goto fail;
        d->hlen[s] = hl[s];
        kraft += (uint64_t)1 << (DTAB_TBITS - hl[s]);
    }
    if (kraft > ((uint64_t)1 << DTAB_TBITS)) goto fail;
    err = BALE_NOMEM;
    d->bytes = bale__calloc((size_t)total + 8, 1); /* + 8: values copy as 8-byte words */
    if (d->bytes == NULL) goto fail;
    if (total) memcpy(d->bytes, bytes, (size_t)total);
    err = BALE_CORRUPT;
    /* The encoder's index; a value twice would make two codes for it. */
    for (uint32_t s = 0; s < d->k; s++) {
        uint64_t st = value_start(d, s);
        if (dtab_find(d, d->bytes + st, (size_t)(d->ends[s] - st)) >= 0) goto fail;
        uint32_t h = (uint32_t)bale__hash64(d->bytes + st, (size_t)(d->ends[s] - st), 0) & (d->cap - 1);
        while (d->slots[h] != 0) h = (h + 1) & (d->cap - 1);
        d->slots[h] = (uint16_t)(s + 1);
    }
    /* Canonical code; every code of at most DTAB_TBITS bits is one lookup. */
    uint32_t codes[BALE_DTAB_MAX_VALUES + 1];
    bale__huff_codes(d->hlen, d->k + 1, codes);
    for (uint32_t s = 0; s <= d->k; s++) d->hcode[s] = (uint16_t)codes[s];
    for (uint32_t s = 0; s <= d->k; s++) {
        unsigned l = d->hlen[s], span = 1u << (DTAB_TBITS - l);
        uint32_t first = d->hcode[s] << (DTAB_TBITS - l);
        for (uint32_t x = 0; x < span; x++) d->table[first + x] = (uint16_t)(l << 10 | s);
    }
    d->nbytes = sizeof *d + (uint64_t)k * sizeof *d->ends + total + 8 +
                (uint64_t)d->cap * sizeof *d->slots;
    *out = d;
    return BALE_OK;
fail:
    bale__dtab_free(d);
    return err;
}

static unsigned bits_for(uint64_t n) { /* bits to write 0..n-1 */
    unsigned b = 0;
    while (n > 1 && ((uint64_t)1 << b) < n) b++;
    return b;
}

/* ---- encode --------------------------------------------------------------- */

bale_err bale__dtab_encode(const bale_values *in, const bale_symtab *tab, bale__buf *out) {
    BALE_RETURN_IF(!bale__is_var(in->dtype) || in->count == 0 ||
                       bale__symtab_kind(tab) != BALE_SYMTAB_KIND_DICT,
                   BALE_UNSUPPORTED);
    const bale__dtab *d = bale__symtab_dtab(tab);
    static const uint8_t no_bytes[1];
    const uint8_t *data = in->data ? (const uint8_t *)in->data : no_bytes; /* all empty */
    const uint64_t *off = in->offsets;
    uint64_t count = in->count;
    unsigned shift = bale__symtab_shift(tab);
    uint64_t bsize = (uint64_t)1 << shift, nblocks = bale__str_nblocks(count, shift);
    /* Symbols: value s < k of the table, or k + j for escape j. */
    size_t ecap = 16;
    while (ecap < 2 * count) ecap <<= 1;
    uint32_t *sym = bale__tmp_malloc((size_t)count * sizeof *sym);
    uint32_t *eslot = NULL, *efirst = NULL; /* escapes: hash, first value index */
    uint64_t *bend = bale__tmp_malloc((size_t)nblocks * sizeof *bend);
    bale__buf body = {.tmp = 1};
    bale_err err = BALE_NOMEM;
    if (sym == NULL || bend == NULL) goto done;
    uint64_t nesc = 0, esc_bytes = 0;
    for (uint64_t i = 0; i < count; i++) {
        const uint8_t *p = data + off[i];
        size_t n = (size_t)(off[i + 1] - off[i]);
        int64_t s = dtab_find(d, p, n);
        if (s >= 0) {
            sym[i] = (uint32_t)s;
            continue;
        }
        if (eslot == NULL) {
            eslot = bale__tmp_calloc(ecap, sizeof *eslot);
            efirst = bale__tmp_malloc((size_t)count * sizeof *efirst);
            if (eslot == NULL || efirst == NULL) goto done;
        }
        size_t h = (size_t)bale__hash64(p, n, 0) & (ecap - 1);
        for (;; h = (h + 1) & (ecap - 1)) {
            uint32_t e = eslot[h];
            if (e == 0) {
                efirst[nesc] = (uint32_t)i;
                eslot[h] = (uint32_t)++nesc;
                esc_bytes += n;
                sym[i] = d->k + (uint32_t)(nesc - 1);
                break;
            }
            uint64_t j = efirst[e - 1];
            if (off[j + 1] - off[j] == n && (n == 0 || memcmp(data + off[j], p, n) == 0)) {
                sym[i] = d->k + e - 1;
                break;
            }
        }
    }
    /* Body: at most BALE_DTAB_MAX_LEN + eb bits a value; bend[b] is the
     * bit at which block b ends. */
    unsigned eb = bits_for(nesc);
    size_t need = (size_t)((count * (BALE_DTAB_MAX_LEN + eb) + 7) / 8);
    if ((err = bale__buf_reserve(&body, need)) != BALE_OK) goto done;
    bale__bitw bw = {&body, 0, 0};
    for (uint64_t b = 0; b < nblocks; b++) {
        uint64_t hi = (b + 1) * bsize < count ? (b + 1) * bsize : count;
        for (uint64_t i = b * bsize; i < hi; i++) {
            uint32_t s = sym[i] < d->k ? sym[i] : d->k;
            if ((err = bale__bitw_put(&bw, d->hcode[s], d->hlen[s])) != BALE_OK) goto done;
            if (s == d->k && eb && (err = bale__bitw_put(&bw, sym[i] - d->k, eb)) != BALE_OK)
                goto done;
        }
        bend[b] = (uint64_t)body.size * 8 + bw.n;
    }
    if ((err = bale__bitw_flush(&bw)) != BALE_OK) goto done;
    /* The index: blocks 0..nblocks-2 as base + excess. */
    uint64_t base = UINT64_MAX, most = 0;
    for (uint64_t b = 0; b + 1 < nblocks; b++) {
        uint64_t bits = bend[b] - (b ? bend[b - 1] : 0);
        base = bits < base ? bits : base;
        most = bits > most ? bits : most;
    }
    unsigned w = nblocks > 1 ? bits_for(most - base + 1) : 0;
    size_t head = 1 + 1 + 4 + 10 + (size_t)nesc * 10 + (size_t)esc_bytes + 10 + 1 +
                  (size_t)(((nblocks - 1) * w + 7) / 8);
    if ((err = bale__buf_reserve(out, head + body.size)) != BALE_OK) goto done;
    /* Nothing below can fail: room was reserved. */
    uint32_t id = (uint32_t)bale_symtab_id(tab);
    (void)bale__buf_put_varint(out, 0);
    (void)bale__buf_put_u8(out, (uint8_t)shift);
    (void)bale__buf_append(out, &id, 4);
    (void)bale__buf_put_varint(out, nesc);
    for (uint64_t j = 0; j < nesc; j++)
        (void)bale__buf_put_varint(out, off[efirst[j] + 1] - off[efirst[j]]);
    for (uint64_t j = 0; j < nesc; j++)
        (void)bale__buf_append(out, data + off[efirst[j]], (size_t)(off[efirst[j] + 1] - off[efirst[j]]));
    if (nblocks > 1) {
        (void)bale__buf_put_varint(out, base);
        (void)bale__buf_put_u8(out, (uint8_t)w);
        bale__bitw iw = {out, 0, 0};
        for (uint64_t b = 0; w && b + 1 < nblocks; b++)
            (void)bale__bitw_put(&iw, (uint32_t)(bend[b] - (b ? bend[b - 1] : 0) - base), w);
        (void)bale__bitw_flush(&iw);
    }
    (void)bale__buf_append(out, body.data, body.size);
    err = BALE_OK;
done:
    bale__free(sym);
    bale__free(eslot);
    bale__free(efirst);
    bale__free(bend);
    bale__buf_free(&body);
    return err;
}

/* ---- decode --------------------------------------------------------------- */

typedef struct dview {
    const bale__dtab *d;
    unsigned shift, eb, w;
    uint64_t nesc, nblocks, base;
    uint64_t body_bits;       /* 8 x the body's bytes */
    const uint8_t *esc_lens;  /* nesc varints */
    const uint8_t *esc_bytes, *esc_end;
    const uint8_t *idx, *idx_end; /* nblocks - 1 excesses, w bits each */
    const uint8_t *body, *body_end;
} dview;

/* Block sizes, in order: a reader of the index and the bit at which the
 * next block starts. */
typedef struct blocks_walk {
    bale__bitr ix;
    uint64_t b, start;
} blocks_walk;

static void walk_init(const dview *v, blocks_walk *bw) {
    bale__bitr_init(&bw->ix, v->idx, v->idx_end);
    bw->b = 0;
    bw->start = 0;
}

/* Bits of block bw->b (the last block: all that is left of the body), and
 * on to the next.  The sizes are checked against the body once, by
 * view_parse: none runs past it. */
static uint64_t walk_next(const dview *v, blocks_walk *bw) {
    uint64_t bits;
    if (bw->b + 1 < v->nblocks) {
        bits = v->base;
        if (v->w) {
            bale__bitr_refill(&bw->ix);
            bits += bale__bitr_take(&bw->ix, v->w);
        }
    } else {
        bits = v->body_bits - bw->start;
    }
    bw->b++;
    bw->start += bits;
    return bits;
}

/* Parses and checks the stage's frame (not the codes): the escapes' lengths
 * fit their bytes, the blocks before the last fit the body. */
static bale_err view_parse(const bale_symtab *tab, uint64_t count, const uint8_t *src, size_t n,
                           dview *v) {
    bale__reader r;
    bale__reader_init(&r, src, n);
    uint64_t marker = bale__reader_varint(&r);
    v->shift = bale__reader_u8(&r);
    uint32_t id = bale__reader_u32(&r);
    v->nesc = bale__reader_varint(&r);
    BALE_RETURN_IF(r.bad || marker != 0 || count == 0 || v->shift < 1 ||
                       v->shift > BALE_STR_MAX_BLOCK_SHIFT || v->nesc > count || tab == NULL ||
                       bale__symtab_kind(tab) != BALE_SYMTAB_KIND_DICT ||
                       id != (uint32_t)bale_symtab_id(tab),
                   BALE_CORRUPT);
    v->d = bale__symtab_dtab(tab);
    v->esc_lens = r.p;
    uint64_t total = 0;
    for (uint64_t j = 0; j < v->nesc; j++) {
        uint64_t l = bale__reader_varint(&r);
        BALE_RETURN_IF(r.bad || l > bale__reader_left(&r) || total + l > bale__reader_left(&r),
                       BALE_CORRUPT);
        total += l;
    }
    v->esc_bytes = bale__reader_take(&r, (size_t)total);
    v->esc_end = r.p;
    v->nblocks = bale__str_nblocks(count, v->shift);
    v->base = 0;
    v->w = 0;
    uint64_t idx_bytes = 0;
    if (v->nblocks > 1) {
        v->base = bale__reader_varint(&r);
        v->w = bale__reader_u8(&r);
        BALE_RETURN_IF(r.bad || v->w > 16, BALE_CORRUPT);
        /* Every code has a bit: a block holds at least 1 << shift of them. */
        BALE_RETURN_IF((v->nblocks - 1) > (uint64_t)bale__reader_left(&r) * 8 >> v->shift,
                       BALE_CORRUPT);
        idx_bytes = ((v->nblocks - 1) * v->w + 7) / 8;
    }
    v->idx = bale__reader_take(&r, (size_t)idx_bytes);
    BALE_RETURN_IF(r.bad || (v->idx == NULL && idx_bytes), BALE_CORRUPT);
    v->idx_end = r.p;
    v->body = r.p;
    v->body_end = r.p + bale__reader_left(&r);
    v->body_bits = (uint64_t)bale__reader_left(&r) * 8;
    blocks_walk bw;
    walk_init(v, &bw);
    while (bw.b + 1 < v->nblocks) {
        (void)walk_next(v, &bw);
        BALE_RETURN_IF(bw.start > v->body_bits, BALE_CORRUPT);
    }
    v->eb = bits_for(v->nesc);
    return BALE_OK;
}

/* A reader of the body from bit `start` on; avail = the block's bits. */
static void block_reader(const dview *v, uint64_t start, uint64_t bits, bale__bitr *br) {
    bale__bitr_init(br, v->body + (start >> 3), v->body_end);
    if (start & 7) {
        bale__bitr_refill(br);
        (void)bale__bitr_take(br, (unsigned)(start & 7));
    }
    br->used = 0;
    br->avail = bits;
}

/* Whether a block read by `br` ended exactly at its end; the last block
 * (`last`) may end up to 7 bits before the body does, zero bits padding. */
static int block_ends(const dview *v, const bale__bitr *br, int last) {
    if (br->used == br->avail) return 1;
    if (!last || br->used > br->avail || br->avail - br->used >= 8) return 0;
    unsigned pad = (unsigned)(br->avail - br->used);
    return !(v->body_end[-1] & ((1u << pad) - 1));
}

/* The next value of a block: its id (value s < k of the table, or k +
 * escape index).  Reads stay within the block; the caller checks the bits
 * used against the block's once it is done. */
static inline bale_err next_id(const dview *v, bale__bitr *br, uint32_t *id) {
    const bale__dtab *d = v->d;
    bale__bitr_refill(br);
    uint16_t e = d->table[br->buf >> (64 - DTAB_TBITS)];
    unsigned len = e >> 10, s = e & 1023u;
    BALE_RETURN_IF(len == 0, BALE_CORRUPT); /* a code the table does not have */
    (void)bale__bitr_take(br, len);
    if (BALE_UNLIKELY(s == d->k)) {
        uint32_t j = v->eb ? bale__bitr_take(br, v->eb) : 0;
        BALE_RETURN_IF(j >= v->nesc, BALE_CORRUPT);
        s = d->k + j;
    }
    *id = s;
    return BALE_OK;
}

/* Block b's bits: [*start, *start + *bits) of the body. */
static void block_span(const dview *v, uint64_t b, uint64_t *start, uint64_t *bits) {
    blocks_walk bw;
    walk_init(v, &bw);
    while (bw.b < b) (void)walk_next(v, &bw);
    *start = bw.start;
    *bits = walk_next(v, &bw);
}

/* The bytes of value `id`. */
static inline void id_bytes(const dview *v, const uint64_t *est, uint32_t id, const uint8_t **p,
                            uint64_t *l) {
    const bale__dtab *d = v->d;
    if (id < d->k) {
        uint64_t s = value_start(d, id);
        *p = d->bytes + s;
        *l = d->ends[id] - s;
    } else {
        *p = v->esc_bytes + est[id - d->k];
        *l = est[id - d->k + 1] - est[id - d->k];
    }
}

bale_err bale__dtab_decode(const bale_symtab *tab, bale_dtype dtype, uint64_t count,
                           const uint8_t *src, size_t n, uint64_t data_size, bale_values *out) {
    dview v;
    BALE_FORWARD_IF_ERROR(view_parse(tab, count, src, n, &v));
    /* Escape starts, then the values straight into place: data_size is the
     * chunk header's, bounded by the chunk layer, and every copy is checked
     * against it. */
    uint64_t *est = bale__malloc(((size_t)v.nesc + 1) * sizeof *est);
    BALE_RETURN_IF(est == NULL, BALE_NOMEM);
    const uint8_t *q = v.esc_lens;
    int bad = 0;
    est[0] = 0;
    for (uint64_t j = 0; j < v.nesc; j++) est[j + 1] = est[j] + bale__str_varint(&q, v.esc_bytes, &bad);
    bale_values r;
    bale_err err = bad ? BALE_CORRUPT : bale__values_alloc(&r, dtype, count, data_size);
    if (err != BALE_OK) {
        bale__free(est);
        return err;
    }
    uint8_t *dst = r.data;
    uint64_t bsize = (uint64_t)1 << v.shift, pos = 0, i = 0;
    err = BALE_CORRUPT;
    blocks_walk walk;
    walk_init(&v, &walk);
    for (uint64_t b = 0; b < v.nblocks; b++) {
        uint64_t start = walk.start, bits = walk_next(&v, &walk);
        uint64_t hi = count - i < bsize ? count : i + bsize;
        bale__bitr br;
        block_reader(&v, start, bits, &br);
        for (; i < hi; i++) {
            uint32_t id;
            if (next_id(&v, &br, &id) != BALE_OK) goto fail;
            const uint8_t *p;
            uint64_t l;
            id_bytes(&v, est, id, &p, &l);
            if (l <= 8 && id < v.d->k && data_size - pos >= 8) {
                memcpy(dst + pos, p, 8); /* short values (codes): one word (the table is padded) */
            } else {
                if (l > data_size - pos) goto fail;
                if (l) memcpy(dst + pos, p, (size_t)l);
            }
            pos += l;
            r.offsets[i + 1] = pos;
        }
        if (!block_ends(&v, &br, b + 1 == v.nblocks)) goto fail;
    }
    if (pos != data_size) goto fail;
    bale__free(est);
    *out = r;
    return BALE_OK;
fail:
    bale__free(est);
    bale_values_free(&r);
    return err;
}

/* In a stage with at most one escaped value (whose code then carries no
 * index bits), a refill gives 56 bits: this many codes of at most 11 bits
 * each. */
#define IDS_PER_REFILL 5
_Static_assert(IDS_PER_REFILL * BALE_DTAB_MAX_LEN <= 56, "codes past a refill");

/* The next id of a stage with at most one escaped value (`lim`: the table's
 * values and that escape), after a refill that covers its code; a code the
 * table lacks, or an escape the stage does not have, sets *wrong. */
static inline uint32_t take_id(const bale__dtab *d, bale__bitr *br, unsigned lim,
                               uint32_t *wrong) {
    uint16_t e = d->table[br->buf >> (64 - DTAB_TBITS)];
    unsigned len = e >> 10, sym = e & 1023u;
    *wrong |= (uint32_t)(len == 0) | (uint32_t)(sym >= lim);
    (void)bale__bitr_take(br, len ? len : 1);
    return sym;
}

bale_err bale__dtab_decode_ids(const bale_symtab *tab, bale_dtype dtype, uint64_t count,
                               const uint8_t *src, size_t n, bale_values *dict,
                               bale_values *ids) {
    dview v;
    BALE_FORWARD_IF_ERROR(view_parse(tab, count, src, n, &v));
    const bale__dtab *d = v.d;
    /* The dictionary: the table's values, then the escapes (the ids the
     * stage uses, next_id). */
    uint64_t ktab = d->k, total = d->k ? d->ends[d->k - 1] : 0;
    uint64_t esc_total = (uint64_t)(v.esc_end - v.esc_bytes);
    bale_values dv = {0}, iv = {0};
    BALE_FORWARD_IF_ERROR(bale__values_alloc(&dv, dtype, ktab + v.nesc, total + esc_total));
    bale_err err = bale__values_alloc(&iv, BALE_DTYPE_INT, count, 0);
    if (err != BALE_OK) goto fail;
    err = BALE_CORRUPT;
    if (total) memcpy(dv.data, d->bytes, (size_t)total);
    for (uint64_t s = 0; s < ktab; s++) dv.offsets[s + 1] = d->ends[s];
    if (esc_total) memcpy((uint8_t *)dv.data + total, v.esc_bytes, (size_t)esc_total);
    const uint8_t *q = v.esc_lens;
    int bad = 0;
    for (uint64_t j = 0; j < v.nesc; j++)
        dv.offsets[ktab + j + 1] = dv.offsets[ktab + j] + bale__str_varint(&q, v.esc_bytes, &bad);
    if (bad || dv.offsets[ktab + v.nesc] != total + esc_total) goto fail;
    int64_t *o = iv.data;
    uint64_t bsize = (uint64_t)1 << v.shift, i = 0;
    const unsigned lim = v.nesc <= 1 ? d->k + (unsigned)v.nesc : 0; /* take_id's */
    blocks_walk walk;
    walk_init(&v, &walk);
    for (uint64_t b = 0; b < v.nblocks;) {
        uint64_t start = walk.start, bits = walk_next(&v, &walk);
        if (v.nesc <= 1 && b + 1 < v.nblocks && count - i >= 2 * bsize) {
            /* Two whole blocks at once: independent codes, twice the work
             * per dependent table lookup. */
            uint64_t start2 = walk.start, bits2 = walk_next(&v, &walk);
            bale__bitr b1, b2;
            block_reader(&v, start, bits, &b1);
            block_reader(&v, start2, bits2, &b2);
            uint32_t wrong = 0;
            uint64_t j = 0;
            for (; j + IDS_PER_REFILL <= bsize; j += IDS_PER_REFILL) {
                bale__bitr_refill(&b1);
                bale__bitr_refill(&b2);
                for (unsigned k = 0; k < IDS_PER_REFILL; k++) {
                    o[i + j + k] = take_id(d, &b1, lim, &wrong);
                    o[i + bsize + j + k] = take_id(d, &b2, lim, &wrong);
                }
            }
            if (wrong) goto fail;
            for (; j < bsize; j++) {
                uint32_t id1, id2;
                if (next_id(&v, &b1, &id1) != BALE_OK || next_id(&v, &b2, &id2) != BALE_OK)
                    goto fail;
                o[i + j] = id1;
                o[i + bsize + j] = id2;
            }
            if (!block_ends(&v, &b1, 0) || !block_ends(&v, &b2, b + 2 == v.nblocks)) goto fail;
            i += 2 * bsize;
            b += 2;
            continue;
        }
        uint64_t hi = count - i < bsize ? count : i + bsize;
        bale__bitr br;
        block_reader(&v, start, bits, &br);
        if (v.nesc <= 1) {
            uint32_t wrong = 0;
            for (; i + IDS_PER_REFILL <= hi; i += IDS_PER_REFILL) {
                bale__bitr_refill(&br);
                for (unsigned k = 0; k < IDS_PER_REFILL; k++)
                    o[i + k] = take_id(d, &br, lim, &wrong);
            }
            if (wrong) goto fail;
        }
        for (; i < hi; i++) {
            uint32_t id;
            if (next_id(&v, &br, &id) != BALE_OK) goto fail;
            o[i] = id;
        }
        if (!block_ends(&v, &br, b + 1 == v.nblocks)) goto fail;
        b++;
    }
    *dict = dv;
    *ids = iv;
    return BALE_OK;
fail:
    bale_values_free(&dv);
    bale_values_free(&iv);
    return err;
}

bale_err bale__dtab_get(const bale_symtab *tab, bale_dtype dtype, uint64_t count,
                        const uint8_t *src, size_t n, uint64_t index, bale_values *out) {
    BALE_RETURN_IF(index >= count, BALE_RANGE);
    dview v;
    BALE_FORWARD_IF_ERROR(view_parse(tab, count, src, n, &v));
    uint64_t b = index >> v.shift, start, bits;
    block_span(&v, b, &start, &bits);
    bale__bitr br;
    block_reader(&v, start, bits, &br);
    uint32_t id = 0;
    for (uint64_t i = b << v.shift; i <= index; i++) BALE_FORWARD_IF_ERROR(next_id(&v, &br, &id));
    BALE_RETURN_IF(br.used > br.avail, BALE_CORRUPT);
    const bale__dtab *d = v.d;
    const uint8_t *p;
    uint64_t l;
    if (id < d->k) {
        uint64_t s = value_start(d, id);
        p = d->bytes + s;
        l = d->ends[id] - s;
    } else {
        /* the escape's bytes: after the lengths of those before it */
        const uint8_t *q = v.esc_lens;
        int bad = 0;
        uint64_t s = 0;
        for (uint64_t j = 0; j < id - d->k; j++) s += bale__str_varint(&q, v.esc_bytes, &bad);
        l = bale__str_varint(&q, v.esc_bytes, &bad);
        BALE_RETURN_IF(bad || s > (uint64_t)(v.esc_end - v.esc_bytes) ||
                           l > (uint64_t)(v.esc_end - v.esc_bytes) - s,
                       BALE_CORRUPT);
        p = v.esc_bytes + s;
    }
    BALE_FORWARD_IF_ERROR(bale__values_alloc(out, dtype, 1, l));
    if (l) memcpy(out->data, p, (size_t)l);
    out->offsets[1] = l;
    return BALE_OK;
}

int bale__dtab_stage_uses_tab(bale_dtype dtype, uint64_t count, const uint8_t *src, size_t n) {
    return bale__is_var(dtype) && count > 0 && n > 0 && src[0] == 0;
}

/* ---- training ------------------------------------------------------------- */

typedef struct tvalue {
    const uint8_t *p;
    uint64_t n;
} tvalue;

/* The table's bytes: header (fit as given, id computed), then the body. */
static bale_err table_bytes(const tvalue *val, uint32_t k, const uint8_t *hlen, unsigned shift,
                            uint32_t fit, bale__buf *out) {
    BALE_FORWARD_IF_ERROR(bale__symtab_bytes_start(out, BALE_SYMTAB_KIND_DICT, 0, shift,
                                                   BALE_DTAB_BLOCK_SHIFT, fit));
    BALE_FORWARD_IF_ERROR(bale__buf_put_varint(out, k));
    for (uint32_t s = 0; s < k; s++) BALE_FORWARD_IF_ERROR(bale__buf_put_varint(out, val[s].n));
    for (uint32_t s = 0; s < k; s++) BALE_FORWARD_IF_ERROR(bale__buf_append(out, val[s].p, (size_t)val[s].n));
    BALE_FORWARD_IF_ERROR(bale__buf_append(out, hlen, (size_t)k + 1));
    bale__symtab_bytes_finish(out);
    return BALE_OK;
}

/* Distinct values, each once, with a weight. */
typedef struct tset {
    uint16_t slot[4 * BALE_DTAB_MAX_VALUES]; /* 1 + value, 0 = empty */
    tvalue val[BALE_DTAB_MAX_VALUES];
    uint64_t freq[BALE_DTAB_MAX_VALUES + 1]; /* + the escape's */
    uint32_t k;
} tset;

/* Adds weight w to the value p[0..n): BALE_UNSUPPORTED past the limit. */
static bale_err tset_add(tset *t, const uint8_t *p, uint64_t n, uint64_t w) {
    const size_t cap = sizeof t->slot / sizeof *t->slot;
    for (size_t h = (size_t)bale__hash64(p, (size_t)n, 0) & (cap - 1);; h = (h + 1) & (cap - 1)) {
        uint32_t e = t->slot[h];
        if (e == 0) {
            BALE_RETURN_IF(t->k == BALE_DTAB_MAX_VALUES, BALE_UNSUPPORTED);
            t->val[t->k] = (tvalue){p, n};
            t->freq[t->k] = w;
            t->slot[h] = (uint16_t)++t->k;
            return BALE_OK;
        }
        const tvalue *v = &t->val[e - 1];
        if (v->n == n && (n == 0 || memcmp(v->p, p, (size_t)n) == 0)) {
            t->freq[e - 1] += w;
            return BALE_OK;
        }
    }
}

/* Trains on `in`, and with `base` (a DICT table, or NULL) keeps every value
 * of the base too, weighted as its code length says it was, so that a
 * retrained table still codes what older chunks held. */
static bale_err train(const bale_values *in, const bale_symtab *base, unsigned shift,
                      bale_symtab **out) {
    BALE_RETURN_IF(in == NULL || out == NULL || !bale__is_var(in->dtype) ||
                       shift > BALE_STR_MAX_BLOCK_SHIFT,
                   BALE_INVALID);
    BALE_FORWARD_IF_ERROR(bale__values_check(in));
    BALE_RETURN_IF(in->count == 0, BALE_UNSUPPORTED);
    if (shift == 0) shift = BALE_DTAB_BLOCK_SHIFT;
    static const uint8_t no_bytes[1];
    const uint8_t *data = in->data ? (const uint8_t *)in->data : no_bytes; /* all empty */
    const uint64_t *off = in->offsets;
    tset *t = bale__tmp_calloc(1, sizeof *t);
    bale__buf bytes = {.tmp = 1}, stage = {.tmp = 1};
    bale_symtab *draft = NULL;
    bale_err err = BALE_NOMEM;
    if (t == NULL) goto done;
    if (base != NULL) {
        const bale__dtab *d = bale__symtab_dtab(base);
        for (uint32_t s = 0; s < d->k; s++) {
            /* A table read from bytes has only its code lengths to tell. */
            uint64_t st = value_start(d, s), w = d->counts ? d->counts[s] : in->count >> d->hlen[s];
            if ((err = tset_add(t, d->bytes + st, d->ends[s] - st, w ? w : 1)) != BALE_OK) goto done;
        }
    }
    for (uint64_t i = 0; i < in->count; i++)
        if ((err = tset_add(t, data + off[i], off[i + 1] - off[i], 1)) != BALE_OK) goto done;
    t->freq[t->k] = 1; /* the escape: rare, but every value must stay encodable */
    uint8_t hlen[BALE_DTAB_MAX_VALUES + 1];
    if ((err = bale__huff_lengths(t->freq, t->k + 1, BALE_DTAB_MAX_LEN, hlen)) != BALE_OK) goto done;
    /* The fit (stage bits per 1024 value bytes on this data) is measured
     * with a draft of the table, then written into the final one. */
    if ((err = table_bytes(t->val, t->k, hlen, shift, 0, &bytes)) != BALE_OK) goto done;
    if ((err = bale_symtab_from_bytes(bytes.data, bytes.size, &draft)) != BALE_OK) goto done;
    if ((err = bale__dtab_encode(in, draft, &stage)) != BALE_OK) goto done;
    uint64_t fit = in->data_size ? stage.size * 8 * 1024 / in->data_size : 0;
    if ((err = table_bytes(t->val, t->k, hlen, shift, fit > UINT32_MAX ? UINT32_MAX : (uint32_t)fit,
                           &bytes)) != BALE_OK)
        goto done;
    if ((err = bale_symtab_from_bytes(bytes.data, bytes.size, out)) != BALE_OK) goto done;
    /* The counts, for the next retrain (the table is new and ours alone). */
    bale__dtab *made = (bale__dtab *)bale__symtab_dtab(*out);
    made->counts = bale__malloc((size_t)t->k * sizeof *made->counts);
    if (made->counts == NULL) {
        bale_symtab_decref(*out);
        *out = NULL;
        err = BALE_NOMEM;
        goto done;
    }
    uint64_t most = 0;
    for (uint32_t s = 0; s < t->k; s++) most = t->freq[s] > most ? t->freq[s] : most;
    unsigned down = 0;
    while ((most >> down) > UINT16_MAX) down++;
    for (uint32_t s = 0; s < t->k; s++) {
        uint64_t c = t->freq[s] >> down;
        made->counts[s] = (uint16_t)(c ? c : 1);
    }
    made->nbytes += (uint64_t)t->k * sizeof *made->counts;
done:
    bale_symtab_decref(draft);
    bale__buf_free(&bytes);
    bale__buf_free(&stage);
    bale__free(t);
    return err;
}

bale_err bale__dtab_train(const bale_values *in, unsigned shift, bale_symtab **out) {
    return train(in, NULL, shift, out);
}

bale_err bale__dtab_retrain(const bale_values *in, const bale_symtab *base, bale_symtab **out) {
    BALE_RETURN_IF(base == NULL || bale__symtab_kind(base) != BALE_SYMTAB_KIND_DICT, BALE_INVALID);
    BALE_FORWARD_IF_ERROR(train(in, base, bale__symtab_shift(base), out));
    bale__symtab_set_generation(*out, bale__symtab_generation(base) + 1);
    return BALE_OK;
}

uint64_t bale__dtab_stage_escapes(const uint8_t *src, size_t n) {
    bale__reader r;
    bale__reader_init(&r, src, n);
    uint64_t marker = bale__reader_varint(&r);
    (void)bale__reader_take(&r, 5); /* shift, id */
    uint64_t nesc = bale__reader_varint(&r);
    return r.bad || marker != 0 ? 0 : nesc;
}
