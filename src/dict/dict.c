/*
 * dict.c - bale_dict: an append-only log of compressed key/value blocks with
 * a compact hash index of fingerprints and positions.  Layout and invariants:
 * dict_internal.h; design and figures: docs/design-dict.md.
 */
#include "dict_internal.h"
#include "../chunk/chunk_internal.h"

/* ---- small helpers ------------------------------------------------------ */

static int dtype_ok(bale_dtype t) { return bale_dtype_name(t) != NULL; }
static int key_dtype_ok(bale_dtype t) {
    return t == BALE_DTYPE_INT || t == BALE_DTYPE_STR || t == BALE_DTYPE_BYTES;
}
static int is_var(bale_dtype t) { return bale_dtype_width(t) == 0; }

static uint64_t key_hash(const bale_scalar *k) {
    if (k->dtype == BALE_DTYPE_INT) return bale__hash64(&k->i, 8, DICT_HASH_SEED);
    return bale__hash64(k->data, (size_t)k->size, DICT_HASH_SEED);
}

static int key_equal(const bale_scalar *a, const bale_scalar *b) {
    if (a->dtype == BALE_DTYPE_INT) return a->i == b->i;
    return a->size == b->size && (a->size == 0 || memcmp(a->data, b->data, (size_t)a->size) == 0);
}

static inline uint64_t slot_home(uint64_t h, uint64_t cap) {
    return ((h >> 32) * cap) >> 32;
}
/* Largest p + 1 that a slot with `fpbits` fingerprint bits can hold. */
static inline uint64_t pos_limit(int wide, unsigned fpbits) {
    return ((uint64_t)1 << ((wide ? 64 : 32) - fpbits)) - 2;
}

/* Index slots (dict_internal.h): 32 or 64 bits wide.  The branch on `wide`
 * goes the same way for every probe of a dict. */
static inline size_t slot_size(int wide) { return wide ? 8 : 4; }
static inline uint64_t slot_tomb(int wide) { return wide ? UINT64_MAX : UINT32_MAX; }
static inline uint64_t slot_get(const void *slots, int wide, uint64_t i) {
    return wide ? ((const uint64_t *)slots)[i] : ((const uint32_t *)slots)[i];
}
static inline void slot_set(void *slots, int wide, uint64_t i, uint64_t v) {
    if (wide) ((uint64_t *)slots)[i] = v;
    else ((uint32_t *)slots)[i] = (uint32_t)v;
}
static inline uint64_t slot_entry(unsigned fpbits, uint64_t h, uint64_t p) {
    return (p + 1) << fpbits | (h & (((uint64_t)1 << fpbits) - 1));
}
static inline int bit_get(const uint64_t *w, uint64_t i) { return (int)((w[i >> 6] >> (i & 63)) & 1); }
static inline void bit_set(uint64_t *w, uint64_t i) { w[i >> 6] |= (uint64_t)1 << (i & 63); }
static inline void bit_clear(uint64_t *w, uint64_t i) { w[i >> 6] &= ~((uint64_t)1 << (i & 63)); }

static uint64_t body_end(const dict_body *b) { return b->nblocks * DICT_BLOCK + b->tail_n; }

static int pos_dead(const dict_body *b, uint64_t p) {
    uint64_t blk = p / DICT_BLOCK, i = p % DICT_BLOCK;
    if (blk == b->nblocks) return bit_get(b->tail_dead, i);
    return b->blocks[blk].dead != NULL && bit_get(b->blocks[blk].dead, i);
}

/* Reads element j of decoded values into a scalar; var-width bytes are
 * copied into `scratch` when it is not NULL, else borrowed from v. */
static bale_err values_elem(const bale_values *v, uint64_t j, bale__buf *scratch,
                            bale_scalar *out) {
    out->dtype = v->dtype;
    switch (v->dtype) {
    case BALE_DTYPE_INT:
        memcpy(&out->i, (const uint8_t *)v->data + 8 * j, 8);
        return BALE_OK;
    case BALE_DTYPE_FLOAT:
        memcpy(&out->f, (const uint8_t *)v->data + 8 * j, 8);
        return BALE_OK;
    case BALE_DTYPE_BOOL:
        out->i = ((const uint8_t *)v->data)[j];
        return BALE_OK;
    default: {
        const uint8_t *src = (const uint8_t *)v->data + v->offsets[j];
        uint64_t n = v->offsets[j + 1] - v->offsets[j];
        out->size = n;
        if (scratch == NULL) {
            out->data = src;
            return BALE_OK;
        }
        scratch->size = 0;
        BALE_FORWARD_IF_ERROR(bale__buf_reserve(scratch, n ? (size_t)n : 1));
        if (n) memcpy(scratch->data, src, (size_t)n);
        scratch->size = (size_t)n;
        out->data = scratch->data;
        return BALE_OK;
    }
    }
}

/* A view of a tail column as bale_values (borrowed). */
static bale_values tail_values(const dict_body *b, int which) {
    bale_values v;
    const bale__buf *data = which ? &b->tv : &b->tk;
    const bale__buf *offs = which ? &b->tvo : &b->tko;
    v.dtype = which ? b->vt : b->kt;
    v.count = b->tail_n;
    v.data = data->data;
    v.offsets = is_var(v.dtype) ? (uint64_t *)(void *)offs->data : NULL;
    v.data_size = data->size;
    return v;
}

/* ---- value patches of sealed blocks ------------------------------------- */

static int patch_find(const dict_patch *pt, uint64_t i) {
    if (pt == NULL) return -1;
    for (uint32_t j = 0; j < pt->n; j++)
        if (pt->idx[j] == i) return (int)j;
    return -1;
}

/* Patch j as a scalar (var-width bytes borrowed from the patch). */
static void patch_scalar(const dict_patch *pt, int j, bale_dtype vt, bale_scalar *out) {
    memset(out, 0, sizeof *out);
    out->dtype = vt;
    uint64_t bits = pt->val[j];
    switch (vt) {
    case BALE_DTYPE_INT: memcpy(&out->i, &bits, 8); break;
    case BALE_DTYPE_FLOAT: memcpy(&out->f, &bits, 8); break;
    case BALE_DTYPE_BOOL: out->i = (int64_t)bits; break;
    default:
        out->data = pt->bytes.data + bits;
        out->size = pt->len[j];
        break;
    }
}

static void patch_free(dict_patch *pt) {
    if (pt == NULL) return;
    bale__buf_free(&pt->bytes);
    bale__free(pt);
}

static bale_err copy_scalar_to(bale__buf *scratch, bale_scalar *s) {
    if (bale_dtype_width(s->dtype) != 0) return BALE_OK;
    scratch->size = 0;
    BALE_FORWARD_IF_ERROR(bale__buf_reserve(scratch, s->size ? (size_t)s->size : 1));
    if (s->size) memcpy(scratch->data, s->data, (size_t)s->size);
    scratch->size = (size_t)s->size;
    s->data = scratch->data;
    return BALE_OK;
}

/* ---- decoded-block cache -------------------------------------------------
 * Chunks whose encoding cannot fetch one element cheaply (a backend must
 * decompress the whole payload) are decoded once into a small cache. */
static int chunk_has_cheap_get(const bale_chunk *c) {
    if (bale_chunk_backend(c) != BALE_BACKEND_NONE) return 0;
    const bale__encoding_impl *impl = bale__encoding_find(bale_chunk_encoding(c));
    return impl != NULL && impl->get != NULL;
}

static void cache_clear(bale_dict *d) {
    for (unsigned w = 0; w < DICT_CACHE_WAYS; w++) {
        bale_chunk_decref(d->cache[w].chunk);
        bale_values_free(&d->cache[w].vals);
        d->cache[w].chunk = NULL;
    }
}

static bale_err cache_lookup(bale_dict *d, bale_chunk *c, const bale_values **out) {
    for (unsigned w = 0; w < DICT_CACHE_WAYS; w++) {
        if (d->cache[w].chunk == c) {
            *out = &d->cache[w].vals;
            return BALE_OK;
        }
    }
    bale_values v;
    BALE_FORWARD_IF_ERROR(bale_chunk_decode(c, &v));
    dict_cache_way *way = &d->cache[d->cache_next];
    d->cache_next = (d->cache_next + 1) % DICT_CACHE_WAYS;
    bale_chunk_decref(way->chunk);
    bale_values_free(&way->vals);
    way->chunk = bale_chunk_incref(c);
    way->vals = v;
    *out = &way->vals;
    return BALE_OK;
}

/* Reads element i of a sealed chunk into `out` (var-width bytes copied into
 * scratch). */
