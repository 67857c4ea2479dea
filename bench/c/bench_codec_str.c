/* bench_codec_str.c - measures the variable-width encodings on real data.
 *
 *   bench_codec_str [DATA_DIR] [MAX_ROWS]
 *
 * DATA_DIR defaults to $BALE_DATA_DIR, then ../shared/data.  Data sets: npm
 * names sorted and shuffled (fixed seed), the flights `origin` column, and
 * English words.  Values are cut into chunks of at most 64 KiB raw (value
 * bytes + 8 per offset, bale_chunk_raw_size).  For each pipeline: bytes per
 * element (whole chunks: header, tables, offsets), encode and full-decode
 * MB/s (of value bytes), and the mean time of one bale_chunk_get at a
 * random index.  Stage-level rows (FSST variants, zstd with dictionaries)
 * add the chunk header they would have (bale__chunk_header_size) to their
 * stage size.  Output: Markdown. */
#include "../../src/chunk/chunk_internal.h"
#include "../../src/codec/str_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#define ZSTD_STATIC_LINKING_ONLY
#include <zdict.h>
#include <zstd.h>

/* Chunk size (raw bytes: value bytes + `offset_bytes` per value, as
 * bale_chunk_raw_size counts them with 8).  BENCH_CHUNK_RAW and
 * BENCH_OFFSET_BYTES override them for the chunk-size study of
 * docs/design-strings.md; BENCH_QUICK=1 runs only auto and the FSST rows (50000 gets, not 200000).
 * BENCH_DEC_REPS=n repeats the full decode of the stage rows n times (dec
 * MB/s is their mean; for profiling the decoders). */
static uint64_t chunk_raw = 65536u;
static unsigned dec_reps = 1;
static uint64_t offset_bytes = 8;
static int quick = 0;
static unsigned get_samples = 200000u; /* BENCH_QUICK: 5000 */
#define GET_SAMPLES get_samples

typedef struct dataset {
    const char *name;
    bale_values v; /* malloc'd */
} dataset;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts); /* CPU time: the machine is shared */
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Reads lines (or CSV column `col`, 0-based; -1 = whole line) of an xz file. */
static int load(const char *dir, const char *file, int col, size_t max, bale_values *v) {
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "xz -dc '%s/%s' 2>/dev/null", dir, file);
    FILE *p = popen(cmd, "r");
    if (p == NULL) return 0;
    size_t cap = 1 << 20, ocap = 1 << 16, n = 0;
    uint8_t *data = malloc(cap);
    uint64_t *off = malloc(ocap * sizeof *off);
    off[0] = 0;
    uint64_t size = 0;
    char line[8192];
    int header = col >= 0;
    while (n < max && fgets(line, sizeof line, p)) {
        size_t l = strlen(line);
        if (l && line[l - 1] == '\n') line[--l] = 0;
        if (header) {
            header = 0;
            continue;
        }
        char *s = line;
        if (col >= 0) {
            for (int c = 0; c < col && s; c++) {
                s = strchr(s, ',');
                if (s) s++;
            }
            if (!s) continue;
            char *e = strchr(s, ',');
            l = e ? (size_t)(e - s) : strlen(s);
        }
        if (size + l > cap) data = realloc(data, cap = 2 * (size + l));
        if (n + 2 > ocap) off = realloc(off, (ocap *= 2) * sizeof *off);
        memcpy(data + size, s, l);
        size += l;
        off[++n] = size;
    }
    while (fgets(line, sizeof line, p)) {}
    pclose(p);
    if (n == 0) {
        free(data);
        free(off);
        return 0;
    }
    v->dtype = BALE_DTYPE_STR;
    v->count = n;
    v->data = data;
    v->offsets = off;
    v->data_size = size;
    return 1;
}

