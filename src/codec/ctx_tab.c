/*
 * ctx_tab.c - CTX tables (shared tables of kind 3) and the CTX encoding:
 * strings coded byte by byte with a Huffman code chosen by the two bytes
 * before (an order-2 context model).
 *
 * A 255-symbol FSST table is near its limit on short distinct strings in no
 * particular order (npm names shuffled: 12.0 B/name): its symbols capture
 * the bytes inside a symbol, not the dependence between them.  A code per
 * context of two bytes does: on the same names the order-2 entropy is 9.4
 * B/name, against 12.4 at order 0 (docs/design-strings.md, "CTX tables").
 * The model is a few hundred KB, so it lives in a table that a container's
 * chunks share, and only containers of many values switch to it.
 *
 * Symbols: bytes 0..255, CTX_END (256) ends a value, CTX_ESC (257) says
 * "the next symbol is coded by table 0".  A value's first context is two
 * zero bytes.  Table 0 is an order-0 code over the 257 byte and end symbols
 * (every one present), the fallback for contexts without a table of their
 * own; every context table either holds all 257 or has the escape, so any
 * value can be coded with any table.
 *
 * Table body, after the common header (docs/format.md):
 *   varint weight0       symbols table 0 was trained on
 *   u8     len0 x 257    table 0: code lengths of bytes 0..255 and END,
 *                        each 1..BALE_CTAB_MAX_LEN, Kraft sum <= 1
 *   varint nctx          context tables, 0..BALE_CTAB_MAX_CTX
 *   per context table, in increasing key order:
 *     u16    key         the two bytes before: previous << 0 | the one
 *                        before << 8
 *     varint weight      times the context was seen in training
 *     varint nsym        symbols it codes, 2..258
 *     varint x nsym      the symbols, increasing: the first as is, then
 *                        each as its distance to the previous minus one
 *     u8 x nsym          their code lengths, 1..BALE_CTAB_MAX_LEN, Kraft
 *                        sum <= 1; canonical codes in symbol order
 *
 * The weights let a retrain start from what the table learnt (its code
 * lengths as probabilities, times the weight) and add a new chunk's counts,
 * so that a container's model grows from several chunks.
 *
 * Stage (little-endian):
 *   u8     shift         log2 of the values per block, 1..10
 *   u64    id            the table's
 *   u8     sw            bytes per block size: 1, 2 or 4
 *   ...    sizes         each block's size in the body, adding up to it
 *   ...    body          per block, MSB-first: per value its symbols, END
 *                        last; zero bits pad each block to a byte
 */
#include "str_internal.h"

#define CTX_END 256u
#define CTX_ESC 257u
#define CTX_NSYM 258u /* bytes, END, ESC */
#define CTX_KEYS 65536u
/* The body of a serialized CTX table starts here (after the common header). */
#define CTAB_BODY_AT 20u

/* Decoding: each table has a primary lookup of up to CTX_PRIMARY_BITS bits;
 * codes longer than that go through a second lookup (a sub-table per
 * primary slot that needs one).  A full-width lookup per table would
 * repeat every short code 2^(11 - len) times: 1.2 MB for a model of npm
 * names, out of L2, against ~0.2 MB this way.
 *
 * A decode entry (u32; 0 = no code):
 *   a symbol: bits 0-8 the symbol, 9-12 the code bits to take at this level,
 *             13 DEC_LOOKUP (the table that follows is not known from this
 *             one: table 0 is used by many contexts), 14-29 the table of the
 *             context that follows it (so that a decode looks up no key)
 *   a link:   bit 31, bits 0-23 where its sub-table is, 24-27 its bits */
#define CTX_PRIMARY_BITS 7u
#define DEC_LINK 0x80000000u
#define DEC_LOOKUP 0x2000u
#define DEC_SYM(e) ((e)&511u)
#define DEC_LEN(e) ((e) >> 9 & 15u)
#define DEC_NEXT(e) ((e) >> 14 & 0xffffu)
#define DEC_SYMBOL(sym, len, next) ((uint32_t)(sym) | (uint32_t)(len) << 9 | (uint32_t)(next) << 14)
#define DEC_LINK_AT(e) ((e)&0xffffffu)
#define DEC_LINK_BITS(e) ((e) >> 24 & 15u)

struct bale__ctab {
    uint32_t ntab;    /* tables: 1 (table 0) + context tables */
    uint16_t *keys;   /* ntab - 1: the context of table t is keys[t - 1]; increasing */
    uint32_t *slots;  /* hash of the keys: (key + 1) << 16 | table; 0 = empty */
    uint32_t mask;    /* slots - 1, slots a power of two >= 2 (ntab - 1) */
    uint32_t *dec_at; /* ntab: where the table's primary lookup is << 4 | its bits */
    uint32_t *dec;    /* decode entries (DEC_*) */
    uint64_t nbytes;  /* requested bytes of the five allocations */
};

void bale__ctab_free(bale__ctab *c) {
    if (c == NULL) return;
    bale__free(c->keys);
    bale__free(c->slots);
    bale__free(c->dec_at);
    bale__free(c->dec);
    bale__free(c);
}

uint64_t bale__ctab_nbytes(const bale__ctab *c) { return c ? c->nbytes : 0; }

static inline uint32_t slot_of(uint32_t key, uint32_t mask) { return (key * 0x9e3779b1u >> 16) & mask; }

/* The table of context `key`: its own, or table 0. */
static inline uint32_t table_of(const bale__ctab *c, uint32_t key) {
    for (uint32_t h = slot_of(key, c->mask);; h = (h + 1) & c->mask) {
        uint32_t e = c->slots[h];
        if (e == 0) return 0;
        if (e >> 16 == key + 1) return e & 0xffffu;
    }
}

/* Checks lengths len[0..n) (each 1..MAX_LEN, Kraft sum <= 1); their
 * longest, or 0 when they do not form a code. */
