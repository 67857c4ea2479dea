/*
 * chunk.c - sealing values into chunks, decoding them, and validating
 * untrusted chunk bytes.  Layout: chunk_internal.h and docs/format.md.
 */
#include "chunk_internal.h"

#include "../codec/str_internal.h"

size_t bale__chunk_header_size(bale_backend backend, uint64_t count, uint64_t raw, uint64_t stage,
                               uint64_t payload) {
    return 8 + bale__varint_size(count) + bale__varint_size(raw) +
           (backend == BALE_BACKEND_NONE ? 0 : bale__varint_size(stage)) +
           bale__varint_size(payload) + 4;
}

/* Writes the header's fields up to the checksum into `h` (room for
 * BALE_CHUNK_HEADER_MAX); returns the offset of the checksum. */
static size_t header_put(uint8_t *h, bale_dtype dtype, bale_encoding enc, bale_backend backend,
                         uint64_t count, uint64_t raw, uint64_t stage, uint64_t payload) {
    bale__store32(h, BALE_CHUNK_MAGIC);
    h[4] = BALE_CHUNK_FORMAT_VERSION;
    h[5] = (uint8_t)dtype;
    h[6] = (uint8_t)enc;
    h[7] = (uint8_t)backend;
    uint8_t *p = bale__put_varint(h + 8, count);
    p = bale__put_varint(p, raw);
    if (backend != BALE_BACKEND_NONE) p = bale__put_varint(p, stage); /* else the payload's */
    p = bale__put_varint(p, payload);
    return (size_t)(p - h);
}

/* The checksum of a header whose fields take `fields` bytes, and the payload. */
static uint32_t header_checksum(const uint8_t *bytes, size_t fields, const uint8_t *payload,
                                uint64_t payload_size) {
    uint64_t seed = bale__hash64(bytes, fields, 0);
    return (uint32_t)bale__hash64(payload, (size_t)payload_size, seed);
}

/* Reads the header's layout: magic, version and the varints, each in its
 * shortest form and within `size` bytes.  Checks no field's meaning. */
static bale_err header_read(const uint8_t *bytes, size_t size, bale__chunk_header *h) {
    BALE_RETURN_IF(bytes == NULL || size < BALE_CHUNK_HEADER_MIN, BALE_CORRUPT);
    BALE_RETURN_IF(bale__load32(bytes) != BALE_CHUNK_MAGIC, BALE_CORRUPT);
    BALE_RETURN_IF(bytes[4] == 0, BALE_CORRUPT);
    /* Version 1 (a fixed 48-byte header) was written by development builds
     * before 2026-11-24 only; no reader takes it now. */
    BALE_RETURN_IF(bytes[4] != BALE_CHUNK_FORMAT_VERSION, BALE_UNSUPPORTED);
    h->dtype = (bale_dtype)bytes[5];
    h->encoding = (bale_encoding)bytes[6];
    h->backend = (bale_backend)bytes[7];
    bale__reader r;
    bale__reader_init(&r, bytes + 8, size - 8);
    /* Without a backend the stage is the payload: no stage size field. */
    int staged = h->backend != BALE_BACKEND_NONE;
    uint64_t *fields[4] = {&h->count, &h->raw_size, staged ? &h->stage_size : &h->payload_size,
                           &h->payload_size};
    for (int i = 0; i < 3 + staged; i++) {
        const uint8_t *at = r.p;
        *fields[i] = bale__reader_varint(&r);
        BALE_RETURN_IF(r.bad || (size_t)(r.p - at) != bale__varint_size(*fields[i]), BALE_CORRUPT);
    }
    if (!staged) h->stage_size = h->payload_size;
    h->checksum = bale__reader_u32(&r);
    BALE_RETURN_IF(r.bad, BALE_CORRUPT);
    h->header_size = (size_t)(r.p - bytes);
    return BALE_OK;
}

/* The header of a chunk made or validated here (it cannot fail). */
static bale__chunk_header chunk_header(const bale_chunk *c) {
    bale__chunk_header h;
    bale_err err = header_read(c->bytes, (size_t)c->size, &h);
    (void)err;
    assert(err == BALE_OK);
    return h;
}

bale_err bale__chunk_parse_header(const uint8_t *bytes, size_t size,
                                  bale__chunk_header *h) {
    BALE_FORWARD_IF_ERROR(header_read(bytes, size, h));
    BALE_RETURN_IF(bale_dtype_name(h->dtype) == NULL, BALE_CORRUPT);
    const bale__encoding_impl *impl = bale__encoding_find(h->encoding);
    BALE_RETURN_IF(impl == NULL || !bale__backend_available(h->backend),
                   BALE_UNSUPPORTED);
    BALE_RETURN_IF(!impl->supports(h->dtype), BALE_CORRUPT);
    BALE_RETURN_IF(h->payload_size != size - h->header_size, BALE_CORRUPT);
    BALE_RETURN_IF(h->count > BALE_CHUNK_MAX_COUNT, BALE_CORRUPT);
    BALE_RETURN_IF(h->raw_size > BALE_CHUNK_MAX_RAW ||
                       h->stage_size > BALE_CHUNK_MAX_RAW,
                   BALE_CORRUPT);
    uint64_t allowed = h->payload_size * BALE_CHUNK_MAX_EXPANSION +
                       BALE_CHUNK_EXPANSION_SLACK;
    BALE_RETURN_IF(h->raw_size > allowed || h->stage_size > allowed, BALE_CORRUPT);
    size_t width = bale_dtype_width(h->dtype);
    if (width)
        BALE_RETURN_IF(h->raw_size != h->count * width, BALE_CORRUPT);
    else
        BALE_RETURN_IF(h->raw_size < 8 * h->count, BALE_CORRUPT);
    if (h->backend == BALE_BACKEND_NONE)
        BALE_RETURN_IF(h->stage_size != h->payload_size, BALE_CORRUPT);
    return BALE_OK;
}

