/* test_list.c - bale_list: every operation against a plain-array model,
 * bale_list_verify after each mutation, copy-on-write, chunk sharing, and
 * every allocation failed in each mutation. */
#include "test_util.h"

#include "bale_list.h"

/* ---- a tiny PRNG ------------------------------------------------------- */
static uint64_t rng_state = 88172645463325252ull;
static uint64_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}
static uint64_t rnd_below(uint64_t n) { return n ? rnd() % n : 0; }

/* ---- int model ----------------------------------------------------------- */
typedef struct imodel {
    int64_t *v;
    uint64_t n, cap;
} imodel;

static void im_splice(imodel *m, uint64_t start, uint64_t stop, const int64_t *ins, uint64_t nins) {
    uint64_t nn = m->n - (stop - start) + nins;
    if (nn > m->cap) {
        m->cap = nn * 2 + 16;
        m->v = realloc(m->v, m->cap * sizeof(int64_t));
    }
    if (m->n > stop) memmove(m->v + start + nins, m->v + stop, (m->n - stop) * sizeof(int64_t));
    if (nins) memcpy(m->v + start, ins, nins * sizeof(int64_t));
    m->n = nn;
}

static void check_ints(bale_list *l, const imodel *m) {
    ASSERT_OK(bale_list_verify(l));
    ASSERT_U64_EQ(bale_list_len(l), m->n);
    /* all through iteration blocks */
    uint64_t i = 0;
    while (i < m->n) {
        bale_list_block *b;
        uint64_t first;
        ASSERT_OK(bale_list_block_at(l, i, 0, &b, &first));
        const bale_values *v = bale_list_block_values(b);
        ASSERT_TRUE(first <= i && i < first + v->count);
        for (uint64_t j = i - first; j < v->count; j++, i++)
            ASSERT_EQ(((const int64_t *)v->data)[j], m->v[i]);
        bale_list_block_release(b);
    }
    /* a few through get and read */
    for (int t = 0; t < 20 && m->n; t++) {
        uint64_t k = rnd_below(m->n);
        bale_values one;
        ASSERT_OK(bale_list_get(l, k, &one));
        ASSERT_U64_EQ(one.count, 1);
        ASSERT_EQ(*(int64_t *)one.data, m->v[k]);
        bale_values_free(&one);
        bale_values scratch = {0};
        const bale_values *vv;
        uint64_t pos;
        ASSERT_OK(bale_list_read(l, k, &scratch, &vv, &pos));
        ASSERT_EQ(((const int64_t *)vv->data)[pos], m->v[k]);
        bale_values_free(&scratch);
    }
    bale_values none;
    ASSERT_ERR(bale_list_get(l, m->n, &none), BALE_RANGE);
}

static int64_t *gen_ints(uint64_t n, int64_t base) {
    int64_t *v = malloc((n ? n : 1) * sizeof(int64_t));
    for (uint64_t i = 0; i < n; i++) v[i] = base + (int64_t)i * 3 - (int64_t)(rnd() % 5);
    return v;
}

