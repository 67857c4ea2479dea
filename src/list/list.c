/*
 * list.c - the typed chunked sequence (bale_list).
 *
 * Layout (docs/design-list.md has the full picture):
 *
 *   bale_list
 *   +---------+     segs[0]          segs[1]          segs[n-1] (tail)
 *   | dtype   |   +-------------+  +-------------+  +-------------+
 *   | segs ---+-->| chunk  *----+->| chunk  NULL |  | chunk  NULL |
 *   | nseg    |   | blk    NULL |  | blk    *----+->| blk    *    |
 *   | len     |   | start  0    |  | start  8192 |  | start ...   |
 *   | cache.. |   | count, raw  |  | count, raw  |  | count, raw  |
 *   +---------+   +-------------+  +-------------+  +-------------+
 *
 * A segment holds its values as a sealed chunk, a decoded block, or both:
 *   chunk && !blk  sealed, not decoded (the usual state);
 *   chunk && blk   sealed with a cached decode ("clean"), counted in
 *                  cache_bytes and dropped under pressure;
 *   !chunk && blk  "open": the block holds changes not yet sealed, counted
 *                  in open_bytes and sealed lazily (the tail, or a chunk
 *                  being written by xs[i] = v loops).
 * Chunks are immutable and may be shared with other lists.  Blocks are
 * refcounted too (copies and iterators hold them); the list writes a block in
 * place only while it holds the sole reference, else it copies it first
 * (copy on write).  Starts are cumulative so lookup is a binary search
 * (after a check of the last segment found, which serves sequential access).
 *
 * Failure rule: every mutation allocates all it needs before it changes
 * anything, so an error leaves the list as it was (appends: a prefix).
 */
#include "bale_list.h"

#include "../chunk/chunk_internal.h"
#include "../common/common_internal.h"

#include <stdatomic.h>
#include <pthread.h>
#include <stdio.h>

struct bale_list_block {
    int64_t refcount;  /* owners: at most one segment, plus iterators/copies */
    uint64_t data_cap; /* bytes allocated at v.data */
    uint64_t off_cap;  /* entries allocated at v.offsets (var-width only) */
    bale_values v;     /* owned buffers (through the hooks) */
    /* Id form (BALE_LIST_IDS): v has dtype and count only, and value i is
     * element ids[i] of dict (both owned). */
    int idform;
    bale_values dict, ids;
};

typedef struct seg {
    bale_chunk *chunk;    /* sealed values, or NULL when open */
    bale_list_block *blk; /* decoded values, or NULL */
    uint64_t start;       /* list index of element 0 */
    uint64_t count;       /* elements, always > 0 */
    uint64_t raw;         /* decoded bytes (bale_chunk_raw_size's rule) */
} seg;

/* Uncached reads remembered: a segment read BALE__LIST_RECENT_READS times
 * while remembered is decoded into the cache (a sequential or small working
 * set), others are read one element at a time with bale_chunk_get (random
 * access).  Decoding on the second read made random access over a large list
 * decode a whole chunk for about 1 read in 100 (4 of ~370 segments
 * remembered), which cost more than all the gets together once chunks have a
 * cheap get (delay: 644 ns a read, of which ~250 were such decodes). */
#define BALE__LIST_RECENT 4
#define BALE__LIST_RECENT_READS 3

struct bale_list {
    bale_dtype dtype;
    size_t width;          /* bale_dtype_width(dtype); 0 = variable */
    bale_codec_opts opts;
    seg *segs;
    uint64_t nseg, cap;
    uint64_t len;
    uint64_t cache_bytes;  /* raw bytes of blocks of sealed segments */
    uint64_t open_bytes;   /* raw bytes of blocks of open segments */
    uint64_t version;
    uint64_t hint;         /* last segment found */
    uint64_t recent[BALE__LIST_RECENT]; /* 1 + segments of recent uncached reads */
    unsigned recent_reads[BALE__LIST_RECENT]; /* reads of each while remembered */
    unsigned recent_at;
    /* The shared string table this list's new chunks are encoded against
     * (owned reference; NULL until a str/bytes/object chunk that FSST suits
     * is sealed).  Chunks hold their own references, so a retrained table
     * replaces this one without touching them; copies and slices share it. */
    bale_symtab *symtab;
    int relearn_tried; /* relearn() ran (it runs once) */
};

/* ---- values helpers ------------------------------------------------------ */

static uint64_t vals_raw(const bale_values *v, uint64_t from, uint64_t to, size_t width) {
    if (width) return (to - from) * width;
    return v->offsets[to] - v->offsets[from] + 8 * (to - from);
}

static uint64_t elem_raw(const bale_values *v, uint64_t i, size_t width) {
    return width ? width : v->offsets[i + 1] - v->offsets[i] + 8;
}

static bale_err run_check(const bale_list *l, const bale_values *v) {
    BALE_RETURN_IF(v == NULL, BALE_INVALID);
    BALE_RETURN_IF(v->dtype != l->dtype, BALE_TYPE);
    if (v->count == 0) return BALE_OK;
    if (l->width) {
        BALE_RETURN_IF(v->data == NULL || v->count > UINT64_MAX / l->width ||
                           v->data_size != v->count * l->width,
                       BALE_INVALID);
        if (l->dtype == BALE_DTYPE_BOOL) {
            const uint8_t *b = v->data;
            for (uint64_t i = 0; i < v->count; i++) BALE_RETURN_IF(b[i] > 1, BALE_INVALID);
        }
        return BALE_OK;
    }
    BALE_RETURN_IF(v->offsets == NULL || v->offsets[0] != 0 ||
                       v->offsets[v->count] != v->data_size ||
                       (v->data_size > 0 && v->data == NULL),
                   BALE_INVALID);
    for (uint64_t i = 0; i < v->count; i++)
        BALE_RETURN_IF(v->offsets[i] > v->offsets[i + 1], BALE_INVALID);
    return BALE_OK;
}

/* Last index e in (from, to] such that [from, e) has raw >= lo, or fewer
 * while the next element would pass hi; always takes one element. */
static uint64_t take_upto(const bale_values *v, uint64_t from, uint64_t to, size_t width,
                          uint64_t have, uint64_t lo, uint64_t hi) {
    if (from >= to) return from;
    if (width) {
        uint64_t n = have >= lo ? 1 : (lo - have + width - 1) / width;
        if (n == 0) n = 1;
        if (n > to - from) n = to - from;
        return from + n;
    }
    uint64_t e = from;
    while (e < to && have < lo) {
        uint64_t r = elem_raw(v, e, width);
        if (e > from && have + r > hi) break;
        have += r;
        e++;
    }
    if (e == from) e++;
    return e;
}

/* ---- blocks -------------------------------------------------------------- */

