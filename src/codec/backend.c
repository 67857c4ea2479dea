/*
 * backend.c - the general-purpose compressors behind a pipeline: none, lz4,
 * zstd, zlib.  All three libraries come from the system (pkg-config) and are
 * steered to the library's allocator where their APIs allow it (zstd's
 * customMem, zlib's zalloc/zfree; lz4 needs no heap for these calls).
 */
#include "codec_internal.h"

#include <limits.h>
#include <pthread.h>
#include <lz4.h>
#include <lz4hc.h>
#include <zlib.h>
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_customMem, ZSTD_createDCtx_advanced */
#include <zstd.h>
#include <zstd_errors.h>

int bale__backend_available(bale_backend backend) {
    switch (backend) {
    case BALE_BACKEND_NONE:
    case BALE_BACKEND_LZ4:
    case BALE_BACKEND_ZSTD:
    case BALE_BACKEND_ZLIB:
        return 1;
    default:
        return 0;
    }
}

/* lz4 levels: 1 = LZ4_compress_default, 2..12 = LZ4 HC at that level. */
bale_err bale_backend_levels(bale_backend backend, int *min, int *max,
                             int *dflt) {
    int lo, hi, d;
    switch (backend) {
    case BALE_BACKEND_NONE: lo = 0, hi = 0, d = 0; break;
    case BALE_BACKEND_LZ4: lo = 1, hi = LZ4HC_CLEVEL_MAX, d = 1; break;
    case BALE_BACKEND_ZSTD: lo = 1, hi = ZSTD_maxCLevel(), d = 3; break;
    case BALE_BACKEND_ZLIB: lo = 1, hi = 9, d = 6; break;
    default: return BALE_UNSUPPORTED;
    }
    if (min) *min = lo;
    if (max) *max = hi;
    if (dflt) *dflt = d;
    return BALE_OK;
}

static int clamp_level(bale_backend backend, int level) {
    int lo = 0, hi = 0, d = 0;
    (void)bale_backend_levels(backend, &lo, &hi, &d);
    if (level == 0) return d;
    return level < lo ? lo : level > hi ? hi : level;
}

/* ---- zstd and zlib through the library's allocator ------------------------ */
static void *zstd_alloc(void *opaque, size_t size) {
    (void)opaque;
    return bale__malloc(size);
}
static void zstd_free(void *opaque, void *p) {
    (void)opaque;
    bale__free(p);
}
static const ZSTD_customMem zstd_mem = {zstd_alloc, zstd_free, NULL};

static voidpf zlib_alloc(voidpf opaque, uInt items, uInt size) {
    (void)opaque;
    return bale__calloc(items, size);
}
static void zlib_free(voidpf opaque, voidpf p) {
    (void)opaque;
    bale__free(p);
}

/* Contexts are cached per thread: creating a zstd context costs more than
 * compressing a small chunk.  They are counted in bale_memory_live while they
 * live, and freed by bale_thread_cleanup or, at the latest, when the thread
 * ends (a pthread key's destructor). */
static _Thread_local ZSTD_CCtx *tl_cctx;
static _Thread_local ZSTD_DCtx *tl_dctx;
static pthread_key_t tl_key;
static pthread_once_t tl_key_once = PTHREAD_ONCE_INIT;
static int tl_key_ok;

void bale_thread_cleanup(void) {
    ZSTD_freeCCtx(tl_cctx);
    ZSTD_freeDCtx(tl_dctx);
    tl_cctx = NULL;
    tl_dctx = NULL;
}

/* Runs at thread exit when this thread made a context (glibc keeps TLS valid
 * while key destructors run). */
static void thread_exit(void *unused) {
    (void)unused;
    bale_thread_cleanup();
}

static void make_key(void) { tl_key_ok = pthread_key_create(&tl_key, thread_exit) == 0; }

/* Arms the thread-exit destructor for the calling thread. */
static void remember_thread(void) {
    pthread_once(&tl_key_once, make_key);
    if (tl_key_ok) (void)pthread_setspecific(tl_key, &tl_key_ok); /* any non-NULL */
}