static void test_int_basics(void) {
    bale_list *l;
    ASSERT_ERR(bale_list_create((bale_dtype)77, NULL, &l), BALE_INVALID);
    ASSERT_OK(bale_list_create(BALE_DTYPE_INT, NULL, &l));
    ASSERT_EQ(bale_list_dtype(l), BALE_DTYPE_INT);
    imodel m = {0};
    check_ints(l, &m);
    int64_t *v = gen_ints(30000, 0);
    bale_values run = tu_ints(v, 30000);
    ASSERT_OK(bale_list_append(l, &run));
    im_splice(&m, 0, 0, v, 30000);
    check_ints(l, &m);
    ASSERT_TRUE(bale_list_nsegments(l) >= 3);
    /* set */
    int64_t x = -42;
    bale_values one = tu_ints(&x, 1);
    for (int i = 0; i < 100; i++) {
        uint64_t k = rnd_below(m.n);
        x = (int64_t)rnd();
        ASSERT_OK(bale_list_set(l, k, &one));
        m.v[k] = x;
        ASSERT_OK(bale_list_verify(l));
    }
    check_ints(l, &m);
    ASSERT_ERR(bale_list_set(l, m.n, &one), BALE_RANGE);
    /* insert and delete */
    for (int i = 0; i < 60; i++) {
        uint64_t k = rnd_below(m.n + 1);
        uint64_t n = rnd_below(i % 10 == 0 ? 20000 : 50);
        int64_t *ins = gen_ints(n, (int64_t)rnd_below(1000));
        bale_values r = tu_ints(ins, n);
        ASSERT_OK(bale_list_insert(l, k, &r));
        im_splice(&m, k, k, ins, n);
        ASSERT_OK(bale_list_verify(l));
        free(ins);
        uint64_t a = rnd_below(m.n + 1);
        uint64_t b = a + rnd_below(i % 7 == 0 ? 30000 : 40);
        if (b > m.n) b = m.n;
        ASSERT_OK(bale_list_delete(l, a, b));
        im_splice(&m, a, b, NULL, 0);
        ASSERT_OK(bale_list_verify(l));
        if (i % 10 == 0) check_ints(l, &m);
    }
    check_ints(l, &m);
    ASSERT_ERR(bale_list_insert(l, m.n + 1, &one), BALE_RANGE);
    ASSERT_ERR(bale_list_delete(l, 2, 1), BALE_RANGE);
    ASSERT_ERR(bale_list_delete(l, 0, m.n + 1), BALE_RANGE);
    /* wrong dtype */
    double d = 1.5;
    bale_values fl = tu_floats(&d, 1);
    ASSERT_ERR(bale_list_append(l, &fl), BALE_TYPE);
    ASSERT_ERR(bale_list_set_dtype(l, BALE_DTYPE_FLOAT), BALE_BUSY);
    /* count and find */
    x = m.v[m.n / 2];
    uint64_t want = 0, first = UINT64_MAX;
    for (uint64_t i = 0; i < m.n; i++)
        if (m.v[i] == x) {
            want++;
            if (first == UINT64_MAX) first = i;
        }
    uint64_t cnt, at;
    ASSERT_OK(bale_list_count(l, &one, 0, m.n, &cnt));
    ASSERT_U64_EQ(cnt, want);
    ASSERT_OK(bale_list_find(l, &one, 0, m.n, &at));
    ASSERT_U64_EQ(at, first);
    ASSERT_ERR(bale_list_find(l, &one, first + 1, first + 1, &at), BALE_NOTFOUND);
    /* delete everything */
    ASSERT_OK(bale_list_delete(l, 0, m.n));
    m.n = 0;
    check_ints(l, &m);
    ASSERT_EQ(bale_list_nsegments(l), 0);
    ASSERT_OK(bale_list_set_dtype(l, BALE_DTYPE_FLOAT));
    ASSERT_OK(bale_list_append(l, &fl));
    ASSERT_OK(bale_list_verify(l));
    free(v);
    free(m.v);
    bale_list_free(l);
    bale_list_free(NULL);
}

/* Random operations on several lists, with copies and slices sharing. */
static void test_int_random_cow(void) {
    enum { NL = 4 };
    bale_list *ls[NL] = {0};
    imodel ms[NL] = {{0}};
    ASSERT_OK(bale_list_create(BALE_DTYPE_INT, NULL, &ls[0]));
    for (int step = 0; step < 400; step++) {
        int w = (int)rnd_below(NL);
        if (ls[w] == NULL) {
            int src = 0;
            while (ls[src] == NULL) src++;
            if (rnd() & 1) {
                ASSERT_OK(bale_list_copy(ls[src], &ls[w]));
                im_splice(&ms[w], 0, ms[w].n, ms[src].v, ms[src].n);
            } else {
                uint64_t a = rnd_below(ms[src].n + 1);
                uint64_t b = a + rnd_below(ms[src].n - a + 1);
                ASSERT_OK(bale_list_slice(ls[src], a, b, &ls[w]));
                im_splice(&ms[w], 0, ms[w].n, ms[src].v + a, b - a);
            }
            check_ints(ls[w], &ms[w]);
            continue;
        }
        bale_list *l = ls[w];
        imodel *m = &ms[w];
        switch (rnd_below(9)) {
        case 0:
        case 1: {
            uint64_t n = rnd_below(step % 5 ? 100 : 20000);
            int64_t *v = gen_ints(n, (int64_t)rnd_below(1u << 20));
            bale_values r = tu_ints(v, n);
            ASSERT_OK(bale_list_append(l, &r));
            im_splice(m, m->n, m->n, v, n);
            free(v);
            break;
        }
        case 2: {
            uint64_t n = rnd_below(step % 3 ? 10 : 9000);
            uint64_t k = rnd_below(m->n + 1);
            int64_t *v = gen_ints(n, -(int64_t)rnd_below(1u << 30));
            bale_values r = tu_ints(v, n);
            ASSERT_OK(bale_list_insert(l, k, &r));
            im_splice(m, k, k, v, n);
            free(v);
            break;
        }
        case 3: {
            uint64_t a = rnd_below(m->n + 1);
            uint64_t b = a + rnd_below((m->n - a) / (step % 4 ? 50 : 1) + 1);
            ASSERT_OK(bale_list_delete(l, a, b));
            im_splice(m, a, b, NULL, 0);
            break;
        }
        case 4: {
            if (m->n == 0) break;
            for (int t = 0; t < 50; t++) {
                uint64_t k = rnd_below(m->n);
                int64_t x = (int64_t)rnd();
                bale_values one = tu_ints(&x, 1);
                ASSERT_OK(bale_list_set(l, k, &one));
                m->v[k] = x;
            }
            break;
        }
        case 5: {
            uint64_t a = rnd_below(m->n + 1);
            uint64_t b = a + rnd_below(m->n - a + 1);
            uint64_t n = rnd_below(3000);
            int64_t *v = gen_ints(n, 7);
            bale_values r = tu_ints(v, n);
            ASSERT_OK(bale_list_replace(l, a, b, &r));
            im_splice(m, a, b, v, n);
            free(v);
            break;
        }
        case 6: {
            int o = (int)rnd_below(NL);
            if (o == w || ls[o] == NULL) break;
            uint64_t a = rnd_below(ms[o].n + 1);
            uint64_t b = a + rnd_below(ms[o].n - a + 1);
            ASSERT_OK(bale_list_extend_list(l, ls[o], a, b));
            int64_t *tmp = malloc((b - a + 1) * sizeof(int64_t));
            memcpy(tmp, ms[o].v + a, (b - a) * sizeof(int64_t));
            im_splice(m, m->n, m->n, tmp, b - a);
            free(tmp);
            ASSERT_OK(bale_list_verify(ls[o]));
            break;
        }
        case 7: {
            ASSERT_OK(bale_list_reverse(l));
            for (uint64_t i = 0; i < m->n / 2; i++) {
                int64_t t = m->v[i];
                m->v[i] = m->v[m->n - 1 - i];
                m->v[m->n - 1 - i] = t;
            }
            break;
        }
        case 8: {
            if (w != 0 && rnd_below(3) == 0) {
                bale_list_free(l);
                ls[w] = NULL;
                m->n = 0;
                continue;
            }
            ASSERT_OK(bale_list_seal(l));
            break;
        }
        }
        check_ints(l, m);
        /* every other list is untouched by this one's writes */
        for (int o = 0; o < NL; o++)
            if (ls[o] && o != w && rnd_below(4) == 0) check_ints(ls[o], &ms[o]);
    }
    for (int w = 0; w < NL; w++) {
        if (ls[w]) check_ints(ls[w], &ms[w]);
        bale_list_free(ls[w]);
        free(ms[w].v);
    }
}

