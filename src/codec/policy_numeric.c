/*
 * policy_numeric.c - the auto policy for fixed-width dtypes (int, float,
 * bool).  One cheap pass of statistics picks at most two stage layouts to
 * build; each is sized without a backend (exact) and/or with zstd, then lz4
 * is tried on the winning zstd stage, and the smallest payload is kept.
 *
 * Why these candidates (figures in docs/design-numeric.md, flights columns,
 * 8192-value chunks):
 *  - bit-packed FOR and DELTA without a backend: their sizes follow from the
 *    value and delta ranges, so they are sized without being built and only
 *    built when they win; fastest decode, O(1) get (FOR).
 *  - smooth data (deltas at least BALE_POLICY_SMOOTH_BITS narrower than the
 *    values: timestamps, counters, sorted keys) -> DELTA patched (narrow
 *    packing plus exceptions), without a backend and with zstd (`date`).
 *  - few distinct values in a sample -> DICT sections: frequency-ordered
 *    byte codes, each section zstd'd alone, which gets close to the order-0
 *    entropy (`delay`, `distance`).
 *  - otherwise FOR byte planes + zstd: zstd's Huffman literals see the
 *    value distribution, which bit packing hides.
 *  - lz4 on the winning zstd stage is kept when it costs at most
 *    1/BALE_POLICY_FAST_SLACK more: it never compresses better than zstd on
 *    these stages but decodes faster.
 * Until 2026-11 the policy built all nine int layouts and ran ~7 zstd passes
 * a chunk (14-140 MB/s); the statistics choose what the full search chose on
 * every flights chunk but within 0.5% of its size (design-numeric.md).
 */
#include "int_internal.h"

/* A faster-decoding candidate (no backend, or lz4 instead of zstd) is kept
 * when its payload is at most 1/BALE_POLICY_FAST_SLACK larger than the
 * smallest: 1/32 (3%) of size buys 2-5x decode speed and, without a
 * backend, O(1) get. */
#define BALE_POLICY_FAST_SLACK 32
/* A random-access candidate (blocked stage, no backend: get decodes one
 * block instead of the chunk) is kept when its payload is at most
 * 1/BALE_POLICY_ACCESS_SLACK larger than the smallest and the smallest
 * answers get only by decoding the chunk (a backend, or DELTA/DICT's other
 * layouts).  1/4 bounds the cost; on flights `date` it is 1.12x (0.064 ->
 * 0.072 B a value) for get in ~0.2 us instead of ~15 us.  A smallest
 * payload under one bit a value may in addition grow by one byte per
 * BALE_POLICY_ACCESS_VALUES_PER_BYTE values (1/4 bit a value): there the
 * blocks' fixed costs (samples, offsets, k's) weigh most, and the 29 `date`
 * chunks that stayed on zstd (0.057 B a value, blocked 1.26-1.33x) get
 * random access for ~0.015 B a value.  Random small deltas (test_list's
 * i*3 - rnd%5, ~3.3 bits a value, blocked ~1.3x) stay on zstd: there the
 * allowance made list slicing's memory bound fail. */
#define BALE_POLICY_ACCESS_SLACK 4
#define BALE_POLICY_ACCESS_VALUES_PER_BYTE 32
/* DICT pre-check: hash the first BALE_POLICY_DICT_SAMPLE values into a
 * bitmap of BALE_POLICY_DICT_BITS bits; when more than
 * BALE_POLICY_DICT_MAX_FILL of them are set (about 3/4 of the sample
 * distinct), a dictionary cannot pay for itself and is not tried. */
#define BALE_POLICY_DICT_SAMPLE 1024
#define BALE_POLICY_DICT_BITS 4096
#define BALE_POLICY_DICT_MAX_FILL 680
#define BALE__MAX_CANDIDATES 4
/* Smooth data: deltas need at least this many bits fewer than the values. */
#define BALE_POLICY_SMOOTH_BITS 2

/* Backends a candidate is tried with. */
#define B_NONE 1u
#define B_ZSTD 2u

typedef struct candidate {
    bale_encoding enc;
    bale__int_variant var;
    unsigned backends;
} candidate;

static const candidate bool_candidates[] = {
    {BALE_ENC_FOR, BALE__VAR_PACKED, B_NONE | B_ZSTD},
    {BALE_ENC_PLAIN, BALE__VAR_PACKED, B_ZSTD},
};

/* A candidate sized without being built (its stage size is known from the
 * statistics); built only if it wins. */