static bale_err chunk_elem(bale_dict *d, bale_chunk *c, uint64_t i, bale__buf *scratch,
                           int seq, bale_scalar *out) {
    if (!seq && chunk_has_cheap_get(c)) {
        bale_values one;
        BALE_FORWARD_IF_ERROR(bale_chunk_get(c, i, &one));
        bale_err err = values_elem(&one, 0, scratch, out);
        bale_values_free(&one);
        return err;
    }
    const bale_values *v;
    BALE_FORWARD_IF_ERROR(cache_lookup(d, c, &v));
    return values_elem(v, i, scratch, out);
}

/* Reads the key (which = 0) or value (1) at position p, live or dead.
 * seq: the caller walks positions in order, so decode whole blocks (cached)
 * rather than fetching one element. */
static bale_err read_into(bale_dict *d, uint64_t p, int which, bale__buf *scratch, int seq,
                          bale_scalar *out) {
    dict_body *b = d->b;
    uint64_t blk = p / DICT_BLOCK, i = p % DICT_BLOCK;
    memset(out, 0, sizeof *out);
    if (blk == b->nblocks) {
        bale_values v = tail_values(b, which);
        return values_elem(&v, i, scratch, out);
    }
    dict_block *bl = &b->blocks[blk];
    if (which && bl->patch != NULL) {
        int j = patch_find(bl->patch, i);
        if (j >= 0) {
            patch_scalar(bl->patch, j, b->vt, out);
            return copy_scalar_to(scratch, out);
        }
    }
    return chunk_elem(d, which ? bl->vals : bl->keys, i, scratch, seq, out);
}

static bale_err read_at(bale_dict *d, uint64_t p, int which, bale_scalar *out) {
    return read_into(d, p, which, which ? &d->vs : &d->ks, 0, out);
}

/* ---- body: create, clone, free ------------------------------------------ */

static void body_free(dict_body *b) {
    if (b == NULL) return;
    for (uint64_t i = 0; i < b->nblocks; i++) {
        bale_chunk_decref(b->blocks[i].keys);
        bale_chunk_decref(b->blocks[i].vals);
        bale__free(b->blocks[i].dead);
        patch_free(b->blocks[i].patch);
    }
    bale__free(b->blocks);
    bale__buf_free(&b->tk);
    bale__buf_free(&b->tv);
    bale__buf_free(&b->tko);
    bale__buf_free(&b->tvo);
    bale__free(b->slots);
    bale_symtab_decref(b->tabs[0]);
    bale_symtab_decref(b->tabs[1]);
    bale__free(b);
}

static void body_release(dict_body *b) {
    if (b != NULL && atomic_fetch_sub(&b->refs, 1) == 1) body_free(b);
}

static dict_body *body_new(bale_dtype kt, bale_dtype vt, const bale_codec_opts *opts) {
    dict_body *b = bale__calloc(1, sizeof *b);
    if (b == NULL) return NULL;
    atomic_init(&b->refs, 1);
    b->kt = kt;
    b->vt = vt;
    b->opts = *opts;
    uint64_t zero = 0;
    if ((is_var(kt) && bale__buf_append(&b->tko, &zero, 8) != BALE_OK) ||
        (is_var(vt) && bale__buf_append(&b->tvo, &zero, 8) != BALE_OK)) {
        body_free(b);
        return NULL;
    }
    return b;
}

static bale_err buf_clone(bale__buf *dst, const bale__buf *src) {
    memset(dst, 0, sizeof *dst);
    if (src->size == 0) return BALE_OK;
    return bale__buf_append(dst, src->data, src->size);
}

static dict_body *body_clone(const dict_body *s) {
    dict_body *b = bale__calloc(1, sizeof *b);
    if (b == NULL) return NULL;
    *b = *s;
    atomic_init(&b->refs, 1);
    bale_symtab_incref(b->tabs[0]);
    bale_symtab_incref(b->tabs[1]);
    b->blocks = NULL;
    b->nblocks = b->cap_blocks = 0;
    memset(&b->tk, 0, sizeof b->tk);
    memset(&b->tv, 0, sizeof b->tv);
    memset(&b->tko, 0, sizeof b->tko);
    memset(&b->tvo, 0, sizeof b->tvo);
    b->slots = NULL;
    if (s->nblocks) {
        b->blocks = bale__calloc((size_t)s->nblocks, sizeof(dict_block));
        if (b->blocks == NULL) goto fail;
        b->cap_blocks = s->nblocks;
        for (uint64_t i = 0; i < s->nblocks; i++) {
            dict_block *dst = &b->blocks[i];
            const dict_block *src = &s->blocks[i];
            if (src->dead != NULL) {
                dst->dead = bale__malloc(DICT_BITS_WORDS * 8);
                if (dst->dead == NULL) goto fail;
                memcpy(dst->dead, src->dead, DICT_BITS_WORDS * 8);
            }
            dst->keys = bale_chunk_incref(src->keys);
            dst->vals = bale_chunk_incref(src->vals);
            dst->ndead = src->ndead;
            b->nblocks = i + 1;
            if (src->patch != NULL) {
                dst->patch = bale__malloc(sizeof *dst->patch);
                if (dst->patch == NULL) goto fail;
                *dst->patch = *src->patch;
                memset(&dst->patch->bytes, 0, sizeof dst->patch->bytes);
                if (buf_clone(&dst->patch->bytes, &src->patch->bytes) != BALE_OK) goto fail;
            }
        }
    }
    if (buf_clone(&b->tk, &s->tk) != BALE_OK || buf_clone(&b->tv, &s->tv) != BALE_OK ||
        buf_clone(&b->tko, &s->tko) != BALE_OK || buf_clone(&b->tvo, &s->tvo) != BALE_OK)
        goto fail;
    if (s->cap) {
        b->slots = bale__malloc((size_t)s->cap * slot_size(s->wide));
        if (b->slots == NULL) goto fail;
        memcpy(b->slots, s->slots, (size_t)s->cap * slot_size(s->wide));
    }
    return b;
fail:
    b->cap = 0;
    body_free(b);
    return NULL;
}

/* Makes the handle the only owner of its body (copy-on-write). */
static bale_err own_body(bale_dict *d) {
    if (atomic_load(&d->b->refs) == 1) return BALE_OK;
    dict_body *c = body_clone(d->b);
    BALE_RETURN_IF(c == NULL, BALE_NOMEM);
    body_release(d->b);
    d->b = c;
    return BALE_OK;
}

/* ---- index ---------------------------------------------------------------- */

static void slot_put(void *slots, int wide, uint64_t cap, unsigned fpbits, uint64_t h,
                     uint64_t p) {
    uint64_t i = slot_home(h, cap);
    while (slot_get(slots, wide, i) != DICT_SLOT_EMPTY) {
        if (++i == cap) i = 0;
    }
    slot_set(slots, wide, i, slot_entry(fpbits, h, p));
}

/* Rebuilds the index with `cap` slots of `fpbits` fingerprint bits, 64-bit
 * when `wide`, from the live entries (decoding each sealed key chunk once).
 * On failure the body is unchanged. */
static bale_err index_rebuild(dict_body *b, uint64_t cap, int wide, unsigned fpbits) {
    void *slots = bale__calloc((size_t)cap, slot_size(wide));
    BALE_RETURN_IF(slots == NULL, BALE_NOMEM);
    for (uint64_t blk = 0; blk <= b->nblocks; blk++) {
        bale_values v;
        const uint64_t *dead;
        int owned = 0;
        if (blk == b->nblocks) {
            v = tail_values(b, 0);
            dead = b->tail_dead;
        } else {
            const dict_block *bl = &b->blocks[blk];
            if (bl->ndead == DICT_BLOCK) continue;
            bale_err err = bale_chunk_decode(bl->keys, &v);
            if (err != BALE_OK) {
                bale__free(slots);
                return err;
            }
            owned = 1;
            dead = bl->dead;
        }
        for (uint64_t i = 0; i < v.count; i++) {
            if (dead != NULL && bit_get(dead, i)) continue;
            bale_scalar k;
            values_elem(&v, i, NULL, &k);
            slot_put(slots, wide, cap, fpbits, key_hash(&k), blk * DICT_BLOCK + i);
        }
        if (owned) bale_values_free(&v);
    }
    bale__free(b->slots);
    b->slots = slots;
    b->cap = cap;
    b->used = b->live;
    b->tombs = 0;
    b->fpbits = fpbits;
    b->wide = wide;
    return BALE_OK;
}

static unsigned bitlen(uint64_t x) { return x ? 64u - (unsigned)__builtin_clzll(x) : 0; }