static void test_sharing_and_nbytes(void) {
    bale_list *l, *c, *s;
    ASSERT_OK(bale_list_create(BALE_DTYPE_INT, NULL, &l));
    int64_t *v = gen_ints(100000, 0);
    bale_values r = tu_ints(v, 100000);
    ASSERT_OK(bale_list_append(l, &r));
    ASSERT_OK(bale_list_seal(l));
    uint64_t nb = bale_list_nbytes(l);
    ASSERT_U64_EQ(bale_list_raw_nbytes(l), 800000);
    int64_t live = bale_memory_live();
    ASSERT_OK(bale_list_copy(l, &c));
    /* a copy costs the table, not the chunks */
    ASSERT_TRUE(bale_memory_live() - live < 16384);
    ASSERT_TRUE(bale_list_nbytes(l) < nb);
    ASSERT_TRUE(bale_list_nbytes(l) + bale_list_nbytes(c) <= nb + 16384);
    bale_chunk *c0, *l0;
    ASSERT_OK(bale_list_segment_chunk(c, 0, &c0));
    ASSERT_OK(bale_list_segment_chunk(l, 0, &l0));
    ASSERT_TRUE(c0 == l0 && bale_chunk_refcount(c0) == 2);
    /* a write to the copy replaces its table entry, the original keeps it */
    int64_t x = 12345;
    bale_values one = tu_ints(&x, 1);
    ASSERT_OK(bale_list_set(c, 5, &one));
    ASSERT_EQ(bale_chunk_refcount(l0), 1);
    bale_values got;
    ASSERT_OK(bale_list_get(l, 5, &got));
    ASSERT_EQ(*(int64_t *)got.data, v[5]);
    bale_values_free(&got);
    ASSERT_OK(bale_list_get(c, 5, &got));
    ASSERT_EQ(*(int64_t *)got.data, 12345);
    bale_values_free(&got);
    /* a slice shares the chunks it covers whole */
    live = bale_memory_live();
    ASSERT_OK(bale_list_slice(l, 10, 90000, &s));
    ASSERT_TRUE(bale_memory_live() - live < 3 * 65536);
    ASSERT_OK(bale_list_verify(s));
    ASSERT_U64_EQ(bale_list_len(s), 89990);
    ASSERT_OK(bale_list_get(s, 0, &got));
    ASSERT_EQ(*(int64_t *)got.data, v[10]);
    bale_values_free(&got);
    bale_list_free(l);
    ASSERT_OK(bale_list_verify(s));
    ASSERT_OK(bale_list_get(s, 89989, &got));
    ASSERT_EQ(*(int64_t *)got.data, v[89999]);
    bale_values_free(&got);
    /* chunks moved to another list by reference */
    bale_list *d;
    ASSERT_OK(bale_list_create(BALE_DTYPE_INT, NULL, &d));
    for (uint64_t k = 0; k < bale_list_nsegments(c); k++) {
        bale_chunk *ch;
        ASSERT_OK(bale_list_segment_chunk(c, k, &ch));
        ASSERT_OK(bale_list_append_chunk(d, ch));
    }
    ASSERT_OK(bale_list_verify(d));
    ASSERT_U64_EQ(bale_list_len(d), 100000);
    bale_list_free(c);
    ASSERT_OK(bale_list_get(d, 5, &got));
    ASSERT_EQ(*(int64_t *)got.data, 12345);
    bale_values_free(&got);
    bale_list *f;
    ASSERT_OK(bale_list_create(BALE_DTYPE_FLOAT, NULL, &f));
    bale_chunk *ch;
    ASSERT_OK(bale_list_segment_chunk(d, 0, &ch));
    ASSERT_ERR(bale_list_append_chunk(f, ch), BALE_TYPE);
    ASSERT_ERR(bale_list_extend_list(f, d, 0, 1), BALE_TYPE);
    ASSERT_ERR(bale_list_extend_list(d, d, 0, 1), BALE_INVALID);
    bale_list_free(f);
    bale_list_free(d);
    bale_list_free(s);
    free(v);
}

