/*
 * fsst.c - the FSST encoding: a per-chunk table of up to 255 symbols of 1-8
 * bytes replaces frequent substrings by one-byte codes, and each value can be
 * decoded alone.  Written from the description in Boncz, Neumann and Leis,
 * "FSST: Fast Random Access String Compression", VLDB 2020: code 255 is an
 * escape followed by a literal byte; the table is grown greedily over a
 * sample in a few generations, each keeping the 255 candidates (symbols and
 * concatenations of adjacent symbols) with the largest gain.
 *
 * Two options, chosen per chunk (flag bits in the first stage byte):
 *  - FRONT: values are front coded within each block (shared prefix length
 *    with the previous value, then the FSST codes of the rest), which pays
 *    off on sorted data;
 *  - HUFF: the code stream is entropy coded with a canonical Huffman code
 *    whose alphabet also holds an end-of-value symbol (no per-value lengths)
 *    and the prefix lengths.
 * Values are grouped in blocks of 2^shift; a block index gives O(1) access
 * to a block, a get decodes at most one block.
 *
 * Stage layout (docs/design-strings.md has the full description):
 *
 *   u8   flags        BALE_FSST_FRONT | BALE_FSST_HUFF, other bits zero
 *   u8   shift        log2 of the values per block, <= BALE_STR_MAX_BLOCK_SHIFT
 *   u8   nlen[8]      symbols of length 1..8; codes are given in this order
 *                     (all 1-byte symbols first), sum <= 255
 *   ...  symbols      the symbol bytes back to back
 *   if HUFF:
 *     varint A        alphabet size: nsym + 2 (+ 1 + largest prefix length
 *                     with FRONT); symbol nsym = escape, nsym + 1 = end of
 *                     value, nsym + 2 + p = shared prefix of p bytes
 *     u8[(A+1)/2]     code length of each symbol, 4 bits (low nibble first),
 *                     0 = unused, at most FSST_HUFF_MAX_LEN
 *   u8   ow           width of a block offset, 1..8
 *   ...  ends         nblocks = ceil(count / 2^shift) end offsets (ow bytes
 *                     each) of the blocks in the body, non-decreasing, the
 *                     last equal to the body size
 *   ...  body         the blocks:
 *     bytes mode:     per value: [varint prefix (FRONT, not the first of its
 *                     block)] varint n, then n code bytes (255 = escape, then
 *                     one literal byte)
 *     HUFF mode:      a bit stream (MSB first) per block, padded with zero
 *                     bits to a byte: per value [prefix symbol (FRONT, not
 *                     first)] then symbols, an escape followed by 8 literal
 *                     bits, and the end-of-value symbol
 */
#include "str_internal.h"

#include <stdatomic.h>

#define FSST_ESC 255u
#define FSST_MAX_SYMBOLS 255u
/* Table construction: generations over a sample of this many bytes (the
 * paper: 5 generations over ~16 KB).  Measured on npm names in 64 KiB
 * chunks (design-strings.md): 16 KB / 5 generations -> 8 KB / 4 generations
 * with the growing sample shares below costs 1.5% of size and cuts the
 * encode time ~1.4x; with hash tables cleared through lists of used slots
 * (never swept or re-zeroed whole) and a 3-byte match index,
 * auto FSST encode went from ~18 to ~60 MB/s (CPU time). */
#ifndef FSST_GENERATIONS
#define FSST_GENERATIONS 4
#endif
#ifndef FSST_SAMPLE_BYTES
#define FSST_SAMPLE_BYTES 8192u
#endif
/* Share of the sample each generation but the last looks at, in 1/128ths:
 * FIRST + gen * STEP (10, 48, 86 of 128, then all). */
#ifndef FSST_SHARE_FIRST
#define FSST_SHARE_FIRST 10
#endif
#ifndef FSST_SHARE_STEP
#define FSST_SHARE_STEP 38
#endif
/* Pieces of long values sampled are cut to this length. */
#define FSST_SAMPLE_PIECE 256u
/* A symbol is kept in the final table only if, scaled from the sample to the
 * whole chunk, it saves more bytes than it costs to store (len + 1). */
#define FSST_KEEP_FACTOR 1.0
/* Longest shared prefix recorded by FRONT (longer ones are cut): bounds the
 * Huffman alphabet. */
#define FSST_MAX_PREFIX 255u
/* Longest Huffman code: the decode table has 2^FSST_HUFF_MAX_LEN entries. */
#define FSST_HUFF_MAX_LEN 11u
/* A get without a cached decoder builds a lookup table of this many bits
 * (cheap to fill); the decoder a chunk caches for its gets has one of
 * FSST_HUFF_CACHE_BITS (2^bits x 2 bytes: the cache's size is measured in
 * docs/design-strings.md). */
#define FSST_HUFF_GET_BITS 8u
#ifndef FSST_HUFF_CACHE_BITS
#define FSST_HUFF_CACHE_BITS 8u
#endif
/* Auto flags: FRONT when shared prefixes cover at least 1/this of the
 * bytes (sorted keys, paths, URLs); HUFF when it saves at least 1/this of
 * the byte-mode body (it costs decode speed). */
#define FSST_FRONT_MIN_SHARE 8u
#define FSST_HUFF_MIN_SAVING 32u
#define FSST_ALPHABET_MAX (FSST_MAX_SYMBOLS + 2 + FSST_MAX_PREFIX + 1)

static inline uint64_t len_mask(unsigned len) {
    return len >= 8 ? ~(uint64_t)0 : (((uint64_t)1 << (8 * len)) - 1);
}
static inline uint64_t load_upto8(const uint8_t *p, size_t rem) {
    uint64_t w = 0;
    if (BALE_LIKELY(rem >= 8)) return bale__load64(p);
    memcpy(&w, p, rem);
    return w;
}

/* The next bytes at p (rem of them belong to the value): a plain 8-byte load
 * whenever 8 bytes remain before `end` (the end of the chunk's data, so the
 * load stays inside the caller's buffer); bytes past rem are ignored by
 * table_match, which compares only within a symbol's length <= rem. */
static inline uint64_t load_within(const uint8_t *p, size_t rem, const uint8_t *end) {
    if (BALE_LIKELY(end - p >= 8)) return bale__load64(p);
    return load_upto8(p, rem);
}

/* ========================================================================
 * Symbol table for the encoder
 * ====================================================================== */
#define FSST_HASH_BITS 12
typedef struct fsst_table {
    unsigned nsym;
    uint64_t sym[FSST_MAX_SYMBOLS];
    uint64_t mask[FSST_MAX_SYMBOLS]; /* len_mask(len) */
    uint8_t len[FSST_MAX_SYMBOLS];
    int16_t byte_code[256];              /* code of the 1-byte symbol, or -1 */
    /* Chains of 1 + code (0 = end), longest first: symbols of 3+ bytes by
     * their first 3 bytes, 2-byte symbols by their 2.  Keying the long ones
     * by 3 bytes keeps the chains short (one compare per position mostly). */
    uint8_t head3[1u << FSST_HASH_BITS];
    uint8_t head2[1u << FSST_HASH_BITS];
    uint8_t next[FSST_MAX_SYMBOLS];
} fsst_table;

static inline unsigned hash2(uint64_t w) {
    return (unsigned)(((uint32_t)(w & 0xffff) * 0x9E3779B1u) >> (32 - FSST_HASH_BITS));
}
static inline unsigned hash3(uint64_t w) {
    return (unsigned)(((uint32_t)(w & 0xffffff) * 0x9E3779B1u) >> (32 - FSST_HASH_BITS));
}

/* Sorts codes by length (the stage order) and builds the match index. */
static void table_finish(fsst_table *t) {
    uint64_t sym[FSST_MAX_SYMBOLS];
    uint8_t len[FSST_MAX_SYMBOLS];
    unsigned n = 0;
    for (unsigned l = 1; l <= 8; l++)
        for (unsigned c = 0; c < t->nsym; c++)
            if (t->len[c] == l) {
                sym[n] = t->sym[c];
                len[n++] = (uint8_t)l;
            }
    memcpy(t->sym, sym, n * sizeof *sym);
    memcpy(t->len, len, n);
    memset(t->byte_code, 0xff, sizeof t->byte_code);
    memset(t->head3, 0, sizeof t->head3);
    memset(t->head2, 0, sizeof t->head2);
    /* Ascending length, prepended: each chain is longest first. */
    for (unsigned c = 0; c < n; c++) {
        t->mask[c] = len_mask(t->len[c]);
        if (t->len[c] == 1) {
            t->byte_code[t->sym[c] & 0xff] = (int16_t)c;
        } else {
            uint8_t *head = t->len[c] == 2 ? &t->head2[hash2(t->sym[c])] : &t->head3[hash3(t->sym[c])];
            t->next[c] = *head;
            *head = (uint8_t)(c + 1);
        }
    }
}

/* Longest symbol matching the next bytes `w` (rem bytes left in the value):
 * its code, or 256 + byte when no symbol matches (an escape). */
static inline unsigned table_match(const fsst_table *t, uint64_t w, size_t rem,
                                   unsigned *mlen) {
    if (rem >= 3) {
        for (unsigned c = t->head3[hash3(w)]; c; c = t->next[c - 1]) {
            unsigned k = c - 1, l = t->len[k];
            if (l <= rem && ((w ^ t->sym[k]) & t->mask[k]) == 0) {
                *mlen = l;
                return k;
            }
        }
    }
    if (rem >= 2) {
        for (unsigned c = t->head2[hash2(w)]; c; c = t->next[c - 1]) {
            unsigned k = c - 1;
            if (((w ^ t->sym[k]) & 0xffff) == 0) {
                *mlen = 2;
                return k;
            }
        }
    }
    *mlen = 1;
    int b = t->byte_code[w & 0xff];
    return b >= 0 ? (unsigned)b : 256u + (unsigned)(w & 0xff);
}

/* ---- table construction --------------------------------------------------- */
typedef struct piece {
    const uint8_t *p;
    size_t n;
} piece;

typedef struct cand {
    uint64_t v;
    uint32_t gain; /* bytes covered in the sample (< 2^32: the sample is small) */
    uint8_t len;
} cand;

/* Whether a ranks before b: larger gain, then longer, then smaller bytes. */
static inline int cand_better(const cand *a, const cand *b) {
    if (a->gain != b->gain) return a->gain > b->gain;
    if (a->len != b->len) return a->len > b->len;
    return a->v < b->v;
}

/* Min-heap (by rank) of the best candidates seen. */
static void heap_sift_down(cand *h, size_t n, size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < n && cand_better(&h[m], &h[l])) m = l;
        if (l + 1 < n && cand_better(&h[m], &h[l + 1])) m = l + 1;
        if (m == i) return;
        cand tmp = h[i];
        h[i] = h[m];
        h[m] = tmp;
        i = m;
    }
}

typedef struct build_ctx {
    uint32_t *pair_key; /* open addressing: (a << 9 | b) + 1, 0 = empty */
    uint32_t *pair_cnt;
    uint32_t *pair_used; /* slots filled this generation (cleared after) */
    size_t pair_cap, npair;
    uint32_t *cand_slot; /* dedup by (v, len): 1 + index in cands, 0 = empty */
    cand *cands;         /* the candidates of this generation, in order */
    size_t cand_cap, ncand;
} build_ctx;

static void cand_add(build_ctx *b, uint64_t v, unsigned len, uint32_t gain) {
    size_t h = (size_t)((v * 0x9E3779B97F4A7C15ull + len) >> 20) & (b->cand_cap - 1);
    for (;;) {
        uint32_t s = b->cand_slot[h];
        if (s == 0) {
            cand *c = &b->cands[b->ncand++];
            c->v = v;
            c->len = (uint8_t)len;
            c->gain = gain;
            b->cand_slot[h] = (uint32_t)b->ncand;
            return;
        }
        cand *c = &b->cands[s - 1];
        if (c->v == v && c->len == len) {
            c->gain += gain;
            return;
        }
        h = (h + 1) & (b->cand_cap - 1);
    }
}

/* Share of the sample pieces generation g looks at, in 1/128ths: the early
 * generations only rough out the table (the paper's 8%, 38%, 68%, 98%,
 * 128% schedule), so the whole build costs ~3x one pass over the sample. */
static size_t gen_pieces(size_t npieces, int gen) {
    if (gen == FSST_GENERATIONS - 1) return npieces;
    size_t share = FSST_SHARE_FIRST + (size_t)gen * FSST_SHARE_STEP; /* of 128 */
    size_t k = npieces * share / 128;
    return k ? k : (npieces ? 1 : 0);
}

/* Builds the table from the sample pieces.  `scale` = data bytes / sample
 * bytes, used to drop symbols not worth their storage.  Hash tables are
 * cleared through the lists of slots used, never swept whole. */