static bale_list_block *block_new(bale_dtype dtype, uint64_t count_cap, uint64_t data_cap) {
    size_t width = bale_dtype_width(dtype);
    bale_list_block *b = bale__malloc(sizeof *b);
    if (b == NULL) return NULL;
    memset(b, 0, sizeof *b);
    b->refcount = 1;
    b->v.dtype = dtype;
    if (width) data_cap = count_cap * width;
    if (data_cap > 0) {
        b->v.data = bale__malloc((size_t)data_cap);
        if (b->v.data == NULL) goto fail;
        b->data_cap = data_cap;
    }
    if (!width) {
        b->v.offsets = bale__malloc((size_t)(count_cap + 1) * sizeof(uint64_t));
        if (b->v.offsets == NULL) goto fail;
        b->off_cap = count_cap + 1;
        b->v.offsets[0] = 0;
    }
    return b;
fail:
    bale__free(b->v.data);
    bale__free(b);
    return NULL;
}

/* Wraps decoded values (takes their buffers). */
static bale_list_block *block_adopt(bale_values *v) {
    bale_list_block *b = bale__calloc(1, sizeof *b);
    if (b == NULL) return NULL;
    b->refcount = 1;
    b->v = *v;
    b->data_cap = v->data_size;
    b->off_cap = v->offsets ? v->count + 1 : 0;
    memset(v, 0, sizeof *v);
    return b;
}

static void block_release(bale_list_block *b) {
    if (b == NULL || --b->refcount > 0) return;
    bale__free(b->v.data);
    bale__free(b->v.offsets);
    bale_values_free(&b->dict);
    bale_values_free(&b->ids);
    bale__free(b);
}

/* Segment k's chunk in id form (bale_chunk_decode_ids), or NULL in *out when
 * the chunk has none. */
static bale_err block_ids(const bale_list *l, const seg *s, bale_list_block **out) {
    *out = NULL;
    bale_values dict, ids;
    bale_err err = bale_chunk_decode_ids(s->chunk, &dict, &ids);
    if (err == BALE_UNSUPPORTED) return BALE_OK;
    BALE_FORWARD_IF_ERROR(err);
    bale_list_block *b = bale__calloc(1, sizeof *b);
    if (b == NULL || dict.dtype != l->dtype || ids.count != s->count) {
        bale__free(b);
        bale_values_free(&dict);
        bale_values_free(&ids);
        return b == NULL ? BALE_NOMEM : BALE_CORRUPT;
    }
    b->refcount = 1;
    b->v.dtype = l->dtype;
    b->v.count = s->count;
    b->idform = 1;
    b->dict = dict;
    b->ids = ids;
    *out = b;
    return BALE_OK;
}

static uint64_t block_bytes(const bale_list_block *b) {
    return sizeof *b + b->data_cap + b->off_cap * sizeof(uint64_t);
}

static uint64_t grow_cap(uint64_t cap, uint64_t need) {
    uint64_t c = cap < 16 ? 16 : cap;
    while (c < need) c = c > UINT64_MAX / 2 ? need : c + c / 2;
    return c;
}

/* Room for `extra` more elements and `extra_bytes` more data bytes. */
static bale_err block_reserve(bale_list_block *b, uint64_t extra, uint64_t extra_bytes) {
    size_t width = bale_dtype_width(b->v.dtype);
    uint64_t need_data = width ? (b->v.count + extra) * width : b->v.data_size + extra_bytes;
    if (need_data > b->data_cap) {
        uint64_t c = grow_cap(b->data_cap, need_data);
        BALE_RETURN_IF(c > SIZE_MAX, BALE_NOMEM);
        void *p = bale__realloc(b->v.data, (size_t)c);
        BALE_RETURN_IF(p == NULL, BALE_NOMEM);
        b->v.data = p;
        b->data_cap = c;
    }
    if (!width && b->v.count + extra + 1 > b->off_cap) {
        uint64_t c = grow_cap(b->off_cap, b->v.count + extra + 1);
        size_t bytes;
        BALE_RETURN_IF(c > SIZE_MAX || !bale__mul_ok((size_t)c, 8, &bytes), BALE_NOMEM);
        uint64_t *p = bale__realloc(b->v.offsets, bytes);
        BALE_RETURN_IF(p == NULL, BALE_NOMEM);
        b->v.offsets = p;
        b->off_cap = c;
    }
    return BALE_OK;
}

/* Replaces elements [pos, pos+ndel) of an exclusively owned block with
 * src[from, to).  On failure the block is unchanged. */
static bale_err block_splice(bale_list_block *b, uint64_t pos, uint64_t ndel,
                             const bale_values *src, uint64_t from, uint64_t to) {
    bale_values *v = &b->v;
    size_t width = bale_dtype_width(v->dtype);
    uint64_t nins = to - from;
    assert(b->refcount == 1 && pos + ndel <= v->count);
    if (width) {
        if (nins > ndel) BALE_FORWARD_IF_ERROR(block_reserve(b, nins - ndel, 0));
        uint8_t *d = v->data;
        memmove(d + (pos + nins) * width, d + (pos + ndel) * width,
                (size_t)((v->count - pos - ndel) * width));
        if (nins) memcpy(d + pos * width, (const uint8_t *)src->data + from * width, (size_t)(nins * width));
        v->count = v->count - ndel + nins;
        v->data_size = v->count * width;
        return BALE_OK;
    }
    uint64_t del_bytes = v->offsets[pos + ndel] - v->offsets[pos];
    uint64_t ins_bytes = nins ? src->offsets[to] - src->offsets[from] : 0;
    BALE_FORWARD_IF_ERROR(block_reserve(b, nins > ndel ? nins - ndel : 0,
                                        ins_bytes > del_bytes ? ins_bytes - del_bytes : 0));
    uint8_t *d = v->data;
    uint64_t *off = v->offsets;
    uint64_t at = off[pos];
    uint64_t tail_bytes = v->data_size - off[pos + ndel];
    if (tail_bytes) memmove(d + at + ins_bytes, d + off[pos + ndel], (size_t)tail_bytes);
    if (ins_bytes) memcpy(d + at, (const uint8_t *)src->data + src->offsets[from], (size_t)ins_bytes);
    /* offsets: shift the tail entries, then write the inserted ones */
    uint64_t old_count = v->count;
    memmove(off + pos + nins + 1, off + pos + ndel + 1,
            (size_t)(old_count - pos - ndel) * sizeof(uint64_t));
    int64_t delta = (int64_t)ins_bytes - (int64_t)del_bytes;
    uint64_t new_count = old_count - ndel + nins;
    for (uint64_t i = pos + nins + 1; i <= new_count; i++) off[i] = (uint64_t)((int64_t)off[i] + delta);
    for (uint64_t i = 0; i < nins; i++)
        off[pos + i + 1] = at + src->offsets[from + i + 1] - src->offsets[from];
    v->count = new_count;
    v->data_size = off[new_count];
    return BALE_OK;
}

static bale_err block_push(bale_list_block *b, const bale_values *src, uint64_t from, uint64_t to) {
    return block_splice(b, b->v.count, 0, src, from, to);
}

static bale_list_block *block_copy(const bale_list_block *b) {
    bale_list_block *c = block_new(b->v.dtype, b->v.count, b->v.data_size);
    if (c == NULL) return NULL;
    if (block_push(c, &b->v, 0, b->v.count) != BALE_OK) {
        block_release(c);
        return NULL;
    }
    return c;
}