typedef struct sized {
    bale_encoding enc;
    bale__int_variant var;
    uint64_t size;
} sized;

/* Value and delta ranges of an int chunk, in one pass. */
static void int_widths(const bale_values *in, unsigned *wf, unsigned *wd) {
    const int64_t *v = (const int64_t *)in->data;
    size_t n = (size_t)in->count;
    int64_t mn = v[0], mx = v[0], dmn = 0, dmx = 0;
    if (n > 1) dmn = dmx = (int64_t)((uint64_t)v[1] - (uint64_t)v[0]);
    for (size_t i = 1; i < n; i++) {
        int64_t x = v[i], d = (int64_t)((uint64_t)x - (uint64_t)v[i - 1]);
        mn = x < mn ? x : mn;
        mx = x > mx ? x : mx;
        dmn = d < dmn ? d : dmn;
        dmx = d > dmx ? d : dmx;
    }
    *wf = bale__bit_width((uint64_t)mx - (uint64_t)mn);
    *wd = bale__bit_width((uint64_t)dmx - (uint64_t)dmn);
}

static bale_err build_stage(const bale_values *in, const candidate *c, bale__buf *out) {
    switch (c->enc) {
    case BALE_ENC_FOR: return bale__for_encode_variant(in, c->var, out);
    case BALE_ENC_DELTA: return bale__delta_encode_variant(in, c->var, out);
    case BALE_ENC_DICT: return bale__dict_fixed_encode_variant(in, c->var, out);
    default: return bale__encoding_find(c->enc)->encode(in, out);
    }
}

/* Whether a sample of the values looks low-cardinality enough for DICT. */
static int dict_worth_trying(const bale_values *in) {
    uint64_t bits[BALE_POLICY_DICT_BITS / 64] = {0};
    size_t n = in->count < BALE_POLICY_DICT_SAMPLE ? (size_t)in->count : BALE_POLICY_DICT_SAMPLE;
    unsigned set = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t v = in->dtype == BALE_DTYPE_BOOL ? ((const uint8_t *)in->data)[i]
                                                  : ((const uint64_t *)in->data)[i];
        unsigned h = (unsigned)((v * 0x9E3779B97F4A7C15ull) >> 52); /* 12 bits */
        uint64_t bit = (uint64_t)1 << (h & 63);
        set += !(bits[h >> 6] & bit);
        bits[h >> 6] |= bit;
    }
    return set <= BALE_POLICY_DICT_MAX_FILL;
}

/* The running choice: payload bytes and what made them. */
typedef struct choice {
    bale__buf buf;
    bale__pipeline_result res;
    int have;
} choice;

/* Keeps `trial` in `best` when smaller; swaps buffers instead of copying. */
static void consider(choice *best, bale__buf *trial, bale_encoding enc,
                     bale_backend backend, size_t stage_size) {
    if (best->have && trial->size >= best->buf.size) return;
    bale__buf tmp = best->buf;
    best->buf = *trial;
    *trial = tmp;
    best->res.encoding = enc;
    best->res.backend = backend;
    best->res.stage_size = stage_size;
    best->have = 1;
}

/* Whether a get of the choice decodes at most a block: no backend, and
 * not DICT (its sections decode whole) nor DELTA packed with varying
 * deltas (a get sums those before the element: ~1-2 us a 64 KiB chunk). */
static int cheap_get(const choice *c) {
    if (!c->have || c->res.backend != BALE_BACKEND_NONE || c->res.encoding == BALE_ENC_DICT)
        return 0;
    if (c->res.encoding != BALE_ENC_DELTA) return 1;
    const uint8_t *st = c->buf.data; /* no backend: the payload is the stage */
    return c->buf.size >= 2 && (st[1] == 2 /* blocked */ || (st[0] == 0 && st[1] == 0));
}