/* ---- str model ------------------------------------------------------------- */
typedef struct smodel {
    char **v;
    uint64_t n, cap;
} smodel;

static void sm_splice(smodel *m, uint64_t start, uint64_t stop, char **ins, uint64_t nins) {
    for (uint64_t i = start; i < stop; i++) free(m->v[i]);
    uint64_t nn = m->n - (stop - start) + nins;
    if (nn > m->cap) {
        m->cap = nn * 2 + 16;
        m->v = realloc(m->v, m->cap * sizeof(char *));
    }
    memmove(m->v + start + nins, m->v + stop, (m->n - stop) * sizeof(char *));
    for (uint64_t i = 0; i < nins; i++) m->v[start + i] = strdup(ins[i]);
    m->n = nn;
}

static char **gen_strs(uint64_t n, bale_values *out) {
    char **s = malloc((n ? n : 1) * sizeof(char *));
    for (uint64_t i = 0; i < n; i++) {
        size_t len = rnd_below(8) == 0 ? rnd_below(300) : rnd_below(12);
        s[i] = malloc(len + 1);
        for (size_t j = 0; j < len; j++) s[i][j] = (char)('a' + rnd_below(26));
        s[i][len] = 0;
    }
    *out = tu_strs(BALE_DTYPE_STR, (const char *const *)s, n);
    return s;
}
static void free_strs(char **s, uint64_t n, bale_values *v) {
    for (uint64_t i = 0; i < n; i++) free(s[i]);
    free(s);
    tu_free(v);
}

static void check_strs(bale_list *l, const smodel *m) {
    ASSERT_OK(bale_list_verify(l));
    ASSERT_U64_EQ(bale_list_len(l), m->n);
    uint64_t i = 0;
    while (i < m->n) {
        bale_list_block *b;
        uint64_t first;
        ASSERT_OK(bale_list_block_at(l, i, BALE_LIST_CACHE, &b, &first));
        const bale_values *v = bale_list_block_values(b);
        for (uint64_t j = i - first; j < v->count; j++, i++) {
            uint64_t len = v->offsets[j + 1] - v->offsets[j];
            ASSERT_U64_EQ(len, strlen(m->v[i]));
            ASSERT_MEM_EQ((const char *)v->data + v->offsets[j], m->v[i], len);
        }
        bale_list_block_release(b);
    }
}

/* nbytes is what the list holds: the library's live bytes grow by exactly
 * that, for sealed ints and strings (with shared tables: FSST, then CTX
 * from the 32nd chunk).  The codecs' per-thread contexts (zstd's, ~0.5 MB,
 * which grow with what they compress) are no list's: they are freed
 * before each reading.  Each kind is built twice and measured the second
 * time. */
static void test_nbytes_is_live(void) {
    for (int round = 0; round < 4; round++) {
        int str = round >= 2;
        bale_thread_cleanup();
        int64_t before = bale_memory_live();
        bale_list *l;
        ASSERT_OK(bale_list_create(str ? BALE_DTYPE_STR : BALE_DTYPE_INT, NULL, &l));
        for (int batch = 0; batch < 40; batch++) {
            bale_values r;
            if (str) {
                char **s = gen_strs(3000, &r);
                ASSERT_OK(bale_list_append(l, &r));
                free_strs(s, 3000, &r);
            } else {
                int64_t *v = gen_ints(7000, 0);
                r = tu_ints(v, 7000);
                ASSERT_OK(bale_list_append(l, &r));
                free(v);
            }
        }
        ASSERT_OK(bale_list_seal(l));
        bale_thread_cleanup();
        int64_t grew = bale_memory_live() - before;
        int64_t nb = (int64_t)bale_list_nbytes(l);
        bale_list_free(l);
        if (round % 2 == 0) continue;
        ASSERT_EQ(grew, nb);
        ASSERT_EQ(bale_memory_live(), before);
    }
}