static unsigned check_lengths(const uint8_t *len, unsigned n) {
    uint64_t kraft = 0;
    unsigned longest = 0;
    for (unsigned s = 0; s < n; s++) {
        if (len[s] == 0 || len[s] > BALE_CTAB_MAX_LEN) return 0;
        kraft += (uint64_t)1 << (BALE_CTAB_MAX_LEN - len[s]);
        if (len[s] > longest) longest = len[s];
    }
    return kraft <= ((uint64_t)1 << BALE_CTAB_MAX_LEN) ? longest : 0;
}

/* One context table as serialized, read and checked. */
typedef struct ctx_desc {
    uint32_t key;
    uint64_t weight;
    unsigned nsym, bits; /* bits: the longest code */
    uint16_t sym[CTX_NSYM];
    const uint8_t *len;
} ctx_desc;

static bale_err read_desc(bale__reader *r, ctx_desc *d) {
    d->key = bale__reader_u16(r);
    d->weight = bale__reader_varint(r);
    uint64_t nsym = bale__reader_varint(r);
    BALE_RETURN_IF(r->bad || nsym < 2 || nsym > CTX_NSYM, BALE_CORRUPT);
    d->nsym = (unsigned)nsym;
    uint64_t s = 0;
    int esc = 0;
    for (unsigned k = 0; k < d->nsym; k++) {
        uint64_t x = bale__reader_varint(r);
        BALE_RETURN_IF(r->bad || x >= CTX_NSYM, BALE_CORRUPT);
        s = k == 0 ? x : s + x + 1;
        BALE_RETURN_IF(s >= CTX_NSYM, BALE_CORRUPT);
        d->sym[k] = (uint16_t)s;
        esc |= s == CTX_ESC;
    }
    /* every symbol codable: all 257, or the escape to table 0 */
    BALE_RETURN_IF(!esc && d->nsym != CTX_END + 1, BALE_CORRUPT);
    d->len = bale__reader_take(r, d->nsym);
    BALE_RETURN_IF(d->len == NULL, BALE_CORRUPT);
    d->bits = check_lengths(d->len, d->nsym);
    BALE_RETURN_IF(d->bits == 0, BALE_CORRUPT);
    return BALE_OK;
}

/* Reads the head of a body: table 0's weight and lengths, the count of
 * context tables. */
static bale_err read_head(bale__reader *r, uint64_t *weight0, const uint8_t **len0,
                          unsigned *bits0, uint64_t *nctx) {
    *weight0 = bale__reader_varint(r);
    *len0 = bale__reader_take(r, CTX_END + 1);
    *nctx = bale__reader_varint(r);
    BALE_RETURN_IF(r->bad || *nctx > BALE_CTAB_MAX_CTX, BALE_CORRUPT);
    *bits0 = check_lengths(*len0, CTX_END + 1);
    BALE_RETURN_IF(*bits0 == 0, BALE_CORRUPT);
    return BALE_OK;
}

/* Decode entries a table needs: its primary lookup, and a sub-table for
 * each primary slot with longer codes, as wide as the longest of them.
 * `sub` (1 << CTX_PRIMARY_BITS) gets each slot's sub-table bits, 0 none. */
static uint32_t table_entries(const uint8_t *len, const uint32_t *codes, unsigned n, unsigned bits,
                              uint8_t *sub) {
    unsigned p = bits < CTX_PRIMARY_BITS ? bits : CTX_PRIMARY_BITS;
    memset(sub, 0, (size_t)1 << p);
    for (unsigned k = 0; k < n; k++) {
        if (len[k] <= p) continue;
        uint32_t slot = codes[k] >> (len[k] - p);
        if (len[k] - p > sub[slot]) sub[slot] = (uint8_t)(len[k] - p);
    }
    uint32_t total = 1u << p;
    for (uint32_t x = 0; x < (1u << p); x++) total += sub[x] ? 1u << sub[x] : 0;
    return total;
}

/* Fills table t's decode entries at dec + at from the symbols sym[0..n)
 * with lengths len (longest: bits): a canonical code in symbol order.  The
 * keys must be complete: entries of a context table (key's) name the table
 * of the context after each byte.  Returns the entries used. */
static uint32_t fill_table(bale__ctab *c, uint32_t t, uint32_t key, const uint16_t *sym,
                           const uint8_t *len, unsigned n, unsigned bits, uint32_t at) {
    uint32_t codes[CTX_NSYM];
    uint8_t sub[1u << CTX_PRIMARY_BITS];
    bale__huff_codes(len, n, codes);
    uint32_t used = table_entries(len, codes, n, bits, sub);
    unsigned p = bits < CTX_PRIMARY_BITS ? bits : CTX_PRIMARY_BITS;
    c->dec_at[t] = at << 4 | p;
    uint32_t sub_at = at + (1u << p);
    for (uint32_t x = 0; x < (1u << p); x++) {
        if (!sub[x]) continue;
        c->dec[at + x] = DEC_LINK | (uint32_t)sub[x] << 24 | sub_at;
        sub_at += 1u << sub[x];
    }
    for (unsigned k = 0; k < n; k++) {
        uint32_t next = t == 0 || sym[k] >= CTX_END ? 0 : table_of(c, (key << 8 | sym[k]) & 0xffffu);
        uint32_t flag = t == 0 || sym[k] >= CTX_END ? DEC_LOOKUP : 0;
        if (len[k] <= p) {
            uint32_t e = DEC_SYMBOL(sym[k], len[k], next) | flag;
            uint32_t first = codes[k] << (p - len[k]);
            for (uint32_t x = 0; x < (1u << (p - len[k])); x++) c->dec[at + first + x] = e;
        } else {
            unsigned rest = len[k] - p;
            uint32_t link = c->dec[at + (codes[k] >> rest)];
            unsigned sb = DEC_LINK_BITS(link);
            uint32_t e = DEC_SYMBOL(sym[k], rest, next) | flag;
            uint32_t first = (codes[k] & ((1u << rest) - 1)) << (sb - rest);
            for (uint32_t x = 0; x < (1u << (sb - rest)); x++) c->dec[DEC_LINK_AT(link) + first + x] = e;
        }
    }
    return used;
}