static void shuffled(const bale_values *in, bale_values *out) {
    uint64_t n = in->count;
    uint64_t *perm = malloc(n * sizeof *perm);
    for (uint64_t i = 0; i < n; i++) perm[i] = i;
    rng = 42;
    for (uint64_t i = n; i > 1; i--) {
        uint64_t j = rnd() % i, t = perm[i - 1];
        perm[i - 1] = perm[j];
        perm[j] = t;
    }
    *out = *in;
    out->data = malloc(in->data_size ? in->data_size : 1);
    out->offsets = malloc((n + 1) * sizeof *out->offsets);
    uint64_t pos = 0;
    out->offsets[0] = 0;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t a = in->offsets[perm[i]], l = in->offsets[perm[i] + 1] - a;
        memcpy((uint8_t *)out->data + pos, (uint8_t *)in->data + a, l);
        pos += l;
        out->offsets[i + 1] = pos;
    }
    free(perm);
}

/* Chunk boundaries: value index of each chunk start, plus the end. */
static uint64_t *cut_chunks(const bale_values *v, size_t *nchunks) {
    size_t cap = 1024, n = 0;
    uint64_t *b = malloc(cap * sizeof *b);
    uint64_t i = 0;
    b[n++] = 0;
    while (i < v->count) {
        uint64_t raw = 0;
        while (i < v->count &&
               raw + offset_bytes + (v->offsets[i + 1] - v->offsets[i]) <= chunk_raw)
            raw += offset_bytes + (v->offsets[i + 1] - v->offsets[i]), i++;
        if (raw == 0) i++; /* a value larger than a chunk gets its own */
        if (n == cap) b = realloc(b, (cap *= 2) * sizeof *b);
        b[n++] = i;
    }
    *nchunks = n - 1;
    return b;
}

/* A view of values [lo, hi) with rebased offsets (caller frees offsets). */
static bale_values slice(const bale_values *v, uint64_t lo, uint64_t hi) {
    bale_values s = *v;
    s.count = hi - lo;
    s.offsets = malloc((hi - lo + 1) * sizeof *s.offsets);
    for (uint64_t i = lo; i <= hi; i++) s.offsets[i - lo] = v->offsets[i] - v->offsets[lo];
    s.data = (uint8_t *)v->data + v->offsets[lo];
    s.data_size = s.offsets[hi - lo];
    return s;
}

typedef struct row {
    const char *name;
    double bpe, enc_mbs, dec_mbs, get_ns;
    int ok;
} row;

static void print_row(const row *r) {
    if (!r->ok) {
        printf("| %-28s | unsupported | | | |\n", r->name);
        return;
    }
    printf("| %-28s | %7.4f | %8.1f | %8.1f | %8.0f |\n", r->name, r->bpe, r->enc_mbs,
           r->dec_mbs, r->get_ns);
}

/* A chunk pipeline through the public API. */
/* `shared`: chunks encoded as a container does (bale_chunk_encode_shared:
 * one table trained on the first chunk, retrained on drift); B/elem then
 * counts every distinct table once. */