static bale_err table_build(fsst_table *t, const piece *pieces, size_t npieces,
                            size_t sample_bytes, double scale, const uint8_t *end) {
    build_ctx b;
    memset(&b, 0, sizeof b);
    /* Hash tables at most 2/3 full (distinct pairs are far fewer than
     * sample positions in practice). */
    b.pair_cap = 64;
    while (b.pair_cap < sample_bytes + sample_bytes / 2 + 16) b.pair_cap <<= 1;
    /* Candidates: at most 512 + one per sample position, the dedup table at
     * most 2/3 full. */
    b.cand_cap = 64;
    while (b.cand_cap < (sample_bytes + 512) * 3 / 2 + 16) b.cand_cap <<= 1;
    b.pair_key = bale__tmp_calloc(b.pair_cap, sizeof *b.pair_key);
    b.pair_cnt = bale__tmp_malloc(b.pair_cap * sizeof *b.pair_cnt);
    b.pair_used = bale__tmp_malloc(b.pair_cap * sizeof *b.pair_used);
    b.cand_slot = bale__tmp_calloc(b.cand_cap, sizeof *b.cand_slot);
    b.cands = bale__tmp_malloc((sample_bytes + 512) * sizeof *b.cands);
    bale_err err = BALE_NOMEM;
    if (b.pair_key == NULL || b.pair_cnt == NULL || b.pair_used == NULL || b.cand_slot == NULL ||
        b.cands == NULL)
        goto done;
    t->nsym = 0;
    table_finish(t);
    cand top[FSST_MAX_SYMBOLS];
    for (int gen = 0; gen < FSST_GENERATIONS; gen++) {
        int last = gen == FSST_GENERATIONS - 1;
        uint32_t count1[512];
        memset(count1, 0, sizeof count1);
        size_t np = gen_pieces(npieces, gen);
        for (size_t i = 0; i < np; i++) {
            const uint8_t *p = pieces[i].p;
            size_t n = pieces[i].n, pos = 0;
            unsigned prev = 0xffff;
            while (pos < n) {
                unsigned l;
                unsigned c = table_match(t, load_within(p + pos, n - pos, end), n - pos, &l);
                count1[c]++;
                if (c < 256 && l > 1) count1[256 + p[pos]]++;
                if (prev != 0xffff && !last) {
                    uint32_t key = (prev << 9 | c) + 1;
                    size_t h = (size_t)((key * 0x9E3779B1u) >> 7) & (b.pair_cap - 1);
                    while (b.pair_key[h] != 0 && b.pair_key[h] != key)
                        h = (h + 1) & (b.pair_cap - 1);
                    if (b.pair_key[h] == 0) {
                        b.pair_key[h] = key;
                        b.pair_cnt[h] = 0;
                        b.pair_used[b.npair++] = (uint32_t)h;
                    }
                    b.pair_cnt[h]++;
                }
                prev = c;
                pos += l;
            }
        }
        /* Candidates: every symbol used, every byte seen, every pair. */
        for (unsigned c = 0; c < 512; c++) {
            if (!count1[c]) continue;
            if (c < 256) {
                if (c < t->nsym) cand_add(&b, t->sym[c], t->len[c], count1[c] * t->len[c]);
            } else {
                cand_add(&b, c - 256, 1, count1[c]);
            }
        }
        for (size_t u = 0; u < b.npair; u++) {
            size_t h = b.pair_used[u];
            unsigned a = (b.pair_key[h] - 1) >> 9, c = (b.pair_key[h] - 1) & 511;
            b.pair_key[h] = 0;
            uint64_t va = a < 256 ? t->sym[a] : a - 256, vc = c < 256 ? t->sym[c] : c - 256;
            unsigned la = a < 256 ? t->len[a] : 1, lc = c < 256 ? t->len[c] : 1;
            if (la >= 8) continue;
            unsigned l = la + lc > 8 ? 8 : la + lc;
            uint64_t v = (va | vc << (8 * la)) & len_mask(l);
            cand_add(&b, v, l, b.pair_cnt[h] * l);
        }
        b.npair = 0;
        /* Keep the best 255. */
        size_t nt = 0;
        for (size_t u = 0; u < b.ncand; u++) {
            cand x = b.cands[u];
            /* Clear x's dedup slot for the next generation. */
            size_t h = (size_t)((x.v * 0x9E3779B97F4A7C15ull + x.len) >> 20) & (b.cand_cap - 1);
            while (b.cand_slot[h] != u + 1) h = (h + 1) & (b.cand_cap - 1);
            b.cand_slot[h] = 0;
            if (last) {
                /* Gain counted as bytes covered; a code saves len - 1 of them
                 * and the table entry costs len (+ its count). */
                double saved = (double)x.gain / x.len * (x.len - 1) * scale;
                if (x.len > 1 && saved < FSST_KEEP_FACTOR * (x.len + 1)) continue;
                if (x.len == 1 && (double)x.gain * scale < 2.0) continue;
            }
            if (nt < FSST_MAX_SYMBOLS) {
                top[nt++] = x;
                if (nt == FSST_MAX_SYMBOLS)
                    for (size_t i = nt / 2; i-- > 0;) heap_sift_down(top, nt, i);
            } else if (cand_better(&x, &top[0])) {
                top[0] = x;
                heap_sift_down(top, nt, 0);
            }
        }
        b.ncand = 0;
        t->nsym = (unsigned)nt;
        for (size_t i = 0; i < nt; i++) {
            t->sym[i] = top[i].v;
            t->len[i] = top[i].len;
        }
        table_finish(t);
    }
    err = BALE_OK;
done:
    bale__free(b.pair_key);
    bale__free(b.pair_cnt);
    bale__free(b.pair_used);
    bale__free(b.cand_slot);
    bale__free(b.cands);
    return err;
}

/* ========================================================================
 * Canonical Huffman code (shared by encoder and decoder)
 * ====================================================================== */

static void sift_u64(uint64_t *a, size_t n, size_t r) {
    for (;;) {
        size_t c = 2 * r + 1;
        if (c >= n) return;
        if (c + 1 < n && a[c + 1] > a[c]) c++;
        if (a[r] >= a[c]) return;
        uint64_t t = a[r];
        a[r] = a[c];
        a[c] = t;
        r = c;
    }
}

/* Ascending in-place heap sort. */
static void heap_sort_u64(uint64_t *a, size_t n) {
    for (size_t i = n / 2; i-- > 0;) sift_u64(a, n, i);
    for (size_t end = n; end > 1;) {
        end--;
        uint64_t t = a[0];
        a[0] = a[end];
        a[end] = t;
        sift_u64(a, end, 0);
    }
}

/* Code lengths for `freq` (A symbols), none above maxlen; unused symbols get
 * 0.  Halves the frequencies until the tree is shallow enough. */
static bale_err huff_lengths(const uint64_t *freq_in, unsigned A, unsigned maxlen,
                             uint8_t *len) {
    uint64_t *freq = bale__tmp_malloc(A * sizeof *freq);
    /* Nodes: leaves 0..n-1 then internal nodes; two-queue construction. */
    uint32_t *leaf = bale__tmp_malloc(A * sizeof *leaf);
    uint64_t *w = bale__tmp_malloc(2 * A * sizeof *w);
    uint32_t *parent = bale__tmp_malloc(2 * A * sizeof *parent);
    bale_err err = BALE_NOMEM;
    if (freq == NULL || leaf == NULL || w == NULL || parent == NULL) goto done;
    memcpy(freq, freq_in, A * sizeof *freq);
    memset(len, 0, A);
    /* Leaves sorted by (freq, symbol): a heap sort of freq << 10 | symbol
     * once; halving the frequencies below keeps them nearly sorted, so an
     * insertion sort restores the order in ~linear time (an insertion sort
     * from scratch, rerun while the depth was limited, used to cost a tenth
     * of the encode). */
    unsigned n = 0;
    for (unsigned s = 0; s < A; s++)
        if (freq[s]) leaf[n++] = s;
    {
        uint64_t *k = w; /* w is free until the merge below */
        for (unsigned i = 0; i < n; i++)
            k[i] = (freq[leaf[i]] > (UINT64_MAX >> 10) ? (UINT64_MAX >> 10) : freq[leaf[i]]) << 10 |
                   leaf[i];
        heap_sort_u64(k, n);
        for (unsigned i = 0; i < n; i++) leaf[i] = (uint32_t)(k[i] & 1023u);
    }
    for (int round = 0;; round++) {
        if (n == 0) break;
        if (n == 1) {
            len[leaf[0]] = 1;
            break;
        }
        for (unsigned i = 1; round > 0 && i < n; i++) {
            uint32_t x = leaf[i];
            unsigned j = i;
            while (j > 0 && (freq[leaf[j - 1]] > freq[x] ||
                             (freq[leaf[j - 1]] == freq[x] && leaf[j - 1] > x))) {
                leaf[j] = leaf[j - 1];
                j--;
            }
            leaf[j] = x;
        }
        for (unsigned i = 0; i < n; i++) w[i] = freq[leaf[i]];
        unsigned li = 0, ii = n, next = n;
        for (unsigned k = 0; k < n - 1; k++) {
            unsigned pick[2];
            for (int m = 0; m < 2; m++) {
                if (li < n && (ii >= next || w[li] <= w[ii])) pick[m] = li++;
                else pick[m] = ii++;
            }
            w[next] = w[pick[0]] + w[pick[1]];
            parent[pick[0]] = parent[pick[1]] = next;
            next++;
        }
        /* Depths: the root is node next-1; parents come after children. */
        unsigned root = next - 1, deepest = 0;
        uint8_t dtmp[2 * (FSST_ALPHABET_MAX + 1)]; /* depth of each node */
        dtmp[root] = 0;
        for (unsigned i = root; i-- > 0;) {
            dtmp[i] = (uint8_t)(dtmp[parent[i]] + 1 > 255 ? 255 : dtmp[parent[i]] + 1);
        }
        for (unsigned i = 0; i < n; i++) {
            len[leaf[i]] = dtmp[i];
            if (dtmp[i] > deepest) deepest = dtmp[i];
        }
        if (deepest <= maxlen) break;
        for (unsigned s = 0; s < A; s++)
            if (freq[s]) freq[s] = (freq[s] >> 1) | 1;
    }
    err = BALE_OK;
done:
    bale__free(freq);
    bale__free(leaf);
    bale__free(w);
    bale__free(parent);
    return err;
}

/* ---- decoder ------------------------------------------------------------------
 * A parsed FSST decoder: the symbols by code and, for HUFF stages, the
 * canonical Huffman code as a lookup table of `tbits` bits (the rare codes
 * longer than that take a slow path over first/count/list).  Built once per
 * full decode, once per shared table, and once per chunk for gets (the chunk
 * layer caches it: bale__fsst_dec_new).  One allocation: this struct, then
 * list[A] and table[1 << tbits]. */
struct bale__fsst_dec {
    unsigned flags;  /* the stage's BALE_FSST_FRONT | BALE_FSST_HUFF */
    unsigned nsym;   /* codes 0..nsym-1 are symbols; Huffman symbol nsym is
                        the escape, nsym+1 the end of a value, nsym+2+p a
                        shared prefix of p bytes */
    unsigned A;      /* Huffman alphabet (0 without HUFF) */
    unsigned maxlen; /* longest code */
    unsigned tbits;  /* bits of the lookup table, <= maxlen */
    uint32_t first[FSST_HUFF_MAX_LEN + 2]; /* first code of each length */
    uint32_t count[FSST_HUFF_MAX_LEN + 2]; /* codes of each length */
    uint32_t base[FSST_HUFF_MAX_LEN + 2];  /* index in list of that first code */
    const uint16_t *list;                  /* symbols in canonical order */
    const uint16_t *table; /* (code length << 10) | symbol; symbol A: no code of <= tbits bits */
    /* Full-width tables only (else NULL), the fast path of a full decode:
     * one or two plain symbols whose codes fit in tbits bits, s1 | s2 << 10 |
     * bits << 20 (s2 = FSST_DEC_NONE, of length 0, when there is no second),
     * or FSST_DEC_SPECIAL.  Decodes without a branch on the symbol count and
     * halves the serial lookups on frequent symbols. */
    const uint32_t *pairs;
    uint64_t nbytes;       /* the allocation's size, as bale_memory_live counts it */
    uint64_t sym[FSST_MAX_SYMBOLS + 1]; /* symbol bytes, zero past the length */
    uint8_t len[FSST_MAX_SYMBOLS + 1];
};
typedef struct bale__fsst_dec fsst_dec;
#define FSST_DEC_NONE FSST_MAX_SYMBOLS /* sym 0, len 0 */
#define FSST_DEC_SPECIAL 0x80000000u

/* Builds a decoder from nsym symbols and, with HUFF, the A code lengths `hl`
 * (0 = unused); BALE_CORRUPT if a length exceeds FSST_HUFF_MAX_LEN, or the
 * lengths over-subscribe the code space or use no symbol. */