static void test_str_random(void) {
    bale_list *l, *c = NULL;
    smodel m = {0}, mc = {0};
    ASSERT_OK(bale_list_create(BALE_DTYPE_STR, NULL, &l));
    for (int step = 0; step < 300; step++) {
        bale_values r;
        uint64_t n = rnd_below(step % 6 ? 40 : 6000);
        char **s = gen_strs(n, &r);
        switch (rnd_below(6)) {
        case 0:
            ASSERT_OK(bale_list_append(l, &r));
            sm_splice(&m, m.n, m.n, s, n);
            break;
        case 1: {
            uint64_t k = rnd_below(m.n + 1);
            ASSERT_OK(bale_list_insert(l, k, &r));
            sm_splice(&m, k, k, s, n);
            break;
        }
        case 2: {
            uint64_t a = rnd_below(m.n + 1);
            uint64_t b = a + rnd_below((m.n - a) / 4 + 1);
            ASSERT_OK(bale_list_replace(l, a, b, &r));
            sm_splice(&m, a, b, s, n);
            break;
        }
        case 3:
            if (m.n && n) {
                uint64_t k = rnd_below(m.n);
                bale_values one = tu_strs(BALE_DTYPE_STR, (const char *const *)s, 1);
                ASSERT_OK(bale_list_set(l, k, &one));
                sm_splice(&m, k, k + 1, s, 1);
                uint64_t cnt, at, want = 0;
                for (uint64_t i = 0; i < m.n; i++) want += strcmp(m.v[i], s[0]) == 0;
                ASSERT_OK(bale_list_count(l, &one, 0, m.n, &cnt));
                ASSERT_U64_EQ(cnt, want);
                ASSERT_OK(bale_list_find(l, &one, 0, m.n, &at));
                ASSERT_TRUE(at <= k && strcmp(m.v[at], s[0]) == 0);
                tu_free(&one);
            }
            break;
        case 4: {
            uint64_t a = rnd_below(m.n + 1);
            uint64_t b = a + rnd_below((m.n - a) / 3 + 1);
            ASSERT_OK(bale_list_delete(l, a, b));
            sm_splice(&m, a, b, NULL, 0);
            break;
        }
        case 5:
            bale_list_free(c);
            ASSERT_OK(bale_list_copy(l, &c));
            sm_splice(&mc, 0, mc.n, m.v, m.n);
            break;
        }
        free_strs(s, n, &r);
        check_strs(l, &m);
        if (c) check_strs(c, &mc);
    }
    ASSERT_OK(bale_list_reverse(l));
    for (uint64_t i = 0; i < m.n / 2; i++) {
        char *t = m.v[i];
        m.v[i] = m.v[m.n - 1 - i];
        m.v[m.n - 1 - i] = t;
    }
    check_strs(l, &m);
    sm_splice(&m, 0, m.n, NULL, 0);
    sm_splice(&mc, 0, mc.n, NULL, 0);
    free(m.v);
    free(mc.v);
    bale_list_free(l);
    bale_list_free(c);
}

static void test_big_elements(void) {
    /* elements larger than a chunk each make one-element segments */
    bale_list *l;
    ASSERT_OK(bale_list_create(BALE_DTYPE_BYTES, NULL, &l));
    size_t big = 200000;
    char *s = malloc(big + 1);
    memset(s, 'x', big);
    s[big] = 0;
    const char *arr[3] = {s, "small", s};
    bale_values r = tu_strs(BALE_DTYPE_BYTES, arr, 3);
    ASSERT_OK(bale_list_append(l, &r));
    ASSERT_OK(bale_list_verify(l));
    ASSERT_OK(bale_list_insert(l, 1, &r));
    ASSERT_OK(bale_list_verify(l));
    ASSERT_U64_EQ(bale_list_len(l), 6);
    bale_values got;
    ASSERT_OK(bale_list_get(l, 2, &got));
    ASSERT_U64_EQ(got.data_size, 5);
    bale_values_free(&got);
    ASSERT_OK(bale_list_delete(l, 0, 2));
    ASSERT_OK(bale_list_verify(l));
    tu_free(&r);
    free(s);
    bale_list_free(l);
}