/* Makes room in the index for one more entry at position end(b). */
static bale_err index_reserve(dict_body *b, uint64_t extra) {
    uint64_t end = body_end(b);
    int room = b->cap != 0 &&
               (b->used + b->tombs + extra) * 1024 <= b->cap * DICT_MAX_LOAD_1024;
    int fits = b->cap != 0 && end + extra <= pos_limit(b->wide, b->fpbits);
    if (room && fits) return BALE_OK;
    BALE_RETURN_IF(end + extra > DICT_MAX_POS, BALE_RANGE);
    uint64_t want = b->live + extra;
    uint64_t cap = (want * DICT_GROW_1024 + DICT_MAX_LOAD_1024 - 1) / DICT_MAX_LOAD_1024;
    if (cap < DICT_MIN_CAP) cap = DICT_MIN_CAP;
    BALE_RETURN_IF(cap > DICT_MAX_CAP, BALE_RANGE);
    /* Plan for the log to double before fingerprints shrink again; 32-bit
     * slots while the log fits them, with the fewest fingerprint bits at
     * the end (2^28 positions), rather than an index twice the size. */
    uint64_t plan = 2 * (end + extra) + DICT_BLOCK;
    unsigned ebits = bitlen(plan + 2);
    unsigned fpbits = ebits >= 32 - DICT_MIN_FPBITS ? DICT_MIN_FPBITS : 32 - ebits;
    if (fpbits > DICT_MAX_FPBITS) fpbits = DICT_MAX_FPBITS;
    int wide = b->keep_wide || end + extra > pos_limit(0, fpbits);
    if (wide) fpbits = DICT_WIDE_FPBITS;
    return index_rebuild(b, cap, wide, fpbits);
}

/* Finds a key: BALE_OK with *pos and *slot, BALE_NOTFOUND, or an error from
 * decoding a stored key. */
static bale_err index_find_seq(bale_dict *d, const bale_scalar *key, uint64_t h, int seq,
                               uint64_t *pos, uint64_t *slot) {
    dict_body *b = d->b;
    if (b->cap == 0) return BALE_NOTFOUND;
    uint64_t fpmask = ((uint64_t)1 << b->fpbits) - 1, fp = h & fpmask;
    uint64_t tomb = slot_tomb(b->wide);
    uint64_t i = slot_home(h, b->cap);
    for (;;) {
        uint64_t s = slot_get(b->slots, b->wide, i);
        if (s == DICT_SLOT_EMPTY) return BALE_NOTFOUND;
        if (s != tomb && (s & fpmask) == fp) {
            uint64_t p = (s >> b->fpbits) - 1;
            bale_scalar k;
            BALE_FORWARD_IF_ERROR(read_into(d, p, 0, &d->cs, seq, &k));
            if (key_equal(&k, key)) {
                *pos = p;
                *slot = i;
                return BALE_OK;
            }
        }
        if (++i == b->cap) i = 0;
    }
}

static bale_err index_find(bale_dict *d, const bale_scalar *key, uint64_t h, uint64_t *pos,
                           uint64_t *slot) {
    return index_find_seq(d, key, h, 0, pos, slot);
}

/* The slot that holds position p (whose key hashes to h). */
static uint64_t index_slot_of(const dict_body *b, uint64_t h, uint64_t p) {
    uint64_t want = slot_entry(b->fpbits, h, p);
    uint64_t i = slot_home(h, b->cap);
    while (slot_get(b->slots, b->wide, i) != want) {
        assert(slot_get(b->slots, b->wide, i) != DICT_SLOT_EMPTY);
        if (++i == b->cap) i = 0;
    }
    return i;
}

bale_err bale__dict_test_wide(bale_dict *d) {
    BALE_FORWARD_IF_ERROR(own_body(d));
    dict_body *b = d->b;
    BALE_FORWARD_IF_ERROR(index_rebuild(b, b->cap ? b->cap : DICT_MIN_CAP, 1, DICT_WIDE_FPBITS));
    b->keep_wide = 1;
    return BALE_OK;
}

/* ---- tail and sealing ----------------------------------------------------- */

static bale_err grow_blocks(dict_body *b) {
    if (b->nblocks < b->cap_blocks) return BALE_OK;
    uint64_t n = b->cap_blocks ? b->cap_blocks * 2 : 4;
    dict_block *nb = bale__realloc(b->blocks, (size_t)n * sizeof *nb);
    BALE_RETURN_IF(nb == NULL, BALE_NOMEM);
    b->blocks = nb;
    b->cap_blocks = n;
    return BALE_OK;
}

static void tail_reset(dict_body *b) {
    b->tk.size = b->tv.size = 0;
    if (is_var(b->kt)) b->tko.size = 8;
    if (is_var(b->vt)) b->tvo.size = 8;
    b->tail_n = 0;
    b->tail_ndead = 0;
    memset(b->tail_dead, 0, sizeof b->tail_dead);
}

/* String keys share a table whose chunks put 8 keys in a random-access block
 * (the default is 16): a lookup decodes the keys of a block up to the one it
 * checks, so this halves that decode, for +0.15 B/entry (figures:
 * docs/design-dict.md).  Key chunks encoded without the table (the first
 * ones of a dict, before it is trained; a chunk the table fits badly, which
 * is encoded self-contained) keep blocks of 16, as do the tables of dicts
 * unpickled from before tables carried a block size. */
#define DICT_KEY_BLOCK_SHIFT 3u

/* Encodes column `which` (0 keys, 1 values) with the dict's options and
 * its shared table; an encoding that cannot hold the column's dtype (say
 * "fsst" for int values) falls back to auto. */
static bale_codec_opts col_opts(const dict_body *b, const bale_values *v) {
    bale_codec_opts o = b->opts;
    if (o.encoding != BALE_ENC_AUTO && !bale_encoding_supports(o.encoding, v->dtype))
        o.encoding = BALE_ENC_AUTO;
    return o;
}
/* encode_col's flags (it says why); relearn_values gives the same */
#define ENCODE_COL_FLAGS (BALE__SHARED_NO_CTX | BALE__SHARED_ACCESS)
static bale_err encode_col(dict_body *b, int which, const bale_values *v, bale_chunk **out) {
    bale_codec_opts o = col_opts(b, v);
    /* A lookup decodes a key or two and a value, one element each: so no
     * CTX unless asked for (a CTX get is slower; 4.5M npm names: d[k] 1.2
     * -> 2.7 us for 19.8 -> 18.2 B/entry), and numbers only in pipelines
     * whose get decodes at most a block (random floats as zstd'd chunks:
     * d[k] 11 us, as plain values 1 us; design-dict.md). */
    return bale__chunk_encode_shared_shift(v, &o, which == 0 ? DICT_KEY_BLOCK_SHIFT : 0,
                                           ENCODE_COL_FLAGS, &b->tabs[which], out);
}

/* When the dict seals its BALE__RELEARN_CHUNKS-th block, replaces the
 * values' table with one trained on those blocks' values and re-encodes
 * them against it (bale__chunks_relearn says why and when it pays: a DICT
 * table, values of few distinct strs).  Only on chunks no other body
 * shares.  Best effort: on failure the dict stays as it was; either way
 * every value stays the same (patches keep their entry indexes). */
static void relearn_values(dict_body *b) {
    if (b->relearn_tried || b->nblocks != BALE__RELEARN_CHUNKS) return;
    b->relearn_tried = 1;
    if (b->tabs[1] == NULL) return;
    bale_chunk *cs[BALE__RELEARN_CHUNKS];
    for (unsigned k = 0; k < BALE__RELEARN_CHUNKS; k++) {
        cs[k] = b->blocks[k].vals;
        if (bale_chunk_refcount(cs[k]) != 1) return;
    }
    int done;
    if (bale__chunks_relearn(cs, BALE__RELEARN_CHUNKS, &b->opts, ENCODE_COL_FLAGS, &b->tabs[1],
                             &done) != BALE_OK)
        return;
    if (done)
        for (unsigned k = 0; k < BALE__RELEARN_CHUNKS; k++) b->blocks[k].vals = cs[k];
}

/* Seals the (full) tail into a block.  On failure nothing changes. */
static bale_err seal_tail(dict_body *b) {
    BALE_FORWARD_IF_ERROR(grow_blocks(b));
    bale_values kv = tail_values(b, 0), vv = tail_values(b, 1);
    dict_block bl = {NULL, NULL, NULL, NULL, b->tail_ndead};
    bale_err err = BALE_NOMEM;
    if (b->tail_ndead) {
        bl.dead = bale__malloc(DICT_BITS_WORDS * 8);
        if (bl.dead == NULL) goto fail;
        memcpy(bl.dead, b->tail_dead, DICT_BITS_WORDS * 8);
    }
    err = encode_col(b, 0, &kv, &bl.keys);
    if (err != BALE_OK) goto fail;
    err = encode_col(b, 1, &vv, &bl.vals);
    if (err != BALE_OK) goto fail;
    b->blocks[b->nblocks++] = bl;
    tail_reset(b);
    relearn_values(b);
    return BALE_OK;
fail:
    bale_chunk_decref(bl.keys);
    bale__free(bl.dead);
    return err;
}

