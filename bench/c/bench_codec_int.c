/*
 * bench_codec_int.c - numeric codecs on the flights columns (date as minutes
 * since the epoch, delay, distance) in 8192-value chunks: bytes per element,
 * encode and decode MB/s (MB of raw int64), for every encoding x backend,
 * the stage variants the auto policy uses, auto itself, memcpy; then a
 * bit-unpack microbenchmark.  Not a test.
 *
 *   bench_codec_int [data dir]   (default $BALE_DATA_DIR or ../shared/data)
 */
#include "bale.h"

#include "../../src/codec/int_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHUNK 8192
#define REPEAT 3

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts); /* CPU time: the machine is shared */
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static size_t load_flights(const char *dir, int64_t **cols) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "xz -dc '%s/flights-3m.csv.xz'", dir);
    FILE *fp = popen(cmd, "r");
    if (fp == NULL) return 0;
    size_t cap = 1 << 20, n = 0;
    for (int c = 0; c < 3; c++) cols[c] = malloc(cap * 8);
    char line[256];
    if (fgets(line, sizeof line, fp) == NULL) {
        pclose(fp);
        return 0;
    }
    while (fgets(line, sizeof line, fp)) {
        int y, mo, d, h, mi;
        long delay, dist;
        if (sscanf(line, "%d-%d-%dT%d:%d", &y, &mo, &d, &h, &mi) != 5) continue;
        char *p = strchr(line, ',');
        if (p == NULL || sscanf(p + 1, "%ld,%ld", &delay, &dist) != 2) continue;
        if (n == cap) {
            cap *= 2;
            for (int c = 0; c < 3; c++) cols[c] = realloc(cols[c], cap * 8);
        }
        cols[0][n] = (days_from_civil(y, (unsigned)mo, (unsigned)d) * 24 + h) * 60 + mi;
        cols[1][n] = delay;
        cols[2][n] = dist;
        n++;
    }
    pclose(fp);
    return n;
}

typedef struct result {
    double bpe, enc_mbs, dec_mbs, get_ns; /* get_ns < 0: not measured */
} result;

/* Random element access through bale_chunk_get: up to GETS lookups at
 * random (chunk, index) pairs, stopping after GET_SECONDS of CPU time (slow
 * pipelines decode a chunk per lookup); CPU ns per lookup, best of REPEAT. */
#define GETS 200000
#define GET_SECONDS 0.1
static double time_gets(bale_chunk **ch, size_t nch, size_t rows, const int64_t *col) {
    double best = 1e30;
    uint64_t s = 0x9E3779B97F4A7C15ull;
    for (int r = 0; r < REPEAT; r++) {
        double t0 = now(), t = 0;
        int g = 0;
        while (g < GETS) {
            for (int k = 0; k < 256; k++, g++) {
                s ^= s << 13, s ^= s >> 7, s ^= s << 17;
                size_t i = (size_t)(s % rows), c = i / CHUNK;
                bale_values one;
                if (c >= nch || bale_chunk_get(ch[c], i % CHUNK, &one) != BALE_OK) exit(1);
                if (*(const int64_t *)one.data != col[i]) {
                    fprintf(stderr, "get mismatch\n");
                    exit(1);
                }
                bale_values_free(&one);
            }
            t = now() - t0;
            if (t > GET_SECONDS) break;
        }
        if (t / g < best) best = t / g;
    }
    return best * 1e9;
}

/* Through the public chunk API (header and checksum included in timing and
 * in sizes). */