bale_err bale_chunk_encode(const bale_values *values,
                           const bale_codec_opts *opts, bale_chunk **out) {
    return bale_chunk_encode_with(values, opts, NULL, out);
}

/* A chunk being built: its bytes in a scratch buffer that has room for the
 * bale_chunk struct and the header before the payload, so that finishing
 * it is one exact copy (bale__buf_detach).  Candidates that lose a
 * comparison are dropped as drafts and never reach the heap. */
typedef struct draft {
    bale__buf buf;
    bale__pipeline_result res;
    uint64_t count, raw; /* of the values */
} draft;

/* The payload starts here in the draft; draft_finish moves it to just after
 * the header, whose size it then knows. */
#define DRAFT_PREFIX (sizeof(bale_chunk) + BALE_CHUNK_HEADER_MAX)

static uint64_t draft_payload(const draft *d) { return d->buf.size - DRAFT_PREFIX; }

/* What bale_chunk_encoded_size of the finished chunk will be. */
static uint64_t draft_size(const draft *d) {
    uint64_t payload = draft_payload(d);
    return bale__chunk_header_size(d->res.backend, d->count, d->raw, d->res.stage_size, payload) +
           payload;
}

static void draft_drop(draft *d) { bale__buf_free(&d->buf); }

/* `policy`: BALE__POLICY_* asks of the auto policy (codec_internal.h). */
static bale_err draft_encode(const bale_values *values, const bale_codec_opts *opts,
                             const bale_symtab *tab, unsigned policy, draft *d) {
    d->buf = (bale__buf){.tmp = 1};
    d->res = (bale__pipeline_result){0};
    BALE_FORWARD_IF_ERROR(bale__values_check(values));
    d->count = values->count;
    d->raw = bale__values_raw_size(values);
    BALE_RETURN_IF(values->count > BALE_CHUNK_MAX_COUNT ||
                       bale__values_raw_size(values) > BALE_CHUNK_MAX_RAW,
                   BALE_INVALID);
    bale_codec_opts auto_opts = bale_codec_opts_auto();
    if (opts == NULL) opts = &auto_opts;
    bale_err err = bale__buf_reserve(&d->buf, DRAFT_PREFIX);
    if (err != BALE_OK) return err;
    d->buf.size = DRAFT_PREFIX;
    err = bale__pipeline_encode(values, opts, tab, policy, &d->buf, &d->res);
    if (err != BALE_OK) {
        draft_drop(d);
        return err;
    }
    uint64_t payload_bytes = d->buf.size - DRAFT_PREFIX;
    uint64_t allowed = payload_bytes * BALE_CHUNK_MAX_EXPANSION + BALE_CHUNK_EXPANSION_SLACK;
    if (bale__values_raw_size(values) > allowed || d->res.stage_size > allowed) {
        /* Compressed beyond what a reader accepts (a huge run of one value):
         * store the values plain, which never expands past 8x. */
        d->buf.size = DRAFT_PREFIX;
        err = bale__pipeline_encode_fixed(values, BALE_ENC_PLAIN, BALE_BACKEND_NONE,
                                          0, &d->buf, &d->res);
        d->res.symtab = NULL;
        if (err != BALE_OK) {
            draft_drop(d);
            return err;
        }
    }
    return BALE_OK;
}

/* Makes the chunk: the header written before the payload, then an exact
 * copy of the draft's bytes. */
static bale_err draft_finish(draft *d, const bale_values *values, bale_chunk **out) {
    uint64_t payload_size = draft_payload(d);
    uint8_t *h = d->buf.data + sizeof(bale_chunk);
    size_t hsize = bale__chunk_header_size(d->res.backend, d->count, d->raw, d->res.stage_size,
                                           payload_size);
    memmove(h + hsize, d->buf.data + DRAFT_PREFIX, (size_t)payload_size);
    d->buf.size = sizeof(bale_chunk) + hsize + (size_t)payload_size;
    size_t fields = header_put(h, values->dtype, d->res.encoding, d->res.backend, d->count,
                               d->raw, d->res.stage_size, payload_size);
    assert(fields + 4 == hsize);
    bale__store32(h + fields, header_checksum(h, fields, h + hsize, payload_size));
    size_t total;
    uint8_t *mem = bale__buf_detach(&d->buf, &total);
    BALE_RETURN_IF(mem == NULL, BALE_NOMEM);
    bale_chunk *c = (bale_chunk *)mem;
    atomic_init(&c->refcount, 1);
    c->symtab = bale_symtab_incref((bale_symtab *)d->res.symtab);
    atomic_init(&c->fsst_dec, NULL);
    c->size = total - sizeof(bale_chunk);
    *out = c;
    return BALE_OK;
}

/* Encodes of chunks up to this many raw bytes (containers' chunks are 64
 * KiB) take their temporaries from a scratch arena (common_internal.h says
 * why); larger ones from the heap, since an arena keeps every temporary of
 * an encode until its end (a 15 MB chunk of ints: 41 MB at the peak instead
 * of 29). */
#define SCRATCH_MAX_RAW ((uint64_t)4 << 20)

static int scratch_enter(const bale_values *values) {
    if (values == NULL || bale__values_raw_size(values) > SCRATCH_MAX_RAW) return 0;
    bale__scratch_enter();
    return 1;
}
static void scratch_leave(int entered) {
    if (entered) bale__scratch_leave();
}