static size_t scalar_bytes(const bale_scalar *s) {
    switch (s->dtype) {
    case BALE_DTYPE_INT:
    case BALE_DTYPE_FLOAT:
        return 8;
    case BALE_DTYPE_BOOL:
        return 1;
    default:
        return (size_t)s->size;
    }
}

static void scalar_write(uint8_t *dst, const bale_scalar *s) {
    switch (s->dtype) {
    case BALE_DTYPE_INT:
        memcpy(dst, &s->i, 8);
        break;
    case BALE_DTYPE_FLOAT:
        memcpy(dst, &s->f, 8);
        break;
    case BALE_DTYPE_BOOL:
        dst[0] = (uint8_t)s->i;
        break;
    default:
        if (s->size) memcpy(dst, s->data, (size_t)s->size);
        break;
    }
}

static bale_err col_reserve(bale__buf *data, bale__buf *offs, bale_dtype t, const bale_scalar *s) {
    BALE_FORWARD_IF_ERROR(bale__buf_reserve(data, scalar_bytes(s) ? scalar_bytes(s) : 1));
    if (is_var(t)) BALE_FORWARD_IF_ERROR(bale__buf_reserve(offs, 8));
    return BALE_OK;
}

static void col_push(bale__buf *data, bale__buf *offs, bale_dtype t, const bale_scalar *s) {
    size_t n = scalar_bytes(s);
    scalar_write(data->data + data->size, s);
    data->size += n;
    if (is_var(t)) {
        uint64_t end = data->size;
        memcpy(offs->data + offs->size, &end, 8);
        offs->size += 8;
    }
}

/* Appends a new entry (the key is known absent) and indexes it. */
static bale_err body_append(dict_body *b, const bale_scalar *key, const bale_scalar *val,
                            uint64_t h) {
    if (b->tail_n == DICT_BLOCK) BALE_FORWARD_IF_ERROR(seal_tail(b));
    BALE_FORWARD_IF_ERROR(index_reserve(b, 1));
    BALE_FORWARD_IF_ERROR(col_reserve(&b->tk, &b->tko, b->kt, key));
    BALE_FORWARD_IF_ERROR(col_reserve(&b->tv, &b->tvo, b->vt, val));
    uint64_t p = body_end(b);
    col_push(&b->tk, &b->tko, b->kt, key);
    col_push(&b->tv, &b->tvo, b->vt, val);
    b->tail_n++;
    b->live++;
    slot_put(b->slots, b->wide, b->cap, b->fpbits, h, p);
    b->used++;
    return BALE_OK;
}

/* Encodes a block's values with its patches applied, and (when extra is not
 * NULL) value `extra` at index extra_i.  On failure nothing changes. */
static bale_err block_merge(dict_body *b, const dict_block *bl, uint64_t extra_i,
                            const bale_scalar *extra, bale_chunk **out) {
    bale_values v;
    BALE_FORWARD_IF_ERROR(bale_chunk_decode(bl->vals, &v));
    int16_t *which = bale__malloc(DICT_BLOCK * sizeof(int16_t));
    uint8_t *ndata = NULL;
    uint64_t *noffs = NULL;
    bale_err err = BALE_NOMEM;
    if (which == NULL) goto done;
    for (uint64_t i = 0; i < DICT_BLOCK; i++) which[i] = -1;
    const dict_patch *pt = bl->patch;
    for (uint32_t j = 0; pt != NULL && j < pt->n; j++) which[pt->idx[j]] = (int16_t)j;
    if (extra != NULL) which[extra_i] = -2;
    bale_values nv = v;
    if (!is_var(b->vt)) {
        size_t w = bale_dtype_width(b->vt);
        for (uint64_t i = 0; i < v.count; i++) {
            if (which[i] == -1) continue;
            bale_scalar s;
            if (which[i] == -2) s = *extra;
            else patch_scalar(pt, which[i], b->vt, &s);
            scalar_write((uint8_t *)v.data + i * w, &s);
        }
    } else {
        uint64_t size = 0;
        for (uint64_t i = 0; i < v.count; i++) {
            if (which[i] == -1) size += v.offsets[i + 1] - v.offsets[i];
            else size += which[i] == -2 ? extra->size : pt->len[which[i]];
        }
        ndata = bale__malloc(size ? (size_t)size : 1);
        noffs = bale__malloc((size_t)(v.count + 1) * 8);
        if (ndata == NULL || noffs == NULL) goto done;
        uint64_t o = 0;
        noffs[0] = 0;
        for (uint64_t i = 0; i < v.count; i++) {
            const void *src;
            uint64_t n;
            if (which[i] == -1) {
                src = (const uint8_t *)v.data + v.offsets[i];
                n = v.offsets[i + 1] - v.offsets[i];
            } else if (which[i] == -2) {
                src = extra->data;
                n = extra->size;
            } else {
                src = pt->bytes.data + pt->val[which[i]];
                n = pt->len[which[i]];
            }
            if (n) memcpy(ndata + o, src, (size_t)n);
            o += n;
            noffs[i + 1] = o;
        }
        nv.data = ndata;
        nv.offsets = noffs;
        nv.data_size = size;
    }
    err = encode_col(b, 1, &nv, out);
done:
    bale__free(which);
    bale__free(ndata);
    bale__free(noffs);
    bale_values_free(&v);
    return err;
}

/* Replaces the value at live position p. */
static bale_err replace_value(dict_body *b, uint64_t p, const bale_scalar *val) {
    uint64_t blk = p / DICT_BLOCK, i = p % DICT_BLOCK;
    if (blk == b->nblocks) {
        if (!is_var(b->vt)) {
            scalar_write(b->tv.data + i * bale_dtype_width(b->vt), val);
            return BALE_OK;
        }
        uint64_t *offs = (uint64_t *)(void *)b->tvo.data;
        uint64_t old = offs[i + 1] - offs[i];
        if (val->size > old) BALE_FORWARD_IF_ERROR(bale__buf_reserve(&b->tv, (size_t)(val->size - old)));
        offs = (uint64_t *)(void *)b->tvo.data;
        uint8_t *base = b->tv.data;
        size_t tail_bytes = b->tv.size - (size_t)offs[i + 1];
        if (tail_bytes) memmove(base + offs[i] + val->size, base + offs[i + 1], tail_bytes);
        if (val->size) memcpy(base + offs[i], val->data, (size_t)val->size);
        int64_t delta = (int64_t)val->size - (int64_t)old;
        for (uint64_t j = i + 1; j <= b->tail_n; j++) offs[j] = (uint64_t)((int64_t)offs[j] + delta);
        b->tv.size = (size_t)((int64_t)b->tv.size + delta);
        return BALE_OK;
    }
    /* Sealed: record a patch; re-encode the block once patches fill up. */
    dict_block *bl = &b->blocks[blk];
    int var = is_var(b->vt);
    if (bl->patch == NULL) {
        bl->patch = bale__calloc(1, sizeof *bl->patch);
        BALE_RETURN_IF(bl->patch == NULL, BALE_NOMEM);
    }
    dict_patch *pt = bl->patch;
    int j = patch_find(pt, i);
    if ((j >= 0 || pt->n < DICT_PATCH_MAX) &&
        (!var || pt->bytes.size + val->size <= DICT_PATCH_BYTES)) {
        uint64_t bits = 0;
        if (var) {
            BALE_FORWARD_IF_ERROR(bale__buf_reserve(&pt->bytes, val->size ? (size_t)val->size : 1));
            bits = pt->bytes.size;
            if (val->size) memcpy(pt->bytes.data + pt->bytes.size, val->data, (size_t)val->size);
            pt->bytes.size += (size_t)val->size;
        } else if (b->vt == BALE_DTYPE_FLOAT) {
            memcpy(&bits, &val->f, 8);
        } else {
            memcpy(&bits, &val->i, 8);
        }
        if (j < 0) {
            j = (int)pt->n++;
            pt->idx[j] = (uint16_t)i;
        }
        pt->val[j] = bits;
        pt->len[j] = val->size;
        return BALE_OK;
    }
    bale_chunk *c;
    BALE_FORWARD_IF_ERROR(block_merge(b, bl, i, val, &c));
    bale_chunk_decref(bl->vals);
    bl->vals = c;
    patch_free(bl->patch);
    bl->patch = NULL;
    return BALE_OK;
}