static bale_err zstd_compress(int level, const uint8_t *src, size_t n,
                              bale__buf *out) {
    if (tl_cctx == NULL) {
        tl_cctx = ZSTD_createCCtx_advanced(zstd_mem);
        remember_thread();
    }
    BALE_RETURN_IF(tl_cctx == NULL, BALE_NOMEM);
    size_t bound = ZSTD_compressBound(n);
    BALE_FORWARD_IF_ERROR(bale__buf_reserve(out, bound));
    /* Reset parameters each time: a previous failure may have left state. */
    ZSTD_CCtx_reset(tl_cctx, ZSTD_reset_session_and_parameters);
    ZSTD_CCtx_setParameter(tl_cctx, ZSTD_c_compressionLevel, level);
    ZSTD_CCtx_setParameter(tl_cctx, ZSTD_c_contentSizeFlag, 0);
    ZSTD_CCtx_setParameter(tl_cctx, ZSTD_c_checksumFlag, 0);
    ZSTD_CCtx_setParameter(tl_cctx, ZSTD_c_format, ZSTD_f_zstd1_magicless);
    size_t r = ZSTD_compress2(tl_cctx, out->data + out->size, bound, src, n);
    if (ZSTD_isError(r)) {
        return ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation
                   ? BALE_NOMEM
                   : BALE_INVALID;
    }
    out->size += r;
    return BALE_OK;
}

static bale_err zstd_decompress(const uint8_t *src, size_t n, uint8_t *dst,
                                size_t dst_size) {
    if (tl_dctx == NULL) {
        tl_dctx = ZSTD_createDCtx_advanced(zstd_mem);
        remember_thread();
    }
    BALE_RETURN_IF(tl_dctx == NULL, BALE_NOMEM);
    ZSTD_DCtx_reset(tl_dctx, ZSTD_reset_session_and_parameters);
    ZSTD_DCtx_setParameter(tl_dctx, ZSTD_d_format, ZSTD_f_zstd1_magicless);
    ZSTD_inBuffer in = {src, n, 0};
    ZSTD_outBuffer out = {dst, dst_size, 0};
    /* Stream so that an input promising more than dst_size cannot make zstd
     * write past dst: it stops with the output full. */
    size_t r = ZSTD_decompressStream(tl_dctx, &out, &in);
    if (ZSTD_isError(r)) {
        return ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation
                   ? BALE_NOMEM
                   : BALE_CORRUPT;
    }
    /* r == 0: the frame is complete.  Anything else (more output pending,
     * input left over, short output) is corrupt. */
    BALE_RETURN_IF(r != 0 || in.pos != n || out.pos != dst_size, BALE_CORRUPT);
    return BALE_OK;
}

static bale_err zlib_compress(int level, const uint8_t *src, size_t n,
                              bale__buf *out) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    zs.zalloc = zlib_alloc;
    zs.zfree = zlib_free;
    /* Raw deflate (negative window bits): the chunk header already carries
     * sizes and a checksum, so zlib's own wrapper would be redundant. */
    int zr = deflateInit2(&zs, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
    BALE_RETURN_IF(zr == Z_MEM_ERROR, BALE_NOMEM);
    BALE_RETURN_IF(zr != Z_OK, BALE_INVALID);
    bale_err err = BALE_OK;
    size_t done = 0;
    do {
        size_t bound = deflateBound(&zs, (uLong)(n - done < UINT_MAX ? n - done : UINT_MAX));
        err = bale__buf_reserve(out, bound < 4096 ? 4096 : bound);
        if (err != BALE_OK) break;
        size_t chunk_in = n - done < UINT_MAX ? n - done : UINT_MAX;
        zs.next_in = (Bytef *)(uintptr_t)(src + done);
        zs.avail_in = (uInt)chunk_in;
        size_t room = out->capacity - out->size;
        zs.next_out = out->data + out->size;
        zs.avail_out = (uInt)(room < UINT_MAX ? room : UINT_MAX);
        int flush = done + chunk_in == n ? Z_FINISH : Z_NO_FLUSH;
        zr = deflate(&zs, flush);
        size_t used_in = chunk_in - zs.avail_in;
        done += used_in;
        out->size = (size_t)(zs.next_out - out->data);
        if (zr == Z_STREAM_END) break;
        if (zr != Z_OK && zr != Z_BUF_ERROR) {
            err = zr == Z_MEM_ERROR ? BALE_NOMEM : BALE_INVALID;
            break;
        }
    } while (1);
    deflateEnd(&zs);
    return err;
}

