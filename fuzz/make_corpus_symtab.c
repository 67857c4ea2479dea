/*
 * make_corpus_symtab.c - writes the seed corpus of fuzz_symtab.
 *
 *   make_corpus_symtab DIR      (normally fuzz/corpus)
 *
 * Trains shared tables on a few small string sets (FSST tables on names,
 * sorted, so with front coding, and unsorted, without; a DICT table on a
 * few distinct codes), encodes chunks against them and writes
 * DIR/fuzz_symtab/seed-<data>-<kind> as u16 table length, table bytes, chunk
 * bytes (fuzz_symtab.c's input).  Kinds: a chunk that uses the table, a
 * self-contained FSST chunk beside it, a table with an empty chunk.  Output
 * is deterministic and small.  Kept apart from make_corpus.c (another
 * target's generator) so each can change alone.
 */
#include "bale.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static uint64_t rng_state = 0x2545f4914f6cdd1du;
static uint64_t rng(void) { /* splitmix64 */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static int write_seed(const char *dir, const char *name, const bale_symtab *tab,
                      const bale_chunk *c) {
    char path[512];
    snprintf(path, sizeof path, "%s/fuzz_symtab/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        fprintf(stderr, "make_corpus_symtab: %s: %s\n", path, strerror(errno));
        return 1;
    }
    size_t tn = 0, cn = 0;
    const void *tb = bale_symtab_bytes(tab, &tn);
    const void *cb = c ? bale_chunk_bytes(c, &cn) : NULL;
    uint8_t len[2] = {(uint8_t)tn, (uint8_t)(tn >> 8)};
    int bad = tn > 0xffff || fwrite(len, 1, 2, f) != 2 || fwrite(tb, 1, tn, f) != tn ||
              (cn && fwrite(cb, 1, cn, f) != cn);
    bad |= fclose(f) != 0;
    return bad;
}

/* n names like npm's: scope/prefix, a word, a number; sorted or not. */
static void make_names(bale_values *v, size_t n, int sorted, char *buf, uint64_t *off) {
    static const char *const w[] = {"react", "eslint", "plugin", "config", "vue", "babel",
                                    "webpack", "loader", "cli", "utils", "@types/", "node"};
    size_t pos = 0;
    off[0] = 0;
    for (size_t i = 0; i < n; i++) {
        int k = sorted ? snprintf(buf + pos, 64, "%s%s-%s-%03u", w[(i * 12) / n], w[rng() % 12],
                                  w[rng() % 12], (unsigned)(rng() % 1000))
                       : snprintf(buf + pos, 64, "%s-%s%u", w[rng() % 12], w[rng() % 12],
                                  (unsigned)(rng() % 100));
        pos += (size_t)k;
        off[i + 1] = pos;
    }
    memset(v, 0, sizeof *v);
    v->dtype = BALE_DTYPE_STR;
    v->count = n;
    v->data = buf;
    v->offsets = off;
    v->data_size = pos;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: make_corpus_symtab DIR\n");
        return 2;
    }
    char sub[512];
    snprintf(sub, sizeof sub, "%s/fuzz_symtab", argv[1]);
    if (mkdir(sub, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "make_corpus_symtab: %s: %s\n", sub, strerror(errno));
        return 1;
    }
    enum { N = 400 };
    static char buf[N * 64];
    static uint64_t off[N + 1];
    static const char *const names[] = {"sorted", "unsorted"};
    int bad = 0;
    for (int sorted = 1; sorted >= 0; sorted--) {
        bale_values v;
        make_names(&v, N, sorted, buf, off);
        bale_symtab *tab;
        if (bale_symtab_train(&v, &tab) != BALE_OK) return 1;
        bale_codec_opts fsst = {BALE_ENC_FSST, BALE_BACKEND_NONE, 0};
        bale_chunk *with = NULL, *self = NULL, *empty = NULL;
        /* Fewer values for the chunks: small seeds mutate faster. */
        bale_values part = v;
        part.count = 40;
        part.data_size = off[40];
        bale_values none = v;
        none.count = 0;
        none.data_size = 0;
        char name[64];
        if (bale_chunk_encode_with(&part, &fsst, tab, &with) == BALE_OK) {
            snprintf(name, sizeof name, "seed-%s-shared", names[sorted]);
            bad |= write_seed(argv[1], name, tab, with);
        }
        if (bale_chunk_encode(&part, &fsst, &self) == BALE_OK) {
            snprintf(name, sizeof name, "seed-%s-own", names[sorted]);
            bad |= write_seed(argv[1], name, tab, self);
        }
        if (bale_chunk_encode_with(&none, &fsst, tab, &empty) == BALE_OK) {
            snprintf(name, sizeof name, "seed-%s-empty", names[sorted]);
            bad |= write_seed(argv[1], name, tab, empty);
        }
        snprintf(name, sizeof name, "seed-%s-table-only", names[sorted]);
        bad |= write_seed(argv[1], name, tab, NULL);
        bale_chunk_decref(with);
        bale_chunk_decref(self);
        bale_chunk_decref(empty);
        bale_symtab_decref(tab);
    }
    /* A DICT table (kind 2): few distinct codes, as a container trains it
     * from its first chunk; a chunk against it, and one with escapes. */
    {
        enum { M = 4000 }; /* >= 32 KiB raw: smaller runs train no DICT table */
        static char lb[M * 8];
        static uint64_t loff[M + 1];
        size_t pos = 0;
        loff[0] = 0;
        for (size_t i = 0; i < M; i++) {
            unsigned r = (unsigned)(rng() % 40);
            pos += (size_t)snprintf(lb + pos, 8, "A%02u", r * r / 40);
            loff[i + 1] = pos;
        }
        bale_values v = {BALE_DTYPE_STR, M, lb, loff, pos};
        bale_symtab *tab = NULL;
        bale_chunk *first = NULL, *esc = NULL;
        bale_err e = bale_chunk_encode_shared(&v, NULL, &tab, &first);
        bale_chunk_decref(first);
        first = NULL;
        if (e != BALE_OK || tab == NULL) {
            fprintf(stderr, "make_corpus_symtab: no DICT table trained\n");
            bale_symtab_decref(tab);
            return 1;
        }
        bale_codec_opts dict = {BALE_ENC_DICT, BALE_BACKEND_NONE, 0};
        bale_values part = v;
        part.count = 60;
        part.data_size = loff[60];
        if (bale_chunk_encode_with(&part, &dict, tab, &first) == BALE_OK)
            bad |= write_seed(argv[1], "seed-lowcard-shared", tab, first);
        memcpy(lb + loff[7], "ZZZ", 3); /* values the table lacks */
        memcpy(lb + loff[30], "QQQ", 3);
        if (bale_chunk_encode_with(&part, &dict, tab, &esc) == BALE_OK)
            bad |= write_seed(argv[1], "seed-lowcard-escapes", tab, esc);
        bad |= write_seed(argv[1], "seed-lowcard-table-only", tab, NULL);
        bale_chunk_decref(first);
        bale_chunk_decref(esc);
        bale_symtab_decref(tab);
    }
    /* A CTX table (kind 3, asked for by codec): names with a few common
     * parts, and chunks against it (one with bytes no context has seen). */
    {
        enum { M = 600 };
        static const char *const parts[] = {"react", "vue", "node", "util", "cli", "plugin"};
        static char nb[M * 24];
        static uint64_t noff[M + 1];
        size_t pos = 0;
        noff[0] = 0;
        for (size_t i = 0; i < M; i++) {
            unsigned r = (unsigned)rng();
            pos += (size_t)snprintf(nb + pos, 24, "%s-%s%u", parts[r % 6], parts[r / 6 % 6], r % 50);
            noff[i + 1] = pos;
        }
        bale_values v = {BALE_DTYPE_STR, M, nb, noff, pos};
        bale_codec_opts ctx = {BALE_ENC_CTX, BALE_BACKEND_NONE, 0};
        bale_symtab *tab = NULL;
        bale_chunk *first = NULL, *odd = NULL;
        bale_err e = bale_chunk_encode_shared(&v, &ctx, &tab, &first);
        bale_chunk_decref(first);
        first = NULL;
        if (e != BALE_OK || tab == NULL) {
            fprintf(stderr, "make_corpus_symtab: no CTX table trained\n");
            bale_symtab_decref(tab);
            return 1;
        }
        bale_values part = v;
        part.count = 40;
        part.data_size = noff[40];
        if (bale_chunk_encode_with(&part, &ctx, tab, &first) == BALE_OK)
            bad |= write_seed(argv[1], "seed-ctx-shared", tab, first);
        nb[noff[3]] = (char)0xe9; /* a byte no context has seen: an escape */
        if (bale_chunk_encode_with(&part, &ctx, tab, &odd) == BALE_OK)
            bad |= write_seed(argv[1], "seed-ctx-escapes", tab, odd);
        bale_chunk_decref(first);
        bale_chunk_decref(odd);
        bale_symtab_decref(tab);
    }
    bale_thread_cleanup();
    return bad;
}