bale_err bale__ctab_parse(bale__reader *r, bale__ctab **out) {
    uint64_t weight0, nctx;
    const uint8_t *len0;
    unsigned bits0;
    BALE_FORWARD_IF_ERROR(read_head(r, &weight0, &len0, &bits0, &nctx));
    /* First pass: check every table and size the decode entries. */
    const uint8_t *start = r->p;
    uint32_t codes[CTX_NSYM];
    uint8_t sub[1u << CTX_PRIMARY_BITS];
    bale__huff_codes(len0, CTX_END + 1, codes);
    uint64_t ndec = table_entries(len0, codes, CTX_END + 1, bits0, sub);
    ctx_desc d;
    uint32_t prev_key = 0;
    for (uint64_t j = 0; j < nctx; j++) {
        BALE_FORWARD_IF_ERROR(read_desc(r, &d));
        BALE_RETURN_IF(j > 0 && d.key <= prev_key, BALE_CORRUPT);
        prev_key = d.key;
        bale__huff_codes(d.len, d.nsym, codes);
        ndec += table_entries(d.len, codes, d.nsym, d.bits, sub); /* <= 2^11 each: < 2^24 in all */
    }
    BALE_RETURN_IF(bale__reader_left(r) != 0, BALE_CORRUPT);
    /* Second pass: build, the keys first (entries name the tables that
     * follow them). */
    bale__ctab *c = bale__calloc(1, sizeof *c);
    BALE_RETURN_IF(c == NULL, BALE_NOMEM);
    c->ntab = (uint32_t)nctx + 1;
    uint32_t nslots = 2;
    while (nslots < 2 * nctx) nslots <<= 1;
    c->mask = nslots - 1;
    c->keys = bale__malloc((size_t)nctx * sizeof *c->keys + 1);
    c->slots = bale__calloc(nslots, sizeof *c->slots);
    c->dec_at = bale__malloc((size_t)c->ntab * sizeof *c->dec_at);
    c->dec = bale__calloc((size_t)ndec, sizeof *c->dec);
    if (c->keys == NULL || c->slots == NULL || c->dec_at == NULL || c->dec == NULL) {
        bale__ctab_free(c);
        return BALE_NOMEM;
    }
    bale__reader q;
    bale__reader_init(&q, start, (size_t)(r->end - start));
    for (uint32_t t = 1; t < c->ntab; t++) {
        (void)read_desc(&q, &d); /* checked above */
        c->keys[t - 1] = (uint16_t)d.key;
        uint32_t h = slot_of(d.key, c->mask);
        while (c->slots[h] != 0) h = (h + 1) & c->mask;
        c->slots[h] = (d.key + 1) << 16 | t;
    }
    uint16_t sym[CTX_END + 1];
    for (unsigned x = 0; x <= CTX_END; x++) sym[x] = (uint16_t)x;
    uint32_t at = fill_table(c, 0, 0, sym, len0, CTX_END + 1, bits0, 0);
    bale__reader_init(&q, start, (size_t)(r->end - start));
    for (uint32_t t = 1; t < c->ntab; t++) {
        (void)read_desc(&q, &d);
        at += fill_table(c, t, d.key, d.sym, d.len, d.nsym, d.bits, at);
    }
    c->nbytes = sizeof *c + (uint64_t)nctx * sizeof *c->keys + 1 + (uint64_t)nslots * sizeof *c->slots +
                (uint64_t)c->ntab * sizeof *c->dec_at + ndec * sizeof *c->dec;
    *out = c;
    return BALE_OK;
}

/* What an encode needs, built from the decode tables for the encode and
 * dropped after it (the tables stay small): a map from every context key to
 * its table, and each table's code per symbol. */
typedef struct ctx_enc {
    uint16_t *map; /* CTX_KEYS: table of each context */
    uint16_t *code; /* ntab x CTX_NSYM: code length << 11 | code; 0 = none */
} ctx_enc;

static void enc_free(ctx_enc *e) {
    bale__free(e->map);
    bale__free(e->code);
}

static bale_err enc_build(const bale_symtab *tab, ctx_enc *e) {
    const bale__ctab *c = bale__symtab_ctab(tab);
    e->map = bale__tmp_calloc(CTX_KEYS, sizeof *e->map);
    e->code = bale__tmp_calloc((size_t)c->ntab * CTX_NSYM, sizeof *e->code);
    if (e->map == NULL || e->code == NULL) {
        enc_free(e);
        return BALE_NOMEM;
    }
    size_t n;
    const uint8_t *b = bale_symtab_bytes(tab, &n);
    bale__reader r;
    bale__reader_init(&r, b + CTAB_BODY_AT, n - CTAB_BODY_AT); /* parsed when loaded */
    uint64_t weight0, nctx;
    const uint8_t *len0;
    unsigned bits0;
    (void)read_head(&r, &weight0, &len0, &bits0, &nctx);
    uint32_t codes[CTX_NSYM];
    bale__huff_codes(len0, CTX_END + 1, codes);
    for (unsigned x = 0; x <= CTX_END; x++) e->code[x] = (uint16_t)(len0[x] << 11 | codes[x]);
    ctx_desc d;
    for (uint32_t t = 1; t < c->ntab; t++) {
        (void)read_desc(&r, &d);
        e->map[d.key] = (uint16_t)t;
        bale__huff_codes(d.len, d.nsym, codes);
        for (unsigned k = 0; k < d.nsym; k++)
            e->code[(size_t)t * CTX_NSYM + d.sym[k]] = (uint16_t)(d.len[k] << 11 | codes[k]);
    }
    return BALE_OK;
}

/* ---- encode --------------------------------------------------------------- */