static bale_err dec_build(unsigned flags, const uint64_t *sym, const uint8_t *len, unsigned nsym,
                          const uint8_t *hl, unsigned A, unsigned tbits_max, fsst_dec **out) {
    int huff = (flags & BALE_FSST_HUFF) != 0;
    uint32_t count[FSST_HUFF_MAX_LEN + 2] = {0};
    unsigned maxlen = 0;
    if (huff) {
        uint32_t kraft = 0;
        for (unsigned s = 0; s < A; s++) {
            BALE_RETURN_IF(hl[s] > FSST_HUFF_MAX_LEN, BALE_CORRUPT);
            count[hl[s]]++;
            if (hl[s] > maxlen) maxlen = hl[s];
            if (hl[s]) kraft += 1u << (FSST_HUFF_MAX_LEN - hl[s]);
        }
        BALE_RETURN_IF(maxlen == 0 || kraft > (1u << FSST_HUFF_MAX_LEN), BALE_CORRUPT);
    } else {
        A = 0;
    }
    unsigned tbits = tbits_max < maxlen ? tbits_max : maxlen;
    size_t tsize = huff ? (size_t)1 << tbits : 0;
    size_t psize = huff && tbits == FSST_HUFF_MAX_LEN ? tsize : 0;
    size_t bytes = sizeof(fsst_dec) + psize * sizeof(uint32_t) + ((size_t)A + tsize) * sizeof(uint16_t);
    fsst_dec *d = bale__malloc(bytes);
    BALE_RETURN_IF(d == NULL, BALE_NOMEM);
    uint32_t *pairs = (uint32_t *)(void *)(d + 1);
    uint16_t *list = (uint16_t *)(void *)(pairs + psize), *table = list + A;
    d->pairs = psize ? pairs : NULL;
    d->flags = flags & BALE_FSST_ALL_FLAGS;
    d->nsym = nsym;
    d->A = A;
    d->maxlen = maxlen;
    d->tbits = tbits;
    d->list = list;
    d->table = table;
    d->nbytes = bytes;
    /* Entries nsym..FSST_DEC_NONE-1 are never read (codes >= nsym are no
     * symbols); FSST_DEC_NONE is the empty symbol. */
    memcpy(d->sym, sym, nsym * sizeof *sym);
    memcpy(d->len, len, nsym);
    d->sym[FSST_DEC_NONE] = 0;
    d->len[FSST_DEC_NONE] = 0;
    memcpy(d->count, count, sizeof count);
    if (huff) {
        d->count[0] = 0;
        uint32_t code = 0, idx = 0, fill[FSST_HUFF_MAX_LEN + 2];
        for (unsigned l = 0; l <= FSST_HUFF_MAX_LEN + 1; l++) d->first[l] = d->base[l] = 0;
        for (unsigned l = 1; l <= FSST_HUFF_MAX_LEN; l++) {
            d->first[l] = code;
            d->base[l] = idx;
            idx += d->count[l];
            code = (code + d->count[l]) << 1;
        }
        memcpy(fill, d->base, sizeof fill);
        for (unsigned s = 0; s < A; s++)
            if (hl[s]) list[fill[hl[s]]++] = (uint16_t)s;
        for (size_t x = 0; x < tsize; x++) table[x] = (uint16_t)A;
        for (unsigned l = 1; l <= tbits; l++) {
            for (uint32_t k = 0; k < d->count[l]; k++) {
                uint32_t c = d->first[l] + k;
                uint16_t e = (uint16_t)(l << 10 | list[d->base[l] + k]);
                uint32_t lo = c << (tbits - l), hi = (c + 1) << (tbits - l);
                for (uint32_t x = lo; x < hi; x++) table[x] = e;
            }
        }
        /* The fast table: at each index the symbol whose code starts there
         * and, when the bits after it (zero-filled in the index) hold the
         * whole code of another, that one too; FSST_DEC_SPECIAL when the first
         * is no plain symbol (escape, end, prefix, or a longer code). */
        for (size_t x = 0; x < psize; x++) {
            unsigned s1 = table[x] & 1023u, l1 = table[x] >> 10;
            if (s1 >= nsym) {
                /* For the lanes of a full decode (huff_lanes): the symbol
                 * and its length (bits 25..28); with FRONT, an end of value
                 * followed by a whole prefix code also has that prefix
                 * symbol (bits 10..19) and the two codes' length (20..24). */
                uint32_t pe = FSST_DEC_SPECIAL | s1 | FSST_DEC_NONE << 10 | l1 << 20 | l1 << 25;
                if ((flags & BALE_FSST_FRONT) && s1 == nsym + 1 && l1 < tbits) {
                    uint16_t e2 = table[(x << l1) & (tsize - 1)];
                    unsigned s2 = e2 & 1023u, l2 = e2 >> 10;
                    if (s2 >= nsym + 2 && s2 < A && l1 + l2 <= tbits)
                        pe = FSST_DEC_SPECIAL | s1 | s2 << 10 | (l1 + l2) << 20 | l1 << 25;
                }
                pairs[x] = pe;
                continue;
            }
            pairs[x] = s1 | FSST_DEC_NONE << 10 | l1 << 20;
            if (l1 >= tbits) continue;
            uint16_t e2 = table[(x << l1) & (tsize - 1)];
            unsigned s2 = e2 & 1023u, l2 = e2 >> 10;
            if (s2 < nsym && l1 + l2 <= tbits) pairs[x] = s1 | s2 << 10 | (l1 + l2) << 20;
        }
    }
    *out = d;
    return BALE_OK;
}

/* A code longer than the table's bits, at the top of `buf`: its symbol and
 * length, or A (and length 0) when no code matches. */
static unsigned dec_slow(const fsst_dec *d, uint64_t buf, unsigned *l) {
    for (unsigned k = d->tbits + 1; k <= d->maxlen; k++) {
        uint32_t c = (uint32_t)(buf >> (64 - k));
        if (c - d->first[k] < d->count[k]) {
            *l = k;
            return d->list[d->base[k] + c - d->first[k]];
        }
    }
    *l = 0;
    return d->A;
}

/* Canonical codes for the encoder. */
static void huff_codes(const uint8_t *len, unsigned A, uint32_t *codes);
bale_err bale__huff_lengths(const uint64_t *freq, unsigned A, unsigned maxlen, uint8_t *len) {
    BALE_RETURN_IF(A > FSST_ALPHABET_MAX || maxlen > FSST_HUFF_MAX_LEN, BALE_INVALID);
    return huff_lengths(freq, A, maxlen, len);
}
void bale__huff_codes(const uint8_t *len, unsigned A, uint32_t *codes) { huff_codes(len, A, codes); }
static void huff_codes(const uint8_t *len, unsigned A, uint32_t *codes) {
    uint32_t count[FSST_HUFF_MAX_LEN + 2] = {0}, next[FSST_HUFF_MAX_LEN + 2];
    for (unsigned s = 0; s < A; s++) count[len[s]]++;
    count[0] = 0;
    uint32_t code = 0;
    for (unsigned l = 1; l <= FSST_HUFF_MAX_LEN; l++) {
        next[l] = code;
        code = (code + count[l]) << 1;
    }
    for (unsigned s = 0; s < A; s++)
        if (len[s]) codes[s] = next[len[s]]++;
}

/* ---- shared tables -----------------------------------------------------------
 * A bale_symtab is the serialized table (layout in docs/format.md) followed
 * in memory by what encoding and decoding need, built once: the encoder's
 * match index, the canonical Huffman code and a full-width decode table. */
/* What only an FSST table has (~16 KB: a DICT table does without). */
typedef struct symtab_fsst {
    fsst_table enc; /* symbols in code order, and the match index */
    uint8_t hlen[FSST_ALPHABET_MAX];
    uint32_t hcode[FSST_ALPHABET_MAX];
} symtab_fsst;

struct bale_symtab {
    _Atomic int64_t refcount;
    unsigned kind;        /* BALE_SYMTAB_KIND_FSST, _DICT or _CTX (then fsst
                             and dec are NULL, dtab or ctab is set) */
    unsigned generation;  /* in memory only: tables retrained before this one */
    _Atomic unsigned uses; /* in memory only: bale__symtab_count_use calls */
    uint64_t id;
    unsigned flags;       /* FSST: BALE_FSST_FRONT and BALE_FSST_HUFF (always); DICT: 0 */
    unsigned A;           /* FSST Huffman alphabet: nsym + 2 (+ 256 with FRONT) */
    uint32_t fit;         /* coded bits per 1024 input bytes, training data */
    unsigned shift;       /* block shift of the stages encoded against it */
    symtab_fsst *fsst;    /* kind FSST (owned) */
    fsst_dec *dec;        /* kind FSST: its decoder (owned), full-width table */
    bale__dtab *dtab;     /* kind DICT: the parsed table (owned) */
    bale__ctab *ctab;     /* kind CTX: the parsed table (owned) */
    size_t size;
    uint8_t *bytes;       /* the serialized table (owned) */
};

/* ========================================================================
 * Encoder
 * ====================================================================== */

/* Picks sample pieces: every value when the data is small, else pieces at
 * pseudo-random positions (fixed seed: encoding is deterministic). */
static bale_err take_sample(const uint8_t *data, const uint64_t *start,
                            const uint64_t *len, uint64_t count, uint64_t total,
                            size_t budget, piece **out, size_t *npieces, size_t *bytes) {
    size_t cap = 64, n = 0, got = 0;
    piece *ps = bale__tmp_malloc(cap * sizeof *ps);
    BALE_RETURN_IF(ps == NULL, BALE_NOMEM);
    if (total <= budget) {
        for (uint64_t i = 0; i < count; i++) {
            if (!len[i]) continue;
            if (n == cap) {
                piece *g = bale__realloc(ps, 2 * cap * sizeof *ps);
                if (g == NULL) goto nomem;
                ps = g;
                cap *= 2;
            }
            ps[n].p = data + start[i];
            ps[n++].n = (size_t)len[i];
            got += (size_t)len[i];
        }
    } else {
        uint64_t rng = 0x2545F4914F6CDD1Dull;
        for (size_t tries = 0; got < budget && tries < 4 * budget; tries++) {
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            uint64_t i = rng % count;
            if (!len[i]) continue;
            const uint8_t *p = data + start[i];
            size_t l = (size_t)len[i];
            if (l > FSST_SAMPLE_PIECE) {
                size_t at = (size_t)((rng >> 17) % (l - FSST_SAMPLE_PIECE + 1));
                p += at;
                l = FSST_SAMPLE_PIECE;
            }
            if (n == cap) {
                piece *g = bale__realloc(ps, 2 * cap * sizeof *ps);
                if (g == NULL) goto nomem;
                ps = g;
                cap *= 2;
            }
            ps[n].p = p;
            ps[n++].n = l;
            got += l;
        }
    }
    *out = ps;
    *npieces = n;
    *bytes = got;
    return BALE_OK;
nomem:
    bale__free(ps);
    return BALE_NOMEM;
}

/* Front coding: pl[i] = bytes value i shares with the previous value of
 * its block (at most FSST_MAX_PREFIX); returns their sum. */
static uint64_t front_prefixes(const bale_values *in, unsigned block_shift, uint8_t *pl) {
    const uint8_t *data = in->data;
    const uint64_t *off = in->offsets;
    const uint64_t bsize = (uint64_t)1 << block_shift;
    uint64_t shared = 0;
    for (uint64_t i = 0; i < in->count; i++) {
        uint64_t p = 0;
        if (i & (bsize - 1)) {
            const uint8_t *a = data + off[i - 1], *b = data + off[i];
            uint64_t la = off[i] - off[i - 1], lb = off[i + 1] - off[i];
            uint64_t m = la < lb ? la : lb;
            if (m > FSST_MAX_PREFIX) m = FSST_MAX_PREFIX;
            while (p < m && a[p] == b[p]) p++;
        }
        pl[i] = (uint8_t)p;
        shared += p;
    }
    return shared;
}

static bale_err put_table(bale__buf *out, const fsst_table *t) {
    uint8_t nlen[8] = {0};
    for (unsigned c = 0; c < t->nsym; c++) nlen[t->len[c] - 1]++;
    BALE_FORWARD_IF_ERROR(bale__buf_append(out, nlen, 8));
    for (unsigned c = 0; c < t->nsym; c++)
        BALE_FORWARD_IF_ERROR(bale__buf_append(out, &t->sym[c], t->len[c]));
    return BALE_OK;
}

/* The FSST stage for `in`: with its own table trained on a sample, or
 * against the shared table `tab` (then the flags are the table's). */