static void tail_truncate(dict_body *b) {
    while (b->tail_n > 0 && bit_get(b->tail_dead, b->tail_n - 1)) {
        uint32_t i = --b->tail_n;
        bit_clear(b->tail_dead, i);
        b->tail_ndead--;
        b->dead--;
        if (is_var(b->kt)) {
            b->tko.size -= 8;
            b->tk.size = (size_t)((uint64_t *)(void *)b->tko.data)[i];
        } else {
            b->tk.size -= bale_dtype_width(b->kt);
        }
        if (is_var(b->vt)) {
            b->tvo.size -= 8;
            b->tv.size = (size_t)((uint64_t *)(void *)b->tvo.data)[i];
        } else {
            b->tv.size -= bale_dtype_width(b->vt);
        }
    }
}

static bale_err compact(bale_dict *d);

/* Deletes the live entry at p held in index slot `slot`. */
static bale_err delete_at(bale_dict *d, uint64_t p, uint64_t slot) {
    dict_body *b = d->b;
    uint64_t blk = p / DICT_BLOCK, i = p % DICT_BLOCK;
    if (blk < b->nblocks && b->blocks[blk].dead == NULL) {
        b->blocks[blk].dead = bale__calloc(DICT_BITS_WORDS, 8);
        BALE_RETURN_IF(b->blocks[blk].dead == NULL, BALE_NOMEM);
    }
    slot_set(b->slots, b->wide, slot, slot_tomb(b->wide));
    b->used--;
    b->tombs++;
    b->live--;
    b->dead++;
    if (blk == b->nblocks) {
        bit_set(b->tail_dead, i);
        b->tail_ndead++;
        tail_truncate(b);
    } else {
        bit_set(b->blocks[blk].dead, i);
        b->blocks[blk].ndead++;
    }
    if (b->live == 0 && b->nblocks == 0 && b->tail_n == 0) {
        /* Empty again: drop tombstones cheaply. */
        memset(b->slots, 0, (size_t)b->cap * slot_size(b->wide));
        b->tombs = 0;
    } else if (b->dead > b->live + DICT_BLOCK) {
        (void)compact(d); /* best effort: on failure the log stays as it is */
    }
    return BALE_OK;
}

/* Rewrites the log with the live entries only (renumbers positions). */
static bale_err compact(bale_dict *d) {
    dict_body *old = d->b;
    dict_body *nb = body_new(old->kt, old->vt, &old->opts);
    BALE_RETURN_IF(nb == NULL, BALE_NOMEM);
    nb->keep_wide = old->keep_wide;
    bale_err err = index_reserve(nb, old->live ? old->live : 1);
    for (uint64_t blk = 0; err == BALE_OK && blk <= old->nblocks; blk++) {
        bale_values kv, vv;
        const uint64_t *dead;
        int owned = 0;
        if (blk == old->nblocks) {
            kv = tail_values(old, 0);
            vv = tail_values(old, 1);
            dead = old->tail_dead;
        } else {
            const dict_block *bl = &old->blocks[blk];
            if (bl->ndead == DICT_BLOCK) continue;
            err = bale_chunk_decode(bl->keys, &kv);
            if (err != BALE_OK) break;
            err = bale_chunk_decode(bl->vals, &vv);
            if (err != BALE_OK) {
                bale_values_free(&kv);
                break;
            }
            owned = 1;
            dead = bl->dead;
        }
        for (uint64_t i = 0; err == BALE_OK && i < kv.count; i++) {
            if (dead != NULL && bit_get(dead, i)) continue;
            bale_scalar k, v;
            values_elem(&kv, i, NULL, &k);
            int j = blk < old->nblocks ? patch_find(old->blocks[blk].patch, i) : -1;
            if (j >= 0) patch_scalar(old->blocks[blk].patch, j, old->vt, &v);
            else values_elem(&vv, i, NULL, &v);
            err = body_append(nb, &k, &v, key_hash(&k));
        }
        if (owned) {
            bale_values_free(&kv);
            bale_values_free(&vv);
        }
    }
    if (err != BALE_OK) {
        body_free(nb);
        return err;
    }
    nb->layout = old->layout + 1;
    body_release(old);
    d->b = nb;
    return BALE_OK;
}

/* ---- public API ----------------------------------------------------------- */

bale_err bale_dict_create(bale_dtype key_dtype, bale_dtype value_dtype,
                          const bale_codec_opts *opts, bale_dict **out) {
    BALE_RETURN_IF(out == NULL || !key_dtype_ok(key_dtype) || !dtype_ok(value_dtype),
                   BALE_INVALID);
    bale_codec_opts o = opts ? *opts : bale_codec_opts_auto();
    bale_dict *d = bale__calloc(1, sizeof *d);
    BALE_RETURN_IF(d == NULL, BALE_NOMEM);
    d->b = body_new(key_dtype, value_dtype, &o);
    if (d->b == NULL) {
        bale__free(d);
        return BALE_NOMEM;
    }
    *out = d;
    return BALE_OK;
}

void bale_dict_free(bale_dict *d) {
    if (d == NULL) return;
    cache_clear(d);
    body_release(d->b);
    bale__buf_free(&d->ks);
    bale__buf_free(&d->vs);
    bale__buf_free(&d->cs);
    bale__free(d);
}

bale_dtype bale_dict_key_dtype(const bale_dict *d) { return d->b->kt; }
bale_dtype bale_dict_value_dtype(const bale_dict *d) { return d->b->vt; }

static bale_err check_scalar(const bale_scalar *s, bale_dtype want) {
    BALE_RETURN_IF(s == NULL, BALE_INVALID);
    BALE_RETURN_IF(s->dtype != want, BALE_TYPE);
    BALE_RETURN_IF(want == BALE_DTYPE_BOOL && (s->i != 0 && s->i != 1), BALE_INVALID);
    BALE_RETURN_IF(is_var(want) && s->size != 0 && s->data == NULL, BALE_INVALID);
    return BALE_OK;
}

bale_err bale_dict_set(bale_dict *d, const bale_scalar *key, const bale_scalar *value,
                       int *inserted) {
    BALE_RETURN_IF(d == NULL, BALE_INVALID);
    BALE_FORWARD_IF_ERROR(check_scalar(key, d->b->kt));
    BALE_FORWARD_IF_ERROR(check_scalar(value, d->b->vt));
    uint64_t h = key_hash(key), p, slot;
    bale_err err = index_find(d, key, h, &p, &slot);
    if (err != BALE_OK && err != BALE_NOTFOUND) return err;
    BALE_FORWARD_IF_ERROR(own_body(d));
    if (err == BALE_OK) {
        BALE_FORWARD_IF_ERROR(replace_value(d->b, p, value));
        if (inserted) *inserted = 0;
        return BALE_OK;
    }
    BALE_FORWARD_IF_ERROR(body_append(d->b, key, value, h));
    if (inserted) *inserted = 1;
    return BALE_OK;
}

bale_err bale_dict_get(bale_dict *d, const bale_scalar *key, bale_scalar *value,
                       uint64_t *pos) {
    BALE_RETURN_IF(d == NULL || key == NULL, BALE_INVALID);
    if (key->dtype != d->b->kt) return BALE_NOTFOUND;
    uint64_t p, slot;
    BALE_FORWARD_IF_ERROR(index_find(d, key, key_hash(key), &p, &slot));
    if (value) BALE_FORWARD_IF_ERROR(read_at(d, p, 1, value));
    if (pos) *pos = p;
    return BALE_OK;
}

bale_err bale_dict_delete(bale_dict *d, const bale_scalar *key) {
    BALE_RETURN_IF(d == NULL || key == NULL, BALE_INVALID);
    if (key->dtype != d->b->kt) return BALE_NOTFOUND;
    uint64_t h = key_hash(key), p, slot;
    BALE_FORWARD_IF_ERROR(index_find(d, key, h, &p, &slot));
    BALE_FORWARD_IF_ERROR(own_body(d));
    return delete_at(d, p, slot);
}

bale_err bale_dict_popitem(bale_dict *d, bale_scalar *key, bale_scalar *value) {
    BALE_RETURN_IF(d == NULL, BALE_INVALID);
    uint64_t p;
    BALE_FORWARD_IF_ERROR(bale_dict_prev(d, body_end(d->b), &p));
    bale_scalar k, v;
    BALE_FORWARD_IF_ERROR(read_at(d, p, 0, &k));
    BALE_FORWARD_IF_ERROR(read_at(d, p, 1, &v));
    BALE_FORWARD_IF_ERROR(own_body(d));
    uint64_t slot = index_slot_of(d->b, key_hash(&k), p);
    BALE_FORWARD_IF_ERROR(delete_at(d, p, slot));
    if (key) *key = k;
    if (value) *value = v;
    return BALE_OK;
}