/* Puts symbol s in context table t (through the escape when t lacks it). */
static inline bale_err put_sym(const ctx_enc *c, bale__bitw *bw, uint32_t t, unsigned s) {
    uint16_t e = c->code[(size_t)t * CTX_NSYM + s];
    if (BALE_UNLIKELY(e == 0)) {
        uint16_t x = c->code[(size_t)t * CTX_NSYM + CTX_ESC]; /* present: parse checked */
        BALE_FORWARD_IF_ERROR(bale__bitw_put(bw, x & 0x7ffu, x >> 11));
        e = c->code[s];
    }
    return bale__bitw_put(bw, e & 0x7ffu, e >> 11);
}

bale_err bale__ctab_encode(const bale_values *in, const bale_symtab *tab, bale__buf *out) {
    BALE_RETURN_IF(!bale__is_var(in->dtype) || in->count == 0 || tab == NULL ||
                       bale__symtab_kind(tab) != BALE_SYMTAB_KIND_CTX,
                   BALE_UNSUPPORTED);
    ctx_enc ce;
    BALE_FORWARD_IF_ERROR(enc_build(tab, &ce));
    const ctx_enc *c = &ce;
    const uint8_t *data = in->data;
    const uint64_t *off = in->offsets;
    uint64_t count = in->count;
    unsigned shift = bale__symtab_shift(tab);
    uint64_t bsize = (uint64_t)1 << shift, nblocks = bale__str_nblocks(count, shift);
    uint64_t *bend = bale__tmp_malloc((size_t)nblocks * sizeof *bend);
    bale__buf body = {.tmp = 1};
    bale_err err = BALE_NOMEM;
    if (bend == NULL) goto done;
    /* At most two codes a symbol, a pad byte a block. */
    size_t need = (size_t)(((in->data_size + count) * 2 * BALE_CTAB_MAX_LEN + 7) / 8 + nblocks);
    if ((err = bale__buf_reserve(&body, need)) != BALE_OK) goto done;
    bale__bitw bw = {&body, 0, 0};
    for (uint64_t b = 0; b < nblocks; b++) {
        uint64_t hi = (b + 1) * bsize < count ? (b + 1) * bsize : count;
        for (uint64_t i = b * bsize; i < hi; i++) {
            uint32_t key = 0;
            for (uint64_t x = off[i]; x < off[i + 1]; x++) {
                if ((err = put_sym(c, &bw, c->map[key], data[x])) != BALE_OK) goto done;
                key = (key << 8 | data[x]) & 0xffffu;
            }
            if ((err = put_sym(c, &bw, c->map[key], CTX_END)) != BALE_OK) goto done;
        }
        if ((err = bale__bitw_flush(&bw)) != BALE_OK) goto done;
        bend[b] = body.size;
    }
    uint64_t biggest = 0;
    for (uint64_t b = 0; b < nblocks; b++) {
        uint64_t size = bend[b] - (b ? bend[b - 1] : 0);
        if (size > biggest) biggest = size;
    }
    unsigned sw = biggest <= 0xff ? 1 : biggest <= 0xffff ? 2 : 4;
    if (biggest > UINT32_MAX) {
        err = BALE_RANGE;
        goto done;
    }
    if ((err = bale__buf_reserve(out, 1 + 8 + 1 + (size_t)nblocks * sw + body.size)) != BALE_OK)
        goto done;
    /* Nothing below can fail: room was reserved. */
    uint64_t id = bale_symtab_id(tab);
    (void)bale__buf_put_u8(out, (uint8_t)shift);
    (void)bale__buf_append(out, &id, 8);
    (void)bale__buf_put_u8(out, (uint8_t)sw);
    for (uint64_t b = 0; b < nblocks; b++)
        (void)bale__str_put_uint(out, bend[b] - (b ? bend[b - 1] : 0), sw);
    (void)bale__buf_append(out, body.data, body.size);
    err = BALE_OK;
done:
    bale__free(bend);
    bale__buf_free(&body);
    enc_free(&ce);
    return err;
}

/* ---- decode --------------------------------------------------------------- */

typedef struct cview {
    const bale__ctab *c;
    unsigned shift, sw;
    uint64_t nblocks, body_size;
    const uint8_t *sizes, *body;
} cview;

/* The sizes of blocks 0..b-1 added up (nblocks * 2^32 at most: no
 * overflow).  One byte a block is the common case (blocks of 16 names). */
static uint64_t sizes_sum(const cview *v, uint64_t b) {
    uint64_t sum = 0;
    if (v->sw == 1) {
        for (uint64_t x = 0; x < b; x++) sum += v->sizes[x];
    } else {
        for (uint64_t x = 0; x < b; x++) sum += bale__str_load_uint(v->sizes + x * v->sw, v->sw);
    }
    return sum;
}

/* Parses and checks the stage's frame; with `whole`, that the block sizes
 * add up to the body (a get checks only its block's span). */
static bale_err view_parse(const bale_symtab *tab, uint64_t count, const uint8_t *src, size_t n,
                           int whole, cview *v) {
    bale__reader r;
    bale__reader_init(&r, src, n);
    v->shift = bale__reader_u8(&r);
    uint64_t id = bale__reader_u64(&r);
    v->sw = bale__reader_u8(&r);
    BALE_RETURN_IF(r.bad || count == 0 || v->shift < 1 || v->shift > BALE_STR_MAX_BLOCK_SHIFT ||
                       (v->sw != 1 && v->sw != 2 && v->sw != 4) || tab == NULL ||
                       bale__symtab_kind(tab) != BALE_SYMTAB_KIND_CTX || id != bale_symtab_id(tab),
                   BALE_CORRUPT);
    v->c = bale__symtab_ctab(tab);
    v->nblocks = bale__str_nblocks(count, v->shift);
    BALE_RETURN_IF(v->nblocks > bale__reader_left(&r) / v->sw, BALE_CORRUPT);
    v->sizes = bale__reader_take(&r, (size_t)v->nblocks * v->sw);
    v->body = r.p;
    v->body_size = bale__reader_left(&r);
    BALE_RETURN_IF(whole && sizes_sum(v, v->nblocks) != v->body_size, BALE_CORRUPT);
    return BALE_OK;
}