/* Encodes and seals one chunk (inside the caller's scratch scope). */
static bale_err encode_one(const bale_values *values, const bale_codec_opts *opts,
                           const bale_symtab *tab, unsigned policy, bale_chunk **out) {
    draft d;
    bale_err err = draft_encode(values, opts, tab, policy, &d);
    if (err == BALE_OK) err = draft_finish(&d, values, out);
    return err;
}

bale_err bale_chunk_encode_with(const bale_values *values, const bale_codec_opts *opts,
                                const bale_symtab *tab, bale_chunk **out) {
    BALE_RETURN_IF(out == NULL, BALE_INVALID);
    int scoped = scratch_enter(values);
    bale_err err = encode_one(values, opts, tab, 0, out);
    scratch_leave(scoped);
    return err;
}

/* bale__chunk_stage for a chunk whose header the caller has read. */
static bale_err stage_of(const bale_chunk *chunk, const bale__chunk_header *hp,
                         const uint8_t **stage, size_t *stage_size, uint8_t **owned) {
    bale_backend backend = hp->backend;
    uint64_t ssize = hp->stage_size;
    const uint8_t *payload = chunk->bytes + hp->header_size;
    size_t psize = (size_t)hp->payload_size;
    *owned = NULL;
    if (backend == BALE_BACKEND_NONE) {
        *stage = payload;
        *stage_size = psize;
        return BALE_OK;
    }
    BALE_RETURN_IF(ssize > SIZE_MAX, BALE_NOMEM);
    uint8_t *buf = bale__malloc((size_t)ssize);
    BALE_RETURN_IF(buf == NULL, BALE_NOMEM);
    bale_err err = bale__backend_decompress(backend, payload, psize, buf, (size_t)ssize);
    if (err != BALE_OK) {
        bale__free(buf);
        return err;
    }
    *stage = buf;
    *stage_size = (size_t)ssize;
    *owned = buf;
    return BALE_OK;
}

bale_err bale__chunk_stage(const bale_chunk *chunk, const uint8_t **stage,
                           size_t *stage_size, uint8_t **owned) {
    bale__chunk_header h = chunk_header(chunk);
    return stage_of(chunk, &h, stage, stage_size, owned);
}

/* Decodes the whole chunk and, when `check` is set, verifies that the result
 * agrees with the header (count and raw size). */
static bale_err decode_checked(const bale_chunk *chunk, bale_values *out) {
    bale__chunk_header h = chunk_header(chunk);
    const bale__encoding_impl *impl = bale__encoding_find(h.encoding);
    BALE_RETURN_IF(impl == NULL, BALE_CORRUPT);
    bale_dtype dtype = h.dtype;
    uint64_t count = h.count;
    const uint8_t *stage;
    size_t stage_size;
    uint8_t *owned;
    BALE_FORWARD_IF_ERROR(stage_of(chunk, &h, &stage, &stage_size, &owned));
    bale_values v;
    memset(&v, 0, sizeof v);
    uint64_t raw = h.raw_size;
    uint64_t data_size = bale__is_var_width(dtype) ? raw - 8 * count : raw;
    const bale__tab_ops *tops = chunk->symtab ? bale__encoding_tab_ops(impl->id) : NULL;
    bale_err err = tops != NULL ? tops->decode_tab(chunk->symtab, dtype, count, stage,
                                                   stage_size, data_size, &v)
                                : impl->decode(dtype, count, stage, stage_size, data_size, &v);
    bale__free(owned);
    if (err != BALE_OK) return err;
    if (v.count != count || v.dtype != dtype ||
        bale__values_raw_size(&v) != raw ||
        bale__values_check(&v) != BALE_OK) {
        bale_values_free(&v);
        return BALE_CORRUPT;
    }
    *out = v;
    return BALE_OK;
}

bale_err bale_chunk_decode(const bale_chunk *chunk, bale_values *out) {
    BALE_RETURN_IF(chunk == NULL || out == NULL, BALE_INVALID);
    return decode_checked(chunk, out);
}

bale_err bale_chunk_decode_ids(const bale_chunk *chunk, bale_values *dict, bale_values *ids) {
    BALE_RETURN_IF(chunk == NULL || dict == NULL || ids == NULL, BALE_INVALID);
    bale__chunk_header h = chunk_header(chunk);
    /* Stages that hold ids in place only: a backend's stage would be
     * decompressed here and again by the caller's fallback decode. */
    BALE_RETURN_IF(h.encoding != BALE_ENC_DICT || h.count == 0 ||
                       h.backend != BALE_BACKEND_NONE ||
                       (chunk->symtab == NULL && !bale__is_fixed(h.dtype)),
                   BALE_UNSUPPORTED);
    const uint8_t *stage;
    size_t stage_size;
    uint8_t *owned;
    BALE_FORWARD_IF_ERROR(stage_of(chunk, &h, &stage, &stage_size, &owned));
    bale_err err = bale__dict_decode_ids(chunk->symtab, h.dtype, h.count, stage, stage_size,
                                         dict, ids);
    bale__free(owned);
    return err;
}

/* The FSST decoder cached on a self-contained FSST chunk: built on first use
 * and published with a compare-exchange; when two threads race, the loser
 * frees its copy and uses the winner's.  NULL when it cannot be built (then
 * the get builds a transient one and reports any error itself). */