bale_err bale_dict_clear(bale_dict *d) {
    BALE_RETURN_IF(d == NULL, BALE_INVALID);
    dict_body *b = d->b;
    if (atomic_load(&b->refs) > 1) {
        dict_body *nb = body_new(b->kt, b->vt, &b->opts);
        BALE_RETURN_IF(nb == NULL, BALE_NOMEM);
        nb->layout = b->layout + 1;
        body_release(b);
        d->b = nb;
        return BALE_OK;
    }
    for (uint64_t i = 0; i < b->nblocks; i++) {
        bale_chunk_decref(b->blocks[i].keys);
        bale_chunk_decref(b->blocks[i].vals);
        bale__free(b->blocks[i].dead);
        patch_free(b->blocks[i].patch);
    }
    bale__free(b->blocks);
    b->blocks = NULL;
    b->nblocks = b->cap_blocks = 0;
    tail_reset(b);
    bale__free(b->slots);
    b->slots = NULL;
    b->cap = b->used = b->tombs = 0;
    b->live = b->dead = 0;
    b->layout++;
    cache_clear(d);
    return BALE_OK;
}

uint64_t bale_dict_count(const bale_dict *d) { return d ? d->b->live : 0; }
uint64_t bale_dict_end(const bale_dict *d) { return d ? body_end(d->b) : 0; }
uint64_t bale_dict_layout(const bale_dict *d) { return d ? d->b->layout : 0; }

bale_err bale_dict_next(const bale_dict *d, uint64_t start, uint64_t *pos) {
    BALE_RETURN_IF(d == NULL || pos == NULL, BALE_INVALID);
    const dict_body *b = d->b;
    uint64_t end = body_end(b);
    for (uint64_t p = start; p < end;) {
        uint64_t blk = p / DICT_BLOCK;
        const uint64_t *dead = blk == b->nblocks ? b->tail_dead : b->blocks[blk].dead;
        if (dead == NULL || !bit_get(dead, p % DICT_BLOCK)) {
            *pos = p;
            return BALE_OK;
        }
        p++;
    }
    return BALE_NOTFOUND;
}

bale_err bale_dict_prev(const bale_dict *d, uint64_t before, uint64_t *pos) {
    BALE_RETURN_IF(d == NULL || pos == NULL, BALE_INVALID);
    const dict_body *b = d->b;
    uint64_t p = before < body_end(b) ? before : body_end(b);
    while (p > 0) {
        p--;
        if (!pos_dead(b, p)) {
            *pos = p;
            return BALE_OK;
        }
    }
    return BALE_NOTFOUND;
}

bale_err bale_dict_entry(bale_dict *d, uint64_t pos, bale_scalar *key, bale_scalar *value) {
    BALE_RETURN_IF(d == NULL, BALE_INVALID);
    BALE_RETURN_IF(pos >= body_end(d->b), BALE_RANGE);
    if (pos_dead(d->b, pos)) return BALE_NOTFOUND;
    if (key) BALE_FORWARD_IF_ERROR(read_into(d, pos, 0, &d->ks, 1, key));
    if (value) BALE_FORWARD_IF_ERROR(read_into(d, pos, 1, &d->vs, 1, value));
    return BALE_OK;
}

bale_err bale_dict_copy(const bale_dict *d, bale_dict **out) {
    BALE_RETURN_IF(d == NULL || out == NULL, BALE_INVALID);
    bale_dict *c = bale__calloc(1, sizeof *c);
    BALE_RETURN_IF(c == NULL, BALE_NOMEM);
    atomic_fetch_add(&d->b->refs, 1);
    c->b = d->b;
    *out = c;
    return BALE_OK;
}

uint64_t bale_dict_nbytes(const bale_dict *d) {
    if (d == NULL) return 0;
    const dict_body *b = d->b;
    uint64_t n = sizeof *d + d->ks.capacity + d->vs.capacity + d->cs.capacity;
    for (unsigned w = 0; w < DICT_CACHE_WAYS; w++) {
        if (d->cache[w].chunk == NULL) continue;
        const bale_values *v = &d->cache[w].vals;
        n += v->data_size + (v->offsets ? (v->count + 1) * 8 : 0);
    }
    n += sizeof *b + b->cap_blocks * sizeof(dict_block);
    /* shared tables, each once: the current ones and those older blocks use */
    bale__table_set tabs = {0};
    for (int w = 0; w < 2; w++) n += bale__table_set_add(&tabs, b->tabs[w]);
    for (uint64_t i = 0; i < b->nblocks; i++) {
        n += bale_chunk_nbytes(b->blocks[i].keys) + bale_chunk_nbytes(b->blocks[i].vals);
        n += bale__table_set_add(&tabs, bale_chunk_symtab(b->blocks[i].keys));
        n += bale__table_set_add(&tabs, bale_chunk_symtab(b->blocks[i].vals));
        if (b->blocks[i].dead) n += DICT_BITS_WORDS * 8;
        if (b->blocks[i].patch) n += sizeof(dict_patch) + b->blocks[i].patch->bytes.capacity;
    }
    n += b->tk.capacity + b->tv.capacity + b->tko.capacity + b->tvo.capacity;
    n += b->cap * slot_size(b->wide);
    return n;
}

uint64_t bale_dict_raw_nbytes(const bale_dict *d) {
    if (d == NULL) return 0;
    const dict_body *b = d->b;
    uint64_t n = 0;
    for (uint64_t i = 0; i < b->nblocks; i++)
        n += bale_chunk_raw_size(b->blocks[i].keys) + bale_chunk_raw_size(b->blocks[i].vals);
    n += b->tk.size + b->tv.size;
    if (is_var(b->kt)) n += (uint64_t)b->tail_n * 8;
    if (is_var(b->vt)) n += (uint64_t)b->tail_n * 8;
    return n;
}

/* ---- verification ----------------------------------------------------------- */

#define VERIFY(cond)                                                           \
    do {                                                                       \
        if (!(cond)) {                                                         \
            err = BALE_CORRUPT;                                                \
            goto done;                                                         \
        }                                                                      \
    } while (0)

