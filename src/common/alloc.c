/*
 * alloc.c - the allocator hooks and exact accounting.
 *
 * Each block carries a 16-byte prefix holding its requested size, so that
 * bale__free can subtract exactly what bale__malloc added without asking the
 * hooks for block sizes (which malloc/free hooks cannot tell), and a tag
 * that tells heap blocks from scratch ones (below).  Sixteen bytes keep the
 * user pointer aligned for any scalar type.  Counters are C11 atomics, so
 * accounting is exact across threads.
 */
#include "common_internal.h"

#include <stdatomic.h>
#include <stdlib.h>

#define BALE__PREFIX 16 /* bytes before each block: its size, then its tag */
#define TAG_HEAP 0x68656170u    /* from the hooks, one block each */
#define TAG_SCRATCH 0x73637261u /* inside a scratch block (bale__tmp_malloc) */

static void *default_malloc(void *ctx, size_t n) {
    (void)ctx;
    return malloc(n);
}
static void *default_realloc(void *ctx, void *p, size_t n) {
    (void)ctx;
    return realloc(p, n);
}
static void default_free(void *ctx, void *p) {
    (void)ctx;
    free(p);
}

static const bale_allocator default_allocator = {default_malloc,
                                                 default_realloc,
                                                 default_free, NULL};
static bale_allocator hooks = {default_malloc, default_realloc, default_free,
                               NULL};

static _Atomic int64_t live_bytes;
static _Atomic int64_t peak_bytes;

static void account(int64_t delta) {
    int64_t now = atomic_fetch_add(&live_bytes, delta) + delta;
    if (delta > 0) {
        int64_t peak = atomic_load(&peak_bytes);
        while (now > peak &&
               !atomic_compare_exchange_weak(&peak_bytes, &peak, now)) {
        }
    }
}

bale_err bale_set_allocator(const bale_allocator *alloc) {
    if (alloc == NULL) alloc = &default_allocator;
    BALE_RETURN_IF(!alloc->malloc_fn || !alloc->realloc_fn || !alloc->free_fn,
                   BALE_INVALID);
    BALE_RETURN_IF(atomic_load(&live_bytes) != 0, BALE_BUSY);
    hooks = *alloc;
    return BALE_OK;
}

int64_t bale_memory_live(void) { return atomic_load(&live_bytes); }
int64_t bale_memory_peak(void) { return atomic_load(&peak_bytes); }
void bale_memory_reset_peak(void) {
    atomic_store(&peak_bytes, atomic_load(&live_bytes));
}

void *bale__malloc(size_t size) {
    if (size == 0) size = 1;
    BALE_RETURN_IF(size > SIZE_MAX - BALE__PREFIX, NULL);
    uint8_t *block = hooks.malloc_fn(hooks.ctx, size + BALE__PREFIX);
    if (block == NULL) return NULL;
    bale__store64(block, (uint64_t)size);
    bale__store64(block + 8, TAG_HEAP);
    account((int64_t)size);
    return block + BALE__PREFIX;
}

void *bale__calloc(size_t n, size_t size) {
    size_t total;
    if (!bale__mul_ok(n, size, &total)) return NULL;
    void *p = bale__malloc(total);
    if (p != NULL) memset(p, 0, total);
    return p;
}

static void *scratch_realloc(void *ptr, size_t size);

void *bale__realloc(void *ptr, size_t size) {
    if (ptr == NULL) return bale__malloc(size);
    if (bale__load64((uint8_t *)ptr - 8) == TAG_SCRATCH) return scratch_realloc(ptr, size);
    if (size == 0) size = 1;
    BALE_RETURN_IF(size > SIZE_MAX - BALE__PREFIX, NULL);
    uint8_t *block = (uint8_t *)ptr - BALE__PREFIX;
    size_t old = (size_t)bale__load64(block);
    uint8_t *grown = hooks.realloc_fn(hooks.ctx, block, size + BALE__PREFIX);
    if (grown == NULL) return NULL;
    bale__store64(grown, (uint64_t)size);
    account((int64_t)size - (int64_t)old);
    return grown + BALE__PREFIX;
}

void bale__free(void *ptr) {
    if (ptr == NULL) return;
    uint8_t *block = (uint8_t *)ptr - BALE__PREFIX;
    if (bale__load64(block + 8) == TAG_SCRATCH) return; /* freed with its arena */
    account(-(int64_t)bale__load64(block));
    hooks.free_fn(hooks.ctx, block);
}

/* ---- scratch ------------------------------------------------------------
 * A per-thread bump arena for the temporaries of one encode.  Blocks of at
 * least SCRATCH_BLOCK bytes come from bale__malloc (so they are counted and
 * can fail like any allocation) and are freed together when the outermost
 * scope is left; a scratch allocation's own free is a no-op, and a realloc
 * moves it within the arena (in place when it is the last one).  The
 * prefix of each allocation has the layout of a heap block's, with
 * TAG_SCRATCH, so bale__free and bale__realloc take either kind. */
#define SCRATCH_BLOCK ((size_t)256 << 10)

typedef struct scratch_block {
    struct scratch_block *next; /* the block filled before this one */
    size_t cap, used;           /* bytes of data[] */
    uint8_t *last;              /* the latest allocation (its user pointer) */
    _Alignas(16) uint8_t data[];
} scratch_block;

static _Thread_local struct {
    unsigned depth;
    scratch_block *head; /* the block being filled, or NULL */
} scratch;

void bale__scratch_enter(void) { scratch.depth++; }