static row bench_pipeline_x(const dataset *d, const uint64_t *cuts, size_t nchunks,
                            const char *name, bale_codec_opts opts, int shared) {
    row r = {name, 0, 0, 0, 0, 1};
    bale_chunk **cs = calloc(nchunks, sizeof *cs);
    uint64_t bytes = 0;
    bale_symtab *tab = NULL;
    const bale_symtab *last = NULL;
    double t0 = now();
    for (size_t c = 0; c < nchunks; c++) {
        bale_values s = slice(&d->v, cuts[c], cuts[c + 1]);
        bale_err e = shared ? bale_chunk_encode_shared(&s, &opts, &tab, &cs[c])
                            : bale_chunk_encode(&s, &opts, &cs[c]);
        free(s.offsets);
        /* as a List does once it has sealed this many chunks */
        int relearnt;
        if (e == BALE_OK && shared && c + 1 == BALE__RELEARN_CHUNKS)
            e = bale__chunks_relearn(cs, c + 1, &opts, 0, &tab, &relearnt);
        if (e != BALE_OK) {
            r.ok = 0;
            for (size_t k = 0; k < nchunks; k++) bale_chunk_decref(cs[k]); /* NULL ok */
            free(cs);
            bale_symtab_decref(tab);
            return r;
        }
    }
    double t1 = now();
    for (size_t c = 0; c < nchunks; c++) {
        if (bale_chunk_symtab(cs[c]) != NULL && bale_chunk_symtab(cs[c]) != last) {
            last = bale_chunk_symtab(cs[c]);
            size_t tsize;
            (void)bale_symtab_bytes(last, &tsize);
            bytes += tsize;
        }
        bytes += bale_chunk_encoded_size(cs[c]);
    }
    for (size_t c = 0; c < nchunks; c++) {
        bale_values out;
        if (bale_chunk_decode(cs[c], &out) != BALE_OK) abort();
        bale_values_free(&out);
    }
    /* One get per chunk first: chunks cache their decoder on the first get
     * (FSST with its own table), so the timed gets below are the steady
     * state of repeated random access; the first get's cost is reported as
     * `cold_ns` on stderr, and the cache's size as bytes per chunk. */
    uint64_t cache = 0;
    for (size_t c = 0; c < nchunks; c++) cache -= bale_chunk_nbytes(cs[c]);
    double tc = now();
    for (size_t c = 0; c < nchunks; c++) {
        bale_values one;
        if (bale_chunk_get(cs[c], 0, &one) != BALE_OK) abort();
        bale_values_free(&one);
    }
    double t2 = now();
    for (size_t c = 0; c < nchunks; c++) cache += bale_chunk_nbytes(cs[c]);
    fprintf(stderr, "%s: first get %.0f ns, cached decoders %.0f B/chunk\n", name,
            (t2 - tc) * 1e9 / (double)nchunks, (double)cache / (double)nchunks);
    rng = 7;
    for (unsigned k = 0; k < GET_SAMPLES; k++) {
        size_t c = (size_t)(rnd() % nchunks);
        bale_values one;
        if (bale_chunk_get(cs[c], rnd() % bale_chunk_count(cs[c]), &one) != BALE_OK) abort();
        bale_values_free(&one);
    }
    double t3 = now();
    for (size_t c = 0; c < nchunks; c++) bale_chunk_decref(cs[c]);
    free(cs);
    bale_symtab_decref(tab);
    double mb = (double)d->v.data_size / 1e6;
    r.bpe = (double)bytes / (double)d->v.count;
    r.enc_mbs = mb / (t1 - t0);
    r.dec_mbs = mb / (t2 - t1);
    r.get_ns = (t3 - t2) * 1e9 / GET_SAMPLES;
    return r;
}

static row bench_pipeline(const dataset *d, const uint64_t *cuts, size_t nchunks,
                          const char *name, bale_codec_opts opts) {
    return bench_pipeline_x(d, cuts, nchunks, name, opts, 0);
}

/* A stage variant: encode function + the encoding's decode/get. */
typedef bale_err (*stage_fn)(const bale_values *in, bale__buf *out, int arg);
static bale_err st_fsst(const bale_values *in, bale__buf *out, int flags) {
    return bale__fsst_encode_opts(in, (unsigned)flags, BALE_STR_BLOCK_SHIFT, out);
}
static bale_err st_blocks_zstd(const bale_values *in, bale__buf *out, int shift) {
    return bale__blocks_encode_opts(in, (unsigned)shift, BALE_BACKEND_ZSTD, 19, out);
}
static bale_err st_blocks_lz4(const bale_values *in, bale__buf *out, int shift) {
    return bale__blocks_encode_opts(in, (unsigned)shift, BALE_BACKEND_LZ4, 12, out);
}