bale_err bale_dict_verify(bale_dict *d) {
    BALE_RETURN_IF(d == NULL, BALE_INVALID);
    dict_body *b = d->b;
    bale_err err = BALE_OK;
    uint64_t end = body_end(b);
    uint64_t *seen = NULL;
    if (!key_dtype_ok(b->kt) || !dtype_ok(b->vt) || b->tail_n >= DICT_BLOCK + 1 ||
        b->nblocks > b->cap_blocks || atomic_load(&b->refs) < 1)
        return BALE_CORRUPT;
    /* Blocks and counts. */
    uint64_t dead = 0;
    for (uint64_t i = 0; i < b->nblocks; i++) {
        const dict_block *bl = &b->blocks[i];
        if (bl->keys == NULL || bl->vals == NULL || bale_chunk_count(bl->keys) != DICT_BLOCK ||
            bale_chunk_count(bl->vals) != DICT_BLOCK || bale_chunk_dtype(bl->keys) != b->kt ||
            bale_chunk_dtype(bl->vals) != b->vt)
            return BALE_CORRUPT;
        uint64_t nd = 0;
        if (bl->dead)
            for (unsigned w = 0; w < DICT_BITS_WORDS; w++) nd += (uint64_t)__builtin_popcountll(bl->dead[w]);
        if (nd != bl->ndead) return BALE_CORRUPT;
        dead += nd;
        if (bl->patch != NULL) {
            const dict_patch *pt = bl->patch;
            if (pt->n > DICT_PATCH_MAX) return BALE_CORRUPT;
            for (uint32_t j = 0; j < pt->n; j++) {
                if (pt->idx[j] >= DICT_BLOCK || patch_find(pt, pt->idx[j]) != (int)j) return BALE_CORRUPT;
                if (is_var(b->vt) && (pt->val[j] > pt->bytes.size || pt->len[j] > pt->bytes.size - pt->val[j]))
                    return BALE_CORRUPT;
                if (b->vt == BALE_DTYPE_BOOL && pt->val[j] > 1) return BALE_CORRUPT;
            }
        }
    }
    uint64_t tnd = 0;
    for (unsigned w = 0; w < DICT_BITS_WORDS; w++) tnd += (uint64_t)__builtin_popcountll(b->tail_dead[w]);
    if (tnd != b->tail_ndead) return BALE_CORRUPT;
    for (uint64_t i = b->tail_n; i < DICT_BLOCK; i++)
        if (bit_get(b->tail_dead, i)) return BALE_CORRUPT;
    if (b->tail_n > 0 && bit_get(b->tail_dead, b->tail_n - 1)) return BALE_CORRUPT;
    dead += tnd;
    if (dead != b->dead || dead + b->live != end) return BALE_CORRUPT;
    /* Tail columns. */
    for (int which = 0; which < 2; which++) {
        bale_dtype t = which ? b->vt : b->kt;
        const bale__buf *data = which ? &b->tv : &b->tk;
        const bale__buf *offs = which ? &b->tvo : &b->tko;
        if (!is_var(t)) {
            if (data->size != b->tail_n * bale_dtype_width(t)) return BALE_CORRUPT;
        } else {
            if (offs->size != ((size_t)b->tail_n + 1) * 8) return BALE_CORRUPT;
            const uint64_t *o = (const uint64_t *)(const void *)offs->data;
            if (o[0] != 0 || o[b->tail_n] != data->size) return BALE_CORRUPT;
            for (uint32_t i = 0; i < b->tail_n; i++)
                if (o[i] > o[i + 1]) return BALE_CORRUPT;
        }
    }
    /* Index: every live position exactly once, reachable from its home, and
     * found by a lookup of its own key. */
    if (b->cap == 0) return b->live == 0 ? BALE_OK : BALE_CORRUPT;
    if (b->used + b->tombs >= b->cap || end > pos_limit(b->wide, b->fpbits)) return BALE_CORRUPT;
    seen = bale__calloc((size_t)(end / 64 + 1), 8);
    BALE_RETURN_IF(seen == NULL, BALE_NOMEM);
    uint64_t used = 0, tombs = 0;
    uint64_t fpmask = ((uint64_t)1 << b->fpbits) - 1;
    for (uint64_t s = 0; s < b->cap; s++) {
        uint64_t v = slot_get(b->slots, b->wide, s);
        if (v == DICT_SLOT_EMPTY) continue;
        if (v == slot_tomb(b->wide)) {
            tombs++;
            continue;
        }
        used++;
        uint64_t p = v >> b->fpbits;
        VERIFY(p >= 1);
        p--;
        VERIFY(p < end && !pos_dead(b, p) && !bit_get(seen, p));
        bit_set(seen, p);
        bale_scalar k;
        err = read_into(d, p, 0, &d->ks, 1, &k);
        if (err != BALE_OK) goto done;
        uint64_t h = key_hash(&k);
        VERIFY((h & fpmask) == (v & fpmask));
        for (uint64_t i = slot_home(h, b->cap); i != s; i = i + 1 == b->cap ? 0 : i + 1)
            VERIFY(slot_get(b->slots, b->wide, i) != DICT_SLOT_EMPTY);
        /* Copy the key: the lookup below reuses the scratch buffer. */
        uint64_t fp, fslot;
        bale__buf kc = {0};
        if (is_var(b->kt)) {
            err = bale__buf_append(&kc, k.data, (size_t)k.size);
            if (err != BALE_OK) goto done;
            k.data = kc.data;
        }
        err = index_find_seq(d, &k, h, 1, &fp, &fslot);
        bale__buf_free(&kc);
        if (err == BALE_NOTFOUND) err = BALE_CORRUPT;
        if (err != BALE_OK) goto done;
        VERIFY(fp == p && fslot == s);
    }
    VERIFY(used == b->used && used == b->live && tombs == b->tombs);
done:
    bale__free(seen);
    return err;
}

/* ---- serialization -----------------------------------------------------------
 * Form (little-endian), version 2:
 *   u32 magic "BALd", u8 version 2, u8 key dtype, u8 value dtype, u8 0,
 *   u32 entries per block, u32 0, u64 blocks, u64 live entries,
 *   u64 tables, then per table: u64 size, the shared table's bytes,
 *   then per block: u32 count, u32 flags (1: has deletion bits),
 *   keys chunk, values chunk, [DICT_BITS_WORDS u64 deletion bits if flagged],
 *   where a chunk is: u64 table (1 + index of the shared table it uses,
 *   0 = none), u64 size, the chunk's bytes.
 * Version 1 (still read) has no tables and no table field.
 * Every block but the last holds exactly BALE_DICT_BLOCK entries. */
#define DICT_MAGIC 0x646c4142u /* "BALd" */
#define DICT_FORM_VERSION 2
#define DICT_FORM_HEADER 32

typedef struct writer {
    uint8_t *buf;
    size_t cap, n;
} writer;

static void w_put(writer *w, const void *src, size_t n) {
    if (w->buf != NULL && w->n + n <= w->cap && n) memcpy(w->buf + w->n, src, n);
    w->n += n;
}
static void w_u32(writer *w, uint32_t v) { w_put(w, &v, 4); }
static void w_u64(writer *w, uint64_t v) { w_put(w, &v, 8); }

/* 1 + index of `t` in tabs[0..n), or 0 when t is NULL; adds it if new. */
static uint64_t tab_index(const bale_symtab **tabs, uint64_t *n, const bale_symtab *t) {
    if (t == NULL) return 0;
    for (uint64_t i = 0; i < *n; i++)
        if (tabs[i] == t) return i + 1;
    tabs[(*n)++] = t;
    return *n;
}

static void w_chunk(writer *w, const bale_chunk *c, const bale_symtab **tabs, uint64_t ntabs) {
    size_t size;
    const void *bytes = bale_chunk_bytes(c, &size);
    uint64_t n = ntabs;
    w_u64(w, tab_index(tabs, &n, bale_chunk_symtab(c)));
    w_u64(w, size);
    w_put(w, bytes, size);
}

bale_err bale_dict_serialize(bale_dict *d, void *buf, size_t cap, size_t *needed) {
    BALE_RETURN_IF(d == NULL || needed == NULL, BALE_INVALID);
    dict_body *b = d->b;
    /* Every block's chunks (patched values merged, the tail encoded), then
     * the tables they use. */
    uint64_t n = b->nblocks + (b->tail_n ? 1 : 0);
    bale_chunk **cs = bale__calloc((size_t)(2 * n + 1), sizeof *cs);
    const bale_symtab **tabs = bale__calloc((size_t)(2 * n + 1), sizeof *tabs);
    bale_err err = BALE_NOMEM;
    if (cs == NULL || tabs == NULL) goto done;
    for (uint64_t i = 0; i < b->nblocks; i++) {
        const dict_block *bl = &b->blocks[i];
        cs[2 * i] = bale_chunk_incref(bl->keys);
        if (bl->patch != NULL && bl->patch->n) {
            if ((err = block_merge(b, bl, 0, NULL, &cs[2 * i + 1])) != BALE_OK) goto done;
        } else {
            cs[2 * i + 1] = bale_chunk_incref(bl->vals);
        }
    }
    if (b->tail_n) {
        /* Encoded with the current tables, which must not change here (a
         * caller sizes the form, then writes it: both passes must agree). */
        bale_values kv = tail_values(b, 0), vv = tail_values(b, 1);
        for (int w = 0; w < 2; w++) {
            const bale_values *v = w ? &vv : &kv;
            bale_codec_opts o = col_opts(b, v);
            err = bale_chunk_encode_with(v, &o, b->tabs[w], &cs[2 * (n - 1) + (uint64_t)w]);
            if (err != BALE_OK) goto done;
        }
    }
    uint64_t ntabs = 0;
    for (uint64_t i = 0; i < 2 * n; i++) (void)tab_index(tabs, &ntabs, bale_chunk_symtab(cs[i]));
    writer w = {buf, cap, 0};
    w_u32(&w, DICT_MAGIC);
    uint8_t hdr[4] = {DICT_FORM_VERSION, (uint8_t)b->kt, (uint8_t)b->vt, 0};
    w_put(&w, hdr, 4);
    w_u32(&w, BALE_DICT_BLOCK);
    w_u32(&w, 0);
    w_u64(&w, n);
    w_u64(&w, b->live);
    w_u64(&w, ntabs);
    for (uint64_t t = 0; t < ntabs; t++) {
        size_t size;
        const void *bytes = bale_symtab_bytes(tabs[t], &size);
        w_u64(&w, size);
        w_put(&w, bytes, size);
    }
    for (uint64_t i = 0; i < n; i++) {
        int tail = i == b->nblocks;
        const uint64_t *dead = tail ? (b->tail_ndead ? b->tail_dead : NULL) : b->blocks[i].dead;
        w_u32(&w, tail ? b->tail_n : BALE_DICT_BLOCK);
        w_u32(&w, dead ? 1u : 0u);
        w_chunk(&w, cs[2 * i], tabs, ntabs);
        w_chunk(&w, cs[2 * i + 1], tabs, ntabs);
        if (dead) w_put(&w, dead, DICT_BITS_WORDS * 8);
    }
    *needed = w.n;
    err = buf != NULL && w.n > cap ? BALE_RANGE : BALE_OK;
done:
    for (uint64_t i = 0; cs != NULL && i < 2 * n; i++) bale_chunk_decref(cs[i]);
    bale__free(cs);
    bale__free(tabs);
    return err;
}