/* Encodes src[from, to) into a new chunk. */
static bale_err encode_range(bale_list *l, const bale_values *src, uint64_t from,
                             uint64_t to, bale_chunk **out) {
    bale_values view = {l->dtype, to - from, NULL, NULL, 0};
    uint64_t *offs = NULL;
    if (l->width) {
        view.data = (uint8_t *)src->data + from * l->width;
        view.data_size = (to - from) * l->width;
    } else {
        uint64_t base = src->offsets[from];
        if (base == 0) {
            view.offsets = src->offsets + from;
        } else {
            offs = bale__malloc((size_t)(to - from + 1) * sizeof(uint64_t));
            BALE_RETURN_IF(offs == NULL, BALE_NOMEM);
            for (uint64_t i = from; i <= to; i++) offs[i - from] = src->offsets[i] - base;
            view.offsets = offs;
        }
        view.data = (uint8_t *)src->data + base;
        view.data_size = src->offsets[to] - base;
    }
    bale_err err = bale_chunk_encode_shared(&view, &l->opts, &l->symtab, out);
    bale__free(offs);
    return err;
}

/* Once the list has sealed BALE__RELEARN_CHUNKS chunks, replaces its table
 * with one trained on all of them and re-encodes them against it
 * (bale__chunks_relearn says why and when it pays).  Tried once per list,
 * and only on chunks no other list holds: a shared chunk would keep the old
 * table alive.  Best effort: on failure the list stays as it was, and
 * either way it holds the same values. */
static void relearn(bale_list *l) {
    if (l->relearn_tried || l->symtab == NULL || l->nseg < BALE__RELEARN_CHUNKS) return;
    l->relearn_tried = 1;
    bale_chunk *cs[BALE__RELEARN_CHUNKS];
    for (unsigned k = 0; k < BALE__RELEARN_CHUNKS; k++) {
        cs[k] = l->segs[k].chunk;
        if (cs[k] == NULL || bale_chunk_refcount(cs[k]) != 1) return;
    }
    int done;
    if (bale__chunks_relearn(cs, BALE__RELEARN_CHUNKS, &l->opts, 0, &l->symtab, &done) != BALE_OK)
        return;
    /* segments with a cached block keep it: the values are the same */
    if (done)
        for (unsigned k = 0; k < BALE__RELEARN_CHUNKS; k++) l->segs[k].chunk = cs[k];
}

/* ---- segments and accounting ---------------------------------------------- */

static void acct_sub(bale_list *l, const seg *s) {
    if (s->blk == NULL) return;
    if (s->chunk) l->cache_bytes -= s->raw;
    else l->open_bytes -= s->raw;
}
static void acct_add(bale_list *l, const seg *s) {
    if (s->blk == NULL) return;
    if (s->chunk) l->cache_bytes += s->raw;
    else l->open_bytes += s->raw;
}

static void seg_release(bale_list *l, seg *s) {
    acct_sub(l, s);
    bale_chunk_decref(s->chunk);
    block_release(s->blk);
    s->chunk = NULL;
    s->blk = NULL;
}

static void fix_starts(bale_list *l, uint64_t from) {
    uint64_t at = from ? l->segs[from - 1].start + l->segs[from - 1].count : 0;
    for (uint64_t k = from; k < l->nseg; k++) {
        l->segs[k].start = at;
        at += l->segs[k].count;
    }
    l->len = at;
}

static bale_err table_reserve(bale_list *l, uint64_t need) {
    if (need <= l->cap) return BALE_OK;
    uint64_t c = grow_cap(l->cap, need);
    size_t bytes;
    BALE_RETURN_IF(c > SIZE_MAX || !bale__mul_ok((size_t)c, sizeof(seg), &bytes), BALE_NOMEM);
    seg *p = bale__realloc(l->segs, bytes);
    BALE_RETURN_IF(p == NULL, BALE_NOMEM);
    l->segs = p;
    l->cap = c;
    return BALE_OK;
}

static uint64_t find_seg(bale_list *l, uint64_t index) {
    assert(index < l->len);
    seg *h = &l->segs[l->hint < l->nseg ? l->hint : 0];
    if (index >= h->start && index - h->start < h->count) return (uint64_t)(h - l->segs);
    if (l->hint + 1 < l->nseg) {
        seg *n = h + 1;
        if (index >= n->start && index - n->start < n->count) return l->hint = (uint64_t)(n - l->segs);
    }
    uint64_t lo = 0, hi = l->nseg - 1;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo + 1) / 2;
        if (l->segs[mid].start <= index) lo = mid;
        else hi = mid - 1;
    }
    l->hint = lo;
    return lo;
}

/* Decodes a chunk of this list into `out`, checking it matches. */
static bale_err decode_chunk(const bale_list *l, const bale_chunk *c, bale_values *out) {
    BALE_FORWARD_IF_ERROR(bale_chunk_decode(c, out));
    if (out->dtype != l->dtype) {
        bale_values_free(out);
        return BALE_CORRUPT;
    }
    return BALE_OK;
}

/* The values of segment k: the block's, or decoded into *tmp (caller frees
 * tmp with bale_values_free). */
static bale_err seg_view(const bale_list *l, const seg *s, bale_values *tmp,
                         const bale_values **out) {
    memset(tmp, 0, sizeof *tmp);
    if (s->blk) {
        *out = &s->blk->v;
        return BALE_OK;
    }
    BALE_FORWARD_IF_ERROR(decode_chunk(l, s->chunk, tmp));
    *out = tmp;
    return BALE_OK;
}

/* Makes segment k's block exist and be owned by the list alone, without
 * changing its contents or sealed state. */
static bale_err seg_own_block(bale_list *l, uint64_t k) {
    seg *s = &l->segs[k];
    if (s->blk && s->blk->refcount == 1) return BALE_OK;
    bale_list_block *nb;
    if (s->blk) {
        nb = block_copy(s->blk);
        BALE_RETURN_IF(nb == NULL, BALE_NOMEM);
    } else {
        bale_values v;
        BALE_FORWARD_IF_ERROR(decode_chunk(l, s->chunk, &v));
        nb = block_adopt(&v);
        if (nb == NULL) {
            bale_values_free(&v);
            return BALE_NOMEM;
        }
    }
    acct_sub(l, s);
    block_release(s->blk);
    s->blk = nb;
    acct_add(l, s);
    return BALE_OK;
}

/* Seals an open segment; drops the block when asked. */
static bale_err seg_seal(bale_list *l, uint64_t k, int drop) {
    seg *s = &l->segs[k];
    if (s->chunk == NULL) {
        bale_chunk *c;
        BALE_FORWARD_IF_ERROR(encode_range(l, &s->blk->v, 0, s->blk->v.count, &c));
        acct_sub(l, s);
        s->chunk = c;
        acct_add(l, s);
    }
    if (drop && s->blk) {
        acct_sub(l, s);
        block_release(s->blk);
        s->blk = NULL;
    }
    return BALE_OK;
}

/* Keeps the cache and the open blocks within budget; segment `keep` and the
 * tail are spared.  Best effort: a failed seal leaves the segment open. */