static const bale__fsst_dec *chunk_fsst_dec(const bale_chunk *chunk, uint64_t count,
                                            const uint8_t *stage, size_t stage_size) {
    bale_chunk *c = (bale_chunk *)chunk; /* the cache is not part of the bytes */
    bale__fsst_dec *d = atomic_load_explicit(&c->fsst_dec, memory_order_acquire);
    if (d != NULL) return d;
    bale__fsst_dec *fresh;
    if (bale__fsst_dec_new(count, stage, stage_size, &fresh) != BALE_OK) return NULL;
    if (atomic_compare_exchange_strong_explicit(&c->fsst_dec, &d, fresh, memory_order_acq_rel,
                                                memory_order_acquire))
        return fresh;
    bale__fsst_dec_free(fresh); /* another thread published first: d is its */
    return d;
}

bale_err bale_chunk_get(const bale_chunk *chunk, uint64_t index,
                        bale_values *out) {
    BALE_RETURN_IF(chunk == NULL || out == NULL, BALE_INVALID);
    bale__chunk_header h = chunk_header(chunk);
    uint64_t count = h.count;
    BALE_RETURN_IF(index >= count, BALE_RANGE);
    const bale__encoding_impl *impl = bale__encoding_find(h.encoding);
    BALE_RETURN_IF(impl == NULL, BALE_CORRUPT);
    bale_dtype dtype = h.dtype;
    if (impl->get != NULL) {
        const uint8_t *stage;
        size_t stage_size;
        uint8_t *owned;
        BALE_FORWARD_IF_ERROR(stage_of(chunk, &h, &stage, &stage_size, &owned));
        const bale__tab_ops *tops = chunk->symtab ? bale__encoding_tab_ops(impl->id) : NULL;
        bale_err err;
        if (impl->id == BALE_ENC_FSST) {
            const bale__fsst_dec *d =
                chunk->symtab ? NULL : chunk_fsst_dec(chunk, count, stage, stage_size);
            err = bale__fsst_get_with(d, chunk->symtab, dtype, count, stage, stage_size, index, out);
        } else {
            err = tops != NULL
                      ? tops->get_tab(chunk->symtab, dtype, count, stage, stage_size, index, out)
                      : impl->get(dtype, count, stage, stage_size, index, out);
        }
        bale__free(owned);
        return err;
    }
    bale_values all;
    BALE_FORWARD_IF_ERROR(decode_checked(chunk, &all));
    bale_err err = bale__values_take_one(&all, index, out);
    bale_values_free(&all);
    return err;
}

/* Validates untrusted bytes (against `tab` when the stage references a
 * shared table) and, when `out` is set, keeps them as a new chunk. */
static bale_err load(const void *bytes, size_t size, const bale_symtab *tab, bale_chunk **out) {
    bale__chunk_header h;
    BALE_FORWARD_IF_ERROR(bale__chunk_parse_header(bytes, size, &h));
    const uint8_t *b = bytes;
#ifndef BALE_FUZZING /* let the fuzzer reach the decoders behind the sum */
    BALE_RETURN_IF(header_checksum(b, h.header_size - 4, b + h.header_size, h.payload_size) !=
                       h.checksum,
                   BALE_CHECKSUM);
#endif
    bale_chunk *c = bale__malloc(sizeof(bale_chunk) + size);
    BALE_RETURN_IF(c == NULL, BALE_NOMEM);
    atomic_init(&c->refcount, 1);
    c->symtab = NULL;
    atomic_init(&c->fsst_dec, NULL);
    c->size = size;
    memcpy(c->bytes, b, size);
    /* Does the stage reference a table?  Then it must be `tab`: the decoder
     * checks the id. */
    const uint8_t *stage;
    size_t stage_size;
    uint8_t *owned;
    bale_err err = bale__chunk_stage(c, &stage, &stage_size, &owned);
    const bale__tab_ops *tops = bale__encoding_tab_ops(h.encoding);
    if (err == BALE_OK && tops != NULL && tops->uses_tab(h.dtype, h.count, stage, stage_size)) {
        if (tab == NULL) err = BALE_CORRUPT;
        else c->symtab = bale_symtab_incref((bale_symtab *)tab);
    }
    bale__free(owned);
    /* Trial decode: every decoder checks every size and offset, so this
     * proves the payload well-formed before anyone relies on it. */
    bale_values v;
    if (err == BALE_OK) err = decode_checked(c, &v);
    if (err == BALE_OK) bale_values_free(&v);
    if (err == BALE_OK && out != NULL) {
        *out = c;
        return BALE_OK;
    }
    bale_chunk_decref(c);
    return err;
}

bale_err bale_chunk_validate(const void *bytes, size_t size) {
    return load(bytes, size, NULL, NULL);
}

bale_err bale_chunk_validate_with(const void *bytes, size_t size, const bale_symtab *tab) {
    return load(bytes, size, tab, NULL);
}

bale_err bale_chunk_from_bytes(const void *bytes, size_t size, bale_chunk **out) {
    BALE_RETURN_IF(out == NULL, BALE_INVALID);
    return load(bytes, size, NULL, out);
}

bale_err bale_chunk_from_bytes_with(const void *bytes, size_t size, const bale_symtab *tab,
                                    bale_chunk **out) {
    BALE_RETURN_IF(out == NULL, BALE_INVALID);
    return load(bytes, size, tab, out);
}

const bale_symtab *bale_chunk_symtab(const bale_chunk *chunk) { return chunk->symtab; }

uint64_t bale__table_set_add(bale__table_set *set, const bale_symtab *t) {
    if (t == NULL) return 0;
    for (unsigned k = 0; k < set->n; k++)
        if (set->seen[k] == t) return 0;
    if (set->n < sizeof set->seen / sizeof *set->seen) set->seen[set->n++] = t;
    return bale_symtab_nbytes(t);
}

/* ---- containers that share a table ------------------------------------------ */