static bale_err zlib_decompress(const uint8_t *src, size_t n, uint8_t *dst,
                                size_t dst_size) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    zs.zalloc = zlib_alloc;
    zs.zfree = zlib_free;
    int zr = inflateInit2(&zs, -15);
    BALE_RETURN_IF(zr == Z_MEM_ERROR, BALE_NOMEM);
    BALE_RETURN_IF(zr != Z_OK, BALE_CORRUPT);
    bale_err err = BALE_OK;
    size_t in_done = 0, out_done = 0;
    for (;;) {
        size_t in_left = n - in_done, out_left = dst_size - out_done;
        zs.next_in = (Bytef *)(uintptr_t)(src + in_done);
        zs.avail_in = (uInt)(in_left < UINT_MAX ? in_left : UINT_MAX);
        zs.next_out = dst + out_done;
        zs.avail_out = (uInt)(out_left < UINT_MAX ? out_left : UINT_MAX);
        uInt avail_in = zs.avail_in, avail_out = zs.avail_out;
        zr = inflate(&zs, Z_NO_FLUSH);
        in_done += avail_in - zs.avail_in;
        out_done += avail_out - zs.avail_out;
        if (zr == Z_STREAM_END) break;
        if (zr == Z_MEM_ERROR) {
            err = BALE_NOMEM;
            break;
        }
        /* No progress possible (input exhausted or output full) without the
         * end of stream, or a data error: corrupt. */
        if (zr != Z_OK || (avail_in == zs.avail_in && avail_out == zs.avail_out)) {
            err = BALE_CORRUPT;
            break;
        }
    }
    inflateEnd(&zs);
    if (err == BALE_OK && (in_done != n || out_done != dst_size))
        err = BALE_CORRUPT;
    return err;
}

bale_err bale__backend_compress(bale_backend backend, int level,
                                const uint8_t *src, size_t n, bale__buf *out) {
    level = clamp_level(backend, level);
    switch (backend) {
    case BALE_BACKEND_NONE:
        return bale__buf_append(out, src, n);
    case BALE_BACKEND_LZ4: {
        BALE_RETURN_IF(n > LZ4_MAX_INPUT_SIZE, BALE_INVALID);
        int bound = LZ4_compressBound((int)n);
        BALE_FORWARD_IF_ERROR(bale__buf_reserve(out, (size_t)bound));
        char *dst = (char *)(out->data + out->size);
        int r = level <= 1
                    ? LZ4_compress_default((const char *)src, dst, (int)n, bound)
                    : LZ4_compress_HC((const char *)src, dst, (int)n, bound, level);
        BALE_RETURN_IF(r <= 0 && n > 0, BALE_INVALID);
        out->size += (size_t)r;
        return BALE_OK;
    }
    case BALE_BACKEND_ZSTD:
        return zstd_compress(level, src, n, out);
    case BALE_BACKEND_ZLIB:
        return zlib_compress(level, src, n, out);
    default:
        return BALE_UNSUPPORTED;
    }
}

bale_err bale__backend_decompress(bale_backend backend, const uint8_t *src,
                                  size_t n, uint8_t *dst, size_t dst_size) {
    switch (backend) {
    case BALE_BACKEND_NONE:
        BALE_RETURN_IF(n != dst_size, BALE_CORRUPT);
        if (n) memcpy(dst, src, n);
        return BALE_OK;
    case BALE_BACKEND_LZ4: {
        BALE_RETURN_IF(n > INT_MAX || dst_size > INT_MAX, BALE_CORRUPT);
        if (dst_size == 0) return n == 1 && src[0] == 0 ? BALE_OK : BALE_CORRUPT;
        /* LZ4_decompress_safe never reads or writes outside its buffers. */
        int r = LZ4_decompress_safe((const char *)src, (char *)dst, (int)n,
                                    (int)dst_size);
        BALE_RETURN_IF(r < 0 || (size_t)r != dst_size, BALE_CORRUPT);
        return BALE_OK;
    }
    case BALE_BACKEND_ZSTD:
        return zstd_decompress(src, n, dst, dst_size);
    case BALE_BACKEND_ZLIB:
        return zlib_decompress(src, n, dst, dst_size);
    default:
        return BALE_UNSUPPORTED;
    }
}