static void trim(bale_list *l, uint64_t keep) {
    if (l->cache_bytes > BALE_LIST_CACHE_BYTES) {
        for (uint64_t k = 0; k < l->nseg && l->cache_bytes > BALE_LIST_CACHE_BYTES / 2; k++) {
            seg *s = &l->segs[k];
            if (k == keep || !s->chunk || !s->blk) continue;
            acct_sub(l, s);
            block_release(s->blk);
            s->blk = NULL;
        }
    }
    if (l->open_bytes > BALE_LIST_OPEN_BYTES) {
        for (uint64_t k = 0; k + 1 < l->nseg && l->open_bytes > BALE_LIST_OPEN_BYTES / 2; k++) {
            if (k == keep || l->segs[k].chunk) continue;
            (void)seg_seal(l, k, 1);
        }
    }
}

/* ---- lifecycle -------------------------------------------------------------- */

bale_err bale_list_create(bale_dtype dtype, const bale_codec_opts *opts, bale_list **out) {
    BALE_RETURN_IF(out == NULL || bale_dtype_name(dtype) == NULL, BALE_INVALID);
    bale_list *l = bale__malloc(sizeof *l);
    BALE_RETURN_IF(l == NULL, BALE_NOMEM);
    memset(l, 0, sizeof *l);
    l->dtype = dtype;
    l->width = bale_dtype_width(dtype);
    l->opts = opts ? *opts : bale_codec_opts_auto();
    *out = l;
    return BALE_OK;
}

static void list_clear_segs(bale_list *l) {
    for (uint64_t k = 0; k < l->nseg; k++) seg_release(l, &l->segs[k]);
    bale__free(l->segs);
    l->segs = NULL;
    l->nseg = l->cap = l->len = 0;
}

void bale_list_free(bale_list *l) {
    if (l == NULL) return;
    list_clear_segs(l);
    bale_symtab_decref(l->symtab);
    bale__free(l);
}

bale_dtype bale_list_dtype(const bale_list *l) { return l->dtype; }
bale_codec_opts bale_list_codec(const bale_list *l) { return l->opts; }
uint64_t bale_list_len(const bale_list *l) { return l->len; }
uint64_t bale_list_version(const bale_list *l) { return l->version; }
const uint64_t *bale_list_version_ptr(const bale_list *l) { return &l->version; }
uint64_t bale_list_nsegments(const bale_list *l) { return l->nseg; }

bale_err bale_list_set_dtype(bale_list *l, bale_dtype dtype) {
    BALE_RETURN_IF(bale_dtype_name(dtype) == NULL, BALE_INVALID);
    BALE_RETURN_IF(l->len != 0, BALE_BUSY);
    list_clear_segs(l);
    l->dtype = dtype;
    l->width = bale_dtype_width(dtype);
    l->version++;
    return BALE_OK;
}

/* ---- append ------------------------------------------------------------------ */

/* Pushes a new segment at the end (table room must exist). */
static void push_seg(bale_list *l, bale_chunk *c, bale_list_block *b, uint64_t count, uint64_t raw) {
    assert(l->nseg < l->cap);
    seg *s = &l->segs[l->nseg++];
    s->chunk = c;
    s->blk = b;
    s->start = l->len;
    s->count = count;
    s->raw = raw;
    acct_add(l, s);
    l->len += count;
}

static bale_err append_range(bale_list *l, const bale_values *v, uint64_t from, uint64_t to) {
    const uint64_t T = BALE_LIST_CHUNK_TARGET;
    bale_err err = BALE_OK;
    while (from < to) {
        seg *t = l->nseg ? &l->segs[l->nseg - 1] : NULL;
        uint64_t e = 0;
        if (t && t->raw < T) {
            e = take_upto(v, from, to, l->width, t->raw, T, 2 * T);
            if (vals_raw(v, from, e, l->width) + t->raw > 2 * T) e = from; /* does not fit */
        }
        if (e > from) {
            uint64_t k = l->nseg - 1;
            err = seg_own_block(l, k);
            if (err != BALE_OK) break;
            t = &l->segs[k];
            err = block_push(t->blk, v, from, e);
            if (err != BALE_OK) break;
            acct_sub(l, t);
            if (t->chunk) {
                bale_chunk_decref(t->chunk);
                t->chunk = NULL;
            }
            uint64_t r = vals_raw(v, from, e, l->width);
            t->count += e - from;
            t->raw += r;
            acct_add(l, t);
            l->len += e - from;
            l->version++;
            from = e;
            continue;
        }
        /* The tail is full (or absent): seal it, then start a segment. */
        if (t && t->chunk == NULL) {
            err = seg_seal(l, l->nseg - 1, 1);
            if (err != BALE_OK) break;
        } else if (t && t->blk) {
            (void)seg_seal(l, l->nseg - 1, 1); /* drop the cached decode */
        }
        relearn(l); /* the tail is sealed here */
        err = table_reserve(l, l->nseg + 1);
        if (err != BALE_OK) break;
        e = take_upto(v, from, to, l->width, 0, T, 2 * T);
        uint64_t r = vals_raw(v, from, e, l->width);
        if (r >= T) {
            /* A full chunk's worth: encode straight from the caller's run. */
            bale_chunk *c;
            err = encode_range(l, v, from, e, &c);
            if (err != BALE_OK) break;
            push_seg(l, c, NULL, e - from, r);
        } else {
            /* sized to fit: small lists stay small, appends grow it 1.5x */
            bale_list_block *b = block_new(l->dtype, e - from, l->width ? 0 : r - 8 * (e - from));
            if (b == NULL) {
                err = BALE_NOMEM;
                break;
            }
            err = block_push(b, v, from, e);
            if (err != BALE_OK) {
                block_release(b);
                break;
            }
            push_seg(l, NULL, b, e - from, r);
        }
        l->version++;
        from = e;
    }
    /* Seal a tail that just filled up (best effort; retried later). */
    if (l->nseg) {
        seg *t = &l->segs[l->nseg - 1];
        if (t->chunk == NULL && t->raw >= T) (void)seg_seal(l, l->nseg - 1, 1);
    }
    trim(l, l->nseg ? l->nseg - 1 : 0);
    return err;
}

bale_err bale_list_append(bale_list *l, const bale_values *run) {
    BALE_FORWARD_IF_ERROR(run_check(l, run));
    return append_range(l, run, 0, run->count);
}

/* ---- reading ------------------------------------------------------------------ */

/* Decodes sealed segment k into a cached block. */
static bale_err seg_cache(bale_list *l, uint64_t k) {
    seg *s = &l->segs[k];
    if (s->blk) return BALE_OK;
    bale_values v;
    BALE_FORWARD_IF_ERROR(decode_chunk(l, s->chunk, &v));
    bale_list_block *b = block_adopt(&v);
    if (b == NULL) {
        bale_values_free(&v);
        return BALE_NOMEM;
    }
    s->blk = b;
    acct_add(l, s);
    trim(l, k);
    return BALE_OK;
}

