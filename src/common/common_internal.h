/*
 * common_internal.h - machinery shared by every part of libbale: allocation
 * through the hooks, growable buffers, error-return macros, little-endian
 * load/store helpers.  Internal: never installed.
 */
#ifndef BALE_COMMON_INTERNAL_H
#define BALE_COMMON_INTERNAL_H

#include "bale.h"

#include <stdint.h>
#include <string.h>

/* ---- checks (SQLite's vocabulary) --------------------------------------
 * assert()   an invariant proven by the code around it.
 * ALWAYS(x)  believed true, but defended in release builds: the caller
 *            handles the false case.  NEVER(x) is the converse.
 */
#include <assert.h>
#ifdef NDEBUG
#  define BALE_ALWAYS(x) (x)
#  define BALE_NEVER(x) (x)
#else
#  define BALE_ALWAYS(x) ((x) ? 1 : (assert(0 && #x), 0))
#  define BALE_NEVER(x) ((x) ? (assert(0 && #x), 1) : 0)
#endif

#define BALE_LIKELY(x) __builtin_expect(!!(x), 1)
#define BALE_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* RETURN_IF(cond, err): leave the function with `err` when `cond` holds.
 * FORWARD_IF_ERROR(expr): leave with expr's error when it is not BALE_OK.
 * Functions with resources to release use `goto` to one exit instead. */
#define BALE_RETURN_IF(cond, err)                                              \
    do {                                                                       \
        if (BALE_UNLIKELY(cond)) return (err);                                 \
    } while (0)
#define BALE_FORWARD_IF_ERROR(expr)                                            \
    do {                                                                       \
        bale_err bale__e = (expr);                                             \
        if (BALE_UNLIKELY(bale__e != BALE_OK)) return bale__e;                 \
    } while (0)

/* ---- allocation --------------------------------------------------------
 * All library memory comes from these three; they count live and peak bytes.
 * bale__malloc(0) returns a valid unique pointer (one byte is asked for). */
void *bale__malloc(size_t size);
void *bale__calloc(size_t n, size_t size);   /* NULL on overflow too */
void *bale__realloc(void *ptr, size_t size); /* ptr may be NULL */
void bale__free(void *ptr);                  /* NULL ok */
/* Scratch for the temporaries of one encode (alloc.c).  Between enter and
 * leave (nestable, per thread), bale__tmp_malloc/calloc take memory from a
 * bump arena that the outermost leave frees at once; outside a scope they
 * are bale__malloc/calloc.  Their results are freed or grown with
 * bale__free/bale__realloc as usual (a free inside the arena is a no-op)
 * and must not outlive the scope.  Why: an encode makes a dozen buffers of
 * 1-64 KiB around one long-lived chunk, and with the heap the chunk lands in
 * their holes and leaves slivers (fragmentation: ~0.35 B of RSS per npm
 * name over what a list holds); one arena block leaves one hole, which the
 * next encode's arena takes again. */
void bale__scratch_enter(void);
void bale__scratch_leave(void);
/* Under AddressSanitizer every temporary is a heap block of its own, so that
 * ASan sees overruns; then scopes change nothing. */
#if defined(__SANITIZE_ADDRESS__)
#define BALE__SCRATCH_ON 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BALE__SCRATCH_ON 0
#endif
#endif
#ifndef BALE__SCRATCH_ON
#define BALE__SCRATCH_ON 1
#endif
void *bale__tmp_malloc(size_t size);
void *bale__tmp_calloc(size_t n, size_t size); /* NULL on overflow too */
/* Multiplies with overflow check: returns 0 and leaves *out alone on
 * overflow, 1 otherwise. */
static inline int bale__mul_ok(size_t a, size_t b, size_t *out) {
    size_t r;
    if (__builtin_mul_overflow(a, b, &r)) return 0;
    *out = r;
    return 1;
}

/* ---- growable byte buffer ----------------------------------------------
 * Owns `data` (through the hooks).  All appends check for failure. */
