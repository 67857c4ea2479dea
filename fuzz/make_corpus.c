/*
 * make_corpus.c - writes the seed corpus of the fuzz targets.
 *
 *   make_corpus DIR      (normally fuzz/corpus; scripts/fuzz corpus runs it)
 *
 * For every dtype, every encoding that supports it and every backend compiled
 * in, it encodes a few small data sets and writes
 *   DIR/fuzz_chunk/seed-<dtype>-<encoding>-<backend>-<data>   whole chunks
 *   DIR/fuzz_decode/seed-<dtype>-<encoding>-<data>            carved stages
 * (see fuzz_decode.c for the carve), plus a few garbage inputs.  Encodings
 * that refuse a data set (BALE_UNSUPPORTED) are skipped, so running it again
 * after a codec lands adds that codec's seeds.  Output is deterministic, and
 * small: a few hundred files, well under 1 MB.
 */
#include "bale.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MEDIUM 300

static const char *out_dir;
static int files_written;
static long bytes_written;

static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint64_t rng(void) { /* splitmix64: deterministic across runs */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static void write_file(const char *target, const char *name, const void *a,
                       size_t na, const void *b, size_t nb) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", out_dir, target);
    if (mkdir(path, 0777) != 0 && errno != EEXIST) {
        perror(path);
        exit(1);
    }
    snprintf(path, sizeof path, "%s/%s/seed-%s", out_dir, target, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || (na && fwrite(a, 1, na, f) != na) ||
        (nb && fwrite(b, 1, nb, f) != nb) || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
    files_written++;
    bytes_written += (long)(na + nb);
}

/* ---- data sets ------------------------------------------------------------ */
typedef struct dataset {
    char name[32];
    bale_values v;
} dataset;

static dataset sets[64];
static int nsets;

static bale_values *new_set(const char *name, bale_dtype dtype, uint64_t count,
                            uint64_t data_size) {
    dataset *d = &sets[nsets++];
    snprintf(d->name, sizeof d->name, "%s", name);
    d->v.dtype = dtype;
    d->v.count = count;
    size_t width = bale_dtype_width(dtype);
    d->v.data_size = width ? count * width : data_size;
    d->v.data = calloc(1, d->v.data_size ? d->v.data_size : 1);
    d->v.offsets = width ? NULL : calloc(count + 1, sizeof(uint64_t));
    if (d->v.data == NULL || (!width && d->v.offsets == NULL)) exit(1);
    return &d->v;
}

static void add_ints(const char *name, uint64_t count, int64_t (*f)(uint64_t)) {
    bale_values *v = new_set(name, BALE_DTYPE_INT, count, 0);
    for (uint64_t i = 0; i < count; i++) ((int64_t *)v->data)[i] = f(i);
}
static int64_t int_small(uint64_t i) { return (int64_t)i - 1; }
static int64_t int_sorted(uint64_t i) { return 1000000 + (int64_t)(i * 3 + i % 7); }
static int64_t int_few(uint64_t i) { return (int64_t)(i * i % 5) * 1000 - 2000; }
static int64_t int_wide(uint64_t i) {
    (void)i;
    return (int64_t)rng();
}
static int64_t int_many(uint64_t i) { return (int64_t)(i * 7919 % 400) * 13 - 2000; }
static int64_t int_skewed(uint64_t i) { /* delay-like: DICT blocked under auto */
    uint64_t r = rng();
    if (i % 8 == 7) return (int64_t)(i * 37 % 701) + 100; /* rare: escapes */
    return (int64_t)__builtin_ctzll(r | (1ull << 20)) * 3 - 5 + (int64_t)(r >> 62);
}
static int64_t int_rare(uint64_t i) { /* escapes rare: DICT blocked's compact decode */
    uint64_t r = rng();
    if (r % 10 == 0) return 1000 + (int64_t)(rng() % 600);
    (void)i;
    return (int64_t)(r >> 40) % 20;
}
static int64_t int_small_range(uint64_t i) {
    (void)i;
    return (int64_t)(rng() % 200) - 100;
}

static void add_floats(const char *name, uint64_t count, double (*f)(uint64_t)) {
    bale_values *v = new_set(name, BALE_DTYPE_FLOAT, count, 0);
    for (uint64_t i = 0; i < count; i++) ((double *)v->data)[i] = f(i);
}
static double float_smooth(uint64_t i) { return 20.0 + (double)i * 0.25; }
static double float_few(uint64_t i) { return (double)(i % 4) * 1.5; }
static double float_special(uint64_t i) {
    static const double special[] = {0.0, -0.0, 1e308, -1e-308, 3.5};
    double x = special[i % 5];
    if (i % 7 == 6) memcpy(&x, &(uint64_t){0x7ff8000000000123u}, 8); /* NaN */
    return x;
}

static void add_strings(const char *name, bale_dtype dtype, uint64_t count,
                        const char *(*f)(uint64_t, char *, size_t *)) {
    char buf[64];
    uint64_t total = 0;
    rng_state = 12345; /* both passes below see the same values */
    for (uint64_t i = 0; i < count; i++) {
        size_t len;
        f(i, buf, &len);
        total += len;
    }
    rng_state = 12345;
    bale_values *v = new_set(name, dtype, count, total);
    uint64_t at = 0;
    for (uint64_t i = 0; i < count; i++) {
        size_t len;
        const char *s = f(i, buf, &len);
        memcpy((char *)v->data + at, s, len);
        at += len;
        v->offsets[i + 1] = at;
    }
}
static const char *words[] = {"alpha", "beta", "gamma", "delta", "epsilon",
                              "zeta", "", "caf\xc3\xa9", "\xe6\x97\xa5\xe6\x9c\xac"};
static const char *str_words(uint64_t i, char *buf, size_t *len) {
    (void)buf;
    const char *w = words[(i * 7 + i / 3) % 9];
    *len = strlen(w);
    return w;
}
static const char *str_sorted(uint64_t i, char *buf, size_t *len) {
    int n = snprintf(buf, 64, "package-%s-%04u", words[i / 40 % 6], (unsigned)i);
    *len = (size_t)n;
    return buf;
}
static const char *str_random(uint64_t i, char *buf, size_t *len) {
    (void)i;
    size_t n = (size_t)(rng() % 24);
    for (size_t k = 0; k < n; k++) buf[k] = (char)('a' + rng() % 26);
    *len = n;
    return buf;
}
static const char *bytes_binary(uint64_t i, char *buf, size_t *len) {
    size_t n = (size_t)(i % 11);
    for (size_t k = 0; k < n; k++) buf[k] = (char)(rng() % 4 == 0 ? 0 : rng());
    *len = n;
    return buf;
}
static const char *object_pickles(uint64_t i, char *buf, size_t *len) {
    /* pickle protocol 4 of small ints and short strings */
    if (i % 3 == 0) {
        static const char p[] = "\x80\x04K\x07.";
        memcpy(buf, p, 5);
        buf[3] = (char)(i & 0x7f);
        *len = 5;
    } else {
        static const char p[] = "\x80\x04\x95\x07\x00\x00\x00\x00\x00\x00\x00\x8c\x03" "abc\x94.";
        memcpy(buf, p, sizeof p - 1);
        *len = sizeof p - 1;
    }
    return buf;
}

static void make_sets(void) {
    add_ints("empty", 0, int_small);
    add_ints("small", 3, int_small);
    add_ints("sorted", MEDIUM, int_sorted);
    add_ints("few", MEDIUM, int_few);
    add_ints("range", MEDIUM, int_small_range);
    add_ints("wide", 40, int_wide);
    add_ints("many", 800, int_many); /* > 256 distinct, repeated: DICT escapes */
    add_ints("skewed", 2000, int_skewed);
    add_floats("empty", 0, float_smooth);
    add_floats("smooth", MEDIUM, float_smooth);
    add_floats("few", MEDIUM, float_few);
    add_floats("special", 35, float_special);
    bale_values *b = new_set("pattern", BALE_DTYPE_BOOL, MEDIUM, 0);
    for (uint64_t i = 0; i < MEDIUM; i++) ((uint8_t *)b->data)[i] = (i % 3 == 0);
    b = new_set("empty", BALE_DTYPE_BOOL, 0, 0);
    add_strings("empty", BALE_DTYPE_STR, 0, str_words);
    add_strings("words", BALE_DTYPE_STR, MEDIUM, str_words);
    add_strings("sorted", BALE_DTYPE_STR, 120, str_sorted);
    add_strings("random", BALE_DTYPE_STR, 60, str_random);
    add_strings("binary", BALE_DTYPE_BYTES, 80, bytes_binary);
    add_strings("words", BALE_DTYPE_BYTES, 50, str_words);
    add_strings("pickles", BALE_DTYPE_OBJECT, 60, object_pickles);
    /* Last, so the sets above keep their random streams (and seeds). */
    add_ints("rare", 4000, int_rare);
}

/* ---- chunks --------------------------------------------------------------- */
static const bale_backend backends[] = {BALE_BACKEND_NONE, BALE_BACKEND_LZ4,
                                        BALE_BACKEND_ZSTD, BALE_BACKEND_ZLIB};

static void store_le32(uint8_t *p, uint64_t v) {
    for (int k = 0; k < 4; k++) p[k] = (uint8_t)(v >> (8 * k));
}
/* Bytes of a chunk's header (docs/format.md): 8 fixed, three varints (four
 * with a backend: the stage size), a 4-byte checksum. */
static size_t header_len(const uint8_t *bytes) {
    size_t n = 8;
    for (int field = 0; field < (bytes[7] ? 4 : 3); field++)
        while (bytes[n++] & 0x80) {
        }
    return n + 4;
}

static void emit(const dataset *d, bale_encoding enc, bale_backend backend) {
    bale_codec_opts opts = {enc, backend, 0};
    bale_chunk *c = NULL;
    bale_err err = bale_chunk_encode(&d->v, &opts, &c);
    if (err == BALE_UNSUPPORTED) return; /* this data does not suit it */
    if (err != BALE_OK) {
        fprintf(stderr, "make_corpus: %s %s %s %s: %s\n", bale_dtype_name(d->v.dtype),
                bale_encoding_name(enc), bale_backend_name(backend), d->name,
                bale_strerror(err));
        exit(1);
    }
    size_t n;
    const uint8_t *bytes = bale_chunk_bytes(c, &n);
    char name[160];
    snprintf(name, sizeof name, "%s-%s-%s-%s", bale_dtype_name(d->v.dtype),
             bale_encoding_name(enc), bale_backend_name(backend), d->name);
    write_file("fuzz_chunk", name, bytes, n, NULL, 0);
    if (backend == BALE_BACKEND_NONE) {
        uint8_t carve[14];
        uint64_t count = bale_chunk_count(c), raw = bale_chunk_raw_size(c);
        size_t width = bale_dtype_width(d->v.dtype);
        carve[0] = (uint8_t)enc;
        carve[1] = (uint8_t)d->v.dtype;
        store_le32(carve + 2, count);
        store_le32(carve + 6, width ? 0 : raw - 8 * count);
        store_le32(carve + 10, count / 2);
        snprintf(name, sizeof name, "%s-%s-%s", bale_dtype_name(d->v.dtype),
                 bale_encoding_name(enc), d->name);
        size_t h = header_len(bytes);
        write_file("fuzz_decode", name, carve, sizeof carve, bytes + h, n - h);
    }
    bale_chunk_decref(c);
}

/* The auto policy's choice, which reaches layouts no fixed encoding makes
 * (DELTA and DICT blocked, DICT sections): seeds named after the data set. */
static void emit_auto(const dataset *d) {
    bale_chunk *c = NULL;
    if (bale_chunk_encode(&d->v, NULL, &c) != BALE_OK) exit(1);
    size_t n;
    const uint8_t *bytes = bale_chunk_bytes(c, &n);
    char name[160];
    snprintf(name, sizeof name, "%s-auto-%s", bale_dtype_name(d->v.dtype), d->name);
    write_file("fuzz_chunk", name, bytes, n, NULL, 0);
    if (bytes[7] == BALE_BACKEND_NONE && bale_dtype_width(d->v.dtype) != 0) {
        uint8_t carve[14];
        uint64_t count = bale_chunk_count(c);
        carve[0] = bytes[6];
        carve[1] = (uint8_t)d->v.dtype;
        store_le32(carve + 2, count);
        store_le32(carve + 6, 0);
        store_le32(carve + 10, count / 2);
        size_t h = header_len(bytes);
        write_file("fuzz_decode", name, carve, sizeof carve, bytes + h, n - h);
    }
    bale_chunk_decref(c);
}

static void emit_garbage(void) {
    uint8_t buf[256];
    write_file("fuzz_chunk", "garbage-empty", NULL, 0, NULL, 0);
    write_file("fuzz_chunk", "garbage-magic", "BALc", 4, NULL, 0);
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)rng();
    write_file("fuzz_chunk", "garbage-random", buf, sizeof buf, NULL, 0);
    /* A header that claims a huge count and raw size over a tiny payload. */
    memset(buf, 0, 64);
    memcpy(buf, "BALc\x02\x01\x00\x00", 8);
    for (int k = 8; k < 28; k++) buf[k] = k == 17 || k == 27 ? 0x01 : 0xff; /* 2^64 - 1 */
    buf[28] = buf[29] = 30; /* stage and payload: the 64 bytes less a 34-byte header */
    write_file("fuzz_chunk", "garbage-huge-count", buf, 64, NULL, 0);
    memset(buf, 0, 32);
    write_file("fuzz_decode", "garbage-zeros", buf, 32, NULL, 0);
    for (size_t i = 0; i < 96; i++) buf[i] = (uint8_t)rng();
    for (int enc = 0; enc <= 8; enc++) {
        char name[32];
        buf[0] = (uint8_t)enc;
        buf[1] = (uint8_t)(enc % 6 + 1);
        store_le32(buf + 2, 9);
        store_le32(buf + 6, 40);
        snprintf(name, sizeof name, "garbage-enc%d", enc);
        write_file("fuzz_decode", name, buf, 96, NULL, 0);
    }
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 2;
    }
    out_dir = argv[1];
    if (mkdir(out_dir, 0777) != 0 && errno != EEXIST) {
        perror(out_dir);
        return 1;
    }
    make_sets();
    for (int s = 0; s < nsets; s++) {
        for (int enc = 0; enc < 255; enc++) {
            if (bale_encoding_name((bale_encoding)enc) == NULL ||
                !bale_encoding_supports((bale_encoding)enc, sets[s].v.dtype))
                continue;
            for (size_t k = 0; k < sizeof backends / sizeof *backends; k++) {
                int lo, hi;
                if (bale_backend_levels(backends[k], &lo, &hi, NULL) != BALE_OK) continue;
                /* Empty data sets: one seed per encoding is enough. */
                if (sets[s].v.count == 0 && backends[k] != BALE_BACKEND_NONE) continue;
                emit(&sets[s], (bale_encoding)enc, backends[k]);
            }
        }
    }
    for (int s = 0; s < nsets; s++)
        if (bale_dtype_width(sets[s].v.dtype) != 0 && sets[s].v.count > 0) emit_auto(&sets[s]);
    emit_garbage();
    for (int s = 0; s < nsets; s++) {
        free(sets[s].v.data);
        free(sets[s].v.offsets);
    }
    printf("make_corpus: wrote %d files, %ld bytes, to %s\n", files_written,
           bytes_written, out_dir);
    return 0;
}