bale_err bale_list_read(bale_list *l, uint64_t index, bale_values *scratch,
                        const bale_values **vals, uint64_t *pos) {
    BALE_RETURN_IF(index >= l->len, BALE_RANGE);
    uint64_t k = find_seg(l, index);
    seg *s = &l->segs[k];
    if (s->blk == NULL) {
        unsigned reads = 0;
        for (unsigned r = 0; r < BALE__LIST_RECENT; r++)
            if (l->recent[r] == k + 1) reads = ++l->recent_reads[r];
        if (reads == 0) {
            unsigned r = l->recent_at++ % BALE__LIST_RECENT;
            l->recent[r] = k + 1;
            l->recent_reads[r] = 1;
        }
        if (reads < BALE__LIST_RECENT_READS) {
            BALE_FORWARD_IF_ERROR(bale_chunk_get(s->chunk, index - s->start, scratch));
            *vals = scratch;
            *pos = 0;
            return BALE_OK;
        }
        BALE_FORWARD_IF_ERROR(seg_cache(l, k));
        s = &l->segs[k];
    }
    *vals = &s->blk->v;
    *pos = index - s->start;
    return BALE_OK;
}

bale_err bale_list_get(bale_list *l, uint64_t index, bale_values *out) {
    BALE_RETURN_IF(out == NULL, BALE_INVALID);
    bale_values scratch = {0};
    const bale_values *v;
    uint64_t pos;
    BALE_FORWARD_IF_ERROR(bale_list_read(l, index, &scratch, &v, &pos));
    bale_list_block *b = block_new(l->dtype, 1, l->width ? 0 : elem_raw(v, pos, 0) - 8);
    bale_err err = BALE_NOMEM;
    if (b != NULL) {
        err = block_push(b, v, pos, pos + 1);
        if (err == BALE_OK) {
            *out = b->v;
            memset(&b->v, 0, sizeof b->v);
        }
        block_release(b);
    }
    bale_values_free(&scratch);
    return err;
}

bale_err bale_list_block_at(bale_list *l, uint64_t index, int flags, bale_list_block **out,
                            uint64_t *first) {
    BALE_RETURN_IF(out == NULL || first == NULL, BALE_INVALID);
    BALE_RETURN_IF(index >= l->len, BALE_RANGE);
    uint64_t k = find_seg(l, index);
    seg *s = &l->segs[k];
    if (s->blk == NULL) {
        if (flags & BALE_LIST_CACHE) {
            BALE_FORWARD_IF_ERROR(seg_cache(l, k));
            s = &l->segs[k];
        } else {
            if (flags & BALE_LIST_IDS) {
                bale_list_block *b;
                BALE_FORWARD_IF_ERROR(block_ids(l, s, &b));
                if (b != NULL) {
                    *out = b;
                    *first = s->start;
                    return BALE_OK;
                }
            }
            bale_values v;
            BALE_FORWARD_IF_ERROR(decode_chunk(l, s->chunk, &v));
            bale_list_block *b = block_adopt(&v);
            if (b == NULL) {
                bale_values_free(&v);
                return BALE_NOMEM;
            }
            *out = b;
            *first = s->start;
            return BALE_OK;
        }
    }
    s->blk->refcount++;
    *out = s->blk;
    *first = s->start;
    return BALE_OK;
}

const bale_values *bale_list_block_values(const bale_list_block *b) { return &b->v; }
int bale_list_block_ids(const bale_list_block *b, const bale_values **dict,
                        const bale_values **ids) {
    if (!b->idform) return 0;
    *dict = &b->dict;
    *ids = &b->ids;
    return 1;
}
void bale_list_block_release(bale_list_block *b) { block_release(b); }

/* ---- replace: the one mutation every edit goes through ------------------------- */

/* Edits inside segment k alone.  Returns BALE_BUSY when the edit does not
 * fit the segment (the caller then takes the general path). */
static bale_err replace_in_seg(bale_list *l, uint64_t k, uint64_t start, uint64_t stop,
                               const bale_values *run, uint64_t n) {
    seg *s = &l->segs[k];
    uint64_t pos = start - s->start, ndel = stop - start;
    if (pos + ndel > s->count) return BALE_BUSY;
    uint64_t new_count = s->count - ndel + n;
    if (new_count == 0) return BALE_BUSY;
    uint64_t raw_ins = n ? vals_raw(run, 0, n, l->width) : 0;
    uint64_t raw_del;
    if (l->width) {
        raw_del = ndel * l->width;
    } else {
        BALE_FORWARD_IF_ERROR(seg_own_block(l, k));
        s = &l->segs[k];
        raw_del = vals_raw(&s->blk->v, pos, pos + ndel, 0);
    }
    uint64_t new_raw = s->raw - raw_del + raw_ins;
    if (new_raw > 2 * BALE_LIST_CHUNK_TARGET && new_count > 1) return BALE_BUSY;
    if (new_raw < BALE_LIST_MERGE_BELOW && raw_del > raw_ins && l->nseg > 1) return BALE_BUSY;
    BALE_FORWARD_IF_ERROR(seg_own_block(l, k));
    s = &l->segs[k];
    BALE_FORWARD_IF_ERROR(block_splice(s->blk, pos, ndel, run, 0, n));
    acct_sub(l, s);
    if (s->chunk) {
        bale_chunk_decref(s->chunk);
        s->chunk = NULL;
    }
    s->count = new_count;
    s->raw = new_raw;
    acct_add(l, s);
    if (ndel != n) fix_starts(l, k + 1);
    l->version++;
    trim(l, k);
    return BALE_OK;
}

/* The general path: rebuilds the segments [sa, sb] that the range touches
 * (plus a small neighbour to merge with) from their kept ends and the run. */