static row bench_stage(const dataset *d, const uint64_t *cuts, size_t nchunks,
                       const char *name, bale_encoding enc, stage_fn fn, int arg) {
    row r = {name, 0, 0, 0, 0, 1};
    const bale__encoding_impl *impl = bale__encoding_find(enc);
    bale__buf *st = calloc(nchunks, sizeof *st);
    uint64_t bytes = 0;
    double t0 = now();
    for (size_t c = 0; c < nchunks; c++) {
        bale_values s = slice(&d->v, cuts[c], cuts[c + 1]);
        if (fn(&s, &st[c], arg) != BALE_OK) abort();
        bytes += st[c].size + bale__chunk_header_size(BALE_BACKEND_NONE, s.count, bale__values_raw_size(&s),
                                                      st[c].size, st[c].size);
        free(s.offsets);
    }
    double t1 = now();
    for (unsigned rep = 0; rep < dec_reps; rep++) {
        for (size_t c = 0; c < nchunks; c++) {
            bale_values out;
            uint64_t ds = d->v.offsets[cuts[c + 1]] - d->v.offsets[cuts[c]];
            if (impl->decode(BALE_DTYPE_STR, cuts[c + 1] - cuts[c], st[c].data, st[c].size, ds, &out) != BALE_OK)
                abort();
            bale_values_free(&out);
        }
    }
    double t2 = now();
    rng = 7;
    for (unsigned k = 0; k < GET_SAMPLES; k++) {
        size_t c = (size_t)(rnd() % nchunks);
        uint64_t n = cuts[c + 1] - cuts[c];
        bale_values one;
        if (impl->get(BALE_DTYPE_STR, n, st[c].data, st[c].size, rnd() % n, &one) != BALE_OK) abort();
        bale_values_free(&one);
    }
    double t3 = now();
    for (size_t c = 0; c < nchunks; c++) bale__buf_free(&st[c]);
    free(st);
    double mb = (double)d->v.data_size / 1e6;
    r.bpe = (double)bytes / (double)d->v.count;
    r.enc_mbs = mb / (t1 - t0);
    r.dec_mbs = mb * dec_reps / (t2 - t1);
    r.get_ns = (t3 - t2) * 1e9 / GET_SAMPLES;
    return r;
}

/* Baselines on each chunk's PLAIN stage bytes: memcpy, and zstd with a
 * dictionary trained on the data set, in mini-blocks of 16 values (the
 * dictionary counted once for the whole data set, or per chunk). */