/* A chunk whose stage takes this much more (in 1/100) per value byte than
 * the table achieved on its training data is also encoded self-contained
 * (with a table of its own), and the smaller is kept.  Tables with front
 * coding (sorted data, which drifts chunk by chunk) are always compared:
 * their training chunk is no baseline for the next ones... */
#define SYMTAB_DRIFT_PCT 4u
/* ... for CTX tables: a context model fits its training chunk much better
 * than the next ones (npm names shuffled: ~9 against ~10.3 B/name), so
 * only a larger gap is drift. */
#define CTAB_DRIFT_PCT 15u
/* ...and when the self-contained form wins by this much (in 1/100), the
 * shared table is retrained on this chunk for the chunks that follow (not
 * for sorted data: the next chunk drifts again).
 * (Measured on npm names, 64 KiB chunks: shuffled names keep one table;
 * sorted names drift, so many chunks stay self-contained: docs/design-strings.md.) */
#define SYMTAB_RETRAIN_GAIN_PCT 2u
/* A DICT table is extended with a chunk's escaped values when that makes the
 * chunk this much smaller (flights `origin`: the first chunk holds 205 of
 * 229 airports; escapes cost ~0.02 B/value until the table has them). */
#define DTAB_RETRAIN_GAIN_PCT 1u
/* ... tried only for chunks with this many distinct escaped values: a retrain
 * costs about three encodes, and one or two rare values rarely pay for it
 * (`origin`: 0.811 B/value with 1, 2, 4 or 8; encode 58, 87, 140, 159 MB/s). */
#define DTAB_RETRAIN_MIN_ESCAPES 8u
/* ... and at most this many times per container: every table stays alive
 * while chunks use it (~10 KB in memory for 200-odd values), and a long
 * tail of categories would otherwise replace it chunk after chunk.  Both
 * retrains (for escapes, and for drift below) count. */
#define DTAB_MAX_RETRAINS 3u
/* A DICT table is trained only on a chunk of at least this many raw bytes
 * (half a List chunk): it costs ~10 KB in memory and saves ~10% of each
 * chunk, so a column that fits in a chunk or two does better without. */
#define DTAB_MIN_TRAIN_RAW (32u << 10)
/* A container whose FSST table (of unsorted values) has encoded
 * CTAB_SWITCH_AFTER chunks, then twice, four times as many..., tries a CTX
 * table (an order-2 context model) on the next, and keeps it if that chunk
 * comes out CTAB_SWITCH_GAIN_PCT smaller and the bytes saved, over as many
 * chunks as the container has had, pay for the table's memory (130-230 KB
 * for npm names: a small container does better with FSST).  Shuffled npm
 * names: 12.08 -> 10.39 B/name, a get 0.8 -> 1.3 us, decode ~480 -> ~100
 * MB/s (docs/design-strings.md, "CTX tables"). */
#define CTAB_SWITCH_AFTER 32u
#define CTAB_SWITCH_GAIN_PCT 5u
/* A CTX table learns from later chunks too: at the same counts of chunks,
 * a table that adds the chunk's counts to the current one's is kept when
 * it makes that chunk this much smaller and pays for itself as above; at
 * most CTAB_MAX_RETRAINS times per container (drift retrains included),
 * since every table stays alive while chunks use it. */
#define CTAB_RETRAIN_GAIN_PCT 1u
#define CTAB_MAX_RETRAINS 3u
/* Chunks with fewer value bytes than this never train a table: too little
 * data to learn from or to judge the fit by. */
#define SYMTAB_MIN_TRAIN_BYTES 4096u

bale_err bale_chunk_encode_shared(const bale_values *values, const bale_codec_opts *opts,
                                  bale_symtab **tab, bale_chunk **out) {
    return bale__chunk_encode_shared_shift(values, opts, 0, 0, tab, out);
}

static bale_err encode_shared(const bale_values *values, const bale_codec_opts *opts,
                              unsigned shift, unsigned flags, bale_symtab **tab, bale_chunk **out);

bale_err bale__chunk_encode_shared_shift(const bale_values *values, const bale_codec_opts *opts,
                                         unsigned shift, unsigned flags, bale_symtab **tab,
                                         bale_chunk **out) {
    int scoped = scratch_enter(values);
    bale_err err = encode_shared(values, opts, shift, flags, tab, out);
    scratch_leave(scoped);
    return err;
}

/* The block shift of a DICT table for a container read one value at a time
 * (BALE__SHARED_ACCESS, a Dict's values): a get decodes half a block on
 * average, and 512 codes (BALE_DTAB_BLOCK_SHIFT, for Lists, which read
 * whole chunks) would add ~0.5 us to a d[k] (1.5-1.9 -> 2.0-2.4 us with 1M
 * keys to 230 categories) to save 0.2% of the values' size. */
#define DTAB_ACCESS_SHIFT 6u

/* A table of `kind` for these values; `shift` 0 is the kind's default.  A
 * DICT table takes only DTAB_ACCESS_SHIFT or its default: the shifts asked
 * for are FSST's, for keys. */
static bale_err train(const bale_values *values, unsigned kind, unsigned shift, unsigned flags,
                      bale_symtab **out) {
    if (kind == BALE_SYMTAB_KIND_DICT)
        return bale__dtab_train(values, flags & BALE__SHARED_ACCESS ? DTAB_ACCESS_SHIFT : 0, out);
    if (kind == BALE_SYMTAB_KIND_CTX) return bale__ctab_train(values, shift, out);
    return shift ? bale__symtab_train_shift(values, shift, out) : bale_symtab_train(values, out);
}

/* A table to replace `tab` for values like these: an FSST table trained on
 * them with tab's shift; a DICT table that keeps tab's values and adds
 * theirs; a CTX table that adds their counts to tab's.  DICT and CTX tables are replaced
 * at most *_MAX_RETRAINS times in a row (then BALE_UNSUPPORTED). */