static bale_err replace_general(bale_list *l, uint64_t start, uint64_t stop,
                                const bale_values *run, uint64_t n) {
    const uint64_t T = BALE_LIST_CHUNK_TARGET;
    uint64_t sa = 0, sb = 0, ntouch = 0;
    if (l->nseg) {
        sa = start < l->len ? find_seg(l, start) : l->nseg - 1;
        sb = stop > start ? find_seg(l, stop - 1) : sa;
        /* Estimate what stays, and merge with a neighbour when small. */
        uint64_t kept_raw = n ? vals_raw(run, 0, n, l->width) : 0;
        uint64_t kept_est = 0;
        for (uint64_t k = sa; k <= sb; k++) kept_est += l->segs[k].raw;
        uint64_t removed_est = l->width ? (stop - start) * l->width : 0;
        kept_raw += kept_est > removed_est ? kept_est - removed_est : 0;
        if (kept_raw < BALE_LIST_MERGE_BELOW) {
            if (sb + 1 < l->nseg) sb++;
            else if (sa > 0) sa--;
        }
        ntouch = sb - sa + 1;
    }
    bale_list_block *comb = NULL;
    bale_chunk **pieces = NULL;
    uint64_t *piece_count = NULL, *piece_raw = NULL, npieces = 0;
    bale_err err = BALE_OK;
    comb = block_new(l->dtype, 0, 0);
    if (comb == NULL) return BALE_NOMEM;
    /* kept heads, the run, kept tails, in order */
    for (int pass = 0; pass < 3 && err == BALE_OK; pass++) {
        if (pass == 1) {
            if (n) err = block_push(comb, run, 0, n);
            continue;
        }
        for (uint64_t k = sa; k < sa + ntouch && err == BALE_OK; k++) {
            seg *s = &l->segs[k];
            uint64_t a, b;
            if (pass == 0) {
                a = s->start;
                b = start < s->start + s->count ? start : s->start + s->count;
            } else {
                a = stop > s->start ? stop : s->start;
                b = s->start + s->count;
            }
            if (a >= b) continue;
            bale_values tmp;
            const bale_values *v;
            err = seg_view(l, s, &tmp, &v);
            if (err != BALE_OK) break;
            err = block_push(comb, v, a - s->start, b - s->start);
            bale_values_free(&tmp);
        }
    }
    if (err != BALE_OK) goto fail;
    uint64_t cnt = comb->v.count;
    uint64_t craw = cnt ? vals_raw(&comb->v, 0, cnt, l->width) : 0;
    if (craw > 2 * T && cnt > 1) {
        /* cut into sealed pieces of about T raw bytes */
        uint64_t maxp = cnt;
        pieces = bale__calloc((size_t)maxp, sizeof *pieces);
        piece_count = bale__calloc((size_t)maxp, sizeof *piece_count);
        piece_raw = bale__calloc((size_t)maxp, sizeof *piece_raw);
        if (!pieces || !piece_count || !piece_raw) {
            err = BALE_NOMEM;
            goto fail;
        }
        for (uint64_t i = 0; i < cnt;) {
            uint64_t e = take_upto(&comb->v, i, cnt, l->width, 0, T, 2 * T);
            /* don't leave a runt at the end: take it into this piece if it fits */
            if (e < cnt && vals_raw(&comb->v, e, cnt, l->width) < BALE_LIST_MERGE_BELOW &&
                vals_raw(&comb->v, i, cnt, l->width) <= 2 * T)
                e = cnt;
            err = encode_range(l, &comb->v, i, e, &pieces[npieces]);
            if (err != BALE_OK) goto fail;
            piece_count[npieces] = e - i;
            piece_raw[npieces] = vals_raw(&comb->v, i, e, l->width);
            npieces++;
            i = e;
        }
    } else if (cnt) {
        npieces = 1;
    }
    err = table_reserve(l, l->nseg - ntouch + npieces);
    if (err != BALE_OK) goto fail;
    /* commit: nothing below fails */
    for (uint64_t k = sa; k < sa + ntouch; k++) seg_release(l, &l->segs[k]);
    memmove(l->segs + sa + npieces, l->segs + sa + ntouch,
            (size_t)(l->nseg - sa - ntouch) * sizeof(seg));
    l->nseg = l->nseg - ntouch + npieces;
    for (uint64_t p = 0; p < npieces; p++) {
        seg *s = &l->segs[sa + p];
        memset(s, 0, sizeof *s);
        if (pieces) {
            s->chunk = pieces[p];
            s->count = piece_count[p];
            s->raw = piece_raw[p];
        } else {
            s->blk = comb;
            comb = NULL;
            s->count = cnt;
            s->raw = craw;
        }
        acct_add(l, s);
    }
    fix_starts(l, sa);
    l->hint = 0;
    memset(l->recent, 0, sizeof l->recent);
    memset(l->recent_reads, 0, sizeof l->recent_reads);
    l->version++;
    block_release(comb);
    bale__free(pieces);
    bale__free(piece_count);
    bale__free(piece_raw);
    trim(l, sa);
    return BALE_OK;
fail:
    for (uint64_t p = 0; p < npieces; p++) bale_chunk_decref(pieces[p]);
    block_release(comb);
    bale__free(pieces);
    bale__free(piece_count);
    bale__free(piece_raw);
    return err;
}

bale_err bale_list_replace(bale_list *l, uint64_t start, uint64_t stop, const bale_values *run) {
    BALE_RETURN_IF(start > stop || stop > l->len, BALE_RANGE);
    uint64_t n = 0;
    if (run) {
        BALE_FORWARD_IF_ERROR(run_check(l, run));
        n = run->count;
    }
    if (n == 0 && start == stop) return BALE_OK;
    if (l->nseg) {
        uint64_t k = start < l->len ? find_seg(l, start) : l->nseg - 1;
        bale_err err = replace_in_seg(l, k, start, stop, run, n);
        if (err != BALE_BUSY) return err;
    }
    return replace_general(l, start, stop, run, n);
}

bale_err bale_list_set(bale_list *l, uint64_t index, const bale_values *one) {
    BALE_RETURN_IF(one == NULL || one->count != 1, BALE_INVALID);
    BALE_RETURN_IF(index >= l->len, BALE_RANGE);
    return bale_list_replace(l, index, index + 1, one);
}

bale_err bale_list_insert(bale_list *l, uint64_t index, const bale_values *run) {
    BALE_RETURN_IF(index > l->len, BALE_RANGE);
    return bale_list_replace(l, index, index, run);
}

bale_err bale_list_delete(bale_list *l, uint64_t start, uint64_t stop) {
    return bale_list_replace(l, start, stop, NULL);
}

/* ---- copies, slices, bulk ------------------------------------------------------ */

bale_err bale_list_copy(bale_list *l, bale_list **out) {
    BALE_RETURN_IF(out == NULL, BALE_INVALID);
    bale_list *c;
    BALE_FORWARD_IF_ERROR(bale_list_create(l->dtype, &l->opts, &c));
    c->symtab = bale_symtab_incref(l->symtab);
    bale_err err = table_reserve(c, l->nseg);
    if (err != BALE_OK) {
        bale_list_free(c);
        return err;
    }
    for (uint64_t k = 0; k < l->nseg; k++) {
        seg s = l->segs[k];
        bale_chunk_incref(s.chunk);
        if (s.blk) s.blk->refcount++;
        c->segs[k] = s;
        acct_add(c, &s);
    }
    c->nseg = l->nseg;
    c->len = l->len;
    *out = c;
    return BALE_OK;
}

bale_err bale_list_extend_list(bale_list *dst, bale_list *src, uint64_t start, uint64_t stop) {
    BALE_RETURN_IF(dst == src, BALE_INVALID);
    BALE_RETURN_IF(start > stop || stop > src->len, BALE_RANGE);
    BALE_RETURN_IF(dst->dtype != src->dtype, BALE_TYPE);
    const uint64_t half = BALE_LIST_CHUNK_TARGET / 2;
    while (start < stop) {
        uint64_t k = find_seg(src, start);
        seg *s = &src->segs[k];
        uint64_t a = start - s->start;
        uint64_t b = stop - s->start < s->count ? stop - s->start : s->count;
        int whole = a == 0 && b == s->count;
        /* A whole, well-filled segment is shared, never copied, even when
         * that leaves a short segment (the partial head) before it. */
        if (whole && s->raw >= half) {
            BALE_FORWARD_IF_ERROR(table_reserve(dst, dst->nseg + 1));
            if (dst->nseg) {
                /* the old tail stays open in the middle; seal it when full */
                seg *t = &dst->segs[dst->nseg - 1];
                if (t->chunk == NULL) (void)seg_seal(dst, dst->nseg - 1, 1);
            }
            bale_chunk_incref(s->chunk);
            if (s->blk) s->blk->refcount++;
            push_seg(dst, s->chunk, s->blk, s->count, s->raw);
            dst->version++;
        } else {
            bale_values tmp;
            const bale_values *v;
            BALE_FORWARD_IF_ERROR(seg_view(src, s, &tmp, &v));
            bale_err err = append_range(dst, v, a, b);
            bale_values_free(&tmp);
            BALE_FORWARD_IF_ERROR(err);
        }
        start = s->start + b;
    }
    trim(dst, dst->nseg ? dst->nseg - 1 : 0);
    return BALE_OK;
}