static bale_err encode_stage(const bale_values *in, unsigned flags, unsigned block_shift,
                             const bale_symtab *tab, bale__buf *out) {
    const uint8_t *data = in->data;
    const uint8_t *data_end = data ? data + in->data_size : data;
    const uint64_t *off = in->offsets;
    uint64_t count = in->count;
    BALE_RETURN_IF(block_shift > BALE_STR_MAX_BLOCK_SHIFT ||
                       (flags & ~(BALE_FSST_ALL_FLAGS | BALE_FSST_AUTO)),
                   BALE_INVALID);
    const uint64_t bsize = (uint64_t)1 << block_shift;
    uint64_t nblocks = bale__str_nblocks(count, block_shift);
    uint64_t *sstart = bale__tmp_malloc((size_t)(count + 1) * sizeof *sstart);
    uint64_t *slen = bale__tmp_malloc((size_t)(count + 1) * sizeof *slen);
    uint8_t *pl = bale__tmp_malloc((size_t)(count + 1));
    uint64_t *clen = bale__tmp_malloc((size_t)(count + 1) * sizeof *clen);
    uint64_t *bend = bale__tmp_malloc((size_t)(nblocks + 1) * sizeof *bend);
    piece *pieces = NULL;
    fsst_table *t = bale__tmp_malloc(sizeof *t);
    bale__buf codes = {.tmp = 1}, body = {.tmp = 1};
    uint64_t *freq = NULL;
    bale_err err = BALE_NOMEM;
    if (!sstart || !slen || !pl || !clen || !bend || !t) goto done;

    /* Front coding: shared prefix with the previous value of the block. */
    uint64_t shared = front_prefixes(in, block_shift, pl);
    if (tab != NULL)
        flags = tab->flags;
    else if (flags & BALE_FSST_AUTO)
        flags = (shared * FSST_FRONT_MIN_SHARE >= in->data_size && shared > 0 ? BALE_FSST_FRONT : 0) |
                BALE_FSST_AUTO;
    int front = (flags & BALE_FSST_FRONT) != 0;
    for (uint64_t i = 0; i < count; i++) {
        uint64_t p = front ? pl[i] : 0;
        if (!front) pl[i] = 0;
        sstart[i] = off[i] + p;
        slen[i] = off[i + 1] - off[i] - p;
    }
    uint64_t total = in->data_size - (front ? shared : 0);

    /* Symbol table from a sample of what will be encoded, or the shared one. */
    if (tab != NULL) {
        memcpy(t, &tab->fsst->enc, sizeof *t);
    } else {
        size_t npieces = 0, sample_bytes = 0;
        err = take_sample(data, sstart, slen, count, total, FSST_SAMPLE_BYTES, &pieces, &npieces,
                          &sample_bytes);
        if (err != BALE_OK) goto done;
        err = table_build(t, pieces, npieces, sample_bytes,
                          sample_bytes ? (double)total / (double)sample_bytes : 1.0, data_end);
        if (err != BALE_OK) goto done;
    }

    /* FSST codes of every value, back to back. */
    /* At most two code bytes (escape + literal) per input byte. */
    err = bale__buf_reserve(&codes, (size_t)(2 * total + 16));
    if (err != BALE_OK) goto done;
    for (uint64_t i = 0; i < count; i++) {
        const uint8_t *p = data + sstart[i];
        size_t n = (size_t)slen[i], pos = 0, before = codes.size;
        while (pos < n) {
            unsigned l;
            unsigned c = table_match(t, load_within(p + pos, n - pos, data_end), n - pos, &l);
            if (c < 256) {
                codes.data[codes.size++] = (uint8_t)c;
            } else {
                codes.data[codes.size++] = FSST_ESC;
                codes.data[codes.size++] = (uint8_t)(c - 256);
            }
            pos += l;
        }
        clen[i] = codes.size - before;
    }

    /* Byte-mode body size, and the Huffman alternative. */
    uint64_t bytes_body = 0;
    for (uint64_t i = 0; i < count; i++)
        bytes_body += bale__varint_size(clen[i]) + clen[i] + ((i & (bsize - 1)) && front ? bale__varint_size(pl[i]) : 0);
    unsigned nsym = t->nsym, maxpl = 0;
    if (front)
        for (uint64_t i = 0; i < count; i++)
            if (pl[i] > maxpl) maxpl = pl[i];
    unsigned A = tab ? tab->A : nsym + 2 + (front ? maxpl + 1 : 0);
    uint8_t hlen_own[FSST_ALPHABET_MAX];
    uint32_t hcode_own[FSST_ALPHABET_MAX];
    const uint8_t *hlen = tab ? tab->fsst->hlen : hlen_own;
    const uint32_t *hcode = tab ? tab->fsst->hcode : hcode_own;
    int huff = 0;
    uint64_t huff_bits = 0;
    if ((flags & BALE_FSST_HUFF) || (flags & BALE_FSST_AUTO)) {
        freq = bale__tmp_calloc(A, sizeof *freq);
        if (freq == NULL) {
            err = BALE_NOMEM;
            goto done;
        }
        const uint8_t *q = codes.data;
        for (uint64_t i = 0; i < count; i++) {
            if (front && (i & (bsize - 1))) freq[nsym + 2 + pl[i]]++;
            const uint8_t *qe = q + clen[i];
            while (q < qe) {
                if (*q == FSST_ESC) {
                    freq[nsym]++;
                    q += 2;
                } else {
                    freq[*q++]++;
                }
            }
            freq[nsym + 1]++;
        }
        if (count) {
            if (tab == NULL && (err = huff_lengths(freq, A, FSST_HUFF_MAX_LEN, hlen_own)) != BALE_OK)
                goto done;
            uint64_t bits = 0, esc = 0;
            for (unsigned s = 0; s < A; s++) bits += freq[s] * hlen[s];
            esc = freq[nsym] * 8;
            huff_bits = bits + esc;
            uint64_t huff_body = (bits + esc) / 8 + nblocks + (A + 1) / 2 + 2;
            huff = (flags & BALE_FSST_AUTO) && tab == NULL
                       ? huff_body + bytes_body / FSST_HUFF_MIN_SAVING < bytes_body
                       : 1;
        }
    }
    flags = (front ? BALE_FSST_FRONT : 0) | (huff ? BALE_FSST_HUFF : 0);

    /* Body, block by block. */
    const uint8_t *q = codes.data;
    bale__bitw bw = {&body, 0, 0};
    if (huff && tab == NULL) huff_codes(hlen_own, A, hcode_own);
    /* Room for the whole body (Huffman: the exact bit count plus a padding
     * byte a block; bytes mode: codes plus two varints a value). */
    if ((err = bale__buf_reserve(&body, huff ? (size_t)(huff_bits / 8 + nblocks + 16)
                                              : (size_t)(codes.size + 20 * count + 16))) != BALE_OK)
        goto done;
    for (uint64_t blk = 0; blk < nblocks; blk++) {
        uint64_t lo = blk << block_shift, hi = lo + bsize < count ? lo + bsize : count;
        for (uint64_t i = lo; i < hi; i++) {
            const uint8_t *qe = q + clen[i];
            if (huff) {
                if (front && i > lo) {
                    unsigned s = nsym + 2 + pl[i];
                    if ((err = bale__bitw_put(&bw, hcode[s], hlen[s])) != BALE_OK) goto done;
                }
                while (q < qe) {
                    if (*q == FSST_ESC) {
                        if ((err = bale__bitw_put(&bw, hcode[nsym], hlen[nsym])) != BALE_OK) goto done;
                        if ((err = bale__bitw_put(&bw, q[1], 8)) != BALE_OK) goto done;
                        q += 2;
                    } else {
                        if ((err = bale__bitw_put(&bw, hcode[*q], hlen[*q])) != BALE_OK) goto done;
                        q++;
                    }
                }
                if ((err = bale__bitw_put(&bw, hcode[nsym + 1], hlen[nsym + 1])) != BALE_OK) goto done;
            } else {
                if (front && i > lo && (err = bale__buf_put_varint(&body, pl[i])) != BALE_OK) goto done;
                if ((err = bale__buf_put_varint(&body, clen[i])) != BALE_OK) goto done;
                if ((err = bale__buf_append(&body, q, (size_t)clen[i])) != BALE_OK) goto done;
                q = qe;
            }
        }
        if (huff && (err = bale__bitw_flush(&bw)) != BALE_OK) goto done;
        bend[blk] = body.size;
    }

    /* Stage. */
    unsigned ow = bale__str_offset_width(body.size);
    if ((err = bale__buf_put_u8(out, (uint8_t)(flags | (tab ? BALE_FSST_SHARED : 0)))) != BALE_OK)
        goto done;
    if ((err = bale__buf_put_u8(out, (uint8_t)block_shift)) != BALE_OK) goto done;
    if (tab != NULL) {
        if ((err = bale__buf_append(out, &tab->id, 8)) != BALE_OK) goto done;
    } else if ((err = put_table(out, t)) != BALE_OK) {
        goto done;
    }
    if (huff && tab == NULL) {
        if ((err = bale__buf_put_varint(out, A)) != BALE_OK) goto done;
        for (unsigned s = 0; s < A; s += 2) {
            uint8_t b = (uint8_t)(hlen[s] | (s + 1 < A ? hlen[s + 1] << 4 : 0));
            if ((err = bale__buf_put_u8(out, b)) != BALE_OK) goto done;
        }
    }
    if ((err = bale__buf_put_u8(out, (uint8_t)ow)) != BALE_OK) goto done;
    if ((err = bale__buf_reserve(out, (size_t)nblocks * ow + body.size)) != BALE_OK) goto done;
    for (uint64_t blk = 0; blk < nblocks; blk++) (void)bale__str_put_uint(out, bend[blk], ow);
    (void)bale__buf_append(out, body.data, body.size);
    err = BALE_OK;
done:
    bale__free(sstart);
    bale__free(slen);
    bale__free(pl);
    bale__free(clen);
    bale__free(bend);
    bale__free(pieces);
    bale__free(t);
    bale__free(freq);
    bale__buf_free(&codes);
    bale__buf_free(&body);
    return err;
}

bale_err bale__fsst_encode_opts(const bale_values *in, unsigned flags,
                                unsigned block_shift, bale__buf *out) {
    return encode_stage(in, flags, block_shift, NULL, out);
}

/* ========================================================================
 * Decoder
 * ====================================================================== */
typedef struct fsst_view {
    unsigned flags, shift;
    const bale_symtab *tab; /* the shared table the stage uses, or NULL */
    const uint8_t *syms;    /* own table: nlen[8] then the symbol bytes */
    size_t syms_size;
    unsigned A;
    const uint8_t *hlen_nib; /* (A+1)/2 bytes; NULL with a shared table */
    unsigned ow;
    const uint8_t *ends;
    uint64_t nblocks;
    const uint8_t *body;
    size_t body_size;
} fsst_view;

/* Parses the symbols (nlen[8] then the bytes) at r into sym/len. */
static bale_err parse_symbols(bale__reader *r, uint64_t *sym, uint8_t *len, unsigned *nsym_out) {
    const uint8_t *nlen = bale__reader_take(r, 8);
    BALE_RETURN_IF(nlen == NULL, BALE_CORRUPT);
    unsigned nsym = 0, bytes = 0;
    for (unsigned l = 0; l < 8; l++) {
        nsym += nlen[l];
        bytes += nlen[l] * (l + 1);
    }
    BALE_RETURN_IF(nsym > FSST_MAX_SYMBOLS, BALE_CORRUPT);
    const uint8_t *sb = bale__reader_take(r, bytes);
    BALE_RETURN_IF(sb == NULL, BALE_CORRUPT);
    unsigned c = 0, at = 0;
    const uint8_t *send = sb + bytes;
    for (unsigned l = 1; l <= 8; l++) {
        for (unsigned k = 0; k < nlen[l - 1]; k++, c++, at += l) {
            sym[c] = send - (sb + at) >= 8 ? bale__load64(sb + at) & len_mask(l)
                                           : load_upto8(sb + at, l);
            len[c] = (uint8_t)l;
        }
    }
    *nsym_out = nsym;
    return BALE_OK;
}

/* Parses a stage's framing; the symbols of an own table are only located
 * (dec_from_view reads them).  A stage that references a shared table needs
 * `tab` to be that table (same id and flags); a self-contained one needs tab
 * NULL.  `full`: also check that the block ends are non-decreasing. */
static bale_err view_parse(uint64_t count, const uint8_t *src, size_t n,
                           int full, const bale_symtab *tab, fsst_view *v) {
    bale__reader r;
    bale__reader_init(&r, src, n);
    unsigned flags = bale__reader_u8(&r);
    v->shift = bale__reader_u8(&r);
    BALE_RETURN_IF(r.bad || (flags & ~(BALE_FSST_ALL_FLAGS | BALE_FSST_SHARED)) ||
                       v->shift > BALE_STR_MAX_BLOCK_SHIFT,
                   BALE_CORRUPT);
    v->flags = flags & BALE_FSST_ALL_FLAGS;
    v->syms = NULL;
    v->syms_size = 0;
    v->hlen_nib = NULL;
    v->A = 0;
    if (flags & BALE_FSST_SHARED) {
        uint64_t id = bale__reader_u64(&r);
        BALE_RETURN_IF(r.bad || tab == NULL || tab->kind != BALE_SYMTAB_KIND_FSST ||
                           id != tab->id || v->flags != tab->flags,
                       BALE_CORRUPT);
        v->tab = tab;
        v->A = tab->A;
    } else {
        BALE_RETURN_IF(tab != NULL, BALE_CORRUPT);
        v->tab = NULL;
        v->syms = r.p;
        const uint8_t *nlen = bale__reader_take(&r, 8);
        BALE_RETURN_IF(nlen == NULL, BALE_CORRUPT);
        unsigned nsym = 0, bytes = 0;
        for (unsigned l = 0; l < 8; l++) {
            nsym += nlen[l];
            bytes += nlen[l] * (l + 1);
        }
        BALE_RETURN_IF(nsym > FSST_MAX_SYMBOLS || bale__reader_take(&r, bytes) == NULL,
                       BALE_CORRUPT);
        v->syms_size = (size_t)(r.p - v->syms);
        if (v->flags & BALE_FSST_HUFF) {
            uint64_t A = bale__reader_varint(&r);
            uint64_t amax = nsym + 2 + (v->flags & BALE_FSST_FRONT ? FSST_MAX_PREFIX + 1 : 0);
            BALE_RETURN_IF(r.bad || A < nsym + 2 || A > amax, BALE_CORRUPT);
            v->A = (unsigned)A;
            v->hlen_nib = bale__reader_take(&r, (v->A + 1) / 2);
            BALE_RETURN_IF(v->hlen_nib == NULL, BALE_CORRUPT);
        }
    }
    v->ow = bale__reader_u8(&r);
    BALE_RETURN_IF(r.bad || v->ow < 1 || v->ow > 8, BALE_CORRUPT);
    v->nblocks = bale__str_nblocks(count, v->shift);
    BALE_RETURN_IF(v->nblocks > bale__reader_left(&r) / v->ow, BALE_CORRUPT);
    v->ends = bale__reader_take(&r, (size_t)v->nblocks * v->ow);
    v->body = r.p;
    v->body_size = bale__reader_left(&r);
    BALE_RETURN_IF(v->ends == NULL, BALE_CORRUPT);
    /* The last end must be the body size (no trailing bytes). */
    uint64_t last = v->nblocks ? bale__str_load_uint(v->ends + (v->nblocks - 1) * v->ow, v->ow) : 0;
    BALE_RETURN_IF(last != v->body_size, BALE_CORRUPT);
    if (full) {
        uint64_t prev = 0;
        for (uint64_t b = 0; b < v->nblocks; b++) {
            uint64_t e = bale__str_load_uint(v->ends + b * v->ow, v->ow);
            BALE_RETURN_IF(e < prev, BALE_CORRUPT);
            prev = e;
        }
    }
    return BALE_OK;
}