static result run_chunks(const int64_t *col, size_t rows, bale_codec_opts o) {
    size_t nch = (rows + CHUNK - 1) / CHUNK;
    bale_chunk **ch = calloc(nch, sizeof *ch);
    double best_e = 1e30, best_d = 1e30;
    uint64_t bytes = 0;
    for (int r = 0; r < REPEAT; r++) {
        double t0 = now();
        for (size_t i = 0; i < nch; i++) {
            size_t k = rows - i * CHUNK < CHUNK ? rows - i * CHUNK : CHUNK;
            bale_values in = {BALE_DTYPE_INT, k, (void *)(uintptr_t)(col + i * CHUNK), NULL, k * 8};
            bale_chunk_decref(ch[i]);
            ch[i] = NULL;
            if (bale_chunk_encode(&in, &o, &ch[i]) != BALE_OK) {
                fprintf(stderr, "encode failed\n");
                exit(1);
            }
        }
        double t1 = now();
        if (t1 - t0 < best_e) best_e = t1 - t0;
    }
    for (size_t i = 0; i < nch; i++) bytes += bale_chunk_encoded_size(ch[i]);
    for (int r = 0; r < REPEAT; r++) {
        double t0 = now();
        for (size_t i = 0; i < nch; i++) {
            bale_values out;
            if (bale_chunk_decode(ch[i], &out) != BALE_OK) exit(1);
            if (r == 0 && memcmp(out.data, col + i * CHUNK, out.data_size) != 0) {
                fprintf(stderr, "round trip mismatch\n");
                exit(1);
            }
            bale_values_free(&out);
        }
        double t1 = now();
        if (t1 - t0 < best_d) best_d = t1 - t0;
    }
    double get_ns = time_gets(ch, nch, rows, col);
    for (size_t i = 0; i < nch; i++) bale_chunk_decref(ch[i]);
    free(ch);
    result res = {(double)bytes / (double)rows, (double)rows * 8 / best_e / 1e6,
                  (double)rows * 8 / best_d / 1e6, get_ns};
    return res;
}

typedef bale_err (*variant_fn)(const bale_values *, bale__int_variant, bale__buf *);

/* A stage variant through the internal pipeline (no chunk header). */
static result run_variant(const int64_t *col, size_t rows, bale_encoding enc,
                          variant_fn fn, bale__int_variant var, bale_backend be) {
    size_t nch = (rows + CHUNK - 1) / CHUNK;
    bale__buf *pay = calloc(nch, sizeof *pay);
    size_t *ssz = calloc(nch, sizeof *ssz);
    const bale__encoding_impl *impl = bale__encoding_find(enc);
    double best_e = 1e30, best_d = 1e30;
    uint64_t bytes = 0;
    for (int r = 0; r < REPEAT; r++) {
        double t0 = now();
        for (size_t i = 0; i < nch; i++) {
            size_t k = rows - i * CHUNK < CHUNK ? rows - i * CHUNK : CHUNK;
            bale_values in = {BALE_DTYPE_INT, k, (void *)(uintptr_t)(col + i * CHUNK), NULL, k * 8};
            bale__buf st = {0};
            pay[i].size = 0;
            if (fn(&in, var, &st) != BALE_OK ||
                bale__backend_compress(be, 0, st.data, st.size, &pay[i]) != BALE_OK)
                exit(1);
            ssz[i] = st.size;
            bale__buf_free(&st);
        }
        double t1 = now();
        if (t1 - t0 < best_e) best_e = t1 - t0;
    }
    for (size_t i = 0; i < nch; i++) bytes += pay[i].size;
    for (int r = 0; r < REPEAT; r++) {
        double t0 = now();
        for (size_t i = 0; i < nch; i++) {
            size_t k = rows - i * CHUNK < CHUNK ? rows - i * CHUNK : CHUNK;
            uint8_t *st = be == BALE_BACKEND_NONE ? pay[i].data : malloc(ssz[i] + 1);
            if (be != BALE_BACKEND_NONE &&
                bale__backend_decompress(be, pay[i].data, pay[i].size, st, ssz[i]) != BALE_OK)
                exit(1);
            bale_values out;
            if (impl->decode(BALE_DTYPE_INT, k, st, ssz[i], k * 8, &out) != BALE_OK) exit(1);
            if (r == 0 && memcmp(out.data, col + i * CHUNK, k * 8) != 0) exit(1);
            bale_values_free(&out);
            if (be != BALE_BACKEND_NONE) free(st);
        }
        double t1 = now();
        if (t1 - t0 < best_d) best_d = t1 - t0;
    }
    for (size_t i = 0; i < nch; i++) bale__buf_free(&pay[i]);
    free(pay);
    free(ssz);
    result res = {(double)bytes / (double)rows, (double)rows * 8 / best_e / 1e6,
                  (double)rows * 8 / best_d / 1e6, -1};
    return res;
}