bale_err bale_list_slice(bale_list *l, uint64_t start, uint64_t stop, bale_list **out) {
    BALE_RETURN_IF(out == NULL, BALE_INVALID);
    BALE_RETURN_IF(start > stop || stop > l->len, BALE_RANGE);
    bale_list *c;
    BALE_FORWARD_IF_ERROR(bale_list_create(l->dtype, &l->opts, &c));
    c->symtab = bale_symtab_incref(l->symtab);
    bale_err err = bale_list_extend_list(c, l, start, stop);
    if (err != BALE_OK) {
        bale_list_free(c);
        return err;
    }
    *out = c;
    return BALE_OK;
}

bale_err bale_list_reverse(bale_list *l) {
    if (l->len < 2) return BALE_OK;
    bale_list *r;
    BALE_FORWARD_IF_ERROR(bale_list_create(l->dtype, &l->opts, &r));
    bale_err err = BALE_OK;
    bale_list_block *rev = NULL;
    for (uint64_t k = l->nseg; k-- > 0 && err == BALE_OK;) {
        bale_values tmp;
        const bale_values *v;
        err = seg_view(l, &l->segs[k], &tmp, &v);
        if (err != BALE_OK) break;
        rev = block_new(l->dtype, v->count, v->data_size);
        if (rev == NULL) err = BALE_NOMEM;
        if (err == BALE_OK && l->width) {
            /* fixed width: element i goes to count-1-i */
            const uint8_t *src = v->data;
            uint8_t *dst = rev->v.data;
            for (uint64_t i = 0; i < v->count; i++)
                memcpy(dst + (v->count - 1 - i) * l->width, src + i * l->width, l->width);
            rev->v.count = v->count;
            rev->v.data_size = v->data_size;
        }
        for (uint64_t i = v->count; err == BALE_OK && !l->width && i-- > 0;)
            err = block_push(rev, v, i, i + 1);
        if (err == BALE_OK) err = append_range(r, &rev->v, 0, rev->v.count);
        block_release(rev);
        rev = NULL;
        bale_values_free(&tmp);
    }
    if (err != BALE_OK) {
        bale_list_free(r);
        return err;
    }
    uint64_t version = l->version + 1;
    list_clear_segs(l);
    bale_list tmpl = *l;
    *l = *r;
    l->version = version;
    *r = tmpl;
    bale_list_free(r);
    return BALE_OK;
}

bale_err bale_list_seal(bale_list *l) {
    bale_err first = BALE_OK;
    for (uint64_t k = 0; k < l->nseg; k++) {
        bale_err err = seg_seal(l, k, 1);
        if (err != BALE_OK && first == BALE_OK) first = err;
    }
    return first;
}

bale_err bale_list_segment_chunk(bale_list *l, uint64_t k, bale_chunk **out) {
    BALE_RETURN_IF(out == NULL, BALE_INVALID);
    BALE_RETURN_IF(k >= l->nseg, BALE_RANGE);
    BALE_FORWARD_IF_ERROR(seg_seal(l, k, 0));
    *out = l->segs[k].chunk;
    return BALE_OK;
}

/* ---- bulk reads from several threads -------------------------------------- */

/* Workers take segments in turn from `next`; the first error stops them all.
 * They read l->segs, chunks and blocks only (seg_view is const), and keep
 * no state on the list: the scratch of a decode is the worker's own. */
typedef struct visit_job {
    const bale_list *l;
    bale_list_visit_fn fn;
    void *ctx;
    atomic_uint_fast64_t next;
    atomic_int err;
} visit_job;

typedef struct visit_worker {
    visit_job *job;
    unsigned id;
} visit_worker;

static void *visit_run(void *arg) {
    visit_worker *w = arg;
    visit_job *j = w->job;
    while (atomic_load_explicit(&j->err, memory_order_relaxed) == BALE_OK) {
        uint64_t k = atomic_fetch_add_explicit(&j->next, 1, memory_order_relaxed);
        if (k >= j->l->nseg) break;
        const seg *s = &j->l->segs[k];
        bale_values tmp;
        const bale_values *v;
        bale_err e = seg_view(j->l, s, &tmp, &v);
        if (e == BALE_OK) e = j->fn(j->ctx, w->id, k, s->start, v);
        bale_values_free(&tmp);
        if (e != BALE_OK) {
            int none = BALE_OK;
            atomic_compare_exchange_strong(&j->err, &none, (int)e);
            break;
        }
    }
    return NULL;
}

/* More threads than this are never started, whatever is asked. */
#define BALE__VISIT_MAX_THREADS 64

bale_err bale_list_visit(const bale_list *l, unsigned nthreads, bale_list_visit_fn fn, void *ctx) {
    BALE_RETURN_IF(l == NULL || fn == NULL, BALE_INVALID);
    visit_job job = {.l = l, .fn = fn, .ctx = ctx};
    atomic_init(&job.next, 0);
    atomic_init(&job.err, BALE_OK);
    if (nthreads > BALE__VISIT_MAX_THREADS) nthreads = BALE__VISIT_MAX_THREADS;
    if (nthreads > l->nseg) nthreads = (unsigned)l->nseg;
    visit_worker workers[BALE__VISIT_MAX_THREADS];
    pthread_t threads[BALE__VISIT_MAX_THREADS]; /* pthreads, not C11 threads: sanitizers know them */
    unsigned started = 0;
    for (unsigned t = 1; t < nthreads; t++) {
        workers[t] = (visit_worker){&job, t};
        if (pthread_create(&threads[t], NULL, visit_run, &workers[t]) != 0) break;
        started = t;
    }
    workers[0] = (visit_worker){&job, 0};
    visit_run(&workers[0]);
    for (unsigned t = 1; t <= started; t++) pthread_join(threads[t], NULL);
    return (bale_err)atomic_load(&job.err);
}

bale_err bale_list_append_chunk(bale_list *l, bale_chunk *chunk) {
    BALE_RETURN_IF(chunk == NULL, BALE_INVALID);
    BALE_RETURN_IF(bale_chunk_dtype(chunk) != l->dtype, BALE_TYPE);
    uint64_t count = bale_chunk_count(chunk);
    if (count == 0) return BALE_OK;
    uint64_t raw = bale_chunk_raw_size(chunk);
    if (raw > 2 * BALE_LIST_CHUNK_TARGET && count > 1) {
        /* bigger than this list's segments: re-cut it */
        bale_values v;
        BALE_FORWARD_IF_ERROR(decode_chunk(l, chunk, &v));
        bale_err err = append_range(l, &v, 0, v.count);
        bale_values_free(&v);
        return err;
    }
    BALE_FORWARD_IF_ERROR(table_reserve(l, l->nseg + 1));
    if (l->nseg && l->segs[l->nseg - 1].chunk == NULL) (void)seg_seal(l, l->nseg - 1, 1);
    push_seg(l, bale_chunk_incref(chunk), NULL, count, raw);
    l->version++;
    return BALE_OK;
}