/* The entry of the next code in the table at `at` (its dec_at), its bits
 * taken; 0 for a code no table has. */
static inline uint32_t lookup(const uint32_t *dec, uint32_t at, bale__bitr *br) {
    unsigned p = at & 15u;
    uint32_t e = dec[(at >> 4) + (uint32_t)(br->buf >> (64 - p))];
    if (BALE_UNLIKELY(e & DEC_LINK)) {
        (void)bale__bitr_take(br, p);
        e = dec[DEC_LINK_AT(e) + (uint32_t)(br->buf >> (64 - DEC_LINK_BITS(e)))];
    }
    if (BALE_UNLIKELY(e == 0)) return 0; /* (an incomplete code's empty slot) */
    (void)bale__bitr_take(br, DEC_LEN(e));
    return e;
}

/* The next symbol, coded by table t: its decode entry with an escape
 * resolved (DEC_SYM is a byte or CTX_END), or 0 for bits no table has. */
static inline uint32_t next_symbol(const bale__ctab *c, bale__bitr *br, uint32_t t) {
    bale__bitr_refill(br); /* two lookups of two levels: 2 x 11 bits < 56 */
    uint32_t e = lookup(c->dec, c->dec_at[t], br);
    if (BALE_UNLIKELY(DEC_SYM(e) == CTX_ESC)) e = lookup(c->dec, c->dec_at[0], br);
    return e;
}

/* The table of the context after byte entry e; *key is the two bytes before. */
static inline uint32_t next_table(const bale__ctab *c, uint32_t e, uint32_t *key) {
    *key = (*key << 8 | DEC_SYM(e)) & 0xffffu;
    return e & DEC_LOOKUP ? table_of(c, *key) : DEC_NEXT(e);
}

/* The table of a value's first context (two zero bytes: key 0, the least). */
static inline uint32_t start_table(const bale__ctab *c) { return c->ntab > 1 && c->keys[0] == 0; }

/* Decodes one value into dst[0..cap) (NULL: skips it, cap bounds its
 * length); its length, or UINT64_MAX when the bits are bad or it does not
 * fit.  Reads past the block as zero bits; every symbol takes a bit at
 * least, so a value is checked against the block's bits once, at its end. */
static inline uint64_t next_value(const bale__ctab *c, bale__bitr *br, uint8_t *dst, uint64_t cap) {
    uint32_t key = 0, t = start_table(c);
    for (uint64_t n = 0;; n++) {
        uint32_t e = next_symbol(c, br, t);
        if (BALE_UNLIKELY(e == 0)) return UINT64_MAX;
        if (BALE_UNLIKELY(DEC_SYM(e) == CTX_END)) return br->used > br->avail ? UINT64_MAX : n;
        if (n >= cap) return UINT64_MAX;
        if (dst) dst[n] = (uint8_t)DEC_SYM(e);
        t = next_table(c, e, &key);
    }
}

/* After a block's last value: it ends exactly at its size, zero-padded. */
static int block_ends(const bale__bitr *br, const uint8_t *block, uint64_t size) {
    if (br->used > br->avail || (br->used + 7) / 8 != size) return 0;
    unsigned pad = (unsigned)((8 - (br->used & 7)) & 7);
    return !pad || !(block[size - 1] & ((1u << pad) - 1));
}

/* One block being decoded by bale__ctab_decode: its bits, the context so
 * far, and where its values go (offsets are dst - base). */
typedef struct lane {
    bale__bitr br;
    uint32_t key, t;
    uint8_t *dst, *lim, *base;
    uint64_t *offs; /* the current value's end offset goes here */
    uint64_t left;  /* values left in the block, the current one included */
} lane;

static void lane_init(lane *L, const uint8_t *block, uint64_t size, uint32_t t0, uint8_t *base,
                      uint8_t *dst, uint64_t room, uint64_t *offs, uint64_t values) {
    bale__bitr_init(&L->br, block, block + size);
    L->key = 0;
    L->t = t0;
    L->base = base;
    L->dst = dst;
    L->lim = dst + room;
    L->offs = offs;
    L->left = values;
}

/* Decodes the next symbol of L, as next_value does: 1 while its block has
 * values left, 0 once its last value ended, -1 on bad bits or no room. */
static inline __attribute__((always_inline)) int lane_step(const bale__ctab *c, uint32_t t0,
                                                           lane *L) {
    uint32_t e = next_symbol(c, &L->br, L->t);
    if (BALE_UNLIKELY(e == 0)) return -1;
    if (BALE_UNLIKELY(DEC_SYM(e) == CTX_END)) {
        if (L->br.used > L->br.avail) return -1;
        *L->offs++ = (uint64_t)(L->dst - L->base);
        L->key = 0;
        L->t = t0;
        return --L->left != 0;
    }
    if (BALE_UNLIKELY(L->dst == L->lim)) return -1;
    *L->dst++ = (uint8_t)DEC_SYM(e);
    L->t = next_table(c, e, &L->key);
    return 1;
}