static void print_row(const char *name, const result *r, int ncol) {
    printf("| %-22s |", name);
    for (int c = 0; c < ncol; c++)
        printf(" %6.3f | %7.0f | %7.0f | %6.0f |", r[c].bpe, r[c].enc_mbs, r[c].dec_mbs,
               r[c].get_ns);
    printf("\n");
}

static void bench_unpack(void) {
    static const unsigned widths[] = {1, 2, 3, 4, 7, 8, 11, 12, 16, 20, 24, 32, 40, 48, 56, 63, 64};
    enum { N = CHUNK, ITERS = 4000 };
    uint64_t *v = malloc(N * 8), *out = malloc(N * 8);
    printf("\n| width | unpack GB/s (int64 out) | planes GB/s |\n|---:|---:|---:|\n");
    uint64_t sink = 0;
    for (size_t wi = 0; wi < sizeof widths / sizeof *widths; wi++) {
        unsigned w = widths[wi];
        uint64_t mask = w == 64 ? ~0ull : (1ull << w) - 1;
        for (size_t i = 0; i < N; i++) v[i] = (i * 0x9E3779B97F4A7C15ull) & mask;
        double gbs[2];
        for (int kind = 0; kind < 2; kind++) {
            unsigned layout = kind ? BALE__LAYOUT_PLANES + (w + 7) / 8 : w;
            bale__buf st = {0};
            if (bale__stream_put(&st, v, N, 0, layout) != BALE_OK) exit(1);
            double best = 1e30;
            for (int r = 0; r < REPEAT; r++) {
                double t0 = now();
                for (int it = 0; it < ITERS; it++) {
                    bale__stream_get(st.data, N, layout, 0, N, (uint64_t)it, out);
                    sink += out[it % N];
                }
                double t = now() - t0;
                if (t < best) best = t;
            }
            for (size_t i = 0; i < N; i++)
                if (out[i] != v[i] + ITERS - 1) exit(1);
            gbs[kind] = (double)N * 8 * ITERS / best / 1e9;
            bale__buf_free(&st);
        }
        printf("| %u | %.2f | %.2f |\n", w, gbs[0], gbs[1]);
    }
    printf("(sink %llu)\n", (unsigned long long)(sink & 1));
    free(v);
    free(out);
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : getenv("BALE_DATA_DIR");
    if (dir == NULL) dir = "../shared/data";
    int64_t *cols[3];
    size_t rows = load_flights(dir, cols);
    if (rows == 0) {
        fprintf(stderr, "cannot read %s/flights-3m.csv.xz\n", dir);
        return 1;
    }
    /* BENCH_ONLY=auto: only the auto row, after for+none as the get floor
     * (quick check of the policy). */
    const char *only = getenv("BENCH_ONLY");
    int all = only == NULL || strstr(only, "auto") == NULL;
    printf("flights: %zu rows, chunks of %d int64 (%d KiB), best of %d runs\n\n", rows,
           CHUNK, CHUNK * 8 / 1024, REPEAT);
    printf("| pipeline               | date B/el | enc MB/s | dec MB/s | get ns | delay B/el "
           "| enc MB/s | dec MB/s | get ns | distance B/el | enc MB/s | dec MB/s | get ns |\n");
    printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    /* memcpy baseline. */
    if (all) {
        result r[3];
        int64_t *dst = malloc(rows * 8);
        for (int c = 0; c < 3; c++) {
            double best = 1e30;
            for (int k = 0; k < REPEAT; k++) {
                double t0 = now();
                for (size_t i = 0; i < rows; i += CHUNK)
                    memcpy(dst + i, cols[c] + i, (rows - i < CHUNK ? rows - i : CHUNK) * 8);
                /* Keep the copy: dst is otherwise dead and the compiler may drop it. */
                __asm__ volatile("" : : "r"(dst) : "memory");
                double t = now() - t0;
                if (t < best) best = t;
            }
            r[c].bpe = 8;
            r[c].enc_mbs = r[c].dec_mbs = (double)rows * 8 / best / 1e6;
            r[c].get_ns = -1;
        }
        free(dst);
        print_row("memcpy", r, 3);
    }
    static const bale_encoding encs[] = {BALE_ENC_PLAIN, BALE_ENC_FOR, BALE_ENC_DELTA,
                                         BALE_ENC_DICT, BALE_ENC_SHUFFLE};
    static const bale_backend backs[] = {BALE_BACKEND_NONE, BALE_BACKEND_LZ4,
                                         BALE_BACKEND_ZSTD};
    for (size_t e = 0; all && e < sizeof encs / sizeof *encs; e++) {
        for (size_t b = 0; b < sizeof backs / sizeof *backs; b++) {
            bale_codec_opts o = {encs[e], backs[b], 0};
            result r[3];
            for (int c = 0; c < 3; c++) r[c] = run_chunks(cols[c], rows, o);
            char name[64];
            snprintf(name, sizeof name, "%s+%s", bale_encoding_name(encs[e]),
                     bale_backend_name(backs[b]));
            print_row(name, r, 3);
        }
    }
    static const struct {
        const char *name;
        bale_encoding enc;
        variant_fn fn;
        bale__int_variant var;
        bale_backend be;
    } vars[] = {
        {"for/planes+zstd", BALE_ENC_FOR, bale__for_encode_variant, BALE__VAR_PLANES, BALE_BACKEND_ZSTD},
        {"delta/planes+zstd", BALE_ENC_DELTA, bale__delta_encode_variant, BALE__VAR_PLANES, BALE_BACKEND_ZSTD},
        {"delta/patched+none", BALE_ENC_DELTA, bale__delta_encode_variant, BALE__VAR_PATCHED, BALE_BACKEND_NONE},
        {"delta/patched+zstd", BALE_ENC_DELTA, bale__delta_encode_variant, BALE__VAR_PATCHED, BALE_BACKEND_ZSTD},
        {"delta/blocks+none", BALE_ENC_DELTA, bale__delta_encode_variant, BALE__VAR_BLOCKS, BALE_BACKEND_NONE},
        {"dict/planes+zstd", BALE_ENC_DICT, bale__dict_fixed_encode_variant, BALE__VAR_PLANES, BALE_BACKEND_ZSTD},
        {"dict/sections+none", BALE_ENC_DICT, bale__dict_fixed_encode_variant, BALE__VAR_SECTIONS, BALE_BACKEND_NONE},
        {"dict/planes+lz4", BALE_ENC_DICT, bale__dict_fixed_encode_variant, BALE__VAR_PLANES, BALE_BACKEND_LZ4},
    };
    for (size_t i = 0; all && i < sizeof vars / sizeof *vars; i++) {
        result r[3];
        for (int c = 0; c < 3; c++)
            r[c] = run_variant(cols[c], rows, vars[i].enc, vars[i].fn, vars[i].var, vars[i].be);
        print_row(vars[i].name, r, 3);
    }
    if (!all) { /* the O(1) get floor (chunk layer, allocation) next to auto */
        bale_codec_opts o = {BALE_ENC_FOR, BALE_BACKEND_NONE, 0};
        result r[3];
        for (int c = 0; c < 3; c++) r[c] = run_chunks(cols[c], rows, o);
        print_row("for+none", r, 3);
    }
    {
        result r[3];
        for (int c = 0; c < 3; c++) r[c] = run_chunks(cols[c], rows, bale_codec_opts_auto());
        print_row("**auto**", r, 3);
    }
    if (all) bench_unpack();
    for (int c = 0; c < 3; c++) free(cols[c]);
    bale_thread_cleanup();
    return 0;
}