/* The decoder of a self-contained stage (its own symbols and code lengths). */
static bale_err dec_from_view(const fsst_view *v, unsigned tbits, fsst_dec **out) {
    uint64_t sym[FSST_MAX_SYMBOLS + 1];
    uint8_t len[FSST_MAX_SYMBOLS + 1], hl[FSST_ALPHABET_MAX];
    unsigned nsym;
    bale__reader r;
    bale__reader_init(&r, v->syms, v->syms_size);
    BALE_FORWARD_IF_ERROR(parse_symbols(&r, sym, len, &nsym));
    if (v->flags & BALE_FSST_HUFF) {
        for (unsigned s = 0; s < v->A; s++) hl[s] = (uint8_t)(v->hlen_nib[s >> 1] >> (4 * (s & 1)) & 15);
        if (v->A & 1) BALE_RETURN_IF(v->hlen_nib[v->A >> 1] >> 4, BALE_CORRUPT);
    }
    return dec_build(v->flags, sym, len, nsym, hl, v->A, tbits, out);
}

/* Block decoders report a full output buffer with this code: corrupt in a
 * full decode (the output is exactly data_size), a reason to retry with a
 * larger scratch buffer in a get.  (They allocate nothing.) */
#define FSST_NO_ROOM BALE_NOMEM

/* Output: an exact buffer (full decode) or a growable one (get). */
typedef struct fsst_out {
    uint8_t *p;
    size_t pos, cap;
    bale__buf *grow; /* NULL: p[0..cap) is all there is */
} fsst_out;

static bale_err out_grow(fsst_out *o, size_t need) {
    BALE_RETURN_IF(o->grow == NULL, BALE_CORRUPT);
    o->grow->size = o->pos;
    BALE_FORWARD_IF_ERROR(bale__buf_reserve(o->grow, need < 256 ? 256 : need));
    o->p = o->grow->data;
    o->cap = o->grow->capacity;
    return BALE_OK;
}
static inline bale_err out_sym(fsst_out *o, uint64_t sym, unsigned len) {
    if (BALE_LIKELY(o->cap - o->pos >= 8)) {
        memcpy(o->p + o->pos, &sym, 8);
        o->pos += len;
        return BALE_OK;
    }
    if (o->cap - o->pos < len) BALE_FORWARD_IF_ERROR(out_grow(o, len));
    memcpy(o->p + o->pos, &sym, len);
    o->pos += len;
    return BALE_OK;
}
static inline bale_err out_prefix(fsst_out *o, uint64_t from, uint64_t prev_len,
                                  unsigned pl) {
    BALE_RETURN_IF(pl > prev_len, BALE_CORRUPT);
    if (pl == 0) return BALE_OK;
    if (o->cap - o->pos < pl) BALE_FORWARD_IF_ERROR(out_grow(o, pl));
    memcpy(o->p + o->pos, o->p + from, pl);
    o->pos += pl;
    return BALE_OK;
}

/* Decodes values [0, nval) of one bytes-mode block (bytes [p, end)) into
 * `o`; ends[j] gets the end position of value j. */
static bale_err block_bytes(const fsst_dec *d, const uint8_t *p, const uint8_t *end,
                            uint64_t nval, fsst_out *o, uint64_t *ends) {
    int front = (d->flags & BALE_FSST_FRONT) != 0, bad = 0;
    uint64_t prev_start = 0, prev_len = 0;
    for (uint64_t j = 0; j < nval; j++) {
        uint64_t start = o->pos;
        if (front && j > 0) {
            uint64_t pl = bale__str_varint(&p, end, &bad);
            BALE_RETURN_IF(bad || pl > FSST_MAX_PREFIX, BALE_CORRUPT);
            BALE_FORWARD_IF_ERROR(out_prefix(o, prev_start, prev_len, (unsigned)pl));
        }
        uint64_t n = bale__str_varint(&p, end, &bad);
        BALE_RETURN_IF(bad || n > (uint64_t)(end - p), BALE_CORRUPT);
        const uint8_t *q = p, *qe = p + n;
        p = qe;
        while (q < qe) {
            unsigned c = *q++;
            if (BALE_LIKELY(c < d->nsym)) {
                BALE_FORWARD_IF_ERROR(out_sym(o, d->sym[c], d->len[c]));
            } else {
                BALE_RETURN_IF(c != FSST_ESC || q == qe, BALE_CORRUPT);
                BALE_FORWARD_IF_ERROR(out_sym(o, *q++, 1));
            }
        }
        ends[j] = o->pos;
        prev_start = start;
        prev_len = o->pos - start;
    }
    BALE_RETURN_IF(p != end, BALE_CORRUPT);
    return BALE_OK;
}

/* Refills the bit buffer near the end of a block: zero bytes past `end`
 * (counted in *over).  A valid block never needs more than 8 of them (the
 * buffer holds 64 bits), so more is corrupt: returns nonzero. */
static int refill_slow(uint64_t *buf, unsigned *nbits, const uint8_t **ip, const uint8_t *end,
                       unsigned *over) {
    while (*nbits <= 56) {
        uint64_t byte = 0;
        if (*ip < end) byte = *(*ip)++;
        else (*over)++;
        *buf |= byte << (56 - *nbits);
        *nbits += 8;
    }
    return *over > 8;
}

/* Stores the one or two plain symbols of a pairs entry that is not
 * FSST_DEC_SPECIAL at out + pos, which has 16 bytes of room (each symbol
 * as one 8-byte store; the bytes past its length are overwritten next or
 * lie past the value's end); returns the position after them. */
static inline __attribute__((always_inline)) size_t
pair_store(uint8_t *out, size_t pos, uint32_t pe, const uint64_t *sym, const uint8_t *slen) {
    unsigned s1 = pe & 1023u, s2 = pe >> 10 & 1023u;
    memcpy(out + pos, &sym[s1], 8);
    pos += slen[s1];
    memcpy(out + pos, &sym[s2], 8);
    return pos + slen[s2];
}

/* Decodes values [0, nval) of one HUFF block (bytes [p, end)) into
 * out[*pos .. cap); ends[j] gets the end position of value j.  With `whole`
 * the block must be consumed exactly, its padding bits zero.  BALE_CORRUPT on
 * malformed input, FSST_NO_ROOM when out is full.
 *
 * The hot loop: one table lookup per symbol, the symbol stored with one
 * 8-byte store while 8 bytes of room remain (the bytes past its length are
 * overwritten by what follows or lie past the value's end), and a refill of
 * the 64-bit buffer by one unaligned big-endian load. */
static bale_err block_huff(const fsst_dec *d, const uint8_t *p, const uint8_t *end,
                           uint64_t nval, int whole, uint8_t *out, size_t *pos_io, size_t cap,
                           uint64_t *ends) {
    const int front = (d->flags & BALE_FSST_FRONT) != 0;
    const unsigned nsym = d->nsym, esc = nsym, eos = nsym + 1, A = d->A;
    const unsigned tshift = 64 - d->tbits;
    const uint16_t *table = d->table;
    const uint32_t *pairs = d->pairs;
    const uint64_t *sym = d->sym;
    const uint8_t *slen = d->len;
    const uint8_t *ip = p;
    uint64_t buf = 0;
    unsigned nbits = 0, over = 0;
    size_t pos = *pos_io;
    /* pos < safe: an 8-byte store at pos fits; pos < safe2: two do. */
    const size_t safe = cap >= 8 ? cap - 7 : 0, safe2 = cap >= 16 ? cap - 15 : 0;
    size_t prev_start = 0, prev_len = 0;
#define FSST_REFILL()                                                                  \
    do {                                                                               \
        if (BALE_LIKELY(end - ip >= 8)) {                                              \
            buf |= __builtin_bswap64(bale__load64(ip)) >> nbits;                       \
            ip += (63 - nbits) >> 3;                                                   \
            nbits |= 56;                                                               \
        } else if (refill_slow(&buf, &nbits, &ip, end, &over)) {                       \
            return BALE_CORRUPT;                                                       \
        }                                                                              \
    } while (0)
#define FSST_DECODE(s)                                                                 \
    do {                                                                               \
        uint16_t e_ = table[buf >> tshift];                                            \
        unsigned l_;                                                                   \
        if (BALE_LIKELY((e_ & 1023u) != A)) {                                          \
            (s) = e_ & 1023u;                                                          \
            l_ = e_ >> 10;                                                             \
        } else {                                                                       \
            (s) = dec_slow(d, buf, &l_);                                               \
        }                                                                              \
        buf <<= l_;                                                                    \
        nbits -= l_;                                                                   \
    } while (0)
    for (uint64_t j = 0; j < nval; j++) {
        size_t start = pos;
        unsigned s;
        if (front && j > 0) {
            FSST_REFILL();
            FSST_DECODE(s);
            BALE_RETURN_IF(s < nsym + 2 || s >= A, BALE_CORRUPT);
            size_t pl = s - (nsym + 2);
            BALE_RETURN_IF(pl > prev_len, BALE_CORRUPT);
            if (BALE_LIKELY(cap - pos >= pl + 16)) {
                /* 16 bytes at a time, each loaded before it is stored (the
                 * 16 bytes read may overlap those written when the previous
                 * value is short: the pl bytes wanted end before `start`,
                 * so they are never overwritten, and the bytes copied past
                 * pl are overwritten next). */
                for (size_t k = 0; k < pl; k += 16) {
                    uint8_t t16[16];
                    memcpy(t16, out + prev_start + k, 16);
                    memcpy(out + pos + k, t16, 16);
                }
            } else {
                if (cap - pos < pl) return FSST_NO_ROOM;
                if (pl) memcpy(out + pos, out + prev_start, pl);
            }
            pos += pl;
        }
        for (;;) {
            FSST_REFILL();
            if (pairs != NULL) {
                uint32_t pe = pairs[buf >> tshift];
                if (BALE_LIKELY(!(pe & FSST_DEC_SPECIAL) && pos < safe2)) {
                    unsigned l = pe >> 20;
                    buf <<= l;
                    nbits -= l;
                    pos = pair_store(out, pos, pe, sym, slen);
                    continue;
                }
            }
            FSST_DECODE(s);
            if (BALE_LIKELY(s < nsym)) {
                if (BALE_LIKELY(pos < safe)) {
                    memcpy(out + pos, &sym[s], 8);
                } else {
                    if (cap - pos < slen[s]) return FSST_NO_ROOM;
                    memcpy(out + pos, &sym[s], slen[s]);
                }
                pos += slen[s];
                continue;
            }
            if (s == eos) break;
            BALE_RETURN_IF(s != esc, BALE_CORRUPT);
            if (pos >= cap) return FSST_NO_ROOM;
            /* The refill left >= 57 bits, the code took <= 11. */
            out[pos++] = (uint8_t)(buf >> 56);
            buf <<= 8;
            nbits -= 8;
        }
        ends[j] = pos;
        prev_start = start;
        prev_len = pos - start;
    }
#undef FSST_REFILL
#undef FSST_DECODE
    *pos_io = pos;
    if (whole) {
        /* Exactly the block's bytes, padding bits zero. */
        uint64_t used = ((uint64_t)(ip - p) + over) * 8 - nbits, have = (uint64_t)(end - p) * 8;
        BALE_RETURN_IF(used > have || have - used >= 8, BALE_CORRUPT);
        if (have > used) BALE_RETURN_IF(end[-1] & ((1u << (have - used)) - 1), BALE_CORRUPT);
    }
    return BALE_OK;
}