typedef struct bale__buf {
    uint8_t *data;
    size_t size;     /* bytes used */
    size_t capacity; /* bytes allocated */
    int tmp;         /* set before the first reserve: data from bale__tmp_malloc */
} bale__buf;

bale_err bale__buf_reserve(bale__buf *b, size_t extra); /* room for extra more */
bale_err bale__buf_append(bale__buf *b, const void *src, size_t n);
void bale__buf_free(bale__buf *b);
/* Hands the bytes to the caller (who frees them with bale__free) and resets
 * the buffer; the block handed over is exactly `*size` bytes (a fresh copy
 * when the buffer had room to spare, or was scratch), so a caller's size is
 * its memory; only when that copy cannot be allocated is the larger block
 * kept (a scratch one cannot be: then NULL, which callers take as NOMEM). */
uint8_t *bale__buf_detach(bale__buf *b, size_t *size);

static inline bale_err bale__buf_put_u8(bale__buf *b, uint8_t v) {
    return bale__buf_append(b, &v, 1);
}
/* Unsigned LEB128 (7 bits a byte, low group first): its bytes, a writer
 * into room for 10 (returns the end), and an append. */
static inline size_t bale__varint_size(uint64_t v) {
    size_t n = 1;
    while (v >= 0x80) v >>= 7, n++;
    return n;
}
static inline uint8_t *bale__put_varint(uint8_t *p, uint64_t v) {
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}
bale_err bale__buf_put_varint(bale__buf *b, uint64_t v);

/* ---- little-endian loads and stores (unaligned) ------------------------ */
static inline uint16_t bale__load16(const void *p) {
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}
static inline uint32_t bale__load32(const void *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}
static inline uint64_t bale__load64(const void *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}
static inline void bale__store16(void *p, uint16_t v) { memcpy(p, &v, 2); }
static inline void bale__store32(void *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void bale__store64(void *p, uint64_t v) { memcpy(p, &v, 8); }
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#  error "libbale stores little-endian and assumes a little-endian host for now"
#endif

/* ---- bounded reader for untrusted bytes --------------------------------
 * Every read checks the remaining length; a failed read sets `bad` and
 * returns zeros, so a decoder may read a whole header and test `bad` once. */
typedef struct bale__reader {
    const uint8_t *p;
    const uint8_t *end;
    int bad;
} bale__reader;

static inline void bale__reader_init(bale__reader *r, const void *p, size_t n) {
    r->p = (const uint8_t *)p;
    r->end = r->p + n;
    r->bad = 0;
}
static inline size_t bale__reader_left(const bale__reader *r) {
    return (size_t)(r->end - r->p);
}
/* Returns a pointer to the next n bytes and skips them, or NULL. */
static inline const uint8_t *bale__reader_take(bale__reader *r, size_t n) {
    if (r->bad || n > bale__reader_left(r)) {
        r->bad = 1;
        return NULL;
    }
    const uint8_t *p = r->p;
    r->p += n;
    return p;
}
static inline uint8_t bale__reader_u8(bale__reader *r) {
    const uint8_t *p = bale__reader_take(r, 1);
    return p ? p[0] : 0;
}
static inline uint16_t bale__reader_u16(bale__reader *r) {
    const uint8_t *p = bale__reader_take(r, 2);
    return p ? (uint16_t)(p[0] | p[1] << 8) : 0;
}
static inline uint32_t bale__reader_u32(bale__reader *r) {
    const uint8_t *p = bale__reader_take(r, 4);
    return p ? bale__load32(p) : 0;
}
static inline uint64_t bale__reader_u64(bale__reader *r) {
    const uint8_t *p = bale__reader_take(r, 8);
    return p ? bale__load64(p) : 0;
}
uint64_t bale__reader_varint(bale__reader *r);

/* ---- hashing (xxHash) --------------------------------------------------- */
uint64_t bale__hash64(const void *p, size_t n, uint64_t seed);

#endif /* BALE_COMMON_INTERNAL_H */