static void bench_extra(const dataset *d, const uint64_t *cuts, size_t nchunks) {
    /* memcpy of the value bytes. */
    uint8_t *dst = malloc(d->v.data_size + 1);
    double t0 = now();
    for (int rep = 0; rep < 5; rep++) {
        memcpy(dst, d->v.data, d->v.data_size);
        /* dst is dead afterwards: without this barrier the copy is dropped. */
        __asm__ volatile("" : : "r"(dst) : "memory");
    }
    double t1 = now();
    printf("| %-28s | %7.4f | %8s | %8.1f | %8s |\n", "memcpy (values)",
           (double)(d->v.data_size + 8 * d->v.count) / (double)d->v.count, "-",
           5 * (double)d->v.data_size / 1e6 / (t1 - t0), "-");
    free(dst);

    /* Dictionary over a sample of the whole data set. */
    const size_t dict_cap = 32 << 10, nsamples = d->v.count < 100000 ? d->v.count : 100000;
    size_t *sizes = malloc(nsamples * sizeof *sizes);
    uint8_t *samples = malloc(d->v.data_size + 1);
    size_t total = 0;
    rng = 99;
    for (size_t k = 0; k < nsamples; k++) {
        uint64_t i = nsamples == d->v.count ? k : rnd() % d->v.count;
        size_t l = (size_t)(d->v.offsets[i + 1] - d->v.offsets[i]);
        memcpy(samples + total, (uint8_t *)d->v.data + d->v.offsets[i], l);
        sizes[k] = l;
        total += l;
    }
    uint8_t *dict = malloc(dict_cap);
    size_t dsize = ZDICT_trainFromBuffer(dict, dict_cap, samples, sizes, (unsigned)nsamples);
    if (ZDICT_isError(dsize)) {
        printf("| zstd+dict: %s |\n", ZDICT_getErrorName(dsize));
    } else {
        ZSTD_CCtx *cc = ZSTD_createCCtx();
        ZSTD_DCtx *dc = ZSTD_createDCtx();
        ZSTD_CDict *cd = ZSTD_createCDict(dict, dsize, 19);
        ZSTD_DDict *dd = ZSTD_createDDict(dict, dsize);
        uint64_t bytes = 0;
        size_t bcap = 1 << 20, nbl = 0;
        uint8_t *buf = malloc(bcap), *cbuf = malloc(ZSTD_compressBound(bcap));
        uint8_t **blk = malloc(((d->v.count >> 4) + nchunks + 1) * sizeof *blk);
        size_t *bsz = malloc(((d->v.count >> 4) + nchunks + 1) * sizeof *bsz);
        double e0 = now();
        for (size_t c = 0; c < nchunks; c++) {
            /* the header (sizes guessed at 8 KB) and a u16 per block */
            bytes += bale__chunk_header_size(BALE_BACKEND_NONE, cuts[c + 1] - cuts[c], chunk_raw, 8192,
                                             8192) +
                     2 * ((cuts[c + 1] - cuts[c] + 15) / 16);
            for (uint64_t lo = cuts[c]; lo < cuts[c + 1]; lo += 16) {
                uint64_t hi = lo + 16 < cuts[c + 1] ? lo + 16 : cuts[c + 1];
                size_t n = 0;
                for (uint64_t i = lo; i < hi; i++) {
                    uint64_t l = d->v.offsets[i + 1] - d->v.offsets[i];
                    buf[n++] = (uint8_t)(l < 255 ? l : 255);
                }
                memcpy(buf + n, (uint8_t *)d->v.data + d->v.offsets[lo], d->v.offsets[hi] - d->v.offsets[lo]);
                n += d->v.offsets[hi] - d->v.offsets[lo];
                ZSTD_CCtx_setParameter(cc, ZSTD_c_format, ZSTD_f_zstd1_magicless);
                ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, 0);
                ZSTD_CCtx_setParameter(cc, ZSTD_c_dictIDFlag, 0);
                ZSTD_CCtx_refCDict(cc, cd);
                size_t r = ZSTD_compress2(cc, cbuf, ZSTD_compressBound(n), buf, n);
                if (ZSTD_isError(r)) abort();
                blk[nbl] = malloc(r);
                memcpy(blk[nbl], cbuf, r);
                bsz[nbl++] = r;
                bytes += r;
            }
        }
        double e1 = now();
        rng = 7;
        ZSTD_DCtx_setParameter(dc, ZSTD_d_format, ZSTD_f_zstd1_magicless);
        ZSTD_DCtx_refDDict(dc, dd);
        for (unsigned k = 0; k < GET_SAMPLES; k++) {
            size_t b = (size_t)(rnd() % nbl);
            size_t r = ZSTD_decompressDCtx(dc, buf, bcap, blk[b], bsz[b]);
            if (ZSTD_isError(r)) abort();
        }
        double e2 = now();
        printf("| %-28s | %7.4f | %8.1f | %8s | %8.0f |\n", "zstd19+dict32K(global)/16",
               (double)bytes / (double)d->v.count, (double)d->v.data_size / 1e6 / (e1 - e0), "-",
               (e2 - e1) * 1e9 / GET_SAMPLES);
        printf("| %-28s | %7.4f | | | |\n", "  same + dict per chunk",
               (double)(bytes + nchunks * dsize) / (double)d->v.count);
        for (size_t b = 0; b < nbl; b++) free(blk[b]);
        free(blk);
        free(bsz);
        free(buf);
        free(cbuf);
        ZSTD_freeCDict(cd);
        ZSTD_freeDDict(dd);
        ZSTD_freeCCtx(cc);
        ZSTD_freeDCtx(dc);
    }
    free(dict);
    free(samples);
    free(sizes);
}