/* ---- full decode: interleaved lanes ----------------------------------------
 * block_huff decodes one code after another, each table lookup waiting for
 * the shift by the previous code's length: a dependency chain that leaves
 * most of the core idle.  A full decode knows where every
 * block starts and ends (the block index) and the blocks are independent bit
 * streams, so it splits the blocks into FSST_LANES runs of about equal coded
 * size and decodes the runs together, one step (refill, lookup, store) of
 * each in turn: independent chains the core overlaps.  A run's decoded size
 * is not stored, so run 0 writes straight into the output and the others
 * into scratch buffers of data_size bytes (no run can be larger), copied
 * after it once all are done, their value ends shifted by the bytes before
 * them.  Front coding stays within a block, so within a run: each lane keeps
 * its own previous value.  The checks are block_huff's: every value ends,
 * every prefix symbol is one and lies within the previous value, every block
 * is consumed exactly with zero padding bits, the output is exactly
 * data_size bytes, no write past a buffer's end.
 * Measured on npm names (BENCH_DEC_REPS=5 bench_codec_str, 64 KiB chunks,
 * 2026-11, against -DFSST_LANES_OFF): full decode of fsst+huff ~460 -> ~510
 * MB/s sorted, ~365 -> ~440 shuffled; fsst+front+huff ~510 -> ~545 sorted,
 * ~340 -> ~400 shuffled (front-coded values have few codes after their
 * prefix, so less to overlap between ends of values). */
#define FSST_LANES 2 /* 4 spill the lanes' state: slower (2026-11, npm names) */
_Static_assert(FSST_LANES == 2, "huff_lanes steps lanes a and b by name");
/* Fewer blocks than this per lane: the serial decode (the copies and the
 * set-up cost more than the overlap saves).  Above FSST_LANE_MAX_BYTES of
 * output (a chunk with huge values), also: the scratch would double the
 * memory of the decode. */
#define FSST_LANE_MIN_BLOCKS 4u
#define FSST_LANE_MAX_BYTES ((uint64_t)1 << 24)

typedef struct huff_lane {
    uint64_t buf;          /* bit buffer, next code at the top */
    unsigned nbits, over;  /* valid bits in buf; zero bytes read past end */
    const uint8_t *ip, *end, *bp; /* next byte, end and start of the block */
    uint8_t *out;
    size_t pos, safe, safe2, cap; /* as in block_huff */
    size_t start, prev_start, prev_len; /* current and previous value */
    uint64_t *ends;        /* the end slot of the current value */
    uint64_t left;         /* values of the block after the current one */
    uint64_t blk, last;    /* current block, the lane's end block */
} huff_lane;

/* Sets the lane up at the start of block L->blk. */
static inline void lane_block(const fsst_view *v, uint64_t count, uint64_t *offsets,
                              huff_lane *L) {
    uint64_t b = L->blk;
    uint64_t bs = b ? bale__str_load_uint(v->ends + (b - 1) * v->ow, v->ow) : 0;
    uint64_t be = bale__str_load_uint(v->ends + b * v->ow, v->ow);
    uint64_t lo = b << v->shift, hi = lo + ((uint64_t)1 << v->shift);
    if (hi > count) hi = count;
    L->bp = L->ip = v->body + bs;
    L->end = v->body + be;
    L->buf = 0;
    L->nbits = L->over = 0;
    L->ends = offsets + lo + 1;
    L->left = hi - lo - 1;
    L->start = L->pos;
}

/* What a step reads of the decoder, copied to locals: the output stores
 * (bytes) could alias the decoder, which would make the compiler reload
 * its fields after each. */
typedef struct lane_ctx {
    const fsst_dec *d;
    const uint32_t *pairs;
    const uint16_t *table;
    const uint64_t *sym;
    const uint8_t *slen;
    unsigned nsym, A, tshift;
    int front;
} lane_ctx;

/* One step of a lane: a refill, then up to two pairs of plain symbols
 * (pairs table), or one other code: a single symbol, an escape, or an end
 * of value with, under FRONT, the next value's prefix code (the pairs
 * table's special entries hold the symbol, so it costs no second lookup,
 * and most often the prefix symbol too).  0 = go on, 1 = the lane's last
 * block is done, -1 = corrupt (a full output is corrupt too). */
static inline __attribute__((always_inline)) int
lane_step(const lane_ctx *c, const fsst_view *v, uint64_t count, uint64_t *offsets,
          huff_lane *L) {
    const fsst_dec *d = c->d;
    const unsigned nsym = c->nsym, esc = nsym, eos = nsym + 1, A = c->A;
    const unsigned tshift = c->tshift;
    const uint64_t *sym = c->sym;
    const uint8_t *slen = c->slen;
    if (BALE_LIKELY(L->end - L->ip >= 8)) {
        L->buf |= __builtin_bswap64(bale__load64(L->ip)) >> L->nbits;
        L->ip += (63 - L->nbits) >> 3;
        L->nbits |= 56;
    } else {
        uint64_t buf = L->buf;
        unsigned nbits = L->nbits, over = L->over;
        const uint8_t *ip = L->ip;
        int bad = refill_slow(&buf, &nbits, &ip, L->end, &over);
        L->buf = buf;
        L->nbits = nbits;
        L->over = over;
        L->ip = ip;
        if (bad) return -1;
    }
    /* s2: with FRONT, the prefix symbol after an end of value, its code
     * and s's taking l2 bits (FSST_DEC_NONE: not decoded yet). */
    unsigned s, l, s2 = FSST_DEC_NONE, l2 = 0;
    int got = 0;
    if (c->pairs != NULL) {
        uint32_t pe = c->pairs[L->buf >> tshift];
        if (BALE_LIKELY(!(pe & FSST_DEC_SPECIAL))) {
            if (BALE_LIKELY(L->pos < L->safe2)) {
                l = pe >> 20;
                L->buf <<= l;
                L->nbits -= l;
                L->pos = pair_store(L->out, L->pos, pe, sym, slen);
                /* A second pair on the same refill (>= 45 bits left). */
                pe = c->pairs[L->buf >> tshift];
                if (BALE_LIKELY(!(pe & FSST_DEC_SPECIAL) && L->pos < L->safe2)) {
                    l = pe >> 20;
                    L->buf <<= l;
                    L->nbits -= l;
                    L->pos = pair_store(L->out, L->pos, pe, sym, slen);
                }
                return 0;
            }
        } else {
            s = pe & 1023u;
            l = pe >> 25 & 15u;
            s2 = pe >> 10 & 1023u;
            l2 = pe >> 20 & 31u;
            got = 1;
        }
    }
    if (!got) {
        uint16_t e = c->table[L->buf >> tshift];
        if (BALE_LIKELY((e & 1023u) != A)) {
            s = e & 1023u;
            l = e >> 10;
        } else {
            s = dec_slow(d, L->buf, &l);
        }
        s2 = FSST_DEC_NONE;
    }
    L->buf <<= l;
    L->nbits -= l;
    if (BALE_LIKELY(s < nsym)) {
        if (BALE_LIKELY(L->pos < L->safe)) {
            memcpy(L->out + L->pos, &sym[s], 8);
        } else {
            if (L->cap - L->pos < slen[s]) return -1;
            memcpy(L->out + L->pos, &sym[s], slen[s]);
        }
        L->pos += slen[s];
        return 0;
    }
    if (s == esc) {
        if (L->pos >= L->cap) return -1;
        /* The refill left >= 56 bits, the code took <= 11. */
        L->out[L->pos++] = (uint8_t)(L->buf >> 56);
        L->buf <<= 8;
        L->nbits -= 8;
        return 0;
    }
    if (s != eos) return -1;
    *L->ends++ = L->pos;
    if (L->left) {
        L->left--;
        L->prev_start = L->start;
        L->prev_len = L->pos - L->start;
        L->start = L->pos;
        if (c->front) {
            /* The next value's prefix symbol, decoded with the end code or
             * now: the refill left >= 56 bits, the end code took <= 11. */
            if (s2 != FSST_DEC_NONE) {
                s = s2;
                l = l2 - l;
            } else {
                uint16_t e = c->table[L->buf >> tshift];
                if (BALE_LIKELY((e & 1023u) != A)) {
                    s = e & 1023u;
                    l = e >> 10;
                } else {
                    s = dec_slow(d, L->buf, &l);
                }
            }
            L->buf <<= l;
            L->nbits -= l;
            if (s < nsym + 2 || s >= A) return -1;
            size_t pl = s - (nsym + 2), pos = L->pos;
            if (pl > L->prev_len) return -1;
            uint8_t *out = L->out;
            if (BALE_LIKELY(L->cap - pos >= pl + 16)) {
                /* As in block_huff: 16 bytes at a time, each loaded before
                 * it is stored. */
                for (size_t k = 0; k < pl; k += 16) {
                    uint8_t t16[16];
                    memcpy(t16, out + L->prev_start + k, 16);
                    memcpy(out + pos + k, t16, 16);
                }
            } else {
                if (L->cap - pos < pl) return -1;
                if (pl) memcpy(out + pos, out + L->prev_start, pl);
            }
            L->pos = pos + pl;
        }
        return 0;
    }
    /* The block's last value: exactly its bytes, padding bits zero. */
    uint64_t used = ((uint64_t)(L->ip - L->bp) + L->over) * 8 - L->nbits;
    uint64_t have = (uint64_t)(L->end - L->bp) * 8;
    if (used > have || have - used >= 8) return -1;
    if (have > used && (L->end[-1] & ((1u << (have - used)) - 1))) return -1;
    if (++L->blk == L->last) return 1;
    lane_block(v, count, offsets, L);
    return 0;
}

/* The full decode of a HUFF stage with at least FSST_LANES *
 * FSST_LANE_MIN_BLOCKS blocks into vals (data_size bytes, its offsets[0]
 * set): see above.  BALE_CORRUPT on malformed input. */
static bale_err huff_lanes(const fsst_dec *d, const fsst_view *v, uint64_t count,
                           size_t data_size, bale_values *vals) {
    huff_lane L[FSST_LANES];
    size_t sbytes;
    BALE_RETURN_IF(!bale__mul_ok(data_size, FSST_LANES - 1, &sbytes), BALE_NOMEM);
    uint8_t *scratch = bale__malloc(sbytes ? sbytes : 1);
    BALE_RETURN_IF(scratch == NULL, BALE_NOMEM);
    /* Lane k starts at the first block that starts at or after k/FSST_LANES
     * of the body (ends are non-decreasing), at least one block per lane. */
    uint64_t first[FSST_LANES + 1];
    first[0] = 0;
    first[FSST_LANES] = v->nblocks;
    for (unsigned k = 1; k < FSST_LANES; k++) {
        uint64_t target = (uint64_t)v->body_size / FSST_LANES * k;
        uint64_t lo = first[k - 1] + 1, hi = v->nblocks - (FSST_LANES - k);
        while (lo < hi) { /* smallest b in [lo, hi] with start(b) >= target */
            uint64_t mid = lo + (hi - lo) / 2;
            if (bale__str_load_uint(v->ends + (mid - 1) * v->ow, v->ow) >= target) hi = mid;
            else lo = mid + 1;
        }
        first[k] = lo;
    }
    for (unsigned k = 0; k < FSST_LANES; k++) {
        L[k].out = k ? scratch + (k - 1) * data_size : vals->data;
        L[k].cap = data_size;
        L[k].safe = data_size >= 8 ? data_size - 7 : 0;
        L[k].safe2 = data_size >= 16 ? data_size - 15 : 0;
        L[k].pos = L[k].prev_start = L[k].prev_len = 0;
        L[k].blk = first[k];
        L[k].last = first[k + 1];
        lane_block(v, count, vals->offsets, &L[k]);
    }
    bale_err err = BALE_CORRUPT;
    const lane_ctx ctx = {d, d->pairs, d->table, d->sym, d->len, d->nsym, d->A, 64 - d->tbits,
                          (d->flags & BALE_FSST_FRONT) != 0};
    const lane_ctx *c = &ctx;
    {
        /* Locals, not L[]: the compiler keeps their fields in registers. */
        huff_lane a = L[0], b = L[1];
        int ra, rb;
        /* Both lanes together until one is done or fails, then the other alone. */
        do {
            ra = lane_step(c, v, count, vals->offsets, &a);
            rb = lane_step(c, v, count, vals->offsets, &b);
        } while (BALE_LIKELY((ra | rb) == 0));
        while (ra == 0) ra = lane_step(c, v, count, vals->offsets, &a);
        while (rb == 0) rb = lane_step(c, v, count, vals->offsets, &b);
        if (ra < 0 || rb < 0) goto done;
        L[0] = a;
        L[1] = b;
    }
    /* Run k's bytes after those before it, its value ends shifted. */
    size_t pos = L[0].pos;
    for (unsigned k = 1; k < FSST_LANES; k++) {
        if (L[k].pos > data_size - pos) goto done;
        memcpy((uint8_t *)vals->data + pos, L[k].out, L[k].pos);
        uint64_t lo = first[k] << v->shift, hi = first[k + 1] << v->shift;
        if (hi > count) hi = count;
        for (uint64_t j = lo + 1; j <= hi; j++) vals->offsets[j] += pos;
        pos += L[k].pos;
    }
    if (pos == data_size) err = BALE_OK;
done:
    bale__free(scratch);
    return err;
}