bale_err bale__policy_numeric(const bale_values *in, int level, unsigned policy,
                              bale__buf *payload,
                              bale__pipeline_result *result) {
    candidate cands[BALE__MAX_CANDIDATES];
    size_t ncand = 0;
    sized pre[2]; /* sized without building */
    size_t npre = 0;
    if (in->dtype != BALE_DTYPE_INT && in->dtype != BALE_DTYPE_FLOAT &&
        in->dtype != BALE_DTYPE_BOOL)
        return BALE_UNSUPPORTED;
    if (in->count == 0)
        return bale__pipeline_encode_fixed(in, BALE_ENC_PLAIN, BALE_BACKEND_NONE, 0,
                                           payload, result);
    /* BALE__POLICY_ACCESS: only candidates whose get decodes at most a block
     * (FOR, PLAIN, blocked stages, a constant DELTA), none with a backend. */
    int any = !(policy & BALE__POLICY_ACCESS);
    uint64_t n = in->count;
    if (in->dtype == BALE_DTYPE_BOOL) {
        cands[ncand++] = bool_candidates[0];
        if (any) cands[ncand++] = bool_candidates[1];
    } else if (in->dtype == BALE_DTYPE_INT) {
        unsigned wf, wd;
        int_widths(in, &wf, &wd);
        pre[npre++] = (sized){BALE_ENC_FOR, BALE__VAR_PACKED, 9 + (n * wf + 7) / 8};
        if (any || wd == 0)
            pre[npre++] = (sized){BALE_ENC_DELTA, BALE__VAR_PACKED, 18 + ((n - 1) * wd + 7) / 8};
        if (n > 1 && wd + BALE_POLICY_SMOOTH_BITS <= wf) {
            if (any)
                cands[ncand++] = (candidate){BALE_ENC_DELTA, BALE__VAR_PATCHED, B_NONE | B_ZSTD};
            cands[ncand++] = (candidate){BALE_ENC_DELTA, BALE__VAR_BLOCKS, B_NONE};
        }
        else if (dict_worth_trying(in)) {
            if (any) cands[ncand++] = (candidate){BALE_ENC_DICT, BALE__VAR_SECTIONS, B_NONE};
            cands[ncand++] = (candidate){BALE_ENC_DICT, BALE__VAR_BLOCKS, B_NONE};
        } else if (any)
            cands[ncand++] = (candidate){BALE_ENC_FOR, BALE__VAR_PLANES, B_ZSTD};
    } else {
        /* Floats: no real data to tune on (design-numeric.md); bit patterns
         * through SHUFFLE, with DICT when values repeat, else XORFLOAT. */
        pre[npre++] = (sized){BALE_ENC_PLAIN, BALE__VAR_PACKED, 8 * n};
        if (dict_worth_trying(in)) {
            if (any) cands[ncand++] = (candidate){BALE_ENC_DICT, BALE__VAR_SECTIONS, B_NONE};
            cands[ncand++] = (candidate){BALE_ENC_DICT, BALE__VAR_BLOCKS, B_NONE};
        } else if (any) {
            cands[ncand++] = (candidate){BALE_ENC_XORFLOAT, BALE__VAR_PACKED, B_ZSTD};
        }
        if (any) cands[ncand++] = (candidate){BALE_ENC_SHUFFLE, BALE__VAR_PACKED, B_ZSTD};
        /* decimals with few digits (prices, counters as floats) as ints */
        if (bale__decimal_worth(in))
            cands[ncand++] = (candidate){BALE_ENC_DECIMAL, BALE__VAR_PACKED, B_NONE};
    }
    if (!any)
        for (size_t i = 0; i < ncand; i++) cands[i].backends &= B_NONE;
    choice best = {{.tmp = 1}, {0}, 0};      /* smallest overall */
    choice fast = {{.tmp = 1}, {0}, 0};      /* smallest without a backend */
    choice access = {{.tmp = 1}, {0}, 0};    /* smallest blocked (random access) */
    bale__buf stage = {.tmp = 1}, trial = {.tmp = 1}, best_stage = {.tmp = 1};
    bale_err err = BALE_OK;
    for (size_t i = 0; i < ncand; i++) {
        const candidate *c = &cands[i];
        stage.size = 0;
        err = build_stage(in, c, &stage);
        if (err == BALE_UNSUPPORTED) continue;
        if (err != BALE_OK) goto done;
        if (c->var == BALE__VAR_BLOCKS) {
            trial.size = 0;
            err = bale__buf_append(&trial, stage.data, stage.size);
            if (err != BALE_OK) goto done;
            consider(&access, &trial, c->enc, BALE_BACKEND_NONE, stage.size);
            continue;
        }
        if (c->backends & B_NONE) {
            trial.size = 0;
            err = bale__buf_append(&trial, stage.data, stage.size);
            if (err != BALE_OK) goto done;
            consider(&fast, &trial, c->enc, BALE_BACKEND_NONE, stage.size);
        }
        if (c->backends & B_ZSTD) {
            trial.size = 0;
            err = bale__backend_compress(BALE_BACKEND_ZSTD, level, stage.data,
                                         stage.size, &trial);
            if (err != BALE_OK) goto done;
            int was = best.have ? (int)best.buf.size : -1;
            consider(&best, &trial, c->enc, BALE_BACKEND_ZSTD, stage.size);
            if (was < 0 || best.buf.size < (size_t)was) {
                /* Keep the winning stage for the lz4 trial below. */
                bale__buf t = best_stage;
                best_stage = stage;
                stage = t;
            }
        }
    }
    /* lz4 on zstd's best stage, kept if nearly as small (faster decode). */
    if (best.have) {
        trial.size = 0;
        err = bale__backend_compress(BALE_BACKEND_LZ4, level, best_stage.data,
                                     best_stage.size, &trial);
        if (err != BALE_OK) goto done;
        if (trial.size <= best.buf.size + best.buf.size / BALE_POLICY_FAST_SLACK) {
            best.have = 0; /* force the swap */
            consider(&best, &trial, best.res.encoding, BALE_BACKEND_LZ4, best_stage.size);
        }
    }
    /* The sized-only candidates: build the smallest if it beats the
     * smallest built stage without a backend. */
    size_t pick = npre;
    for (size_t i = 0; i < npre; i++)
        if ((pick == npre || pre[i].size < pre[pick].size) &&
            (!fast.have || pre[i].size < fast.buf.size))
            pick = i;
    if (pick < npre) {
        const candidate c = {pre[pick].enc, pre[pick].var, B_NONE};
        trial.size = 0;
        err = build_stage(in, &c, &trial);
        if (err != BALE_OK) goto done;
        consider(&fast, &trial, c.enc, BALE_BACKEND_NONE, trial.size);
    }
    /* No backend when nearly as small. */
    if (fast.have &&
        (!best.have || fast.buf.size <= best.buf.size + best.buf.size / BALE_POLICY_FAST_SLACK)) {
        best.have = 0;
        consider(&best, &fast.buf, fast.res.encoding, BALE_BACKEND_NONE, fast.res.stage_size);
    }
    /* Random access when nearly as small and the choice would need a
     * backend pass, DICT's sections or a sum of packed deltas per get.
     * Without a backend FOR, PLAIN and DECIMAL get in O(1), so only a
     * smaller blocked stage replaces those. */
    int winner_cheap = cheap_get(&best);
    if (best.have && !winner_cheap && !(access.have && access.buf.size <= best.buf.size)) {
        /* FOR packed and PLAIN get in O(1): they compete for random access
         * too (random floats: zstd saved ~5%, and a get decoded the chunk,
         * 12 us from Python). */
        const candidate c = {in->dtype == BALE_DTYPE_FLOAT ? BALE_ENC_PLAIN : BALE_ENC_FOR,
                             BALE__VAR_PACKED, B_NONE};
        trial.size = 0;
        err = build_stage(in, &c, &trial);
        if (err != BALE_OK) goto done;
        consider(&access, &trial, c.enc, BALE_BACKEND_NONE, trial.size);
        /* (fast.buf is intact: it lost to best, which has a backend) */
        if (fast.have && fast.res.encoding == BALE_ENC_DECIMAL) /* O(1) too */
            consider(&access, &fast.buf, fast.res.encoding, BALE_BACKEND_NONE,
                     fast.res.stage_size);
    }
    if (access.have) {
        size_t room = SIZE_MAX;
        if (best.have)
            room = best.buf.size +
                   (winner_cheap ? 0
                              : best.buf.size / BALE_POLICY_ACCESS_SLACK +
                                    (best.buf.size * 8 < n
                                         ? (size_t)(n / BALE_POLICY_ACCESS_VALUES_PER_BYTE)
                                         : 0));
        if (access.buf.size <= room) {
            best.have = 0;
            consider(&best, &access.buf, access.res.encoding, BALE_BACKEND_NONE,
                     access.res.stage_size);
        }
    }
    if (!best.have) {
        err = bale__pipeline_encode_fixed(in, BALE_ENC_PLAIN, BALE_BACKEND_NONE, 0,
                                          payload, result);
        goto done;
    }
    err = bale__buf_append(payload, best.buf.data, best.buf.size);
    if (err == BALE_OK) *result = best.res;
done:
    bale__buf_free(&best.buf);
    bale__buf_free(&fast.buf);
    bale__buf_free(&access.buf);
    bale__buf_free(&stage);
    bale__buf_free(&trial);
    bale__buf_free(&best_stage);
    return err;
}