bale_err bale__ctab_decode(const bale_symtab *tab, bale_dtype dtype, uint64_t count,
                           const uint8_t *src, size_t n, uint64_t data_size, bale_values *out) {
    cview v;
    BALE_FORWARD_IF_ERROR(view_parse(tab, count, src, n, 1, &v));
    const bale__ctab *c = v.c;
    const uint32_t t0 = start_table(c);
    uint64_t maxsize = 0;
    for (uint64_t b = 1; b < v.nblocks; b += 2) {
        uint64_t size = bale__str_load_uint(v.sizes + b * v.sw, v.sw);
        if (size > maxsize) maxsize = size;
    }
    uint64_t spare_room = maxsize < data_size / 8 ? maxsize * 8 : data_size;
    uint8_t small[4096];
    uint8_t *spare = spare_room <= sizeof small ? small : bale__tmp_malloc((size_t)spare_room);
    BALE_RETURN_IF(spare == NULL, BALE_NOMEM);
    bale_values r = {0};
    bale_err err = bale__values_alloc(&r, dtype, count, data_size);
    if (err != BALE_OK) goto done;
    err = BALE_CORRUPT;
    uint8_t *data = r.data;
    uint64_t bsize = (uint64_t)1 << v.shift, pos = 0, start = 0, i = 0;
    for (uint64_t b = 0; b < v.nblocks; b += 2) {
        uint64_t size_a = bale__str_load_uint(v.sizes + b * v.sw, v.sw);
        uint64_t na = count - i < bsize ? count - i : bsize;
        lane a, z = {0};
        lane_init(&a, v.body + start, size_a, t0, data, data + pos, data_size - pos,
                  r.offsets + i + 1, na);
        int ra = 1, rz = b + 1 < v.nblocks;
        uint64_t size_z = 0, nz = 0;
        if (rz) {
            size_z = bale__str_load_uint(v.sizes + (b + 1) * v.sw, v.sw);
            nz = count - i - na < bsize ? count - i - na : bsize;
            lane_init(&z, v.body + start + size_a, size_z, t0, spare, spare, spare_room,
                      r.offsets + i + na + 1, nz);
        }
        while (ra > 0 && rz > 0) {
            ra = lane_step(c, t0, &a);
            rz = lane_step(c, t0, &z);
        }
        while (ra > 0) ra = lane_step(c, t0, &a);
        if (ra < 0 || !block_ends(&a.br, v.body + start, size_a)) goto done;
        pos = (uint64_t)(a.dst - data);
        start += size_a;
        i += na;
        if (b + 1 < v.nblocks) {
            while (rz > 0) rz = lane_step(c, t0, &z);
            if (rz < 0 || !block_ends(&z.br, v.body + start, size_z)) goto done;
            uint64_t len = (uint64_t)(z.dst - spare);
            if (len > data_size - pos) goto done;
            if (len) memcpy(data + pos, spare, (size_t)len);
            for (uint64_t k = i + 1; k <= i + nz; k++) r.offsets[k] += pos;
            pos += len;
            start += size_z;
            i += nz;
        }
    }
    if (pos == data_size) err = BALE_OK;
done:
    if (spare != small) bale__free(spare);
    if (err == BALE_OK) *out = r;
    else bale_values_free(&r);
    return err;
}

bale_err bale__ctab_get(const bale_symtab *tab, bale_dtype dtype, uint64_t count,
                        const uint8_t *src, size_t n, uint64_t index, bale_values *out) {
    BALE_RETURN_IF(index >= count, BALE_RANGE);
    cview v;
    BALE_FORWARD_IF_ERROR(view_parse(tab, count, src, n, 0, &v));
    uint64_t b = index >> v.shift, start = sizes_sum(&v, b);
    uint64_t size = bale__str_load_uint(v.sizes + b * v.sw, v.sw);
    BALE_RETURN_IF(start > v.body_size || size > v.body_size - start, BALE_CORRUPT);
    bale__bitr br;
    bale__bitr_init(&br, v.body + start, v.body + start + size);
    for (uint64_t i = b << v.shift; i < index; i++)
        BALE_RETURN_IF(next_value(v.c, &br, NULL, br.avail - br.used) == UINT64_MAX, BALE_CORRUPT);
    /* Each symbol takes a bit at least: the value has fewer bytes than the
     * block has bits left. */
    uint64_t cap = br.avail - br.used;
    uint8_t small[256];
    uint8_t *buf = cap <= sizeof small ? small : bale__tmp_malloc((size_t)cap);
    BALE_RETURN_IF(buf == NULL, BALE_NOMEM);
    uint64_t l = next_value(v.c, &br, buf, cap);
    bale_err err = l == UINT64_MAX ? BALE_CORRUPT : bale__values_alloc(out, dtype, 1, l);
    if (err == BALE_OK) {
        if (l) memcpy(out->data, buf, (size_t)l);
        out->offsets[1] = l;
    }
    if (buf != small) bale__free(buf);
    return err;
}

/* ---- training ------------------------------------------------------------- */

/* A model being trained: counts per context key and per (table, symbol). */
typedef struct ctx_counts {
    uint64_t seen[CTX_KEYS]; /* times each context occurred (with base weights) */
    uint64_t total;          /* symbols (table 0's weight) */
} ctx_counts;

/* The table's bytes: header (fit as given, id computed), then the body.
 * Context table j has key keys[j], weight weights[j] and lengths len[j]
 * (0: symbol absent); table 0 has len0 and weight0. */
static bale_err table_bytes(uint64_t weight0, const uint8_t *len0, uint32_t nctx,
                            const uint32_t *keys, const uint64_t *weights,
                            const uint8_t (*len)[CTX_NSYM], unsigned shift, uint32_t fit,
                            bale__buf *out) {
    BALE_FORWARD_IF_ERROR(bale__symtab_bytes_start(out, BALE_SYMTAB_KIND_CTX, 0, shift,
                                                   BALE_CTAB_BLOCK_SHIFT, fit));
    BALE_FORWARD_IF_ERROR(bale__buf_put_varint(out, weight0));
    BALE_FORWARD_IF_ERROR(bale__buf_append(out, len0, CTX_END + 1));
    BALE_FORWARD_IF_ERROR(bale__buf_put_varint(out, nctx));
    for (uint32_t j = 0; j < nctx; j++) {
        uint8_t key[2] = {(uint8_t)keys[j], (uint8_t)(keys[j] >> 8)};
        BALE_FORWARD_IF_ERROR(bale__buf_append(out, key, 2));
        BALE_FORWARD_IF_ERROR(bale__buf_put_varint(out, weights[j]));
        unsigned nsym = 0, prev = 0;
        for (unsigned x = 0; x < CTX_NSYM; x++) nsym += len[j][x] != 0;
        BALE_FORWARD_IF_ERROR(bale__buf_put_varint(out, nsym));
        for (unsigned x = 0, k = 0; x < CTX_NSYM; x++) {
            if (!len[j][x]) continue;
            BALE_FORWARD_IF_ERROR(bale__buf_put_varint(out, k++ == 0 ? x : x - prev - 1));
            prev = x;
        }
        for (unsigned x = 0; x < CTX_NSYM; x++)
            if (len[j][x]) BALE_FORWARD_IF_ERROR(bale__buf_put_u8(out, len[j][x]));
    }
    bale__symtab_bytes_finish(out);
    return BALE_OK;
}