static bale_err decode_any(const bale_symtab *tab, bale_dtype dtype, uint64_t count,
                           const uint8_t *src, size_t n, uint64_t data_size, bale_values *out) {
    fsst_view v;
    BALE_FORWARD_IF_ERROR(view_parse(count, src, n, 1, tab, &v));
    int huff = (v.flags & BALE_FSST_HUFF) != 0;
    /* A value costs at least one byte (bytes mode) or one bit (Huffman). */
    BALE_RETURN_IF(count > (uint64_t)n * (huff ? 8 : 1), BALE_CORRUPT);
    BALE_RETURN_IF(data_size > SIZE_MAX, BALE_NOMEM);
    fsst_dec *own = NULL;
    const fsst_dec *d = v.tab ? v.tab->dec : NULL;
    if (d == NULL) {
        BALE_FORWARD_IF_ERROR(dec_from_view(&v, FSST_HUFF_MAX_LEN, &own));
        d = own;
    }
    bale_values vals;
    memset(&vals, 0, sizeof vals);
    bale_err err = bale__values_alloc(&vals, dtype, count, data_size);
    if (err != BALE_OK) goto fail;
    fsst_out o = {vals.data, 0, (size_t)data_size, NULL};
#ifndef FSST_LANES_OFF /* -DFSST_LANES_OFF: serial only, to measure the lanes */
    /* (The lanes take the symbol of a special pairs entry without dec_slow:
     * pairs exist only for full-width tables, where no code is longer than
     * the lookup; without pairs they look codes up as block_huff does.) */
    if (huff && v.nblocks >= (uint64_t)FSST_LANES * FSST_LANE_MIN_BLOCKS &&
        data_size <= FSST_LANE_MAX_BYTES) {
        err = huff_lanes(d, &v, count, (size_t)data_size, &vals);
        if (err != BALE_OK) goto fail;
        bale__free(own);
        *out = vals;
        return BALE_OK;
    }
#endif
    uint64_t bstart = 0;
    for (uint64_t blk = 0; blk < v.nblocks; blk++) {
        uint64_t bend = bale__str_load_uint(v.ends + blk * v.ow, v.ow);
        uint64_t lo = blk << v.shift, hi = lo + ((uint64_t)1 << v.shift);
        if (hi > count) hi = count;
        const uint8_t *p = v.body + bstart, *e = v.body + bend;
        if (huff) {
            err = block_huff(d, p, e, hi - lo, 1, o.p, &o.pos, o.cap, vals.offsets + lo + 1);
            if (err == FSST_NO_ROOM) err = BALE_CORRUPT;
        } else {
            err = block_bytes(d, p, e, hi - lo, &o, vals.offsets + lo + 1);
        }
        if (err != BALE_OK) goto fail;
        bstart = bend;
    }
    err = BALE_CORRUPT;
    if (o.pos != data_size) goto fail;
    bale__free(own);
    *out = vals;
    return BALE_OK;
fail:
    bale_values_free(&vals);
    bale__free(own);
    return err;
}

static bale_err fsst_decode(bale_dtype dtype, uint64_t count, const uint8_t *src,
                            size_t n, uint64_t data_size, bale_values *out) {
    return decode_any(NULL, dtype, count, src, n, data_size, out);
}
static bale_err fsst_decode_tab(const bale_symtab *tab, bale_dtype dtype, uint64_t count,
                                const uint8_t *src, size_t n, uint64_t data_size,
                                bale_values *out) {
    return decode_any(tab, dtype, count, src, n, data_size, out);
}

/* Scratch output a get decodes a block prefix into before it needs the heap. */
#define FSST_GET_STACK 4096u

bale_err bale__fsst_get_with(const bale__fsst_dec *dec, const bale_symtab *tab, bale_dtype dtype,
                             uint64_t count, const uint8_t *src, size_t n, uint64_t index,
                             bale_values *out) {
    BALE_RETURN_IF(index >= count, BALE_RANGE);
    fsst_view v;
    BALE_FORWARD_IF_ERROR(view_parse(count, src, n, 0, tab, &v));
    fsst_dec *own = NULL;
    const fsst_dec *d = v.tab ? v.tab->dec : dec;
    /* A decoder cached for this stage has its flags (checked, not trusted). */
    BALE_RETURN_IF(d != NULL && d->flags != v.flags, BALE_CORRUPT);
    if (d == NULL) {
        BALE_FORWARD_IF_ERROR(dec_from_view(&v, FSST_HUFF_GET_BITS, &own));
        d = own;
    } else {
        /* A chunk's cached decoder is likely out of the CPU caches when gets
         * hop between chunks: fetch its lookup table and symbols in parallel
         * now rather than one miss at a time along the decode. */
        const char *t = (const char *)d->table;
        for (size_t k = 0; k < (d->A ? sizeof(uint16_t) << d->tbits : 0); k += 64)
            __builtin_prefetch(t + k);
        for (size_t k = 0; k < d->nsym * sizeof(uint64_t); k += 64)
            __builtin_prefetch((const char *)d->sym + k);
        for (size_t k = 0; k < d->nsym; k += 64) __builtin_prefetch(d->len + k);
    }
    uint64_t blk = index >> v.shift;
    uint64_t bstart = blk ? bale__str_load_uint(v.ends + (blk - 1) * v.ow, v.ow) : 0;
    uint64_t bend = bale__str_load_uint(v.ends + blk * v.ow, v.ow);
    bale_err err = BALE_CORRUPT;
    if (bstart > bend || bend > v.body_size) goto done;
    uint64_t lo = blk << v.shift, nval = index - lo + 1;
    uint64_t ends[(1u << BALE_STR_MAX_BLOCK_SHIFT) + 1];
    uint64_t ws = 0, we = 0; /* the wanted value in the scratch output */
    uint8_t stack[FSST_GET_STACK];
    uint8_t *heap = NULL;
    const uint8_t *res = NULL;
    bale__buf scratch = {0};
    int front = (v.flags & BALE_FSST_FRONT) != 0;
    const uint8_t *p = v.body + bstart, *e = v.body + bend;
    if (v.flags & BALE_FSST_HUFF) {
        /* Decode up to `index` only (the rest of the block is checked by a
         * full decode, not by a get) into a stack buffer, or a heap one 8x
         * larger each time it fills.  A bit codes at most 255 bytes (a
         * prefix): past that bound the block is corrupt. */
        size_t cap = sizeof stack, pos = 0;
        uint64_t bound = (uint64_t)(e - p) * 8 * FSST_MAX_PREFIX + 64;
        uint8_t *scr = stack;
        for (;;) {
            pos = 0;
            err = block_huff(d, p, e, nval, 0, scr, &pos, cap, ends);
            if (err != FSST_NO_ROOM) break;
            err = BALE_CORRUPT;
            if (cap >= bound) break;
            uint64_t want = (uint64_t)cap * 8 < bound ? (uint64_t)cap * 8 : bound;
            err = BALE_NOMEM;
            if (want > SIZE_MAX) break;
            bale__free(heap);
            heap = bale__malloc((size_t)want);
            if (heap == NULL) break;
            scr = heap;
            cap = (size_t)want;
        }
        ws = nval > 1 ? ends[nval - 2] : 0;
        we = ends[nval - 1];
        res = scr;
    } else {
        /* Find the wanted value by the code lengths; decode from the block
         * start (front coding) or the value alone. */
        int bad = 0;
        const uint8_t *q = p, *from = p;
        err = BALE_OK;
        for (uint64_t j = 0; j < nval; j++) {
            if (!front) from = q;
            if (front && j > 0) (void)bale__str_varint(&q, e, &bad);
            uint64_t l = bale__str_varint(&q, e, &bad);
            if (bad || l > (uint64_t)(e - q)) {
                err = BALE_CORRUPT;
                break;
            }
            q += l;
        }
        if (err == BALE_OK) {
            fsst_out o = {NULL, 0, 0, &scratch};
            uint64_t k = front ? nval : 1;
            err = block_bytes(d, from, q, k, &o, ends);
            ws = k > 1 ? ends[k - 2] : 0;
            we = ends[k - 1];
            res = o.p;
        }
    }
    if (err == BALE_OK) {
        uint64_t l = we - ws;
        err = bale__values_alloc(out, dtype, 1, l);
        if (err == BALE_OK) {
            if (l) memcpy(out->data, res + ws, (size_t)l);
            out->offsets[1] = l;
        }
    }
    bale__free(heap);
    bale__buf_free(&scratch);
done:
    bale__free(own);
    return err;
}

static bale_err fsst_get(bale_dtype dtype, uint64_t count, const uint8_t *src, size_t n,
                         uint64_t index, bale_values *out) {
    return bale__fsst_get_with(NULL, NULL, dtype, count, src, n, index, out);
}
static bale_err fsst_get_tab(const bale_symtab *tab, bale_dtype dtype, uint64_t count,
                             const uint8_t *src, size_t n, uint64_t index, bale_values *out) {
    return bale__fsst_get_with(NULL, tab, dtype, count, src, n, index, out);
}

bale_err bale__fsst_dec_new(uint64_t count, const uint8_t *src, size_t n, bale__fsst_dec **out) {
    fsst_view v;
    BALE_RETURN_IF(n > 0 && (src[0] & BALE_FSST_SHARED), BALE_UNSUPPORTED);
    BALE_FORWARD_IF_ERROR(view_parse(count, src, n, 0, NULL, &v));
    return dec_from_view(&v, FSST_HUFF_CACHE_BITS, out);
}
void bale__fsst_dec_free(bale__fsst_dec *d) { bale__free(d); }
uint64_t bale__fsst_dec_nbytes(const bale__fsst_dec *d) { return d ? d->nbytes : 0; }

static int fsst_supports(bale_dtype dtype) { return bale__is_var(dtype); }

static bale_err fsst_encode(const bale_values *in, bale__buf *out) {
    return bale__fsst_encode_opts(in, BALE_FSST_AUTO, BALE_STR_BLOCK_SHIFT, out);
}

static bale_err fsst_encode_tab(const bale_values *in, const bale_symtab *tab, bale__buf *out) {
    BALE_RETURN_IF(tab->kind != BALE_SYMTAB_KIND_FSST, BALE_UNSUPPORTED);
    return encode_stage(in, 0, tab->shift, tab, out);
}

static int fsst_uses_tab(bale_dtype dtype, uint64_t count, const uint8_t *src, size_t n) {
    (void)dtype;
    (void)count;
    return n > 0 && (src[0] & BALE_FSST_SHARED) != 0;
}

const bale__encoding_impl bale__enc_fsst = {
    BALE_ENC_FSST, "fsst", fsst_supports, fsst_encode, fsst_decode, fsst_get,
};

const bale__tab_ops bale__fsst_tab_ops = {
    BALE_SYMTAB_KIND_FSST, fsst_encode_tab, fsst_decode_tab, fsst_get_tab, fsst_uses_tab,
};

/* ========================================================================
 * Shared tables: training, bytes, validation
 *
 *   u32 magic "BALt", u8 version 1, u8 kind 1 (FSST), u8 flags (FRONT 1,
 *   HUFF 2: HUFF is required), u8 block shift of the stages encoded against
 *   the table (0: BALE_STR_BLOCK_SHIFT; an encoder setting, outside the id,
 *   since every stage records its own), u64 id = XXH3-64 of the bytes from
 *   offset 16 on, u32 fit (stage bits per 1024 value bytes on the training
 *   data), then the symbols as in a stage (u8 nlen[8], the bytes), varint A
 *   (= nsym + 2, + 256 with FRONT) and A 4-bit code lengths, each 1..11
 *   (every symbol, escape, end of value and prefix length is encodable).
 * ====================================================================== */
/* Training a table that many chunks will use: a larger sample than a
 * chunk's own table gets, and symbols are kept as if the data were this many
 * times the sample (they pay for themselves over the container). */
#define FSST_TABLE_SAMPLE_BYTES 65536u
#define FSST_TABLE_SCALE 16.0

/* The fields every kind of table has; the table takes `copy` (its bytes). */
static void symtab_init(bale_symtab *t, unsigned kind, uint64_t id, unsigned flags, uint32_t fit,
                        unsigned shift, uint8_t *copy, size_t size) {
    atomic_init(&t->refcount, 1);
    atomic_init(&t->uses, 0);
    t->kind = kind;
    t->id = id;
    t->flags = flags;
    t->fit = fit;
    t->shift = shift;
    t->size = size;
    t->bytes = copy;
}

/* A DICT table (kind 2) or CTX table (kind 3), its header checked: the rest
 * is parsed by dict_tab.c or ctx_tab.c.  Shift 0 is the kind's default. */
static bale_err other_symtab_build(const uint8_t *bytes, size_t size, bale__reader *r,
                                   unsigned kind, unsigned shift, uint64_t id, uint32_t fit,
                                   bale_symtab **out) {
    bale_symtab *t = bale__calloc(1, sizeof *t);
    uint8_t *copy = bale__malloc(size);
    bale_err err = BALE_NOMEM;
    if (t == NULL || copy == NULL) goto fail;
    int dict = kind == BALE_SYMTAB_KIND_DICT;
    err = dict ? bale__dtab_parse(r, &t->dtab) : bale__ctab_parse(r, &t->ctab);
    if (err != BALE_OK) goto fail;
    memcpy(copy, bytes, size);
    if (!shift) shift = dict ? BALE_DTAB_BLOCK_SHIFT : BALE_CTAB_BLOCK_SHIFT;
    symtab_init(t, kind, id, 0, fit, shift, copy, size);
    *out = t;
    return BALE_OK;
fail:
    bale__free(t);
    bale__free(copy);
    return err;
}