static void test_floats_and_bools(void) {
    bale_list *l;
    ASSERT_OK(bale_list_create(BALE_DTYPE_FLOAT, NULL, &l));
    double d[4] = {0.0, -0.0, NAN, 2.5};
    bale_values r = tu_floats(d, 4);
    ASSERT_OK(bale_list_append(l, &r));
    double z = 0.0, nan = NAN;
    bale_values one = tu_floats(&z, 1);
    uint64_t cnt;
    ASSERT_OK(bale_list_count(l, &one, 0, 4, &cnt));
    ASSERT_U64_EQ(cnt, 2);
    one = tu_floats(&nan, 1);
    ASSERT_OK(bale_list_count(l, &one, 0, 4, &cnt));
    ASSERT_U64_EQ(cnt, 0);
    bale_list_free(l);
    ASSERT_OK(bale_list_create(BALE_DTYPE_BOOL, NULL, &l));
    uint8_t b[3] = {1, 0, 2};
    r = tu_bools(b, 3);
    ASSERT_ERR(bale_list_append(l, &r), BALE_INVALID);
    r.count = 2;
    r.data_size = 2;
    ASSERT_OK(bale_list_append(l, &r));
    ASSERT_OK(bale_list_verify(l));
    bale_list_free(l);
}

/* ---- every allocation failing ---------------------------------------------- */

static bale_list *make_list(bale_dtype dt, uint64_t n) {
    bale_list *l;
    ASSERT_OK(bale_list_create(dt, NULL, &l));
    if (dt == BALE_DTYPE_INT) {
        int64_t *v = gen_ints(n, 0);
        bale_values r = tu_ints(v, n);
        ASSERT_OK(bale_list_append(l, &r));
        free(v);
    } else {
        bale_values r;
        char **s = gen_strs(n, &r);
        ASSERT_OK(bale_list_append(l, &r));
        free_strs(s, n, &r);
    }
    return l;
}

#define NOMEM_OK(expr)                                                          \
    do {                                                                        \
        bale_err e_ = (expr);                                                   \
        ASSERT_TRUE(e_ == BALE_OK || e_ == BALE_NOMEM);                         \
    } while (0)

static void test_every_allocation_failure(void) {
    for (int dti = 0; dti < 2; dti++) {
        bale_dtype dt = dti ? BALE_DTYPE_STR : BALE_DTYPE_INT;
        bale_values run;
        char **s = NULL;
        int64_t *iv = NULL;
        uint64_t nrun = 12000;
        if (dti) s = gen_strs(nrun, &run);
        else {
            iv = gen_ints(nrun, 5);
            run = tu_ints(iv, nrun);
        }
        bale_list *base = make_list(dt, 20000);
        for (int op = 0; op < 9; op++) {
            BALE_TEST_FOR_EACH_FAILURE({
                bale_list *l = NULL;
                bale_err e = bale_list_copy(base, &l);
                ASSERT_TRUE(e == BALE_OK || e == BALE_NOMEM);
                if (e == BALE_OK) {
                    uint64_t n0 = bale_list_len(l);
                    switch (op) {
                    case 0: NOMEM_OK(bale_list_append(l, &run)); break;
                    case 1: NOMEM_OK(bale_list_insert(l, n0 / 2, &run)); break;
                    case 2: NOMEM_OK(bale_list_delete(l, 100, n0 - 100)); break;
                    case 3: NOMEM_OK(bale_list_delete(l, 10, 20)); break;
                    case 4: {
                        bale_values one = run;
                        one.count = 1;
                        if (!dti) one.data_size = 8;
                        else one.data_size = run.offsets[1];
                        NOMEM_OK(bale_list_set(l, 7, &one));
                        break;
                    }
                    case 5: {
                        bale_list *sl = NULL;
                        NOMEM_OK(bale_list_slice(l, 3, n0 - 5, &sl));
                        if (sl) ASSERT_OK(bale_list_verify(sl));
                        bale_list_free(sl);
                        break;
                    }
                    case 6: NOMEM_OK(bale_list_reverse(l)); break;
                    case 7: NOMEM_OK(bale_list_replace(l, 50, 9000, &run)); break;
                    case 8: {
                        NOMEM_OK(bale_list_seal(l));
                        bale_values got;
                        e = bale_list_get(l, 15000, &got);
                        ASSERT_TRUE(e == BALE_OK || e == BALE_NOMEM);
                        if (e == BALE_OK) bale_values_free(&got);
                        break;
                    }
                    }
                    ASSERT_OK(bale_list_verify(l));
                    if (op == 0) ASSERT_TRUE(bale_list_len(l) >= n0);
                    if (op == 1 || op == 2 || op == 3 || op == 7 || op == 6) {
                        /* all-or-nothing */
                        uint64_t n1 = bale_list_len(l);
                        ASSERT_TRUE(n1 == n0 ||
                                    n1 == (op == 1 ? n0 + nrun
                                           : op == 2 ? 200
                                           : op == 3 ? n0 - 10
                                           : op == 7 ? n0 - 8950 + nrun
                                                     : n0));
                    }
                }
                bale_list_free(l);
            });
            ASSERT_OK(bale_list_verify(base));
        }
        bale_list_free(base);
        if (dti) free_strs(s, nrun, &run);
        else free(iv);
    }
}

/* A list of the n ints at v (copied). */
static bale_list *list_of_ints(const int64_t *v, uint64_t n) {
    bale_list *l;
    ASSERT_OK(bale_list_create(BALE_DTYPE_INT, NULL, &l));
    bale_values r = tu_ints(v, n);
    ASSERT_OK(bale_list_append(l, &r));
    return l;
}