/* Contexts seen fewer times than this in the training data get no table of
 * their own (they code through table 0): a table costs its bytes and its
 * decode entries, and a rare context's statistics are noise.  (npm names
 * shuffled, one 64 KiB chunk of training: 20 -> 466 tables, 10.3 B/name of
 * codes on other names; docs/design-strings.md.) */
#define CTAB_MIN_CONTEXT 20u
/* Training reads at most this many value bytes (the first values). */
#define CTAB_TRAIN_BYTES (1u << 20)
/* Weights of a base table count at most this much (tables come from
 * outside too): a model of 2^40 symbols is more than any container has. */
#define CTAB_MAX_WEIGHT ((uint64_t)1 << 40)

/* A symbol's estimated count in a table trained on `weight` symbols of its
 * context that gave it a code of `len` bits; at least 1, so a retrained
 * table keeps what the base could code. */
static uint64_t estimate(uint64_t weight, unsigned len) {
    uint64_t n = weight >> len;
    return n ? n : 1;
}

/* Trains on `in`, starting from `base` (a CTX table, or NULL): its weights
 * and code lengths stand for the data it was trained on. */
static bale_err train(const bale_values *in, const bale_symtab *base, unsigned shift,
                      bale_symtab **out) {
    BALE_RETURN_IF(in == NULL || out == NULL || !bale__is_var(in->dtype) ||
                       shift > BALE_STR_MAX_BLOCK_SHIFT,
                   BALE_INVALID);
    BALE_FORWARD_IF_ERROR(bale__values_check(in));
    BALE_RETURN_IF(in->count == 0, BALE_UNSUPPORTED);
    if (shift == 0) shift = BALE_CTAB_BLOCK_SHIFT;
    const uint8_t *data = in->data;
    const uint64_t *off = in->offsets;
    uint64_t n = 0; /* values trained on */
    while (n < in->count && off[n + 1] <= CTAB_TRAIN_BYTES) n++;
    if (n == 0) n = 1;
    ctx_counts *cc = bale__tmp_calloc(1, sizeof *cc);
    uint16_t *tab_of = bale__tmp_calloc(CTX_KEYS, sizeof *tab_of); /* key -> 1 + j */
    uint32_t *keys = bale__tmp_malloc(BALE_CTAB_MAX_CTX * sizeof *keys);
    uint64_t *weights = bale__tmp_malloc(BALE_CTAB_MAX_CTX * sizeof *weights);
    uint64_t (*cnt)[CTX_NSYM] = NULL;
    uint8_t (*len)[CTX_NSYM] = NULL;
    bale__buf bytes = {.tmp = 1}, stage = {.tmp = 1};
    bale_symtab *draft = NULL;
    bale_err err = BALE_NOMEM;
    if (cc == NULL || tab_of == NULL || keys == NULL || weights == NULL) goto done;
    /* How often each context occurs: the data's, plus the base's weights. */
    for (uint64_t i = 0; i < n; i++) {
        uint32_t key = 0;
        for (uint64_t x = off[i]; x < off[i + 1]; x++) {
            cc->seen[key]++;
            key = (key << 8 | data[x]) & 0xffffu;
        }
        cc->seen[key]++;
        cc->total += off[i + 1] - off[i] + 1;
    }
    bale__reader br;
    uint64_t bweight0 = 0, bnctx = 0;
    const uint8_t *blen0 = NULL;
    unsigned bbits0;
    ctx_desc d;
    if (base != NULL) {
        size_t bn;
        const uint8_t *bb = bale_symtab_bytes(base, &bn);
        bale__reader_init(&br, bb + CTAB_BODY_AT, bn - CTAB_BODY_AT); /* parsed when loaded */
        (void)read_head(&br, &bweight0, &blen0, &bbits0, &bnctx);
        if (bweight0 > CTAB_MAX_WEIGHT) bweight0 = CTAB_MAX_WEIGHT;
        const uint8_t *first = br.p;
        for (uint64_t j = 0; j < bnctx; j++) {
            (void)read_desc(&br, &d);
            cc->seen[d.key] += d.weight < CTAB_MAX_WEIGHT ? d.weight : CTAB_MAX_WEIGHT;
        }
        br.p = first;
    }
    /* The contexts with a table: the most used, at least CTAB_MIN_CONTEXT
     * (at most 4096 reach 2^42: the base's, each under 2^40 + 2^41). */
    uint64_t floor = CTAB_MIN_CONTEXT;
    uint32_t nctx;
    for (;; floor *= 2) {
        nctx = 0;
        for (uint32_t k = 0; k < CTX_KEYS; k++) nctx += cc->seen[k] >= floor;
        if (nctx <= BALE_CTAB_MAX_CTX) break;
    }
    nctx = 0;
    for (uint32_t k = 0; k < CTX_KEYS; k++) {
        if (cc->seen[k] < floor) continue;
        keys[nctx] = k;
        weights[nctx] = cc->seen[k];
        tab_of[k] = (uint16_t)++nctx;
    }
    cnt = bale__tmp_calloc((size_t)nctx + 1, sizeof *cnt); /* [nctx]: table 0 */
    len = bale__tmp_calloc((size_t)nctx + 1, sizeof *len);
    if (cnt == NULL || len == NULL) goto done;
    for (uint64_t i = 0; i < n; i++) {
        uint32_t key = 0;
        for (uint64_t x = off[i]; x <= off[i + 1]; x++) {
            unsigned sy = x < off[i + 1] ? data[x] : CTX_END;
            if (tab_of[key]) cnt[tab_of[key] - 1][sy]++;
            cnt[nctx][sy]++;
            if (sy != CTX_END) key = (key << 8 | sy) & 0xffffu;
        }
    }
    if (base != NULL) {
        for (unsigned x = 0; x <= CTX_END; x++) cnt[nctx][x] += estimate(bweight0, blen0[x]);
        for (uint64_t j = 0; j < bnctx; j++) {
            (void)read_desc(&br, &d);
            uint32_t t = tab_of[d.key];
            if (t == 0) continue; /* too rare now: table 0 covers it */
            for (unsigned k = 0; k < d.nsym; k++)
                if (d.sym[k] != CTX_ESC)
                    cnt[t - 1][d.sym[k]] += estimate(d.weight < CTAB_MAX_WEIGHT ? d.weight : CTAB_MAX_WEIGHT,
                                                     d.len[k]);
        }
    }
    uint64_t weight0 = cc->total + bweight0;
    uint64_t freq[CTX_NSYM];
    for (unsigned x = 0; x <= CTX_END; x++) freq[x] = cnt[nctx][x] + 1; /* every symbol */
    if ((err = bale__huff_lengths(freq, CTX_END + 1, BALE_CTAB_MAX_LEN, len[nctx])) != BALE_OK)
        goto done;
    for (uint32_t t = 0; t < nctx; t++) {
        unsigned distinct = 0;
        for (unsigned x = 0; x <= CTX_END; x++) {
            freq[x] = cnt[t][x];
            distinct += freq[x] != 0;
        }
        /* The escape: about as likely as a symbol unseen here so far. */
        freq[CTX_ESC] = distinct == CTX_END + 1 ? 0 : distinct / 4 + 1;
        if ((err = bale__huff_lengths(freq, CTX_NSYM, BALE_CTAB_MAX_LEN, len[t])) != BALE_OK)
            goto done;
    }
    /* The fit (stage bits per 1024 value bytes on this data) is measured
     * with a draft of the table, then written into the final one. */
    for (int pass = 0; pass < 2; pass++) {
        uint64_t fit = 0;
        if (pass == 1) fit = in->data_size ? stage.size * 8 * 1024 / in->data_size : 0;
        if ((err = table_bytes(weight0, len[nctx], nctx, keys, weights,
                               (const uint8_t(*)[CTX_NSYM])len, shift,
                               fit > UINT32_MAX ? UINT32_MAX : (uint32_t)fit, &bytes)) != BALE_OK)
            goto done;
        if (pass == 1) break;
        if ((err = bale_symtab_from_bytes(bytes.data, bytes.size, &draft)) != BALE_OK) goto done;
        if ((err = bale__ctab_encode(in, draft, &stage)) != BALE_OK) goto done;
    }
    err = bale_symtab_from_bytes(bytes.data, bytes.size, out);
done:
    bale_symtab_decref(draft);
    bale__buf_free(&bytes);
    bale__buf_free(&stage);
    bale__free(cc);
    bale__free(tab_of);
    bale__free(keys);
    bale__free(weights);
    bale__free(cnt);
    bale__free(len);
    return err;
}