static bale_err symtab_build(const uint8_t *bytes, size_t size, bale_symtab **out) {
    bale__reader r;
    bale__reader_init(&r, bytes, size);
    uint32_t magic = bale__reader_u32(&r);
    uint8_t version = bale__reader_u8(&r), kind = bale__reader_u8(&r);
    uint8_t flags = bale__reader_u8(&r), shift = bale__reader_u8(&r);
    uint64_t id = bale__reader_u64(&r);
    uint32_t fit = bale__reader_u32(&r);
    BALE_RETURN_IF(r.bad || magic != BALE_SYMTAB_MAGIC || version == 0, BALE_CORRUPT);
    BALE_RETURN_IF(version > BALE_SYMTAB_VERSION, BALE_UNSUPPORTED);
    int other = kind == BALE_SYMTAB_KIND_DICT || kind == BALE_SYMTAB_KIND_CTX;
    BALE_RETURN_IF(shift > BALE_STR_MAX_BLOCK_SHIFT ||
                       (other ? flags != 0
                             : kind != BALE_SYMTAB_KIND_FSST || !(flags & BALE_FSST_HUFF) ||
                                   (flags & ~BALE_FSST_ALL_FLAGS)),
                   BALE_CORRUPT);
#ifndef BALE_FUZZING /* let the fuzzer reach the parser behind the hash */
    BALE_RETURN_IF(id != bale__hash64(bytes + BALE_SYMTAB_HASHED_FROM, size - BALE_SYMTAB_HASHED_FROM, 0),
                   BALE_CHECKSUM);
#endif
    if (other) return other_symtab_build(bytes, size, &r, kind, shift, id, fit, out);
    bale_symtab *t = bale__calloc(1, sizeof *t);
    symtab_fsst *f = bale__calloc(1, sizeof *f);
    uint8_t *copy = bale__malloc(size);
    bale_err err = BALE_NOMEM;
    if (t == NULL || f == NULL || copy == NULL) goto fail;
    err = parse_symbols(&r, f->enc.sym, f->enc.len, &f->enc.nsym);
    if (err != BALE_OK) goto fail;
    uint64_t A = bale__reader_varint(&r);
    err = BALE_CORRUPT;
    if (r.bad || A != f->enc.nsym + 2 + (flags & BALE_FSST_FRONT ? FSST_MAX_PREFIX + 1 : 0)) goto fail;
    const uint8_t *nib = bale__reader_take(&r, ((size_t)A + 1) / 2);
    if (nib == NULL || bale__reader_left(&r) != 0) goto fail;
    for (unsigned k = 0; k < A; k++) {
        f->hlen[k] = (uint8_t)(nib[k >> 1] >> (4 * (k & 1)) & 15);
        if (f->hlen[k] == 0 || f->hlen[k] > FSST_HUFF_MAX_LEN) goto fail;
    }
    if ((A & 1) && (nib[A >> 1] >> 4)) goto fail;
    if ((err = dec_build(flags, f->enc.sym, f->enc.len, f->enc.nsym, f->hlen, (unsigned)A,
                         FSST_HUFF_MAX_LEN, &t->dec)) != BALE_OK)
        goto fail;
    huff_codes(f->hlen, (unsigned)A, f->hcode);
    table_finish(&f->enc);
    memcpy(copy, bytes, size);
    symtab_init(t, BALE_SYMTAB_KIND_FSST, id, flags, fit, shift ? shift : BALE_STR_BLOCK_SHIFT, copy,
                size);
    t->fsst = f;
    t->A = (unsigned)A;
    *out = t;
    return BALE_OK;
fail:
    if (t) bale__free(t->dec);
    bale__free(t);
    bale__free(f);
    bale__free(copy);
    return err;
}

bale_err bale__symtab_bytes_start(bale__buf *out, unsigned kind, unsigned flags, unsigned shift,
                                  unsigned default_shift, uint32_t fit) {
    uint8_t head[4] = {BALE_SYMTAB_VERSION, (uint8_t)kind, (uint8_t)flags,
                       (uint8_t)(shift == default_shift ? 0 : shift)};
    uint64_t id = 0;
    uint32_t magic = BALE_SYMTAB_MAGIC;
    out->size = 0;
    BALE_FORWARD_IF_ERROR(bale__buf_append(out, &magic, 4));
    BALE_FORWARD_IF_ERROR(bale__buf_append(out, head, 4));
    BALE_FORWARD_IF_ERROR(bale__buf_append(out, &id, 8));
    return bale__buf_append(out, &fit, 4);
}

void bale__symtab_bytes_finish(bale__buf *out) {
    uint64_t id = bale__hash64(out->data + BALE_SYMTAB_HASHED_FROM,
                               out->size - BALE_SYMTAB_HASHED_FROM, 0);
    memcpy(out->data + 8, &id, 8);
}

/* Serializes a table: symbols of `t`, flags, code lengths, fit, the block
 * shift of its stages (written as 0 when it is the default). */
static bale_err symtab_bytes(const fsst_table *t, unsigned flags, const uint8_t *hlen, unsigned A,
                             uint32_t fit, unsigned shift, bale__buf *out) {
    BALE_FORWARD_IF_ERROR(bale__symtab_bytes_start(out, BALE_SYMTAB_KIND_FSST, flags, shift,
                                                   BALE_STR_BLOCK_SHIFT, fit));
    BALE_FORWARD_IF_ERROR(put_table(out, t));
    BALE_FORWARD_IF_ERROR(bale__buf_put_varint(out, A));
    for (unsigned s = 0; s < A; s += 2)
        BALE_FORWARD_IF_ERROR(
            bale__buf_put_u8(out, (uint8_t)(hlen[s] | (s + 1 < A ? hlen[s + 1] << 4 : 0))));
    bale__symtab_bytes_finish(out);
    return BALE_OK;
}

bale_err bale_symtab_train(const bale_values *in, bale_symtab **out) {
    return bale__symtab_train_shift(in, BALE_STR_BLOCK_SHIFT, out);
}

bale_err bale__symtab_train_shift(const bale_values *in, unsigned shift, bale_symtab **out) {
    BALE_RETURN_IF(in == NULL || out == NULL || !bale__is_var(in->dtype), BALE_INVALID);
    BALE_RETURN_IF(shift < 1 || shift > BALE_STR_MAX_BLOCK_SHIFT, BALE_INVALID);
    BALE_FORWARD_IF_ERROR(bale__values_check(in));
    const uint8_t *data = in->data, *data_end = data ? data + in->data_size : data;
    uint64_t count = in->count;
    const uint64_t bsize = (uint64_t)1 << shift; /* blocks as the stages will have them */
    uint64_t *sstart = bale__tmp_malloc((size_t)(count + 1) * sizeof *sstart);
    uint64_t *slen = bale__tmp_malloc((size_t)(count + 1) * sizeof *slen);
    uint8_t *pl = bale__tmp_malloc((size_t)(count + 1));
    fsst_table *t = bale__tmp_malloc(sizeof *t);
    uint64_t *freq = bale__tmp_calloc(FSST_ALPHABET_MAX, sizeof *freq);
    piece *pieces = NULL;
    bale__buf bytes = {.tmp = 1}, stage = {.tmp = 1};
    bale_symtab *draft = NULL;
    bale_err err = BALE_NOMEM;
    if (!sstart || !slen || !pl || !t || !freq) goto done;
    uint64_t shared = front_prefixes(in, shift, pl);
    int front = shared > 0 && shared * FSST_FRONT_MIN_SHARE >= in->data_size;
    for (uint64_t i = 0; i < count; i++) {
        uint64_t p = front ? pl[i] : 0;
        sstart[i] = in->offsets[i] + p;
        slen[i] = in->offsets[i + 1] - in->offsets[i] - p;
    }
    uint64_t total = in->data_size - (front ? shared : 0);
    size_t npieces = 0, sample_bytes = 0;
    err = take_sample(data, sstart, slen, count, total, FSST_TABLE_SAMPLE_BYTES, &pieces, &npieces,
                      &sample_bytes);
    if (err != BALE_OK) goto done;
    if ((err = table_build(t, pieces, npieces, sample_bytes, FSST_TABLE_SCALE, data_end)) != BALE_OK)
        goto done;
    /* Code frequencies over all values, plus one for every symbol so that
     * any data can be coded. */
    unsigned nsym = t->nsym, A = nsym + 2 + (front ? FSST_MAX_PREFIX + 1 : 0);
    for (uint64_t i = 0; i < count; i++) {
        const uint8_t *p = data + sstart[i];
        size_t n = (size_t)slen[i], pos = 0;
        if (front && (i & (bsize - 1))) freq[nsym + 2 + pl[i]]++;
        while (pos < n) {
            unsigned l;
            unsigned c = table_match(t, load_within(p + pos, n - pos, data_end), n - pos, &l);
            freq[c < 256 ? c : nsym]++;
            pos += l;
        }
        freq[nsym + 1]++;
    }
    for (unsigned k = 0; k < A; k++) freq[k]++;
    uint8_t hlen[FSST_ALPHABET_MAX];
    if ((err = huff_lengths(freq, A, FSST_HUFF_MAX_LEN, hlen)) != BALE_OK) goto done;
    unsigned flags = BALE_FSST_HUFF | (front ? BALE_FSST_FRONT : 0);
    /* The fit is measured by encoding the training values with a draft of
     * the table, then written into the final one. */
    if ((err = symtab_bytes(t, flags, hlen, A, 0, shift, &bytes)) != BALE_OK) goto done;
    if ((err = symtab_build(bytes.data, bytes.size, &draft)) != BALE_OK) goto done;
    if ((err = encode_stage(in, 0, shift, draft, &stage)) != BALE_OK) goto done;
    uint64_t fit = in->data_size ? stage.size * 8 * 1024 / in->data_size : 0;
    bytes.size = 0;
    err = symtab_bytes(t, flags, hlen, A, fit > UINT32_MAX ? UINT32_MAX : (uint32_t)fit, shift,
                       &bytes);
    if (err == BALE_OK) err = symtab_build(bytes.data, bytes.size, out);
done:
    bale_symtab_decref(draft);
    bale__buf_free(&bytes);
    bale__buf_free(&stage);
    bale__free(sstart);
    bale__free(slen);
    bale__free(pl);
    bale__free(t);
    bale__free(freq);
    bale__free(pieces);
    return err;
}

bale_err bale_symtab_from_bytes(const void *bytes, size_t size, bale_symtab **out) {
    BALE_RETURN_IF(out == NULL || (bytes == NULL && size), BALE_INVALID);
    return symtab_build(bytes, size, out);
}

const void *bale_symtab_bytes(const bale_symtab *tab, size_t *size) {
    if (size) *size = tab->size;
    return tab->bytes;
}
uint64_t bale_symtab_id(const bale_symtab *tab) { return tab->id; }
uint32_t bale__symtab_fit(const bale_symtab *tab) { return tab->fit; }
unsigned bale__symtab_flags(const bale_symtab *tab) { return tab->flags; }
unsigned bale__symtab_shift(const bale_symtab *tab) { return tab->shift; }
unsigned bale__symtab_kind(const bale_symtab *tab) { return tab->kind; }
unsigned bale__symtab_generation(const bale_symtab *tab) { return tab->generation; }
void bale__symtab_set_generation(bale_symtab *tab, unsigned g) { tab->generation = g; }
unsigned bale__symtab_count_use(bale_symtab *tab) {
    return atomic_fetch_add_explicit(&tab->uses, 1, memory_order_relaxed) + 1;
}
void bale__symtab_set_uses(bale_symtab *tab, unsigned n) {
    atomic_store_explicit(&tab->uses, n, memory_order_relaxed);
}
const bale__dtab *bale__symtab_dtab(const bale_symtab *tab) { return tab->dtab; }
const bale__ctab *bale__symtab_ctab(const bale_symtab *tab) { return tab->ctab; }
uint64_t bale_symtab_nbytes(const bale_symtab *tab) {
    /* its three allocations (struct, bytes, decoder or DICT table), as
     * bale_memory_live counts them: requested sizes, no allocator prefixes */
    return sizeof *tab + tab->size +
           (tab->kind == BALE_SYMTAB_KIND_DICT  ? bale__dtab_nbytes(tab->dtab)
            : tab->kind == BALE_SYMTAB_KIND_CTX ? bale__ctab_nbytes(tab->ctab)
                                                : sizeof *tab->fsst + tab->dec->nbytes);
}
bale_symtab *bale_symtab_incref(bale_symtab *tab) {
    if (tab) atomic_fetch_add_explicit(&tab->refcount, 1, memory_order_relaxed);
    return tab;
}
void bale_symtab_decref(bale_symtab *tab) {
    if (tab == NULL) return;
    if (atomic_fetch_sub_explicit(&tab->refcount, 1, memory_order_acq_rel) == 1) {
        bale__free(tab->bytes);
        bale__free(tab->fsst);
        bale__free(tab->dec);
        bale__dtab_free(tab->dtab);
        bale__ctab_free(tab->ctab);
        bale__free(tab);
    }
}