/* A sealed segment is decoded into the cache on its third read while it is
 * remembered (list.c, BALE__LIST_RECENT_READS), not before: random reads
 * fetch single elements, a loop over one chunk decodes it once. */
static void test_read_cache_trigger(void) {
    uint64_t n = 100000;
    int64_t *want = gen_ints(n, 11);
    bale_list *l = list_of_ints(want, n);
    ASSERT_OK(bale_list_seal(l));
    uint64_t base = bale_list_nbytes(l);
    for (int read = 1; read <= 3; read++) {
        bale_values got;
        ASSERT_OK(bale_list_get(l, 20000 + (uint64_t)read, &got));
        ASSERT_EQ(((int64_t *)got.data)[0], want[20000 + read]);
        bale_values_free(&got);
        if (read < 3) ASSERT_U64_EQ(bale_list_nbytes(l), base); /* single gets */
        else ASSERT_TRUE(bale_list_nbytes(l) >= base + BALE_LIST_CHUNK_TARGET / 2); /* cached */
    }
    /* reads spread over other segments, one each, decode nothing */
    ASSERT_OK(bale_list_seal(l)); /* drops the cached block */
    base = bale_list_nbytes(l);
    for (uint64_t i = 30000; i < n; i += 9000) { /* not segment 2, still remembered */
        bale_values got;
        ASSERT_OK(bale_list_get(l, i, &got));
        ASSERT_EQ(((int64_t *)got.data)[0], want[i]);
        bale_values_free(&got);
    }
    ASSERT_U64_EQ(bale_list_nbytes(l), base);
    bale_list_free(l);
    free(want);
}

/* ---- bale_list_visit: every element once, from any number of threads ---- */

typedef struct visit_check {
    const int64_t *want;  /* the list's values */
    uint64_t n;
    unsigned char *seen;  /* per element: visits (segments cover disjoint ranges) */
    int64_t sums[8];      /* per worker */
    uint64_t stop_at_seg; /* fn fails on this segment (UINT64_MAX: never) */
} visit_check;

static bale_err visit_fn(void *ctx, unsigned worker, uint64_t seg, uint64_t first,
                         const bale_values *v) {
    visit_check *c = ctx;
    if (seg == c->stop_at_seg) return BALE_TYPE;
    if (worker >= 8 || v->dtype != BALE_DTYPE_INT || first + v->count > c->n) return BALE_INVALID;
    const int64_t *x = v->data;
    for (uint64_t i = 0; i < v->count; i++) {
        if (x[i] != c->want[first + i]) return BALE_CORRUPT;
        c->seen[first + i]++;
        c->sums[worker] += x[i];
    }
    return BALE_OK;
}

static void test_visit(void) {
    uint64_t n = 300000;
    int64_t *want = gen_ints(n, 3);
    bale_list *l = list_of_ints(want, n);
    /* an open segment in the middle (written, not sealed) and a cached one */
    want[12345] = -7;
    bale_values one = tu_ints(&want[12345], 1);
    ASSERT_OK(bale_list_set(l, 12345, &one));
    bale_values got;
    ASSERT_OK(bale_list_get(l, 200000, &got));
    bale_values_free(&got);
    ASSERT_TRUE(bale_list_nsegments(l) > 8);
    int64_t total = 0;
    for (uint64_t i = 0; i < n; i++) total += want[i];
    unsigned char *seen = calloc(n, 1);
    ASSERT_TRUE(seen != NULL);
    const unsigned threads[] = {0, 1, 2, 3, 8};
    for (size_t t = 0; t < sizeof threads / sizeof *threads; t++) {
        visit_check c = {want, n, seen, {0}, UINT64_MAX};
        memset(seen, 0, n);
        ASSERT_OK(bale_list_visit(l, threads[t], visit_fn, &c));
        int64_t sum = 0;
        for (int w = 0; w < 8; w++) {
            if ((unsigned)w >= (threads[t] ? threads[t] : 1)) ASSERT_EQ(c.sums[w], 0);
            sum += c.sums[w];
        }
        ASSERT_EQ(sum, total);
        for (uint64_t i = 0; i < n; i++) ASSERT_EQ(seen[i], 1);
    }
    /* the first error stops the visit and is returned */
    for (unsigned t = 1; t <= 4; t *= 2) {
        visit_check c = {want, n, seen, {0}, 5};
        ASSERT_ERR(bale_list_visit(l, t, visit_fn, &c), BALE_TYPE);
    }
    /* allocation failures (one thread: the test allocator is not thread-safe) */
    ASSERT_OK(bale_list_seal(l));
    visit_check cf = {want, n, seen, {0}, UINT64_MAX};
    BALE_TEST_FOR_EACH_FAILURE({
        cf.sums[0] = 0;
        bale_err e = bale_list_visit(l, 1, visit_fn, &cf);
        ASSERT_TRUE(e == BALE_OK || e == BALE_NOMEM);
        if (e == BALE_OK) ASSERT_EQ(cf.sums[0], total);
    });
    /* an empty list */
    bale_list *empty;
    ASSERT_OK(bale_list_create(BALE_DTYPE_INT, NULL, &empty));
    visit_check c0 = {want, 0, seen, {0}, UINT64_MAX};
    ASSERT_OK(bale_list_visit(empty, 4, visit_fn, &c0));
    ASSERT_ERR(bale_list_visit(NULL, 1, visit_fn, &c0), BALE_INVALID);
    ASSERT_ERR(bale_list_visit(empty, 1, NULL, &c0), BALE_INVALID);
    bale_list_free(empty);
    bale_list_free(l);
    free(seen);
    free(want);
}