/* ---- search ---------------------------------------------------------------------- */

static int elem_eq(const bale_values *v, uint64_t i, const bale_values *one, size_t width) {
    switch (v->dtype) {
    case BALE_DTYPE_INT: return ((const int64_t *)v->data)[i] == *(const int64_t *)one->data;
    case BALE_DTYPE_FLOAT: return ((const double *)v->data)[i] == *(const double *)one->data;
    case BALE_DTYPE_BOOL: return ((const uint8_t *)v->data)[i] == *(const uint8_t *)one->data;
    default: break;
    }
    (void)width;
    uint64_t len = v->offsets[i + 1] - v->offsets[i];
    return len == one->data_size &&
           (len == 0 || memcmp((const uint8_t *)v->data + v->offsets[i], one->data, (size_t)len) == 0);
}

/* Scans [start, stop); stops at the first match when `first` is set. */
static bale_err scan(bale_list *l, const bale_values *one, uint64_t start, uint64_t stop,
                     int first, uint64_t *count, uint64_t *found) {
    BALE_RETURN_IF(one == NULL || one->count != 1, BALE_INVALID);
    BALE_FORWARD_IF_ERROR(run_check(l, one));
    BALE_RETURN_IF(start > stop || stop > l->len, BALE_RANGE);
    uint64_t n = 0;
    while (start < stop) {
        uint64_t k = find_seg(l, start);
        seg *s = &l->segs[k];
        bale_values tmp;
        const bale_values *v;
        BALE_FORWARD_IF_ERROR(seg_view(l, s, &tmp, &v));
        uint64_t a = start - s->start;
        uint64_t b = stop - s->start < s->count ? stop - s->start : s->count;
        for (uint64_t i = a; i < b; i++) {
            if (elem_eq(v, i, one, l->width)) {
                n++;
                if (first) {
                    *found = s->start + i;
                    bale_values_free(&tmp);
                    return BALE_OK;
                }
            }
        }
        bale_values_free(&tmp);
        start = s->start + b;
    }
    if (first) return BALE_NOTFOUND;
    *count = n;
    return BALE_OK;
}

bale_err bale_list_count(bale_list *l, const bale_values *one, uint64_t start, uint64_t stop,
                         uint64_t *count) {
    BALE_RETURN_IF(count == NULL, BALE_INVALID);
    return scan(l, one, start, stop, 0, count, NULL);
}

bale_err bale_list_find(bale_list *l, const bale_values *one, uint64_t start, uint64_t stop,
                        uint64_t *index) {
    BALE_RETURN_IF(index == NULL, BALE_INVALID);
    return scan(l, one, start, stop, 1, NULL, index);
}

/* ---- accounting and checks --------------------------------------------------------- */

uint64_t bale_list_nbytes(const bale_list *l) {
    uint64_t n = sizeof *l + l->cap * sizeof(seg);
    /* Shared tables: the current one and those older chunks still use,
     * each once (a container has a few: retrains are bounded), whole even
     * when other lists share them (what they hold is not known here). */
    bale__table_set tabs = {0};
    n += bale__table_set_add(&tabs, l->symtab);
    for (uint64_t k = 0; k < l->nseg; k++) {
        const seg *s = &l->segs[k];
        if (s->chunk) {
            int64_t rc = bale_chunk_refcount(s->chunk);
            n += bale_chunk_nbytes(s->chunk) / (uint64_t)(rc > 0 ? rc : 1);
            n += bale__table_set_add(&tabs, bale_chunk_symtab(s->chunk));
        }
        if (s->blk) n += block_bytes(s->blk) / (uint64_t)(s->blk->refcount > 0 ? s->blk->refcount : 1);
    }
    return n;
}

uint64_t bale_list_raw_nbytes(const bale_list *l) {
    uint64_t n = 0;
    for (uint64_t k = 0; k < l->nseg; k++) n += l->segs[k].raw;
    return n;
}

#ifdef NDEBUG
#  define VERIFY(cond) BALE_RETURN_IF(!(cond), BALE_CORRUPT)
#else
#  define VERIFY(cond)                                                          \
    do {                                                                        \
        if (!(cond)) {                                                          \
            fprintf(stderr, "bale_list_verify: %s failed (%s:%d)\n", #cond,      \
                    __FILE__, __LINE__);                                        \
            return BALE_CORRUPT;                                                \
        }                                                                       \
    } while (0)
#endif

bale_err bale_list_verify(const bale_list *l) {
    VERIFY(l != NULL);
    VERIFY(bale_dtype_name(l->dtype) != NULL && l->width == bale_dtype_width(l->dtype));
    VERIFY(l->nseg <= l->cap);
    uint64_t at = 0, cache = 0, open = 0;
    for (uint64_t k = 0; k < l->nseg; k++) {
        const seg *s = &l->segs[k];
        VERIFY(s->chunk || s->blk);
        VERIFY(s->count > 0);
        VERIFY(s->start == at);
        VERIFY(s->raw <= 2 * BALE_LIST_CHUNK_TARGET || s->count == 1);
        at += s->count;
        if (s->chunk) {
            VERIFY(bale_chunk_refcount(s->chunk) >= 1);
            VERIFY(bale_chunk_dtype(s->chunk) == l->dtype);
            VERIFY(bale_chunk_count(s->chunk) == s->count);
            VERIFY(bale_chunk_raw_size(s->chunk) == s->raw);
        }
        if (s->blk) {
            const bale_values *v = &s->blk->v;
            VERIFY(s->blk->refcount >= 1);
            VERIFY(v->dtype == l->dtype && v->count == s->count);
            if (l->width) {
                VERIFY(v->data_size == v->count * l->width && v->data_size <= s->blk->data_cap);
            } else {
                VERIFY(v->offsets != NULL && v->offsets[0] == 0 && v->count + 1 <= s->blk->off_cap);
                for (uint64_t i = 0; i < v->count; i++) VERIFY(v->offsets[i] <= v->offsets[i + 1]);
                VERIFY(v->offsets[v->count] == v->data_size && v->data_size <= s->blk->data_cap);
            }
            VERIFY(vals_raw(v, 0, v->count, l->width) == s->raw);
            if (s->chunk) {
                cache += s->raw;
                bale_values d;
                if (bale_chunk_decode(s->chunk, &d) == BALE_OK) {
                    int same = d.count == v->count && d.data_size == v->data_size &&
                               (d.data_size == 0 || memcmp(d.data, v->data, (size_t)d.data_size) == 0) &&
                               (l->width || memcmp(d.offsets, v->offsets, (size_t)(d.count + 1) * 8) == 0);
                    bale_values_free(&d);
                    VERIFY(same);
                }
            } else {
                open += s->raw;
            }
        }
    }
    VERIFY(at == l->len);
    VERIFY(cache == l->cache_bytes);
    VERIFY(open == l->open_bytes);
    return BALE_OK;
}