static bale_err retrain(const bale_values *values, const bale_symtab *tab, bale_symtab **out) {
    unsigned kind = bale__symtab_kind(tab), gen = bale__symtab_generation(tab);
    if (kind == BALE_SYMTAB_KIND_DICT) {
        BALE_RETURN_IF(gen >= DTAB_MAX_RETRAINS, BALE_UNSUPPORTED);
        return bale__dtab_retrain(values, tab, out);
    }
    if (kind == BALE_SYMTAB_KIND_CTX) {
        BALE_RETURN_IF(gen >= CTAB_MAX_RETRAINS, BALE_UNSUPPORTED);
        return bale__ctab_retrain(values, tab, out);
    }
    return bale__symtab_train_shift(values, bale__symtab_shift(tab), out);
}

/* Options for a chunk encoded without a shared table: CTX needs one, so
 * there the policy chooses. */
static bale_codec_opts alone_opts(bale_codec_opts o) {
    if (o.encoding == BALE_ENC_CTX) o.encoding = BALE_ENC_AUTO;
    return o;
}

/* Whether a new CTX table `fresh` that codes this chunk in `now` bytes
 * instead of `before` is worth keeping: `gain_pct` smaller, and the bytes
 * saved, over as many chunks as the container has had (`chunks`: those to
 * come are guessed to be as many), pay for the table's memory. */
static int ctx_pays(uint64_t before, uint64_t now, unsigned gain_pct, unsigned chunks,
                    const bale_symtab *fresh) {
    return now * 100 < before * (100 - gain_pct) &&
           (before - now) * chunks >= bale_symtab_nbytes(fresh);
}

/* Tries a CTX table trained on this chunk in place of the FSST table that
 * encoded it as `c`, after `chunks` chunks: keeps it (ctx_pays), and
 * finishes the chunk with it.  1 if switched. */
static int try_ctx(const bale_values *values, const bale_codec_opts *o, unsigned chunks,
                   bale_symtab **tab, draft *c, bale_chunk **out) {
    bale_symtab *fresh;
    draft u;
    if (bale__ctab_train(values, 0, &fresh) != BALE_OK) return 0;
    bale_codec_opts co = *o;
    co.encoding = BALE_ENC_CTX;
    int won = 0;
    if (draft_encode(values, &co, fresh, 0, &u) == BALE_OK) {
        won = u.res.symtab != NULL &&
              ctx_pays(draft_size(c), draft_size(&u), CTAB_SWITCH_GAIN_PCT, chunks, fresh) &&
              draft_finish(&u, values, out) == BALE_OK;
        if (!won) draft_drop(&u);
    }
    if (!won) {
        bale_symtab_decref(fresh);
        return 0;
    }
    bale__symtab_set_uses(fresh, chunks);
    draft_drop(c);
    bale_symtab_decref(*tab);
    *tab = fresh;
    return 1;
}

static bale_err encode_alone(const bale_values *values, bale_codec_opts o, unsigned policy,
                             bale_chunk **out) {
    o = alone_opts(o);
    return encode_one(values, &o, NULL, policy, out);
}