static bale_err read_chunk(bale__reader *r, int version, bale_symtab *const *tabs, uint64_t ntabs,
                           bale_dtype want, uint32_t count, bale_chunk **out) {
    uint64_t t = version >= 2 ? bale__reader_u64(r) : 0;
    uint64_t size = bale__reader_u64(r);
    BALE_RETURN_IF(r->bad || t > ntabs || size > bale__reader_left(r), BALE_CORRUPT);
    const uint8_t *p = bale__reader_take(r, (size_t)size);
    BALE_RETURN_IF(p == NULL, BALE_CORRUPT);
    bale_chunk *c;
    BALE_FORWARD_IF_ERROR(bale_chunk_from_bytes_with(p, (size_t)size, t ? tabs[t - 1] : NULL, &c));
    if (bale_chunk_dtype(c) != want || bale_chunk_count(c) != count) {
        bale_chunk_decref(c);
        return BALE_CORRUPT;
    }
    *out = c;
    return BALE_OK;
}

bale_err bale_dict_deserialize(const void *bytes, size_t size, bale_dict **out) {
    BALE_RETURN_IF(out == NULL || (bytes == NULL && size), BALE_INVALID);
    bale__reader r;
    bale__reader_init(&r, bytes, size);
    uint32_t magic = bale__reader_u32(&r);
    uint8_t version = bale__reader_u8(&r);
    bale_dtype kt = (bale_dtype)bale__reader_u8(&r);
    bale_dtype vt = (bale_dtype)bale__reader_u8(&r);
    (void)bale__reader_u8(&r);
    uint32_t block = bale__reader_u32(&r);
    (void)bale__reader_u32(&r);
    uint64_t nblocks = bale__reader_u64(&r);
    uint64_t live = bale__reader_u64(&r);
    BALE_RETURN_IF(r.bad || magic != DICT_MAGIC, BALE_CORRUPT);
    BALE_RETURN_IF(version == 0, BALE_CORRUPT);
    BALE_RETURN_IF(version > DICT_FORM_VERSION, BALE_UNSUPPORTED);
    BALE_RETURN_IF(block != BALE_DICT_BLOCK || !key_dtype_ok(kt) || !dtype_ok(vt), BALE_CORRUPT);
    /* Each block takes at least 24 bytes of framing plus two chunk headers. */
    BALE_RETURN_IF(nblocks > bale__reader_left(&r) / 24, BALE_CORRUPT);
    /* Shared tables (version 2): each at least a 28-byte header. */
    uint64_t ntabs = version >= 2 ? bale__reader_u64(&r) : 0;
    BALE_RETURN_IF(r.bad || ntabs > bale__reader_left(&r) / 28, BALE_CORRUPT);
    bale_symtab **tabs = bale__calloc((size_t)ntabs + 1, sizeof *tabs);
    BALE_RETURN_IF(tabs == NULL, BALE_NOMEM);
    bale_dict *d = NULL;
    bale_err err = BALE_OK;
    for (uint64_t t = 0; t < ntabs && err == BALE_OK; t++) {
        uint64_t tsize = bale__reader_u64(&r);
        const uint8_t *tp = r.bad || tsize > bale__reader_left(&r) ? NULL
                                                                   : bale__reader_take(&r, (size_t)tsize);
        err = tp == NULL ? BALE_CORRUPT : bale_symtab_from_bytes(tp, (size_t)tsize, &tabs[t]);
    }
    if (err == BALE_OK) err = bale_dict_create(kt, vt, NULL, &d);
    if (err != BALE_OK) {
        for (uint64_t t = 0; t < ntabs; t++) bale_symtab_decref(tabs[t]);
        bale__free(tabs);
        return err;
    }
    dict_body *b = d->b;
    bale_values kv = {0}, vv = {0};
    for (uint64_t i = 0; i < nblocks; i++) {
        uint32_t count = bale__reader_u32(&r);
        uint32_t flags = bale__reader_u32(&r);
        int last = i + 1 == nblocks;
        if (r.bad || flags > 1 || count == 0 || count > BALE_DICT_BLOCK ||
            (!last && count != BALE_DICT_BLOCK)) {
            err = BALE_CORRUPT;
            goto fail;
        }
        dict_block bl = {NULL, NULL, NULL, NULL, 0};
        err = read_chunk(&r, version, tabs, ntabs, kt, count, &bl.keys);
        if (err == BALE_OK) err = read_chunk(&r, version, tabs, ntabs, vt, count, &bl.vals);
        if (err == BALE_OK && flags) {
            const uint8_t *p = bale__reader_take(&r, DICT_BITS_WORDS * 8);
            bl.dead = p ? bale__malloc(DICT_BITS_WORDS * 8) : NULL;
            if (p == NULL) err = BALE_CORRUPT;
            else if (bl.dead == NULL) err = BALE_NOMEM;
            else {
                memcpy(bl.dead, p, DICT_BITS_WORDS * 8);
                for (uint64_t j = 0; j < DICT_BLOCK; j++)
                    if (bit_get(bl.dead, j)) {
                        if (j >= count) err = BALE_CORRUPT;
                        bl.ndead++;
                    }
            }
        }
        if (err == BALE_OK && count == BALE_DICT_BLOCK) err = grow_blocks(b);
        if (err != BALE_OK) {
            bale_chunk_decref(bl.keys);
            bale_chunk_decref(bl.vals);
            bale__free(bl.dead);
            goto fail;
        }
        if (count == BALE_DICT_BLOCK) {
            b->blocks[b->nblocks++] = bl;
            b->live += DICT_BLOCK - bl.ndead;
            b->dead += bl.ndead;
            continue;
        }
        /* A partial last block becomes the tail. */
        err = bale_chunk_decode(bl.keys, &kv);
        if (err == BALE_OK) err = bale_chunk_decode(bl.vals, &vv);
        for (uint32_t j = 0; err == BALE_OK && j < count; j++) {
            bale_scalar k, v;
            values_elem(&kv, j, NULL, &k);
            values_elem(&vv, j, NULL, &v);
            err = col_reserve(&b->tk, &b->tko, kt, &k);
            if (err == BALE_OK) err = col_reserve(&b->tv, &b->tvo, vt, &v);
            if (err != BALE_OK) break;
            if (vt == BALE_DTYPE_BOOL && v.i > 1) err = BALE_CORRUPT;
            col_push(&b->tk, &b->tko, kt, &k);
            col_push(&b->tv, &b->tvo, vt, &v);
            b->tail_n++;
        }
        if (err == BALE_OK && bl.dead) {
            memcpy(b->tail_dead, bl.dead, sizeof b->tail_dead);
            b->tail_ndead = bl.ndead;
            b->dead += bl.ndead;
            if (bit_get(b->tail_dead, count - 1)) err = BALE_CORRUPT;
        }
        b->live += count - bl.ndead;
        bale_chunk_decref(bl.keys);
        bale_chunk_decref(bl.vals);
        bale__free(bl.dead);
        bale_values_free(&kv);
        bale_values_free(&vv);
        if (err != BALE_OK) goto fail;
    }
    if (r.bad || bale__reader_left(&r) != 0 || b->live != live) {
        err = BALE_CORRUPT;
        goto fail;
    }
    if (body_end(b) > DICT_MAX_POS) {
        err = BALE_CORRUPT;
        goto fail;
    }
    err = index_reserve(b, 1);
    if (err != BALE_OK) goto fail;
    /* Duplicate keys: a lookup of each live key must find its own entry. */
    for (uint64_t p = 0; p < body_end(b); p++) {
        if (pos_dead(b, p)) continue;
        bale_scalar k;
        uint64_t fp, slot;
        err = read_into(d, p, 0, &d->ks, 1, &k);
        if (err == BALE_OK) err = index_find_seq(d, &k, key_hash(&k), 1, &fp, &slot);
        if (err == BALE_OK && fp != p) err = BALE_CORRUPT;
        if (err == BALE_NOTFOUND) err = BALE_CORRUPT;
        if (err != BALE_OK) goto fail;
    }
    /* New chunks go on with the tables the last block uses. */
    if (b->nblocks) {
        const dict_block *lb = &b->blocks[b->nblocks - 1];
        b->tabs[0] = bale_symtab_incref((bale_symtab *)bale_chunk_symtab(lb->keys));
        b->tabs[1] = bale_symtab_incref((bale_symtab *)bale_chunk_symtab(lb->vals));
    }
    for (uint64_t t = 0; t < ntabs; t++) bale_symtab_decref(tabs[t]);
    bale__free(tabs);
    *out = d;
    return BALE_OK;
fail:
    for (uint64_t t = 0; t < ntabs; t++) bale_symtab_decref(tabs[t]);
    bale__free(tabs);
    bale_values_free(&kv);
    bale_values_free(&vv);
    bale_dict_free(d);
    return err == BALE_RANGE ? BALE_CORRUPT : err;
}