static void run(const dataset *d, int full) {
    size_t nchunks;
    uint64_t *cuts = cut_chunks(&d->v, &nchunks);
    printf("\n### %s: %" PRIu64 " values, %.1f MB, %zu chunks of <= %" PRIu64
           " KiB raw (%" PRIu64 " B/offset)\n\n",
           d->name, d->v.count, (double)d->v.data_size / 1e6, nchunks, chunk_raw >> 10,
           offset_bytes);
    printf("| pipeline | B/elem | enc MB/s | dec MB/s | get ns |\n|---|---|---|---|---|\n");
    row rows[32];
    int n = 0;
    rows[n++] = bench_pipeline(d, cuts, nchunks, "auto", bale_codec_opts_auto());
    rows[n++] = bench_pipeline_x(d, cuts, nchunks, "auto, shared table", bale_codec_opts_auto(), 1);
    if (!strstr(d->name, "origin"))
        rows[n++] = bench_pipeline_x(d, cuts, nchunks, "ctx, shared table",
                                     (bale_codec_opts){BALE_ENC_CTX, BALE_BACKEND_NONE, 0}, 1);
    if (quick) {
        if (strstr(d->name, "origin"))
            rows[n++] = bench_pipeline(d, cuts, nchunks, "dict/zstd19", (bale_codec_opts){BALE_ENC_DICT, BALE_BACKEND_ZSTD, 19});
        rows[n++] = bench_stage(d, cuts, nchunks, "stage fsst+front+huff", BALE_ENC_FSST, st_fsst,
                                BALE_FSST_FRONT | BALE_FSST_HUFF);
        rows[n++] = bench_stage(d, cuts, nchunks, "stage fsst+huff", BALE_ENC_FSST, st_fsst, BALE_FSST_HUFF);
        for (int k = 0; k < n; k++) print_row(&rows[k]);
        free(cuts);
        return;
    }
    rows[n++] = bench_pipeline(d, cuts, nchunks, "plain/none", (bale_codec_opts){BALE_ENC_PLAIN, BALE_BACKEND_NONE, 0});
    rows[n++] = bench_pipeline(d, cuts, nchunks, "plain/lz4", (bale_codec_opts){BALE_ENC_PLAIN, BALE_BACKEND_LZ4, 0});
    rows[n++] = bench_pipeline(d, cuts, nchunks, "plain/zstd3", (bale_codec_opts){BALE_ENC_PLAIN, BALE_BACKEND_ZSTD, 3});
    rows[n++] = bench_pipeline(d, cuts, nchunks, "plain/zstd19", (bale_codec_opts){BALE_ENC_PLAIN, BALE_BACKEND_ZSTD, 19});
    rows[n++] = bench_pipeline(d, cuts, nchunks, "dict/none", (bale_codec_opts){BALE_ENC_DICT, BALE_BACKEND_NONE, 0});
    rows[n++] = bench_pipeline(d, cuts, nchunks, "dict/zstd3", (bale_codec_opts){BALE_ENC_DICT, BALE_BACKEND_ZSTD, 3});
    rows[n++] = bench_pipeline(d, cuts, nchunks, "dict/zstd19", (bale_codec_opts){BALE_ENC_DICT, BALE_BACKEND_ZSTD, 19});
    rows[n++] = bench_pipeline(d, cuts, nchunks, "front/none", (bale_codec_opts){BALE_ENC_FRONT, BALE_BACKEND_NONE, 0});
    rows[n++] = bench_pipeline(d, cuts, nchunks, "front/zstd3", (bale_codec_opts){BALE_ENC_FRONT, BALE_BACKEND_ZSTD, 3});
    rows[n++] = bench_pipeline(d, cuts, nchunks, "fsst/none (auto flags)", (bale_codec_opts){BALE_ENC_FSST, BALE_BACKEND_NONE, 0});
    rows[n++] = bench_pipeline(d, cuts, nchunks, "blocks/none (zstd19, 32)", (bale_codec_opts){BALE_ENC_BLOCKS, BALE_BACKEND_NONE, 0});
    if (full) {
        rows[n++] = bench_stage(d, cuts, nchunks, "stage fsst", BALE_ENC_FSST, st_fsst, 0);
        rows[n++] = bench_stage(d, cuts, nchunks, "stage fsst+front", BALE_ENC_FSST, st_fsst, BALE_FSST_FRONT);
        rows[n++] = bench_stage(d, cuts, nchunks, "stage fsst+huff", BALE_ENC_FSST, st_fsst, BALE_FSST_HUFF);
        rows[n++] = bench_stage(d, cuts, nchunks, "stage fsst+front+huff", BALE_ENC_FSST, st_fsst,
                                BALE_FSST_FRONT | BALE_FSST_HUFF);
        rows[n++] = bench_stage(d, cuts, nchunks, "stage blocks zstd19/16", BALE_ENC_BLOCKS, st_blocks_zstd, 4);
        rows[n++] = bench_stage(d, cuts, nchunks, "stage blocks zstd19/64", BALE_ENC_BLOCKS, st_blocks_zstd, 6);
        rows[n++] = bench_stage(d, cuts, nchunks, "stage blocks lz4hc/32", BALE_ENC_BLOCKS, st_blocks_lz4, 5);
    }
    for (int k = 0; k < n; k++) print_row(&rows[k]);
    if (full) bench_extra(d, cuts, nchunks);
    free(cuts);
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : getenv("BALE_DATA_DIR");
    if (dir == NULL) dir = "../shared/data";
    size_t max = argc > 2 ? (size_t)strtoull(argv[2], NULL, 10) : (size_t)-1;
    const char *only = getenv("BENCH_ONLY");
    if (getenv("BENCH_CHUNK_RAW")) chunk_raw = strtoull(getenv("BENCH_CHUNK_RAW"), NULL, 10);
    if (getenv("BENCH_OFFSET_BYTES")) offset_bytes = strtoull(getenv("BENCH_OFFSET_BYTES"), NULL, 10);
    quick = getenv("BENCH_QUICK") != NULL;
    if (quick) get_samples = 50000;
    if (getenv("BENCH_DEC_REPS")) dec_reps = (unsigned)strtoul(getenv("BENCH_DEC_REPS"), NULL, 10);
    if (dec_reps == 0) dec_reps = 1;
    printf("# bench_codec_str (data: %s)\n", dir);
    dataset d;
    if (load(dir, "npm-names.txt.xz", -1, max, &d.v)) {
        if (!only || strstr(only, "sorted")) {
            d.name = "npm names, sorted";
            run(&d, 1);
        }
        if (!only || strstr(only, "shuffled")) {
            dataset s = {"npm names, shuffled (seed 42)", {0}};
            shuffled(&d.v, &s.v);
            run(&s, 1);
            free(s.v.data);
            free(s.v.offsets);
        }
        free(d.v.data);
        free(d.v.offsets);
    } else {
        printf("skip: npm-names.txt.xz not found in %s\n", dir);
    }
    if ((!only || strstr(only, "origin")) && load(dir, "flights-3m.csv.xz", 3, max, &d.v)) {
        d.name = "flights origin";
        run(&d, 0);
        free(d.v.data);
        free(d.v.offsets);
    }
    if ((!only || strstr(only, "words")) && load(dir, "words.txt.xz", -1, max, &d.v)) {
        d.name = "words, sorted";
        run(&d, 1);
        free(d.v.data);
        free(d.v.offsets);
    }
    bale_thread_cleanup();
    return 0;
}