static bale_err encode_shared(const bale_values *values, const bale_codec_opts *opts,
                              unsigned shift, unsigned flags, bale_symtab **tab, bale_chunk **out) {
    BALE_RETURN_IF(values == NULL || tab == NULL || out == NULL, BALE_INVALID);
    bale_codec_opts o = opts ? *opts : bale_codec_opts_auto();
    unsigned policy = flags & BALE__SHARED_ACCESS ? BALE__POLICY_ACCESS : 0;
    unsigned kind = bale__values_check(values) == BALE_OK ? bale__policy_str_table_kind(values) : 0;
    /* CTX takes the values FSST would: asked for, or the container's model
     * (auto switches to it: try_ctx); asked for, every value a table can. */
    if (kind != 0 && o.encoding == BALE_ENC_CTX) kind = BALE_SYMTAB_KIND_CTX;
    if (kind == BALE_SYMTAB_KIND_FSST && *tab != NULL &&
        bale__symtab_kind(*tab) == BALE_SYMTAB_KIND_CTX)
        kind = BALE_SYMTAB_KIND_CTX;
    bale_encoding enc = kind == BALE_SYMTAB_KIND_DICT  ? BALE_ENC_DICT
                        : kind == BALE_SYMTAB_KIND_CTX ? BALE_ENC_CTX
                                                       : BALE_ENC_FSST;
    int table_ok = kind != 0 && (o.encoding == BALE_ENC_AUTO || o.encoding == enc) &&
                   (o.backend == BALE_BACKEND_AUTO || o.backend == BALE_BACKEND_NONE);
    /* A chunk unlike the column's table (a DICT column that grew many
     * distinct values, say) is encoded on its own. */
    if (!table_ok || (*tab != NULL && bale__symtab_kind(*tab) != kind))
        return encode_alone(values, o, policy, out);
    int small = values->data_size < SYMTAB_MIN_TRAIN_BYTES ||
                (kind == BALE_SYMTAB_KIND_DICT && bale__values_raw_size(values) < DTAB_MIN_TRAIN_RAW);
    draft c, own;
    bale_err err;
    if (*tab == NULL) {
        if (small) return encode_alone(values, o, policy, out);
        /* The first chunk: train the container's table on it. */
        bale_symtab *fresh;
        err = train(values, kind, shift, flags, &fresh);
        if (err == BALE_UNSUPPORTED) return encode_alone(values, o, policy, out); /* too many values */
        BALE_FORWARD_IF_ERROR(err);
        err = draft_encode(values, &o, fresh, policy, &c);
        if (err == BALE_OK) err = draft_finish(&c, values, out);
        if (err == BALE_OK && (*out)->symtab != NULL) {
            *tab = fresh;
        } else {
            bale_symtab_decref(fresh);
        }
        return err;
    }
    BALE_FORWARD_IF_ERROR(draft_encode(values, &o, *tab, policy, &c));
    uint64_t cs = draft_size(&c);
    /* Chunks the container has encoded against its tables (a table made in
     * place of another takes over its count); CTX tables are tried at
     * powers of two from CTAB_SWITCH_AFTER on. */
    unsigned uses = bale__symtab_count_use(*tab);
    int ctx_time = uses >= CTAB_SWITCH_AFTER && (uses & (uses - 1)) == 0;
    /* A DICT table lacks values this chunk has (a column whose first chunk
     * did not hold every category); a CTX table has learnt from fewer
     * chunks than it may.  Either way: a retrained table, kept if this
     * chunk shows it pays.  Older chunks keep the old table. */
    int dict_grows = kind == BALE_SYMTAB_KIND_DICT && c.res.backend == BALE_BACKEND_NONE &&
                     /* the payload is the stage */
                     bale__dtab_stage_escapes(c.buf.data + DRAFT_PREFIX,
                                              c.buf.size - DRAFT_PREFIX) >= DTAB_RETRAIN_MIN_ESCAPES;
    int ctx_learns = kind == BALE_SYMTAB_KIND_CTX && ctx_time &&
                     bale__symtab_generation(*tab) < CTAB_MAX_RETRAINS;
    if (!small && c.res.symtab != NULL && (dict_grows || ctx_learns)) {
        bale_symtab *fresh;
        draft u;
        if (retrain(values, *tab, &fresh) == BALE_OK) {
            if (draft_encode(values, &o, fresh, policy, &u) == BALE_OK) {
                uint64_t us = draft_size(&u);
                int keep = dict_grows ? us * 100 < cs * (100 - DTAB_RETRAIN_GAIN_PCT)
                                      : ctx_pays(cs, us, CTAB_RETRAIN_GAIN_PCT, uses, fresh);
                if (u.res.symtab != NULL && keep && draft_finish(&u, values, out) == BALE_OK) {
                    if (ctx_learns) bale__symtab_set_uses(fresh, uses);
                    draft_drop(&c);
                    bale_symtab_decref(*tab);
                    *tab = fresh;
                    return BALE_OK;
                }
                draft_drop(&u);
            }
            bale_symtab_decref(fresh);
        }
    }
    int sorted = kind == BALE_SYMTAB_KIND_FSST && (bale__symtab_flags(*tab) & 1u) != 0; /* FRONT */
    if (kind == BALE_SYMTAB_KIND_FSST && !sorted && o.encoding == BALE_ENC_AUTO && !small &&
        !(flags & BALE__SHARED_NO_CTX) && c.res.symtab != NULL && ctx_time &&
        try_ctx(values, &o, uses, tab, &c, out))
        return BALE_OK;
    uint64_t fit = bale__symtab_fit(*tab);
    uint64_t got = cs * 8 * 1024 / (values->data_size ? values->data_size : 1);
    unsigned drift = kind == BALE_SYMTAB_KIND_CTX ? CTAB_DRIFT_PCT : SYMTAB_DRIFT_PCT;
    if (small || c.res.symtab == NULL || (!sorted && got * 100 <= fit * (100 + drift)))
        return draft_finish(&c, values, out);
    /* The data has drifted from the table: a table of the chunk's own? */
    bale_codec_opts oo = alone_opts(o);
    err = draft_encode(values, &oo, NULL, policy, &own);
    if (err != BALE_OK) {
        draft_drop(&c);
        return err;
    }
    uint64_t os = draft_size(&own);
    if (os >= cs) {
        draft_drop(&own);
        return draft_finish(&c, values, out);
    }
    draft_drop(&c);
    BALE_FORWARD_IF_ERROR(draft_finish(&own, values, out));
    if (!sorted && os * 100 < cs * (100 - SYMTAB_RETRAIN_GAIN_PCT)) {
        /* Retrain for the chunks to come; failing that, keep the old one. */
        bale_symtab *fresh;
        if (retrain(values, *tab, &fresh) == BALE_OK) {
            bale_symtab_decref(*tab);
            *tab = fresh;
        }
    }
    return BALE_OK;
}

/* The values of chunks[0..n) in one run (caller frees with bale_values_free);
 * vs[i] are their decodes. */
static bale_err concat_values(const bale_values *vs, size_t n, bale_values *all) {
    uint64_t count = 0, bytes = 0;
    for (size_t i = 0; i < n; i++) {
        BALE_RETURN_IF(vs[i].dtype != vs[0].dtype || vs[i].offsets == NULL, BALE_INVALID);
        count += vs[i].count;
        bytes += vs[i].data_size;
    }
    *all = (bale_values){vs[0].dtype, count, NULL, NULL, bytes};
    all->offsets = bale__malloc((size_t)(count + 1) * sizeof(uint64_t));
    all->data = bale__malloc(bytes ? (size_t)bytes : 1);
    if (all->offsets == NULL || all->data == NULL) {
        bale_values_free(all);
        return BALE_NOMEM;
    }
    uint64_t at = 0, k = 0;
    all->offsets[0] = 0;
    for (size_t i = 0; i < n; i++) {
        if (vs[i].data_size) memcpy((uint8_t *)all->data + at, vs[i].data, (size_t)vs[i].data_size);
        for (uint64_t j = 1; j <= vs[i].count; j++) all->offsets[++k] = at + vs[i].offsets[j];
        at += vs[i].data_size;
    }
    return BALE_OK;
}