bale_err bale__ctab_train(const bale_values *in, unsigned shift, bale_symtab **out) {
    return train(in, NULL, shift, out);
}

bale_err bale__ctab_retrain(const bale_values *in, const bale_symtab *base, bale_symtab **out) {
    BALE_RETURN_IF(base == NULL || bale__symtab_kind(base) != BALE_SYMTAB_KIND_CTX, BALE_INVALID);
    BALE_FORWARD_IF_ERROR(train(in, base, bale__symtab_shift(base), out));
    bale__symtab_set_generation(*out, bale__symtab_generation(base) + 1);
    return BALE_OK;
}

/* ---- the encoding --------------------------------------------------------- */

static int ctx_supports(bale_dtype dtype) { return bale__is_var(dtype); }

/* Without a table there is no model: the policy never asks for that. */
static bale_err ctx_encode(const bale_values *in, bale__buf *out) {
    (void)in;
    (void)out;
    return BALE_UNSUPPORTED;
}
static bale_err ctx_decode(bale_dtype dtype, uint64_t count, const uint8_t *src, size_t n,
                           uint64_t data_size, bale_values *out) {
    (void)src;
    (void)n;
    if (count == 0 && data_size == 0) return bale__values_alloc(out, dtype, 0, 0);
    return BALE_CORRUPT; /* a CTX stage needs its table */
}
static bale_err ctx_get(bale_dtype dtype, uint64_t count, const uint8_t *src, size_t n,
                        uint64_t index, bale_values *out) {
    (void)dtype;
    (void)src;
    (void)n;
    (void)out;
    return index >= count ? BALE_RANGE : BALE_CORRUPT;
}

const bale__encoding_impl bale__enc_ctx = {
    BALE_ENC_CTX, "ctx", ctx_supports, ctx_encode, ctx_decode, ctx_get,
};

static bale_err ctx_decode_tab(const bale_symtab *tab, bale_dtype dtype, uint64_t count,
                               const uint8_t *src, size_t n, uint64_t data_size, bale_values *out) {
    BALE_RETURN_IF(!bale__is_var(dtype), BALE_CORRUPT);
    return bale__ctab_decode(tab, dtype, count, src, n, data_size, out);
}

static bale_err ctx_get_tab(const bale_symtab *tab, bale_dtype dtype, uint64_t count,
                            const uint8_t *src, size_t n, uint64_t index, bale_values *out) {
    BALE_RETURN_IF(!bale__is_var(dtype), BALE_CORRUPT);
    return bale__ctab_get(tab, dtype, count, src, n, index, out);
}

/* Every CTX stage of values references a table. */
static int ctx_uses_tab(bale_dtype dtype, uint64_t count, const uint8_t *src, size_t n) {
    (void)src;
    (void)n;
    return bale__is_var(dtype) && count > 0;
}

const bale__tab_ops bale__ctx_tab_ops = {
    BALE_SYMTAB_KIND_CTX, bale__ctab_encode, ctx_decode_tab, ctx_get_tab, ctx_uses_tab,
};
