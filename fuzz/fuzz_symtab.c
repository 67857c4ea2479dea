/*
 * fuzz_symtab.c - untrusted shared string tables (FSST symbol tables, DICT
 * value tables and CTX context models) and the chunks that use them: bale_symtab_from_bytes, then bale_chunk_validate_with and
 * bale_chunk_from_bytes_with against the table, decode, get, and encoding
 * with the table.
 *
 * Input: u16 L (little-endian), L bytes of table, then the chunk bytes
 * (fuzz/make_corpus_symtab.c writes seeds in this form).
 *
 * Promises checked for every input: no crash or out-of-bounds access; a
 * table that loads gives back its bytes unchanged and reloads with the same
 * id; the validator and from_bytes_with agree; a validated chunk decodes to
 * the count, dtype and raw size of its header; gets (the first cached the
 * chunk's decoder, the later ones use it) agree with the full decode; an
 * index past the end is BALE_RANGE; the decoded values re-encode against the
 * table with FSST, DICT and CTX (against it when the kind matches, with the
 * table's flags, or self-contained when the encoder prefers)
 * to a chunk that decodes to the same values and validates with the table;
 * nothing leaks.
 */
#include "fuzz.h"

static void check_get(const bale_chunk *c, const bale_values *all, uint64_t i) {
    bale_values one;
    memset(&one, 0, sizeof one);
    FUZZ_CHECK(bale_chunk_get(c, i, &one) == BALE_OK);
    FUZZ_CHECK(fuzz_element_equal(all, i, &one));
    bale_values_free(&one);
}

static void check_encode_with(const bale_values *all, const bale_symtab *tab) {
    if (all->dtype != BALE_DTYPE_STR && all->dtype != BALE_DTYPE_BYTES &&
        all->dtype != BALE_DTYPE_OBJECT)
        return;
    /* FSST takes FSST tables, DICT takes DICT tables, CTX CTX tables; FSST
     * and DICT encode on their own with another kind, CTX refuses. */
    static const bale_codec_opts opts[] = {{BALE_ENC_FSST, BALE_BACKEND_NONE, 0},
                                           {BALE_ENC_DICT, BALE_BACKEND_NONE, 0},
                                           {BALE_ENC_CTX, BALE_BACKEND_NONE, 0}};
    for (size_t k = 0; k < sizeof opts / sizeof *opts; k++) {
        bale_chunk *again = NULL;
        if (bale_chunk_encode_with(all, &opts[k], tab, &again) != BALE_OK) continue; /* may refuse */
        bale_values back;
        fuzz_check_reencoded(again, all, tab, &back);
        if (back.count > 0) check_get(again, &back, back.count - 1);
        bale_values_free(&back);
        bale_chunk_decref(again);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    int64_t before = fuzz_live_before();
    if (size < 2) return 0;
    size_t tl = (size_t)data[0] | (size_t)data[1] << 8;
    if (tl > size - 2) tl = size - 2;
    const uint8_t *tb = data + 2, *cb = tb + tl;
    size_t cn = size - 2 - tl;
    bale_symtab *tab = NULL;
    bale_err terr = bale_symtab_from_bytes(tb, tl, &tab);
    if (terr != BALE_OK) {
        FUZZ_CHECK(tab == NULL || terr == BALE_OK);
        fuzz_check_no_leak(before);
        return 0;
    }
    size_t bn;
    const void *bytes = bale_symtab_bytes(tab, &bn);
    FUZZ_CHECK(bn == tl && memcmp(bytes, tb, tl) == 0);
    bale_symtab *again;
    FUZZ_CHECK(bale_symtab_from_bytes(bytes, bn, &again) == BALE_OK);
    FUZZ_CHECK(bale_symtab_id(again) == bale_symtab_id(tab));
    bale_symtab_decref(again);

    bale_err valid = bale_chunk_validate_with(cb, cn, tab);
    bale_chunk *c = NULL;
    bale_err made = bale_chunk_from_bytes_with(cb, cn, tab, &c);
    FUZZ_CHECK(valid == made);
    if (made == BALE_OK) {
        bale_values all;
        memset(&all, 0, sizeof all);
        FUZZ_CHECK(bale_chunk_decode(c, &all) == BALE_OK);
        uint64_t count = bale_chunk_count(c);
        FUZZ_CHECK(all.count == count && all.dtype == bale_chunk_dtype(c));
        size_t width = bale_dtype_width(all.dtype);
        FUZZ_CHECK(bale_chunk_raw_size(c) == (width ? count * width : all.data_size + 8 * count));
        if (count > 0) {
            check_get(c, &all, count - 1);
            check_get(c, &all, 0);
            check_get(c, &all, count / 2);
            check_get(c, &all, (uint64_t)data[size - 1] * 7919u % count);
        }
        bale_values none;
        memset(&none, 0, sizeof none);
        FUZZ_CHECK(bale_chunk_get(c, count, &none) == BALE_RANGE);
        fuzz_check_ids(c, &all);
        /* The chunk holds the table (or none, self-contained). */
        FUZZ_CHECK(bale_chunk_symtab(c) == NULL || bale_chunk_symtab(c) == tab);
        check_encode_with(&all, tab);
        bale_values_free(&all);
        bale_chunk_decref(c);
    } else {
        FUZZ_CHECK(c == NULL);
    }
    bale_symtab_decref(tab);
    fuzz_check_no_leak(before);
    return 0;
}