void bale__scratch_leave(void) {
    if (scratch.depth == 0 || --scratch.depth != 0) return; /* (unbalanced: ignored) */
    while (scratch.head != NULL) {
        scratch_block *b = scratch.head;
        scratch.head = b->next;
        bale__free(b);
    }
}

void *bale__tmp_malloc(size_t size) {
    if (!BALE__SCRATCH_ON || scratch.depth == 0) return bale__malloc(size);
    if (size == 0) size = 1;
    BALE_RETURN_IF(size > SIZE_MAX - BALE__PREFIX - 15 - SCRATCH_BLOCK, NULL);
    size_t need = (BALE__PREFIX + size + 15) & ~(size_t)15;
    scratch_block *b = scratch.head;
    if (b == NULL || b->cap - b->used < need) {
        size_t cap = need > SCRATCH_BLOCK ? need : SCRATCH_BLOCK;
        scratch_block *nb = bale__malloc(sizeof *nb + cap);
        if (nb == NULL) return NULL;
        nb->next = b;
        nb->cap = cap;
        nb->used = 0;
        nb->last = NULL;
        scratch.head = b = nb;
    }
    uint8_t *block = b->data + b->used;
    b->used += need;
    bale__store64(block, (uint64_t)size);
    bale__store64(block + 8, TAG_SCRATCH);
    return b->last = block + BALE__PREFIX;
}

void *bale__tmp_calloc(size_t n, size_t size) {
    size_t total;
    if (!bale__mul_ok(n, size, &total)) return NULL;
    void *p = bale__tmp_malloc(total);
    if (p != NULL) memset(p, 0, total);
    return p;
}

static void *scratch_realloc(void *ptr, size_t size) {
    size_t old = (size_t)bale__load64((uint8_t *)ptr - BALE__PREFIX);
    if (size == 0) size = 1;
    scratch_block *b = scratch.head;
    if (b != NULL && b->last == ptr && size <= SIZE_MAX - BALE__PREFIX - 15) {
        size_t at = (size_t)((uint8_t *)ptr - BALE__PREFIX - b->data);
        size_t need = (BALE__PREFIX + size + 15) & ~(size_t)15;
        if (b->cap - at >= need) { /* the latest one: grow or shrink in place */
            b->used = at + need;
            bale__store64((uint8_t *)ptr - BALE__PREFIX, (uint64_t)size);
            return ptr;
        }
    }
    /* Only reached inside the scope that made ptr: outside it, ptr is gone. */
    void *p = bale__tmp_malloc(size);
    if (p != NULL) memcpy(p, ptr, old < size ? old : size);
    return p;
}

/* ---- bale__buf ---------------------------------------------------------- */

bale_err bale__buf_reserve(bale__buf *b, size_t extra) {
    BALE_RETURN_IF(extra > SIZE_MAX - b->size, BALE_NOMEM);
    size_t need = b->size + extra;
    if (need <= b->capacity) return BALE_OK;
    size_t cap = b->capacity < 64 ? 64 : b->capacity;
    while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    uint8_t *p = b->data == NULL && b->tmp ? bale__tmp_malloc(cap) : bale__realloc(b->data, cap);
    BALE_RETURN_IF(p == NULL, BALE_NOMEM);
    b->data = p;
    b->capacity = cap;
    return BALE_OK;
}

bale_err bale__buf_append(bale__buf *b, const void *src, size_t n) {
    if (n == 0) return BALE_OK;
    BALE_FORWARD_IF_ERROR(bale__buf_reserve(b, n));
    memcpy(b->data + b->size, src, n);
    b->size += n;
    return BALE_OK;
}

bale_err bale__buf_put_varint(bale__buf *b, uint64_t v) {
    uint8_t tmp[10];
    return bale__buf_append(b, tmp, (size_t)(bale__put_varint(tmp, v) - tmp));
}

void bale__buf_free(bale__buf *b) {
    bale__free(b->data);
    b->data = NULL;
    b->size = b->capacity = 0;
}

uint8_t *bale__buf_detach(bale__buf *b, size_t *size) {
    uint8_t *p = b->data;
    if (p != NULL && (b->capacity > b->size || bale__load64(p - 8) == TAG_SCRATCH)) {
        /* A fresh block of exactly the size and a copy.  Not a shrinking
         * realloc: shrinking in place leaves the freed end right behind a
         * long-lived result, and the short-lived buffers that later fill
         * such gaps part-way fragment the heap (about 1 B per element of RSS
         * on lists of npm names, that malloc_trim cannot return).  And not
         * the buffer as it is when it is nearly full: its slack would be
         * memory that callers' size fields (bale_chunk_nbytes) do not see
         * (0.08 B per name on a list of sorted npm names). */
        uint8_t *fit = bale__malloc(b->size ? b->size : 1);
        if (fit != NULL) { /* keep the larger block if this fails */
            memcpy(fit, p, b->size);
            bale__free(p);
            p = fit;
        } else if (bale__load64(p - 8) == TAG_SCRATCH) {
            p = NULL; /* a scratch block cannot outlive its scope */
        }
    }
    *size = b->size;
    b->data = NULL;
    b->size = b->capacity = 0;
    return p;
}

uint64_t bale__reader_varint(bale__reader *r) {
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        uint8_t byte = bale__reader_u8(r);
        if (r->bad) return 0;
        if (shift == 63 && byte > 1) break; /* would overflow 64 bits */
        v |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) return v;
    }
    r->bad = 1;
    return 0;
}