/* Appends `n` categories to l and m, in runs of 1000: the first `head`
 * skewed one way, the rest with the skew moved by five categories. */
static void append_categories(bale_list *l, smodel *m, uint64_t head, uint64_t n) {
    for (uint64_t at = 0; at < n; at += 1000) {
        uint64_t k = n - at < 1000 ? n - at : 1000;
        char **s = malloc(k * sizeof(char *));
        for (uint64_t i = 0; i < k; i++) {
            uint64_t x = rnd_below(1000), idx = x * x / 5000; /* 0..199, low ones common */
            s[i] = malloc(8);
            snprintf(s[i], 8, "K%03u", (unsigned)(m->n + i < head ? idx : (idx + 5) % 200));
        }
        bale_values r = tu_strs(BALE_DTYPE_STR, (const char *const *)s, k);
        ASSERT_OK(bale_list_append(l, &r));
        sm_splice(m, m->n, m->n, s, k);
        free_strs(s, k, &r);
    }
}

static const bale_symtab *seg_table(bale_list *l, uint64_t k) {
    bale_chunk *c;
    ASSERT_OK(bale_list_segment_chunk(l, k, &c));
    return bale_chunk_symtab(c);
}

/* A list of categories relearns its table once it has sealed eight chunks:
 * its first chunks are re-encoded against the table the later ones use,
 * unless another list shares them. */
static void test_relearn(void) {
    const uint64_t per_chunk = 5461; /* "Knnn": 4 bytes + 8 raw each, 64 KiB */
    bale_list *l, *s, *c;
    smodel m = {0}, ms = {0};
    ASSERT_OK(bale_list_create(BALE_DTYPE_STR, NULL, &l));
    rng_state = 88172645463325252ull;
    append_categories(l, &m, per_chunk, 4 * per_chunk);
    bale_symtab *trained = bale_symtab_incref((bale_symtab *)seg_table(l, 0));
    append_categories(l, &m, per_chunk, 8 * per_chunk);
    ASSERT_TRUE(bale_list_nsegments(l) >= 10);
    const bale_symtab *t0 = seg_table(l, 0);
    ASSERT_TRUE(t0 != NULL && t0 != trained && seg_table(l, 9) == t0 && seg_table(l, 7) == t0);
    bale_symtab_decref(trained);
    check_strs(l, &m);
    ASSERT_OK(bale_list_seal(l)); /* drops cached blocks */
    uint64_t relearnt_bytes = bale_list_nbytes(l);

    /* the same values, with a copy sharing the first chunks: no relearn */
    ASSERT_OK(bale_list_create(BALE_DTYPE_STR, NULL, &s));
    rng_state = 88172645463325252ull;
    append_categories(s, &ms, per_chunk, 4 * per_chunk);
    ASSERT_OK(bale_list_copy(s, &c));
    const bale_symtab *first = seg_table(s, 0);
    append_categories(s, &ms, per_chunk, 8 * per_chunk);
    ASSERT_TRUE(seg_table(s, 0) == first && seg_table(s, 9) == first);
    check_strs(s, &ms);
    bale_list_free(c); /* nbytes counts shared chunks in part */
    ASSERT_OK(bale_list_seal(s));
    ASSERT_TRUE(relearnt_bytes < bale_list_nbytes(s));
    bale_list_free(s);
    bale_list_free(l);
    sm_splice(&m, 0, m.n, NULL, 0);
    sm_splice(&ms, 0, ms.n, NULL, 0);
    free(m.v);
    free(ms.v);
}

BALE_TEST_MAIN(BALE_TEST(test_int_basics), BALE_TEST(test_int_random_cow),
               BALE_TEST(test_sharing_and_nbytes), BALE_TEST(test_nbytes_is_live), BALE_TEST(test_str_random),
               BALE_TEST(test_big_elements), BALE_TEST(test_floats_and_bools),
               BALE_TEST(test_every_allocation_failure), BALE_TEST(test_visit), BALE_TEST(test_read_cache_trigger),
               BALE_TEST(test_relearn))
