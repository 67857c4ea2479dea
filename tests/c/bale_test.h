/*
 * bale_test.h - the C tests' tiny framework.
 *
 * Each test file is its own executable (meson runs each in its own process
 * with a timeout).  A test is a `static void test_name(void)`; list them in
 * BALE_TEST_MAIN.  Typed asserts print both sides on failure and abort the
 * test process, which meson reports as failed.
 *
 * Fault injection: bale_test_fail_after(n) makes the n-th allocation from now
 * fail (n >= 1); 0 disables it.  bale_test_for_each_failure(body) runs body
 * with the 1st, 2nd, ... allocation failing until a run sees no failure, and
 * checks that no bytes leak in any run.
 */
#ifndef BALE_TEST_H
#define BALE_TEST_H

#include "bale.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BALE__FAIL(...)                                                        \
    do {                                                                       \
        fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                        \
        fprintf(stderr, __VA_ARGS__);                                          \
        fputc('\n', stderr);                                                   \
        abort();                                                               \
    } while (0)

#define ASSERT_TRUE(c)                                                         \
    do {                                                                       \
        if (!(c)) BALE__FAIL("assertion failed: %s", #c);                      \
    } while (0)
#define ASSERT_EQ(a, b)                                                        \
    do {                                                                       \
        long long bale__a = (long long)(a), bale__b = (long long)(b);          \
        if (bale__a != bale__b)                                                \
            BALE__FAIL("%s == %s: %lld != %lld", #a, #b, bale__a, bale__b);    \
    } while (0)
#define ASSERT_U64_EQ(a, b)                                                    \
    do {                                                                       \
        uint64_t bale__a = (uint64_t)(a), bale__b = (uint64_t)(b);             \
        if (bale__a != bale__b)                                                \
            BALE__FAIL("%s == %s: %" PRIu64 " != %" PRIu64, #a, #b, bale__a,   \
                       bale__b);                                               \
    } while (0)
#define ASSERT_OK(expr)                                                        \
    do {                                                                       \
        bale_err bale__e = (expr);                                             \
        if (bale__e != BALE_OK)                                                \
            BALE__FAIL("%s: %s (%s)", #expr, bale_errname(bale__e),            \
                       bale_strerror(bale__e));                                \
    } while (0)
#define ASSERT_ERR(expr, want)                                                 \
    do {                                                                       \
        bale_err bale__e = (expr), bale__w = (want);                           \
        if (bale__e != bale__w)                                                \
            BALE__FAIL("%s: got %s, want %s", #expr, bale_errname(bale__e),    \
                       bale_errname(bale__w));                                 \
    } while (0)
#define ASSERT_MEM_EQ(a, b, n)                                                 \
    do {                                                                       \
        size_t bale__n = (size_t)(n);                                          \
        if (bale__n != 0 && memcmp((a), (b), bale__n) != 0)                    \
            BALE__FAIL("%s and %s differ in their %zu bytes", #a, #b,          \
                       (size_t)(n));                                           \
    } while (0)

/* ---- the failing allocator ------------------------------------------------ */
static long bale__test_countdown; /* allocations left before a failure; 0 = off */
static long bale__test_failures;  /* failures injected so far */

static void *bale__test_malloc(void *ctx, size_t n) {
    (void)ctx;
    if (bale__test_countdown > 0 && --bale__test_countdown == 0) {
        bale__test_failures++;
        return NULL;
    }
    return malloc(n);
}
static void *bale__test_realloc(void *ctx, void *p, size_t n) {
    (void)ctx;
    if (bale__test_countdown > 0 && --bale__test_countdown == 0) {
        bale__test_failures++;
        return NULL;
    }
    return realloc(p, n);
}
static void bale__test_free(void *ctx, void *p) {
    (void)ctx;
    free(p);
}
static const bale_allocator bale_test_allocator = {
    bale__test_malloc, bale__test_realloc, bale__test_free, NULL};

static inline void bale_test_fail_after(long n) { bale__test_countdown = n; }

/* Runs `body` (a statement that must clean up after itself whatever errors it
 * sees) with allocation n failing, for n = 1, 2, ... until a run completes
 * with no injected failure.  Asserts no leak after every run.  Evaluates to
 * the number of runs. */
#define BALE_TEST_FOR_EACH_FAILURE(body)                                       \
    do {                                                                       \
        for (long bale__n = 1;; bale__n++) {                                   \
            bale_thread_cleanup();                                             \
            int64_t bale__live = bale_memory_live();                           \
            long bale__before = bale__test_failures;                           \
            bale_test_fail_after(bale__n);                                     \
            body;                                                              \
            bale_test_fail_after(0);                                           \
            bale_thread_cleanup();                                             \
            ASSERT_EQ(bale_memory_live(), bale__live);                         \
            if (bale__test_failures == bale__before) break;                    \
            if (bale__n > 100000) BALE__FAIL("no end to allocations");         \
        }                                                                      \
    } while (0)

typedef struct bale_test_case {
    const char *name;
    void (*fn)(void);
} bale_test_case;

#define BALE_TEST(fn) {#fn, fn}

/* Runs every test (or those whose name contains argv[1]); prints a line per
 * test and checks that each leaves the library's live bytes unchanged. */
#define BALE_TEST_MAIN(...)                                                    \
    int main(int argc, char **argv) {                                          \
        static const bale_test_case cases[] = {__VA_ARGS__};                   \
        if (bale_set_allocator(&bale_test_allocator) != BALE_OK) return 2;     \
        int ran = 0;                                                           \
        for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {            \
            if (argc > 1 && strstr(cases[i].name, argv[1]) == NULL) continue; \
            int64_t live = bale_memory_live();                                 \
            cases[i].fn();                                                     \
            bale_thread_cleanup();                                             \
            if (bale_memory_live() != live)                                    \
                BALE__FAIL("%s leaked %lld bytes", cases[i].name,              \
                           (long long)(bale_memory_live() - live));            \
            printf("ok %s\n", cases[i].name);                                  \
            ran++;                                                             \
        }                                                                      \
        printf("%d passed, 0 failed\n", ran);                                  \
        return 0;                                                              \
    }

#endif