/* Trains a table of `kind` on the values vs[0..n) and encodes each against
 * it into fresh[i].  On error nothing is left allocated. */
static bale_err relearn_encode(const bale_values *vs, size_t n, unsigned kind,
                               const bale_codec_opts *o, unsigned flags, bale_symtab **tab,
                               bale_chunk **fresh) {
    bale_values all;
    BALE_FORWARD_IF_ERROR(concat_values(vs, n, &all));
    int scoped = scratch_enter(&all);
    bale_err err = train(&all, kind, 0, flags, tab);
    scratch_leave(scoped);
    bale_values_free(&all);
    BALE_FORWARD_IF_ERROR(err);
    unsigned policy = flags & BALE__SHARED_ACCESS ? BALE__POLICY_ACCESS : 0;
    size_t made = 0;
    for (; made < n; made++) {
        scoped = scratch_enter(&vs[made]);
        err = encode_one(&vs[made], o, *tab, policy, &fresh[made]);
        scratch_leave(scoped);
        if (err != BALE_OK) break;
    }
    if (err != BALE_OK) {
        for (size_t i = 0; i < made; i++) bale_chunk_decref(fresh[i]);
        bale_symtab_decref(*tab);
        *tab = NULL;
    }
    return err;
}

bale_err bale__chunks_relearn(bale_chunk **chunks, size_t n, const bale_codec_opts *opts,
                              unsigned flags, bale_symtab **tab, int *done) {
    BALE_RETURN_IF(chunks == NULL || tab == NULL || done == NULL, BALE_INVALID);
    *done = 0;
    if (n < 2 || *tab == NULL || bale__symtab_kind(*tab) != BALE_SYMTAB_KIND_DICT) return BALE_OK;
    bale_codec_opts o = opts ? *opts : bale_codec_opts_auto();
    bale_values *vs = bale__calloc(n, sizeof *vs);
    bale_chunk **fresh = bale__calloc(n, sizeof *fresh);
    bale_err err = vs && fresh ? BALE_OK : BALE_NOMEM;
    /* Judged on the chunks after the first: the first table was trained on
     * chunk 0 and codes it better than it will code the chunks to come. */
    uint64_t before = bale_symtab_nbytes(*tab), after = 0;
    for (size_t i = 0; i < n && err == BALE_OK; i++) {
        if (i) before += bale_chunk_encoded_size(chunks[i]);
        err = bale_chunk_decode(chunks[i], &vs[i]);
    }
    bale_symtab *learnt = NULL;
    if (err == BALE_OK) err = relearn_encode(vs, n, bale__symtab_kind(*tab), &o, flags, &learnt, fresh);
    if (err == BALE_UNSUPPORTED) err = BALE_OK; /* no table of the kind holds them all: keep */
    if (learnt != NULL) {
        after = bale_symtab_nbytes(learnt);
        for (size_t i = 1; i < n; i++) after += bale_chunk_encoded_size(fresh[i]);
        if (after < before) {
            for (size_t i = 0; i < n; i++) {
                bale_chunk_decref(chunks[i]);
                chunks[i] = fresh[i];
            }
            bale__symtab_set_uses(learnt, (unsigned)n);
            bale_symtab_decref(*tab);
            *tab = learnt;
            *done = 1;
        } else {
            for (size_t i = 0; i < n; i++) bale_chunk_decref(fresh[i]);
            bale_symtab_decref(learnt);
        }
    }
    if (vs)
        for (size_t i = 0; i < n; i++) bale_values_free(&vs[i]);
    bale__free(vs);
    bale__free(fresh);
    return err;
}

const void *bale_chunk_bytes(const bale_chunk *chunk, size_t *size) {
    if (size) *size = (size_t)chunk->size;
    return chunk->bytes;
}

bale_chunk *bale_chunk_incref(bale_chunk *chunk) {
    if (chunk) atomic_fetch_add_explicit(&chunk->refcount, 1, memory_order_relaxed);
    return chunk;
}

void bale_chunk_decref(bale_chunk *chunk) {
    if (chunk == NULL) return;
    if (atomic_fetch_sub_explicit(&chunk->refcount, 1, memory_order_acq_rel) == 1) {
        bale_symtab_decref(chunk->symtab);
        bale__fsst_dec_free(atomic_load_explicit(&chunk->fsst_dec, memory_order_acquire));
        bale__free(chunk);
    }
}

int64_t bale_chunk_refcount(const bale_chunk *chunk) {
    return atomic_load_explicit(&((bale_chunk *)chunk)->refcount, memory_order_relaxed);
}

bale_dtype bale_chunk_dtype(const bale_chunk *c) { return (bale_dtype)c->bytes[5]; }
uint64_t bale_chunk_count(const bale_chunk *c) { return chunk_header(c).count; }
uint64_t bale_chunk_raw_size(const bale_chunk *c) { return chunk_header(c).raw_size; }
uint64_t bale_chunk_encoded_size(const bale_chunk *c) { return c->size; }
uint64_t bale_chunk_nbytes(const bale_chunk *c) {
    /* + the FSST decoder a get cached, if any */
    bale__fsst_dec *d = atomic_load_explicit(&((bale_chunk *)c)->fsst_dec, memory_order_acquire);
    return sizeof(bale_chunk) + c->size + bale__fsst_dec_nbytes(d);
}
bale_encoding bale_chunk_encoding(const bale_chunk *c) { return (bale_encoding)c->bytes[6]; }
bale_backend bale_chunk_backend(const bale_chunk *c) { return (bale_backend)c->bytes[7]; }
